//! Where a finding is, as the formats count it: lines and columns in bytes,
//! or in UTF-16 code units.

use crate::source::{Loc, Position, SourceFile, Sources};

/// Start and end positions of a location, or the file start when unknown.
pub fn positions(sources: &Sources, loc: &Loc) -> (String, Position, Position) {
    match sources.get(loc.file) {
        Some(f) => (
            f.display.clone(),
            f.position(loc.span.start),
            f.position(loc.span.end),
        ),
        None => {
            let p = Position {
                line: 1,
                column: 1,
                byte: 0,
            };
            (String::new(), p, p)
        }
    }
}

/// A 1-based line and a 1-based column counted in UTF-16 code units (what
/// SARIF's `columnKind: utf16CodeUnits`, LSP and most editors use). A leading
/// byte order mark is not part of the first line.
pub fn utf16_position(file: &SourceFile, byte: usize) -> (usize, usize) {
    let byte = floor_char_boundary(&file.text, byte.min(file.text.len()));
    let p = file.position(byte);
    let line_start = file
        .text
        .get(..byte)
        .and_then(|t| t.rfind('\n'))
        .map_or(file.bom, |i| i + 1);
    let column = file
        .text
        .get(line_start.min(byte)..byte)
        .map_or(0, |s| s.encode_utf16().count())
        + 1;
    (p.line, column)
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_code_units_and_skip_the_bom() {
        // "é" is 2 bytes / 1 unit, "😀" is 4 bytes / 2 units
        let f = SourceFile::new(
            "a.tf".into(),
            "a.tf".into(),
            "\u{feff}ab\né😀x = 1\n".into(),
        );
        assert_eq!(utf16_position(&f, 3), (1, 1)); // after the BOM
        assert_eq!(utf16_position(&f, 5), (1, 3));
        let x = f.text.find('x').unwrap_or_default();
        assert_eq!(utf16_position(&f, x), (2, 4));
        assert_eq!(utf16_position(&f, f.text.len()), (3, 1));
    }
}
