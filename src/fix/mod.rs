//! Step 6 of the pipeline: suggested patches as text edits on source spans.
//!
//! A scopes patch either adds the narrowest sufficient scopes to the list or
//! replaces it with `cloud-platform`, keeping the list's one-line or
//! multi-line layout and its alias or URL style. Every patch is applied in
//! memory and re-parsed before it is offered.

pub mod build;
pub mod gcloud;
pub mod krm;
pub mod plan;
pub mod shared;
pub mod terraform;
pub mod write;

pub use crate::check::strategy::{Strategy, minimal_scopes, outside_cloud_platform};
use crate::finding::Edit;
use crate::knowledge::Knowledge;
use crate::model::{Dialect, Scopes};
use crate::source::{Loc, Sources};

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
        Dialect::Terraform => terraform::scopes_edits(kb, sources, scopes, strategy, add),
    }
}

/// Applies edits to one file's text; `None` when they overlap or fall outside it.
pub fn apply(text: &str, edits: &[&Edit]) -> Option<String> {
    let mut sorted: Vec<&&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.loc.span.start, e.loc.span.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut pos = 0;
    for e in sorted {
        if e.loc.span.start < pos {
            return None;
        }
        out.push_str(text.get(pos..e.loc.span.start)?);
        out.push_str(&e.replacement);
        pos = e.loc.span.end;
    }
    out.push_str(text.get(pos..)?);
    Some(out)
}

/// Applies file edits to `region`, the part of the file that starts at byte
/// `base`; `None` when an edit falls outside it.
pub fn apply_within(region: &str, base: usize, edits: &[Edit]) -> Option<String> {
    let local: Vec<Edit> = edits
        .iter()
        .map(|e| {
            let start = e.loc.span.start.checked_sub(base)?;
            let end = e.loc.span.end.checked_sub(base)?;
            (start <= end && end <= region.len()).then(|| Edit {
                loc: Loc::new(e.loc.file, start..end),
                replacement: e.replacement.clone(),
            })
        })
        .collect::<Option<_>>()?;
    let refs: Vec<&Edit> = local.iter().collect();
    apply(region, &refs)
}

/// A unified diff of `before` → `after` for one file.
pub fn unified_diff(path: &str, before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}
