//! Baselines: record today's findings by fingerprint, report only new ones later.

use crate::finding::Finding;
use crate::source::Sources;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Debug, Serialize, Deserialize)]
struct BaselineFile {
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    fingerprint: String,
    rule: String,
    file: String,
    workload: String,
}

fn entry(f: &Finding, sources: &Sources) -> Entry {
    let file = sources
        .get(f.primary.file)
        .map(|s| s.display.clone())
        .unwrap_or_default();
    Entry {
        fingerprint: f.fingerprint(&file),
        rule: f.rule.code.to_string(),
        file,
        workload: f.workload.address.clone(),
    }
}

/// Writes the fingerprints of `findings` to `path`.
pub fn write(path: &Path, findings: &[Finding], sources: &Sources) -> std::io::Result<()> {
    let mut entries: Vec<Entry> = findings.iter().map(|f| entry(f, sources)).collect();
    entries.sort();
    entries.dedup();
    let text = serde_json::to_string_pretty(&BaselineFile {
        version: 1,
        findings: entries,
    })
    .map_err(std::io::Error::other)?;
    std::fs::write(path, text + "\n")
}

/// What applying a baseline did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Findings hidden because the baseline has them.
    pub known: usize,
    /// Baselined findings that no longer occur.
    pub gone: usize,
    /// The baseline file does not exist yet (the first run): every finding counts.
    pub missing: bool,
}

/// Drops the findings recorded in the baseline at `path`.
pub fn apply(
    path: &Path,
    findings: Vec<Finding>,
    sources: &Sources,
) -> Result<(Vec<Finding>, Stats), String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let stats = Stats {
                missing: true,
                ..Stats::default()
            };
            return Ok((findings, stats));
        }
        Err(e) => return Err(format!("{}: cannot read baseline: {e}", path.display())),
    };
    let file: BaselineFile = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a scopelint baseline: {e}", path.display()))?;
    let recorded: BTreeSet<&str> = file
        .findings
        .iter()
        .map(|e| e.fingerprint.as_str())
        .collect();
    let mut seen = BTreeSet::new();
    let mut stats = Stats::default();
    let mut out = Vec::new();
    for f in findings {
        let e = entry(&f, sources);
        if recorded.contains(e.fingerprint.as_str()) {
            stats.known += 1;
            seen.insert(e.fingerprint);
        } else {
            out.push(f);
        }
    }
    stats.gone = recorded.iter().filter(|fp| !seen.contains(**fp)).count();
    Ok((out, stats))
}
