//! Word expansion for the symbolic interpreter: quotes, `$VAR`, `${VAR}`
//! and its operators (`:-`, `#`, `%`, `/`, ...), array subscripts, `$'...'`
//! strings and word splitting into fields, with the script offsets of every
//! literal part kept so a patch can edit it.
//!
//! Separate from [`super::interp`], which runs statements and calls this to
//! expand the words of each command and assignment.

use super::interp::{Interp, MAX_DEPTH, Piece};
use super::state::{Binding, Params, Value};
use super::word::{Origin, Seg, Symbol, Word};
use std::ops::Range;
use tree_sitter::Node;

impl<'s, 't> Interp<'s, 't> {
    /// Expands every word inside `n` for the commands they run; the values are discarded.
    pub(super) fn expand_all(&mut self, n: Node<'t>) -> Vec<Word> {
        match n.kind() {
            "word"
            | "string"
            | "raw_string"
            | "concatenation"
            | "simple_expansion"
            | "expansion"
            | "command_substitution"
            | "number"
            | "ansi_c_string" => self.expand(n, false),
            _ => {
                let mut out = Vec::new();
                for c in Self::named_children(n) {
                    out.extend(self.expand_all(c));
                }
                out
            }
        }
    }

    /// Expands one argument node into the words it stands for. `assign` is the
    /// right-hand side of an assignment: no word splitting.
    pub(super) fn expand(&mut self, n: Node<'t>, assign: bool) -> Vec<Word> {
        if self.depth >= MAX_DEPTH {
            return vec![Word {
                segs: vec![Seg::unknown()],
                span: n.byte_range(),
                splat: false,
                may_split: false,
                origin: None,
            }];
        }
        self.depth += 1;
        let mut pieces = Vec::new();
        let origin = self.origin_of(n);
        self.pieces(n, false, assign, &mut pieces);
        self.depth -= 1;
        let mut words = fields(pieces, n.byte_range());
        if words.len() == 1
            && let Some(w) = words.first_mut()
        {
            w.origin = origin;
        }
        words
    }

    /// When `n` is exactly `$VAR`, `${VAR}` or `"$VAR"` and VAR holds a literal: where it was assigned.
    pub(super) fn origin_of(&self, n: Node<'_>) -> Option<Origin> {
        if n.kind() == "concatenation" {
            // `--flag="$VAR"`: the origin of the value part
            let kids: Vec<Node<'_>> = {
                let mut c = n.walk();
                n.named_children(&mut c).collect()
            };
            return match kids.as_slice() {
                [flag, value] if flag.kind() == "word" && self.text(*flag).ends_with('=') => {
                    self.origin_of(*value)
                }
                _ => None,
            };
        }
        let inner = match n.kind() {
            "string" => {
                let kids: Vec<Node<'_>> = {
                    let mut c = n.walk();
                    n.named_children(&mut c).collect()
                };
                match kids.as_slice() {
                    [one] => *one,
                    _ => return None,
                }
            }
            _ => n,
        };
        let name = match inner.kind() {
            "simple_expansion" | "expansion" => {
                let kids: Vec<Node<'_>> = {
                    let mut c = inner.walk();
                    inner.named_children(&mut c).collect()
                };
                match kids.as_slice() {
                    [v] if v.kind() == "variable_name" => self.text(*v),
                    _ => return None,
                }
            }
            _ => return None,
        };
        match self.state.get(name) {
            Some(Binding::Set(Value::Str { def: Some(d), .. })) => Some(Origin {
                var: format!("${name}"),
                span: d.clone(),
            }),
            _ => None,
        }
    }

    pub(super) fn lit(&self, n: Node<'_>, out: &mut Vec<Piece>) {
        out.push(Piece::Seg(Seg::lit(self.text(n), Some(n.start_byte()))));
    }

    /// Unquoted literal text: backslashes escape the next character.
    pub(super) fn unquoted(&self, n: Node<'_>, out: &mut Vec<Piece>) {
        let text = self.text(n);
        let base = n.start_byte();
        if text.starts_with('~') {
            // ~ and ~user: the home directory, not known here
            let end = text.find('/').unwrap_or(text.len());
            out.push(Piece::Seg(Seg::unknown()));
            push_unescaped(&text[end..], base + end, out);
            return;
        }
        push_unescaped(text, base, out);
    }

    /// The pieces of one word part. Parts nest (`${a:-${b:-...}}`, quotes in
    /// substitutions) as deep as the input likes: past [`MAX_DEPTH`] the part
    /// is unknown rather than followed, so the stack stays bounded.
    pub(super) fn pieces(&mut self, n: Node<'t>, quoted: bool, assign: bool, out: &mut Vec<Piece>) {
        if self.depth >= MAX_DEPTH {
            self.skip(n, "expansions nest too deep to follow");
            out.push(Piece::Seg(Seg::unknown()));
            if !quoted && !assign {
                out.push(Piece::Splat);
            }
            return;
        }
        self.depth += 1;
        self.part(n, quoted, assign, out);
        self.depth -= 1;
    }

    pub(super) fn part(&mut self, n: Node<'t>, quoted: bool, assign: bool, out: &mut Vec<Piece>) {
        match n.kind() {
            "word" | "number" | "variable_name" | "special_variable_name" => {
                if quoted {
                    self.lit(n, out)
                } else {
                    self.unquoted(n, out)
                }
            }
            "raw_string" => {
                let t = self.text(n);
                let inner = t
                    .strip_prefix('\'')
                    .and_then(|t| t.strip_suffix('\''))
                    .unwrap_or("");
                out.push(Piece::Quoted);
                out.push(Piece::Seg(Seg::lit(inner, Some(n.start_byte() + 1))));
            }
            "ansi_c_string" => {
                let t = self.text(n);
                let inner = t
                    .strip_prefix("$'")
                    .and_then(|t| t.strip_suffix('\''))
                    .unwrap_or("");
                out.push(Piece::Quoted);
                if inner.contains('\\') {
                    out.push(Piece::Seg(Seg::lit(ansi_c(inner), None)));
                } else {
                    out.push(Piece::Seg(Seg::lit(inner, Some(n.start_byte() + 2))));
                }
            }
            "string" | "translated_string" => {
                out.push(Piece::Quoted);
                let start = n.start_byte();
                let end = n.end_byte();
                let open = self.text(n).find('"').map_or(start, |i| start + i + 1);
                let close = if end > open { end - 1 } else { end };
                let mut pos = open;
                for c in Self::named_children(n) {
                    if c.start_byte() > pos {
                        self.string_text(pos, c.start_byte(), out);
                    }
                    match c.kind() {
                        "string_content" => self.string_text(c.start_byte(), c.end_byte(), out),
                        "string" => self.pieces(c, true, assign, out),
                        _ => self.pieces(c, true, assign, out),
                    }
                    pos = c.end_byte();
                }
                if close > pos {
                    self.string_text(pos, close, out);
                }
            }
            "concatenation" => {
                for c in Self::named_children(n) {
                    self.pieces(c, quoted, assign, out);
                }
            }
            "simple_expansion" => {
                let name = Self::named_children(n)
                    .first()
                    .map(|c| self.text(*c).to_string())
                    .unwrap_or_default();
                self.variable(&name, None, quoted, assign, out);
            }
            "expansion" => self.expansion(n, quoted, assign, out),
            "command_substitution" => {
                let saved = self.state.clone();
                self.stmts(&Self::named_children(n));
                self.state = saved;
                out.push(Piece::Seg(Seg::unknown()));
                if !quoted && !assign {
                    out.push(Piece::Splat);
                }
            }
            "arithmetic_expansion" | "process_substitution" => {
                out.push(Piece::Seg(Seg::unknown()));
            }
            "brace_expression" => self.lit(n, out),
            _ => {
                out.push(Piece::Seg(Seg::unknown()));
                if !quoted && !assign {
                    out.push(Piece::Splat);
                }
            }
        }
    }

    /// Text inside double quotes: `\"`, `\\`, `\$`, `` \` `` and `\<newline>` are escapes.
    pub(super) fn string_text(&self, start: usize, end: usize, out: &mut Vec<Piece>) {
        let text = self.src.get(start..end).unwrap_or("");
        let mut run_start = 0;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\\' && i + 1 < bytes.len() && b"\"\\$`\n".contains(&bytes[i + 1]) {
                if i > run_start {
                    out.push(Piece::Seg(Seg::lit(
                        &text[run_start..i],
                        Some(start + run_start),
                    )));
                }
                if bytes[i + 1] != b'\n' {
                    out.push(Piece::Seg(Seg::lit(
                        &text[i + 1..i + 2],
                        Some(start + i + 1),
                    )));
                }
                i += 2;
                run_start = i;
                continue;
            }
            i += 1;
        }
        if run_start < text.len() {
            out.push(Piece::Seg(Seg::lit(
                &text[run_start..],
                Some(start + run_start),
            )));
        }
    }

    pub(super) fn expansion(
        &mut self,
        n: Node<'t>,
        quoted: bool,
        assign: bool,
        out: &mut Vec<Piece>,
    ) {
        let kids = Self::children(n);
        // ${ NAME [OP OPERAND...] }
        let mut i = 1; // after "${"
        let Some(first) = kids.get(i) else {
            out.push(Piece::Seg(Seg::unknown()));
            return;
        };
        let (name, index) = match first.kind() {
            "variable_name" | "special_variable_name" => (self.text(*first).to_string(), None),
            "subscript" => {
                let base = first
                    .child_by_field_name("name")
                    .map_or("", |b| self.text(b))
                    .to_string();
                let idx = first
                    .child_by_field_name("index")
                    .map(|x| self.text(x).to_string());
                (base, idx)
            }
            _ => {
                // ${#VAR}, ${!VAR} and the like
                out.push(Piece::Seg(Seg::unknown()));
                return;
            }
        };
        i += 1;
        let op = kids
            .get(i)
            .filter(|k| k.kind() != "}")
            .map(|k| self.text(*k).to_string());
        let operand: Vec<Node<'t>> = kids
            .iter()
            .skip(i + 1)
            .filter(|k| k.kind() != "}")
            .copied()
            .collect();
        match op.as_deref() {
            None => self.variable(&name, index.as_deref(), quoted, assign, out),
            Some(op @ (":-" | "-" | ":=" | "=" | ":+" | "+" | ":?" | "?")) => {
                let colon = op.starts_with(':');
                let state = self.lookup(&name, index.as_deref());
                let set = match &state {
                    Lookup::Value(v) => match v.text() {
                        Some(t) if colon && t.is_empty() => Some(false),
                        _ => Some(true),
                    },
                    Lookup::Unset => Some(false),
                    Lookup::Environment => None,
                    Lookup::Unknown => None,
                };
                let use_operand = match (op.trim_start_matches(':'), set) {
                    ("-" | "=", Some(false)) => Some(true),
                    ("-" | "=", None)
                        if matches!(state, Lookup::Environment) && !self.state.opaque =>
                    {
                        Some(true)
                    }
                    ("-" | "=", Some(true)) => Some(false),
                    ("+", Some(true)) => Some(true),
                    ("+", Some(false)) => Some(false),
                    ("?", Some(true)) => Some(false),
                    _ => None,
                };
                match use_operand {
                    Some(true) if op.ends_with('+') => {
                        self.operand(&operand, quoted, out);
                    }
                    Some(true) => {
                        let mut tmp = Vec::new();
                        self.operand(&operand, quoted, &mut tmp);
                        if op.ends_with('=') {
                            let segs: Vec<Seg> = tmp
                                .iter()
                                .filter_map(|p| match p {
                                    Piece::Seg(s) => Some(s.clone()),
                                    _ => None,
                                })
                                .collect();
                            self.state
                                .set(&name, Binding::Set(Value::Str { segs, def: None }));
                        }
                        out.extend(tmp);
                    }
                    Some(false) if op.ends_with('+') => {}
                    Some(false) => self.variable(&name, index.as_deref(), quoted, assign, out),
                    None => {
                        out.push(Piece::Seg(Seg::unknown()));
                        if !quoted && !assign {
                            out.push(Piece::Splat);
                        }
                    }
                }
            }
            Some(_) => {
                // substrings, pattern removal, case changes: not modelled
                out.push(Piece::Seg(Seg::unknown()));
            }
        }
    }

    /// The word after `:-` and friends: its bare parts are literal text.
    pub(super) fn operand(&mut self, nodes: &[Node<'t>], quoted: bool, out: &mut Vec<Piece>) {
        let mut pos: Option<usize> = None;
        for n in nodes {
            // keep the spaces between parts (`${X:-a b}`)
            if let Some(p) = pos
                && n.start_byte() > p
            {
                out.push(Piece::Seg(Seg::lit(
                    self.src.get(p..n.start_byte()).unwrap_or(""),
                    Some(p),
                )));
            }
            match n.kind() {
                "concatenation" => {
                    let kids = Self::named_children(*n);
                    self.operand(&kids, quoted, out);
                }
                "word" | "variable_name" | "number" | "special_variable_name" => {
                    if quoted {
                        self.lit(*n, out)
                    } else {
                        self.unquoted(*n, out)
                    }
                }
                _ if !n.is_named() => self.lit(*n, out),
                _ => self.pieces(*n, quoted, true, out),
            }
            pos = Some(n.end_byte());
        }
    }

    pub(super) fn lookup(&self, name: &str, index: Option<&str>) -> Lookup {
        if name.chars().all(|c| c.is_ascii_digit()) && name != "0" {
            // a positional parameter of a function called with known arguments
            return match self.state.frames.last().map(|f| &f.params) {
                Some(Params::Known(ws)) => {
                    let k: usize = name.parse().unwrap_or(0);
                    match ws.get(k.wrapping_sub(1)) {
                        Some(w) => Lookup::Value(Value::Str {
                            segs: w.segs.clone(),
                            def: None,
                        }),
                        None => Lookup::Unset,
                    }
                }
                _ => Lookup::Unknown,
            };
        }
        if name.chars().all(|c| c.is_ascii_digit()) || matches!(name, "@" | "*" | "#") {
            return Lookup::Unknown;
        }
        match self.state.get(name) {
            None if self.state.opaque => Lookup::Unknown,
            None => Lookup::Environment,
            Some(Binding::Unset) => Lookup::Unset,
            Some(Binding::Set(v)) => match (v, index) {
                (Value::Array(items), Some(i)) => match i.parse::<usize>() {
                    Ok(k) => match items.get(k) {
                        Some(segs) => Lookup::Value(Value::Str {
                            segs: segs.clone(),
                            def: None,
                        }),
                        None => Lookup::Unset,
                    },
                    Err(_) if i == "@" || i == "*" => Lookup::Value(v.clone()),
                    Err(_) => Lookup::Unknown,
                },
                (Value::Str { .. }, Some("0" | "@" | "*")) | (_, None) => Lookup::Value(v.clone()),
                _ => Lookup::Unknown,
            },
        }
    }

    /// `$NAME` / `${NAME}` / `${NAME[i]}`, positional parameters included.
    pub(super) fn variable(
        &mut self,
        name: &str,
        index: Option<&str>,
        quoted: bool,
        assign: bool,
        out: &mut Vec<Piece>,
    ) {
        let split = !quoted && !assign;
        // positional parameters
        if name == "@" || name == "*" || name.chars().all(|c| c.is_ascii_digit()) {
            let params = self.state.frames.last().map(|f| f.params.clone());
            match (params, name) {
                (Some(Params::Known(ws)), "@" | "*") => {
                    for (i, w) in ws.iter().enumerate() {
                        if i > 0 {
                            out.push(if quoted && name == "*" {
                                Piece::Seg(Seg::lit(" ", None))
                            } else {
                                Piece::Split
                            });
                        }
                        push_value(&w.segs, split, out);
                    }
                    if quoted {
                        out.push(Piece::Quoted);
                    }
                }
                (Some(Params::Known(ws)), n) if n != "0" => {
                    let k: usize = n.parse().unwrap_or(0);
                    if let Some(w) = ws.get(k.wrapping_sub(1)) {
                        push_value(&w.segs, split, out);
                    }
                }
                _ => {
                    out.push(Piece::Seg(Seg::unknown()));
                    if split || name == "@" {
                        out.push(Piece::Splat);
                    }
                }
            }
            return;
        }
        match self.lookup(name, index) {
            Lookup::Value(Value::Array(items)) if matches!(index, Some("@" | "*")) => {
                for (i, segs) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(if quoted && index == Some("*") {
                            Piece::Seg(Seg::lit(" ", None))
                        } else {
                            Piece::Split
                        });
                    }
                    push_value(segs, split, out);
                }
                if quoted {
                    out.push(Piece::Quoted);
                }
            }
            Lookup::Value(Value::Array(items)) => {
                if let Some(segs) = items.first() {
                    push_value(segs, split, out);
                }
            }
            Lookup::Value(Value::Str { segs, .. }) => push_value(&segs, split, out),
            Lookup::Unset => {}
            Lookup::Environment => {
                // the same value wherever the script uses it, until it is assigned
                let text = match index {
                    Some(i) => format!("${{{name}[{i}]}}"),
                    None => format!("${{{name}}}"),
                };
                out.push(Piece::Seg(Seg::Unknown(Some(Symbol {
                    text: text.into(),
                    generation: 0,
                }))));
                if split {
                    out.push(Piece::Splat);
                }
            }
            Lookup::Unknown => {
                out.push(Piece::Seg(Seg::unknown()));
                if split {
                    out.push(Piece::Splat);
                }
            }
        }
    }
}

pub(super) enum Lookup {
    Value(Value),
    /// Explicitly unset.
    Unset,
    /// Never set by the script: whatever the environment holds.
    Environment,
    Unknown,
}

/// Pushes a variable's value; unquoted, its known text is split into fields at whitespace.
pub(super) fn push_value(segs: &[Seg], split: bool, out: &mut Vec<Piece>) {
    if !split {
        out.extend(segs.iter().cloned().map(Piece::Seg));
        return;
    }
    for s in segs {
        match s {
            Seg::Unknown(_) => {
                out.push(Piece::Seg(s.clone()));
                out.push(Piece::Splat);
            }
            Seg::Lit { text, at } => {
                let mut start = 0;
                for (i, c) in text.char_indices() {
                    if matches!(c, ' ' | '\t' | '\n') {
                        if i > start {
                            out.push(Piece::Seg(Seg::lit(&text[start..i], at.map(|a| a + start))));
                        }
                        out.push(Piece::Split);
                        start = i + c.len_utf8();
                    }
                }
                if start < text.len() {
                    out.push(Piece::Seg(Seg::lit(&text[start..], at.map(|a| a + start))));
                }
            }
        }
    }
}

/// Unquoted text with backslash escapes; each run keeps its own offset.
pub(super) fn push_unescaped(text: &str, base: usize, out: &mut Vec<Piece>) {
    let bytes = text.as_bytes();
    let mut run_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if i > run_start {
                out.push(Piece::Seg(Seg::lit(
                    &text[run_start..i],
                    Some(base + run_start),
                )));
            }
            // the escaped character (a whole UTF-8 scalar), or nothing for a line continuation
            let next = text[i + 1..].chars().next();
            match next {
                Some('\n') | None => {}
                Some(c) => out.push(Piece::Seg(Seg::lit(
                    &text[i + 1..i + 1 + c.len_utf8()],
                    Some(base + i + 1),
                ))),
            }
            i += 1 + next.map_or(0, char::len_utf8);
            run_start = i;
            continue;
        }
        i += 1;
    }
    if run_start < text.len() {
        out.push(Piece::Seg(Seg::lit(
            &text[run_start..],
            Some(base + run_start),
        )));
    }
}

pub(super) fn ansi_c(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

/// Splits expanded pieces into words.
pub(super) fn fields(pieces: Vec<Piece>, span: Range<usize>) -> Vec<Word> {
    let mut words = Vec::new();
    let mut cur: Vec<Seg> = Vec::new();
    let mut exists = false;
    let mut splat = false;
    let mut only_splat = true;
    let mut flush = |cur: &mut Vec<Seg>, exists: &mut bool, splat: &mut bool, only: &mut bool| {
        if *exists || !cur.is_empty() {
            words.push(Word {
                segs: merge_segs(std::mem::take(cur)),
                span: span.clone(),
                splat: *splat && *only,
                may_split: *splat,
                origin: None,
            });
        }
        *exists = false;
        *splat = false;
        *only = true;
    };
    for p in pieces {
        match p {
            Piece::Seg(s) => {
                if let Seg::Lit { text, .. } = &s
                    && !text.is_empty()
                {
                    only_splat = false;
                }
                cur.push(s);
            }
            Piece::Quoted => {
                exists = true;
                only_splat = false;
            }
            Piece::Splat => splat = true,
            Piece::Split => flush(&mut cur, &mut exists, &mut splat, &mut only_splat),
        }
    }
    flush(&mut cur, &mut exists, &mut splat, &mut only_splat);
    if words.is_empty() && splat {
        words.push(Word {
            segs: vec![Seg::unknown()],
            span,
            splat: true,
            may_split: true,
            origin: None,
        });
    }
    words
}

/// Joins adjacent literal pieces that are written next to each other, drops empty ones.
pub(super) fn merge_segs(segs: Vec<Seg>) -> Vec<Seg> {
    let mut out: Vec<Seg> = Vec::new();
    for s in segs {
        match (out.last_mut(), s) {
            (_, Seg::Lit { text, .. }) if text.is_empty() => {}
            (
                Some(Seg::Lit {
                    text: a,
                    at: Some(x),
                }),
                Seg::Lit {
                    text: b,
                    at: Some(y),
                },
            ) if *x + a.len() == y => a.push_str(&b),
            // two unknown parts side by side: one unknown part, named only
            // when both are (then each name is kept)
            (Some(last @ Seg::Unknown(_)), Seg::Unknown(b)) => match (&*last, b) {
                (Seg::Unknown(Some(_)), Some(b)) => out.push(Seg::Unknown(Some(b))),
                _ => *last = Seg::unknown(),
            },
            (_, s) => out.push(s),
        }
    }
    if out.is_empty() {
        out.push(Seg::lit("", None));
    }
    out
}
