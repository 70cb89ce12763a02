//! The patch stage: turns what each rule asks for (a [`PatchRequest`]: the
//! scopes to add and why) into edits in the syntax the scopes are written
//! in, after the rules have run, so that rules never read or parse source.
//! Many workloads reading one Terraform list (a `count` resource, a
//! variable) share one patch, built once. Every patch is then checked by
//! parsing each patched file once ([`super::verify`]).

use super::Strategy;
use crate::finding::{Applicability, Edit, Finding, Fix, PatchRequest};
use crate::knowledge::Knowledge;
use crate::model::{Account, Dialect, Model};
use crate::source::{Loc, Sources};
use std::collections::HashMap;

/// What a Terraform scopes patch depends on: the list literal, how it widens, what it adds.
type PatchKey = (Loc, Strategy, Vec<String>);

/// How to apply the fuller patch that lets a VM stop, said after the apply note.
const STOP_HINT: &str = " (`scopelint check --fix --unsafe-fixes` adds it with the scopes)";

/// A finding's patch as built, before it is checked.
struct Built {
    finding: usize,
    request: PatchRequest,
    fix: Fix,
    alternative: Option<Fix>,
}

/// Builds the patch of every finding that asks for one, and the help lines
/// that depend on whether there is one; returns the workload (its index in
/// the model) each finding asked a patch for.
pub fn build_patches(
    findings: &mut [Finding],
    model: &Model,
    sources: &Sources,
    kb: &Knowledge,
    kept: Option<&super::verify::Verdicts>,
) -> Vec<Option<usize>> {
    let mut memo: HashMap<PatchKey, Option<Vec<Edit>>> = HashMap::new();
    let mut built: Vec<Built> = Vec::new();
    let mut workload_of = vec![None; findings.len()];
    for (i, f) in findings.iter_mut().enumerate() {
        let Some(mut request) = f.patch.take() else {
            continue;
        };
        if let Some(w) = workload_of.get_mut(i) {
            *w = Some(request.workload);
        }
        let Some(w) = model.workloads.get(request.workload) else {
            continue;
        };
        let Account::Attached { scopes, .. } = &w.account else {
            continue;
        };
        let build = || super::scopes_edits(kb, sources, scopes, request.strategy, &request.add);
        let edits = match (scopes.dialect, &scopes.defined) {
            (Dialect::Terraform, Some(defined)) => memo
                .entry((defined.clone(), request.strategy, request.add.clone()))
                .or_insert_with(build)
                .clone(),
            _ => build(),
        };
        let Some(edits) = edits else {
            continue;
        };
        let mut fix = Fix::safe(std::mem::take(&mut request.description), edits);
        if let Some(caveat) = request.caveat {
            fix.applicability = Applicability::Unsafe;
            fix.caveat = Some(caveat.to_string());
        }
        let alternative = super::terraform::allowing_stop(sources, w, &fix);
        built.push(Built {
            finding: i,
            request,
            fix,
            alternative,
        });
    }

    // Patches and alternatives, checked file by file.
    let candidates: Vec<&[Edit]> = built
        .iter()
        .flat_map(|b| std::iter::once(&b.fix).chain(&b.alternative))
        .map(|fix| fix.edits.as_slice())
        .collect();
    let mut parses = super::verify::verify(&candidates, sources, kept).into_iter();
    for b in built {
        let fix_parses = parses.next().unwrap_or(false);
        let alternative = match b.alternative {
            Some(alt) => parses.next().unwrap_or(false).then_some(alt),
            None => None,
        };
        let Some(f) = findings.get_mut(b.finding) else {
            continue;
        };
        if !fix_parses {
            continue;
        }
        f.alternatives = alternative.into_iter().collect();
        apply_help(f, b.request, &b.fix);
        f.fix = Some(b.fix);
    }
    workload_of
}

/// The help of a finding with a patch: the patch named where the help said
/// what to set, and the note on applying it to what runs.
fn apply_help(f: &mut Finding, request: PatchRequest, fix: &Fix) {
    if let Some(line) = f.help.get_mut(request.help_at) {
        *line = format!("suggested patch: {}", fix.description).into();
    }
    if let Some(mut note) = request.apply_note
        && request.note_at <= f.help.len()
    {
        if !f.alternatives.is_empty() {
            note.push_str(STOP_HINT);
        }
        f.help.insert(request.note_at, note.into());
    }
}
