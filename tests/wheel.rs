#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Python package (`pyproject.toml`, built by maturin with `bindings =
//! "bin"`): the wheel is built, installed with pip into a fresh virtual
//! environment without an index, and the installed `scopelint` is run on
//! copies of fixtures far from this repository (the knowledge base is compiled
//! into the binary, so nothing else has to travel with it). The source
//! distribution holds what building from it needs.
//!
//! maturin comes from `.ci/install-tools` (into `target/ci-tools/venv`). Locally
//! a missing maturin skips these tests with a message; under CI it fails.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Instant;
use support::{build_wheel, ci_tool, copy_dir, run};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The names inside a zip or tar archive, one a line (Python's standard library reads both).
fn archive_names(archive: &Path) -> Vec<String> {
    let script = "import sys, tarfile, zipfile\n\
                  p = sys.argv[1]\n\
                  names = zipfile.ZipFile(p).namelist() if p.endswith('.whl') else tarfile.open(p).getnames()\n\
                  print('\\n'.join(names))";
    let (ok, out) = run(Command::new("python3").args(["-c", script]).arg(archive));
    assert!(ok, "{out}");
    out.lines().map(str::to_string).collect()
}

#[test]
fn the_wheel_installs_into_a_fresh_virtual_environment_and_runs() {
    let Some(maturin) = ci_tool("venv/bin/maturin") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let wheel = build_wheel(&maturin, &tmp.path().join("dist"));
    eprintln!("wheel built in {:.1?}", started.elapsed());

    // A binary-only wheel: any Python 3, this platform.
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!("scopelint-{VERSION}-py3-none-")),
        "{name}"
    );
    let names = archive_names(&wheel);
    let script = format!("scopelint-{VERSION}.data/scripts/scopelint");
    assert!(names.contains(&script), "{names:?}");
    assert!(
        names.contains(&format!("scopelint-{VERSION}.dist-info/METADATA")),
        "{names:?}"
    );
    // Nothing but the binary and the package metadata.
    let others: Vec<&String> = names
        .iter()
        .filter(|n| **n != script && !n.starts_with(&format!("scopelint-{VERSION}.dist-info/")))
        .collect();
    assert!(
        others.is_empty(),
        "unexpected files in the wheel: {others:?}"
    );

    // A fresh virtual environment; pip may not reach any index.
    let venv = tmp.path().join("venv");
    let (ok, out) = run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    assert!(ok, "{out}");
    let (ok, out) = run(Command::new(venv.join("bin/pip"))
        .args(["install", "--no-index", "--disable-pip-version-check"])
        .arg(&wheel));
    assert!(ok, "pip install of the wheel failed:\n{out}");
    let (ok, out) = run(Command::new(venv.join("bin/pip")).args([
        "show",
        "--disable-pip-version-check",
        "scopelint",
    ]));
    assert!(ok && out.contains(&format!("Version: {VERSION}")), "{out}");

    // The installed command, run in a directory that holds no rules/.
    let exe = venv.join("bin/scopelint");
    let work = tmp.path().join("work");
    for fixture in [
        "sl001_field_note_default_sa",
        "clean_field_note_cloud_platform",
    ] {
        copy_dir(&root().join("fixtures").join(fixture), &work.join(fixture));
    }
    let scopelint = |args: &[&str]| {
        let out = Command::new(&exe)
            .current_dir(&work)
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = scopelint(&["--version"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains(VERSION), "{stdout}");

    let (code, stdout, stderr) = scopelint(&[
        "check",
        "sl001_field_note_default_sa",
        "--format",
        "compact",
    ]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("sl001_field_note_default_sa/main.tf:") && stdout.contains("error[SL001]"),
        "{stdout}{stderr}"
    );
    let (code, stdout, stderr) = scopelint(&["check", "clean_field_note_cloud_platform"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");

    // The knowledge base answers from inside the binary.
    let (code, stdout, stderr) = scopelint(&[
        "explain",
        "--scopes",
        "default",
        "--role",
        "roles/aiplatform.user",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("aiplatform.googleapis.com"), "{stdout}");
}

#[test]
fn the_source_distribution_holds_what_a_build_needs() {
    let Some(maturin) = ci_tool("venv/bin/maturin") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (ok, log) = run(Command::new(&maturin)
        .current_dir(root())
        .args(["sdist", "--out"])
        .arg(tmp.path()));
    assert!(ok, "{log}");
    let sdist = tmp.path().join(format!("scopelint-{VERSION}.tar.gz"));
    let names = archive_names(&sdist);
    let top = format!("scopelint-{VERSION}");
    for needed in [
        "pyproject.toml",
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "src/main.rs",
        "rules/apis.json",
        "rules/roles.json",
        "rules/scopes.json",
        "rules/commands.json",
        "rules/SL001.md",
    ] {
        assert!(
            names.contains(&format!("{top}/{needed}")),
            "{needed} is not in the sdist: {names:?}"
        );
    }
    // Only the package: no tests, fixtures or workspace tools.
    for name in &names {
        let rel = name.strip_prefix(&format!("{top}/")).unwrap_or(name);
        assert!(
            !["tests/", "fixtures/", "xtask/", "fuzz/", "target/"]
                .iter()
                .any(|d| rel.starts_with(d)),
            "{name} should not be in the sdist"
        );
    }
    // Its manifest loads on its own (the workspace members it leaves out are not needed).
    let (ok, out) = run(Command::new("tar")
        .arg("-xzf")
        .arg(&sdist)
        .arg("-C")
        .arg(tmp.path()));
    assert!(ok, "{out}");
    let (ok, out) = run(Command::new(env!("CARGO"))
        .current_dir(tmp.path().join(&top))
        .args([
            "metadata",
            "--locked",
            "--offline",
            "--no-deps",
            "--format-version",
            "1",
        ]));
    assert!(ok, "{out}");
    assert!(out.contains(&format!("\"version\":\"{VERSION}\"")), "{out}");
}

/// The GitHub Action's install step, run as the runner would run it, with pip
/// kept to the wheel built here: it leaves the command where the action's run
/// step calls it. The action's default version is the crate's.
#[test]
fn the_action_installs_the_wheel() {
    let Some(maturin) = ci_tool("venv/bin/maturin") else {
        return;
    };
    let action: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(root().join("action.yml")).unwrap())
            .unwrap();
    assert_eq!(action["inputs"]["version"]["default"], VERSION);
    assert_eq!(action["inputs"]["install"]["default"], "wheel");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let step = |name: &str| {
        steps
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("action.yml has no step {name:?}"))
    };
    let install = step("Install scopelint (wheel)");
    assert_eq!(install["if"], "inputs.install == 'wheel'");
    let cache = step("Cache the scopelint wheel");
    assert!(
        cache["with"]["key"]
            .as_str()
            .unwrap()
            .contains("${{ inputs.version }}"),
        "{cache}"
    );
    // The cached directory is pip's cache.
    assert_eq!(
        cache["with"]["path"],
        "${{ runner.temp }}/scopelint-pip-cache"
    );
    assert!(
        install["run"]
            .as_str()
            .unwrap()
            .contains("--cache-dir \"$RUNNER_TEMP/scopelint-pip-cache\""),
        "{install}"
    );
    assert!(
        step("Run scopelint")["run"]
            .as_str()
            .unwrap()
            .contains("$RUNNER_TEMP/scopelint/bin/scopelint"),
        "the run step must call the installed command"
    );

    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    build_wheel(&maturin, &dist);
    let runner_temp = tmp.path().join("runner-temp");
    std::fs::create_dir(&runner_temp).unwrap();
    let (ok, out) = run(Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
        .arg(install["run"].as_str().unwrap())
        .env("RUNNER_TEMP", &runner_temp)
        .env("SCOPELINT_VERSION", VERSION)
        .env("PIP_NO_INDEX", "1")
        .env("PIP_FIND_LINKS", &dist));
    assert!(ok, "the install step failed:\n{out}");
    assert!(out.contains(VERSION), "{out}");
    let out = Command::new(runner_temp.join("scopelint/bin/scopelint"))
        .current_dir(root())
        .args([
            "check",
            "fixtures/sl001_field_note_default_sa",
            "--format",
            "compact",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("error[SL001]"));
}
