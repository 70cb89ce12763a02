//! `scopelint explain`: the knowledge base, queried by people.
//!
//! Four query shapes, each in pretty or JSON form:
//!
//! - a role (`roles/aiplatform.user`): the APIs it is for, read or write, and
//!   the scopes (with their gcloud and Terraform aliases) that satisfy it;
//! - a verdict (`--scopes a,b --role R ...`): what `check` would say about a
//!   workload with these scopes whose identity holds these roles, per role and
//!   per API, and the minimal sufficient scopes;
//! - an API (`aiplatform.googleapis.com`): the scopes its read and write
//!   methods accept, by all or by only some of them;
//! - a scope alias or URL (`storage-ro`, `default`): what it expands to in
//!   gcloud and in Terraform, and which APIs accept it.
//!
//! The verdict query runs the same code as `check`: it builds a one-workload
//! model and judges it with [`Assessment`] and the rules of [`check::run`].

use super::AnswerFormat;
use clap::ValueEnum;
use scopelint::check::{
    self,
    assess::{Assessment, Context, Verdict, judge},
};
use scopelint::finding::Severity;
use scopelint::fix::{Strategy, minimal_scopes};
use scopelint::knowledge::{
    Access, Api, CLOUD_PLATFORM, Knowledge, MethodClass, Role, RoleClass, RoleUse, SCOPE_PREFIX,
    nearest_n,
};
use scopelint::model::{
    Account, Dialect as ModelDialect, Grant, Identity, Model, ScopeItem, Scopes, Unit, Workload,
};
use scopelint::source::{FileId, Loc, Sources};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::process::ExitCode;

#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  scopelint explain roles/aiplatform.user
  scopelint explain --scopes storage-ro,logging-write --role roles/aiplatform.user --role roles/storage.objectViewer
  scopelint explain aiplatform.googleapis.com
  scopelint explain storage-ro")]
pub struct ExplainArgs {
    /// A predefined role (roles/...), an API (aiplatform.googleapis.com), or a
    /// scope alias or URL (storage-ro, default, https://www.googleapis.com/auth/...).
    name: Option<String>,
    /// Judge a workload with these OAuth scopes (comma-separated; `--scopes ''` for none)
    /// against the roles given with --role. Also takes what `gcloud compute
    /// instances describe --format="value(serviceAccounts.scopes)"` prints:
    /// `['https://...', '...']` or `;`-separated URLs.
    #[arg(long, value_name = "SCOPES")]
    scopes: Option<String>,
    /// A role the workload's service account holds (repeatable; needs --scopes).
    #[arg(long = "role", value_name = "ROLE", requires = "scopes")]
    roles: Vec<String>,
    /// Whose alias table the --scopes strings use: gcloud `--scopes` (which has
    /// `default` and `gke-default`) or the Terraform provider.
    #[arg(long, value_enum, default_value_t = DialectArg::Gcloud)]
    dialect: DialectArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AnswerFormat::Pretty)]
    format: AnswerFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DialectArg {
    Gcloud,
    Terraform,
}

impl DialectArg {
    fn model(self) -> ModelDialect {
        match self {
            DialectArg::Gcloud => ModelDialect::Gcloud,
            DialectArg::Terraform => ModelDialect::Terraform,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            DialectArg::Gcloud => "gcloud",
            DialectArg::Terraform => "terraform",
        }
    }
}

/// A query that cannot be answered: an unknown name or a usage mistake (exit 2).
struct QueryError {
    message: String,
    nearest: Vec<String>,
}

impl QueryError {
    fn new(message: impl Into<String>) -> Self {
        QueryError {
            message: message.into(),
            nearest: Vec::new(),
        }
    }

    fn with_nearest<'a>(mut self, nearest: impl IntoIterator<Item = &'a str>) -> Self {
        self.nearest = nearest.into_iter().map(str::to_string).collect();
        self
    }
}

pub fn run(args: &ExplainArgs) -> ExitCode {
    let kb = match Knowledge::get() {
        Ok(kb) => kb,
        Err(e) => {
            eprintln!("scopelint: internal error: the embedded knowledge base is invalid: {e}");
            return ExitCode::from(2);
        }
    };
    let answer = match answer(args, kb) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("scopelint: {}", e.message);
            if !e.nearest.is_empty() {
                eprintln!("  nearest known names: {}", e.nearest.join(", "));
            }
            return ExitCode::from(2);
        }
    };
    let versioned = Versioned {
        version: 1,
        answer: &answer,
    };
    super::print_answer(args.format, &versioned, || answer.pretty())
}

/// The JSON document: a format version, then the answer.
#[derive(Serialize)]
struct Versioned<'a> {
    version: u32,
    #[serde(flatten)]
    answer: &'a Answer,
}

/// One answer, tagged by the query shape.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Answer {
    Role(RoleAnswer),
    Api(ApiAnswer),
    Scope(ScopeAnswer),
    Verdict(VerdictAnswer),
}

impl Answer {
    fn pretty(&self) -> String {
        match self {
            Answer::Role(a) => a.pretty(),
            Answer::Api(a) => a.pretty(),
            Answer::Scope(a) => a.pretty(),
            Answer::Verdict(a) => a.pretty(),
        }
    }
}

/// The scopes of `--scopes`: comma- or `;`-separated, optionally written as
/// a Python list (`['a', 'b']`, as gcloud's `value()` format prints a list).
fn scope_list(s: &str) -> Vec<String> {
    let s = s.trim();
    let s = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    s.split([',', ';'])
        .map(|x| x.trim().trim_matches(['\'', '"']).trim())
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

fn answer(args: &ExplainArgs, kb: &Knowledge) -> Result<Answer, QueryError> {
    if let Some(scopes) = &args.scopes {
        let mut roles: Vec<&str> = args.roles.iter().map(String::as_str).collect();
        if let Some(n) = &args.name {
            roles.insert(0, n);
        }
        if roles.is_empty() {
            return Err(QueryError::new(
                "--scopes needs at least one role: add --role roles/NAME",
            ));
        }
        let scopes = scope_list(scopes);
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        return verdict(kb, &scopes, &roles, args.dialect).map(Answer::Verdict);
    }
    let Some(name) = args.name.as_deref() else {
        return Err(QueryError::new(
            "say what to explain: a role (roles/NAME), an API (NAME.googleapis.com), a scope alias or URL, or --scopes with --role (see --help)",
        ));
    };
    let name = name.trim();
    if is_role_name(name) {
        let role = lookup_role(kb, name)?;
        return Ok(Answer::Role(role_answer(kb, role.0, role.1)));
    }
    if let Some((key, api)) = kb.api(name) {
        return Ok(Answer::Api(api_answer(kb, key, api)));
    }
    // An alias or scope before a bare API name: `bigquery` is first of all a scope.
    if let Some(a) = scope_answer(kb, name) {
        return Ok(Answer::Scope(a));
    }
    if let Some((key, api)) = kb.api(&format!("{name}.googleapis.com")) {
        return Ok(Answer::Api(api_answer(kb, key, api)));
    }
    let prefixed = format!("roles/{name}");
    if let Some((k, r)) = kb.roles.get_key_value(&prefixed) {
        return Ok(Answer::Role(role_answer(kb, k, r)));
    }
    Err(QueryError::new(format!(
        "`{name}` is not a known role, API, scope alias or scope"
    ))
    .with_nearest(nearest_n(name, all_names(kb), 5)))
}

fn is_role_name(name: &str) -> bool {
    name.starts_with("roles/")
        || name.starts_with("projects/")
        || name.starts_with("organizations/")
}

/// Every name a query may use, for suggestions.
fn all_names(kb: &Knowledge) -> impl Iterator<Item = &str> {
    kb.roles
        .keys()
        .chain(kb.apis.keys())
        .chain(kb.api_aliases.keys())
        .chain(kb.scopes.gcloud.aliases.keys())
        .chain(kb.scopes.terraform.aliases.keys())
        .chain(kb.scopes.known.iter())
        .map(String::as_str)
}

fn lookup_role<'k>(kb: &'k Knowledge, name: &str) -> Result<(&'k str, &'k Role), QueryError> {
    if let Some((k, r)) = kb.roles.get_key_value(name) {
        return Ok((k.as_str(), r));
    }
    if name.starts_with("projects/") || name.starts_with("organizations/") {
        return Err(QueryError::new(format!(
            "`{name}` is a custom role: scopelint knows only Google's predefined roles (roles/...)"
        )));
    }
    if !name.starts_with("roles/")
        && let Some((k, r)) = kb.roles.get_key_value(&format!("roles/{name}"))
    {
        return Ok((k.as_str(), r));
    }
    Err(
        QueryError::new(format!("unknown role `{name}`")).with_nearest(nearest_n(
            name,
            kb.roles.keys().map(String::as_str),
            5,
        )),
    )
}

// ------------------------------------------------------------------ scopes

/// A scope with the names people write it by.
#[derive(Serialize, Clone)]
struct ScopeRef {
    /// The short name (after `https://www.googleapis.com/auth/`).
    scope: String,
    url: String,
    /// gcloud `--scopes` aliases that stand for exactly this scope.
    gcloud: Vec<String>,
    /// The Terraform provider's alias, if it has one.
    terraform: Option<String>,
}

fn scope_ref(kb: &Knowledge, short: &str) -> ScopeRef {
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

fn scope_refs<'a>(kb: &Knowledge, shorts: impl IntoIterator<Item = &'a String>) -> Vec<ScopeRef> {
    shorts.into_iter().map(|s| scope_ref(kb, s)).collect()
}

impl ScopeRef {
    /// `cloud-platform`, or `devstorage.read_only (gcloud storage-ro, Terraform storage-ro)`.
    fn pretty(&self) -> String {
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
    fn spelled(&self, dialect: DialectArg) -> String {
        let alias = match dialect {
            DialectArg::Gcloud => self.gcloud.first(),
            DialectArg::Terraform => self.terraform.as_ref(),
        };
        alias.cloned().unwrap_or_else(|| self.url.clone())
    }
}

// ------------------------------------------------------------------ verdicts

/// A verdict as the JSON output spells it.
fn verdict_str(v: Option<Verdict>) -> &'static str {
    match v {
        None => "not-applicable",
        Some(Verdict::Sufficient) => "sufficient",
        Some(Verdict::Partial(_)) => "partial",
        Some(Verdict::Insufficient) => "insufficient",
    }
}

/// The severity `check` gives a verdict: SL001's error, SL002's warning or note.
fn verdict_severity(v: Option<Verdict>) -> Option<Severity> {
    match v {
        Some(Verdict::Partial(s)) => Some(s),
        Some(Verdict::Insufficient) => Some(Severity::Error),
        _ => None,
    }
}

/// Several verdicts as one: sufficient or insufficient when all agree,
/// otherwise partial (a warning when anything fails entirely).
fn combine(verdicts: impl IntoIterator<Item = Verdict>) -> Option<Verdict> {
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
struct VerdictAnswer {
    dialect: &'static str,
    /// The scope strings as given, with what each stands for.
    scopes: Vec<GivenScope>,
    /// Every scope the workload gets (short names).
    granted: Vec<String>,
    /// All roles together: sufficient or insufficient when every judged role
    /// agrees, otherwise partial; not-applicable when no role depends on scopes.
    verdict: &'static str,
    /// The highest severity among the findings `check` would report.
    severity: Option<Severity>,
    roles: Vec<RoleVerdict>,
    /// Per API, over every role that uses it: `check`'s assessment.
    apis: Vec<ApiVerdictOut>,
    /// The findings `check` would report for such a workload.
    findings: Vec<FindingOut>,
    minimal: Minimal,
}

#[derive(Serialize)]
struct GivenScope {
    given: String,
    scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deprecated: Option<String>,
}

#[derive(Serialize)]
struct RoleVerdict {
    role: String,
    class: &'static str,
    verdict: &'static str,
    severity: Option<Severity>,
    /// Why the role is judged as it is, when it is not judged per API.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    apis: Vec<UseVerdict>,
}

#[derive(Serialize)]
struct UseVerdict {
    api: String,
    access: Access,
    verdict: &'static str,
    severity: Option<Severity>,
    /// What fails, in words.
    #[serde(skip_serializing_if = "String::is_empty")]
    detail: String,
    /// Any one of these scopes fully covers this use.
    satisfied_by: Vec<String>,
}

#[derive(Serialize)]
struct ApiVerdictOut {
    api: String,
    verdict: &'static str,
    severity: Option<Severity>,
    access: Access,
    roles: Vec<String>,
    /// Any one of these covers every role's use of the API.
    accepted: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    detail: String,
}

#[derive(Serialize)]
struct FindingOut {
    rule: &'static str,
    name: &'static str,
    severity: Severity,
    apis: Vec<String>,
}

#[derive(Serialize)]
struct Minimal {
    /// The narrowest scopes that cover every role, from nothing.
    sufficient: Vec<ScopeRef>,
    /// What `check`'s minimal patch adds to the given scopes.
    add: Vec<ScopeRef>,
    /// The given scopes plus `add`.
    with_given: Vec<ScopeRef>,
}

const EXPLAIN_ACCOUNT: &str = "explain@scopelint.invalid";

fn verdict(
    kb: &Knowledge,
    raw_scopes: &[&str],
    role_names: &[&str],
    dialect: DialectArg,
) -> Result<VerdictAnswer, QueryError> {
    // Resolve every name first: an unknown one is an error, not a verdict.
    let mut given = Vec::new();
    for raw in raw_scopes {
        let Some(list) = kb.scope(dialect.model(), raw) else {
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
    let loc = Loc::new(FileId(0), 0..0);
    let identity = Identity::Email(EXPLAIN_ACCOUNT.to_string());
    let model = Model {
        workloads: vec![Workload {
            kind: "google_compute_instance".to_string(),
            address: "google_compute_instance.explain".to_string(),
            name: "explain".to_string(),
            zone: None,
            project: None,
            module: ".".to_string(),
            block: loc.clone(),
            account_block: None,
            account: Account::Attached {
                identity: identity.clone(),
                identity_at: None,
                scopes: Scopes {
                    dialect: dialect.model(),
                    defaulted: None,
                    items: raw_scopes
                        .iter()
                        .map(|s| ScopeItem {
                            raw: (*s).to_string(),
                            loc: None,
                        })
                        .collect(),
                    complete: true,
                    // Set, as on a written `scopes` attribute: SL003 reports only written lists.
                    at: Some(loc.clone()),
                    defined: None,
                    via: None,
                    ..Scopes::default()
                },
            },
            is_instance: true,
            startup: Vec::new(),
            unit: Unit::default(),
            stop_to_update: None,
        }],
        grants: roles
            .iter()
            .enumerate()
            .map(|(i, (r, _))| Grant {
                role: (*r).to_string(),
                member: identity.clone(),
                address: format!("explain.role[{i}]"),
                loc: loc.clone(),
                unit: Unit::default(),
            })
            .collect(),
        enabled_apis: Vec::new(),
        unresolved: Vec::new(),
    };
    let sources = Sources::default();
    let cx = Context::new(&model, kb, &sources, Strategy::Minimal);
    let Some(w) = model.workloads.first() else {
        return Err(QueryError::new("internal error: no workload"));
    };
    let a = Assessment::new(w, &cx);
    let findings = check::run(&model, kb, &sources, Strategy::Minimal);

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

fn unknown_scope(kb: &Knowledge, raw: &str, dialect: DialectArg) -> QueryError {
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
fn role_verdict(
    kb: &Knowledge,
    name: &str,
    role: &Role,
    granted: &BTreeSet<String>,
) -> (RoleVerdict, Option<Verdict>) {
    let mut out = RoleVerdict {
        role: name.to_string(),
        class: class_str(role.class),
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

fn class_str(c: RoleClass) -> &'static str {
    match c {
        RoleClass::Api => "api",
        RoleClass::ScopeIndependent => "scope-independent",
        RoleClass::AllServices => "all-services",
        RoleClass::ServiceAgent => "service-agent",
        RoleClass::Unmapped => "unmapped",
    }
}

/// What a role class means for scopes, in words.
fn class_meaning(c: RoleClass, note: Option<&str>) -> String {
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

impl VerdictAnswer {
    fn pretty(&self) -> String {
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

fn verdict_label(verdict: &str, severity: Option<Severity>) -> String {
    match (verdict, severity) {
        ("partial", Some(s)) => format!("partial ({})", s.as_str()),
        (v, _) => v.to_string(),
    }
}

fn spell_list(list: &[ScopeRef], dialect: DialectArg) -> String {
    list.iter()
        .map(|r| r.spelled(dialect))
        .collect::<Vec<_>>()
        .join(",")
}

// ------------------------------------------------------------------ roles

#[derive(Serialize)]
struct RoleAnswer {
    role: String,
    title: String,
    stage: String,
    class: &'static str,
    /// What the class means for scopes.
    meaning: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    source: String,
    uses: Vec<RoleUseOut>,
    revision: Revision,
}

#[derive(Serialize)]
struct RoleUseOut {
    api: String,
    api_title: String,
    access: Access,
    /// Any one of these fully covers the use.
    satisfied_by: Vec<ScopeRef>,
    /// Scopes the API accepts that cover the use only in part, as `check` would judge them alone.
    partly: Vec<PartlyOut>,
    api_source: String,
}

#[derive(Serialize)]
struct PartlyOut {
    #[serde(flatten)]
    scope: ScopeRef,
    severity: Severity,
    detail: String,
}

/// The pinned versions of the sources the answer comes from.
#[derive(Serialize)]
struct Revision {
    discovery: Option<String>,
    iam_dataset_commit: Option<String>,
}

fn revision(kb: &Knowledge) -> Revision {
    Revision {
        discovery: kb.apis_header.discovery_package.clone(),
        iam_dataset_commit: kb.roles_header.iam_dataset_commit.clone(),
    }
}

fn role_answer(kb: &Knowledge, name: &str, role: &Role) -> RoleAnswer {
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
        class: class_str(role.class),
        meaning: class_meaning(role.class, None),
        note: role.note.clone(),
        source: role.source.clone(),
        uses,
        revision: revision(kb),
    }
}

/// Every scope some method of the API accepts, sorted.
fn accepted_scopes(api: &Api) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for c in [&api.read, &api.write] {
        out.extend(c.all.iter().cloned());
        out.extend(c.some.keys().cloned());
    }
    out
}

impl RoleAnswer {
    fn pretty(&self) -> String {
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

fn write_revision(s: &mut String, r: &Revision) {
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

// ------------------------------------------------------------------ APIs

#[derive(Serialize)]
struct ApiAnswer {
    api: String,
    title: String,
    source: String,
    /// Not described by discovery: a hand-curated entry.
    curated: bool,
    /// Counted as evidence of what a VM calls (SL005).
    workload: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    read: ClassOut,
    write: ClassOut,
    /// Predefined roles that are for this API.
    roles: Vec<String>,
    revision: Revision,
}

#[derive(Serialize)]
struct ClassOut {
    methods: u32,
    /// Scopes every method of the class accepts.
    all: Vec<ScopeRef>,
    /// Scopes only some methods accept.
    some: Vec<SomeOut>,
}

#[derive(Serialize)]
struct SomeOut {
    #[serde(flatten)]
    scope: ScopeRef,
    covers: u32,
    of: u32,
    /// Example methods that do not accept it.
    fails: Vec<String>,
}

fn class_out(kb: &Knowledge, c: &MethodClass) -> ClassOut {
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

fn api_answer(kb: &Knowledge, key: &str, api: &Api) -> ApiAnswer {
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
    fn pretty(&self) -> String {
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

// ------------------------------------------------------------------ scope aliases

#[derive(Serialize)]
struct ScopeAnswer {
    query: String,
    /// What gcloud `--scopes` makes of the string; `None` when it rejects it.
    gcloud: Option<Expansion>,
    /// What the Terraform provider makes of it; `None` when it is passed through
    /// unchanged without being a scope (`check` reports SL004).
    terraform: Option<Expansion>,
    scopes: Vec<ScopeDetail>,
    /// An API of the same name, explained by its own query.
    #[serde(skip_serializing_if = "Option::is_none")]
    see_also: Option<String>,
}

#[derive(Serialize)]
struct Expansion {
    /// Whether the string is an alias in that tool (else a full URL).
    alias: bool,
    scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deprecated: Option<String>,
}

#[derive(Serialize)]
struct ScopeDetail {
    #[serde(flatten)]
    scope: ScopeRef,
    /// APIs all of whose read methods, or all of whose write methods, accept it.
    accepted_by_all_methods: Vec<String>,
    /// APIs where only some methods accept it.
    accepted_by_some_methods: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    no_access: Option<String>,
}

fn scope_answer(kb: &Knowledge, query: &str) -> Option<ScopeAnswer> {
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

fn scope_detail(kb: &Knowledge, short: &str) -> ScopeDetail {
    let (all, some) = kb.apis_accepting(short);
    ScopeDetail {
        scope: scope_ref(kb, short),
        accepted_by_all_methods: all,
        accepted_by_some_methods: some,
        no_access: kb.scopes.no_access.get(short).cloned(),
    }
}

impl ScopeAnswer {
    fn pretty(&self) -> String {
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

fn preview(list: &[String]) -> String {
    const N: usize = 6;
    if list.is_empty() {
        return String::new();
    }
    let head: Vec<&str> = list.iter().take(N).map(String::as_str).collect();
    let more = if list.len() > N { ", ..." } else { "" };
    format!(": {}{more}", head.join(", "))
}
