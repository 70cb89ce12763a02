//! SL007 no-service-account (note): an instance with no service account gets
//! no token at all, while the Compute Engine default account holds roles in
//! this configuration. Hardened VMs omit the account on purpose, so this is
//! only a note.

use super::assess::{Assessment, Context};
use super::report::{subject, workload_ref};
use super::rule::{Rule, TAGS};
use crate::finding::{ApiUse, Finding, RuleMeta, Severity};
use crate::knowledge::Access;
use crate::model::{Account, Identity};
use std::collections::{BTreeMap, BTreeSet};

pub struct NoServiceAccount;

pub static META: RuleMeta = RuleMeta {
    code: "SL007",
    name: "no-service-account",
    severity: Severity::Note,
    summary: "A VM has no service account while the default compute account holds roles",
    full_description: "An instance has no service account while the Compute Engine default service account holds roles in the configuration: software on it gets no token.",
    help: "Attach a service account (preferably a dedicated one) with the scopes its roles need, or leave the VM without one on purpose.",
    page: include_str!("../../rules/SL007.md"),
    tags: TAGS,
    precision: "medium",
};

impl Rule for NoServiceAccount {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Assessment<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let w = a.workload;
        let gcloud = w.kind.starts_with("gcloud compute instance");
        if !matches!(w.account, Account::None)
            || !(w.kind.starts_with("google_compute_instance") || gcloud)
        {
            return;
        }
        // The APIs the default account's roles are for, with the roles.
        let mut apis: BTreeMap<&str, (Access, BTreeSet<&str>)> = BTreeMap::new();
        for g in cx.grants_of(&w.unit, &Identity::default_compute(w.project.as_deref())) {
            for u in cx.kb.roles.get(&g.role).map_or(&[][..], |r| &r.uses[..]) {
                let e = apis.entry(&u.api).or_insert((u.access, BTreeSet::new()));
                e.0 = e.0.max(u.access);
                e.1.insert(&g.role);
            }
        }
        let roles: BTreeSet<&str> = apis.values().flat_map(|(_, r)| r.iter().copied()).collect();
        if roles.is_empty() {
            return;
        }
        let roles: Vec<&str> = roles.into_iter().collect();
        let message = format!(
            "{} has no service account, so software on it gets no token; the roles granted to the Compute Engine default service account ({}) do not apply to it",
            subject(w),
            roles.join(", ")
        );
        out.push(Finding {
            rule: &META,
            severity: META.severity,
            message,
            primary: w.block.clone(),
            label: if gcloud {
                "no service account (--no-scopes without --service-account, or --no-service-account)"
                    .to_string()
            } else {
                "no service_account block".to_string()
            },
            workload: workload_ref(w),
            workload_loc: Some(w.block.clone()),
            identity: String::new(),
            apis: apis
                .into_iter()
                .map(|(service, (access, roles))| ApiUse {
                    service: service.to_string(),
                    roles: roles.into_iter().map(str::to_string).collect(),
                    access,
                    accepted_scopes: Vec::new(),
                })
                .collect(),
            related: Vec::new(),
            help: vec![if gcloud {
                "if the VM should call Google APIs, give it `--scopes=...` (and `--service-account=...` for another account than the default one)".into()
            } else {
                "if the VM should call Google APIs, add `service_account { scopes = [...] }` (an omitted email means the default account)".into()
            }],
            fix: None,
            alternatives: Vec::new(),
            patch: None,
            live_scopes: None,
        });
    }
}
