//! One snapshot per rule and fixture, in process: what the rule reports on
//! the fixture (one compact line per finding), each finding's patch as a diff
//! with its applicability, and what `--fix` leaves of the rule's findings.
//! A change to one rule shows in that rule's snapshots only
//! (`tests/snapshots/rules/SLxxx/FIXTURE.snap`);
//! `SCOPELINT_BLESS=1 cargo test --test rules` rewrites them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use scopelint::finding::Finding;
use scopelint::knowledge::Knowledge;
use scopelint::{Options, Overlay, render};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn snapshot_dir(code: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/rules")
        .join(code)
}

/// The snapshot of `code`'s findings on one fixture.
fn describe(
    outcome: &scopelint::Outcome,
    findings: &[&Finding],
    left_after_fix: &BTreeSet<String>,
) -> String {
    let mut out = render::compact::render(outcome, findings);
    for f in findings {
        let Some(fix) = &f.fix else { continue };
        out.push_str(&format!(
            "\npatch for {} ({}):\n",
            f.workload.address,
            fix.applicability.as_str()
        ));
        out.push_str(&render::pretty::fix_diff(&outcome.sources, f).unwrap_or_default());
        for alt in &f.alternatives {
            out.push_str(&format!(
                "alternative ({}): {}\n",
                alt.applicability.as_str(),
                alt.description
            ));
        }
    }
    out.push_str("\nafter --fix: ");
    if left_after_fix.is_empty() {
        out.push_str("none left\n");
    } else {
        let left: Vec<&str> = left_after_fix.iter().map(String::as_str).collect();
        out.push_str(&format!("left: {}\n", left.join(", ")));
    }
    out
}

#[test]
fn every_rule_on_every_fixture_matches_its_snapshot() {
    let kb = Knowledge::get().unwrap();
    // Paths as the other snapshots show them: relative to the repository
    // root (this binary's only test, so nothing else depends on the directory).
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let mut failures = Vec::new();
    let mut expected_files: BTreeSet<std::path::PathBuf> = BTreeSet::new();
    for dir in support::fixture_projects() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let opts = Options {
            paths: vec![Path::new("fixtures").join(&name)],
            inline_suppressions: true,
            ..Options::default()
        };
        let outcome = scopelint::run(&opts, kb);
        let plan = scopelint::fix::plan::plan(&opts, kb, &outcome);
        let overlay: Overlay = plan
            .patches
            .iter()
            .map(|p| (p.path.clone(), p.patched.clone()))
            .collect();
        let after = scopelint::run_with_overlay(&opts, kb, &overlay);
        let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for f in &outcome.findings {
            by_rule.entry(f.rule.code).or_default().push(f);
        }
        for (code, findings) in by_rule {
            let left: BTreeSet<String> = after
                .findings
                .iter()
                .filter(|f| f.rule.code == code)
                .map(|f| f.workload.address.clone())
                .collect();
            let text = describe(&outcome, &findings, &left);
            let path = snapshot_dir(code).join(format!("{name}.snap"));
            if std::env::var_os("SCOPELINT_BLESS").is_some() {
                std::fs::create_dir_all(snapshot_dir(code)).unwrap();
            }
            support::compare_snapshot(&path, &text, &mut failures, false, "rules");
            expected_files.insert(path);
        }
    }
    // A snapshot whose rule no longer fires on its fixture is stale.
    for code in scopelint::check::all_rules().map(|m| m.code) {
        let Ok(entries) = std::fs::read_dir(snapshot_dir(code)) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if !expected_files.contains(&path) {
                if std::env::var_os("SCOPELINT_BLESS").is_some() {
                    std::fs::remove_file(&path).unwrap();
                } else {
                    failures.push(format!("{}: stale snapshot", path.display()));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
