//! Step 5 of the pipeline: render findings. Nothing outside this module knows
//! about output formats: every format is a function of the one findings model
//! ([`crate::outcome::Outcome`]), in its own file.

pub mod compact;
pub mod github;
pub mod gitlab;
mod help;
pub mod json;
pub mod paths;
mod pieces;
mod position;
pub mod pretty;
pub mod rules;
pub mod sarif;
mod snippet;
pub mod visible;
mod window;
mod written;

use crate::finding::Finding;
use crate::outcome::Outcome;
pub use help::{commands, one_line, short_help};
pub use paths::RepoPaths;
pub use pieces::{Pieces, Tally, Whole};
pub use position::{positions, utf16_position};
use std::io::Write;

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

/// Writes the findings (and the input errors of `outcome`) in `format` to
/// `out` as each is rendered: the report of a large audit is never held
/// whole. The bytes are those of [`render`].
pub fn write(
    format: Format,
    outcome: &Outcome,
    findings: &[&Finding],
    cx: &Context,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if format == Format::Sarif {
        return sarif::write_whole(outcome, findings, &cx.repo, out);
    }
    let whole = Whole {
        sources: &outcome.sources,
        findings,
    };
    write_pieces(format, outcome, &whole, cx, out)
}

/// [`write`] for findings given in pieces; `outcome` holds the input errors
/// known before the first piece (its findings are not read).
pub fn write_pieces(
    format: Format,
    outcome: &Outcome,
    pieces: &dyn Pieces,
    cx: &Context,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Pretty => pretty::write(outcome, pieces, cx.style, out),
        Format::Compact => compact::write(outcome, pieces, out),
        Format::Json => json::write(outcome, pieces, out),
        Format::Sarif => sarif::write(outcome, pieces, &cx.repo, out),
        Format::Github => github::write(outcome, pieces, &cx.repo, out),
        Format::Gitlab => gitlab::write(outcome, pieces, &cx.repo, out),
    }
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
