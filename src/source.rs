//! Source files as read from disk, and conversion of byte offsets to the
//! line/column positions every output format needs.

use std::ops::Range;
use std::path::PathBuf;

/// Index of a file in [`Sources`]; cheap to copy into every location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A byte range inside one source file: where a value, block or grant came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: FileId,
    pub span: Range<usize>,
}

impl Ord for Loc {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.file, self.span.start, self.span.end).cmp(&(
            other.file,
            other.span.start,
            other.span.end,
        ))
    }
}

impl PartialOrd for Loc {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Loc {
    pub fn new(file: FileId, span: Range<usize>) -> Self {
        Loc { file, span }
    }
}

/// A file that could not be parsed, with the 1-based position of the error.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// One input file: its path as shown to the user and its text.
#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the working directory when possible, as given otherwise.
    pub display: String,
    /// Path used to read and write the file.
    pub path: PathBuf,
    pub text: String,
    /// Bytes stripped from the start of the file before parsing (a UTF-8 BOM).
    pub bom: usize,
    line_starts: Vec<usize>,
    /// Where `text` starts in the file, when it holds only some of its lines
    /// (a window of an export read as a stream): its byte offset and the
    /// number of lines before it. Locations are relative to `text`.
    base: usize,
    lines_before: usize,
}

/// A 1-based line and column (columns count Unicode scalar values) plus the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub byte: usize,
}

impl SourceFile {
    pub fn new(display: String, path: PathBuf, text: String) -> Self {
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            display,
            path,
            text,
            bom,
            line_starts,
            base: 0,
            lines_before: 0,
        }
    }

    /// Some whole lines of a larger file: `text` starts at byte `base` of the
    /// file, after `lines_before` lines. Locations into it are relative to
    /// `text`; positions name the file's own lines and bytes, so a report
    /// made from windows reads as one made from the whole file.
    pub fn window(
        display: String,
        path: PathBuf,
        text: String,
        base: usize,
        lines_before: usize,
    ) -> Self {
        let mut file = SourceFile::new(display, path, text);
        if base > 0 {
            file.bom = 0;
        }
        file.base = base;
        file.lines_before = lines_before;
        file
    }

    /// The number of lines of the file before `text` (0 unless a window).
    pub fn lines_before(&self) -> usize {
        self.lines_before
    }

    /// Drops the text (and its line index) of a file nothing will show or
    /// patch; the file keeps its name and path.
    pub fn forget_text(&mut self) {
        self.text = String::new();
        self.bom = 0;
        self.line_starts = vec![0];
    }

    /// The 0-based line of byte offset `byte` and where that line starts
    /// (lines end at `\n`), found by binary search.
    pub fn line_of(&self, byte: usize) -> (usize, usize) {
        let line = self
            .line_starts
            .partition_point(|&s| s <= byte)
            .saturating_sub(1);
        (line, self.line_starts.get(line).copied().unwrap_or(0))
    }

    /// The text the parsers see: the file without a leading BOM.
    pub fn body(&self) -> &str {
        self.text.get(self.bom..).unwrap_or("")
    }

    /// Line/column of a byte offset into [`SourceFile::text`], clamped to the file.
    pub fn position(&self, byte: usize) -> Position {
        let byte = byte.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= byte).max(1);
        // A BOM is not a column: editors do not show it.
        let start = self
            .line_starts
            .get(line - 1)
            .copied()
            .unwrap_or(0)
            .max(self.bom.min(byte));
        let column = self
            .text
            .get(start..byte)
            .map_or(byte - start, |s| s.chars().count())
            + 1;
        Position {
            line: line + self.lines_before,
            column,
            byte: byte + self.base,
        }
    }

    /// The text of line `line` (1-based) without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(line) = line.checked_sub(self.lines_before) else {
            return "";
        };
        let start = self
            .line_starts
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(0);
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

/// Every file read in one run, addressed by [`FileId`].
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn push(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX))
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// For a file whose text is read after its facts (a streamed export).
    pub fn get_mut(&mut self, id: FileId) -> Option<&mut SourceFile> {
        self.files.get_mut(id.0 as usize)
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Keeps the first `len` files (those read before a piece of a stream).
    pub fn truncate(&mut self, len: usize) {
        self.files.truncate(len);
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A window's positions are the whole file's: the same line, column and
    /// byte as if every line before it had been read.
    #[test]
    fn a_window_counts_the_lines_and_bytes_before_it() {
        let whole = SourceFile::new("a".into(), "a".into(), "one\ntwo\nthr—ee\nfour\n".into());
        let w = SourceFile::window("a".into(), "a".into(), "thr—ee\nfour\n".into(), 8, 2);
        let at = |f: &SourceFile, needle: &str, base: usize| {
            f.position(f.text.find(needle).map_or(0, |i| i + base) - base)
        };
        assert_eq!(at(&w, "ee", 0), at(&whole, "ee", 0));
        assert_eq!(at(&w, "four", 0), at(&whole, "four", 0));
        assert_eq!(at(&w, "ee", 0).byte, whole.text.find("ee").unwrap_or(0));
        assert_eq!(w.line_text(4), "four");
        assert_eq!(w.line_text(2), "");
        assert_eq!(w.lines_before(), 2);
    }

    #[test]
    fn positions_count_lines_and_characters() {
        let f = SourceFile::new("a".into(), "a".into(), "ab\n—x\n".into());
        assert_eq!(
            f.position(0),
            Position {
                line: 1,
                column: 1,
                byte: 0
            }
        );
        assert_eq!(f.position(3).line, 2);
        // the em dash is 3 bytes but one column
        assert_eq!(f.position(6).column, 2);
        assert_eq!(f.line_text(2), "—x");
        assert_eq!(f.position(999).line, 3);
    }

    #[test]
    fn a_bom_is_not_a_column() {
        let f = SourceFile::new("a".into(), "a".into(), "\u{feff}x = 1\ny = 2\n".into());
        assert_eq!(f.body(), "x = 1\ny = 2\n");
        assert_eq!(f.position(3).column, 1);
        assert_eq!(f.position(4).column, 2);
        assert_eq!(f.position(0).column, 1);
        assert_eq!(f.position(9).line, 2);
        assert_eq!(f.position(9).column, 1);
    }
}
