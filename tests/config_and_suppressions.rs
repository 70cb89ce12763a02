#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Configuration, inline suppressions, waivers and baselines.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

const VM: &str = r#"
resource "google_project_iam_member" "vertex" {
  project = "p"
  role    = "roles/aiplatform.user"
  member  = "serviceAccount:app@p.iam.gserviceaccount.com"
}

resource "google_compute_instance" "app" {
  name = "app"
  zone = "europe-west1-b"
  service_account {
    email = "app@p.iam.gserviceaccount.com"
    MARKER
    scopes = ["storage-ro", "logging-write"]
  }
}
"#;

fn project(marker: &str, config: Option<&str>) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("main.tf"), VM.replace("MARKER", marker)).unwrap();
    if let Some(c) = config {
        std::fs::write(tmp.path().join(".scopelint.yaml"), c).unwrap();
    }
    tmp
}

fn check(dir: &Path, extra: &[&str]) -> (Value, i32, String) {
    let out = Command::cargo_bin("scopelint")
        .unwrap()
        .current_dir(dir)
        .env("SCOPELINT_TODAY", "2026-11-29")
        .args(["check", ".", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (json, out.status.code().unwrap(), stderr)
}

fn rules(report: &Value) -> Vec<String> {
    let mut out: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap(),
                f["severity"].as_str().unwrap()
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn an_unsuppressed_finding_is_reported() {
    let p = project("", None);
    let (r, code, _) = check(p.path(), &[]);
    assert_eq!(rules(&r), ["SL001 error"]);
    assert_eq!(code, 1);
}

#[test]
fn an_inline_suppression_with_a_reason_silences_the_rule() {
    let p = project(
        "# scopelint:ignore SL001 the VM only serves static files until March",
        None,
    );
    let (r, code, _) = check(p.path(), &[]);
    assert_eq!(rules(&r), Vec::<String>::new());
    assert_eq!(code, 0);
    // ... unless suppressions are turned off for an audit.
    let (r, _, _) = check(p.path(), &["--no-inline-suppressions"]);
    assert_eq!(rules(&r), ["SL001 error"]);
}

#[test]
fn slash_comments_and_rule_names_work_too() {
    let p = project(
        "// scopelint:ignore insufficient-scope batch VM, no Vertex calls",
        None,
    );
    let (r, _, _) = check(p.path(), &[]);
    assert_eq!(rules(&r), Vec::<String>::new());
}

#[test]
fn a_suppression_without_a_reason_is_reported() {
    let p = project("# scopelint:ignore SL001", None);
    let (r, _, _) = check(p.path(), &[]);
    assert_eq!(rules(&r), ["SL900 warning"]);
    assert!(
        r["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no reason")
    );
}

#[test]
fn a_suppression_that_suppresses_nothing_is_reported() {
    let p = project(
        "# scopelint:ignore SL003 left over from an old layout",
        None,
    );
    let (r, _, _) = check(p.path(), &[]);
    assert_eq!(rules(&r), ["SL001 error", "SL900 warning"]);
}

#[test]
fn an_expired_suppression_brings_the_finding_back_with_a_note() {
    let p = project(
        "# scopelint:ignore SL001 until=2026-01-31 migration in January",
        None,
    );
    let (r, _, _) = check(p.path(), &[]);
    assert_eq!(rules(&r), ["SL001 error"]);
    let out = Command::cargo_bin("scopelint")
        .unwrap()
        .current_dir(p.path())
        .env("SCOPELINT_TODAY", "2026-11-29")
        .env("NO_COLOR", "1")
        .args(["check", "."])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("expired on 2026-01-31"));
    let p = project(
        "# scopelint:ignore SL001 until=2027-01-31 migration in January",
        None,
    );
    let (r, _, _) = check(p.path(), &[]);
    assert_eq!(rules(&r), Vec::<String>::new());
}

#[test]
fn a_file_wide_suppression_covers_the_file() {
    let p = project("", None);
    let text = std::fs::read_to_string(p.path().join("main.tf")).unwrap();
    std::fs::write(
        p.path().join("main.tf"),
        format!("# scopelint:ignore-file SL001 sandbox project\n{text}"),
    )
    .unwrap();
    let (r, _, _) = check(p.path(), &[]);
    assert_eq!(rules(&r), Vec::<String>::new());
}

#[test]
fn suppressions_inside_strings_and_heredocs_are_not_comments() {
    let p = project("", None);
    let text = std::fs::read_to_string(p.path().join("main.tf")).unwrap();
    // A heredoc startup script and a string value that hold the words of a
    // file-wide suppression.
    let hostile = text.replace(
        "  zone = \"europe-west1-b\"\n",
        "  zone = \"europe-west1-b\"\n  description = \"# scopelint:ignore-file SL001 x\"\n  \
         metadata_startup_script = <<-EOT\n    # scopelint:ignore-file SL001 sandbox\n    EOT\n",
    );
    assert_ne!(hostile, text);
    std::fs::write(p.path().join("main.tf"), hostile).unwrap();
    std::fs::write(
        p.path().join("extra.tf.json"),
        r##"{"locals": {"note": "# scopelint:ignore-file SL001 in JSON"}}"##,
    )
    .unwrap();
    let (r, _, _) = check(p.path(), &[]);
    assert_eq!(rules(&r), ["SL001 error"]);
}

#[test]
fn a_suppression_with_an_invalid_date_suppresses_nothing() {
    let p = project("# scopelint:ignore SL001 until=2026-13-45 waiting", None);
    let (r, _, _) = check(p.path(), &[]);
    assert_eq!(rules(&r), ["SL001 error", "SL900 warning"]);
}

#[test]
fn configuration_changes_severity_and_turns_rules_off() {
    let p = project("", Some("rules:\n  SL001: warning\n"));
    let (r, code, _) = check(p.path(), &["--fail-level", "error"]);
    assert_eq!(rules(&r), ["SL001 warning"]);
    assert_eq!(code, 0);
    let p = project("", Some("rules:\n  insufficient-scope: off\n"));
    let (r, _, _) = check(p.path(), &[]);
    assert_eq!(rules(&r), Vec::<String>::new());
}

#[test]
fn select_and_ignore_filter_rules() {
    let p = project("", None);
    assert_eq!(
        rules(&check(p.path(), &["--ignore", "SL001"]).0),
        Vec::<String>::new()
    );
    assert_eq!(
        rules(&check(p.path(), &["--select", "SL002,SL003"]).0),
        Vec::<String>::new()
    );
    assert_eq!(
        rules(&check(p.path(), &["--select", "SL001"]).0),
        ["SL001 error"]
    );
    let (_, code, err) = check(p.path(), &["--select", "SL01"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule `SL01`"), "{err}");
}

#[test]
fn exit_zero_reports_without_failing() {
    let p = project("", None);
    let (r, code, _) = check(p.path(), &["--exit-zero"]);
    assert_eq!(rules(&r), ["SL001 error"]);
    assert_eq!(code, 0);
}

#[test]
fn a_waiver_in_the_configuration_silences_a_path() {
    let p = project(
        "",
        Some("waivers:\n  - path: \"*.tf\"\n    rule: SL001\n    reason: owned by the data team\n"),
    );
    assert_eq!(rules(&check(p.path(), &[]).0), Vec::<String>::new());
    let p = project(
        "",
        Some(
            "waivers:\n  - path: \"*.tf\"\n    rule: SL001\n    reason: owned by the data team\n    expires: 2026-06-30\n",
        ),
    );
    assert_eq!(rules(&check(p.path(), &[]).0), ["SL001 error"]);
}

/// `--config NAME` for a file of the working directory: its waivers apply
/// to the paths under that directory, as when the file is found.
#[test]
fn a_waiver_of_a_configuration_named_without_a_directory_applies() {
    let p = project("", None);
    std::fs::write(
        p.path().join("ci.yaml"),
        "waivers:\n  - path: \"*.tf\"\n    rule: SL001\n    reason: owned by the data team\n",
    )
    .unwrap();
    assert_eq!(
        rules(&check(p.path(), &["--config", "ci.yaml"]).0),
        Vec::<String>::new()
    );
}

#[test]
fn exclude_globs_skip_paths() {
    let p = project("", Some("exclude: [\"main.tf\"]\n"));
    let (r, _, _) = check(p.path(), &[]);
    assert_eq!(rules(&r), Vec::<String>::new());
}

#[test]
fn identities_in_the_configuration_grant_roles_held_elsewhere() {
    let tmp = tempfile::tempdir().unwrap();
    let vm = VM.replace("MARKER", "");
    let vm = &vm[vm.find("resource \"google_compute_instance\"").unwrap()..];
    std::fs::write(tmp.path().join("main.tf"), vm).unwrap();
    assert_eq!(rules(&check(tmp.path(), &[]).0), Vec::<String>::new());
    std::fs::write(
        tmp.path().join(".scopelint.yaml"),
        "identities:\n  app@p.iam.gserviceaccount.com: [roles/secretmanager.secretAccessor]\n",
    )
    .unwrap();
    let (r, _, _) = check(tmp.path(), &[]);
    assert_eq!(rules(&r), ["SL001 error"]);
    assert_eq!(r["findings"][0]["related"][0]["file"], ".scopelint.yaml");
}

#[test]
fn custom_roles_are_judged_like_predefined_ones() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("main.tf"),
        VM.replace("MARKER", "")
            .replace("roles/aiplatform.user", "projects/p/roles/queueWorker"),
    )
    .unwrap();
    std::fs::write(tmp.path().join(".scopelint.yaml"), "custom_roles:\n  projects/p/roles/queueWorker:\n    uses:\n      - {api: pubsub.googleapis.com, access: write}\n").unwrap();
    let (r, _, _) = check(tmp.path(), &[]);
    assert_eq!(rules(&r), ["SL001 error"]);
    assert_eq!(
        r["findings"][0]["apis"][0]["service"],
        "pubsub.googleapis.com"
    );
}

#[test]
fn bad_configuration_is_an_error_with_line_and_hint() {
    for (text, want) in [
        (
            "exlude: [x]\n",
            ":1:1: configuration error: unknown field `exlude`",
        ),
        (
            "rules:\n  SL01: off\n",
            ":2:3: configuration error: unknown rule `SL01`; did you mean `SL001`?",
        ),
        ("rules:\n  SL001: loud\n", "unknown variant `loud`"),
        (
            "identities:\n  a@p.iam.gserviceaccount.com: [roles/aiplatform.usr]\n",
            "did you mean `roles/aiplatform.user`?",
        ),
        ("rules: [\n", ".scopelint.yaml:"),
    ] {
        let p = project("", Some(text));
        let (_, code, err) = check(p.path(), &[]);
        assert_eq!(code, 2, "{text}");
        assert!(err.contains(want), "{text}: {err}");
    }
}

#[test]
fn a_baseline_hides_known_findings_and_counts_gone_ones() {
    let p = project("", None);
    let base = p.path().join("baseline.json");
    // Recording a baseline is not a failing check: exit 0.
    let (_, code, _) = check(p.path(), &["--write-baseline", base.to_str().unwrap()]);
    assert_eq!(code, 0);
    let (r, code, err) = check(p.path(), &["--baseline", base.to_str().unwrap()]);
    assert_eq!(rules(&r), Vec::<String>::new());
    assert_eq!(code, 0);
    assert!(
        err.contains("1 known finding hidden, 0 baselined findings are gone"),
        "{err}"
    );
    // Unrelated lines moving do not change the fingerprint.
    let text = std::fs::read_to_string(p.path().join("main.tf")).unwrap();
    std::fs::write(p.path().join("main.tf"), format!("# a comment\n\n{text}")).unwrap();
    assert_eq!(
        rules(&check(p.path(), &["--baseline", base.to_str().unwrap()]).0),
        Vec::<String>::new()
    );
    // Fixing the finding makes it gone.
    let text = std::fs::read_to_string(p.path().join("main.tf")).unwrap();
    std::fs::write(
        p.path().join("main.tf"),
        text.replace("\"storage-ro\", \"logging-write\"", "\"cloud-platform\""),
    )
    .unwrap();
    let (_, _, err) = check(p.path(), &["--baseline", base.to_str().unwrap()]);
    assert!(err.contains("1 baselined finding is gone"), "{err}");
}

#[test]
fn a_named_file_brings_its_module_and_reports_what_involves_it() {
    let tmp = tempfile::tempdir().unwrap();
    let vm = VM.replace("MARKER", "");
    let split = vm.find("resource \"google_compute_instance\"").unwrap();
    std::fs::write(tmp.path().join("iam.tf"), &vm[..split]).unwrap();
    std::fs::write(tmp.path().join("vm.tf"), &vm[split..]).unwrap();
    std::fs::write(tmp.path().join("other.tf"), "resource \"google_compute_instance\" \"solo\" {\n  service_account {\n    scopes = [\"cloud_platform\"]\n  }\n}\n").unwrap();
    // The grant's file alone: the finding on the VM involves it.
    let (r, _, _) = check(tmp.path(), &[]);
    assert_eq!(r["findings"].as_array().unwrap().len(), 2);
    let out = Command::cargo_bin("scopelint")
        .unwrap()
        .current_dir(tmp.path())
        .args(["check", "iam.tf", "--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rules(&r), ["SL001 error"]);
    let out = Command::cargo_bin("scopelint")
        .unwrap()
        .current_dir(tmp.path())
        .args(["check", "other.tf", "--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rules(&r), ["SL004 error"]);
}

#[test]
fn rule_pages_print_and_unknown_rules_get_a_hint() {
    let out = Command::cargo_bin("scopelint")
        .unwrap()
        .args(["rule", "SL001"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("# SL001 insufficient-scope"));
    let out = Command::cargo_bin("scopelint")
        .unwrap()
        .args(["rule", "partial-scop"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `partial-scope`?"));
}

#[test]
fn every_rule_has_a_documentation_page() {
    let out = Command::cargo_bin("scopelint")
        .unwrap()
        .arg("rule")
        .output()
        .unwrap();
    let list = String::from_utf8(out.stdout).unwrap();
    let codes: Vec<&str> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(codes.len() >= 8, "{list}");
    for code in codes {
        let out = Command::cargo_bin("scopelint")
            .unwrap()
            .args(["rule", code])
            .output()
            .unwrap();
        assert!(out.status.success(), "{code} has no page");
        let page = String::from_utf8(out.stdout).unwrap();
        assert!(page.starts_with(&format!("# {code} ")), "{code}: {page}");
        assert!(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("rules/{code}.md"))
                .is_file()
        );
    }
}

#[test]
fn configuration_refuses_unknown_apis_non_email_identities_and_non_string_globs() {
    for (config, message) in [
        (
            "api_scopes:\n  nosuchapi.googleapis.com: {read: [cloud-platform]}\n",
            ".scopelint.yaml:2:3: configuration error: unknown API `nosuchapi.googleapis.com`",
        ),
        (
            "identities:\n  not-an-email: [roles/viewer]\n",
            ".scopelint.yaml:2:3: configuration error: `not-an-email` is not a service account email",
        ),
        (
            "exclude: [1, 2]\n",
            ".scopelint.yaml:1:11: configuration error: invalid type: integer `1`, expected a string",
        ),
    ] {
        let p = project("", Some(config));
        let (_, code, stderr) = check(p.path(), &[]);
        assert_eq!(code, 2, "{config}");
        assert!(stderr.contains(message), "{config}: {stderr}");
    }
}

#[test]
fn select_accepts_spaces_and_any_case_and_names_the_nearest_rule() {
    let p = project("", None);
    let (r, code, _) = check(p.path(), &["--select", "sl001, SL002"]);
    assert_eq!(code, 1);
    let got = rules(&r);
    assert!(
        !got.is_empty() && got.iter().all(|r| r.starts_with("SL001 ")),
        "{got:?}"
    );
    let (_, code, err) = check(p.path(), &["--select", "SL01"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `SL001`?"), "{err}");
}

#[test]
fn a_missing_baseline_is_the_first_run_and_writing_one_exits_zero() {
    let p = project("", None);
    let base = p.path().join("baseline.json");
    let base = base.to_str().unwrap();
    let (_, code, err) = check(p.path(), &["--baseline", base]);
    assert_eq!(code, 1, "every finding is judged");
    assert!(err.contains("no baseline yet"), "{err}");
    let (_, code, err) = check(p.path(), &["--write-baseline", base]);
    assert_eq!(code, 0);
    assert!(err.contains("1 finding recorded"), "{err}");
    let (_, code, _) = check(p.path(), &["--baseline", base]);
    assert_eq!(code, 0, "the finding is baselined");
}

#[test]
fn a_day_the_month_does_not_have_is_no_date() {
    let p = project("# scopelint:ignore SL001 until=2030-02-30 waiting", None);
    let (r, _, _) = check(p.path(), &[]);
    assert_eq!(rules(&r), ["SL001 error", "SL900 warning"]);
    let p = project(
        "",
        Some(
            "waivers:\n  - path: \"*.tf\"\n    rule: SL001\n    reason: owned by the data team\n    expires: 2030-02-30\n",
        ),
    );
    let (_, code, err) = check(p.path(), &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            ".scopelint.yaml:5:14: configuration error: `2030-02-30` is not a date (YYYY-MM-DD)"
        ),
        "{err}"
    );
}

/// A waiver that matches files of the run but waives nothing there is
/// reported, as an unused comment is; one for other files is not.
#[test]
fn a_waiver_that_waives_nothing_is_reported() {
    let p = project(
        "",
        Some(
            "waivers:\n  - path: \"*.tf\"\n    rule: SL003\n    reason: old layout\n  - path: \"other/**\"\n    rule: SL001\n    reason: another team\n",
        ),
    );
    let (r, _, _) = check(p.path(), &[]);
    assert_eq!(rules(&r), ["SL001 error", "SL900 warning"]);
    let sl900 = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "SL900")
        .unwrap();
    assert_eq!(sl900["location"]["file"], ".scopelint.yaml");
    assert_eq!(sl900["location"]["start"]["line"], 2);
    assert!(
        sl900["message"]
            .as_str()
            .unwrap()
            .contains("waiver of SL003 for `*.tf` waives nothing"),
        "{sl900:#}"
    );
}

/// An expired waiver's note is in every format, not only the pretty one.
#[test]
fn expiry_notes_reach_every_format() {
    let p = project(
        "",
        Some(
            "waivers:\n  - path: \"*.tf\"\n    rule: SL001\n    reason: owned by the data team\n    expires: 2026-06-30\n",
        ),
    );
    let note = "the waiver for SL001 on `*.tf` expired on 2026-06-30";
    for format in ["pretty", "json", "sarif", "gitlab", "github"] {
        let out = Command::cargo_bin("scopelint")
            .unwrap()
            .current_dir(p.path())
            .env("SCOPELINT_TODAY", "2026-11-29")
            .args(["check", ".", "--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(note), "{format}:\n{text}");
    }
}

/// Configuration errors speak of the file, not of the parser.
#[test]
fn configuration_errors_are_in_plain_words() {
    let p = project("", Some("rules:\n  SL001: [1]\n"));
    let (_, code, err) = check(p.path(), &[]);
    assert_eq!(code, 2);
    assert!(!err.contains("externally tagged"), "{err}");
    assert!(err.contains("expected a single word here"), "{err}");
    let p = project("", None);
    let (_, code, err) = check(p.path(), &["--config", "missing.yaml"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("missing.yaml: configuration error: cannot read"),
        "{err}"
    );
    assert!(!err.contains(":0:0"), "{err}");
}

#[test]
fn a_diff_is_never_written_as_another_format() {
    let p = project("", None);
    let (_, code, err) = check(p.path(), &["--diff", "-o", "x.sarif"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--diff prints a unified diff, not a json report"),
        "{err}"
    );
    assert!(!p.path().join("x.sarif").exists());
}

#[test]
fn verbose_names_the_configuration_and_unknown_roles_and_scopes() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("main.tf"),
        VM.replace("MARKER", "")
            .replace("roles/aiplatform.user", "roles/nosuch.role")
            .replace(
                "\"logging-write\"",
                "\"https://www.googleapis.com/auth/nosuchscope\"",
            ),
    )
    .unwrap();
    std::fs::write(tmp.path().join(".scopelint.yaml"), "rules: {}\n").unwrap();
    std::fs::write(
        tmp.path().join("rollout.sh"),
        "#!/bin/bash\ngcloud compute instances set-service-account vm1 --zone=us-east1-b --scopes=storage-ro\n",
    )
    .unwrap();
    let (_, _, err) = check(tmp.path(), &["--verbose"]);
    assert!(
        err.contains("rollout.sh:2:1: skipped rollout.sh:2 (vm1): its service account or its scopes are not known"),
        "{err}"
    );
    assert!(err.contains("scopelint: configuration: "), "{err}");
    assert!(err.contains(".scopelint.yaml"), "{err}");
    assert!(
        err.contains("main.tf:4:13: unknown role `roles/nosuch.role` (google_project_iam_member.vertex): not judged"),
        "{err}"
    );
    assert!(
        err.contains("unknown scope `https://www.googleapis.com/auth/nosuchscope` on google_compute_instance.app"),
        "{err}"
    );
}

/// A custom role defined in the configuration and granted through its `id`.
const CUSTOM_ROLE: &str = r#"
provider "google" {
  project = "p"
}

resource "google_project_iam_custom_role" "worker" {
  role_id     = "queueWorker"
  title       = "Queue worker"
  permissions = ["pubsub.subscriptions.consume"]
}

resource "google_project_iam_member" "worker" {
  project = "p"
  role    = google_project_iam_custom_role.worker.id
  member  = "serviceAccount:app@p.iam.gserviceaccount.com"
}

resource "google_compute_instance" "app" {
  name = "app"
  zone = "europe-west1-b"
  service_account {
    email  = "app@p.iam.gserviceaccount.com"
    scopes = ["storage-ro", "logging-write"]
  }
}
"#;

#[test]
fn a_custom_role_granted_by_reference_is_the_role_of_that_name() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("main.tf"), CUSTOM_ROLE).unwrap();
    // Judged by the permissions its definition lists.
    let (r, _, stderr) = check(tmp.path(), &["--verbose"]);
    assert_eq!(rules(&r), ["SL001 error"], "{r}");
    assert!(
        r.to_string()
            .contains("projects/p/roles/queueWorker is defined here"),
        "{r}"
    );
    assert!(!stderr.contains("is not judged"), "{stderr}");
    // Listed in the configuration file: its description is what counts.
    std::fs::write(tmp.path().join(".scopelint.yaml"), "custom_roles:\n  projects/p/roles/queueWorker:\n    uses:\n      - {api: pubsub.googleapis.com, access: write}\n").unwrap();
    let (r, _, stderr) = check(tmp.path(), &["--verbose"]);
    assert_eq!(rules(&r), ["SL001 error"]);
    assert!(!r.to_string().contains("is defined here"), "{r}");
    assert!(
        stderr.contains(
            "custom role projects/p/roles/queueWorker is judged as .scopelint.yaml describes it"
        ),
        "{stderr}"
    );
}
