#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The pretty format through the binary: the shape of a finding (code and
//! message first, then the location, the snippet, the grants, the help),
//! wrapping to the terminal width, colour switches, `--quiet` and
//! `--statistics`.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const FIELD_NOTE: &str = "fixtures/sl001_field_note_default_sa";

/// `scopelint check` in the repository root with a clean colour environment:
/// stdout, stderr and the exit code.
fn check(args: &[&str], env: &[(&str, &str)]) -> (String, String, Option<i32>) {
    let mut cmd = Command::cargo_bin("scopelint").unwrap();
    cmd.current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("TERM")
        .env("COLUMNS", "100")
        .arg("check")
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

#[test]
fn a_finding_starts_with_its_code_then_the_scopes_location() {
    let (out, _, code) = check(&[FIELD_NOTE], &[]);
    assert_eq!(code, Some(1));
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("error[SL001]: `google_compute_instance.js_notes` (js-notes) runs as"),
        "{out}"
    );
    let arrow = lines
        .iter()
        .position(|l| l.trim_start().starts_with("-->"))
        .unwrap();
    // The message comes first (wrapped), the location right after it.
    assert!(
        lines[1..arrow]
            .iter()
            .all(|l| l.starts_with("              "))
    );
    assert_eq!(
        lines[arrow].trim(),
        "--> fixtures/sl001_field_note_default_sa/main.tf:34:14"
    );
    assert!(lines[arrow + 1].ends_with('|'));
    assert!(out.contains("   | |_____^ these scopes do not cover the granted APIs\n"));
    // The grant in another file follows, under its own heading, before the help.
    let grant = out
        .find(
            "grant: roles/aiplatform.user granted here (google_project_iam_member.notes_vertex)\n",
        )
        .unwrap();
    let grant_at = out
        .find("--> fixtures/sl001_field_note_default_sa/iam.tf:4:13")
        .unwrap();
    let help = out.find("\nhelp: ").unwrap();
    assert!(grant < grant_at && grant_at < help, "{out}");
    assert!(out.contains(
        " 4 |   role    = \"roles/aiplatform.user\"\n   |             -----------------------\n"
    ));
    for gone in ["Advice", "☞", "×", "╭", "│"] {
        assert!(!out.contains(gone), "{gone}:\n{out}");
    }
    assert!(out.ends_with("scopelint: 1 error, 0 warnings, 0 notes in 4 files\n"));
}

/// An SL005 over a `for_each` of four APIs refers to one place four times:
/// it is shown once, with what is said about it joined.
#[test]
fn one_snippet_per_distinct_place() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(tmp.path().join(name), text).unwrap();
    write(
        "main.tf",
        "resource \"google_compute_instance\" \"app\" {\n  name         = \"app\"\n  machine_type = \"e2-small\"\n  zone         = \"us-central1-a\"\n  service_account {\n    scopes = [\"storage-ro\", \"logging-write\"]\n  }\n}\n",
    );
    write(
        "apis.tf",
        "locals {\n  apis = [\"secretmanager.googleapis.com\", \"bigquery.googleapis.com\", \"pubsub.googleapis.com\", \"spanner.googleapis.com\"]\n}\n\nresource \"google_project_service\" \"apis\" {\n  for_each = toset(local.apis)\n  project  = \"p1\"\n  service  = each.key\n}\n",
    );
    write(
        "providers.tf",
        "provider \"google\" {\n  project = \"p1\"\n}\n",
    );
    let out = Command::cargo_bin("scopelint")
        .unwrap()
        .current_dir(tmp.path())
        .env("COLUMNS", "100")
        .args(["check", "."])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(out.starts_with("note[SL005]: "), "{out}");
    assert_eq!(out.matches("--> apis.tf:").count(), 1, "{out}");
    assert_eq!(
        out.matches("resource \"google_project_service\" \"apis\"")
            .count(),
        1,
        "{out}"
    );
    for api in ["bigquery", "pubsub", "secretmanager", "spanner"] {
        assert!(
            out.contains(&format!("{api}.googleapis.com enabled here")),
            "{out}"
        );
    }
}

#[test]
fn prose_wraps_to_columns_at_spaces_and_source_lines_stay_whole() {
    let (wide, _, _) = check(&[FIELD_NOTE], &[]);
    let (out, _, _) = check(&[FIELD_NOTE], &[("COLUMNS", "60")]);
    let words = |s: &str| -> Vec<String> {
        s.split_whitespace()
            .filter(|w| {
                w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-/()".contains(c))
            })
            .map(str::to_string)
            .collect()
    };
    // The same words, none cut: only the breaks between them moved.
    let message = |s: &str| s.split("  -->").next().unwrap_or("").to_string();
    assert_eq!(words(&message(&out)), words(&message(&wide)));
    assert!(message(&out).lines().count() > message(&wide).lines().count());
    for line in out.lines() {
        let code = line.contains(" | ")
            || line.starts_with("        ")
            || line.starts_with("      ---")
            || line.starts_with("      +")
            || line.trim_start().starts_with("-->");
        if !code {
            assert!(line.chars().count() <= 60, "too long: {line}");
        }
    }
    // A source line longer than the width is shown whole.
    assert!(out.contains(
        "  member  = \"serviceAccount:${data.google_compute_default_service_account.default.email}\""
    ));
}

#[test]
fn colour_follows_the_switch_and_the_environment() {
    let coloured = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec![FIELD_NOTE];
        all.extend_from_slice(args);
        check(&all, env).0.contains("\u{1b}[")
    };
    // Piped: no colour unless asked for.
    assert!(!coloured(&[], &[]));
    assert!(coloured(&["--color", "always"], &[]));
    assert!(coloured(&[], &[("FORCE_COLOR", "1")]));
    assert!(coloured(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!coloured(&[], &[("FORCE_COLOR", "0")]));
    assert!(!coloured(&[], &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]));
    assert!(!coloured(&["--color", "never"], &[("FORCE_COLOR", "1")]));
    assert!(coloured(&["--color", "always"], &[("NO_COLOR", "1")]));
    // A dumb terminal gets ASCII drawing.
    let (out, _, _) = check(&[FIELD_NOTE], &[("TERM", "dumb")]);
    let drawing: String = out
        .lines()
        .filter(|l| !l.contains('"'))
        .flat_map(str::chars)
        .filter(|c| !c.is_ascii())
        .collect();
    assert_eq!(drawing, "", "{out}");
}

#[test]
fn quiet_prints_the_findings_only() {
    let (out, err, code) = check(&[FIELD_NOTE, "--quiet"], &[]);
    assert_eq!(code, Some(1));
    assert!(out.starts_with("error[SL001]: "));
    assert!(!out.contains("scopelint: "), "{out}");
    assert_eq!(err, "");
    let (_, err, code) = check(&[FIELD_NOTE, "-q", "-v"], &[]);
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn statistics_count_findings_per_rule() {
    let dir = "fixtures/sl005_default_sa_secretmanager_enabled";
    let (out, _, code) = check(&[dir, "--statistics"], &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        out,
        "    1\tSL005\t    enabled-api-not-covered\n    1\tSL006\t[*] startup-script-not-covered\n\
         [*] has a patch: `scopelint check --diff` shows it, `--fix` applies it\n"
    );
    let (json, _, _) = check(&[dir, "--statistics", "--format", "json"], &[]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["code"], "SL005");
    assert_eq!(v[1]["fixable"], true);
    let (_, err, code) = check(&[dir, "--statistics", "--format", "sarif"], &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--statistics"), "{err}");
    let clean = Path::new("fixtures/clean_field_note_cloud_platform");
    let (out, _, code) = check(&[clean.to_str().unwrap(), "--statistics"], &[]);
    assert_eq!((out.as_str(), code), ("", Some(0)));
}

/// The README shows real output: the pretty, compact and statistics
/// examples are what the binary prints in the field-note fixture.
#[test]
fn readme_examples_are_real_output() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let dir = root().join(FIELD_NOTE);
    let run = |args: &[&str]| {
        let out = Command::cargo_bin("scopelint")
            .unwrap()
            .current_dir(&dir)
            .env("COLUMNS", "100")
            .env("NO_COLOR", "1")
            .env_remove("FORCE_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .arg("check")
            .arg(".")
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for args in [&[][..], &["--format", "compact"], &["--statistics"]] {
        let out = run(args);
        assert!(
            readme.contains(&format!("```\n{out}```\n")),
            "README.md does not show the output of {args:?}:\n{out}"
        );
    }
}
