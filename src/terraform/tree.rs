//! The state of one evaluation: the module instances of a root module
//! ([`Tree`]), the evaluator of one instance ([`Evaluator`]) and the names
//! bound around an expression ([`Env`]).
//!
//! Only the data and its accessors: evaluating expressions is in `eval.rs`,
//! expanding module calls into instances in `instances.rs`, resolving names in
//! `references.rs`; each adds methods to [`Evaluator`].

use super::module::{Index, Res};
use super::value::{V, Val};
use crate::model::Unresolved;
use crate::source::Loc;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::rc::Rc;

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

    pub(super) fn get(&self, name: &str) -> Option<&Val> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

/// Evaluates expressions of one module instance.
#[derive(Clone)]
pub struct Evaluator<'t, 'a> {
    pub(super) tree: &'t Tree<'a>,
    pub(super) id: usize,
    pub(super) inst: Rc<Inst<'a>>,
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
}

/// Every module directory that was read, by normalized path.
pub type Modules<'a> = BTreeMap<PathBuf, Index<'a>>;

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
    pub(super) keys: Vec<String>,
    pub(super) parent: Option<usize>,
    pub(super) call: Option<Res<'a>>,
    /// `count.index` / `each` of this instance, for the call's arguments.
    pub(super) env: Env,
    /// The module directories from the root down to this one (recursion guard).
    pub(super) dirs: Vec<PathBuf>,
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
    pub(super) modules: &'a Modules<'a>,
    pub(super) manifest: Option<&'a Manifest>,
    /// The root module directory as shown: the namespace of symbolic identities.
    pub namespace: String,
    pub(super) root_dir: PathBuf,
    pub(super) insts: RefCell<Vec<Rc<Inst<'a>>>>,
    pub(super) children: RefCell<HashMap<(usize, String), Children>>,
    pub(super) memo: RefCell<HashMap<(usize, String), Val>>,
    pub(super) depth: Cell<usize>,
    /// Expressions evaluated so far, against [`budget::MAX_STEPS`].
    pub(super) steps: Cell<usize>,
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

    pub(super) fn evaluator(&self, id: usize) -> Evaluator<'_, 'a> {
        let inst = self.insts.borrow().get(id).cloned();
        let inst = inst.unwrap_or_else(|| self.insts.borrow()[0].clone());
        Evaluator {
            tree: self,
            id,
            inst,
        }
    }

    pub(super) fn note(&self, loc: Loc, what: String) {
        self.notes.borrow_mut().push(Unresolved { loc, what });
    }
}
