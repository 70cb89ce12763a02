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
    paths: BTreeSet<PathBuf>,
    /// Per file id: whether the file is one of `paths` (startup scripts
    /// read as such are files of their own, with ids of their own).
    files: Vec<bool>,
}

impl Focus {
    /// The open documents `open`, with the files their units are made of:
    /// a Terraform file's group of module directories, a Config Connector
    /// file's directory, a script itself.
    pub fn new(
        open: &BTreeSet<PathBuf>,
        candidates: &[Candidate],
        groups: &[Vec<PathBuf>],
        sources: &Sources,
    ) -> Focus {
        let mut paths: BTreeSet<PathBuf> = open.clone();
        for group in groups {
            if group.iter().any(|f| open.contains(f)) {
                paths.extend(group.iter().cloned());
            }
        }
        let krm_dirs: BTreeSet<&Path> = candidates
            .iter()
            .filter(|c| c.kind == FileKind::ConfigConnector && open.contains(&c.path))
            .filter_map(|c| c.path.parent())
            .collect();
        paths.extend(
            candidates
                .iter()
                .filter(|c| c.kind == FileKind::ConfigConnector)
                .filter(|c| c.path.parent().is_some_and(|d| krm_dirs.contains(d)))
                .map(|c| c.path.clone()),
        );
        let files = sources
            .iter()
            .map(|(_, src)| paths.contains(&src.path))
            .collect();
        Focus { paths, files }
    }

    fn holds(&self, id: FileId) -> bool {
        self.files.get(id.0 as usize).copied().unwrap_or(false)
    }

    /// Leaves in `model` only the workloads of units with a fact in a
    /// focused file; grants and enabled APIs stay, as they may meet them.
    pub fn keep_open_units(&self, model: &mut Model) {
        let workloads = model.workloads.iter().filter(|w| {
            workload_files(w).any(|f| self.holds(f))
                || script_paths(w).any(|p| self.paths.contains(p))
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
    }

    /// Drops what the open units do not need from a finished analysis:
    /// unused-suppression findings and input errors of other files, and the
    /// texts of files no finding or error points into.
    pub fn trim(&self, outcome: &mut Outcome) {
        let unused = crate::check::unused_suppression::META.code;
        outcome
            .findings
            .retain(|f| f.rule.code != unused || self.holds(f.primary.file));
        outcome
            .errors
            .retain(|e| e.source.is_none_or(|id| self.holds(id)));
        let mut needed = self.files.clone();
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
