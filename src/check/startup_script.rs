//! SL006 startup-script-not-covered: a command in the workload's own startup
//! script calls a Google API that none of the workload's scopes is accepted
//! by. The script runs on the VM with the VM's token, so the call fails with
//! `403 ACCESS_TOKEN_SCOPE_INSUFFICIENT` whatever IAM roles the account holds.
//! The commands and the scopes they need are in `rules/commands.json`.

use super::assess::{ApiVerdict, Assessment, Context, Verdict};
use super::report::{scope_finding, subject};
use super::rule::{Rule, TAGS};
use crate::finding::{Finding, Related, RuleMeta, Severity};
use crate::model::ApiCall;
use std::collections::{BTreeMap, BTreeSet};

pub struct StartupScriptNotCovered;

pub static META: RuleMeta = RuleMeta {
    code: "SL006",
    name: "startup-script-not-covered",
    severity: Severity::Error,
    summary: "A command in the workload's startup script calls an API its OAuth scopes do not cover",
    full_description: "A command in the workload's own startup script (gcloud, gsutil, bq, docker pull, curl of a googleapis.com URL) calls a Google API that none of the workload's scopes is accepted by; the script runs with the VM's token, so the call fails whatever IAM roles the account holds.",
    help: "Add a scope the API accepts (cloud-platform for a dedicated service account, the narrowest sufficient scope for the Compute Engine default service account), or drop the call from the startup script. `scopelint check --fix` applies the patch.",
    page: include_str!("../../rules/SL006.md"),
    tags: TAGS,
    precision: "high",
};

impl Rule for StartupScriptNotCovered {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Assessment<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some((identity, scopes)) = a.attached else {
            return;
        };
        if !scopes.complete || a.unrecognised_scope {
            return;
        }
        let mut failing: BTreeMap<&str, Vec<&ApiCall>> = BTreeMap::new();
        for s in &a.workload.startup {
            for c in &s.calls {
                if !c.uses.needs_any_of.iter().any(|x| a.granted.contains(x)) {
                    failing.entry(c.uses.api.as_str()).or_default().push(c);
                }
            }
        }
        if failing.is_empty() {
            return;
        }
        let verdicts: Vec<ApiVerdict<'_>> = failing
            .iter()
            .map(|(api, calls)| {
                let mut accepted: Vec<String> = calls
                    .first()
                    .map(|c| c.uses.needs_any_of.clone())
                    .unwrap_or_default();
                for c in calls {
                    accepted.retain(|s| c.uses.needs_any_of.contains(s));
                }
                ApiVerdict {
                    service: api.to_string(),
                    verdict: Verdict::Insufficient,
                    access: calls
                        .iter()
                        .map(|c| c.uses.access)
                        .max()
                        .unwrap_or(crate::knowledge::Access::Read),
                    roles: BTreeSet::new(),
                    short_roles: BTreeSet::new(),
                    grants: Vec::new(),
                    accepted,
                    failing: calls.iter().map(|c| &c.uses).collect(),
                    detail: String::new(),
                }
            })
            .collect();
        let refs: Vec<&ApiVerdict<'_>> = verdicts.iter().collect();
        let what: Vec<String> = failing
            .iter()
            .map(|(api, calls)| {
                let commands: BTreeSet<&str> = calls.iter().map(|c| c.command.as_str()).collect();
                format!(
                    "{api} ({})",
                    commands.into_iter().collect::<Vec<_>>().join(", ")
                )
            })
            .collect();
        let message = format!(
            "{} runs a startup script with the token of {identity}, but none of its scopes is accepted by {}: the script's calls fail with 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            subject(a.workload),
            what.join(", "),
        );
        let label = "these scopes do not cover what the startup script calls";
        let Some(mut f) = scope_finding(&META, META.severity, a, cx, &refs, message, label) else {
            return;
        };
        for calls in failing.values() {
            for c in calls {
                f.related.push(Related {
                    loc: c.loc.clone(),
                    message: format!(
                        "`{}` {} {} here",
                        c.command,
                        match c.uses.access {
                            crate::knowledge::Access::Read => "reads from",
                            crate::knowledge::Access::Write => "writes to",
                        },
                        c.uses.api
                    ),
                });
            }
        }
        out.push(f);
    }
}
