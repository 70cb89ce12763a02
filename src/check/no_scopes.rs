//! SL003 no-scopes: an empty scope list while the identity holds roles that
//! need scopes: the metadata server mints tokens that no Google API accepts.

use super::assess::{Assessment, Context, Verdict};
use super::report::{api_list, scope_finding, subject};
use super::rule::{Rule, TAGS};
use crate::finding::{Finding, RuleMeta, Severity};

pub struct NoScopes;

pub static META: RuleMeta = RuleMeta {
    code: "SL003",
    name: "no-scopes",
    severity: Severity::Error,
    summary: "The workload has an empty scope list while its identity holds roles",
    full_description: "The workload has an empty scope list while its service account holds IAM roles that need scopes: no Google API accepts its tokens.",
    help: "List the scopes the granted roles need (cloud-platform for a dedicated service account), or remove the grants. `scopelint check --fix` applies the suggested scopes.",
    page: include_str!("../../rules/SL003.md"),
    tags: TAGS,
    precision: "very-high",
};

impl Rule for NoScopes {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Assessment<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some((identity, scopes)) = a.attached else {
            return;
        };
        if !scopes.complete || !scopes.items.is_empty() || scopes.at.is_none() {
            return;
        }
        let apis: Vec<_> = a
            .apis
            .values()
            .filter(|x| x.verdict != Verdict::Sufficient)
            .collect();
        if apis.is_empty() {
            return;
        }
        let message = format!(
            "{} has an empty scope list, so {identity} can call no Google API, yet it holds roles for {}",
            subject(a.workload),
            api_list(&apis),
        );
        out.extend(scope_finding(
            &META,
            META.severity,
            a,
            cx,
            &apis,
            message,
            "empty scope list",
        ));
    }
}
