//! Parsed Terraform files kept between analyses of the same tree. The
//! language server analyses a unit again on every edit, and every file but
//! the edited one is unchanged: parsing is most of an analysis, so the files
//! parsed last time are reused. A file is reused only when its path, kind,
//! file id and text are all what they were when it was parsed, so a reused
//! tree is the tree a parse would give.

use super::module::ParsedFile;
use crate::discover::FileKind;
use crate::source::{FileId, SourceFile};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

struct Entry {
    id: FileId,
    kind: FileKind,
    text: String,
    parsed: ParsedFile,
    /// Looked up or stored since the last sweep.
    used: bool,
}

/// The files of the latest analysis of one tree, parsed.
#[derive(Default)]
pub struct ParseCache {
    files: Mutex<HashMap<PathBuf, Entry>>,
}

impl ParseCache {
    /// The parsed file at `path`, when it was parsed from the same text.
    pub fn get(
        &self,
        path: &Path,
        id: FileId,
        kind: FileKind,
        src: &SourceFile,
    ) -> Option<ParsedFile> {
        let mut files = self.files.lock().ok()?;
        let e = files.get_mut(path)?;
        if e.id != id || e.kind != kind || e.text != src.text {
            return None;
        }
        e.used = true;
        Some(e.parsed.clone())
    }

    pub fn put(
        &self,
        path: &Path,
        id: FileId,
        kind: FileKind,
        src: &SourceFile,
        parsed: &ParsedFile,
    ) {
        if let Ok(mut files) = self.files.lock() {
            files.insert(
                path.to_path_buf(),
                Entry {
                    id,
                    kind,
                    text: src.text.clone(),
                    parsed: parsed.clone(),
                    used: true,
                },
            );
        }
    }

    /// Forgets the files no analysis asked for since the last sweep: the
    /// cache holds no more than the files of the latest analysis.
    pub fn sweep(&self) {
        if let Ok(mut files) = self.files.lock() {
            files.retain(|_, e| std::mem::take(&mut e.used));
        }
    }

    pub fn len(&self) -> usize {
        self.files.lock().map_or(0, |f| f.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::knowledge::Knowledge;
    use crate::options::{Options, Overlay};

    /// What a run reports, in a form two runs can be compared by.
    fn report(opts: &Options, overlay: &Overlay, cache: Option<&ParseCache>) -> Vec<String> {
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
        let cache = ParseCache::default();
        let want = report(&opts, &Overlay::new(), None);
        assert!(!want.is_empty());
        assert_eq!(report(&opts, &Overlay::new(), Some(&cache)), want);
        let parsed = cache.len();
        assert!(parsed >= 3, "{parsed}");
        // Every file now comes from the cache, and the answer is the same.
        assert_eq!(report(&opts, &Overlay::new(), Some(&cache)), want);
        assert_eq!(cache.len(), parsed);

        // An edit is parsed again: the cached tree of the old text is not used.
        let tfvars = dir.join("terraform.tfvars");
        let text = std::fs::read_to_string(&tfvars).unwrap();
        let edited = text.replace("\"storage-ro\"", "\"cloud-platform\"");
        assert_ne!(edited, text, "the fixture names storage-ro");
        let overlay: Overlay = [(tfvars, edited)].into_iter().collect();
        let after = report(&opts, &overlay, Some(&cache));
        assert_ne!(after, want, "the edit fixes the finding");
        assert_eq!(after, report(&opts, &overlay, None));
    }
}
