//! `--format json`: the stable machine-readable contract (version 1).

use super::Pieces;
use super::help::commands;
use super::position::positions;
use crate::finding::{ApiUse, Finding, Fix, WorkloadRef};
use crate::outcome::{InputError, Outcome};
use crate::source::{Loc, Position, Sources};
use serde::Serialize;
use std::io::{self, Write};
use std::sync::Arc;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    tool: Tool,
    findings: Findings<'a>,
    errors: Errors<'a>,
}

/// The findings, each made into its JSON shape only as it is written: a
/// report of many findings never holds them all in that shape.
struct Findings<'a> {
    pieces: &'a dyn Pieces,
}

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(None)?;
        super::pieces::each_finding(self.pieces, |sources, f| {
            seq.serialize_element(&finding(sources, f))
        })?;
        seq.end()
    }
}

/// The input errors known before the findings, then those found while
/// they were made (written after them, so known by then).
struct Errors<'a> {
    before: &'a [InputError],
    pieces: &'a dyn Pieces,
}

impl Serialize for Errors<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let late = self.pieces.late_errors();
        let errors = super::pieces::all_errors(self.before, &late);
        serializer.collect_seq(errors.into_iter().map(|e| JsonError {
            file: &e.file,
            line: e.line,
            column: e.column,
            message: &e.message,
        }))
    }
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Location {
    file: String,
    start: Position,
    end: Position,
}

impl Location {
    fn of(sources: &Sources, loc: &Loc) -> Self {
        let (file, start, end) = positions(sources, loc);
        Location { file, start, end }
    }
}

#[derive(Serialize)]
struct RelatedLocation<'a> {
    #[serde(flatten)]
    location: Location,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    description: &'a str,
    applicability: &'static str,
    caveat: Option<&'a str>,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    file: String,
    start_byte: usize,
    end_byte: usize,
    replacement: &'a str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'static str,
    name: &'static str,
    severity: &'static str,
    message: &'a str,
    location: Location,
    workload: &'a WorkloadRef,
    identity: &'a str,
    apis: &'a [ApiUse],
    related: Vec<RelatedLocation<'a>>,
    /// The advice, one item a line (indented items are commands or code).
    help: Lines<'a>,
    /// The gcloud commands of the advice, as they would be typed.
    commands: Vec<String>,
    /// Whether the finding has a safe patch, which `--diff` shows and `--fix` applies.
    fixable: bool,
    fix: Option<JsonFix<'a>>,
    /// Fuller, less safe patches (see [`Finding::alternatives`]).
    alternatives: Vec<JsonFix<'a>>,
}

/// Lines of help, each written as a string.
struct Lines<'a>(&'a [Arc<str>]);

impl Serialize for Lines<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|line| &**line))
    }
}

#[derive(Serialize)]
struct JsonError<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
}

fn finding<'a>(sources: &Sources, f: &'a Finding) -> JsonFinding<'a> {
    JsonFinding {
        rule: f.rule.code,
        name: f.rule.name,
        severity: f.severity.as_str(),
        message: &f.message,
        location: Location::of(sources, &f.primary),
        workload: &f.workload,
        identity: &f.identity,
        apis: &f.apis,
        related: f
            .related
            .iter()
            .map(|r| RelatedLocation {
                location: Location::of(sources, &r.loc),
                message: &r.message,
            })
            .collect(),
        help: Lines(&f.help),
        commands: commands(f),
        fixable: f.fix_to_apply(false).is_some(),
        fix: f.fix.as_ref().map(|fix| json_fix(sources, fix)),
        alternatives: f
            .alternatives
            .iter()
            .map(|x| json_fix(sources, x))
            .collect(),
    }
}

fn json_fix<'a>(sources: &Sources, fix: &'a Fix) -> JsonFix<'a> {
    JsonFix {
        description: &fix.description,
        applicability: fix.applicability.as_str(),
        caveat: fix.caveat.as_deref(),
        edits: fix
            .edits
            .iter()
            .map(|e| JsonEdit {
                file: sources
                    .get(e.loc.file)
                    .map(|s| s.display.clone())
                    .unwrap_or_default(),
                start_byte: e.loc.span.start,
                end_byte: e.loc.span.end,
                replacement: &e.replacement,
            })
            .collect(),
    }
}

/// The JSON report, pretty-printed, with a trailing newline.
pub fn render(out: &Outcome, findings: &[&Finding]) -> String {
    let whole = super::Whole {
        sources: &out.sources,
        findings,
    };
    super::written::written(|to| write(out, &whole, to))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}\n"))
}

/// [`render`], written to `to` a finding at a time.
pub fn write(out: &Outcome, pieces: &dyn Pieces, to: &mut dyn Write) -> io::Result<()> {
    let report = Report {
        version: 1,
        tool: Tool {
            name: "scopelint",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: Findings { pieces },
        errors: Errors {
            before: &out.errors,
            pieces,
        },
    };
    super::written::pretty_json(&report, to)
}
