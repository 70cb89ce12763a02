//! The Terraform built-in functions scopelint evaluates. Unknown arguments
//! give unknown results; unsupported functions are unknown.

use super::eval::{V, Val, format_number};
use std::collections::BTreeMap;

pub fn call(name: &str, args: &[Val]) -> Val {
    // try() and coalesce() look at their arguments in order; an unknown one
    // before the one chosen makes the result unknown (it might have been chosen).
    match name {
        "try" => return first_known(args, |v| !v.has_unknown()),
        "coalesce" => {
            return first_known(args, |v| {
                !matches!(&v.v, V::Null | V::Str(_)) || v.as_str().is_some_and(|s| !s.is_empty())
            });
        }
        "coalescelist" => {
            return first_known(args, |v| matches!(&v.v, V::List(l) if !l.is_empty()));
        }
        _ => {}
    }
    if args.iter().any(Val::is_unknown) {
        return Val::unknown();
    }
    let v = match name {
        "concat" => list_op(args, |lists| lists.concat()),
        "flatten" => args.first().and_then(|a| flatten(a).map(V::List)),
        "toset" => args.first().and_then(list_of).map(|l| V::List(set(l))),
        "setunion" => list_op(args, |lists| set(lists.concat())),
        "tolist" | "sort" => args.first().and_then(list_of).map(|l| {
            if name == "sort" {
                set_sorted(l)
            } else {
                V::List(l)
            }
        }),
        "distinct" => args.first().and_then(list_of).map(|l| {
            let mut out: Vec<Val> = Vec::new();
            for v in l {
                if !out.iter().any(|o| o.v == v.v) {
                    out.push(v);
                }
            }
            V::List(out)
        }),
        "compact" => args.first().and_then(list_of).map(|l| {
            V::List(
                l.into_iter()
                    .filter(|v| !v.is_null() && v.as_str() != Some(""))
                    .collect(),
            )
        }),
        "join" => match (args.first().and_then(Val::as_str), args.get(1..)) {
            (Some(sep), Some(rest)) => {
                let mut parts = Vec::new();
                for l in rest {
                    for v in list_of(l).unwrap_or_default() {
                        match v.as_str() {
                            Some(s) => parts.push(s.to_string()),
                            None => return Val::unknown(),
                        }
                    }
                }
                Some(V::Str(parts.join(sep)))
            }
            _ => None,
        },
        "split" => match (
            args.first().and_then(Val::as_str),
            args.get(1).and_then(Val::as_str),
        ) {
            (Some(sep), Some(s)) if !sep.is_empty() => {
                Some(V::List(s.split(sep).map(|p| Val::str(p, None)).collect()))
            }
            _ => None,
        },
        "element" => match (args.first().and_then(list_of), args.get(1).map(|a| &a.v)) {
            (Some(l), Some(V::Num(n))) if !l.is_empty() && *n >= 0.0 => {
                l.get(*n as usize % l.len()).map(|v| v.v.clone())
            }
            _ => None,
        },
        "format" => args
            .first()
            .and_then(Val::as_str)
            .and_then(|f| format(f, &args[1..]))
            .map(V::Str),
        "formatlist" => formatlist(args),
        "lower" | "upper" | "trimspace" | "tostring" => args.first().and_then(|a| match &a.v {
            V::Str(s) => Some(V::Str(match name {
                "lower" => s.to_lowercase(),
                "upper" => s.to_uppercase(),
                "trimspace" => s.trim().to_string(),
                _ => s.clone(),
            })),
            V::Num(n) if name == "tostring" => Some(V::Str(format_number(*n))),
            V::Bool(b) if name == "tostring" => Some(V::Str(b.to_string())),
            _ => None,
        }),
        "replace" => match (
            args.first().and_then(Val::as_str),
            args.get(1).and_then(Val::as_str),
            args.get(2).and_then(Val::as_str),
        ) {
            (Some(s), Some(from), Some(to)) if !from.starts_with('/') => {
                Some(V::Str(s.replace(from, to)))
            }
            _ => None,
        },
        "lookup" => match (
            args.first().map(|a| &a.v),
            args.get(1).and_then(Val::as_str),
        ) {
            (Some(V::Map(m)), Some(k)) => m
                .get(k)
                .map(|v| v.v.clone())
                .or_else(|| args.get(2).map(|d| d.v.clone())),
            _ => None,
        },
        "merge" => {
            let mut out = BTreeMap::new();
            for a in args {
                match &a.v {
                    V::Map(m) => out.extend(m.clone()),
                    V::Null => {}
                    _ => return Val::unknown(),
                }
            }
            Some(V::Map(out))
        }
        "keys" => match args.first().map(|a| &a.v) {
            Some(V::Map(m)) => Some(V::List(
                m.keys().map(|k| Val::str(k.clone(), None)).collect(),
            )),
            _ => None,
        },
        "values" => match args.first().map(|a| &a.v) {
            Some(V::Map(m)) => Some(V::List(m.values().cloned().collect())),
            _ => None,
        },
        "length" => match args.first().map(|a| &a.v) {
            Some(V::List(l)) => Some(V::Num(l.len() as f64)),
            Some(V::Map(m)) => Some(V::Num(m.len() as f64)),
            Some(V::Str(s)) => Some(V::Num(s.chars().count() as f64)),
            _ => None,
        },
        "contains" => match (args.first().and_then(list_of), args.get(1)) {
            (Some(l), Some(x)) => Some(V::Bool(l.iter().any(|v| v.v == x.v))),
            _ => None,
        },
        "tomap" => args
            .first()
            .and_then(|a| matches!(a.v, V::Map(_)).then(|| a.v.clone())),
        _ => None,
    };
    Val::new(v.unwrap_or(V::Unknown), None)
}

fn first_known(args: &[Val], usable: impl Fn(&Val) -> bool) -> Val {
    for a in args {
        if a.has_unknown() {
            return Val::unknown();
        }
        if usable(a) {
            return a.clone();
        }
    }
    Val::unknown()
}

fn list_of(v: &Val) -> Option<Vec<Val>> {
    match &v.v {
        V::List(l) => Some(l.clone()),
        _ => None,
    }
}

fn list_op(args: &[Val], f: impl Fn(Vec<Vec<Val>>) -> Vec<Val>) -> Option<V> {
    let lists: Option<Vec<Vec<Val>>> = args.iter().map(list_of).collect();
    lists.map(|l| V::List(f(l)))
}

fn flatten(v: &Val) -> Option<Vec<Val>> {
    let mut out = Vec::new();
    for item in list_of(v)? {
        match &item.v {
            V::List(_) => out.extend(flatten(&item)?),
            _ => out.push(item),
        }
    }
    Some(out)
}

/// Terraform sets of strings iterate in lexical order, without duplicates.
fn set(items: Vec<Val>) -> Vec<Val> {
    match set_sorted(items) {
        V::List(l) => l,
        _ => Vec::new(),
    }
}

fn set_sorted(mut items: Vec<Val>) -> V {
    if items.iter().all(|v| v.as_str().is_some()) {
        items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        items.dedup_by(|a, b| a.v == b.v);
    }
    V::List(items)
}

/// Terraform's `format` for the verbs configuration uses: `%s`, `%d`, `%v`, `%%`.
fn format(f: &str, args: &[Val]) -> Option<String> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = f.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            's' | 'v' | 'd' => {
                let a = args.next()?;
                match &a.v {
                    V::Str(s) => out.push_str(s),
                    V::Num(n) => out.push_str(&format_number(*n)),
                    V::Bool(b) => out.push_str(&b.to_string()),
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

fn formatlist(args: &[Val]) -> Option<V> {
    let f = args.first()?.as_str()?;
    let rest = args.get(1..)?;
    let len = rest
        .iter()
        .find_map(|a| list_of(a).map(|l| l.len()))
        .unwrap_or(1);
    let mut out = Vec::new();
    for i in 0..len {
        let row: Vec<Val> = rest
            .iter()
            .map(|a| match &a.v {
                V::List(l) => l.get(i).cloned().unwrap_or_else(Val::unknown),
                _ => a.clone(),
            })
            .collect();
        out.push(Val::str(format(f, &row)?, None));
    }
    Some(V::List(out))
}
