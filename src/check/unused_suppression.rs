//! SL900 unused-suppression: a `scopelint:ignore` comment that gives no
//! reason, names no rule, has an invalid `until=` date or suppresses nothing.
//! The filtering stage reports it (it reads the comments); its description
//! lives here with the other rules.

use crate::finding::{RuleMeta, Severity};

pub static META: RuleMeta = RuleMeta {
    code: "SL900",
    name: "unused-suppression",
    severity: Severity::Warning,
    summary: "A suppression comment has no reason or suppresses nothing",
    full_description: "A scopelint:ignore comment gives no reason, names no rule, has an invalid until= date, or suppresses nothing.",
    help: "Give the suppression a reason and the rule it silences, put it on the line above the resource or attribute (or at the end of that line), or remove it when the finding is gone.",
    page: include_str!("../../rules/SL900.md"),
    tags: &["scopelint", "maintainability"],
    precision: "very-high",
};
