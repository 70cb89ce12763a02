//! Variable type constraints, as far as they change values: object types fill
//! `optional(TYPE, DEFAULT)` attributes that were not set (or set to null) and
//! drop attributes they do not declare; set types sort and de-duplicate. Other
//! conversions (string to number, ...) are left alone: they never change a
//! scope, an email or a role.

use super::eval::{Env, Evaluator, V, Val};
use super::module::{Def, Src};
use hcl::edit::expr::{Expression, ObjectKey};
use std::collections::BTreeMap;

/// Converts `value` to the type constraint `ty` of the variable `name` of `ev`'s module.
pub fn convert(ev: &Evaluator<'_, '_>, value: Val, ty: Def<'_>, name: &str) -> Val {
    conv(ev, value, ty.expr, ty.src, &format!("var.{name}"))
}

/// `path` names the value in messages (`var.x.scopes`).
fn conv(ev: &Evaluator<'_, '_>, value: Val, ty: &Expression, src: Src, path: &str) -> Val {
    let Expression::FuncCall(call) = ty else {
        return value;
    };
    if let V::OneOf(alts) = &value.v {
        let alts = alts
            .iter()
            .map(|a| conv(ev, a.clone(), ty, src, path))
            .collect();
        return Val {
            v: V::OneOf(alts),
            ..value
        };
    }
    let arg = call.args.iter().next();
    match (call.name.name.as_str(), arg) {
        ("object", Some(Expression::Object(fields))) => match value.v {
            V::Map(ref m) => {
                let mut out = BTreeMap::new();
                for (k, t) in fields.iter() {
                    let key = match k {
                        ObjectKey::Ident(id) => id.as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                        ObjectKey::Expression(_) => continue,
                    };
                    let (inner, default) = optional(t.expr());
                    let path = format!("{path}.{key}");
                    let v = match (m.get(&key), default) {
                        (Some(v), _) if !v.is_null() => conv(ev, v.clone(), inner, src, &path),
                        (_, Some(d)) => {
                            let mut v = ev.eval(d, src, &Env::default());
                            v.via = Some(format!("the optional() default of {path}"));
                            conv(ev, v, inner, src, &path)
                        }
                        (Some(v), None) => v.clone(),
                        (None, None) => Val::new(V::Null, None),
                    };
                    out.insert(key, v);
                }
                Val {
                    v: V::Map(out),
                    ..value
                }
            }
            _ => value,
        },
        ("list" | "set", Some(elem)) => match value.v {
            V::List(ref items) => {
                let mut items: Vec<Val> = items
                    .iter()
                    .map(|i| conv(ev, i.clone(), elem, src, path))
                    .collect();
                if call.name.name.as_str() == "set" && items.iter().all(|i| i.as_str().is_some()) {
                    items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                    items.dedup_by(|a, b| a.v == b.v);
                }
                Val {
                    v: V::List(items.into()),
                    ..value
                }
            }
            _ => value,
        },
        ("map", Some(elem)) => match value.v {
            V::Map(ref m) => Val {
                v: V::Map(
                    m.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                conv(ev, v.clone(), elem, src, &format!("{path}[{k:?}]")),
                            )
                        })
                        .collect(),
                ),
                ..value
            },
            _ => value,
        },
        ("tuple", Some(Expression::Array(types))) => match value.v {
            V::List(ref items) => Val {
                v: V::List(
                    items
                        .iter()
                        .zip(types.iter())
                        .map(|(i, t)| conv(ev, i.clone(), t, src, path))
                        .collect(),
                ),
                ..value
            },
            _ => value,
        },
        ("optional", _) => {
            let (inner, _) = optional(ty);
            conv(ev, value, inner, src, path)
        }
        _ => value,
    }
}

/// `optional(TYPE, DEFAULT)` → `(TYPE, Some(DEFAULT))`; any other type → `(type, None)`.
fn optional(ty: &Expression) -> (&Expression, Option<&Expression>) {
    match ty {
        Expression::FuncCall(call) if call.name.name.as_str() == "optional" => {
            let mut args = call.args.iter();
            match args.next() {
                Some(inner) => (inner, args.next()),
                None => (ty, None),
            }
        }
        _ => (ty, None),
    }
}
