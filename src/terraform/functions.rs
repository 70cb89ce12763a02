//! The Terraform built-in functions scopelint evaluates. Unknown arguments
//! give unknown results; unsupported functions are unknown.

use super::eval::{V, Val, format_number};
use std::collections::BTreeMap;

pub fn call(name: &str, args: &[Val]) -> Val {
    // try() and can() see through errors (a missing attribute or index), not
    // through values that are merely unknown; coalesce() skips nulls.
    match name {
        "try" => {
            return args
                .iter()
                .find(|a| !has_error(a))
                .cloned()
                .unwrap_or_else(Val::error);
        }
        "can" => {
            return match args.first() {
                Some(a) if has_error(a) => Val::new(V::Bool(false), None),
                Some(a) if a.has_unknown() => Val::unknown(),
                Some(_) => Val::new(V::Bool(true), None),
                None => Val::unknown(),
            };
        }
        "sensitive" | "nonsensitive" => {
            return args.first().cloned().unwrap_or_else(Val::unknown);
        }
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
    if args.iter().any(|a| a.v == V::Error) {
        return Val::error();
    }
    if args.iter().any(Val::is_unknown) {
        return Val::unknown();
    }
    let v = match name {
        "concat" => list_op(args, |lists| lists.concat()),
        "flatten" => args
            .first()
            .and_then(|a| flatten(a).map(|l| V::List(l.into()))),
        "toset" => args
            .first()
            .and_then(list_of)
            .map(|l| V::List(set(l).into())),
        "setunion" => list_op(args, |lists| set(lists.concat())),
        "tolist" | "sort" => args.first().and_then(list_of).map(|l| {
            if name == "sort" {
                set_sorted(l)
            } else {
                V::List(l.into())
            }
        }),
        "distinct" => args.first().and_then(list_of).map(|l| {
            let mut out: Vec<Val> = Vec::new();
            for v in l {
                if !out.iter().any(|o| o.v == v.v) {
                    out.push(v);
                }
            }
            V::List(out.into())
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
            (Some(V::Map(m)), Some(k)) => match (m.get(k), args.get(2)) {
                (Some(v), _) => return v.clone(),
                (None, Some(d)) => return d.clone(),
                (None, None) => Some(V::Error),
            },
            _ => None,
        },
        "setproduct" => {
            let lists: Option<Vec<Vec<Val>>> = args.iter().map(list_of).collect();
            lists.and_then(|lists| {
                let total = lists.iter().map(Vec::len).product::<usize>();
                (total <= MAX_ELEMENTS).then(|| {
                    let mut rows: Vec<Vec<Val>> = vec![Vec::new()];
                    for list in &lists {
                        rows = rows
                            .iter()
                            .flat_map(|r| {
                                list.iter().map(move |v| {
                                    let mut r = r.clone();
                                    r.push(v.clone());
                                    r
                                })
                            })
                            .collect();
                    }
                    if lists.is_empty() {
                        rows.clear();
                    }
                    V::List(
                        rows.into_iter()
                            .map(|r| Val::new(V::List(r.into()), None))
                            .collect(),
                    )
                })
            })
        }
        "range" => {
            let nums: Option<Vec<f64>> = args
                .iter()
                .map(|a| match a.v {
                    V::Num(n) => Some(n),
                    _ => None,
                })
                .collect();
            nums.and_then(|n| {
                let (start, end, step) = match n.as_slice() {
                    [end] => (0.0, *end, 1.0),
                    [start, end] => (*start, *end, if end >= start { 1.0 } else { -1.0 }),
                    [start, end, step] => (*start, *end, *step),
                    _ => return None,
                };
                if step == 0.0 || ((end - start) / step) > MAX_ELEMENTS as f64 {
                    return None;
                }
                let mut out = Vec::new();
                let mut x = start;
                while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                    out.push(Val::new(V::Num(x), None));
                    x += step;
                }
                Some(V::List(out.into()))
            })
        }
        "zipmap" => match (
            args.first().and_then(list_of),
            args.get(1).and_then(list_of),
        ) {
            (Some(k), Some(v)) if k.len() == v.len() => k
                .iter()
                .zip(v)
                .map(|(k, v)| k.to_interpolated().map(|k| (k, v)))
                .collect::<Option<BTreeMap<String, Val>>>()
                .map(V::Map),
            _ => None,
        },
        "one" => match args.first().map(|a| &a.v) {
            Some(V::List(l)) if l.is_empty() => Some(V::Null),
            Some(V::List(l)) if l.len() == 1 => return l[0].clone(),
            Some(V::Null) => Some(V::Null),
            _ => None,
        },
        "reverse" => args.first().and_then(list_of).map(|mut l| {
            l.reverse();
            V::List(l.into())
        }),
        "slice" => match (
            args.first().and_then(list_of),
            args.get(1).map(|a| &a.v),
            args.get(2).map(|a| &a.v),
        ) {
            (Some(l), Some(V::Num(a)), Some(V::Num(b)))
                if *a >= 0.0 && a <= b && (*b as usize) <= l.len() =>
            {
                l.get(*a as usize..*b as usize)
                    .map(|s| V::List(s.to_vec().into()))
            }
            _ => None,
        },
        "index" => match (args.first().and_then(list_of), args.get(1)) {
            (Some(l), Some(x)) => Some(match l.iter().position(|v| v.v == x.v) {
                Some(i) => V::Num(i as f64),
                None => V::Error,
            }),
            _ => None,
        },
        "setintersection" | "setsubtract" => {
            let lists: Option<Vec<Vec<Val>>> = args.iter().map(list_of).collect();
            lists.and_then(|lists| {
                let (first, rest) = lists.split_first()?;
                let keep: Vec<Val> = first
                    .iter()
                    .filter(|v| {
                        let in_all = rest.iter().all(|l| l.iter().any(|o| o.v == v.v));
                        let in_any = rest.iter().any(|l| l.iter().any(|o| o.v == v.v));
                        if name == "setintersection" {
                            in_all
                        } else {
                            !in_any
                        }
                    })
                    .cloned()
                    .collect();
                Some(V::List(set(keep).into()))
            })
        }
        "alltrue" | "anytrue" => args.first().and_then(list_of).and_then(|l| {
            let bools: Option<Vec<bool>> = l
                .iter()
                .map(|v| match v.v {
                    V::Bool(b) => Some(b),
                    _ => None,
                })
                .collect();
            bools.map(|b| {
                V::Bool(if name == "alltrue" {
                    b.iter().all(|x| *x)
                } else {
                    b.iter().any(|x| *x)
                })
            })
        }),
        "startswith" | "endswith" | "strcontains" => match (
            args.first().and_then(Val::as_str),
            args.get(1).and_then(Val::as_str),
        ) {
            (Some(s), Some(p)) => Some(V::Bool(match name {
                "startswith" => s.starts_with(p),
                "endswith" => s.ends_with(p),
                _ => s.contains(p),
            })),
            _ => None,
        },
        "trimprefix" | "trimsuffix" => match (
            args.first().and_then(Val::as_str),
            args.get(1).and_then(Val::as_str),
        ) {
            (Some(s), Some(p)) => Some(V::Str(
                if name == "trimprefix" {
                    s.strip_prefix(p)
                } else {
                    s.strip_suffix(p)
                }
                .unwrap_or(s)
                .to_string(),
            )),
            _ => None,
        },
        "substr" => match (
            args.first().and_then(Val::as_str),
            args.get(1).map(|a| &a.v),
            args.get(2).map(|a| &a.v),
        ) {
            (Some(s), Some(V::Num(o)), Some(V::Num(l))) if *o >= 0.0 => {
                let chars = s.chars().skip(*o as usize);
                Some(V::Str(if *l < 0.0 {
                    chars.collect()
                } else {
                    chars.take(*l as usize).collect()
                }))
            }
            _ => None,
        },
        "tonumber" => args.first().and_then(|a| match &a.v {
            V::Num(n) => Some(V::Num(*n)),
            V::Str(s) => s.trim().parse::<f64>().ok().map(V::Num),
            V::Null => Some(V::Null),
            _ => None,
        }),
        "tobool" => args.first().and_then(|a| match &a.v {
            V::Bool(b) => Some(V::Bool(*b)),
            V::Str(s) if s == "true" => Some(V::Bool(true)),
            V::Str(s) if s == "false" => Some(V::Bool(false)),
            V::Null => Some(V::Null),
            _ => None,
        }),
        "min" | "max" => {
            let nums: Option<Vec<f64>> = args
                .iter()
                .map(|a| match a.v {
                    V::Num(n) => Some(n),
                    _ => None,
                })
                .collect();
            nums.filter(|n| !n.is_empty()).map(|n| {
                V::Num(n.into_iter().fold(
                    if name == "min" {
                        f64::INFINITY
                    } else {
                        f64::NEG_INFINITY
                    },
                    |acc, x| {
                        if name == "min" {
                            acc.min(x)
                        } else {
                            acc.max(x)
                        }
                    },
                ))
            })
        }
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

/// At most this many elements are built by `setproduct` and `range`.
const MAX_ELEMENTS: usize = 10_000;

/// Whether evaluating the value failed somewhere (what `try` and `can` catch).
fn has_error(v: &Val) -> bool {
    match &v.v {
        V::Error => true,
        V::List(items) | V::OneOf(items) => items.iter().any(has_error),
        V::Map(m) => m.values().any(has_error),
        _ => false,
    }
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
        V::List(l) => Some(l.to_vec()),
        _ => None,
    }
}

fn list_op(args: &[Val], f: impl Fn(Vec<Vec<Val>>) -> Vec<Val>) -> Option<V> {
    let lists: Option<Vec<Vec<Val>>> = args.iter().map(list_of).collect();
    lists.map(|l| V::List(f(l).into()))
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
        V::List(l) => l.into_vec(),
        _ => Vec::new(),
    }
}

fn set_sorted(mut items: Vec<Val>) -> V {
    if items.iter().all(|v| v.as_str().is_some()) {
        items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        items.dedup_by(|a, b| a.v == b.v);
    }
    V::List(items.into())
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
    Some(V::List(out.into()))
}
