//! The IAM role data of iam-dataset `roles.json`: every predefined role's permissions, and the
//! per-role summary (access, permission counts per prefix) the classification starts from.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::inputs::{RoleSummary, SummaryRole};

/// One role of iam-dataset `roles.json` (Google's `roles.get` response); other fields are ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawRole {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub stage: String,
    #[serde(default)]
    pub included_permissions: Vec<String>,
}

pub type RawRoles = BTreeMap<String, RawRole>;

/// Permissions checked around almost every call (reading the project, folder or organization,
/// using a project's quota, reading its services and recommender locations): they say nothing
/// about which API a role is for, so they never pull a service into a role.
pub const INCIDENTAL: [&str; 18] = [
    "recommender.locations.get",
    "recommender.locations.list",
    "resourcemanager.folders.get",
    "resourcemanager.folders.list",
    "resourcemanager.organizations.get",
    "resourcemanager.projects.get",
    "resourcemanager.projects.list",
    "serviceusage.consumerpolicy.analyze",
    "serviceusage.consumerpolicy.get",
    "serviceusage.effectivepolicy.get",
    "serviceusage.groups.list",
    "serviceusage.groups.listExpandedMembers",
    "serviceusage.groups.listMembers",
    "serviceusage.quotas.get",
    "serviceusage.services.get",
    "serviceusage.services.list",
    "serviceusage.services.use",
    "serviceusage.values.test",
];

/// Permissions that let the holder act as another service account.
pub const IMPERSONATION: [&str; 6] = [
    "iam.serviceAccounts.actAs",
    "iam.serviceAccounts.getAccessToken",
    "iam.serviceAccounts.getOpenIdToken",
    "iam.serviceAccounts.implicitDelegation",
    "iam.serviceAccounts.signBlob",
    "iam.serviceAccounts.signJwt",
];

/// Verbs (the last part of a permission, as a prefix) that only read.
const READ_VERBS: [&str; 43] = [
    "get",
    "list",
    "search",
    "view",
    "read",
    "fetch",
    "lookup",
    "query",
    "batchGet",
    "download",
    "access",
    "sampleRowKeys",
    "readRows",
    "getData",
    "getIamPolicy",
    "listTagBindings",
    "listEffectiveTags",
    "listAll",
    "getStatus",
    "getSettings",
    "getStats",
    "getScale",
    "getSummary",
    "getState",
    "getHealth",
    "getMetadata",
    "check",
    "analyze",
    "calculate",
    "aggregate",
    "resolve",
    "explain",
    "simulate",
    "summarize",
    "preview",
    "diagnose",
    "watch",
    "test",
    "validate",
    "find",
    "count",
    "describe",
    "browse",
];

/// Whether a permission only reads, judged by its verb.
pub fn is_read_permission(permission: &str) -> bool {
    let verb = permission.rsplit('.').next().unwrap_or(permission);
    READ_VERBS.iter().any(|v| verb.starts_with(v))
}

/// The kind of a permission in a role summary.
pub fn kind(permission: &str) -> Option<&'static str> {
    if INCIDENTAL.contains(&permission) {
        None
    } else if IMPERSONATION.contains(&permission) {
        Some("impersonation")
    } else if is_read_permission(permission) {
        Some("read")
    } else {
        Some("write")
    }
}

/// The summary of every role: title, stage, access and permission counts per prefix by kind.
pub fn summarize(raw: &RawRoles) -> RoleSummary {
    let roles = raw
        .iter()
        .map(|(name, r)| {
            let mut prefixes: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
            for p in &r.included_permissions {
                let Some(k) = kind(p) else { continue };
                let prefix = p.split('.').next().unwrap_or(p);
                *prefixes
                    .entry(prefix.to_string())
                    .or_default()
                    .entry(k.to_string())
                    .or_insert(0) += 1;
            }
            let writes = prefixes
                .values()
                .any(|m| m.contains_key("write") || m.contains_key("impersonation"));
            let access = if writes {
                "write"
            } else if prefixes.is_empty() {
                "none-significant"
            } else {
                "read-only"
            };
            let role = SummaryRole {
                t: r.title.clone(),
                st: r.stage.clone(),
                access: access.to_string(),
                prefixes,
            };
            (name.clone(), role)
        })
        .collect();
    RoleSummary { roles }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(kind("resourcemanager.projects.get"), None);
        assert_eq!(kind("iam.serviceAccounts.actAs"), Some("impersonation"));
        assert_eq!(kind("logging.logEntries.create"), Some("write"));
        assert_eq!(kind("secretmanager.versions.access"), Some("read"));
        assert_eq!(kind("storage.objects.getIamPolicy"), Some("read"));
    }
}
