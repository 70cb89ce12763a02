//! One analysis of a root as the server keeps it: what the diagnostics,
//! hovers and code actions are answered from.

use crate::config;
use crate::fix::plan::Plan;
use crate::knowledge::Knowledge;
use crate::options::{Options, Overlay};
use crate::outcome::Outcome;
use std::cell::OnceCell;
use std::path::{Path, PathBuf};

/// An analysis of one root at one state of the documents.
pub(crate) struct Analysis {
    pub(super) generation: u64,
    pub(super) root: PathBuf,
    pub(super) config: config::Loaded,
    pub(super) overlay: Overlay,
    pub(super) outcome: Outcome,
    /// The `--fix` plan, computed when a code action first asks for it.
    pub(super) plan: OnceCell<Plan>,
}

impl Analysis {
    pub(super) fn options(&self) -> Options {
        options(&self.root, &self.config, &self.overlay)
    }

    pub(super) fn plan(&self, kb: &Knowledge) -> &Plan {
        self.plan.get_or_init(|| {
            crate::fix::plan::plan_over(&self.options(), kb, &self.outcome, &self.overlay)
        })
    }
}

/// How the server analyses `root`: as `check` would, with inline
/// suppressions, checking only the units of the documents open in it.
pub(super) fn options(root: &Path, config: &config::Loaded, overlay: &Overlay) -> Options {
    Options {
        paths: vec![root.to_path_buf()],
        config: config.clone(),
        inline_suppressions: true,
        focus: Some(overlay.keys().cloned().collect()),
        ..Options::default()
    }
}
