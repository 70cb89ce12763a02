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
/// workload that does not need the same edit. `workload_of` names each
/// finding's workload by its index in the model: two root modules that call
/// one module have workloads of the same address, and they are two. Linear
/// in the findings times the workloads sharing a literal: workloads are
/// indexed by literal and edits by workload once.
pub fn mark_shared_literals(
    findings: &mut [Finding],
    workload_of: &[Option<usize>],
    model: &Model,
) {
    let mut by_literal: HashMap<&Loc, Vec<usize>> = HashMap::new();
    let mut literal_of: HashMap<usize, &Loc> = HashMap::new();
    for (i, w) in model.workloads.iter().enumerate() {
        if let Account::Attached { scopes, .. } = &w.account
            && let Some(literal) = &scopes.defined
        {
            by_literal.entry(literal).or_default().push(i);
            literal_of.insert(i, literal);
        }
    }
    let workload = |i: usize| workload_of.get(i).copied().flatten();
    let mut edits_of: HashMap<usize, Vec<&Edit>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        if let (Some(fix), Some(w)) = (&f.fix, workload(i)) {
            edits_of.entry(w).or_default().extend(&fix.edits);
        }
    }
    let reasons: Vec<Option<String>> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let fix = f.fix.as_ref()?;
            let own = workload(i)?;
            let literal = literal_of.get(&own)?;
            let sharing = by_literal.get(literal)?;
            let shared = Shared {
                own,
                literal,
                sharing,
                edits_of: &edits_of,
                model,
            };
            shared.reason(&fix.edits)
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

/// One patched workload's literal and the workloads that read it too.
struct Shared<'a> {
    own: usize,
    literal: &'a Loc,
    sharing: &'a [usize],
    edits_of: &'a HashMap<usize, Vec<&'a Edit>>,
    model: &'a Model,
}

impl Shared<'_> {
    /// Why `edits` of the literal must not be applied: another workload
    /// reads the literal and does not need the same edit.
    fn reason(&self, edits: &[Edit]) -> Option<String> {
        let literal = self.literal;
        let inside: Vec<&Edit> = edits.iter().filter(|e| within(literal, &e.loc)).collect();
        if inside.is_empty() {
            return None;
        }
        for &i in self.sharing {
            if i == self.own {
                continue;
            }
            let Some(w) = self.model.workloads.get(i) else {
                continue;
            };
            let theirs = self.edits_of.get(&i).map_or(&[][..], Vec::as_slice);
            if inside.iter().all(|e| theirs.contains(e)) {
                continue;
            }
            let own = self.model.workloads.get(self.own);
            let same_address = own.is_some_and(|o| o.address == w.address);
            return Some(why(w, same_address, literal, theirs));
        }
        None
    }
}

/// The caveat of a patch to `literal`, which `w` reads too and whose own
/// edits are `theirs`; `w` is named with its deployment unit when the
/// patched workload has the same address (one module called by two roots).
fn why(w: &Workload, same_address: bool, literal: &Loc, theirs: &[&Edit]) -> String {
    let via = match &w.account {
        Account::Attached { scopes, .. } => scopes.via.as_ref(),
        _ => None,
    };
    let other = if same_address {
        format!("`{}` of {}", w.address, w.unit.name())
    } else {
        format!("`{}`", w.address)
    };
    let source = match via {
        Some(via) => format!("the scopes come from {via}, which also sets the scopes of {other}"),
        None => format!("the scopes list is shared with {other}"),
    };
    let need = if theirs.iter().any(|t| within(literal, &t.loc)) {
        "which needs a different change"
    } else {
        "which does not need this change"
    };
    format!("{source}, {need}; change it by hand, or give the workloads separate scopes")
}

/// Whether `inner` lies inside `outer`.
pub fn within(outer: &Loc, inner: &Loc) -> bool {
    outer.file == inner.file
        && outer.span.start <= inner.span.start
        && inner.span.end <= outer.span.end
}
