//! Patches of literals that several workloads read: instances of one `count`
//! or `for_each` resource share their list, and so do workloads fed by one
//! variable default, tfvars value or local. Such a patch may be applied only
//! when every workload reading the literal needs exactly that edit; otherwise
//! it becomes display-only, with the reason.

use crate::finding::{Applicability, Edit, Finding};
use crate::model::{Account, Model, Workload};
use crate::source::Loc;
use std::collections::HashMap;

/// Marks display-only every patch whose literal also sets the scopes of a
/// workload that does not need the same edit. Linear in the findings times
/// the workloads sharing a literal: workloads are indexed by literal and
/// edits by workload once.
pub fn mark_shared_literals(findings: &mut [Finding], model: &Model) {
    let mut by_literal: HashMap<&Loc, Vec<&Workload>> = HashMap::new();
    let mut literal_of: HashMap<&str, &Loc> = HashMap::new();
    for w in &model.workloads {
        if let Account::Attached { scopes, .. } = &w.account
            && let Some(literal) = &scopes.defined
        {
            by_literal.entry(literal).or_default().push(w);
            literal_of.insert(w.address.as_str(), literal);
        }
    }
    let mut edits_of: HashMap<&str, Vec<&Edit>> = HashMap::new();
    for f in findings.iter() {
        if let Some(fix) = &f.fix {
            edits_of
                .entry(f.workload.address.as_str())
                .or_default()
                .extend(&fix.edits);
        }
    }
    let reasons: Vec<Option<String>> = findings
        .iter()
        .map(|f| {
            let fix = f.fix.as_ref()?;
            let own = literal_of.get(f.workload.address.as_str())?;
            let sharing = by_literal.get(own)?;
            shared_with(f, &fix.edits, own, sharing, &edits_of)
        })
        .collect();
    for (f, reason) in findings.iter_mut().zip(reasons) {
        let Some(reason) = reason else { continue };
        for fix in f.fix.iter_mut().chain(f.alternatives.iter_mut()) {
            fix.applicability = Applicability::DisplayOnly;
            fix.caveat = Some(reason.clone());
        }
    }
}

/// Why `f`'s `edits` of `literal` must not be applied: another workload in
/// `sharing` reads the literal and does not need the same edit.
fn shared_with(
    f: &Finding,
    edits: &[Edit],
    literal: &Loc,
    sharing: &[&Workload],
    edits_of: &HashMap<&str, Vec<&Edit>>,
) -> Option<String> {
    let inside: Vec<&Edit> = edits.iter().filter(|e| within(literal, &e.loc)).collect();
    if inside.is_empty() {
        return None;
    }
    for w in sharing {
        if w.address == f.workload.address {
            continue;
        }
        let theirs = edits_of
            .get(w.address.as_str())
            .map_or(&[][..], Vec::as_slice);
        if inside.iter().all(|e| theirs.contains(e)) {
            continue;
        }
        let via = match &w.account {
            Account::Attached { scopes, .. } => scopes.via.as_ref(),
            _ => None,
        };
        let source = match via {
            Some(via) => format!(
                "the scopes come from {via}, which also sets the scopes of `{}`",
                w.address
            ),
            None => format!("the scopes list is shared with `{}`", w.address),
        };
        let need = if theirs.iter().any(|t| within(literal, &t.loc)) {
            "which needs a different change"
        } else {
            "which does not need this change"
        };
        return Some(format!(
            "{source}, {need}; change it by hand, or give the workloads separate scopes"
        ));
    }
    None
}

/// Whether `inner` lies inside `outer`.
pub fn within(outer: &Loc, inner: &Loc) -> bool {
    outer.file == inner.file
        && outer.span.start <= inner.span.start
        && inner.span.end <= outer.span.end
}
