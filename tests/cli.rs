#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End-to-end behaviour of `scopelint check` beyond the fixture snapshots.

mod support;
use support::apply_fixes;
use support::copy_dir;

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn scopelint() -> Command {
    let mut cmd = Command::cargo_bin("scopelint").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

fn json_report(dir: &Path) -> (Value, i32) {
    let out = scopelint()
        .current_dir(dir)
        .args(["check", ".", "--format", "json"])
        .output()
        .unwrap();
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

#[test]
fn the_field_note_patch_makes_the_run_clean() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sl001_field_note_default_sa"),
        tmp.path(),
    );
    let (before, code) = json_report(tmp.path());
    assert_eq!(code, 1);
    let findings = before["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["rule"], "SL001");
    assert_eq!(
        findings[0]["apis"][0]["service"],
        "aiplatform.googleapis.com"
    );
    apply_fixes(tmp.path(), &before);
    let (after, code) = json_report(tmp.path());
    assert_eq!(after["findings"].as_array().unwrap().len(), 0, "{after:#}");
    assert_eq!(code, 0);
}

#[test]
fn every_patch_in_the_fixtures_removes_its_finding() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(&dir, tmp.path());
        let (before, before_code) = json_report(tmp.path());
        let fixed: Vec<(String, String)> = before["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["fix"].is_object())
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["workload"]["address"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        if fixed.is_empty() {
            continue;
        }
        apply_fixes(tmp.path(), &before);
        let (after, code) = json_report(tmp.path());
        if before_code != 2 {
            assert_ne!(
                code,
                2,
                "{}: patched files must still parse: {after:#}",
                dir.display()
            );
        }
        for f in after["findings"].as_array().unwrap() {
            let key = (
                f["rule"].as_str().unwrap().to_string(),
                f["workload"]["address"].as_str().unwrap().to_string(),
            );
            assert!(
                !fixed.contains(&key) || f["severity"] == "note",
                "{}: {key:?} survives its own patch",
                dir.display()
            );
        }
    }
}

#[test]
fn a_malformed_file_is_reported_and_the_others_still_analysed() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("broken.tf"),
        "resource \"x\" \"y\" {\n  a = \n",
    )
    .unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sl001_field_note_default_sa"),
        tmp.path(),
    );
    let (report, code) = json_report(tmp.path());
    assert_eq!(code, 2);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["file"], "broken.tf");
    assert!(errors[0]["line"].as_u64().unwrap() >= 2);
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn a_missing_path_is_an_error_with_exit_2() {
    let out = scopelint()
        .args(["check", "does/not/exist"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("does/not/exist"));
}

#[test]
fn fail_level_decides_the_exit_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/note_no_service_account_block");
    let code = |level: &str| {
        scopelint()
            .arg("check")
            .arg(&dir)
            .args(["--fail-level", level])
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(code("warning"), Some(0));
    assert_eq!(code("note"), Some(1));
}

/// A run that finds nothing to read says so, and fails only when asked to.
#[test]
fn an_empty_run_is_not_silent() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "nothing here\n").unwrap();
    let out = scopelint()
        .current_dir(tmp.path())
        .args(["check", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr,
        "scopelint: no Terraform, scripts, workflows or Cloud Build configs found under .\n"
    );
    let out = scopelint()
        .current_dir(tmp.path())
        .args(["check", ".", "--fail-on-empty", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // The report is still written.
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"], serde_json::json!([]));
    let quiet = scopelint()
        .current_dir(tmp.path())
        .args(["check", ".", "--quiet"])
        .output()
        .unwrap();
    assert!(quiet.stderr.is_empty());
}

/// `check --help` says what is read and what the exit codes mean, in the
/// user's words.
#[test]
fn check_help_names_the_inputs_and_exits() {
    let out = scopelint().args(["check", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for what in [
        "Terraform",
        "plans",
        "shell scripts",
        "GitHub Actions workflows",
        "Cloud Build",
        "--exit-zero turns 1 into 0; it never hides 2",
        "--color <WHEN>",
        "--statistics",
        "--fail-on-empty",
    ] {
        assert!(help.contains(what), "{what}:\n{help}");
    }
    assert!(!help.to_lowercase().contains("miette"), "{help}");
    let short = scopelint().args(["check", "-h"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&short.stdout).contains("miette"));
}
