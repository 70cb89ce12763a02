//! Which scopes a patch adds and how it widens them: the rules decide this
//! (it is part of what a finding says); the patch stage writes it in the
//! syntax of the file.

use crate::knowledge::{Access, CLOUD_PLATFORM, CLOUD_PLATFORM_RO, Knowledge, RoleUse};

pub use crate::finding::Strategy;

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
