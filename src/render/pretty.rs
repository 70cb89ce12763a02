//! `--format pretty`: miette diagnostics with source snippets, labels on the
//! scopes and on every IAM grant involved, help text and the patch as a diff.
//! Text from the input (names, file names, snippets, diffs) is shown with its
//! control characters escaped ([`super::visible`]): the terminal or CI log
//! reading it never obeys it, and a name never starts a line of its own.

use super::visible::{not_a_log_command, visible, visible_lines};
use crate::Outcome;
use crate::finding::{Finding, Severity};
use crate::fix::{apply, unified_diff};
use crate::source::{FileId, Loc, Sources};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::rc::Rc;

/// How the pretty output looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// The width when neither `COLUMNS` nor the terminal says.
pub const DEFAULT_WIDTH: usize = 100;

impl Style {
    /// The style for output to stdout (`to_stdout`) or to a file: colour only
    /// on a terminal and never when `NO_COLOR` is set (to anything but the
    /// empty string); the width from `COLUMNS`, else from the terminal.
    pub fn detect(to_stdout: bool) -> Style {
        use std::io::IsTerminal;
        let terminal = to_stdout && std::io::stdout().is_terminal();
        let size = if terminal {
            terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| usize::from(w.0))
        } else {
            None
        };
        Style::decide(
            terminal,
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var("COLUMNS").ok().as_deref(),
            size,
        )
    }

    /// The decision of [`Style::detect`], from its inputs.
    pub fn decide(
        terminal: bool,
        no_color: Option<&std::ffi::OsStr>,
        columns: Option<&str>,
        terminal_width: Option<usize>,
    ) -> Style {
        let color = terminal && no_color.is_none_or(|v| v.is_empty());
        let width = columns
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|w| *w >= 20)
            .or(terminal_width.filter(|w| *w >= 20))
            .unwrap_or(DEFAULT_WIDTH);
        Style { color, width }
    }
}

/// One miette diagnostic: a finding, a related location in another file, or an input error.
#[derive(Debug)]
struct Diag {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    source: Option<Rc<Source>>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
    related: Vec<Diag>,
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diag {}

impl Diagnostic for Diag {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_deref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty())
            .then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = LabeledSpan>>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        (!self.related.is_empty()).then(|| {
            Box::new(self.related.iter().map(|d| d as &dyn Diagnostic))
                as Box<dyn Iterator<Item = &dyn Diagnostic>>
        })
    }
}

/// Where `loc` is in the text shown for `source` (the file's own text but
/// for its escaped control characters).
fn span(source: Option<&Rc<Source>>, loc: &Loc) -> SourceSpan {
    let (start, end) = match source {
        Some(s) => (s.shown(loc.span.start), s.shown(loc.span.end)),
        None => (loc.span.start, loc.span.end),
    };
    (start, end.saturating_sub(start)).into()
}

/// Each file's [`Source`], built once for all the diagnostics that show it.
#[derive(Default)]
struct Cache(HashMap<FileId, Rc<Source>>);

impl Cache {
    fn get(&mut self, sources: &Sources, file: FileId) -> Option<Rc<Source>> {
        if let Some(s) = self.0.get(&file) {
            return Some(Rc::clone(s));
        }
        let f = sources.get(file)?;
        let s = Rc::new(Source::new(&visible(&f.display), &f.text));
        self.0.insert(file, Rc::clone(&s));
        Some(s)
    }
}

/// A file's text for miette, which on its own scans a file from its first byte
/// for every label: with many findings in one file that is quadratic. This
/// finds the label's line in an index of line starts and lets miette read
/// from a few lines before it, shifting its answer back: the same output.
#[derive(Debug)]
struct Source {
    name: String,
    /// The file's text with its control characters escaped.
    text: String,
    /// Where each line starts, after miette's line breaks (`\n`, `\r\n`, `\r`).
    starts: Vec<usize>,
    /// For each escaped character: its offset in the file, and how many bytes
    /// the escapes up to and including it added.
    shifts: Vec<(usize, usize)>,
}

impl Source {
    fn new(name: &str, original: &str) -> Source {
        let text = visible_lines(original).into_owned();
        let shifts = if text.len() == original.len() {
            Vec::new()
        } else {
            shifts(original)
        };
        let mut starts = vec![0];
        if !text.contains('\r') {
            // The common case, found with a fast search.
            starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
            return Source {
                name: name.to_string(),
                text,
                starts,
                shifts,
            };
        }
        let bytes = text.as_bytes();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            if b == b'\n' || b == b'\r' {
                starts.push(i + 1);
            }
            i += 1;
        }
        Source {
            name: name.to_string(),
            text,
            starts,
            shifts,
        }
    }

    /// The offset in the shown text of offset `at` of the file.
    fn shown(&self, at: usize) -> usize {
        let before = self.shifts.partition_point(|(o, _)| *o < at);
        let added = before
            .checked_sub(1)
            .and_then(|i| self.shifts.get(i))
            .map_or(0, |(_, n)| *n);
        at + added
    }
}

/// The escapes [`visible_lines`] makes in `text`, as [`Source::shifts`].
fn shifts(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut added = 0;
    for (at, c) in text.char_indices() {
        let mut buf = [0; 4];
        let one = c.encode_utf8(&mut buf);
        let shown = visible_lines(one);
        if shown.len() != one.len() {
            added += shown.len() - one.len();
            out.push((at, added));
        }
    }
    out
}

impl SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let line = self
            .starts
            .partition_point(|&s| s <= span.offset())
            .saturating_sub(1);
        let first = line.saturating_sub(context_lines_before);
        let start = self.starts.get(first).copied().unwrap_or(0);
        let window = self.text.as_bytes().get(start..).unwrap_or_default();
        let local = SourceSpan::new(span.offset().saturating_sub(start).into(), span.len());
        let inner = window.read_span(&local, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::new((inner.span().offset() + start).into(), inner.span().len()),
            inner.line() + first,
            inner.column(),
            inner.line_count() + first,
        )))
    }
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Note => miette::Severity::Advice,
    }
}

/// The patch of a finding as a unified diff, one file after another.
pub fn fix_diff(sources: &Sources, f: &Finding) -> Option<String> {
    let fix = f.fix.as_ref()?;
    let mut by_file: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for e in &fix.edits {
        by_file.entry(e.loc.file).or_default().push(e);
    }
    let mut out = String::new();
    for (file, edits) in by_file {
        let src = sources.get(file)?;
        let patched = apply(&src.text, &edits)?;
        out.push_str(&unified_diff(&visible(&src.display), &src.text, &patched));
    }
    Some(out)
}

fn finding_diag(sources: &Sources, cache: &mut Cache, f: &Finding) -> Diag {
    let source = cache.get(sources, f.primary.file);
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some(visible(&f.label).into_owned()),
        span(source.as_ref(), &f.primary),
    )];
    let mut related = Vec::new();
    for r in &f.related {
        let message = visible(&r.message).into_owned();
        if r.loc.file == f.primary.file {
            labels.push(LabeledSpan::new_with_span(
                Some(message),
                span(source.as_ref(), &r.loc),
            ));
        } else {
            let other = cache.get(sources, r.loc.file);
            related.push(Diag {
                message: message.clone(),
                code: None,
                severity: miette::Severity::Advice,
                labels: vec![LabeledSpan::new_primary_with_span(
                    Some(message),
                    span(other.as_ref(), &r.loc),
                )],
                source: other,
                help: None,
                related: Vec::new(),
            });
        }
    }
    // Each help item is one line; the diff keeps its lines, each prefixed.
    let lines: Vec<String> = f.help.iter().map(|h| visible(h).into_owned()).collect();
    let mut help = lines.join("\n");
    if let Some(diff) = fix_diff(sources, f) {
        help.push_str("\n\n");
        let shown = visible_lines(diff.trim_end());
        let lines: Vec<String> = shown.lines().map(not_a_log_command).collect();
        help.push_str(&lines.join("\n"));
    }
    Diag {
        message: visible(&f.message).into_owned(),
        code: Some(format!("{} {}", f.rule.code, f.rule.name)),
        severity: severity(f.severity),
        source,
        labels,
        help: (!help.is_empty()).then_some(help),
        related,
    }
}

fn handler(style: Style) -> GraphicalReportHandler {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        // Keep commands and diffs in the help copy-pasteable.
        .with_wrap_lines(false)
}

fn render_diag(h: &GraphicalReportHandler, d: &Diag, out: &mut String) {
    if h.render_report(out, d).is_err() {
        out.push_str(&d.message);
    }
    out.push('\n');
}

/// Renders every finding and input error, then a summary line.
pub fn render(outcome: &Outcome, findings: &[&Finding], style: Style) -> String {
    let h = handler(style);
    let mut out = String::new();
    let mut cache = Cache::default();
    for e in &outcome.errors {
        let src = e
            .source
            .and_then(|id| outcome.sources.get(id).map(|s| (id, s)));
        let (source, labels) = match src {
            Some((id, s)) if e.line > 0 => {
                let offset =
                    miette::SourceOffset::from_location(&s.text, e.line, e.column).offset();
                let source = cache.get(&outcome.sources, id);
                let at = source.as_ref().map_or(offset, |s| s.shown(offset));
                let label = LabeledSpan::new_primary_with_span(
                    Some(visible(&e.message).into_owned()),
                    (at, 0),
                );
                (source, vec![label])
            }
            _ => (None, Vec::new()),
        };
        let position = if e.line > 0 {
            format!(":{}:{}", e.line, e.column)
        } else {
            String::new()
        };
        let d = Diag {
            message: format!("{}{position}: {}", visible(&e.file), visible(&e.message)),
            code: None,
            severity: miette::Severity::Error,
            source,
            labels,
            help: None,
            related: Vec::new(),
        };
        render_diag(&h, &d, &mut out);
    }
    for f in findings {
        render_diag(&h, &finding_diag(&outcome.sources, &mut cache, f), &mut out);
    }
    out.push_str(&summary(outcome, findings));
    out
}

/// "scopelint: 1 error, 0 warnings, 0 notes in 3 files; 1 file could not be read or parsed"
pub fn summary(outcome: &Outcome, findings: &[&Finding]) -> String {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    let mut line = format!(
        "scopelint: {}, {}, {} in {}",
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        plural(count(Severity::Note), "note"),
        plural(outcome.sources.len(), "file"),
    );
    if !outcome.errors.is_empty() {
        line.push_str(&format!(
            "; {} could not be read or parsed",
            plural(outcome.errors.len(), "input")
        ));
    }
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(Style::decide(true, None, None, None).color);
        assert!(Style::decide(true, Some(OsStr::new("")), None, None).color);
        assert!(!Style::decide(true, Some(OsStr::new("1")), None, None).color);
        assert!(!Style::decide(false, None, None, None).color);
    }

    #[test]
    fn width_from_columns_then_the_terminal() {
        assert_eq!(Style::decide(true, None, Some("120"), Some(80)).width, 120);
        assert_eq!(Style::decide(true, None, None, Some(80)).width, 80);
        assert_eq!(Style::decide(true, None, Some("x"), Some(80)).width, 80);
        assert_eq!(Style::decide(false, None, None, None).width, DEFAULT_WIDTH);
    }
}
