//! Joins one workload's scopes with the roles its identity holds and judges,
//! per API, whether the scopes cover what the roles are for.
//!
//! Policy (see `rules/SOURCES.md`): a role use is *sufficient* when a scope
//! it names in `needs_any_of` is present. Otherwise each class of the API's
//! methods the use touches (reads; plus writes for writing roles) is covered
//! fully, partly or not at all: nothing covered is *insufficient* (SL001),
//! writes uncovered while reads work is *partial* at warning level (SL002),
//! and reads uncovered while writes work, or classes covered only in part, are
//! *partial* at note level.

use super::strategy::Strategy;
use crate::finding::{Related, Severity};
use crate::knowledge::{Access, Api, Knowledge, MethodClass, RoleClass, RoleUse};
use crate::model::{
    Account, EnabledApi, Grant, Identity, Model, Project, RoleDefinition, ScopeItem, Scopes, Unit,
    Workload, WorkloadIdentity,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What the rules share: the knowledge base and the model's joins.
///
/// Facts meet by deployment unit (NOTES §0): a workload is joined with the
/// grants and enabled APIs of its own unit, and with those of other units
/// only through literals that name the same thing everywhere (a service
/// account email, the default account of a literal project, an API enabled
/// in a literal project).
pub struct Context<'m> {
    pub kb: &'m Knowledge,
    pub strategy: Strategy,
    /// Grants to accounts known by their literal email, from every unit.
    by_email: HashMap<&'m Identity, Vec<Indexed<'m, Grant>>>,
    /// Grants to identities that mean one account only inside their unit
    /// (a `google_service_account` resource, a script's `$SA`).
    by_unit_identity: HashMap<(&'m Unit, &'m Identity), Vec<Indexed<'m, Grant>>>,
    /// Grants to default compute accounts, per unit, by the project that owns the account.
    default_grants: HashMap<&'m Unit, ByProject<'m, Grant>>,
    /// Grants to the default account of a literal project, from every unit.
    default_by_project: HashMap<&'m Project, Vec<Indexed<'m, Grant>>>,
    /// Enabled APIs, per unit, by the project they are enabled in.
    enabled: HashMap<&'m Unit, ByProject<'m, EnabledApi>>,
    /// APIs enabled in a literal project, from every unit.
    enabled_by_project: HashMap<&'m Project, Vec<Indexed<'m, EnabledApi>>>,
    /// Custom roles defined in the configuration, by name (the first definition).
    pub role_definitions: HashMap<&'m str, &'m RoleDefinition>,
}

/// A model item with its index in the model, so joined lists keep the model's order.
type Indexed<'m, T> = (usize, &'m T);

impl<'m> Context<'m> {
    /// The joins of the grants and enabled APIs of `model`, built once: a
    /// run checked a piece at a time keeps them for every piece.
    pub fn new(model: &'m Model, kb: &'m Knowledge, strategy: Strategy) -> Self {
        let mut cx = Context {
            kb,
            strategy,
            by_email: HashMap::new(),
            by_unit_identity: HashMap::new(),
            default_grants: HashMap::new(),
            default_by_project: HashMap::new(),
            enabled: HashMap::new(),
            enabled_by_project: HashMap::new(),
            role_definitions: HashMap::new(),
        };
        for d in &model.role_definitions {
            cx.role_definitions.entry(d.name.as_str()).or_insert(d);
        }
        for (i, g) in model.grants.iter().enumerate() {
            match &g.member {
                Identity::DefaultCompute(project) => {
                    cx.default_grants
                        .entry(&g.unit)
                        .or_default()
                        .add(i, project.as_ref(), g);
                    if let Some(p) = project {
                        cx.default_by_project.entry(p).or_default().push((i, g));
                    }
                }
                member if member.is_literal() => {
                    cx.by_email.entry(member).or_default().push((i, g));
                }
                member => cx
                    .by_unit_identity
                    .entry((&g.unit, member))
                    .or_default()
                    .push((i, g)),
            }
        }
        for (i, e) in model.enabled_apis.iter().enumerate() {
            cx.enabled
                .entry(&e.unit)
                .or_default()
                .add(i, e.project.as_ref(), e);
            if let Some(p) = &e.project {
                cx.enabled_by_project.entry(p).or_default().push((i, e));
            }
        }
        cx
    }

    /// The grants that reach `id` as used by a workload of `unit`, in the model's order.
    pub fn grants_of(&self, unit: &Unit, id: &Identity) -> Vec<&'m Grant> {
        let everywhere = Unit::everywhere();
        let mut joined: Vec<Indexed<'m, Grant>> = Vec::new();
        match id {
            Identity::DefaultCompute(project) => {
                for u in [unit, everywhere] {
                    if let Some(by) = self.default_grants.get(u) {
                        joined.extend(by.of(project.as_ref()));
                    }
                }
                if let Some(p) = project {
                    joined.extend(self.default_by_project.get(p).into_iter().flatten());
                }
            }
            _ if id.is_literal() => joined.extend(self.by_email.get(id).into_iter().flatten()),
            _ => {
                for u in [unit, everywhere] {
                    joined.extend(self.by_unit_identity.get(&(u, id)).into_iter().flatten());
                }
            }
        }
        ordered(joined)
    }

    /// The APIs enabled in a workload's project, by the knowledge base's
    /// service name, each with the first place it is enabled.
    pub fn enabled_for(&self, w: &Workload) -> BTreeMap<&'m str, &'m EnabledApi> {
        let project = w.project.as_deref().and_then(Project::id);
        let mut joined: Vec<Indexed<'m, EnabledApi>> = self
            .enabled
            .get(&w.unit)
            .map(|by| by.of(project.as_ref()))
            .unwrap_or_default();
        if let Some(p) = &project {
            joined.extend(self.enabled_by_project.get(p).into_iter().flatten());
        }
        // An API enabled under any of its service names (`translate.googleapis.com`
        // is `translation.googleapis.com`) is one API, named as the knowledge base names it.
        let mut enabled = BTreeMap::new();
        for e in ordered(joined) {
            let service = self
                .kb
                .api(&e.service)
                .map_or(e.service.as_str(), |(k, _)| k);
            enabled.entry(service).or_insert(e);
        }
        enabled
    }

    /// Where a workload's identity is joined with facts of other units, in
    /// words (for `--verbose`): one line per identity and unit.
    pub fn joins_from_other_units(&self, w: &Workload) -> Vec<String> {
        let Account::Attached { identity, .. } = &w.account else {
            return Vec::new();
        };
        let mut units: BTreeSet<&Unit> = BTreeSet::new();
        for g in self.grants_of(&w.unit, identity) {
            if g.unit != w.unit {
                units.insert(&g.unit);
            }
        }
        let by = match identity {
            Identity::Email(email) => format!("literal email {email}"),
            other => format!("literal identity ({other})"),
        };
        units
            .into_iter()
            .map(|u| {
                format!(
                    "{}: joined by {by} with grants from {}",
                    w.address,
                    u.name()
                )
            })
            .collect()
    }
}

/// Items of a join in the model's order, each once.
fn ordered<T>(mut joined: Vec<Indexed<'_, T>>) -> Vec<&T> {
    joined.sort_unstable_by_key(|&(i, _)| i);
    joined.dedup_by_key(|&mut (i, _)| i);
    joined.into_iter().map(|(_, item)| item).collect()
}

/// The model items of one unit (grants to default accounts, enabled APIs) by
/// project, joined with a workload of that unit when the two projects may be
/// the same: one of them is
/// unknown, or an ID meets a number (they cannot be compared statically). A
/// workload of unknown project is joined with items of known projects only
/// when those name a single project; with several it could be any of them, so
/// only the items of unknown project apply.
struct ByProject<'m, T> {
    /// `(index in the model, item)` pairs, so joined lists keep the model's order.
    unknown: Vec<(usize, &'m T)>,
    by_id: HashMap<&'m str, Vec<(usize, &'m T)>>,
    by_number: HashMap<&'m str, Vec<(usize, &'m T)>>,
}

impl<T> Default for ByProject<'_, T> {
    fn default() -> Self {
        ByProject {
            unknown: Vec::new(),
            by_id: HashMap::new(),
            by_number: HashMap::new(),
        }
    }
}

impl<'m, T> ByProject<'m, T> {
    fn add(&mut self, i: usize, project: Option<&'m Project>, item: &'m T) {
        match project {
            None => self.unknown.push((i, item)),
            Some(Project::Id(id)) => self.by_id.entry(id).or_default().push((i, item)),
            Some(Project::Number(n)) => self.by_number.entry(n).or_default().push((i, item)),
        }
    }

    fn of(&self, project: Option<&Project>) -> Vec<Indexed<'m, T>> {
        type Index<'m, T> = HashMap<&'m str, Vec<(usize, &'m T)>>;
        let all = |m: &Index<'m, T>| m.values().flatten().copied().collect::<Vec<_>>();
        let one = |m: &Index<'m, T>, key: &str| m.get(key).cloned().unwrap_or_default();
        let mut joined = self.unknown.clone();
        match project {
            Some(Project::Id(id)) => {
                joined.extend(one(&self.by_id, id));
                joined.extend(all(&self.by_number));
            }
            Some(Project::Number(n)) => {
                joined.extend(one(&self.by_number, n));
                joined.extend(all(&self.by_id));
            }
            None if self.by_id.len() <= 1 && self.by_number.len() <= 1 => {
                joined.extend(all(&self.by_id));
                joined.extend(all(&self.by_number));
            }
            None => {}
        }
        joined
    }
}

/// How well scopes cover a role's use of an API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Sufficient,
    /// Partly covered; the severity says whether a whole class of methods fails.
    Partial(Severity),
    Insufficient,
}

/// The judgement of one API for one workload, over every role that uses it.
#[derive(Debug)]
pub struct ApiVerdict<'m> {
    pub service: String,
    pub verdict: Verdict,
    pub access: Access,
    pub roles: BTreeSet<String>,
    /// The roles whose use the scopes do not fully cover: the ones a finding names.
    pub short_roles: BTreeSet<String>,
    pub grants: Vec<&'m Grant>,
    /// Scopes any one of which fully covers every role's use (intersection of `needs_any_of`).
    pub accepted: Vec<String>,
    /// The uses that are not fully covered, for choosing the scopes to add.
    pub failing: Vec<&'m RoleUse>,
    /// What fails, in words.
    pub detail: String,
}

impl ApiVerdict<'_> {
    /// The roles a finding about this API names: those short of a scope.
    pub fn named_roles(&self) -> &BTreeSet<String> {
        if self.short_roles.is_empty() {
            &self.roles
        } else {
            &self.short_roles
        }
    }

    /// Whether a finding about this API names `role`.
    pub fn names(&self, role: &str) -> bool {
        self.named_roles().contains(role)
    }
}

/// One workload, judged.
pub struct Assessment<'m> {
    pub workload: &'m Workload,
    /// The workload's index in the model (for the patch stage).
    pub index: usize,
    /// The identity and scopes, when the workload has a resolved account.
    pub attached: Option<(&'m Identity, &'m Scopes)>,
    /// Short names of the scopes the workload gets.
    pub granted: BTreeSet<String>,
    /// Scope strings that are neither alias nor known scope URL.
    pub unknown: Vec<&'m ScopeItem>,
    /// Verdicts by API service name; only APIs some held role is for.
    pub apis: BTreeMap<String, ApiVerdict<'m>>,
    /// Roles held by the identity that are for every service (editor, owner).
    pub broad_roles: BTreeSet<String>,
    /// Whether the identity holds any role that scopes restrict.
    pub holds_scoped_roles: bool,
    /// A scope URL that the knowledge base does not know (and is no typo of a
    /// known one) is among the scopes: what they cover is not known, so no
    /// rule judges them (only SL004 names the URL).
    pub unrecognised_scope: bool,
}

impl<'m> Assessment<'m> {
    pub fn new(w: &'m Workload, cx: &Context<'m>) -> Self {
        let mut a = Assessment {
            workload: w,
            index: 0,
            attached: None,
            granted: BTreeSet::new(),
            unknown: Vec::new(),
            apis: BTreeMap::new(),
            broad_roles: BTreeSet::new(),
            holds_scoped_roles: false,
            unrecognised_scope: false,
        };
        let Account::Attached {
            identity, scopes, ..
        } = &w.account
        else {
            return a;
        };
        a.attached = Some((identity, scopes));
        for item in &scopes.items {
            match scopes.dialect.scope(cx.kb, &item.raw) {
                Some(list) => a.granted.extend(list),
                None => {
                    a.unrecognised_scope |= cx.kb.is_unrecognised_scope_url(&item.raw);
                    a.unknown.push(item);
                }
            }
        }
        if a.unrecognised_scope {
            return a;
        }
        for g in cx.grants_of(&w.unit, identity) {
            let Some(role) = cx.kb.roles.get(&g.role) else {
                continue;
            };
            match role.class {
                RoleClass::AllServices => {
                    if matches!(g.role.as_str(), "roles/editor" | "roles/owner") {
                        a.broad_roles.insert(g.role.clone());
                    }
                }
                RoleClass::Api => {
                    for u in &role.uses {
                        let Some(u) = judged_use(cx.kb, scopes.workload_identity, u) else {
                            continue;
                        };
                        a.holds_scoped_roles = true;
                        let api = cx.kb.apis.get(&u.api);
                        let (verdict, detail) = judge(u, api, &a.granted);
                        a.add(g, u, verdict, detail);
                    }
                }
                RoleClass::ScopeIndependent | RoleClass::ServiceAgent | RoleClass::Unmapped => {}
            }
        }
        a
    }

    /// The assessment of the model's `index`th workload.
    pub fn at(mut self, index: usize) -> Self {
        self.index = index;
        self
    }

    fn add(&mut self, g: &'m Grant, u: &'m RoleUse, verdict: Verdict, detail: String) {
        let e = self
            .apis
            .entry(u.api.clone())
            .or_insert_with(|| ApiVerdict {
                service: u.api.clone(),
                verdict: Verdict::Sufficient,
                access: u.access,
                roles: BTreeSet::new(),
                short_roles: BTreeSet::new(),
                grants: Vec::new(),
                accepted: u.needs_any_of.clone(),
                failing: Vec::new(),
                detail: String::new(),
            });
        e.roles.insert(g.role.clone());
        // A grant's uses are added one after another: comparing with the last
        // keeps this linear in the grants (a search was quadratic).
        if !e.grants.last().is_some_and(|x| std::ptr::eq(*x, g)) {
            e.grants.push(g);
        }
        e.access = e.access.max(u.access);
        e.accepted.retain(|s| u.needs_any_of.contains(s));
        if verdict != Verdict::Sufficient {
            e.short_roles.insert(g.role.clone());
            if !e.failing.iter().any(|f| std::ptr::eq(*f, u)) {
                e.failing.push(u);
            }
        }
        if verdict > e.verdict {
            e.verdict = verdict;
            e.detail = detail;
        }
    }

    /// APIs whose verdict is exactly `v`, in name order.
    pub fn with_verdict(&self, v: Verdict) -> Vec<&ApiVerdict<'m>> {
        self.apis.values().filter(|a| a.verdict == v).collect()
    }

    /// Related locations: where each role of `apis` that the scopes do not
    /// fully cover is granted.
    pub fn grant_locations(apis: &[&ApiVerdict<'_>]) -> Vec<Related> {
        crate::finding::grant_locations(
            apis.iter()
                .flat_map(|api| api.grants.iter().filter(|g| api.names(&g.role)).copied()),
        )
    }
}

/// What a GKE node does itself with each API, as the role made for that use:
/// with Workload Identity, pods do not use the node's token, so these are the
/// only calls the node's scopes decide.
const NODE_USES: &[(&str, &str)] = &[
    ("storage.googleapis.com", "roles/storage.objectViewer"),
    ("docker.pkg.dev", "roles/artifactregistry.reader"),
    ("logging.googleapis.com", "roles/logging.logWriter"),
    ("monitoring.googleapis.com", "roles/monitoring.metricWriter"),
    ("cloudtrace.googleapis.com", "roles/cloudtrace.agent"),
];

/// The use of a role that the workload's scopes are judged against: the use
/// itself, or, on GKE nodes whose pods use Workload Identity (or may), the
/// node's own use of that API when the role allows it and `None` otherwise.
fn judged_use<'k>(kb: &'k Knowledge, wi: WorkloadIdentity, u: &'k RoleUse) -> Option<&'k RoleUse> {
    if wi == WorkloadIdentity::Off {
        return Some(u);
    }
    let (_, role) = NODE_USES.iter().find(|(api, _)| *api == u.api)?;
    let node = kb.roles.get(*role)?.uses.iter().find(|n| n.api == u.api)?;
    (u.access >= node.access).then_some(node)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coverage {
    None,
    Part,
    Full,
}

fn coverage(class: &MethodClass, granted: &BTreeSet<String>) -> Coverage {
    if class.all.iter().any(|s| granted.contains(s)) {
        Coverage::Full
    } else if class.some.keys().any(|s| granted.contains(s)) {
        Coverage::Part
    } else {
        Coverage::None
    }
}

/// Judges one role use against the granted scopes; the string says what fails.
pub fn judge(u: &RoleUse, api: Option<&Api>, granted: &BTreeSet<String>) -> (Verdict, String) {
    if u.needs_any_of.iter().any(|s| granted.contains(s)) {
        return (Verdict::Sufficient, String::new());
    }
    let Some(api) = api else {
        return (Verdict::Insufficient, "no granted scope is accepted".into());
    };
    let classes = u.classes(api);
    let cov: Vec<(&str, &MethodClass, Coverage)> = classes
        .iter()
        .map(|(n, c)| (*n, *c, coverage(c, granted)))
        .collect();
    if cov.iter().all(|(_, _, c)| *c == Coverage::None) {
        return (
            Verdict::Insufficient,
            "no granted scope is accepted by any of its methods".into(),
        );
    }
    if cov.iter().all(|(_, _, c)| *c == Coverage::Full) {
        return (Verdict::Sufficient, String::new());
    }
    let failing: Vec<&str> = cov
        .iter()
        .filter(|(_, _, c)| *c == Coverage::None)
        .map(|(n, _, _)| *n)
        .collect();
    if !failing.is_empty() {
        let works: Vec<&str> = cov
            .iter()
            .filter(|(_, _, c)| *c != Coverage::None)
            .map(|(n, _, _)| *n)
            .collect();
        let detail = format!(
            "{} methods work but {} methods fail",
            works.join(" and "),
            failing.join(" and ")
        );
        // Writes covered and reads not is how write-only agent scopes are
        // meant to be used (logging.write with roles/logging.admin): a role
        // broader than the VM needs is IAM hygiene, not a broken call (NOTES §0).
        let severity = if failing.contains(&"write") {
            Severity::Warning
        } else {
            Severity::Note
        };
        return (Verdict::Partial(severity), detail);
    }
    // Every class is covered, some only in part: name the methods that fail.
    let whose = if u.read.is_some() || u.write.is_some() {
        "the role's"
    } else {
        "the API's"
    };
    let mut parts = Vec::new();
    for (name, class, c) in &cov {
        if *c != Coverage::Part {
            continue;
        }
        // The first granted scope that covers part of the class says enough.
        if let Some((scope, p)) = class.some.iter().find(|(s, _)| granted.contains(*s)) {
            let examples = if p.fails.is_empty() {
                String::new()
            } else {
                format!(" (for example {})", p.fails.join(", "))
            };
            parts.push(format!(
                "{scope} is accepted by {} of {whose} {} {name} methods; the others fail{examples}",
                p.covers, class.methods
            ));
        }
    }
    (Verdict::Partial(Severity::Note), parts.join("; "))
}
