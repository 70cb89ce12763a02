#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The VMs managed services create (GKE default and auto-provisioned pools,
//! Dataproc, Cloud TPU, Composer 1): what is read in each syntax, and that
//! values which are not known stay unknown (no finding, a `--verbose` line).

use scopelint::Options;
use scopelint::knowledge::Knowledge;
use std::path::PathBuf;

/// The finding codes and the unresolved notes of a one-file module.
fn check(name: &str, text: &str) -> (Vec<&'static str>, Vec<String>) {
    let kb = Knowledge::get().unwrap();
    let files = vec![(PathBuf::from(name), text.as_bytes().to_vec())];
    let outcome = scopelint::run_in_memory(&Options::default(), kb, files);
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    let notes = outcome
        .model
        .unresolved
        .iter()
        .map(|u| u.what.clone())
        .collect();
    (
        outcome.findings.iter().map(|f| f.rule.code).collect(),
        notes,
    )
}

/// That `--verbose` has a line saying `what`.
fn assert_said(notes: &[String], what: &str) {
    assert!(notes.iter().any(|n| n.contains(what)), "{notes:?}");
}

const GRANT: &str = r#"
resource "google_project_iam_member" "secrets" {
  project = "p"
  role    = "roles/secretmanager.secretAccessor"
  member  = "serviceAccount:etl@p.iam.gserviceaccount.com"
}
"#;

/// Secret Manager for the default account of project `p`.
const DEFAULT_ACCOUNT_GRANT: &str = r#"
data "google_compute_default_service_account" "d" {
  project = "p"
}

resource "google_project_iam_member" "secrets" {
  project = "p"
  role    = "roles/secretmanager.secretAccessor"
  member  = "serviceAccount:${data.google_compute_default_service_account.d.email}"
}
"#;

#[test]
fn dataproc_in_json_syntax_is_read() {
    let json = r#"{
  "resource": {
    "google_dataproc_cluster": {
      "etl": {
        "name": "etl",
        "region": "europe-west4",
        "cluster_config": {
          "gce_cluster_config": {
            "service_account": "etl@p.iam.gserviceaccount.com",
            "service_account_scopes": ["https://www.googleapis.com/auth/bigquery"]
          }
        }
      }
    },
    "google_project_iam_member": {
      "secrets": {
        "project": "p",
        "role": "roles/secretmanager.secretAccessor",
        "member": "serviceAccount:etl@p.iam.gserviceaccount.com"
      }
    }
  }
}"#;
    assert_eq!(check("main.tf.json", json).0, ["SL001"]);
}

#[test]
fn dataproc_scopes_from_an_unset_variable_give_no_finding() {
    let tf = r#"
variable "scopes" {
  type = list(string)
}

resource "google_dataproc_cluster" "etl" {
  name   = "etl"
  region = "europe-west4"

  cluster_config {
    gce_cluster_config {
      service_account        = "etl@p.iam.gserviceaccount.com"
      service_account_scopes = var.scopes
    }
  }
}
"#;
    assert_eq!(
        check("main.tf", &format!("{tf}{GRANT}")).0,
        Vec::<&str>::new()
    );
}

#[test]
fn an_unknown_remove_default_node_pool_is_no_workload_and_said() {
    let tf = r#"
variable "remove" {
  type = bool
}

resource "google_container_cluster" "c" {
  name                     = "c"
  location                 = "europe-west4"
  initial_node_count       = 1
  remove_default_node_pool = var.remove
}

"#;
    let (codes, notes) = check("main.tf", &format!("{tf}{DEFAULT_ACCOUNT_GRANT}"));
    assert_eq!(codes, Vec::<&str>::new());
    assert_said(&notes, "whether the default node pool is removed");
}

#[test]
fn composer_of_unknown_version_is_said_and_composer_2_is_no_workload() {
    let tf = r#"
variable "image" {
  type = string
}

resource "google_composer_environment" "unknown" {
  name   = "unknown"
  region = "europe-west4"
  config {
    node_config {
      service_account = "etl@p.iam.gserviceaccount.com"
      oauth_scopes    = ["https://www.googleapis.com/auth/logging.write"]
    }
    software_config {
      image_version = var.image
    }
  }
}

resource "google_composer_environment" "v2" {
  name   = "v2"
  region = "europe-west4"
  config {
    node_config {
      service_account = "etl@p.iam.gserviceaccount.com"
      oauth_scopes    = ["https://www.googleapis.com/auth/logging.write"]
    }
    software_config {
      image_version = "composer-2.9.7-airflow-2.9.3"
    }
  }
}
"#;
    let (codes, notes) = check("main.tf", &format!("{tf}{GRANT}"));
    assert_eq!(codes, Vec::<&str>::new());
    assert_said(&notes, "the Composer version is not known");
}

#[test]
fn auto_provisioning_without_oauth_scopes_stays_unknown() {
    let tf = r#"
resource "google_container_cluster" "c" {
  name                     = "c"
  location                 = "europe-west4"
  initial_node_count       = 1
  remove_default_node_pool = true

  cluster_autoscaling {
    enabled = true
    auto_provisioning_defaults {
      service_account = "etl@p.iam.gserviceaccount.com"
    }
  }
}
"#;
    let (codes, notes) = check("main.tf", &format!("{tf}{GRANT}"));
    assert_eq!(codes, Vec::<&str>::new());
    assert_said(&notes, "oauth_scopes is not set");
}

#[test]
fn a_node_pool_without_node_config_gets_the_provider_default() {
    let tf = r#"
resource "google_container_cluster" "c" {
  name                     = "c"
  project                  = "p"
  location                 = "europe-west4"
  initial_node_count       = 1
  remove_default_node_pool = true
}

resource "google_container_node_pool" "p" {
  name     = "p"
  project  = "p"
  location = "europe-west4"
  cluster  = google_container_cluster.c.name
}

"#;
    assert_eq!(
        check("main.tf", &format!("{tf}{DEFAULT_ACCOUNT_GRANT}")).0,
        ["SL001"]
    );
}
