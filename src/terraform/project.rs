//! From parsed files to one model: group the files into module directories,
//! load the modules they call (local paths, and what `terraform init`
//! installed), decide which directories are root modules, evaluate each root
//! with all its module instances, apply JSON plans, and extract the facts.
//!
//! A scanned directory that another scanned directory calls as a module is not
//! analysed on its own as well: as a root its variables would be unbound, and
//! where they have defaults the same workloads would be reported twice, once
//! with the caller's values and once with the defaults. It is analysed as part
//! of every instance its callers create. (A directory that is only called from
//! itself, through a cycle, is still a root.)

use super::Parsed;
use super::eval::{Manifest, Modules, Tree, normalize};
use super::extract;
use super::module::{Index, ParsedFile, Res, call_source, is_local_source, module_name};
use super::object::{self, Resources};
use super::plan::{self, PlanInput};
use crate::model::{Model, Unit};
use crate::read::Links;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// How many rounds of module loading are done before giving up on deeper calls.
const MAX_LOAD_ROUNDS: usize = 32;

/// The parsed inputs, grouped by directory.
#[derive(Default)]
pub struct Inputs {
    files: BTreeMap<PathBuf, Vec<ParsedFile>>,
    plans: Vec<PlanInput>,
}

impl Inputs {
    pub fn has_plans(&self) -> bool {
        !self.plans.is_empty()
    }

    /// Adds a parsed file found at `path`.
    pub fn add(&mut self, path: &Path, parsed: Parsed) {
        match parsed {
            Parsed::File(f) => {
                let dir = normalize(path.parent().unwrap_or(Path::new("")));
                self.files.entry(dir).or_default().push(f);
            }
            Parsed::Plan(p) => self.plans.push(p),
        }
    }
}

/// Loads the configuration files of a module directory that was not scanned.
pub type LoadDir<'l> = dyn FnMut(&Path) -> Vec<ParsedFile> + 'l;

/// The whole analysis of the Terraform inputs.
pub fn analyse(inputs: Inputs, load_dir: &mut LoadDir<'_>) -> Model {
    if inputs.plans.is_empty() {
        return merged(
            analyse_roots(inputs, load_dir)
                .into_iter()
                .map(|(_, m)| m)
                .collect(),
        );
    }
    let Inputs { mut files, plans } = inputs;
    let (scanned, manifests) = prepare(&mut files, load_dir);
    let modules = index(&files);
    let roots = roots(&scanned, &modules, &manifests);
    let collect = |dir: &PathBuf| {
        let idx = modules.get(dir)?;
        let tree = Tree::new(&modules, idx, manifests.get(dir));
        Some(object::collect(&tree, extract::relevant))
    };
    let mut configs: Vec<(Option<PathBuf>, Resources)> = roots
        .par_iter()
        .filter_map(|dir| Some((Some(dir.clone()), collect(dir)?)))
        .collect();

    // A plan stands in for the root module it was made from (its values are resolved).
    for p in &plans {
        let result = plan::resources(p, &configs, &modules);
        match result.root {
            Some(root) => {
                if let Some(slot) = configs.iter_mut().find(|(d, _)| d.as_ref() == Some(&root)) {
                    slot.1 = result.resources;
                }
            }
            None => configs.push((None, result.resources)),
        }
    }

    let models: Vec<Model> = configs
        .par_iter()
        .enumerate()
        .map(|(i, (dir, r))| {
            let mut model = extract::extract(r);
            let unit = match dir {
                Some(dir) => module_name(dir),
                None => format!("plan {}", i + 1),
            };
            model.assign_unit(&Unit::new(&unit));
            model
        })
        .collect();
    merged(models)
}

/// The analysis of inputs without plans: the model of each root module, in
/// the order of their directories. Each root is extracted as soon as it is
/// evaluated.
pub fn analyse_roots(inputs: Inputs, load_dir: &mut LoadDir<'_>) -> Vec<(PathBuf, Model)> {
    let Inputs { mut files, .. } = inputs;
    let (scanned, manifests) = prepare(&mut files, load_dir);
    let modules = index(&files);
    let roots = roots(&scanned, &modules, &manifests);
    roots
        .into_par_iter()
        .filter_map(|dir| {
            let idx = modules.get(&dir)?;
            let tree = Tree::new(&modules, idx, manifests.get(&dir));
            let mut model = extract::extract(&object::collect(&tree, extract::relevant));
            // A root module with the module instances it creates is one deployment unit.
            model.assign_unit(&Unit::new(&module_name(&dir)));
            Some((dir, model))
        })
        .collect()
}

/// The scanned directories and their `terraform init` manifests, after
/// loading every module directory they call that was not scanned.
fn prepare(
    files: &mut BTreeMap<PathBuf, Vec<ParsedFile>>,
    load_dir: &mut LoadDir<'_>,
) -> (BTreeSet<PathBuf>, HashMap<PathBuf, Manifest>) {
    let scanned: BTreeSet<PathBuf> = files.keys().cloned().collect();
    let manifests: HashMap<PathBuf, Manifest> = scanned
        .iter()
        .filter_map(|d| read_manifest(d).map(|m| (d.clone(), m)))
        .collect();
    load_called_modules(files, &manifests, load_dir);
    (scanned, manifests)
}

/// The index of every module directory, built on every core.
fn index(files: &BTreeMap<PathBuf, Vec<ParsedFile>>) -> Modules<'_> {
    files
        .par_iter()
        .map(|(dir, fs)| (dir.clone(), Index::build(module_name(dir), dir.clone(), fs)))
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}

fn merged(models: Vec<Model>) -> Model {
    let mut model = Model::default();
    for m in models {
        model.extend(m);
    }
    model
}

/// `.terraform/modules/modules.json` of a root module, when `terraform init`
/// wrote one: read like an input (a regular file, not a link, within the
/// default size limit), or not at all.
pub fn read_manifest(dir: &Path) -> Option<Manifest> {
    let path = dir.join(".terraform/modules/modules.json");
    let bytes =
        crate::read::file(&path, crate::options::DEFAULT_MAX_FILE_SIZE, Links::Refuse).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let mut m = Manifest::default();
    for e in v.get("Modules")?.as_array()? {
        let (Some(key), Some(d)) = (
            e.get("Key").and_then(|k| k.as_str()),
            e.get("Dir").and_then(|k| k.as_str()),
        ) else {
            continue;
        };
        if !key.is_empty() {
            m.dirs.insert(key.to_string(), PathBuf::from(d));
        }
    }
    Some(m)
}

/// The directories a module's local calls point at.
fn local_targets(dir: &Path, files: &[ParsedFile]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for f in files.iter().filter(|f| f.kind.is_configuration()) {
        for block in f.body.blocks_named("module") {
            if let Some(src) = call_source(&Res { block })
                && is_local_source(&src)
            {
                out.push(normalize(&dir.join(src)));
            }
        }
    }
    out
}

/// Loads, round by round, every directory a loaded module calls that is not loaded yet.
fn load_called_modules(
    files: &mut BTreeMap<PathBuf, Vec<ParsedFile>>,
    manifests: &HashMap<PathBuf, Manifest>,
    load_dir: &mut LoadDir<'_>,
) {
    let mut tried: BTreeSet<PathBuf> = files.keys().cloned().collect();
    let mut pending: BTreeSet<PathBuf> = manifests
        .iter()
        .flat_map(|(root, m)| m.dirs.values().map(|d| normalize(&root.join(d))))
        .collect();
    for (dir, fs) in files.iter() {
        pending.extend(local_targets(dir, fs));
    }
    for _ in 0..MAX_LOAD_ROUNDS {
        pending.retain(|d| !tried.contains(d));
        if pending.is_empty() {
            break;
        }
        let mut next = BTreeSet::new();
        for dir in std::mem::take(&mut pending) {
            tried.insert(dir.clone());
            let loaded = load_dir(&dir);
            if loaded.is_empty() {
                continue;
            }
            next.extend(local_targets(&dir, &loaded));
            files.insert(dir, loaded);
        }
        pending = next;
    }
}

/// The scanned directories that are root modules.
fn roots(
    scanned: &BTreeSet<PathBuf>,
    modules: &Modules<'_>,
    manifests: &HashMap<PathBuf, Manifest>,
) -> Vec<PathBuf> {
    // Everything a directory calls: local paths and installed modules.
    let calls = |dir: &PathBuf| -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = modules
            .get(dir)
            .map(|idx| {
                idx.calls
                    .values()
                    .filter_map(|c| call_source(c).filter(|s| is_local_source(s)))
                    .map(|s| normalize(&dir.join(s)))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(m) = manifests.get(dir) {
            out.extend(m.dirs.values().map(|d| normalize(&dir.join(d))));
        }
        out
    };
    let called: BTreeSet<PathBuf> = scanned
        .iter()
        .flat_map(|d| calls(d).into_iter().filter(move |t| t != d))
        .collect();
    let mut roots: Vec<PathBuf> = scanned
        .iter()
        .filter(|d| !called.contains(*d))
        .cloned()
        .collect();
    // Directories only reachable through a cycle of calls are roots too.
    let mut reached: BTreeSet<PathBuf> = BTreeSet::new();
    let mut stack = roots.clone();
    while let Some(d) = stack.pop() {
        if reached.insert(d.clone()) {
            stack.extend(calls(&d));
        }
    }
    for d in scanned {
        if !reached.contains(d) {
            roots.push(d.clone());
            let mut stack = vec![d.clone()];
            while let Some(d) = stack.pop() {
                if reached.insert(d.clone()) {
                    stack.extend(calls(&d));
                }
            }
        }
    }
    roots.sort();
    roots
}
