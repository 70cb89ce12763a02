//! rules/ must be exactly what the generator writes from the pinned inputs, and xtask/inputs/
//! exactly what stage 1 derives from the reference data.
//!
//! `rules_match_a_fresh_generation` needs only the repository and the pinned discovery wheel
//! (downloaded with pip into target/kb-cache if absent); it is skipped, with a message, only when
//! the wheel cannot be fetched. `inputs_match_the_reference_data` needs the reference data
//! directory (env SCOPELINT_KB_DIR), which is not in the repository, and is skipped without it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use xtask::derive;
use xtask::generate::{self, GenInput, KB_ROLE_SERVICES, KB_ROLE_SUMMARY, KB_SCOPE_ALIASES};

/// The pinned discovery documents, fetched once for all tests of this file.
fn discovery() -> Result<&'static Path, String> {
    static DOCS: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let cache = generate::workspace_root().join("target").join("kb-cache");
        generate::fetch_discovery(&cache).map_err(|e| e.to_string())
    })
    .as_ref()
    .map(PathBuf::as_path)
    .map_err(Clone::clone)
}

fn generate_from(kb_dir: &Path, docs: &Path) -> std::collections::BTreeMap<String, String> {
    let rules = generate::workspace_root().join("rules");
    generate::generate(&GenInput {
        kb_dir,
        discovery_dir: docs,
        discovery_label: &generate::pinned_label(),
        overrides: &rules.join("overrides.yaml"),
    })
    .unwrap_or_else(|e| panic!("generator failed: {e}"))
    .files
}

#[test]
fn rules_match_a_fresh_generation() {
    let docs = match discovery() {
        Ok(d) => d,
        Err(e) => {
            eprintln!(
                "SKIP rules_match_a_fresh_generation: cannot fetch the pinned discovery wheel: {e}"
            );
            return;
        }
    };
    let rules = generate::workspace_root().join("rules");
    for (name, content) in &generate_from(&derive::inputs_dir(), docs) {
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
fn inputs_match_the_reference_data() {
    let Some(kb) = std::env::var_os("SCOPELINT_KB_DIR").map(PathBuf::from) else {
        eprintln!(
            "SKIP inputs_match_the_reference_data: SCOPELINT_KB_DIR is not set (point it at the reference data directory)"
        );
        return;
    };
    let missing: Vec<&str> = [KB_ROLE_SERVICES, KB_ROLE_SUMMARY, KB_SCOPE_ALIASES]
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
    // Stage 1 loses nothing stage 2 reads.
    if let Ok(docs) = discovery() {
        assert!(
            generate_from(&kb, docs) == generate_from(&derive::inputs_dir(), docs),
            "generating from the reference data and from xtask/inputs/ differ"
        );
    }
}
