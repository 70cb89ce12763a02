//! Patches for gcloud commands: replace the `--scopes` value, or insert a
//! `--scopes=...` flag after the last flag of a command that has none,
//! keeping the command's continuation style and indentation (or its YAML
//! list style). Every patch is applied in memory and the file re-parsed
//! before it is offered.

use super::{Strategy, apply, outside_cloud_platform};
use crate::finding::Edit;
use crate::knowledge::{CLOUD_PLATFORM, Knowledge};
use crate::model::{ArgStyle, FlagText, Scopes};
use crate::quote;
use crate::source::{Loc, SourceFile, Sources};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use tree_sitter::Tree;

/// A scope as a gcloud user writes it: its alias, else its URL.
pub fn spell(kb: &Knowledge, short: &str) -> String {
    kb.gcloud_alias(short)
        .map_or_else(|| Knowledge::url(short), str::to_string)
}

/// The new `--scopes` value: the written scopes plus `add`, or `cloud-platform`.
pub fn new_value(
    kb: &Knowledge,
    written: &[String],
    strategy: Strategy,
    add: &[String],
) -> Option<String> {
    let present: BTreeSet<String> = written
        .iter()
        .filter_map(|w| kb.gcloud_scope(w))
        .flatten()
        .collect();
    let keep_outside = |out: &mut Vec<String>| {
        for w in written {
            let outside = kb
                .gcloud_scope(w)
                .is_some_and(|s| s.iter().any(|x| outside_cloud_platform(x)));
            if outside && !out.contains(w) {
                out.push(w.clone());
            }
        }
    };
    let widen_to_cp =
        strategy == Strategy::CloudPlatform || add.iter().any(|s| s == CLOUD_PLATFORM);
    let list = if widen_to_cp {
        if present.contains(CLOUD_PLATFORM) {
            return None;
        }
        let mut out = vec![CLOUD_PLATFORM.to_string()];
        keep_outside(&mut out);
        out
    } else {
        let new: Vec<String> = add
            .iter()
            .filter(|s| !present.contains(*s))
            .map(|s| spell(kb, s))
            .collect();
        if new.is_empty() {
            return None;
        }
        written.iter().cloned().chain(new).collect()
    };
    Some(list.join(","))
}

/// Builds the edits that widen a gcloud command's scopes; `None` when there is
/// no place to patch or the patched file would not parse.
pub fn scopes_edits(
    kb: &Knowledge,
    sources: &Sources,
    scopes: &Scopes,
    strategy: Strategy,
    add: &[String],
) -> Option<Vec<Edit>> {
    let site = scopes.flag.as_ref()?;
    let value = new_value(kb, &site.written, strategy, add)?;
    let yaml = !matches!(site.style, ArgStyle::Shell { .. });
    // Scopes written in the file with characters a shell or YAML would read
    // (`a;id`): only a whole flag of a script is rewritten, quoted.
    let plain = quote::is_plain(&value);
    if !plain && (yaml || matches!(site.replace, Some((_, FlagText::Value)))) {
        return None;
    }
    let value = if plain {
        value
    } else {
        quote::quote(&value).into_owned()
    };
    let edit = match &site.replace {
        Some((loc, FlagText::Flag)) => Edit {
            loc: loc.clone(),
            replacement: if yaml {
                format!("'--scopes={value}'")
            } else {
                format!("--scopes={value}")
            },
        },
        Some((loc, FlagText::Value)) => Edit {
            loc: loc.clone(),
            replacement: if yaml { format!("'{value}'") } else { value },
        },
        None => {
            let at = site.insert_after.span.end;
            let eol = sources
                .get(site.insert_after.file)
                .map_or("\n", |f| line_break(&f.text, at));
            let replacement = match &site.style {
                ArgStyle::Shell {
                    continuation: Some(indent),
                } => format!(" \\{eol}{indent}--scopes={value}"),
                ArgStyle::Shell { continuation: None } => format!(" --scopes={value}"),
                ArgStyle::YamlFlow => format!(", '--scopes={value}'"),
                ArgStyle::YamlBlock { indent } => format!("{eol}{indent}- '--scopes={value}'"),
            };
            Edit {
                loc: Loc::new(site.insert_after.file, at..at),
                replacement,
            }
        }
    };
    verified(sources, vec![edit])
}

/// The line break of the line at `at` (`\r\n` in a CRLF file), so that an
/// inserted line does not mix line endings.
fn line_break(text: &str, at: usize) -> &'static str {
    let crlf = match text.get(at..).and_then(|rest| rest.find('\n')) {
        Some(i) => i + at > 0 && text.as_bytes().get(i + at - 1) == Some(&b'\r'),
        None => text.contains("\r\n"),
    };
    if crlf { "\r\n" } else { "\n" }
}

/// Keeps the edits only if the patched file still parses as well as before:
/// a YAML file as a whole, a script where the patch is (the top-level
/// statements the edits touch, re-parsed before and after).
pub fn verified(sources: &Sources, edits: Vec<Edit>) -> Option<Vec<Edit>> {
    let first = edits.first()?;
    let file = sources.get(first.loc.file)?;
    let refs: Vec<&Edit> = edits.iter().collect();
    let patched = apply(&file.text, &refs)?;
    let name = file.path.to_string_lossy();
    if name.ends_with(".yml") || name.ends_with(".yaml") {
        crate::yaml::parse(patched.get(file.bom..)?).ok()?;
        return Some(edits);
    }
    let tree = original_tree(file)?;
    let body = file.body();
    let lo = edits
        .iter()
        .map(|e| e.loc.span.start)
        .min()?
        .checked_sub(file.bom)?;
    let hi = edits
        .iter()
        .map(|e| e.loc.span.end)
        .max()?
        .checked_sub(file.bom)?;
    let (mut start, mut end) = (lo, hi);
    let root = tree.root_node();
    let mut cursor = root.walk();
    for child in root.children(&mut cursor) {
        if child.start_byte() <= hi && child.end_byte() >= lo {
            start = start.min(child.start_byte());
            end = end.max(child.end_byte());
        }
    }
    let grown: usize = edits.iter().map(|e| e.replacement.len()).sum();
    let shrunk: usize = edits.iter().map(|e| e.loc.span.len()).sum();
    let patched_body = patched.get(file.bom..)?;
    let before = body.get(start..end)?;
    let after = patched_body.get(start..(end + grown).checked_sub(shrunk)?)?;
    let errors =
        |t: &str| crate::shell::syntax::parse(t).map(|t| crate::shell::syntax::error_count(&t));
    (errors(after)? <= errors(before)?).then_some(edits)
}

/// The parse of an unpatched script, once per file and run.
fn original_tree(file: &SourceFile) -> Option<Tree> {
    type Cache = Mutex<HashMap<(PathBuf, usize), Tree>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (file.path.clone(), file.text.len());
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(hit) = cache.lock().ok()?.get(&key) {
        return Some(hit.clone());
    }
    let tree = crate::shell::syntax::parse(file.body())?;
    cache.lock().ok()?.insert(key, tree.clone());
    Some(tree)
}
