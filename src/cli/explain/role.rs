//! The role query (`roles/aiplatform.user`): the APIs a role is for, read or
//! write, and the scopes (with their gcloud and Terraform aliases) that
//! satisfy it, with the knowledge base revision it was read from.

use scopelint::check::assess::{Verdict, judge};
use scopelint::finding::Severity;
use scopelint::knowledge::{Access, Api, Knowledge, Role};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::terms::{ScopeRef, class_meaning, scope_ref, scope_refs};

#[derive(Serialize)]
pub(super) struct RoleAnswer {
    pub(super) role: String,
    pub(super) title: String,
    pub(super) stage: String,
    pub(super) class: &'static str,
    /// What the class means for scopes.
    pub(super) meaning: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) note: Option<String>,
    pub(super) source: String,
    pub(super) uses: Vec<RoleUseOut>,
    pub(super) revision: Revision,
}

#[derive(Serialize)]
pub(super) struct RoleUseOut {
    pub(super) api: String,
    pub(super) api_title: String,
    pub(super) access: Access,
    /// Any one of these fully covers the use.
    pub(super) satisfied_by: Vec<ScopeRef>,
    /// Scopes the API accepts that cover the use only in part, as `check` would judge them alone.
    pub(super) partly: Vec<PartlyOut>,
    pub(super) api_source: String,
}

#[derive(Serialize)]
pub(super) struct PartlyOut {
    #[serde(flatten)]
    pub(super) scope: ScopeRef,
    pub(super) severity: Severity,
    pub(super) detail: String,
}

/// The pinned versions of the sources the answer comes from.
#[derive(Serialize)]
pub(super) struct Revision {
    pub(super) discovery: Option<String>,
    pub(super) iam_dataset_commit: Option<String>,
}

pub(super) fn revision(kb: &Knowledge) -> Revision {
    Revision {
        discovery: kb.apis_header.discovery_package.clone(),
        iam_dataset_commit: kb.roles_header.iam_dataset_commit.clone(),
    }
}

pub(super) fn role_answer(kb: &Knowledge, name: &str, role: &Role) -> RoleAnswer {
    let uses = role
        .uses
        .iter()
        .map(|u| {
            let api = kb.apis.get(&u.api);
            let mut partly = Vec::new();
            if let Some(api) = api {
                for s in accepted_scopes(api) {
                    if u.needs_any_of.contains(&s) {
                        continue;
                    }
                    let granted = BTreeSet::from([s.clone()]);
                    if let (Verdict::Partial(sev), detail) = judge(u, Some(api), &granted) {
                        partly.push(PartlyOut {
                            scope: scope_ref(kb, &s),
                            severity: sev,
                            detail,
                        });
                    }
                }
            }
            RoleUseOut {
                api: u.api.clone(),
                api_title: api.map(|a| a.title.clone()).unwrap_or_default(),
                access: u.access,
                satisfied_by: scope_refs(kb, &u.needs_any_of),
                partly,
                api_source: api.map(|a| a.source.clone()).unwrap_or_default(),
            }
        })
        .collect();
    RoleAnswer {
        role: name.to_string(),
        title: role.title.clone(),
        stage: role.stage.clone(),
        class: role.class.as_str(),
        meaning: class_meaning(role.class, None),
        note: role.note.clone(),
        source: role.source.clone(),
        uses,
        revision: revision(kb),
    }
}

/// Every scope some method of the API accepts, sorted.
pub(super) fn accepted_scopes(api: &Api) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for c in [&api.read, &api.write] {
        out.extend(c.all.iter().cloned());
        out.extend(c.some.keys().cloned());
    }
    out
}

impl RoleAnswer {
    pub(super) fn pretty(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{} ({}, {})", self.role, self.title, self.stage);
        let _ = writeln!(s, "class: {} ({})", self.class, self.meaning);
        if let Some(n) = &self.note {
            let _ = writeln!(s, "note: {n}");
        }
        for u in &self.uses {
            let _ = writeln!(
                s,
                "\n{} ({}), {}",
                u.api,
                u.api_title,
                match u.access {
                    Access::Read => "read",
                    Access::Write => "read and write",
                }
            );
            let _ = writeln!(s, "  fully satisfied by any one of:");
            for r in &u.satisfied_by {
                let _ = writeln!(s, "    {}", r.pretty());
            }
            if !u.partly.is_empty() {
                let _ = writeln!(s, "  only partly by:");
                for p in &u.partly {
                    let _ = writeln!(
                        s,
                        "    {} [{}]: {}",
                        p.scope.pretty(),
                        p.severity.as_str(),
                        p.detail
                    );
                }
            }
            let _ = writeln!(s, "  API source: {}", u.api_source);
        }
        let _ = writeln!(s, "\nsource: {}", self.source);
        write_revision(&mut s, &self.revision);
        s
    }
}

pub(super) fn write_revision(s: &mut String, r: &Revision) {
    let mut parts = Vec::new();
    if let Some(d) = &r.discovery {
        parts.push(format!("discovery documents of {d}"));
    }
    if let Some(c) = &r.iam_dataset_commit {
        parts.push(format!("IAM roles of iann0036/iam-dataset@{c}"));
    }
    if !parts.is_empty() {
        let _ = writeln!(s, "revision: {}", parts.join("; "));
    }
}
