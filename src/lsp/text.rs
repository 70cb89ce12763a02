//! Positions and paths as the protocol has them: line and character in a
//! negotiated encoding (UTF-16 code units unless the client takes UTF-8),
//! and `file:` URIs.

use crate::source::SourceFile;
use lsp_types::{Position, Range};
use std::path::{Path, PathBuf};

/// How a position's `character` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// The byte offset of `pos` in `text`, clamped to the text (a line past the
/// end is the end; a character past the line's end is the line's end; a
/// character inside a UTF-16 pair or a UTF-8 sequence is the character's start).
pub fn offset(text: &str, pos: Position, enc: Encoding) -> usize {
    let mut start = 0;
    for _ in 0..pos.line {
        match text.get(start..).and_then(|rest| rest.find('\n')) {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line = text.get(start..).unwrap_or("");
    let line = line.split('\n').next().unwrap_or("");
    let line = line.strip_suffix('\r').unwrap_or(line);
    let want = pos.character as usize;
    let mut units = 0;
    for (i, c) in line.char_indices() {
        if units >= want {
            return start + i;
        }
        units += match enc {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        };
        if units > want {
            return start + i;
        }
    }
    start + line.len()
}

/// The position of byte offset `byte` in `text` (clamped, and moved back to
/// a character boundary).
pub fn position(text: &str, byte: usize, enc: Encoding) -> Position {
    let byte = boundary(text, byte);
    let before = text.get(..byte).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    at_line(text, byte, before.matches('\n').count(), line_start, enc)
}

/// `byte` clamped to `text` and moved back to a character boundary.
fn boundary(text: &str, byte: usize) -> usize {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    byte
}

/// The position of `byte` on the 0-based `line` that starts at `line_start`.
fn at_line(text: &str, byte: usize, line: usize, line_start: usize, enc: Encoding) -> Position {
    let col = text.get(line_start.min(byte)..byte).unwrap_or("");
    let character = match enc {
        Encoding::Utf8 => col.len(),
        Encoding::Utf16 => col.encode_utf16().count(),
    };
    Position::new(
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(character).unwrap_or(u32::MAX),
    )
}

/// The position of byte offset `byte` in a source file: as [`position`],
/// with its line found from the file's line index instead of by counting.
pub fn source_position(src: &SourceFile, byte: usize, enc: Encoding) -> Position {
    let byte = boundary(&src.text, byte);
    let (line, start) = src.line_of(byte);
    at_line(&src.text, byte, line, start, enc)
}

/// The range of a byte span of a source file.
pub fn source_range(src: &SourceFile, span: &std::ops::Range<usize>, enc: Encoding) -> Range {
    Range::new(
        source_position(src, span.start, enc),
        source_position(src, span.end.max(span.start), enc),
    )
}

/// The range of a byte span of `text`.
pub fn range(text: &str, span: &std::ops::Range<usize>, enc: Encoding) -> Range {
    Range::new(
        position(text, span.start, enc),
        position(text, span.end.max(span.start), enc),
    )
}

/// Replaces the bytes of `range` in `text` (an incremental change).
pub fn splice(text: &mut String, range: Range, new: &str, enc: Encoding) {
    let start = offset(text, range.start, enc);
    let end = offset(text, range.end, enc).max(start);
    text.replace_range(start..end, new);
}

/// The path of a `file:` URI; `None` for any other scheme or a malformed one.
pub fn uri_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file:///p` (empty authority) or `file://localhost/p`.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    let path = String::from_utf8(out).ok()?;
    // Windows drive paths come as `/C:/...`.
    let windows = path.get(2..3) == Some(":") && cfg!(windows);
    Some(PathBuf::from(if windows {
        path.get(1..).unwrap_or(&path).to_string()
    } else {
        path
    }))
}

/// The `file:` URI of an absolute path.
pub fn path_uri(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let slash = if text.starts_with('/') { "" } else { "/" };
    format!("file://{slash}{}", crate::render::sarif::uri_path(&text))
}

/// The word around byte offset `at`: a run of characters that are none of
/// quotes, spaces, brackets, commas or `=`, with its span.
pub fn word_at(text: &str, at: usize) -> Option<(&str, std::ops::Range<usize>)> {
    let stop = |c: char| c.is_whitespace() || "\"'`,[](){}=;".contains(c);
    let at = at.min(text.len());
    let mut start = at;
    while let Some(c) = text.get(..start).and_then(|b| b.chars().next_back()) {
        if stop(c) {
            break;
        }
        start -= c.len_utf8();
    }
    let end = text
        .get(at..)
        .and_then(|rest| rest.find(stop))
        .map_or(text.len(), |i| at + i);
    let word = text.get(start..end)?;
    (!word.is_empty()).then_some((word, start..end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_position_is_the_position_counted_in_the_text() {
        let text = "a = \"é😀x\"\nnext\r\n\nlast\n";
        let src = SourceFile::new("t".into(), "t".into(), text.to_string());
        for byte in 0..=text.len() + 2 {
            for enc in [Encoding::Utf8, Encoding::Utf16] {
                assert_eq!(
                    source_position(&src, byte, enc),
                    position(text, byte, enc),
                    "{byte}"
                );
            }
        }
    }

    #[test]
    fn utf16_and_utf8_positions_round_trip() {
        let text = "a = \"é😀x\"\nnext\r\nlast";
        let x = text.find('x').unwrap_or(0);
        let p16 = position(text, x, Encoding::Utf16);
        assert_eq!(p16, Position::new(0, 8));
        assert_eq!(offset(text, p16, Encoding::Utf16), x);
        let p8 = position(text, x, Encoding::Utf8);
        assert_eq!(p8, Position::new(0, 11));
        assert_eq!(offset(text, p8, Encoding::Utf8), x);
        // Inside the surrogate pair: the emoji's start.
        let emoji = text.find('😀').unwrap_or(0);
        assert_eq!(offset(text, Position::new(0, 7), Encoding::Utf16), emoji);
        // Past the end of a CRLF line: before the CR.
        assert_eq!(
            offset(text, Position::new(1, 99), Encoding::Utf16),
            text.find("\r\n").unwrap_or(0)
        );
        assert_eq!(
            offset(text, Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
    }

    #[test]
    fn splices() {
        let mut t = "ab\ncd😀e\n".to_string();
        splice(
            &mut t,
            Range::new(Position::new(1, 2), Position::new(1, 4)),
            "X",
            Encoding::Utf16,
        );
        assert_eq!(t, "ab\ncdXe\n");
    }

    #[test]
    fn uris_and_paths() {
        let p = Path::new("/tmp/a b/ü.tf");
        let u = path_uri(p);
        assert_eq!(u, "file:///tmp/a%20b/%C3%BC.tf");
        assert_eq!(uri_path(&u).as_deref(), Some(p));
        assert_eq!(uri_path("untitled:1"), None);
        assert_eq!(uri_path("file:///x%zz"), None);
    }

    #[test]
    fn words() {
        let t = "scopes = [\"storage-ro\", \"x\"]";
        let at = t.find("rage").unwrap_or(0);
        assert_eq!(word_at(t, at).map(|w| w.0), Some("storage-ro"));
        assert_eq!(word_at(t, 0).map(|w| w.0), Some("scopes"));
    }
}
