//! What every rule is, apart from the list of rules: each rule's file names
//! this, and the list in `mod.rs` names the rules.

use super::assess::{Assessment, Context};
use crate::finding::{Finding, RuleMeta};

/// A lint rule: a code, a name and a check over one workload's assessment.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, a: &Assessment<'_>, cx: &Context<'_>, out: &mut Vec<Finding>);
}

/// The tags every scope rule carries in SARIF.
pub(super) const TAGS: &[&str] = &["gcp", "iam", "oauth-scopes", "correctness"];
