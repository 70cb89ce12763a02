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

use super::budget;
use super::module::{Def, Index, Res, Src, call_source, is_local_source};
use crate::model::Unresolved;
use crate::model::marker;
use crate::source::Loc;
use hcl::edit::Span;
use hcl::edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl::edit::template::{Element, Template};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::rc::Rc;

/// How deep expressions and references may nest before evaluation gives up.
const MAX_DEPTH: usize = 160;
/// How deep module calls may nest.
const MAX_MODULE_DEPTH: usize = 24;
/// At most this many alternatives are followed for one value.
pub const MAX_ALTERNATIVES: usize = 16;
/// At most this many instances of one module call are analysed.
const MAX_MODULE_INSTANCES: usize = 1000;

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
    fn mark_passed(&mut self, via: &str, arg: &Option<Loc>) {
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

/// Values bound by `for_each`, `count`, `for` expressions and dynamic blocks.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: Vec<(String, Val)>,
}

impl Env {
    pub fn with(&self, name: &str, value: Val) -> Env {
        let mut env = self.clone();
        env.vars.push((name.to_string(), value));
        env
    }

    /// Binds `each.key`/`each.value`.
    pub fn each(key: Val, value: Val) -> Env {
        let mut m = BTreeMap::new();
        m.insert("key".to_string(), key);
        m.insert("value".to_string(), value);
        Env::default().with("each", Val::new(V::Map(m), None))
    }

    /// Binds `count.index`.
    pub fn count(index: usize) -> Env {
        let mut m = BTreeMap::new();
        m.insert("index".to_string(), Val::new(V::Num(index as f64), None));
        Env::default().with("count", Val::new(V::Map(m), None))
    }

    fn get(&self, name: &str) -> Option<&Val> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

/// Every module directory that was read, by normalized path.
pub type Modules<'a> = BTreeMap<PathBuf, Index<'a>>;

pub use crate::read::normalize;

/// `.terraform/modules/modules.json` of a root module: where `terraform init`
/// installed each non-local module call, by its key (`a.b` for `module.a.module.b`).
#[derive(Debug, Default, Clone)]
pub struct Manifest {
    pub dirs: HashMap<String, PathBuf>,
}

/// One module instance: the root module, or one instance of a module call.
pub struct Inst<'a> {
    pub idx: &'a Index<'a>,
    /// `""` for the root, else `module.a["k"].module.b`.
    pub path: String,
    /// The module call names from the root (the manifest key).
    keys: Vec<String>,
    parent: Option<usize>,
    call: Option<Res<'a>>,
    /// `count.index` / `each` of this instance, for the call's arguments.
    env: Env,
    /// The module directories from the root down to this one (recursion guard).
    dirs: Vec<PathBuf>,
}

/// The instances of one module call.
#[derive(Debug, Clone)]
pub enum Children {
    /// No such module call.
    Missing,
    /// A call whose module is not available (or would recurse): not analysed.
    Opaque,
    /// `count`/`for_each` is not known.
    Unknown,
    One(usize),
    /// `count` (numeric keys) or `for_each` (string keys) instances.
    Many(Vec<(Val, usize)>),
}

/// The module instances of one root module, evaluated lazily.
pub struct Tree<'a> {
    modules: &'a Modules<'a>,
    manifest: Option<&'a Manifest>,
    /// The root module directory as shown: the namespace of symbolic identities.
    pub namespace: String,
    root_dir: PathBuf,
    insts: RefCell<Vec<Rc<Inst<'a>>>>,
    children: RefCell<HashMap<(usize, String), Children>>,
    memo: RefCell<HashMap<(usize, String), Val>>,
    depth: Cell<usize>,
    /// Expressions evaluated so far, against [`budget::MAX_STEPS`].
    steps: Cell<usize>,
    /// What could not be followed (shown with `--verbose`).
    pub notes: RefCell<Vec<Unresolved>>,
}

impl<'a> Tree<'a> {
    pub fn new(
        modules: &'a Modules<'a>,
        root: &'a Index<'a>,
        manifest: Option<&'a Manifest>,
    ) -> Self {
        let inst = Inst {
            idx: root,
            path: String::new(),
            keys: Vec::new(),
            parent: None,
            call: None,
            env: Env::default(),
            dirs: vec![root.dir.clone()],
        };
        Tree {
            modules,
            manifest,
            namespace: root.module.clone(),
            root_dir: root.dir.clone(),
            insts: RefCell::new(vec![Rc::new(inst)]),
            children: RefCell::new(HashMap::new()),
            memo: RefCell::new(HashMap::new()),
            depth: Cell::new(0),
            steps: Cell::new(0),
            notes: RefCell::new(Vec::new()),
        }
    }

    /// The evaluator of the root module.
    pub fn root(&self) -> Evaluator<'_, 'a> {
        self.evaluator(0)
    }

    fn evaluator(&self, id: usize) -> Evaluator<'_, 'a> {
        let inst = self.insts.borrow().get(id).cloned();
        let inst = inst.unwrap_or_else(|| self.insts.borrow()[0].clone());
        Evaluator {
            tree: self,
            id,
            inst,
        }
    }

    fn note(&self, loc: Loc, what: String) {
        self.notes.borrow_mut().push(Unresolved { loc, what });
    }
}

/// Evaluates expressions of one module instance.
#[derive(Clone)]
pub struct Evaluator<'t, 'a> {
    tree: &'t Tree<'a>,
    id: usize,
    inst: Rc<Inst<'a>>,
}

impl<'t, 'a> Evaluator<'t, 'a> {
    pub fn idx(&self) -> &'a Index<'a> {
        self.inst.idx
    }

    /// The module instance path (`""` for the root).
    pub fn path(&self) -> &str {
        &self.inst.path
    }

    /// The full address of `local` (`TYPE.NAME[key]`) in this instance.
    pub fn address(&self, local: &str) -> String {
        if self.inst.path.is_empty() {
            local.to_string()
        } else {
            format!("{}.{local}", self.inst.path)
        }
    }

    /// The namespace of symbolic identities: the root module.
    pub fn namespace(&self) -> &str {
        &self.tree.namespace
    }

    /// The instance whose module call created this one (`None` for the root).
    pub(super) fn parent(&self) -> Option<Evaluator<'t, 'a>> {
        self.inst.parent.map(|p| self.tree.evaluator(p))
    }

    /// The `module` block that created this instance.
    pub(super) fn calling_block(&self) -> Option<Res<'a>> {
        self.inst.call
    }

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

    fn apply_ops(&self, mut base: Val, ops: &[&TraversalOperator], src: Src, env: &Env) -> Val {
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

    /// `var.NAME`: for a root module a tfvars value, else the default; for a
    /// module instance the caller's argument, else the default. Either way
    /// converted to the variable's type (which fills `optional()` defaults).
    pub fn variable(&self, name: &str) -> Val {
        let key = (self.id, format!("var.{name}"));
        if let Some(v) = self.tree.memo.borrow().get(&key) {
            return v.clone();
        }
        self.tree
            .memo
            .borrow_mut()
            .insert(key.clone(), Val::unknown());
        let v = self.variable_uncached(name);
        self.tree.memo.borrow_mut().insert(key, v.clone());
        v
    }

    fn variable_uncached(&self, name: &str) -> Val {
        let var = self.idx().variables.get(name).copied();
        let nullable = var
            .and_then(|v| v.nullable)
            .map(|d| self.def(d, &Env::default()).v);
        let default = || match var.and_then(|v| v.default) {
            Some(d) => {
                let mut v = self.def(d, &Env::default());
                v.via = Some(self.var_name(name));
                v
            }
            None => Val::unknown(),
        };
        let value = match (&self.inst.call, self.parent()) {
            (Some(call), Some(parent)) => match call.attr(name) {
                Some(arg) if var.is_some() => {
                    let mut v = parent.def(arg, &self.inst.env);
                    if v.is_null() && nullable == Some(V::Bool(false)) {
                        default()
                    } else {
                        let via = v.via.clone().unwrap_or_else(|| self.var_name(name));
                        v.mark_passed(&via, &arg.loc());
                        v
                    }
                }
                Some(_) => Val::unknown(),
                None => default(),
            },
            _ => match self.idx().tfvars.get(name) {
                Some(d) => {
                    let mut v = self.def(*d, &Env::default());
                    v.via = Some(format!("var.{name}"));
                    v
                }
                None => default(),
            },
        };
        match var.and_then(|v| v.ty) {
            Some(ty) => super::types::convert(self, value, ty, name),
            None => value,
        }
    }

    /// How messages name a variable of this instance.
    fn var_name(&self, name: &str) -> String {
        if self.inst.path.is_empty() {
            format!("var.{name}")
        } else {
            format!("var.{name} of {}", self.inst.path)
        }
    }

    /// `local.NAME`, memoised; a reference cycle evaluates to unknown.
    pub fn local(&self, name: &str) -> Val {
        let key = (self.id, format!("local.{name}"));
        if let Some(v) = self.tree.memo.borrow().get(&key) {
            return v.clone();
        }
        let Some(def) = self.idx().locals.get(name).copied() else {
            return Val::unknown();
        };
        // Mark as in progress so a cycle resolves to unknown.
        self.tree
            .memo
            .borrow_mut()
            .insert(key.clone(), Val::unknown());
        let mut v = self.def(def, &Env::default());
        v.via = Some(if self.inst.path.is_empty() {
            format!("local.{name}")
        } else {
            format!("local.{name} of {}", self.inst.path)
        });
        self.tree.memo.borrow_mut().insert(key, v.clone());
        v
    }

    /// An output of this instance.
    pub fn output(&self, name: &str) -> Val {
        let key = (self.id, format!("output.{name}"));
        if let Some(v) = self.tree.memo.borrow().get(&key) {
            return v.clone();
        }
        let Some(def) = self.idx().outputs.get(name).copied() else {
            return Val::error();
        };
        self.tree
            .memo
            .borrow_mut()
            .insert(key.clone(), Val::unknown());
        let v = self.def(def, &Env::default());
        self.tree.memo.borrow_mut().insert(key, v.clone());
        v
    }

    /// Every output of this instance, as `module.x` is seen by its caller.
    fn outputs(&self) -> Val {
        let mut names: Vec<&str> = self.idx().outputs.keys().copied().collect();
        names.sort_unstable();
        let m = names
            .into_iter()
            .map(|n| (n.to_string(), self.output(n)))
            .collect();
        Val::new(V::Map(m), None)
    }

    /// The instances of `module "name"` called from this instance.
    pub fn children(&self, name: &str) -> Children {
        let key = (self.id, name.to_string());
        if let Some(c) = self.tree.children.borrow().get(&key) {
            return c.clone();
        }
        self.tree
            .children
            .borrow_mut()
            .insert(key.clone(), Children::Unknown);
        let c = self.expand_call(name);
        self.tree.children.borrow_mut().insert(key, c.clone());
        c
    }

    /// Evaluators of the instances of `module "name"`.
    pub fn child_evaluators(&self, name: &str) -> Vec<Evaluator<'t, 'a>> {
        match self.children(name) {
            Children::One(id) => vec![self.tree.evaluator(id)],
            Children::Many(items) => items
                .iter()
                .map(|(_, id)| self.tree.evaluator(*id))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn expand_call(&self, name: &str) -> Children {
        let Some(call) = self.idx().calls.get(name).copied() else {
            return Children::Missing;
        };
        let address = self.address(&format!("module.{name}"));
        let Some(source) = call_source(&call) else {
            self.tree.note(
                call.header(),
                format!(
                    "{address}: its source is not a plain string, so the module is not analysed"
                ),
            );
            return Children::Opaque;
        };
        let mut keys = self.inst.keys.clone();
        keys.push(name.to_string());
        let target = if is_local_source(&source) {
            let dir = normalize(&self.idx().dir.join(&source));
            match self.tree.modules.get(&dir) {
                Some(idx) => idx,
                None => {
                    self.tree.note(call.header(), format!("{address}: the local module {source:?} holds no Terraform files, so it is not analysed"));
                    return Children::Opaque;
                }
            }
        } else {
            let dir = self
                .tree
                .manifest
                .and_then(|m| m.dirs.get(&keys.join(".")))
                .map(|d| normalize(&self.tree.root_dir.join(d)));
            match dir.as_ref().and_then(|d| self.tree.modules.get(d)) {
                Some(idx) => idx,
                None => {
                    self.tree.note(call.header(), format!("{address}: the module {source:?} is not installed (no entry in .terraform/modules/modules.json; run `terraform init`), so it is opaque and not analysed"));
                    return Children::Opaque;
                }
            }
        };
        if self.inst.dirs.contains(&target.dir) {
            self.tree.note(call.header(), format!("{address}: the module calls itself (directly or through other modules), so this call is not analysed"));
            return Children::Opaque;
        }
        if self.inst.dirs.len() >= MAX_MODULE_DEPTH {
            self.tree.note(call.header(), format!("{address}: modules nest more than {MAX_MODULE_DEPTH} deep here, so this call is not analysed"));
            return Children::Opaque;
        }
        let spawn = |suffix: String, env: Env| -> usize {
            let mut dirs = self.inst.dirs.clone();
            dirs.push(target.dir.clone());
            let inst = Inst {
                idx: target,
                path: format!("{address}{suffix}"),
                keys: keys.clone(),
                parent: Some(self.id),
                call: Some(call),
                env,
                dirs,
            };
            let mut insts = self.tree.insts.borrow_mut();
            insts.push(Rc::new(inst));
            insts.len() - 1
        };
        if let Some(count) = call.attr("count") {
            return match self.def(count, &Env::default()).v {
                V::Num(n)
                    if n >= 0.0
                        && !self.room_for(
                            (n as usize).min(MAX_MODULE_INSTANCES),
                            call,
                            &address,
                        ) =>
                {
                    Children::Opaque
                }
                V::Num(n) if n >= 0.0 => Children::Many(
                    (0..(n as usize).min(MAX_MODULE_INSTANCES))
                        .map(|i| {
                            (
                                Val::new(V::Num(i as f64), None),
                                spawn(format!("[{i}]"), Env::count(i)),
                            )
                        })
                        .collect(),
                ),
                _ => {
                    self.tree.note(
                        call.header(),
                        format!("{address}: count is not known, so the module is not analysed"),
                    );
                    Children::Unknown
                }
            };
        }
        if let Some(fe) = call.attr("for_each") {
            let pairs = match for_each_pairs(&self.def(fe, &Env::default())) {
                Some(p) => p,
                None => {
                    self.tree.note(
                        call.header(),
                        format!("{address}: for_each is not known, so the module is not analysed"),
                    );
                    return Children::Unknown;
                }
            };
            if !self.room_for(pairs.len().min(MAX_MODULE_INSTANCES), call, &address) {
                return Children::Opaque;
            }
            return Children::Many(
                pairs
                    .into_iter()
                    .take(MAX_MODULE_INSTANCES)
                    .map(|(k, v)| {
                        let key = Val::str(k.clone(), None);
                        let id = spawn(format!("[{k:?}]"), Env::each(key.clone(), v));
                        (key, id)
                    })
                    .collect(),
            );
        }
        if !self.room_for(1, call, &address) {
            return Children::Opaque;
        }
        Children::One(spawn(String::new(), Env::default()))
    }

    /// Whether `n` more module instances fit in the root's budget; when they
    /// do not, the call is noted and not analysed. Fan-outs multiply through
    /// nesting (a call with `count = 1000` in a module called 1,000 times),
    /// so the limit is on the whole tree, not on one call.
    fn room_for(&self, n: usize, call: Res<'_>, address: &str) -> bool {
        let fits = self.tree.insts.borrow().len().saturating_add(n)
            <= budget::MAX_MODULE_INSTANCES_PER_ROOT;
        if !fits {
            self.tree.note(
                call.header(),
                format!(
                    "{address}: the root module would have more than {} module instances, over the evaluation budget, so this call is not analysed",
                    budget::MAX_MODULE_INSTANCES_PER_ROOT
                ),
            );
        }
        fits
    }

    /// `module.NAME...`: an output of one instance, or all instances' outputs.
    fn module_ref(
        &self,
        name: &str,
        ops: &[&TraversalOperator],
        src: Src,
        env: &Env,
        loc: Option<Loc>,
    ) -> Val {
        let (child, rest) = match self.children(name) {
            Children::One(id) => (self.tree.evaluator(id), ops),
            Children::Many(items) => {
                let key = match ops.first() {
                    Some(TraversalOperator::Index(e)) => Some(self.eval(e, src, env)),
                    Some(TraversalOperator::LegacyIndex(n)) => {
                        Some(Val::new(V::Num(*n.value() as f64), None))
                    }
                    _ => None,
                };
                match key {
                    Some(k) => match items.iter().find(|(ik, _)| values_equal(&ik.v, &k.v)) {
                        Some((_, id)) => (self.tree.evaluator(*id), ops.get(1..).unwrap_or(&[])),
                        None if k.is_unknown() => return Val::new(V::Unknown, loc),
                        None => return Val::new(V::Error, loc),
                    },
                    None => {
                        // The whole collection: a list for count, a map for for_each.
                        let counted = items.iter().all(|(k, _)| matches!(k.v, V::Num(_)));
                        let all = if counted {
                            V::List(
                                items
                                    .iter()
                                    .map(|(_, id)| self.tree.evaluator(*id).outputs())
                                    .collect(),
                            )
                        } else {
                            V::Map(
                                items
                                    .iter()
                                    .filter_map(|(k, id)| {
                                        Some((
                                            k.as_str()?.to_string(),
                                            self.tree.evaluator(*id).outputs(),
                                        ))
                                    })
                                    .collect(),
                            )
                        };
                        return self.apply_ops(Val::new(all, loc), ops, src, env);
                    }
                }
            }
            _ => return Val::new(V::Unknown, loc),
        };
        match rest.first() {
            Some(TraversalOperator::GetAttr(out)) => {
                let v = child.output(out.as_str());
                self.apply_ops(v, rest.get(1..).unwrap_or(&[]), src, env)
            }
            _ => self.apply_ops(child.outputs(), rest, src, env),
        }
    }

    /// The project a resource is in: its `project` attribute, else the
    /// provider's (inherited from the calling module when it has none).
    pub fn project_of(&self, res: &Res<'_>, env: &Env) -> Option<String> {
        let v = match res.attr("project") {
            Some(d) => self.def(d, env),
            None => self.resource_provider_project(res)?,
        };
        v.as_str()
            .filter(|s| !marker::is_symbolic(s))
            .map(str::to_string)
    }

    /// `each`/`count` of the instance of `res` with key `key`.
    fn instance_env(&self, res: &Res<'_>, key: Option<Val>) -> Env {
        let Some(key) = key else {
            return Env::default();
        };
        if res.attr("count").is_some() {
            return match key.v {
                V::Num(n) if n >= 0.0 => Env::count(n as usize),
                _ => Env::default(),
            };
        }
        let Some(fe) = res.attr("for_each") else {
            return Env::default();
        };
        let coll = self.def(fe, &Env::default());
        let value = index(&coll, &key);
        let value = match (&coll.v, value.is_unknown()) {
            (V::List(_), _) => key.clone(),
            _ => value,
        };
        Env::each(key, value)
    }

    fn resource_ref(
        &self,
        ty: &str,
        label: &str,
        ops: &[&TraversalOperator],
        src: Src,
        env: &Env,
        loc: Option<Loc>,
    ) -> Val {
        let Some(res) = self.idx().resources.get(&(ty, label)).copied() else {
            return Val::new(V::Unknown, loc);
        };
        let mut ops = ops;
        let mut key = None;
        let mut address = self.address(&format!("{ty}.{label}"));
        if res.is_expanded() {
            let k = match ops.first() {
                Some(TraversalOperator::Index(e)) => self.eval(e, src, env),
                Some(TraversalOperator::LegacyIndex(n)) => {
                    Val::new(V::Num(*n.value() as f64), None)
                }
                _ => return Val::new(V::Unknown, loc),
            };
            match instance_key(&k) {
                Some(s) => address.push_str(&s),
                None => return Val::new(V::Unknown, loc),
            }
            key = Some(k);
            ops = ops.get(1..).unwrap_or(&[]);
        }
        let ienv = self.instance_env(&res, key);
        let attr_value = |attr: &str| match ty {
            "google_service_account" => {
                let email = self.service_account_email(&res, &ienv, &address);
                service_account_attr(attr, &email, self.project_of(&res, &ienv).as_deref())
            }
            _ if super::custom_role::is_custom_role(ty) && matches!(attr, "id" | "name") => {
                self.custom_role_name(ty, &res, &ienv)
            }
            _ if matches!(attr, "self_link" | "id" | "name" | "self_link_unique") => {
                Some(marker::resource(self.namespace(), &address))
            }
            _ => None,
        };
        let (base, rest) = match ops.first() {
            Some(TraversalOperator::GetAttr(a)) => {
                let v = match attr_value(a.as_str()) {
                    Some(s) => Val::str(s, loc),
                    None => Val::new(V::Unknown, loc),
                };
                (v, ops.get(1..).unwrap_or(&[]))
            }
            // The resource as an object (an output such as `value = google_service_account.x`):
            // the attributes that identify it are known, the others are not.
            _ => {
                let mut m = BTreeMap::new();
                for a in [
                    "email",
                    "member",
                    "id",
                    "name",
                    "self_link",
                    "self_link_unique",
                ] {
                    if let Some(s) = attr_value(a) {
                        m.insert(a.to_string(), Val::str(s, loc.clone()));
                    }
                }
                (Val::new(V::Map(m), loc), ops)
            }
        };
        self.apply_ops(base, rest, src, env)
    }

    /// The email of a `google_service_account`: computed when `account_id` and the
    /// project are literal, else a symbolic email tied to the resource.
    fn service_account_email(&self, res: &Res<'_>, env: &Env, address: &str) -> String {
        let account = res.attr("account_id").map(|d| self.def(d, env));
        let account = account.as_ref().and_then(Val::as_str);
        match (account, self.project_of(res, env)) {
            (Some(a), Some(p)) if !marker::is_symbolic(a) => {
                format!("{a}@{p}.iam.gserviceaccount.com")
            }
            _ => marker::service_account(self.namespace(), address),
        }
    }

    fn data_ref(
        &self,
        ty: &str,
        label: &str,
        ops: &[&TraversalOperator],
        src: Src,
        env: &Env,
        loc: Option<Loc>,
    ) -> Val {
        let res = self.idx().data.get(&(ty, label)).copied();
        let mut ops = ops;
        let mut address = self.address(&format!("data.{ty}.{label}"));
        if res.is_some_and(|r| r.is_expanded()) {
            let k = match ops.first() {
                Some(TraversalOperator::Index(e)) => self.eval(e, src, env),
                Some(TraversalOperator::LegacyIndex(n)) => {
                    Val::new(V::Num(*n.value() as f64), None)
                }
                _ => Val::unknown(),
            };
            if let Some(s) = instance_key(&k) {
                address.push_str(&s);
            }
            if matches!(
                ops.first(),
                Some(TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_))
            ) {
                ops = ops.get(1..).unwrap_or(&[]);
            }
        }
        let attr = match ops.first() {
            Some(TraversalOperator::GetAttr(a)) => a.as_str().to_string(),
            _ => return Val::new(V::Unknown, loc),
        };
        let value = match (ty, res) {
            ("google_compute_default_service_account", r) => {
                // The data source's `project`, else the provider's.
                let project = r.and_then(|r| self.project_of(&r, &Env::default()));
                let email = marker::default_sa(project.as_deref());
                service_account_attr(&attr, &email, None)
            }
            ("google_project", Some(r)) => {
                let project = self.project_data_id(&r);
                match attr.as_str() {
                    "number" => Some(marker::project_number(project.as_deref())),
                    "project_id" => project,
                    _ => None,
                }
            }
            ("google_service_account", Some(r)) => {
                let id = r.attr("account_id").map(|d| self.def(d, &Env::default()));
                let id = id.as_ref().and_then(Val::as_str).map(str::to_string);
                let email = match id {
                    Some(id) if id.contains('@') => Some(id),
                    Some(id) => self
                        .project_of(&r, &Env::default())
                        .map(|p| format!("{id}@{p}.iam.gserviceaccount.com")),
                    None => None,
                };
                email.and_then(|e| service_account_attr(&attr, &e, None))
            }
            ("google_iam_policy", Some(_)) if attr == "policy_data" => {
                Some(marker::resource(self.namespace(), &address))
            }
            _ => None,
        };
        let base = match value {
            Some(s) => Val::str(s, loc),
            None => Val::new(V::Unknown, loc),
        };
        self.apply_ops(base, ops.get(1..).unwrap_or(&[]), src, env)
    }
}

impl Val {
    fn with_loc(mut self, loc: Option<Loc>) -> Val {
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
fn distribute(args: &[Val], loc: Option<Loc>, f: impl Fn(&[Val]) -> Val) -> Val {
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

/// The attributes of a service account that carry its email.
fn service_account_attr(attr: &str, email: &str, project: Option<&str>) -> Option<String> {
    match attr {
        "email" => Some(email.to_string()),
        "member" => Some(format!("serviceAccount:{email}")),
        "id" | "name" => project.map(|p| format!("projects/{p}/serviceAccounts/{email}")),
        _ => None,
    }
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

fn binary(op: BinaryOperator, l: &Val, r: &Val) -> V {
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
