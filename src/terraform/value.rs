//! Terraform values: [`V`], the [`Val`] wrapper that remembers where a value
//! was written and which module argument it came through, [`Items`], and the
//! operations on values alone (indexing, operators, equality, alternatives).
//!
//! Separate from the evaluator ([`super::eval`]), which turns expressions
//! into these values: nothing here reads configuration.

use crate::source::Loc;
use hcl::edit::expr::BinaryOperator;
use std::collections::BTreeMap;

/// At most this many alternatives are followed for one value.
pub const MAX_ALTERNATIVES: usize = 16;

/// A Terraform value.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Unknown,
    /// What Terraform reports as an error (a missing attribute or index):
    /// unknown to every consumer, except that `try` and `can` see through it.
    Error,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    /// Lists, tuples and sets (sets are kept sorted and de-duplicated).
    /// Shared, so that reading a large local from many resources costs no copy.
    List(Items),
    /// Maps and objects.
    Map(BTreeMap<String, Val>),
    /// One of these values, depending on a condition that is not known.
    OneOf(Items),
}

/// The elements of a list or the alternatives of a value: shared, so that a
/// value read by many resources (a large local) is held once; copied only when changed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Items(std::sync::Arc<Vec<Val>>);

impl std::ops::Deref for Items {
    type Target = Vec<Val>;
    fn deref(&self) -> &Vec<Val> {
        &self.0
    }
}

impl std::ops::DerefMut for Items {
    fn deref_mut(&mut self) -> &mut Vec<Val> {
        std::sync::Arc::make_mut(&mut self.0)
    }
}

impl From<Vec<Val>> for Items {
    fn from(items: Vec<Val>) -> Items {
        Items(std::sync::Arc::new(items))
    }
}

impl FromIterator<Val> for Items {
    fn from_iter<I: IntoIterator<Item = Val>>(iter: I) -> Items {
        Items::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl IntoIterator for Items {
    type Item = Val;
    type IntoIter = std::vec::IntoIter<Val>;
    fn into_iter(self) -> Self::IntoIter {
        std::sync::Arc::unwrap_or_clone(self.0).into_iter()
    }
}

impl<'a> IntoIterator for &'a Items {
    type Item = &'a Val;
    type IntoIter = std::slice::Iter<'a, Val>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a mut Items {
    type Item = &'a mut Val;
    type IntoIter = std::slice::IterMut<'a, Val>;
    fn into_iter(self) -> Self::IntoIter {
        std::sync::Arc::make_mut(&mut self.0).iter_mut()
    }
}

impl Items {
    /// The elements, copied only when shared.
    pub fn into_vec(self) -> Vec<Val> {
        std::sync::Arc::unwrap_or_clone(self.0)
    }
}

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Val {
    pub v: V,
    pub loc: Option<Loc>,
    /// The variable or local the value was read from, if any.
    pub via: Option<String>,
    /// When the value was passed into a module: the argument of the outermost
    /// module call it came through.
    pub arg: Option<Loc>,
}

impl Val {
    pub fn unknown() -> Val {
        Val::new(V::Unknown, None)
    }

    pub fn error() -> Val {
        Val::new(V::Error, None)
    }

    pub fn new(v: V, loc: Option<Loc>) -> Val {
        Val {
            v,
            loc,
            via: None,
            arg: None,
        }
    }

    pub fn str(s: impl Into<String>, loc: Option<Loc>) -> Val {
        Val::new(V::Str(s.into()), loc)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.v {
            V::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Unknown or an error.
    pub fn is_unknown(&self) -> bool {
        matches!(self.v, V::Unknown | V::Error)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.v, V::Null)
    }

    /// The string form Terraform's interpolation would produce, if known.
    pub fn to_interpolated(&self) -> Option<String> {
        match &self.v {
            V::Str(s) => Some(s.clone()),
            V::Num(n) => Some(format_number(*n)),
            V::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Elements of a list, set or (in key order) map.
    pub fn elements(&self) -> Option<Vec<Val>> {
        match &self.v {
            V::List(items) => Some(items.to_vec()),
            V::Map(m) => Some(m.values().cloned().collect()),
            _ => None,
        }
    }

    /// Whether the value contains anything unknown.
    pub fn has_unknown(&self) -> bool {
        match &self.v {
            V::Unknown | V::Error => true,
            V::List(items) | V::OneOf(items) => items.iter().any(Val::has_unknown),
            V::Map(m) => m.values().any(Val::has_unknown),
            _ => false,
        }
    }

    /// The values this one may be: its alternatives, or itself.
    pub fn alternatives(&self) -> Vec<&Val> {
        match &self.v {
            V::OneOf(alts) => alts.iter().collect(),
            _ => vec![self],
        }
    }

    /// A value that is one of `alts`: nested alternatives are flattened and
    /// equal ones merged; unknown when any alternative is unknown or there are too many.
    pub fn one_of(alts: Vec<Val>, loc: Option<Loc>) -> Val {
        let mut out: Vec<Val> = Vec::new();
        for a in alts {
            let items = match a.v {
                V::OneOf(inner) => inner,
                _ => vec![a].into(),
            };
            for item in items {
                if item.is_unknown() {
                    return Val::new(V::Unknown, loc);
                }
                if !out.iter().any(|o| values_equal(&o.v, &item.v)) {
                    out.push(item);
                }
            }
        }
        match out.len() {
            0 => Val::new(V::Unknown, loc),
            1 => out.pop().unwrap_or_else(Val::unknown),
            n if n > MAX_ALTERNATIVES => Val::new(V::Unknown, loc),
            _ => Val::new(V::OneOf(out.into()), loc),
        }
    }

    /// Sets `via` and `arg` on this value and every value inside it that has none.
    pub(super) fn mark_passed(&mut self, via: &str, arg: &Option<Loc>) {
        if self.via.is_none() {
            self.via = Some(via.to_string());
        }
        if self.arg.is_none() {
            self.arg.clone_from(arg);
        }
        match &mut self.v {
            V::List(items) | V::OneOf(items) => {
                for i in items {
                    i.mark_passed(via, arg);
                }
            }
            V::Map(m) => {
                for i in m.values_mut() {
                    i.mark_passed(via, arg);
                }
            }
            _ => {}
        }
    }
}

/// A number as Terraform prints it: integers without a fraction.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// `[0]` or `["key"]`: the instance part of an address.
pub fn instance_key(key: &Val) -> Option<String> {
    match &key.v {
        V::Str(s) => Some(format!("[{s:?}]")),
        V::Num(n) => Some(format!("[{}]", format_number(*n))),
        _ => None,
    }
}

impl Val {
    pub(super) fn with_loc(mut self, loc: Option<Loc>) -> Val {
        if self.loc.is_none() {
            self.loc = loc;
        }
        self
    }
}

/// The `(key, each.value)` pairs of a `for_each` value: a map, or a set of strings.
pub fn for_each_pairs(coll: &Val) -> Option<Vec<(String, Val)>> {
    match &coll.v {
        V::Map(m) => Some(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        V::List(items) => items
            .iter()
            .map(|v| v.as_str().map(|s| (s.to_string(), v.clone())))
            .collect(),
        _ => None,
    }
}

/// Applies `f` to every combination of the arguments' alternatives.
pub(super) fn distribute(args: &[Val], loc: Option<Loc>, f: impl Fn(&[Val]) -> Val) -> Val {
    if !args.iter().any(|a| matches!(a.v, V::OneOf(_))) {
        return f(args);
    }
    let choices: Vec<Vec<Val>> = args
        .iter()
        .map(|a| a.alternatives().into_iter().cloned().collect())
        .collect();
    let total = choices.iter().map(Vec::len).product::<usize>();
    if total > MAX_ALTERNATIVES {
        return Val::new(V::Unknown, loc);
    }
    let mut results = Vec::with_capacity(total);
    for n in 0..total {
        let mut rem = n;
        let combo: Vec<Val> = choices
            .iter()
            .map(|c| {
                let pick = c[rem % c.len()].clone();
                rem /= c.len();
                pick
            })
            .collect();
        results.push(f(&combo));
    }
    Val::one_of(results, loc)
}

/// `base[key]` / `base.key`.
pub fn index(base: &Val, key: &Val) -> Val {
    if matches!(base.v, V::OneOf(_)) || matches!(key.v, V::OneOf(_)) {
        return distribute(&[base.clone(), key.clone()], None, |a| index(&a[0], &a[1]));
    }
    match (&base.v, &key.v) {
        (V::Unknown, _) | (_, V::Unknown) => Val::unknown(),
        (V::Error, _) | (_, V::Error) => Val::error(),
        (V::List(items), V::Num(n)) if *n >= 0.0 && n.fract() == 0.0 => {
            items.get(*n as usize).cloned().unwrap_or_else(Val::error)
        }
        (V::Map(m), V::Str(k)) => m.get(k).cloned().unwrap_or_else(Val::error),
        (V::Map(m), V::Num(n)) => m
            .get(&format_number(*n))
            .cloned()
            .unwrap_or_else(Val::error),
        _ => Val::error(),
    }
}

pub(super) fn binary(op: BinaryOperator, l: &Val, r: &Val) -> V {
    use BinaryOperator as B;
    if l.has_unknown() || r.has_unknown() {
        return match (op, &l.v, &r.v) {
            (B::And, V::Bool(false), _) | (B::And, _, V::Bool(false)) => V::Bool(false),
            (B::Or, V::Bool(true), _) | (B::Or, _, V::Bool(true)) => V::Bool(true),
            _ => V::Unknown,
        };
    }
    match (op, &l.v, &r.v) {
        (B::Eq, a, b) => V::Bool(values_equal(a, b)),
        (B::NotEq, a, b) => V::Bool(!values_equal(a, b)),
        (B::And, V::Bool(a), V::Bool(b)) => V::Bool(*a && *b),
        (B::Or, V::Bool(a), V::Bool(b)) => V::Bool(*a || *b),
        (op, V::Num(a), V::Num(b)) => match op {
            B::Plus => V::Num(a + b),
            B::Minus => V::Num(a - b),
            B::Mul => V::Num(a * b),
            B::Div if *b != 0.0 => V::Num(a / b),
            B::Mod if *b != 0.0 => V::Num(a % b),
            B::Less => V::Bool(a < b),
            B::LessEq => V::Bool(a <= b),
            B::Greater => V::Bool(a > b),
            B::GreaterEq => V::Bool(a >= b),
            _ => V::Unknown,
        },
        _ => V::Unknown,
    }
}

/// Equality of values, ignoring where they were written.
pub fn values_equal(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::List(x), V::List(y)) | (V::OneOf(x), V::OneOf(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| values_equal(&a.v, &b.v))
        }
        (V::Map(x), V::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, a), (kb, b))| ka == kb && values_equal(&a.v, &b.v))
        }
        _ => a == b,
    }
}
