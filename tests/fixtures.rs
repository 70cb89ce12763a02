#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Runs `scopelint check` on every project under `fixtures/` and compares the
//! output with the fixture's `expected.json` and `expected.pretty`, and the
//! findings with the hand-written `expect.txt` (one `RULE ADDRESS SUBJECT`
//! line per API, scope or unreadable file).
//!
//! `SCOPELINT_BLESS=1 cargo test --test fixtures` rewrites the expected
//! outputs (never `expect.txt`); review the diff before committing.

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn run(dir: &Path, format: &str) -> (String, i32) {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let out = Command::cargo_bin("scopelint")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .args(["check", &format!("fixtures/{name}"), "--format", format])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    (stdout, out.status.code().unwrap_or(-1))
}

/// The findings of a JSON report as `expect.txt` lines.
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
        match rule {
            "SL003" => lines.push(format!("{label} {address} -")),
            "SL004" => {
                let mut locs = vec![&f["location"]];
                locs.extend(f["related"].as_array().unwrap().iter());
                for loc in locs {
                    let text = std::fs::read_to_string(
                        Path::new(env!("CARGO_MANIFEST_DIR")).join(loc["file"].as_str().unwrap()),
                    )
                    .unwrap();
                    let (s, e) = (
                        loc["start"]["byte"].as_u64().unwrap() as usize,
                        loc["end"]["byte"].as_u64().unwrap() as usize,
                    );
                    lines.push(format!(
                        "{label} {address} {}",
                        text[s..e].trim_matches('"')
                    ));
                }
            }
            _ => {
                for api in f["apis"].as_array().unwrap() {
                    lines.push(format!(
                        "{label} {address} {}",
                        api["service"].as_str().unwrap()
                    ));
                }
            }
        }
    }
    for e in report["errors"].as_array().unwrap() {
        let file = e["file"].as_str().unwrap();
        lines.push(format!("error {}", file.rsplit('/').next().unwrap()));
    }
    lines.sort();
    lines
}

fn compare(path: &Path, actual: &str, failures: &mut Vec<String>) {
    support::compare_snapshot(path, actual, failures, false, "fixtures");
}

#[test]
fn every_fixture_matches_its_expected_output() {
    let mut failures = Vec::new();
    for dir in support::fixture_projects() {
        let (json, code) = run(&dir, "json");
        let report: Value = serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("{}: {e}\n{json}", dir.display()));
        compare(&dir.join("expected.json"), &json, &mut failures);
        let (pretty, pretty_code) = run(&dir, "pretty");
        compare(&dir.join("expected.pretty"), &pretty, &mut failures);
        assert_eq!(
            code,
            pretty_code,
            "{}: exit code depends on format",
            dir.display()
        );

        let expect = std::fs::read_to_string(dir.join("expect.txt")).unwrap();
        let mut want: Vec<String> = expect
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect();
        want.sort();
        let got = summary(&report);
        if want != got {
            failures.push(format!(
                "{}: findings differ from expect.txt\n  want: {want:?}\n  got:  {got:?}",
                dir.display()
            ));
        }
        let has_errors = !report["errors"].as_array().unwrap().is_empty();
        let fails = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["severity"] != "note");
        let want_code = if has_errors {
            2
        } else if fails {
            1
        } else {
            0
        };
        if code != want_code {
            failures.push(format!(
                "{}: exit code {code}, expected {want_code}",
                dir.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
