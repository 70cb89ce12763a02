//! Builds the [`Model`] of one configuration from its evaluated resource
//! instances: workloads (with identity and scopes), IAM grants and enabled APIs.
//! The instances come from source ([`super::object::collect`]) or from a plan
//! ([`super::plan`]); this step does not care which.

use super::account::{attached, name_of, unresolved};
use super::custom_role;
use super::eval::{V, Val};
use super::managed::{self, GKE_NO_NODE_CONFIG};
use super::object::{Field, Mode, Obj, ResourceInst, Resources};
use crate::model::marker;
use crate::model::{
    Account, EnabledApi, Grant, Identity, Model, Project, Scopes, ScriptSource, Startup,
    StopToUpdate, Unit, Workload, WorkloadIdentity,
};
use crate::source::Loc;

/// Resource types whose `service_account { email, scopes }` block gives a VM its token.
const INSTANCE_KINDS: &[&str] = &[
    "google_compute_instance",
    "google_compute_instance_template",
    "google_compute_region_instance_template",
    "google_compute_instance_from_template",
    "google_compute_instance_from_machine_image",
];

/// Whether a resource or data source matters to the model (others are not evaluated).
pub fn relevant(mode: Mode, ty: &str) -> bool {
    match mode {
        Mode::Managed => {
            INSTANCE_KINDS.contains(&ty)
                || managed::KINDS.contains(&ty)
                || matches!(
                    ty,
                    "google_container_node_pool"
                        | "google_container_cluster"
                        | "google_project_service"
                )
                || is_grant_kind(ty)
                || custom_role::is_custom_role(ty)
        }
        Mode::Data => ty == "google_iam_policy",
    }
}

pub fn extract(r: &Resources) -> Model {
    let mut model = Model::default();
    model.unresolved.extend(r.notes.iter().cloned());
    for inst in r.list.iter().filter(|i| i.mode == Mode::Managed) {
        let ty = inst.kind.as_str();
        if INSTANCE_KINDS.contains(&ty) {
            model.workloads.push(instance_workload(r, inst));
        } else if ty == "google_container_node_pool" {
            let nc = inst.body.block("node_config");
            let wi = pool_workload_identity(r, inst, nc);
            let w = gke_workload(inst, nc, &inst.address, wi);
            model.workloads.push(w);
        } else if ty == "google_container_cluster" {
            cluster_workloads(inst, &mut model);
        } else if managed::KINDS.contains(&ty) {
            managed::workloads(inst, &mut model);
        } else if is_grant_kind(ty) {
            grants(r, inst, &mut model);
        } else if custom_role::is_custom_role(ty) {
            match custom_role::definition(inst) {
                Some(d) => model.role_definitions.push(d),
                None => unresolved(
                    &mut model,
                    inst.header.clone(),
                    format!("{}: the custom role's name is not known", inst.address),
                ),
            }
        } else if ty == "google_project_service" {
            let f = inst.body.get("service");
            match f.as_ref().and_then(|f| f.val.as_str()) {
                Some(s) if !marker::is_symbolic(s) => model.enabled_apis.push(EnabledApi {
                    service: s.to_string(),
                    project: inst.project.as_deref().and_then(Project::id),
                    loc: f
                        .and_then(|f| f.val.loc)
                        .unwrap_or_else(|| inst.header.clone()),
                    unit: Unit::default(),
                }),
                _ => unresolved(
                    &mut model,
                    inst.header.clone(),
                    format!("{}: service is not known", inst.address),
                ),
            }
        }
    }
    model
}

fn instance_workload(r: &Resources, inst: &ResourceInst) -> Workload {
    let ty = inst.kind.as_str();
    let mut w = Workload {
        kind: ty.to_string(),
        address: inst.address.clone(),
        name: name_of(inst),
        zone: inst.body.string("zone"),
        project: inst.project.clone(),
        module: inst.module.clone(),
        block: inst.header.clone(),
        account_block: None,
        account: Account::None,
        is_instance: matches!(
            ty,
            "google_compute_instance" | "google_compute_instance_from_template"
        ),
        startup: startup_scripts(inst),
        unit: Unit::default(),
        stop_to_update: StopToUpdate::Unknown,
    };
    match inst.body.block("service_account") {
        Some(sa) => {
            w.account_block = sa.span.clone();
            w.account = attached(
                inst.project.as_deref(),
                sa,
                "email",
                "scopes",
                &inst.address,
            );
            if ty == "google_compute_instance" {
                w.stop_to_update = match inst.body.get("allow_stopping_for_update") {
                    None => StopToUpdate::Missing(
                        sa.span
                            .as_ref()
                            .map(|l| Loc::new(l.file, l.span.start..l.span.start)),
                    ),
                    Some(f) if f.val.v == V::Bool(true) => StopToUpdate::Allowed,
                    Some(_) => StopToUpdate::Unknown,
                };
            }
        }
        None => match inst.body.unknown_block("service_account") {
            Some(loc) => {
                w.account_block = loc;
                w.account = Account::Unknown;
            }
            None if ty.ends_with("_from_template") || ty.ends_with("_from_machine_image") => {
                // Inherits the template's account; a machine image's is not in the configuration.
                w.account = inst
                    .body
                    .get("source_instance_template")
                    .and_then(|f| find_ref(r, &f.val, INSTANCE_KINDS))
                    .map_or(Account::Unknown, |t| {
                        inherited_account(t, inst.project.as_deref())
                    });
            }
            None => w.account = Account::None,
        },
    }
    w
}

/// The account an instance template gives the instances made from it (in `project`).
fn inherited_account(template: &ResourceInst, project: Option<&str>) -> Account {
    match template.body.block("service_account") {
        Some(sa) => attached(project, sa, "email", "scopes", &template.address),
        None if template.body.unknown_block("service_account").is_some() => Account::Unknown,
        None => Account::None,
    }
}

/// The resource a reference value stands for: a symbolic reference from source,
/// or (from a plan) a self link, id or name of one of `kinds`.
fn find_ref<'r>(r: &'r Resources, v: &Val, kinds: &[&str]) -> Option<&'r ResourceInst> {
    let s = v.as_str()?;
    if let Some((_, address)) = marker::resource_address(s) {
        return r.get(address);
    }
    if marker::is_symbolic(s) {
        return None;
    }
    let last = s.rsplit('/').next().unwrap_or(s);
    let mut matches = r.list.iter().filter(|i| {
        i.mode == Mode::Managed
            && kinds.contains(&i.kind.as_str())
            && (["self_link", "id", "self_link_unique"]
                .iter()
                .any(|k| i.body.string(k).as_deref() == Some(s))
                || i.body.string("name").as_deref() == Some(last))
    });
    let first = matches.next()?;
    // Two resources of the same name: which one is meant is not known.
    matches.next().is_none().then_some(first)
}

/// A GKE node pool's workload; `nc` is its `node_config` block, if written.
fn gke_workload(
    inst: &ResourceInst,
    nc: Option<&Obj>,
    address: &str,
    wi: WorkloadIdentity,
) -> Workload {
    let project = inst.project.as_deref();
    let mut account = match nc {
        Some(nc) => attached(project, nc, "service_account", "oauth_scopes", address),
        // In a plan a block left out may be one known only after apply.
        None if inst.body.absent_is_unknown => Account::Unknown,
        None => Account::Attached {
            identity: Identity::default_compute(project),
            identity_at: None,
            scopes: managed::service_default(
                GKE_NO_NODE_CONFIG,
                "the Terraform provider's gke-default scopes for a node pool written without node_config",
            ),
        },
    };
    if let (Account::Attached { scopes, .. }, Some(nc)) = (&mut account, nc)
        && managed::names_no_scopes(nc, "oauth_scopes")
    {
        *scopes = gke_node_default();
    }
    if let Account::Attached { scopes, .. } = &mut account {
        scopes.workload_identity = wi;
    }
    Workload {
        kind: inst.kind.clone(),
        address: address.to_string(),
        name: name_of(inst),
        zone: inst.body.string("location"),
        project: inst.project.clone(),
        module: inst.module.clone(),
        block: inst.header.clone(),
        account_block: nc.and_then(|nc| nc.span.clone()),
        account,
        is_instance: false,
        startup: Vec::new(),
        unit: Unit::default(),
        stop_to_update: StopToUpdate::Unknown,
    }
}

/// What GKE gives a node_config that names no oauth_scopes (or `[]`): only
/// what Cloud Logging and Cloud Monitoring need (`rules/scopes.json`, `gke`).
/// Findings point at the node_config block and say that this default applied.
fn gke_node_default() -> Scopes {
    let Some(gke) = crate::knowledge::Knowledge::get()
        .ok()
        .and_then(|kb| kb.scopes.gke.as_ref())
    else {
        return Scopes::default();
    };
    let list = &gke.node_config_without_scopes;
    let pulls = if list.iter().any(|s| s == "devstorage.read_only") {
        ""
    } else {
        "; devstorage.read_only, which pulling images from Artifact Registry or gcr.io needs, is not among them"
    };
    let why = format!(
        "only the scopes GKE adds for Cloud Logging and Cloud Monitoring to a node_config without oauth_scopes ({}{pulls})",
        list.join(", ")
    );
    managed::defaulted(list, why)
}

/// `workload_metadata_config { mode }` of a node config: `Some` when it decides by itself.
fn node_metadata_mode(nc: &Obj) -> Option<WorkloadIdentity> {
    if nc.unknown_block("workload_metadata_config").is_some() {
        return Some(WorkloadIdentity::Unknown);
    }
    let f = nc.block("workload_metadata_config")?.get("mode")?;
    match &f.val.v {
        V::Str(s) => match s.as_str() {
            "GKE_METADATA" => Some(WorkloadIdentity::On),
            "GCE_METADATA" | "EXPOSE" | "SECURE" => Some(WorkloadIdentity::Off),
            "MODE_UNSPECIFIED" => None,
            _ => Some(WorkloadIdentity::Unknown),
        },
        V::Null => None,
        _ => Some(WorkloadIdentity::Unknown),
    }
}

/// Whether a cluster enables Workload Identity for its node pools.
fn cluster_workload_identity(cluster: &ResourceInst) -> WorkloadIdentity {
    match cluster.body.get("enable_autopilot").map(|f| f.val.v) {
        Some(V::Bool(true)) => return WorkloadIdentity::On,
        Some(V::Bool(false) | V::Null) | None => {}
        Some(_) => return WorkloadIdentity::Unknown,
    }
    if cluster
        .body
        .unknown_block("workload_identity_config")
        .is_some()
    {
        return WorkloadIdentity::Unknown;
    }
    match cluster.body.block("workload_identity_config") {
        None => WorkloadIdentity::Off,
        Some(c) => match c.get("workload_pool").map(|f| f.val) {
            Some(v) if v.is_null() => WorkloadIdentity::Off,
            _ => WorkloadIdentity::On,
        },
    }
}

fn pool_workload_identity(
    r: &Resources,
    pool: &ResourceInst,
    nc: Option<&Obj>,
) -> WorkloadIdentity {
    if let Some(mode) = nc.and_then(node_metadata_mode) {
        return mode;
    }
    pool.body
        .get("cluster")
        .and_then(|f| find_ref(r, &f.val, &["google_container_cluster"]))
        .map_or(WorkloadIdentity::Unknown, cluster_workload_identity)
}

fn cluster_workloads(inst: &ResourceInst, model: &mut Model) {
    let wi = cluster_workload_identity(inst);
    let removed = inst.body.get("remove_default_node_pool").map(|f| f.val.v);
    let autopilot = matches!(
        inst.body.get("enable_autopilot").map(|f| f.val.v),
        Some(V::Bool(true))
    );
    let pools: Vec<&Obj> = inst.body.blocks("node_pool").collect();
    let nc = inst.body.block("node_config");
    // Without node_config, inline node_pool blocks replace the default pool; Autopilot has none.
    let default_pool = nc.is_some()
        || (!autopilot && pools.is_empty() && inst.body.unknown_block("node_pool").is_none());
    match removed {
        Some(V::Bool(true)) => {}
        Some(V::Unknown) => unresolved(
            model,
            inst.header.clone(),
            format!(
                "{}: whether the default node pool is removed is not known",
                inst.address
            ),
        ),
        _ if default_pool => {
            let wi = nc.and_then(node_metadata_mode).unwrap_or(wi);
            model
                .workloads
                .push(gke_workload(inst, nc, &inst.address, wi));
        }
        _ => {}
    }
    for (i, pool) in pools.into_iter().enumerate() {
        let nc = pool.block("node_config");
        let wi = nc.and_then(node_metadata_mode).unwrap_or(wi);
        let address = format!("{}.node_pool[{i}]", inst.address);
        let mut w = gke_workload(inst, nc, &address, wi);
        if let Some(n) = pool.string("name") {
            w.name = n;
        }
        model.workloads.push(w);
    }
    managed::auto_provisioning(inst, wi, model);
}

fn is_grant_kind(ty: &str) -> bool {
    ty.starts_with("google_")
        && (ty.ends_with("_iam_member")
            || ty.ends_with("_iam_binding")
            || ty.ends_with("_iam_policy"))
}

/// Where a grant is shown: its role attribute, or the literal in the caller
/// when a module was given the role.
fn role_loc(f: &Field) -> Option<Loc> {
    match &f.val.arg {
        Some(arg) => f.val.loc.clone().or_else(|| Some(arg.clone())),
        None => f.at.clone(),
    }
}

fn grants(r: &Resources, inst: &ResourceInst, model: &mut Model) {
    let address = inst.address.as_str();
    if inst.kind.ends_with("_iam_policy") {
        let policy = inst.body.get("policy_data");
        let data = policy
            .as_ref()
            .and_then(|f| f.val.as_str())
            .and_then(marker::resource_address)
            .and_then(|(_, a)| r.get(a));
        if let Some(data) = data {
            for b in data.body.blocks("binding") {
                let role = b.get("role");
                let members = b.get("members").map(|f| f.val);
                let loc = role
                    .as_ref()
                    .and_then(|f| f.val.loc.clone().or(f.at.clone()))
                    .unwrap_or_else(|| data.header.clone());
                push_grants(model, address, role.map(|f| f.val), members, loc);
            }
            return;
        }
        // A plan holds the policy document itself, as JSON.
        if let Some(f) = &policy
            && let Some(doc) = f.val.as_str().filter(|s| !marker::is_symbolic(s))
            && let Some(bindings) = policy_bindings(doc)
        {
            let loc = f
                .val
                .loc
                .clone()
                .or(f.at.clone())
                .unwrap_or_else(|| inst.header.clone());
            for (role, members) in bindings {
                let members = members.into_iter().map(|m| Val::str(m, None)).collect();
                push_grants(
                    model,
                    address,
                    Some(Val::str(role, None)),
                    Some(Val::new(V::List(members), None)),
                    loc.clone(),
                );
            }
            return;
        }
        unresolved(
            model,
            inst.header.clone(),
            format!("{address}: policy_data is not known"),
        );
        return;
    }
    let role = inst.body.get("role");
    let members = if inst.kind.ends_with("_iam_binding") {
        inst.body.get("members").map(|f| f.val)
    } else {
        inst.body.get("member").map(|f| {
            let loc = f.val.loc.clone();
            Val::new(V::List(vec![f.val].into()), loc)
        })
    };
    let loc = role
        .as_ref()
        .and_then(role_loc)
        .unwrap_or_else(|| inst.header.clone());
    push_grants(model, address, role.map(|f| f.val), members, loc);
}

/// The `(role, members)` bindings of an IAM policy document.
fn policy_bindings(doc: &str) -> Option<Vec<(String, Vec<String>)>> {
    let v: serde_json::Value = serde_json::from_str(doc).ok()?;
    v.get("bindings")?
        .as_array()?
        .iter()
        .map(|b| {
            let role = b.get("role")?.as_str()?.to_string();
            let members = b
                .get("members")?
                .as_array()?
                .iter()
                .map(|m| m.as_str().map(str::to_string))
                .collect::<Option<Vec<String>>>()?;
            Some((role, members))
        })
        .collect()
}

fn push_grants(
    model: &mut Model,
    address: &str,
    role: Option<Val>,
    members: Option<Val>,
    loc: Loc,
) {
    let role = role
        .as_ref()
        .and_then(Val::as_str)
        .filter(|r| !marker::is_symbolic(r));
    let Some(role) = role else {
        unresolved(model, loc, format!("{address}: role is not known"));
        return;
    };
    let items = match members.map(|m| m.v) {
        Some(V::List(items)) => items,
        _ => {
            unresolved(model, loc, format!("{address}: members are not known"));
            return;
        }
    };
    for m in items {
        // A member with alternatives counts only when they all name one account.
        let alts: Vec<Option<&str>> = m.alternatives().iter().map(|a| a.as_str()).collect();
        let same = alts.windows(2).all(|w| w[0] == w[1]);
        match alts.first().copied().flatten().filter(|_| same) {
            Some(s) => {
                if let Some(member) = Identity::from_member(s) {
                    model.grants.push(Grant {
                        role: role.to_string(),
                        member,
                        address: address.to_string(),
                        loc: loc.clone(),
                        unit: Unit::default(),
                    });
                } else if s.starts_with("serviceAccount:") {
                    unresolved(
                        model,
                        loc.clone(),
                        format!("{address}: member is not known"),
                    );
                }
            }
            None => unresolved(
                model,
                loc.clone(),
                format!("{address}: a member is not known"),
            ),
        }
    }
}

/// Where a VM's startup scripts are written (rule SL006): `metadata_startup_script`
/// and the `startup-script` / `user-data` entries of the `metadata` map. Each is
/// an expression (a string, a heredoc, `file()` or `templatefile()` of a path in
/// the module) that the shell front end reads once every input file is loaded.
fn startup_scripts(inst: &ResourceInst) -> Vec<Startup> {
    let mut found: Vec<(Loc, bool)> = Vec::new();
    if let Some(f) = inst.body.get("metadata_startup_script") {
        found.extend(f.at.map(|loc| (loc, false)));
    }
    if let Some(V::Map(m)) = inst.body.get("metadata").map(|f| f.val.v) {
        for (key, v) in m {
            let user_data = match key.as_str() {
                "startup-script" => false,
                "user-data" => true,
                _ => continue,
            };
            found.extend(v.loc.map(|loc| (loc, user_data)));
        }
    }
    found
        .into_iter()
        .map(|(at, user_data)| Startup {
            source: ScriptSource::Expression { loc: at.clone() },
            at,
            user_data,
            calls: Vec::new(),
        })
        .collect()
}
