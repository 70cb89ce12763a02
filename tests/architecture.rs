//! The layout's invariants (ARCHITECTURE.md), checked on the source: which
//! stage may name which. Each file of `src/` belongs to a stage (its folder,
//! or its name for a top-level file); every `crate::…` path it writes,
//! in `use` lines and in code, names the stage it reaches into. A path a stage
//! must not name fails the test, unless it is one of the few listed debts.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The input languages: none may name another.
const FRONT_ENDS: &[&str] = &["terraform", "shell", "krm"];

/// What comes after the model and the rules: nothing before them names these.
const LATER: &[&str] = &["check", "render", "fix", "cli", "lsp", "audit"];

/// Known exceptions still to remove, each with the reason it is allowed:
/// (stage, path prefix it may name).
const DEBTS: &[(&str, &str)] = &[
    // The Config Connector reader uses the YAML tree the shell front end
    // builds for workflows and Cloud Build (with its positions and errors).
    ("krm", "shell::yaml"),
    ("krm", "shell::ParseError"),
    ("krm", "shell::shift"),
    // Advice commands are quoted as a shell would read them.
    ("check", "shell::quote"),
    // Rendering lists every rule for SARIF from the rule registry.
    ("render", "check::all_rules"),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The stage of a source file: its folder under `src/`, or its stem.
fn stage(path: &Path) -> String {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel.components().next().unwrap().as_os_str();
    Path::new(first)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Every path named after `crate::` in `text`, with `use crate::{a, b::c}`
/// groups expanded one level (enough for the stage and its first item).
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let path: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            match after[path.len()..].strip_prefix('{') {
                // `crate::{a, b}` and `crate::x::{a, b}`: each item with its prefix.
                Some(group) => {
                    let inner = group.split('}').next().unwrap_or("");
                    for item in inner.split(',') {
                        let item = item.trim().split('{').next().unwrap_or("").trim();
                        if !item.is_empty() {
                            out.insert(format!("{path}{item}").trim_end_matches(':').to_string());
                        }
                    }
                }
                None => {
                    out.insert(path.trim_end_matches(':').to_string());
                }
            }
            rest = after;
        }
    }
    out
}

/// Why `stage` must not name `path`, if it must not.
fn forbidden(stage: &str, path: &str) -> Option<String> {
    let target = path.split("::").next().unwrap_or(path);
    if target == stage {
        return None;
    }
    if DEBTS
        .iter()
        .any(|(s, prefix)| *s == stage && path.starts_with(prefix))
    {
        return None;
    }
    if stage == "knowledge" {
        return Some("the knowledge base is data and its lookups: it names no other stage".into());
    }
    if stage == "model" && (FRONT_ENDS.contains(&target) || LATER.contains(&target)) {
        return Some("the model names no front end and no later stage".into());
    }
    if FRONT_ENDS.contains(&stage) && FRONT_ENDS.contains(&target) {
        return Some("front ends do not name each other".into());
    }
    if FRONT_ENDS.contains(&stage) && LATER.contains(&target) {
        return Some("front ends name no later stage".into());
    }
    if stage == "check"
        && (FRONT_ENDS.contains(&target) || ["render", "cli", "lsp"].contains(&target))
    {
        return Some("rules read the model: no front end, no rendering".into());
    }
    if stage == "render"
        && path.split("::").count() == 1
        && path.chars().next().is_some_and(char::is_uppercase)
    {
        return Some(
            "rendering reads the outcome from its own module, not the orchestrator".into(),
        );
    }
    if stage == "render"
        && (FRONT_ENDS.contains(&target)
            || ["check", "fix", "cli", "lsp", "audit"].contains(&target))
    {
        return Some("rendering reads findings and sources only".into());
    }
    None
}

#[test]
fn stages_name_only_what_comes_before_them() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.sort();
    assert!(files.len() > 50, "the source tree was not found");
    let mut broken = Vec::new();
    for file in &files {
        let stage = stage(file);
        let text = std::fs::read_to_string(file).unwrap();
        for path in crate_paths(&text) {
            if let Some(why) = forbidden(&stage, &path) {
                let rel = file.strip_prefix(src()).unwrap().display().to_string();
                broken.push(format!("src/{rel}: crate::{path}: {why}"));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    // A debt paid is struck from the list.
    let mut paths_by_stage: Vec<(String, String)> = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for path in crate_paths(&text) {
            paths_by_stage.push((stage(file), path));
        }
    }
    for (stage, prefix) in DEBTS {
        assert!(
            paths_by_stage
                .iter()
                .any(|(s, p)| s == stage && p.starts_with(prefix)),
            "{stage} no longer names {prefix}: remove it from DEBTS"
        );
    }
}

/// The reader of paths catches what a rule would look for.
#[test]
fn crate_paths_are_read_from_uses_groups_and_code() {
    let text = "use crate::model::{A, B};\nuse crate::{shell::quote, render};\nlet x = crate::terraform::marker::f(); // crate::cli\n";
    let paths = crate_paths(text);
    assert!(paths.contains("model::A"), "{paths:?}");
    assert!(paths.contains("model::B"), "{paths:?}");
    assert!(paths.contains("shell::quote"), "{paths:?}");
    assert!(paths.contains("render"), "{paths:?}");
    assert!(paths.contains("terraform::marker::f"), "{paths:?}");
    assert!(!paths.iter().any(|p| p.starts_with("cli")), "{paths:?}");
    assert_eq!(
        forbidden("model", "terraform::marker"),
        Some("the model names no front end and no later stage".into())
    );
    assert_eq!(forbidden("krm", "shell::yaml::Node"), None);
    assert!(forbidden("shell", "terraform::eval::normalize").is_some());
    assert_eq!(forbidden("terraform", "model::marker"), None);
    assert!(forbidden("knowledge", "model::Dialect").is_some());
    assert!(forbidden("knowledge", "config::Config").is_some());
}

/// No two stages name each other, directly or through others: the stages form
/// a pipeline, not a knot.
#[test]
fn stages_form_no_cycle() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut edges: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    for file in &files {
        let from = stage(file);
        let text = std::fs::read_to_string(file).unwrap();
        for path in crate_paths(&text) {
            let to = path.split("::").next().unwrap_or("").to_string();
            if to != from && to.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    // Depth-first search; a stage met again on the current path closes a cycle.
    fn visit(
        at: &str,
        edges: &std::collections::BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|s| s == at) {
            let mut cycle = path[i..].to_vec();
            cycle.push(at.to_string());
            return Some(cycle);
        }
        if done.contains(at) {
            return None;
        }
        path.push(at.to_string());
        for next in edges.get(at).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(at.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for start in edges.keys() {
        let cycle = visit(start, &edges, &mut Vec::new(), &mut done);
        assert!(
            cycle.is_none(),
            "stages name each other: {}",
            cycle.unwrap_or_default().join(" -> ")
        );
    }
}
