//! Findings and input errors as protocol diagnostics, per file.

use super::text::{self, Encoding};
use crate::finding::{Finding, Severity};
use crate::outcome::Outcome;
use crate::source::{Loc, SourceFile};
use lsp_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location,
    NumberOrString, Range, Uri,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What every diagnostic names as its source.
pub const SOURCE: &str = "scopelint";

/// The diagnostics of an outcome, by absolute file path.
pub fn collect(outcome: &Outcome, enc: Encoding) -> BTreeMap<PathBuf, Vec<Diagnostic>> {
    let mut out: BTreeMap<PathBuf, Vec<Diagnostic>> = BTreeMap::new();
    for f in &outcome.findings {
        let Some(src) = outcome.sources.get(f.primary.file) else {
            continue;
        };
        out.entry(absolute(&src.path))
            .or_default()
            .push(finding(outcome, f, src, enc));
    }
    for e in &outcome.errors {
        let src = e.source.and_then(|id| outcome.sources.get(id)).or_else(|| {
            outcome
                .sources
                .iter()
                .map(|(_, s)| s)
                .find(|s| s.display == e.file)
        });
        let Some(src) = src else {
            continue;
        };
        let at = crate::render::pretty::offset_of(&src.text, e.line.max(1), e.column.max(1));
        let end = src
            .text
            .get(at..)
            .and_then(|rest| rest.find('\n'))
            .map_or(src.text.len(), |i| at + i);
        out.entry(absolute(&src.path))
            .or_default()
            .push(Diagnostic {
                range: text::source_range(src, &(at..end), enc),
                severity: Some(DiagnosticSeverity::ERROR),
                source: Some(SOURCE.to_string()),
                message: e.message.clone(),
                ..Diagnostic::default()
            });
    }
    out
}

/// The range of a location in its file.
pub fn loc_range<'o>(
    outcome: &'o Outcome,
    loc: &Loc,
    enc: Encoding,
) -> Option<(&'o SourceFile, Range)> {
    let src = outcome.sources.get(loc.file)?;
    Some((src, text::source_range(src, &loc.span, enc)))
}

fn finding(outcome: &Outcome, f: &Finding, src: &SourceFile, enc: Encoding) -> Diagnostic {
    let related: Vec<DiagnosticRelatedInformation> = f
        .related
        .iter()
        .filter_map(|r| {
            let (rsrc, range) = loc_range(outcome, &r.loc, enc)?;
            Some(DiagnosticRelatedInformation {
                location: Location {
                    uri: uri_of(&rsrc.path)?,
                    range,
                },
                message: r.message.clone(),
            })
        })
        .collect();
    Diagnostic {
        range: text::source_range(src, &f.primary.span, enc),
        severity: Some(severity(f.severity)),
        code: Some(NumberOrString::String(f.rule.code.to_string())),
        code_description: crate::render::rules::help_uri(f.rule.code)
            .parse::<Uri>()
            .ok()
            .map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message: f.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        ..Diagnostic::default()
    }
}

/// A rule's severity as the protocol's.
pub fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Note => DiagnosticSeverity::INFORMATION,
    }
}

/// The path made absolute (sources are found under absolute roots already).
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The `file:` URI of a path.
pub fn uri_of(path: &Path) -> Option<Uri> {
    text::path_uri(&absolute(path)).parse().ok()
}

/// A configuration file's errors as diagnostics on it.
pub fn config_errors(
    text: &str,
    errors: &[crate::config::ConfigError],
    enc: Encoding,
) -> Vec<Diagnostic> {
    errors
        .iter()
        .map(|e| {
            let at = crate::render::pretty::offset_of(text, e.line.max(1), e.column.max(1));
            Diagnostic {
                range: text::range(text, &(at..at), enc),
                severity: Some(DiagnosticSeverity::ERROR),
                source: Some(SOURCE.to_string()),
                message: format!("configuration error: {}", e.message),
                ..Diagnostic::default()
            }
        })
        .collect()
}
