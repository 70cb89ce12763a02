//! Hover: what a scope string or alias stands for and which APIs accept it,
//! what a role is for and the scopes it needs, and on a workload's
//! `service_account` or `--scopes` the verdict `check` gives it.

use super::analysis::Analysis;
use super::text::{self, Encoding};
use crate::knowledge::{Knowledge, SCOPE_PREFIX};
use crate::model::Account;
use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

/// How many APIs a hover lists before it counts the rest.
const SHOWN: usize = 8;

/// The hover at `pos` of the file at `path` (its editor text when open).
pub fn hover(
    kb: &Knowledge,
    a: &Analysis,
    path: &Path,
    open: Option<&str>,
    pos: Position,
    enc: Encoding,
) -> Option<Hover> {
    let analysed = a
        .outcome
        .sources
        .iter()
        .find(|(_, s)| super::diagnostics::absolute(&s.path) == path);
    let text = open.or(analysed.map(|(_, s)| s.text.as_str()))?;
    let at = text::offset(text, pos, enc);
    let (word, span) = text::word_at(text, at)?;
    let value = if let Some(v) = scope(kb, word) {
        v
    } else if word.starts_with("roles/") {
        role(kb, word)?
    } else if matches!(
        word,
        "service_account" | "--scopes" | "scopes" | "--service-account" | "node_config"
    ) {
        let (id, _) = analysed?;
        verdict(a, id, at)?
    } else {
        return None;
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: Some(text::range(text, &span, enc)),
    })
}

/// What a scope string means to gcloud and to Terraform, and who accepts it.
fn scope(kb: &Knowledge, raw: &str) -> Option<String> {
    let gcloud = kb.gcloud_scope(raw);
    let terraform = kb.terraform_scope(raw);
    let short = kb.scopes.known.contains(raw).then(|| raw.to_string());
    if gcloud.is_none() && terraform.is_none() && short.is_none() {
        return None;
    }
    let mut shorts: BTreeSet<String> = BTreeSet::new();
    shorts.extend(gcloud.iter().flatten().cloned());
    shorts.extend(terraform.iter().cloned());
    shorts.extend(short);
    let mut s = format!("**scope** `{raw}`\n\n");
    if let Some(list) = &gcloud {
        let _ = writeln!(s, "- gcloud `--scopes`: {}", urls(list));
        if let Some(why) = kb.scopes.gcloud.deprecated.get(raw) {
            let _ = writeln!(s, "  (deprecated: {why})");
        }
    }
    if let Some(t) = &terraform {
        let _ = writeln!(s, "- Terraform `scopes`: {}", urls(std::slice::from_ref(t)));
    }
    for short in &shorts {
        let _ = writeln!(s, "\n`{}`", Knowledge::url(short));
        let aliases: Vec<String> = kb
            .gcloud_aliases(short)
            .into_iter()
            .map(|a| format!("`{a}`"))
            .collect();
        if !aliases.is_empty() {
            let _ = writeln!(s, "- gcloud alias: {}", aliases.join(", "));
        }
        if let Some(t) = kb.terraform_alias(short) {
            let _ = writeln!(s, "- Terraform alias: `{t}`");
        }
        if let Some(n) = kb.scopes.no_access.get(short) {
            let _ = writeln!(s, "- grants no Cloud API access by itself: {n}");
        }
        let (all, some) = kb.apis_accepting(short);
        let _ = writeln!(s, "- fully covers {} APIs{}", all.len(), listed(&all));
        if !some.is_empty() {
            let _ = writeln!(s, "- partly covers {} APIs{}", some.len(), listed(&some));
        }
    }
    Some(s)
}

fn urls(shorts: &[String]) -> String {
    shorts
        .iter()
        .map(|s| format!("`{SCOPE_PREFIX}{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn listed(list: &[String]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let head: Vec<String> = list.iter().take(SHOWN).map(|a| format!("`{a}`")).collect();
    let more = if list.len() > SHOWN { ", ..." } else { "" };
    format!(": {}{more}", head.join(", "))
}

/// The APIs a role is for and the scopes each needs.
fn role(kb: &Knowledge, name: &str) -> Option<String> {
    let role = kb.roles.get(name)?;
    let mut s = format!("**role** `{name}`");
    if !role.title.is_empty() {
        let _ = write!(s, " ({})", role.title);
    }
    s.push_str("\n\n");
    if role.uses.is_empty() {
        s.push_str("No API it is for needs an OAuth scope on a VM.\n");
    }
    for u in &role.uses {
        let needs: Vec<String> = u.needs_any_of.iter().map(|x| format!("`{x}`")).collect();
        let _ = writeln!(
            s,
            "- `{}` ({}): needs one of {}",
            u.api,
            u.access.as_str(),
            if needs.is_empty() {
                "no scope".to_string()
            } else {
                needs.join(", ")
            }
        );
    }
    if let Some(n) = &role.note {
        let _ = writeln!(s, "\n{n}");
    }
    Some(s)
}

/// `check`'s verdict on the workload defined around byte `at`.
fn verdict(a: &Analysis, file: crate::source::FileId, at: usize) -> Option<String> {
    let out = &a.outcome;
    // The smallest of its places (the block, the account block, where the
    // scopes are set) that holds the cursor picks the workload.
    let w = out
        .model
        .workloads
        .iter()
        .filter_map(|w| {
            let mut places = vec![&w.block];
            places.extend(&w.account_block);
            if let Account::Attached { scopes, .. } = &w.account {
                places.extend(&scopes.at);
                places.extend(&scopes.defined);
                places.extend(scopes.flag.iter().map(|f| &f.insert_after));
                places.extend(
                    scopes
                        .flag
                        .iter()
                        .filter_map(|f| f.replace.as_ref().map(|r| &r.0)),
                );
            }
            places
                .into_iter()
                .filter(|l| l.file == file && l.span.start <= at && at <= l.span.end)
                .map(|l| l.span.len())
                .min()
                .map(|len| (len, w))
        })
        .min_by_key(|(len, _)| *len)
        .map(|(_, w)| w)?;
    let mut s = format!("**{}** `{}`\n\n", w.kind, w.address);
    match &w.account {
        Account::Attached {
            identity, scopes, ..
        } => {
            let items: Vec<String> = scopes
                .items
                .iter()
                .map(|i| format!("`{}`", i.raw))
                .collect();
            let _ = writeln!(s, "- runs as {identity}");
            let _ = writeln!(
                s,
                "- scopes: {}{}",
                if items.is_empty() {
                    "none".to_string()
                } else {
                    items.join(", ")
                },
                scopes
                    .defaulted
                    .as_ref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            );
        }
        _ => s.push_str("- its service account or scopes are not known: not judged\n"),
    }
    let findings: Vec<String> = out
        .findings
        .iter()
        .filter(|f| f.workload.address == w.address && f.primary.file == file)
        .map(|f| format!("- {} {}: {}", f.rule.code, f.severity.as_str(), f.message))
        .collect();
    if findings.is_empty() {
        s.push_str("\nVerdict: no finding; its scopes cover the APIs its roles are for.\n");
    } else {
        let _ = writeln!(s, "\nVerdict: {} finding(s)", findings.len());
        for f in findings {
            let _ = writeln!(s, "{f}");
        }
    }
    Some(s)
}
