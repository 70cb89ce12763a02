//! A small Terraform expression evaluator: enough of the language to follow
//! scopes, emails, roles and members through variables, locals, templates and
//! the common collection functions.
//!
//! Anything it cannot know evaluates to [`V::Unknown`]; callers treat unknown
//! values as "no finding" rather than guessing. Every value remembers where it
//! was written ([`Val::loc`]), which is how a fix finds the literal to edit.

use super::marker;
use super::module::{Def, Index, Res, Src};
use crate::source::Loc;
use hcl::edit::Span;
use hcl::edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl::edit::template::{Element, Template};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

/// How deep expressions and references may nest before evaluation gives up.
const MAX_DEPTH: usize = 64;

/// A Terraform value.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Unknown,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    /// Lists, tuples and sets (sets are kept sorted and de-duplicated).
    List(Vec<Val>),
    /// Maps and objects.
    Map(BTreeMap<String, Val>),
}

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Val {
    pub v: V,
    pub loc: Option<Loc>,
    /// The variable or local the value was read from, if any.
    pub via: Option<String>,
}

impl Val {
    pub fn unknown() -> Val {
        Val::new(V::Unknown, None)
    }

    pub fn new(v: V, loc: Option<Loc>) -> Val {
        Val { v, loc, via: None }
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

    pub fn is_unknown(&self) -> bool {
        matches!(self.v, V::Unknown)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.v, V::Null)
    }

    /// The string form Terraform's interpolation would produce, if known.
    fn to_interpolated(&self) -> Option<String> {
        match &self.v {
            V::Str(s) => Some(s.clone()),
            V::Num(n) => Some(format_number(*n)),
            V::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Elements of a list, set or (in key order) map.
    fn elements(&self) -> Option<Vec<Val>> {
        match &self.v {
            V::List(items) => Some(items.clone()),
            V::Map(m) => Some(m.values().cloned().collect()),
            _ => None,
        }
    }

    /// Whether the value contains anything unknown.
    pub fn has_unknown(&self) -> bool {
        match &self.v {
            V::Unknown => true,
            V::List(items) => items.iter().any(Val::has_unknown),
            V::Map(m) => m.values().any(Val::has_unknown),
            _ => false,
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

    /// Binds `each.key`/`each.value` (or `count.index`).
    pub fn each(key: Val, value: Val) -> Env {
        let mut m = BTreeMap::new();
        m.insert("key".to_string(), key);
        m.insert("value".to_string(), value);
        Env::default().with("each", Val::new(V::Map(m), None))
    }

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

/// Evaluates expressions of one module.
pub struct Evaluator<'a> {
    pub idx: &'a Index<'a>,
    locals: RefCell<HashMap<String, Val>>,
    depth: RefCell<usize>,
}

impl<'a> Evaluator<'a> {
    pub fn new(idx: &'a Index<'a>) -> Self {
        Evaluator {
            idx,
            locals: RefCell::new(HashMap::new()),
            depth: RefCell::new(0),
        }
    }

    pub fn def(&self, def: Def<'_>, env: &Env) -> Val {
        self.eval(def.expr, def.src, env)
    }

    /// Evaluates `expr`, written in `src`, with `env`'s bindings.
    pub fn eval(&self, expr: &Expression, src: Src, env: &Env) -> Val {
        {
            let mut d = self.depth.borrow_mut();
            if *d >= MAX_DEPTH {
                return Val::unknown();
            }
            *d += 1;
        }
        let v = self.eval_inner(expr, src, env);
        *self.depth.borrow_mut() -= 1;
        v
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
            Expression::Conditional(c) => match self.eval(&c.cond_expr, src, env).v {
                V::Bool(true) => self.eval(&c.true_expr, src, env),
                V::Bool(false) => self.eval(&c.false_expr, src, env),
                _ => Val::new(V::Unknown, loc),
            },
            Expression::FuncCall(call) => {
                if call.name.is_namespaced() {
                    return Val::new(V::Unknown, loc);
                }
                let args: Vec<Val> = call.args.iter().map(|a| self.eval(a, src, env)).collect();
                let expand = call.args.expand_final();
                let args = if expand {
                    match args.split_last() {
                        Some((last, rest)) => match last.elements() {
                            Some(items) => rest.iter().cloned().chain(items).collect(),
                            None => return Val::new(V::Unknown, loc),
                        },
                        None => args,
                    }
                } else {
                    args
                };
                let mut out = super::functions::call(call.name.name.as_str(), &args);
                if out.loc.is_none() {
                    out.loc = loc;
                }
                out
            }
            Expression::Traversal(t) => {
                let mut ops = t.operators.iter().map(|o| o.value());
                self.traverse(&t.expr, &mut ops, src, env, loc)
            }
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr, src, env);
                let out = match (u.operator.value(), v.v) {
                    (UnaryOperator::Not, V::Bool(b)) => V::Bool(!b),
                    (UnaryOperator::Neg, V::Num(n)) => V::Num(-n),
                    _ => V::Unknown,
                };
                Val::new(out, loc)
            }
            Expression::BinaryOp(b) => {
                let l = self.eval(&b.lhs_expr, src, env);
                let r = self.eval(&b.rhs_expr, src, env);
                Val::new(binary(*b.operator.value(), &l, &r), loc)
            }
            Expression::ForExpr(f) => self.for_expr(f, src, env, loc),
        }
    }

    fn template(&self, t: &Template, src: Src, env: &Env, loc: Option<Loc>) -> Val {
        let mut out = String::new();
        for el in t.iter() {
            match el {
                Element::Literal(s) => out.push_str(s.value()),
                Element::Interpolation(i) => match self.eval(&i.expr, src, env).to_interpolated() {
                    Some(s) => out.push_str(&s),
                    None => return Val::new(V::Unknown, loc),
                },
                Element::Directive(_) => return Val::new(V::Unknown, loc),
            }
        }
        Val::str(out, loc)
    }

    fn for_expr(&self, f: &hcl::edit::expr::ForExpr, src: Src, env: &Env, loc: Option<Loc>) -> Val {
        let coll = self.eval(&f.intro.collection_expr, src, env);
        let pairs: Vec<(Val, Val)> = match coll.v {
            V::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Val::new(V::Num(i as f64), None), v))
                .collect(),
            V::Map(m) => m.into_iter().map(|(k, v)| (Val::str(k, None), v)).collect(),
            _ => return Val::new(V::Unknown, loc),
        };
        let mut list = Vec::new();
        let mut map = BTreeMap::new();
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
            match &f.key_expr {
                None => list.push(value),
                Some(ke) => match self.eval(ke, src, &inner).to_interpolated() {
                    Some(key) if f.grouping => {
                        let entry = map
                            .entry(key)
                            .or_insert_with(|| Val::new(V::List(Vec::new()), None));
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
            None => Val::new(V::List(list), loc),
            Some(_) => Val::new(V::Map(map), loc),
        }
    }

    /// Evaluates a traversal such as `var.x`, `local.y[0]`, `google_service_account.app.email`.
    fn traverse<'o>(
        &self,
        root: &Expression,
        ops: &mut dyn Iterator<Item = &'o TraversalOperator>,
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
        let next_attr = |ops: &mut dyn Iterator<Item = &'o TraversalOperator>| match ops.next() {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str().to_string()),
            _ => None,
        };
        let base = match name {
            "var" => match next_attr(ops) {
                Some(v) => self.variable(&v),
                None => Val::unknown(),
            },
            "local" => match next_attr(ops) {
                Some(l) => self.local(&l),
                None => Val::unknown(),
            },
            "data" => {
                let (Some(ty), Some(label)) = (next_attr(ops), next_attr(ops)) else {
                    return Val::new(V::Unknown, loc);
                };
                return self.data_ref(&ty, &label, ops, src, env, loc);
            }
            "module" | "path" | "terraform" | "self" | "each" | "count" => Val::unknown(),
            ty => {
                let Some(label) = next_attr(ops) else {
                    return Val::new(V::Unknown, loc);
                };
                return self.resource_ref(ty, &label, ops, src, env, loc);
            }
        };
        self.apply_ops(base, ops, src, env)
    }

    fn apply_ops(
        &self,
        mut base: Val,
        ops: &mut dyn Iterator<Item = &TraversalOperator>,
        src: Src,
        env: &Env,
    ) -> Val {
        for op in ops {
            let key = match op {
                TraversalOperator::GetAttr(a) => Val::str(a.as_str(), None),
                TraversalOperator::Index(e) => self.eval(e, src, env),
                TraversalOperator::LegacyIndex(n) => Val::new(V::Num(*n.value() as f64), None),
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    return Val::unknown();
                }
            };
            base = index(&base, &key);
        }
        base
    }

    /// `var.NAME`: a tfvars value, else the default, else unknown.
    pub fn variable(&self, name: &str) -> Val {
        let def = self
            .idx
            .tfvars
            .get(name)
            .or_else(|| self.idx.variables.get(name));
        match def {
            Some(d) => {
                let mut v = self.def(*d, &Env::default());
                v.via = Some(format!("var.{name}"));
                v
            }
            None => Val::unknown(),
        }
    }

    /// `local.NAME`, memoised; a reference cycle evaluates to unknown.
    pub fn local(&self, name: &str) -> Val {
        if let Some(v) = self.locals.borrow().get(name) {
            return v.clone();
        }
        let Some(def) = self.idx.locals.get(name) else {
            return Val::unknown();
        };
        // Mark as in progress so a cycle resolves to unknown.
        self.locals
            .borrow_mut()
            .insert(name.to_string(), Val::unknown());
        let mut v = self.def(*def, &Env::default());
        v.via = Some(format!("local.{name}"));
        self.locals.borrow_mut().insert(name.to_string(), v.clone());
        v
    }

    /// The project a resource is in: its `project` attribute, else the provider's.
    pub fn project_of(&self, res: &Res<'_>, env: &Env) -> Option<String> {
        let v = match res.attr("project") {
            Some(d) => self.def(d, env),
            None => self
                .idx
                .provider_project
                .map(|d| self.def(d, &Env::default()))?,
        };
        v.as_str()
            .filter(|s| !marker::is_symbolic(s))
            .map(str::to_string)
    }

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
        ops: &mut dyn Iterator<Item = &TraversalOperator>,
        src: Src,
        env: &Env,
        loc: Option<Loc>,
    ) -> Val {
        let Some(res) = self.idx.resources.get(&(ty, label)).copied() else {
            return Val::new(V::Unknown, loc);
        };
        let expanded = res.attr("count").is_some() || res.attr("for_each").is_some();
        let mut ops = ops.peekable();
        let mut key = None;
        let mut address = format!("{ty}.{label}");
        if expanded {
            let k = match ops.next() {
                Some(TraversalOperator::Index(e)) => self.eval(e, src, env),
                Some(TraversalOperator::LegacyIndex(n)) => {
                    Val::new(V::Num(*n.value() as f64), None)
                }
                _ => return Val::new(V::Unknown, loc),
            };
            match &k.v {
                V::Str(s) => address.push_str(&format!("[{s:?}]")),
                V::Num(n) => address.push_str(&format!("[{}]", format_number(*n))),
                _ => return Val::new(V::Unknown, loc),
            }
            key = Some(k);
        }
        let attr = match ops.next() {
            Some(TraversalOperator::GetAttr(a)) => a.as_str().to_string(),
            _ => return Val::new(V::Unknown, loc),
        };
        let ienv = self.instance_env(&res, key);
        let value = match ty {
            "google_service_account" => {
                let email = self.service_account_email(&res, &ienv, &address);
                service_account_attr(&attr, &email, self.project_of(&res, &ienv).as_deref())
            }
            _ if matches!(
                attr.as_str(),
                "self_link" | "id" | "name" | "self_link_unique"
            ) =>
            {
                Some(marker::resource(&self.idx.module, &address))
            }
            _ => None,
        };
        let base = match value {
            Some(s) => Val::str(s, loc),
            None => Val::new(V::Unknown, loc),
        };
        self.apply_ops(base, &mut ops, src, env)
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
            _ => marker::service_account(&self.idx.module, address),
        }
    }

    fn data_ref(
        &self,
        ty: &str,
        label: &str,
        ops: &mut dyn Iterator<Item = &TraversalOperator>,
        src: Src,
        env: &Env,
        loc: Option<Loc>,
    ) -> Val {
        let res = self.idx.data.get(&(ty, label)).copied();
        let mut ops = ops.peekable();
        if res.is_some_and(|r| r.attr("count").is_some() || r.attr("for_each").is_some()) {
            // data.x.y[0]: every instance of these data sources resolves alike.
            if matches!(
                ops.peek(),
                Some(TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_))
            ) {
                ops.next();
            }
        }
        let attr = match ops.next() {
            Some(TraversalOperator::GetAttr(a)) => a.as_str().to_string(),
            _ => return Val::new(V::Unknown, loc),
        };
        let value = match (ty, res) {
            ("google_compute_default_service_account", _) => {
                service_account_attr(&attr, &marker::default_sa(), None)
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
            ("google_iam_policy", Some(_)) if attr == "policy_data" => Some(marker::resource(
                &self.idx.module,
                &format!("data.{ty}.{label}"),
            )),
            _ => None,
        };
        let base = match value {
            Some(s) => Val::str(s, loc),
            None => Val::new(V::Unknown, loc),
        };
        self.apply_ops(base, &mut ops, src, env)
    }
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
    match (&base.v, &key.v) {
        (V::List(items), V::Num(n)) if *n >= 0.0 => {
            items.get(*n as usize).cloned().unwrap_or_else(Val::unknown)
        }
        (V::Map(m), V::Str(k)) => m.get(k).cloned().unwrap_or_else(Val::unknown),
        _ => Val::unknown(),
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

fn values_equal(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::List(x), V::List(y)) => {
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
