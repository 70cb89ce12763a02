#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Adversarial inputs, each generated small: whatever their shape, every run
//! ends with a report, and what cannot be followed stays unknown (never a
//! finding) with a `--verbose` note saying why.

mod support;

use serde_json::{Value, json};
use std::path::Path;

fn rules(report: &Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// How deep the shell interpreter follows nested word parts.
const SHELL_DEPTH_LIMIT: usize = 200;

/// `${a:-${a:-...x...}}` nested `depth` times: `x`, as far as bash is concerned.
fn nested_default(depth: usize) -> String {
    format!("{}x{}", "${a:-".repeat(depth), "}".repeat(depth))
}

/// The same deep expansion in every front end that reads shell: a script, a
/// workflow `run:`, a Cloud Build `bash -c` and a startup script read through
/// `file()`. At 10 times the depth limit, and at a depth that overflowed the
/// stack before there was a limit, the scopes are unknown (so no SL004 on
/// `x`), the run ends normally and `--verbose` says where it stopped.
#[test]
fn nested_parameter_expansions_stay_unknown_in_every_front_end() {
    for depth in [SHELL_DEPTH_LIMIT * 10, 100_000] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let nest = nested_default(depth);
        let create = format!(
            "gcloud compute instances create vm-1 --zone=us-east1-b \
             --service-account=vm@p.iam.gserviceaccount.com --scopes=\"{nest}\""
        );
        write(dir, "script/deploy.sh", &format!("#!/bin/bash\n{create}\n"));
        write(
            dir,
            "workflow/.github/workflows/deploy.yml",
            &format!(
                "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          {create}\n"
            ),
        );
        write(
            dir,
            "build/cloudbuild.yaml",
            &format!(
                "steps:\n  - name: gcr.io/google.com/cloudsdktool/cloud-sdk\n    entrypoint: bash\n    args:\n      - -c\n      - |\n        {create}\n"
            ),
        );
        write(
            dir,
            "startup/boot.sh",
            &format!("#!/bin/bash\nBUCKET=\"{nest}\"\ngsutil cp gs://b/o .\n"),
        );
        write(
            dir,
            "startup/main.tf",
            r#"resource "google_compute_instance" "vm" {
  name                    = "vm"
  machine_type            = "e2-small"
  zone                    = "us-east1-b"
  metadata_startup_script = file("${path.module}/boot.sh")
  service_account {
    email  = "vm@p.iam.gserviceaccount.com"
    scopes = ["logging-write"]
  }
}
"#,
        );
        for (path, want) in [
            ("script", vec![]),
            ("workflow", vec![]),
            ("build", vec![]),
            // The script's `gsutil cp` is still read after the deep assignment.
            ("startup", vec!["SL006"]),
        ] {
            let (report, stderr, code) = support::check_json(dir, &[path, "--verbose"]);
            let context = format!("{path} at depth {depth}");
            assert_eq!(code, i32::from(!want.is_empty()), "{context}");
            assert_eq!(report["errors"], json!([]), "{context}");
            assert_eq!(rules(&report), want, "{context}");
            assert!(
                stderr.contains("unresolved: expansions nest too deep to follow"),
                "{context}: {stderr}"
            );
        }
    }
}
