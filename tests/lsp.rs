//! `scopelint lsp` driven by a scripted client over its standard input and
//! output, as an editor drives it. Every wait has a deadline: a server that
//! hangs fails the test instead of blocking it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use scopelint::lsp::transport;
use serde_json::{Value, json};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long any one answer may take (debug builds on a shared machine).
const DEADLINE: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    from_server: Receiver<Value>,
    next_id: i64,
    /// Messages received while waiting for another one.
    seen: Vec<Value>,
}

fn uri(path: &Path) -> String {
    scopelint::lsp::text::path_uri(path)
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scopelint"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Ok(Some(body)) = transport::read_body(&mut r) {
                let m: Value = serde_json::from_slice(&body.unwrap()).unwrap();
                if tx.send(m).is_err() {
                    return;
                }
            }
        });
        Client {
            stdin: child.stdin.take(),
            child,
            from_server: rx,
            next_id: 0,
            seen: Vec::new(),
        }
    }

    fn raw(&mut self, body: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        let m = json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.raw(&m.to_string());
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let m = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.raw(&m.to_string());
        self.wait(|m| m["id"] == id && m.get("method").is_none())
    }

    /// The first message (already seen or still to come) that `want` takes.
    fn wait(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.seen.iter().position(&want) {
            return self.seen.remove(i);
        }
        let end = Instant::now() + DEADLINE;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.from_server.recv_timeout(left) {
                Ok(m) if want(&m) => return m,
                Ok(m) => self.seen.push(m),
                Err(RecvTimeoutError::Timeout) => panic!("no answer in time; seen {:?}", self.seen),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the server closed its output; seen {:?}", self.seen)
                }
            }
        }
    }

    /// The answer to a hover request at `line`, `character` of `uri`.
    fn hover(&mut self, uri: &str, line: impl Into<Value>, character: impl Into<Value>) -> Value {
        self.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": line.into(), "character": character.into()}}),
        )
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Value {
        let uri = uri.to_string();
        self.wait(move |m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        })["params"]
            .clone()
    }

    fn initialize(&mut self, root: &Path, capabilities: Value) -> Value {
        let r = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(root),
                "workspaceFolders": [{"uri": uri(root), "name": "w"}],
                "capabilities": capabilities,
            }),
        );
        self.notify("initialized", json!({}));
        r
    }

    fn open(&mut self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri(path), "languageId": "terraform", "version": 1, "text": text}}),
        );
    }

    /// `shutdown` answered with null, then `exit`: the process ends with 0.
    fn shut_down(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r["result"], Value::Null);
        self.notify("exit", Value::Null);
        assert_eq!(self.exit_code(), 0);
    }

    /// Waits for the process to end and returns its exit code; its input
    /// stays open (an editor may close it only after the process ended).
    fn exit_code(mut self) -> i32 {
        let end = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                panic!("the server did not exit");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A copy of the field-note fixture (SL001 on the VM's scopes) to edit.
fn field_note() -> (tempfile::TempDir, PathBuf) {
    fixture("sl001_field_note_default_sa")
}

/// A copy of a fixture project, without its expected outputs.
fn fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap().join("w");
    support::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
        &root,
    );
    for e in std::fs::read_dir(&root).unwrap() {
        let p = e.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("expected")
        {
            std::fs::remove_file(p).unwrap();
        }
    }
    (tmp, root)
}

/// Applies a list of text edits (line/character, UTF-16) to `text`.
fn apply_edits(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let ch = p["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let l = text[start..].split('\n').next().unwrap();
        let mut units = 0;
        for (i, c) in l.char_indices() {
            if units >= ch {
                return start + i;
            }
            units += c.len_utf16();
        }
        start + l.len()
    };
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (s, e, t) in spans {
        out.replace_range(s..e, &t);
    }
    out
}

fn codes(diags: &Value) -> Vec<String> {
    diags["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn finding_fix_hover_and_shutdown_in_one_session() {
    let (_tmp, root) = field_note();
    let main = root.join("main.tf");
    let main_uri = uri(&main);
    let text = std::fs::read_to_string(&main).unwrap();
    let mut c = Client::start();
    let init = c.initialize(
        &root,
        json!({"workspace": {"workspaceEdit": {"documentChanges": true}}}),
    );
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(
        init["result"]["capabilities"]["textDocumentSync"]["change"],
        2
    );

    c.open(&main, &text);
    let d = c.diagnostics(&main_uri);
    assert_eq!(codes(&d), ["SL001"], "{d}");
    assert_eq!(d["version"], 1);
    let diag = d["diagnostics"][0].clone();
    assert_eq!(diag["source"], "scopelint");
    assert_eq!(diag["severity"], 1);
    assert!(
        diag["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/SL001.md")
    );
    assert!(diag["message"].as_str().unwrap().contains("aiplatform"));
    let related = diag["relatedInformation"].as_array().unwrap();
    assert!(
        related
            .iter()
            .any(|r| r["location"]["uri"] == uri(&root.join("iam.tf"))
                && r["message"]
                    .as_str()
                    .unwrap()
                    .contains("roles/aiplatform.user")),
        "{diag}"
    );
    // The range is the scopes list the finding points at.
    let start_line = diag["range"]["start"]["line"].as_u64().unwrap() as usize;
    assert!(text.lines().nth(start_line).unwrap().contains("scopes = ["));

    let actions = c.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": main_uri},
            "range": diag["range"],
            "context": {"diagnostics": [diag]},
        }),
    );
    let actions = actions["result"].as_array().unwrap().clone();
    let fix = actions
        .iter()
        .find(|a| a["isPreferred"] == true)
        .unwrap_or_else(|| panic!("no fix among {actions:?}"));
    assert_eq!(fix["kind"], "quickfix");
    assert!(fix["title"].as_str().unwrap().starts_with("SL001"));
    assert_eq!(fix["diagnostics"][0]["code"], "SL001");
    let change = &fix["edit"]["documentChanges"][0];
    assert_eq!(change["textDocument"]["uri"], main_uri);
    assert_eq!(change["textDocument"]["version"], 1);
    let fixed = apply_edits(&text, change["edits"].as_array().unwrap());
    assert!(fixed.contains("cloud-platform"), "{fixed}");
    let suppress = actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Suppress SL001"))
        .unwrap();
    let suppressed = apply_edits(
        &text,
        suppress["edit"]["documentChanges"][0]["edits"]
            .as_array()
            .unwrap(),
    );
    assert!(suppressed.contains("    # scopelint:ignore SL001 reason="));

    // Apply the fix as the editor would: full-text sync of version 2.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": main_uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    let d = c.diagnostics(&main_uri);
    assert_eq!(d["version"], 2);
    assert_eq!(codes(&d), Vec::<String>::new(), "{d}");
    // Nothing was written to disk: the finding is gone from the editor's text only.
    assert_eq!(std::fs::read_to_string(&main).unwrap(), text);

    // Hover on the role string in iam.tf and on a scope in main.tf.
    let iam = root.join("iam.tf");
    let iam_text = std::fs::read_to_string(&iam).unwrap();
    c.open(&iam, &iam_text);
    let line = iam_text
        .lines()
        .position(|l| l.contains("roles/aiplatform.user"))
        .unwrap();
    let h = c.hover(&uri(&iam), line, 18);
    let value = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(value.contains("roles/aiplatform.user"), "{value}");
    assert!(value.contains("aiplatform.googleapis.com"), "{value}");
    assert!(value.contains("cloud-platform"), "{value}");

    let line = fixed
        .lines()
        .position(|l| l.contains("auth/logging.write"))
        .unwrap();
    let col = fixed
        .lines()
        .nth(line)
        .unwrap()
        .find("logging.write")
        .unwrap();
    let h = c.hover(&main_uri, line, col);
    let value = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(value.contains("`logging-write`"), "{value}");
    assert!(value.contains("logging.googleapis.com"), "{value}");

    // Hover on the workload's service_account block: its verdict.
    let line = fixed
        .lines()
        .position(|l| l.contains("service_account {"))
        .unwrap();
    let h = c.hover(&main_uri, line, 4);
    let value = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains("google_compute_instance.js_notes"),
        "{value}"
    );
    assert!(value.contains("no finding"), "{value}");

    c.shut_down();
}

#[test]
fn incremental_changes_in_utf16_and_utf8() {
    for utf8 in [false, true] {
        let (_tmp, root) = field_note();
        let main = root.join("main.tf");
        let main_uri = uri(&main);
        // A non-ASCII comment line before the scopes: positions after it
        // count differently in UTF-16 and UTF-8.
        let text = std::fs::read_to_string(&main).unwrap().replace(
            "  service_account {",
            "  # Zürich 😀 note\n  service_account {",
        );
        let mut c = Client::start();
        let caps = if utf8 {
            json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}})
        } else {
            json!({})
        };
        let init = c.initialize(&root, caps);
        let encoding = if utf8 { "utf-8" } else { "utf-16" };
        assert_eq!(init["result"]["capabilities"]["positionEncoding"], encoding);
        c.open(&main, &text);
        assert_eq!(codes(&c.diagnostics(&main_uri)), ["SL001"]);
        // Replace the trace.append scope, on the line after the comment, by
        // cloud-platform with a range edit.
        let line = text
            .lines()
            .position(|l| l.contains("trace.append"))
            .unwrap();
        let l = text.lines().nth(line).unwrap();
        let from = l.find("trace.append").unwrap();
        let to = from + "trace.append".len();
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": main_uri, "version": 2}, "contentChanges": [
                {"range": {"start": {"line": line, "character": from}, "end": {"line": line, "character": to}}, "text": "cloud-platform"},
            ]}),
        );
        let d = c.diagnostics(&main_uri);
        assert_eq!(d["version"], 2);
        assert_eq!(codes(&d), Vec::<String>::new(), "{encoding}: {d}");
        // Now an edit on the non-ASCII line itself, after the emoji: the
        // character offset is encoding-specific; the file must still parse.
        let line = text.lines().position(|l| l.contains("Zürich")).unwrap();
        let l = text.lines().nth(line).unwrap();
        let after = l.find("note").unwrap();
        let ch = if utf8 {
            after
        } else {
            l[..after].encode_utf16().count()
        };
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": main_uri, "version": 3}, "contentChanges": [
                {"range": {"start": {"line": line, "character": ch}, "end": {"line": line, "character": ch + 4}}, "text": "remark"},
            ]}),
        );
        let d = c.diagnostics(&main_uri);
        assert_eq!(d["version"], 3);
        assert_eq!(codes(&d), Vec::<String>::new(), "{encoding}: {d}");
        let h = c.hover(&main_uri, line, 2);
        assert_eq!(h["result"], Value::Null);
        // The text the server holds has the edit where it was meant: a hover
        // on the word right after the emoji line's "remark" is no scope either,
        // and the range of the next line's hover is exact.
        let next = text
            .lines()
            .position(|l| l.contains("service_account {"))
            .unwrap();
        let h = c.hover(&main_uri, next, 4);
        assert_eq!(
            h["result"]["range"],
            json!({"start": {"line": next, "character": 2}, "end": {"line": next, "character": 17}})
        );
    }
}

#[test]
fn a_parse_error_shows_on_its_file_and_keeps_findings_elsewhere() {
    let (_tmp, root) = field_note();
    let main = root.join("main.tf");
    let vars = root.join("variables.tf");
    let mut c = Client::start();
    c.initialize(&root, json!({}));
    c.open(&main, &std::fs::read_to_string(&main).unwrap());
    assert_eq!(codes(&c.diagnostics(&uri(&main))), ["SL001"]);
    let vars_text = std::fs::read_to_string(&vars).unwrap();
    c.open(&vars, &vars_text);
    let d = c.diagnostics(&uri(&vars));
    assert_eq!(codes(&d), Vec::<String>::new());
    c.seen.clear();
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&vars), "version": 2}, "contentChanges": [{"text": format!("{vars_text}\nvariable \"broken\" {{\n")}]}),
    );
    let d = c.diagnostics(&uri(&vars));
    assert_eq!(d["version"], 2);
    let list = d["diagnostics"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{d}");
    assert_eq!(list[0]["severity"], 1);
    assert!(list[0].get("code").is_none());
    // main.tf, published again with the same analysis, keeps its finding.
    let d = c.diagnostics(&uri(&main));
    assert_eq!(codes(&d), ["SL001"], "{d}");

    // Broken grants: the engine loses the finding, the editor keeps showing
    // it until the file parses again.
    let iam = root.join("iam.tf");
    let iam_text = std::fs::read_to_string(&iam).unwrap();
    c.open(&iam, &iam_text);
    // Files are published in path order: variables.tf is the last of each analysis.
    c.diagnostics(&uri(&vars));
    c.seen.clear();
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&iam), "version": 2}, "contentChanges": [{"text": format!("{iam_text}\nresource \"x\" {{\n")}]}),
    );
    c.diagnostics(&uri(&vars));
    let d = c.diagnostics(&uri(&iam));
    assert_eq!(d["diagnostics"].as_array().unwrap().len(), 1, "{d}");
    let main_now: Vec<Vec<String>> = c
        .seen
        .iter()
        .filter(|m| m["params"]["uri"] == uri(&main))
        .map(|m| codes(&m["params"]))
        .collect();
    assert_eq!(main_now, [["SL001"]]);
    // Fixed again: the finding is computed, not kept.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&iam), "version": 3}, "contentChanges": [{"text": iam_text}]}),
    );
    assert_eq!(codes(&c.diagnostics(&uri(&iam))), Vec::<String>::new());
    c.shut_down();
}

#[test]
fn malformed_input_and_unknown_methods_do_not_stop_the_server() {
    let (_tmp, root) = field_note();
    let mut c = Client::start();
    // Before initialize, a request is refused.
    let r = c.request("textDocument/hover", json!({}));
    assert_eq!(r["error"]["code"], -32002);
    c.initialize(&root, json!({}));
    c.raw("{not json");
    let e = c.wait(|m| m["error"]["code"] == -32700);
    assert_eq!(e["id"], Value::Null);
    c.raw("[1, 2]");
    c.wait(|m| m["error"]["code"] == -32600);
    c.raw(r#"{"jsonrpc":"2.0","id":{"x":1},"method":"shutdown"}"#);
    c.wait(|m| m["error"]["code"] == -32600);
    let r = c.request("no/suchMethod", json!({}));
    assert_eq!(r["error"]["code"], -32601);
    c.notify("no/suchNotification", json!({"x": 1}));
    c.notify("textDocument/didOpen", json!({"textDocument": 5}));
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": "file:///nowhere.tf", "version": 9}, "contentChanges": [{"range": {"start": {"line": 99, "character": 99}, "end": {"line": 0, "character": 0}}, "text": "x"}]}),
    );
    let r = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": 7}}),
    );
    assert_eq!(r["error"]["code"], -32602);
    let r = c.hover("file:///nowhere/x.tf", 4294967295u32, 4294967295u32);
    assert!(
        r.get("error").is_none() || r["error"]["code"] == -32602,
        "{r}"
    );
    // Still serving.
    c.shut_down();
}

#[test]
fn exit_without_shutdown_is_status_1() {
    let (_tmp, root) = field_note();
    let mut c = Client::start();
    c.initialize(&root, json!({}));
    c.notify("exit", Value::Null);
    assert_eq!(c.exit_code(), 1);

    // The input closing without exit: status 1 too.
    let mut c = Client::start();
    drop(c.stdin.take());
    assert_eq!(c.exit_code(), 1);
}

#[test]
fn configuration_is_read_and_reloaded_when_it_changes() {
    let (_tmp, root) = field_note();
    let main = root.join("main.tf");
    let config = root.join(".scopelint.yaml");
    std::fs::write(&config, "rules:\n  SL001: off\n").unwrap();
    let mut c = Client::start();
    c.initialize(&root, json!({}));
    c.open(&main, &std::fs::read_to_string(&main).unwrap());
    assert_eq!(codes(&c.diagnostics(&uri(&main))), Vec::<String>::new());
    std::fs::write(&config, "rules:\n  SL001: warning\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&config), "type": 2}]}),
    );
    let d = c.diagnostics(&uri(&main));
    assert_eq!(codes(&d), ["SL001"]);
    assert_eq!(d["diagnostics"][0]["severity"], 2);
    // A broken configuration is shown on the configuration file.
    std::fs::write(&config, "rules: [\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&config), "type": 2}]}),
    );
    let d = c.diagnostics(&uri(&config));
    assert!(
        d["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("configuration error"),
        "{d}"
    );
    // Fixed and saved from the editor: the errors go, the rules apply.
    std::fs::write(&config, "rules:\n  SL001: note\n").unwrap();
    c.seen.clear();
    c.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri(&config)}}),
    );
    let d = c.diagnostics(&uri(&config));
    assert_eq!(d["diagnostics"], json!([]));
    // The analysis of the broken configuration may still publish main.tf
    // after the clear: wait for the one under the fixed configuration.
    let main_uri = uri(&main);
    c.wait(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == main_uri
            && m["params"]["diagnostics"][0]["severity"] == 3
    });
}

#[test]
fn pulled_diagnostics_match_the_published_ones() {
    let (_tmp, root) = field_note();
    let main = root.join("main.tf");
    let mut c = Client::start();
    let init = c.initialize(
        &root,
        json!({"textDocument": {"diagnostic": {}}, "workspace": {"diagnostics": {"refreshSupport": true}}}),
    );
    assert_eq!(
        init["result"]["capabilities"]["diagnosticProvider"]["identifier"],
        "scopelint"
    );
    c.open(&main, &std::fs::read_to_string(&main).unwrap());
    let r = c.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri(&main)}}),
    );
    assert_eq!(r["result"]["kind"], "full");
    assert_eq!(r["result"]["items"][0]["code"], "SL001");
    // The analysis was published before the answer: nothing was pushed for
    // the open document (it would show twice), and the client was asked to
    // pull again.
    assert!(
        !c.seen
            .iter()
            .any(|m| m["method"] == "textDocument/publishDiagnostics"),
        "{:?}",
        c.seen
    );
    c.wait(|m| m["method"] == "workspace/diagnostic/refresh");
    c.shut_down();
}

#[test]
fn a_gcloud_script_gets_findings_hover_on_an_alias_and_a_flag_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let script = root.join("deploy.sh");
    let text = "#!/bin/sh\nset -e\ngcloud projects add-iam-policy-binding p --member=serviceAccount:app@p.iam.gserviceaccount.com --role=roles/aiplatform.user\ngcloud compute instances create vm --project=p --zone=us-central1-a --service-account=app@p.iam.gserviceaccount.com --scopes=storage-ro,logging-write\n";
    std::fs::write(&script, text).unwrap();
    let mut c = Client::start();
    c.initialize(&root, json!({}));
    c.open(&script, text);
    let d = c.diagnostics(&uri(&script));
    assert_eq!(codes(&d), ["SL001"], "{d}");
    let line = 3;
    let col = text.lines().nth(line).unwrap().find("storage-ro").unwrap() + 2;
    let h = c.hover(&uri(&script), line, col);
    let value = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains("https://www.googleapis.com/auth/devstorage.read_only"),
        "{value}"
    );
    assert!(value.contains("storage.googleapis.com"), "{value}");
    let col = text.lines().nth(line).unwrap().find("--scopes").unwrap() + 3;
    let h = c.hover(&uri(&script), line, col);
    let value = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(value.contains("SL001"), "{value}");
    // Without documentChanges support the fix comes as `changes`.
    let diag = d["diagnostics"][0].clone();
    let r = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&script)}, "range": diag["range"], "context": {"diagnostics": [diag]}}),
    );
    let fix = r["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["isPreferred"] == true)
        .cloned()
        .unwrap_or_else(|| panic!("{r}"));
    let edits = fix["edit"]["changes"][uri(&script)].as_array().unwrap();
    let fixed = apply_edits(text, edits);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&script), "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    let d = c.diagnostics(&uri(&script));
    assert_eq!(codes(&d), Vec::<String>::new(), "{fixed}\n{d}");
}

#[test]
fn a_patch_in_another_file_is_offered_with_that_files_edit() {
    let (_tmp, root) = fixture("values_tfvars_narrows_scopes");
    let main = root.join("main.tf");
    let tfvars = root.join("terraform.tfvars");
    let tfvars_text = std::fs::read_to_string(&tfvars).unwrap();
    let mut c = Client::start();
    c.initialize(
        &root,
        json!({"workspace": {"workspaceEdit": {"documentChanges": true}}}),
    );
    c.open(&main, &std::fs::read_to_string(&main).unwrap());
    let d = c.diagnostics(&uri(&main));
    assert_eq!(codes(&d), ["SL001"], "{d}");
    let diag = d["diagnostics"][0].clone();
    let ask = |c: &mut Client| {
        c.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri(&main)}, "range": diag["range"], "context": {"diagnostics": [diag]}}),
        )["result"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["isPreferred"] == true)
            .cloned()
            .unwrap()
    };
    let fix = ask(&mut c);
    let change = &fix["edit"]["documentChanges"][0];
    // The tfvars value is the patch target; it is not open, so no version.
    assert_eq!(change["textDocument"]["uri"], uri(&tfvars));
    assert_eq!(change["textDocument"]["version"], Value::Null);
    let patched = apply_edits(&tfvars_text, change["edits"].as_array().unwrap());
    assert!(patched.contains("\"cloud-platform\""), "{patched}");
    assert!(!patched.contains("storage-ro"), "{patched}");

    // Opened, its edit names the version the editor has.
    c.open(&tfvars, &tfvars_text);
    c.diagnostics(&uri(&tfvars));
    let fix = ask(&mut c);
    assert_eq!(
        fix["edit"]["documentChanges"][0]["textDocument"]["version"],
        1
    );

    // Every patch at once, when asked for the source action.
    let r = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&main)}, "range": diag["range"], "context": {"diagnostics": [], "only": ["source.fixAll"]}}),
    );
    let all = r["result"].as_array().unwrap();
    assert_eq!(all.len(), 1, "{r}");
    assert_eq!(all[0]["kind"], "source.fixAll.scopelint");
    let edit = &all[0]["edit"]["documentChanges"][0];
    assert_eq!(edit["textDocument"]["uri"], uri(&tfvars));
    assert_eq!(
        apply_edits(&tfvars_text, edit["edits"].as_array().unwrap()),
        patched
    );

    // Applied in the editor (unsaved): the finding on main.tf goes.
    c.seen.clear();
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&tfvars), "version": 2}, "contentChanges": [{"text": patched}]}),
    );
    let d = c.diagnostics(&uri(&main));
    assert_eq!(codes(&d), Vec::<String>::new(), "{d}");
    c.shut_down();
}

#[test]
fn older_texts_are_never_published_over_newer_ones() {
    let (_tmp, root) = field_note();
    let main = root.join("main.tf");
    let main_uri = uri(&main);
    let text = std::fs::read_to_string(&main).unwrap();
    let fixed = text.replace("trace.append", "cloud-platform");
    let mut c = Client::start();
    c.initialize(&root, json!({}));
    c.open(&main, &text);
    c.diagnostics(&main_uri);
    // Changes faster than the analysis: broken and fixed texts alternate,
    // the last one has no finding.
    for v in 2..=11 {
        let t = if v % 2 == 0 { &text } else { &fixed };
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": main_uri, "version": v}, "contentChanges": [{"text": t}]}),
        );
    }
    let last = c.wait(|m| m["params"]["uri"] == main_uri && m["params"]["version"] == 11);
    assert_eq!(codes(&last["params"]), Vec::<String>::new());
    let versions: Vec<i64> = c
        .seen
        .iter()
        .filter(|m| m["params"]["uri"] == main_uri)
        .map(|m| m["params"]["version"].as_i64().unwrap())
        .collect();
    assert!(
        versions.windows(2).all(|w| w[0] < w[1]),
        "published out of order: {versions:?}"
    );
    // Each publication is the analysis of the text of its version.
    for m in c.seen.iter().filter(|m| m["params"]["uri"] == main_uri) {
        let even = m["params"]["version"].as_i64().unwrap() % 2 == 0;
        let want: &[&str] = if even { &["SL001"] } else { &[] };
        assert_eq!(codes(&m["params"]), want, "{m}");
    }
    // Closed while another file of its unit is open: the file on disk
    // (still the original) is analysed.
    let vars = root.join("variables.tf");
    c.open(&vars, &std::fs::read_to_string(&vars).unwrap());
    c.diagnostics(&uri(&vars));
    c.seen.clear();
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": main_uri}}),
    );
    let d = c.diagnostics(&main_uri);
    assert_eq!(codes(&d), ["SL001"]);
    assert_eq!(d.get("version"), None);
    c.shut_down();
}

#[test]
fn the_suppression_action_silences_the_finding() {
    let (_tmp, root) = field_note();
    let main = root.join("main.tf");
    let text = std::fs::read_to_string(&main).unwrap();
    let mut c = Client::start();
    c.initialize(&root, json!({}));
    c.open(&main, &text);
    let d = c.diagnostics(&uri(&main));
    let diag = d["diagnostics"][0].clone();
    let r = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&main)}, "range": diag["range"], "context": {"diagnostics": [diag], "only": ["quickfix"]}}),
    );
    let suppress = r["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Suppress SL001 here (with a reason)")
        .cloned()
        .unwrap_or_else(|| panic!("{r}"));
    let edits = suppress["edit"]["changes"][uri(&main)].as_array().unwrap();
    let silenced = apply_edits(&text, edits);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&main), "version": 2}, "contentChanges": [{"text": silenced}]}),
    );
    let d = c.diagnostics(&uri(&main));
    assert_eq!(d["version"], 2);
    assert_eq!(codes(&d), Vec::<String>::new(), "{silenced}\n{d}");
    c.shut_down();
}

#[test]
fn a_patch_check_would_withhold_is_not_offered() {
    let text = support::SHARED_SCOPES;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let main = root.join("main.tf");
    std::fs::write(&main, text).unwrap();
    let mut c = Client::start();
    c.initialize(&root, json!({}));
    c.open(&main, text);
    let d = c.diagnostics(&uri(&main));
    assert_eq!(codes(&d), ["SL001"], "{d}");
    let diag = d["diagnostics"][0].clone();
    let r = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&main)}, "range": diag["range"], "context": {"diagnostics": [diag]}}),
    );
    let titles: Vec<&str> = r["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Suppress SL001 here (with a reason)"], "{r}");
    c.shut_down();
}

#[test]
fn workspace_folders_come_and_go() {
    let (_a, first) = field_note();
    let (_b, second) = fixture("values_tfvars_narrows_scopes");
    let mut c = Client::start();
    c.initialize(&first, json!({}));
    let main = first.join("main.tf");
    c.open(&main, &std::fs::read_to_string(&main).unwrap());
    assert_eq!(codes(&c.diagnostics(&uri(&main))), ["SL001"]);
    // No document of its unit open: its diagnostics are cleared.
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri(&main)}}),
    );
    assert_eq!(c.diagnostics(&uri(&main))["diagnostics"], json!([]));
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [{"uri": uri(&second), "name": "b"}], "removed": []}}),
    );
    let other = second.join("main.tf");
    c.open(&other, &std::fs::read_to_string(&other).unwrap());
    let d = c.diagnostics(&uri(&other));
    assert_eq!(codes(&d), ["SL001"]);
    // The finding of the second folder is its own: the first one's files are
    // not part of its analysis.
    assert!(
        d["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("google_compute_instance.assistant")
    );
    c.open(&main, &std::fs::read_to_string(&main).unwrap());
    assert_eq!(codes(&c.diagnostics(&uri(&main))), ["SL001"]);
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [], "removed": [{"uri": uri(&first), "name": "a"}]}}),
    );
    assert_eq!(c.diagnostics(&uri(&main))["diagnostics"], json!([]));
    c.shut_down();
}

/// A node pool's scopes patch replaces the pool when deployed: it is offered,
/// named unsafe with its reason, never as the preferred action.
#[test]
fn an_unsafe_patch_is_offered_by_name_and_never_preferred() {
    let (_tmp, root) = fixture("workloads_gke_node_pool");
    let main = root.join("main.tf");
    let text = std::fs::read_to_string(&main).unwrap();
    let mut c = Client::start();
    c.initialize(&root, json!({}));
    c.open(&main, &text);
    let d = c.diagnostics(&uri(&main));
    assert_eq!(codes(&d), ["SL001"], "{d}");
    let diag = d["diagnostics"][0].clone();
    let r = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri(&main)}, "range": diag["range"], "context": {"diagnostics": [diag]}}),
    );
    let actions = r["result"].as_array().unwrap();
    let unsafe_fix = actions
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .starts_with("SL001 (unsafe: deploying it replaces the node pool")
        })
        .unwrap_or_else(|| panic!("{r}"));
    assert_ne!(unsafe_fix["isPreferred"], true, "{r}");
    assert!(unsafe_fix["edit"].is_object(), "{r}");
    assert!(!actions.iter().any(|a| a["isPreferred"] == true), "{r}");
    c.shut_down();
}

/// A file opened in the editor and never saved is analysed from its text,
/// like the files on disk.
#[test]
fn a_file_never_saved_is_analysed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let main = root.join("unsaved.tf");
    let text = r#"resource "google_service_account" "app" {
  account_id = "app"
  project    = "p"
}

resource "google_project_iam_member" "vertex" {
  project = "p"
  role    = "roles/aiplatform.user"
  member  = "serviceAccount:${google_service_account.app.email}"
}

resource "google_compute_instance" "vm" {
  name         = "vm"
  project      = "p"
  zone         = "us-central1-a"
  machine_type = "e2-small"
  boot_disk {
    initialize_params {
      image = "debian-cloud/debian-12"
    }
  }
  network_interface {
    network = "default"
  }
  service_account {
    email  = google_service_account.app.email
    scopes = ["storage-ro"]
  }
}
"#;
    assert!(!main.exists());
    let mut c = Client::start();
    c.initialize(&root, json!({}));
    c.open(&main, text);
    let d = c.diagnostics(&uri(&main));
    assert_eq!(codes(&d), ["SL001"], "{d}");
    c.shut_down();
}

#[test]
fn a_closed_file_is_sent_again_only_when_its_diagnostics_change() {
    let (_tmp, root) = field_note();
    let main = root.join("main.tf");
    let iam = root.join("iam.tf");
    let iam_text = std::fs::read_to_string(&iam).unwrap();
    let mut c = Client::start();
    c.initialize(&root, json!({}));
    // Only the grants are open; the VM's file gets its finding all the same.
    c.open(&iam, &iam_text);
    assert_eq!(codes(&c.diagnostics(&uri(&main))), ["SL001"]);
    c.diagnostics(&uri(&iam));

    // An edit that changes nothing for main.tf (the grant it names stays
    // where it was): only the open file is sent.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&iam), "version": 2}, "contentChanges": [{"text": format!("{iam_text}\n# a comment\n")}]}),
    );
    let d = c.diagnostics(&uri(&iam));
    assert_eq!(d["version"], 2);
    // A later request is answered after the analysis was published.
    c.hover(&uri(&iam), 0, 0);
    assert!(
        !c.seen
            .iter()
            .any(|m| m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri(&main)),
        "main.tf was sent again: {:?}",
        c.seen
    );

    // Without the Vertex AI grant the finding goes: main.tf is sent, empty.
    let without = iam_text.replace("roles/aiplatform.user", "roles/logging.logWriter");
    assert_ne!(without, iam_text);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&iam), "version": 3}, "contentChanges": [{"text": without}]}),
    );
    assert_eq!(codes(&c.diagnostics(&uri(&main))), Vec::<String>::new());
    c.shut_down();
}

#[test]
fn only_the_units_of_open_documents_are_reported() {
    let (_tmp, root) = fixture("units_independent_lab_folders");
    let storage = root.join("lab-storage/main.tf");
    let vertex = root.join("lab-vertex/main.tf");
    let mut c = Client::start();
    c.initialize(&root, json!({}));
    // The storage lab has no finding; the Vertex lab's is not its unit's.
    c.open(&storage, &std::fs::read_to_string(&storage).unwrap());
    assert_eq!(codes(&c.diagnostics(&uri(&storage))), Vec::<String>::new());
    c.hover(&uri(&storage), 0, 0);
    assert!(
        !c.seen.iter().any(|m| m["params"]["uri"] == uri(&vertex)),
        "{:?}",
        c.seen
    );
    // Opened, the Vertex lab is checked; closed, its finding is cleared.
    c.open(&vertex, &std::fs::read_to_string(&vertex).unwrap());
    assert_eq!(codes(&c.diagnostics(&uri(&vertex))), ["SL001"]);
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri(&vertex)}}),
    );
    assert_eq!(c.diagnostics(&uri(&vertex))["diagnostics"], json!([]));
    c.shut_down();
}

#[test]
fn a_grant_in_a_closed_unit_still_meets_an_open_one() {
    // The grant is in `iam/`, the VM in `network/`: two root modules joined
    // by a literal service account email.
    let (_tmp, root) = fixture("modules_literal_email_across_dirs");
    let vm = root.join("network/main.tf");
    let mut c = Client::start();
    c.initialize(&root, json!({}));
    c.open(&vm, &std::fs::read_to_string(&vm).unwrap());
    let d = c.diagnostics(&uri(&vm));
    assert_eq!(codes(&d), ["SL001"], "{d}");
    let related = d["diagnostics"][0]["relatedInformation"]
        .as_array()
        .unwrap();
    assert!(
        related
            .iter()
            .any(|r| r["location"]["uri"].as_str().unwrap().contains("/iam/")),
        "{d}"
    );
    c.shut_down();
}

#[test]
fn an_open_startup_script_brings_in_the_vm_that_runs_it() {
    let (_tmp, root) = fixture("sl006_terraform_startup_scripts");
    let script = root.join("scripts/worker.sh");
    let main = root.join("main.tf");
    let mut c = Client::start();
    c.initialize(&root, json!({}));
    c.open(&script, &std::fs::read_to_string(&script).unwrap());
    let d = c.diagnostics(&uri(&main));
    let found = codes(&d);
    assert!(
        !found.is_empty() && found.iter().all(|c| c == "SL006"),
        "{d}"
    );
    c.shut_down();
}

#[test]
fn a_push_is_withdrawn_when_a_pulling_client_opens_the_file() {
    let (_tmp, root) = field_note();
    let main = root.join("main.tf");
    let iam = root.join("iam.tf");
    let mut c = Client::start();
    c.initialize(&root, json!({"textDocument": {"diagnostic": {}}}));
    c.open(&iam, &std::fs::read_to_string(&iam).unwrap());
    // Closed, main.tf gets its finding pushed.
    assert_eq!(codes(&c.diagnostics(&uri(&main))), ["SL001"]);
    // Opened, it is pulled: the push is withdrawn, or it would show twice
    // (and stay after the finding is gone).
    c.open(&main, &std::fs::read_to_string(&main).unwrap());
    assert_eq!(c.diagnostics(&uri(&main))["diagnostics"], json!([]));
    let pulled = c.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri(&main)}}),
    );
    assert_eq!(
        codes(&json!({"diagnostics": pulled["result"]["items"]})),
        ["SL001"]
    );
    c.shut_down();
}
