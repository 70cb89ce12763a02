//! `--format compact`: one line per finding, `path:line:col: severity[CODE] message`,
//! the shape editors' problem matchers, `grep` and `vim`'s quickfix expect.
//! Files that could not be read or parsed are lines too, as `error[input]`.
//! Paths are relative to the working directory; lines and columns are 1-based,
//! columns count characters. Control characters from the input are shown
//! escaped, so a name never starts a line of its own.

use super::visible::visible;
use super::{one_line, positions};
use crate::Outcome;
use crate::finding::Finding;

/// Every input error, then every finding, one line each.
pub fn render(outcome: &Outcome, findings: &[&Finding]) -> String {
    let mut out = String::new();
    for e in &outcome.errors {
        out.push_str(&format!(
            "{}:{}:{}: error[input] {}\n",
            visible(&e.file),
            e.line.max(1),
            e.column.max(1),
            visible(&one_line(&e.message))
        ));
    }
    for f in findings {
        let (file, start, _) = positions(&outcome.sources, &f.primary);
        out.push_str(&format!(
            "{}:{}:{}: {}[{}] {}\n",
            visible(&file),
            start.line,
            start.column,
            f.severity.as_str(),
            f.rule.code,
            visible(&one_line(&f.message))
        ));
    }
    out
}
