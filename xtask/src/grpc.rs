//! APIs without a discovery document, from googleapis' service configurations
//! (`service-auth.json`): each service's `authentication.rules`, the scopes accepted per RPC
//! selector, become an API entry, so the roles for Vision AI, Model Armor, Vector Search, ... have
//! known scopes.
//!
//! A rule's selector is one RPC (`google.cloud.x.v1.Svc.GetThing`) or every RPC of a service
//! (`google.cloud.x.v1.Svc.*`); the last rule for a selector wins. A wildcard stands for the
//! service's reads and writes alike; a single RPC is a read when its name starts with a reading
//! verb. Mixins (locations, long-running operations, IAM policy) are left out: they are the same
//! for every API and say nothing about it. Stable configurations are preferred to pre-release
//! ones of the same service.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::apis::Api;
use crate::discovery::{ClassSummary, Method, is_read_only_scope, is_stable_version, short_scope};

#[derive(Debug, Deserialize)]
pub struct ServiceAuth {
    pub services: Vec<ServiceConfig>,
}

#[derive(Debug, Deserialize)]
pub struct ServiceConfig {
    pub file: String,
    pub name: String,
    #[serde(default)]
    pub title: String,
    /// The interfaces the configuration serves (`google.cloud.x.v1.Svc`, mixins included).
    #[serde(default)]
    pub apis: Vec<String>,
    #[serde(default)]
    pub auth_rules: Vec<AuthRule>,
}

#[derive(Debug, Deserialize)]
pub struct AuthRule {
    pub selector: String,
    #[serde(default)]
    pub scopes: Vec<String>,
}

const MIXINS: [&str; 3] = [
    "google.cloud.location.",
    "google.longrunning.",
    "google.iam.v1.",
];

const READ_RPC_VERBS: [&str; 12] = [
    "Get", "List", "Search", "Read", "Query", "Lookup", "Fetch", "BatchGet", "Check", "Stream",
    "Export", "Test",
];

fn is_read_rpc(selector: &str) -> bool {
    let rpc = selector.rsplit('.').next().unwrap_or(selector);
    READ_RPC_VERBS.iter().any(|v| rpc.starts_with(v))
}

/// Whether a configuration file is of a stable API version (`.../v1/x_v1.yaml`).
fn is_stable_file(file: &str) -> bool {
    file.split('/')
        .filter(|p| p.starts_with('v') && p[1..].starts_with(|c: char| c.is_ascii_digit()))
        .all(is_stable_version)
}

/// Every service's authentication rules as its configuration files write them: per file (in
/// path order) the `[selector, scopes]` pairs in rule order, mixins included, since within one
/// file the last matching rule wins, and the interfaces the file serves (its rules apply only to
/// their methods: a sample configuration's `*` must not answer for the real API). What
/// `scopelint why-403` reads to name the scopes of the one method an error names.
pub fn method_rules(auth: &ServiceAuth) -> serde_json::Value {
    let mut services: BTreeMap<&str, Vec<&ServiceConfig>> = BTreeMap::new();
    for s in auth.services.iter().filter(|s| !s.auth_rules.is_empty()) {
        services.entry(s.name.as_str()).or_default().push(s);
    }
    let mut out = serde_json::Map::new();
    for (name, mut configs) in services {
        configs.sort_by(|a, b| a.file.cmp(&b.file));
        let files: Vec<serde_json::Value> = configs
            .iter()
            .map(|c| {
                let rules: Vec<serde_json::Value> = c
                    .auth_rules
                    .iter()
                    .map(|r| {
                        let scopes: Vec<String> = r.scopes.iter().map(|s| short_scope(s)).collect();
                        serde_json::json!([r.selector, scopes])
                    })
                    .collect();
                serde_json::json!({"file": c.file, "apis": c.apis, "rules": rules})
            })
            .collect();
        out.insert(name.to_string(), serde_json::Value::Array(files));
    }
    serde_json::Value::Object(out)
}

/// The API entries of every service with scoped rules, keyed by service name (the API host).
pub fn apis(auth: &ServiceAuth, commit: &str) -> BTreeMap<String, Api> {
    let mut by_name: BTreeMap<&str, Vec<&ServiceConfig>> = BTreeMap::new();
    for s in &auth.services {
        by_name.entry(s.name.as_str()).or_default().push(s);
    }
    let mut out = BTreeMap::new();
    for (name, mut configs) in by_name {
        if configs.iter().any(|c| is_stable_file(&c.file)) {
            configs.retain(|c| is_stable_file(&c.file));
        }
        configs.sort_by(|a, b| a.file.cmp(&b.file));
        // selector -> scopes; later rules (and files) win
        let mut rules: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for c in &configs {
            for r in &c.auth_rules {
                if MIXINS.iter().any(|m| r.selector.starts_with(m)) {
                    continue;
                }
                rules.insert(
                    &r.selector,
                    r.scopes.iter().map(|s| short_scope(s)).collect(),
                );
            }
        }
        let mut read = Vec::new();
        let mut write = Vec::new();
        for (selector, scopes) in rules {
            if scopes.is_empty() {
                continue;
            }
            let m = Method {
                id: selector.to_string(),
                http_method: String::new(),
                scopes: scopes.into_iter().collect(),
            };
            let wildcard = selector.ends_with(".*");
            if wildcard || is_read_rpc(selector) || m.scopes.iter().any(|s| is_read_only_scope(s)) {
                read.push(m.clone());
            }
            if wildcard || !is_read_rpc(selector) {
                write.push(m);
            }
        }
        if read.is_empty() && write.is_empty() {
            continue;
        }
        let files: Vec<&str> = configs.iter().map(|c| c.file.as_str()).collect();
        let title = configs
            .iter()
            .map(|c| c.title.as_str())
            .find(|t| !t.is_empty())
            .unwrap_or(name);
        out.insert(
            name.to_string(),
            Api {
                title: title.to_string(),
                source: format!(
                    "googleapis/googleapis@{commit} {} authentication.rules",
                    files.join(", ")
                ),
                read: ClassSummary::from_methods(read.iter()),
                write: ClassSummary::from_methods(write.iter()),
                grpc: true,
                workload: false,
                note: Some(
                    "No discovery document: the scopes come from the service configuration's authentication rules (gRPC)."
                        .to_string(),
                ),
                methods: read.into_iter().chain(write).collect(),
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_become_classes() {
        let auth: ServiceAuth = serde_json::from_value(serde_json::json!({"services": [
            {"file": "google/cloud/x/v1/x_v1.yaml", "name": "x.googleapis.com", "title": "X API",
             "auth_rules": [
                {"selector": "google.cloud.location.Locations.GetLocation", "scopes": ["https://www.googleapis.com/auth/cloud-platform"]},
                {"selector": "google.cloud.x.v1.Svc.*", "scopes": ["https://www.googleapis.com/auth/cloud-platform"]},
                {"selector": "google.cloud.x.v1.Svc.GetThing", "scopes": ["https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/x.readonly"]}]},
            {"file": "google/cloud/x/v1beta/x_v1beta.yaml", "name": "x.googleapis.com",
             "auth_rules": [{"selector": "google.cloud.x.v1beta.Svc.*", "scopes": ["https://www.googleapis.com/auth/x.beta"]}]}
        ]}))
        .unwrap_or_else(|e| panic!("{e}"));
        let apis = apis(&auth, "c0ffee");
        let x = &apis["x.googleapis.com"];
        assert_eq!(x.read.methods, 2);
        assert_eq!(x.write.methods, 1);
        assert!(x.read.all.contains("cloud-platform"));
        assert!(x.read.some.contains_key("x.readonly"));
        assert!(
            !x.accepted().contains("x.beta"),
            "pre-release configs are ignored"
        );
        assert!(x.source.contains("c0ffee"));
    }
}
