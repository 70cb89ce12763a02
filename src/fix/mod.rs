//! Step 6 of the pipeline: suggested patches as text edits on source spans.
//!
//! A scopes patch either adds the narrowest sufficient scopes to the list or
//! replaces it with `cloud-platform`, keeping the list's one-line or
//! multi-line layout and its alias or URL style. Every patch is applied in
//! memory and the patched file parsed again before it is offered
//! ([`verify`]).

pub mod build;
pub mod gcloud;
pub mod krm;
pub mod plan;
pub mod shared;
pub mod terraform;
pub mod verify;
pub mod write;

pub use crate::check::strategy::{Strategy, minimal_scopes, outside_cloud_platform};
pub use crate::edit::{apply, apply_within, unified_diff};
use crate::finding::Edit;
use crate::knowledge::Knowledge;
use crate::model::{Dialect, Scopes};
use crate::source::Sources;

/// Builds the edits that widen `scopes`, in the syntax they are written in;
/// `None` when the list is not a literal that can be patched.
pub fn scopes_edits(
    kb: &Knowledge,
    sources: &Sources,
    scopes: &Scopes,
    strategy: Strategy,
    add: &[String],
) -> Option<Vec<Edit>> {
    match scopes.dialect {
        Dialect::Gcloud => gcloud::scopes_edits(kb, sources, scopes, strategy, add),
        Dialect::ConfigConnector => krm::scopes_edits(kb, sources, scopes, strategy, add),
        Dialect::Terraform => terraform::scopes_edits(kb, scopes, strategy, add),
    }
}
