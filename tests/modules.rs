#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Module calls: which directories are roots, and what `--verbose` says about
//! modules that are not analysed.

mod support;

use serde_json::Value;
use std::path::Path;

fn check(dir: &Path, args: &[&str]) -> (Value, String) {
    let (report, stderr, _) = support::check_json(dir, args);
    (report, stderr)
}

fn addresses(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["rule"], f["workload"]["address"]))
        .collect()
}

const IAM: &str = r#"
data "google_compute_default_service_account" "default" {
  project = "p"
}

resource "google_project_iam_member" "vertex" {
  project = "p"
  role    = "roles/aiplatform.user"
  member  = data.google_compute_default_service_account.default.member
}
"#;

const ROOT: &str = r#"
module "vm" {
  source = "../vm"
  scopes = ["cloud-platform"]
}
"#;

const VM: &str = r#"
variable "scopes" {
  type    = list(string)
  default = ["storage-ro", "logging-write", "monitoring-write"]
}

resource "google_compute_instance" "this" {
  name    = "vm"
  project = "p"
  zone    = "us-central1-a"
  service_account {
    scopes = var.scopes
  }
}
"#;

#[test]
fn a_called_directory_is_analysed_through_its_caller_only() {
    let tmp = tempfile::tempdir().unwrap();
    for (dir, text) in [("iam", IAM), ("app", ROOT), ("vm", VM)] {
        std::fs::create_dir(tmp.path().join(dir)).unwrap();
        std::fs::write(tmp.path().join(dir).join("main.tf"), text).unwrap();
    }
    // The caller passes cloud-platform: clean. The module's own defaults would be
    // insufficient, but the directory is not a root of its own.
    let (report, _) = check(tmp.path(), &["."]);
    assert!(addresses(&report).is_empty(), "{report:#}");
    // Without its caller, it is a root, with its defaults; the grant in the
    // other root joins it through the literal project's default account.
    let (alone, _) = check(tmp.path(), &["iam", "vm"]);
    assert_eq!(
        addresses(&alone),
        ["\"SL001\" \"google_compute_instance.this\""]
    );
}

/// Directories are parsed and evaluated in groups found from the text of
/// their `source` literals; a source the text does not show (written with
/// escapes) still gives the answer of one evaluation of the whole tree.
#[test]
fn a_module_source_written_with_escapes_is_still_a_call() {
    let tmp = tempfile::tempdir().unwrap();
    let root = ROOT.replace("\"../vm\"", "\"\\u002e./vm\"");
    assert!(root.contains(r#"source = "\u002e./vm""#), "{root}");
    for (dir, text) in [("iam", IAM), ("app", root.as_str()), ("vm", VM)] {
        std::fs::create_dir(tmp.path().join(dir)).unwrap();
        std::fs::write(tmp.path().join(dir).join("main.tf"), text).unwrap();
    }
    let (report, _) = check(tmp.path(), &["."]);
    assert!(addresses(&report).is_empty(), "{report:#}");
}

#[test]
fn modules_that_are_not_installed_are_said_to_be_opaque() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_, stderr) = check(dir, &["fixtures/modules_registry_installed", "--verbose"]);
    assert!(
        stderr.contains("module.network") && stderr.contains("not installed"),
        "{stderr}"
    );
    assert!(!stderr.contains("module.worker"), "{stderr}");
}

/// Two roots that call one module outside the scanned paths: the module is
/// read once (three files in all) and both instances are analysed.
#[test]
fn a_module_outside_the_scanned_paths_called_twice_is_read_once() {
    let tmp = tempfile::tempdir().unwrap();
    let root = ROOT
        .replace("../vm", "../../modules/vm")
        .replace("[\"cloud-platform\"]", "[\"storage-ro\"]");
    for env in ["prod", "staging"] {
        std::fs::create_dir_all(tmp.path().join("envs").join(env)).unwrap();
        std::fs::write(
            tmp.path().join("envs").join(env).join("main.tf"),
            IAM.to_string() + &root,
        )
        .unwrap();
    }
    std::fs::create_dir_all(tmp.path().join("modules/vm")).unwrap();
    std::fs::write(tmp.path().join("modules/vm/main.tf"), VM).unwrap();
    // Outside the scanned paths but inside their git work tree.
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    let (report, _) = check(tmp.path(), &["envs/prod", "envs/staging"]);
    let files: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["envs/prod/main.tf", "envs/staging/main.tf"]);
    let out = assert_cmd::Command::cargo_bin("scopelint")
        .unwrap()
        .current_dir(tmp.path())
        .env("NO_COLOR", "1")
        .args(["check", "envs/prod", "envs/staging"])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("in 3 files"), "{text}");
}

#[test]
fn local_modules_outside_the_scanned_paths_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("envs/prod")).unwrap();
    std::fs::create_dir_all(tmp.path().join("modules/vm")).unwrap();
    let root = ROOT
        .replace("../vm", "../../modules/vm")
        .replace("[\"cloud-platform\"]", "[\"storage-ro\"]");
    std::fs::write(
        tmp.path().join("envs/prod/main.tf"),
        IAM.to_string() + &root,
    )
    .unwrap();
    std::fs::write(tmp.path().join("modules/vm/main.tf"), VM).unwrap();
    // Without a git work tree around them, only the scanned paths are read.
    let (alone, stderr) = check(tmp.path(), &["envs/prod", "--verbose"]);
    assert_eq!(addresses(&alone), Vec::<String>::new());
    assert!(
        stderr.contains("modules/vm: skipped: not read: outside the scanned paths"),
        "{stderr}"
    );
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    let (report, _) = check(tmp.path(), &["envs/prod"]);
    assert_eq!(
        addresses(&report),
        ["\"SL001\" \"module.vm.google_compute_instance.this\""]
    );
    assert_eq!(
        report["findings"][0]["location"]["file"],
        "envs/prod/main.tf"
    );
}

/// A module outside the repository, read with `--allow-read-outside`: its
/// patch is shown but neither written nor put in the diff unless
/// `--fix-outside` allows it; diff paths are relative to the repository.
#[test]
fn fix_and_diff_stay_inside_the_work_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join("envs/prod")).unwrap();
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(tmp.path().join("shared/vm")).unwrap();
    let root = "module \"vm\" {\n  source = \"../../../shared/vm\"\n}\n";
    std::fs::write(repo.join("envs/prod/main.tf"), IAM.to_string() + root).unwrap();
    let shared = tmp.path().join("shared/vm/main.tf");
    std::fs::write(&shared, VM).unwrap();
    let run = |args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("scopelint")
            .unwrap()
            .current_dir(repo.join("envs"))
            .env("NO_COLOR", "1")
            .args(["check", "prod", "--allow-read-outside", "../../shared"])
            .args(args)
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (diff, stderr) = run(&["--diff"]);
    assert_eq!(diff, "", "{stderr}");
    assert!(stderr.contains("not patching"), "{stderr}");
    let (_, stderr) = run(&["--fix"]);
    assert!(stderr.contains("not patching"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&shared).unwrap(), VM);

    let (diff, _) = run(&["--diff", "--fix-outside"]);
    assert!(diff.contains("+++ b/"), "{diff}");
    run(&["--fix", "--fix-outside"]);
    assert_ne!(std::fs::read_to_string(&shared).unwrap(), VM);

    // A file of the repository outside the working directory: a path from
    // the repository root, which `git apply` takes.
    let root = ROOT.replace("[\"cloud-platform\"]", "[\"storage-ro\"]");
    std::fs::write(repo.join("envs/prod/main.tf"), IAM.to_string() + &root).unwrap();
    std::fs::create_dir_all(repo.join("envs/vm")).unwrap();
    std::fs::write(repo.join("envs/vm/main.tf"), VM).unwrap();
    let out = assert_cmd::Command::cargo_bin("scopelint")
        .unwrap()
        .current_dir(repo.join("envs/prod"))
        .args(["check", ".", "--diff"])
        .output()
        .unwrap();
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(diff.contains("--- a/envs/prod/main.tf"), "{diff}");
}
