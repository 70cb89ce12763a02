//! SL004 unknown-scope: a scope string that is neither a Terraform alias nor a
//! known scope URL (a typo such as `cloud_platform`, or `"default"`, which the
//! Terraform provider does not expand). It covers nothing.
//!
//! A well-formed scope URL that no API in the knowledge base accepts and that
//! is near no known scope (`.../auth/projecthosting`, from old Cloud Source
//! Repositories tutorials) is not a typo: a legacy scope, or one newer than
//! the knowledge base. What it grants is not known, so it is only a note.

use super::assess::{Assessment, Context};
use super::report::{subject, workload_ref};
use super::rule::{Rule, TAGS};
use crate::finding::{Edit, Finding, Fix, Related, RuleMeta, Severity};

pub struct UnknownScope;

pub static META: RuleMeta = RuleMeta {
    code: "SL004",
    name: "unknown-scope",
    severity: Severity::Error,
    summary: "A scope is neither a known alias nor a known scope URL",
    full_description: "A scope string is neither an alias the Terraform provider knows nor a known OAuth scope URL (a typo such as cloud_platform, or the gcloud-only alias default); it grants nothing.",
    help: "Use the nearest valid spelling scopelint suggests; `scopelint check --fix` applies it. Terraform has no `default` alias: list the scopes you need.",
    page: include_str!("../../rules/SL004.md"),
    tags: TAGS,
    precision: "very-high",
};

impl Rule for UnknownScope {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Assessment<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let (Some((identity, scopes)), Some(first)) = (a.attached, a.unknown.first()) else {
            return;
        };
        let gcloud = scopes.dialect == crate::model::Dialect::Gcloud;
        let mut help = Vec::new();
        let mut edits = Vec::new();
        let mut related = Vec::new();
        // Well-formed scope URLs near no known scope: not typos.
        let mut unrecognised = 0;
        for item in &a.unknown {
            if &*item.raw == "default" && !gcloud {
                help.push(
                    "the Terraform provider has no `default` alias: list the scopes you need, for example \"cloud-platform\" or the explicit defaults (storage-ro, logging-write, monitoring-write, pubsub, service-management, service-control, trace)".to_string(),
                );
                continue;
            }
            let suggestion = if gcloud {
                cx.kb.suggest_gcloud(&item.raw)
            } else {
                cx.kb.suggest_terraform(&item.raw)
            };
            match suggestion {
                Some(s) => {
                    help.push(format!("`{}` is probably meant to be \"{s}\"", item.raw));
                    if let Some(loc) = &item.loc {
                        edits.push(Edit {
                            loc: loc.clone(),
                            // gcloud's items sit inside one comma-separated word
                            replacement: if gcloud { s } else { format!("\"{s}\"") },
                        });
                    }
                }
                None if cx.kb.is_unrecognised_scope_url(&item.raw) => {
                    unrecognised += 1;
                    help.push(format!(
                        "`{}` is a scope URL that no API in the knowledge base accepts (a legacy scope, or one newer than the knowledge base): check what needs it, and remove it if nothing does",
                        item.raw
                    ));
                }
                None => help.push(format!("`{}` matches no known scope", item.raw)),
            }
        }
        for item in a.unknown.iter().skip(1) {
            if let Some(loc) = &item.loc {
                related.push(Related {
                    loc: loc.clone(),
                    message: format!("unknown scope `{}`", item.raw),
                });
            }
        }
        let names: Vec<String> = a.unknown.iter().map(|i| format!("`{}`", i.raw)).collect();
        let only_unrecognised_urls = unrecognised == a.unknown.len();
        let (severity, message) = if only_unrecognised_urls {
            (
                Severity::Note,
                format!(
                    "{} has scope URLs that no API in the knowledge base accepts: {}; what they grant, if anything, is not known, so the workload's scopes are not judged further",
                    subject(a.workload),
                    names.join(", ")
                ),
            )
        } else {
            (
                META.severity,
                format!(
                    "{} has scopes that are neither {} alias nor a known scope URL: {}; they grant nothing",
                    subject(a.workload),
                    if gcloud { "a gcloud" } else { "a Terraform" },
                    names.join(", ")
                ),
            )
        };
        let fix = (!edits.is_empty()).then(|| {
            Fix::safe(
                "Replace each unknown scope with its nearest valid spelling".to_string(),
                edits,
            )
        });
        out.push(Finding {
            rule: &META,
            severity,
            message,
            primary: first
                .loc
                .clone()
                .unwrap_or_else(|| super::report::primary(a.workload, None)),
            label: "unknown scope".to_string(),
            workload: workload_ref(a.workload),
            workload_loc: Some(a.workload.block.clone()),
            identity: identity.to_string(),
            apis: Vec::new(),
            related,
            help: help.into_iter().map(Into::into).collect(),
            fix,
            alternatives: Vec::new(),
            patch: None,
            live_scopes: None,
        });
    }
}
