//! Source snippets drawn as rustc and ruff draw them: numbered lines, `^`
//! under what a finding is about, `-` under what it refers to, and a
//! `|___^` rail down the left of a span over several lines. Only ASCII is
//! drawn, so a `TERM=dumb` console or a CI log shows it as a terminal does.
//! Source lines are never wrapped: they are for reading and copying.

use super::visible::visible_lines;
use super::window;
use std::collections::BTreeSet;
use std::ops::Range;
use unicode_width::UnicodeWidthChar;

/// A span over more lines than this shows its first and last lines only.
const LONG_SPAN: usize = 12;
/// Lines shown at each end of a long span.
const SPAN_ENDS: usize = 3;
/// Columns a tab takes.
const TAB: usize = 4;

/// ANSI colours, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint {
    pub on: bool,
}

/// What a piece of output is, for its colour.
#[derive(Debug, Clone, Copy)]
pub enum Ink {
    Error,
    Warning,
    Note,
    /// Line numbers, rails, `-->`, secondary markers.
    Frame,
    Bold,
}

impl Paint {
    pub fn ink(self, ink: Ink, s: &str) -> String {
        if !self.on || s.is_empty() {
            return s.to_string();
        }
        let code = match ink {
            Ink::Error => "1;31",
            Ink::Warning => "1;33",
            Ink::Note => "1;36",
            Ink::Frame => "1;34",
            Ink::Bold => "1",
        };
        format!("\u{1b}[{code}m{s}\u{1b}[0m")
    }
}

/// One label: a byte range of the file and what to say under it.
#[derive(Debug, Clone)]
pub struct Label {
    pub span: Range<usize>,
    pub text: String,
    pub primary: bool,
}

/// A file's text as it is shown (control characters escaped) and where its
/// lines start, built once for all the snippets of one file.
#[derive(Debug)]
pub struct Source<'a> {
    /// Borrowed when nothing is escaped: the text of a large export is not
    /// copied to be shown.
    text: std::borrow::Cow<'a, str>,
    /// Where each line starts, after `\n`, `\r\n` or `\r`.
    starts: Vec<usize>,
    /// For each escaped character: its offset in the file, and how many bytes
    /// the escapes up to and including it added.
    shifts: Vec<(usize, usize)>,
    /// The lines of the file before `text` (a window of a streamed export).
    lines_before: usize,
}

impl<'a> Source<'a> {
    /// The text of a window that starts after `lines_before` lines of its file.
    pub fn after_lines(original: &'a str, lines_before: usize) -> Source<'a> {
        Source {
            lines_before,
            ..Source::new(original)
        }
    }

    pub fn new(original: &'a str) -> Source<'a> {
        let text = visible_lines(original);
        let shifts = if text.len() == original.len() {
            Vec::new()
        } else {
            shifts(original)
        };
        let starts = line_starts(&text);
        Source {
            text,
            starts,
            shifts,
            lines_before: 0,
        }
    }

    /// The offset in the shown text of offset `at` of the file.
    pub fn shown(&self, at: usize) -> usize {
        let before = self.shifts.partition_point(|(o, _)| *o < at);
        let added = before
            .checked_sub(1)
            .and_then(|i| self.shifts.get(i))
            .map_or(0, |(_, n)| *n);
        (at + added).min(self.text.len())
    }

    /// The 1-based line of a shown offset.
    pub fn line_of(&self, at: usize) -> usize {
        self.starts.partition_point(|&s| s <= at).max(1)
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    if !text.contains('\r') {
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        return starts;
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
    starts
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

/// The width of the line-number column for a snippet of `labels`.
pub fn gutter(source: &Source, labels: &[Label]) -> usize {
    let last = labels
        .iter()
        .map(|l| source.line_of(l.span.end) + 1)
        .max()
        .unwrap_or(1)
        .min(source.starts.len());
    (last + source.lines_before).to_string().len()
}

/// The lines a snippet shows, cut to windows when one of them is long.
struct View<'a> {
    text: std::borrow::Cow<'a, str>,
    starts: Vec<usize>,
    /// The 0-based line of the file that `text` starts with.
    base: usize,
    labels: Vec<Label>,
}

impl View<'_> {
    fn line(&self, l: usize) -> &str {
        let start = self.starts.get(l).copied().unwrap_or(self.text.len());
        let end = self.starts.get(l + 1).copied().unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    fn line_of(&self, at: usize) -> usize {
        self.starts.partition_point(|&s| s <= at).saturating_sub(1)
    }

    /// The display column of byte `at` on its line.
    fn column(&self, at: usize) -> usize {
        let l = self.line_of(at);
        let start = self.starts.get(l).copied().unwrap_or(0);
        let end = at.clamp(start, self.text.len());
        self.text.get(start..end).map_or(0, width)
    }

    /// The last line of a label, and the display column of its last character.
    fn end(&self, label: &Label) -> (usize, usize) {
        let start = label.span.start;
        let mut last = label.span.end.saturating_sub(1).max(start);
        while last > start && !self.text.is_char_boundary(last) {
            last -= 1;
        }
        // A span ending with its line break ends on that line's last character.
        while last > start && matches!(self.text.as_bytes().get(last), Some(b'\n' | b'\r')) {
            last -= 1;
        }
        (self.line_of(last), self.column(last))
    }
}

fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if c == '\t' {
                TAB
            } else {
                c.width().unwrap_or(0)
            }
        })
        .sum()
}

/// Tabs as spaces, so that markers line up with what is above them.
fn untab(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\t') {
        s.replace('\t', &" ".repeat(TAB)).into()
    } else {
        s.into()
    }
}

/// Draws the lines of `source` that `labels` point at, with one line of
/// context around each, into `out`; `pad` is the line-number column's width.
pub fn draw(
    out: &mut String,
    source: &Source,
    labels: &[Label],
    pad: usize,
    paint: Paint,
    mark: Ink,
) {
    let spans: Vec<Range<usize>> = labels.iter().map(|l| l.span.clone()).collect();
    let view = match window::window(&source.text, &source.starts, &spans) {
        Some(w) => View {
            starts: line_starts(&w.text),
            text: w.text.into(),
            base: source.lines_before + w.first_line,
            labels: labels
                .iter()
                .zip(w.spans)
                .map(|(l, span)| Label { span, ..l.clone() })
                .collect(),
        },
        None => View {
            text: source.text.as_ref().into(),
            starts: source.starts.clone(),
            base: source.lines_before,
            labels: labels.to_vec(),
        },
    };
    let bar = paint.ink(Ink::Frame, "|");
    let blank = format!("{} {bar}", " ".repeat(pad));
    // The first label over several lines gets the rail; any other is drawn
    // on its first line only.
    let mut rail: Option<(usize, usize, usize, usize, &Label)> = None;
    let mut single: Vec<(usize, usize, usize, &Label)> = Vec::new();
    for label in &view.labels {
        let first = view.line_of(label.span.start);
        let col = view.column(label.span.start);
        let (last, end_col) = view.end(label);
        if last > first && rail.is_none() {
            rail = Some((first, col, last, end_col, label));
        } else if last > first {
            let line_end = view.line(first).len() + view.starts.get(first).copied().unwrap_or(0);
            let end = view.column(line_end).max(col + 1);
            single.push((first, col, end, label));
        } else {
            single.push((first, col, end_col + 1, label));
        }
    }
    let line_count = view.starts.len();
    let mut shown: BTreeSet<usize> = BTreeSet::new();
    let mut around = |l: usize| {
        for x in l.saturating_sub(1)..=l + 1 {
            if x < line_count && !(x + 1 == line_count && view.line(x).is_empty() && x != l) {
                shown.insert(x);
            }
        }
    };
    for (l, ..) in &single {
        around(*l);
    }
    if let Some((first, _, last, _, _)) = rail {
        if last - first > LONG_SPAN {
            (first..first + SPAN_ENDS).for_each(&mut around);
            (last + 1 - SPAN_ENDS..=last).for_each(&mut around);
        } else {
            (first..=last).for_each(&mut around);
        }
    }
    out.push_str(&blank);
    out.push('\n');
    let mut previous: Option<usize> = None;
    for &l in &shown {
        if previous.is_some_and(|p| l > p + 1) {
            out.push_str(&paint.ink(Ink::Frame, &format!("{:>pad$}", "...")));
            out.push('\n');
        }
        previous = Some(l);
        let inside = rail.is_some_and(|(first, _, last, _, _)| l > first && l <= last);
        let rail_gutter = match rail {
            None => "",
            Some(_) if inside => "| ",
            Some(_) => "  ",
        };
        let number = paint.ink(Ink::Frame, &format!("{:>pad$} |", view.base + l + 1));
        let text = untab(view.line(l));
        let line = format!("{number} {}{text}", paint.ink(Ink::Frame, rail_gutter));
        out.push_str(line.trim_end());
        out.push('\n');
        let under_gutter = if rail.is_some() { rail_gutter } else { "" };
        for (_, col, end, label) in single.iter().filter(|(sl, ..)| *sl == l) {
            let (c, ink) = if label.primary {
                ('^', mark)
            } else {
                ('-', Ink::Frame)
            };
            let marks: String = std::iter::repeat_n(c, end.saturating_sub(*col).max(1)).collect();
            let row = format!(
                "{blank} {}{}{} {}",
                paint.ink(Ink::Frame, under_gutter),
                " ".repeat(*col),
                paint.ink(ink, &marks),
                paint.ink(ink, &label.text)
            );
            out.push_str(row.trim_end());
            out.push('\n');
        }
        if let Some((first, col, last, end_col, label)) = rail {
            let ink = if label.primary { mark } else { Ink::Frame };
            let tip = if label.primary { "^" } else { "-" };
            if l == first {
                let row = format!(
                    "{blank} {}",
                    paint.ink(ink, &format!(" {}{tip}", "_".repeat(col + 1)))
                );
                out.push_str(&row);
                out.push('\n');
            }
            if l == last {
                let row = format!(
                    "{blank} {} {}",
                    paint.ink(ink, &format!("|{}{tip}", "_".repeat(end_col + 1))),
                    paint.ink(ink, &label.text)
                );
                out.push_str(row.trim_end());
                out.push('\n');
            }
        }
    }
    out.push_str(&blank);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn(text: &str, labels: &[Label]) -> String {
        let source = Source::new(text);
        let mut out = String::new();
        let pad = gutter(&source, labels);
        draw(
            &mut out,
            &source,
            labels,
            pad,
            Paint { on: false },
            Ink::Error,
        );
        out
    }

    fn label(text: &str, what: &str, primary: bool) -> Label {
        let at = text.find(what).unwrap_or(0);
        Label {
            span: at..at + what.len(),
            text: format!("{what} here"),
            primary,
        }
    }

    #[test]
    fn a_one_line_label_is_underlined() {
        let text = "a = 1\nrole = \"roles/x\"\nb = 2\nc = 3\n";
        let out = drawn(text, &[label(text, "\"roles/x\"", false)]);
        assert_eq!(
            out,
            "  |\n1 | a = 1\n2 | role = \"roles/x\"\n  |        --------- \"roles/x\" here\n3 | b = 2\n  |\n"
        );
    }

    #[test]
    fn a_span_over_lines_gets_a_rail() {
        let text = "vm {\n  scopes = [\n    \"a\",\n  ]\n}\n";
        let at = text.find('[').unwrap_or(0);
        let end = text.find(']').unwrap_or(0) + 1;
        let out = drawn(
            text,
            &[Label {
                span: at..end,
                text: "these".into(),
                primary: true,
            }],
        );
        assert_eq!(
            out,
            "  |\n1 |   vm {\n2 |     scopes = [\n  |  ____________^\n3 | |     \"a\",\n4 | |   ]\n  | |___^ these\n5 |   }\n  |\n"
        );
    }

    #[test]
    fn tabs_and_wide_characters_keep_markers_aligned() {
        let text = "\té = \"x\"\n";
        let out = drawn(text, &[label(text, "\"x\"", true)]);
        assert!(
            out.contains("1 |     é = \"x\"\n  |         ^^^ \"x\" here"),
            "{out}"
        );
    }

    #[test]
    fn gaps_between_labels_are_elided() {
        let text = (1..=20).map(|i| format!("l{i}\n")).collect::<String>();
        let out = drawn(
            &text,
            &[label(&text, "l2\n", true), label(&text, "l15", false)],
        );
        assert!(out.contains("\n... \n") || out.contains("\n...\n"), "{out}");
        assert!(!out.contains("l8"), "{out}");
    }
}
