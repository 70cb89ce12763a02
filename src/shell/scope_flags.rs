//! Reading a `--scopes` (or `--no-scopes`) flag: the scopes it names, and
//! where and how it is written on the command line (its span, quoting,
//! continuation indent), which is what a patch needs to rewrite it.
//!
//! Separate from [`super::workloads`], which decides what the scopes belong
//! to; this file is only about the flag's text.

use super::argv::{Flag, Invocation};
use super::interp::Cmd;
use super::script::{Creates, Script, Words};
use super::word::Word;
use crate::knowledge::Knowledge;
use crate::model::{ArgStyle, FlagSite, FlagText, ScopeItem, Scopes};
use crate::source::Loc;

/// The gcloud `--scopes` value as scope items.
pub(super) fn scopes_from(
    value: &Word,
    at: Loc,
    sc: &Script<'_>,
    site: Option<FlagSite>,
) -> Scopes {
    let mut scopes = Scopes {
        dialect: crate::model::Dialect::Gcloud,
        complete: true,
        at: Some(at),
        flag: site,
        ..Scopes::default()
    };
    if let Some(o) = &value.origin {
        scopes.defined = Some(sc.loc(&o.span));
        scopes.via = Some(o.var.clone());
    }
    if value.splat {
        scopes.complete = false;
        return scopes;
    }
    for item in value.split(',') {
        match item.text() {
            Some(t) if t.is_empty() => {}
            Some(t) => {
                let span = item.text_span();
                let exact = item.offset(0).is_some() && sc.embed.is_exact(&span);
                scopes.items.push(ScopeItem {
                    raw: t.trim().into(),
                    loc: exact.then(|| sc.loc(&span)),
                });
            }
            None => scopes.complete = false,
        }
    }
    scopes
}

/// Where a patch would put or change `--scopes` on this command; `None`
/// when that place is not located in the file (a YAML scalar whose text
/// could not be mapped back), where an edit would land elsewhere.
pub(super) fn flag_site(
    cmd: &Cmd,
    inv: &Invocation,
    flag: Option<&Flag>,
    sc: &Script<'_>,
    written: Vec<String>,
) -> Option<FlagSite> {
    let replace = flag.and_then(|f| {
        let value = f.value.as_ref()?;
        if let Some(o) = &value.origin {
            return Some((sc.loc(&o.span), FlagText::Value));
        }
        match f.value_word {
            Some(i) => Some((sc.loc(&cmd.argv[i].span), FlagText::Value)),
            None => Some((sc.loc(&cmd.argv[f.word].span), FlagText::Flag)),
        }
    });
    let last = inv
        .last_flag_word()
        .or_else(|| inv.args.last().copied())
        .unwrap_or(inv.start + inv.path.len());
    let last = last.min(cmd.argv.len().saturating_sub(1));
    let last_span = cmd
        .argv
        .get(last)
        .map_or(cmd.span.clone(), |w| w.span.clone());
    // Both ends of a word stand for bytes of the file: an edit at them lands where meant.
    let exact = |r: &std::ops::Range<usize>| {
        sc.embed.is_located(r.start) && sc.embed.is_located(r.end.saturating_sub(1).max(r.start))
    };
    let replaced_exact = match (flag, &replace) {
        (Some(f), Some((_, FlagText::Flag))) => {
            cmd.argv.get(f.word).is_some_and(|w| exact(&w.span))
        }
        (Some(f), Some((_, FlagText::Value))) => {
            match f.value.as_ref().and_then(|v| v.origin.as_ref()) {
                Some(o) => exact(&o.span),
                None => f
                    .value_word
                    .and_then(|i| cmd.argv.get(i))
                    .is_some_and(|w| exact(&w.span)),
            }
        }
        _ => true,
    };
    if !exact(&last_span) || !replaced_exact {
        return None;
    }
    let insert_after = sc.loc(&(last_span.end..last_span.end));
    let style = match sc.words {
        Words::YamlFlow => ArgStyle::YamlFlow,
        Words::YamlBlock => ArgStyle::YamlBlock {
            indent: item_indent(sc.file_text, insert_after.span.start),
        },
        Words::Shell => ArgStyle::Shell {
            continuation: continuation_indent(sc.file_text, sc.embed.start(last_span.start)),
        },
    };
    Some(FlagSite {
        replace,
        insert_after,
        style,
        written,
    })
}

/// The indentation of the line at `at`, when the word there starts a continued line.
pub(super) fn continuation_indent(text: &str, at: usize) -> Option<String> {
    let line_start = text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let before = text.get(line_start..at)?;
    if !before.chars().all(|c| c == ' ' || c == '\t') || line_start == 0 {
        return None;
    }
    let prev = text.get(..line_start - 1)?;
    prev.trim_end_matches('\r')
        .ends_with('\\')
        .then(|| before.to_string())
}

/// The indentation of the YAML sequence item on the line at `at` (up to its `-`).
pub(super) fn item_indent(text: &str, at: usize) -> String {
    let line_start = text
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    text.get(line_start..)
        .unwrap_or("")
        .chars()
        .take_while(|c| *c == ' ')
        .collect()
}

/// `--no-scopes`: an empty list, which a patch replaces with `--scopes=...`
/// (gcloud accepts only one of the two).
pub(super) fn no_scopes_site(
    cmd: &Cmd,
    f: &Flag,
    sc: &Script<'_>,
    mut site: Option<FlagSite>,
) -> Scopes {
    let loc = sc.loc(&cmd.argv[f.word].span);
    if let Some(site) = &mut site {
        site.replace = Some((loc.clone(), FlagText::Flag));
        site.written = Vec::new();
    }
    Scopes {
        dialect: crate::model::Dialect::Gcloud,
        complete: true,
        at: Some(loc),
        flag: site,
        ..Scopes::default()
    }
}

/// The scopes a patch keeps: those written in the flag, or the implied default.
pub(super) fn written(flag: Option<&Flag>, creates: Creates, kb: &Knowledge) -> Vec<String> {
    match flag {
        Some(f) => f
            .value
            .as_ref()
            .map(|v| {
                v.split(',')
                    .iter()
                    .filter_map(Word::text)
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        None => match creates {
            Creates::Cluster | Creates::NodePool => vec!["gke-default".to_string()],
            Creates::Dataproc => kb
                .scopes
                .dataproc
                .as_ref()
                .map(|d| {
                    d.when_none_given
                        .iter()
                        .map(|s| {
                            kb.gcloud_alias(s)
                                .map_or_else(|| Knowledge::url(s), str::to_string)
                        })
                        .collect()
                })
                .unwrap_or_default(),
            _ => vec!["default".to_string()],
        },
    }
}

/// The scopes a flag such as `--scopes` gives, as written.
pub(super) fn flag_scopes(cmd: &Cmd, f: &Flag, sc: &Script<'_>, site: Option<FlagSite>) -> Scopes {
    let end = cmd.argv[f.last_word()].span.end;
    let at = sc.loc(&(cmd.argv[f.word].span.start..end));
    match &f.value {
        Some(v) => scopes_from(v, at, sc, site),
        None => Scopes {
            dialect: crate::model::Dialect::Gcloud,
            at: Some(at),
            ..Scopes::default()
        },
    }
}
