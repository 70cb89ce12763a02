//! What the machine-readable formats say about each rule: descriptions, help,
//! tags and the rule's documentation page in `rules/` (also embedded here as
//! the SARIF `help.markdown`).

use crate::finding::{RuleMeta, Severity};

/// Where the rule pages are published: `{RULES_BASE_URI}SL001.md`.
pub const RULES_BASE_URI: &str = "https://github.com/scopelint/scopelint/blob/main/rules/";
/// The project's home page (SARIF `informationUri`).
pub const INFORMATION_URI: &str = "https://github.com/scopelint/scopelint";

/// Documentation of one rule.
#[derive(Debug)]
pub struct RuleDoc {
    pub code: &'static str,
    /// One or two sentences: what the rule reports.
    pub full_description: &'static str,
    /// Plain-text help: why it matters and how to fix it.
    pub help: &'static str,
    /// The rule's page in `rules/` (Markdown).
    pub markdown: &'static str,
    pub tags: &'static [&'static str],
    /// SARIF `precision`: how often a finding is a true positive.
    pub precision: &'static str,
}

const TAGS: &[&str] = &["gcp", "iam", "oauth-scopes", "correctness"];

pub static DOCS: &[RuleDoc] = &[
    RuleDoc {
        code: "SL001",
        full_description: "An API that the workload's service account holds an IAM role for accepts none of the workload's OAuth scopes, so every call to it fails with 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT although IAM allows it.",
        help: "Widen the workload's scopes: cloud-platform for a dedicated service account (IAM roles still limit it), or the narrowest scope the API accepts for the Compute Engine default service account, which often holds roles/editor. `scopelint check --fix` applies the patch. A running VM keeps its scopes until it is stopped: gcloud compute instances stop, set-service-account --scopes=..., start.",
        markdown: include_str!("../../rules/SL001.md"),
        tags: TAGS,
        precision: "high",
    },
    RuleDoc {
        code: "SL002",
        full_description: "The workload's OAuth scopes cover only part of what a granted IAM role is for: a warning when a whole class of methods (reads or writes) fails, a note when only some methods of a covered class fail.",
        help: "Add a scope that covers the failing methods (for example storage-rw next to roles/storage.objectAdmin), or cloud-platform for a dedicated service account. `scopelint check --fix` applies the patch.",
        markdown: include_str!("../../rules/SL002.md"),
        tags: TAGS,
        precision: "high",
    },
    RuleDoc {
        code: "SL003",
        full_description: "The workload has an empty scope list while its service account holds IAM roles that need scopes: no Google API accepts its tokens.",
        help: "List the scopes the granted roles need (cloud-platform for a dedicated service account), or remove the grants. `scopelint check --fix` applies the suggested scopes.",
        markdown: include_str!("../../rules/SL003.md"),
        tags: TAGS,
        precision: "very-high",
    },
    RuleDoc {
        code: "SL004",
        full_description: "A scope string is neither an alias the Terraform provider knows nor a known OAuth scope URL (a typo such as cloud_platform, or the gcloud-only alias default); it grants nothing.",
        help: "Use the nearest valid spelling scopelint suggests; `scopelint check --fix` applies it. Terraform has no `default` alias: list the scopes you need.",
        markdown: include_str!("../../rules/SL004.md"),
        tags: TAGS,
        precision: "very-high",
    },
    RuleDoc {
        code: "SL005",
        full_description: "An API that VM software typically calls is enabled in the configuration, and a workload whose identity may hold broad roles (the Compute Engine default service account, or one granted editor or owner) has no scope the API accepts.",
        help: "If the VM calls the API, add a scope it accepts (the finding names them). Otherwise nothing needs to change; consider a dedicated service account with only the roles the VM needs.",
        markdown: include_str!("../../rules/SL005.md"),
        tags: TAGS,
        precision: "medium",
    },
    RuleDoc {
        code: "SL006",
        full_description: "A command in the workload's own startup script (gcloud, gsutil, bq, docker pull, curl of a googleapis.com URL) calls a Google API that none of the workload's scopes is accepted by; the script runs with the VM's token, so the call fails whatever IAM roles the account holds.",
        help: "Add a scope the API accepts (cloud-platform for a dedicated service account, the narrowest sufficient scope for the Compute Engine default service account), or drop the call from the startup script. `scopelint check --fix` applies the patch.",
        markdown: include_str!("../../rules/SL006.md"),
        tags: TAGS,
        precision: "high",
    },
    RuleDoc {
        code: "SL007",
        full_description: "An instance has no service account while the Compute Engine default service account holds roles in the configuration: software on it gets no token.",
        help: "Attach a service account (preferably a dedicated one) with the scopes its roles need, or leave the VM without one on purpose.",
        markdown: include_str!("../../rules/SL007.md"),
        tags: TAGS,
        precision: "medium",
    },
    RuleDoc {
        code: "SL900",
        full_description: "A scopelint:ignore comment gives no reason, names no rule, has an invalid until= date, or suppresses nothing.",
        help: "Give the suppression a reason and the rule it silences, put it on the line above the resource or attribute (or at the end of that line), or remove it when the finding is gone.",
        markdown: include_str!("../../rules/SL900.md"),
        tags: &["scopelint", "maintainability"],
        precision: "very-high",
    },
];

/// The documentation of a rule, if written.
pub fn doc(code: &str) -> Option<&'static RuleDoc> {
    DOCS.iter().find(|d| d.code == code)
}

/// The URL of a rule's page.
pub fn help_uri(code: &str) -> String {
    format!("{RULES_BASE_URI}{code}.md")
}

/// Every rule scopelint reports, in code order.
pub fn all() -> Vec<&'static RuleMeta> {
    crate::check::RULES
        .iter()
        .map(|r| r.meta())
        .chain(std::iter::once(&crate::suppress::UNUSED))
        .collect()
}

/// SARIF `level` (and `defaultConfiguration.level`) of a severity.
pub fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// GitHub's `problem.severity` rule property of a severity.
pub fn problem_severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "recommendation",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_documented_with_its_page() {
        for meta in all() {
            let d = doc(meta.code).unwrap_or_else(|| panic!("{} has no RuleDoc", meta.code));
            let title = format!("# {} {}\n", meta.code, meta.name);
            assert!(
                d.markdown.starts_with(&title),
                "rules/{}.md must start with {title:?}",
                meta.code
            );
        }
    }
}
