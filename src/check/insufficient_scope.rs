//! SL001 insufficient-scope: the identity holds a role for an API that accepts
//! none of the workload's scopes, so every call fails with
//! `403 ACCESS_TOKEN_SCOPE_INSUFFICIENT` although IAM allows it.

use super::assess::{Assessment, Context, Verdict};
use super::report::{api_list, scope_finding, subject};
use super::rule::{Rule, TAGS};
use crate::finding::{Finding, RuleMeta, Severity};

pub struct InsufficientScope;

pub static META: RuleMeta = RuleMeta {
    code: "SL001",
    name: "insufficient-scope",
    severity: Severity::Error,
    summary: "An API the identity holds a role for accepts none of the workload's OAuth scopes",
    full_description: "An API that the workload's service account holds an IAM role for accepts none of the workload's OAuth scopes, so every call to it fails with 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT although IAM allows it.",
    help: "Widen the workload's scopes: cloud-platform for a dedicated service account (IAM roles still limit it), or the narrowest scope the API accepts for the Compute Engine default service account, which often holds roles/editor. `scopelint check --fix` applies the patch. A running VM keeps its scopes until it is stopped: gcloud compute instances stop, set-service-account --scopes=..., start.",
    page: include_str!("../../rules/SL001.md"),
    tags: TAGS,
    precision: "high",
};

impl Rule for InsufficientScope {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Assessment<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some((identity, scopes)) = a.attached else {
            return;
        };
        // An empty list is SL003's; an incomplete one may hold the missing scope.
        if !scopes.complete || scopes.items.is_empty() {
            return;
        }
        let apis = a.with_verdict(Verdict::Insufficient);
        if apis.is_empty() {
            return;
        }
        let message = format!(
            "{} runs as {identity}, but none of its scopes is accepted by {}: calls fail with 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT although IAM allows them",
            subject(a.workload),
            api_list(&apis),
        );
        let label = "these scopes do not cover the granted APIs";
        out.extend(scope_finding(
            &META,
            META.severity,
            a,
            cx,
            &apis,
            message,
            label,
        ));
    }
}
