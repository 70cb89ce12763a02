//! Patches for Terraform scopes lists (native syntax and JSON): add the
//! narrowest sufficient scopes or replace the list with `cloud-platform`,
//! keeping the list's one-line or multi-line layout, its alias or URL style
//! and the file's line endings.

use super::{Strategy, apply_within, outside_cloud_platform};
use crate::finding::{Applicability, Edit, Fix};
use crate::knowledge::{CLOUD_PLATFORM, Knowledge};
use crate::model::{Scopes, Workload};
use crate::source::{Loc, Sources};
use hcl::edit::Span;
use hcl::edit::expr::Expression;
use std::collections::BTreeSet;

/// Builds the edits that widen a Terraform scopes list; `None` when it is not a literal of strings.
pub fn scopes_edits(
    kb: &Knowledge,
    sources: &Sources,
    scopes: &Scopes,
    strategy: Strategy,
    add: &[String],
) -> Option<Vec<Edit>> {
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

/// The scopes patch `fix` of a Terraform `google_compute_instance`, plus
/// `allow_stopping_for_update = true` on the line before its
/// `service_account` block: the provider changes a running VM's scopes only
/// with it, by stopping and starting the VM, so this patch is unsafe. `None`
/// when the instance sets the attribute, when the scopes are written in
/// another file (a module argument), or when the block does not start a line
/// of native syntax.
pub fn allowing_stop(sources: &Sources, w: &Workload, fix: &Fix) -> Option<Fix> {
    let at = w.stop_to_update.as_ref()?;
    // Only beside scopes written in the resource's own file: a module's
    // resource serves every caller (and may be a downloaded module).
    if fix.edits.iter().any(|e| e.loc.file != at.file) {
        return None;
    }
    let file = sources.get(at.file)?;
    if file.path.extension().is_some_and(|e| e == "json") {
        return None;
    }
    let line_start = file
        .text
        .get(..at.span.start)?
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let indent = file.text.get(line_start..at.span.start)?;
    if !indent.chars().all(|c| c == ' ' || c == '\t') {
        return None;
    }
    let nl = if file.text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut edits = fix.edits.clone();
    edits.push(Edit {
        loc: at.clone(),
        replacement: format!("allow_stopping_for_update = true{nl}{nl}{indent}"),
    });
    Some(Fix {
        description: format!(
            "{}; and set allow_stopping_for_update = true",
            fix.description.trim_end_matches('.')
        ),
        edits,
        applicability: Applicability::Unsafe,
        caveat: Some(
            "on a running VM, terraform apply then stops and starts it to change the scopes"
                .to_string(),
        ),
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::apply;
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
