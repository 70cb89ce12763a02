#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Adversarial inputs, each generated small: whatever their shape, every run
//! ends with a report, and what cannot be followed stays unknown (never a
//! finding) with a `--verbose` note saying why.

mod support;

use assert_cmd::Command;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

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

/// `count` grants of one role to one account, and `count` VMs of that account.
fn fanned_out_grants(count: usize) -> String {
    format!(
        r#"resource "google_service_account" "sa" {{
  account_id = "sa"
}}

resource "google_project_iam_member" "grant" {{
  count   = {count}
  project = "p"
  role    = "roles/pubsub.subscriber"
  member  = "serviceAccount:${{google_service_account.sa.email}}"
}}

resource "google_compute_instance" "vm" {{
  count        = {count}
  name         = "vm-${{count.index}}"
  machine_type = "e2-small"
  zone         = "us-east1-b"
  boot_disk {{
    initialize_params {{
      image = "debian-cloud/debian-12"
    }}
  }}
  network_interface {{
    network = "default"
  }}
  service_account {{
    email  = google_service_account.sa.email
    scopes = ["logging-write"]
  }}
}}
"#
    )
}

/// Every VM's finding names the grants behind it: the first 10, then one
/// entry for the rest, so the report grows with the findings and not with
/// findings times grants (which made 1,000 x 1,000 a 361 MB JSON report).
#[test]
fn related_grants_are_capped_per_finding_in_every_format() {
    let count = 300;
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "main.tf", &fanned_out_grants(count));
    let (report, _, code) = support::check_json(tmp.path(), &["."]);
    assert_eq!(code, 1);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), count);
    for f in findings {
        let related: Vec<&str> = f["related"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["message"].as_str().unwrap())
            .collect();
        assert_eq!(related.len(), 11, "{related:?}");
        assert_eq!(
            related.first().copied(),
            Some("roles/pubsub.subscriber granted here (google_project_iam_member.grant[0])")
        );
        assert_eq!(
            related.last().copied(),
            Some("and 290 more grants of the same role (roles/pubsub.subscriber)")
        );
    }
    // A few KB per finding in every format; each grant listed would be 300
    // lines of about 100 bytes per finding.
    for format in ["json", "sarif", "pretty", "compact", "github", "gitlab"] {
        let out = Command::cargo_bin("scopelint")
            .unwrap()
            .timeout(Duration::from_secs(120))
            .current_dir(tmp.path())
            .env("NO_COLOR", "1")
            .args(["check", ".", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let per_finding = out.stdout.len() / count;
        assert!(
            per_finding < 16_000,
            "{format}: {per_finding} bytes per finding"
        );
    }
}

/// A VM whose startup script and scopes are the given expressions.
fn vm_with(script: &str, scopes: &str) -> String {
    format!(
        r#"
resource "google_compute_instance" "vm" {{
  name                    = "vm"
  machine_type            = "e2-small"
  zone                    = "us-east1-b"
  metadata_startup_script = {script}
  service_account {{
    email  = "vm@p.iam.gserviceaccount.com"
    scopes = {scopes}
  }}
}}
"#
    )
}

/// About a kilobyte that describes gigabytes: sixty doublings of a string, of
/// a list through `concat`, and a `for` over `range(10000)` inside another.
/// Each value stops at the evaluation budget and is unknown: no finding (the
/// scopes and script could be anything), no error, and a `--verbose` note at
/// the expression that hit the limit.
#[test]
fn values_past_the_evaluation_budget_are_unknown() {
    let doubled_text: String = (1..=60)
        .map(|i| format!("  s{i} = \"${{local.s{}}}${{local.s{}}}\"\n", i - 1, i - 1))
        .collect();
    let doubled_list: String = (1..=60)
        .map(|i| format!("  l{i} = concat(local.l{}, local.l{})\n", i - 1, i - 1))
        .collect();
    let cases = [
        (
            "text",
            format!(
                "locals {{\n  s0 = \"ab\"\n{doubled_text}}}\n{}",
                vm_with("local.s60", r#"["logging-write"]"#)
            ),
            "main.tf:22:9: unresolved: the value is over the evaluation budget of 1 MiB of text, so it is unknown",
        ),
        (
            "list",
            format!(
                "locals {{\n  l0 = [\"logging-write\"]\n{doubled_list}}}\n{}",
                vm_with("\"echo\"", "local.l60")
            ),
            "main.tf:19:9: unresolved: the value is over the evaluation budget of 100000 elements, so it is unknown",
        ),
        (
            "for",
            format!(
                "locals {{\n  grid = [for i in range(10000) : [for j in range(10000) : \"logging-write\"]]\n}}\n{}",
                vm_with("\"echo\"", "flatten(local.grid)")
            ),
            "main.tf:2:10: unresolved: the value is over the evaluation budget of 1 MiB of text, so it is unknown",
        ),
    ];
    for (name, text, note) in cases {
        assert!(text.len() < 4096, "{name}: {} bytes", text.len());
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "main.tf", &text);
        let (report, stderr, code) = support::check_json(tmp.path(), &[".", "--verbose"]);
        assert_eq!(code, 0, "{name}: {report:#}");
        assert_eq!(report["errors"], json!([]), "{name}");
        assert_eq!(rules(&report), Vec::<&str>::new(), "{name}");
        assert!(stderr.contains(note), "{name}: {stderr}");
    }
}

/// Module fan-outs multiply through nesting: a module that calls the next one
/// twice, 14 levels deep (16,384 instances), and `count = 1000` calling
/// `count = 1000` (a million). The root stops at its module instance budget:
/// the calls past it are not analysed, and `--verbose` says so.
#[test]
fn module_fan_out_stops_at_the_instance_budget() {
    const NOTE: &str = "the root module would have more than 10000 module instances, over the evaluation budget, so this call is not analysed";
    let leaf = vm_with("\"echo\"", r#"["logging-write"]"#);

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "main.tf",
        "module \"a\" {\n  source = \"./m1\"\n}\nmodule \"b\" {\n  source = \"./m1\"\n}\n",
    );
    for level in 1..14 {
        let next = level + 1;
        write(
            dir,
            &format!("m{level}/main.tf"),
            &format!(
                "module \"a\" {{\n  source = \"../m{next}\"\n}}\nmodule \"b\" {{\n  source = \"../m{next}\"\n}}\n"
            ),
        );
    }
    write(dir, "m14/main.tf", &leaf);
    let (report, stderr, code) = support::check_json(dir, &[".", "--verbose"]);
    assert_eq!((code, &report["errors"]), (0, &json!([])));
    assert!(stderr.contains(NOTE), "{stderr}");

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "main.tf",
        "module \"a\" {\n  source = \"./a\"\n  count  = 1000\n}\n",
    );
    write(
        dir,
        "a/main.tf",
        "module \"b\" {\n  source = \"../b\"\n  count  = 1000\n}\n",
    );
    write(dir, "b/main.tf", &leaf);
    let (report, stderr, code) = support::check_json(dir, &[".", "--verbose"]);
    assert_eq!((code, &report["errors"]), (0, &json!([])));
    // 1 + 1,000 + 8 x 1,000 instances fit; the ninth `b` fan-out does not.
    assert!(!stderr.contains(&format!("module.a[7].module.b: {NOTE}")));
    for refused in [8, 999] {
        assert!(
            stderr.contains(&format!("module.a[{refused}].module.b: {NOTE}")),
            "{stderr}"
        );
    }
}

/// `count` VMs, each with its own account and a Pub/Sub grant, the grants at
/// the top of the file and the VMs at the bottom, with `middle` in between;
/// `scopes` is written in each VM's `service_account` block.
fn grants_then_vms(count: usize, middle: &str, scopes: &str) -> String {
    let mut text = String::new();
    for i in 0..count {
        text.push_str(&format!(
            "resource \"google_service_account\" \"vm{i}\" {{\n  account_id = \"vm-{i}\"\n}}\n\
             resource \"google_project_iam_member\" \"vm{i}\" {{\n  project = \"p\"\n  role    = \"roles/pubsub.subscriber\"\n  member  = \"serviceAccount:${{google_service_account.vm{i}.email}}\"\n}}\n"
        ));
    }
    text.push_str(middle);
    for i in 0..count {
        text.push_str(&format!(
            "resource \"google_compute_instance\" \"vm{i}\" {{\n  name         = \"vm-{i}\"\n  machine_type = \"e2-small\"\n  zone         = \"us-east1-b\"\n  service_account {{\n    email  = google_service_account.vm{i}.email\n{scopes}\n  }}\n}}\n"
        ));
    }
    text
}

/// `scopelint check .` in pretty format: the output and the exit code.
fn pretty(dir: &Path) -> (String, Option<i32>) {
    let out = Command::cargo_bin("scopelint")
        .unwrap()
        .timeout(Duration::from_secs(120))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .args(["check", "."])
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code(),
    )
}

/// A snippet shows a window of a long line, not the line: a 20 KB comment
/// just above every VM's scopes (a context line of each snippet), and the
/// scopes list itself written on one 80 KB line, which every snippet labels
/// and every patch replaces. Each finding stays a few KB in the pretty format,
/// where the whole lines made it 20 KB and 250 KB.
#[test]
fn snippets_and_diffs_show_a_window_of_a_long_line() {
    let count = 20;
    let commented = format!(
        "    # {}\n    scopes = [\"logging-write\"]",
        "x".repeat(20_000)
    );
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "main.tf",
        &grants_then_vms(count, "", &commented),
    );
    let (out, code) = pretty(tmp.path());
    assert_eq!(code, Some(1));
    assert_eq!(out.matches("error[SL001]: ").count(), count);
    assert!(out.contains("|     # xxxxxxxx"), "{out}");
    assert!(out.len() / count < 8_000, "{} bytes", out.len());
    assert_lines_are_short(&out);

    let long_list = format!(
        "locals {{\n  scopes = [{}\"logging-write\"]\n}}\n",
        "\"logging-write\", ".repeat(5_000)
    );
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "main.tf",
        &grants_then_vms(count, &long_list, "    scopes = local.scopes"),
    );
    let (out, code) = pretty(tmp.path());
    assert_eq!(code, Some(1));
    assert_eq!(
        out.matches("the scopes are defined here (local.scopes)")
            .count(),
        count
    );
    assert!(out.contains("+  scopes = [\"cloud-platform\"]"), "{out}");
    assert!(out.len() / count < 8_000, "{} bytes", out.len());
    assert_lines_are_short(&out);
}

/// No line of a report is more than a window of a source line.
fn assert_lines_are_short(out: &str) {
    let longest = out.lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 600, "a line of {longest} bytes");
}
