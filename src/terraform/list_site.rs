//! Where a patch can add to a Terraform scopes list. After evaluation, every
//! scopes value written as one list literal of plain strings is read once
//! more, as syntax: its items, layout and line breaks go into the model
//! ([`ListSite`]), so that the patch stage builds edits from facts and never
//! reads Terraform syntax itself. One read per literal, however many
//! workloads use it.

use crate::model::{Account, Dialect, ListSite, Model};
use crate::source::{Loc, Sources};
use hcl::edit::Span;
use hcl::edit::expr::Expression;
use std::collections::HashMap;
use std::sync::Arc;

/// Records the list site of every Terraform workload whose scopes are one literal.
pub fn record(model: &mut Model, sources: &Sources) {
    let mut read: HashMap<Loc, Option<Arc<ListSite>>> = HashMap::new();
    for w in &mut model.workloads {
        let Account::Attached { scopes, .. } = &mut w.account else {
            continue;
        };
        let Some(defined) = scopes.defined.as_ref() else {
            continue;
        };
        if scopes.dialect != Dialect::Terraform {
            continue;
        }
        scopes.list = read
            .entry(defined.clone())
            .or_insert_with(|| site(sources, defined).map(Arc::new))
            .clone();
    }
}

/// The site of the literal at `loc`; `None` unless it is a list whose items
/// are all plain strings (no interpolation, no expressions).
pub fn site(sources: &Sources, loc: &Loc) -> Option<ListSite> {
    let text = sources.get(loc.file)?.text.get(loc.span.clone())?;
    let Ok(Expression::Array(array)) = hcl::edit::parser::parse_expr(text) else {
        return None;
    };
    let base = loc.span.start;
    let items: Vec<(Loc, String)> = array
        .iter()
        .map(|e| match e {
            Expression::String(s) => e.span().map(|sp| {
                (
                    Loc::new(loc.file, base + sp.start..base + sp.end),
                    s.value().clone(),
                )
            }),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let last_end = items.last().map(|(l, _)| l.span.end - base);
    let after_trailing_comma = last_end.and_then(|end| {
        let after = text.get(end..)?;
        let gap = after.len() - after.trim_start().len();
        after
            .get(gap..)?
            .starts_with(',')
            .then_some(base + end + gap + 1)
    });
    let indent = items
        .last()
        .map_or_else(String::new, |(l, _)| line_indent(text, l.span.start - base));
    Some(ListSite {
        items,
        multiline: text.contains('\n'),
        indent,
        newline: if text.contains("\r\n") { "\r\n" } else { "\n" },
        after_trailing_comma,
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn site_of(text: &str) -> Option<ListSite> {
        let mut sources = Sources::default();
        let id = sources.push(SourceFile::new("a.tf".into(), "a.tf".into(), text.into()));
        // The value after `x = `, to the end of the line or the closing bracket.
        let start = text.find('=').unwrap() + 2;
        let end = text.rfind([']', ')']).unwrap() + 1;
        site(&sources, &Loc::new(id, start..end))
    }

    #[test]
    fn a_multi_line_list_with_a_trailing_comma() {
        let text = "x = [\r\n    \"a\",\r\n    \"b\" ,\r\n]\r\n";
        let s = site_of(text).unwrap();
        let values: Vec<&str> = s.items.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values, ["a", "b"]);
        assert_eq!(&text[s.items[1].0.span.clone()], "\"b\"");
        assert!(s.multiline);
        assert_eq!(s.indent, "    ");
        assert_eq!(s.newline, "\r\n");
        assert_eq!(
            &text[..s.after_trailing_comma.unwrap()],
            "x = [\r\n    \"a\",\r\n    \"b\" ,"
        );
    }

    #[test]
    fn only_lists_of_plain_strings_have_a_site() {
        let one_line = site_of("x = [\"a\", \"b\"]").unwrap();
        assert!(!one_line.multiline);
        assert_eq!(one_line.after_trailing_comma, None);
        assert!(site_of("x = []").unwrap().items.is_empty());
        assert_eq!(site_of("x = [\"${var.a}\"]"), None);
        assert_eq!(site_of("x = [var.a, \"b\"]"), None);
        assert_eq!(site_of("x = concat([\"a\"], [\"b\"])"), None);
    }
}
