//! What the machine-readable formats say about rules: where their pages are
//! published and how their severities map to SARIF and GitHub levels (each
//! rule's descriptions, help, tags and page are part of its `RuleMeta`).

use crate::finding::{RuleMeta, Severity};

/// Where the rule pages are published: `{RULES_BASE_URI}SL001.md`.
pub const RULES_BASE_URI: &str = "https://github.com/scopelint/scopelint/blob/main/rules/";
/// The project's home page (SARIF `informationUri`).
pub const INFORMATION_URI: &str = "https://github.com/scopelint/scopelint";

/// The URL of a rule's page.
pub fn help_uri(code: &str) -> String {
    format!("{RULES_BASE_URI}{code}.md")
}

/// Every rule scopelint reports, in code order.
pub fn all() -> Vec<&'static RuleMeta> {
    crate::check::all_rules().collect()
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
    fn every_rule_carries_its_own_page_and_descriptions() {
        for meta in all() {
            let title = format!("# {} {}\n", meta.code, meta.name);
            assert!(
                meta.page.starts_with(&title),
                "rules/{}.md must start with {title:?}",
                meta.code
            );
            assert!(!meta.full_description.is_empty() && !meta.help.is_empty());
            assert!(!meta.tags.is_empty(), "{}", meta.code);
        }
    }

    /// The configuration schema lists exactly the rules of the registry.
    #[test]
    fn the_configuration_schema_lists_every_rule() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../scopelint-config.schema.json"))
                .unwrap_or_default();
        let listed: Vec<&str> = schema["properties"]["rules"]["propertyNames"]["enum"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        let registered: Vec<&str> = all().iter().flat_map(|m| [m.code, m.name]).collect();
        assert_eq!(listed, registered);
    }
}
