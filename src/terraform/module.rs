//! One Terraform module: the parsed files of one directory, indexed by the
//! names references use (`var.x`, `local.y`, `TYPE.NAME`, `data.TYPE.NAME`).

use crate::discover::FileKind;
use crate::source::{FileId, Loc};
use hcl::edit::Span;
use hcl::edit::expr::Expression;
use hcl::edit::structure::{Block, Body};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

/// A parsed file of the module.
pub struct ParsedFile {
    pub file: FileId,
    pub kind: FileKind,
    /// The file name, which orders tfvars files.
    pub name: String,
    /// Bytes before the parsed text (a BOM), added to every span.
    pub offset: usize,
    pub body: Body,
}

/// Where an AST node lives: converts parser spans to [`Loc`]s.
#[derive(Debug, Clone, Copy)]
pub struct Src {
    pub file: FileId,
    pub offset: usize,
}

impl Src {
    pub fn loc(self, span: Option<Range<usize>>) -> Option<Loc> {
        span.map(|s| Loc::new(self.file, s.start + self.offset..s.end + self.offset))
    }

    pub fn loc_of(self, node: &impl Span) -> Option<Loc> {
        self.loc(node.span())
    }
}

/// An expression and the file it is written in.
#[derive(Clone, Copy)]
pub struct Def<'a> {
    pub expr: &'a Expression,
    pub src: Src,
}

/// A block and the file it is written in.
#[derive(Clone, Copy)]
pub struct Res<'a> {
    pub block: &'a Block,
    pub src: Src,
}

impl<'a> Res<'a> {
    pub fn attr(&self, key: &str) -> Option<Def<'a>> {
        self.block.body.get_attribute(key).map(|a| Def {
            expr: &a.value,
            src: self.src,
        })
    }

    /// The span of `TYPE "label" "label"`: what a finding about the whole block points at.
    pub fn header(&self) -> Loc {
        let start = self.block.ident.span().map_or(0, |s| s.start);
        let end = self
            .block
            .labels
            .last()
            .and_then(Span::span)
            .or_else(|| self.block.ident.span())
            .map_or(start, |s| s.end);
        Loc::new(
            self.src.file,
            start + self.src.offset..end + self.src.offset,
        )
    }
}

/// The names a module's expressions can refer to.
pub struct Index<'a> {
    /// The module directory, as shown to users.
    pub module: String,
    pub variables: HashMap<&'a str, Def<'a>>,
    /// Values from `terraform.tfvars` and `*.auto.tfvars`, later files winning.
    pub tfvars: HashMap<&'a str, Def<'a>>,
    pub locals: HashMap<&'a str, Def<'a>>,
    /// Resources by `(type, name)`, in a stable order.
    pub resources: BTreeMap<(&'a str, &'a str), Res<'a>>,
    pub data: BTreeMap<(&'a str, &'a str), Res<'a>>,
    /// The `project` of the default `google` provider block.
    pub provider_project: Option<Def<'a>>,
}

impl<'a> Index<'a> {
    /// Indexes the files of one module; `files` must be sorted by path so later
    /// tfvars files win as in Terraform.
    pub fn build(module: String, files: &'a [ParsedFile]) -> Index<'a> {
        let mut idx = Index {
            module,
            variables: HashMap::new(),
            tfvars: HashMap::new(),
            locals: HashMap::new(),
            resources: BTreeMap::new(),
            data: BTreeMap::new(),
            provider_project: None,
        };
        for f in files.iter().filter(|f| f.kind == FileKind::Terraform) {
            idx.add_config(f);
        }
        // terraform.tfvars is loaded first, then *.auto.tfvars in name order.
        let mut tfvars: Vec<&ParsedFile> = files
            .iter()
            .filter(|f| f.kind == FileKind::TfVars)
            .collect();
        tfvars.sort_by(|a, b| {
            (a.name != "terraform.tfvars", &a.name).cmp(&(b.name != "terraform.tfvars", &b.name))
        });
        for f in tfvars {
            let src = Src {
                file: f.file,
                offset: f.offset,
            };
            for attr in f.body.attributes() {
                idx.tfvars.insert(
                    attr.key.as_str(),
                    Def {
                        expr: &attr.value,
                        src,
                    },
                );
            }
        }
        idx
    }

    fn add_config(&mut self, f: &'a ParsedFile) {
        let src = Src {
            file: f.file,
            offset: f.offset,
        };
        for block in f.body.blocks() {
            let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
            match (block.ident.as_str(), labels.as_slice()) {
                ("variable", [name]) => {
                    if let Some(a) = block.body.get_attribute("default") {
                        self.variables.insert(
                            name,
                            Def {
                                expr: &a.value,
                                src,
                            },
                        );
                    }
                }
                ("locals", []) => {
                    for a in block.body.attributes() {
                        self.locals.insert(
                            a.key.as_str(),
                            Def {
                                expr: &a.value,
                                src,
                            },
                        );
                    }
                }
                ("resource", [ty, name]) => {
                    self.resources.insert((ty, name), Res { block, src });
                }
                ("data", [ty, name]) => {
                    self.data.insert((ty, name), Res { block, src });
                }
                ("provider", ["google" | "google-beta"]) => {
                    let aliased = block.body.get_attribute("alias").is_some();
                    if let (false, Some(a)) = (aliased, block.body.get_attribute("project")) {
                        self.provider_project = Some(Def {
                            expr: &a.value,
                            src,
                        });
                    }
                }
                _ => {}
            }
        }
    }
}
