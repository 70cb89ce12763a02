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

/// An input that once made scopelint crash or run out of memory, time or
/// output: its name as the benchmark shows it, and its files.
pub struct Adversarial {
    pub name: &'static str,
    pub files: Vec<(String, String)>,
}

const VM_TAIL: &str = r#"  machine_type = "e2-small"
  zone         = "us-east1-b"
"#;

fn vm(name: &str, script: &str, email: &str, scopes: &str) -> String {
    format!(
        "resource \"google_compute_instance\" \"{name}\" {{\n  name         = \"{name}\"\n{VM_TAIL}  metadata_startup_script = {script}\n  service_account {{\n    email  = {email}\n    scopes = {scopes}\n  }}\n}}\n"
    )
}

/// The adversarial shapes, each generated from a few lines.
pub fn adversarial() -> Vec<Adversarial> {
    let sa = "\"vm@p.iam.gserviceaccount.com\"";
    let doubled: String = (1..=60)
        .map(|i| format!("  s{i} = \"${{local.s{}}}${{local.s{}}}\"\n", i - 1, i - 1))
        .collect();
    let mut fan_out = String::from(
        "resource \"google_service_account\" \"sa\" {\n  account_id = \"sa\"\n}\nresource \"google_project_iam_member\" \"grant\" {\n  count   = 1000\n  project = \"p\"\n  role    = \"roles/pubsub.subscriber\"\n  member  = \"serviceAccount:${google_service_account.sa.email}\"\n}\n",
    );
    fan_out.push_str(
        &vm(
            "vm",
            "\"echo\"",
            "google_service_account.sa.email",
            "[\"logging-write\"]",
        )
        .replace(
            "resource \"google_compute_instance\" \"vm\" {\n",
            "resource \"google_compute_instance\" \"vm\" {\n  count        = 1000\n",
        ),
    );
    let mut tree = vec![(
        "main.tf".to_string(),
        "module \"a\" {\n  source = \"./m1\"\n}\nmodule \"b\" {\n  source = \"./m1\"\n}\n"
            .to_string(),
    )];
    for level in 1..14 {
        tree.push((
            format!("m{level}/main.tf"),
            format!(
                "module \"a\" {{\n  source = \"../m{0}\"\n}}\nmodule \"b\" {{\n  source = \"../m{0}\"\n}}\n",
                level + 1
            ),
        ));
    }
    tree.push((
        "m14/main.tf".to_string(),
        vm("vm", "\"echo\"", sa, "[\"logging-write\"]"),
    ));
    let mut long_line = format!(
        "locals {{\n  scopes = [{}\"logging-write\"]\n}}\n",
        "\"logging-write\", ".repeat(60_000)
    );
    for i in 0..50 {
        long_line.push_str(&format!(
            "resource \"google_service_account\" \"vm{i}\" {{\n  account_id = \"vm-{i}\"\n}}\nresource \"google_project_iam_member\" \"vm{i}\" {{\n  project = \"p\"\n  role    = \"roles/pubsub.subscriber\"\n  member  = \"serviceAccount:${{google_service_account.vm{i}.email}}\"\n}}\n"
        ));
        long_line.push_str(&vm(
            &format!("vm{i}"),
            "\"echo\"",
            &format!("google_service_account.vm{i}.email"),
            "local.scopes",
        ));
    }
    let nest = format!("{}x{}", "${a:-".repeat(100_000), "}".repeat(100_000));
    vec![
        Adversarial {
            name: "60 locals each doubling a string",
            files: vec![(
                "main.tf".to_string(),
                format!(
                    "locals {{\n  s0 = \"ab\"\n{doubled}}}\n{}",
                    vm("vm", "local.s60", sa, "[\"logging-write\"]")
                ),
            )],
        },
        Adversarial {
            name: "a for over range(10000) inside another",
            files: vec![(
                "main.tf".to_string(),
                format!(
                    "locals {{\n  grid = [for i in range(10000) : [for j in range(10000) : \"logging-write\"]]\n}}\n{}",
                    vm("vm", "\"echo\"", sa, "flatten(local.grid)")
                ),
            )],
        },
        Adversarial {
            name: "1,000 grants and 1,000 VMs of one account",
            files: vec![("main.tf".to_string(), fan_out)],
        },
        Adversarial {
            name: "a module calling the next twice, 14 levels",
            files: tree,
        },
        Adversarial {
            name: "count = 1000 calling count = 1000",
            files: vec![
                (
                    "main.tf".to_string(),
                    "module \"a\" {\n  source = \"./a\"\n  count  = 1000\n}\n".to_string(),
                ),
                (
                    "a/main.tf".to_string(),
                    "module \"b\" {\n  source = \"../b\"\n  count  = 1000\n}\n".to_string(),
                ),
                (
                    "b/main.tf".to_string(),
                    vm("vm", "\"echo\"", sa, "[\"logging-write\"]"),
                ),
            ],
        },
        Adversarial {
            name: "a 1 MB scopes line used by 50 VMs",
            files: vec![("main.tf".to_string(), long_line)],
        },
        Adversarial {
            name: "${a:-...} nested 100,000 times in a script",
            files: vec![(
                "deploy.sh".to_string(),
                format!(
                    "#!/bin/bash\ngcloud compute instances create vm-1 --zone=us-east1-b --scopes=\"{nest}\"\n"
                ),
            )],
        },
    ]
}

/// Writes `shape` under `work` (once per content) and returns its directory.
pub fn adversarial_dir(work: &Path, index: usize, shape: &Adversarial) -> Result<PathBuf> {
    let dir = work.join(format!("adversarial-{index}"));
    for (path, text) in &shape.files {
        let file = dir.join(path);
        if std::fs::read_to_string(&file).ok().as_deref() != Some(text.as_str()) {
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&file, text)?;
        }
    }
    Ok(dir)
}

/// A Cloud Asset Inventory export of `instances` VMs in `instances / 100`
/// projects, one JSON asset a line as `gcloud asset export` writes them:
/// each project, its IAM policy, and its VMs on the project's default compute
/// account with the default scopes. In every other project that account holds
/// `roles/aiplatform.user`, so half the VMs get an SL001 finding.
pub fn asset_export(instances: usize) -> String {
    let projects = (instances / 100).max(1);
    let scopes = [
        "devstorage.read_only",
        "logging.write",
        "monitoring.write",
        "service.management.readonly",
        "servicecontrol",
        "trace.append",
    ]
    .map(|s| format!("\"https://www.googleapis.com/auth/{s}\""))
    .join(",");
    let mut out = String::new();
    for p in 0..projects {
        let number = 100_000_000_000u64 + p as u64;
        let id = format!("audit-{p:05}");
        let account = format!("{number}-compute@developer.gserviceaccount.com");
        out.push_str(&format!(
            "{{\"name\":\"//cloudresourcemanager.googleapis.com/projects/{number}\",\"asset_type\":\"cloudresourcemanager.googleapis.com/Project\",\"resource\":{{\"data\":{{\"projectNumber\":\"{number}\",\"projectId\":\"{id}\"}}}},\"ancestors\":[\"projects/{number}\",\"organizations/1\"]}}\n"
        ));
        let role = if p % 2 == 0 {
            "roles/aiplatform.user"
        } else {
            "roles/logging.logWriter"
        };
        out.push_str(&format!(
            "{{\"name\":\"//cloudresourcemanager.googleapis.com/projects/{number}\",\"asset_type\":\"cloudresourcemanager.googleapis.com/Project\",\"iam_policy\":{{\"bindings\":[{{\"role\":\"{role}\",\"members\":[\"serviceAccount:{account}\"]}}]}},\"ancestors\":[\"projects/{number}\",\"organizations/1\"]}}\n"
        ));
        for v in 0..instances / projects {
            let zone =
                format!("https://www.googleapis.com/compute/v1/projects/{id}/zones/us-central1-a");
            out.push_str(&format!(
                "{{\"name\":\"//compute.googleapis.com/projects/{id}/zones/us-central1-a/instances/vm-{v}\",\"asset_type\":\"compute.googleapis.com/Instance\",\"resource\":{{\"data\":{{\"name\":\"vm-{v}\",\"zone\":\"{zone}\",\"selfLink\":\"{zone}/instances/vm-{v}\",\"status\":\"RUNNING\",\"serviceAccounts\":[{{\"email\":\"{account}\",\"scopes\":[{scopes}]}}]}}}},\"ancestors\":[\"projects/{number}\",\"organizations/1\"]}}\n"
            ));
        }
    }
    out
}

/// [`asset_export`] written once under `work`.
pub fn asset_export_file(work: &Path, instances: usize) -> Result<PathBuf> {
    let path = work.join(format!("assets-{instances}.json"));
    if !path.exists() {
        std::fs::create_dir_all(work)?;
        let tmp = work.join(format!("assets-{instances}.json.partial"));
        std::fs::write(&tmp, asset_export(instances))?;
        std::fs::rename(&tmp, &path)?;
    }
    Ok(path)
}
