#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The corpus generator is deterministic and writes trees that scopelint reads
//! without an error, with findings; and scopelint's output on such a tree is
//! byte-identical whatever the number of threads.

use scopelint::knowledge::Knowledge;
use scopelint::{Options, render};
use std::path::Path;
use xtask::corpus::{Spec, generate, input_files};

fn spec(files: usize, seed: u64) -> Spec {
    Spec {
        files,
        per_module: 12,
        seed,
        default_sa_percent: 25,
    }
}

fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    input_files(dir)
        .unwrap()
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(dir).unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    let wa = generate(&spec(60, 7), a.path()).unwrap();
    generate(&spec(60, 7), b.path()).unwrap();
    generate(&spec(60, 8), c.path()).unwrap();
    assert_eq!(wa.files, 60);
    assert_eq!(wa.modules, 5);
    assert_eq!(contents(a.path()), contents(b.path()));
    assert_ne!(contents(a.path()), contents(c.path()));
    // A module of 50 files, the pre-commit case.
    let d = tempfile::tempdir().unwrap();
    let w = generate(
        &Spec {
            files: 50,
            per_module: 50,
            seed: 1,
            default_sa_percent: 25,
        },
        d.path(),
    )
    .unwrap();
    assert_eq!((w.files, w.modules), (50, 1));
}

fn report(dir: &Path, threads: usize) -> (String, String, usize) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let opts = Options {
            paths: vec![dir.to_path_buf()],
            ..Options::default()
        };
        let outcome = scopelint::run(&opts, Knowledge::get().unwrap());
        assert!(outcome.errors.is_empty(), "{:?}", outcome.errors.first());
        let all: Vec<_> = outcome.findings.iter().collect();
        let json = render::json::render(&outcome, &all);
        let pretty = render::pretty::render(
            &outcome,
            &all,
            render::pretty::Style {
                color: false,
                width: 100,
            },
        );
        (json, pretty, outcome.sources.len())
    })
}

#[test]
fn a_generated_tree_parses_cleanly_and_gives_the_same_output_on_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let w = generate(&spec(120, 3), tmp.path()).unwrap();
    assert!(w.resources > 800, "{w:?}");
    let (json, pretty, files) = report(tmp.path(), 1);
    assert_eq!(files, 120);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rules: std::collections::BTreeSet<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains("SL001") && rules.contains("SL002"),
        "{rules:?}"
    );
    for threads in [2, 4] {
        let (j, p, _) = report(tmp.path(), threads);
        assert!(j == json, "JSON differs with {threads} threads");
        assert!(p == pretty, "pretty output differs with {threads} threads");
    }
}
