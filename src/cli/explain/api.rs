//! The API query (`aiplatform.googleapis.com`): the scopes its read and
//! write methods accept, by all or by only some of them.

use scopelint::knowledge::{Api, Knowledge, MethodClass};
use serde::Serialize;
use std::fmt::Write as _;

use super::role::{Revision, revision, write_revision};
use super::terms::{ScopeRef, scope_ref, scope_refs};

#[derive(Serialize)]
pub(super) struct ApiAnswer {
    pub(super) api: String,
    pub(super) title: String,
    pub(super) source: String,
    /// Not described by discovery: a hand-curated entry.
    pub(super) curated: bool,
    /// Counted as evidence of what a VM calls (SL005).
    pub(super) workload: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) note: Option<String>,
    pub(super) read: ClassOut,
    pub(super) write: ClassOut,
    /// Predefined roles that are for this API.
    pub(super) roles: Vec<String>,
    pub(super) revision: Revision,
}

#[derive(Serialize)]
pub(super) struct ClassOut {
    pub(super) methods: u32,
    /// Scopes every method of the class accepts.
    pub(super) all: Vec<ScopeRef>,
    /// Scopes only some methods accept.
    pub(super) some: Vec<SomeOut>,
}

#[derive(Serialize)]
pub(super) struct SomeOut {
    #[serde(flatten)]
    pub(super) scope: ScopeRef,
    pub(super) covers: u32,
    pub(super) of: u32,
    /// Example methods that do not accept it.
    pub(super) fails: Vec<String>,
}

pub(super) fn class_out(kb: &Knowledge, c: &MethodClass) -> ClassOut {
    ClassOut {
        methods: c.methods,
        all: scope_refs(kb, &c.all),
        some: c
            .some
            .iter()
            .map(|(s, p)| SomeOut {
                scope: scope_ref(kb, s),
                covers: p.covers,
                of: c.methods,
                fails: p.fails.clone(),
            })
            .collect(),
    }
}

pub(super) fn api_answer(kb: &Knowledge, key: &str, api: &Api) -> ApiAnswer {
    ApiAnswer {
        api: key.to_string(),
        title: api.title.clone(),
        source: api.source.clone(),
        curated: api.grpc,
        workload: api.workload,
        note: api.note.clone(),
        read: class_out(kb, &api.read),
        write: class_out(kb, &api.write),
        roles: kb
            .roles
            .iter()
            .filter(|(_, r)| r.uses.iter().any(|u| u.api == key))
            .map(|(k, _)| k.clone())
            .collect(),
        revision: revision(kb),
    }
}

impl ApiAnswer {
    pub(super) fn pretty(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{} ({})", self.api, self.title);
        let _ = writeln!(s, "source: {}", self.source);
        if self.curated {
            let _ = writeln!(
                s,
                "not described by discovery: a hand-curated entry of rules/overrides.yaml"
            );
        }
        if let Some(n) = &self.note {
            let _ = writeln!(s, "note: {n}");
        }
        if self.workload {
            let _ = writeln!(
                s,
                "VM software typically calls it: enabling it counts as evidence for SL005"
            );
        }
        for (name, c) in [("read", &self.read), ("write", &self.write)] {
            let _ = writeln!(s, "\n{name} methods: {}", c.methods);
            if c.methods == 0 {
                continue;
            }
            if c.all.is_empty() {
                let _ = writeln!(s, "  no scope is accepted by every {name} method");
            } else {
                let _ = writeln!(s, "  accepted by all of them:");
                for r in &c.all {
                    let _ = writeln!(s, "    {}", r.pretty());
                }
            }
            if !c.some.is_empty() {
                let _ = writeln!(s, "  accepted by only some:");
                for p in &c.some {
                    let _ = writeln!(
                        s,
                        "    {}: {} of {}; fails for example {}",
                        p.scope.pretty(),
                        p.covers,
                        p.of,
                        p.fails.join(", ")
                    );
                }
            }
        }
        let _ = writeln!(s, "\nroles for this API: {}", self.roles.len());
        for r in self.roles.iter().take(12) {
            let _ = writeln!(s, "  {r}");
        }
        if self.roles.len() > 12 {
            let _ = writeln!(
                s,
                "  ... and {} more (--format json lists all)",
                self.roles.len() - 12
            );
        }
        write_revision(&mut s, &self.revision);
        s
    }
}
