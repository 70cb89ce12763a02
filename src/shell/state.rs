//! The variables of a script being run symbolically: their values (text
//! made of known and unknown parts, or arrays), the frames of running
//! functions, and how the states after different branches merge into one.
//!
//! Separate from [`super::interp`], which walks the statements, and from
//! [`super::expand`], which reads these values while expanding words: this
//! file is only the data and its rules.

use super::word::{Seg, Word};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value {
    Str {
        segs: Vec<Seg>,
        /// The assignment's value node, when it is a literal (a patch target).
        def: Option<Range<usize>>,
    },
    Array(Vec<Vec<Seg>>),
}

impl Value {
    pub(super) fn unknown() -> Value {
        Value::Str {
            segs: vec![Seg::unknown()],
            def: None,
        }
    }

    pub(super) fn text(&self) -> Option<String> {
        match self {
            Value::Str { segs, .. } => seg_text(segs),
            Value::Array(items) => items.first().and_then(|s| seg_text(s)),
        }
    }
}

pub(super) fn seg_text(segs: &[Seg]) -> Option<String> {
    let mut out = String::new();
    for s in segs {
        match s {
            Seg::Lit { text, .. } => out.push_str(text),
            Seg::Unknown(_) => return None,
        }
    }
    Some(out)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Binding {
    Set(Value),
    Unset,
}

/// The positional parameters of a function run.
#[derive(Debug, Clone)]
pub(super) enum Params {
    Known(Vec<Word>),
    Unknown,
}

#[derive(Debug, Clone)]
pub(super) struct Frame {
    pub(super) vars: BTreeMap<String, Binding>,
    pub(super) params: Params,
}

/// The variables in force: globals and the frames of running functions.
#[derive(Debug, Clone, Default)]
pub(super) struct State {
    pub(super) globals: BTreeMap<String, Binding>,
    pub(super) frames: Vec<Frame>,
    /// Set after `source`/`eval` of something unknown: a variable the script
    /// never set may then have any value, even where it has a `:-` default.
    pub(super) opaque: bool,
}

impl State {
    pub(super) fn get(&self, name: &str) -> Option<&Binding> {
        for f in self.frames.iter().rev() {
            if let Some(b) = f.vars.get(name) {
                return Some(b);
            }
        }
        self.globals.get(name)
    }

    pub(super) fn set(&mut self, name: &str, b: Binding) {
        for f in self.frames.iter_mut().rev() {
            if let Some(slot) = f.vars.get_mut(name) {
                *slot = b;
                return;
            }
        }
        self.globals.insert(name.to_string(), b);
    }

    pub(super) fn set_local(&mut self, name: &str, b: Binding) {
        match self.frames.last_mut() {
            Some(f) => {
                f.vars.insert(name.to_string(), b);
            }
            None => {
                self.globals.insert(name.to_string(), b);
            }
        }
    }

    /// The state after one of several paths ran: what differs becomes unknown.
    pub(super) fn merge(paths: Vec<State>) -> State {
        let mut it = paths.into_iter();
        let Some(mut out) = it.next() else {
            return State::default();
        };
        for other in it {
            out.opaque |= other.opaque;
            merge_vars(&mut out.globals, &other.globals);
            for (a, b) in out.frames.iter_mut().zip(&other.frames) {
                merge_vars(&mut a.vars, &b.vars);
            }
        }
        out
    }
}

pub(super) fn merge_vars(a: &mut BTreeMap<String, Binding>, b: &BTreeMap<String, Binding>) {
    let names: BTreeSet<String> = a.keys().chain(b.keys()).cloned().collect();
    for n in names {
        let (x, y) = (a.get(&n), b.get(&n));
        if x == y {
            continue;
        }
        let merged = match (x, y) {
            // the same text written in two places: keep the text, not the places
            (Some(Binding::Set(p)), Some(Binding::Set(q))) if unplaced(p) == unplaced(q) => {
                Binding::Set(unplaced(p))
            }
            _ => Binding::Set(Value::unknown()),
        };
        a.insert(n, merged);
    }
}

/// A value without the places its text was written.
pub(super) fn unplaced(v: &Value) -> Value {
    let strip = |segs: &[Seg]| -> Vec<Seg> {
        segs.iter()
            .map(|s| match s {
                Seg::Lit { text, .. } => Seg::lit(text.clone(), None),
                Seg::Unknown(sym) => Seg::Unknown(sym.clone()),
            })
            .collect()
    };
    match v {
        Value::Str { segs, .. } => Value::Str {
            segs: strip(segs),
            def: None,
        },
        Value::Array(items) => Value::Array(items.iter().map(|i| strip(i)).collect()),
    }
}

/// Whether `t` may name a shell variable.
pub(super) fn is_name(t: &str) -> bool {
    let mut cs = t.chars();
    cs.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
