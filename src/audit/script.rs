//! The fix script of an audit: per VM with a finding, the gcloud commands
//! that give the running VM the scopes it needs. Scopes change only while a
//! VM is stopped, so the script stops, changes and starts each one; a VM
//! that is already stopped is changed and left stopped.

use super::{INSTANCE_KIND, Running};
use crate::finding::Finding;
use crate::knowledge::Knowledge;
use crate::quote::quote;
use std::collections::{BTreeMap, BTreeSet};

/// What a fix script needs of a finding on a VM: the VM, the rule, and
/// the scopes the VM gets. Kept for every such finding of an audit until
/// the script is written, so it holds nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToFix {
    pub address: String,
    pub name: String,
    pub rule: &'static str,
    pub scopes: Vec<String>,
}

impl ToFix {
    /// What the script needs of `f`, when it is about a VM whose scopes it sets.
    pub fn of(f: &Finding) -> Option<ToFix> {
        let (Some(scopes), true) = (&f.live_scopes, f.workload.kind == INSTANCE_KIND) else {
            return None;
        };
        Some(ToFix {
            address: f.workload.address.clone(),
            name: f.workload.name.clone(),
            rule: f.rule.code,
            scopes: scopes.clone(),
        })
    }
}

/// One VM to change: where it is, and the scopes it gets.
struct Change<'f> {
    name: &'f str,
    scopes: BTreeSet<&'f str>,
    rules: BTreeSet<&'static str>,
    stopped: bool,
}

/// The script for `to_fix`; `None` when no running VM needs a change.
pub fn fix_script(to_fix: &[ToFix], running: &[Running], kb: &Knowledge) -> Option<String> {
    let status: BTreeMap<&str, &str> = running
        .iter()
        .map(|r| (r.address.as_str(), r.status.as_str()))
        .collect();
    // (project, zone) -> instance address -> change; sorted, so the script is stable.
    let mut groups: BTreeMap<(&str, &str), BTreeMap<&str, Change<'_>>> = BTreeMap::new();
    for f in to_fix {
        let address = f.address.as_str();
        let (Some(project), Some(zone)) = (
            super::json::segment_after(address, "projects"),
            super::json::segment_after(address, "zones"),
        ) else {
            continue;
        };
        let change = groups
            .entry((project, zone))
            .or_default()
            .entry(address)
            .or_insert_with(|| Change {
                name: f.name.as_str(),
                scopes: BTreeSet::new(),
                rules: BTreeSet::new(),
                stopped: matches!(status.get(address), Some(&"TERMINATED")),
            });
        change.scopes.extend(f.scopes.iter().map(String::as_str));
        change.rules.insert(f.rule);
    }
    if groups.is_empty() {
        return None;
    }
    let changes = groups.values().flat_map(BTreeMap::values);
    let stopped = changes.clone().filter(|c| c.stopped).count();
    let running = changes.count() - stopped;
    let mut out = String::new();
    out.push_str("#!/usr/bin/env bash\n");
    out.push_str("# Written by scopelint audit: gives each VM below the OAuth scopes its\n");
    out.push_str("# service account's roles need. Scopes change only while a VM is stopped:\n");
    out.push_str(&format!(
        "# the {running} running VM(s) below are stopped, changed and started, which is\n"
    ));
    out.push_str(&format!(
        "# downtime for what runs on them; {stopped} already stopped stay stopped.\n"
    ));
    out.push_str("# Read it before running it.\n");
    out.push_str("# The service account of each VM is kept; only the scopes change.\n");
    out.push_str("set -euo pipefail\n");
    for ((project, zone), changes) in &groups {
        out.push_str(&format!("\n# project {project}, zone {zone}\n"));
        let at = format!("--project={} --zone={}", quote(project), quote(zone));
        for change in changes.values() {
            let name = quote(change.name);
            let list: Vec<String> = change
                .scopes
                .iter()
                .map(|s| {
                    kb.gcloud_alias(s)
                        .map_or_else(|| Knowledge::url(s), str::to_string)
                })
                .collect();
            let rules: Vec<&str> = change.rules.iter().copied().collect();
            out.push_str(&format!(
                "# {} ({})\n",
                change.name.escape_debug(),
                rules.join(", ")
            ));
            if change.stopped {
                out.push_str("# already stopped (TERMINATED): changed, and left stopped\n");
            } else {
                out.push_str(&format!("gcloud compute instances stop {name} {at}\n"));
            }
            out.push_str(&format!(
                "gcloud compute instances set-service-account {name} {at} --scopes={}\n",
                quote(&list.join(","))
            ));
            if !change.stopped {
                out.push_str(&format!("gcloud compute instances start {name} {at}\n"));
            }
        }
    }
    Some(out)
}
