//! The words every answer is written in: scopes with the aliases people
//! write them by, what a role class means, a short preview of a list.

use super::query::DialectArg;
use scopelint::knowledge::{Knowledge, RoleClass};
use serde::Serialize;

/// A scope with the names people write it by.
#[derive(Serialize, Clone)]
pub(super) struct ScopeRef {
    /// The short name (after `https://www.googleapis.com/auth/`).
    pub(super) scope: String,
    pub(super) url: String,
    /// gcloud `--scopes` aliases that stand for exactly this scope.
    pub(super) gcloud: Vec<String>,
    /// The Terraform provider's alias, if it has one.
    pub(super) terraform: Option<String>,
}

pub(super) fn scope_ref(kb: &Knowledge, short: &str) -> ScopeRef {
    ScopeRef {
        scope: short.to_string(),
        url: Knowledge::url(short),
        gcloud: kb
            .gcloud_aliases(short)
            .into_iter()
            .map(str::to_string)
            .collect(),
        terraform: kb.terraform_alias(short).map(str::to_string),
    }
}

pub(super) fn scope_refs<'a>(
    kb: &Knowledge,
    shorts: impl IntoIterator<Item = &'a String>,
) -> Vec<ScopeRef> {
    shorts.into_iter().map(|s| scope_ref(kb, s)).collect()
}

impl ScopeRef {
    /// `cloud-platform`, or `devstorage.read_only (gcloud storage-ro, Terraform storage-ro)`.
    pub(super) fn pretty(&self) -> String {
        let mut names = Vec::new();
        if !self.gcloud.is_empty() {
            names.push(format!("gcloud {}", self.gcloud.join("/")));
        }
        if let Some(t) = &self.terraform {
            names.push(format!("Terraform {t}"));
        }
        if names.is_empty() {
            format!("{} (no alias: {})", self.scope, self.url)
        } else if self.gcloud.len() == 1
            && self.gcloud.first() == Some(&self.scope)
            && self.terraform.as_ref() == Some(&self.scope)
        {
            format!("{} (alias in gcloud and Terraform)", self.scope)
        } else {
            format!("{} ({})", self.scope, names.join(", "))
        }
    }

    /// How to write it in `dialect`: the alias, else the URL.
    pub(super) fn spelled(&self, dialect: DialectArg) -> String {
        let alias = match dialect {
            DialectArg::Gcloud => self.gcloud.first(),
            DialectArg::Terraform => self.terraform.as_ref(),
        };
        alias.cloned().unwrap_or_else(|| self.url.clone())
    }
}

/// What a role class means for scopes, in words.
pub(super) fn class_meaning(c: RoleClass, note: Option<&str>) -> String {
    let base = match c {
        RoleClass::Api => "judged per API against the workload's scopes",
        RoleClass::ScopeIndependent => {
            "does not depend on the VM's OAuth scopes; `check` never reports it"
        }
        RoleClass::AllServices => {
            "spans all services; `check` reports it only through SL005 (an enabled API the scopes do not cover)"
        }
        RoleClass::ServiceAgent => {
            "a service agent role: Google services hold it, not a VM's identity, so `check` never reports it"
        }
        RoleClass::Unmapped => {
            "its APIs' scopes are not in the knowledge base, so `check` never reports it"
        }
    };
    match note {
        Some(n) if c != RoleClass::Api => format!("{base} ({n})"),
        _ => base.to_string(),
    }
}

pub(super) fn preview(list: &[String]) -> String {
    const N: usize = 6;
    if list.is_empty() {
        return String::new();
    }
    let head: Vec<&str> = list.iter().take(N).map(String::as_str).collect();
    let more = if list.len() > N { ", ..." } else { "" };
    format!(": {}{more}", head.join(", "))
}
