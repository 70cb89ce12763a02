//! `--format compact`: one line per finding, `path:line:col: severity[CODE] message`,
//! the shape editors' problem matchers, `grep` and `vim`'s quickfix expect.
//! Files that could not be read or parsed are lines too, as `error[input]`.
//! Paths are relative to the working directory; lines and columns are 1-based,
//! columns count characters. Control characters from the input are shown
//! escaped, so a name never starts a line of its own.

use super::Pieces;
use super::help::one_line;
use super::position::positions;
use super::visible::{not_a_log_command, visible};
use crate::finding::Finding;
use crate::outcome::{InputError, Outcome};
use std::io::{self, Write};

/// Every input error, then every finding, one line each.
pub fn render(outcome: &Outcome, findings: &[&Finding]) -> String {
    let whole = super::Whole {
        sources: &outcome.sources,
        findings,
    };
    super::written::written(|out| write(outcome, &whole, out)).unwrap_or_default()
}

/// [`render`], written to `out` a line at a time; errors found while the
/// findings were made follow them.
pub fn write(outcome: &Outcome, pieces: &dyn Pieces, out: &mut dyn Write) -> io::Result<()> {
    for e in &outcome.errors {
        error(e, out)?;
    }
    pieces.each(&mut |sources, findings| {
        for f in findings {
            let (file, start, _) = positions(sources, &f.primary);
            let line = format!(
                "{}:{}:{}: {}[{}] {}",
                visible(&file),
                start.line,
                start.column,
                f.severity.as_str(),
                f.rule.code,
                visible(&one_line(&f.message))
            );
            writeln!(out, "{}", not_a_log_command(&line))?;
        }
        Ok(())
    })?;
    for e in &pieces.late_errors() {
        error(e, out)?;
    }
    Ok(())
}

fn error(e: &InputError, out: &mut dyn Write) -> io::Result<()> {
    let line = format!(
        "{}:{}:{}: error[input] {}",
        visible(&e.file),
        e.line.max(1),
        e.column.max(1),
        visible(&one_line(&e.message))
    );
    writeln!(out, "{}", not_a_log_command(&line))
}
