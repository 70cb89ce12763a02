//! Terraform JSON plans (`terraform show -json PLANFILE`).

use super::ParseError;
use super::eval::Modules;
use super::object::Resources;
use crate::source::{FileId, SourceFile};
use std::path::PathBuf;

/// A plan file, kept as text until the configuration it describes is known.
pub struct PlanInput {
    pub file: FileId,
    pub display: String,
    pub text: String,
    pub offset: usize,
}

impl PlanInput {
    pub fn new(file: FileId, src: &SourceFile) -> Result<PlanInput, ParseError> {
        super::json::parse_value(src.body())?;
        Ok(PlanInput {
            file,
            display: src.display.clone(),
            text: src.body().to_string(),
            offset: src.bom,
        })
    }
}

/// What a plan stands for.
pub struct PlanResult {
    /// The scanned root module the plan was made from, when its sources were scanned.
    pub root: Option<PathBuf>,
    pub resources: Resources,
}

pub fn resources(
    p: &PlanInput,
    _configs: &[(Option<PathBuf>, Resources)],
    _modules: &Modules<'_>,
) -> PlanResult {
    PlanResult {
        root: None,
        resources: Resources::new(p.display.clone()),
    }
}
