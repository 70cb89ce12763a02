//! What the fuzz targets share: run one fuzzed input through the whole
//! pipeline (read, parse, model, checks, suppressions, patches) and the
//! renderers, inside a module whose other files give it grants to match.
//! Any panic is a bug, and so is a control character or a line that starts
//! a CI log command in human output; diagnostics are the expected answer to
//! bad input.

use scopelint::knowledge::Knowledge;
use scopelint::{Options, config, render};
use std::path::PathBuf;

/// Files beside the fuzzed one: roles for the default compute account and for
/// a dedicated account, an enabled API, and a variable for tfvars to set, so
/// that workloads written by the fuzzer get findings, patches and diffs.
const COMPANION: &str = r#"
variable "scopes" {
  default = ["storage-ro"]
}

variable "email" {
  default = "app@p.iam.gserviceaccount.com"
}

resource "google_service_account" "app" {
  account_id = "app"
}

resource "google_project_iam_member" "vertex" {
  project = "p"
  role    = "roles/aiplatform.user"
  member  = "serviceAccount:${google_service_account.app.email}"
}

resource "google_project_iam_member" "default_editor" {
  project = "p"
  role    = "roles/editor"
  member  = "serviceAccount:123-compute@developer.gserviceaccount.com"
}

resource "google_project_iam_member" "literal" {
  project = "p"
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:app@p.iam.gserviceaccount.com"
}

resource "google_project_service" "secrets" {
  service = "secretmanager.googleapis.com"
}

resource "google_compute_instance" "vm" {
  name = "vm"
  service_account {
    email  = var.email
    scopes = var.scopes
  }
}
"#;

/// Analyses `data` as the file `name` of a module that also holds [`COMPANION`].
pub fn check_file(name: &str, data: &[u8]) {
    let files = vec![
        (PathBuf::from("companion.tf"), COMPANION.as_bytes().to_vec()),
        (PathBuf::from(name), data.to_vec()),
    ];
    analyse(files);
}

/// Runs the pipeline and renders the outcome both ways.
pub fn analyse(files: Vec<(PathBuf, Vec<u8>)>) {
    let Ok(kb) = Knowledge::get() else {
        return;
    };
    let outcome = scopelint::run_in_memory(&Options::default(), kb, files);
    let all: Vec<_> = outcome.findings.iter().collect();
    let json = render::json::render(&outcome, &all);
    assert!(json.starts_with('{'));
    let pretty = render::pretty::render(
        &outcome,
        &all,
        render::pretty::Style {
            color: false,
            width: 80,
        },
    );
    let compact = render::compact::render(&outcome, &all);
    // Text from the input is shown, never obeyed by a terminal or CI log.
    for text in [&pretty, &compact] {
        assert!(!text.contains(['\u{1b}', '\u{7}']), "{text}");
        assert!(
            text.lines().all(|l| !l.trim_start().starts_with("::")),
            "{text}"
        );
    }
}

/// Loads `data` as `.scopelint.yaml` (the configuration reader takes a path).
pub fn check_config(data: &[u8]) {
    let Ok(kb) = Knowledge::get() else {
        return;
    };
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join(config::FILE_NAME);
    if std::fs::write(&path, data).is_ok() {
        let _ = config::load(&path, kb);
    }
}

/// Applies `data` as a baseline file to the findings of [`COMPANION`].
pub fn check_baseline(data: &[u8]) {
    let Ok(kb) = Knowledge::get() else {
        return;
    };
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("baseline.json");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let opts = Options {
        baseline: Some(path),
        ..Options::default()
    };
    let files = vec![(PathBuf::from("main.tf"), COMPANION.as_bytes().to_vec())];
    let outcome = scopelint::run_in_memory(&opts, kb, files);
    let all: Vec<_> = outcome.findings.iter().collect();
    render::json::render(&outcome, &all);
}
