#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The shell front end end to end: the field note's scenario as a gcloud
//! script, patched scripts that stay valid for `bash -n`, and a deterministic
//! fuzz loop showing that no input makes the front end panic.

mod support;
use support::apply_fixes;
use support::copy_dir;

use assert_cmd::Command;
use scopelint::discover::FileKind;
use scopelint::knowledge::Knowledge;
use scopelint::source::{FileId, SourceFile};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn report(dir: &Path) -> (Value, i32) {
    let out = Command::cargo_bin("scopelint")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(["check", ".", "--format", "json"])
        .output()
        .unwrap();
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

fn bash_available() -> bool {
    std::process::Command::new("bash")
        .arg("-c")
        .arg("true")
        .status()
        .is_ok_and(|s| s.success())
}

fn bash_n(path: &Path) -> bool {
    std::process::Command::new("bash")
        .arg("-n")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn the_field_note_script_is_found_and_its_patch_makes_it_clean() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(
        &fixtures().join("gcloud_field_note_create_with_container"),
        tmp.path(),
    );
    let (before, code) = report(tmp.path());
    assert_eq!(code, 1);
    let findings = before["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{before:#}");
    let f = &findings[0];
    assert_eq!(f["rule"], "SL001");
    assert_eq!(
        f["workload"]["kind"],
        "gcloud compute instances create-with-container"
    );
    assert_eq!(f["workload"]["name"], "js-notes");
    assert_eq!(f["workload"]["address"], "deploy.sh:19");
    assert_eq!(
        f["identity"],
        "the Compute Engine default service account of project js-notes-prod"
    );
    assert_eq!(f["apis"][0]["service"], "aiplatform.googleapis.com");
    // the primary location is the create command, the related one the grant
    assert_eq!(f["location"]["start"]["line"], 19);
    let related = f["related"].as_array().unwrap();
    assert_eq!(related.len(), 1);
    assert_eq!(related[0]["start"]["line"], 16);
    assert!(
        related[0]["message"]
            .as_str()
            .unwrap()
            .contains("add-iam-policy-binding")
    );
    // the patch inserts a --scopes flag on its own continued line
    let edits = f["fix"]["edits"].as_array().unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0]["start_byte"], edits[0]["end_byte"]);
    assert_eq!(edits[0]["replacement"], " \\\n  --scopes=cloud-platform");

    let changed = apply_fixes(tmp.path(), &before);
    let (after, code) = report(tmp.path());
    assert_eq!(after["findings"].as_array().unwrap().len(), 0, "{after:#}");
    assert_eq!(code, 0);
    if bash_available() {
        for p in changed {
            assert!(bash_n(&p), "{} is no longer valid bash", p.display());
        }
    }
}

#[test]
fn patched_scripts_stay_valid_bash() {
    if !bash_available() {
        return;
    }
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let dir = entry.unwrap().path();
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(&dir, tmp.path());
        let (before, _) = report(tmp.path());
        for path in apply_fixes(tmp.path(), &before) {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let is_script = name.ends_with(".sh")
                || (!name.contains('.') && {
                    let head = std::fs::read(&path).unwrap();
                    scopelint::discover::has_shell_shebang(&head)
                });
            if is_script {
                assert!(
                    bash_n(&path),
                    "{}: {name} is no longer valid bash after its patches",
                    dir.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} patched scripts checked");
}

/// xorshift64*: a small deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Pieces that exercise the parser and the interpreter where they are intricate.
const TOKENS: &[&str] = &[
    "gcloud",
    "beta",
    "compute",
    "instances",
    "create",
    "set-service-account",
    "instance-templates",
    "create-with-container",
    "container",
    "clusters",
    "node-pools",
    "dataproc",
    "projects",
    "add-iam-policy-binding",
    "services",
    "enable",
    "gsutil",
    "iam",
    "ch",
    "cp",
    "gs://b/x",
    "--scopes=",
    "--scopes",
    "--no-scopes",
    "--service-account=",
    "--no-service-account",
    "--member=serviceAccount:",
    "--role=roles/",
    "--metadata",
    "--metadata-from-file",
    "startup-script=",
    "^;^",
    "default",
    "cloud-platform",
    ",",
    "a",
    "vm",
    "$X",
    "${X:-d}",
    "${X[@]}",
    "\"$@\"",
    "$1",
    "$(",
    ")",
    "`",
    "'",
    "\"",
    "\\\n",
    "\\",
    " ",
    "  ",
    "\n",
    ";",
    "&&",
    "||",
    "|",
    "(",
    "{",
    "}",
    "for x in a b; do",
    "done",
    "if",
    "then",
    "else",
    "fi",
    "case $X in",
    "a)",
    ";;",
    "esac",
    "f() {",
    "local v=",
    "export V=",
    "readonly R=",
    "A=(",
    "<<EOF\n",
    "\nEOF\n",
    "#",
    "=",
    "-compute@developer.gserviceaccount.com",
    "@p.iam.gserviceaccount.com",
    "source x",
    "eval",
    "while read l; do",
    "curl -H 'Authorization: x' https://secretmanager.googleapis.com/v1/",
    "docker pull gcr.io/p/i",
    "bq query",
    "é",
    "\u{0}",
    "\r\n",
    "${",
    "$((",
    "))",
    "[[",
    "]]",
];

const YAML_TOKENS: &[&str] = &[
    "steps:\n",
    "- ",
    "  ",
    "run: ",
    "|\n",
    ">-\n",
    "args: [",
    "]",
    ", ",
    "'",
    "\"",
    "name: ",
    "entrypoint: gcloud\n",
    "entrypoint: bash\n",
    "-c",
    "jobs:\n",
    "j:\n",
    "env:\n",
    "X: y\n",
    "substitutions:\n",
    "_Z: z\n",
    "$_Z",
    "$$",
    "${{ x }}",
    "#cloud-config\n",
    "runcmd:\n",
    "\n",
    ": ",
    "{",
    "}",
    "&a",
    "*a",
    "!!str ",
    "---\n",
    "...\n",
];

fn soup(rng: &mut Rng, tokens: &[&str]) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(60) {
        s.push_str(tokens[rng.below(tokens.len())]);
    }
    s
}

#[test]
fn the_shell_front_end_never_panics() {
    let kb = Knowledge::get().unwrap();
    let mut rng = Rng(0x5eed_cafe_f00d_d00d);
    let iterations: usize = std::env::var("SCOPELINT_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    let shell_seed =
        std::fs::read_to_string(fixtures().join("gcloud_loops_and_variables/setup.sh")).unwrap();
    for i in 0..iterations {
        let (kind, name, text) = match i % 4 {
            0 => {
                let bytes: Vec<u8> = (0..rng.below(300)).map(|_| rng.next() as u8).collect();
                (
                    FileKind::Shell,
                    "x.sh",
                    String::from_utf8_lossy(&bytes).into_owned(),
                )
            }
            1 => (FileKind::Shell, "x.sh", soup(&mut rng, TOKENS)),
            2 => {
                // a real script, cut and spliced at random points
                let a = rng.below(shell_seed.len());
                let b = rng.below(shell_seed.len());
                let (a, b) = (a.min(b), a.max(b));
                let mut t = String::new();
                if let (Some(x), Some(y)) = (shell_seed.get(..a), shell_seed.get(b..)) {
                    t.push_str(x);
                    t.push_str(TOKENS[rng.below(TOKENS.len())]);
                    t.push_str(y);
                }
                (FileKind::Shell, "x.sh", t)
            }
            _ => {
                let kind = if rng.below(2) == 0 {
                    FileKind::CloudBuild
                } else {
                    FileKind::Workflow
                };
                let mut t = soup(&mut rng, YAML_TOKENS);
                t.push_str(&soup(&mut rng, TOKENS));
                (kind, "cloudbuild.yaml", t)
            }
        };
        let src = SourceFile::new(name.into(), PathBuf::from(name), text.clone());
        let _ = scopelint::shell::analyze(FileId(0), kind, &src, kb);
        let e = scopelint::shell::embed::Embedded::whole(&text);
        let _ = scopelint::shell::startup::calls_in(&e, FileId(0), kb, i % 2 == 0);
        let t = scopelint::shell::embed::terraform_template(&text, 0, i % 3 == 0, &[]);
        let _ = scopelint::shell::startup::calls_in(&t, FileId(0), kb, false);
    }
}
