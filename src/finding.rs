//! The findings model: what every rule produces and every renderer reads.

use crate::knowledge::Access;
use crate::source::Loc;
use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A rule's identity: stable code, kebab-case name, default severity, one-line summary.
#[derive(Debug)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// One or two sentences: what the rule reports.
    pub full_description: &'static str,
    /// Plain-text help: why it matters and how to fix it.
    pub help: &'static str,
    /// The rule's page, `rules/SLxxx.md` (Markdown).
    pub page: &'static str,
    /// SARIF tags.
    pub tags: &'static [&'static str],
    /// SARIF `precision`: how often a finding is a true positive.
    pub precision: &'static str,
}

/// The workload a finding is about.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadRef {
    pub kind: String,
    pub address: String,
    pub name: String,
}

/// One API involved in a finding, the roles that make it needed, and what it accepts.
#[derive(Debug, Clone, Serialize)]
pub struct ApiUse {
    pub service: String,
    pub roles: Vec<String>,
    pub access: Access,
    pub accepted_scopes: Vec<String>,
}

/// A secondary location, such as the IAM grant that makes an API needed.
#[derive(Debug, Clone)]
pub struct Related {
    pub loc: Loc,
    pub message: String,
}

/// How many grants of one role a finding lists before it sums up the rest:
/// a report grows with its findings, not with findings times grants.
pub const GRANTS_SHOWN_PER_ROLE: usize = 10;

/// The related locations of the grants behind a finding: each grant once, at
/// most [`GRANTS_SHOWN_PER_ROLE`] per role, then one entry (at the first grant
/// left out) that counts the others.
pub fn grant_locations<'g>(
    grants: impl IntoIterator<Item = &'g crate::model::Grant>,
) -> Vec<Related> {
    let mut seen: std::collections::HashSet<(&Loc, &str, &str)> = Default::default();
    // role -> (grants seen, where the first one left out is), in first-seen order
    let mut per_role: Vec<(&str, usize, Option<&Loc>)> = Vec::new();
    let mut out = Vec::new();
    for g in grants {
        if !seen.insert((&g.loc, g.role.as_str(), g.address.as_str())) {
            continue;
        }
        let at = match per_role.iter().position(|(role, _, _)| *role == g.role) {
            Some(at) => at,
            None => {
                per_role.push((g.role.as_str(), 0, None));
                per_role.len() - 1
            }
        };
        let Some((_, count, first_left_out)) = per_role.get_mut(at) else {
            continue;
        };
        *count += 1;
        if *count <= GRANTS_SHOWN_PER_ROLE {
            out.push(Related {
                loc: g.loc.clone(),
                message: format!("{} granted here ({})", g.role, g.address),
            });
        } else if first_left_out.is_none() {
            *first_left_out = Some(&g.loc);
        }
    }
    for (role, count, first_left_out) in per_role {
        if let Some(loc) = first_left_out {
            out.push(Related {
                loc: loc.clone(),
                message: format!(
                    "and {} more grants of the same role ({role})",
                    count - GRANTS_SHOWN_PER_ROLE
                ),
            });
        }
    }
    out
}

/// How many of the last lines of help [`Finding::share_help`] compares with.
pub const RECENT_HELP: usize = 32;

/// A text replacement in one file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Edit {
    pub loc: Loc,
    pub replacement: String,
}

/// Whether a patch may be applied without a person reading it first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Applicability {
    /// `--fix` applies it: the change does what the finding asks and nothing else.
    Safe,
    /// Applied only with `--unsafe-fixes`: deploying it restarts or replaces
    /// something that may be running (the fix says what).
    Unsafe,
    /// Shown, never applied: applying it would change other workloads too.
    DisplayOnly,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

/// How a scopes patch widens the scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Strategy {
    /// `cloud-platform` for a dedicated service account, `minimal` for the default one.
    Auto,
    /// Replace the scopes with `cloud-platform`: IAM does the restricting.
    CloudPlatform,
    /// Add the narrowest scopes that make every granted role work.
    Minimal,
}

impl Strategy {
    /// The concrete strategy for an identity, and why it was chosen.
    pub fn resolve(self, identity: &crate::model::Identity) -> (Strategy, &'static str) {
        match self {
            Strategy::Auto if identity.is_default_compute() => (
                Strategy::Minimal,
                "adds the narrowest sufficient scopes, because the Compute Engine default service account often holds roles/editor and cloud-platform would open the whole project to the VM",
            ),
            Strategy::Auto => (
                Strategy::CloudPlatform,
                "uses cloud-platform, Google's recommendation for a dedicated service account: IAM roles still limit what it can do",
            ),
            Strategy::CloudPlatform => {
                (Strategy::CloudPlatform, "uses cloud-platform, as requested")
            }
            Strategy::Minimal => (
                Strategy::Minimal,
                "adds the narrowest sufficient scopes, as requested",
            ),
        }
    }
}

/// What a rule asks of the patch stage: widen the scopes of one workload.
/// The stage ([`crate::fix::build`]) builds the edits in the syntax they are
/// written in, or leaves the finding without a patch.
#[derive(Debug, Clone)]
pub struct PatchRequest {
    /// The workload, by its index in the model.
    pub workload: usize,
    pub strategy: Strategy,
    /// Short names of the scopes to add (or `cloud-platform` to replace them with).
    pub add: Vec<String>,
    /// What the patch does and why, in words.
    pub description: String,
    /// Why deploying the patch replaces what may be running (then it is unsafe).
    pub caveat: Option<&'static str>,
    /// The help line that becomes "suggested patch: ..." when there is one.
    pub help_at: usize,
    /// Where the note on applying the patch goes in the help.
    pub note_at: usize,
    /// That note (the patch stage adds how to apply the fuller patch that
    /// lets the VM stop, when it offers one).
    pub apply_note: Option<String>,
}

/// A suggested patch.
#[derive(Debug, Clone)]
pub struct Fix {
    pub description: String,
    pub edits: Vec<Edit>,
    pub applicability: Applicability,
    /// Why the patch is not safe, when it is not.
    pub caveat: Option<String>,
}

impl Fix {
    /// A patch that `--fix` may apply.
    pub fn safe(description: String, edits: Vec<Edit>) -> Fix {
        Fix {
            description,
            edits,
            applicability: Applicability::Safe,
            caveat: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    pub message: String,
    /// Where the finding points, and the label shown there.
    pub primary: Loc,
    pub label: String,
    pub workload: WorkloadRef,
    /// Where the workload is defined (suppressions above it apply).
    pub workload_loc: Option<Loc>,
    pub identity: String,
    pub apis: Vec<ApiUse>,
    pub related: Vec<Related>,
    /// The advice, one item a line. Lines are shared: the same advice on
    /// many findings (the reason for a patch, a how-to line) is held once.
    pub help: Vec<Arc<str>>,
    /// The suggested patch.
    pub fix: Option<Fix>,
    /// Fuller patches for the same finding that are less safe to apply, from
    /// the more cautious to the more complete (each complete by itself).
    pub alternatives: Vec<Fix>,
    /// The patch a rule asks for, built into `fix` by the patch stage.
    pub patch: Option<PatchRequest>,
    /// For a VM that can be changed in place: every scope it should run with
    /// after the suggested change (what `set-service-account --scopes` sets).
    pub live_scopes: Option<Vec<String>>,
}

impl Finding {
    /// A finding of `rule` at `primary` that names no workload, grant or API
    /// (yet): the fields a rule fills in start empty.
    pub fn bare(rule: &'static RuleMeta, primary: Loc, message: String) -> Finding {
        Finding {
            rule,
            severity: rule.severity,
            message,
            primary,
            label: String::new(),
            workload: WorkloadRef {
                kind: String::new(),
                address: String::new(),
                name: String::new(),
            },
            workload_loc: None,
            identity: String::new(),
            apis: Vec::new(),
            related: Vec::new(),
            help: Vec::new(),
            fix: None,
            alternatives: Vec::new(),
            patch: None,
            live_scopes: None,
        }
    }

    /// Gives back the spare room of the text a rule wrote: strings built with
    /// `format!` keep up to twice their length, and a report may hold a
    /// finding for each of a hundred thousand workloads until it is written.
    pub fn shrink_to_fit(&mut self) {
        self.message.shrink_to_fit();
        self.label.shrink_to_fit();
        self.identity.shrink_to_fit();
        self.help.shrink_to_fit();
        self.related
            .iter_mut()
            .for_each(|r| r.message.shrink_to_fit());
        self.related.shrink_to_fit();
    }

    /// Takes the lines of help that `recent` holds from there, and keeps
    /// this finding's lines in it (at most [`RECENT_HELP`]): findings of
    /// workloads alike give the same advice, which is then held once.
    pub fn share_help(&mut self, recent: &mut Vec<Arc<str>>) {
        for line in &mut self.help {
            match recent.iter().find(|r| ***r == **line) {
                Some(same) => *line = Arc::clone(same),
                None => recent.insert(0, Arc::clone(line)),
            }
        }
        recent.truncate(RECENT_HELP);
    }

    /// The patch `--fix` applies: the first safe one, or with `unsafe_fixes`
    /// the most complete one that is not display-only.
    pub fn fix_to_apply(&self, unsafe_fixes: bool) -> Option<&Fix> {
        let mut all = self.fix.iter().chain(&self.alternatives);
        if unsafe_fixes {
            all.rev()
                .find(|f| f.applicability != Applicability::DisplayOnly)
        } else {
            all.find(|f| f.applicability == Applicability::Safe)
        }
    }

    /// A fingerprint that identifies the finding across runs: the FNV-1a hash
    /// of the rule code, the file, the workload and the APIs, never a line
    /// number, so it survives unrelated edits (SARIF `partialFingerprints`,
    /// GitLab, baselines). A Terraform workload is its resource address; a
    /// workload a script creates is its command and the name it creates
    /// (its address, `file:line`, would move with every line added above).
    pub fn fingerprint(&self, file: &str) -> String {
        let w = &self.workload;
        let scripted = w
            .address
            .rsplit_once(':')
            .is_some_and(|(_, l)| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()));
        let workload = if scripted {
            format!("{} {}", w.kind, w.name)
        } else {
            w.address.clone()
        };
        let mut key = format!("{}|{file}|{workload}", self.rule.code);
        for api in &self.apis {
            key.push('|');
            key.push_str(&api.service);
        }
        // FNV-1a, 64 bit: stable across platforms and releases, unlike std's hasher.
        let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        format!("{hash:016x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(applicability: Applicability) -> Fix {
        Fix {
            description: applicability.as_str().to_string(),
            edits: Vec::new(),
            applicability,
            caveat: None,
        }
    }

    fn chosen(fixes: &[Applicability], unsafe_fixes: bool) -> Option<&'static str> {
        static META: RuleMeta = RuleMeta {
            code: "SL001",
            name: "insufficient-scope",
            severity: Severity::Error,
            summary: "",
            full_description: "",
            help: "",
            page: "",
            tags: &[],
            precision: "high",
        };
        let mut all = fixes.iter().map(|a| fix(*a));
        let mut f = Finding::bare(
            &META,
            Loc::new(crate::source::FileId(0), 0..0),
            String::new(),
        );
        f.fix = all.next();
        f.alternatives = all.collect();
        f.fix_to_apply(unsafe_fixes)
            .map(|x| x.applicability.as_str())
    }

    /// `--fix` takes the first safe patch; `--unsafe-fixes` the fullest one
    /// that may be applied at all; a display-only patch is never taken.
    #[test]
    fn the_patch_applied_follows_its_applicability() {
        use Applicability::*;
        assert_eq!(chosen(&[Safe, Unsafe], false), Some("safe"));
        assert_eq!(chosen(&[Safe, Unsafe], true), Some("unsafe"));
        assert_eq!(chosen(&[Unsafe], false), None);
        assert_eq!(chosen(&[Unsafe], true), Some("unsafe"));
        assert_eq!(chosen(&[DisplayOnly, DisplayOnly], true), None);
        assert_eq!(chosen(&[DisplayOnly], false), None);
        assert_eq!(chosen(&[], true), None);
    }
}
