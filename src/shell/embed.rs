//! Scripts embedded in other files (a YAML `run:` block, a Terraform heredoc,
//! a `--metadata startup-script=...` value): the script text the shell parser
//! sees, and where each of its bytes is written in the file.

use std::ops::Range;

/// A run of script text written in the file, byte for byte when `len == file_len`.
#[derive(Debug, Clone, Copy)]
struct Piece {
    at: usize,
    len: usize,
    file: usize,
    file_len: usize,
}

/// Script text plus its map to file offsets.
#[derive(Debug, Clone, Default)]
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

    /// Whether the script bytes in `r` are written in the file byte for byte.
    pub fn is_exact(&self, r: &Range<usize>) -> bool {
        let i = self.pieces.partition_point(|p| p.at <= r.start);
        self.pieces
            .get(i.wrapping_sub(1))
            .is_some_and(|p| p.len == p.file_len && p.at <= r.start && r.end <= p.at + p.len)
    }
}

/// A Terraform string or heredoc body written at `base` in the file, read as a
/// shell script: `${...}` interpolations become unknown shell expansions
/// (or their value, for a `templatefile()` variable given as a known string),
/// `%{...}` directives are dropped (both branches of an `if` stay), `$${` and
/// `%%{` are escapes, and a quoted string's backslash escapes are decoded.
pub fn terraform_template(
    text: &str,
    base: usize,
    quoted: bool,
    vars: &[(String, String)],
) -> Embedded {
    let mut e = Embedded::default();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut run = 0;
    let mut n = 0;
    let flush = |e: &mut Embedded, from: usize, to: usize| {
        if to > from {
            e.push_mapped(&text[from..to], base + from);
        }
    };
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("$${") || rest.starts_with("%%{") {
            flush(&mut e, run, i);
            e.push(&rest[1..3], base + i, 3);
            i += 3;
            run = i;
        } else if rest.starts_with("${") || rest.starts_with("%{") {
            flush(&mut e, run, i);
            let end = template_end(text, i + 2);
            if rest.starts_with("${") {
                let name = text.get(i + 2..end.saturating_sub(1)).unwrap_or("").trim();
                match vars.iter().find(|(k, _)| k == name) {
                    Some((_, v)) => e.push(v, base + i, end - i),
                    None => {
                        n += 1;
                        e.push(&format!("${{__terraform_{n}}}"), base + i, end - i);
                    }
                }
            } else {
                e.push("", base + i, end - i);
            }
            i = end;
            run = i;
        } else if quoted && bytes[i] == b'\\' && i + 1 < bytes.len() {
            flush(&mut e, run, i);
            let (s, len) = match bytes[i + 1] {
                b'n' => ("\n".to_string(), 2),
                b't' => ("\t".to_string(), 2),
                b'r' => ("\r".to_string(), 2),
                b'"' => ("\"".to_string(), 2),
                b'\\' => ("\\".to_string(), 2),
                b'u' if i + 6 <= bytes.len() => (
                    u32::from_str_radix(&text[i + 2..i + 6], 16)
                        .ok()
                        .and_then(char::from_u32)
                        .map_or_else(String::new, |c| c.to_string()),
                    6,
                ),
                _ => ("\\".to_string(), 1),
            };
            e.push(&s, base + i, len);
            i += len;
            run = i;
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    flush(&mut e, run, bytes.len());
    e
}

/// The end of a `${...}` or `%{...}` whose body starts at `from` (nested braces and strings skipped).
fn template_end(text: &str, from: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 1;
    let mut i = from;
    let mut in_str = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'{' if !in_str => depth += 1,
            b'}' if !in_str => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
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

    #[test]
    fn terraform_interpolations_become_unknown_expansions() {
        let src = "gsutil cp gs://${var.b}/x .\necho $${HOME} %{ if x }y%{ endif }\n";
        let e = terraform_template(src, 100, false, &[]);
        assert_eq!(
            e.text,
            "gsutil cp gs://${__terraform_1}/x .\necho ${HOME} y\n"
        );
        let at = e.text.find("echo").unwrap_or(0);
        assert_eq!(e.start(at), 100 + src.find("echo").unwrap_or(0));
        let q = terraform_template("a\\nb", 0, true, &[]);
        assert_eq!(q.text, "a\nb");
        assert_eq!(q.start(2), 3);
    }
}
