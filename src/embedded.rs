//! Text cut out of a file (a YAML scalar, a Terraform heredoc, a flag's
//! value) with where each of its bytes is written: what a parser of the
//! inner language reads, and how its locations go back to the file.

use std::ops::Range;

/// A run of script text written in the file, byte for byte when `len == file_len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Piece {
    at: usize,
    len: usize,
    file: usize,
    file_len: usize,
}

/// Script text plus its map to file offsets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Embedded {
    pub text: String,
    pieces: Vec<Piece>,
}

impl Embedded {
    /// A whole file: the map is the identity.
    pub fn whole(text: &str) -> Embedded {
        Embedded {
            text: text.to_string(),
            pieces: vec![Piece {
                at: 0,
                len: text.len(),
                file: 0,
                file_len: text.len(),
            }],
        }
    }

    /// Appends text written byte for byte at `file` in the file.
    pub fn push_mapped(&mut self, s: &str, file: usize) {
        self.push(s, file, s.len());
    }

    /// Appends text that stands for `file_len` bytes at `file` (an escape, an
    /// interpolation), or for nothing (`file_len` 0: a separator).
    pub fn push(&mut self, s: &str, file: usize, file_len: usize) {
        if s.is_empty() && file_len == 0 {
            return;
        }
        let at = self.text.len();
        self.text.push_str(s);
        // extend the last piece when contiguous and exact
        if let Some(last) = self.pieces.last_mut()
            && last.len == last.file_len
            && s.len() == file_len
            && last.at + last.len == at
            && last.file + last.file_len == file
        {
            last.len += s.len();
            last.file_len += file_len;
            return;
        }
        self.pieces.push(Piece {
            at,
            len: s.len(),
            file,
            file_len,
        });
    }

    /// Where script offset `off` is in the file.
    pub fn start(&self, off: usize) -> usize {
        let i = self.pieces.partition_point(|p| p.at <= off);
        match self.pieces.get(i.wrapping_sub(1)) {
            Some(p) if off < p.at + p.len || p.len == 0 => {
                if p.len == p.file_len {
                    p.file + (off - p.at)
                } else {
                    p.file
                }
            }
            Some(p) => p.file + p.file_len,
            None => self.pieces.first().map_or(0, |p| p.file),
        }
    }

    /// Where the script text ending at `off` (exclusive) ends in the file.
    pub fn end(&self, off: usize) -> usize {
        if off == 0 {
            return self.start(0);
        }
        let i = self.pieces.partition_point(|p| p.at < off);
        match self.pieces.get(i.wrapping_sub(1)) {
            Some(p) if p.len == p.file_len => p.file + (off - p.at).min(p.len),
            Some(p) => p.file + p.file_len,
            None => self.start(off),
        }
    }

    /// A script span as a file span.
    pub fn span(&self, r: &Range<usize>) -> Range<usize> {
        if r.is_empty() && r.start > 0 {
            // an insertion point: right after the text before it
            let e = self.end(r.start);
            return e..e;
        }
        let s = self.start(r.start);
        let e = self.end(r.end).max(s);
        s..e
    }

    /// This text, whose map points into `outer.text`, mapped on through `outer`.
    pub fn through(&self, outer: &Embedded) -> Embedded {
        let mut e = Embedded::default();
        for p in &self.pieces {
            let text = self.text.get(p.at..p.at + p.len).unwrap_or("");
            if p.len == p.file_len {
                // exact here: exact there too, character by character
                let mut off = 0;
                for c in text.chars() {
                    let n = c.len_utf8();
                    let r = p.file + off..p.file + off + n;
                    let piece = &text[off..off + n];
                    if outer.is_exact(&r) {
                        e.push_mapped(piece, outer.start(r.start));
                    } else {
                        let f = outer.span(&r);
                        e.push(piece, f.start, f.len());
                    }
                    off += n;
                }
            } else {
                let f = outer.span(&(p.file..p.file + p.file_len));
                e.push(text, f.start, f.len());
            }
        }
        e
    }

    /// Whether script offset `off` stands for bytes of the file, not for
    /// nothing (a separator, or the whole text of a scalar that could not be
    /// mapped back, which stands at its start).
    pub fn is_located(&self, off: usize) -> bool {
        let i = self.pieces.partition_point(|p| p.at <= off);
        self.pieces
            .get(i.wrapping_sub(1))
            .is_some_and(|p| p.file_len > 0 && off < p.at + p.len)
    }

    /// Whether the script bytes in `r` are written in the file byte for byte.
    pub fn is_exact(&self, r: &Range<usize>) -> bool {
        let i = self.pieces.partition_point(|p| p.at <= r.start);
        self.pieces
            .get(i.wrapping_sub(1))
            .is_some_and(|p| p.len == p.file_len && p.at <= r.start && r.end <= p.at + p.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_pieces_back_to_the_file() {
        let mut e = Embedded::default();
        e.push_mapped("abc\n", 10);
        e.push_mapped("def\n", 20);
        assert_eq!(e.text, "abc\ndef\n");
        assert_eq!(e.span(&(4..7)), 20..23);
        assert_eq!(e.span(&(0..3)), 10..13);
        assert!(e.is_exact(&(4..7)));
        assert!(!e.is_exact(&(2..6)));
    }
}
