//! Judging a role by the permissions it lists: a custom role defined in the
//! scanned configuration is judged as the predefined roles are, by the API
//! methods its own permissions let it call and the scopes those methods
//! accept (`rules/permissions.json`, generated from iam-dataset's role
//! permissions and method → permission map and the discovery documents).
//!
//! As for predefined roles, a role is judged by its own service (the one most
//! of its permissions are of). A permission the table does not know (a typo,
//! or newer than the table), one of another service, and one that reaches no
//! method with known scopes add nothing: the role is judged on the rest, and
//! its note says what was left out.

use crate::knowledge::{Access, Knowledge, MethodClass, Partial, Role, RoleClass, RoleUse};
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
    /// role whose use is curated → its permissions
    curated_roles: BTreeMap<String, BTreeSet<String>>,
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

/// The service a permission belongs to: its first part (`pubsub` of `pubsub.topics.publish`).
fn service_of(permission: &str) -> &str {
    permission.split('.').next().unwrap_or(permission)
}

/// The role whose definition lists `permissions`, judged as a predefined role
/// is (NOTES §0): by its own service, the one most of its permissions are of;
/// permissions of other services, like the cross-service ones inside
/// predefined roles, are not judged. It is judged by the methods its
/// permissions reach, except where roles of its service have a curated use
/// (see below). `source` says where the
/// definition is; it becomes the role's source.
pub fn judge_role(
    name: &str,
    permissions: &[String],
    source: &str,
    kb: &Knowledge,
) -> Option<Judged> {
    let table = table()?;
    let held: BTreeSet<&str> = permissions.iter().map(|p| p.trim()).collect();
    let mut unknown = Vec::new();
    let mut incidental = 0;
    let mut per_service: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &held {
        if table.not_judged.contains_key(*p) {
            incidental += 1;
        } else if table.permissions.contains_key(*p) {
            *per_service.entry(service_of(p)).or_default() += 1;
        } else {
            unknown.push(p.to_string());
        }
    }
    let most = per_service.values().copied().max().unwrap_or(0);
    let leaders: Vec<&str> = per_service
        .iter()
        .filter(|(_, n)| **n == most)
        .map(|(s, _)| *s)
        .collect();
    let mut left_out = Vec::new();
    if !unknown.is_empty() {
        let shown: Vec<&str> = unknown.iter().take(5).map(String::as_str).collect();
        let more = unknown.len().saturating_sub(shown.len());
        left_out.push(format!(
            "{} permission{} not in the knowledge base ({}{})",
            unknown.len(),
            plural(unknown.len()),
            shown.join(", "),
            if more > 0 {
                format!(", and {more} more")
            } else {
                String::new()
            }
        ));
    }
    if incidental > 0 {
        left_out.push(format!(
            "{incidental} incidental permission{} (reading the project or its services)",
            plural(incidental)
        ));
    }
    let role = |class: RoleClass, uses: Vec<RoleUse>, source: String, left_out: &[String]| Role {
        title: name.to_string(),
        stage: String::new(),
        class,
        uses,
        source,
        note: (!left_out.is_empty()).then(|| format!("Not judged: {}.", left_out.join("; "))),
    };
    // A role none of whose permissions is judged: no use, and why.
    let unjudged = |left_out: &[String], unknown: Vec<String>| Judged {
        role: role(
            RoleClass::Unmapped,
            Vec::new(),
            source.to_string(),
            left_out,
        ),
        unknown,
    };
    let [service] = leaders[..] else {
        if leaders.len() > 1 {
            left_out.push(format!(
                "no service holds most of its permissions ({} each of {})",
                most,
                leaders.join(", ")
            ));
        }
        return Some(unjudged(&left_out, unknown));
    };
    let others: BTreeSet<&str> = per_service
        .keys()
        .copied()
        .filter(|s| *s != service)
        .collect();
    if !others.is_empty() {
        let count: usize = others.iter().filter_map(|s| per_service.get(s)).sum();
        left_out.push(format!(
            "{count} permission{} of other services than {service} ({})",
            plural(count),
            others.iter().copied().collect::<Vec<_>>().join(", ")
        ));
    }
    let own: BTreeSet<&str> = held
        .iter()
        .copied()
        .filter(|p| service_of(p) == service && table.permissions.contains_key(*p))
        .collect();

    // The methods its own permissions reach, alone or together.
    let mut reached: BTreeSet<&str> = BTreeSet::new();
    let mut joined: BTreeSet<&str> = BTreeSet::new();
    for a in &table.all_of {
        if a.permissions.iter().all(|p| own.contains(p.as_str())) {
            reached.insert(&a.method);
            joined.extend(a.permissions.iter().map(String::as_str));
        }
    }
    let mut unreached = 0;
    for p in &own {
        match table.permissions.get(*p) {
            Some(ms) if ms.is_empty() && !joined.contains(p) => unreached += 1,
            Some(ms) => reached.extend(ms.iter().map(String::as_str)),
            None => {}
        }
    }
    if unreached > 0 {
        left_out.push(format!(
            "{unreached} permission{} that reach{} no API method with known scopes",
            plural(unreached),
            if unreached == 1 { "es" } else { "" }
        ));
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
    if !no_common.is_empty() {
        left_out.push(format!(
            "its use of {} (no scope is accepted by every method it reaches)",
            no_common.join(", ")
        ));
    }
    // Roles of its service whose use is curated (a Docker pull through
    // Artifact Registry, a Pub/Sub publisher) hold some of its permissions:
    // an exact copy of one is judged as it is; otherwise the methods are
    // trusted only when they name the APIs those roles are for, and every
    // permission reaches one.
    let of_service = format!("roles/{service}.");
    let curated: Vec<(&str, &BTreeSet<String>)> = table
        .curated_roles
        .iter()
        .filter(|(r, perms)| r.starts_with(&of_service) && own.iter().any(|p| perms.contains(*p)))
        .map(|(r, perms)| (r.as_str(), perms))
        .collect();
    if !curated.is_empty() {
        let copy = curated.iter().find(|(_, perms)| {
            let theirs: BTreeSet<&str> = perms
                .iter()
                .map(String::as_str)
                .filter(|p| service_of(p) == service)
                .collect();
            theirs == own
        });
        if let Some((r, _)) = copy
            && let Some(predefined) = kb.roles.get(*r)
        {
            let source = format!(
                "{source}, judged as {r} (the same {service} permissions), whose use is curated"
            );
            return Some(Judged {
                role: role(predefined.class, predefined.uses.clone(), source, &left_out),
                unknown,
            });
        }
        let curated_apis: BTreeSet<&str> = curated
            .iter()
            .filter_map(|(r, _)| kb.roles.get(*r))
            .flat_map(|r| r.uses.iter().map(|u| u.api.as_str()))
            .collect();
        let method_apis: BTreeSet<&str> = uses.iter().map(|u| u.api.as_str()).collect();
        if unreached > 0
            || !no_common.is_empty()
            || method_apis.is_empty()
            || method_apis != curated_apis
        {
            let listed = curated
                .iter()
                .map(|(r, _)| *r)
                .collect::<Vec<_>>()
                .join(", ");
            left_out.push(format!(
                "its {service} permissions are partly those of roles whose use is curated ({listed}), and the methods they reach do not tell that use"
            ));
            return Some(unjudged(&left_out, unknown));
        }
    }
    let class = if uses.is_empty() {
        RoleClass::Unmapped
    } else {
        RoleClass::Api
    };
    Some(Judged {
        role: role(class, uses, source.to_string(), &left_out),
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

    fn judge(list: &[&str]) -> Judged {
        let kb = Knowledge::get().unwrap();
        let perms: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        judge_role("projects/p/roles/r", &perms, "test", kb).unwrap()
    }

    fn apis(j: &Judged) -> Vec<&str> {
        j.role.uses.iter().map(|u| u.api.as_str()).collect()
    }

    #[test]
    fn a_copy_of_a_curated_role_is_judged_as_it_is() {
        let j = judge(&["pubsub.topics.publish", "resourcemanager.projects.get"]);
        assert_eq!(j.role.class, RoleClass::Api);
        assert!(
            j.role.source.contains("roles/pubsub.publisher"),
            "{}",
            j.role.source
        );
        let [u] = &j.role.uses[..] else {
            panic!("{:?}", j.role.uses)
        };
        assert_eq!(u.api, "pubsub.googleapis.com");
        assert_eq!(u.needs_any_of, ["cloud-platform", "pubsub"]);
        assert!(j.role.note.as_deref().unwrap().contains("1 incidental"));
        // A copy of Artifact Registry's reader: its curated use (Docker pulls),
        // not the REST methods; part of it is not judged.
        let table = table().unwrap();
        let reader: Vec<&str> = table.curated_roles["roles/artifactregistry.reader"]
            .iter()
            .map(String::as_str)
            .collect();
        let kb = Knowledge::get().unwrap();
        let want: Vec<&str> = kb.roles["roles/artifactregistry.reader"]
            .uses
            .iter()
            .map(|u| u.api.as_str())
            .collect();
        assert_eq!(apis(&judge(&reader)), want);
        let pull = judge(&["artifactregistry.repositories.downloadArtifacts"]);
        assert_eq!(pull.role.class, RoleClass::Unmapped, "{:?}", pull.role.uses);
    }

    #[test]
    fn reading_objects_is_judged_by_the_methods_it_reaches() {
        let j = judge(&["storage.objects.get", "storage.objects.list"]);
        assert_eq!(apis(&j), ["storage.googleapis.com"]);
        let u = &j.role.uses[0];
        assert_eq!(u.access, Access::Read);
        assert!(u.needs_any_of.contains(&"devstorage.read_only".to_string()));
        // Part of a curated role whose methods name the same API: judged by them.
        let j = judge(&[
            "secretmanager.versions.access",
            "secretmanager.secrets.delete",
        ]);
        assert_eq!(apis(&j), ["secretmanager.googleapis.com"]);
    }

    #[test]
    fn only_the_main_service_is_judged() {
        // Cross-service permissions (KMS key handles inside a BigQuery role) are not judged.
        let j = judge(&[
            "bigquery.tables.create",
            "bigquery.tables.get",
            "bigquery.tables.updateData",
            "cloudkms.keyHandles.create",
        ]);
        assert!(
            !apis(&j).contains(&"cloudkms.googleapis.com"),
            "{:?}",
            apis(&j)
        );
        assert!(
            j.role
                .note
                .as_deref()
                .unwrap()
                .contains("other services than bigquery")
        );
        // No main service: nothing is judged.
        let tie = judge(&["bigquery.tables.get", "storage.buckets.get"]);
        assert_eq!(tie.role.class, RoleClass::Unmapped);
        assert!(
            tie.role
                .note
                .as_deref()
                .unwrap()
                .contains("no service holds most")
        );
    }

    #[test]
    fn a_name_is_not_guessed_across_apis() {
        // bigquery.models.export is BigQuery's EXPORT MODEL, not Vertex AI's models.export.
        let j = judge(&[
            "bigquery.models.export",
            "bigquery.models.getData",
            "bigquery.jobs.create",
        ]);
        assert!(
            !apis(&j).contains(&"aiplatform.googleapis.com"),
            "{:?}",
            apis(&j)
        );
    }

    #[test]
    fn unknown_permissions_are_named_and_judge_nothing() {
        let j = judge(&["pubsub.topics.publsh"]);
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
            .find(|a| {
                a.permissions.len() >= 2
                    && a.permissions
                        .iter()
                        .all(|p| service_of(p) == service_of(&a.permissions[0]))
                    && !table
                        .curated_roles
                        .values()
                        .any(|c| a.permissions.iter().any(|p| c.contains(p)))
            })
            .unwrap();
        let (api, _) = table.method(&a.method).unwrap();
        let strs: Vec<&str> = a.permissions.iter().map(String::as_str).collect();
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
        assert!(
            count(&judge(&strs)) > count(&judge(&strs[..1])),
            "{}",
            a.method
        );
    }
}
