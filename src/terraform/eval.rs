//! A small Terraform expression evaluator: enough of the language to follow
//! scopes, emails, roles and members through variables, locals, templates,
//! module calls and outputs, and the common collection functions.
//!
//! Anything it cannot know evaluates to [`V::Unknown`]; callers treat unknown
//! values as "no finding" rather than guessing. A conditional whose condition
//! is unknown evaluates both branches into a [`V::OneOf`]: the value is one of
//! them, and a finding needs every one of them to be insufficient. Every value
//! remembers where it was written ([`Val::loc`]), which is how a fix finds the
//! literal to edit, and, when it was passed into a module, the caller's
//! argument it came through ([`Val::arg`]).
//!
//! Module calls are evaluated as instances ([`Tree`]): one per root module and
//! one per `count` index or `for_each` key of every call below it, each with its
//! arguments bound to the called module's variables.
//!
//! This file evaluates expression syntax; the values live in `value.rs`, the
//! module tree in `tree.rs` (its instances are made in `instances.rs`) and what `var.*`, `local.*`, resources and
//! data sources resolve to in `references.rs` (all re-exported here).

use super::budget;
use super::module::{Def, Src};
use crate::source::Loc;
use hcl::edit::Span;
use hcl::edit::expr::{Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl::edit::template::{Element, Template};
use std::collections::BTreeMap;

pub use super::tree::{Children, Env, Evaluator, Inst, Manifest, Modules, Tree};
pub use super::value::{
    Items, MAX_ALTERNATIVES, V, Val, for_each_pairs, format_number, index, instance_key,
    values_equal,
};
use super::value::{binary, distribute};
pub use crate::read::normalize;

/// How deep expressions and references may nest before evaluation gives up.
const MAX_DEPTH: usize = 160;

impl<'t, 'a> Evaluator<'t, 'a> {
    pub fn def(&self, def: Def<'_>, env: &Env) -> Val {
        self.eval(def.expr, def.src, env)
    }

    /// Evaluates `expr`, written in `src`, with `env`'s bindings.
    pub fn eval(&self, expr: &Expression, src: Src, env: &Env) -> Val {
        let depth = self.tree.depth.get();
        if depth >= MAX_DEPTH {
            return Val::unknown();
        }
        let steps = self.tree.steps.get().saturating_add(1);
        self.tree.steps.set(steps);
        if steps > budget::MAX_STEPS {
            if steps == budget::MAX_STEPS + 1
                && let Some(loc) = src.loc(expr.span())
            {
                self.tree.note(
                    loc,
                    format!(
                        "the module tree is over the evaluation budget of {} expressions, so what is left is unknown",
                        budget::MAX_STEPS
                    ),
                );
            }
            return Val::unknown();
        }
        self.tree.depth.set(depth + 1);
        let v = self.eval_inner(expr, src, env);
        self.tree.depth.set(depth);
        self.within_budget(v, src.loc(expr.span()))
    }

    /// `v`, or unknown (with a note at `loc`) when it is over the value budget.
    fn within_budget(&self, v: Val, loc: Option<Loc>) -> Val {
        match budget::Size::of(&v.v).over() {
            None => v,
            Some(why) => {
                if let Some(loc) = loc {
                    self.tree.note(loc, why);
                }
                Val::unknown()
            }
        }
    }

    fn eval_inner(&self, expr: &Expression, src: Src, env: &Env) -> Val {
        let loc = src.loc(expr.span());
        match expr {
            Expression::Null(_) => Val::new(V::Null, loc),
            Expression::Bool(b) => Val::new(V::Bool(*b.value()), loc),
            Expression::Number(n) => Val::new(n.value().as_f64().map_or(V::Unknown, V::Num), loc),
            Expression::String(s) => Val::str(s.value().clone(), loc),
            Expression::Array(a) => {
                let items = a.iter().map(|e| self.eval(e, src, env)).collect();
                Val::new(V::List(items), loc)
            }
            Expression::Object(o) => {
                let mut m = BTreeMap::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(id) => Some(id.as_str().to_string()),
                        ObjectKey::Expression(e) => self.eval(e, src, env).to_interpolated(),
                    };
                    match key {
                        Some(key) => {
                            m.insert(key, self.eval(v.expr(), src, env));
                        }
                        None => return Val::new(V::Unknown, loc),
                    }
                }
                Val::new(V::Map(m), loc)
            }
            Expression::StringTemplate(t) => self.template(t, src, env, loc),
            Expression::HeredocTemplate(h) => self.template(&h.template, src, env, loc),
            Expression::Parenthesis(p) => self.eval(p.inner(), src, env),
            Expression::Variable(v) => match env.get(v.as_str()) {
                Some(val) => val.clone(),
                None => Val::new(V::Unknown, loc),
            },
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr, src, env);
                let pick: Vec<bool> = match &cond.v {
                    V::Bool(b) => vec![*b],
                    V::OneOf(alts) if alts.iter().all(|a| matches!(a.v, V::Bool(_))) => {
                        alts.iter().map(|a| a.v == V::Bool(true)).collect()
                    }
                    V::Error => return Val::new(V::Error, loc),
                    _ => vec![true, false],
                };
                let (t, f) = (pick.contains(&true), pick.contains(&false));
                match (t, f) {
                    (true, false) => self.eval(&c.true_expr, src, env),
                    (false, true) => self.eval(&c.false_expr, src, env),
                    _ => Val::one_of(
                        vec![
                            self.eval(&c.true_expr, src, env),
                            self.eval(&c.false_expr, src, env),
                        ],
                        loc,
                    ),
                }
            }
            Expression::FuncCall(call) => {
                if call.name.is_namespaced() {
                    return Val::new(V::Unknown, loc);
                }
                let args: Vec<Val> = call.args.iter().map(|a| self.eval(a, src, env)).collect();
                let name = call.name.name.as_str();
                let expand = call.args.expand_final();
                let mut out = distribute(&args, loc.clone(), |args| {
                    let args = if expand {
                        match args.split_last() {
                            Some((last, rest)) => match last.elements() {
                                Some(items) => rest.iter().cloned().chain(items).collect(),
                                None => return Val::unknown(),
                            },
                            None => args.to_vec(),
                        }
                    } else {
                        args.to_vec()
                    };
                    super::functions::call(name, &args)
                });
                if out.loc.is_none() {
                    out.loc = loc;
                }
                out
            }
            Expression::Traversal(t) => {
                let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
                self.traverse(&t.expr, &ops, src, env, loc)
            }
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr, src, env);
                let op = *u.operator.value();
                distribute(&[v], loc.clone(), |a| {
                    let out = match (op, &a[0].v) {
                        (UnaryOperator::Not, V::Bool(b)) => V::Bool(!b),
                        (UnaryOperator::Neg, V::Num(n)) => V::Num(-n),
                        _ => V::Unknown,
                    };
                    Val::new(out, None)
                })
                .with_loc(loc)
            }
            Expression::BinaryOp(b) => {
                let l = self.eval(&b.lhs_expr, src, env);
                let r = self.eval(&b.rhs_expr, src, env);
                let op = *b.operator.value();
                distribute(&[l, r], loc.clone(), |a| {
                    Val::new(binary(op, &a[0], &a[1]), None)
                })
                .with_loc(loc)
            }
            Expression::ForExpr(f) => {
                let coll = self.eval(&f.intro.collection_expr, src, env);
                distribute(&[coll], loc.clone(), |c| {
                    self.for_expr(f, &c[0], src, env, loc.clone())
                })
            }
        }
    }

    fn template(&self, t: &Template, src: Src, env: &Env, loc: Option<Loc>) -> Val {
        let elements: Vec<&Element> = t.iter().collect();
        // "${x}" is x itself, whatever its type.
        if let [Element::Interpolation(i)] = elements.as_slice() {
            return self.eval(&i.expr, src, env);
        }
        // Each part may have alternatives; the result has one per combination.
        let mut outs: Vec<String> = vec![String::new()];
        for el in elements {
            match el {
                Element::Literal(s) => outs.iter_mut().for_each(|o| o.push_str(s.value())),
                Element::Interpolation(i) => {
                    let v = self.eval(&i.expr, src, env);
                    let mut parts = Vec::new();
                    for alt in v.alternatives() {
                        match alt.to_interpolated() {
                            Some(s) => parts.push(s),
                            None => return Val::new(V::Unknown, loc),
                        }
                    }
                    if outs.len() * parts.len() > MAX_ALTERNATIVES {
                        return Val::new(V::Unknown, loc);
                    }
                    outs = outs
                        .iter()
                        .flat_map(|o| parts.iter().map(move |p| format!("{o}{p}")))
                        .collect();
                }
                Element::Directive(_) => return Val::new(V::Unknown, loc),
            }
        }
        let alts = outs.into_iter().map(|s| Val::str(s, loc.clone())).collect();
        Val::one_of(alts, loc)
    }

    fn for_expr(
        &self,
        f: &hcl::edit::expr::ForExpr,
        coll: &Val,
        src: Src,
        env: &Env,
        loc: Option<Loc>,
    ) -> Val {
        let pairs: Vec<(Val, Val)> = match &coll.v {
            V::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (Val::new(V::Num(i as f64), None), v.clone()))
                .collect(),
            V::Map(m) => m
                .iter()
                .map(|(k, v)| (Val::str(k.clone(), None), v.clone()))
                .collect(),
            _ => return Val::new(V::Unknown, loc),
        };
        let mut list = Vec::new();
        let mut map = BTreeMap::new();
        // What the loop has produced so far: a `for` inside a `for` must stop
        // growing before the whole product is built.
        let mut produced = budget::Size::default();
        for (k, v) in pairs {
            let mut inner = env.with(f.intro.value_var.as_str(), v);
            if let Some(kv) = &f.intro.key_var {
                inner = inner.with(kv.as_str(), k);
            }
            if let Some(cond) = &f.cond {
                match self.eval(&cond.expr, src, &inner).v {
                    V::Bool(true) => {}
                    V::Bool(false) => continue,
                    _ => return Val::new(V::Unknown, loc),
                }
            }
            let value = self.eval(&f.value_expr, src, &inner);
            produced.add(&value.v);
            if let Some(why) = produced.over() {
                if let Some(at) = loc.clone() {
                    self.tree.note(at, why);
                }
                return Val::new(V::Unknown, loc);
            }
            match &f.key_expr {
                None => list.push(value),
                Some(ke) => match self.eval(ke, src, &inner).to_interpolated() {
                    Some(key) if f.grouping => {
                        let entry = map
                            .entry(key)
                            .or_insert_with(|| Val::new(V::List(Vec::new().into()), None));
                        if let V::List(items) = &mut entry.v {
                            items.push(value);
                        }
                    }
                    Some(key) => {
                        map.insert(key, value);
                    }
                    None => return Val::new(V::Unknown, loc),
                },
            }
        }
        match f.key_expr {
            None => Val::new(V::List(list.into()), loc),
            Some(_) => Val::new(V::Map(map), loc),
        }
    }

    /// Evaluates a traversal such as `var.x`, `local.y[0]`, `module.m.email`,
    /// `google_service_account.app.email`.
    fn traverse(
        &self,
        root: &Expression,
        ops: &[&TraversalOperator],
        src: Src,
        env: &Env,
        loc: Option<Loc>,
    ) -> Val {
        let Expression::Variable(name) = root else {
            let base = self.eval(root, src, env);
            return self.apply_ops(base, ops, src, env);
        };
        let name = name.as_str();
        if let Some(bound) = env.get(name) {
            return self.apply_ops(bound.clone(), ops, src, env);
        }
        let attr = |i: usize| match ops.get(i) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
            _ => None,
        };
        let rest = |i: usize| ops.get(i..).unwrap_or(&[]);
        match name {
            "var" => match attr(0) {
                Some(v) => self.apply_ops(self.variable(v), rest(1), src, env),
                None => Val::new(V::Unknown, loc),
            },
            "local" => match attr(0) {
                Some(l) => self.apply_ops(self.local(l), rest(1), src, env),
                None => Val::new(V::Unknown, loc),
            },
            "module" => match attr(0) {
                Some(m) => self.module_ref(m, rest(1), src, env, loc),
                None => Val::new(V::Unknown, loc),
            },
            "data" => match (attr(0), attr(1)) {
                (Some(ty), Some(label)) => self.data_ref(ty, label, rest(2), src, env, loc),
                _ => Val::new(V::Unknown, loc),
            },
            "path" | "terraform" | "self" | "each" | "count" => Val::new(V::Unknown, loc),
            ty => match attr(0) {
                Some(label) => self.resource_ref(ty, label, rest(1), src, env, loc),
                None => Val::new(V::Unknown, loc),
            },
        }
    }

    pub(super) fn apply_ops(
        &self,
        mut base: Val,
        ops: &[&TraversalOperator],
        src: Src,
        env: &Env,
    ) -> Val {
        for (i, op) in ops.iter().enumerate() {
            let key = match op {
                TraversalOperator::GetAttr(a) => Val::str(a.as_str(), None),
                TraversalOperator::Index(e) => self.eval(e, src, env),
                TraversalOperator::LegacyIndex(n) => Val::new(V::Num(*n.value() as f64), None),
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    // x[*].a: the rest applies to every element.
                    let rest = ops.get(i + 1..).unwrap_or(&[]);
                    return match &base.v {
                        V::List(items) => {
                            let items = items
                                .iter()
                                .map(|it| self.apply_ops(it.clone(), rest, src, env))
                                .collect();
                            Val::new(V::List(items), base.loc)
                        }
                        V::Null => Val::new(V::List(Vec::new().into()), base.loc),
                        V::Unknown | V::Error | V::OneOf(_) => Val::unknown(),
                        _ => {
                            let one = self.apply_ops(base.clone(), rest, src, env);
                            Val::new(V::List(vec![one].into()), base.loc)
                        }
                    };
                }
            };
            base = index(&base, &key);
        }
        base
    }
}
