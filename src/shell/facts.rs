//! Turns the commands a script runs into model facts: workloads from
//! `gcloud compute instances create` and friends, grants from
//! `add-iam-policy-binding` and `gsutil iam ch`, enabled APIs from
//! `gcloud services enable`, and the changes `set-service-account` makes.
//!
//! Defaulting follows gcloud (see `rules/scopes.json` and the README): no
//! `--scopes` means gcloud's `default` set, no `--service-account` the
//! Compute Engine default account, `--no-scopes` without `--service-account`
//! no account at all.
//!
//! This file reads each command and hands it on: workloads are built in
//! [`super::workloads`] (with `--scopes` flags read by
//! [`super::scope_flags`]) and grants in [`super::grants`].

use super::argv::{self, Invocation};
use super::grants::{grant, gsutil_iam_ch, revoke, role_change, role_definition};
use super::interp::{Cmd, Trace};
use super::script::{Creates, Pending, Script, flag_text};
use super::workloads::{create, set_service_account};
use crate::knowledge::Knowledge;
use crate::model::{EnabledApi, Model, Project, Unit, Unresolved};
use std::collections::BTreeMap;

/// Reads the facts of one script into `model`.
pub fn extract(trace: &Trace, sc: &Script<'_>, kb: &Knowledge, model: &mut Model) {
    let mut pending: Vec<Pending> = Vec::new();
    let mut project: Option<String> = None;
    for (range, why) in &trace.skipped {
        model.unresolved.push(Unresolved {
            loc: sc.loc(range),
            what: why.clone(),
        });
    }
    for cmd in &trace.cmds {
        let Some(inv) = argv::read(&cmd.argv) else {
            continue;
        };
        match inv.program.as_str() {
            "gcloud" => gcloud(cmd, &inv, sc, kb, &mut project, &mut pending, model),
            "gsutil" if inv.path == ["iam", "ch"] => gsutil_iam_ch(cmd, &inv, sc, model),
            _ => {}
        }
    }
    // Addresses: FILE:LINE, with the name when one command makes several workloads.
    let mut per_node: BTreeMap<usize, usize> = BTreeMap::new();
    for p in pending.iter().filter(|p| p.part.is_none()) {
        *per_node.entry(p.node).or_default() += 1;
    }
    for mut p in pending {
        p.w.address = if per_node.get(&p.node).copied().unwrap_or(0) > 1 {
            format!("{}:{}[{}]", sc.display, p.line, p.w.name)
        } else {
            format!("{}:{}", sc.display, p.line)
        };
        p.w.address.push_str(p.part.unwrap_or(""));
        model.workloads.push(p.w);
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn gcloud(
    cmd: &Cmd,
    inv: &Invocation,
    sc: &Script<'_>,
    kb: &Knowledge,
    project: &mut Option<String>,
    pending: &mut Vec<Pending>,
    model: &mut Model,
) {
    let path: Vec<&str> = inv.path.iter().map(String::as_str).collect();
    if let Some(creates) = Creates::of(&inv.path) {
        create(
            cmd,
            inv,
            creates,
            sc,
            kb,
            project.as_deref(),
            pending,
            model,
        );
        return;
    }
    match path.as_slice() {
        ["compute", "instances", "set-service-account"] => {
            set_service_account(cmd, inv, sc, kb, project.as_deref(), pending, model)
        }
        ["config", "set"] => {
            let args: Vec<Option<String>> = inv.args.iter().map(|&i| cmd.argv[i].text()).collect();
            if let [Some(key), value] = args.as_slice()
                && (key == "project" || key == "core/project")
            {
                *project = value.clone();
            }
        }
        ["services", "enable"] => {
            let enable_project = flag_text(inv, &["--project"]).or(project.clone());
            for &i in &inv.args {
                let w = &cmd.argv[i];
                match w.text() {
                    Some(t) if !w.splat => {
                        let service = if t.contains('.') {
                            t
                        } else {
                            format!("{t}.googleapis.com")
                        };
                        model.enabled_apis.push(EnabledApi {
                            service,
                            loc: sc.loc(&w.span),
                            project: enable_project.as_deref().and_then(Project::id),
                            unit: Unit::default(),
                        });
                    }
                    _ => model.unresolved.push(Unresolved {
                        loc: sc.loc(&w.span),
                        what: "gcloud services enable: a service name is not known".into(),
                    }),
                }
            }
        }
        ["iam", "roles", "create"] => role_definition(cmd, inv, sc, project.as_deref(), model),
        ["iam", "roles", "update" | "delete" | "undelete"] => {
            role_change(cmd, inv, sc, project.as_deref(), model)
        }
        [.., "add-iam-policy-binding"] => grant(cmd, inv, sc, model),
        [.., "remove-iam-policy-binding"] => revoke(cmd, inv, sc, model),
        _ => {}
    }
}
