//! `--format compact`: one line per finding, `path:line:col: severity[CODE] message`,
//! the shape editors' problem matchers, `grep` and `vim`'s quickfix expect.
//! Files that could not be read or parsed are lines too, as `error[input]`.
//! Paths are relative to the working directory; lines and columns are 1-based,
//! columns count characters. Control characters from the input are shown
//! escaped, so a name never starts a line of its own.

use super::help::one_line;
use super::position::positions;
use super::visible::{not_a_log_command, visible};
use crate::finding::Finding;
use crate::outcome::Outcome;

/// Every input error, then every finding, one line each.
pub fn render(outcome: &Outcome, findings: &[&Finding]) -> String {
    let mut out = String::new();
    for e in &outcome.errors {
        let line = format!(
            "{}:{}:{}: error[input] {}",
            visible(&e.file),
            e.line.max(1),
            e.column.max(1),
            visible(&one_line(&e.message))
        );
        out.push_str(&not_a_log_command(&line));
        out.push('\n');
    }
    for f in findings {
        let (file, start, _) = positions(&outcome.sources, &f.primary);
        let line = format!(
            "{}:{}:{}: {}[{}] {}",
            visible(&file),
            start.line,
            start.column,
            f.severity.as_str(),
            f.rule.code,
            visible(&one_line(&f.message))
        );
        out.push_str(&not_a_log_command(&line));
        out.push('\n');
    }
    out
}
