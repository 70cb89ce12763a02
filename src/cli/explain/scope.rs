//! The scope query (`storage-ro`, `default`, a URL): what an alias expands
//! to in gcloud and in Terraform, and which APIs accept the scope.

use scopelint::knowledge::{Knowledge, SCOPE_PREFIX};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::terms::{ScopeRef, preview, scope_ref};

#[derive(Serialize)]
pub(super) struct ScopeAnswer {
    pub(super) query: String,
    /// What gcloud `--scopes` makes of the string; `None` when it rejects it.
    pub(super) gcloud: Option<Expansion>,
    /// What the Terraform provider makes of it; `None` when it is passed through
    /// unchanged without being a scope (`check` reports SL004).
    pub(super) terraform: Option<Expansion>,
    pub(super) scopes: Vec<ScopeDetail>,
    /// An API of the same name, explained by its own query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) see_also: Option<String>,
}

#[derive(Serialize)]
pub(super) struct Expansion {
    /// Whether the string is an alias in that tool (else a full URL).
    pub(super) alias: bool,
    pub(super) scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) deprecated: Option<String>,
}

#[derive(Serialize)]
pub(super) struct ScopeDetail {
    #[serde(flatten)]
    pub(super) scope: ScopeRef,
    /// APIs all of whose read methods, or all of whose write methods, accept it.
    pub(super) accepted_by_all_methods: Vec<String>,
    /// APIs where only some methods accept it.
    pub(super) accepted_by_some_methods: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) no_access: Option<String>,
}

pub(super) fn scope_answer(kb: &Knowledge, query: &str) -> Option<ScopeAnswer> {
    let gcloud = kb.gcloud_scope(query);
    let terraform = kb.terraform_scope(query);
    let short_known = kb.scopes.known.contains(query);
    if gcloud.is_none() && terraform.is_none() && !short_known {
        return None;
    }
    let mut shorts: BTreeSet<String> = BTreeSet::new();
    shorts.extend(gcloud.iter().flatten().cloned());
    shorts.extend(terraform.iter().cloned());
    if short_known {
        shorts.insert(query.to_string());
    }
    let is_url = query.starts_with(SCOPE_PREFIX);
    Some(ScopeAnswer {
        query: query.to_string(),
        gcloud: gcloud.map(|scopes| Expansion {
            alias: !is_url,
            scopes,
            deprecated: kb.scopes.gcloud.deprecated.get(query).cloned(),
        }),
        terraform: terraform.map(|s| Expansion {
            alias: !is_url,
            scopes: vec![s],
            deprecated: None,
        }),
        scopes: shorts.iter().map(|s| scope_detail(kb, s)).collect(),
        see_also: kb
            .api(&format!("{query}.googleapis.com"))
            .map(|(k, _)| k.to_string()),
    })
}

pub(super) fn scope_detail(kb: &Knowledge, short: &str) -> ScopeDetail {
    let (all, some) = kb.apis_accepting(short);
    ScopeDetail {
        scope: scope_ref(kb, short),
        accepted_by_all_methods: all,
        accepted_by_some_methods: some,
        no_access: kb.scopes.no_access.get(short).cloned(),
    }
}

impl ScopeAnswer {
    pub(super) fn pretty(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{}", self.query);
        match &self.gcloud {
            Some(e) => {
                let _ = writeln!(
                    s,
                    "  gcloud --scopes:  {} {}",
                    if e.alias { "alias for" } else { "the URL of" },
                    e.scopes.join(", ")
                );
                if let Some(d) = &e.deprecated {
                    let _ = writeln!(s, "    deprecated: {d}");
                }
            }
            None => {
                let _ = writeln!(
                    s,
                    "  gcloud --scopes:  not an alias; write the full URL {SCOPE_PREFIX}..."
                );
            }
        }
        match &self.terraform {
            Some(e) => {
                let _ = writeln!(
                    s,
                    "  Terraform scopes: {} {}",
                    if e.alias { "alias for" } else { "the URL of" },
                    e.scopes.join(", ")
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "  Terraform scopes: not an alias; the provider passes the string through unchanged, which is no valid scope (`check` reports SL004)"
                );
            }
        }
        for d in &self.scopes {
            let _ = writeln!(s, "\n{}", d.scope.pretty());
            let _ = writeln!(s, "  {}", d.scope.url);
            if let Some(n) = &d.no_access {
                let _ = writeln!(s, "  grants no Cloud API access by itself: {n}");
            }
            let _ = writeln!(
                s,
                "  accepted by all read or all write methods of {} APIs{}",
                d.accepted_by_all_methods.len(),
                preview(&d.accepted_by_all_methods)
            );
            if !d.accepted_by_some_methods.is_empty() {
                let _ = writeln!(
                    s,
                    "  by only some methods of {} more APIs{}",
                    d.accepted_by_some_methods.len(),
                    preview(&d.accepted_by_some_methods)
                );
            }
        }
        if let Some(api) = &self.see_also {
            let _ = writeln!(s, "\nthe API of that name: scopelint explain {api}");
        }
        s
    }
}
