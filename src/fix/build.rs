//! The patch stage: turns what each rule asks for (a [`PatchRequest`]: the
//! scopes to add and why) into edits in the syntax the scopes are written
//! in, after the rules have run, so that rules never read or parse source.
//! Many workloads reading one Terraform list (a `count` resource, a
//! variable) share one patch, built once.

use super::Strategy;
use crate::finding::{Applicability, Edit, Finding, Fix, PatchRequest};
use crate::knowledge::Knowledge;
use crate::model::{Account, Dialect, Model};
use crate::source::{Loc, Sources};
use std::collections::HashMap;

/// What a Terraform scopes patch depends on: the list literal, how it widens, what it adds.
type PatchKey = (Loc, Strategy, Vec<String>);

/// Builds the patch of every finding that asks for one, and the help lines
/// that depend on whether there is one.
pub fn build_patches(findings: &mut [Finding], model: &Model, sources: &Sources, kb: &Knowledge) {
    let mut built: HashMap<PatchKey, Option<Vec<Edit>>> = HashMap::new();
    for f in findings.iter_mut() {
        let Some(request) = f.patch.take() else {
            continue;
        };
        let Some(w) = model.workloads.get(request.workload) else {
            continue;
        };
        let Account::Attached { scopes, .. } = &w.account else {
            continue;
        };
        let build = || super::scopes_edits(kb, sources, scopes, request.strategy, &request.add);
        let edits = match (scopes.dialect, &scopes.defined) {
            (Dialect::Terraform, Some(defined)) => built
                .entry((defined.clone(), request.strategy, request.add.clone()))
                .or_insert_with(build)
                .clone(),
            _ => build(),
        };
        let Some(edits) = edits else {
            continue;
        };
        let mut fix = Fix::safe(request.description.clone(), edits);
        if let Some(caveat) = request.caveat {
            fix.applicability = Applicability::Unsafe;
            fix.caveat = Some(caveat.to_string());
        }
        f.alternatives = super::terraform::allowing_stop(sources, w, &fix)
            .into_iter()
            .collect();
        apply_help(f, &request, &fix);
        f.fix = Some(fix);
    }
}

/// The help of a finding with a patch: the patch named where the help said
/// what to set, and the note on applying it to what runs.
fn apply_help(f: &mut Finding, request: &PatchRequest, fix: &Fix) {
    if let Some(line) = f.help.get_mut(request.help_at) {
        *line = format!("suggested patch: {}", fix.description);
    }
    let note = if f.alternatives.is_empty() {
        &request.apply_note
    } else {
        &request.apply_note_with_stop
    };
    if let Some(note) = note
        && request.note_at <= f.help.len()
    {
        f.help.insert(request.note_at, note.clone());
    }
}
