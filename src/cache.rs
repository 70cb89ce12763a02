//! What an analysis may reuse from the last analysis of the same tree: the
//! language server analyses the folder again on every edit, and every
//! deployment unit but the edited one is unchanged. Each part keeps exactly
//! what the last analysis used, and reuses an entry only when its input is
//! the same (the same text, or for whole units the same keyed hash of it).
//!
//! An unchanged unit is not parsed or evaluated again: its facts are reused
//! whole ([`ByInputs`]). Syntax trees are kept only for the units of open
//! documents, where the next edit will be, so the memory kept beyond facts
//! and texts follows the open units, not the folder.

use crate::discover::FileKind;
use crate::fix::verify::Verdicts;
use crate::kept::Kept;
use crate::model::Model;
use crate::outcome::InputError;
use crate::shell::cache::ScriptCache;
use crate::source::FileId;
use crate::terraform::cache::ParseCache;
use std::hash::{BuildHasher, RandomState};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What an analysis of one tree may reuse from the one before.
#[derive(Default)]
pub struct AnalysisCache {
    /// Syntax trees of the Terraform files of units with an open document.
    pub terraform: ParseCache,
    /// What each group of Terraform module directories evaluated to.
    pub groups: ByInputs<GroupResult>,
    /// The facts of each script, workflow and Cloud Build file.
    pub files: ByInputs<Model>,
    /// The calls of startup scripts.
    pub scripts: ScriptCache,
    /// Whether patched files parse.
    pub patches: Verdicts,
}

impl AnalysisCache {
    /// Forgets what the analysis that just ended did not use.
    pub fn sweep(&self) {
        self.terraform.sweep();
        self.groups.sweep();
        self.files.sweep();
        self.scripts.sweep();
        self.patches.sweep();
    }
}

/// What evaluating one group of Terraform module directories gave: each
/// root module's model, and the files that could not be parsed.
pub type GroupResult = (Vec<(PathBuf, Model)>, Vec<InputError>);

/// One input file as an analysis read it.
#[derive(Clone, Copy)]
pub struct Input<'a> {
    pub path: &'a Path,
    pub id: FileId,
    pub kind: FileKind,
    pub text: &'a str,
}

/// A file as it was when a kept result was computed from it: its text is
/// known by its length and a hash keyed with a secret drawn when the cache
/// was made, so no text can be written to pass for another, and the cache
/// does not hold a second copy of the workspace.
#[derive(PartialEq, Eq)]
struct Was {
    id: FileId,
    kind: FileKind,
    len: usize,
    hash: u64,
}

/// Results computed from a list of files alone (a unit's facts), reused
/// when every file has the same path, id, kind, length and hash of its text.
pub struct ByInputs<V> {
    kept: Kept<Vec<PathBuf>, (Vec<Was>, Arc<V>)>,
    keys: RandomState,
}

impl<V> Default for ByInputs<V> {
    fn default() -> Self {
        ByInputs {
            kept: Kept::default(),
            keys: RandomState::new(),
        }
    }
}

impl<V: Clone> ByInputs<V> {
    fn key(files: &[Input<'_>]) -> Vec<PathBuf> {
        files.iter().map(|f| f.path.to_path_buf()).collect()
    }

    fn was(&self, f: &Input<'_>) -> Was {
        Was {
            id: f.id,
            kind: f.kind,
            len: f.text.len(),
            hash: self.keys.hash_one(f.text),
        }
    }

    /// The result computed from exactly `files`, if one is kept. Texts
    /// are hashed and the result copied outside the lock: units are looked
    /// up from every core at once.
    pub fn get(&self, files: &[Input<'_>]) -> Option<V> {
        let now: Vec<Was> = files.iter().map(|f| self.was(f)).collect();
        let found = self.kept.get_with(&Self::key(files), |(was, value)| {
            (*was == now).then(|| Arc::clone(value))
        })?;
        Some(V::clone(&found))
    }

    pub fn put(&self, files: &[Input<'_>], value: &V) {
        let was = files.iter().map(|f| self.was(f)).collect();
        self.kept
            .put(Self::key(files), (was, Arc::new(value.clone())));
    }

    pub fn sweep(&self) {
        self.kept.sweep();
    }

    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::knowledge::Knowledge;
    use crate::options::{Options, Overlay};
    use std::path::Path;

    /// What a run reports, in a form two runs can be compared by.
    fn report(opts: &Options, overlay: &Overlay, cache: Option<&AnalysisCache>) -> Vec<String> {
        let kb = Knowledge::get().unwrap();
        let outcome = crate::run_with_cache(opts, kb, overlay, cache);
        outcome
            .findings
            .iter()
            .map(|f| {
                format!(
                    "{} {} {:?} {}",
                    f.rule.code, f.workload.address, f.primary, f.message
                )
            })
            .collect()
    }

    #[test]
    fn a_reused_parse_reports_what_a_fresh_parse_does() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/modules_two_level_chain_root_tfvars");
        let opts = Options {
            paths: vec![dir.clone()],
            ..Options::default()
        };
        let cache = AnalysisCache::default();
        // The variables file is open in an editor: its unit's trees are kept.
        let tfvars = dir.join("terraform.tfvars");
        let text = std::fs::read_to_string(&tfvars).unwrap();
        let open: Overlay = [(tfvars.clone(), text.clone())].into_iter().collect();
        let want = report(&opts, &open, None);
        assert!(!want.is_empty());
        assert_eq!(report(&opts, &open, Some(&cache)), want);
        let parsed = cache.terraform.len();
        assert!(parsed >= 3, "{parsed}");
        let verdicts = cache.patches.len();
        assert!(verdicts >= 1, "{verdicts}");
        // The unit now comes from the cache, and the answer is the same.
        assert_eq!(report(&opts, &open, Some(&cache)), want);
        assert_eq!(cache.terraform.len(), parsed);
        assert_eq!(cache.patches.len(), verdicts);

        // An edit is parsed again: the cached tree of the old text is not used.
        let edited = text.replace("\"storage-ro\"", "\"cloud-platform\"");
        assert_ne!(edited, text, "the fixture names storage-ro");
        let overlay: Overlay = [(tfvars, edited)].into_iter().collect();
        let after = report(&opts, &overlay, Some(&cache));
        assert_ne!(after, want, "the edit fixes the finding");
        assert_eq!(after, report(&opts, &overlay, None));
    }
}

#[cfg(test)]
mod script_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::knowledge::Knowledge;
    use crate::options::{Options, Overlay};
    use std::path::Path;

    #[test]
    fn a_reused_script_reports_what_a_fresh_one_does() {
        let dir =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sl006_terraform_startup_scripts");
        let opts = Options {
            paths: vec![dir],
            ..Options::default()
        };
        let kb = Knowledge::get().unwrap();
        let codes = |cache: Option<&AnalysisCache>| -> Vec<String> {
            crate::run_with_cache(&opts, kb, &Overlay::new(), cache)
                .findings
                .iter()
                .map(|f| format!("{} {} {}", f.rule.code, f.workload.address, f.message))
                .collect()
        };
        let want = codes(None);
        assert!(want.iter().any(|f| f.starts_with("SL006")), "{want:?}");
        let cache = AnalysisCache::default();
        assert_eq!(codes(Some(&cache)), want);
        let scripts = cache.scripts.len();
        assert!(scripts > 0);
        assert_eq!(codes(Some(&cache)), want);
        assert_eq!(cache.scripts.len(), scripts);
    }
}

#[cfg(test)]
mod unit_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::knowledge::Knowledge;
    use crate::options::{Options, Overlay};
    use std::path::Path;

    fn input<'a>(path: &'a Path, id: u32, text: &'a str) -> Input<'a> {
        Input {
            path,
            id: FileId(id),
            kind: FileKind::Terraform,
            text,
        }
    }

    #[test]
    fn a_result_is_reused_only_for_the_same_files() {
        let (a, b) = (Path::new("m/a.tf"), Path::new("m/b.tf"));
        let kept: ByInputs<u32> = ByInputs::default();
        kept.put(&[input(a, 0, "x = 1"), input(b, 1, "y = 2")], &7);
        assert_eq!(
            kept.get(&[input(a, 0, "x = 1"), input(b, 1, "y = 2")]),
            Some(7)
        );
        // Another text, id, kind, file list or order: not the same inputs.
        assert_eq!(
            kept.get(&[input(a, 0, "x = 2"), input(b, 1, "y = 2")]),
            None
        );
        assert_eq!(
            kept.get(&[input(a, 0, "x = 1 "), input(b, 1, "y = 2")]),
            None
        );
        assert_eq!(
            kept.get(&[input(a, 1, "x = 1"), input(b, 1, "y = 2")]),
            None
        );
        let tfvars = Input {
            kind: FileKind::TfVars,
            ..input(a, 0, "x = 1")
        };
        assert_eq!(kept.get(&[tfvars, input(b, 1, "y = 2")]), None);
        assert_eq!(kept.get(&[input(a, 0, "x = 1")]), None);
        assert_eq!(
            kept.get(&[input(b, 1, "y = 2"), input(a, 0, "x = 1")]),
            None
        );
        // Used since the last sweep: kept; then unused: forgotten.
        kept.sweep();
        assert_eq!(kept.len(), 1);
        kept.sweep();
        assert!(kept.is_empty());
    }

    /// What a run reports, in a form two runs can be compared by.
    fn report(opts: &Options, overlay: &Overlay, cache: Option<&AnalysisCache>) -> Vec<String> {
        let kb = Knowledge::get().unwrap();
        crate::run_with_cache(opts, kb, overlay, cache)
            .findings
            .iter()
            .map(|f| {
                format!(
                    "{} {:?} {} {}",
                    f.rule.code, f.primary, f.workload.address, f.message
                )
            })
            .collect()
    }

    #[test]
    fn unchanged_units_are_reused_and_only_open_units_keep_syntax_trees() {
        let dir =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/units_independent_lab_folders");
        let opts = Options {
            paths: vec![dir.clone()],
            ..Options::default()
        };
        let vertex = dir.join("lab-vertex/main.tf");
        let storage = dir.join("lab-storage/main.tf");
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        let open: Overlay = [(vertex.clone(), read(&vertex))].into_iter().collect();
        let want = report(&opts, &open, None);
        assert!(!want.is_empty());

        let cache = AnalysisCache::default();
        assert_eq!(report(&opts, &open, Some(&cache)), want);
        // Two Terraform root modules, two scripts: each kept whole.
        assert_eq!(cache.groups.len(), 2);
        assert_eq!(cache.files.len(), 2);
        // Only the open unit's syntax tree is kept.
        assert_eq!(cache.terraform.len(), 1);
        assert_eq!(report(&opts, &open, Some(&cache)), want);
        assert_eq!(cache.terraform.len(), 1);

        // An edit of the other unit, now open too: what a fresh run says.
        let mut edited = open.clone();
        let text = read(&storage);
        let changed = text.replacen("resource", "# edited\nresource", 1);
        assert_ne!(changed, text);
        edited.insert(storage.clone(), changed);
        assert_eq!(
            report(&opts, &edited, Some(&cache)),
            report(&opts, &edited, None)
        );
        assert_eq!(cache.groups.len(), 2);
        assert_eq!(cache.terraform.len(), 2);
        // Closed again: its tree is forgotten, the open unit's is kept.
        assert_eq!(report(&opts, &open, Some(&cache)), want);
        assert_eq!(cache.terraform.len(), 1);
        assert_eq!(report(&opts, &open, Some(&cache)), want);
        assert_eq!(cache.terraform.len(), 1);
    }
}
