//! What one run found: the files read, the model, the findings and the
//! inputs that could not be read. Every renderer reads it; it names no stage
//! that builds it.

use crate::baseline;
use crate::discover;
use crate::finding::{Finding, RuleMeta};
use crate::model::Model;
use crate::source::{FileId, Sources};

/// A file that could not be read or parsed.
#[derive(Debug, Clone)]
pub struct InputError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The file, when it could be read (for a snippet in diagnostics).
    pub source: Option<FileId>,
}

/// What one run found.
pub struct Outcome {
    pub sources: Sources,
    pub model: Model,
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    /// Set when a baseline was applied.
    pub baseline: Option<baseline::Stats>,
    /// Entries with an input file's name that were not read (symlinks, FIFOs).
    pub skipped: Vec<discover::Skipped>,
    /// Every rule the run checked, in code order: what SARIF lists, so that
    /// rendering needs no rule registry.
    pub rules: Vec<&'static RuleMeta>,
}
