//! Google API Discovery documents: loading, method walking, read/write classes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::{Result, SCOPE_PREFIX};

/// How many example methods that do not accept a scope are kept per `some` entry.
pub const MAX_FAILS: usize = 5;

pub const CPRO: &str = "cloud-platform.read-only";

/// Short name of a scope URL: the prefix `https://www.googleapis.com/auth/` is stripped,
/// any other URL (or bare name) is kept as is.
pub fn short_scope(scope: &str) -> String {
    scope
        .strip_prefix(SCOPE_PREFIX)
        .unwrap_or(scope)
        .to_string()
}

#[derive(Debug, Clone)]
pub struct Method {
    pub id: String,
    pub http_method: String,
    pub scopes: BTreeSet<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Read,
    Write,
}

impl Method {
    /// read = GET, or any method that accepts a read-only scope (cloud-platform.read-only,
    /// compute.readonly, ...: such POSTs are reads, e.g. testIamPermissions or aggregated
    /// lists); write = everything else.
    pub fn class(&self) -> Class {
        if self.http_method.eq_ignore_ascii_case("GET")
            || self.scopes.iter().any(|s| is_read_only_scope(s))
        {
            Class::Read
        } else {
            Class::Write
        }
    }
}

/// Whether a scope only grants reads, judged by Google's naming of read-only scopes.
pub fn is_read_only_scope(scope: &str) -> bool {
    scope == CPRO
        || [".readonly", ".read_only", ".read-only", ".read"]
            .iter()
            .any(|suffix| scope.ends_with(suffix))
}

#[derive(Debug, Clone)]
pub struct Doc {
    /// file stem-like name: `{name}.{version}`
    pub doc_name: String,
    pub name: String,
    pub version: String,
    pub revision: String,
    pub title: String,
    pub host: String,
    /// scopes declared in `auth.oauth2.scopes` (short names)
    pub declared: BTreeSet<String>,
    /// methods that list at least one scope
    pub methods: Vec<Method>,
}

impl Doc {
    /// The apis.json key of the document: the rootUrl host. Documents served from the shared
    /// www.googleapis.com host are keyed `{name}.googleapis.com` instead, so that Drive,
    /// Calendar, ... do not collapse into one entry.
    pub fn key(&self) -> String {
        if self.host == "www.googleapis.com" {
            format!("{}.googleapis.com", self.name)
        } else {
            self.host.clone()
        }
    }

    pub fn is_stable(&self) -> bool {
        is_stable_version(&self.version)
    }
}

pub fn is_stable_version(version: &str) -> bool {
    let v = version.to_ascii_lowercase();
    !(v.contains("alpha") || v.contains("beta") || v.contains("preview"))
}

/// Numeric parts of a version string, for ordering: v1 < v1.4 < v2 < v23.
pub fn version_numbers(version: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut cur: Option<u64> = None;
    for c in version.chars() {
        if let Some(d) = c.to_digit(10) {
            cur = Some(
                cur.unwrap_or(0)
                    .saturating_mul(10)
                    .saturating_add(u64::from(d)),
            );
        } else if let Some(n) = cur.take() {
            out.push(n);
        }
    }
    if let Some(n) = cur {
        out.push(n);
    }
    out
}

fn host_of(root_url: &str) -> Option<String> {
    let rest = root_url
        .strip_prefix("https://")
        .or_else(|| root_url.strip_prefix("http://"))?;
    let host = rest.split(['/', ':']).next()?;
    if host.is_empty() {
        None
    } else {
        Some(host.to_ascii_lowercase())
    }
}

fn walk(node: &Value, out: &mut Vec<Method>) {
    if let Some(methods) = node.get("methods").and_then(Value::as_object) {
        for m in methods.values() {
            let id = m.get("id").and_then(Value::as_str).unwrap_or_default();
            let http = m
                .get("httpMethod")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let scopes: BTreeSet<String> = m
                .get("scopes")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(short_scope)
                        .collect()
                })
                .unwrap_or_default();
            if id.is_empty() || scopes.is_empty() {
                continue;
            }
            out.push(Method {
                id: id.to_string(),
                http_method: http.to_string(),
                scopes,
            });
        }
    }
    if let Some(resources) = node.get("resources").and_then(Value::as_object) {
        for r in resources.values() {
            walk(r, out);
        }
    }
}

pub fn parse_doc(v: &Value) -> Option<Doc> {
    let name = v.get("name")?.as_str()?.to_string();
    let version = v.get("version")?.as_str()?.to_string();
    let host = host_of(v.get("rootUrl")?.as_str()?)?;
    let revision = v
        .get("revision")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string();
    let title = v
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or(&name)
        .to_string();
    let declared = v
        .pointer("/auth/oauth2/scopes")
        .and_then(Value::as_object)
        .map(|m| m.keys().map(|k| short_scope(k)).collect())
        .unwrap_or_default();
    let mut methods = Vec::new();
    walk(v, &mut methods);
    methods.sort_by(|a, b| a.id.cmp(&b.id));
    methods.dedup_by(|a, b| a.id == b.id);
    Some(Doc {
        doc_name: format!("{name}.{version}"),
        name,
        version,
        revision,
        title,
        host,
        declared,
        methods,
    })
}

/// Every `*.json` discovery document of a directory, parsed, in file name order (index.json and
/// other non-documents are skipped).
pub fn raw_documents(dir: &Path) -> Result<Vec<(std::path::PathBuf, Value)>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut docs = Vec::new();
    for p in paths {
        let text = crate::inputs::read_text(&p)?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| format!("cannot parse {}: {e}", p.display()))?;
        if v.get("discoveryVersion").is_some()
            && v.get("kind").and_then(Value::as_str) == Some("discovery#restDescription")
        {
            docs.push((p, v));
        }
    }
    Ok(docs)
}

/// Loads every discovery document of a directory.
pub fn load_dir(dir: &Path) -> Result<Vec<Doc>> {
    let mut docs = Vec::new();
    for (p, v) in raw_documents(dir)? {
        match parse_doc(&v) {
            Some(d) => docs.push(d),
            None => eprintln!(
                "warning: skipping {} (no name/version/rootUrl)",
                p.display()
            ),
        }
    }
    if docs.is_empty() {
        return Err(format!("no discovery documents in {}", dir.display()).into());
    }
    docs.sort_by(|a, b| a.doc_name.cmp(&b.doc_name));
    Ok(docs)
}

/// Orders candidate documents for one key: documents whose own host is the key first, then
/// stable before pre-release, then the highest version.
pub fn preference(key: &str, a: &Doc, b: &Doc) -> std::cmp::Ordering {
    let ka = (a.host == key, a.is_stable(), version_numbers(&a.version));
    let kb = (b.host == key, b.is_stable(), version_numbers(&b.version));
    kb.cmp(&ka)
        .then_with(|| b.version.cmp(&a.version))
        .then_with(|| a.doc_name.cmp(&b.doc_name))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partial {
    pub covers: usize,
    pub fails: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassSummary {
    pub methods: usize,
    pub all: BTreeSet<String>,
    pub some: BTreeMap<String, Partial>,
}

impl ClassSummary {
    pub fn from_methods<'a>(methods: impl IntoIterator<Item = &'a Method>) -> Self {
        let methods: Vec<&Method> = methods.into_iter().collect();
        if methods.is_empty() {
            return Self::default();
        }
        let mut all: BTreeSet<String> = methods[0].scopes.clone();
        let mut union: BTreeSet<String> = BTreeSet::new();
        for m in &methods {
            all.retain(|s| m.scopes.contains(s));
            union.extend(m.scopes.iter().cloned());
        }
        let mut some = BTreeMap::new();
        for s in union.difference(&all) {
            let mut covers = 0;
            let mut fails = Vec::new();
            for m in &methods {
                if m.scopes.contains(s) {
                    covers += 1;
                } else {
                    fails.push(m.id.clone());
                }
            }
            fails.sort();
            fails.truncate(MAX_FAILS);
            some.insert(s.clone(), Partial { covers, fails });
        }
        Self {
            methods: methods.len(),
            all,
            some,
        }
    }

    /// Every scope accepted by at least one method of the class.
    pub fn accepted(&self) -> BTreeSet<String> {
        self.all.iter().chain(self.some.keys()).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(is_stable_version("v1"));
        assert!(is_stable_version("v1b3"));
        assert!(!is_stable_version("v1beta1"));
        assert!(!is_stable_version("v2alpha"));
        assert!(!is_stable_version("preview"));
        assert!(version_numbers("v1.4") > version_numbers("v1"));
        assert!(version_numbers("v23") > version_numbers("v3"));
        assert!(version_numbers("v2") > version_numbers("v1.4"));
    }

    #[test]
    fn short_names() {
        assert_eq!(
            short_scope("https://www.googleapis.com/auth/cloud-platform"),
            "cloud-platform"
        );
        assert_eq!(
            short_scope("https://mail.google.com/"),
            "https://mail.google.com/"
        );
    }

    #[test]
    fn class_summary() {
        let m = |id: &str, s: &[&str]| Method {
            id: id.into(),
            http_method: "GET".into(),
            scopes: s.iter().map(|x| x.to_string()).collect(),
        };
        let ms = [
            m("a.b", &["cp", "x"]),
            m("a.a", &["cp"]),
            m("a.c", &["cp", "x", "y"]),
        ];
        let c = ClassSummary::from_methods(ms.iter());
        assert_eq!(c.methods, 3);
        assert_eq!(c.all, BTreeSet::from(["cp".to_string()]));
        assert_eq!(c.some["x"].covers, 2);
        assert_eq!(c.some["x"].fails, vec!["a.a".to_string()]);
        assert_eq!(
            c.some["y"].fails,
            vec!["a.a".to_string(), "a.b".to_string()]
        );
    }
}
