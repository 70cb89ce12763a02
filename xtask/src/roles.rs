//! Role classification (rules/roles.json).

use std::collections::{BTreeMap, BTreeSet};

use crate::Result;
use crate::apis::{Api, ApiTable};
use crate::discovery::{Class, ClassSummary, Method};
use crate::inputs::{FamilyRole, FamilyRoles, Overrides, RoleServices, RoleSummary, SummaryRole};
use crate::permissions::{self, RawRoles};
use crate::reach::Reach;

pub const ALL_SERVICES: [&str; 3] = ["roles/editor", "roles/owner", "roles/viewer"];

/// What `explain` says about a basic role.
fn basic_role_note(name: &str) -> Option<&'static str> {
    match name {
        "roles/editor" => Some(EDITOR_NOTE),
        "roles/owner" => Some(OWNER_NOTE),
        "roles/viewer" => Some(VIEWER_NOTE),
        _ => None,
    }
}

pub const EDITOR_NOTE: &str = "Basic role: about 12,000 permissions over about 300 services. Only cloud-platform makes it usable everywhere; scopelint reports it for the APIs enabled in the configuration (SL005), not for every service it spans.";
pub const OWNER_NOTE: &str = "Basic role: everything roles/editor allows, plus IAM administration (setIamPolicy and the like).";
pub const VIEWER_NOTE: &str = "Basic role: read permissions, with some other verbs (predict, export, use). cloud-platform.read-only covers only the APIs that accept it; reads from Secret Manager, Pub/Sub, IAM, Cloud KMS, Datastore and Spanner need other scopes.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RoleClass {
    Api,
    ScopeIndependent,
    AllServices,
    ServiceAgent,
    Unmapped,
}

impl RoleClass {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleClass::Api => "api",
            RoleClass::ScopeIndependent => "scope-independent",
            RoleClass::AllServices => "all-services",
            RoleClass::ServiceAgent => "service-agent",
            RoleClass::Unmapped => "unmapped",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    pub api: String,
    pub access: Class,
    pub needs_any_of: BTreeSet<String>,
    /// The scopes the methods this role can call accept, by class, when known from its
    /// permissions (see [`own_methods`]); otherwise the API's classes apply.
    pub read: Option<ClassSummary>,
    pub write: Option<ClassSummary>,
}

#[derive(Debug, Clone)]
pub struct Role {
    pub title: String,
    pub stage: String,
    pub class: RoleClass,
    pub uses: Vec<Use>,
    pub source: String,
    pub note: Option<String>,
}

/// Messages worth a look when the reference data changes (printed by the generator).
#[derive(Debug, Default)]
pub struct Diagnostics {
    pub lines: Vec<String>,
}

pub fn is_service_agent(name: &str, title: &str) -> bool {
    name.ends_with("serviceAgent") || title.contains("Service Agent")
}

fn access_of(primary: &str) -> Class {
    if primary == "read-only" {
        Class::Read
    } else {
        Class::Write
    }
}

fn parse_access(s: &str) -> Option<Class> {
    match s {
        "read" => Some(Class::Read),
        "write" => Some(Class::Write),
        _ => None,
    }
}

/// The scopes that fully satisfy `access` on `api` when nothing is curated: the class's `all`
/// (the other class's when the class has no methods).
fn derive(api: &Api, access: Class) -> BTreeSet<String> {
    let cls = api.class(access);
    if cls.methods > 0 {
        return cls.all.clone();
    }
    let other = match access {
        Class::Read => Class::Write,
        Class::Write => Class::Read,
    };
    api.class(other).all.clone()
}

/// A curated `needs_any_of` entry: `Some(scope)` for a plain scope or one with a remark;
/// `None` for placeholders (UNCONFIRMED) and entries annotated as partial ("aiplatform (316/450 ...)").
fn curated_scope(entry: &str) -> Option<(String, bool)> {
    let (scope, remark) = match entry.find('(') {
        Some(i) => (entry[..i].trim(), Some(&entry[i + 1..])),
        None => (entry.trim(), None),
    };
    if scope.is_empty() || scope == "UNCONFIRMED" {
        return None;
    }
    if let Some(r) = remark {
        // "(316/450 read-class methods)": accepted by part of the class only, so not a full answer.
        let first = r.split_whitespace().next().unwrap_or("");
        if first.contains('/') && first.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    Some((scope.to_string(), remark.is_some()))
}

struct FamilyHit<'a> {
    family: &'a str,
    role: &'a FamilyRole,
}

pub fn classify(
    summary: &RoleSummary,
    rs: &RoleServices,
    ov: &Overrides,
    table: &ApiTable,
    diag: &mut Diagnostics,
) -> Result<BTreeMap<String, Role>> {
    // role -> families it is curated in
    let mut hits: BTreeMap<&str, Vec<FamilyHit>> = BTreeMap::new();
    for (fname, fam) in &rs.families {
        if let FamilyRoles::Roles(roles) = &fam.roles {
            for (rname, r) in roles {
                if !summary.roles.contains_key(rname) {
                    diag.lines
                        .push(format!("{rname}: in role-services.yaml families.{fname} but not in the role summary"));
                }
                hits.entry(rname).or_default().push(FamilyHit {
                    family: fname,
                    role: r,
                });
            }
        }
    }
    for name in ov.family_services.keys() {
        if !rs.families.contains_key(name) {
            return Err(format!("overrides family_services: unknown family {name}").into());
        }
    }
    for name in ov.role_uses.keys().chain(ov.scope_independent.keys()) {
        if !summary.roles.contains_key(name) {
            return Err(format!("overrides: unknown role {name}").into());
        }
    }

    // Families whose services are overridden to none (e.g. containerregistry, whose roles are the
    // storage roles) contribute nothing.
    for h in hits.values_mut() {
        h.retain(|h| {
            ov.family_services
                .get(h.family)
                .is_none_or(|fs| !fs.services.is_empty())
        });
    }

    let mut out = BTreeMap::new();
    for (name, sr) in &summary.roles {
        let hit = hits.get(name.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let mut role = classify_one(name, sr, hit, rs, ov, table, diag)?;
        role.uses
            .sort_by(|a, b| (&a.api, a.access as u8).cmp(&(&b.api, b.access as u8)));
        out.insert(name.clone(), role);
    }
    Ok(out)
}

fn classify_one(
    name: &str,
    sr: &SummaryRole,
    hits: &[FamilyHit],
    rs: &RoleServices,
    ov: &Overrides,
    table: &ApiTable,
    diag: &mut Diagnostics,
) -> Result<Role> {
    let mut role = Role {
        title: sr.t.clone(),
        stage: sr.st.clone(),
        class: RoleClass::Unmapped,
        uses: Vec::new(),
        source: "iam-dataset role summary".to_string(),
        note: None,
    };

    // 1. explicit uses
    if let Some(ru) = ov.role_uses.get(name) {
        for u in &ru.uses {
            let api = table
                .apis
                .get(&u.api)
                .ok_or_else(|| format!("overrides role_uses.{name}: unknown API {}", u.api))?;
            let access = parse_access(&u.access).ok_or_else(|| {
                format!("overrides role_uses.{name}: access must be read or write")
            })?;
            let accepted = api.accepted();
            let needs: BTreeSet<String> = u.needs_any_of.iter().cloned().collect();
            if needs.is_empty() {
                return Err(format!("overrides role_uses.{name}: empty needs_any_of").into());
            }
            if let Some(bad) = needs.iter().find(|s| !accepted.contains(*s)) {
                return Err(format!(
                    "overrides role_uses.{name}: {} does not accept {bad}",
                    u.api
                )
                .into());
            }
            let (read, write) = match &u.plus_methods_of {
                Some(other) => {
                    let more = table.apis.get(other).ok_or_else(|| {
                        format!("overrides role_uses.{name}: unknown API {other}")
                    })?;
                    let of_class = |c: Class| -> ClassSummary {
                        let ms = api.methods.iter().chain(&more.methods);
                        ClassSummary::from_methods(ms.filter(|m| m.class() == c))
                    };
                    match access {
                        Class::Read => (Some(of_class(Class::Read)), Some(ClassSummary::default())),
                        Class::Write => (Some(of_class(Class::Read)), Some(of_class(Class::Write))),
                    }
                }
                None => (None, None),
            };
            role.uses.push(Use {
                api: u.api.clone(),
                access,
                needs_any_of: needs,
                read,
                write,
            });
        }
        role.class = RoleClass::Api;
        role.source = format!("rules/overrides.yaml role_uses ({})", ru.source);
        role.note = Some(ru.reason.clone());
        return Ok(role);
    }

    // 2. scope-independent by override
    if let Some(si) = ov.scope_independent.get(name) {
        role.class = RoleClass::ScopeIndependent;
        role.source = format!("rules/overrides.yaml scope_independent ({})", si.source);
        role.note = Some(si.reason.clone());
        return Ok(role);
    }

    // 3. basic roles
    if ALL_SERVICES.contains(&name) {
        role.class = RoleClass::AllServices;
        role.source = "IAM basic role (rules/SOURCES.md)".to_string();
        // Written for users of `explain`, not taken from the reference notes.
        role.note = basic_role_note(name).map(str::to_string);
        return Ok(role);
    }

    // 4. service agents
    if is_service_agent(name, &sr.t) {
        role.class = RoleClass::ServiceAgent;
        role.source = "iam-dataset role summary (service agent)".to_string();
        return Ok(role);
    }

    // 5. curated families
    if !hits.is_empty() {
        return family_role(role, name, hits, rs, ov, table, diag);
    }

    // 6. main permission prefix
    prefix_role(role, name, sr, rs, ov, table)
}

fn family_role(
    mut role: Role,
    name: &str,
    hits: &[FamilyHit],
    rs: &RoleServices,
    ov: &Overrides,
    table: &ApiTable,
    diag: &mut Diagnostics,
) -> Result<Role> {
    let mut sources = Vec::new();
    let mut unresolved = Vec::new();
    let mut independent = false;
    for h in hits {
        let manual = h
            .role
            .basis
            .as_deref()
            .is_some_and(|b| b.starts_with("manual"));
        sources.push(match (&h.role.note, manual) {
            (Some(n), true) => format!("role-services.yaml families.{} (manual: {n})", h.family),
            _ => format!("role-services.yaml families.{}", h.family),
        });
        if h.role.needs_any_of.is_empty() {
            independent = true;
            continue;
        }
        let services: Vec<String> = match ov.family_services.get(h.family) {
            Some(fs) => fs.services.clone(),
            None => rs
                .families
                .get(h.family)
                .map(|f| f.services.clone())
                .unwrap_or_default(),
        };
        let access = access_of(&h.role.primary_access);
        let mut first = true;
        for svc in &services {
            let Some(key) = table.resolve(svc) else {
                unresolved.push(svc.clone());
                continue;
            };
            let api = &table.apis[&key];
            let needs = if first {
                curated_needs(name, h, &key, api, access, diag)
            } else {
                derive(api, access)
            };
            first = false;
            if needs.is_empty() {
                diag.lines.push(format!(
                    "{name}: no scope accepted by every {key} method of its class; use skipped"
                ));
                continue;
            }
            match role.uses.iter_mut().find(|u| u.api == key) {
                Some(u) => {
                    u.needs_any_of.extend(needs);
                    if access == Class::Write {
                        u.access = Class::Write;
                    }
                }
                None => role.uses.push(Use {
                    api: key,
                    access,
                    needs_any_of: needs,
                    read: None,
                    write: None,
                }),
            }
        }
    }
    role.source = sources.join(" + ");
    if !role.uses.is_empty() {
        role.class = RoleClass::Api;
    } else if independent {
        role.class = RoleClass::ScopeIndependent;
        role.note = hits.iter().find_map(|h| h.role.note.clone());
    } else {
        role.class = RoleClass::Unmapped;
        role.note = Some(if unresolved.is_empty() {
            "its family lists no service with known scopes".to_string()
        } else {
            format!(
                "its family's service ({}) is neither a discovery document's host nor a service of googleapis' service configurations, so its scopes are unknown",
                unresolved.join(", ")
            )
        });
    }
    Ok(role)
}

/// The curated `needs_any_of` of a family role, restricted to scopes the API accepts.
fn curated_needs(
    name: &str,
    h: &FamilyHit,
    key: &str,
    api: &Api,
    access: Class,
    diag: &mut Diagnostics,
) -> BTreeSet<String> {
    let accepted = api.accepted();
    let mut needs = BTreeSet::new();
    for entry in &h.role.needs_any_of {
        let Some((scope, remark)) = curated_scope(entry) else {
            continue;
        };
        if accepted.contains(&scope) {
            needs.insert(scope);
        } else if !remark {
            diag.lines.push(format!(
                "{name}: curated scope {scope} (families.{}) is not accepted by {key}; dropped",
                h.family
            ));
        }
    }
    if needs.is_empty() {
        return derive(api, access);
    }
    needs
}

fn prefix_role(
    mut role: Role,
    name: &str,
    sr: &SummaryRole,
    rs: &RoleServices,
    ov: &Overrides,
    table: &ApiTable,
) -> Result<Role> {
    if sr.prefixes.is_empty() {
        role.note = Some(
            "no permissions other than incidental ones (resourcemanager/serviceusage reads), or none in iam-dataset"
                .to_string(),
        );
        return Ok(role);
    }
    let own = name
        .strip_prefix("roles/")
        .and_then(|r| r.split('.').next())
        .unwrap_or("");
    let prefix = if sr.prefixes.contains_key(own) {
        own.to_string()
    } else {
        let total = |m: &BTreeMap<String, u64>| m.values().sum::<u64>();
        let mut v: Vec<(&String, u64)> = sr.prefixes.iter().map(|(p, m)| (p, total(m))).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        v[0].0.clone()
    };
    let services: Vec<String> = match ov.prefix_services.get(&prefix) {
        Some(fixed) => fixed.services.clone(),
        None => rs
            .prefix_to_service
            .get(&prefix)
            .map(|p| p.services.clone())
            .unwrap_or_else(|| vec![format!("{prefix}.googleapis.com")]),
    };
    let Some(key) = services.iter().find_map(|s| table.resolve(s)) else {
        role.note = Some(format!(
            "main permission prefix {prefix} maps to {}, which is neither a discovery document's host nor a service of googleapis' service configurations, so its scopes are unknown",
            services.join(", ")
        ));
        return Ok(role);
    };
    let access = access_of(&sr.access);
    let needs = derive(&table.apis[&key], access);
    if needs.is_empty() {
        role.note = Some(format!(
            "main permission prefix {prefix} maps to {key}, but no scope is accepted by every method of its class"
        ));
        return Ok(role);
    }
    role.class = RoleClass::Api;
    role.source = format!("iam-dataset role summary (main permission prefix {prefix} -> {key})");
    role.uses.push(Use {
        api: key,
        access,
        needs_any_of: needs,
        read: None,
        write: None,
    });
    Ok(role)
}

/// Narrows each use of the roles classified by family or permission prefix to the methods the
/// role's own permissions can call: its classes are those methods' classes, and `needs_any_of`
/// keeps only scopes every one of them accepts. A use whose API none of the permissions reach
/// moves to the one API they do reach (a role named for one service whose permissions are
/// another's methods); when nothing is reached, the use keeps its curated scopes, and a role
/// without read permissions is judged by the API's write methods only. Uses curated in `overrides.yaml` `role_uses` stay as written.
pub fn own_methods(
    roles: &mut BTreeMap<String, Role>,
    raw: &RawRoles,
    reach: &Reach,
    table: &ApiTable,
    ov: &Overrides,
) {
    for (name, role) in roles.iter_mut() {
        if role.class != RoleClass::Api || ov.role_uses.contains_key(name) {
            continue;
        }
        let Some(r) = raw.get(name) else { continue };
        // Incidental permissions are the role's own when they are of its own service
        // (`roles/serviceusage.serviceUsageViewer` is for serviceusage.services.list).
        let service = name
            .strip_prefix("roles/")
            .and_then(|n| n.split('.').next())
            .unwrap_or_default();
        let perms: BTreeSet<String> = r
            .included_permissions
            .iter()
            .filter(|p| permissions::kind(p).is_some() || p.split('.').next() == Some(service))
            .cloned()
            .collect();
        if perms.is_empty() {
            continue; // only incidental permissions: nothing to narrow by
        }
        let reads = perms.iter().any(|p| permissions::kind(p) == Some("read"));
        let reached = reach.methods(&perms);
        let mut by_api: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for id in &reached {
            if let Some(k) = reach.method_api.get(id) {
                by_api.entry(k.as_str()).or_default().push(id);
            }
        }
        let used: BTreeSet<String> = role.uses.iter().map(|u| u.api.clone()).collect();
        let single = role.uses.len() == 1;
        for u in &mut role.uses {
            let Some(api) = table.apis.get(&u.api) else {
                continue;
            };
            if api.grpc {
                continue;
            }
            let mut ids = by_api.get(u.api.as_str()).cloned().unwrap_or_default();
            if ids.is_empty() && single {
                // The permissions of the use's own service reach methods of one other API only.
                let prefix = u.api.split('.').next().unwrap_or_default();
                let own: BTreeSet<String> = perms
                    .iter()
                    .filter(|p| p.split('.').next() == Some(prefix))
                    .cloned()
                    .collect();
                let targets: BTreeSet<&String> = reach
                    .methods(&own)
                    .iter()
                    .filter_map(|id| reach.method_api.get(id))
                    .collect();
                if let [k] = targets.into_iter().collect::<Vec<_>>()[..]
                    && !used.contains(k)
                {
                    u.api = k.clone();
                    ids = by_api.get(k.as_str()).cloned().unwrap_or_default();
                }
            }
            let Some(api) = table.apis.get(&u.api) else {
                continue;
            };
            let methods: Vec<&Method> = api
                .methods
                .iter()
                .filter(|m| ids.contains(&m.id.as_str()))
                .collect();
            if methods.is_empty() {
                // No read permission: none of the API's read methods is the role's.
                if !reads && u.access == Class::Write && api.write.methods > 0 {
                    u.read = Some(ClassSummary::default());
                }
                continue;
            }
            let read = ClassSummary::from_methods(
                methods.iter().copied().filter(|m| m.class() == Class::Read),
            );
            let write = ClassSummary::from_methods(
                methods
                    .iter()
                    .copied()
                    .filter(|m| m.class() == Class::Write),
            );
            let mut every: BTreeSet<String> = read.all.clone();
            if read.methods == 0 {
                every = write.all.clone();
            } else if write.methods > 0 {
                every.retain(|s| write.all.contains(s));
            }
            if every.is_empty() {
                continue;
            }
            let curated: BTreeSet<String> = u.needs_any_of.intersection(&every).cloned().collect();
            u.needs_any_of = if curated.is_empty() { every } else { curated };
            u.access = if write.methods > 0 {
                Class::Write
            } else {
                Class::Read
            };
            u.read = Some(read);
            u.write = Some(write);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curated_entries() {
        assert_eq!(curated_scope("pubsub"), Some(("pubsub".into(), false)));
        assert_eq!(curated_scope("UNCONFIRMED"), None);
        assert_eq!(
            curated_scope("aiplatform (316/450 read-class methods)"),
            None
        );
        assert_eq!(
            curated_scope("devstorage.read_only(docker/package endpoints, per AR docs; see NOTES)"),
            Some(("devstorage.read_only".into(), true))
        );
    }

    #[test]
    fn agents() {
        assert!(is_service_agent("roles/aiplatform.serviceAgent", "x"));
        assert!(is_service_agent("roles/x.y", "Foo Service Agent"));
        assert!(!is_service_agent("roles/x.y", "Foo"));
    }
}
