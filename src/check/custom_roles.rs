//! Grants of custom roles the knowledge base cannot judge. A custom role
//! (`projects/P/roles/R`, `organizations/O/roles/R`) holds whatever
//! permissions its definition lists; scopelint does not read those lists, so
//! such a grant never produces a finding unless the configuration file says
//! which APIs the role is for (`custom_roles`). `--verbose` names each one.

use crate::knowledge::Knowledge;
use crate::model::{Model, Unresolved};
use std::collections::BTreeSet;

/// Whether `role` is written as a custom role's full name.
pub fn is_custom_role_name(role: &str) -> bool {
    let mut parts = role.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("projects" | "organizations"), Some(p), Some("roles"), Some(r), None)
            if !p.is_empty() && !r.is_empty()
    )
}

/// Adds a `--verbose` line for every grant of a custom role that `kb` does not know.
pub fn note_unjudged(model: &mut Model, kb: &Knowledge) {
    let mut seen = BTreeSet::new();
    let notes: Vec<Unresolved> = model
        .grants
        .iter()
        .filter(|g| is_custom_role_name(&g.role) && !kb.roles.contains_key(&g.role))
        .filter(|g| seen.insert((g.address.clone(), g.role.clone())))
        .map(|g| Unresolved {
            loc: g.loc.clone(),
            what: format!(
                "{}: custom role {} is not judged: its permissions are not known (list the APIs it is for under `custom_roles` in .scopelint.yaml)",
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
