//! The generator run on the hand-made sample in testdata/ must produce testdata/expected/.

use std::path::Path;

use xtask::generate::{GenInput, generate, write_files};

#[test]
fn sample_output_matches_expected() {
    let td = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let g = match generate(&GenInput {
        kb_dir: &td.join("kb"),
        discovery_dir: Some((&td.join("discovery"), "testdata discovery documents")),
        overrides: &td.join("overrides.yaml"),
    }) {
        Ok(g) => g,
        Err(e) => panic!("generator failed on the sample: {e}"),
    };
    let expected = td.join("expected");
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        if let Err(e) = write_files(&g, &expected) {
            panic!("cannot update {}: {e}", expected.display());
        }
        return;
    }
    assert_eq!(g.files.len(), 6);
    for (name, content) in &g.files {
        let path = expected.join(name);
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        assert!(
            *content == want,
            "{name} differs from {} (UPDATE_EXPECTED=1 cargo test -p xtask --test sample to refresh)\n--- generated ---\n{content}",
            path.display()
        );
    }
    // The generator reports curated scopes it had to drop.
    assert!(
        g.diagnostics.iter().any(|d| d.contains("nosuch.scope")),
        "{:?}",
        g.diagnostics
    );
}

#[test]
fn sample_is_deterministic() {
    let td = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let inp = GenInput {
        kb_dir: &td.join("kb"),
        discovery_dir: Some((&td.join("discovery"), "testdata discovery documents")),
        overrides: &td.join("overrides.yaml"),
    };
    let a = generate(&inp).map(|g| g.files).map_err(|e| e.to_string());
    let b = generate(&inp).map(|g| g.files).map_err(|e| e.to_string());
    assert_eq!(a, b);
}

/// Stage 1 keeps everything stage 2 reads: generating from the derived inputs gives the same
/// files as generating from the reference data directory, and deriving again changes nothing.
#[test]
fn derived_inputs_generate_the_same_rules() {
    let td = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let derived = xtask::derive::derive(&td.join("kb")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        derived.keys().map(String::as_str).collect::<Vec<_>>(),
        ["role-services.json", "scope-aliases.json"]
    );
    for (name, content) in &derived {
        let v: serde_json::Value =
            serde_json::from_str(content).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            v["about"]
                .as_str()
                .is_some_and(|a| a.contains("Derived by"))
        );
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sample-derived-inputs");
    let _ = std::fs::remove_dir_all(&dir);
    xtask::derive::write(&derived, &dir).unwrap_or_else(|e| panic!("{e}"));
    // The vendored upstream data is not derived: it sits beside the derived inputs.
    for name in [
        "pinned.json",
        "iam-dataset/roles.json",
        "iam-dataset/map.json",
        "googleapis/service-auth.json",
    ] {
        let to = dir.join(name);
        let _ = std::fs::create_dir_all(to.parent().unwrap_or(&dir));
        std::fs::copy(td.join("kb").join(name), &to).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let gen_from = |kb: &Path| {
        generate(&GenInput {
            kb_dir: kb,
            discovery_dir: Some((&td.join("discovery"), "testdata discovery documents")),
            overrides: &td.join("overrides.yaml"),
        })
        .map(|g| g.files)
        .unwrap_or_else(|e| panic!("generator failed: {e}"))
    };
    assert_eq!(gen_from(&dir), gen_from(&td.join("kb")));
    let again = xtask::derive::derive(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again, derived);
}
