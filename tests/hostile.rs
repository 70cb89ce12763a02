#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A pull request is hostile input: what it points at outside the repository
//! is never read, and what it writes into names never becomes a command.

use assert_cmd::Command;
use std::path::Path;
use std::time::Duration;

/// A marker that only the files outside the repository hold.
const SENTINEL: &str = "sentinel-7f3a9c-token";

const FORMATS: [&str; 6] = ["pretty", "compact", "json", "sarif", "github", "gitlab"];

fn scopelint(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("scopelint").unwrap();
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .timeout(Duration::from_secs(120));
    cmd
}

/// What a run printed: stdout, then stdout and stderr together.
fn outputs(cmd: &mut Command) -> (String, String) {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let all = stdout.clone() + &String::from_utf8_lossy(&out.stderr);
    (stdout, all)
}

fn printed(cmd: &mut Command) -> String {
    outputs(cmd).1
}

/// A startup script whose commands (storage calls the instance's scope does
/// not cover) would be findings, printed with their lines, were it read.
fn secret_script() -> String {
    format!("#!/bin/bash\ngsutil cp gs://{SENTINEL}/a /tmp/a\n")
}

fn instance(name: &str, startup: &str) -> String {
    format!(
        r#"
resource "google_compute_instance" "{name}" {{
  name         = "{name}"
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
  metadata = {{
    startup-script = {startup}
  }}
  service_account {{
    scopes = ["logging-write"]
  }}
}}
"#
    )
}

/// `TMP/repo` (a git work tree) with the scanned directory `envs/prod`, a
/// script in `repo/scripts`, and secrets and a module in `TMP/outside`.
fn hostile_tree() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let env = repo.join("envs/prod");
    let outside = tmp.path().join("outside");
    for d in [&env, &repo.join(".git"), &repo.join("scripts"), &outside] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::create_dir_all(outside.join("vm")).unwrap();
    std::fs::write(outside.join("history.sh"), secret_script()).unwrap();
    std::fs::write(
        outside.join("vm/main.tf"),
        instance(SENTINEL, r#""echo hi""#),
    )
    .unwrap();
    std::fs::write(
        repo.join("scripts/inside.sh"),
        "#!/bin/bash\ngsutil cp gs://shop-in-repo/a /tmp/a\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.join("history.sh"), repo.join("scripts/link.sh")).unwrap();
    let abs = outside.join("history.sh");
    let mut main = String::new();
    main.push_str(&instance(
        "in_repo",
        r#"file("${path.module}/../../scripts/inside.sh")"#,
    ));
    main.push_str(&instance(
        "dotdot",
        r#"file("${path.module}/../../../outside/history.sh")"#,
    ));
    main.push_str(&instance(
        "absolute",
        &format!(r#"templatefile("{}", {{}})"#, abs.display()),
    ));
    main.push_str(&instance(
        "linked",
        r#"file("${path.module}/../../scripts/link.sh")"#,
    ));
    main.push_str(&instance("environ", r#"file("/proc/self/environ")"#));
    main.push_str("module \"shared\" {\n  source = \"../../../outside/vm\"\n}\n");
    std::fs::write(env.join("main.tf"), main).unwrap();
    std::fs::write(
        env.join("deploy.sh"),
        "gcloud compute instances create from-file --zone=europe-west1-b \\\n  \
         --scopes=logging-write \\\n  \
         --metadata-from-file=startup-script=../../../outside/history.sh\n",
    )
    .unwrap();
    tmp
}

#[cfg(unix)]
#[test]
fn files_outside_the_work_tree_never_reach_any_output() {
    let tmp = hostile_tree();
    let repo = tmp.path().join("repo");
    for format in FORMATS {
        let (report, all) = outputs(
            scopelint(&repo)
                .args(["check", "envs/prod", "--verbose", "--format"])
                .arg(format),
        );
        assert!(!all.contains(SENTINEL), "{format}:\n{all}");
        // Only `--verbose` (on stderr) names the paths that were refused.
        assert!(!report.contains("outside/"), "{format}:\n{report}");
        // The script beside the scanned directory, in the same repository, is read.
        assert!(
            report.contains("google_compute_instance.in_repo"),
            "{format}:\n{report}"
        );
    }
    let verbose = printed(scopelint(&repo).args(["check", "envs/prod", "--verbose"]));
    assert!(
        verbose.contains("outside the scanned paths and their git work tree"),
        "{verbose}"
    );
    assert!(verbose.contains("a system file"), "{verbose}");
}

#[cfg(unix)]
#[test]
fn allow_read_outside_widens_the_boundary() {
    let tmp = hostile_tree();
    let repo = tmp.path().join("repo");
    let all = printed(scopelint(&repo).args([
        "check",
        "envs/prod",
        "--allow-read-outside",
        "../outside",
    ]));
    assert!(all.contains(SENTINEL), "{all}");
}
