//! `--format pretty`: diagnostics shaped as rustc and ruff print them. The
//! first line is `error[SL001]: message`, the next the location it is about
//! (`--> main.tf:34:14`, the scopes), then a snippet; the grants and other
//! places the finding refers to follow, each under its own heading, then the
//! help and the patch as a diff. Drawn by hand rather than with a diagnostics
//! crate, which cannot put the code on the first line nor the location on the
//! second. Text from the input (names, file names, snippets, diffs) is shown
//! with its control characters escaped ([`super::visible`]): the terminal or
//! CI log reading it never obeys it, and a name never starts a line of its own.

use super::snippet::{self, Ink, Label, Paint, Source};
use super::visible::{not_a_log_command, visible, visible_lines};
use super::window;
use super::{Pieces, Tally};
use crate::edit::{apply, unified_diff};
use crate::finding::{Applicability, Finding, Severity};
use crate::outcome::{InputError, Outcome};
use crate::source::{FileId, Loc, Sources};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// How the pretty output looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// The width when neither `COLUMNS` nor the terminal says.
pub const DEFAULT_WIDTH: usize = 100;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR or TERM=dumb; FORCE_COLOR or CLICOLOR_FORCE turn it on.
    #[default]
    Auto,
    Always,
    Never,
}

/// What the environment says about colour and width.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub terminal: bool,
    pub no_color: Option<String>,
    pub force_color: Option<String>,
    pub clicolor_force: Option<String>,
    pub term: Option<String>,
    pub columns: Option<String>,
    pub terminal_width: Option<usize>,
}

impl Env {
    /// The environment of this process, for output to stdout (`to_stdout`) or to a file.
    pub fn detect(to_stdout: bool) -> Env {
        use std::io::IsTerminal;
        let terminal = to_stdout && std::io::stdout().is_terminal();
        let var = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
        Env {
            terminal,
            no_color: var("NO_COLOR"),
            force_color: var("FORCE_COLOR"),
            clicolor_force: var("CLICOLOR_FORCE"),
            term: var("TERM"),
            columns: var("COLUMNS"),
            terminal_width: if terminal {
                terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| usize::from(w.0))
            } else {
                None
            },
        }
    }
}

/// A variable set to something other than the empty string or `0`.
fn set(v: Option<&String>) -> bool {
    v.is_some_and(|v| !v.is_empty() && v != "0")
}

impl Style {
    /// The style for output to stdout (`to_stdout`) or to a file.
    pub fn detect(to_stdout: bool, choice: ColorChoice) -> Style {
        Style::decide(&Env::detect(to_stdout), choice)
    }

    /// The decision of [`Style::detect`]: `--color always|never` wins; else
    /// `NO_COLOR` turns colour off, `FORCE_COLOR`/`CLICOLOR_FORCE` on (CI
    /// logs such as GitHub's show colour but are no terminal), `TERM=dumb`
    /// off, and otherwise a terminal has it. The width is `COLUMNS`, else
    /// the terminal's, else [`DEFAULT_WIDTH`].
    pub fn decide(env: &Env, choice: ColorChoice) -> Style {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                if env.no_color.as_ref().is_some_and(|v| !v.is_empty()) {
                    false
                } else if set(env.force_color.as_ref()) || set(env.clicolor_force.as_ref()) {
                    true
                } else {
                    env.terminal && env.term.as_deref() != Some("dumb")
                }
            }
        };
        let width = env
            .columns
            .as_deref()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|w| *w >= 20)
            .or(env.terminal_width.filter(|w| *w >= 20))
            .unwrap_or(DEFAULT_WIDTH);
        Style { color, width }
    }
}

/// `text` broken at spaces into lines of at most `width` columns, the first
/// `first` columns and every other `indent` columns shorter (taken by what
/// precedes them). A word longer than a line gets a line of its own, whole;
/// a line that would start with a CI log command (`::`, `##[`) starts escaped.
pub fn wrap(text: &str, width: usize, first: usize, indent: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let len = word.chars().count();
        let room = width.saturating_sub(if lines.is_empty() { first } else { indent });
        if !line.is_empty() && used + 1 + len > room {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        if !line.is_empty() {
            line.push(' ');
            used += 1;
        }
        line.push_str(word);
        used += len;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    // A word from the input (a scope string, a name) may start a wrapped line:
    // it must not start a CI log command there either.
    lines.iter().map(|l| not_a_log_command(l)).collect()
}

/// Each file's [`Source`], built once for all the diagnostics that show it,
/// whichever thread draws them.
#[derive(Default)]
struct Cache<'a>(Mutex<HashMap<FileId, Arc<Source<'a>>>>);

impl<'a> Cache<'a> {
    fn get(&self, sources: &'a Sources, file: FileId) -> Option<Arc<Source<'a>>> {
        // A poisoned lock only means another thread panicked mid-insert: the
        // map is still whole.
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = map.get(&file) {
            return Some(Arc::clone(s));
        }
        let f = sources.get(file)?;
        let s = Arc::new(Source::after_lines(&f.text, f.lines_before()));
        map.insert(file, Arc::clone(&s));
        Some(s)
    }
}

/// How many findings are drawn at once, each on any core, before they are
/// written in order: bounds what is held to a few megabytes.
const DRAWN_AT_ONCE: usize = 1024;

/// What `--fix` does with a patch that is not safe, in words.
pub fn applicability_note(fix: &crate::finding::Fix) -> Option<String> {
    let caveat = fix.caveat.as_deref().unwrap_or("it is not safe");
    match fix.applicability {
        Applicability::Safe => None,
        Applicability::Unsafe => Some(format!(
            "this patch is unsafe: {caveat}; `scopelint check --fix --unsafe-fixes` applies it"
        )),
        Applicability::DisplayOnly => Some(format!("this patch is not applied by --fix: {caveat}")),
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

/// Writes pretty output: one style, one cache of shown files.
struct Writer<'a, 'c> {
    sources: &'a Sources,
    style: Style,
    paint: Paint,
    cache: &'c Cache<'a>,
    /// The diagnostic being made, written out once it is whole.
    out: String,
}

/// A place a finding refers to in another file than the one it is about,
/// with everything said about it there.
struct Elsewhere {
    loc: Loc,
    messages: Vec<String>,
}

impl Writer<'_, '_> {
    /// `head: message`, the message wrapped under itself.
    fn heading(&mut self, head: &str, ink: Ink, message: &str) {
        let indent = head.chars().count() + 2;
        let lines = wrap(message, self.style.width, indent, indent);
        let mut first = true;
        for line in lines {
            if first {
                self.out.push_str(&self.paint.ink(ink, head));
                self.out
                    .push_str(&self.paint.ink(Ink::Bold, &format!(": {line}")));
                first = false;
            } else {
                self.out.push_str(&" ".repeat(indent));
                self.out.push_str(&self.paint.ink(Ink::Bold, &line));
            }
            self.out.push('\n');
        }
    }

    /// `--> file:line:col`.
    fn arrow(&mut self, loc: &Loc, pad: usize) {
        let (file, start, _) = super::position::positions(self.sources, loc);
        let at = format!("{}:{}:{}", visible(&file), start.line, start.column);
        self.out.push_str(&format!(
            "{}{} {}\n",
            " ".repeat(pad),
            self.paint.ink(Ink::Frame, "-->"),
            not_a_log_command(&at)
        ));
    }

    fn label(&self, source: Option<&Arc<Source>>, loc: &Loc, text: &str, primary: bool) -> Label {
        let span = match source {
            Some(s) => s.shown(loc.span.start)..s.shown(loc.span.end),
            None => loc.span.clone(),
        };
        Label {
            span,
            text: text.to_string(),
            primary,
        }
    }

    fn finding(&mut self, f: &Finding) {
        let (word, ink) = match f.severity {
            Severity::Error => ("error", Ink::Error),
            Severity::Warning => ("warning", Ink::Warning),
            Severity::Note => ("note", Ink::Note),
        };
        self.heading(
            &format!("{word}[{}]", f.rule.code),
            ink,
            &visible(&f.message),
        );
        let source = self.cache.get(self.sources, f.primary.file);
        let mut labels = vec![self.label(source.as_ref(), &f.primary, &visible(&f.label), true)];
        let mut elsewhere: Vec<Elsewhere> = Vec::new();
        for r in &f.related {
            let message = visible(&r.message).into_owned();
            if r.loc.file == f.primary.file {
                let label = self.label(source.as_ref(), &r.loc, &message, false);
                match labels.iter_mut().find(|l| l.span == label.span) {
                    // One marker per place: what is said about it joined.
                    Some(l) if !l.primary && !l.text.contains(&message) => {
                        l.text = format!("{}; {message}", l.text);
                    }
                    Some(_) => {}
                    None => labels.push(label),
                }
            } else {
                match elsewhere.iter_mut().find(|e| e.loc == r.loc) {
                    Some(e) if !e.messages.contains(&message) => e.messages.push(message),
                    Some(_) => {}
                    None => elsewhere.push(Elsewhere {
                        loc: r.loc.clone(),
                        messages: vec![message],
                    }),
                }
            }
        }
        // One line-number column for the whole diagnostic, as rustc does.
        let mut pad = source.as_ref().map_or(1, |s| snippet::gutter(s, &labels));
        let mut others = Vec::new();
        for e in &elsewhere {
            let other = self.cache.get(self.sources, e.loc.file);
            let label = self.label(other.as_ref(), &e.loc, "", false);
            if let Some(o) = &other {
                pad = pad.max(snippet::gutter(o, std::slice::from_ref(&label)));
            }
            others.push((other, label));
        }
        self.arrow(&f.primary, pad);
        if let Some(s) = &source {
            snippet::draw(&mut self.out, s, &labels, pad, self.paint, ink);
        }
        for (e, (other, label)) in elsewhere.iter().zip(others) {
            let grant = e.messages.iter().any(|m| m.contains(" grant"));
            let head = if grant { "grant" } else { "related" };
            self.heading(head, Ink::Frame, &e.messages.join("; "));
            self.arrow(&e.loc, pad);
            if let Some(o) = &other {
                snippet::draw(&mut self.out, o, &[label], pad, self.paint, ink);
            }
        }
        self.help(f);
    }

    /// The help: prose wrapped, indented lines (commands, Terraform) and the
    /// diff kept whole so that they can be copied.
    fn help(&mut self, f: &Finding) {
        const INDENT: usize = 6;
        let mut lines: Vec<String> = Vec::new();
        for h in &f.help {
            let h = visible(h);
            if h.starts_with(' ') {
                lines.push(not_a_log_command(&h));
            } else {
                lines.extend(wrap(&h, self.style.width, INDENT, INDENT));
            }
        }
        if let Some(diff) = fix_diff(self.sources, f) {
            lines.push(String::new());
            let cut = window::diff(&diff);
            lines.extend(visible_lines(cut.trim_end()).lines().map(not_a_log_command));
            if let Some(note) = f.fix.as_ref().and_then(applicability_note) {
                lines.extend(wrap(&visible(&note), self.style.width, INDENT, INDENT));
            }
        }
        for (i, line) in lines.iter().enumerate() {
            if i == 0 {
                self.out.push_str(&self.paint.ink(Ink::Bold, "help"));
                self.out.push_str(": ");
            } else if !line.is_empty() {
                self.out.push_str(&" ".repeat(INDENT));
            }
            self.out.push_str(line);
            self.out.push('\n');
        }
    }

    fn error(&mut self, e: &crate::outcome::InputError) {
        let at = e
            .source
            .filter(|_| e.line > 0)
            .and_then(|id| Some((id, self.sources.get(id)?)));
        let Some((id, file)) = at else {
            let message = format!("{}: {}", visible(&e.file), visible(&e.message));
            self.heading("error", Ink::Error, &message);
            return;
        };
        let offset = offset_of(&file.text, e.line, e.column);
        let loc = Loc::new(id, offset..offset);
        self.heading("error", Ink::Error, &visible(&e.message));
        let source = self.cache.get(self.sources, id);
        let label = self.label(source.as_ref(), &loc, "", true);
        let pad = source
            .as_ref()
            .map_or(1, |s| snippet::gutter(s, std::slice::from_ref(&label)));
        // The position as the error gives it, as the other formats do.
        let at = format!("{}:{}:{}", visible(&e.file), e.line, e.column.max(1));
        self.out.push_str(&format!(
            "{}{} {}\n",
            " ".repeat(pad),
            self.paint.ink(Ink::Frame, "-->"),
            not_a_log_command(&at)
        ));
        if let Some(s) = &source {
            snippet::draw(&mut self.out, s, &[label], pad, self.paint, Ink::Error);
        }
    }
}

/// The byte offset of a 1-based line and character column in `text`.
pub(crate) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = text.get(start..).unwrap_or("");
    let rest = rest.split('\n').next().unwrap_or("");
    start
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

/// Renders every input error and finding, then a summary line.
pub fn render(outcome: &Outcome, findings: &[&Finding], style: Style) -> String {
    let whole = super::Whole {
        sources: &outcome.sources,
        findings,
    };
    super::written::written(|out| write(outcome, &whole, style, out)).unwrap_or_default()
}

/// [`render`], written to `out` a diagnostic at a time.
pub fn write(
    outcome: &Outcome,
    pieces: &dyn Pieces,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (tally, late) = write_findings(outcome, pieces, style, out)?;
    let errors = outcome.errors.len() + late;
    out.write_all(summary_of(tally, pieces.files(), errors).as_bytes())
}

/// Renders every input error and finding, a blank line after each.
pub fn render_findings(outcome: &Outcome, findings: &[&Finding], style: Style) -> String {
    let whole = super::Whole {
        sources: &outcome.sources,
        findings,
    };
    super::written::written(|out| write_findings(outcome, &whole, style, out).map(|_| ()))
        .unwrap_or_default()
}

/// [`render_findings`], each diagnostic written to `out` once it is made;
/// errors found while the findings were made follow them. Returns what was
/// written: the findings' tally and the number of those later errors.
fn write_findings(
    outcome: &Outcome,
    pieces: &dyn Pieces,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<(Tally, usize)> {
    let errors = |errors: &[InputError], out: &mut dyn Write| -> io::Result<()> {
        let cache = Cache::default();
        let mut w = Writer {
            sources: &outcome.sources,
            style,
            paint: Paint { on: style.color },
            cache: &cache,
            out: String::new(),
        };
        for e in errors {
            w.error(e);
            w.out.push('\n');
            out.write_all(w.out.as_bytes())?;
            w.out.clear();
        }
        Ok(())
    };
    errors(&outcome.errors, out)?;
    let mut tally = Tally::default();
    pieces.each(&mut |sources, findings| {
        let cache = Cache::default();
        let writer = || Writer {
            sources,
            style,
            paint: Paint { on: style.color },
            cache: &cache,
            out: String::new(),
        };
        // Each diagnostic depends on its finding alone: a batch is drawn on
        // every core, then written in the findings' order.
        for batch in findings.chunks(DRAWN_AT_ONCE) {
            let drawn: Vec<String> = batch
                .par_iter()
                .map(|f| {
                    let mut w = writer();
                    w.finding(f);
                    w.out.push('\n');
                    w.out
                })
                .collect();
            for d in drawn {
                out.write_all(d.as_bytes())?;
            }
        }
        findings.iter().for_each(|f| tally.add(f));
        Ok(())
    })?;
    let late = pieces.late_errors();
    errors(&late, out)?;
    Ok((tally, late.len()))
}

/// "scopelint: 1 error, 0 warnings, 0 notes in 3 files; 1 input could not be read or parsed"
pub fn summary(outcome: &Outcome, findings: &[&Finding]) -> String {
    summary_of(
        Tally::of(findings.iter().copied()),
        outcome.sources.len(),
        outcome.errors.len(),
    )
}

/// The summary line of a report of `tally` over `files` files, `errors` of
/// which could not be read or parsed.
pub fn summary_of(tally: Tally, files: usize, errors: usize) -> String {
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    let mut line = format!(
        "scopelint: {}, {}, {} in {}",
        plural(tally.errors, "error"),
        plural(tally.warnings, "warning"),
        plural(tally.notes, "note"),
        plural(files, "file"),
    );
    if errors > 0 {
        line.push_str(&format!(
            "; {} could not be read or parsed",
            plural(errors, "input")
        ));
    }
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(terminal: bool) -> Env {
        Env {
            terminal,
            ..Env::default()
        }
    }

    #[test]
    fn colour_on_a_terminal_unless_told_otherwise() {
        let auto = |e: &Env| Style::decide(e, ColorChoice::Auto).color;
        assert!(auto(&env(true)));
        assert!(!auto(&env(false)));
        let no_color = |v: &str| Env {
            no_color: Some(v.into()),
            ..env(true)
        };
        assert!(auto(&no_color("")));
        assert!(!auto(&no_color("1")));
        let dumb = Env {
            term: Some("dumb".into()),
            ..env(true)
        };
        assert!(!auto(&dumb));
        let forced = |f: Option<&str>, c: Option<&str>| Env {
            force_color: f.map(Into::into),
            clicolor_force: c.map(Into::into),
            ..env(false)
        };
        assert!(auto(&forced(Some("1"), None)));
        assert!(auto(&forced(None, Some("1"))));
        assert!(!auto(&forced(Some("0"), None)));
        // NO_COLOR wins over FORCE_COLOR; --color wins over both.
        let both = Env {
            no_color: Some("1".into()),
            ..forced(Some("1"), None)
        };
        assert!(!auto(&both));
        assert!(Style::decide(&both, ColorChoice::Always).color);
        assert!(!Style::decide(&forced(Some("1"), None), ColorChoice::Never).color);
    }

    #[test]
    fn width_from_columns_then_the_terminal() {
        let e = |columns: Option<&str>, tty: Option<usize>| Env {
            columns: columns.map(Into::into),
            terminal_width: tty,
            ..env(true)
        };
        let width = |e: &Env| Style::decide(e, ColorChoice::Auto).width;
        assert_eq!(width(&e(Some("120"), Some(80))), 120);
        assert_eq!(width(&e(None, Some(80))), 80);
        assert_eq!(width(&e(Some("x"), Some(80))), 80);
        assert_eq!(width(&env(false)), DEFAULT_WIDTH);
    }

    #[test]
    fn prose_wraps_at_spaces_only() {
        let text = "aaa bbbb cc dddddddddddddddddddd e";
        let lines = wrap(text, 10, 2, 0);
        assert_eq!(lines, ["aaa bbbb", "cc", "dddddddddddddddddddd", "e"]);
        assert_eq!(lines.join(" "), text);
    }

    /// A word that starts a wrapped line cannot start a log command there
    /// (a scope string `::set-env` in a message, say).
    #[test]
    fn a_wrapped_line_never_starts_a_log_command() {
        let lines = wrap("unknown scope `x ::error::boom ##[warning]w", 12, 0, 2);
        assert!(
            lines
                .iter()
                .all(|l| !l.trim_start().starts_with("::") && !l.trim_start().starts_with("##[")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.contains(r"\u{3a}:error::boom")),
            "{lines:?}"
        );
    }

    #[test]
    fn offsets_of_error_positions() {
        assert_eq!(offset_of("ab\ncé d\n", 2, 3), 6);
        assert_eq!(offset_of("ab\n", 9, 9), 3);
    }
}
