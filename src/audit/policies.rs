//! Grants and enabled APIs from running estates: `gcloud projects
//! get-iam-policy PROJECT --format=json` (also folders' and organisations'),
//! and `gcloud services list --enabled --format=json`.

use super::json::{Node, segment_after};
use super::unit::unit_of;
use crate::model::{EnabledApi, Grant, Identity, Model, Project, Unresolved};

/// Adds the service-account members of every binding of a policy to `model`.
/// `holder` names the resource the policy is set on (`projects/my-app`).
pub fn iam_policy(root: Node<'_, '_>, holder: &str, project: Option<&str>, model: &mut Model) {
    let unit = unit_of(project);
    let bindings = root.get("bindings").map(|b| b.items()).unwrap_or_default();
    for binding in bindings {
        let Some(role) = binding.str_at(&["role"]) else {
            continue;
        };
        if let Some(condition) = binding.get("condition") {
            // When the condition holds is not known here: counting the role
            // could report a workload that never holds it.
            model.unresolved.push(Unresolved {
                loc: condition.loc(),
                what: format!(
                    "the binding of {role} has a condition, so it is not counted as a grant"
                ),
            });
            continue;
        }
        for member in binding
            .get("members")
            .map(|m| m.items())
            .unwrap_or_default()
        {
            let Some(identity) = member.as_str().and_then(Identity::from_member) else {
                continue;
            };
            model.grants.push(Grant {
                role: role.to_string(),
                member: identity,
                address: format!("{holder} IAM policy"),
                loc: member.loc(),
                unit: unit.clone(),
            });
        }
    }
}

/// Adds every enabled service of a services list to `model`. Each record
/// names its project by number (`projects/123/services/...`); `project`, when
/// given, names it by ID, which is how workloads name theirs.
pub fn services(root: Node<'_, '_>, project: Option<&str>, model: &mut Model) {
    for record in root.items() {
        if record.str_at(&["state"]).is_some_and(|s| s != "ENABLED") {
            continue;
        }
        let name = record.str_at(&["name"]);
        let Some(service) = record
            .str_at(&["config", "name"])
            .or_else(|| name.and_then(|n| segment_after(n, "services")))
        else {
            continue;
        };
        let number = name.and_then(|n| segment_after(n, "projects"));
        let owner = match project {
            Some(id) => Project::id(id),
            None => number.map(|n| Project::Number(n.to_string())),
        };
        model.enabled_apis.push(EnabledApi {
            service: service.to_string(),
            loc: record.loc(),
            unit: unit_of(project.or(number)),
            project: owner,
        });
    }
}
