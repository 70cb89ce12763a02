//! Workloads from running estates: `gcloud compute instances list --format=json`
//! (VMs) and `gcloud container node-pools list --format=json` (GKE nodes).

use super::json::{Node, last_segment, segment_after};
use super::unit::unit_of;
use crate::model::{
    Account, Dialect, Identity, Model, Project, ScopeItem, Scopes, Unresolved, Workload,
    WorkloadIdentity,
};
use std::sync::Arc;

/// The resource types findings name, as Cloud Asset Inventory spells them.
pub use crate::model::{INSTANCE_ASSET as INSTANCE_KIND, NODE_POOL_ASSET as NODE_POOL_KIND};

/// A VM's state as the export records it, for the fix script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub address: String,
    pub status: String,
}

/// Adds every instance of an instances list to `model`; returns their states.
pub fn instances(root: Node<'_, '_>, model: &mut Model) -> Vec<Running> {
    let mut states = Vec::new();
    for record in root.items() {
        let Some(w) = instance(record, model) else {
            continue;
        };
        states.push(Running {
            address: w.address.clone(),
            status: record.str_at(&["status"]).unwrap_or("").to_string(),
        });
        model.workloads.push(w);
    }
    states
}

pub fn instance(record: Node<'_, '_>, model: &mut Model) -> Option<Workload> {
    let (Some(name), Some(zone_url)) = (record.str_at(&["name"]), record.str_at(&["zone"])) else {
        model.unresolved.push(Unresolved {
            loc: record.loc(),
            what: "an instance record without `name` and `zone` is not read".to_string(),
        });
        return None;
    };
    let zone = last_segment(zone_url).unwrap_or(zone_url).to_string();
    let project = record
        .str_at(&["selfLink"])
        .and_then(|l| segment_after(l, "projects"))
        .or_else(|| segment_after(zone_url, "projects"))
        .map(str::to_string);
    let address = format!(
        "projects/{}/zones/{zone}/instances/{name}",
        project.as_deref().unwrap_or("-")
    );
    let accounts = record.get("serviceAccounts");
    let account = match accounts.as_ref().and_then(|a| a.items().first().copied()) {
        None => Account::None,
        Some(sa) => attached(sa, "email", "scopes", project.as_deref(), model),
    };
    Some(Workload {
        kind: INSTANCE_KIND.to_string(),
        address,
        name: name.to_string(),
        zone: Some(zone),
        unit: unit_of(project.as_deref()),
        stop_to_update: crate::model::StopToUpdate::Unknown,
        project,
        module: String::new(),
        block: record.loc(),
        account_block: accounts.map(|a| a.loc()),
        account,
        is_instance: true,
        startup: Vec::new(),
    })
}

/// Adds every node pool of a node-pools list to `model`.
pub fn node_pools(root: Node<'_, '_>, model: &mut Model) {
    for record in root.items() {
        let link = record.str_at(&["selfLink"]).unwrap_or("").to_string();
        node_pool(record, &link, model);
    }
}

/// Adds one node pool; `link` is its resource path or URL (`.../projects/P/locations/L/clusters/C/nodePools/NP`).
pub fn node_pool(record: Node<'_, '_>, link: &str, model: &mut Model) {
    let Some(name) = record.str_at(&["name"]) else {
        model.unresolved.push(Unresolved {
            loc: record.loc(),
            what: "a node pool record without `name` is not read".to_string(),
        });
        return;
    };
    let project = segment_after(link, "projects").map(str::to_string);
    let location = segment_after(link, "locations").or_else(|| segment_after(link, "zones"));
    let cluster = segment_after(link, "clusters");
    let address = format!(
        "projects/{}/locations/{}/clusters/{}/nodePools/{name}",
        project.as_deref().unwrap_or("-"),
        location.unwrap_or("-"),
        cluster.unwrap_or("-"),
    );
    let config = record.get("config");
    let mut account = match config {
        Some(c) => attached(
            c,
            "serviceAccount",
            "oauthScopes",
            project.as_deref(),
            model,
        ),
        None => Account::Unknown,
    };
    if let Account::Attached { scopes, .. } = &mut account {
        // GKE_METADATA: pods take their own Kubernetes account's token. The
        // export omits the mode when nothing was set; whether the cluster
        // turned it on is then not in this record.
        scopes.workload_identity =
            match record.str_at(&["config", "workloadMetadataConfig", "mode"]) {
                Some("GKE_METADATA") => WorkloadIdentity::On,
                Some("GCE_METADATA") => WorkloadIdentity::Off,
                _ => WorkloadIdentity::Unknown,
            };
    }
    model.workloads.push(Workload {
        kind: NODE_POOL_KIND.to_string(),
        address,
        name: name.to_string(),
        zone: location.map(str::to_string),
        unit: unit_of(project.as_deref()),
        stop_to_update: crate::model::StopToUpdate::Unknown,
        project,
        module: String::new(),
        block: record.loc(),
        account_block: config.map(|c| c.loc()),
        account,
        is_instance: false,
        startup: Vec::new(),
    });
}

/// The account and scopes of one `serviceAccounts[]` entry or node `config`.
/// The export holds what the API returned: full scope URLs, never defaults to infer.
/// A scope the workload read before this one (in `model`) also has is
/// shared with it: an export repeats a few scope URLs on every VM.
fn attached(
    holder: Node<'_, '_>,
    email_key: &str,
    scopes_key: &str,
    project: Option<&str>,
    model: &Model,
) -> Account {
    let before = match model.workloads.last().map(|w| &w.account) {
        Some(Account::Attached { scopes, .. }) => scopes.items.as_slice(),
        _ => &[],
    };
    let Some(email) = holder.get(email_key).filter(|e| e.as_str().is_some()) else {
        return Account::Unknown;
    };
    let identity = match email.as_str().unwrap_or("") {
        // Node pools name the project's default account as `default`.
        "default" => Identity::DefaultCompute(project.and_then(Project::id)),
        literal => Identity::from_email(literal),
    };
    let list = holder.get(scopes_key);
    let items = list.map(|l| l.items()).unwrap_or_default();
    // Sized once: an export holds a scopes list for every VM.
    let mut known = Vec::with_capacity(items.len());
    known.extend(items.iter().filter_map(|i| {
        i.as_str().map(|raw| ScopeItem {
            raw: before
                .iter()
                .find(|b| &*b.raw == raw)
                .map_or_else(|| raw.into(), |b| Arc::clone(&b.raw)),
            loc: Some(i.loc()),
        })
    }));
    let scopes = Scopes {
        items: known,
        complete: items.iter().all(|i| i.as_str().is_some()),
        at: Some(list.map_or_else(|| holder.loc(), |l| l.loc())),
        // What runs is changed with gcloud, so advice is written for it.
        dialect: Dialect::Gcloud,
        ..Scopes::default()
    };
    Account::Attached {
        identity,
        identity_at: Some(email.loc()),
        scopes,
    }
}
