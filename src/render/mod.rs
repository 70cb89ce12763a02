//! Step 5 of the pipeline: render findings. Nothing outside this module knows
//! about output formats: every format is a function of the one findings model
//! ([`crate::outcome::Outcome`]), in its own file.

pub mod compact;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod paths;
pub mod pretty;
pub mod rules;
pub mod sarif;
mod snippet;
pub mod visible;
mod window;

use crate::finding::Finding;
use crate::outcome::Outcome;
use crate::source::{Loc, Position, SourceFile, Sources};
pub use paths::RepoPaths;

/// The output formats of `scopelint check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Diagnostics with source snippets, help and the patch.
    Pretty,
    /// One line per finding: `path:line:col: severity[CODE] message`.
    Compact,
    /// The stable JSON contract (version 1).
    Json,
    /// SARIF 2.1.0 for editors and GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations) and a summary line.
    Github,
    /// GitLab Code Quality report.
    Gitlab,
}

/// What a renderer needs besides the outcome.
#[derive(Debug, Clone)]
pub struct Context {
    /// Colour and width of `pretty`.
    pub style: pretty::Style,
    /// Turns paths relative to the working directory into repository-relative
    /// ones (`sarif`, `github`, `gitlab`).
    pub repo: RepoPaths,
}

/// Renders the findings (and the input errors of `outcome`) in `format`.
pub fn render(format: Format, outcome: &Outcome, findings: &[&Finding], cx: &Context) -> String {
    match format {
        Format::Pretty => pretty::render(outcome, findings, cx.style),
        Format::Compact => compact::render(outcome, findings),
        Format::Json => json::render(outcome, findings),
        Format::Sarif => sarif::render(outcome, findings, &cx.repo),
        Format::Github => github::render(outcome, findings, &cx.repo),
        Format::Gitlab => gitlab::render(outcome, findings, &cx.repo),
    }
}

/// Start and end positions of a location, or the file start when unknown.
pub fn positions(sources: &Sources, loc: &Loc) -> (String, Position, Position) {
    match sources.get(loc.file) {
        Some(f) => (
            f.display.clone(),
            f.position(loc.span.start),
            f.position(loc.span.end),
        ),
        None => {
            let p = Position {
                line: 1,
                column: 1,
                byte: 0,
            };
            (String::new(), p, p)
        }
    }
}

/// A 1-based line and a 1-based column counted in UTF-16 code units (what
/// SARIF's `columnKind: utf16CodeUnits`, LSP and most editors use). A leading
/// byte order mark is not part of the first line.
pub fn utf16_position(file: &SourceFile, byte: usize) -> (usize, usize) {
    let byte = floor_char_boundary(&file.text, byte.min(file.text.len()));
    let p = file.position(byte);
    let line_start = file
        .text
        .get(..byte)
        .and_then(|t| t.rfind('\n'))
        .map_or(file.bom, |i| i + 1);
    let column = file
        .text
        .get(line_start.min(byte)..byte)
        .map_or(0, |s| s.encode_utf16().count())
        + 1;
    (p.line, column)
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The advice of a finding in one line, for the formats that show little
/// (annotations, GitLab's description): its first help item, and any note
/// that a suppression or waiver expired (which says why the finding is back).
pub fn short_help(f: &Finding) -> Option<String> {
    let mut out = one_line(f.help.first()?);
    for note in f.help.iter().skip(1).filter(|h| h.contains(" expired on ")) {
        out.push_str("; ");
        out.push_str(&one_line(note));
    }
    Some(out)
}

/// The gcloud commands in a finding's help, one per line, as they would be typed.
pub fn commands(f: &Finding) -> Vec<String> {
    f.help
        .iter()
        .map(|h| h.trim())
        .filter(|h| h.starts_with("gcloud "))
        .map(str::to_string)
        .collect()
}

/// The message with its line breaks folded to spaces: for one-line formats.
pub fn one_line(s: &str) -> String {
    s.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_code_units_and_skip_the_bom() {
        // "é" is 2 bytes / 1 unit, "😀" is 4 bytes / 2 units
        let f = SourceFile::new(
            "a.tf".into(),
            "a.tf".into(),
            "\u{feff}ab\né😀x = 1\n".into(),
        );
        assert_eq!(utf16_position(&f, 3), (1, 1)); // after the BOM
        assert_eq!(utf16_position(&f, 5), (1, 3));
        let x = f.text.find('x').unwrap_or_default();
        assert_eq!(utf16_position(&f, x), (2, 4));
        assert_eq!(utf16_position(&f, f.text.len()), (3, 1));
    }

    #[test]
    fn one_line_folds_breaks() {
        assert_eq!(one_line("a\n  b\r\n\nc"), "a b c");
    }
}
