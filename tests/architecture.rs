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

/// Readers and helpers every stage may use: they name only each other.
const SHARED: &[&str] = &["source", "read", "yaml", "embedded", "quote"];

/// Known exceptions still to remove, each with the reason it is allowed:
/// (stage, path prefix it may name).
const DEBTS: &[(&str, &str)] = &[];

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

/// Every `.rs` file under `src/`, sorted.
fn source_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.sort();
    assert!(files.len() > 50, "the source tree was not found");
    files
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
    if SHARED.contains(&stage) && !SHARED.contains(&target) {
        return Some("a shared reader names only the other shared readers".into());
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
    let files = source_files();
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
    assert!(forbidden("krm", "shell::yaml::Node").is_some());
    assert!(forbidden("check", "shell::quote").is_some());
    assert!(forbidden("render", "check::all_rules").is_some());
    assert!(forbidden("yaml", "shell::embed").is_some());
    assert_eq!(forbidden("yaml", "embedded::Embedded"), None);
    assert_eq!(forbidden("krm", "yaml::Node"), None);
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
    let cycle = find_cycle(&edges);
    assert!(
        cycle.is_none(),
        "stages name each other: {}",
        cycle.unwrap_or_default().join(" -> ")
    );
}

/// One cycle of a directed graph, as the nodes on it with the first repeated
/// at the end; depth-first, a node met again on the current path closes it.
fn find_cycle<N: Ord + Clone>(
    edges: &std::collections::BTreeMap<N, BTreeSet<N>>,
) -> Option<Vec<N>> {
    fn visit<N: Ord + Clone>(
        at: &N,
        edges: &std::collections::BTreeMap<N, BTreeSet<N>>,
        path: &mut Vec<N>,
        done: &mut BTreeSet<N>,
    ) -> Option<Vec<N>> {
        if let Some(i) = path.iter().position(|s| s == at) {
            let mut cycle = path[i..].to_vec();
            cycle.push(at.clone());
            return Some(cycle);
        }
        if done.contains(at) {
            return None;
        }
        path.push(at.clone());
        for next in edges.get(at).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(at.clone());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|start| visit(start, edges, &mut Vec::new(), &mut done))
}

/// A module path (`["terraform", "eval"]`; empty for `lib.rs`) and the code
/// of its file, without tests and comments.
type Modules = std::collections::BTreeMap<Vec<String>, String>;

/// The module path of a file under `src/`; `None` for the binary's `main.rs`.
fn module_path(rel: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.last().map(String::as_str) {
        Some("main") if parts.len() == 1 => return None,
        Some("lib") if parts.len() == 1 => parts.clear(),
        Some("mod") => {
            parts.pop();
        }
        _ => {}
    }
    Some(parts)
}

/// The code of a file as the build without tests sees it: an item under
/// `#[cfg(test)]` (or `#[cfg(all(test, …))]`) is dropped, with the name of a
/// `mod x;` so dropped listed in `test_modules`; comments are cut.
fn non_test_code(text: &str, test_modules: &mut Vec<String>) -> String {
    let mut out = String::new();
    let mut lines = text.lines().map(|l| l.split("//").next().unwrap_or(""));
    while let Some(line) = lines.next() {
        let attr = line.trim();
        if !(attr.starts_with("#[cfg(") && attr.contains("test") && !attr.contains("not(")) {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        // Skip the item: one line ending in `;`, or a block to its closing brace.
        let mut depth = 0i32;
        for item in lines.by_ref() {
            let item = item.trim();
            if depth == 0 && item.starts_with("mod ") && item.ends_with(';') {
                let name = item.trim_start_matches("mod ").trim_end_matches(';');
                test_modules.push(name.trim().to_string());
                break;
            }
            depth += item.matches('{').count() as i32 - item.matches('}').count() as i32;
            if depth <= 0 && (item.ends_with('}') || item.ends_with(';')) {
                break;
            }
        }
    }
    out
}

/// Reads a source tree given as `(path under src/, text)`.
fn modules_of(files: &[(PathBuf, String)]) -> Modules {
    let mut modules = Modules::new();
    let mut tests = Vec::new();
    for (rel, text) in files {
        let Some(module) = module_path(rel) else {
            continue;
        };
        let mut test_children = Vec::new();
        let code = non_test_code(text, &mut test_children);
        for child in test_children {
            let mut path = module.clone();
            path.push(child);
            tests.push(path);
        }
        modules.insert(module, code);
    }
    for test in tests {
        modules.remove(&test);
    }
    modules
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `a::{b, c::{d, e as f}}` as `a::b`, `a::c::d`, `a::c::e as f`.
fn expand_use(tree: &str) -> Vec<String> {
    fn split_top(s: &str) -> Vec<&str> {
        let (mut depth, mut start, mut out) = (0, 0, Vec::new());
        for (i, c) in s.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(&s[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        out.push(&s[start..]);
        out
    }
    let mut out = Vec::new();
    for item in split_top(tree) {
        let item = item.trim();
        match item.find('{') {
            Some(open) => {
                let prefix: String = item[..open].split_whitespace().collect();
                let inner = item[open + 1..].trim_end().trim_end_matches('}');
                for rest in expand_use(inner) {
                    out.push(format!("{prefix}{rest}"));
                }
            }
            None if !item.is_empty() => {
                out.push(item.split_whitespace().collect::<Vec<_>>().join(" "))
            }
            None => {}
        }
    }
    out
}

/// The trees of the `use` items in `code`, with whether each is public
/// (`pub use`, `pub(crate) use`: a re-export).
fn use_items(code: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("use ").map(|i| i + from) {
        from = at + 4;
        let before = code[..at].trim_end();
        if code[..at].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let public = before.ends_with("pub") || before.ends_with(')') && before.contains("pub(");
        let Some(end) = code[from..].find(';') else {
            break;
        };
        for tree in expand_use(&code[from..from + end]) {
            out.push((public, tree));
        }
        from += end;
    }
    out
}

/// Every path in `code` that may name another file of the crate: the `use`
/// trees, and the `crate::`, `super::`, `self::` and `child::` paths of the
/// code (`children`: the child modules of the file's module).
fn named_paths(code: &str, children: &BTreeSet<String>) -> Vec<String> {
    let mut out: Vec<String> = use_items(code)
        .into_iter()
        .map(|(_, tree)| tree.split(" as ").next().unwrap_or("").to_string())
        .collect();
    let chars: Vec<(usize, char)> = code.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let follows_path = i > 0 && (is_ident(chars[i - 1].1) || chars[i - 1].1 == ':');
        if !is_ident(c) || follows_path {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && (is_ident(chars[j].1) || chars[j].1 == ':') {
            j += 1;
        }
        let end = chars.get(j).map_or(code.len(), |(at, _)| *at);
        i = j;
        // `a::b::{c, d}` names `c` and `d` (read with the `use` trees), not `b`.
        if code[start..end].ends_with("::") && code[end..].starts_with('{') {
            continue;
        }
        let path = code[start..end].trim_end_matches(':');
        let first = path.split("::").next().unwrap_or("");
        let keyword = ["crate", "super", "self"].contains(&first);
        if path.contains("::") && (keyword || children.contains(first)) {
            out.push(path.to_string());
        }
    }
    out
}

/// `path` written in `module`, from the crate root; `None` for another crate.
fn absolute(modules: &Modules, module: &[String], path: &str) -> Option<Vec<String>> {
    let mut segs: Vec<String> = path
        .split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let mut at = module.to_vec();
    match segs.first().map(String::as_str) {
        None => return None,
        Some("crate") => {
            segs.remove(0);
            return Some(segs);
        }
        Some("self") => {
            segs.remove(0);
        }
        Some("super") => {
            while segs.first().is_some_and(|s| s == "super") {
                segs.remove(0);
                at.pop();
            }
        }
        Some(first) => {
            let mut child = at.clone();
            child.push(first.to_string());
            if !modules.contains_key(&child) {
                return None;
            }
        }
    }
    at.extend(segs);
    Some(at)
}

/// The module whose file defines what the absolute path `segs` names,
/// following the re-exports (`pub use`) of the modules on the way.
fn defining_module(modules: &Modules, segs: &[String], depth: usize) -> Option<Vec<String>> {
    let split = (0..=segs.len())
        .rev()
        .find(|i| modules.contains_key(&segs[..*i]))?;
    let (module, rest) = (&segs[..split], &segs[split..]);
    if let (Some(name), true) = (rest.first(), depth < 16) {
        for (public, tree) in use_items(&modules[module]) {
            let (target, alias) = match tree.split_once(" as ") {
                Some((target, alias)) => (target.to_string(), alias.trim().to_string()),
                None => (
                    tree.clone(),
                    tree.rsplit("::").next().unwrap_or("").to_string(),
                ),
            };
            if public
                && &alias == name
                && let Some(mut to) = absolute(modules, module, &target)
            {
                to.extend(rest[1..].iter().cloned());
                if let Some(found) = defining_module(modules, &to, depth + 1) {
                    return Some(found);
                }
            }
        }
    }
    Some(module.to_vec())
}

/// The file graph: for each module, the modules its code names, each with
/// the first path that names it.
fn file_edges(
    modules: &Modules,
) -> std::collections::BTreeMap<Vec<String>, std::collections::BTreeMap<Vec<String>, String>> {
    let mut edges: std::collections::BTreeMap<_, std::collections::BTreeMap<_, _>> =
        Default::default();
    for (module, code) in modules {
        let children: BTreeSet<String> = modules
            .keys()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
            .filter_map(|m| m.last().cloned())
            .collect();
        for path in named_paths(code, &children) {
            let Some(abs) = absolute(modules, module, &path) else {
                continue;
            };
            let Some(to) = defining_module(modules, &abs, 0) else {
                continue;
            };
            if &to != module {
                edges
                    .entry(module.clone())
                    .or_default()
                    .entry(to)
                    .or_insert(path);
            }
        }
    }
    edges
}

/// The file of a module, for messages.
fn file_name(modules: &Modules, module: &[String]) -> String {
    if module.is_empty() {
        return "src/lib.rs".into();
    }
    let has_children = modules
        .keys()
        .any(|m| m.len() > module.len() && m.starts_with(module));
    match has_children {
        true => format!("src/{}/mod.rs", module.join("/")),
        false => format!("src/{}.rs", module.join("/")),
    }
}

/// One cycle of the file graph, as `file -[path]-> file -[path]-> … file`.
fn file_cycle(modules: &Modules) -> Option<String> {
    let edges = file_edges(modules);
    let graph = edges
        .iter()
        .map(|(from, to)| (from.clone(), to.keys().cloned().collect()))
        .collect();
    let cycle = find_cycle(&graph)?;
    let mut text = file_name(modules, &cycle[0]);
    for pair in cycle.windows(2) {
        let why = &edges[&pair[0]][&pair[1]];
        text.push_str(&format!(
            "\n  -> {} (names {why})",
            file_name(modules, &pair[1])
        ));
    }
    Some(text)
}

/// No file of `src/` names, directly or through others, a file that names
/// it: each folder's `mod.rs` names its children, which name siblings or
/// shared leaves, never the other way round.
#[test]
fn no_import_cycle_between_files() {
    let files: Vec<(PathBuf, String)> = source_files()
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(src()).unwrap().to_path_buf();
            (rel, std::fs::read_to_string(p).unwrap())
        })
        .collect();
    let modules = modules_of(&files);
    if let Some(cycle) = file_cycle(&modules) {
        panic!("files name each other:\n{cycle}");
    }
}

/// The resolver on a small tree: a re-export is followed to the file that
/// defines the item, and a cycle through it is found.
#[test]
fn file_cycles_are_found_through_reexports() {
    let tree = |files: &[(&str, &str)]| {
        modules_of(
            &files
                .iter()
                .map(|(p, t)| (PathBuf::from(p), t.to_string()))
                .collect::<Vec<_>>(),
        )
    };
    let files = [
        (
            "lib.rs",
            "pub mod a;\npub mod b;\npub use b::inner::Item;\n",
        ),
        ("a.rs", "use crate::Item;\npub fn f() {}\n"),
        (
            "b/mod.rs",
            "pub mod inner;\n#[cfg(test)]\nmod tests;\n#[cfg(all(test, unix))]\nmod t {\n    fn f() { crate::a::f() }\n}\n",
        ),
        (
            "b/inner.rs",
            "pub struct Item;\nfn g() { super::super::a::f() }\n",
        ),
        ("b/tests.rs", "use crate::a::f;\n"),
        ("main.rs", "use scopelint::a;\n"),
    ];
    let modules = tree(&files);
    let edges = file_edges(&modules);
    let a = vec!["a".to_string()];
    let inner = vec!["b".to_string(), "inner".to_string()];
    assert_eq!(
        edges[&a].get(&inner).map(String::as_str),
        Some("crate::Item")
    );
    assert!(!modules.contains_key(&vec!["b".to_string(), "tests".to_string()]));
    let cycle = file_cycle(&modules).unwrap();
    assert!(cycle.contains("src/a.rs"), "{cycle}");
    assert!(cycle.contains("src/b/inner.rs"), "{cycle}");
    assert!(cycle.contains("names super::super::a::f"), "{cycle}");
    // Without the call back, the graph has no cycle; a child module path
    // in code (`inner::Item`) is an edge too.
    let mut acyclic = files;
    acyclic[3] = ("b/inner.rs", "pub struct Item;\n");
    acyclic[2] = (
        "b/mod.rs",
        "pub mod inner;\nfn h() -> inner::Item { inner::Item }\n",
    );
    let modules = tree(&acyclic);
    assert_eq!(file_cycle(&modules), None);
    let b = vec!["b".to_string()];
    assert!(file_edges(&modules)[&b].contains_key(&inner));
    let groups = expand_use(" crate::{a::{B, c as d}, e}");
    assert_eq!(groups, ["crate::a::B", "crate::a::c as d", "crate::e"]);
}
