//! Which API methods a role's permissions let it call: the bridge from iam-dataset's
//! `includedPermissions` to the methods, hence to the scopes those methods accept.
//!
//! iam-dataset `map.json` lists, per method, the permissions it may check, conditional ones
//! included (`storage.objects.get` lists `getIamPolicy`, needed only for ACL projections). So a
//! method is reached by its *own* permission, the one named like it (`storage.objects.patch` by
//! `storage.objects.update`), and a method with no own permission only by a role holding all it
//! lists (`storage.objectAccessControls.get` needs `getIamPolicy` as well). A permission that
//! `map.json` does not mention reaches the methods named like it, in its own API first, else in
//! the one API that has such methods (`bigquery.dataPolicies.create` is
//! `bigquerydatapolicy...dataPolicies.create`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::Result;
use crate::apis::ApiTable;
use crate::inputs::Overrides;

/// The verbs of the methods a permission verb stands for.
fn method_verbs(permission_verb: &str) -> &[&str] {
    match permission_verb {
        "create" => &["create", "insert"],
        "update" => &["update", "patch"],
        _ => &[],
    }
}

fn verb_matches(permission_verb: &str, method_verb: &str) -> bool {
    permission_verb == method_verb || method_verbs(permission_verb).contains(&method_verb)
}

/// `(resource, verb)`: the last two parts of a dotted name.
fn tail(name: &str) -> Option<(&str, &str)> {
    let mut parts = name.rsplit('.');
    let verb = parts.next()?;
    let resource = parts.next()?;
    Some((resource, verb))
}

pub struct Reach {
    /// permission -> methods it is the own permission of
    own: BTreeMap<String, BTreeSet<String>>,
    /// methods without an own permission, with every permission they list
    all_of: Vec<(String, Vec<String>)>,
    /// permissions map.json mentions at all
    mapped: BTreeSet<String>,
    /// (resource, verb) -> method ids of the API table, for permissions map.json lacks
    by_name: BTreeMap<(String, String), BTreeSet<String>>,
    /// method id -> apis key
    pub method_api: BTreeMap<String, String>,
}

impl Reach {
    pub fn new(map: &Value, table: &ApiTable, ov: &Overrides) -> Result<Self> {
        let mut method_api = BTreeMap::new();
        let mut by_name: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for (key, api) in &table.apis {
            if api.grpc {
                continue;
            }
            for m in &api.methods {
                method_api.insert(m.id.clone(), key.clone());
                if let Some((res, verb)) = tail(&m.id) {
                    by_name
                        .entry((res.to_string(), verb.to_string()))
                        .or_default()
                        .insert(m.id.clone());
                }
            }
        }
        let mut own: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut all_of = Vec::new();
        let mut mapped = BTreeSet::new();
        let apis = map.get("api").and_then(Value::as_object);
        for api in apis.into_iter().flat_map(|a| a.values()) {
            let Some(methods) = api.get("methods").and_then(Value::as_object) else {
                continue;
            };
            for (id, m) in methods {
                let perms: Vec<String> = m
                    .get("permissions")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| p.get("name").and_then(Value::as_str))
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                if perms.is_empty() || !method_api.contains_key(id) {
                    continue;
                }
                mapped.extend(perms.iter().cloned());
                let mine: Vec<&String> = match tail(id) {
                    Some((res, verb)) => perms
                        .iter()
                        .filter(|p| tail(p).is_some_and(|(r, v)| r == res && verb_matches(v, verb)))
                        .collect(),
                    None => Vec::new(),
                };
                if mine.is_empty() {
                    all_of.push((id.clone(), perms));
                } else {
                    for p in mine {
                        own.entry(p.clone()).or_default().insert(id.clone());
                    }
                }
            }
        }
        // Curated: methods map.json does not list for a permission (overrides.yaml).
        for (p, pm) in &ov.permission_methods {
            for id in &pm.methods {
                if !method_api.contains_key(id) {
                    return Err(format!(
                        "overrides permission_methods.{p}: no discovery method {id}"
                    )
                    .into());
                }
                own.entry(p.clone()).or_default().insert(id.clone());
            }
            mapped.insert(p.clone());
        }
        Ok(Reach {
            own,
            all_of,
            mapped,
            by_name,
            method_api,
        })
    }

    /// The methods named like a permission map.json does not mention: in the permission's own
    /// API (its prefix is the method id's first part), else in the only API that has any.
    fn by_name(&self, permission: &str) -> BTreeSet<String> {
        let (found, own) = self.named_like(permission);
        if !own.is_empty() {
            return own;
        }
        let apis: BTreeSet<&String> = found
            .iter()
            .filter_map(|id| self.method_api.get(id))
            .collect();
        if apis.len() == 1 {
            found
        } else {
            BTreeSet::new()
        }
    }

    /// The methods named like a permission (every API's, and its own API's).
    fn named_like(&self, permission: &str) -> (BTreeSet<String>, BTreeSet<String>) {
        let Some((res, verb)) = tail(permission) else {
            return (BTreeSet::new(), BTreeSet::new());
        };
        let prefix = permission.split('.').next().unwrap_or_default();
        let mut found: BTreeSet<String> = BTreeSet::new();
        for ((r, v), ids) in self.by_name.range((res.to_string(), String::new())..) {
            if r != res {
                break;
            }
            if verb_matches(verb, v) {
                found.extend(ids.iter().cloned());
            }
        }
        let own: BTreeSet<String> = found
            .iter()
            .filter(|id| id.split('.').next() == Some(prefix))
            .cloned()
            .collect();
        (found, own)
    }

    /// Like [`Reach::alone`], but a permission map.json does not mention
    /// reaches only methods of its own API: a guess across APIs by name
    /// (`bigquery.models.export` for Vertex AI's `models.export`) is not made.
    pub fn alone_in_own_api(&self, permission: &str) -> BTreeSet<String> {
        match self.own.get(permission) {
            Some(ms) => ms.clone(),
            None if !self.mapped.contains(permission) => self.named_like(permission).1,
            None => BTreeSet::new(),
        }
    }

    /// The methods one permission reaches by itself: those it is the own permission of, or,
    /// when map.json does not mention it, those named like it.
    pub fn alone(&self, permission: &str) -> BTreeSet<String> {
        match self.own.get(permission) {
            Some(ms) => ms.clone(),
            None if !self.mapped.contains(permission) => self.by_name(permission),
            None => BTreeSet::new(),
        }
    }

    /// The methods without an own permission, each with every permission it needs.
    pub fn all_of(&self) -> &[(String, Vec<String>)] {
        &self.all_of
    }

    /// The permissions map.json (or a curated entry) mentions.
    pub fn mapped(&self) -> &BTreeSet<String> {
        &self.mapped
    }

    /// Every method the permissions reach.
    pub fn methods(&self, permissions: &BTreeSet<String>) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for p in permissions {
            out.extend(self.alone(p));
        }
        for (id, perms) in &self.all_of {
            if perms.iter().all(|p| permissions.contains(p)) {
                out.insert(id.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs() {
        assert!(verb_matches("create", "insert"));
        assert!(verb_matches("update", "patch"));
        assert!(verb_matches("get", "get"));
        assert!(!verb_matches("get", "getIamPolicy"));
        assert_eq!(tail("storage.objects.get"), Some(("objects", "get")));
    }
}
