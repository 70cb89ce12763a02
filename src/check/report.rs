//! Builders the scope rules share: where a finding points, which grants it
//! relates to, the help text and the patch.

use super::assess::{ApiVerdict, Assessment, Context};
use super::strategy::{Strategy, minimal_scopes};
use crate::finding::{ApiUse, Finding, PatchRequest, Related, RuleMeta, Severity, WorkloadRef};
use crate::knowledge::{CLOUD_PLATFORM, Knowledge};
use crate::model::{StopToUpdate, Workload};
use crate::quote::quote;
use crate::source::Loc;
use std::collections::BTreeSet;

pub fn workload_ref(w: &Workload) -> WorkloadRef {
    WorkloadRef {
        kind: w.kind.clone(),
        address: w.address.clone(),
        name: w.name.clone(),
    }
}

/// `kind `name`` as messages name a workload.
pub fn subject(w: &Workload) -> String {
    // Terraform addresses end `.NAME`, Config Connector ones `/NAME`.
    if w.address.ends_with(&format!(".{}", w.name)) || w.address.ends_with(&format!("/{}", w.name))
    {
        format!("`{}`", w.address)
    } else {
        format!("`{}` ({})", w.address, w.name)
    }
}

/// "aiplatform.googleapis.com (roles/aiplatform.user), ..."
pub fn api_list(apis: &[&ApiVerdict<'_>]) -> String {
    apis.iter()
        .map(|a| {
            let roles: Vec<&str> = a.named_roles().iter().map(String::as_str).collect();
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
            roles: a.named_roles().iter().cloned().collect(),
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
    let roles: BTreeSet<&String> = apis.iter().flat_map(|a| a.named_roles()).collect();
    related.extend(roles.into_iter().filter_map(|role| {
        let d = cx.role_definitions.get(role.as_str())?;
        Some(Related {
            loc: d.loc.clone(),
            message: format!("{role} is defined here ({})", d.address),
        })
    }));
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
    let (strategy, _) = cx.strategy.resolve(identity);
    let add = match strategy {
        Strategy::CloudPlatform => vec![CLOUD_PLATFORM.to_string()],
        _ => minimal_scopes(cx.kb, &failing),
    };
    let adds_cloud_platform = add.iter().any(|s| s == CLOUD_PLATFORM);
    let why = patch_reason(cx.strategy, strategy, identity, adds_cloud_platform, apis);
    // gcloud patches that bring cloud-platform write it in place of the listed
    // scopes (it covers them): that is a replacement, and is called one.
    let replaces = strategy == Strategy::CloudPlatform
        || (scopes.dialect == crate::model::Dialect::Gcloud && adds_cloud_platform);
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
    // The patch stage builds the edits; until then the help says what to set.
    let help_at = help.len();
    help.push(format!(
        "set the scopes to include {} ({why})",
        add.iter()
            .map(|s| spell(cx.kb, s))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if let Some(via) = &scopes.via {
        help.push(format!(
            "the scopes come from {via}; check that every workload using it should get the new scopes"
        ));
    }
    let note_at = help.len();
    if w.is_instance {
        help.extend(live_remediation(w, cx.kb, &new_scopes));
    }
    if identity.is_default_compute() && adds_cloud_platform {
        help.extend(dedicated_account(w, scopes.dialect, apis));
    }
    // Only scopes written where a patch can go get one (not an exported VM's).
    let patch = scopes.has_patch_site().then(|| {
        let description = format!(
            "{} {}",
            match replaces {
                true => "Replace the scopes with cloud-platform:".to_string(),
                false => format!(
                    "Add {}:",
                    add.iter()
                        .map(|s| spell(cx.kb, s))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
            why
        );
        PatchRequest {
            workload: a.index,
            strategy,
            add,
            description,
            caveat: replaces_on_deploy(w),
            help_at,
            note_at,
            apply_note: apply_note(w),
        }
    });
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
        help: help.into_iter().map(Into::into).collect(),
        fix: None,
        alternatives: Vec::new(),
        patch,
        live_scopes: w.is_instance.then_some(new_scopes),
    })
}

/// Why deploying a scopes patch replaces what may be running, for the
/// resources whose scopes cannot change in place: such a patch is unsafe.
fn replaces_on_deploy(w: &Workload) -> Option<&'static str> {
    if w.address.ends_with(".auto_provisioning_defaults") {
        return None;
    }
    match w.kind.as_str() {
        "google_container_node_pool" | "google_container_cluster" => {
            Some("deploying it replaces the node pool (or the cluster's default pool)")
        }
        "google_composer_environment" => Some(
            "the Cloud Composer API cannot update oauth_scopes, so deploying it may replace the environment",
        ),
        _ => None,
    }
}

/// What applying a scopes patch does to what already runs.
fn apply_note(w: &Workload) -> Option<String> {
    // Auto-provisioning defaults are not a pool: what a change does to the
    // pools already created is not sourced, so nothing is said.
    if w.address.ends_with(".auto_provisioning_defaults") {
        return None;
    }
    match w.kind.as_str() {
        "google_compute_instance" if w.stop_to_update == StopToUpdate::Allowed => Some(
            "allow_stopping_for_update = true is set, so terraform apply stops and starts a running VM to change its scopes".to_string(),
        ),
        "google_compute_instance" => Some(
            "to apply the patch to a running VM, the resource needs allow_stopping_for_update = true (the provider then stops and starts it); without it, terraform apply fails".to_string(),
        ),
        // The Cloud Composer API documents NodeConfig.oauth_scopes as not updatable.
        "google_composer_environment" => Some(
            "the Cloud Composer API cannot update an environment's oauth_scopes: check the plan before applying the patch (a replaced environment loses its state; creating a new one and moving the DAGs is the safe path)".to_string(),
        ),
        // Not when the scopes are the template's: the patch does not touch the instance.
        "ComputeInstance" if matches!(&w.account, crate::model::Account::Attached { scopes, .. } if scopes.trail.is_empty()) => Some(
            "to apply the patch to a running VM, the object needs the annotation cnrm.cloud.google.com/allow-stopping-for-update: \"true\" (Config Connector then stops and starts it)".to_string(),
        ),
        "ContainerNodePool" | "ContainerCluster" => Some(
            "nodeConfig is immutable: to roll the new scopes out without downtime, create a new ContainerNodePool with them, cordon and drain the old nodes (kubectl cordon, kubectl drain), then delete the old pool".to_string(),
        ),
        "google_container_node_pool" | "google_container_cluster" => Some(
            "changing oauth_scopes replaces the node pool (or the cluster's default pool): to roll it without downtime, create a new pool with the new scopes, cordon and drain the old nodes (kubectl cordon, kubectl drain), then delete the old pool".to_string(),
        ),
        _ => None,
    }
}

/// Why the patch widens the scopes the way it does, in words that match it.
fn patch_reason(
    requested: Strategy,
    strategy: Strategy,
    identity: &crate::model::Identity,
    adds_cloud_platform: bool,
    apis: &[&ApiVerdict<'_>],
) -> String {
    match (requested, strategy) {
        (Strategy::CloudPlatform, _) => "uses cloud-platform, as requested".to_string(),
        (Strategy::Minimal, _) => "adds the narrowest sufficient scopes, as requested".to_string(),
        (Strategy::Auto, Strategy::CloudPlatform) => "uses cloud-platform, Google's recommendation for a dedicated service account: IAM roles still limit what it can do".to_string(),
        (Strategy::Auto, _) if identity.is_default_compute() && adds_cloud_platform => {
            let names: Vec<&str> = apis.iter().map(|a| a.service.as_str()).collect();
            format!(
                "{} {} no narrower scope, so the VM gets cloud-platform and can then use everything the Compute Engine default service account's roles allow (often roles/editor on the whole project); a dedicated service account holding only the roles it needs is the better fix",
                names.join(", "),
                if names.len() == 1 { "accepts" } else { "accept" }
            )
        }
        (Strategy::Auto, _) => "adds the narrowest sufficient scopes: the Compute Engine default service account often holds roles/editor, and cloud-platform would open the whole project to the VM".to_string(),
    }
}

/// The better fix for a default-account VM that needs cloud-platform: a
/// service account of its own that holds just the roles it uses. One help
/// line each, the lines to write indented.
fn dedicated_account(
    w: &Workload,
    dialect: crate::model::Dialect,
    apis: &[&ApiVerdict<'_>],
) -> Vec<String> {
    let roles: BTreeSet<&str> = apis
        .iter()
        .flat_map(|a| a.named_roles().iter().map(String::as_str))
        .collect();
    let id = account_id(&w.name);
    let project = w
        .project
        .clone()
        .unwrap_or_else(|| "PROJECT_ID".to_string());
    // A startup script's calls (SL006) need an API, not a role that grants it.
    let holds = match roles.is_empty() {
        true => "the roles its calls need".to_string(),
        false => roles.iter().copied().collect::<Vec<_>>().join(", "),
    };
    let mut out = vec![format!(
        "better: run {} as a dedicated service account that holds only {holds}:",
        w.name,
    )];
    match dialect {
        crate::model::Dialect::Terraform => {
            let project = project.replace('\\', "\\\\").replace('"', "\\\"");
            out.push(format!("  resource \"google_service_account\" \"{id}\" {{"));
            out.push(format!("    account_id = \"{id}\""));
            out.push("  }".to_string());
            for (i, role) in roles.iter().enumerate() {
                out.push(format!(
                    "  resource \"google_project_iam_member\" \"{id}-{i}\" {{"
                ));
                out.push(format!("    project = \"{project}\""));
                out.push(format!("    role    = \"{role}\""));
                out.push(format!(
                    "    member  = \"serviceAccount:${{google_service_account.{id}.email}}\""
                ));
                out.push("  }".to_string());
            }
            let (block, email, scopes) = account_attributes(w);
            out.push(format!("  and in the {block}:"));
            out.push(format!("    {email} = google_service_account.{id}.email"));
            out.push(format!("    {scopes} = [\"cloud-platform\"]"));
        }
        crate::model::Dialect::ConfigConnector => {
            out.push("  apiVersion: iam.cnrm.cloud.google.com/v1beta1".to_string());
            out.push("  kind: IAMServiceAccount".to_string());
            out.push("  metadata:".to_string());
            out.push(format!("    name: {id}"));
            for (i, role) in roles.iter().enumerate() {
                out.push("  ---".to_string());
                out.push("  apiVersion: iam.cnrm.cloud.google.com/v1beta1".to_string());
                out.push("  kind: IAMPolicyMember".to_string());
                out.push("  metadata:".to_string());
                out.push(format!("    name: {id}-{i}"));
                out.push("  spec:".to_string());
                out.push("    memberFrom:".to_string());
                out.push("      serviceAccountRef:".to_string());
                out.push(format!("        name: {id}"));
                out.push(format!("    role: {role}"));
                out.push("    resourceRef:".to_string());
                out.push("      kind: Project".to_string());
                out.push(format!("      external: {project}"));
            }
            out.push(
                "  and in the workload: serviceAccountRef: {name: ".to_string()
                    + &id
                    + "} with the scopes [cloud-platform]",
            );
        }
        crate::model::Dialect::Gcloud => {
            let project = quote(&project);
            let email = format!("{id}@{project}.iam.gserviceaccount.com");
            out.push(format!(
                "  gcloud iam service-accounts create {id} --project={project}"
            ));
            for role in &roles {
                out.push(format!(
                    "  gcloud projects add-iam-policy-binding {project} --member=serviceAccount:{email} --role={}",
                    quote(role)
                ));
            }
            match w.kind.as_str() {
                // A running VM keeps its name: it moves to the account while stopped.
                crate::model::INSTANCE_ASSET => out.extend([
                    "  and, while the VM is stopped:".to_string(),
                    format!(
                    "  gcloud compute instances set-service-account {} --zone={}{} --service-account={email} --scopes=cloud-platform",
                    quote(&w.name),
                    w.zone.as_deref().map_or("ZONE".into(), quote),
                    w.project
                        .as_ref()
                        .map(|p| format!(" --project={}", quote(p)))
                        .unwrap_or_default(),
                ),
                ]),
                crate::model::NODE_POOL_ASSET => out.push(format!(
                    "  and create a node pool with --service-account={email} --scopes=cloud-platform (a pool's account cannot change), then move the workloads to it"
                )),
                _ => out.push(format!(
                    "  and create the VM with --service-account={email} --scopes=cloud-platform"
                )),
            }
        }
    }
    out
}

/// Where a Terraform workload names its account and scopes: the block and
/// its email and scopes attributes (padded to the same width).
fn account_attributes(w: &Workload) -> (&'static str, String, String) {
    let (block, email, scopes) = match w.kind.as_str() {
        "google_container_cluster" if w.address.ends_with(".auto_provisioning_defaults") => (
            "cluster_autoscaling.auto_provisioning_defaults block",
            "service_account",
            "oauth_scopes",
        ),
        "google_container_cluster" | "google_container_node_pool" => {
            ("node_config block", "service_account", "oauth_scopes")
        }
        "google_composer_environment" => (
            "config.node_config block",
            "service_account",
            "oauth_scopes",
        ),
        "google_dataproc_cluster" => (
            "cluster_config.gce_cluster_config block",
            "service_account",
            "service_account_scopes",
        ),
        "google_dataproc_workflow_template" => (
            "placement.managed_cluster.config.gce_cluster_config block",
            "service_account",
            "service_account_scopes",
        ),
        "google_tpu_v2_vm" => ("service_account block", "email", "scope"),
        _ => ("VM's service_account block", "email", "scopes"),
    };
    let width = email.len().max(scopes.len());
    (block, format!("{email:width$}"), format!("{scopes:width$}"))
}

/// A service account ID made from a workload name: lowercase letters, digits
/// and hyphens, 6 to 30 characters, starting with a letter.
fn account_id(name: &str) -> String {
    let mut id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    id = id.trim_matches('-').to_string();
    if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        id.insert_str(0, "vm-");
    }
    id.truncate(26);
    let id = id.trim_end_matches('-').to_string();
    format!("{id}-sa")
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
