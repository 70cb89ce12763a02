//! The generator's upstream inputs, vendored in `xtask/inputs/` so that `gen-rules` runs offline.
//!
//! Large files are stored gzip-compressed (`name.json.gz`); a plain `name.json` beside them (or in
//! a test directory) is read the same way. The discovery documents are vendored as an extraction
//! that keeps, per document, only the fields the generator reads, in the documents' own schema.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::Result;

/// Where each vendored input lives, relative to the inputs directory.
pub const IAM_ROLES: &str = "iam-dataset/roles.json";
pub const IAM_MAP: &str = "iam-dataset/map.json";
pub const SERVICE_AUTH: &str = "googleapis/service-auth.json";
pub const DISCOVERY: &str = "discovery/documents.json";

/// The path of a vendored input: `name.gz` when it exists, else `name`.
pub fn input_path(dir: &Path, name: &str) -> PathBuf {
    let gz = dir.join(format!("{name}.gz"));
    if gz.is_file() { gz } else { dir.join(name) }
}

/// Reads a vendored input, decompressing it when it is gzip; a missing input is an error.
pub fn read_input(dir: &Path, name: &str) -> Result<String> {
    let path = input_path(dir, name);
    let bytes = std::fs::read(&path).map_err(|e| {
        format!(
            "cannot read the vendored input {}: {e} (the generator runs only from the inputs in the repository)",
            path.display()
        )
    })?;
    if path.extension().is_some_and(|x| x == "gz") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot decompress {}: {e}", path.display()))?;
        Ok(text)
    } else {
        String::from_utf8(bytes).map_err(|e| format!("{} is not UTF-8: {e}", path.display()).into())
    }
}

/// Parses a vendored JSON input.
pub fn read_input_json<T: for<'de> serde::Deserialize<'de>>(dir: &Path, name: &str) -> Result<T> {
    let text = read_input(dir, name)?;
    serde_json::from_str(&text).map_err(|e| format!("cannot parse {name}: {e}").into())
}

/// Writes `text` gzip-compressed (no file name, no time stamp: the bytes depend only on `text`).
pub fn write_gz(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut enc = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    enc.write_all(text.as_bytes())
        .map_err(|e| format!("cannot compress {}: {e}", path.display()))?;
    let bytes = enc
        .finish()
        .map_err(|e| format!("cannot compress {}: {e}", path.display()))?;
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

/// The package, version and wheel hash the vendored discovery documents come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryOrigin {
    pub package: String,
    pub version: String,
    pub wheel_sha256: String,
}

impl DiscoveryOrigin {
    /// How the output names the documents, e.g. `google-api-python-client 2.202.0`.
    pub fn label(&self) -> String {
        format!("{} {}", self.package, self.version)
    }
}

/// Copies the fields the generator reads from one discovery document: name, version, revision,
/// title, rootUrl, the declared OAuth scopes and every method (id, HTTP method, scopes), the
/// methods flattened to one level and keyed by id.
fn extract_doc(v: &Value) -> Value {
    let mut methods = Map::new();
    collect_methods(v, &mut methods);
    let declared: Map<String, Value> = v
        .pointer("/auth/oauth2/scopes")
        .and_then(Value::as_object)
        .map(|m| m.keys().map(|k| (k.clone(), json!({}))).collect())
        .unwrap_or_default();
    let mut out = Map::new();
    for key in [
        "kind",
        "discoveryVersion",
        "name",
        "version",
        "revision",
        "title",
        "rootUrl",
    ] {
        if let Some(x) = v.get(key) {
            out.insert(key.to_string(), x.clone());
        }
    }
    out.insert("auth".into(), json!({"oauth2": {"scopes": declared}}));
    out.insert("methods".into(), Value::Object(methods));
    Value::Object(out)
}

fn collect_methods(node: &Value, out: &mut Map<String, Value>) {
    if let Some(methods) = node.get("methods").and_then(Value::as_object) {
        for m in methods.values() {
            let Some(id) = m.get("id").and_then(Value::as_str) else {
                continue;
            };
            let mut kept = Map::new();
            for key in ["id", "httpMethod", "scopes"] {
                if let Some(x) = m.get(key) {
                    kept.insert(key.to_string(), x.clone());
                }
            }
            out.entry(id.to_string()).or_insert(Value::Object(kept));
        }
    }
    if let Some(resources) = node.get("resources").and_then(Value::as_object) {
        for r in resources.values() {
            collect_methods(r, out);
        }
    }
}

/// The extraction of a directory of discovery documents (the wheel's
/// `googleapiclient/discovery_cache/documents/`), with its origin.
pub fn extract_discovery(dir: &Path, origin: &DiscoveryOrigin) -> Result<String> {
    let mut docs = Map::new();
    for (p, v) in crate::discovery::raw_documents(dir)? {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        docs.insert(name, extract_doc(&v));
    }
    if docs.is_empty() {
        return Err(format!("no discovery documents in {}", dir.display()).into());
    }
    let v = json!({
        "about": "The fields gen-rules reads from every discovery document of the wheel's googleapiclient/discovery_cache/documents/ (name, version, revision, title, rootUrl, declared scopes; every method's id, httpMethod and scopes, flattened). Written by `cargo run -p xtask -- vendor-discovery`.",
        "package": origin.package,
        "version": origin.version,
        "wheel_sha256": origin.wheel_sha256,
        "documents": docs,
    });
    // One document per line keeps a refresh reviewable after decompression.
    let mut out = String::from("{\n");
    let obj = v.as_object().cloned().unwrap_or_default();
    let mut first = true;
    for (k, x) in &obj {
        if !first {
            out.push_str(",\n");
        }
        first = false;
        out.push_str(&format!("{}: ", Value::String(k.clone())));
        match (k.as_str(), x) {
            ("documents", Value::Object(m)) => {
                out.push_str("{\n");
                let lines: Vec<String> = m
                    .iter()
                    .map(|(n, d)| format!("{}: {}", Value::String(n.clone()), d))
                    .collect();
                out.push_str(&lines.join(",\n"));
                out.push_str("\n}");
            }
            _ => out.push_str(&x.to_string()),
        }
    }
    out.push_str("\n}\n");
    Ok(out)
}

/// The vendored discovery documents, as parsed documents, with their origin.
pub fn load_discovery(dir: &Path) -> Result<(Vec<crate::discovery::Doc>, DiscoveryOrigin)> {
    let v: Value = read_input_json(dir, DISCOVERY)?;
    let field = |k: &str| -> Result<String> {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("{DISCOVERY}: no {k}").into())
    };
    let origin = DiscoveryOrigin {
        package: field("package")?,
        version: field("version")?,
        wheel_sha256: field("wheel_sha256")?,
    };
    let docs = v
        .get("documents")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{DISCOVERY}: no documents"))?;
    let mut out = Vec::new();
    for (name, d) in docs {
        let doc = crate::discovery::parse_doc(d)
            .ok_or_else(|| format!("{DISCOVERY}: {name} has no name/version/rootUrl"))?;
        out.push(doc);
    }
    out.sort_by(|a, b| a.doc_name.cmp(&b.doc_name));
    Ok((out, origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extraction_keeps_what_the_generator_reads() {
        let doc = json!({
            "kind": "discovery#restDescription", "discoveryVersion": "v1",
            "name": "x", "version": "v1", "revision": "20260101", "title": "X API",
            "rootUrl": "https://x.googleapis.com/", "description": "dropped",
            "auth": {"oauth2": {"scopes": {"https://www.googleapis.com/auth/cloud-platform": {"description": "d"}}}},
            "resources": {"a": {"methods": {"get": {"id": "x.a.get", "httpMethod": "GET",
                "scopes": ["https://www.googleapis.com/auth/cloud-platform"], "parameters": {}}}}}
        });
        let e = extract_doc(&doc);
        assert!(e.get("description").is_none());
        assert_eq!(
            e.pointer("/methods/x.a.get/httpMethod"),
            Some(&json!("GET"))
        );
        let (a, b) = (
            crate::discovery::parse_doc(&doc).map(|d| (d.doc_name, d.methods.len(), d.declared)),
            crate::discovery::parse_doc(&e).map(|d| (d.doc_name, d.methods.len(), d.declared)),
        );
        assert_eq!(a, b);
    }

    #[test]
    fn gzip_round_trip() {
        let dir = std::env::temp_dir().join(format!("xtask-vendor-{}", std::process::id()));
        let p = dir.join("t.json.gz");
        write_gz(&p, "{\"a\": 1}\n")
            .map_err(|e| e.to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        let back = read_input(&dir, "t.json").map_err(|e| e.to_string());
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(back.as_deref(), Ok("{\"a\": 1}\n"));
    }
}
