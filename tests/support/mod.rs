//! Helpers shared by the integration tests.
#![allow(clippy::unwrap_used, dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};

/// Applies every suggested edit of a JSON report to the files under `dir`, as
/// a fixer would: identical edits once (instances of one count/for_each resource
/// share their literal), and of two overlapping edits the first. Returns the
/// files changed.
pub fn apply_fixes(dir: &Path, report: &Value) -> Vec<PathBuf> {
    let mut by_file: std::collections::BTreeMap<String, Vec<(usize, usize, String)>> =
        Default::default();
    for f in report["findings"].as_array().unwrap() {
        for e in f["fix"]["edits"].as_array().into_iter().flatten() {
            by_file
                .entry(e["file"].as_str().unwrap().to_string())
                .or_default()
                .push((
                    e["start_byte"].as_u64().unwrap() as usize,
                    e["end_byte"].as_u64().unwrap() as usize,
                    e["replacement"].as_str().unwrap().to_string(),
                ));
        }
    }
    let mut changed = Vec::new();
    for (file, mut edits) in by_file {
        let path = dir.join(&file);
        let mut text = std::fs::read_to_string(&path).unwrap();
        edits.sort();
        edits.dedup();
        let mut kept: Vec<(usize, usize, String)> = Vec::new();
        for e in edits {
            if kept
                .last()
                .is_none_or(|k| e.0 >= k.1 && !(e.0 == k.0 && e.1 == k.1))
            {
                kept.push(e);
            }
        }
        for (s, e, r) in kept.into_iter().rev() {
            text.replace_range(s..e, &r);
        }
        std::fs::write(&path, text).unwrap();
        changed.push(path);
    }
    changed
}
