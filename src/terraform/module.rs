//! One Terraform module: the parsed files of one directory, indexed by the
//! names references use (`var.x`, `local.y`, `TYPE.NAME`, `data.TYPE.NAME`,
//! `module.NAME`).

use super::syntax::{Block, Body};
pub use super::syntax::{Def, Src};
use crate::discover::FileKind;
use crate::source::{FileId, Loc};
use hcl::edit::expr::Expression;
use hcl::edit::template::Element;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// A parsed file of the module.
#[derive(Clone)]
pub struct ParsedFile {
    pub file: FileId,
    pub kind: FileKind,
    /// The file name, which orders tfvars files and decides OpenTofu precedence.
    pub name: String,
    pub body: Body,
}

/// A block (resource, data source or module call).
#[derive(Clone, Copy)]
pub struct Res<'a> {
    pub block: &'a Block,
}

impl<'a> Res<'a> {
    pub fn attr(&self, key: &str) -> Option<Def<'a>> {
        self.block.body.attr(key).map(|a| a.def())
    }

    /// The span of `TYPE "label" "label"`: what a finding about the whole block points at.
    pub fn header(&self) -> Loc {
        self.block.header.clone()
    }

    pub fn body(&self) -> &'a Body {
        &self.block.body
    }

    /// Whether the block has `count` or `for_each`.
    pub fn is_expanded(&self) -> bool {
        self.attr("count").is_some() || self.attr("for_each").is_some()
    }
}

/// A `variable` block.
#[derive(Clone, Copy)]
pub struct Variable<'a> {
    pub default: Option<Def<'a>>,
    /// The type constraint, whose `optional()` defaults apply to values.
    pub ty: Option<Def<'a>>,
    pub nullable: Option<Def<'a>>,
}

/// The names a module's expressions can refer to.
pub struct Index<'a> {
    /// The module directory, as shown to users.
    pub module: String,
    /// The module directory, as read (normalized).
    pub dir: PathBuf,
    pub variables: HashMap<&'a str, Variable<'a>>,
    /// Values from `terraform.tfvars` and `*.auto.tfvars` (and their JSON forms),
    /// later files winning; they apply only when the module is a root.
    pub tfvars: HashMap<&'a str, Def<'a>>,
    pub locals: HashMap<&'a str, Def<'a>>,
    /// Resources by `(type, name)`, in a stable order.
    pub resources: BTreeMap<(&'a str, &'a str), Res<'a>>,
    pub data: BTreeMap<(&'a str, &'a str), Res<'a>>,
    /// `module "NAME"` calls.
    pub calls: BTreeMap<&'a str, Res<'a>>,
    pub outputs: HashMap<&'a str, Def<'a>>,
    /// The `project` of the default `google` provider block.
    pub provider_project: Option<Def<'a>>,
    /// Every `google` and `google-beta` provider block by the name resources
    /// use for it (`google-beta`, `google.ml`), with its `project` if set.
    pub provider_projects: HashMap<String, Option<Def<'a>>>,
}

/// The file OpenTofu loads instead of `name` when both exist (`x.tofu` over `x.tf`).
fn tofu_twin(name: &str) -> Option<String> {
    if let Some(base) = name.strip_suffix(".tf.json") {
        Some(format!("{base}.tofu.json"))
    } else {
        name.strip_suffix(".tf").map(|base| format!("{base}.tofu"))
    }
}

impl<'a> Index<'a> {
    /// Indexes the files of one module; `files` must be sorted by path so later
    /// tfvars files win as in Terraform.
    pub fn build(module: String, dir: PathBuf, files: &'a [ParsedFile]) -> Index<'a> {
        let mut idx = Index {
            module,
            dir,
            variables: HashMap::new(),
            tfvars: HashMap::new(),
            locals: HashMap::new(),
            resources: BTreeMap::new(),
            data: BTreeMap::new(),
            calls: BTreeMap::new(),
            outputs: HashMap::new(),
            provider_project: None,
            provider_projects: HashMap::new(),
        };
        let names: BTreeSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
        for f in files.iter().filter(|f| f.kind.is_configuration()) {
            // OpenTofu ignores `x.tf` when `x.tofu` sits beside it.
            if tofu_twin(&f.name).is_some_and(|t| names.contains(t.as_str())) {
                continue;
            }
            idx.add_config(&f.body);
        }
        // terraform.tfvars(.json) is loaded first, then *.auto.tfvars(.json) in name order.
        let mut tfvars: Vec<&ParsedFile> = files.iter().filter(|f| f.kind.is_tfvars()).collect();
        tfvars.sort_by(|a, b| {
            let first = |n: &str| !n.starts_with("terraform.tfvars");
            (first(&a.name), &a.name).cmp(&(first(&b.name), &b.name))
        });
        for f in tfvars {
            for attr in &f.body.attrs {
                idx.tfvars.insert(attr.key.as_str(), attr.def());
            }
        }
        idx
    }

    fn add_config(&mut self, body: &'a Body) {
        for block in &body.blocks {
            let labels: Vec<&str> = block.labels.iter().map(String::as_str).collect();
            let res = Res { block };
            match (block.ident.as_str(), labels.as_slice()) {
                ("variable", [name]) => {
                    self.variables.insert(
                        name,
                        Variable {
                            default: res.attr("default"),
                            ty: res.attr("type"),
                            nullable: res.attr("nullable"),
                        },
                    );
                }
                ("locals", []) => {
                    for a in &block.body.attrs {
                        self.locals.insert(a.key.as_str(), a.def());
                    }
                }
                ("resource", [ty, name]) => {
                    self.resources.insert((ty, name), res);
                }
                ("data", [ty, name]) => {
                    self.data.insert((ty, name), res);
                }
                ("module", [name]) => {
                    self.calls.insert(name, res);
                }
                ("output", [name]) => {
                    if let Some(v) = res.attr("value") {
                        self.outputs.insert(name, v);
                    }
                }
                ("provider", [local @ ("google" | "google-beta")]) => {
                    let alias = res.attr("alias");
                    if let (None, Some(a)) = (alias, res.attr("project")) {
                        self.provider_project = Some(a);
                    }
                    if let Some(name) = configured_name(local, alias.map(|a| a.expr)) {
                        self.provider_projects.insert(name, res.attr("project"));
                    }
                }
                _ => {}
            }
        }
    }
}

/// The `source` of a module call, when it is a plain string.
pub fn call_source(call: &Res<'_>) -> Option<String> {
    match call.attr("source")?.expr {
        Expression::String(s) => Some(s.value().clone()),
        _ => None,
    }
}

/// Whether a module source is a local path (`./` or `../`), which Terraform
/// reads in place rather than installing.
pub fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

/// The provider local names whose `project` places resources.
pub(super) const GOOGLE_PROVIDERS: &[&str] = &["google", "google-beta"];

/// The name a `provider` block configures: `google`, or `google.ALIAS`.
pub fn configured_name(local: &str, alias: Option<&Expression>) -> Option<String> {
    if !GOOGLE_PROVIDERS.contains(&local) {
        return None;
    }
    match alias {
        None => Some(local.to_string()),
        // An alias that is not a literal string: no reference can name it.
        Some(a) => Some(format!("{local}.{}", literal_text(a)?.trim())),
    }
}

/// The text of a string without interpolations: a quoted string, or a
/// template of literal parts only (how the JSON syntax reads every string).
pub(super) fn literal_text(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.value().to_string()),
        Expression::StringTemplate(t) => t
            .iter()
            .map(|e| match e {
                Element::Literal(l) => Some(l.value().as_str()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// How a module directory is named to users.
pub fn module_name(dir: &Path) -> String {
    let s = crate::discover::display_path(dir);
    if s.is_empty() { ".".to_string() } else { s }
}
