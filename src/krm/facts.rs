//! The model facts of one directory of Config Connector objects: workloads
//! (`ComputeInstance`, `ComputeInstanceTemplate`, `ContainerNodePool`, the
//! default pool of a `ContainerCluster`), grants (`IAMPolicyMember`,
//! `IAMPartialPolicy`, `IAMPolicy`), custom roles (`IAMCustomRole`) and
//! enabled APIs (`Service`).
//!
//! Field names follow Google's Config Connector resource reference. A
//! `serviceAccountRef.name` names an `IAMServiceAccount` object of the same
//! namespace; its email is known only when its project is (annotation on the
//! object or on its `Namespace`), else it is the same account only for other
//! references to the same object in the same directory.

use super::Object;
use crate::model::{
    Account, Dialect, EnabledApi, Grant, Identity, Model, Project, RoleDefinition, ScopeItem,
    Scopes, Unit, Unresolved, Workload, WorkloadIdentity,
};
use crate::source::{FileId, Loc};
use crate::yaml::{Node, Value, map_scalar};
use std::collections::BTreeMap;

/// The project of each namespace named by a `Namespace` object in the tree
/// (`None` when two objects of one name disagree or none names a project).
pub type Namespaces = BTreeMap<String, Option<String>>;

/// Collects the project annotations of the `Namespace` objects of `objects`.
pub fn namespaces<'o>(objects: impl Iterator<Item = &'o Object>, into: &mut Namespaces) {
    for o in objects.filter(|o| o.group.is_empty() && o.kind == "Namespace") {
        let Some(name) = &o.name else { continue };
        let project = o.project.clone().filter(|p| literal(p));
        match into.get(name) {
            Some(known) if *known != project => {
                into.insert(name.clone(), None);
            }
            Some(_) => {}
            None => {
                into.insert(name.clone(), project);
            }
        }
    }
}

/// What the objects of one directory need to be read.
pub struct Dir<'a> {
    pub objects: &'a [Object],
    pub namespaces: &'a Namespaces,
    /// The text of each file the objects come from.
    pub text: &'a dyn Fn(FileId) -> Option<&'a str>,
}

/// Whether a value is written out, not a placeholder a tool fills in later
/// (`${PROJECT_ID}` for envsubst or kpt setters, `{{ .Values.x }}` for Helm).
fn literal(s: &str) -> bool {
    !s.is_empty() && !s.contains("${") && !s.contains("$(") && !s.contains("{{")
}

/// The end of a scalar written verbatim at `at`, plain or in quotes without
/// escapes: the common case, found without scanning the rest of its line
/// (a flow list of many items on one line stays linear).
fn verbatim_end(text: &str, at: usize, v: &str) -> Option<usize> {
    let rest = text.get(at..)?;
    if rest.starts_with(v) && !v.is_empty() {
        return Some(at + v.len());
    }
    let q = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = rest.get(1..)?;
    (inner.starts_with(v)
        && inner.get(v.len()..)?.starts_with(q)
        && !v.contains(q)
        && !v.contains('\\'))
    .then_some(at + v.len() + 2)
}

fn string(n: Option<&Node>) -> Option<&str> {
    n.and_then(Node::as_str).map(str::trim)
}

/// The key node and the value node of `key` in a map.
fn entry<'n>(n: &'n Node, key: &str) -> Option<(&'n Node, &'n Node)> {
    n.entries()
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(k, v)| (k, v))
}

impl Dir<'_> {
    fn text(&self, file: FileId) -> &str {
        (self.text)(file).unwrap_or("")
    }

    /// Where a scalar is written (from its first character to its end).
    fn scalar_loc(&self, file: FileId, n: &Node) -> Loc {
        let text = self.text(file);
        let end = n
            .as_str()
            .map_or(n.at, |v| {
                verbatim_end(text, n.at, v).unwrap_or_else(|| map_scalar(text, n.at, v).end)
            })
            .max(n.at);
        Loc::new(file, n.at..end)
    }

    /// Where a key is written: the word itself.
    fn key_loc(&self, file: FileId, k: &Node) -> Loc {
        self.scalar_loc(file, k)
    }

    /// Where a sequence is written: a flow sequence to its `]`, a block
    /// sequence to the end of its last item.
    fn seq_loc(&self, file: FileId, n: &Node) -> Loc {
        let text = self.text(file);
        if text.get(n.at..).is_some_and(|t| t.starts_with('[')) {
            let end = flow_end(text, n.at).unwrap_or(n.at + 1);
            return Loc::new(file, n.at..end);
        }
        let end = n
            .items()
            .last()
            .map_or(n.at, |last| self.node_end(file, last));
        Loc::new(file, n.at..end.max(n.at))
    }

    fn node_end(&self, file: FileId, n: &Node) -> usize {
        match &n.value {
            Value::Scalar(_) => self.scalar_loc(file, n).span.end,
            Value::Seq(items) => items.last().map_or(n.at + 1, |i| self.node_end(file, i)),
            Value::Map(entries) => entries
                .last()
                .map_or(n.at + 1, |(_, v)| self.node_end(file, v)),
            Value::Null => n.at,
        }
    }

    /// The project an object lives in: its annotation, else its namespace's.
    fn project_of(&self, o: &Object) -> Option<String> {
        if let Some(p) = &o.project {
            return literal(p).then(|| p.clone());
        }
        let ns = o.namespace.as_ref()?;
        self.namespaces.get(ns).cloned().flatten()
    }

    /// The object's address as findings name it: `Kind/name`, with the namespace when written.
    fn address(o: &Object) -> String {
        let name = o.name.as_deref().unwrap_or("?");
        match &o.namespace {
            Some(ns) => format!("{}/{ns}/{name}", o.kind),
            None => format!("{}/{name}", o.kind),
        }
    }

    fn is(o: &Object, group: &str, kind: &str) -> bool {
        o.kind == kind && o.group.strip_suffix(".cnrm.cloud.google.com") == Some(group)
    }

    /// The account a `serviceAccountRef` (or `memberFrom.serviceAccountRef`) of `o` names.
    fn ref_identity(&self, o: &Object, r: &Node) -> Option<Identity> {
        if let Some(ext) = string(r.get("external")) {
            // The email, possibly written as a resource name.
            let email = ext.rsplit('/').next().unwrap_or(ext);
            return (literal(email) && email.contains('@')).then(|| Identity::from_email(email));
        }
        let name = string(r.get("name")).filter(|n| literal(n))?;
        let ns = string(r.get("namespace")).or(o.namespace.as_deref());
        Some(self.account(ns, name))
    }

    /// The `IAMServiceAccount` `name` of namespace `ns`: its email when its
    /// project is known, else the object itself (same directory only).
    fn account(&self, ns: Option<&str>, name: &str) -> Identity {
        let mut found = self.objects.iter().filter(|s| {
            Self::is(s, "iam", "IAMServiceAccount")
                && s.name.as_deref() == Some(name)
                && s.namespace.as_deref() == ns
        });
        if let (Some(sa), None) = (found.next(), found.next()) {
            let id = string(sa.spec().and_then(|s| s.get("resourceID"))).unwrap_or(name);
            if let Some(project) = self.project_of(sa)
                && literal(id)
            {
                return Identity::Email(
                    format!("{id}@{project}.iam.gserviceaccount.com").to_ascii_lowercase(),
                );
            }
        }
        let address = match ns {
            Some(ns) => format!("IAMServiceAccount/{ns}/{name}"),
            None => format!("IAMServiceAccount/{name}"),
        };
        Identity::Resource {
            module: String::new(),
            address,
        }
    }
}

/// Reads the facts of one directory's objects.
pub fn extract(dir: &Dir<'_>) -> Model {
    let mut model = Model::default();
    for o in dir.objects {
        if o.name.is_none() {
            // Without a name it cannot be referred to, nor named in a finding.
            if o.group.ends_with(".cnrm.cloud.google.com") {
                unresolved(
                    &mut model,
                    object_loc(dir, o),
                    format!("{} without metadata.name: not read", o.kind),
                );
            }
            continue;
        }
        if Dir::is(o, "compute", "ComputeInstance")
            || Dir::is(o, "compute", "ComputeInstanceTemplate")
        {
            instance(dir, o, &mut model);
        } else if Dir::is(o, "container", "ContainerNodePool") {
            node_pool(dir, o, &mut model);
        } else if Dir::is(o, "container", "ContainerCluster") {
            cluster(dir, o, &mut model);
        } else if Dir::is(o, "iam", "IAMPolicyMember") {
            policy_member(dir, o, &mut model);
        } else if Dir::is(o, "iam", "IAMPartialPolicy") || Dir::is(o, "iam", "IAMPolicy") {
            policy(dir, o, &mut model);
        } else if Dir::is(o, "serviceusage", "Service") {
            service(dir, o, &mut model);
        } else if Dir::is(o, "iam", "IAMCustomRole") {
            custom_role(dir, o, &mut model);
        }
    }
    model
}

fn unresolved(model: &mut Model, loc: Loc, what: String) {
    model.unresolved.push(Unresolved { loc, what });
}

/// Where an object is shown: its `kind` value.
fn object_loc(dir: &Dir<'_>, o: &Object) -> Loc {
    match o.doc.get("kind") {
        Some(k) => dir.scalar_loc(o.file, k),
        None => Loc::new(o.file, o.doc.at..o.doc.at),
    }
}

fn workload(dir: &Dir<'_>, o: &Object) -> Workload {
    let spec = o.spec();
    let zone = string(spec.and_then(|s| s.get("zone").or_else(|| s.get("location"))))
        .filter(|z| literal(z))
        .map(str::to_string);
    Workload {
        kind: o.kind.clone(),
        address: Dir::address(o),
        name: o.name.clone().unwrap_or_default(),
        zone,
        project: dir.project_of(o),
        module: String::new(),
        block: object_loc(dir, o),
        account_block: None,
        account: Account::None,
        is_instance: o.kind == "ComputeInstance",
        startup: Vec::new(),
        unit: Unit::default(),
        stop_to_update: crate::model::StopToUpdate::Unknown,
    }
}

/// The scopes list `value` of `o` (the value of `key`, written at `key_node`).
fn scopes(dir: &Dir<'_>, o: &Object, key: &Node, value: Option<&Node>) -> Scopes {
    let mut scopes = Scopes {
        dialect: Dialect::ConfigConnector,
        at: Some(dir.key_loc(o.file, key)),
        ..Scopes::default()
    };
    let Some(value) = value else {
        return scopes;
    };
    match &value.value {
        Value::Seq(items) => {
            let loc = dir.seq_loc(o.file, value);
            scopes.at = Some(loc.clone());
            scopes.defined = Some(loc);
            scopes.complete = true;
            for item in items {
                match item.as_str() {
                    Some(raw) if literal(raw) => scopes.items.push(ScopeItem {
                        raw: raw.trim().into(),
                        loc: Some(dir.scalar_loc(o.file, item)),
                    }),
                    _ => scopes.complete = false,
                }
            }
        }
        // `scopes:` with no value: nothing is listed, which GKE and Compute
        // Engine do not read the same way; the list is not known.
        Value::Null | Value::Scalar(_) | Value::Map(_) => {}
    }
    scopes
}

/// The account of a `serviceAccount`/`nodeConfig` map: `ref_key` names the
/// account (none: the project's default compute account), `scopes_key` the scopes.
fn account(dir: &Dir<'_>, o: &Object, block: &Node, scopes_key: &str) -> Account {
    let (identity, identity_at) = match entry(block, "serviceAccountRef") {
        None => (
            Some(Identity::default_compute(dir.project_of(o).as_deref())),
            None,
        ),
        Some((k, r)) => (dir.ref_identity(o, r), Some(dir.key_loc(o.file, k))),
    };
    let Some(identity) = identity else {
        return Account::Unknown;
    };
    let scopes = match entry(block, scopes_key) {
        Some((k, v)) => scopes(dir, o, k, Some(v)),
        None => Scopes {
            dialect: Dialect::ConfigConnector,
            ..Scopes::default()
        },
    };
    Account::Attached {
        identity,
        identity_at,
        scopes,
    }
}

fn note_unknown_account(model: &mut Model, w: &Workload) {
    if matches!(w.account, Account::Unknown) {
        let loc = w.account_block.clone().unwrap_or_else(|| w.block.clone());
        model.unresolved.push(Unresolved {
            loc,
            what: format!("{}: service account is not known", w.address),
        });
    }
}

fn instance(dir: &Dir<'_>, o: &Object, model: &mut Model) {
    let mut w = workload(dir, o);
    let spec = o.spec();
    match spec.and_then(|s| entry(s, "serviceAccount")) {
        Some((k, sa)) => {
            w.account_block = Some(dir.key_loc(o.file, k));
            w.account = account(dir, o, sa, "scopes");
        }
        None if spec.and_then(|s| entry(s, "instanceTemplateRef")).is_some() => {
            // Made from a template: its account and scopes, when the template is here.
            let (ref_key, r) = spec.and_then(|s| entry(s, "instanceTemplateRef")).unzip();
            w.account = r
                .and_then(|r| string(r.get("name")))
                .and_then(|name| {
                    let mut found = dir.objects.iter().filter(|t| {
                        Dir::is(t, "compute", "ComputeInstanceTemplate")
                            && t.name.as_deref() == Some(name)
                            && t.namespace == o.namespace
                    });
                    match (found.next(), found.next()) {
                        (Some(t), None) => Some(t),
                        _ => None,
                    }
                })
                .map_or(Account::Unknown, |t| {
                    match t.spec().and_then(|s| s.get("serviceAccount")) {
                        Some(sa) => account(dir, t, sa, "scopes"),
                        None => Account::None,
                    }
                });
            // A patch edits the template: say where the instance takes it from.
            if let (Account::Attached { scopes, .. }, Some(k)) = (&mut w.account, ref_key) {
                scopes.trail.push((
                    dir.key_loc(o.file, k),
                    format!(
                        "`{}` takes its account and scopes from the template named here",
                        w.address
                    ),
                ));
            }
        }
        None => w.account = Account::None,
    }
    note_unknown_account(model, &w);
    model.workloads.push(w);
}

/// `nodeConfig.workloadMetadataConfig.mode`, when it decides by itself.
fn node_metadata_mode(nc: &Node) -> Option<WorkloadIdentity> {
    let mode = nc.get("workloadMetadataConfig")?.get("mode")?;
    match mode.as_str().map(str::trim) {
        Some("GKE_METADATA") => Some(WorkloadIdentity::On),
        Some("GCE_METADATA") => Some(WorkloadIdentity::Off),
        Some("MODE_UNSPECIFIED") | None => None,
        Some(_) => Some(WorkloadIdentity::Unknown),
    }
}

/// Whether a `ContainerCluster` turns Workload Identity on for its nodes.
fn cluster_workload_identity(c: &Object) -> WorkloadIdentity {
    let Some(spec) = c.spec() else {
        return WorkloadIdentity::Off;
    };
    match string(spec.get("enableAutopilot")) {
        Some("true") => return WorkloadIdentity::On,
        Some("false") | None => {}
        Some(_) => return WorkloadIdentity::Unknown,
    }
    match spec.get("workloadIdentityConfig").map(|n| &n.value) {
        None | Some(Value::Null) => WorkloadIdentity::Off,
        Some(Value::Map(_)) => {
            let pool = spec
                .get("workloadIdentityConfig")
                .and_then(|w| string(w.get("workloadPool")).or(string(w.get("identityNamespace"))));
            if pool.is_some_and(|p| !p.is_empty()) {
                WorkloadIdentity::On
            } else {
                WorkloadIdentity::Off
            }
        }
        Some(_) => WorkloadIdentity::Unknown,
    }
}

fn gke_workload(dir: &Dir<'_>, o: &Object, nc_key: &Node, nc: &Node) -> Workload {
    let mut w = workload(dir, o);
    w.account_block = Some(dir.key_loc(o.file, nc_key));
    w.account = account(dir, o, nc, "oauthScopes");
    if let Account::Attached { scopes, .. } = &mut w.account
        && scopes.items.is_empty()
    {
        // No scopes (or an empty list) means GKE's own default, which is not modelled.
        scopes.complete = false;
    }
    w
}

fn node_pool(dir: &Dir<'_>, o: &Object, model: &mut Model) {
    let Some((k, nc)) = o.spec().and_then(|s| entry(s, "nodeConfig")) else {
        unresolved(
            model,
            object_loc(dir, o),
            format!(
                "{}: no nodeConfig, so GKE's default account and scopes apply, which are not modelled",
                Dir::address(o)
            ),
        );
        return;
    };
    let mut w = gke_workload(dir, o, k, nc);
    let wi = node_metadata_mode(nc).unwrap_or_else(|| {
        let name = o
            .spec()
            .and_then(|s| s.get("clusterRef"))
            .and_then(|r| string(r.get("name")));
        let mut found = dir.objects.iter().filter(|c| {
            Dir::is(c, "container", "ContainerCluster")
                && name.is_some()
                && c.name.as_deref() == name
                && c.namespace == o.namespace
        });
        match (found.next(), found.next()) {
            (Some(c), None) => cluster_workload_identity(c),
            _ => WorkloadIdentity::Unknown,
        }
    });
    if let Account::Attached { scopes, .. } = &mut w.account {
        scopes.workload_identity = wi;
    }
    note_unknown_account(model, &w);
    model.workloads.push(w);
}

fn cluster(dir: &Dir<'_>, o: &Object, model: &mut Model) {
    let removed = o
        .annotation("cnrm.cloud.google.com/remove-default-node-pool")
        .map(str::trim);
    if removed == Some("true") {
        return;
    }
    let Some((k, nc)) = o.spec().and_then(|s| entry(s, "nodeConfig")) else {
        return;
    };
    let mut w = gke_workload(dir, o, k, nc);
    let wi = node_metadata_mode(nc).unwrap_or_else(|| cluster_workload_identity(o));
    if let Account::Attached { scopes, .. } = &mut w.account {
        scopes.workload_identity = wi;
    }
    note_unknown_account(model, &w);
    model.workloads.push(w);
}

/// Adds a grant of `role` to the member `m` (a `serviceAccount:` string, or
/// a `memberFrom` map), located at `loc`.
fn member(dir: &Dir<'_>, o: &Object, role: &str, m: Member<'_>, loc: &Loc, model: &mut Model) {
    let address = Dir::address(o);
    let identity = match m {
        Member::Text(s) => {
            if !s.trim().starts_with("serviceAccount:") {
                return;
            }
            Identity::from_member(s).filter(|_| literal(s))
        }
        Member::From(from) => match from.get("serviceAccountRef") {
            Some(r) => dir.ref_identity(o, r),
            // Other kinds of member reference are not service accounts of workloads here.
            None => {
                unresolved(
                    model,
                    loc.clone(),
                    format!("{address}: a memberFrom reference is not a service account reference"),
                );
                return;
            }
        },
    };
    match identity {
        Some(member) => model.grants.push(Grant {
            role: role.to_string(),
            member,
            address,
            loc: loc.clone(),
            unit: Unit::default(),
        }),
        None => unresolved(
            model,
            loc.clone(),
            format!("{address}: member is not known"),
        ),
    }
}

enum Member<'n> {
    Text(&'n str),
    From(&'n Node),
}

/// The role of a grant and where it is written; `None` (noted) when not a literal.
fn role<'n>(dir: &Dir<'_>, o: &Object, at: &'n Node, model: &mut Model) -> Option<(&'n str, Loc)> {
    let (loc, role) = match entry(at, "role") {
        Some((_, v)) => (dir.scalar_loc(o.file, v), string(Some(v))),
        None => (object_loc(dir, o), None),
    };
    match role.filter(|r| literal(r)) {
        Some(r) => Some((r, loc)),
        None => {
            unresolved(
                model,
                loc,
                format!("{}: role is not known", Dir::address(o)),
            );
            None
        }
    }
}

fn policy_member(dir: &Dir<'_>, o: &Object, model: &mut Model) {
    let Some(spec) = o.spec() else { return };
    let Some((role, loc)) = role(dir, o, spec, model) else {
        return;
    };
    if let Some(m) = string(spec.get("member")) {
        member(dir, o, role, Member::Text(m), &loc, model);
    } else if let Some(from) = spec.get("memberFrom") {
        member(dir, o, role, Member::From(from), &loc, model);
    } else {
        unresolved(
            model,
            loc,
            format!("{}: member is not known", Dir::address(o)),
        );
    }
}

/// `IAMPartialPolicy` (members are `{member}` or `{memberFrom}` maps) and
/// `IAMPolicy` (members are strings).
fn policy(dir: &Dir<'_>, o: &Object, model: &mut Model) {
    let Some(bindings) = o.spec().and_then(|s| s.get("bindings")) else {
        return;
    };
    for b in bindings.items() {
        let Some((role, loc)) = role(dir, o, b, model) else {
            continue;
        };
        for m in b.get("members").map(Node::items).unwrap_or(&[]) {
            if let Some(s) = m.as_str() {
                member(dir, o, role, Member::Text(s), &loc, model);
            } else if let Some(s) = string(m.get("member")) {
                member(dir, o, role, Member::Text(s), &loc, model);
            } else if let Some(from) = m.get("memberFrom") {
                member(dir, o, role, Member::From(from), &loc, model);
            } else {
                unresolved(
                    model,
                    loc.clone(),
                    format!("{}: a member is not known", Dir::address(o)),
                );
            }
        }
    }
}

/// A `Service` object enables the API it is named after.
fn service(dir: &Dir<'_>, o: &Object, model: &mut Model) {
    let spec = o.spec();
    let (name, loc) = match spec.and_then(|s| entry(s, "resourceID")) {
        Some((_, v)) => (string(Some(v)), dir.scalar_loc(o.file, v)),
        None => {
            let meta = o.doc.get("metadata");
            match meta.and_then(|m| m.get("name")) {
                Some(v) => (string(Some(v)), dir.scalar_loc(o.file, v)),
                None => (None, object_loc(dir, o)),
            }
        }
    };
    // A `projectRef` names the project; only its `external` form is a literal ID.
    let project = match spec.and_then(|s| s.get("projectRef")) {
        Some(r) => string(r.get("external"))
            .map(|p| p.strip_prefix("projects/").unwrap_or(p).to_string())
            .filter(|p| literal(p)),
        None => dir.project_of(o),
    };
    match name.filter(|n| literal(n) && n.contains('.')) {
        Some(service) => model.enabled_apis.push(EnabledApi {
            service: service.to_string(),
            loc,
            project: project.as_deref().and_then(Project::id),
            unit: Unit::default(),
        }),
        None => unresolved(
            model,
            loc,
            format!("{}: service is not known", Dir::address(o)),
        ),
    }
}

/// An `IAMCustomRole`: `projects/P/roles/ID` in the object's project, or
/// `organizations/O/roles/ID` with the organization annotation (`ID` is
/// `spec.resourceID`, else the object's name), with `spec.permissions`.
fn custom_role(dir: &Dir<'_>, o: &Object, model: &mut Model) {
    let spec = o.spec();
    let id = string(spec.and_then(|s| s.get("resourceID"))).or(o.name.as_deref());
    let parent = match o.annotation("cnrm.cloud.google.com/organization-id") {
        Some(org) => literal(org).then(|| format!("organizations/{org}")),
        None => dir.project_of(o).map(|p| format!("projects/{p}")),
    };
    let (Some(id), Some(parent)) = (id.filter(|i| literal(i) && !i.contains('/')), parent) else {
        unresolved(
            model,
            object_loc(dir, o),
            format!("{}: the custom role's name is not known", Dir::address(o)),
        );
        return;
    };
    let listed = spec.and_then(|s| s.get("permissions"));
    let permissions = listed.and_then(|l| {
        l.items()
            .iter()
            .map(|n| string(Some(n)).filter(|p| literal(p)).map(str::to_string))
            .collect::<Option<Vec<String>>>()
    });
    model.role_definitions.push(RoleDefinition {
        name: format!("{parent}/roles/{id}"),
        permissions,
        disabled: string(spec.and_then(|s| s.get("stage")))
            .is_some_and(|s| s.eq_ignore_ascii_case("DISABLED")),
        file: Vec::new(),
        loc: listed.map_or_else(|| object_loc(dir, o), |l| dir.seq_loc(o.file, l)),
        address: Dir::address(o),
    });
}

/// The end (after `]`) of the flow sequence whose `[` is at `at`; `None`
/// when it is not closed.
pub fn flow_end(text: &str, at: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut i = at;
    while let Some(&c) = bytes.get(i) {
        match quote {
            Some(b'"') if c == b'\\' => i += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'"' | b'\'' => quote = Some(c),
                b'[' | b'{' => depth += 1,
                b']' | b'}' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                b'#' if i > 0 && matches!(bytes.get(i - 1), Some(b' ' | b'\t' | b'\n')) => {
                    // a comment runs to the end of its line
                    while bytes.get(i).is_some_and(|b| *b != b'\n') {
                        i += 1;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}
