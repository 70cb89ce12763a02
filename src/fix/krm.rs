//! Patches for the `scopes`/`oauthScopes` lists of Config Connector objects:
//! line edits of a block sequence (`- item` lines) or edits inside a flow
//! sequence (`[a, b]`), keeping the items' indentation, quoting, alias or URL
//! style and the file's line endings. The patched list is parsed again and
//! must hold exactly the expected items; a form that cannot be edited that
//! safely gets no patch.

use super::{Strategy, apply_within, outside_cloud_platform};
use crate::finding::Edit;
use crate::knowledge::{CLOUD_PLATFORM, Knowledge};
use crate::model::Scopes;
use crate::source::{Loc, Sources};
use crate::yaml::{self, Value};
use std::collections::BTreeSet;
use std::ops::Range;

fn line_start(text: &str, at: usize) -> usize {
    text.get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1)
}

/// The end of the line holding `at`, after its line break (or the end of the text).
fn next_line(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| at + i + 1)
}

/// Builds the edits that widen a Config Connector scopes list; `None` when
/// the list is not one we can edit safely.
pub fn scopes_edits(
    kb: &Knowledge,
    sources: &Sources,
    scopes: &Scopes,
    strategy: Strategy,
    add: &[String],
) -> Option<Vec<Edit>> {
    let loc = scopes.defined.as_ref()?;
    if !scopes.complete && !scopes.items.is_empty() {
        return None;
    }
    let file = sources.get(loc.file)?;
    let text = file.text.as_str();
    let items: Vec<(Range<usize>, &str)> = scopes
        .items
        .iter()
        .map(|i| {
            let l = i.loc.as_ref().filter(|l| l.file == loc.file)?;
            Some((l.span.clone(), &*i.raw))
        })
        .collect::<Option<_>>()?;
    let url_style = !items.is_empty() && items.iter().all(|(_, s)| s.starts_with("https://"));
    let quote = items
        .first()
        .and_then(|(r, _)| text.get(r.start..r.start + 1))
        .filter(|q| *q == "\"" || *q == "'")
        .unwrap_or("");
    let spell = |short: &str| -> String {
        match (url_style, kb.terraform_alias(short)) {
            (false, Some(alias)) => alias.to_string(),
            _ => Knowledge::url(short),
        }
    };
    let present: BTreeSet<String> = items
        .iter()
        .filter_map(|(_, s)| kb.terraform_scope(s))
        .collect();
    // The list after the patch: the items' values, then what is added.
    let (kept, new): (Vec<String>, Vec<String>) = match strategy {
        Strategy::Minimal | Strategy::Auto => {
            let new: Vec<String> = add
                .iter()
                .filter(|s| !present.contains(*s))
                .map(|s| spell(s))
                .collect();
            let kept = items.iter().map(|(_, s)| s.to_string()).collect();
            (kept, new)
        }
        Strategy::CloudPlatform => {
            if present.contains(CLOUD_PLATFORM) {
                return None;
            }
            let kept = items
                .iter()
                .filter(|(_, s)| {
                    kb.terraform_scope(s)
                        .is_some_and(|x| outside_cloud_platform(&x))
                })
                .map(|(_, s)| s.to_string())
                .collect();
            (kept, vec![spell(CLOUD_PLATFORM)])
        }
    };
    if new.is_empty() {
        return None;
    }
    let written = |s: &str| format!("{quote}{s}{quote}");
    let flow = text
        .get(loc.span.start..)
        .is_some_and(|t| t.starts_with('['));
    let list = List {
        text,
        loc,
        items: &items,
        strategy,
        kept: &kept,
        new: &new,
        written: &written,
    };
    let (edits, expected) = if flow {
        flow_edits(&list)?
    } else {
        block_edits(&list)?
    };
    verified(text, loc, flow, edits, &expected)
}

/// An edit of `span` in the file of `list`.
fn edit(list: &Loc, span: Range<usize>, replacement: String) -> Edit {
    Edit {
        loc: Loc::new(list.file, span),
        replacement,
    }
}

/// What a patch of one list works with.
struct List<'a> {
    text: &'a str,
    loc: &'a Loc,
    /// Each item's span and value.
    items: &'a [(Range<usize>, &'a str)],
    strategy: Strategy,
    /// The items the patch keeps, and the values it adds.
    kept: &'a [String],
    new: &'a [String],
    /// A value as the list writes it (quoted like its first item).
    written: &'a dyn Fn(&str) -> String,
}

fn flow_edits(l: &List<'_>) -> Option<(Vec<Edit>, Vec<String>)> {
    let edit = |span, replacement| edit(l.loc, span, replacement);
    let expected: Vec<String> = match l.strategy {
        Strategy::CloudPlatform => l.new.iter().chain(l.kept).cloned().collect(),
        _ => l.kept.iter().chain(l.new).cloned().collect(),
    };
    let list = |values: &mut dyn Iterator<Item = &String>| -> String {
        values
            .map(|s| (l.written)(s))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let whole = l.loc.span.clone();
    if l.text.get(whole.clone())?.contains('\n') && l.items.is_empty() {
        return None;
    }
    let edits = match (l.strategy, l.items.first(), l.items.last()) {
        (_, None, _) | (_, _, None) => vec![edit(whole, format!("[{}]", list(&mut l.new.iter())))],
        (Strategy::CloudPlatform, Some((first, _)), Some((last, _))) => {
            let values = list(&mut l.new.iter().chain(l.kept));
            vec![edit(first.start..last.end, values)]
        }
        (_, _, Some((last, _))) => {
            let values: String = l
                .new
                .iter()
                .map(|s| format!(", {}", (l.written)(s)))
                .collect();
            vec![edit(last.end..last.end, values)]
        }
    };
    Some((edits, expected))
}

/// Edits of a block sequence whose items are each alone on their line as
/// `INDENT- ITEM`, optionally followed by a comment.
fn block_edits(l: &List<'_>) -> Option<(Vec<Edit>, Vec<String>)> {
    let List {
        text,
        loc,
        items,
        strategy,
        kept,
        new,
        written,
    } = *l;
    let mut prefix: Option<&str> = None;
    for (r, _) in items {
        let start = line_start(text, r.start);
        let p = text.get(start..r.start)?;
        let dash = p.trim_start_matches(' ');
        if !(dash.starts_with('-') && dash[1..].chars().all(|c| c == ' ') && dash.len() > 1) {
            return None;
        }
        match prefix {
            Some(q) if q != p => return None,
            _ => prefix = Some(p),
        }
        let rest = text
            .get(r.end..next_line(text, r.end))?
            .trim_start_matches([' ', '\t']);
        let rest = rest.trim_end_matches(['\n', '\r']);
        if !(rest.is_empty() || rest.starts_with('#')) {
            return None;
        }
    }
    let prefix = prefix?;
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let edit = |span, replacement| edit(loc, span, replacement);
    let last = items.last()?;
    Some(match strategy {
        Strategy::CloudPlatform => {
            // The first item cloud-platform does not need to keep becomes
            // cloud-platform; the other such items are dropped.
            let mut edits = Vec::new();
            let mut expected = Vec::new();
            for (r, raw) in items {
                if kept.iter().any(|k| k == raw) {
                    expected.push(raw.to_string());
                } else if edits.is_empty() {
                    // A comment after the item spoke of it, not of cloud-platform.
                    let end = text
                        .get(r.end..)
                        .and_then(|t| t.find(['\n', '\r']))
                        .map_or(text.len(), |i| r.end + i);
                    edits.push(edit(r.start..end, written(new.first()?)));
                    expected.push(new.first()?.clone());
                } else {
                    let start = line_start(text, r.start);
                    edits.push(edit(start..next_line(text, r.end), String::new()));
                }
            }
            if edits.is_empty() {
                return None;
            }
            (edits, expected)
        }
        _ => {
            let expected = kept.iter().chain(new).cloned().collect();
            let end = next_line(text, last.0.end);
            let lines: String = new
                .iter()
                .map(|s| format!("{prefix}{}{nl}", written(s)))
                .collect();
            let edits = if text.get(..end).is_some_and(|t| t.ends_with('\n')) {
                vec![edit(end..end, lines)]
            } else {
                // The last item ends the file without a line break.
                let lines = lines.strip_suffix(nl).unwrap_or(&lines);
                vec![edit(end..end, format!("{nl}{lines}"))]
            };
            (edits, expected)
        }
    })
}

/// Keeps the edits only if the patched list parses to exactly `expected`.
/// Only the list's own lines are parsed again, so a file with many patched
/// lists costs one list parse per patch.
fn verified(
    text: &str,
    loc: &Loc,
    flow: bool,
    edits: Vec<Edit>,
    expected: &[String],
) -> Option<Vec<Edit>> {
    let start = if flow {
        loc.span.start
    } else {
        line_start(text, loc.span.start)
    };
    // Every edit falls inside the list, or (an added block item) right after its last line.
    let end = if flow {
        loc.span.end
    } else {
        next_line(text, loc.span.end)
    };
    let patched = apply_within(text.get(start..end)?, start, &edits)?;
    let doc = yaml::parse(&patched).ok()?;
    let Value::Seq(items) = &doc.value else {
        return None;
    };
    let values: Option<Vec<&str>> = items.iter().map(|i| i.as_str()).collect();
    (values? == expected.iter().map(String::as_str).collect::<Vec<_>>()).then_some(edits)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::krm::facts::{Dir, Namespaces, extract};
    use crate::model::Account;
    use crate::source::{FileId, SourceFile};

    /// The patched text of the only workload's scopes list in `text`, or
    /// `None` when no patch is offered.
    fn patched(text: &str, strategy: Strategy, add: &[&str]) -> Option<String> {
        let kb = Knowledge::get().ok()?;
        let mut sources = Sources::default();
        let id = sources.push(SourceFile::new(
            "a.yaml".into(),
            "a.yaml".into(),
            text.into(),
        ));
        let src = sources.get(id)?;
        let objects = crate::krm::read(FileId(0), src).ok()?.objects;
        let namespaces = Namespaces::new();
        let lookup = |f: FileId| sources.get(f).map(|s| s.text.as_str());
        let model = extract(&Dir {
            objects: &objects,
            namespaces: &namespaces,
            text: &lookup,
        });
        let Account::Attached { scopes, .. } = &model.workloads.first()?.account else {
            return None;
        };
        let add: Vec<String> = add.iter().map(|s| s.to_string()).collect();
        let edits = scopes_edits(kb, &sources, scopes, strategy, &add)?;
        let refs: Vec<&Edit> = edits.iter().collect();
        crate::fix::apply(text, &refs)
    }

    const HEAD: &str = "apiVersion: compute.cnrm.cloud.google.com/v1beta1\nkind: ComputeInstance\nmetadata:\n  name: vm\nspec:\n  serviceAccount:\n";

    #[test]
    fn a_block_list_gains_lines_in_its_style_and_line_endings() {
        let text =
            format!("{HEAD}    scopes:\n    - 'storage-ro'\n    - 'logging-write'\n  zone: z\n")
                .replace('\n', "\r\n");
        let out = patched(&text, Strategy::Minimal, &["pubsub"]).expect("a patch");
        assert_eq!(
            out,
            text.replace(
                "    - 'logging-write'\r\n",
                "    - 'logging-write'\r\n    - 'pubsub'\r\n"
            )
        );
    }

    #[test]
    fn a_block_list_at_the_end_of_the_file_without_a_line_break() {
        let text = format!(
            "{HEAD}    scopes:\n      - https://www.googleapis.com/auth/devstorage.read_only"
        );
        let out = patched(&text, Strategy::Minimal, &["pubsub"]).expect("a patch");
        assert!(out.ends_with("read_only\n      - https://www.googleapis.com/auth/pubsub"));
    }

    #[test]
    fn cloud_platform_keeps_what_it_does_not_cover_and_drops_comments_of_replaced_items() {
        let text = format!(
            "{HEAD}    scopes:\n    - storage-ro # images\n    - https://www.googleapis.com/auth/drive\n    - logging-write\n"
        );
        let out = patched(&text, Strategy::CloudPlatform, &[]).expect("a patch");
        assert!(
            out.ends_with(
                "    scopes:\n    - cloud-platform\n    - https://www.googleapis.com/auth/drive\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn an_item_continued_on_the_next_line_is_kept_whole() {
        let text =
            format!("{HEAD}    scopes:\n    - storage-ro\n    - logging-write\n      trace\n");
        let out = patched(&text, Strategy::CloudPlatform, &[]).expect("a patch");
        assert!(
            out.ends_with("    scopes:\n    - cloud-platform\n"),
            "{out}"
        );
    }

    #[test]
    fn flow_lists_and_an_empty_list() {
        let text = format!("{HEAD}    scopes: [\"storage-ro\"]\n");
        let out = patched(&text, Strategy::Minimal, &["pubsub"]).expect("a patch");
        assert!(
            out.ends_with("scopes: [\"storage-ro\", \"pubsub\"]\n"),
            "{out}"
        );
        let text = format!("{HEAD}    scopes: []\n");
        let out = patched(&text, Strategy::CloudPlatform, &[]).expect("a patch");
        assert!(out.ends_with("scopes: [cloud-platform]\n"), "{out}");
    }

    #[test]
    fn forms_that_cannot_be_edited_safely_get_no_patch() {
        // An item that is itself a list.
        let text = format!("{HEAD}    scopes:\n    - storage-ro\n    - [logging-write]\n");
        assert_eq!(patched(&text, Strategy::Minimal, &["pubsub"]), None);
        // Items indented differently.
        let text = format!("{HEAD}    scopes:\n    - storage-ro\n    -   logging-write\n");
        assert_eq!(patched(&text, Strategy::Minimal, &["pubsub"]), None);
        // A value that is not a literal.
        let text = format!("{HEAD}    scopes:\n    - ${{SCOPE}}\n");
        assert_eq!(patched(&text, Strategy::Minimal, &["pubsub"]), None);
        // Nothing to add.
        let text = format!("{HEAD}    scopes: [pubsub]\n");
        assert_eq!(patched(&text, Strategy::Minimal, &["pubsub"]), None);
    }
}
