//! Builders the scope rules share: where a finding points, which grants it
//! relates to, the help text and the patch.

use super::assess::{ApiVerdict, Assessment, Context};
use crate::finding::{ApiUse, Finding, Fix, Related, RuleMeta, Severity, WorkloadRef};
use crate::fix::{Strategy, minimal_scopes, scopes_edits};
use crate::knowledge::{CLOUD_PLATFORM, Knowledge};
use crate::model::Workload;
use crate::shell::quote::quote;
use crate::source::Loc;

pub fn workload_ref(w: &Workload) -> WorkloadRef {
    WorkloadRef {
        kind: w.kind.clone(),
        address: w.address.clone(),
        name: w.name.clone(),
    }
}

/// `kind `name`` as messages name a workload.
pub fn subject(w: &Workload) -> String {
    if w.address.ends_with(&format!(".{}", w.name)) {
        format!("`{}`", w.address)
    } else {
        format!("`{}` ({})", w.address, w.name)
    }
}

/// "aiplatform.googleapis.com (roles/aiplatform.user), ..."
pub fn api_list(apis: &[&ApiVerdict<'_>]) -> String {
    apis.iter()
        .map(|a| {
            let roles: Vec<&str> = a.roles.iter().map(String::as_str).collect();
            format!("{} ({})", a.service, roles.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A scope as a Terraform user would write it: its alias, else its URL.
pub fn spell(kb: &Knowledge, short: &str) -> String {
    kb.terraform_alias(short)
        .map_or_else(|| Knowledge::url(short), str::to_string)
}

/// Where a scope finding points: the scopes value, else the account block, else the resource.
pub fn primary(w: &Workload, scopes_at: Option<&Loc>) -> Loc {
    scopes_at
        .or(w.account_block.as_ref())
        .unwrap_or(&w.block)
        .clone()
}

pub fn api_uses(apis: &[&ApiVerdict<'_>]) -> Vec<ApiUse> {
    apis.iter()
        .map(|a| ApiUse {
            service: a.service.clone(),
            roles: a.roles.iter().cloned().collect(),
            access: a.access,
            accepted_scopes: a.accepted.iter().map(|s| Knowledge::url(s)).collect(),
        })
        .collect()
}

/// A finding about scopes that do not cover `apis`, with help and patch.
pub fn scope_finding(
    meta: &'static RuleMeta,
    severity: Severity,
    a: &Assessment<'_>,
    cx: &Context<'_>,
    apis: &[&ApiVerdict<'_>],
    message: String,
    label: &str,
) -> Option<Finding> {
    let (identity, scopes) = a.attached?;
    let w = a.workload;
    let mut related = Assessment::grant_locations(apis);
    if let (Some(defined), Some(via)) = (&scopes.defined, &scopes.via)
        && scopes.at.as_ref() != Some(defined)
    {
        related.push(Related {
            loc: defined.clone(),
            message: format!("the scopes are defined here ({via})"),
        });
    }
    related.extend(scopes.trail.iter().map(|(loc, message)| Related {
        loc: loc.clone(),
        message: message.clone(),
    }));
    let mut help = Vec::new();
    for api in apis {
        let accepted: Vec<String> = api.accepted.iter().map(|s| spell(cx.kb, s)).collect();
        if !accepted.is_empty() {
            help.push(format!(
                "{} is fully usable with any one of: {}",
                api.service,
                accepted.join(", ")
            ));
        }
        if !api.detail.is_empty() && api.verdict != super::assess::Verdict::Insufficient {
            help.push(format!("{}: {}", api.service, api.detail));
        }
    }
    let failing: Vec<_> = apis
        .iter()
        .flat_map(|a| a.failing.iter().copied())
        .collect();
    let (strategy, why) = cx.strategy.resolve(identity);
    let add = match strategy {
        Strategy::CloudPlatform => vec![CLOUD_PLATFORM.to_string()],
        _ => minimal_scopes(cx.kb, &failing),
    };
    let mut new_scopes: Vec<String> = match strategy {
        Strategy::CloudPlatform => add.clone(),
        _ => a
            .granted
            .iter()
            .cloned()
            .chain(add.iter().cloned())
            .collect(),
    };
    new_scopes.sort();
    new_scopes.dedup();
    let fix = scopes_edits(cx.kb, cx.sources, scopes, strategy, &add).map(|edits| Fix {
        description: format!(
            "{} {}",
            match strategy {
                Strategy::CloudPlatform => "Replace the scopes with cloud-platform:".to_string(),
                _ => format!(
                    "Add {}:",
                    add.iter()
                        .map(|s| spell(cx.kb, s))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
            why
        ),
        edits,
    });
    match &fix {
        Some(f) => help.push(format!("suggested patch: {}", f.description)),
        None => help.push(format!(
            "set the scopes to include {} ({why})",
            add.iter()
                .map(|s| spell(cx.kb, s))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
    if let Some(via) = &scopes.via {
        help.push(format!(
            "the scopes come from {via}; check that every workload using it should get the new scopes"
        ));
    }
    if w.is_instance {
        help.extend(live_remediation(w, cx.kb, &new_scopes));
    }
    // Scopes nobody wrote (gcloud without --scopes): say where they come from.
    let label = match (&scopes.defaulted, &scopes.at) {
        (Some(d), None) => format!("{label} (no scopes given, so {d} apply)"),
        _ => label.to_string(),
    };
    Some(Finding {
        rule: meta,
        severity,
        message,
        primary: primary(w, scopes.at.as_ref()),
        label,
        workload: workload_ref(w),
        workload_loc: Some(w.block.clone()),
        identity: identity.to_string(),
        apis: api_uses(apis),
        related,
        help,
        fix,
    })
}

/// How to fix a VM that already exists: scopes change only while it is
/// stopped. One help line each, the commands indented; every word from the
/// scanned files is shell-quoted, so a hostile name never runs when pasted.
fn live_remediation(w: &Workload, kb: &Knowledge, scopes: &[String]) -> Vec<String> {
    let zone = w.zone.as_deref().map_or("ZONE".into(), quote);
    let project = w
        .project
        .as_ref()
        .map(|p| format!(" --project={}", quote(p)))
        .unwrap_or_default();
    let list: Vec<String> = scopes
        .iter()
        .map(|s| {
            kb.scopes
                .gcloud
                .aliases
                .iter()
                .find(|(_, v)| v.len() == 1 && v.first() == Some(s))
                .map_or_else(|| Knowledge::url(s), |(k, _)| k.clone())
        })
        .collect();
    let name = quote(&w.name);
    let at = format!("--zone={zone}{project}");
    vec![
        "for a VM that already exists, scopes change only while it is stopped:".to_string(),
        format!("  gcloud compute instances stop {name} {at}"),
        format!(
            "  gcloud compute instances set-service-account {name} {at} --scopes={}",
            quote(&list.join(","))
        ),
        format!("  gcloud compute instances start {name} {at}"),
    ]
}
