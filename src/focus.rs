//! The language server's scope: the deployment units of the open documents.
//!
//! Every file of the folder is still read, because units meet through
//! literal identities (a grant in one unit to an account named in another),
//! but only the workloads of units that hold an open document are checked,
//! and only the texts the findings point into are kept. So the work of an
//! edit and the memory kept after it follow the open units, not the folder.

use crate::discover::{Candidate, FileKind};
use crate::model::{Model, ScriptSource, Unit, Workload};
use crate::outcome::Outcome;
use crate::source::{FileId, Sources};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The files of the units that hold an open document.
pub(crate) struct Focus {
    /// Per file id, as first read: its path and whether its unit is open.
    files: Vec<(PathBuf, Side)>,
    /// The files each group of module directories is made of.
    groups: Vec<Vec<PathBuf>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// A file of a unit with an open document.
    Open,
    /// A file of a unit without one: nothing is reported on it.
    Closed,
    /// A file read later or outside every unit (the configuration file).
    Neither,
}

impl Focus {
    /// The open documents `open`, with the files their units are made of:
    /// a Terraform file's group of module directories (with the modules it
    /// read from outside the tree), a Config Connector file's directory, a
    /// script itself.
    pub fn new(
        open: &BTreeSet<PathBuf>,
        candidates: &[Candidate],
        groups: &[Vec<PathBuf>],
        sources: &Sources,
    ) -> Focus {
        let krm_dirs: BTreeSet<&Path> = candidates
            .iter()
            .filter(|c| c.kind == FileKind::ConfigConnector && open.contains(&c.path))
            .filter_map(|c| c.path.parent())
            .collect();
        let mut focused: BTreeSet<&Path> = open.iter().map(PathBuf::as_path).collect();
        focused.extend(
            candidates
                .iter()
                .filter(|c| c.kind == FileKind::ConfigConnector)
                .filter(|c| c.path.parent().is_some_and(|d| krm_dirs.contains(d)))
                .map(|c| c.path.as_path()),
        );
        let known: BTreeSet<&Path> = candidates
            .iter()
            .map(|c| c.path.as_path())
            .chain(groups.iter().flatten().map(PathBuf::as_path))
            .collect();
        let files = sources
            .iter()
            .map(|(_, src)| {
                let side = if focused.contains(src.path.as_path()) {
                    Side::Open
                } else if known.contains(src.path.as_path()) {
                    Side::Closed
                } else {
                    Side::Neither
                };
                (src.path.clone(), side)
            })
            .collect();
        let mut focus = Focus {
            files,
            groups: groups.to_vec(),
        };
        let open_files: Vec<PathBuf> = open.iter().cloned().collect();
        focus.open_groups_of(&open_files);
        focus
    }

    /// Opens the groups that hold one of `paths`, whole.
    fn open_groups_of(&mut self, paths: &[PathBuf]) {
        let wanted: BTreeSet<&PathBuf> = paths.iter().collect();
        let opened: BTreeSet<PathBuf> = self
            .groups
            .iter()
            .filter(|g| g.iter().any(|f| wanted.contains(f)))
            .flatten()
            .cloned()
            .collect();
        for (path, side) in &mut self.files {
            if opened.contains(path) {
                *side = Side::Open;
            }
        }
    }

    fn side(&self, id: FileId) -> Side {
        self.files
            .get(id.0 as usize)
            .map_or(Side::Neither, |(_, side)| *side)
    }

    fn holds(&self, id: FileId) -> bool {
        self.side(id) == Side::Open
    }

    fn path(&self, id: FileId) -> Option<&PathBuf> {
        self.files.get(id.0 as usize).map(|(path, _)| path)
    }

    /// Leaves in `model` only the workloads of units with a fact in a
    /// focused file; grants and enabled APIs stay, as they may meet them.
    /// The groups of the kept workloads are open from then on (an open
    /// startup script opens its VM's).
    pub fn keep_open_units(&mut self, model: &mut Model) {
        let paths: BTreeSet<&PathBuf> = self
            .files
            .iter()
            .filter(|(_, side)| *side == Side::Open)
            .map(|(path, _)| path)
            .collect();
        let workloads = model.workloads.iter().filter(|w| {
            workload_files(w).any(|f| self.holds(f)) || script_paths(w).any(|p| paths.contains(p))
        });
        let grants = model.grants.iter().map(|g| (&g.unit, g.loc.file));
        let apis = model.enabled_apis.iter().map(|e| (&e.unit, e.loc.file));
        let open: BTreeSet<&Unit> = workloads
            .map(|w| &w.unit)
            .chain(
                grants
                    .chain(apis)
                    .filter(|(_, file)| self.holds(*file))
                    .map(|(unit, _)| unit),
            )
            .collect();
        let open: BTreeSet<Unit> = open.into_iter().cloned().collect();
        model.workloads.retain(|w| open.contains(&w.unit));
        let blocks: Vec<PathBuf> = model
            .workloads
            .iter()
            .filter_map(|w| self.path(w.block.file).cloned())
            .collect();
        self.open_groups_of(&blocks);
    }

    /// Drops what the open units do not need from a finished analysis:
    /// unused-suppression findings and input errors of the other units'
    /// files, and the texts of files no finding or error points into.
    pub fn trim(&self, outcome: &mut Outcome) {
        let unused = crate::check::unused_suppression::META.code;
        let closed = |id: FileId| self.side(id) == Side::Closed;
        outcome
            .findings
            .retain(|f| f.rule.code != unused || !closed(f.primary.file));
        outcome
            .errors
            .retain(|e| e.source.is_none_or(|id| !closed(id)));
        let mut needed: Vec<bool> = self
            .files
            .iter()
            .map(|(_, side)| *side == Side::Open)
            .collect();
        let mut need = |id: FileId| {
            if let Some(n) = needed.get_mut(id.0 as usize) {
                *n = true;
            }
        };
        for f in &outcome.findings {
            need(f.primary.file);
            f.workload_loc.iter().for_each(|l| need(l.file));
            f.related.iter().for_each(|r| need(r.loc.file));
            f.fix
                .iter()
                .chain(&f.alternatives)
                .flat_map(|x| &x.edits)
                .for_each(|e| need(e.loc.file));
        }
        outcome
            .errors
            .iter()
            .filter_map(|e| e.source)
            .for_each(need);
        for (i, keep) in needed.iter().enumerate() {
            if !keep
                && let Some(src) = u32::try_from(i)
                    .ok()
                    .and_then(|i| outcome.sources.get_mut(FileId(i)))
            {
                src.forget_text();
            }
        }
    }
}

/// The files a workload's startup scripts may be read from, before they are.
fn script_paths(w: &Workload) -> impl Iterator<Item = &PathBuf> + '_ {
    w.startup.iter().flat_map(|s| match &s.source {
        ScriptSource::File { paths, .. } => paths.as_slice(),
        _ => &[],
    })
}

/// The files a workload's facts are written in: its block, its account,
/// its startup scripts.
fn workload_files(w: &Workload) -> impl Iterator<Item = FileId> + '_ {
    let script = w.startup.iter().flat_map(|s| {
        let source = match &s.source {
            ScriptSource::Inline { loc, .. } | ScriptSource::Expression { loc } => Some(loc.file),
            ScriptSource::Read | ScriptSource::File { .. } => None,
        };
        std::iter::once(s.at.file)
            .chain(source)
            .chain(s.calls.iter().map(|c| c.loc.file))
    });
    std::iter::once(w.block.file)
        .chain(w.account_block.iter().map(|l| l.file))
        .chain(script)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use crate::knowledge::Knowledge;
    use crate::options::{Options, Overlay};
    use crate::outcome::Outcome;
    use std::path::{Path, PathBuf};

    /// A copy of a fixture project to change.
    fn copy(name: &str) -> (tempfile::TempDir, PathBuf) {
        fn walk(from: &Path, to: &Path) {
            std::fs::create_dir_all(to).unwrap();
            for e in std::fs::read_dir(from).unwrap() {
                let p = e.unwrap().path();
                let t = to.join(p.file_name().unwrap());
                if p.is_dir() {
                    walk(&p, &t);
                } else {
                    std::fs::copy(&p, &t).unwrap();
                }
            }
        }
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap().join("w");
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(name),
            &root,
        );
        (tmp, root)
    }

    /// Findings and errors, by file name, rule and line.
    fn said(o: &Outcome) -> Vec<String> {
        let name = |id| {
            o.sources
                .get(id)
                .map(|s| s.display.rsplit('/').next().unwrap_or("").to_string())
                .unwrap_or_default()
        };
        let mut out: Vec<String> = o
            .findings
            .iter()
            .map(|f| format!("{} {}", f.rule.code, name(f.primary.file)))
            .chain(
                o.errors
                    .iter()
                    .map(|e| format!("error {}:{}", e.file, e.line)),
            )
            .collect();
        out.sort();
        out
    }

    /// What `check` says, and what the focused analysis says with `open` open.
    fn both(root: &Path, open: &[PathBuf], config: Option<&Path>) -> (Vec<String>, Vec<String>) {
        let kb = Knowledge::get().unwrap();
        let config = config
            .map(|c| crate::config::load(c, kb).ok().unwrap())
            .unwrap_or_default();
        let check = Options {
            paths: vec![root.to_path_buf()],
            config,
            inline_suppressions: true,
            ..Options::default()
        };
        let overlay: Overlay = open
            .iter()
            .map(|p| (p.clone(), std::fs::read_to_string(p).unwrap()))
            .collect();
        let focused = Options {
            focus: Some(overlay.keys().cloned().collect()),
            paths: check.paths.clone(),
            config: check.config.clone(),
            inline_suppressions: true,
            ..Options::default()
        };
        let cache = crate::AnalysisCache::default();
        (
            said(&crate::run(&check, kb)),
            said(&crate::run_with_cache(&focused, kb, &overlay, Some(&cache))),
        )
    }

    #[test]
    fn a_stale_waiver_is_reported_on_the_configuration_file() {
        let (_tmp, root) = copy("sl001_field_note_default_sa");
        let config = root.join(".scopelint.yaml");
        let waiver = "waivers:\n  - path: \"*.tf\"\n    rule: SL003\n    reason: an old layout\n";
        std::fs::write(&config, waiver).unwrap();
        let (check, focused) = both(&root, &[root.join("main.tf")], Some(&config));
        assert!(
            check.contains(&"SL900 .scopelint.yaml".to_string()),
            "{check:?}"
        );
        assert_eq!(focused, check);
    }

    #[test]
    fn module_files_read_from_outside_the_tree_belong_to_the_open_unit() {
        let (_tmp, root) = copy("modules_registry_installed");
        let vars = root.join(".terraform/modules/worker/variables.tf");
        let text = std::fs::read_to_string(&vars).unwrap();
        std::fs::write(
            &vars,
            format!("# scopelint:ignore SL003 reason=none\n{text}"),
        )
        .unwrap();
        let (check, focused) = both(&root, &[root.join("main.tf")], None);
        assert!(
            check.contains(&"SL900 variables.tf".to_string()),
            "{check:?}"
        );
        assert_eq!(focused, check);

        // A parse error there is the open unit's too.
        std::fs::write(&vars, format!("{text}\nvariable \"broken\" {{\n")).unwrap();
        let (check, focused) = both(&root, &[root.join("main.tf")], None);
        assert!(check.iter().any(|s| s.starts_with("error ")), "{check:?}");
        assert_eq!(focused, check);
    }

    #[test]
    fn a_closed_units_suppressions_are_not_reported_unused() {
        let (_tmp, root) = copy("units_independent_lab_folders");
        let storage = root.join("lab-storage/main.tf");
        let text = std::fs::read_to_string(&storage).unwrap();
        std::fs::write(
            &storage,
            format!("# scopelint:ignore SL003 reason=none\n{text}"),
        )
        .unwrap();
        let vertex = root.join("lab-vertex/main.tf");
        let (check, focused) = both(&root, std::slice::from_ref(&vertex), None);
        assert!(check.contains(&"SL900 main.tf".to_string()), "{check:?}");
        assert_eq!(focused, ["SL001 main.tf"]);
        // Opened, its unit says what `check` says.
        let (check, focused) = both(&root, &[vertex, storage], None);
        assert_eq!(focused, check);
    }
}
