//! Judging a role by the permissions it lists: a custom role defined in the
//! scanned configuration is judged as the predefined roles are, by the API
//! methods its own permissions let it call and the scopes those methods
//! accept (`rules/permissions.json`, generated from iam-dataset's role
//! permissions and method → permission map and the discovery documents).
//!
//! A permission the table does not know (a typo, or newer than the table)
//! and one that reaches no method with known scopes adds nothing: the role is
//! judged on the rest, and the role's note says what was left out.

use crate::knowledge::{Access, MethodClass, Partial, Role, RoleClass, RoleUse};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

/// Methods named in a partial scope's `fails`, as the generated roles name them.
const MAX_FAILS: usize = 5;

#[derive(Debug, Deserialize)]
struct AllOf {
    method: String,
    permissions: Vec<String>,
}

/// `rules/permissions.json`.
#[derive(Debug, Deserialize)]
struct Table {
    scope_sets: Vec<Vec<String>>,
    /// method id → "API CLASS SET-INDEX"
    methods: HashMap<String, String>,
    /// permission → the methods it reaches by itself
    permissions: HashMap<String, Vec<String>>,
    all_of: Vec<AllOf>,
    /// permission → why it is not judged
    not_judged: HashMap<String, String>,
}

fn table() -> Option<&'static Table> {
    static TABLE: OnceLock<Option<Table>> = OnceLock::new();
    TABLE
        .get_or_init(|| serde_json::from_str(include_str!("../rules/permissions.json")).ok())
        .as_ref()
}

/// One method a role can call.
struct Method<'t> {
    id: &'t str,
    access: Access,
    scopes: &'t [String],
}

impl Table {
    fn method(&self, id: &str) -> Option<(&str, Method<'_>)> {
        let (key, row) = self.methods.get_key_value(id)?;
        let mut parts = row.split(' ');
        let api = parts.next()?;
        let access = match parts.next()? {
            "read" => Access::Read,
            _ => Access::Write,
        };
        let scopes = self.scope_sets.get(parts.next()?.parse::<usize>().ok()?)?;
        Some((
            api,
            Method {
                id: key,
                access,
                scopes,
            },
        ))
    }
}

/// A role judged from its permissions, with what its judgement leaves out.
#[derive(Debug, Clone)]
pub struct Judged {
    pub role: Role,
    /// Permissions the table does not know.
    pub unknown: Vec<String>,
}

/// The role whose definition lists `permissions`, judged by the methods they
/// reach. `source` says where the definition is; it becomes the role's source.
pub fn judge_role(name: &str, permissions: &[String], source: &str) -> Option<Judged> {
    let table = table()?;
    let held: BTreeSet<&str> = permissions.iter().map(|p| p.trim()).collect();
    let mut unknown = Vec::new();
    let mut not_judged = 0;
    let mut reached: BTreeSet<&str> = BTreeSet::new();
    // Permissions that reach a method with others (a method with no own permission).
    let mut joined: BTreeSet<&str> = BTreeSet::new();
    for a in &table.all_of {
        if a.permissions.iter().all(|p| held.contains(p.as_str())) {
            reached.insert(&a.method);
            joined.extend(a.permissions.iter().map(String::as_str));
        }
    }
    let mut unreached = 0;
    for p in &held {
        if table.not_judged.contains_key(*p) {
            not_judged += 1;
            continue;
        }
        match table.permissions.get(*p) {
            None => unknown.push(p.to_string()),
            Some(ms) if ms.is_empty() && !joined.contains(p) => unreached += 1,
            Some(ms) => reached.extend(ms.iter().map(String::as_str)),
        }
    }
    let mut by_api: BTreeMap<&str, Vec<Method<'_>>> = BTreeMap::new();
    for id in reached {
        if let Some((api, m)) = table.method(id) {
            by_api.entry(api).or_default().push(m);
        }
    }
    let mut uses = Vec::new();
    let mut no_common = Vec::new();
    for (api, methods) in &by_api {
        match role_use(api, methods) {
            Some(u) => uses.push(u),
            None => no_common.push(*api),
        }
    }
    let mut left_out = Vec::new();
    if !unknown.is_empty() {
        left_out.push(format!(
            "{} permission{} not in the knowledge base ({})",
            unknown.len(),
            plural(unknown.len()),
            unknown.join(", ")
        ));
    }
    if unreached > 0 {
        left_out.push(format!(
            "{unreached} permission{} that reach{} no API method with known scopes",
            plural(unreached),
            if unreached == 1 { "es" } else { "" }
        ));
    }
    if not_judged > 0 {
        left_out.push(format!(
            "{not_judged} incidental permission{} (reading the project or its services)",
            plural(not_judged)
        ));
    }
    if !no_common.is_empty() {
        left_out.push(format!(
            "its use of {} (no scope is accepted by every method it reaches)",
            no_common.join(", ")
        ));
    }
    let class = if uses.is_empty() {
        RoleClass::Unmapped
    } else {
        RoleClass::Api
    };
    Some(Judged {
        role: Role {
            title: name.to_string(),
            stage: String::new(),
            class,
            uses,
            source: source.to_string(),
            note: (!left_out.is_empty()).then(|| format!("Not judged: {}.", left_out.join("; "))),
        },
        unknown,
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One API's use by the methods reached in it: its classes are those
/// methods' classes, and any scope every one of them accepts satisfies it.
fn role_use(api: &str, methods: &[Method<'_>]) -> Option<RoleUse> {
    let of = |access: Access| -> Vec<&Method<'_>> {
        methods.iter().filter(|m| m.access == access).collect()
    };
    let read = class_of(&of(Access::Read));
    let write = class_of(&of(Access::Write));
    let mut every: BTreeSet<&String> = if read.methods == 0 {
        write.all.iter().collect()
    } else {
        read.all.iter().collect()
    };
    if read.methods > 0 && write.methods > 0 {
        every.retain(|s| write.all.contains(s));
    }
    if every.is_empty() {
        return None;
    }
    Some(RoleUse {
        api: api.to_string(),
        access: if write.methods > 0 {
            Access::Write
        } else {
            Access::Read
        },
        needs_any_of: every.into_iter().cloned().collect(),
        read: Some(read),
        write: Some(write),
    })
}

/// The scopes every method of a class accepts, and those only some accept
/// (with how many and which fail).
fn class_of(methods: &[&Method<'_>]) -> MethodClass {
    let Some(first) = methods.first() else {
        return MethodClass::default();
    };
    let mut all: BTreeSet<&String> = first.scopes.iter().collect();
    let mut union: BTreeSet<&String> = BTreeSet::new();
    for m in methods {
        all.retain(|s| m.scopes.contains(s));
        union.extend(m.scopes);
    }
    let mut some = BTreeMap::new();
    for s in union.difference(&all) {
        let mut fails: Vec<String> = methods
            .iter()
            .filter(|m| !m.scopes.contains(s))
            .map(|m| m.id.to_string())
            .collect();
        let covers = methods.len() - fails.len();
        fails.sort();
        fails.truncate(MAX_FAILS);
        some.insert(
            (*s).clone(),
            Partial {
                covers: u32::try_from(covers).unwrap_or(u32::MAX),
                fails,
            },
        );
    }
    MethodClass {
        methods: u32::try_from(methods.len()).unwrap_or(u32::MAX),
        all: all.into_iter().cloned().collect(),
        some,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn perms(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn publishing_needs_pubsub_or_cloud_platform() {
        let j = judge_role(
            "projects/p/roles/publisher",
            &perms(&["pubsub.topics.publish", "resourcemanager.projects.get"]),
            "test",
        )
        .unwrap();
        assert_eq!(j.role.class, RoleClass::Api);
        let [u] = &j.role.uses[..] else {
            panic!("{:?}", j.role.uses)
        };
        assert_eq!(u.api, "pubsub.googleapis.com");
        assert_eq!(u.access, Access::Write);
        assert_eq!(u.needs_any_of, ["cloud-platform", "pubsub"]);
        assert!(j.role.note.as_deref().unwrap().contains("1 incidental"));
    }

    #[test]
    fn reading_secrets_is_a_read_of_secret_manager() {
        let j = judge_role(
            "projects/p/roles/reader",
            &perms(&["secretmanager.versions.access"]),
            "test",
        )
        .unwrap();
        let [u] = &j.role.uses[..] else {
            panic!("{:?}", j.role.uses)
        };
        assert_eq!(u.api, "secretmanager.googleapis.com");
        assert!(u.needs_any_of.contains(&"cloud-platform".to_string()));
        assert!(
            !u.needs_any_of
                .contains(&"cloud-platform.read-only".to_string())
        );
    }

    #[test]
    fn unknown_permissions_are_named_and_judge_nothing() {
        let j = judge_role(
            "projects/p/roles/typo",
            &perms(&["pubsub.topics.publsh"]),
            "test",
        )
        .unwrap();
        assert_eq!(j.role.class, RoleClass::Unmapped);
        assert!(j.role.uses.is_empty());
        assert_eq!(j.unknown, ["pubsub.topics.publsh"]);
    }

    #[test]
    fn a_method_that_needs_two_permissions_is_reached_only_with_both() {
        let table = table().unwrap();
        let a = table
            .all_of
            .iter()
            .find(|a| a.permissions.len() >= 2)
            .unwrap();
        let (api, _) = table.method(&a.method).unwrap();
        let some = judge_role("r", &a.permissions[..1], "test").unwrap();
        let all = judge_role("r", &a.permissions, "test").unwrap();
        let count = |j: &Judged| {
            j.role
                .uses
                .iter()
                .filter(|u| u.api == api)
                .map(|u| {
                    u.read.as_ref().map_or(0, |c| c.methods)
                        + u.write.as_ref().map_or(0, |c| c.methods)
                })
                .sum::<u32>()
        };
        assert!(count(&all) > count(&some), "{}", a.method);
    }
}
