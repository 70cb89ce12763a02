//! Step 2 of the pipeline for Terraform: parse `.tf` and `.tfvars` files with
//! hcl-edit (byte spans on every node) and turn each module directory into
//! model facts.

pub mod eval;
pub mod extract;
mod functions;
pub mod marker;
pub mod module;

use crate::discover::FileKind;
use crate::source::{FileId, SourceFile};
use module::ParsedFile;

/// A file that could not be parsed, with the 1-based position of the error.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parses one file; a UTF-8 BOM is skipped (hcl-edit rejects it) and spans are shifted back.
pub fn parse(id: FileId, kind: FileKind, src: &SourceFile) -> Result<ParsedFile, ParseError> {
    let name = src
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match hcl::edit::parser::parse_body(src.body()) {
        Ok(body) => Ok(ParsedFile {
            file: id,
            kind,
            name,
            offset: src.bom,
            body,
        }),
        Err(e) => {
            let loc = e.location();
            Err(ParseError {
                line: loc.line(),
                column: loc.column(),
                message: e.message().to_string(),
            })
        }
    }
}
