#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Terraform JSON plans as input: a plan gives the same findings as the source
//! tree it was made from, located in source when the sources are scanned too.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

const SOURCES: &str = "fixtures/modules_sa_created_in_other_module";
const PLAN: &str = "fixtures/plan_json_sa_created_in_other_module/plan.json";

fn check(dir: &Path, args: &[&str]) -> (Value, i32) {
    let (report, _, code) = support::check_json(dir, args);
    (report, code)
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What a finding says, whatever file it points into.
fn gist(report: &Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let apis: Vec<String> = f["apis"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| format!("{}{}", a["service"], a["roles"]))
                .collect();
            format!(
                "{} {} {} {}",
                f["rule"],
                f["severity"],
                f["workload"],
                apis.join(",")
            )
        })
        .collect()
}

#[test]
fn a_plan_alone_gives_the_findings_of_its_source_tree() {
    let (source, source_code) = check(repo(), &[SOURCES]);
    let (plan, plan_code) = check(repo(), &[PLAN]);
    assert_eq!(source_code, plan_code);
    assert!(!gist(&source).is_empty());
    assert_eq!(gist(&source), gist(&plan));
    for f in plan["findings"].as_array().unwrap() {
        // Located in the plan, at the values Terraform reported; never patched there.
        assert_eq!(f["location"]["file"], PLAN);
        assert!(f["fix"].is_null(), "{f:#}");
    }
}

#[test]
fn a_plan_with_its_sources_is_located_and_patched_in_source() {
    let (source, _) = check(repo(), &[SOURCES]);
    let (both, _) = check(repo(), &[SOURCES, PLAN]);
    // The advice may know more with the plan (the project Terraform
    // resolved, in the gcloud commands); everything else is the same.
    let without_advice = |report: &Value| -> Value {
        let mut findings = report["findings"].clone();
        for f in findings.as_array_mut().unwrap() {
            let f = f.as_object_mut().unwrap();
            f.remove("help");
            f.remove("commands");
        }
        findings
    };
    assert_eq!(without_advice(&source), without_advice(&both));
    assert!(both["findings"][0]["fix"].is_object());
    assert!(
        both["findings"][0]["commands"][0]
            .as_str()
            .unwrap()
            .ends_with("--project=acme-reports-prod"),
        "{both:#}"
    );
}

#[test]
fn plans_are_recognised_by_content_and_other_json_is_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(repo().join(PLAN), tmp.path().join("tfplan.json")).unwrap();
    std::fs::copy(repo().join(PLAN), tmp.path().join("reviewed-plan")).unwrap();
    std::fs::write(tmp.path().join("package.json"), "{\"name\": \"x\"}").unwrap();
    std::fs::write(
        tmp.path().join("state.json"),
        "{\"format_version\":\"1.0\",\"terraform_version\":\"1.9.8\",\"values\":{\"root_module\":{}}}",
    )
    .unwrap();
    let (walked, code) = check(tmp.path(), &["."]);
    assert_eq!(code, 1, "{walked:#}");
    assert!(walked["errors"].as_array().unwrap().is_empty());
    assert_eq!(walked["findings"].as_array().unwrap().len(), 1);
    // A file named on the command line is read as a plan whatever its name.
    let (named, code) = check(tmp.path(), &["reviewed-plan"]);
    assert_eq!(code, 1);
    assert_eq!(gist(&named), gist(&walked));
}
