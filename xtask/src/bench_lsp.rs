//! The language server case of `bench`: a scripted client opens one file of
//! a 50-file module, makes edits one at a time (incremental sync), and times
//! each from sending `didChange` to receiving the `publishDiagnostics` of
//! that version.

use crate::Result;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// How long one answer may take before the case fails.
const DEADLINE: Duration = Duration::from_secs(120);

fn frame(w: &mut impl Write, v: &Value) -> std::io::Result<()> {
    let body = v.to_string();
    write!(w, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    w.flush()
}

/// Reads framed messages from the server into a channel.
fn reader(out: impl Read + Send + 'static) -> Receiver<Value> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut r = BufReader::new(out);
        loop {
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(v) = line.strip_prefix("Content-Length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if r.read_exact(&mut body).is_err() {
                return;
            }
            let Ok(v) = serde_json::from_slice::<Value>(&body) else {
                return;
            };
            if tx.send(v).is_err() {
                return;
            }
        }
    });
    rx
}

fn wait(rx: &Receiver<Value>, want: impl Fn(&Value) -> bool) -> Result<Value> {
    let end = Instant::now() + DEADLINE;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        let m = rx
            .recv_timeout(left)
            .map_err(|_| "the language server did not answer in time")?;
        if want(&m) {
            return Ok(m);
        }
    }
}

fn uri(path: &Path) -> String {
    let mut out = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What the scripted client measured: each edit's latency, sorted, and the
/// server's resident memory in KiB after the last edit and at its peak
/// (where `/proc` tells them).
pub struct Measured {
    pub latencies: Vec<Duration>,
    pub rss_kib: Option<u64>,
    pub peak_kib: Option<u64>,
}

/// A `/proc/PID/status` field in KiB (`VmRSS`, `VmHWM`).
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The latencies of `edits` changes to `file` (in the workspace folder `dir`).
pub fn latencies(bin: &Path, dir: &Path, file: &Path, edits: usize) -> Result<Measured> {
    let mut child = Command::new(bin)
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let rx = reader(child.stdout.take().ok_or("no stdout")?);
    let file_uri = uri(file);
    frame(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": null, "rootUri": uri(dir), "capabilities": {},
            "workspaceFolders": [{"uri": uri(dir), "name": "bench"}]}}),
    )?;
    wait(&rx, |m| m["id"] == 1)?;
    frame(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    )?;
    let text = std::fs::read_to_string(file)?;
    frame(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": file_uri, "languageId": "terraform", "version": 1, "text": text}}}),
    )?;
    let published = |version: i64| {
        let u = file_uri.clone();
        move |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == u
                && m["params"]["version"] == version
        }
    };
    wait(&rx, published(1))?;
    let mut out = Vec::with_capacity(edits);
    for i in 0..edits {
        let version = i as i64 + 2;
        let change = json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": file_uri, "version": version},
            "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                                "text": format!("# edit {i}\n")}]}});
        let start = Instant::now();
        frame(&mut stdin, &change)?;
        wait(&rx, published(version))?;
        out.push(start.elapsed());
    }
    let rss = status_kib(child.id(), "VmRSS:");
    let peak = status_kib(child.id(), "VmHWM:");
    frame(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}),
    )?;
    wait(&rx, |m| m["id"] == 2)?;
    frame(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
    )?;
    drop(stdin);
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("the language server exited with {status}").into());
    }
    out.sort();
    Ok(Measured {
        latencies: out,
        rss_kib: rss,
        peak_kib: peak,
    })
}
