#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Every output format on every fixture: snapshots for the few fixtures of
//! [`FORMAT_SNAPSHOTS`] (`expected.compact`, `expected.sarif`,
//! `expected.github`, `expected.gitlab.json` beside the fixture's
//! `expected.json`; the SARIF rules array, the same in every log, is kept
//! once in `tests/snapshots/sarif-rules.json` and by id in the fixture
//! snapshots; each rule's own findings are snapshotted by `tests/rules.rs`),
//! the same exit code in every format, and the validators: the SARIF of every fixture
//! must pass Microsoft's SARIF Multitool (the SARIF 2.1.0 schema plus GitHub
//! code scanning's ingestion rules, `Sarif;Ghas`, with
//! `tests/data/multitool-github.xml`) without a single result, and the GitLab
//! report must pass `tests/data/gitlab-codequality.schema.json`.
//!
//! The validators are found through `SCOPELINT_SARIF_MULTITOOL` and
//! `SCOPELINT_CHECK_JSONSCHEMA`, which `.ci/run` sets after `.ci/install-tools`
//! installed them into `target/ci-tools/` (where the tests also look when the
//! variables are not set). Without them the validation tests say loudly that
//! they skip, except under CI, where they fail.
//!
//! `SCOPELINT_BLESS=1 cargo test --test formats` rewrites the snapshots.

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const FORMATS: &[(&str, &str)] = &[
    ("compact", "expected.compact"),
    ("sarif", "expected.sarif"),
    ("github", "expected.github"),
    ("gitlab", "expected.gitlab.json"),
];

/// The fixtures whose every format is kept as a snapshot: one of each shape a
/// renderer must get right (Terraform, gcloud, Config Connector, input
/// errors, each severity, grants as related locations, a scopes trail through
/// modules, safe, unsafe and alternative patches). The other fixtures are
/// rendered in every format and validated, without a snapshot.
const FORMAT_SNAPSHOTS: &[&str] = &[
    "errors_malformed_beside_valid",
    "gcloud_patch_styles",
    "grants_for_each_and_count",
    "krm_compute_instance_sl001",
    "modules_two_level_chain_root_tfvars",
    "sl001_field_note_default_sa",
    "sl002_storage_access_classes",
    "sl004_typo_cloud_platform",
    "sl005_default_sa_secretmanager_enabled",
    "sl006_gcloud_startup_scripts",
    "workloads_gke_node_pool",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn name(dir: &Path) -> &str {
    dir.file_name().and_then(|n| n.to_str()).unwrap()
}

/// `scopelint check fixtures/NAME --format FORMAT` from the repository root.
fn run(dir: &Path, format: &str) -> (String, i32) {
    let out = Command::cargo_bin("scopelint")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .args([
            "check",
            &format!("fixtures/{}", name(dir)),
            "--format",
            format,
        ])
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

fn compare(path: &Path, actual: &str, failures: &mut Vec<String>) {
    support::compare_snapshot(path, actual, failures, false, "formats");
}

/// The SARIF log with its rules array replaced by the rule ids, and the rules array.
/// The driver's knowledge-base versions are checked here and left out of the
/// snapshots, which would otherwise all change with every data refresh.
fn split_rules(sarif: &str) -> (String, String) {
    let mut log: Value = serde_json::from_str(sarif).unwrap();
    let props = log["runs"][0]["tool"]["driver"]
        .as_object_mut()
        .and_then(|d| d.remove("properties"))
        .unwrap_or_default();
    let kb = &props["knowledgeBase"];
    for key in ["iam_dataset_commit", "googleapis_commit"] {
        let commit = kb[key].as_str().unwrap_or_default();
        assert!(
            commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit()),
            "SARIF tool.driver.properties.knowledgeBase.{key}: {commit:?}"
        );
    }
    assert!(
        kb["discovery_package"]
            .as_str()
            .is_some_and(|p| p.starts_with("google-api-python-client ")),
        "SARIF tool.driver names the discovery package: {kb}"
    );
    let rules = log["runs"][0]["tool"]["driver"]["rules"].take();
    log["runs"][0]["tool"]["driver"]["rules"] = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    (
        serde_json::to_string_pretty(&log).unwrap() + "\n",
        serde_json::to_string_pretty(&rules).unwrap() + "\n",
    )
}

#[test]
fn every_format_of_every_fixture_matches_its_snapshot() {
    let mut failures = Vec::new();
    let mut rules_arrays = BTreeSet::new();
    for dir in support::fixture_projects() {
        let (_, json_code) = run(&dir, "json");
        for (format, file) in FORMATS {
            let (mut text, code) = run(&dir, format);
            if *format == "sarif" {
                let (log, rules) = split_rules(&text);
                text = log;
                rules_arrays.insert(rules);
            }
            if FORMAT_SNAPSHOTS.contains(&name(&dir)) {
                compare(&dir.join(file), &text, &mut failures);
            } else {
                // No snapshot kept: one left behind is stale (blessing removes it).
                support::compare_snapshot(&dir.join(file), "", &mut failures, true, "formats");
            }
            if code != json_code {
                failures.push(format!(
                    "{}: --format {format} exits {code}, --format json {json_code}",
                    name(&dir)
                ));
            }
        }
    }
    assert_eq!(rules_arrays.len(), 1, "every SARIF log has the same rules");
    if let Some(rules) = rules_arrays.first() {
        compare(
            &root().join("tests/snapshots/sarif-rules.json"),
            rules,
            &mut failures,
        );
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A validator: `var` names it; else it is looked up at `default` under the
/// tools directory (`SCOPELINT_CI_TOOLS`, else `target/ci-tools`) where
/// `.ci/install-tools` puts it. `None` (after a loud message) when it is not
/// installed, which fails under CI.
fn tool(var: &str, default: &str) -> Option<PathBuf> {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("SCOPELINT_CI_TOOLS")
            .map_or_else(|| root().join("target/ci-tools"), PathBuf::from)
            .join(default)
    });
    if path.is_file() {
        return Some(path);
    }
    let why = format!(
        "{} does not exist (set {var}, or run .ci/install-tools)",
        path.display()
    );
    assert!(
        std::env::var_os("CI").is_none(),
        "{why}: .ci/run must install the validators"
    );
    eprintln!("\n*** SKIPPED: {why} ***\n");
    None
}

#[test]
fn sarif_of_every_fixture_passes_the_multitool_with_github_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = BTreeMap::new();
    for dir in support::fixture_projects() {
        let (sarif, _) = run(&dir, "sarif");
        let log: Value = serde_json::from_str(&sarif).unwrap();
        // What GitHub needs, beyond the schema.
        let run0 = &log["runs"][0];
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(run0["columnKind"], "utf16CodeUnits");
        let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
        for r in run0["results"].as_array().unwrap() {
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], r["ruleId"], "{}", name(&dir));
            let loc = &r["locations"][0]["physicalLocation"];
            assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
            assert!(
                loc["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .starts_with("fixtures/")
            );
            for k in ["startLine", "startColumn", "endLine", "endColumn"] {
                assert!(loc["region"][k].as_u64().unwrap() >= 1, "{k}");
            }
            assert!(r["partialFingerprints"].as_object().unwrap().len() == 1);
        }
        let path = tmp.path().join(format!("{}.sarif", name(&dir)));
        std::fs::write(&path, &sarif).unwrap();
        files.insert(name(&dir).to_string(), path);
    }
    // `scopelint audit` writes the same SARIF from exports (tests/audit.rs has the cases).
    let audits = root().join("fixtures/audit");
    for case in std::fs::read_dir(&audits).unwrap() {
        let case = case.unwrap().path();
        let args = std::fs::read_to_string(case.join("args")).unwrap();
        let out = Command::cargo_bin("scopelint")
            .unwrap()
            .current_dir(&case)
            .arg("audit")
            .args(args.split_whitespace())
            .args(["--format", "sarif"])
            .output()
            .unwrap();
        let label = format!("audit-{}", name(&case));
        let path = tmp.path().join(format!("{label}.sarif"));
        std::fs::write(&path, &out.stdout).unwrap();
        files.insert(label, path);
    }
    let Some(multitool) = tool(
        "SCOPELINT_SARIF_MULTITOOL",
        "sarif-multitool/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool",
    ) else {
        return;
    };
    let report = tmp.path().join("validation.sarif");
    let out = std::process::Command::new(&multitool)
        .arg("validate")
        .args(files.values())
        .args(["--rule-kind", "Sarif;Ghas", "-c"])
        .arg(root().join("tests/data/multitool-github.xml"))
        .arg("-o")
        .arg(&report)
        .args(["--log", "ForceOverwrite"])
        // .NET single-file apps need ICU unless globalization-invariant mode is on.
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&report).unwrap_or_else(|e| {
        panic!(
            "the multitool wrote no report ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let validation: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap();
    let mut problems = Vec::new();
    for run in validation["runs"].as_array().unwrap() {
        for inv in run["invocations"].as_array().into_iter().flatten() {
            assert_ne!(
                inv["executionSuccessful"], false,
                "the multitool failed: {inv:#}"
            );
        }
        // Every result is a problem: errors (SARIF1xxx, GH1xxx, JSON schema),
        // warnings (SARIF2xxx) and notes alike.
        for r in run["results"].as_array().into_iter().flatten() {
            problems.push(format!(
                "{} {} {}: {}",
                r["level"].as_str().unwrap_or("warning"),
                r["ruleId"].as_str().unwrap_or("?"),
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or("?"),
                r["message"]["arguments"]
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the SARIF Multitool reports {} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    eprintln!(
        "SARIF Multitool (Sarif;Ghas): {} fixture logs, no problems",
        files.len()
    );
}

#[test]
fn gitlab_report_of_every_fixture_passes_the_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for dir in support::fixture_projects() {
        let (report, _) = run(&dir, "gitlab");
        assert!(
            !report.starts_with('\u{feff}'),
            "{}: the report must not start with a byte order mark",
            name(&dir)
        );
        let issues: Value = serde_json::from_str(&report).unwrap();
        let fingerprints: Vec<&str> = issues
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap())
            .collect();
        let unique: BTreeSet<&&str> = fingerprints.iter().collect();
        assert_eq!(
            unique.len(),
            fingerprints.len(),
            "{}: fingerprints must be unique",
            name(&dir)
        );
        let path = tmp.path().join(format!("{}.json", name(&dir)));
        std::fs::write(&path, &report).unwrap();
        paths.push(path);
    }
    let Some(check) = tool("SCOPELINT_CHECK_JSONSCHEMA", "venv/bin/check-jsonschema") else {
        return;
    };
    let out = std::process::Command::new(check)
        .arg("--schemafile")
        .arg(root().join("tests/data/gitlab-codequality.schema.json"))
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "check-jsonschema rejects a GitLab report:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("check-jsonschema: {} GitLab reports valid", paths.len());
}

#[test]
fn sarif_fingerprints_survive_unrelated_line_moves() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = root().join("fixtures/sl001_field_note_default_sa");
    for e in std::fs::read_dir(&fixture).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), tmp.path().join(e.file_name())).unwrap();
    }
    let sarif = |dir: &Path| -> Value {
        let out = Command::cargo_bin("scopelint")
            .unwrap()
            .current_dir(dir)
            .args(["check", ".", "--format", "sarif"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let before = sarif(tmp.path());
    let main = tmp.path().join("main.tf");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, format!("# a comment\n\n# moves every line\n{text}")).unwrap();
    let after = sarif(tmp.path());
    let r0 = &before["runs"][0]["results"][0];
    let r1 = &after["runs"][0]["results"][0];
    assert_eq!(
        r1["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap(),
        r0["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap()
            + 3
    );
    assert_eq!(r0["partialFingerprints"], r1["partialFingerprints"]);
}

#[test]
fn sarif_columns_are_utf16_code_units() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = root().join("fixtures/sl001_field_note_default_sa");
    for e in std::fs::read_dir(&fixture).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), tmp.path().join(e.file_name())).unwrap();
    }
    // Put an astral-plane character (2 UTF-16 units, 4 bytes, 1 char) before the scopes.
    let main = tmp.path().join("main.tf");
    let text = std::fs::read_to_string(&main).unwrap();
    let patched = text.replacen("    scopes = [", "    /*😀*/ scopes = [", 1);
    assert_ne!(text, patched);
    std::fs::write(&main, patched).unwrap();
    let run = |format: &str| {
        Command::cargo_bin("scopelint")
            .unwrap()
            .current_dir(tmp.path())
            .args(["check", ".", "--format", format])
            .output()
            .unwrap()
            .stdout
    };
    let sarif: Value = serde_json::from_slice(&run("sarif")).unwrap();
    let json: Value = serde_json::from_slice(&run("json")).unwrap();
    let region = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    let chars = json["findings"][0]["location"]["start"]["column"]
        .as_u64()
        .unwrap();
    // "    /*😀*/ scopes": the value starts 1 UTF-16 unit later than it does in characters
    assert_eq!(region["startColumn"].as_u64().unwrap(), chars + 1);
}

#[test]
fn github_commands_escape_and_summarise() {
    let (text, code) = run(
        &root().join("fixtures/errors_malformed_beside_valid"),
        "github",
    );
    assert_eq!(code, 2);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with(
            "::error file=fixtures/errors_malformed_beside_valid/broken.tf,line=15,col=43,title=scopelint%3A input error::"
        ),
        "{text}"
    );
    for l in &lines[..lines.len() - 1] {
        assert!(l.starts_with("::"), "one command per line: {l}");
    }
    assert!(lines.last().unwrap().starts_with("scopelint: 1 error"));
}

/// Fingerprints of findings on workloads that scripts create do not move
/// with the script's lines either: in SARIF, GitLab and baselines.
#[test]
fn script_fingerprints_survive_a_line_inserted_above() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = root().join("fixtures/gcloud_set_service_account");
    for e in std::fs::read_dir(&fixture).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), tmp.path().join(e.file_name())).unwrap();
    }
    let run = |args: &[&str]| -> (String, Option<i32>) {
        let out = Command::cargo_bin("scopelint")
            .unwrap()
            .current_dir(tmp.path())
            .arg("check")
            .arg(".")
            .args(args)
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            out.status.code(),
        )
    };
    let fingerprints = || -> (Vec<Value>, Vec<Value>, Vec<u64>) {
        let sarif: Value = serde_json::from_str(&run(&["--format", "sarif"]).0).unwrap();
        let results = sarif["runs"][0]["results"].as_array().unwrap().clone();
        let gitlab: Value = serde_json::from_str(&run(&["--format", "gitlab"]).0).unwrap();
        (
            results
                .iter()
                .map(|r| r["partialFingerprints"].clone())
                .collect(),
            gitlab
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["fingerprint"].clone())
                .collect(),
            results
                .iter()
                .map(|r| {
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap()
                })
                .collect(),
        )
    };
    let baseline = tmp.path().join("baseline.json");
    let (_, code) = run(&["--write-baseline", baseline.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    let (sarif_before, gitlab_before, lines_before) = fingerprints();
    assert!(sarif_before.len() >= 2, "{sarif_before:?}");
    // Unique fingerprints carry no occurrence suffix.
    for f in &sarif_before {
        let f = f["scopelintFinding/v2"].as_str().unwrap();
        assert_eq!(f.len(), 16, "{f}");
    }
    for e in std::fs::read_dir(tmp.path()).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "sh") {
            let text = std::fs::read_to_string(&path).unwrap();
            let (first, rest) = text.split_once('\n').unwrap();
            std::fs::write(&path, format!("{first}\n# a new comment\n\n{rest}")).unwrap();
        }
    }
    let (sarif_after, gitlab_after, lines_after) = fingerprints();
    assert_eq!(
        lines_after,
        lines_before.iter().map(|l| l + 2).collect::<Vec<_>>()
    );
    assert_eq!(sarif_before, sarif_after);
    assert_eq!(gitlab_before, gitlab_after);
    // The baseline still knows every finding.
    let (out, code) = run(&["--baseline", baseline.to_str().unwrap(), "--format", "json"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["findings"], serde_json::json!([]), "{out}");
    assert_eq!(code, Some(0));
}
