#![allow(clippy::unwrap_used, clippy::expect_used)]
//! What CI gets: the report file is written with every finding and every
//! input error even when the run fails, the summary line goes to the log,
//! and each CI format carries what its reader shows (SARIF links to the
//! grants, GitLab's description holds the remediation, annotations one
//! line of help); the JSON report carries the remediation and follows its
//! published schema.

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const BROKEN: &str = "fixtures/errors_malformed_beside_valid";

struct Run {
    stdout: String,
    stderr: String,
    code: Option<i32>,
}

fn check(dir: &Path, args: &[&str]) -> Run {
    let out = Command::cargo_bin("scopelint")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code(),
    }
}

#[test]
fn an_unparsable_file_still_gets_every_finding_into_the_report_file() {
    let tmp = tempfile::tempdir().unwrap();
    for (format, file) in [
        ("sarif", "x.sarif"),
        ("json", "x.json"),
        ("gitlab", "gl.json"),
    ] {
        let out = tmp.path().join(file);
        let run = check(
            root(),
            &[BROKEN, "--format", format, "-o", out.to_str().unwrap()],
        );
        assert_eq!(run.code, Some(2), "{format}: {}", run.stderr);
        assert_eq!(run.stdout, "");
        assert!(
            run.stderr.contains(
                "scopelint: 1 error, 0 warnings, 0 notes in 4 files; 1 input could not be read or parsed"
            ),
            "{format}: {}",
            run.stderr
        );
        let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        match format {
            "sarif" => {
                let run0 = &report["runs"][0];
                assert_eq!(run0["results"].as_array().unwrap().len(), 1);
                let inv = &run0["invocations"][0];
                assert_eq!(inv["executionSuccessful"], false);
                let note = &inv["toolExecutionNotifications"][0];
                assert!(
                    note["message"]["text"]
                        .as_str()
                        .unwrap()
                        .contains("broken.tf: cannot parse")
                );
            }
            "json" => {
                assert_eq!(report["findings"].as_array().unwrap().len(), 1);
                assert!(
                    report["errors"][0]["file"]
                        .as_str()
                        .unwrap()
                        .ends_with("broken.tf")
                );
            }
            _ => {
                let checks: Vec<&str> = report
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["check_name"].as_str().unwrap())
                    .collect();
                assert_eq!(checks, ["scopelint-input-error", "SL001"]);
            }
        }
    }
}

/// `--exit-zero` turns findings (1) into 0, never an input error (2).
#[test]
fn exit_zero_changes_exit_1_only() {
    let clean_input = "fixtures/sl001_field_note_default_sa";
    assert_eq!(check(root(), &[clean_input]).code, Some(1));
    assert_eq!(check(root(), &[clean_input, "--exit-zero"]).code, Some(0));
    assert_eq!(check(root(), &[BROKEN, "--exit-zero"]).code, Some(2));
}

#[test]
fn sarif_messages_are_plain_and_link_the_grants() {
    let run = check(
        root(),
        &["fixtures/sl001_field_note_default_sa", "--format", "sarif"],
    );
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    let result = &log["runs"][0]["results"][0];
    let text = result["message"]["text"].as_str().unwrap();
    assert!(
        text.ends_with(
            "See: [roles/aiplatform.user granted here (google_project_iam_member.notes_vertex)](1)."
        ),
        "{text}"
    );
    assert_eq!(result["relatedLocations"][0]["id"], 1);
    let all = run.stdout.as_str();
    let mut messages = vec![text];
    for r in result["relatedLocations"].as_array().unwrap() {
        messages.push(r["message"]["text"].as_str().unwrap());
    }
    for m in messages {
        assert!(!m.contains('`'), "backticks in a message: {m}");
    }
    for rule in log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        let markdown = rule["help"]["markdown"].as_str().unwrap();
        let uri = rule["helpUri"].as_str().unwrap();
        assert!(markdown.contains(&format!("]({uri})")), "{markdown}");
        assert!(rule["properties"].get("security-severity").is_none());
    }
    assert!(!all.contains("\"uri\": \"..") && !all.contains("/../"));
}

#[test]
fn gitlab_description_holds_the_remediation() {
    let run = check(
        root(),
        &["fixtures/sl001_field_note_default_sa", "--format", "gitlab"],
    );
    let issues: Value = serde_json::from_str(&run.stdout).unwrap();
    let description = issues[0]["description"].as_str().unwrap();
    assert!(
        description.contains(
            ". Help: aiplatform.googleapis.com is fully usable with any one of: cloud-platform. \
             Suggested patch (scopelint check --fix): Add cloud-platform"
        ),
        "{description}"
    );
}

/// Eleven VMs whose account holds a role their scopes do not cover: eleven
/// SL001 errors.
fn eleven_errors() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..11 {
        text.push_str(&format!(
            "resource \"google_service_account\" \"vm{i}\" {{\n  account_id = \"vm-{i}\"\n  project    = \"p1\"\n}}\n\n\
             resource \"google_project_iam_member\" \"vm{i}\" {{\n  project = \"p1\"\n  role    = \"roles/secretmanager.secretAccessor\"\n  \
             member  = \"serviceAccount:${{google_service_account.vm{i}.email}}\"\n}}\n\n\
             resource \"google_compute_instance\" \"vm{i}\" {{\n  name         = \"vm-{i}\"\n  project      = \"p1\"\n  \
             machine_type = \"e2-small\"\n  zone         = \"us-east1-b\"\n  service_account {{\n    \
             email  = google_service_account.vm{i}.email\n    scopes = [\"logging-write\"]\n  }}\n}}\n\n"
        ));
    }
    std::fs::write(tmp.path().join("main.tf"), text).unwrap();
    tmp
}

#[test]
fn annotations_carry_one_line_of_help_and_say_when_github_hides_some() {
    let run = check(
        root(),
        &["fixtures/sl001_field_note_default_sa", "--format", "github"],
    );
    let annotation = run.stdout.lines().next().unwrap();
    assert_eq!(annotation.matches("%0Ahelp: ").count(), 1, "{annotation}");
    assert!(!annotation.contains("gcloud compute instances stop"));
    assert!(!run.stdout.contains("GitHub shows only"));

    let tmp = eleven_errors();
    let run = check(tmp.path(), &[".", "--format", "github"]);
    assert_eq!(run.stdout.matches("::error file=").count(), 11);
    assert!(
        run.stdout.ends_with(
            "scopelint: 11 errors annotated: GitHub shows only the first 10 annotations of each level per step; \
             this log and the SARIF report (--format sarif, uploaded to code scanning) have them all\n"
        ),
        "{}",
        run.stdout
    );
}

/// The JSON report carries the remediation, and every fixture's report
/// follows the published schema.
#[test]
fn json_report_has_the_remediation_and_follows_its_schema() {
    let run = check(
        root(),
        &["fixtures/sl001_field_note_default_sa", "--format", "json"],
    );
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let f = &report["findings"][0];
    assert_eq!(f["fixable"], true);
    assert_eq!(
        f["help"][0],
        "aiplatform.googleapis.com is fully usable with any one of: cloud-platform"
    );
    assert_eq!(
        f["commands"][0],
        "gcloud compute instances stop js-notes --zone=us-central1-a --project=js-notes-prod"
    );

    let Some(validator) = validator() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for dir in support::fixture_projects() {
        let out = check(&dir, &[".", "--format", "json"]);
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let path = tmp.path().join(format!("{name}.json"));
        std::fs::write(&path, out.stdout).unwrap();
        files.push(path);
    }
    let out = std::process::Command::new(validator)
        .arg("--schemafile")
        .arg(root().join("scopelint-report.schema.json"))
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "a JSON report does not follow scopelint-report.schema.json:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// check-jsonschema, as `.ci/install-tools` installs it; under CI it must be there.
fn validator() -> Option<PathBuf> {
    let path = std::env::var_os("SCOPELINT_CHECK_JSONSCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("SCOPELINT_CI_TOOLS")
                .map_or_else(|| root().join("target/ci-tools"), PathBuf::from)
                .join("venv/bin/check-jsonschema")
        });
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} does not exist: .ci/run must install the validators",
        path.display()
    );
    eprintln!("\n*** SKIPPED: no check-jsonschema (run .ci/install-tools) ***\n");
    None
}
