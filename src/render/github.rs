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
//! GitHub ignores them otherwise.

use super::{RepoPaths, positions, pretty};
use crate::Outcome;
use crate::finding::{Finding, Severity};

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
    let mut out = String::new();
    for e in &outcome.errors {
        let mut props = vec![format!("file={}", escape_property(&repo.shown(&e.file)))];
        if e.line > 0 {
            props.push(format!("line={}", e.line));
            props.push(format!("col={}", e.column.max(1)));
        }
        props.push(format!(
            "title={}",
            escape_property("scopelint: input error")
        ));
        out.push_str(&format!(
            "::error {}::{}\n",
            props.join(","),
            escape_data(&e.message)
        ));
    }
    for f in findings {
        let (file, start, end) = positions(&outcome.sources, &f.primary);
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
            let (rfile, rstart, _) = positions(&outcome.sources, &r.loc);
            text.push_str(&format!(
                "\n{}:{}: {}",
                repo.shown(&rfile),
                rstart.line,
                r.message
            ));
        }
        if !f.help.is_empty() {
            text.push_str("\n\n");
            text.push_str(&f.help.join("\n"));
        }
        out.push_str(&format!(
            "::{} {}::{}\n",
            command(f.severity),
            props.join(","),
            escape_data(&text)
        ));
    }
    out.push_str(&pretty::summary(outcome, findings));
    out
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
