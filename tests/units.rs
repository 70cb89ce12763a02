#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Deployment units: which facts meet (NOTES §0). The findings located in a
//! directory must not depend on what else is scanned beside it, except for
//! joins through literals, which `--verbose` names.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

const LABS: &str = "fixtures/units_independent_lab_folders";

/// `(rule, file, line, workload)` of every finding whose location is under `dir`.
fn findings_under(report: &Value, dir: &str) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["location"]["file"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{dir}/"))
        })
        .map(|f| {
            format!(
                "{} {}:{} {}",
                f["rule"].as_str().unwrap(),
                f["location"]["file"].as_str().unwrap(),
                f["location"]["start"]["line"],
                f["workload"]["address"].as_str().unwrap()
            )
        })
        .collect()
}

fn files_of(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "tf" || e == "sh" || e == "yaml")
        })
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

#[test]
fn a_directory_has_the_same_findings_alone_as_files_and_in_the_whole_tree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (whole, _, _) = support::check_json(root, &[LABS]);
    let mut seen = 0;
    for lab in ["lab-vertex", "lab-storage", "lab-gcloud"] {
        let dir = format!("{LABS}/{lab}");
        let (alone, _, _) = support::check_json(root, &[dir.as_str()]);
        let files = files_of(&root.join(&dir));
        let args: Vec<&str> = files.iter().map(String::as_str).collect();
        let (named, _, _) = support::check_json(root, &args);
        let in_whole = findings_under(&whole, &dir);
        assert_eq!(findings_under(&alone, &dir), in_whole, "{dir} alone");
        assert_eq!(findings_under(&named, &dir), in_whole, "{dir} as files");
        seen += in_whole.len();
    }
    // Only lab-vertex grants its VM's account a role.
    assert_eq!(seen, 1, "{whole:#}");
}

#[test]
fn units_with_unknown_projects_never_share_the_default_account() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (report, _, _) = support::check_json(root, &[LABS]);
    let addresses: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["workload"]["address"].as_str().unwrap())
        .collect();
    // lab-storage's VM and lab-gcloud's VM run as the default account of an
    // unknown project: the roles granted in lab-vertex and lab-gcloud's other
    // script are not theirs.
    assert_eq!(addresses, ["google_compute_instance.notebook"]);
    let apis: Vec<&str> = report["findings"][0]["apis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["service"].as_str().unwrap())
        .collect();
    assert_eq!(apis, ["aiplatform.googleapis.com"]);
}

#[test]
fn verbose_names_joins_through_a_literal_email() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = "fixtures/modules_literal_email_across_dirs";
    let (report, stderr, _) = support::check_json(root, &[dir, "--verbose"]);
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
    assert!(
        stderr.contains(
            "google_compute_instance.ingest: joined by literal email \
             ingest-vm@acme-data-prod.iam.gserviceaccount.com with grants from \
             fixtures/modules_literal_email_across_dirs/iam"
        ),
        "{stderr}"
    );
    // Scanned alone, the VM's directory has no grant for that email.
    let (alone, stderr, _) = support::check_json(root, &[&format!("{dir}/network"), "--verbose"]);
    assert!(
        alone["findings"].as_array().unwrap().is_empty(),
        "{alone:#}"
    );
    assert!(!stderr.contains("joined by"), "{stderr}");
}

#[test]
fn a_script_joins_a_grant_and_a_vm_through_the_same_unknown_variable() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (report, _, _) = support::check_json(root, &["fixtures/units_script_symbolic_sa"]);
    let got: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["workload"]["name"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(got.len(), 3, "{got:#?}");
    assert!(got[0].starts_with("inference-vm "), "{got:#?}");
    assert!(
        got[0].contains("runs as the service account inference-runner@${PROJECT_ID}.iam"),
        "{got:#?}"
    );
    assert!(got[1].starts_with("batch-vm "), "{got:#?}");
    assert!(
        got[1].contains("runs as the service account $BATCH_SA"),
        "{got:#?}"
    );
    // Each pass of a loop assigns a new account: the grant after the loop is
    // the last pass's only (web-vm), not ml-vm's.
    assert!(got[2].starts_with("web-vm "), "{got:#?}");
}
