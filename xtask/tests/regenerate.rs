//! rules/ must be exactly what the generator writes from the vendored inputs, and the curated
//! inputs in xtask/inputs/ exactly what stage 1 derives from the reference data.
//!
//! `rules_match_a_fresh_generation` needs only the repository: every input is vendored, so a
//! missing input fails the test. `inputs_match_the_reference_data` needs the reference data
//! directory (env SCOPELINT_KB_DIR), which is not in the repository, and is skipped without it.

use std::path::PathBuf;

use xtask::derive;
use xtask::generate::{self, GenInput, KB_ROLE_SERVICES, KB_SCOPE_ALIASES};

fn generate_from(kb_dir: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    let rules = generate::workspace_root().join("rules");
    generate::generate(&GenInput {
        kb_dir,
        discovery_dir: None,
        overrides: &rules.join("overrides.yaml"),
    })
    .unwrap_or_else(|e| panic!("generator failed: {e}"))
    .files
}

#[test]
fn rules_match_a_fresh_generation() {
    let rules = generate::workspace_root().join("rules");
    for (name, content) in &generate_from(&derive::inputs_dir()) {
        let path = rules.join(name);
        let on_disk = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        assert!(
            *content == on_disk,
            "rules/{name} is stale: run `cargo run -p xtask -- gen-rules` and review the diff"
        );
    }
}

#[test]
fn a_missing_input_is_an_error() {
    let empty = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-kb-inputs");
    let _ = std::fs::create_dir_all(&empty);
    let rules = generate::workspace_root().join("rules");
    let r = generate::generate(&GenInput {
        kb_dir: &empty,
        discovery_dir: None,
        overrides: &rules.join("overrides.yaml"),
    });
    assert!(r.is_err(), "the generator ran without its inputs");
}

#[test]
fn inputs_match_the_reference_data() {
    let Some(kb) = std::env::var_os("SCOPELINT_KB_DIR").map(PathBuf::from) else {
        eprintln!(
            "SKIP inputs_match_the_reference_data: SCOPELINT_KB_DIR is not set (point it at the reference data directory)"
        );
        return;
    };
    let missing: Vec<&str> = [KB_ROLE_SERVICES, KB_SCOPE_ALIASES]
        .into_iter()
        .filter(|f| !kb.join(f).is_file())
        .collect();
    assert!(
        missing.is_empty(),
        "SCOPELINT_KB_DIR={} lacks {}",
        kb.display(),
        missing.join(", ")
    );
    let derived = derive::derive(&kb).unwrap_or_else(|e| panic!("{e}"));
    for (name, content) in &derived {
        let path = derive::inputs_dir().join(name);
        let on_disk = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        assert!(
            *content == on_disk,
            "xtask/inputs/{name} is stale: run `cargo run -p xtask -- gen-rules --kb-dir <reference data directory>`"
        );
    }
}
