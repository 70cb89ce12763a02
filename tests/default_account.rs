#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every project has its own Compute Engine default service account: a grant
//! reaches a VM's default account only when their projects may be the same.
//! The same holds for the APIs a project enables (rule SL005). (The fixture
//! `identity_default_sa_per_project` shows the tree-wide case.)

use scopelint::Options;
use scopelint::knowledge::Knowledge;
use std::path::PathBuf;

/// A VM in `project` (empty: none) running as `email` (empty: the default
/// account) with scopes that Vertex AI does not accept.
fn vm(project: &str, email: &str) -> String {
    let project = match project {
        "" => String::new(),
        p => format!("  project = \"{p}\"\n"),
    };
    let email = match email {
        "" => String::new(),
        e => format!("    email  = \"{e}\"\n"),
    };
    format!(
        "resource \"google_compute_instance\" \"vm\" {{\n{project}  name = \"vm\"\n  service_account {{\n{email}    scopes = [\"storage-ro\"]\n  }}\n}}\n"
    )
}

/// A grant of Vertex AI to the default account `member` (an email).
fn grant(name: &str, member: &str) -> String {
    format!(
        "resource \"google_project_iam_member\" \"{name}\" {{\n  project = \"p\"\n  role    = \"roles/aiplatform.user\"\n  member  = \"serviceAccount:{member}\"\n}}\n"
    )
}

/// A grant to the default account of project `project` through the data source.
fn grant_via_data_source(name: &str, project: &str) -> String {
    format!(
        "data \"google_compute_default_service_account\" \"{name}\" {{\n  project = \"{project}\"\n}}\n\n\
         resource \"google_project_iam_member\" \"{name}\" {{\n  project = \"{project}\"\n  role    = \"roles/aiplatform.user\"\n  member  = \"serviceAccount:${{data.google_compute_default_service_account.{name}.email}}\"\n}}\n"
    )
}

/// The codes of the findings of a one-file module.
fn codes(main_tf: String) -> Vec<&'static str> {
    let kb = Knowledge::get().unwrap();
    let files = vec![(PathBuf::from("main.tf"), main_tf.into_bytes())];
    let outcome = scopelint::run_in_memory(&Options::default(), kb, files);
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    outcome.findings.iter().map(|f| f.rule.code).collect()
}

#[test]
fn same_project_id_is_joined() {
    let tf = vm("a", "") + &grant_via_data_source("a", "a");
    assert_eq!(codes(tf), ["SL001"]);
}

#[test]
fn other_project_id_is_not_joined() {
    let tf = vm("a", "") + &grant_via_data_source("b", "b");
    assert_eq!(codes(tf), Vec::<&str>::new());
}

#[test]
fn project_numbers_in_emails_are_compared() {
    let same = vm("", "123-compute@developer.gserviceaccount.com")
        + &grant("g", "123-compute@developer.gserviceaccount.com");
    assert_eq!(codes(same), ["SL001"]);
    let other = vm("", "123-compute@developer.gserviceaccount.com")
        + &grant("g", "456-compute@developer.gserviceaccount.com");
    assert_eq!(codes(other), Vec::<&str>::new());
}

#[test]
fn an_id_and_a_number_cannot_be_told_apart_so_they_are_joined() {
    let tf = vm("a", "") + &grant("g", "123-compute@developer.gserviceaccount.com");
    assert_eq!(codes(tf), ["SL001"]);
}

#[test]
fn unknown_project_is_joined_only_when_one_project_holds_grants() {
    let one = vm("", "") + &grant_via_data_source("b", "b");
    assert_eq!(codes(one), ["SL001"]);
    let two = vm("", "") + &grant_via_data_source("b", "b") + &grant_via_data_source("c", "c");
    assert_eq!(codes(two), Vec::<&str>::new());
}

/// An API enabled in project `project`.
fn enabled(name: &str, project: &str) -> String {
    format!(
        "resource \"google_project_service\" \"{name}\" {{\n  project = \"{project}\"\n  service = \"secretmanager.googleapis.com\"\n}}\n"
    )
}

#[test]
fn an_api_counts_for_sl005_only_in_its_own_project() {
    assert_eq!(codes(vm("a", "") + &enabled("s", "a")), ["SL005"]);
    assert_eq!(codes(vm("a", "") + &enabled("s", "b")), Vec::<&str>::new());
}
