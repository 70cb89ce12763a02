//! What an analysis may reuse from the last analysis of the same tree: the
//! language server analyses a unit again on every edit, and most of its
//! files, and the startup scripts in them, did not change. Each part keeps
//! exactly what the last analysis used, and reuses an entry only when its
//! input is byte for byte the same.

use crate::fix::verify::Verdicts;
use crate::shell::cache::ScriptCache;
use crate::terraform::cache::ParseCache;

/// The parsed Terraform files, the startup scripts' calls and whether
/// patched files parse, for one tree.
#[derive(Default)]
pub struct AnalysisCache {
    pub terraform: ParseCache,
    pub scripts: ScriptCache,
    pub patches: Verdicts,
}

impl AnalysisCache {
    /// Forgets what the analysis that just ended did not use.
    pub fn sweep(&self) {
        self.terraform.sweep();
        self.scripts.sweep();
        self.patches.sweep();
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
        let want = report(&opts, &Overlay::new(), None);
        assert!(!want.is_empty());
        assert_eq!(report(&opts, &Overlay::new(), Some(&cache)), want);
        let parsed = cache.terraform.len();
        assert!(parsed >= 3, "{parsed}");
        let verdicts = cache.patches.len();
        assert!(verdicts >= 1, "{verdicts}");
        // Every file now comes from the cache, and the answer is the same.
        assert_eq!(report(&opts, &Overlay::new(), Some(&cache)), want);
        assert_eq!(cache.terraform.len(), parsed);
        assert_eq!(cache.patches.len(), verdicts);

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
