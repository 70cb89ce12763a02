//! Expanded shell words: the text a word stands for after variable expansion,
//! quote removal and word splitting, with what is known of it and where each
//! known byte was written.

use std::ops::Range;
use std::sync::Arc;

/// The name of a value that is not known statically but is the same value
/// wherever the script uses it: a variable from the environment (`${SA}`), or a
/// variable assigned from a command substitution (once per assignment, so a
/// loop that reassigns it makes a new value each time).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Symbol {
    /// How the value is written, e.g. `${SA}`.
    pub text: Arc<str>,
    /// Which assignment made it (0 for a variable from the environment).
    pub generation: u32,
}

/// A piece of a word's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// Known text. `at` is the script offset its first byte is written at, when
    /// the text is written there byte for byte (so a patch can point into it).
    Lit { text: String, at: Option<usize> },
    /// Text that cannot be known statically: a command substitution, a variable
    /// from the environment, a parameter of a function called with unknown
    /// arguments. Named when it is the same value wherever it is used.
    Unknown(Option<Symbol>),
}

impl Seg {
    pub fn lit(text: impl Into<String>, at: Option<usize>) -> Seg {
        Seg::Lit {
            text: text.into(),
            at,
        }
    }

    /// Text that is not known and has no name.
    pub fn unknown() -> Seg {
        Seg::Unknown(None)
    }
}

/// Where a word's whole value was assigned, when it is the value of one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The variable, as written (`$SCOPES`).
    pub var: String,
    /// The value node of the assignment (script offsets).
    pub span: Range<usize>,
}

/// One expanded word (one argument of a command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub segs: Vec<Seg>,
    /// Where the word is written (script offsets).
    pub span: Range<usize>,
    /// The word is an unquoted expansion of something unknown: it may stand for
    /// any number of words, flags included.
    pub splat: bool,
    /// The word holds an unquoted unknown expansion (`--zone=$ZONE`): besides
    /// its known text, it may stand for more words than one.
    pub may_split: bool,
    /// Set when the word is exactly the value of one variable assigned from a literal.
    pub origin: Option<Origin>,
}

impl Word {
    /// A word of known text written at `span`, mapped byte for byte when `mapped`.
    pub fn literal(text: &str, span: Range<usize>, mapped: bool) -> Word {
        let at = mapped.then_some(span.start);
        Word {
            segs: vec![Seg::lit(text, at)],
            span,
            splat: false,
            may_split: false,
            origin: None,
        }
    }

    /// The whole text, if every part of it is known.
    pub fn text(&self) -> Option<String> {
        let mut out = String::new();
        for s in &self.segs {
            match s {
                Seg::Lit { text, .. } => out.push_str(text),
                Seg::Unknown(_) => return None,
            }
        }
        Some(out)
    }

    pub fn is_known(&self) -> bool {
        self.segs.iter().all(|s| matches!(s, Seg::Lit { .. }))
    }

    /// The known text before the first unknown part.
    pub fn known_prefix(&self) -> String {
        let mut out = String::new();
        for s in &self.segs {
            match s {
                Seg::Lit { text, .. } => out.push_str(text),
                Seg::Unknown(_) => break,
            }
        }
        out
    }

    /// The known text after the last unknown part.
    pub fn known_suffix(&self) -> String {
        let mut parts = Vec::new();
        for s in self.segs.iter().rev() {
            match s {
                Seg::Lit { text, .. } => parts.push(text.as_str()),
                Seg::Unknown(_) => break,
            }
        }
        parts.reverse();
        parts.concat()
    }

    /// The script offset of byte `i` of the known prefix, when it is written byte for byte.
    pub fn offset(&self, i: usize) -> Option<usize> {
        let mut pos = 0;
        for s in &self.segs {
            let Seg::Lit { text, at } = s else {
                return None;
            };
            if i < pos + text.len() || (i == pos + text.len() && text.is_empty()) {
                return at.map(|a| a + (i - pos));
            }
            pos += text.len();
        }
        // one past the end: the end of the last mapped piece
        match self.segs.last() {
            Some(Seg::Lit { text, at: Some(a) }) if i == pos => Some(a + text.len()),
            _ => None,
        }
    }

    /// The word after byte `i` of its known prefix (e.g. the value after `--scopes=`).
    pub fn tail(&self, i: usize) -> Word {
        let mut segs = Vec::new();
        let mut pos = 0;
        let mut cutting = true;
        for s in &self.segs {
            if !cutting {
                segs.push(s.clone());
                continue;
            }
            match s {
                Seg::Lit { text, at } => {
                    if pos + text.len() <= i {
                        pos += text.len();
                        cutting = pos < i;
                        continue;
                    }
                    let cut = i - pos;
                    segs.push(Seg::lit(text.get(cut..).unwrap_or(""), at.map(|a| a + cut)));
                    cutting = false;
                }
                Seg::Unknown(_) => {
                    segs.push(s.clone());
                    cutting = false;
                }
            }
        }
        let start = self.offset(i).unwrap_or(self.span.start);
        Word {
            segs,
            span: start.max(self.span.start)..self.span.end,
            splat: false,
            may_split: self.may_split,
            origin: self.origin.clone(),
        }
    }

    /// Splits the word at every `sep` in its known text; unknown parts stay
    /// inside the piece they are in. Each piece's span is exact where the text is mapped.
    pub fn split(&self, sep: char) -> Vec<Word> {
        let mut out = Vec::new();
        let mut cur: Vec<Seg> = Vec::new();
        // where the current piece starts when it is empty (after a separator)
        let mut fallback = self.span.start;
        let finish = |cur: &mut Vec<Seg>, fallback: usize, out: &mut Vec<Word>| {
            let segs = std::mem::take(cur);
            let start = match segs.first() {
                Some(Seg::Lit { at: Some(a), .. }) => *a,
                Some(_) => self.span.start,
                None => fallback,
            };
            let end = match segs.last() {
                Some(Seg::Lit { text, at: Some(a) }) => a + text.len(),
                Some(_) => self.span.end,
                None => fallback,
            };
            out.push(Word {
                segs,
                span: start..end.max(start),
                splat: false,
                may_split: self.may_split,
                origin: self.origin.clone(),
            });
        };
        for s in &self.segs {
            match s {
                Seg::Unknown(_) => cur.push(s.clone()),
                Seg::Lit { text, at } => {
                    let mut piece_start = 0;
                    for (i, c) in text.char_indices() {
                        if c != sep {
                            continue;
                        }
                        if i > piece_start {
                            cur.push(Seg::lit(&text[piece_start..i], at.map(|a| a + piece_start)));
                        }
                        finish(&mut cur, fallback, &mut out);
                        fallback = at.map_or(self.span.start, |a| a + i + 1);
                        piece_start = i + 1;
                    }
                    if piece_start < text.len() {
                        cur.push(Seg::lit(&text[piece_start..], at.map(|a| a + piece_start)));
                    }
                }
            }
        }
        finish(&mut cur, fallback, &mut out);
        out
    }

    /// The span of the known text, when it is written byte for byte; else the word's span.
    pub fn text_span(&self) -> Range<usize> {
        let len: usize = self
            .segs
            .iter()
            .map(|s| match s {
                Seg::Lit { text, .. } => text.len(),
                Seg::Unknown(_) => 0,
            })
            .sum();
        match (self.is_known(), self.offset(0), self.offset(len)) {
            (true, Some(s), Some(e)) if e >= s && e - s == len => s..e,
            _ => self.span.clone(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_exact_spans() {
        let w = Word::literal("--scopes=a,bb", 10..23, true);
        let v = w.tail(9);
        assert_eq!(v.text().as_deref(), Some("a,bb"));
        assert_eq!(v.span, 19..23);
        let items = v.split(',');
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].span, 19..20);
        assert_eq!(items[1].span, 21..23);
        assert_eq!(items[1].text().as_deref(), Some("bb"));
    }

    #[test]
    fn prefixes_and_suffixes_of_partly_known_words() {
        let w = Word {
            segs: vec![
                Seg::lit("serviceAccount:", None),
                Seg::unknown(),
                Seg::lit("-compute@developer.gserviceaccount.com", None),
            ],
            span: 0..1,
            splat: false,
            may_split: false,
            origin: None,
        };
        assert_eq!(w.text(), None);
        assert_eq!(w.known_prefix(), "serviceAccount:");
        assert_eq!(w.known_suffix(), "-compute@developer.gserviceaccount.com");
    }
}
