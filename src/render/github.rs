//! `--format github`: GitHub Actions workflow commands, which the runner turns
//! into annotations on the pull request, then a one-line summary.
//!
//! `::error file=F,line=L,endLine=L2,col=C,endColumn=C2,title=T::MESSAGE`
//! (`::warning` and `::notice` for warnings and notes). Paths are relative to
//! the repository root, as the runner resolves them against the workspace.
//! Escaping follows the runner: in the message `%`, CR and LF become `%25`,
//! `%0D` and `%0A`; in property values also `:` and `,` (`%3A`, `%2C`).
//! Other control characters are shown escaped (`\u{1b}`), never emitted.
//! Columns are only given when the span starts and ends on one line, as
//! GitHub ignores them otherwise. An annotation carries the message, the
//! places it refers to and one line of help; the whole help is in the SARIF
//! report. GitHub shows only the first 10 annotations of a level per step,
//! so the log says so when there are more.

use super::help::short_help;
use super::paths::RepoPaths;
use super::position::positions;
use super::pretty;
use super::{Pieces, Tally};
use crate::finding::{Finding, Severity};
use crate::outcome::{InputError, Outcome};
use crate::source::Sources;
use std::io::{self, Write};

/// Escapes the data part of a workflow command.
pub fn escape_data(s: &str) -> String {
    super::visible::visible_lines(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// One annotation per finding and input error, then the summary line.
pub fn render(outcome: &Outcome, findings: &[&Finding], repo: &RepoPaths) -> String {
    let whole = super::Whole {
        sources: &outcome.sources,
        findings,
    };
    super::written::written(|out| write(outcome, &whole, repo, out)).unwrap_or_default()
}

/// [`render`], written to `out` a command at a time; errors found while the
/// findings were made follow them.
pub fn write(
    outcome: &Outcome,
    pieces: &dyn Pieces,
    repo: &RepoPaths,
    out: &mut dyn Write,
) -> io::Result<()> {
    for e in &outcome.errors {
        error(e, repo, out)?;
    }
    let mut tally = Tally::default();
    pieces.each(&mut |sources, findings| {
        for f in findings {
            tally.add(f);
            annotation(sources, f, repo, out)?;
        }
        Ok(())
    })?;
    let late = pieces.late_errors();
    for e in &late {
        error(e, repo, out)?;
    }
    let errors = outcome.errors.len() + late.len();
    out.write_all(pretty::summary_of(tally, pieces.files(), errors).as_bytes())?;
    out.write_all(shown_limit(tally, errors).as_bytes())
}

fn error(e: &InputError, repo: &RepoPaths, out: &mut dyn Write) -> io::Result<()> {
    let mut props = vec![format!("file={}", escape_property(&repo.shown(&e.file)))];
    if e.line > 0 {
        props.push(format!("line={}", e.line));
        props.push(format!("col={}", e.column.max(1)));
    }
    props.push(format!(
        "title={}",
        escape_property("scopelint: input error")
    ));
    writeln!(
        out,
        "::error {}::{}",
        props.join(","),
        escape_data(&e.message)
    )
}

fn annotation(
    sources: &Sources,
    f: &Finding,
    repo: &RepoPaths,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (file, start, end) = positions(sources, &f.primary);
    let mut props = vec![
        format!("file={}", escape_property(&repo.shown(&file))),
        format!("line={}", start.line),
        format!("endLine={}", end.line),
    ];
    if start.line == end.line {
        props.push(format!("col={}", start.column));
        props.push(format!("endColumn={}", end.column));
    }
    props.push(format!(
        "title={}",
        escape_property(&format!("{} {}", f.rule.code, f.rule.name))
    ));
    let mut text = f.message.clone();
    for r in &f.related {
        let (rfile, rstart, _) = positions(sources, &r.loc);
        text.push_str(&format!(
            "\n{}:{}: {}",
            repo.shown(&rfile),
            rstart.line,
            r.message
        ));
    }
    if let Some(help) = short_help(f) {
        text.push_str("\nhelp: ");
        text.push_str(&help);
    }
    writeln!(
        out,
        "::{} {}::{}",
        command(f.severity),
        props.join(","),
        escape_data(&text)
    )
}

/// How many annotations of one level GitHub shows per step.
const SHOWN_PER_LEVEL: usize = 10;

/// A line saying that GitHub shows only the first annotations of a level
/// when there are more, and where the rest are.
fn shown_limit(tally: Tally, input_errors: usize) -> String {
    let levels = [
        ("error", tally.errors + input_errors),
        ("warning", tally.warnings),
        ("notice", tally.notes),
    ];
    let over: Vec<String> = levels
        .iter()
        .filter(|(_, n)| *n > SHOWN_PER_LEVEL)
        .map(|(level, n)| format!("{n} {level}s"))
        .collect();
    if over.is_empty() {
        return String::new();
    }
    format!(
        "scopelint: {} annotated: GitHub shows only the first {SHOWN_PER_LEVEL} annotations of each level per step; \
         this log and the SARIF report (--format sarif, uploaded to code scanning) have them all\n",
        over.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_the_runner() {
        assert_eq!(escape_data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
