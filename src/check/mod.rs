//! Step 4 of the pipeline: judge every workload against the knowledge base.
//!
//! Each workload is assessed once ([`assess`]): its scopes are resolved and
//! joined with the roles its identity holds. The rules then only read that
//! assessment; one rule lives in one file.

pub mod assess;
pub mod custom_roles;
mod enabled_api;
mod insufficient_scope;
mod no_scopes;
mod no_service_account;
mod partial_scope;
mod report;
mod rule;
mod startup_script;
pub mod strategy;
mod unknown_scope;
pub mod unused_suppression;

use crate::finding::{Finding, RuleMeta};
use crate::knowledge::Knowledge;
use crate::model::{Model, Workload};
use assess::{Assessment, Context};
use rayon::prelude::*;
pub use rule::Rule;
use strategy::Strategy;

/// Every rule scopelint reports, in code order: the only list of them (the
/// checks below, then SL900, which the filtering stage reports).
pub fn all_rules() -> impl Iterator<Item = &'static RuleMeta> {
    RULES
        .iter()
        .map(|r| r.meta())
        .chain(std::iter::once(&unused_suppression::META))
}

/// The rule with this code or name.
pub fn rule(code_or_name: &str) -> Option<&'static RuleMeta> {
    all_rules().find(|m| m.code == code_or_name || m.name == code_or_name)
}

/// Every rule that judges workloads, in code order.
pub static RULES: &[&dyn Rule] = &[
    &insufficient_scope::InsufficientScope,
    &partial_scope::PartialScope,
    &no_scopes::NoScopes,
    &unknown_scope::UnknownScope,
    &enabled_api::EnabledApiNotCovered,
    &startup_script::StartupScriptNotCovered,
    &no_service_account::NoServiceAccount,
];

/// Runs every rule over every workload of the model.
pub fn run(model: &Model, kb: &Knowledge, strategy: Strategy) -> Vec<Finding> {
    run_on(&Context::new(model, kb, strategy), &model.workloads)
}

/// Runs every rule over `workloads`, joined with the facts `cx` holds.
pub fn run_on(cx: &Context<'_>, workloads: &[Workload]) -> Vec<Finding> {
    // Workloads are judged independently, on every core; findings keep the
    // model's order. They are collected into one vector as they come, not
    // one vector per workload: with a finding for every other workload, the
    // spare room of those vectors outweighed the findings themselves. Each
    // job keeps the last lines of help it gave, which alike findings share.
    workloads
        .par_iter()
        .enumerate()
        .map_init(Vec::new, |recent, (i, w)| {
            let a = Assessment::new(w, cx).at(i);
            let mut out = Vec::new();
            for rule in RULES {
                rule.check(&a, cx, &mut out);
            }
            for f in &mut out {
                f.shrink_to_fit();
                f.share_help(recent);
            }
            out
        })
        .flat_map_iter(|out| out)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_carries_its_own_page_and_descriptions() {
        for meta in all_rules() {
            let title = format!("# {} {}\n", meta.code, meta.name);
            assert!(
                meta.page.starts_with(&title),
                "rules/{}.md must start with {title:?}",
                meta.code
            );
            assert!(!meta.full_description.is_empty() && !meta.help.is_empty());
            assert!(!meta.tags.is_empty(), "{}", meta.code);
        }
    }

    /// The configuration schema lists exactly the rules of the registry.
    #[test]
    fn the_configuration_schema_lists_every_rule() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../scopelint-config.schema.json"))
                .unwrap_or_default();
        let listed: Vec<&str> = schema["properties"]["rules"]["propertyNames"]["enum"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        let registered: Vec<&str> = all_rules().flat_map(|m| [m.code, m.name]).collect();
        assert_eq!(listed, registered);
    }
}
