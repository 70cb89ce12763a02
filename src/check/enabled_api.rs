//! SL005 enabled-api-not-covered: the configuration enables an API that VM
//! software typically calls, and a workload running as an identity that may
//! hold broad roles (the Compute Engine default account, or one granted
//! editor/owner) has no scope that API accepts. Only APIs marked `workload` in
//! the knowledge base count: infrastructure APIs say nothing about the VM.
//!
//! A note, never an error or a warning: an enabled API is evidence, not a
//! broken call. It is often enabled for another consumer in the same project
//! (KMS for a managed service's CMEK, Pub/Sub for Eventarc), and where the org
//! policy `iam.automaticIamGrantsForDefaultServiceAccounts` is enforced the
//! default account holds no role at all.

use super::assess::{ApiVerdict, Assessment, Context, Verdict};
use super::report::{primary, spell, subject, workload_ref};
use super::rule::{Rule, TAGS};
use crate::finding::{ApiUse, Finding, Related, RuleMeta, Severity};
use crate::knowledge::{Access, Knowledge};
use crate::model::WorkloadIdentity;

pub struct EnabledApiNotCovered;

pub static META: RuleMeta = RuleMeta {
    code: "SL005",
    name: "enabled-api-not-covered",
    severity: Severity::Note,
    summary: "An API enabled in the configuration is not covered by the scopes of a workload whose identity may hold broad roles",
    full_description: "An API that VM software typically calls is enabled in the configuration, and a workload whose identity may hold broad roles (the Compute Engine default service account, or one granted editor or owner) has no scope the API accepts.",
    help: "If the VM calls the API, add a scope it accepts (the finding names them). Otherwise nothing needs to change; consider a dedicated service account with only the roles the VM needs.",
    page: include_str!("../../rules/SL005.md"),
    tags: TAGS,
    precision: "medium",
};

impl Rule for EnabledApiNotCovered {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Assessment<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some((identity, scopes)) = a.attached else {
            return;
        };
        let may_be_broad = identity.is_default_compute() || !a.broad_roles.is_empty();
        // With Workload Identity, pods do not call APIs with the node's token.
        let node_only = scopes.workload_identity != WorkloadIdentity::Off;
        if !scopes.complete || a.unrecognised_scope || !may_be_broad || node_only {
            return;
        }
        let mut apis = Vec::new();
        for (service, enabled) in &cx.enabled_for(a.workload) {
            let Some((_, api)) = cx.kb.api(service) else {
                continue;
            };
            let reported = a
                .apis
                .get(*service)
                .is_some_and(|v: &ApiVerdict<'_>| v.verdict == Verdict::Insufficient);
            if api.workload && !reported && !api.accepts_any(&a.granted) {
                apis.push((*service, *enabled, api));
            }
        }
        if apis.is_empty() {
            return;
        }
        let holds = if a.broad_roles.is_empty() {
            "which may hold roles/editor".to_string()
        } else {
            format!(
                "which holds {}",
                a.broad_roles
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" and ")
            )
        };
        let names: Vec<&str> = apis.iter().map(|(s, _, _)| *s).collect();
        let message = format!(
            "{} runs as {identity}, {holds}; {} {} enabled in this configuration but none of the workload's scopes is accepted by {}: if software on this workload calls {}, the calls fail (evidence, not a known broken call: the API may be enabled for something else)",
            subject(a.workload),
            names.join(", "),
            if names.len() == 1 { "is" } else { "are" },
            if names.len() == 1 { "it" } else { "them" },
            if names.len() == 1 { "it" } else { "them" },
        );
        let related = apis
            .iter()
            .map(|(s, e, _)| Related {
                loc: e.loc.clone(),
                message: format!("{s} enabled here"),
            })
            .collect();
        let help = apis
            .iter()
            .map(|(s, _, api)| {
                let accepted: Vec<String> = api.read.all.iter().map(|x| spell(cx.kb, x)).collect();
                format!("if the VM calls {s}, add one of: {}", accepted.join(", ")).into()
            })
            .collect();
        out.push(Finding {
            rule: &META,
            severity: META.severity,
            message,
            primary: primary(a.workload, scopes.at.as_ref()),
            label: "these scopes cover none of the enabled APIs".to_string(),
            workload: workload_ref(a.workload),
            workload_loc: Some(a.workload.block.clone()),
            identity: identity.to_string(),
            apis: apis
                .iter()
                .map(|(s, _, api)| ApiUse {
                    service: s.to_string(),
                    roles: a.broad_roles.iter().cloned().collect(),
                    access: Access::Read,
                    accepted_scopes: api.read.all.iter().map(|x| Knowledge::url(x)).collect(),
                })
                .collect(),
            related,
            help,
            fix: None,
            alternatives: Vec::new(),
            patch: None,
            live_scopes: None,
        });
    }
}
