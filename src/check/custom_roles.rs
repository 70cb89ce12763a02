//! Grants of custom roles. A custom role (`projects/P/roles/R`,
//! `organizations/O/roles/R`) holds whatever permissions its definition
//! lists: when the scanned configuration defines it (Terraform
//! `google_project_iam_custom_role`, `gcloud iam roles create`), it is judged
//! by those permissions ([`crate::permissions`]); when the configuration file
//! says which APIs it is for (`custom_roles`), by that. Otherwise its grants
//! produce no finding, and `--verbose` names each one.

use crate::knowledge::{Knowledge, Role};
use crate::model::{Model, RoleDefinition, Unresolved};
use crate::permissions;
use crate::source::Sources;
use std::collections::{BTreeMap, BTreeSet};

/// Whether `role` is written as a custom role's full name.
pub fn is_custom_role_name(role: &str) -> bool {
    let mut parts = role.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("projects" | "organizations"), Some(p), Some("roles"), Some(r), None)
            if !p.is_empty() && !r.is_empty()
    )
}

/// The custom roles defined in the model and granted in it, judged by the
/// permissions their definitions list, with `--verbose` lines for what could
/// not be judged. A role the configuration file describes keeps that
/// description (`described`); definitions of one name that disagree judge
/// nothing.
pub fn judge_definitions(
    model: &Model,
    kb: &Knowledge,
    described: &dyn Fn(&str) -> bool,
    sources: &Sources,
) -> (Vec<(String, Role)>, Vec<Unresolved>) {
    let granted: BTreeSet<&str> = model.grants.iter().map(|g| g.role.as_str()).collect();
    let mut by_name: BTreeMap<&str, Vec<&RoleDefinition>> = BTreeMap::new();
    let mut notes = Vec::new();
    let mut overridden = BTreeSet::new();
    for d in &model.role_definitions {
        if !granted.contains(d.name.as_str()) {
            continue;
        }
        if described(&d.name) {
            if overridden.insert(d.name.as_str()) {
                notes.push(Unresolved {
                    loc: d.loc.clone(),
                    what: format!(
                        "{}: custom role {} is judged as .scopelint.yaml describes it (custom_roles), not by this definition",
                        d.address, d.name
                    ),
                });
            }
            continue;
        }
        by_name.entry(d.name.as_str()).or_default().push(d);
    }
    let mut roles = Vec::new();
    for (name, defs) in by_name {
        let Some(first) = defs.first() else { continue };
        let note = |what: String| Unresolved {
            loc: first.loc.clone(),
            what: format!(
                "{}: custom role {name} is not judged: {what}",
                first.address
            ),
        };
        if let Some(d) = defs.iter().find(|d| d.disabled) {
            notes.push(Unresolved {
                loc: d.loc.clone(),
                what: format!(
                    "{}: custom role {name} is disabled (stage DISABLED): it grants nothing, and is not judged",
                    d.address
                ),
            });
            continue;
        }
        let Some(listed) = &first.permissions else {
            notes.push(note("its permissions are not known".to_string()));
            continue;
        };
        fn set(d: &RoleDefinition) -> Option<BTreeSet<&str>> {
            d.permissions
                .as_ref()
                .map(|ps| ps.iter().map(|p| p.trim()).collect())
        }
        if let Some(other) = defs.iter().find(|d| set(d) != set(first)) {
            notes.push(note(format!(
                "{} defines it with other permissions",
                other.address
            )));
            continue;
        }
        let at = sources.get(first.loc.file).map_or(String::new(), |f| {
            format!(
                " at {}:{}",
                f.display,
                f.position(first.loc.span.start).line
            )
        });
        let source = format!(
            "custom role defined by {}{at}, judged by the {} permission{} it lists",
            first.address,
            listed.len(),
            if listed.len() == 1 { "" } else { "s" }
        );
        let Some(judged) = permissions::judge_role(name, listed, &source, kb) else {
            notes.push(note("the permission table is not available".to_string()));
            continue;
        };
        if let Some(left_out) = &judged.role.note {
            notes.push(Unresolved {
                loc: first.loc.clone(),
                what: format!("{}: custom role {name}: {left_out}", first.address),
            });
        }
        roles.push((name.to_string(), judged.role));
    }
    (roles, notes)
}

/// Adds a `--verbose` line for every grant of a custom role that `kb` does
/// not know and the configuration does not define.
pub fn note_unjudged(model: &mut Model, kb: &Knowledge) {
    let defined: BTreeSet<&str> = model
        .role_definitions
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    let mut seen = BTreeSet::new();
    let notes: Vec<Unresolved> = model
        .grants
        .iter()
        .filter(|g| is_custom_role_name(&g.role) && !kb.roles.contains_key(&g.role))
        .filter(|g| !defined.contains(g.role.as_str()))
        .filter(|g| seen.insert((g.address.clone(), g.role.clone())))
        .map(|g| Unresolved {
            loc: g.loc.clone(),
            what: format!(
                "{}: custom role {} is not judged: no definition of it with a known name is in the scanned files (list the APIs it is for under `custom_roles` in .scopelint.yaml)",
                g.address, g.role
            ),
        })
        .collect();
    model.unresolved.extend(notes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_role_names() {
        assert!(is_custom_role_name("projects/p/roles/queueWorker"));
        assert!(is_custom_role_name("organizations/123/roles/auditor"));
        assert!(!is_custom_role_name("roles/pubsub.publisher"));
        assert!(!is_custom_role_name("projects/p/roles/"));
        assert!(!is_custom_role_name("projects/p/roles/a/b"));
    }
}
