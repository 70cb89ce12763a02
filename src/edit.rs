//! Text edits on source spans: applying them to a file's text in memory and
//! showing the result as a unified diff. Patches are made of them; the
//! renderers show them; neither needs the other for this.

use crate::finding::Edit;
use crate::source::Loc;

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
