//! A model of one hypothetical workload: a Compute Engine instance with the
//! given scopes whose account holds the given roles, which is what
//! `scopelint explain --scopes ... --role ...` judges with the rules of
//! `check`.
//!
//! Built here, beside the model's types, rather than in the command line, so
//! that it stays a model `check` accepts as its own when those types change.

use super::{Account, Dialect, Grant, Identity, Model, ScopeItem, Scopes, Unit, Workload};
use crate::source::{FileId, Loc};

/// The account of the hypothetical workload.
pub const ACCOUNT: &str = "explain@scopelint.invalid";

/// One instance with `raw_scopes` (as written in `dialect`), whose account
/// holds `roles`, with no enabled APIs recorded.
pub fn one_instance(dialect: Dialect, raw_scopes: &[&str], roles: &[&str]) -> Model {
    let loc = Loc::new(FileId(0), 0..0);
    let identity = Identity::Email(ACCOUNT.to_string());
    Model {
        workloads: vec![Workload {
            kind: "google_compute_instance".to_string(),
            address: "google_compute_instance.explain".to_string(),
            name: "explain".to_string(),
            zone: None,
            project: None,
            module: ".".to_string(),
            block: loc.clone(),
            account_block: None,
            account: Account::Attached {
                identity: identity.clone(),
                identity_at: None,
                scopes: Scopes {
                    dialect,
                    defaulted: None,
                    items: raw_scopes
                        .iter()
                        .map(|s| ScopeItem {
                            raw: (*s).into(),
                            loc: None,
                        })
                        .collect(),
                    complete: true,
                    // Set, as on a written `scopes` attribute: SL003 reports only written lists.
                    at: Some(loc.clone()),
                    defined: None,
                    via: None,
                    ..Scopes::default()
                },
            },
            is_instance: true,
            startup: Vec::new(),
            unit: Unit::default(),
            stop_to_update: crate::model::StopToUpdate::Unknown,
        }],
        grants: roles
            .iter()
            .enumerate()
            .map(|(i, r)| Grant {
                role: (*r).to_string(),
                member: identity.clone(),
                address: format!("explain.role[{i}]"),
                loc: loc.clone(),
                unit: Unit::default(),
            })
            .collect(),
        enabled_apis: Vec::new(),
        role_definitions: Vec::new(),
        unresolved: Vec::new(),
    }
}
