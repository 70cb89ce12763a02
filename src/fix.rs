//! Step 6 of the pipeline: suggested patches as text edits on source spans.
//!
//! A scopes patch either adds the narrowest sufficient scopes to the list or
//! replaces it with `cloud-platform`, keeping the list's one-line or
//! multi-line layout and its alias or URL style. Every patch is applied in
//! memory and re-parsed before it is offered.

use crate::finding::Edit;
use crate::knowledge::{Access, CLOUD_PLATFORM, CLOUD_PLATFORM_RO, Knowledge, RoleUse};
use crate::model::{Identity, Scopes};
use crate::source::{Loc, Sources};
use hcl::edit::Span;
use hcl::edit::expr::Expression;
use std::collections::BTreeSet;

/// How a scopes patch widens the scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Strategy {
    /// `cloud-platform` for a dedicated service account, `minimal` for the default one.
    Auto,
    /// Replace the scopes with `cloud-platform`: IAM does the restricting.
    CloudPlatform,
    /// Add the narrowest scopes that make every granted role work.
    Minimal,
}

impl Strategy {
    /// The concrete strategy for an identity, and why it was chosen.
    pub fn resolve(self, identity: &Identity) -> (Strategy, &'static str) {
        match self {
            Strategy::Auto if identity.is_default_compute() => (
                Strategy::Minimal,
                "adds the narrowest sufficient scopes, because the Compute Engine default service account often holds roles/editor and cloud-platform would open the whole project to the VM",
            ),
            Strategy::Auto => (
                Strategy::CloudPlatform,
                "uses cloud-platform, Google's recommendation for a dedicated service account: IAM roles still limit what it can do",
            ),
            Strategy::CloudPlatform => {
                (Strategy::CloudPlatform, "uses cloud-platform, as requested")
            }
            Strategy::Minimal => (
                Strategy::Minimal,
                "adds the narrowest sufficient scopes, as requested",
            ),
        }
    }
}

/// Scopes that `cloud-platform` does not cover (Workspace and identity scopes):
/// a cloud-platform patch keeps them.
pub fn outside_cloud_platform(short: &str) -> bool {
    [
        "drive",
        "spreadsheets",
        "userinfo.",
        "cloud-identity",
        "gmail",
        "calendar",
        "documents",
        "forms",
        "presentations",
        "cloud_search",
    ]
    .iter()
    .any(|p| short.starts_with(p))
}

/// Chooses the narrowest scopes to add so that every failing use is covered.
pub fn minimal_scopes(kb: &Knowledge, failing: &[&RoleUse]) -> Vec<String> {
    // Prefer service scopes over the platform-wide ones, and aliased scopes for readability.
    let rank = |s: &str, access: Access| -> (u8, u8, u8, String) {
        let platform = match s {
            CLOUD_PLATFORM_RO if access == Access::Read => 1,
            CLOUD_PLATFORM_RO | CLOUD_PLATFORM => 2,
            _ => 0,
        };
        // the narrowest of a family: read-only for reads, never full control unless needed
        let breadth = if access == Access::Read
            && (s.ends_with("read_only") || s.ends_with(".readonly") || s.ends_with("read-only"))
        {
            0
        } else if s.ends_with("full_control") || s.ends_with(".admin") {
            2
        } else {
            1
        };
        (
            platform,
            u8::from(kb.terraform_alias(s).is_none()),
            breadth,
            s.to_string(),
        )
    };
    let mut remaining: Vec<&RoleUse> = failing.to_vec();
    let mut chosen: Vec<String> = Vec::new();
    while let Some(first) = remaining.first() {
        let best = first
            .needs_any_of
            .iter()
            .map(|s| {
                let covered = remaining
                    .iter()
                    .filter(|u| u.needs_any_of.contains(s))
                    .count();
                (std::cmp::Reverse(covered), rank(s, first.access), s.clone())
            })
            .min();
        let Some((_, _, scope)) = best else {
            remaining.remove(0);
            continue;
        };
        remaining.retain(|u| !u.needs_any_of.contains(&scope));
        chosen.push(scope);
    }
    chosen.sort();
    chosen.dedup();
    chosen
}

/// Builds the edits that widen `scopes`; `None` when the list is not a literal we can patch.
pub fn scopes_edits(
    kb: &Knowledge,
    sources: &Sources,
    scopes: &Scopes,
    strategy: Strategy,
    add: &[String],
) -> Option<Vec<Edit>> {
    if scopes.dialect == crate::model::Dialect::Gcloud {
        return crate::shell::patch::scopes_edits(kb, sources, scopes, strategy, add);
    }
    if scopes.dialect == crate::model::Dialect::ConfigConnector {
        return crate::krm::patch::scopes_edits(kb, sources, scopes, strategy, add);
    }
    let loc = scopes.defined.as_ref()?;
    let file = sources.get(loc.file)?;
    let text = file.text.get(loc.span.clone())?;
    let Ok(Expression::Array(array)) = hcl::edit::parser::parse_expr(text) else {
        return None;
    };
    let items: Vec<(std::ops::Range<usize>, String)> = array
        .iter()
        .map(|e| match e {
            Expression::String(s) => e.span().map(|sp| (sp, s.value().clone())),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let url_style = !items.is_empty() && items.iter().all(|(_, s)| s.starts_with("https://"));
    let spell = |short: &str| -> String {
        let s = match (url_style, kb.terraform_alias(short)) {
            (false, Some(alias)) => alias.to_string(),
            _ => Knowledge::url(short),
        };
        format!("\"{s}\"")
    };
    let multiline = text.contains('\n');
    // New lines keep the file's line endings.
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let indent = items
        .last()
        .map_or_else(String::new, |(sp, _)| line_indent(text, sp.start));
    let base = loc.span.start;
    let edit = |range: std::ops::Range<usize>, replacement: String| Edit {
        loc: Loc::new(loc.file, base + range.start..base + range.end),
        replacement,
    };
    let present: BTreeSet<String> = items
        .iter()
        .filter_map(|(_, s)| kb.terraform_scope(s))
        .collect();
    let edits = match strategy {
        Strategy::Minimal | Strategy::Auto => {
            let new: Vec<String> = add
                .iter()
                .filter(|s| !present.contains(*s))
                .map(|s| spell(s))
                .collect();
            if new.is_empty() {
                return None;
            }
            match items.last() {
                None => vec![edit(0..text.len(), format!("[{}]", new.join(", ")))],
                Some((last, _)) => {
                    let after = text.get(last.end..).unwrap_or("");
                    let comma = after.trim_start().starts_with(',');
                    if multiline && comma {
                        let at = last.end + after.find(',').unwrap_or(0) + 1;
                        let ins: String = new.iter().map(|s| format!("{nl}{indent}{s},")).collect();
                        vec![edit(at..at, ins)]
                    } else if multiline {
                        let ins: String = new.iter().map(|s| format!(",{nl}{indent}{s}")).collect();
                        vec![edit(last.end..last.end, ins)]
                    } else {
                        let ins: String = new.iter().map(|s| format!(", {s}")).collect();
                        vec![edit(last.end..last.end, ins)]
                    }
                }
            }
        }
        Strategy::CloudPlatform => {
            let mut new = vec![spell(CLOUD_PLATFORM)];
            for (_, raw) in &items {
                if kb
                    .terraform_scope(raw)
                    .is_some_and(|s| outside_cloud_platform(&s))
                {
                    new.push(format!("\"{raw}\""));
                }
            }
            match (items.first(), items.last()) {
                (Some((first, _)), Some((last, _))) => {
                    let sep = if multiline {
                        format!(",{nl}{indent}")
                    } else {
                        ", ".to_string()
                    };
                    vec![edit(first.start..last.end, new.join(&sep))]
                }
                _ => vec![edit(0..text.len(), format!("[{}]", new.join(", ")))],
            }
        }
    };
    let json = file.path.extension().is_some_and(|e| e == "json");
    verified(json, text, base, edits)
}

/// The leading whitespace of the line that contains byte `at` of `text`.
fn line_indent(text: &str, at: usize) -> String {
    let start = text
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    text.get(start..)
        .unwrap_or("")
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
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

/// Keeps the edits only if the patched file still parses.
///
/// The edits all fall inside one list literal (`list`, at byte `base` of a
/// file that parses), so the file parses after them exactly when the patched
/// literal still parses as a list. Only the literal is parsed again: parsing
/// the whole file once per finding made a file with many findings quadratic.
fn verified(json: bool, list: &str, base: usize, edits: Vec<Edit>) -> Option<Vec<Edit>> {
    let patched = apply_within(list, base, &edits)?;
    // Terraform's JSON syntax (`.tf.json`, `.tfvars.json`) must stay valid JSON.
    let still_a_list = if json {
        patched.trim_start().starts_with('[') && crate::terraform::json::is_valid(&patched)
    } else {
        matches!(
            hcl::edit::parser::parse_expr(&patched),
            Ok(Expression::Array(_))
        )
    };
    still_a_list.then_some(edits)
}

/// A unified diff of `before` → `after` for one file.
pub fn unified_diff(path: &str, before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    /// A file whose scopes list is at `list` and whose other text is `rest`.
    fn one_file(name: &str, text: &str) -> (Sources, Scopes) {
        let mut sources = Sources::default();
        let start = text.find('[').unwrap_or(0);
        let end = text.find(']').map_or(text.len(), |i| i + 1);
        let id = sources.push(SourceFile::new(name.into(), name.into(), text.into()));
        let scopes = Scopes {
            defined: Some(Loc::new(id, start..end)),
            ..Scopes::default()
        };
        (sources, scopes)
    }

    fn patched(sources: &Sources, scopes: &Scopes, strategy: Strategy) -> Option<String> {
        let kb = Knowledge::get().ok()?;
        let edits = scopes_edits(kb, sources, scopes, strategy, &["logging.write".into()])?;
        let refs: Vec<&Edit> = edits.iter().collect();
        apply(&sources.get(scopes.defined.as_ref()?.file)?.text, &refs)
    }

    /// Verification reads the patched list, not the file around it: text
    /// outside the list is never parsed again, so a file with many patched
    /// lists costs one list parse per patch, not one file parse per patch.
    #[test]
    fn verification_parses_only_the_patched_list() {
        // What follows the list is not HCL: a whole-file re-parse would refuse the patch.
        let text = "scopes = [\"storage-ro\"]\n}}} not = = hcl {{\n";
        let (sources, scopes) = one_file("main.tf", text);
        let out = patched(&sources, &scopes, Strategy::Minimal);
        assert_eq!(
            out.as_deref(),
            Some("scopes = [\"storage-ro\", \"logging-write\"]\n}}} not = = hcl {{\n")
        );
    }

    #[test]
    fn a_json_list_stays_json() {
        let text =
            "{\"scopes\": [\"https://www.googleapis.com/auth/devstorage.read_only\"]} trailing";
        let (sources, scopes) = one_file("main.tf.json", text);
        let out = patched(&sources, &scopes, Strategy::CloudPlatform);
        assert_eq!(
            out.as_deref(),
            Some("{\"scopes\": [\"https://www.googleapis.com/auth/cloud-platform\"]} trailing")
        );
    }

    #[test]
    fn a_patch_that_breaks_the_list_is_refused() {
        let list = "[\"storage-ro\"]";
        let base = 4;
        let broken = Edit {
            loc: Loc::new(crate::source::FileId(0), base + 1..base + 1),
            replacement: "\"unterminated".into(),
        };
        assert!(verified(false, list, base, vec![broken.clone()]).is_none());
        assert!(verified(true, list, base, vec![broken]).is_none());
        // An edit outside the list cannot be checked on it, so it is refused too.
        let outside = Edit {
            loc: Loc::new(crate::source::FileId(0), 0..1),
            replacement: String::new(),
        };
        assert!(verified(false, list, base, vec![outside]).is_none());
    }
}
