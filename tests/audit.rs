#![allow(clippy::unwrap_used, clippy::expect_used)]

//! `scopelint audit` on the hand-written exports under `fixtures/audit/`:
//! each case holds the exports, an `args` file (the command line, one
//! argument pair per line, paths relative to the case), the hand-written
//! `expect.txt`, the blessed `expected.json` and `expected.pretty`, and
//! `expected.fix.sh` for the fix script, which must also pass `bash -n` and
//! shellcheck.
//!
//! `SCOPELINT_BLESS=1 cargo test --test audit` rewrites the expected outputs.

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/audit");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty());
    dirs
}

fn scopelint(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("scopelint").unwrap();
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .timeout(std::time::Duration::from_secs(120))
        .arg("audit");
    cmd
}

fn args(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("args"))
        .unwrap()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// The findings of a JSON report as `expect.txt` lines: `RULE ADDRESS API`
/// (notes as `note  ADDRESS API`), and `error FILE` per unreadable export.
fn summary(report: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    for f in report["findings"].as_array().unwrap() {
        let rule = f["rule"].as_str().unwrap();
        let label = if f["severity"] == "note" {
            "note "
        } else {
            rule
        };
        let address = f["workload"]["address"].as_str().unwrap();
        let apis = f["apis"].as_array().unwrap();
        if apis.is_empty() {
            lines.push(format!("{label} {address} -"));
        }
        for api in apis {
            lines.push(format!(
                "{label} {address} {}",
                api["service"].as_str().unwrap()
            ));
        }
    }
    for e in report["errors"].as_array().unwrap() {
        lines.push(format!("error {}", e["file"].as_str().unwrap()));
    }
    lines.sort();
    lines
}

/// shellcheck from `.ci/install-tools` (required under CI, else skipped loudly).
fn shellcheck() -> Option<PathBuf> {
    let path = std::env::var_os("SCOPELINT_CI_TOOLS")
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-tools"),
            PathBuf::from,
        )
        .join("venv/bin/shellcheck");
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: .ci/run must install shellcheck",
        path.display()
    );
    eprintln!(
        "\n*** SKIPPED: shellcheck: {} does not exist (run .ci/install-tools) ***\n",
        path.display()
    );
    None
}

#[test]
fn every_audit_case_matches_its_expected_output() {
    let mut failures = Vec::new();
    for dir in cases() {
        let args = args(&dir);
        let out = scopelint(&dir)
            .args(&args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        let json = String::from_utf8(out.stdout).unwrap();
        let code = out.status.code().unwrap();
        let report: Value = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("{}: {e}\n{json}", dir.display()));
        support::compare_snapshot(
            &dir.join("expected.json"),
            &json,
            &mut failures,
            false,
            "audit",
        );
        let pretty = scopelint(&dir).args(&args).output().unwrap();
        assert_eq!(pretty.status.code(), Some(code), "{}", dir.display());
        let text = String::from_utf8(pretty.stdout).unwrap();
        support::compare_snapshot(
            &dir.join("expected.pretty"),
            &text,
            &mut failures,
            false,
            "audit",
        );

        let mut want: Vec<String> = std::fs::read_to_string(dir.join("expect.txt"))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect();
        want.sort();
        let got = summary(&report);
        assert_eq!(
            got,
            want,
            "{}: findings differ from expect.txt",
            dir.display()
        );
        let fails = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["severity"] != "note");
        let has_errors = !report["errors"].as_array().unwrap().is_empty();
        let want_code = if has_errors { 2 } else { i32::from(fails) };
        assert_eq!(code, want_code, "{}", dir.display());

        // The fix script: blessed, valid bash, clean under shellcheck.
        let tmp = tempfile::tempdir().unwrap();
        let script = tmp.path().join("fix.sh");
        scopelint(&dir)
            .args(&args)
            .arg("--fix-script")
            .arg(&script)
            .output()
            .unwrap();
        let written = std::fs::read_to_string(&script).unwrap_or_default();
        support::compare_snapshot(
            &dir.join("expected.fix.sh"),
            &written,
            &mut failures,
            true,
            "audit",
        );
        if !written.is_empty() {
            let syntax = std::process::Command::new("bash")
                .arg("-n")
                .arg(&script)
                .status()
                .unwrap();
            assert!(syntax.success(), "{}: bash -n", dir.display());
            if let Some(shellcheck) = shellcheck() {
                let out = std::process::Command::new(shellcheck)
                    .arg(&script)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}: shellcheck:\n{}",
                    dir.display(),
                    String::from_utf8_lossy(&out.stdout)
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

const FIELD_NOTE: &str = "fixtures/audit/field_note";

fn field_note_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["instances.json", "iam-policy.json", "services.json"] {
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(FIELD_NOTE)
                .join(name),
            tmp.path().join(name),
        )
        .unwrap();
    }
    tmp
}

#[test]
fn a_malformed_export_is_an_error_with_its_line_and_the_rest_is_analysed() {
    let tmp = field_note_copy();
    write(
        tmp.path(),
        "more.json",
        "[\n  {\"name\": \"vm\",\n  \"zone\": }\n]\n",
    );
    write(tmp.path(), "policy-object.json", "[]\n");
    let out = scopelint(tmp.path())
        .args(["--instances", "instances.json", "--instances", "more.json"])
        .args([
            "--iam-policy",
            "iam-policy.json",
            "--iam-policy",
            "ml-lab=policy-object.json",
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0]["file"], "more.json");
    assert_eq!(errors[0]["line"], 3);
    assert!(
        errors[1]["message"]
            .as_str()
            .unwrap()
            .contains("IAM policy object"),
        "{errors:?}"
    );
    assert_eq!(report["findings"].as_array().unwrap().len(), 2);
}

#[test]
fn a_policy_without_its_project_needs_one_when_instances_span_several() {
    let tmp = field_note_copy();
    let other = std::fs::read_to_string(tmp.path().join("instances.json"))
        .unwrap()
        .replace("projects/ml-lab/", "projects/ml-prod/");
    write(tmp.path(), "prod.json", &other);
    let out = scopelint(tmp.path())
        .args(["--instances", "instances.json", "--instances", "prod.json"])
        .args(["--iam-policy", "iam-policy.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("does not name its project"), "{stderr}");
    assert!(stderr.contains("2 projects"), "{stderr}");
    // Named, it applies: its members are literal accounts, so both projects' VMs hold the role.
    let out = scopelint(tmp.path())
        .args(["--instances", "instances.json", "--instances", "prod.json"])
        .args(["--iam-policy", "ml-lab=iam-policy.json", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 4);
}

#[test]
fn a_conditional_binding_is_not_a_grant_and_verbose_says_so() {
    let tmp = field_note_copy();
    let policy = r#"{"bindings": [{"role": "roles/aiplatform.user",
      "members": ["serviceAccount:123456789012-compute@developer.gserviceaccount.com"],
      "condition": {"title": "weekdays", "expression": "request.time.getDayOfWeek() < 5"}}]}"#;
    write(tmp.path(), "conditional.json", policy);
    let out = scopelint(tmp.path())
        .args([
            "--instances",
            "instances.json",
            "--iam-policy",
            "conditional.json",
        ])
        .args(["--verbose", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"], serde_json::json!([]));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("has a condition, so it is not counted"),
        "{stderr}"
    );
}

#[test]
fn hostile_names_in_an_export_never_reach_the_fix_script_as_commands() {
    let tmp = field_note_copy();
    let instances = std::fs::read_to_string(tmp.path().join("instances.json"))
        .unwrap()
        .replace(
            "\"name\": \"js-notes\"",
            "\"name\": \"vm$(touch pwned)\\n;id\"",
        );
    write(tmp.path(), "instances.json", &instances);
    let script = tmp.path().join("fix.sh");
    let out = scopelint(tmp.path())
        .args([
            "--instances",
            "instances.json",
            "--iam-policy",
            "iam-policy.json",
        ])
        .arg("--fix-script")
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&script).unwrap();
    // Run it with gcloud printing its arguments: nothing in a name runs.
    let runner = format!("gcloud() {{ printf '<%s>' \"$@\"; echo; }}\n{text}");
    let run = std::process::Command::new("bash")
        .args(["-c", &runner])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(!tmp.path().join("pwned").exists());
    let printed = String::from_utf8(run.stdout).unwrap();
    assert!(printed.contains("<vm$(touch pwned)\n;id>"), "{printed}");
}

#[test]
fn audit_refuses_to_write_over_an_export() {
    let tmp = field_note_copy();
    let out = scopelint(tmp.path())
        .args([
            "--instances",
            "instances.json",
            "--output",
            "instances.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("it is an input")
    );
    assert!(
        std::fs::read_to_string(tmp.path().join("instances.json"))
            .unwrap()
            .contains("js-notes")
    );
}

/// In SARIF, an audit finding's location is the export record (file and
/// line) and the running resource, by its Cloud Asset name.
#[test]
fn sarif_names_the_running_resource_as_a_logical_location() {
    for dir in cases() {
        let out = scopelint(&dir)
            .args(args(&dir))
            .args(["--format", "sarif"])
            .output()
            .unwrap();
        let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert!(!results.is_empty(), "{}", dir.display());
        for r in results {
            let location = &r["locations"][0];
            assert!(
                location["physicalLocation"]["region"]["startLine"].is_u64(),
                "{r}"
            );
            let logical = &location["logicalLocations"][0];
            let name = logical["fullyQualifiedName"].as_str().unwrap();
            let kind = r["properties"]["workloadKind"].as_str().unwrap();
            let service = kind.split('/').next().unwrap();
            assert!(
                name.starts_with(&format!("//{service}/projects/")),
                "{name}"
            );
            assert!(
                name.ends_with(&format!("/{}", logical["name"].as_str().unwrap())),
                "{name}"
            );
            assert_eq!(logical["kind"], "resource");
        }
    }
}

/// A folder's policy grants its literal members wherever they run: the
/// default compute account of the VMs' project holds the role through it.
#[test]
fn a_folder_policy_grants_its_literal_members() {
    let tmp = field_note_copy();
    let out = scopelint(tmp.path())
        .args(["--instances", "instances.json"])
        .args([
            "--iam-policy",
            "folders/77=iam-policy.json",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{findings:?}");
    for f in findings {
        let related = f["related"].as_array().unwrap();
        assert!(
            related.iter().any(|r| r["message"]
                .as_str()
                .unwrap()
                .contains("(folders/77 IAM policy)")),
            "{related:?}"
        );
    }
}

/// A Cloud Asset export is checked and written a piece at a time: a line
/// found broken while its workloads are read is an error after the
/// findings, with its line, and the run exits 2.
#[test]
fn a_broken_line_of_a_streamed_export_follows_the_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let vm = |name: &str| {
        format!(
            "{{\"name\":\"//compute.googleapis.com/projects/p-one/zones/z/instances/{name}\",\"asset_type\":\"compute.googleapis.com/Instance\",\"resource\":{{\"data\":{{\"name\":\"{name}\",\"zone\":\"projects/p-one/zones/z\",\"status\":\"RUNNING\",\"serviceAccounts\":[{{\"email\":\"a@p-one.iam.gserviceaccount.com\",\"scopes\":[\"https://www.googleapis.com/auth/devstorage.read_only\"]}}]}}}}}}\n"
        )
    };
    let policy = "{\"name\":\"//cloudresourcemanager.googleapis.com/projects/p-one\",\"asset_type\":\"cloudresourcemanager.googleapis.com/Project\",\"iam_policy\":{\"bindings\":[{\"role\":\"roles/aiplatform.user\",\"members\":[\"serviceAccount:a@p-one.iam.gserviceaccount.com\"]}]}}\n";
    let broken = "{\"name\":\"//compute.googleapis.com/projects/p-one/zones/z/instances/x\",\"asset_type\":\"compute.googleapis.com/Instance\",\n";
    let export = [vm("first").as_str(), broken, policy, vm("last").as_str()].concat();
    write(tmp.path(), "assets.json", &export);
    let out = scopelint(tmp.path())
        .args(["--asset-export", "assets.json", "--format", "compact"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 3, "{report}");
    assert!(
        lines[0].starts_with("assets.json:1:") && lines[0].contains("[SL001]"),
        "{report}"
    );
    assert!(
        lines[1].starts_with("assets.json:4:") && lines[1].contains("[SL001]"),
        "{report}"
    );
    assert!(
        lines[2].starts_with("assets.json:2:") && lines[2].contains("error[input]"),
        "{report}"
    );
    // In JSON, the same error with its line; the grant's place is the whole file's.
    let out = scopelint(tmp.path())
        .args(["--asset-export", "assets.json", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"][0]["line"], 2);
    let grant = &report["findings"][0]["related"][0];
    assert_eq!(grant["start"]["line"], 3);
    let member = "\"serviceAccount:a@p-one.iam.gserviceaccount.com\"";
    assert_eq!(grant["start"]["byte"], export.find(member).unwrap());
}
