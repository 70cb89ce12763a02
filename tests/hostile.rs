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

/// The name of a VM as a hostile pull request writes it (HCL escapes): a
/// command substitution, quotes, `;`, a newline starting a workflow command,
/// and terminal escapes.
const HOSTILE_NAME_HCL: &str =
    r#"vm$(touch pwned)'q\"x;id\n::add-mask::secret\u001b]0;title\u0007"#;
const HOSTILE_NAME: &str = "vm$(touch pwned)'q\"x;id\n::add-mask::secret\u{1b}]0;title\u{7}";

/// Copies the `.tf` files of the field note's module (one SL001 finding) into `dir`.
fn copy_field_note(dir: &Path) {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sl001_field_note_default_sa");
    std::fs::create_dir_all(dir).unwrap();
    for e in std::fs::read_dir(&fixture).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "tf") {
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
}

/// The field note's module with a hostile instance name and zone, once at the
/// top and once in a directory whose name holds a newline.
fn tree_with_hostile_names() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for dir in [
        tmp.path().to_path_buf(),
        tmp.path().join("sub\n::error::pwned"),
    ] {
        copy_field_note(&dir);
        let main = dir.join("main.tf");
        let text = std::fs::read_to_string(&main)
            .unwrap()
            .replace(
                r#"name         = "js-notes""#,
                &format!(r#"name = "{HOSTILE_NAME_HCL}""#),
            )
            .replace("zone         = var.zone", r#"zone = "us-central1-a;id""#)
            // Shown in the snippet of the finding.
            .replace(
                "    scopes = [",
                "    # \u{1b}]0;pwned\u{7}\u{1b}[2J\n    scopes = [",
            );
        assert!(text.contains("add-mask"));
        std::fs::write(&main, text).unwrap();
    }
    tmp
}

#[cfg(unix)]
#[test]
fn names_from_the_input_never_act_on_a_terminal_or_log() {
    let tmp = tree_with_hostile_names();
    for format in ["pretty", "compact", "github"] {
        let all = printed(
            scopelint(tmp.path())
                .args(["check", ".", "--verbose", "--format"])
                .arg(format),
        );
        assert!(
            all.contains("add-mask"),
            "{format}: the name is shown\n{all}"
        );
        for c in ['\u{1b}', '\u{7}', '\r'] {
            assert!(!all.contains(c), "{format} emits {c:?}:\n{all}");
        }
        for line in all.lines() {
            let line = line.trim_start();
            let ours = ["::error file=", "::warning file=", "::notice file="]
                .iter()
                .any(|p| line.starts_with(p));
            assert!(
                !line.starts_with("::") || (format == "github" && ours),
                "{format}: a line starts a workflow command: {line}"
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn a_file_name_never_starts_a_workflow_command() {
    // `::` is today's form; the runner still obeys the older `##[command]`,
    // and Azure Pipelines `##vso[`.
    for name in ["::error::x.tf", "##[error]x.tf", "##vso[task.complete]x.tf"] {
        let tmp = tempfile::tempdir().unwrap();
        copy_field_note(tmp.path());
        std::fs::rename(tmp.path().join("main.tf"), tmp.path().join(name)).unwrap();
        for format in ["compact", "pretty"] {
            let all = printed(scopelint(tmp.path()).args([
                "check",
                ".",
                "--verbose",
                "--format",
                format,
            ]));
            assert!(all.contains("SL001"), "{name} {format}: {all}");
            assert!(
                all.lines().all(|l| {
                    let l = l.trim_start();
                    !l.starts_with("::") && !l.starts_with("##[") && !l.starts_with("##vso[")
                }),
                "{name} {format}: {all}"
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn remediation_commands_are_shell_quoted() {
    let tmp = tree_with_hostile_names();
    let all = printed(scopelint(tmp.path()).args(["check", "main.tf"]));
    let commands: Vec<&str> = all
        .lines()
        .filter_map(|l| l.find("gcloud compute instances").map(|i| &l[i..]))
        .collect();
    assert_eq!(commands.len(), 3, "{all}");
    for command in commands {
        let syntax = std::process::Command::new("bash")
            .args(["-n", "-c", command])
            .status()
            .unwrap();
        assert!(syntax.success(), "{command}");
        // Run with `gcloud` printing its arguments: each is one word, and
        // nothing in them runs.
        let script = format!("gcloud() {{ printf '%s\\0' \"$@\"; }}\n{command}");
        let out = std::process::Command::new("bash")
            .args(["-c", &script])
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{command}");
        let words: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(str::to_string)
            .collect();
        assert_eq!(
            words.get(3).map(String::as_str),
            Some(HOSTILE_NAME),
            "{command}"
        );
        assert_eq!(
            words.get(4).map(String::as_str),
            Some("--zone=us-central1-a;id"),
            "{command}"
        );
        assert!(!tmp.path().join("pwned").exists(), "{command} ran its name");
    }
}

#[cfg(unix)]
#[test]
fn output_never_replaces_an_input_or_a_special_file() {
    let tmp = tree_with_hostile_names();
    let main = tmp.path().join("main.tf");
    let before = std::fs::read(&main).unwrap();
    let fifo = tmp.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink(&fifo, tmp.path().join("to-fifo")).unwrap();
    for target in [
        "main.tf",
        "sub\n::error::pwned/../main.tf",
        "fifo",
        "to-fifo",
    ] {
        let out = scopelint(tmp.path())
            .args(["check", ".", "--format", "json", "--output", target])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{target}: {stderr}");
        assert!(stderr.contains("refusing to write the report"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    assert_eq!(std::fs::read(&main).unwrap(), before);
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());

    for stdout in ["-", "/dev/stdout"] {
        let out = scopelint(tmp.path())
            .args(["check", "main.tf", "--format", "json", "--output", stdout])
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(report["findings"].as_array().is_some_and(|f| !f.is_empty()));
    }
    assert!(!tmp.path().join("-").exists());
}

#[cfg(unix)]
#[test]
fn a_file_whose_name_is_not_utf8_is_analysed() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    copy_field_note(tmp.path());
    let odd = std::ffi::OsStr::from_bytes(b"ma\xffin.tf");
    std::fs::rename(tmp.path().join("main.tf"), tmp.path().join(odd)).unwrap();
    for named in [std::ffi::OsStr::new("."), odd] {
        let out = scopelint(tmp.path())
            .args(["check", "--format", "compact"])
            .arg(named)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.starts_with("ma\u{fffd}in.tf:") && stdout.contains("SL001"),
            "{named:?}: {stdout}"
        );
    }
}

/// Swaps `path` between the file at `regular` and `other` (a symlink or a
/// FIFO) by atomic renames until `stop` is set, so that a run sees every
/// state, including a swap between its check of a path and its open.
#[cfg(unix)]
fn swap_until(
    stop: &std::sync::atomic::AtomicBool,
    path: &Path,
    regular: &str,
    make_other: impl Fn(&Path),
) -> usize {
    use std::sync::atomic::Ordering;
    let dir = path.parent().unwrap();
    let (staged_file, staged_other) = (dir.join(".staged-file"), dir.join(".staged-other"));
    let mut swaps = 0;
    while !stop.load(Ordering::Relaxed) {
        let _ = std::fs::remove_file(&staged_other);
        make_other(&staged_other);
        std::fs::rename(&staged_other, path).unwrap();
        std::fs::write(&staged_file, regular).unwrap();
        std::fs::rename(&staged_file, path).unwrap();
        swaps += 2;
    }
    swaps
}

#[cfg(unix)]
#[test]
fn a_file_swapped_for_a_link_out_of_the_tree_is_never_read() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let tmp = tempfile::tempdir().unwrap();
    let (repo, outside) = (tmp.path().join("repo"), tmp.path().join("outside"));
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    copy_field_note(&repo);
    // Not HCL: were it read, its first lines would be printed in a parse-error snippet.
    let secret = outside.join("secret.tf");
    std::fs::write(&secret, format!("{SENTINEL} = = =\n{SENTINEL}\n")).unwrap();
    let swapped = repo.join("swapped.tf");
    std::fs::write(&swapped, "locals {\n  x = 1\n}\n").unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let swapper = s.spawn(|| {
            swap_until(&stop, &swapped, "locals {\n  x = 1\n}\n", |staged| {
                std::os::unix::fs::symlink(&secret, staged).unwrap();
            })
        });
        for run in 0..60 {
            let format = ["pretty", "compact", "json"][run % 3];
            let all =
                printed(scopelint(&repo).args(["check", ".", "--verbose", "--format", format]));
            assert!(!all.contains(SENTINEL), "run {run}, {format}: {all}");
            assert!(all.contains("SL001"), "run {run}, {format}: {all}");
        }
        stop.store(true, Ordering::Relaxed);
        assert!(swapper.join().unwrap() > 60);
    });
}

#[cfg(unix)]
#[test]
fn a_file_swapped_for_a_fifo_never_blocks_a_run() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let tmp = tempfile::tempdir().unwrap();
    copy_field_note(tmp.path());
    let swapped = tmp.path().join("swapped.tf");
    std::fs::write(&swapped, "locals {\n  x = 1\n}\n").unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let swapper = s.spawn(|| {
            swap_until(&stop, &swapped, "locals {\n  x = 1\n}\n", |staged| {
                let status = std::process::Command::new("mkfifo")
                    .arg(staged)
                    .status()
                    .unwrap();
                assert!(status.success());
            })
        });
        for run in 0..60 {
            // A run that blocked on the FIFO would be killed by the timeout and have no exit code.
            let out = scopelint(tmp.path())
                .args(["check", ".", "--format", "compact"])
                .timeout(Duration::from_secs(30))
                .output()
                .unwrap();
            let code = out.status.code();
            assert!(matches!(code, Some(1 | 2)), "run {run}: {out:?}");
            assert!(
                String::from_utf8_lossy(&out.stdout).contains("SL001"),
                "run {run}"
            );
        }
        stop.store(true, Ordering::Relaxed);
        assert!(swapper.join().unwrap() > 60);
    });
}
