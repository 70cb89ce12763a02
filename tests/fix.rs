#![allow(clippy::unwrap_used, clippy::expect_used)]

//! `--diff` and `--fix` on every fixture, and the ways writing can go wrong.
//!
//! For every fixture, once as `--fix` and once with `--unsafe-fixes` (whose
//! snapshots, `expected.unsafe.diff` and `expected.unsafe.withheld`, exist
//! only where they differ): the `--diff` output is a snapshot (`expected.diff`,
//! absent when there is nothing to patch, and `expected.withheld`, what it
//! says on stderr about patches it would not apply); `--fix` on a copy writes exactly
//! that diff, leaves no finding that has a patch except those it says it
//! withholds (and why), keeps every patched file parseable (and
//! `terraform fmt -check` clean when a `terraform` binary is on PATH; patched
//! shell scripts pass `bash -n`), and a second `--fix` changes nothing.
//!
//! `SCOPELINT_BLESS=1 cargo test --test fix` rewrites the `expected.diff` and `expected.withheld` snapshots.

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scopelint() -> Command {
    let mut cmd = Command::cargo_bin("scopelint").unwrap();
    cmd.env("NO_COLOR", "1").env("COLUMNS", "100");
    cmd
}

fn name(dir: &Path) -> &str {
    dir.file_name().and_then(|n| n.to_str()).unwrap()
}

/// The fixture's input files (not its expected outputs).
fn copy_inputs(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        let file_name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().unwrap().is_dir() {
            copy_inputs(&e.path(), &target);
        } else if !file_name.starts_with("expect") {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Every file under `dir`, relative path → content.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn check(dir: &Path, args: &[&str]) -> Run {
    let out = scopelint()
        .current_dir(dir)
        .arg("check")
        .arg(".")
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn report(dir: &Path) -> Value {
    serde_json::from_str(&check(dir, &["--format", "json"]).stdout).unwrap()
}

/// (rule, workload) of every finding that carries a patch.
fn patchable(report: &Value) -> BTreeSet<(String, String)> {
    report["findings"]
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
        .collect()
}

/// (rule, workload) of every patch `--fix`/`--diff` says it does not apply.
fn withheld(stderr: &str) -> BTreeSet<(String, String)> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("scopelint: not applying the patch for "))
        .map(|l| {
            let mut words = l.split(' ');
            let rule = words.next().unwrap().to_string();
            let address = words.next().unwrap().trim_end_matches(':').to_string();
            (rule, address)
        })
        .collect()
}

fn compare(path: &Path, actual: &str, failures: &mut Vec<String>) {
    support::compare_snapshot(path, actual, failures, true, "fix");
}

fn terraform() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("terraform"))
        .find(|p| p.is_file())
}

#[test]
fn diff_snapshots_and_fix_on_every_fixture() {
    let terraform = terraform();
    if terraform.is_none() {
        eprintln!(
            "*** no terraform binary on PATH: skipping `terraform fmt -check` of patched files ***"
        );
    }
    let mut failures = Vec::new();
    let mut fixed_fixtures = 0;
    for dir in support::fixture_projects() {
        let n = name(&dir);
        let mut default_snapshots = (String::new(), String::new());
        for unsafe_fixes in [false, true] {
            // Unsafe patches too: the same cycle, with snapshots kept only where they differ.
            let mode: &[&str] = if unsafe_fixes {
                &["--unsafe-fixes"]
            } else {
                &[]
            };
            // The --diff snapshot, from the repository root like the other snapshots.
            let out = scopelint()
                .current_dir(root())
                .args(["check", &format!("fixtures/{n}"), "--diff"])
                .args(mode)
                .output()
                .unwrap();
            let diff = String::from_utf8(out.stdout).unwrap();
            let held = String::from_utf8(out.stderr).unwrap();
            if unsafe_fixes {
                let differs = |a: &str, b: &str| if a == b { String::new() } else { a.to_string() };
                let (d, h) = &default_snapshots;
                compare(
                    &dir.join("expected.unsafe.diff"),
                    &differs(&diff, d),
                    &mut failures,
                );
                compare(
                    &dir.join("expected.unsafe.withheld"),
                    &differs(&held, h),
                    &mut failures,
                );
            } else {
                compare(&dir.join("expected.diff"), &diff, &mut failures);
                compare(&dir.join("expected.withheld"), &held, &mut failures);
                default_snapshots = (diff, held);
            }
            let check_code = scopelint()
                .current_dir(root())
                .args(["check", &format!("fixtures/{n}")])
                .output()
                .unwrap()
                .status
                .code();
            assert_eq!(out.status.code(), check_code, "{n}: --diff exits as check");

            let tmp = tempfile::tempdir().unwrap();
            copy_inputs(&dir, tmp.path());
            let before_files = snapshot(tmp.path());
            let before = report(tmp.path());
            let local_diff = check(tmp.path(), &[&["--diff"], mode].concat());
            assert_eq!(
                snapshot(tmp.path()),
                before_files,
                "{n}: --diff changed a file"
            );

            let fix = check(tmp.path(), &[&["--fix", "--format", "json"], mode].concat());
            let after_files = snapshot(tmp.path());
            let after: Value = serde_json::from_str(&fix.stdout).unwrap();
            let held = withheld(&fix.stderr);
            assert_eq!(
                held,
                withheld(&local_diff.stderr),
                "{n}: --diff and --fix withhold alike"
            );

            // --fix wrote exactly what --diff showed, and nothing else.
            let mut written = String::new();
            for (file, new) in &after_files {
                let old = &before_files[file];
                if old != new {
                    let (old, new) = (
                        std::str::from_utf8(old).unwrap(),
                        std::str::from_utf8(new).unwrap(),
                    );
                    written.push_str(
                        &similar::TextDiff::from_lines(old, new)
                            .unified_diff()
                            .context_radius(2)
                            .header(&format!("a/{file}"), &format!("b/{file}"))
                            .to_string(),
                    );
                }
            }
            assert_eq!(
                written, local_diff.stdout,
                "{n}: --fix wrote something else than --diff showed"
            );
            assert_eq!(
                after_files.len(),
                before_files.len(),
                "{n}: --fix left files behind"
            );

            // What had a patch is gone, unless --fix said why it kept it.
            let remaining = patchable(&after);
            assert_eq!(remaining, held, "{n}: findings with a patch survive --fix");
            for f in after["findings"].as_array().unwrap() {
                let key = (
                    f["rule"].as_str().unwrap().to_string(),
                    f["workload"]["address"].as_str().unwrap().to_string(),
                );
                if patchable(&before).contains(&key) && !held.contains(&key) {
                    assert_eq!(f["severity"], "note", "{n}: {key:?} survives its patch");
                }
            }
            // Exit code: 0 exactly when nothing at the fail level remains.
            let fails = !after["errors"].as_array().unwrap().is_empty()
                || after["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f["severity"] != "note");
            let want = if !after["errors"].as_array().unwrap().is_empty() {
                2
            } else {
                i32::from(fails)
            };
            assert_eq!(fix.code, want, "{n}: --fix exit code\n{}", fix.stderr);
            // Patched files still parse (no new errors) ...
            assert_eq!(
                after["errors"].as_array().unwrap().len(),
                before["errors"].as_array().unwrap().len(),
                "{n}: a patched file no longer parses"
            );
            let changed: Vec<&String> = after_files
                .iter()
                .filter(|(f, c)| before_files[*f] != **c)
                .map(|(f, _)| f)
                .collect();
            if !changed.is_empty() && !unsafe_fixes {
                fixed_fixtures += 1;
            }
            for file in &changed {
                let path = tmp.path().join(file);
                // ... are formatted as terraform fmt wants them ...
                if let Some(tf) = &terraform
                    && (file.ends_with(".tf") || file.ends_with(".tfvars"))
                {
                    let out = std::process::Command::new(tf)
                        .arg("fmt")
                        .arg("-check")
                        .arg("-diff")
                        .arg(&path)
                        .env("TF_CLI_CONFIG_FILE", "/dev/null")
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{n}: terraform fmt -check fails on patched {file}:\n{}",
                        String::from_utf8_lossy(&out.stdout)
                    );
                }
                // ... and patched shell scripts are still valid bash.
                if file.ends_with(".sh") {
                    let ok = std::process::Command::new("bash")
                        .arg("-n")
                        .arg(&path)
                        .status()
                        .unwrap()
                        .success();
                    assert!(ok, "{n}: bash -n fails on patched {file}");
                }
            }

            // A second --fix changes nothing.
            let again = check(tmp.path(), &[&["--fix", "--format", "json"], mode].concat());
            assert_eq!(
                snapshot(tmp.path()),
                after_files,
                "{n}: the second --fix changed files"
            );
            assert!(
                !again.stderr.contains("scopelint: fixed"),
                "{n}: the second --fix fixed something: {}",
                again.stderr
            );
            assert_eq!(
                again.code, fix.code,
                "{n}: the second --fix exits differently"
            );
            assert_eq!(
                check(tmp.path(), &[&["--diff"], mode].concat()).stdout,
                "",
                "{n}: --diff after --fix"
            );
        }
    }
    assert!(
        fixed_fixtures >= 25,
        "only {fixed_fixtures} fixtures were fixed"
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn field_note() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_inputs(
        &root().join("fixtures/sl001_field_note_default_sa"),
        tmp.path(),
    );
    tmp
}

#[cfg(unix)]
#[test]
fn a_read_only_file_is_reported_and_not_written() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = field_note();
    let main = tmp.path().join("main.tf");
    let before = std::fs::read(&main).unwrap();
    std::fs::set_permissions(&main, std::fs::Permissions::from_mode(0o444)).unwrap();
    let run = check(tmp.path(), &["--fix"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("not written: main.tf: the file is read-only"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read(&main).unwrap(), before);
    // the finding is still reported
    assert!(run.stdout.contains("SL001"), "{}", run.stdout);
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".scopelint-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

#[cfg(unix)]
#[test]
fn fix_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = field_note();
    let main = tmp.path().join("main.tf");
    std::fs::set_permissions(&main, std::fs::Permissions::from_mode(0o640)).unwrap();
    let run = check(tmp.path(), &["--fix"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("scopelint: fixed main.tf (SL001 google_compute_instance.js_notes)")
    );
    let mode = std::fs::metadata(&main).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640);
}

#[test]
fn a_file_changed_between_read_and_write_is_not_clobbered() {
    let tmp = field_note();
    let cwd = std::env::current_dir().unwrap();
    let opts = scopelint::Options {
        paths: vec![tmp.path().to_path_buf()],
        inline_suppressions: true,
        ..Default::default()
    };
    let kb = scopelint::knowledge::Knowledge::get().unwrap();
    let outcome = scopelint::run(&opts, kb);
    let plan = scopelint::fix::plan::plan(&opts, kb, &outcome);
    assert_eq!(plan.patches.len(), 1);
    let patch = &plan.patches[0];
    // Someone edits the file after scopelint read it.
    let edited = format!("{}\n# edited meanwhile\n", patch.original);
    std::fs::write(&patch.path, &edited).unwrap();
    let err = scopelint::fix::write::write(patch).unwrap_err();
    assert!(err.contains("changed after scopelint read it"), "{err}");
    assert_eq!(std::fs::read_to_string(&patch.path).unwrap(), edited);
    // Unchanged, it is written.
    std::fs::write(&patch.path, &patch.original).unwrap();
    scopelint::fix::write::write(patch).unwrap();
    assert_eq!(std::fs::read_to_string(&patch.path).unwrap(), patch.patched);
    assert_eq!(std::env::current_dir().unwrap(), cwd);
}

#[test]
fn a_variable_feeding_a_workload_that_does_not_need_the_change_is_not_patched() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("main.tf"), support::SHARED_SCOPES).unwrap();
    let run = check(tmp.path(), &["--fix"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "not applying the patch for SL001 google_compute_instance.a: the scopes come from var.scopes, which also sets the scopes of `google_compute_instance.b`, which does not need this change"
        ),
        "{}",
        run.stderr
    );
    // the withheld patch is shown
    assert!(
        run.stderr.contains("+  default = [\"cloud-platform\"]"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("main.tf")).unwrap(),
        support::SHARED_SCOPES
    );
    assert_eq!(check(tmp.path(), &["--diff"]).stdout, "");

    // When both workloads need the same change, the variable is patched.
    let both = support::SHARED_SCOPES.replace(
        "member  = \"serviceAccount:${google_service_account.a.email}\"",
        "member  = \"serviceAccount:${google_service_account.a.email}\"\n}\n\nresource \"google_project_iam_member\" \"b\" {\n  project = \"p\"\n  role    = \"roles/pubsub.publisher\"\n  member  = \"serviceAccount:${google_service_account.b.email}\"",
    );
    std::fs::write(tmp.path().join("main.tf"), &both).unwrap();
    let run = check(tmp.path(), &["--fix"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let text = std::fs::read_to_string(tmp.path().join("main.tf")).unwrap();
    assert!(text.contains("default = [\"cloud-platform\"]"), "{text}");
}

#[test]
fn output_writes_the_report_to_a_file() {
    let tmp = field_note();
    let out = tmp.path().join("report.sarif");
    let run = check(
        tmp.path(),
        &["--format", "sarif", "--output", "report.sarif"],
    );
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 1);
    // --diff goes there too
    let run = check(tmp.path(), &["--diff", "-o", "patch.diff"]);
    assert_eq!(run.stdout, "");
    assert!(
        std::fs::read_to_string(tmp.path().join("patch.diff"))
            .unwrap()
            .starts_with("--- a/main.tf\n+++ b/main.tf\n")
    );
    // an output file that cannot be written is exit 2
    let run = check(tmp.path(), &["--output", "no/such/dir/report.txt"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("cannot write no/such/dir/report.txt"),
        "{}",
        run.stderr
    );
}

#[test]
fn diff_and_fix_do_not_go_together() {
    let tmp = field_note();
    assert_eq!(check(tmp.path(), &["--diff", "--fix"]).code, 2);
}

#[cfg(unix)]
#[test]
fn pretty_output_is_coloured_only_on_a_terminal_without_no_color() {
    // `script` (util-linux) runs the command on a pseudo-terminal.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("*** SKIPPED: no `script` command to run scopelint on a terminal ***");
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("scopelint");
    let fixture = root().join("fixtures/sl001_field_note_default_sa");
    let on_tty = |no_color: bool| -> String {
        let mut cmd = std::process::Command::new("script");
        cmd.args(["-qec"])
            .arg(format!(
                "stty cols 132; {} check {}",
                bin.display(),
                fixture.display()
            ))
            .arg("/dev/null")
            .env_remove("COLUMNS")
            .env_remove("NO_COLOR");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
    };
    let coloured = on_tty(false);
    assert!(
        coloured.contains('\u{1b}'),
        "no colour on a terminal:\n{coloured}"
    );
    let plain = on_tty(true);
    assert!(
        !plain.contains("\u{1b}["),
        "colour despite NO_COLOR:\n{plain}"
    );
    assert!(plain.contains("error[SL001]: "));
    // Piped: no colour even without NO_COLOR.
    let piped = std::process::Command::new(&bin)
        .arg("check")
        .arg(&fixture)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&piped.stdout).contains('\u{1b}'));
}

/// Ten root modules with a workload of the same address each: independent,
/// so all are fixed in one round instead of one per round.
#[test]
fn independent_roots_with_one_address_are_fixed_together() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = root().join("fixtures/sl001_field_note_default_sa");
    for i in 0..10 {
        copy_inputs(&fixture, &tmp.path().join(format!("env{i}")));
    }
    let out = scopelint()
        .current_dir(tmp.path())
        .args(["check", ".", "--fix", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("did not settle"), "{stderr}");
    assert_eq!(stderr.matches("scopelint: fixed").count(), 10, "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"], serde_json::json!([]));
}

/// A gcloud command in a YAML scalar whose text cannot be mapped back to the
/// file byte for byte (a plain scalar inside a flow mapping) gets no patch:
/// an edit there would land at the scalar's start, not after the last flag.
#[test]
fn a_command_that_cannot_be_located_exactly_gets_no_patch() {
    let tmp = tempfile::tempdir().unwrap();
    let workflows = tmp.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    std::fs::write(
        workflows.join("deploy.yml"),
        "on: push\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n      - run: gcloud projects add-iam-policy-binding p1 --member=serviceAccount:777-compute@developer.gserviceaccount.com --role=roles/storage.objectCreator\n      - {name: flow, run: gcloud compute instances create a7 --zone=asia-east1-a --project=p1}\n      - run: gcloud compute instances create a8 --zone=asia-east1-a --project=p1\n",
    )
    .unwrap();
    let run = check(tmp.path(), &["--diff"]);
    assert!(!run.stdout.contains("run:  --scopes"), "{}", run.stdout);
    // The command in a block mapping is still patched.
    assert!(
        run.stdout
            .contains("create a8 --zone=asia-east1-a --project=p1 --scopes="),
        "{}",
        run.stdout
    );
    let report = report(tmp.path());
    let a7 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["workload"]["name"] == "a7");
    if let Some(f) = a7 {
        assert_eq!(f["fix"], Value::Null, "{f}");
    }
}
