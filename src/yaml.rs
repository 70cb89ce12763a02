//! YAML read into a tree that keeps each node's byte offset (parsed with
//! serde-saphyr), and a scalar's text mapped back to the file line by line,
//! so that locations point at the right line: the reader of every YAML
//! input. The shell front end finds scripts in it (`run:` steps of GitHub
//! Actions workflows, Cloud Build steps, cloud-init `runcmd`), the Config
//! Connector reader ([`crate::krm`]) its objects, one per document.

use crate::embedded::Embedded;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

/// A YAML node and where it starts in the file.
#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    /// Byte offset of the node's first character (a quote, `|`, `>`, `[` or the text).
    pub at: usize,
}

#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Map(e) => e,
            _ => &[],
        }
    }
}

struct RawNode(Value);

impl<'de> de::Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor).map(RawNode)
    }
}

fn node(s: Spanned<RawNode>) -> Node {
    let at = s
        .referenced
        .span()
        .byte_offset()
        .and_then(|o| usize::try_from(o).ok())
        .unwrap_or(0);
    Node {
        value: s.value.0,
        at,
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Scalar(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<RawNode>>()? {
            items.push(node(item));
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<Spanned<RawNode>, Spanned<RawNode>>()? {
            entries.push((node(k), node(v)));
        }
        Ok(Value::Map(entries))
    }
}

/// A YAML parse error with its 1-based position.
#[derive(Debug, Clone)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parses one YAML document.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    match serde_saphyr::from_str::<Spanned<RawNode>>(text) {
        Ok(n) => Ok(node(n)),
        Err(e) => Err(error(&e)),
    }
}

/// Parses every document of a multi-document stream (`---` separated); empty
/// documents are left out. The parser's budget bounds depth, nodes and documents.
pub fn parse_all(text: &str) -> Result<Vec<Node>, YamlError> {
    match serde_saphyr::from_multiple::<Spanned<RawNode>>(text) {
        Ok(docs) => Ok(docs.into_iter().map(node).collect()),
        Err(e) => Err(error(&e)),
    }
}

fn error(e: &serde_saphyr::Error) -> YamlError {
    let (line, column) = e
        .location()
        .map_or((0, 0), |l| (l.line() as usize, l.column() as usize));
    let message = e.to_string();
    let message = message.lines().next().unwrap_or("").to_string();
    YamlError {
        line,
        column,
        message,
    }
}

/// How a scalar is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Single,
    Double,
    Literal,
    Folded,
}

/// A scalar's text mapped back to the file, and where it ends there.
pub struct Mapped {
    pub embed: Embedded,
    pub style: Style,
    /// The end of the scalar in the file (after a closing quote).
    pub end: usize,
}

/// Maps the scalar `value` written at `at` in `text`. When the text cannot be
/// mapped exactly, every offset maps to the scalar's start.
pub fn map_scalar(text: &str, at: usize, value: &str) -> Mapped {
    let rest = text.get(at..).unwrap_or("");
    let header = block_header(text, at);
    let (style, mut e, end) = match header {
        Some((h, folded)) => block(text, h, folded),
        None => match rest.chars().next() {
            Some('|') => block(text, at, false),
            Some('>') => block(text, at, true),
            Some('\'') => quoted(text, at, '\''),
            Some('"') => quoted(text, at, '"'),
            _ => plain(text, at),
        },
    };
    // trailing newlines depend on chomping; compare without them
    if e.text.trim_end_matches('\n') != value.trim_end_matches('\n') {
        e = Embedded::default();
        e.push(value, at, 0);
    } else if e.text.len() > value.len() {
        e.text.truncate(value.len());
    } else if e.text.len() < value.len() {
        let extra = &value[e.text.len()..];
        e.push(extra, end, 0);
    }
    Mapped {
        embed: e,
        style,
        end,
    }
}

/// The `|`/`>` header of a block scalar whose content starts at `at` (the
/// parser locates block scalars at their first content character).
fn block_header(text: &str, at: usize) -> Option<(usize, bool)> {
    let before = text.get(..at)?;
    let line_start = before.trim_end().rfind('\n').map_or(0, |i| i + 1);
    let mut line = before.get(line_start..)?.trim_end();
    if let Some(c) = line.find(" #") {
        line = line[..c].trim_end();
    }
    let token_start = line.rfind([' ', '\t', ':', '-']).map_or(0, |i| i + 1);
    let token = &line[token_start..];
    let mut cs = token.chars();
    let folded = match cs.next()? {
        '|' => false,
        '>' => true,
        _ => return None,
    };
    cs.all(|c| c == '-' || c == '+' || c.is_ascii_digit())
        .then_some((line_start + token_start, folded))
}

fn line_end(text: &str, from: usize) -> usize {
    text.get(from..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| from + i)
}

fn indent_of(line: &str) -> usize {
    line.chars().take_while(|c| *c == ' ').count()
}

/// `|` and `>` block scalars: the lines after the header, less their indentation.
fn block(text: &str, at: usize, folded: bool) -> (Style, Embedded, usize) {
    let header_end = line_end(text, at);
    let header = text.get(at..header_end).unwrap_or("");
    let explicit: Option<usize> = header
        .chars()
        .find(|c| c.is_ascii_digit())
        .and_then(|c| c.to_digit(10))
        .map(|d| d as usize);
    // the indentation of the node that holds the scalar
    let parent_start = text
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let parent_indent = indent_of(text.get(parent_start..).unwrap_or(""));
    let mut e = Embedded::default();
    let mut pos = header_end + 1;
    let mut indent: Option<usize> = explicit.map(|d| parent_indent + d);
    let mut end = header_end;
    let mut pending_blank = String::new();
    let mut first = true;
    let mut prev_more_indented = false;
    while pos <= text.len() {
        let le = line_end(text, pos);
        let line = text.get(pos..le).unwrap_or("");
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            pending_blank.push('\n');
            if le >= text.len() {
                break;
            }
            pos = le + 1;
            continue;
        }
        let ind = indent_of(line);
        let n = *indent.get_or_insert(ind);
        if ind < n || ind <= parent_indent {
            break;
        }
        let content = &line[n..];
        let more_indented = content.starts_with(' ') || content.starts_with('\t');
        if !first {
            if folded && pending_blank.is_empty() && !more_indented && !prev_more_indented {
                e.push(" ", pos, 0);
            } else if folded && !pending_blank.is_empty() && !more_indented && !prev_more_indented {
                e.push(&pending_blank, pos, 0);
            } else {
                e.push("\n", pos, 0);
                e.push(&pending_blank, pos, 0);
            }
        } else if !pending_blank.is_empty() {
            e.push(&pending_blank, pos, 0);
        }
        pending_blank.clear();
        e.push_mapped(content, pos + n);
        end = pos + n + content.len();
        prev_more_indented = more_indented;
        first = false;
        if le >= text.len() {
            break;
        }
        pos = le + 1;
    }
    if !first {
        e.push("\n", end, 0);
    }
    (
        if folded {
            Style::Folded
        } else {
            Style::Literal
        },
        e,
        end,
    )
}

/// Quoted scalars on one or more lines: escapes are decoded, line breaks folded.
fn quoted(text: &str, at: usize, q: char) -> (Style, Embedded, usize) {
    let mut e = Embedded::default();
    let bytes = text.as_bytes();
    let mut i = at + 1;
    let mut run = i;
    let flush = |e: &mut Embedded, from: usize, to: usize| {
        if to > from {
            e.push_mapped(&text[from..to], from);
        }
    };
    while i < bytes.len() {
        let c = bytes[i];
        if q == '\'' && c == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                flush(&mut e, run, i);
                e.push("'", i, 2);
                i += 2;
                run = i;
                continue;
            }
            flush(&mut e, run, i);
            return (Style::Single, e, i + 1);
        }
        if q == '"' && c == b'"' {
            flush(&mut e, run, i);
            return (Style::Double, e, i + 1);
        }
        if q == '"' && c == b'\\' && i + 1 < bytes.len() {
            flush(&mut e, run, i);
            let (s, len) = match bytes[i + 1] {
                b'n' => ("\n", 2),
                b't' => ("\t", 2),
                b'"' => ("\"", 2),
                b'\\' => ("\\", 2),
                b'/' => ("/", 2),
                b'\n' => ("", 2),
                _ => ("\u{fffd}", 2),
            };
            e.push(s, i, len);
            i += len;
            run = i;
            continue;
        }
        if c == b'\n' {
            // a line break inside quotes folds into a space, leading spaces dropped
            let mut j = i;
            while j > run && matches!(bytes[j - 1], b' ' | b'\t') {
                j -= 1;
            }
            flush(&mut e, run, j);
            let mut k = i + 1;
            let mut blank = 0;
            loop {
                while k < bytes.len() && matches!(bytes[k], b' ' | b'\t') {
                    k += 1;
                }
                if k < bytes.len() && bytes[k] == b'\n' {
                    blank += 1;
                    k += 1;
                } else {
                    break;
                }
            }
            if blank == 0 {
                e.push(" ", i, 0);
            } else {
                e.push(&"\n".repeat(blank), i, 0);
            }
            i = k;
            run = i;
            continue;
        }
        i += 1;
    }
    flush(&mut e, run, bytes.len());
    (
        if q == '"' {
            Style::Double
        } else {
            Style::Single
        },
        e,
        bytes.len(),
    )
}

/// A plain scalar: its first line (continuation lines fold into spaces).
fn plain(text: &str, at: usize) -> (Style, Embedded, usize) {
    let mut e = Embedded::default();
    let le = line_end(text, at);
    let line = text.get(at..le).unwrap_or("");
    // a comment or the end of a flow item ends the scalar
    let mut end = line.len();
    for (i, c) in line.char_indices() {
        if c == '#' && line[..i].ends_with([' ', '\t']) {
            end = i;
            break;
        }
        let flow_end = (c == ',' || c == ']' || c == '}')
            && text.get(..at).is_some_and(|b| {
                let b = b.trim_end();
                b.ends_with('[') || b.ends_with(',') || b.ends_with('{')
            });
        if flow_end {
            end = i;
            break;
        }
    }
    let content = line[..end].trim_end();
    e.push_mapped(content, at);
    let mut last = at + content.len();
    // continuation lines of a multi-line plain scalar
    let parent_start = text
        .get(..at)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let parent_indent = indent_of(text.get(parent_start..).unwrap_or(""));
    let mut pos = le + 1;
    while pos < text.len() {
        let le2 = line_end(text, pos);
        let l = text.get(pos..le2).unwrap_or("");
        let ind = indent_of(l);
        let t = l.trim();
        if t.is_empty() || ind <= parent_indent || t.starts_with('#') || t.starts_with("- ") {
            break;
        }
        if t.contains(": ") || t.ends_with(':') {
            break;
        }
        e.push(" ", pos, 0);
        e.push_mapped(t, pos + ind);
        last = pos + ind + t.len();
        pos = le2 + 1;
    }
    (Style::Plain, e, last)
}

/// Moves every offset of a tree parsed from a file's BOM-less body by `by`.
pub fn shift(n: &mut Node, by: usize) {
    n.at += by;
    match &mut n.value {
        Value::Seq(items) => items.iter_mut().for_each(|i| shift(i, by)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            shift(k, by);
            shift(v, by);
        }),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn block_scalars_map_to_their_lines() {
        let src = "jobs:\n  d:\n    steps:\n      - run: |\n          echo a\n            b\n          gcloud x\n      - run: echo 'q'\n";
        let root = parse(src).expect("parses");
        let steps = root
            .get("jobs")
            .and_then(|j| j.get("d"))
            .and_then(|d| d.get("steps"))
            .expect("steps");
        let run = steps.items()[0].get("run").expect("run");
        let m = map_scalar(src, run.at, run.as_str().unwrap_or(""));
        assert_eq!(m.embed.text, "echo a\n  b\ngcloud x\n");
        let g = m.embed.text.find("gcloud").unwrap_or(0);
        let at = m.embed.start(g);
        assert_eq!(&src[at..at + 6], "gcloud");
        let run2 = steps.items()[1].get("run").expect("run");
        let m2 = map_scalar(src, run2.at, run2.as_str().unwrap_or(""));
        assert_eq!(m2.embed.text, "echo 'q'");
        assert_eq!(m2.embed.start(0), src.find("echo 'q'").unwrap_or(0));
    }

    #[test]
    fn flow_items_and_quotes() {
        let src = "args: ['compute', \"a\\tb\", plain, 'it''s']\n";
        let root = parse(src).expect("parses");
        let items = root.get("args").expect("args").items();
        let texts: Vec<String> = items
            .iter()
            .map(|n| map_scalar(src, n.at, n.as_str().unwrap_or("")).embed.text)
            .collect();
        assert_eq!(texts, ["compute", "a\tb", "plain", "it's"]);
        let m = map_scalar(src, items[2].at, "plain");
        assert_eq!(&src[m.embed.start(0)..m.end], "plain");
    }
}
