//! How module calls become instances of the module tree ([`super::tree`]):
//! one per `count` index or `for_each` key, each bound to its arguments and
//! directory, with the installed-module manifest that locates non-local
//! sources.
//!
//! Separate from the evaluator ([`super::eval`]): this file decides which
//! instances exist and binds them; evaluating expressions inside an instance
//! is the evaluator's job.

use super::budget;
use super::module::{Res, Src, call_source, is_local_source};
use super::tree::{Children, Env, Evaluator, Inst};
use super::value::{V, Val, for_each_pairs, values_equal};
use crate::read::normalize;
use crate::source::Loc;
use hcl::edit::expr::TraversalOperator;
use std::rc::Rc;

/// How deep module calls may nest.
const MAX_MODULE_DEPTH: usize = 24;
/// At most this many instances of one module call are analysed.
const MAX_MODULE_INSTANCES: usize = 1000;

impl<'t, 'a> Evaluator<'t, 'a> {
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

    pub(super) fn expand_call(&self, name: &str) -> Children {
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
    pub(super) fn room_for(&self, n: usize, call: Res<'_>, address: &str) -> bool {
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
    pub(super) fn module_ref(
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
}
