//! SL002 partial-scope: the scopes cover only part of what a granted role is
//! for. A warning when the role writes and only its reads work; a note when
//! only its writes work (write-only agent scopes, NOTES §0) or only some
//! methods of a covered class fail.

use super::assess::{Assessment, Context, Verdict};
use super::report::{api_list, scope_finding, subject};
use super::rule::{Rule, TAGS};
use crate::finding::{Finding, RuleMeta, Severity};

pub struct PartialScope;

pub static META: RuleMeta = RuleMeta {
    code: "SL002",
    name: "partial-scope",
    severity: Severity::Warning,
    summary: "The workload's OAuth scopes cover only part of what a granted role is for",
    full_description: "The workload's OAuth scopes cover only part of what a granted IAM role is for: a warning when a whole class of methods (reads or writes) fails, a note when only some methods of a covered class fail.",
    help: "Add a scope that covers the failing methods (for example storage-rw next to roles/storage.objectAdmin), or cloud-platform for a dedicated service account. `scopelint check --fix` applies the patch.",
    page: include_str!("../../rules/SL002.md"),
    tags: TAGS,
    precision: "high",
};

impl Rule for PartialScope {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Assessment<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some((identity, scopes)) = a.attached else {
            return;
        };
        if !scopes.complete || scopes.items.is_empty() {
            return;
        }
        for level in [Severity::Warning, Severity::Note] {
            let apis = a.with_verdict(Verdict::Partial(level));
            if apis.is_empty() {
                continue;
            }
            // Say which class of methods fails; lists of single methods go to the help.
            let classes: Vec<String> = apis
                .iter()
                .filter(|x| level == Severity::Warning || x.detail.ends_with(" methods fail"))
                .map(|x| format!("{}: {}", x.service, x.detail))
                .collect();
            let what = if classes.is_empty() {
                "some of their methods will fail".to_string()
            } else {
                classes.join("; ")
            };
            let message = format!(
                "{} runs as {identity}, whose scopes cover only part of {}: {what}",
                subject(a.workload),
                api_list(&apis),
            );
            let label = "these scopes cover the granted APIs only in part";
            // Warnings take precedence: one finding per workload and rule.
            let severity = if level == Severity::Warning {
                META.severity
            } else {
                Severity::Note
            };
            out.extend(scope_finding(&META, severity, a, cx, &apis, message, label));
            return;
        }
    }
}
