#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Property: any bytes in any supported file give findings or diagnostics,
//! never a panic. A deterministic random loop (seeded, so a failure names the
//! case that reproduces it) mutates the fixtures' files with HCL tokens, byte
//! flips, splices and truncations, adds pure noise, and runs the whole
//! pipeline and both renderers on each case through the library.
//!
//! `SCOPELINT_PROPERTY_CASES=N` runs more cases (default 600 per front end),
//! `SCOPELINT_PROPERTY_SEED=S` another sequence; the fuzz targets in `fuzz/`
//! explore the same inputs with coverage guidance.

use scopelint::knowledge::Knowledge;
use scopelint::{Options, config, render};
use std::path::{Path, PathBuf};

/// splitmix64: small, fast and good enough to drive mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Pieces of HCL, Terraform and scopelint syntax that make mutations reach deep.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "${",
    "%{",
    "}",
    "<<EOF\n",
    "<<-EOF\n",
    "\nEOF\n",
    "=",
    ",",
    ".",
    "...",
    "=>",
    "?",
    ":",
    "[*]",
    ".*",
    "*",
    "!",
    "-",
    "&&",
    "||",
    "==",
    "\n",
    "\r\n",
    "\r",
    "\t",
    " ",
    "#",
    "//",
    "/*",
    "*/",
    "0",
    "1e308",
    "-1",
    "null",
    "true",
    "\\",
    "\\u",
    "\u{feff}",
    "\u{e000}",
    "\u{e000}sa:",
    "\u{e000}ref:",
    "é",
    "\u{1f600}",
    "resource",
    "data",
    "locals",
    "variable",
    "provider",
    "module",
    "output",
    "dynamic",
    "content",
    "for_each",
    "count",
    "count.index",
    "each.key",
    "each.value",
    "self",
    "for x in ",
    " : ",
    " if ",
    "service_account",
    "scopes",
    "email",
    "member",
    "members",
    "role",
    "\"google_compute_instance\"",
    "\"google_compute_instance_template\"",
    "\"google_container_node_pool\"",
    "\"google_container_cluster\"",
    "\"google_project_iam_member\"",
    "\"google_project_iam_binding\"",
    "\"google_project_iam_policy\"",
    "\"google_service_account\"",
    "\"google_project_service\"",
    "\"google_compute_default_service_account\"",
    "node_config",
    "node_pool",
    "remove_default_node_pool",
    "\"google_dataproc_cluster\"",
    "\"google_dataproc_workflow_template\"",
    "\"google_tpu_v2_vm\"",
    "\"google_composer_environment\"",
    "cluster_autoscaling",
    "auto_provisioning_defaults",
    "cluster_config",
    "gce_cluster_config",
    "service_account_scopes",
    "placement",
    "managed_cluster",
    "software_config",
    "image_version",
    "\"composer-1.20.12-airflow-2.4.3\"",
    "policy_data",
    "binding",
    "var.",
    "local.",
    "data.",
    "google_service_account.sa.email",
    "\"cloud-platform\"",
    "\"storage-ro\"",
    "\"default\"",
    "\"https://www.googleapis.com/auth/\"",
    "\"roles/aiplatform.user\"",
    "\"roles/editor\"",
    "\"serviceAccount:\"",
    "\"serviceAccount:a@p.iam.gserviceaccount.com\"",
    "\"123-compute@developer.gserviceaccount.com\"",
    "concat(",
    "flatten(",
    "format(",
    "formatlist(",
    "join(",
    "split(",
    "element(",
    "lookup(",
    "merge(",
    "try(",
    "coalesce(",
    "toset(",
    "tolist(",
    "keys(",
    "values(",
    "distinct(",
    "compact(",
    "length(",
    "range(",
    "zipmap(",
    "# scopelint:ignore SL001 reason\n",
    "# scopelint:ignore-file SL001,SL002\n",
    "// scopelint:ignore SL001 until=2000-01-01 x\n",
    "# scopelint:ignore\n",
];

fn mutate(rng: &mut Rng, input: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..=rng.below(8) {
        let at = rng.below(data.len() + 1);
        match rng.below(10) {
            0 => {
                if let Some(b) = data.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
            1 => data.insert(at, rng.next() as u8),
            2..=4 => {
                let t = rng.pick(TOKENS).as_bytes();
                data.splice(at..at, t.iter().copied());
            }
            5 => {
                let end = (at + rng.below(64)).min(data.len());
                data.drain(at..end);
            }
            6 => {
                // Duplicate a range: repeated blocks, deep nesting.
                let end = (at + rng.below(200)).min(data.len());
                let piece = data[at..end].to_vec();
                for _ in 0..=rng.below(3) {
                    data.splice(at..at, piece.iter().copied());
                }
            }
            7 => {
                let other = rng.pick(others);
                let from = rng.below(other.len());
                let end = (from + rng.below(400)).min(other.len());
                data.splice(at..at, other[from..end].iter().copied());
            }
            8 => data.truncate(at),
            _ => {
                let t = rng.pick(TOKENS).as_bytes();
                for _ in 0..rng.below(80) {
                    data.splice(at..at, t.iter().copied());
                }
            }
        }
    }
    data
}

/// Every `.tf` and `.tfvars` file of the fixtures, by module.
fn fixture_modules() -> Vec<Vec<(String, Vec<u8>)>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|d| {
            let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| scopelint::discover::FileKind::of(p).is_some())
                .map(|p| {
                    (
                        p.file_name().unwrap().to_string_lossy().into_owned(),
                        std::fs::read(&p).unwrap(),
                    )
                })
                .collect();
            files.sort();
            files
        })
        .collect()
}

fn cases() -> usize {
    std::env::var("SCOPELINT_PROPERTY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600)
}

fn seed(salt: u64) -> u64 {
    std::env::var("SCOPELINT_PROPERTY_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5c0f_e117)
        ^ salt
}

/// Runs the pipeline and both renderers on in-memory files.
fn analyse(files: Vec<(PathBuf, Vec<u8>)>) {
    let kb = Knowledge::get().unwrap();
    let outcome = scopelint::run_in_memory(&Options::default(), kb, files);
    let all: Vec<_> = outcome.findings.iter().collect();
    let json = render::json::render(&outcome, &all);
    serde_json::from_str::<serde_json::Value>(&json).expect("the JSON report must parse");
    render::pretty::render(
        &outcome,
        &all,
        render::pretty::Style {
            color: false,
            width: 80,
        },
    );
    for f in &all {
        render::pretty::fix_diff(&outcome.sources, f);
    }
}

/// Runs `body` for each case; a panic names the case and keeps its input.
fn property(name: &str, salt: u64, mut body: impl FnMut(&mut Rng) -> Vec<(PathBuf, Vec<u8>)>) {
    let mut rng = Rng(seed(salt));
    for case in 0..cases() {
        let files = body(&mut rng);
        let kept = files.clone();
        let result = std::panic::catch_unwind(|| analyse(files));
        if result.is_err() {
            let dir = std::env::temp_dir().join(format!("scopelint-{name}-case-{case}"));
            std::fs::create_dir_all(&dir).unwrap();
            for (path, bytes) in &kept {
                std::fs::write(dir.join(path), bytes).unwrap();
            }
            panic!(
                "{name}: case {case} (seed {}) panicked; its files are in {}",
                seed(salt),
                dir.display()
            );
        }
    }
}

#[test]
fn any_bytes_in_tf_files_give_diagnostics_not_panics() {
    let modules = fixture_modules();
    let all: Vec<Vec<u8>> = modules.iter().flatten().map(|(_, b)| b.clone()).collect();
    property("tf", 1, |rng| {
        let module = rng.pick(&modules);
        let target = rng.below(module.len());
        module
            .iter()
            .enumerate()
            .map(|(i, (name, bytes))| {
                let bytes = if i == target || rng.below(8) == 0 {
                    mutate(rng, bytes, &all)
                } else {
                    bytes.clone()
                };
                (PathBuf::from(name), bytes)
            })
            .collect()
    });
}

#[test]
fn any_bytes_in_tfvars_files_give_diagnostics_not_panics() {
    let modules = fixture_modules();
    let all: Vec<Vec<u8>> = modules.iter().flatten().map(|(_, b)| b.clone()).collect();
    let tfvars: Vec<Vec<u8>> = modules
        .iter()
        .flatten()
        .filter(|(n, _)| n.ends_with(".tfvars"))
        .map(|(_, b)| b.clone())
        .collect();
    assert!(!tfvars.is_empty(), "the fixtures hold tfvars files");
    property("tfvars", 2, |rng| {
        // A module whose variables the tfvars override, plus mutated tfvars.
        let module = rng.pick(&modules);
        let mut files: Vec<(PathBuf, Vec<u8>)> = module
            .iter()
            .filter(|(n, _)| n.ends_with(".tf"))
            .map(|(n, b)| (PathBuf::from(n), b.clone()))
            .collect();
        for name in ["terraform.tfvars", "b.auto.tfvars"] {
            let base = rng.pick(&tfvars).clone();
            files.push((PathBuf::from(name), mutate(rng, &base, &all)));
        }
        files
    });
}

#[test]
fn pure_noise_gives_diagnostics_not_panics() {
    property("noise", 3, |rng| {
        let len = rng.below(2000);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if rng.below(2) == 0 {
            // Mostly printable noise gets past the UTF-8 check into the parser.
            bytes.retain(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
        }
        let mut soup = Vec::new();
        for _ in 0..rng.below(300) {
            soup.extend_from_slice(rng.pick(TOKENS).as_bytes());
            soup.push(b' ');
        }
        vec![
            (PathBuf::from("noise.tf"), bytes),
            (PathBuf::from("soup.tf"), soup.clone()),
            (PathBuf::from("terraform.tfvars"), soup),
        ]
    });
}

#[test]
fn any_bytes_in_the_configuration_give_errors_not_panics() {
    const KEYS: &[&str] = &[
        "rules:\n",
        "  SL001: off\n",
        "  SL002: note\n",
        "exclude: [\"a/**\"]\n",
        "identities:\n",
        "  a@p.iam.gserviceaccount.com: [roles/aiplatform.user]\n",
        "default_service_account: 1-compute@developer.gserviceaccount.com\n",
        "default_service_account_roles: [roles/editor]\n",
        "custom_roles:\n",
        "  projects/p/roles/x:\n    uses:\n      - {api: pubsub.googleapis.com, access: write}\n",
        "api_scopes:\n",
        "  pubsub.googleapis.com: {read: [pubsub], write: [cloud-platform]}\n",
        "fix:\n  strategy: minimal\n",
        "waivers:\n",
        "  - {path: \"x/*.tf\", rule: SL001, reason: r, expires: 2027-06-30}\n",
        "&a ",
        "*a",
        "!!binary ",
        "? ",
        "- ",
        "{",
        "}",
        "[",
        "]",
        "'",
        "\"",
        "\t",
        "\u{feff}",
        "---\n",
        "...\n",
        "%YAML 1.2\n",
        "<<: *a\n",
    ];
    let kb = Knowledge::get().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(config::FILE_NAME);
    let mut rng = Rng(seed(4));
    for case in 0..cases() {
        let mut text: Vec<u8> = Vec::new();
        for _ in 0..rng.below(20) {
            text.extend_from_slice(rng.pick(KEYS).as_bytes());
        }
        let base = text.clone();
        let text = mutate(&mut rng, &base, std::slice::from_ref(&base));
        std::fs::write(&path, &text).unwrap();
        let result = std::panic::catch_unwind(|| {
            let _ = config::load(&path, kb);
        });
        assert!(
            result.is_ok(),
            "configuration case {case} panicked on {:?}",
            String::from_utf8_lossy(&text)
        );
    }
}
