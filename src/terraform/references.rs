//! What a reference names, resolved within one module instance: `var.*`,
//! `local.*`, module outputs, resources and data sources (a service
//! account's email, the project a resource is in).
//!
//! Separate from the evaluator ([`super::eval`]), which evaluates expression
//! syntax and calls here when a traversal starts with a name.

use super::eval::{Env, Evaluator};
use super::module::{Res, Src};
use super::value::{V, Val, index, instance_key};
use crate::model::marker;
use crate::source::Loc;
use hcl::edit::expr::TraversalOperator;
use std::collections::BTreeMap;

impl<'t, 'a> Evaluator<'t, 'a> {
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

    pub(super) fn variable_uncached(&self, name: &str) -> Val {
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
    pub(super) fn var_name(&self, name: &str) -> String {
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
    pub(super) fn outputs(&self) -> Val {
        let mut names: Vec<&str> = self.idx().outputs.keys().copied().collect();
        names.sort_unstable();
        let m = names
            .into_iter()
            .map(|n| (n.to_string(), self.output(n)))
            .collect();
        Val::new(V::Map(m), None)
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
    pub(super) fn instance_env(&self, res: &Res<'_>, key: Option<Val>) -> Env {
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

    pub(super) fn resource_ref(
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
    pub(super) fn service_account_email(&self, res: &Res<'_>, env: &Env, address: &str) -> String {
        let account = res.attr("account_id").map(|d| self.def(d, env));
        let account = account.as_ref().and_then(Val::as_str);
        match (account, self.project_of(res, env)) {
            (Some(a), Some(p)) if !marker::is_symbolic(a) => {
                format!("{a}@{p}.iam.gserviceaccount.com")
            }
            _ => marker::service_account(self.namespace(), address),
        }
    }

    pub(super) fn data_ref(
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

/// The attributes of a service account that carry its email.
pub(super) fn service_account_attr(
    attr: &str,
    email: &str,
    project: Option<&str>,
) -> Option<String> {
    match attr {
        "email" => Some(email.to_string()),
        "member" => Some(format!("serviceAccount:{email}")),
        "id" | "name" => project.map(|p| format!("projects/{p}/serviceAccounts/{email}")),
        _ => None,
    }
}
