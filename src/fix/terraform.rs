//! Patches for Terraform scopes lists (native syntax and JSON): add the
//! narrowest sufficient scopes or replace the list with `cloud-platform`,
//! keeping the list's one-line or multi-line layout, its alias or URL style
//! and the file's line endings. The list's items and layout are what the
//! Terraform front end recorded ([`ListSite`]); nothing is parsed here.

use super::{Strategy, outside_cloud_platform};
use crate::finding::{Applicability, Edit, Fix};
use crate::knowledge::{CLOUD_PLATFORM, Knowledge};
use crate::model::{ListSite, Scopes, StopToUpdate, Workload};
use crate::source::{Loc, Sources};
use std::collections::BTreeSet;

/// Builds the edits that widen a Terraform scopes list; `None` when it is not a literal of strings.
pub fn scopes_edits(
    kb: &Knowledge,
    scopes: &Scopes,
    strategy: Strategy,
    add: &[String],
) -> Option<Vec<Edit>> {
    let list = scopes.defined.as_ref()?;
    let site: &ListSite = scopes.list.as_ref()?;
    let items = &site.items;
    let url_style = !items.is_empty() && items.iter().all(|(_, s)| s.starts_with("https://"));
    let spell = |short: &str| -> String {
        let s = match (url_style, kb.terraform_alias(short)) {
            (false, Some(alias)) => alias.to_string(),
            _ => Knowledge::url(short),
        };
        format!("\"{s}\"")
    };
    let (nl, indent) = (site.newline, &site.indent);
    let at = |range: std::ops::Range<usize>, replacement: String| Edit {
        loc: Loc::new(list.file, range),
        replacement,
    };
    let whole = |new: &[String]| vec![at(list.span.clone(), format!("[{}]", new.join(", ")))];
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
            match (items.last(), site.after_trailing_comma) {
                (None, _) => whole(&new),
                (Some(_), Some(comma)) if site.multiline => {
                    let ins: String = new.iter().map(|s| format!("{nl}{indent}{s},")).collect();
                    vec![at(comma..comma, ins)]
                }
                (Some((last, _)), _) => {
                    let end = last.span.end;
                    let ins: String = if site.multiline {
                        new.iter().map(|s| format!(",{nl}{indent}{s}")).collect()
                    } else {
                        new.iter().map(|s| format!(", {s}")).collect()
                    };
                    vec![at(end..end, ins)]
                }
            }
        }
        Strategy::CloudPlatform => {
            let mut new = vec![spell(CLOUD_PLATFORM)];
            for (_, raw) in items {
                if kb
                    .terraform_scope(raw)
                    .is_some_and(|s| outside_cloud_platform(&s))
                {
                    new.push(format!("\"{raw}\""));
                }
            }
            match (items.first(), items.last()) {
                (Some((first, _)), Some((last, _))) => {
                    let sep = if site.multiline {
                        format!(",{nl}{indent}")
                    } else {
                        ", ".to_string()
                    };
                    vec![at(first.span.start..last.span.end, new.join(&sep))]
                }
                _ => whole(&new),
            }
        }
    };
    Some(edits)
}

/// The scopes patch `fix` of a Terraform `google_compute_instance`, plus
/// `allow_stopping_for_update = true` on the line before its
/// `service_account` block: the provider changes a running VM's scopes only
/// with it, by stopping and starting the VM, so this patch is unsafe. `None`
/// when the instance sets the attribute, when the scopes are written in
/// another file (a module argument), or when the block does not start a line
/// of native syntax.
pub fn allowing_stop(sources: &Sources, w: &Workload, fix: &Fix) -> Option<Fix> {
    let StopToUpdate::Missing(Some(at)) = &w.stop_to_update else {
        return None;
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::apply;
    use crate::source::SourceFile;

    /// A file whose scopes list is the first `[...]` of `text`, with the site
    /// the Terraform front end records for it.
    fn one_file(name: &str, text: &str) -> (Sources, Scopes) {
        let mut sources = Sources::default();
        let start = text.find('[').unwrap_or(0);
        let end = text.find(']').map_or(text.len(), |i| i + 1);
        let id = sources.push(SourceFile::new(name.into(), name.into(), text.into()));
        let defined = Loc::new(id, start..end);
        let list = crate::terraform::list_site::site(&sources, &defined).map(std::sync::Arc::new);
        let scopes = Scopes {
            defined: Some(defined),
            list,
            ..Scopes::default()
        };
        (sources, scopes)
    }

    fn patched(sources: &Sources, scopes: &Scopes, strategy: Strategy) -> Option<String> {
        let kb = Knowledge::get().ok()?;
        let edits = scopes_edits(kb, scopes, strategy, &["logging.write".into()])?;
        let refs: Vec<&Edit> = edits.iter().collect();
        apply(&sources.get(scopes.defined.as_ref()?.file)?.text, &refs)
    }

    #[test]
    fn layouts_are_kept() {
        let (sources, scopes) = one_file("main.tf", "scopes = [\"storage-ro\"]\n");
        assert_eq!(
            patched(&sources, &scopes, Strategy::Minimal).as_deref(),
            Some("scopes = [\"storage-ro\", \"logging-write\"]\n")
        );
        let text = "scopes = [\r\n  \"storage-ro\",\r\n]\r\n";
        let (sources, scopes) = one_file("main.tf", text);
        assert_eq!(
            patched(&sources, &scopes, Strategy::Minimal).as_deref(),
            Some("scopes = [\r\n  \"storage-ro\",\r\n  \"logging-write\",\r\n]\r\n")
        );
        let (sources, scopes) = one_file("main.tf", "scopes = []\n");
        assert_eq!(
            patched(&sources, &scopes, Strategy::Minimal).as_deref(),
            Some("scopes = [\"logging-write\"]\n")
        );
    }

    #[test]
    fn a_json_list_keeps_urls() {
        let text =
            "{\"scopes\": [\"https://www.googleapis.com/auth/devstorage.read_only\"]} trailing";
        let (sources, scopes) = one_file("main.tf.json", text);
        let out = patched(&sources, &scopes, Strategy::CloudPlatform);
        assert_eq!(
            out.as_deref(),
            Some("{\"scopes\": [\"https://www.googleapis.com/auth/cloud-platform\"]} trailing")
        );
    }

    /// Without a recorded site (an expression, not a literal) there is no patch.
    #[test]
    fn no_site_no_patch() {
        let (sources, mut scopes) = one_file("main.tf", "scopes = [\"storage-ro\"]\n");
        scopes.list = None;
        assert_eq!(patched(&sources, &scopes, Strategy::Minimal), None);
    }
}
