//! Single-file shapes for the benchmark, where cost can grow with the product
//! of two sizes rather than their sum: many workloads in one file that each
//! need a scopes patch.

use crate::Result;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// How each generated VM writes its scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scopes {
    /// A list literal: every finding carries a patch, verified before it is offered.
    Literal,
    /// The same list behind `concat`: the same findings, none patchable.
    Computed,
}

/// One `.tf` file with `vms` instances, each with its own service account
/// granted Pub/Sub but scoped without it, so each is one SL001 finding.
pub fn patched_vms(vms: usize, scopes: Scopes) -> String {
    let list = match scopes {
        Scopes::Literal => r#"["storage-ro", "logging-write"]"#,
        Scopes::Computed => r#"concat(["storage-ro"], ["logging-write"])"#,
    };
    let mut out = String::with_capacity(vms * 900);
    for i in 0..vms {
        let _ = write!(
            out,
            r#"resource "google_service_account" "vm{i}" {{
  account_id = "vm-{i}"
}}

resource "google_project_iam_member" "vm{i}_pubsub" {{
  project = "bench-project"
  role    = "roles/pubsub.subscriber"
  member  = "serviceAccount:${{google_service_account.vm{i}.email}}"
}}

resource "google_compute_instance" "vm{i}" {{
  name         = "vm-{i}"
  machine_type = "e2-small"
  zone         = "europe-west1-b"

  boot_disk {{
    initialize_params {{
      image = "debian-cloud/debian-12"
    }}
  }}

  network_interface {{
    network = "default"
  }}

  service_account {{
    email  = google_service_account.vm{i}.email
    scopes = {list}
  }}
}}

"#
        );
    }
    out
}

/// The directory holding [`patched_vms`]'s file, written once per shape.
pub fn patched_vms_dir(work: &Path, vms: usize, scopes: Scopes) -> Result<PathBuf> {
    let kind = match scopes {
        Scopes::Literal => "literal",
        Scopes::Computed => "computed",
    };
    let dir = work.join(format!("one-file-{vms}-vms-{kind}"));
    let file = dir.join("main.tf");
    let text = patched_vms(vms, scopes);
    if std::fs::read_to_string(&file).ok().as_deref() != Some(text.as_str()) {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(&file, text)?;
    }
    Ok(dir)
}
