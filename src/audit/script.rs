//! The fix script of an audit: per VM with a finding, the gcloud commands
//! that give the running VM the scopes it needs. Scopes change only while a
//! VM is stopped, so the script stops, changes and starts each one; a VM
//! that is already stopped is changed and left stopped.

use super::{INSTANCE_KIND, Running};
use crate::finding::Finding;
use crate::knowledge::Knowledge;
use crate::quote::quote;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

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

/// Whether the script for `to_fix` changes a VM (else it is not written).
pub fn changes_a_vm(to_fix: &[ToFix]) -> bool {
    to_fix.iter().any(|f| place(&f.address).is_some())
}

/// The project and zone of a VM's address.
fn place(address: &str) -> Option<(&str, &str)> {
    Some((
        super::json::segment_after(address, "projects")?,
        super::json::segment_after(address, "zones")?,
    ))
}

/// Writes the script for `to_fix` to `out` a VM at a time (the script of a
/// large estate is never held whole); `false` when no running VM needs a
/// change, and then nothing is written.
pub fn write_fix_script(
    to_fix: &[ToFix],
    running: &[Running],
    kb: &Knowledge,
    out: &mut dyn Write,
) -> std::io::Result<bool> {
    let status: BTreeMap<&str, &str> = running
        .iter()
        .map(|r| (r.address.as_str(), r.status.as_str()))
        .collect();
    // (project, zone) -> instance address -> change; sorted, so the script is stable.
    let mut groups: BTreeMap<(&str, &str), BTreeMap<&str, Change<'_>>> = BTreeMap::new();
    for f in to_fix {
        let address = f.address.as_str();
        let Some((project, zone)) = place(address) else {
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
        return Ok(false);
    }
    let changes = groups.values().flat_map(BTreeMap::values);
    let stopped = changes.clone().filter(|c| c.stopped).count();
    let running = changes.count() - stopped;
    let mut out = std::io::BufWriter::new(out);
    out.write_all(
        b"#!/usr/bin/env bash\n\
          # Written by scopelint audit: gives each VM below the OAuth scopes its\n\
          # service account's roles need. Scopes change only while a VM is stopped:\n",
    )?;
    writeln!(
        out,
        "# the {running} running VM(s) below are stopped, changed and started, which is"
    )?;
    writeln!(
        out,
        "# downtime for what runs on them; {stopped} already stopped stay stopped."
    )?;
    out.write_all(
        b"# Read it before running it.\n\
          # The service account of each VM is kept; only the scopes change.\n\
          set -euo pipefail\n",
    )?;
    for ((project, zone), changes) in &groups {
        writeln!(out, "\n# project {project}, zone {zone}")?;
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
            writeln!(
                out,
                "# {} ({})",
                change.name.escape_debug(),
                rules.join(", ")
            )?;
            if change.stopped {
                writeln!(
                    out,
                    "# already stopped (TERMINATED): changed, and left stopped"
                )?;
            } else {
                writeln!(out, "gcloud compute instances stop {name} {at}")?;
            }
            writeln!(
                out,
                "gcloud compute instances set-service-account {name} {at} --scopes={}",
                quote(&list.join(","))
            )?;
            if !change.stopped {
                writeln!(out, "gcloud compute instances start {name} {at}")?;
            }
        }
    }
    out.flush()?;
    Ok(true)
}
