//! `rules/permissions.json`: which API methods each IAM permission lets a caller use, and the
//! scopes those methods accept, so scopelint can judge a custom role by the permissions its
//! definition lists, by the same reasoning as the predefined roles (see [`crate::reach`]).
//!
//! A method reached by a permission alone is listed under the permission; a method that needs
//! several permissions together (no own permission) is listed under `all_of` with all of them.
//! A permission map.json does not mention reaches the methods named like it in its own API only.
//! The permissions of the roles whose use is curated in `overrides.yaml` (`role_uses`) are listed
//! (`curated_roles`): a custom role copying one is judged as it is, and one that holds some of
//! their permissions is judged by its methods only where they name the same APIs.
//! Permissions that never pull a service into a role (incidental reads of the project and its
//! services) are listed apart, with why, so a custom role holding them is not judged on them.
//! Permissions checked without an API call of the holder's own (`actAs`, invoking with an ID
//! token, receiving events) reach no method, so they add nothing either.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::apis::ApiTable;
use crate::discovery::{Class, Method};
use crate::inputs::Overrides;
use crate::permissions::{self, RawRoles};
use crate::reach::Reach;

/// The `permissions.json` document (without its header).
pub fn table(raw: &RawRoles, reach: &Reach, table: &ApiTable, ov: &Overrides) -> Value {
    let methods: BTreeMap<&str, &Method> = table
        .apis
        .values()
        .filter(|a| !a.grpc)
        .flat_map(|a| a.methods.iter().map(|m| (m.id.as_str(), m)))
        .collect();

    let mut all: BTreeSet<&str> = raw
        .values()
        .flat_map(|r| r.included_permissions.iter().map(String::as_str))
        .collect();
    all.extend(reach.mapped().iter().map(String::as_str));

    let mut not_judged = Map::new();
    for p in &all {
        if permissions::kind(p).is_none() {
            not_judged.insert(
                p.to_string(),
                json!("checked around almost every call (reading the project or its services), so it says nothing about the API a role is for"),
            );
        }
    }
    let mut used: BTreeSet<&str> = BTreeSet::new();
    let mut by_permission = Map::new();
    for p in &all {
        if not_judged.contains_key(*p) {
            continue;
        }
        let reached: Vec<&str> = reach
            .alone_in_own_api(p)
            .iter()
            .filter_map(|id| methods.get_key_value(id.as_str()).map(|(k, _)| *k))
            .collect();
        used.extend(&reached);
        by_permission.insert(p.to_string(), json!(reached));
    }
    let mut all_of = Vec::new();
    for (id, perms) in reach.all_of() {
        let Some((id, _)) = methods.get_key_value(id.as_str()) else {
            continue;
        };
        if perms.iter().any(|p| not_judged.contains_key(p)) {
            continue;
        }
        used.insert(id);
        all_of.push(json!({"method": id, "permissions": perms}));
    }

    // Scope sets are shared by many methods: each is written once and named by its index.
    let mut sets: Vec<&BTreeSet<String>> = Vec::new();
    let mut set_index: BTreeMap<&BTreeSet<String>, usize> = BTreeMap::new();
    let mut method_rows = Map::new();
    for id in &used {
        let (Some(m), Some(api)) = (methods.get(id), reach.method_api.get(*id)) else {
            continue;
        };
        let next = sets.len();
        let index = *set_index.entry(&m.scopes).or_insert(next);
        if index == next {
            sets.push(&m.scopes);
        }
        let class = match m.class() {
            Class::Read => "read",
            Class::Write => "write",
        };
        method_rows.insert(id.to_string(), json!(format!("{api} {class} {index}")));
    }
    // Roles whose use is curated (overrides.yaml role_uses) because their
    // methods do not tell it (Docker pulls through Artifact Registry, a
    // publisher that needs only the pubsub scope): a custom role within one of
    // them is judged as it is.
    let mut curated = Map::new();
    for role in ov.role_uses.keys() {
        let Some(r) = raw.get(role) else { continue };
        let perms: BTreeSet<&str> = r
            .included_permissions
            .iter()
            .map(String::as_str)
            .filter(|p| permissions::kind(p).is_some())
            .collect();
        curated.insert(role.clone(), json!(perms));
    }
    json!({
        "curated_roles": curated,
        "scope_sets": sets,
        "methods": method_rows,
        "permissions": by_permission,
        "all_of": all_of,
        "not_judged": not_judged,
    })
}
