//! Patches for gcloud commands: replace the `--scopes` value, or insert a
//! `--scopes=...` flag after the last flag of a command that has none,
//! keeping the command's continuation style and indentation (or its YAML
//! list style). The patch stage checks that the patched file still parses
//! ([`super::verify`]).

use super::{Strategy, outside_cloud_platform};
use crate::finding::Edit;
use crate::knowledge::{CLOUD_PLATFORM, Knowledge};
use crate::model::{ArgStyle, FlagText, Scopes};
use crate::quote;
use crate::source::{Loc, Sources};
use std::collections::BTreeSet;

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
/// no place to patch.
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
    Some(vec![edit])
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
