//! Re-runs the generator from the pinned inputs and compares the result byte for byte with rules/.
//!
//! Needs the reference data directory (env SCOPELINT_KB_DIR) and the pinned discovery wheel
//! (downloaded with pip into target/kb-cache if absent). Skips, with a message, when either is
//! unavailable.

use std::path::{Path, PathBuf};

use xtask::generate::{self, GenInput, KB_ROLE_SERVICES, KB_ROLE_SUMMARY, KB_SCOPE_ALIASES};

#[test]
fn rules_match_a_fresh_generation() {
    let Some(kb) = std::env::var_os("SCOPELINT_KB_DIR").map(PathBuf::from) else {
        eprintln!(
            "SKIP rules_match_a_fresh_generation: SCOPELINT_KB_DIR is not set (point it at the reference data directory)"
        );
        return;
    };
    let missing: Vec<&str> = [KB_ROLE_SERVICES, KB_ROLE_SUMMARY, KB_SCOPE_ALIASES]
        .into_iter()
        .filter(|f| !kb.join(f).is_file())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "SKIP rules_match_a_fresh_generation: the reference data directory {} lacks {}",
            kb.display(),
            missing.join(", ")
        );
        return;
    }
    let root = generate::workspace_root();
    let docs = match generate::fetch_discovery(&root.join("target").join("kb-cache")) {
        Ok(d) => d,
        Err(e) => {
            eprintln!(
                "SKIP rules_match_a_fresh_generation: cannot fetch the pinned discovery wheel: {e}"
            );
            return;
        }
    };
    let rules = root.join("rules");
    let g = generate::generate(&GenInput {
        kb_dir: &kb,
        discovery_dir: &docs,
        discovery_label: &generate::pinned_label(),
        overrides: &rules.join("overrides.yaml"),
    })
    .unwrap_or_else(|e| panic!("generator failed: {e}"));
    for (name, content) in &g.files {
        let path: &Path = &rules.join(name);
        let on_disk = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        assert!(
            *content == on_disk,
            "rules/{name} is stale: run `cargo run -p xtask -- gen-rules --kb-dir <reference data directory>`"
        );
    }
}
