//! Step 2 of the pipeline for Terraform: parse configuration files (native
//! syntax with hcl-edit, JSON syntax with jsonc-parser; both keep byte spans),
//! variable files and JSON plans, then turn each root module, with the module
//! instances it calls, into model facts ([`project::analyse`]).

mod account;
pub mod budget;
pub mod cache;
mod custom_role;
pub mod eval;
pub mod extract;
mod functions;
pub mod groups;
mod instances;
pub mod json;
pub mod list_site;
mod managed;
pub mod module;
pub mod native;
pub mod object;
pub mod plan;
pub mod project;
mod providers;
mod references;
pub mod syntax;
#[cfg(test)]
mod tests;
mod tree;
mod types;
mod value;

use crate::discover::FileKind;
use crate::source::{FileId, SourceFile};
use module::ParsedFile;
pub use syntax::ParseError;
use syntax::{Body, Src};

/// What a parsed input is.
pub enum Parsed {
    /// A configuration or variable file.
    File(ParsedFile),
    /// A JSON plan (kept as text; it is read when the configuration is known).
    Plan(plan::PlanInput),
}

/// Parses one file; a UTF-8 BOM is skipped (hcl-edit rejects it) and spans are shifted back.
pub fn parse(id: FileId, kind: FileKind, src: &SourceFile) -> Result<Parsed, ParseError> {
    let name = src
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = |body: Body| {
        Parsed::File(ParsedFile {
            file: id,
            kind,
            name: name.clone(),
            body,
        })
    };
    match kind {
        FileKind::Terraform | FileKind::TfVars => match native::parse_body(src.body()) {
            Ok(body) => Ok(file(Body::from_hcl(
                body,
                Src {
                    file: id,
                    offset: src.bom,
                },
            ))),
            Err(e) => {
                let loc = e.location();
                Err(ParseError {
                    line: loc.line(),
                    column: loc.column(),
                    message: e.message().to_string(),
                })
            }
        },
        FileKind::TerraformJson => json::parse_config(id, src.body(), src.bom).map(file),
        FileKind::TfVarsJson => json::parse_tfvars(id, src.body(), src.bom).map(file),
        FileKind::Plan => plan::PlanInput::new(id, src).map(Parsed::Plan),
        FileKind::Shell | FileKind::Workflow | FileKind::CloudBuild | FileKind::ConfigConnector => {
            Err(ParseError {
                line: 0,
                column: 0,
                message: "not a Terraform file".to_string(),
            })
        }
    }
}
