//! Long lines in snippets and diffs, shown as windows around what they point
//! at: a megabyte-long line would otherwise be printed whole in every snippet
//! and diff that touches it, making the report grow with findings times line
//! length.

use std::ops::Range;

/// Lines up to this many bytes are shown whole.
pub const LONG_LINE: usize = 240;
/// Bytes shown on each side of a label on a long line.
const CONTEXT: usize = 60;
/// Lines shown above and below a label, as the snippets do.
const CONTEXT_LINES: usize = 1;

/// The part of a file a snippet shows, with long lines cut down to windows
/// around the labels on them, and where each label lands in it.
#[derive(Debug)]
pub struct Window {
    /// The lines from `first_line` (0-based) to the last one shown: the
    /// snippet may show the lines between its labels too.
    pub text: String,
    pub first_line: usize,
    /// The labels' spans in `text`, in the order given.
    pub spans: Vec<Range<usize>>,
}

/// Pieces of one shown line: (byte range in the file, where it starts in the window).
type Pieces = Vec<(Range<usize>, usize)>;

/// The window for `spans` (byte ranges of `text`, whose lines start at
/// `starts`), or `None` when no line the snippet shows is long.
pub fn window(text: &str, starts: &[usize], spans: &[Range<usize>]) -> Option<Window> {
    let line_of = |at: usize| starts.partition_point(|&s| s <= at).saturating_sub(1);
    let line_range = |l: usize| -> Range<usize> {
        let start = starts.get(l).copied().unwrap_or(text.len());
        let end = starts.get(l + 1).copied().unwrap_or(text.len());
        start..end
    };
    let shown: Vec<usize> = spans
        .iter()
        .flat_map(|s| {
            let first = line_of(s.start).saturating_sub(CONTEXT_LINES);
            let last = (line_of(s.end) + CONTEXT_LINES).min(starts.len().saturating_sub(1));
            first..=last
        })
        .collect();
    let first_line = shown.iter().copied().min()?;
    let last_line = shown.iter().copied().max()?;
    if !(first_line..=last_line).any(|l| line_range(l).len() > LONG_LINE) {
        return None;
    }
    let mut out = String::new();
    let mut pieces: Pieces = Vec::new();
    for l in first_line..=last_line {
        let range = line_range(l);
        let line = text.get(range.clone()).unwrap_or("");
        let body_len = line.trim_end_matches(['\n', '\r']).len();
        let newline = line.get(body_len..).unwrap_or("");
        if body_len <= LONG_LINE {
            pieces.push((range.clone(), out.len()));
            out.push_str(line);
            continue;
        }
        // Windows around the ends of each label on this line, merged.
        let body = range.start..range.start + body_len;
        let mut cuts: Vec<Range<usize>> = Vec::new();
        for s in spans {
            for at in [s.start, s.end] {
                if body.contains(&at) || at == body.end {
                    cuts.push(
                        at.saturating_sub(CONTEXT).max(body.start)..(at + CONTEXT).min(body.end),
                    );
                }
            }
        }
        if cuts.is_empty() {
            cuts.push(body.start..body.start + 2 * CONTEXT);
        }
        cuts.sort_by_key(|c| c.start);
        let mut merged: Vec<Range<usize>> = Vec::new();
        for c in cuts {
            match merged.last_mut() {
                Some(m) if c.start <= m.end => m.end = m.end.max(c.end),
                _ => merged.push(c),
            }
        }
        let mut pos = body.start;
        for m in merged {
            let (start, end) = (floor_char(text, m.start), floor_char(text, m.end));
            if start > pos {
                out.push_str("...");
            }
            pieces.push((start..end, out.len()));
            out.push_str(text.get(start..end).unwrap_or(""));
            pos = end;
        }
        if pos < body.end {
            out.push_str("...");
        }
        out.push_str(newline);
    }
    let at = |offset: usize| -> Option<usize> {
        pieces
            .iter()
            .find(|(r, _)| r.contains(&offset) || r.end == offset)
            .map(|(r, base)| base + (offset - r.start))
    };
    let spans = spans
        .iter()
        .map(|s| {
            let start = at(s.start)?;
            Some(start..at(s.end)?.max(start))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Window {
        text: out,
        first_line,
        spans,
    })
}

/// The largest char boundary of `text` at or before `at`.
fn floor_char(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A diff with each line over [`LONG_LINE`] bytes cut to its head and tail,
/// where an appended or replaced list item shows.
pub fn diff(diff: &str) -> String {
    if !diff.lines().any(|l| l.len() > LONG_LINE) {
        return diff.to_string();
    }
    let mut out = String::with_capacity(diff.len().min(1 << 16));
    for line in diff.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        if body.len() <= LONG_LINE {
            out.push_str(line);
            continue;
        }
        let head = floor_char(body, 2 * CONTEXT);
        let tail = floor_char(body, body.len() - 2 * CONTEXT);
        out.push_str(body.get(..head).unwrap_or(""));
        out.push_str("...");
        out.push_str(body.get(tail..).unwrap_or(""));
        out.push_str(line.get(body.len()..).unwrap_or(""));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(text: &str) -> Vec<usize> {
        std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect()
    }

    #[test]
    fn short_lines_need_no_window() {
        let text = "a = 1\nb = 2\n";
        let label = 4..5;
        assert!(window(text, &starts(text), std::slice::from_ref(&label)).is_none());
    }

    #[test]
    fn a_label_on_a_long_line_is_shown_with_its_surroundings() {
        let long = format!("s = [{}\"logging-write\"]", "\"x\", ".repeat(10_000));
        let text = format!("a = 1\n{long}\nb = 2\nc = 3\n");
        let label = text.find("\"logging-write\"").unwrap_or(0);
        let span = label..label + "\"logging-write\"".len();
        let w = window(&text, &starts(&text), std::slice::from_ref(&span));
        let w = w.unwrap_or_else(|| panic!("no window"));
        assert_eq!(w.first_line, 0);
        let lines: Vec<&str> = w.text.lines().collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines.first(), Some(&"a = 1"));
        let shown = lines.get(1).copied().unwrap_or("");
        assert!(shown.starts_with("...") && shown.ends_with("\"logging-write\"]"));
        assert!(shown.len() < 2 * CONTEXT + 10, "{shown}");
        assert_eq!(w.text.get(w.spans[0].clone()), text.get(span));
    }

    #[test]
    fn a_long_context_line_is_cut() {
        let text = format!("x = \"{}\"\nscopes = []\n", "y".repeat(1_000_000));
        let at = text.find("[]").unwrap_or(0);
        let label = at..at + 2;
        let w = window(&text, &starts(&text), std::slice::from_ref(&label));
        let w = w.unwrap_or_else(|| panic!("no window"));
        assert!(w.text.len() < 200, "{}", w.text.len());
        assert_eq!(w.text.get(w.spans[0].clone()), Some("[]"));
    }

    #[test]
    fn long_diff_lines_keep_head_and_tail() {
        let old = format!("-  scopes = [{}]\n", "\"a\", ".repeat(1000));
        let d = format!("@@ -1 +1 @@\n{old}+x\n");
        let cut = diff(&d);
        assert!(cut.len() < 400, "{cut}");
        assert!(cut.starts_with("@@ -1 +1 @@\n-  scopes = [\"a\""));
        assert!(cut.ends_with("\"a\", ]\n+x\n"));
    }
}
