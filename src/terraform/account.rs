//! A workload's service account and scopes as a resource's attributes give
//! them, and the names and notes every kind of workload shares: read by the
//! extraction of instances and node pools and by the managed services'.

use super::object::{Field, Obj, ResourceInst};
use super::value::{V, Val};
use crate::model::{Account, Identity, Model, ScopeItem, Scopes, Unresolved, marker};
use crate::source::Loc;

pub(super) fn unresolved(model: &mut Model, loc: Loc, what: String) {
    model.unresolved.push(Unresolved { loc, what });
}

pub(super) fn name_of(inst: &ResourceInst) -> String {
    inst.body
        .string("name")
        .unwrap_or_else(|| inst.label.clone())
}

/// The identity a value names, when every alternative names the same one; no
/// email is the default account of the workload's `project`.
fn identity_of(v: &Val, project: Option<&str>) -> Option<Identity> {
    let mut found: Option<Identity> = None;
    for alt in v.alternatives() {
        let id = match &alt.v {
            V::Null => Identity::default_compute(project),
            V::Str(s) if s.is_empty() || s == "default" => Identity::default_compute(project),
            V::Str(s) => Identity::from_value(s)?,
            _ => return None,
        };
        match &found {
            Some(f) if *f != id => return None,
            _ => found = Some(id),
        }
    }
    found
}

/// Reads identity and scopes from a block's `email_key` and `scopes_key`
/// attributes, for a workload in `project`.
pub(super) fn attached(
    project: Option<&str>,
    body: &Obj,
    email_key: &str,
    scopes_key: &str,
    address: &str,
) -> Account {
    let (identity, identity_at) = match body.get(email_key) {
        None => (Some(Identity::default_compute(project)), None),
        Some(f) => (identity_of(&f.val, project), f.val.arg.clone().or(f.at)),
    };
    let Some(identity) = identity else {
        return Account::Unknown;
    };
    let scopes = match body.get(scopes_key) {
        None => Scopes::default(),
        Some(f) => scopes_of(f, address),
    };
    Account::Attached {
        identity,
        identity_at,
        scopes,
    }
}

/// Where a value passed into a module is shown: the caller's argument, or the
/// literal inside it when the value is written there.
fn caller_loc(v: &Val) -> Option<Loc> {
    let arg = v.arg.as_ref()?;
    match &v.loc {
        Some(l)
            if l.file == arg.file
                && arg.span.start <= l.span.start
                && l.span.end <= arg.span.end =>
        {
            Some(l.clone())
        }
        _ => Some(arg.clone()),
    }
}

/// The scopes a value stands for; with alternatives, their union (a scope is
/// missing only when it is missing from every alternative).
fn scopes_of(f: Field, address: &str) -> Scopes {
    let v = f.val;
    let mut scopes = Scopes {
        items: Vec::new(),
        complete: true,
        at: caller_loc(&v).or_else(|| f.at.clone()),
        defined: v.loc.clone(),
        via: v.via.clone(),
        ..Scopes::default()
    };
    if let (Some(_), Some(inner)) = (&v.arg, f.at) {
        scopes
            .trail
            .push((inner, format!("`{address}` uses these scopes here")));
    }
    // A scope written twice (or in several alternatives) is kept once, at its
    // first place: the set is what is judged, and a huge list repeating one
    // scope then costs one item per workload.
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for alt in v.alternatives() {
        match &alt.v {
            V::List(items) => {
                for item in items {
                    for s in item.alternatives() {
                        match &s.v {
                            V::Str(raw) if !marker::is_symbolic(raw) => {
                                if seen.insert(raw.as_str()) {
                                    scopes.items.push(ScopeItem {
                                        raw: raw.as_str().into(),
                                        loc: s.loc.clone(),
                                    });
                                }
                            }
                            V::Null => {}
                            _ => scopes.complete = false,
                        }
                    }
                }
            }
            V::Null => {}
            _ => scopes.complete = false,
        }
    }
    scopes
}
