//! The API table (rules/apis.json): one entry per service host from discovery, plus the
//! gRPC-only entries of overrides.yaml.

use std::collections::{BTreeMap, BTreeSet};

use crate::Result;
use crate::discovery::{Class, ClassSummary, Doc, Method, preference};
use crate::inputs::Overrides;

#[derive(Debug, Clone)]
pub struct Api {
    pub title: String,
    pub source: String,
    pub read: ClassSummary,
    pub write: ClassSummary,
    pub grpc: bool,
    pub workload: bool,
    pub note: Option<String>,
    /// Every method with the scopes it accepts (not written out; roles are judged by theirs).
    pub methods: Vec<Method>,
}

impl Api {
    pub fn class(&self, c: Class) -> &ClassSummary {
        match c {
            Class::Read => &self.read,
            Class::Write => &self.write,
        }
    }

    /// Every scope accepted by at least one method of either class.
    pub fn accepted(&self) -> BTreeSet<String> {
        let mut s = self.read.accepted();
        s.extend(self.write.accepted());
        s
    }
}

pub struct ApiTable {
    pub apis: BTreeMap<String, Api>,
    /// service name -> apis key
    pub aliases: BTreeMap<String, String>,
}

impl ApiTable {
    /// Resolves a service name (possibly with a parenthetical remark, or an alias) to an apis key.
    pub fn resolve(&self, service: &str) -> Option<String> {
        let name = service.split(" (").next().unwrap_or(service).trim();
        if self.apis.contains_key(name) {
            return Some(name.to_string());
        }
        self.aliases
            .get(name)
            .filter(|k| self.apis.contains_key(*k))
            .cloned()
    }
}

fn join_notes(notes: &[&str]) -> Option<String> {
    if notes.is_empty() {
        None
    } else {
        Some(notes.join(" "))
    }
}

/// `service_configs`: the APIs of googleapis' service configurations; each is added when neither
/// discovery, a curated gRPC entry nor a host alias describes its host.
pub fn build(
    docs: &[Doc],
    ov: &Overrides,
    label: &str,
    service_configs: BTreeMap<String, Api>,
) -> Result<ApiTable> {
    let mut groups: BTreeMap<String, Vec<&Doc>> = BTreeMap::new();
    for d in docs {
        groups.entry(d.key()).or_default().push(d);
    }
    for key in ov.discovery_docs.keys() {
        if !groups.contains_key(key) {
            return Err(
                format!("overrides discovery_docs: no discovery document for {key}").into(),
            );
        }
    }
    for key in ov.api_adjustments.keys() {
        if !groups.contains_key(key) {
            return Err(
                format!("overrides api_adjustments: no discovery document for {key}").into(),
            );
        }
    }

    let mut apis = BTreeMap::new();
    for (key, mut candidates) in groups {
        let chosen: Vec<&Doc> = match ov.discovery_docs.get(&key) {
            Some(choice) => {
                let mut v = Vec::new();
                for name in &choice.docs {
                    let d = candidates.iter().find(|d| &d.doc_name == name).ok_or_else(|| {
                        format!("overrides discovery_docs.{key}: document {name} is not served from {key}")
                    })?;
                    v.push(*d);
                }
                v
            }
            None => {
                candidates.sort_by(|a, b| preference(&key, a, b));
                vec![candidates[0]]
            }
        };
        let mut seen = BTreeSet::new();
        let mut methods: Vec<Method> = Vec::new();
        for d in &chosen {
            for m in &d.methods {
                if seen.insert(m.id.clone()) {
                    methods.push(m.clone());
                }
            }
        }
        let mut notes: Vec<&str> = Vec::new();
        if let Some(choice) = ov.discovery_docs.get(&key) {
            notes.push(&choice.reason);
        }
        if let Some(adj) = ov.api_adjustments.get(&key) {
            for m in &mut methods {
                for s in &adj.remove_scopes {
                    m.scopes.remove(s);
                }
            }
            methods.retain(|m| !m.scopes.is_empty());
            notes.push(&adj.reason);
        }
        let read = ClassSummary::from_methods(methods.iter().filter(|m| m.class() == Class::Read));
        let write =
            ClassSummary::from_methods(methods.iter().filter(|m| m.class() == Class::Write));
        let docs_text: Vec<String> = chosen
            .iter()
            .map(|d| format!("discovery {} rev {}", d.doc_name, d.revision))
            .collect();
        apis.insert(
            key,
            Api {
                title: chosen[0].title.clone(),
                source: format!("{} ({label})", docs_text.join(" + ")),
                read,
                write,
                grpc: false,
                workload: false,
                note: join_notes(&notes),
                methods,
            },
        );
    }

    for (key, g) in &ov.grpc_apis {
        if apis.contains_key(key) {
            return Err(format!("overrides grpc_apis.{key} collides with a discovery API").into());
        }
        let mut read = Vec::new();
        let mut write = Vec::new();
        for grp in &g.groups {
            let target = match grp.class.as_str() {
                "read" => &mut read,
                "write" => &mut write,
                other => {
                    return Err(format!(
                        "overrides grpc_apis.{key}: class must be read or write, not {other}"
                    )
                    .into());
                }
            };
            if grp.scopes.is_empty() || grp.methods.is_empty() {
                return Err(format!("overrides grpc_apis.{key}: empty group").into());
            }
            for id in &grp.methods {
                target.push(Method {
                    id: id.clone(),
                    http_method: String::new(),
                    scopes: grp.scopes.iter().cloned().collect(),
                });
            }
        }
        apis.insert(
            key.clone(),
            Api {
                title: g.title.clone(),
                source: g.source.clone(),
                read: ClassSummary::from_methods(read.iter()),
                write: ClassSummary::from_methods(write.iter()),
                grpc: true,
                workload: false,
                note: Some(g.reason.clone()),
                methods: read.into_iter().chain(write).collect(),
            },
        );
    }

    for key in ov.workload_apis.keys() {
        let api = apis
            .get_mut(key)
            .ok_or_else(|| format!("overrides workload_apis: unknown API {key}"))?;
        api.workload = true;
    }
    for key in ov.infrastructure_apis.keys() {
        if !apis.contains_key(key) {
            return Err(format!("overrides infrastructure_apis: unknown API {key}").into());
        }
        if ov.workload_apis.contains_key(key) {
            return Err(
                format!("overrides: {key} is both a workload and an infrastructure API").into(),
            );
        }
    }

    for (key, api) in service_configs {
        let known = apis.contains_key(&key)
            || ov.host_aliases.contains_key(&key)
            || apis.contains_key(&format!("{key}#grpc"));
        if !known {
            apis.insert(key, api);
        }
    }

    let mut aliases = BTreeMap::new();
    for (name, a) in &ov.host_aliases {
        if !apis.contains_key(&a.api) {
            return Err(format!("overrides host_aliases.{name}: unknown API {}", a.api).into());
        }
        if apis.contains_key(name) {
            return Err(format!("overrides host_aliases.{name} shadows an API").into());
        }
        aliases.insert(name.clone(), a.api.clone());
    }
    Ok(ApiTable { apis, aliases })
}
