#![allow(clippy::unwrap_used, clippy::expect_used)]

//! `scopelint why-403` on the error bodies client libraries and `curl` print.

use assert_cmd::Command;
use serde_json::Value;

fn why(args: &[&str]) -> Value {
    let out = Command::cargo_bin("scopelint")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("why-403")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
/// The error names GenerateContent, which the aiplatform service configuration
/// lets cloud-platform.read-only call (the API as a whole needs cloud-platform).
fn a_vertex_scope_error_is_judged_by_the_method_it_names() {
    let a = why(&[
        "--error-file",
        "tests/data/vertex-scope-403.json",
        "--instance",
        "js-notes",
        "--instances",
        "fixtures/audit/field_note/instances.json",
    ]);
    assert_eq!(a["cause"], "scopes");
    assert_eq!(a["api"], "aiplatform.googleapis.com");
    assert_eq!(
        a["error"]["method"],
        "google.cloud.aiplatform.v1.PredictionService.GenerateContent"
    );
    assert_eq!(
        a["accepted_by_every_method"],
        serde_json::json!(["cloud-platform"])
    );
    assert_eq!(
        a["method_scopes"]["scopes"],
        serde_json::json!(["cloud-platform", "cloud-platform.read-only"])
    );
    assert!(
        a["method_scopes"]["source"]
            .as_str()
            .unwrap()
            .contains("google/cloud/aiplatform/v1/aiplatform_v1.yaml"),
        "{a}"
    );
    assert_eq!(a["add"], "cloud-platform.read-only");
    let commands: Vec<&str> = a["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(commands.len(), 3, "{commands:?}");
    assert_eq!(
        commands[0],
        "gcloud compute instances stop js-notes --zone=us-central1-a --project=ml-lab"
    );
    // The VM's scopes are kept beside the new one.
    assert!(
        commands[1].contains(
            "--scopes=https://www.googleapis.com/auth/cloud-platform.read-only,storage-ro,logging-write,"
        ),
        "{}",
        commands[1]
    );
}

#[test]
fn plain_text_and_a_described_scope_list_give_the_narrowest_scope() {
    let a = why(&[
        "--error",
        "403 POST https://pubsub.googleapis.com/v1/projects/p/topics/t:publish: Request had insufficient authentication scopes.",
        "--scopes",
        "['https://www.googleapis.com/auth/devstorage.read_only', 'https://www.googleapis.com/auth/logging.write']",
    ]);
    assert_eq!(a["cause"], "scopes");
    assert_eq!(a["api"], "pubsub.googleapis.com");
    assert_eq!(
        a["scopes"],
        serde_json::json!(["devstorage.read_only", "logging.write"])
    );
    assert_eq!(a["add"], "pubsub");
}

#[test]
fn iam_and_disabled_api_errors_are_not_blamed_on_scopes() {
    for (reason, cause) in [
        ("IAM_PERMISSION_DENIED", "iam"),
        ("SERVICE_DISABLED", "service-disabled"),
    ] {
        let body = format!(
            r#"{{"error":{{"code":403,"status":"PERMISSION_DENIED","message":"denied","details":[{{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"{reason}","metadata":{{"service":"aiplatform.googleapis.com"}}}}]}}}}"#
        );
        let a = why(&["--error", &body, "--scopes", "default"]);
        assert_eq!(a["cause"], cause);
        assert_eq!(a["add"], Value::Null);
        assert_eq!(a["commands"], serde_json::json!([]));
    }
}
