#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The words around a patch must match the patch: what it adds or replaces,
//! and what applying it does.

mod support;

use assert_cmd::Command;
use std::path::Path;

fn pretty(fixture: &str) -> String {
    let out = Command::cargo_bin("scopelint")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "400")
        .args(["check", fixture])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn fix_description(fixture: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (report, _, _) = support::check_json(root, &[fixture]);
    report["findings"][0]["fix"]["description"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_default_account_patch_that_adds_cloud_platform_says_what_that_opens() {
    let fixture = "fixtures/sl001_field_note_default_sa";
    let description = fix_description(fixture);
    assert!(
        description.starts_with("Add cloud-platform:"),
        "{description}"
    );
    // It must not claim to add "the narrowest" scopes while adding cloud-platform.
    assert!(!description.contains("narrowest"), "{description}");
    assert!(
        description.contains("everything the Compute Engine default service account's roles allow"),
        "{description}"
    );
    let text = pretty(fixture);
    assert!(
        text.contains("better: run js-notes as a dedicated service account that holds only roles/aiplatform.user"),
        "{text}"
    );
    assert!(
        text.contains("resource \"google_service_account\""),
        "{text}"
    );
    // The instance sets allow_stopping_for_update = true: the note says what
    // applying does, not that the attribute is needed.
    assert!(
        text.contains(
            "allow_stopping_for_update = true is set, so terraform apply stops and starts"
        ),
        "{text}"
    );
    assert!(
        !text.contains("without it, terraform apply fails"),
        "{text}"
    );
}

#[test]
fn a_gcloud_patch_that_writes_only_cloud_platform_is_called_a_replacement() {
    let fixture = "fixtures/gcloud_field_note_create_with_container";
    let description = fix_description(fixture);
    assert!(
        description.starts_with("Replace the scopes with cloud-platform:"),
        "{description}"
    );
    let text = pretty(fixture);
    assert!(text.contains("+  --scopes=cloud-platform"), "{text}");
    assert!(
        text.contains("gcloud iam service-accounts create js-notes-sa"),
        "{text}"
    );
}

#[test]
fn a_narrow_patch_for_the_default_account_says_why_it_is_narrow() {
    // storage-ro with roles/storage.objectAdmin on the default account: the
    // patch adds storage-rw, not cloud-platform.
    let fixture = "fixtures/sl002_storage_access_classes";
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (report, _, _) = support::check_json(root, &[fixture]);
    let descriptions: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["fix"]["description"].as_str())
        .collect();
    assert!(!descriptions.is_empty(), "{report:#}");
    for d in descriptions {
        if d.starts_with("Add ") && !d.starts_with("Add cloud-platform") {
            assert!(!d.contains("accepts no narrower scope"), "{d}");
        }
    }
}
