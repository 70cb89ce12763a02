//! What the machine-readable formats say about rules: where their pages are
//! published and how their severities map to SARIF and GitHub levels (each
//! rule's descriptions, help, tags and page are part of its `RuleMeta`).

use crate::finding::Severity;

/// Where the rule pages are published: `{RULES_BASE_URI}SL001.md`.
pub const RULES_BASE_URI: &str = "https://github.com/scopelint/scopelint/blob/main/rules/";
/// The project's home page (SARIF `informationUri`).
pub const INFORMATION_URI: &str = "https://github.com/scopelint/scopelint";

/// The URL of a rule's page.
pub fn help_uri(code: &str) -> String {
    format!("{RULES_BASE_URI}{code}.md")
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
