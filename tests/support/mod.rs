//! Helpers shared by the integration tests.
#![allow(clippy::unwrap_used, dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};

/// Applies every suggested edit of a JSON report to the files under `dir`, as
/// a fixer would: identical edits once (instances of one count/for_each resource
/// share their literal), and of two overlapping edits the first. Returns the
/// files changed.
pub fn apply_fixes(dir: &Path, report: &Value) -> Vec<PathBuf> {
    let mut by_file: std::collections::BTreeMap<String, Vec<(usize, usize, String)>> =
        Default::default();
    for f in report["findings"].as_array().unwrap() {
        for e in f["fix"]["edits"].as_array().into_iter().flatten() {
            by_file
                .entry(e["file"].as_str().unwrap().to_string())
                .or_default()
                .push((
                    e["start_byte"].as_u64().unwrap() as usize,
                    e["end_byte"].as_u64().unwrap() as usize,
                    e["replacement"].as_str().unwrap().to_string(),
                ));
        }
    }
    let mut changed = Vec::new();
    for (file, mut edits) in by_file {
        let path = dir.join(&file);
        let mut text = std::fs::read_to_string(&path).unwrap();
        edits.sort();
        edits.dedup();
        let mut kept: Vec<(usize, usize, String)> = Vec::new();
        for e in edits {
            if kept
                .last()
                .is_none_or(|k| e.0 >= k.1 && !(e.0 == k.0 && e.1 == k.1))
            {
                kept.push(e);
            }
        }
        for (s, e, r) in kept.into_iter().rev() {
            text.replace_range(s..e, &r);
        }
        std::fs::write(&path, text).unwrap();
        changed.push(path);
    }
    changed
}

/// Copies a directory tree (fixtures into temporary directories).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// `scopelint check ARGS --format json` run in `dir`: the report, stderr and
/// exit code. No run may hang: it is stopped after a few minutes.
pub fn check_json(dir: &Path, args: &[&str]) -> (Value, String, i32) {
    let out = assert_cmd::Command::cargo_bin("scopelint")
        .unwrap()
        .timeout(std::time::Duration::from_secs(300))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .arg("check")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap(),
    )
}

/// Compares `actual` with the snapshot at `path` (a missing file reads as
/// empty) and records a difference with its diff; with `SCOPELINT_BLESS` set it
/// rewrites the snapshot instead, removing it when `drop_empty` and `actual`
/// is empty. `test` names the test binary that rewrites it.
pub fn compare_snapshot(
    path: &Path,
    actual: &str,
    failures: &mut Vec<String>,
    drop_empty: bool,
    test: &str,
) {
    if std::env::var_os("SCOPELINT_BLESS").is_some() {
        if drop_empty && actual.is_empty() {
            let _ = std::fs::remove_file(path);
        } else {
            std::fs::write(path, actual).unwrap();
        }
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected != actual {
        let diff = similar::TextDiff::from_lines(&expected, actual)
            .unified_diff()
            .header("expected", "actual")
            .to_string();
        failures.push(format!(
            "{}:\n{diff}\n(SCOPELINT_BLESS=1 cargo test --test {test} rewrites it)",
            path.display()
        ));
    }
}

/// Every fixture project (a directory of `fixtures/`), in sorted order.
pub fn fixture_projects() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        // `fixtures/audit/` holds exports for `scopelint audit` (tests/audit.rs).
        .filter(|p| p.is_dir() && !p.ends_with("audit"))
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 30, "fixtures/ must hold the fixture projects");
    dirs
}

/// The directory `.ci/install-tools` installs the third-party tools into
/// (`SCOPELINT_CI_TOOLS`, else `target/ci-tools`).
pub fn ci_tools() -> PathBuf {
    std::env::var_os("SCOPELINT_CI_TOOLS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-tools"),
        PathBuf::from,
    )
}

/// The tool at `rel` under [`ci_tools`], or `None` after a message saying the
/// test skips. Under CI (`CI` set) a missing tool fails the test instead.
pub fn ci_tool(rel: &str) -> Option<PathBuf> {
    let path = ci_tools().join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: .ci/install-tools must install it",
        path.display()
    );
    eprintln!(
        "SKIP: {} is not installed (run .ci/install-tools)",
        path.display()
    );
    None
}

/// Runs `cmd` to its end: whether it succeeded, and its stdout then stderr.
pub fn run(cmd: &mut std::process::Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Builds the wheel of `pyproject.toml` with `maturin` into `out` and returns
/// its path. It is built with the `dev` profile in the workspace's target
/// directory, where `cargo test` has just compiled the same binary: maturin's
/// cargo finds it up to date and only the packing is left (a release wheel is
/// the same package around an optimised binary; the release workflow builds
/// those).
pub fn build_wheel(maturin: &Path, out: &Path) -> PathBuf {
    // Two builds at once in one test binary race over the binary they both
    // copy out of target/: one at a time.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (ok, log) = run(std::process::Command::new(maturin)
        .current_dir(root)
        .args(["build", "--profile", "dev", "--out"])
        .arg(out));
    assert!(ok, "maturin build failed:\n{log}");
    let wheels: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "whl"))
        .collect();
    assert_eq!(
        wheels.len(),
        1,
        "one wheel expected in {}:\n{log}",
        out.display()
    );
    wheels.into_iter().next().unwrap()
}

/// Two VMs whose scopes come from one variable; only `a`'s account holds a
/// role that needs another scope, so its patch must not be applied.
pub const SHARED_SCOPES: &str = r#"
variable "scopes" {
  type    = list(string)
  default = ["storage-ro", "logging-write"]
}

resource "google_service_account" "a" {
  account_id = "a"
}

resource "google_service_account" "b" {
  account_id = "b"
}

resource "google_project_iam_member" "a" {
  project = "p"
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_service_account.a.email}"
}

resource "google_compute_instance" "a" {
  name         = "a"
  machine_type = "e2-small"
  zone         = "europe-west1-b"
  service_account {
    email  = google_service_account.a.email
    scopes = var.scopes
  }
}

resource "google_compute_instance" "b" {
  name         = "b"
  machine_type = "e2-small"
  zone         = "europe-west1-b"
  service_account {
    email  = google_service_account.b.email
    scopes = var.scopes
  }
}
"#;
