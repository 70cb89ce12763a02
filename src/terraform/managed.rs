//! Workloads of managed services whose VMs Google creates from a resource's
//! settings: GKE node auto-provisioning, Dataproc clusters (also those a
//! workflow template creates), Cloud TPU VMs and Composer 1 environments.
//! Each gets the scopes its service gives when the configuration names none,
//! from the knowledge base (`rules/scopes.json`), so the defaults carry their source.

use super::account::{attached, name_of, unresolved};
use super::eval::V;
use super::object::{Obj, ResourceInst};
use crate::knowledge::{Knowledge, SCOPE_PREFIX};
use crate::model::{Account, Identity, Model, ScopeItem, Scopes, Unit, Workload, WorkloadIdentity};

/// Resource types this file turns into workloads.
pub const KINDS: &[&str] = &[
    "google_dataproc_cluster",
    "google_dataproc_workflow_template",
    "google_tpu_v2_vm",
    "google_composer_environment",
];

/// The key of `service_defaults` for a GKE node pool written without `node_config`.
pub const GKE_NO_NODE_CONFIG: &str = "google_container_node_config_absent";

pub fn workloads(inst: &ResourceInst, model: &mut Model) {
    match inst.kind.as_str() {
        "google_dataproc_cluster" => dataproc_cluster(inst, model),
        "google_dataproc_workflow_template" => dataproc_template(inst, model),
        "google_tpu_v2_vm" => {
            let w = tpu_vm(inst, model);
            model.workloads.push(w);
        }
        "google_composer_environment" => composer(inst, model),
        _ => {}
    }
}

/// Scopes nobody wrote: `short` names that a service default or GKE gives,
/// with `why` saying which default applied (shown in findings).
pub fn defaulted(short: &[String], why: String) -> Scopes {
    Scopes {
        items: short
            .iter()
            .map(|s| ScopeItem {
                raw: format!("{SCOPE_PREFIX}{s}").into(),
                loc: None,
            })
            .collect(),
        complete: true,
        defaulted: Some(why),
        ..Scopes::default()
    }
}

/// The scopes of the knowledge base's `service_defaults` entry `key`, or
/// incomplete scopes when the knowledge base has none.
pub fn service_default(key: &str, why: &str) -> Scopes {
    match Knowledge::get()
        .ok()
        .and_then(|kb| kb.scopes.service_defaults.get(key))
    {
        Some(d) => defaulted(&d.scopes, why.to_string()),
        None => Scopes::default(),
    }
}

/// Whether a block names no scopes in `key`: the attribute is absent, null
/// or an empty list (an unknown value may name some).
pub fn names_no_scopes(block: &Obj, key: &str) -> bool {
    match block.get(key) {
        None => true,
        Some(f) => f
            .val
            .alternatives()
            .iter()
            .all(|a| matches!(&a.v, V::Null) || matches!(&a.v, V::List(l) if l.is_empty())),
    }
}

/// The account of `block` (`email_key`, `scopes_key`), with the scopes of
/// `default` (from `service_defaults`) when it names none.
fn attached_or_default(
    inst: &ResourceInst,
    block: &Obj,
    (email_key, scopes_key): (&str, &str),
    address: &str,
    (default, why): (&str, &str),
) -> Account {
    let mut account = attached(
        inst.project.as_deref(),
        block,
        email_key,
        scopes_key,
        address,
    );
    if let Account::Attached { scopes, .. } = &mut account
        && names_no_scopes(block, scopes_key)
    {
        *scopes = service_default(default, why);
    }
    account
}

/// A workload of `inst` at `address` (a nested block of it, when not the resource).
fn workload(
    inst: &ResourceInst,
    address: String,
    block: Option<&Obj>,
    account: Account,
) -> Workload {
    Workload {
        kind: inst.kind.clone(),
        address,
        name: name_of(inst),
        zone: inst
            .body
            .string("zone")
            .or_else(|| inst.body.string("region"))
            .or_else(|| inst.body.string("location")),
        project: inst.project.clone(),
        module: inst.module.clone(),
        block: inst.header.clone(),
        account_block: block.and_then(|b| b.span.clone()),
        account,
        is_instance: false,
        startup: Vec::new(),
        unit: Unit::default(),
        stop_to_update: crate::model::StopToUpdate::Unknown,
    }
}

/// The default account of the resource's project, with `scopes`.
fn default_account(inst: &ResourceInst, scopes: Scopes) -> Account {
    Account::Attached {
        identity: Identity::default_compute(inst.project.as_deref()),
        identity_at: None,
        scopes,
    }
}

/// `cluster_autoscaling { auto_provisioning_defaults { service_account, oauth_scopes } }`
/// of a cluster with node auto-provisioning (or Autopilot): the account and
/// scopes of every pool GKE creates for it.
pub fn auto_provisioning(inst: &ResourceInst, wi: WorkloadIdentity, model: &mut Model) {
    let Some(ca) = inst.body.block("cluster_autoscaling") else {
        return;
    };
    let autopilot = matches!(
        inst.body.get("enable_autopilot").map(|f| f.val.v),
        Some(V::Bool(true))
    );
    match ca.get("enabled").map(|f| f.val.v) {
        Some(V::Bool(true)) => {}
        Some(V::Bool(false) | V::Null) | None if !autopilot => return,
        Some(V::Bool(false) | V::Null) | None => {}
        Some(_) => {
            unresolved(
                model,
                ca.span.clone().unwrap_or_else(|| inst.header.clone()),
                format!(
                    "{}: whether node auto-provisioning is on is not known",
                    inst.address
                ),
            );
            return;
        }
    }
    let address = format!(
        "{}.cluster_autoscaling.auto_provisioning_defaults",
        inst.address
    );
    let Some(d) = ca.block("auto_provisioning_defaults") else {
        unresolved(
            model,
            ca.span.clone().unwrap_or_else(|| inst.header.clone()),
            format!(
                "{address}: no auto_provisioning_defaults, so the scopes of auto-provisioned node pools are not known"
            ),
        );
        return;
    };
    let mut account = attached(
        inst.project.as_deref(),
        d,
        "service_account",
        "oauth_scopes",
        &address,
    );
    if let Account::Attached { scopes, .. } = &mut account {
        // What GKE gives auto-provisioned pools without oauth_scopes is not sourced.
        if scopes.items.is_empty() {
            scopes.complete = false;
            unresolved(
                model,
                d.span.clone().unwrap_or_else(|| inst.header.clone()),
                format!(
                    "{address}: oauth_scopes is not set, so the scopes of auto-provisioned node pools are not known"
                ),
            );
        }
        scopes.workload_identity = wi;
    }
    model
        .workloads
        .push(workload(inst, address, Some(d), account));
}

/// Dataproc's own scopes, added to those a cluster names (`given`) or to none.
fn with_dataproc_scopes(mut account: Account, given: bool) -> Account {
    if let Account::Attached { scopes, .. } = &mut account
        && let Some(d) = Knowledge::get()
            .ok()
            .and_then(|kb| kb.scopes.dataproc.as_ref())
    {
        if !given {
            scopes.complete = true;
            scopes.defaulted = Some("the scopes Dataproc gives cluster VMs".to_string());
        }
        for s in d.added(given) {
            scopes.items.push(ScopeItem {
                raw: format!("{SCOPE_PREFIX}{s}").into(),
                loc: None,
            });
        }
    }
    account
}

/// The account of a Dataproc cluster `config` block (`gce_cluster_config`).
fn dataproc_account(inst: &ResourceInst, config: Option<&Obj>, address: &str) -> Account {
    let gce = config.and_then(|c| c.block("gce_cluster_config"));
    let unknown = config.is_some_and(|c| c.unknown_block("gce_cluster_config").is_some())
        || (gce.is_none() && inst.body.absent_is_unknown);
    if unknown {
        return Account::Unknown;
    }
    let key = "service_account_scopes";
    let (account, given) = match gce {
        Some(g) => (
            attached(inst.project.as_deref(), g, "service_account", key, address),
            !names_no_scopes(g, key),
        ),
        None => (default_account(inst, Scopes::default()), false),
    };
    with_dataproc_scopes(account, given)
}

fn dataproc_cluster(inst: &ResourceInst, model: &mut Model) {
    let config = inst.body.block("cluster_config");
    let account = dataproc_account(inst, config, &inst.address);
    let block = config.and_then(|c| c.block("gce_cluster_config"));
    model
        .workloads
        .push(workload(inst, inst.address.clone(), block, account));
}

/// A workflow template's managed cluster (a template that selects an existing
/// cluster creates none).
fn dataproc_template(inst: &ResourceInst, model: &mut Model) {
    let Some(placement) = inst.body.block("placement") else {
        return;
    };
    let Some(managed) = placement.block("managed_cluster") else {
        return;
    };
    let address = format!("{}.placement.managed_cluster", inst.address);
    let config = managed.block("config");
    let account = dataproc_account(inst, config, &address);
    let block = config.and_then(|c| c.block("gce_cluster_config"));
    let mut w = workload(inst, address, block, account);
    if let Some(n) = managed.string("cluster_name") {
        w.name = n;
    }
    model.workloads.push(w);
}

/// `service_account { email, scope }`: no scope means every Cloud API.
fn tpu_vm(inst: &ResourceInst, model: &mut Model) -> Workload {
    let sa = inst.body.block("service_account");
    let account = match sa {
        Some(sa) => attached_or_default(
            inst,
            sa,
            ("email", "scope"),
            &inst.address,
            (
                "google_tpu_v2_vm",
                "the TPU API's default for a service_account without scope",
            ),
        ),
        None => {
            unresolved(
                model,
                inst.header.clone(),
                format!(
                    "{}: no service_account block, so the TPU VM's account and scopes are not known",
                    inst.address
                ),
            );
            Account::Unknown
        }
    };
    workload(inst, inst.address.clone(), sa, account)
}

/// Which Composer major version an `image_version` names, when known.
fn composer_major(image_version: &str) -> Option<u32> {
    let rest = image_version.strip_prefix("composer-")?;
    if rest.starts_with("latest") {
        // The latest version is never Composer 1, which can no longer be created.
        return Some(u32::MAX);
    }
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// A Composer 1 environment's nodes (`config.node_config`); Composer 2 and 3
/// take no scopes, so they are no workload.
fn composer(inst: &ResourceInst, model: &mut Model) {
    let config = inst.body.block("config");
    let version = config
        .and_then(|c| c.block("software_config"))
        .and_then(|s| s.get("image_version"));
    let major = version
        .as_ref()
        .and_then(|f| f.val.as_str())
        .and_then(composer_major);
    match major {
        Some(1) => {}
        Some(_) => return,
        None => {
            let at = version
                .and_then(|f| f.at)
                .unwrap_or_else(|| inst.header.clone());
            unresolved(
                model,
                at,
                format!(
                    "{}: the Composer version is not known, so whether its nodes take scopes (Composer 1) is not known",
                    inst.address
                ),
            );
            return;
        }
    }
    let nc = config.and_then(|c| c.block("node_config"));
    let why = "Composer's default for node_config without oauth_scopes";
    let account = match nc {
        Some(nc) => attached_or_default(
            inst,
            nc,
            ("service_account", "oauth_scopes"),
            &inst.address,
            ("google_composer_environment_v1", why),
        ),
        None if inst.body.absent_is_unknown => Account::Unknown,
        None => default_account(inst, service_default("google_composer_environment_v1", why)),
    };
    model
        .workloads
        .push(workload(inst, inst.address.clone(), nc, account));
}

#[cfg(test)]
mod tests {
    use super::composer_major;

    #[test]
    fn composer_versions() {
        assert_eq!(composer_major("composer-1.20.12-airflow-1.10.15"), Some(1));
        assert_eq!(composer_major("composer-2.9.7-airflow-2.9.3"), Some(2));
        assert_eq!(composer_major("composer-3-airflow-2.10.2"), Some(3));
        assert_eq!(composer_major("composer-latest-airflow-2"), Some(u32::MAX));
        assert_eq!(composer_major("airflow-2"), None);
        assert_eq!(composer_major("composer-x"), None);
    }
}
