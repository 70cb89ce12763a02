//! Which scopes a patch adds and how it widens them: the rules decide this
//! (it is part of what a finding says); the patch stage writes it in the
//! syntax of the file.

use crate::knowledge::{Access, CLOUD_PLATFORM, CLOUD_PLATFORM_RO, Knowledge, RoleUse};
use crate::model::Identity;

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
    pub fn resolve(self, identity: &Identity) -> (Strategy, &'static str) {
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

/// Scopes that `cloud-platform` does not cover (Workspace and identity scopes):
/// a cloud-platform patch keeps them.
pub fn outside_cloud_platform(short: &str) -> bool {
    [
        "drive",
        "spreadsheets",
        "userinfo.",
        "cloud-identity",
        "gmail",
        "calendar",
        "documents",
        "forms",
        "presentations",
        "cloud_search",
    ]
    .iter()
    .any(|p| short.starts_with(p))
}

/// Chooses the narrowest scopes to add so that every failing use is covered.
pub fn minimal_scopes(kb: &Knowledge, failing: &[&RoleUse]) -> Vec<String> {
    // Prefer service scopes over the platform-wide ones, and aliased scopes for readability.
    let rank = |s: &str, access: Access| -> (u8, u8, u8, String) {
        let platform = match s {
            CLOUD_PLATFORM_RO if access == Access::Read => 1,
            CLOUD_PLATFORM_RO | CLOUD_PLATFORM => 2,
            _ => 0,
        };
        // the narrowest of a family: read-only for reads, never full control unless needed
        let breadth = if access == Access::Read
            && (s.ends_with("read_only") || s.ends_with(".readonly") || s.ends_with("read-only"))
        {
            0
        } else if s.ends_with("full_control") || s.ends_with(".admin") {
            2
        } else {
            1
        };
        (
            platform,
            u8::from(kb.terraform_alias(s).is_none()),
            breadth,
            s.to_string(),
        )
    };
    let mut remaining: Vec<&RoleUse> = failing.to_vec();
    let mut chosen: Vec<String> = Vec::new();
    while let Some(first) = remaining.first() {
        let best = first
            .needs_any_of
            .iter()
            .map(|s| {
                let covered = remaining
                    .iter()
                    .filter(|u| u.needs_any_of.contains(s))
                    .count();
                (std::cmp::Reverse(covered), rank(s, first.access), s.clone())
            })
            .min();
        let Some((_, _, scope)) = best else {
            remaining.remove(0);
            continue;
        };
        remaining.retain(|u| !u.needs_any_of.contains(&scope));
        chosen.push(scope);
    }
    chosen.sort();
    chosen.dedup();
    chosen
}
