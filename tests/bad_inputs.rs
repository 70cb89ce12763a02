#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The bad-input matrix: whatever a repository holds, scopelint reports it
//! with an exact diagnostic, analyses every other file, and neither crashes,
//! hangs nor runs out of memory.

mod support;
use support::apply_fixes;

use assert_cmd::Command;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn scopelint() -> Command {
    let mut cmd = Command::cargo_bin("scopelint").unwrap();
    cmd.env("NO_COLOR", "1").env("COLUMNS", "100");
    // Nothing here may hang: a FIFO read would block forever.
    cmd.timeout(Duration::from_secs(120));
    cmd
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Copies the `.tf` files of a fixture into `to`.
fn copy_fixture(name: &str, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(fixture(name)).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "tf") {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

struct Run {
    report: Value,
    code: i32,
    stderr: String,
}

/// `scopelint check ARGS --format json` in `dir`.
fn check(dir: &Path, args: &[&str]) -> Run {
    let out = scopelint()
        .current_dir(dir)
        .arg("check")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Run {
        report,
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn error(file: &str, line: u64, column: u64, message: &str) -> Value {
    json!({"file": file, "line": line, "column": column, "message": message})
}

/// `(rule, file, line, column)` of every finding.
fn findings(report: &Value) -> Vec<(String, String, u64, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["location"]["file"].as_str().unwrap().to_string(),
                f["location"]["start"]["line"].as_u64().unwrap(),
                f["location"]["start"]["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The field note's module (one SL001 finding on `vm/main.tf`) beside the bad input,
/// to show that every other file is still analysed.
fn tree_with_finding() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_fixture("sl001_field_note_default_sa", &tmp.path().join("vm"));
    tmp
}

fn one_field_note_finding(report: &Value) {
    assert_eq!(
        findings(report),
        vec![("SL001".to_string(), "vm/main.tf".to_string(), 34, 14)],
        "{report:#}"
    );
}

#[test]
fn an_empty_file_is_an_empty_module() {
    let tmp = tree_with_finding();
    std::fs::write(tmp.path().join("vm/empty.tf"), "").unwrap();
    std::fs::write(tmp.path().join("terraform.tfvars"), "").unwrap();
    let run = check(tmp.path(), &["."]);
    assert_eq!(run.report["errors"], json!([]));
    one_field_note_finding(&run.report);
    assert_eq!(run.code, 1);
}

#[test]
fn a_binary_file_with_a_tf_name_is_reported_at_its_first_nul_byte() {
    let tmp = tree_with_finding();
    let mut bytes = b"\x7fELF\x02\x01\x01".to_vec();
    bytes.extend_from_slice(&[0; 64]);
    bytes.extend((0..=255u8).cycle().take(4096));
    std::fs::write(tmp.path().join("vm/tool.tf"), bytes).unwrap();
    let run = check(tmp.path(), &["."]);
    assert_eq!(
        run.report["errors"],
        json!([error(
            "vm/tool.tf",
            1,
            8,
            "binary file (NUL byte): not analysed"
        )])
    );
    one_field_note_finding(&run.report);
    assert_eq!(run.code, 2);
}

#[test]
fn invalid_utf8_is_reported_at_the_first_bad_byte() {
    let tmp = tree_with_finding();
    std::fs::write(
        tmp.path().join("vm/latin1.tf"),
        b"locals {\n  owner = \"J\xf6rg\"\n}\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("vm/terraform.tfvars"), b"\xff\xfe").unwrap();
    let run = check(tmp.path(), &["."]);
    assert_eq!(
        run.report["errors"],
        json!([
            error("vm/latin1.tf", 2, 13, "file is not valid UTF-8"),
            error("vm/terraform.tfvars", 1, 1, "file is not valid UTF-8"),
        ])
    );
    one_field_note_finding(&run.report);
    assert_eq!(run.code, 2);
}

#[test]
fn a_utf8_bom_is_skipped_and_spans_still_point_into_the_file() {
    let plain = tree_with_finding();
    let bom = tree_with_finding();
    for name in ["main.tf", "iam.tf"] {
        let path = bom.path().join("vm").join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("\u{feff}{text}")).unwrap();
    }
    let before = check(plain.path(), &["."]).report;
    let run = check(bom.path(), &["."]);
    assert_eq!(run.report["errors"], json!([]));
    // Same lines and columns; byte offsets count the three BOM bytes.
    assert_eq!(findings(&run.report), findings(&before));
    let f = &run.report["findings"][0];
    let g = &before["findings"][0];
    assert_eq!(
        f["location"]["start"]["byte"].as_u64().unwrap(),
        g["location"]["start"]["byte"].as_u64().unwrap() + 3
    );
    assert_eq!(
        f["related"][0]["start"]["byte"].as_u64().unwrap(),
        g["related"][0]["start"]["byte"].as_u64().unwrap() + 3
    );
    // The patch lands on the same text and keeps the BOM.
    apply_fixes(bom.path(), &run.report);
    let patched = std::fs::read_to_string(bom.path().join("vm/main.tf")).unwrap();
    assert!(patched.starts_with('\u{feff}'));
    assert!(patched.contains("\"https://www.googleapis.com/auth/cloud-platform\",\n    ]"));
    let after = check(bom.path(), &["."]);
    assert_eq!(after.report["findings"], json!([]));
    assert_eq!(after.code, 0);

    // A parse error on the first line is placed as an editor shows it.
    std::fs::write(bom.path().join("vm/broken.tf"), "\u{feff}x = = 1\n").unwrap();
    let run = check(bom.path(), &["."]);
    assert_eq!(run.report["errors"][0]["line"], 1);
    assert_eq!(run.report["errors"][0]["column"], 5);
}

#[test]
fn crlf_line_endings_give_the_same_findings_and_patches_keep_them() {
    let lf = tree_with_finding();
    let crlf = tree_with_finding();
    for e in std::fs::read_dir(crlf.path().join("vm")).unwrap() {
        let path = e.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace('\n', "\r\n")).unwrap();
    }
    let before = check(lf.path(), &["."]).report;
    let run = check(crlf.path(), &["."]);
    assert_eq!(run.report["errors"], json!([]));
    assert_eq!(findings(&run.report), findings(&before));
    assert_eq!(
        run.report["findings"][0]["message"],
        before["findings"][0]["message"]
    );
    let edits = run.report["findings"][0]["fix"]["edits"]
        .as_array()
        .unwrap();
    assert_eq!(edits.len(), 1);
    let replacement = edits[0]["replacement"].as_str().unwrap();
    assert_eq!(
        replacement,
        "\r\n      \"https://www.googleapis.com/auth/cloud-platform\","
    );
    apply_fixes(crlf.path(), &run.report);
    let patched = std::fs::read_to_string(crlf.path().join("vm/main.tf")).unwrap();
    assert_eq!(
        patched.matches('\n').count(),
        patched.matches("\r\n").count(),
        "a bare LF was introduced"
    );
    let after = check(crlf.path(), &["."]);
    assert_eq!(after.report["findings"], json!([]));
    assert_eq!(after.code, 0);
}

#[test]
fn patches_of_crlf_scripts_and_yaml_keep_crlf() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for name in [
        "gcloud_patch_styles",
        "gcloud_cloud_build",
        "krm_compute_instance_sl001",
        "krm_iam_partial_policy",
        "krm_node_pool_ref_sa",
    ] {
        support::copy_dir(&fixture(name), &tmp.path().join(name));
    }
    for e in walk(tmp.path()) {
        let name = e.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".sh") || name.ends_with(".yaml") {
            let text = std::fs::read_to_string(&e).unwrap();
            std::fs::write(&e, text.replace('\n', "\r\n")).unwrap();
            files.push(e);
        }
    }
    let run = check(tmp.path(), &["."]);
    assert_eq!(run.report["errors"], json!([]));
    let changed = apply_fixes(tmp.path(), &run.report);
    assert!(changed.len() >= 5, "{changed:?}");
    let after = check(tmp.path(), &["."]);
    assert_eq!(
        after.report["errors"],
        json!([]),
        "a patched file no longer parses"
    );
    for path in files {
        let patched = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            patched.matches('\n').count(),
            patched.matches("\r\n").count(),
            "a bare LF was introduced in {}",
            path.display()
        );
    }
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The head of a Config Connector object, for the KRM bad inputs.
const KRM: &str = "apiVersion: compute.cnrm.cloud.google.com/v1beta1\nkind: ComputeInstance\n";

#[test]
fn hostile_config_connector_yaml_is_reported_or_ignored_never_a_crash() {
    let tmp = tree_with_finding();
    let dir = tmp.path().join("k8s");
    std::fs::create_dir_all(&dir).unwrap();
    let n = 100_000;
    let files = [
        // Nesting far beyond the parser's depth budget.
        (
            "deep.yaml",
            format!("{KRM}spec: {}{}\n", "[".repeat(n), "]".repeat(n)),
        ),
        // An alias bomb: each level doubles the one before.
        ("aliases.yaml", {
            let mut t = format!("{KRM}a0: &a0 [x, x]\n");
            for i in 1..40 {
                t.push_str(&format!("a{i}: &a{i} [*a{}, *a{}]\n", i - 1, i - 1));
            }
            t
        }),
        // A storm of documents.
        ("documents.yaml", format!("{KRM}{}", "---\n".repeat(n))),
        // Fields of the wrong shape everywhere a value is read.
        (
            "shapes.yaml",
            format!(
                "{KRM}metadata: [1, 2]\nspec:\n  serviceAccount: [scopes]\n---\n\
                 {KRM}metadata: {{name: {{a: b}}}}\nspec: {{serviceAccount: {{scopes: {{a: b}}, serviceAccountRef: [x]}}}}\n---\n\
                 apiVersion: [iam.cnrm.cloud.google.com/v1beta1]\nkind: IAMPolicyMember\n---\n\
                 apiVersion: iam.cnrm.cloud.google.com/v1beta1\nkind: IAMPartialPolicy\nmetadata: {{name: p}}\n\
                 spec: {{bindings: [{{role: [r], members: x}}, 7, {{role: roles/editor, members: [[], {{memberFrom: 3}}]}}]}}\n"
            ),
        ),
        // Twenty thousand scopes on one line.
        (
            "scopes.yaml",
            format!(
                "{KRM}metadata: {{name: big}}\nspec:\n  serviceAccount:\n    scopes: [{}trace]\n",
                "logging-write, ".repeat(20_000)
            ),
        ),
        // Not YAML at all, after a Config Connector head.
        ("broken.yaml", format!("{KRM}metadata: {{name: [\n")),
        // A Helm template: YAML only once Helm has run.
        (
            "helm.yaml",
            format!("{KRM}metadata: {{{{ toYaml .Values.meta }}}}\nspec: [\n"),
        ),
    ];
    for (name, text) in &files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let run = check(tmp.path(), &["."]);
    let errors: Vec<&str> = run.report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].as_str().unwrap())
        .collect();
    // Each unparsable file is named, with a position; the others are read.
    assert!(errors.contains(&"k8s/broken.yaml"), "{errors:?}");
    assert!(errors.contains(&"k8s/deep.yaml"), "{errors:?}");
    assert!(!errors.contains(&"k8s/shapes.yaml"), "{errors:?}");
    assert!(!errors.contains(&"k8s/scopes.yaml"), "{errors:?}");
    assert!(!errors.contains(&"k8s/helm.yaml"), "{errors:?}");
    for e in run.report["errors"].as_array().unwrap() {
        assert!(e["line"].as_u64().unwrap() >= 1, "{e}");
        assert!(!e["message"].as_str().unwrap().contains("panic"), "{e}");
    }
    one_field_note_finding(&run.report);
    assert_eq!(run.code, 2);
}

#[test]
fn a_100_mb_file_is_skipped_with_a_note_above_the_size_limit() {
    let tmp = tree_with_finding();
    // Sparse: 100 MiB without writing them. All NUL bytes, so when it is read
    // the binary check reports it.
    let big = std::fs::File::create(tmp.path().join("vm/generated.tf")).unwrap();
    big.set_len(100 * 1024 * 1024).unwrap();
    drop(big);
    let run = check(tmp.path(), &["."]);
    assert_eq!(
        run.report["errors"],
        json!([error(
            "vm/generated.tf",
            0,
            0,
            "file is 100 MiB, over the 10 MiB limit: not analysed (raise it with --max-file-size)"
        )])
    );
    one_field_note_finding(&run.report);
    assert_eq!(run.code, 2);

    // Above the limit it is read whole (and here found to be binary).
    for limit in ["200MiB", "0"] {
        let run = check(tmp.path(), &[".", "--max-file-size", limit]);
        assert_eq!(
            run.report["errors"],
            json!([error(
                "vm/generated.tf",
                1,
                1,
                "binary file (NUL byte): not analysed"
            )])
        );
        one_field_note_finding(&run.report);
    }

    // The limit applies to text files too, with the size in the note.
    let run = check(tmp.path(), &["vm/main.tf", "--max-file-size", "1KiB"]);
    let errors = run.report["errors"].as_array().unwrap();
    assert!(
        errors.contains(&error(
            "vm/main.tf",
            0,
            0,
            "file is 1.3 KiB, over the 1 KiB limit: not analysed (raise it with --max-file-size)"
        )),
        "{errors:#?}"
    );
}

#[test]
fn a_bad_size_limit_is_a_usage_error() {
    let out = scopelint()
        .args(["check", ".", "--max-file-size", "10 parsecs"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown size unit `parsecs`"));
}

#[test]
fn expressions_nested_100000_deep_are_a_parse_error_not_a_stack_overflow() {
    let tmp = tree_with_finding();
    let n = 100_000;
    let dir = tmp.path().join("vm");
    std::fs::write(
        dir.join("lists.tf"),
        format!("locals {{\n  x = {}{}\n}}\n", "[".repeat(n), "]".repeat(n)),
    )
    .unwrap();
    std::fs::write(
        dir.join("parens.tf"),
        format!("locals {{\n  y = {}1{}\n}}\n", "(".repeat(n), ")".repeat(n)),
    )
    .unwrap();
    std::fs::write(
        dir.join("not.tf"),
        format!("locals {{\n  z = {}true\n}}\n", "!".repeat(n)),
    )
    .unwrap();
    std::fs::write(
        dir.join("templates.tf"),
        format!(
            "locals {{\n  t = \"{}{}\"\n}}\n",
            "${\"".repeat(n),
            "\"}".repeat(n)
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("blocks.tf"),
        format!("{}{}", "a {\n".repeat(n), "}\n".repeat(n)),
    )
    .unwrap();
    std::fs::write(
        dir.join("sum.tf"),
        format!("locals {{\n  s = {}1\n}}\n", "1 + ".repeat(n)),
    )
    .unwrap();
    let run = check(tmp.path(), &["."]);
    let depth = "cannot parse: invalid nesting depth; expected at most 64 nested levels";
    assert_eq!(
        run.report["errors"],
        json!([
            error("vm/blocks.tf", 65, 3, depth),
            error("vm/lists.tf", 2, 71, depth),
            error("vm/not.tf", 2, 71, depth),
            error("vm/parens.tf", 2, 71, depth),
            error(
                "vm/sum.tf",
                2,
                521,
                "cannot parse: invalid binary operation; expected at most 128 chained binary operators"
            ),
            error("vm/templates.tf", 2, 199, depth),
        ])
    );
    one_field_note_finding(&run.report);
    assert_eq!(run.code, 2);
}

#[test]
fn a_chain_of_100000_locals_stays_unknown() {
    // Within the parser's limits, references can still chain without end; the
    // evaluator stops at its own depth limit and the value stays unknown.
    let tmp = tempfile::tempdir().unwrap();
    let n = 100_000;
    let mut text = String::from("locals {\n");
    for i in 0..n {
        text.push_str(&format!("  l{i} = local.l{}\n", i + 1));
    }
    text.push_str(&format!(
        "  l{n} = [\"storage-ro\"]\n  self = local.self\n}}\n"
    ));
    text.push_str(
        r#"
resource "google_project_iam_member" "vertex" {
  project = "p"
  role    = "roles/aiplatform.user"
  member  = "serviceAccount:app@p.iam.gserviceaccount.com"
}

resource "google_compute_instance" "vm" {
  name = "vm"
  service_account {
    email  = "app@p.iam.gserviceaccount.com"
    scopes = local.l0
  }
}

resource "google_compute_instance" "cycle" {
  name = "cycle"
  service_account {
    email  = "app@p.iam.gserviceaccount.com"
    scopes = local.self
  }
}
"#,
    );
    std::fs::write(tmp.path().join("main.tf"), text).unwrap();
    let run = check(tmp.path(), &[".", "--verbose"]);
    assert_eq!(run.report["errors"], json!([]));
    assert_eq!(run.report["findings"], json!([]));
    assert_eq!(run.code, 0);
}

#[cfg(unix)]
#[test]
fn symlinks_inside_the_tree_are_never_followed() {
    use std::os::unix::fs::symlink;
    let tmp = tree_with_finding();
    let elsewhere = tempfile::tempdir().unwrap();
    // A module outside the scanned root with a finding of its own.
    copy_fixture("sl003_empty_scopes", elsewhere.path());
    let vm = tmp.path().join("vm");
    symlink("loop2.tf", vm.join("loop1.tf")).unwrap();
    symlink("loop1.tf", vm.join("loop2.tf")).unwrap();
    symlink("missing.tf", vm.join("dangling.tf")).unwrap();
    symlink(elsewhere.path().join("main.tf"), vm.join("outside.tf")).unwrap();
    symlink(elsewhere.path(), tmp.path().join("linked-module")).unwrap();
    symlink(".", vm.join("self")).unwrap();

    let run = check(tmp.path(), &[".", "--verbose"]);
    assert_eq!(run.report["errors"], json!([]));
    one_field_note_finding(&run.report);
    assert_eq!(run.code, 1);
    let skipped: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("skipped"))
        .collect();
    assert_eq!(
        skipped,
        vec![
            "vm/dangling.tf: skipped: symbolic link, not followed",
            "vm/loop1.tf: skipped: symbolic link, not followed",
            "vm/loop2.tf: skipped: symbolic link, not followed",
            "vm/outside.tf: skipped: symbolic link, not followed",
        ]
    );

    // Named on the command line, a path is followed like any command follows it.
    let run = check(
        tmp.path(),
        &["vm/loop1.tf", "vm/dangling.tf", "linked-module"],
    );
    assert_eq!(
        run.report["errors"],
        json!([
            error(
                "vm/dangling.tf",
                0,
                0,
                "cannot read path: No such file or directory (os error 2)"
            ),
            error(
                "vm/loop1.tf",
                0,
                0,
                "cannot read path: Too many levels of symbolic links (os error 40)"
            ),
        ])
    );
    assert_eq!(
        findings(&run.report)
            .into_iter()
            .map(|f| f.0)
            .collect::<Vec<_>>(),
        vec!["SL003", "SL003"]
    );
}

#[cfg(unix)]
fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_reported_and_the_rest_analysed() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tree_with_finding();
    let secret = tmp.path().join("vm/secret.tf");
    std::fs::write(&secret, "locals {}\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    if is_root() {
        // Permission bits do not stop root; the tests below (a FIFO, a file
        // that fails to read, a file deleted or replaced while scanning) cover
        // the other ways a read fails.
        eprintln!("skipped: running as root, mode 000 does not make a file unreadable");
        return;
    }
    let run = check(tmp.path(), &["."]);
    assert_eq!(
        run.report["errors"],
        json!([error(
            "vm/secret.tf",
            0,
            0,
            "cannot read file: Permission denied (os error 13)"
        )])
    );
    one_field_note_finding(&run.report);
    assert_eq!(run.code, 2);
}

#[cfg(target_os = "linux")]
#[test]
fn a_file_whose_read_fails_is_reported() {
    // /proc/self/mem is a regular file whose first page cannot be read, for
    // root too: an honest I/O error.
    let tmp = tree_with_finding();
    std::os::unix::fs::symlink("/proc/self/mem", tmp.path().join("vm/mem.tf")).unwrap();
    let run = check(tmp.path(), &["vm/mem.tf"]);
    assert_eq!(
        run.report["errors"],
        json!([error(
            "vm/mem.tf",
            0,
            0,
            "cannot read file: Input/output error (os error 5)"
        )])
    );
    // Its module is analysed, but the finding does not involve the named file.
    assert_eq!(run.report["findings"], json!([]));
    assert_eq!(run.code, 2);
}

/// A startup script named by `file()`/`templatefile()` is read like an input:
/// a symbolic link is not followed, and a device or an oversized file is not
/// read (it would never end).
#[cfg(unix)]
#[test]
fn startup_script_files_are_read_like_inputs() {
    use std::os::unix::fs::symlink;
    let sl006 = |run: &Run| -> Vec<String> {
        run.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "SL006")
            .map(|f| f["workload"]["address"].as_str().unwrap().to_string())
            .collect()
    };
    let tmp = tempfile::tempdir().unwrap();
    support::copy_dir(&fixture("sl006_terraform_startup_scripts"), tmp.path());
    let before = check(tmp.path(), &["."]);
    assert!(sl006(&before).contains(&"google_compute_instance.cache".to_string()));

    // The templated script of `cache` becomes a link to a copy outside the tree.
    let elsewhere = tempfile::tempdir().unwrap();
    let script = tmp.path().join("scripts/cache.sh.tpl");
    std::fs::copy(&script, elsewhere.path().join("cache.sh.tpl")).unwrap();
    std::fs::remove_file(&script).unwrap();
    symlink(elsewhere.path().join("cache.sh.tpl"), &script).unwrap();
    let linked = check(tmp.path(), &["."]);
    assert_eq!(linked.report["errors"], json!([]));
    let mut want = sl006(&before);
    want.retain(|a| a != "google_compute_instance.cache");
    assert_eq!(sl006(&linked), want);

    // A device: not a regular file, so not read (and the run ends).
    let main = tmp.path().join("main.tf");
    let text = std::fs::read_to_string(&main).unwrap();
    let text = text.replace("${path.module}/scripts/cache.sh.tpl", "/dev/zero");
    std::fs::write(&main, text).unwrap();
    let device = check(tmp.path(), &["."]);
    assert_eq!(device.report["errors"], json!([]));
    assert_eq!(sl006(&device), want);
}

/// `terraform init`'s module manifest is read through the same guarded reader
/// as the inputs: as a FIFO it is not a regular file, so it is not read, and
/// the root beside it is analysed as if there were none.
#[cfg(unix)]
#[test]
fn a_fifo_module_manifest_never_blocks_the_run() {
    let tmp = tree_with_finding();
    let modules = tmp.path().join("vm/.terraform/modules");
    std::fs::create_dir_all(&modules).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(modules.join("modules.json"))
        .status()
        .unwrap();
    assert!(status.success());
    for args in [&["."][..], &["vm/main.tf"][..]] {
        let out = scopelint()
            .timeout(Duration::from_secs(30))
            .current_dir(tmp.path())
            .arg("check")
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?} did not finish normally"
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["errors"], json!([]));
        one_field_note_finding(&report);
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_never_blocks_the_run() {
    let tmp = tree_with_finding();
    let status = std::process::Command::new("mkfifo")
        .arg(tmp.path().join("vm/pipe.tf"))
        .status()
        .unwrap();
    assert!(status.success());
    // In the tree: skipped like a symlink.
    let run = check(tmp.path(), &[".", "--verbose"]);
    assert_eq!(run.report["errors"], json!([]));
    one_field_note_finding(&run.report);
    assert!(
        run.stderr
            .contains("vm/pipe.tf: skipped: not a regular file")
    );
    // Named: an error, without opening it.
    let run = check(tmp.path(), &["vm/pipe.tf"]);
    assert_eq!(
        run.report["errors"],
        json!([error(
            "vm/pipe.tf",
            0,
            0,
            "cannot read file: not a regular file"
        )])
    );
    assert_eq!(run.code, 2);
}

#[test]
fn a_directory_named_like_a_tf_file_is_walked() {
    let tmp = tempfile::tempdir().unwrap();
    copy_fixture("sl001_field_note_default_sa", &tmp.path().join("vm.tf"));
    let run = check(tmp.path(), &["."]);
    assert_eq!(run.report["errors"], json!([]));
    assert_eq!(
        findings(&run.report),
        vec![("SL001".to_string(), "vm.tf/main.tf".to_string(), 34, 14)]
    );
    let run = check(tmp.path(), &["vm.tf"]);
    assert_eq!(run.report["errors"], json!([]));
    assert_eq!(findings(&run.report).len(), 1);
}

#[test]
fn a_path_that_does_not_exist_is_an_error() {
    let tmp = tree_with_finding();
    let run = check(tmp.path(), &["vm", "no/such/dir", "gone.tf"]);
    assert_eq!(
        run.report["errors"],
        json!([
            error(
                "gone.tf",
                0,
                0,
                "cannot read path: No such file or directory (os error 2)"
            ),
            error(
                "no/such/dir",
                0,
                0,
                "cannot read path: No such file or directory (os error 2)"
            ),
        ])
    );
    one_field_note_finding(&run.report);
    assert_eq!(run.code, 2);
}

mod in_process {
    //! Files that change between discovery and reading, through the library:
    //! the same two steps the command runs, with the change made in between.

    use super::*;
    use scopelint::knowledge::Knowledge;
    use scopelint::{Options, discover, render};

    fn errors(tmp: &Path, change: impl FnOnce(&Path)) -> (Vec<(String, String)>, usize) {
        let opts = Options {
            paths: vec![tmp.to_path_buf()],
            ..Options::default()
        };
        let found = discover::discover(&opts.paths);
        change(tmp);
        let outcome = scopelint::run_discovered(&opts, Knowledge::get().unwrap(), found);
        // Both renderers cope with a file that vanished.
        let all: Vec<_> = outcome.findings.iter().collect();
        render::json::render(&outcome, &all);
        render::pretty::render(
            &outcome,
            &all,
            render::pretty::Style {
                color: false,
                width: 80,
            },
        );
        let errs = outcome
            .errors
            .iter()
            .map(|e| {
                let name = Path::new(&e.file)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                (name, e.message.clone())
            })
            .collect();
        (errs, outcome.findings.len())
    }

    #[test]
    fn a_file_deleted_while_scanning_is_reported() {
        let tmp = tree_with_finding();
        std::fs::write(
            tmp.path().join("vm/outputs.tf"),
            "output \"x\" {\n value = 1\n}\n",
        )
        .unwrap();
        let (errs, n) = errors(tmp.path(), |t| {
            std::fs::remove_file(t.join("vm/outputs.tf")).unwrap();
        });
        assert_eq!(
            errs,
            vec![(
                "outputs.tf".to_string(),
                "cannot read file: No such file or directory (os error 2)".to_string()
            )]
        );
        assert_eq!(n, 1);
    }

    #[test]
    fn a_file_replaced_by_a_directory_while_scanning_is_reported() {
        let tmp = tree_with_finding();
        let (errs, n) = errors(tmp.path(), |t| {
            std::fs::remove_file(t.join("vm/providers.tf")).unwrap();
            std::fs::create_dir(t.join("vm/providers.tf")).unwrap();
        });
        assert_eq!(
            errs,
            vec![(
                "providers.tf".to_string(),
                "cannot read file: a directory".to_string()
            )]
        );
        assert_eq!(n, 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_replaced_by_a_fifo_while_scanning_does_not_block() {
        let tmp = tree_with_finding();
        let (errs, _) = errors(tmp.path(), |t| {
            std::fs::remove_file(t.join("vm/providers.tf")).unwrap();
            let ok = std::process::Command::new("mkfifo")
                .arg(t.join("vm/providers.tf"))
                .status()
                .unwrap()
                .success();
            assert!(ok);
        });
        assert_eq!(
            errs,
            vec![(
                "providers.tf".to_string(),
                "cannot read file: not a regular file".to_string()
            )]
        );
    }

    #[test]
    fn a_file_that_grows_past_the_limit_while_scanning_is_not_read_whole() {
        let tmp = tree_with_finding();
        let opts = Options {
            paths: vec![tmp.path().to_path_buf()],
            max_file_size: Some(4096),
            ..Options::default()
        };
        let found = discover::discover(&opts.paths);
        std::fs::write(tmp.path().join("vm/providers.tf"), "#".repeat(5000)).unwrap();
        let outcome = scopelint::run_discovered(&opts, Knowledge::get().unwrap(), found);
        assert_eq!(outcome.errors.len(), 1);
        assert_eq!(
            outcome.errors[0].message,
            "file is 4.9 KiB, over the 4 KiB limit: not analysed (raise it with --max-file-size)"
        );
    }
}

/// The same input gives byte-identical output whatever the number of threads.
#[test]
fn output_is_identical_across_runs_and_thread_counts() {
    let root = env!("CARGO_MANIFEST_DIR");
    for format in ["json", "pretty"] {
        let mut outputs = Vec::new();
        for threads in ["1", "2", "3", "8", ""] {
            let mut cmd = scopelint();
            cmd.current_dir(root)
                .args(["check", "fixtures", "--format", format]);
            if !threads.is_empty() {
                cmd.env("RAYON_NUM_THREADS", threads);
            }
            let out = cmd.output().unwrap();
            assert_eq!(out.status.code(), Some(2), "fixtures hold a broken file");
            outputs.push((threads, out.stdout));
        }
        let (_, first) = &outputs[0];
        assert!(first.len() > 10_000);
        for (threads, out) in &outputs {
            assert!(
                out == first,
                "{format} output with RAYON_NUM_THREADS={threads:?} differs from 1 thread"
            );
        }
    }
}
