//! Cloud Asset Inventory exports: one JSON asset per line, as
//! `gcloud asset export --content-type=resource` and `--content-type=iam-policy`
//! write them (field names in either case: `assetType` or `asset_type`).
//! Lines are parsed one at a time, and only those of the asset types read.

use super::instances::{self, Running};
use super::json::{Node, segment_after};
use super::policies;
use super::unit::unit_of;
use crate::model::{EnabledApi, Model, Project};
use crate::source::{FileId, Loc};
use std::collections::HashMap;

/// The asset types read, and the IAM policy of any resource.
const READ: [&str; 4] = [
    "compute.googleapis.com/Instance",
    "container.googleapis.com/NodePool",
    "serviceusage.googleapis.com/Service",
    "cloudresourcemanager.googleapis.com/Project",
];

/// A line that could not be parsed: its number, column and why.
pub type LineError = (usize, usize, String);

/// Reads every asset of an export into `model`; returns the VMs' states and the lines in error.
pub fn read(text: &str, file: FileId, model: &mut Model) -> (Vec<Running>, Vec<LineError>) {
    let mut running = Vec::new();
    let mut errors = Vec::new();
    // Services and policies name projects by number; Project assets give their IDs.
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut services: Vec<(String, Loc, Option<String>)> = Vec::new();
    // Lines holding an IAM policy, kept parsed for after the first pass.
    let mut with_policy = Vec::new();
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let relevant = READ.iter().any(|t| line.contains(t))
            || line.contains("\"iamPolicy\"")
            || line.contains("\"iam_policy\"");
        if line.trim().is_empty() || !relevant {
            continue;
        }
        let value = match crate::terraform::json::parse_value(line) {
            Ok(v) => v,
            Err(e) => {
                errors.push((index + 1, e.column, format!("cannot parse: {}", e.message)));
                continue;
            }
        };
        let asset = Node::at_offset(&value, file, start);
        let kind = asset
            .str_at(&["assetType"])
            .or_else(|| asset.str_at(&["asset_type"]))
            .unwrap_or("");
        let name = asset.str_at(&["name"]).unwrap_or("");
        let data = asset.at(&["resource", "data"]);
        match (kind, data) {
            ("compute.googleapis.com/Instance", Some(data)) => {
                if let Some(w) = instances::instance(data, model) {
                    running.push(Running {
                        address: w.address.clone(),
                        status: data.str_at(&["status"]).unwrap_or("").to_string(),
                    });
                    model.workloads.push(w);
                }
            }
            ("container.googleapis.com/NodePool", Some(data)) => {
                let link = data.str_at(&["selfLink"]).unwrap_or(name).to_string();
                instances::node_pool(data, &link, model);
            }
            ("serviceusage.googleapis.com/Service", Some(data)) => {
                let enabled = data.str_at(&["state"]).is_none_or(|s| s == "ENABLED");
                let service = data
                    .str_at(&["config", "name"])
                    .or_else(|| segment_after(name, "services"));
                if let (true, Some(service)) = (enabled, service) {
                    let number = segment_after(name, "projects").map(str::to_string);
                    services.push((service.to_string(), data.loc(), number));
                }
            }
            ("cloudresourcemanager.googleapis.com/Project", Some(data)) => {
                let number = data.str_at(&["projectNumber"]);
                if let (Some(n), Some(id)) = (number, data.str_at(&["projectId"])) {
                    ids.insert(n.to_string(), id.to_string());
                }
            }
            _ => {}
        }
        if asset
            .get("iamPolicy")
            .or_else(|| asset.get("iam_policy"))
            .is_some()
        {
            with_policy.push((value, start));
        }
    }
    // Policies last, once every Project asset has told its ID.
    for (value, start) in &with_policy {
        let asset = Node::at_offset(value, file, *start);
        let Some(policy) = asset.get("iamPolicy").or_else(|| asset.get("iam_policy")) else {
            continue;
        };
        let name = asset.str_at(&["name"]).unwrap_or("");
        let holder = name
            .strip_prefix("//cloudresourcemanager.googleapis.com/")
            .unwrap_or(name);
        let project =
            segment_after(holder, "projects").map(|p| ids.get(p).map_or(p, String::as_str));
        policies::iam_policy(policy, holder, project, model);
    }
    for (service, loc, number) in services {
        let id = number.as_ref().and_then(|n| ids.get(n));
        model.enabled_apis.push(EnabledApi {
            service,
            loc,
            unit: unit_of(id.or(number.as_ref()).map(String::as_str)),
            project: match (id, number) {
                (Some(id), _) => Project::id(id),
                (None, n) => n.map(Project::Number),
            },
        });
    }
    (running, errors)
}
