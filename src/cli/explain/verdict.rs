//! The verdict query (`--scopes ... --role ...`): what `check` would say
//! about one workload with these scopes whose identity holds these roles,
//! per role and per API, and the minimal sufficient scopes.
//!
//! Separate from the other query shapes: it is the only one that builds a
//! model and runs the rules; the others only read the knowledge base.

use scopelint::check::{
    self,
    assess::{Assessment, Context, Verdict, judge},
};
use scopelint::finding::Severity;
use scopelint::fix::{Strategy, minimal_scopes};
use scopelint::knowledge::{
    Access, CLOUD_PLATFORM, Knowledge, Role, RoleClass, RoleUse, SCOPE_PREFIX, nearest_n,
};
use scopelint::model::hypothetical;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::query::{DialectArg, QueryError, lookup_role};
use super::terms::{ScopeRef, class_meaning, scope_ref, scope_refs};

/// A verdict as the JSON output spells it.
pub(super) fn verdict_str(v: Option<Verdict>) -> &'static str {
    match v {
        None => "not-applicable",
        Some(Verdict::Sufficient) => "sufficient",
        Some(Verdict::Partial(_)) => "partial",
        Some(Verdict::Insufficient) => "insufficient",
    }
}

/// The severity `check` gives a verdict: SL001's error, SL002's warning or note.
pub(super) fn verdict_severity(v: Option<Verdict>) -> Option<Severity> {
    match v {
        Some(Verdict::Partial(s)) => Some(s),
        Some(Verdict::Insufficient) => Some(Severity::Error),
        _ => None,
    }
}

/// Several verdicts as one: sufficient or insufficient when all agree,
/// otherwise partial (a warning when anything fails entirely).
pub(super) fn combine(verdicts: impl IntoIterator<Item = Verdict>) -> Option<Verdict> {
    let vs: Vec<Verdict> = verdicts.into_iter().collect();
    if vs.is_empty() {
        return None;
    }
    if vs.iter().all(|v| *v == Verdict::Sufficient) {
        return Some(Verdict::Sufficient);
    }
    if vs.iter().all(|v| *v == Verdict::Insufficient) {
        return Some(Verdict::Insufficient);
    }
    let warning = vs.iter().any(|v| {
        matches!(
            v,
            Verdict::Insufficient | Verdict::Partial(Severity::Warning | Severity::Error)
        )
    });
    Some(Verdict::Partial(if warning {
        Severity::Warning
    } else {
        Severity::Note
    }))
}

#[derive(Serialize)]
pub(super) struct VerdictAnswer {
    pub(super) dialect: &'static str,
    /// The scope strings as given, with what each stands for.
    pub(super) scopes: Vec<GivenScope>,
    /// Every scope the workload gets (short names).
    pub(super) granted: Vec<String>,
    /// All roles together: sufficient or insufficient when every judged role
    /// agrees, otherwise partial; not-applicable when no role depends on scopes.
    pub(super) verdict: &'static str,
    /// The highest severity among the findings `check` would report.
    pub(super) severity: Option<Severity>,
    pub(super) roles: Vec<RoleVerdict>,
    /// Per API, over every role that uses it: `check`'s assessment.
    pub(super) apis: Vec<ApiVerdictOut>,
    /// The findings `check` would report for such a workload.
    pub(super) findings: Vec<FindingOut>,
    pub(super) minimal: Minimal,
}

#[derive(Serialize)]
pub(super) struct GivenScope {
    pub(super) given: String,
    pub(super) scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) deprecated: Option<String>,
}

#[derive(Serialize)]
pub(super) struct RoleVerdict {
    pub(super) role: String,
    pub(super) class: &'static str,
    pub(super) verdict: &'static str,
    pub(super) severity: Option<Severity>,
    /// Why the role is judged as it is, when it is not judged per API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) reason: Option<String>,
    pub(super) apis: Vec<UseVerdict>,
}

#[derive(Serialize)]
pub(super) struct UseVerdict {
    pub(super) api: String,
    pub(super) access: Access,
    pub(super) verdict: &'static str,
    pub(super) severity: Option<Severity>,
    /// What fails, in words.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(super) detail: String,
    /// Any one of these scopes fully covers this use.
    pub(super) satisfied_by: Vec<String>,
}

#[derive(Serialize)]
pub(super) struct ApiVerdictOut {
    pub(super) api: String,
    pub(super) verdict: &'static str,
    pub(super) severity: Option<Severity>,
    pub(super) access: Access,
    pub(super) roles: Vec<String>,
    /// Any one of these covers every role's use of the API.
    pub(super) accepted: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(super) detail: String,
}

#[derive(Serialize)]
pub(super) struct FindingOut {
    pub(super) rule: &'static str,
    pub(super) name: &'static str,
    pub(super) severity: Severity,
    pub(super) apis: Vec<String>,
}

#[derive(Serialize)]
pub(super) struct Minimal {
    /// The narrowest scopes that cover every role, from nothing.
    pub(super) sufficient: Vec<ScopeRef>,
    /// What `check`'s minimal patch adds to the given scopes.
    pub(super) add: Vec<ScopeRef>,
    /// The given scopes plus `add`.
    pub(super) with_given: Vec<ScopeRef>,
}

pub(super) fn verdict(
    kb: &Knowledge,
    raw_scopes: &[&str],
    role_names: &[&str],
    dialect: DialectArg,
) -> Result<VerdictAnswer, QueryError> {
    // Resolve every name first: an unknown one is an error, not a verdict.
    let mut given = Vec::new();
    for raw in raw_scopes {
        let Some(list) = dialect.model().scope(kb, raw) else {
            return Err(unknown_scope(kb, raw, dialect));
        };
        let deprecated = match dialect {
            DialectArg::Gcloud => kb.scopes.gcloud.deprecated.get(*raw).cloned(),
            DialectArg::Terraform => None,
        };
        given.push(GivenScope {
            given: (*raw).to_string(),
            scopes: list,
            deprecated,
        });
    }
    let mut roles: Vec<(&str, &Role)> = Vec::new();
    for name in role_names {
        let (k, r) = lookup_role(kb, name)?;
        if !roles.iter().any(|(n, _)| *n == k) {
            roles.push((k, r));
        }
    }

    // The workload `check` would see: one instance, one identity holding the roles.
    let role_names: Vec<&str> = roles.iter().map(|(r, _)| *r).collect();
    let model = hypothetical::one_instance(dialect.model(), raw_scopes, &role_names);
    let cx = Context::new(&model, kb, Strategy::Minimal);
    let Some(w) = model.workloads.first() else {
        return Err(QueryError::new("internal error: no workload"));
    };
    let a = Assessment::new(w, &cx);
    let findings = check::run(&model, kb, Strategy::Minimal);

    // Per role: each use judged exactly as the assessment judges it.
    let mut role_verdicts = Vec::new();
    let mut judged = Vec::new();
    for (name, role) in &roles {
        let rv = role_verdict(kb, name, role, &a.granted);
        if let Some(v) = rv.1 {
            judged.push(v);
        }
        role_verdicts.push(rv.0);
    }

    let apis: Vec<ApiVerdictOut> = a
        .apis
        .values()
        .map(|v| ApiVerdictOut {
            api: v.service.clone(),
            verdict: verdict_str(Some(v.verdict)),
            severity: verdict_severity(Some(v.verdict)),
            access: v.access,
            roles: v.roles.iter().cloned().collect(),
            accepted: v.accepted.clone(),
            detail: v.detail.clone(),
        })
        .collect();
    let failing: Vec<&RoleUse> = a
        .apis
        .values()
        .flat_map(|v| v.failing.iter().copied())
        .collect();
    let add = minimal_scopes(kb, &failing);
    let all_uses: Vec<&RoleUse> = roles
        .iter()
        .filter(|(_, r)| r.class == RoleClass::Api)
        .flat_map(|(_, r)| r.uses.iter())
        .collect();
    let sufficient = minimal_scopes(kb, &all_uses);
    let with_given: BTreeSet<String> = a.granted.iter().chain(add.iter()).cloned().collect();

    Ok(VerdictAnswer {
        dialect: dialect.as_str(),
        scopes: given,
        granted: a.granted.iter().cloned().collect(),
        verdict: verdict_str(combine(judged)),
        severity: findings.iter().map(|f| f.severity).max(),
        roles: role_verdicts,
        apis,
        findings: findings
            .iter()
            .map(|f| FindingOut {
                rule: f.rule.code,
                name: f.rule.name,
                severity: f.severity,
                apis: f.apis.iter().map(|u| u.service.clone()).collect(),
            })
            .collect(),
        minimal: Minimal {
            sufficient: scope_refs(kb, &sufficient),
            add: scope_refs(kb, &add),
            with_given: scope_refs(kb, &with_given),
        },
    })
}

pub(super) fn unknown_scope(kb: &Knowledge, raw: &str, dialect: DialectArg) -> QueryError {
    let check_says = "`check` reports such a string as SL004 unknown-scope, and it covers nothing";
    match dialect {
        DialectArg::Terraform => {
            if let Some(list) = kb.scopes.gcloud.aliases.get(raw) {
                return QueryError::new(format!(
                    "`{raw}` is a gcloud alias, not a Terraform one: the provider passes it through unchanged ({check_says}); in Terraform write {}",
                    list.iter()
                        .map(|s| scope_ref(kb, s).spelled(DialectArg::Terraform))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            QueryError::new(format!("unknown Terraform scope `{raw}` ({check_says})"))
                .with_nearest(kb.suggest_terraform(raw).as_deref())
        }
        DialectArg::Gcloud => {
            if kb.scopes.known.contains(raw) {
                return QueryError::new(format!(
                    "`{raw}` has no gcloud alias: write it as {SCOPE_PREFIX}{raw}"
                ));
            }
            let nearest: Vec<&str> = if raw.contains('/') {
                let tail = raw.rsplit('/').next().unwrap_or(raw);
                nearest_n(tail, kb.scopes.known.iter().map(String::as_str), 3)
            } else {
                nearest_n(raw, kb.scopes.gcloud.aliases.keys().map(String::as_str), 3)
            };
            let nearest: Vec<String> = nearest
                .into_iter()
                .map(|s| {
                    if raw.contains('/') {
                        Knowledge::url(s)
                    } else {
                        s.to_string()
                    }
                })
                .collect();
            let mut e = QueryError::new(format!(
                "unknown gcloud scope `{raw}`: neither a gcloud alias nor a known scope URL"
            ));
            e.nearest = nearest;
            e
        }
    }
}

/// One role against the granted scopes; the verdict is `None` when scopes do not apply.
pub(super) fn role_verdict(
    kb: &Knowledge,
    name: &str,
    role: &Role,
    granted: &BTreeSet<String>,
) -> (RoleVerdict, Option<Verdict>) {
    let mut out = RoleVerdict {
        role: name.to_string(),
        class: role.class.as_str(),
        verdict: "not-applicable",
        severity: None,
        reason: None,
        apis: Vec::new(),
    };
    let v = match role.class {
        RoleClass::Api => {
            let mut vs = Vec::new();
            for u in &role.uses {
                let (v, detail) = judge(u, kb.apis.get(&u.api), granted);
                vs.push(v);
                out.apis.push(UseVerdict {
                    api: u.api.clone(),
                    access: u.access,
                    verdict: verdict_str(Some(v)),
                    severity: verdict_severity(Some(v)),
                    detail,
                    satisfied_by: u.needs_any_of.clone(),
                });
            }
            combine(vs)
        }
        RoleClass::AllServices => {
            let v = if granted.contains(CLOUD_PLATFORM) {
                Verdict::Sufficient
            } else if kb.apis.values().any(|api| api.accepts_any(granted)) {
                Verdict::Partial(Severity::Warning)
            } else {
                Verdict::Insufficient
            };
            out.reason = Some(format!(
                "{name} spans all services: only cloud-platform covers every Cloud API, other scopes only the APIs that accept them. `check` reports it only through SL005, for an API enabled in the configuration that the scopes do not cover"
            ));
            Some(v)
        }
        RoleClass::ScopeIndependent | RoleClass::ServiceAgent | RoleClass::Unmapped => {
            out.reason = Some(class_meaning(role.class, role.note.as_deref()));
            None
        }
    };
    out.verdict = verdict_str(v);
    out.severity = verdict_severity(v);
    (out, v)
}

impl VerdictAnswer {
    pub(super) fn pretty(&self) -> String {
        let dialect = if self.dialect == "gcloud" {
            DialectArg::Gcloud
        } else {
            DialectArg::Terraform
        };
        let mut s = String::new();
        let given: Vec<&str> = self.scopes.iter().map(|g| g.given.as_str()).collect();
        let _ = writeln!(
            s,
            "scopes ({}): {}",
            self.dialect,
            if given.is_empty() {
                "none".to_string()
            } else {
                given.join(", ")
            }
        );
        for g in &self.scopes {
            if g.scopes.len() != 1 || g.scopes.first() != Some(&g.given) {
                let _ = writeln!(s, "  {} = {}", g.given, g.scopes.join(", "));
            }
            if let Some(d) = &g.deprecated {
                let _ = writeln!(s, "  {} is deprecated: {d}", g.given);
            }
        }
        match self.severity {
            Some(sev) => {
                let _ = writeln!(
                    s,
                    "\nverdict: {} (`check`: {})\n",
                    self.verdict,
                    sev.as_str()
                );
            }
            None => {
                let _ = writeln!(s, "\nverdict: {}\n", self.verdict);
            }
        }
        for r in &self.roles {
            let _ = writeln!(s, "{}: {}", r.role, verdict_label(r.verdict, r.severity));
            if let Some(reason) = &r.reason {
                let _ = writeln!(s, "  {reason}");
            }
            for u in &r.apis {
                let _ = writeln!(
                    s,
                    "  {} ({}): {}",
                    u.api,
                    u.access.as_str(),
                    verdict_label(u.verdict, u.severity)
                );
                if !u.detail.is_empty() {
                    let _ = writeln!(s, "    {}", u.detail);
                }
                if u.verdict != "sufficient" {
                    let _ = writeln!(
                        s,
                        "    fully covered by any one of: {}",
                        u.satisfied_by.join(", ")
                    );
                }
            }
        }
        if self.findings.is_empty() {
            let _ = writeln!(s, "\n`check` would report nothing");
        } else {
            let _ = writeln!(s, "\n`check` would report:");
            for f in &self.findings {
                let _ = writeln!(
                    s,
                    "  {} {} ({}): {}",
                    f.rule,
                    f.name,
                    f.severity.as_str(),
                    f.apis.join(", ")
                );
            }
        }
        if !self.minimal.sufficient.is_empty() {
            let _ = writeln!(
                s,
                "\nminimal sufficient scopes: {}",
                spell_list(&self.minimal.sufficient, dialect)
            );
        }
        if !self.minimal.add.is_empty() {
            let _ = writeln!(
                s,
                "to keep the given scopes, add: {}\n  giving: {}",
                spell_list(&self.minimal.add, dialect),
                spell_list(&self.minimal.with_given, dialect)
            );
        }
        s
    }
}

pub(super) fn verdict_label(verdict: &str, severity: Option<Severity>) -> String {
    match (verdict, severity) {
        ("partial", Some(s)) => format!("partial ({})", s.as_str()),
        (v, _) => v.to_string(),
    }
}

pub(super) fn spell_list(list: &[ScopeRef], dialect: DialectArg) -> String {
    list.iter()
        .map(|r| r.spelled(dialect))
        .collect::<Vec<_>>()
        .join(",")
}
