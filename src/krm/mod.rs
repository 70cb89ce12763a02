//! Step 2 of the pipeline for Config Connector: Kubernetes objects of the
//! `*.cnrm.cloud.google.com` API groups (KRM YAML), turned into the same model
//! facts as Terraform.
//!
//! One job per module: this one reads a file's documents into [`Object`]s
//! (other Kubernetes objects are dropped, `Namespace`s kept for their project
//! annotation), [`facts`] turns the objects of one directory into workloads,
//! grants and enabled APIs, and [`patch`] edits `scopes`/`oauthScopes` lists.

pub mod facts;

use crate::model::Unresolved;
use crate::source::{FileId, Loc, ParseError, SourceFile};
use crate::yaml::{self, Node};

/// The annotation that names the project an object lives in.
pub const PROJECT_ANNOTATION: &str = "cnrm.cloud.google.com/project-id";

/// One Config Connector object (or `Namespace`) of a file.
#[derive(Debug, Clone)]
pub struct Object {
    pub file: FileId,
    /// The API group, e.g. `compute.cnrm.cloud.google.com` (empty for core objects).
    pub group: String,
    pub kind: String,
    /// `metadata.name`, when written as a string.
    pub name: Option<String>,
    /// `metadata.namespace`, when written.
    pub namespace: Option<String>,
    /// The project annotation, when written.
    pub project: Option<String>,
    /// The whole document.
    pub doc: Node,
}

impl Object {
    pub fn spec(&self) -> Option<&Node> {
        self.doc.get("spec")
    }

    /// `metadata.annotations[key]` as written.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.doc
            .get("metadata")?
            .get("annotations")?
            .get(key)?
            .as_str()
    }
}

/// What one file holds.
#[derive(Debug, Default)]
pub struct Read {
    pub objects: Vec<Object>,
    /// Why the file was not read, for `--verbose`.
    pub unread: Option<Unresolved>,
}

/// Reads the Config Connector objects (and `Namespace`s) of one file; other
/// documents are left out without a word. A template for another tool (Helm's
/// `{{ }}`) is not YAML until that tool runs: it is left out with a note, not
/// reported as an error.
pub fn read(id: FileId, src: &SourceFile) -> Result<Read, ParseError> {
    let docs = match yaml::parse_all(src.body()) {
        Ok(docs) => docs,
        Err(_) if src.body().contains("{{") => {
            return Ok(Read {
                objects: Vec::new(),
                unread: Some(Unresolved {
                    loc: Loc::new(id, 0..0),
                    what: "a template for another tool ({{ }}), not YAML until it runs: not read"
                        .to_string(),
                }),
            });
        }
        Err(e) => {
            return Err(ParseError {
                line: e.line,
                column: e.column,
                message: e.message,
            });
        }
    };
    let mut out = Vec::new();
    for mut doc in docs {
        yaml::shift(&mut doc, src.bom);
        let Some(api) = doc.get("apiVersion").and_then(Node::as_str) else {
            continue;
        };
        let group = api.rsplit_once('/').map_or("", |(g, _)| g).to_string();
        let Some(kind) = doc.get("kind").and_then(Node::as_str).map(str::to_string) else {
            continue;
        };
        let namespace_object = group.is_empty() && kind == "Namespace";
        if !group.ends_with(".cnrm.cloud.google.com") && !namespace_object {
            continue;
        }
        let meta = doc.get("metadata");
        let text = |key: &str| {
            meta.and_then(|m| m.get(key))
                .and_then(Node::as_str)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let name = text("name");
        let namespace = text("namespace");
        let mut object = Object {
            file: id,
            group,
            kind,
            name,
            namespace,
            project: None,
            doc,
        };
        object.project = object
            .annotation(PROJECT_ANNOTATION)
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        out.push(object);
    }
    Ok(Read {
        objects: out,
        unread: None,
    })
}
