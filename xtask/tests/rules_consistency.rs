//! Consistency checks over the checked-in rules/*.json (no network, no reference data needed).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use xtask::jsonout::to_pretty_sorted;

const ROLE_COUNT: usize = 2461;
const CLASSES: [&str; 5] = [
    "api",
    "scope-independent",
    "all-services",
    "service-agent",
    "unmapped",
];

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new(".."))
        .join("rules")
}

fn load(name: &str) -> (String, Value) {
    let p = rules_dir().join(name);
    let text =
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
    let v =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", p.display()));
    (text, v)
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn assert_sorted_unique(list: &[&str], what: &str) {
    assert!(
        list.windows(2).all(|w| w[0] < w[1]),
        "{what} is not sorted/unique: {list:?}"
    );
}

fn known() -> BTreeSet<String> {
    let (_, scopes) = load("scopes.json");
    strs(&scopes["known"])
        .into_iter()
        .map(String::from)
        .collect()
}

/// Scopes accepted by at least one method of an API (either class, `all` or `some`).
fn accepted(api: &Value) -> BTreeSet<String> {
    let mut s = BTreeSet::new();
    for class in ["read", "write"] {
        s.extend(strs(&api[class]["all"]).into_iter().map(String::from));
        if let Some(m) = api[class]["some"].as_object() {
            s.extend(m.keys().cloned());
        }
    }
    s
}

#[test]
fn files_are_canonical_sorted_json() {
    for name in ["scopes.json", "apis.json", "roles.json"] {
        let (text, v) = load(name);
        assert!(
            text == to_pretty_sorted(&v),
            "{name} is not in canonical form (sorted keys, 2-space indent, trailing newline)"
        );
        assert_eq!(
            v["header"]["generated_by"], "cargo run -p xtask -- gen-rules",
            "{name}"
        );
    }
}

#[test]
fn aliases_expand_to_known_scopes() {
    let (_, s) = load("scopes.json");
    let known = known();
    assert_sorted_unique(&strs(&s["known"]), "known");
    assert_eq!(s["prefix"], "https://www.googleapis.com/auth/");
    let gcloud = s["gcloud"]["aliases"].as_object().expect("gcloud aliases");
    assert!(!gcloud.is_empty());
    for (alias, scopes) in gcloud {
        let list = strs(scopes);
        assert!(!list.is_empty(), "gcloud alias {alias} is empty");
        for sc in list {
            assert!(
                known.contains(sc),
                "gcloud alias {alias} -> unknown scope {sc}"
            );
        }
    }
    let tf = s["terraform"]["aliases"]
        .as_object()
        .expect("terraform aliases");
    assert!(!tf.is_empty());
    for (alias, sc) in tf {
        let sc = sc.as_str().expect("terraform alias is a string");
        assert!(
            known.contains(sc),
            "terraform alias {alias} -> unknown scope {sc}"
        );
    }
    for key in ["always", "when_none_given"] {
        for sc in strs(&s["dataproc"][key]) {
            assert!(known.contains(sc), "dataproc {key}: unknown scope {sc}");
        }
    }
    // GKE defaults (container.v1 NodeConfig.oauthScopes): logging and monitoring only, no storage.
    let gke = strs(&s["gke"]["node_config_without_scopes"]);
    assert_eq!(gke, ["logging.write", "monitoring"]);
    for sc in &gke {
        assert!(known.contains(*sc), "gke: unknown scope {sc}");
    }
    let alias = s["gke"]["gcloud_without_scopes"]
        .as_str()
        .expect("gke alias");
    assert!(
        gcloud.contains_key(alias),
        "gke: unknown gcloud alias {alias}"
    );
    for sc in s["no_access"].as_object().expect("no_access").keys() {
        assert!(known.contains(sc), "no_access: unknown scope {sc}");
    }
    // KB facts (scope-aliases.yaml): gcloud default has 7 scopes including pubsub; Terraform has no default.
    let default = strs(&s["gcloud"]["aliases"]["default"]);
    assert_eq!(default.len(), 7);
    assert!(default.contains(&"pubsub"));
    assert!(strs(&s["gcloud"]["aliases"]["gke-default"]).contains(&"monitoring"));
    assert!(tf.get("default").is_none());
    assert_eq!(
        s["terraform"]["aliases"]["storage-ro"],
        "devstorage.read_only"
    );
    assert!(s["gcloud"]["deprecated"]["sql"].is_string());
}

#[test]
fn apis_are_well_formed() {
    let (_, a) = load("apis.json");
    let known = known();
    let apis = a["apis"].as_object().expect("apis");
    assert!(apis.len() > 300, "only {} APIs", apis.len());
    for (key, api) in apis {
        for class in ["read", "write"] {
            let c = &api[class];
            let methods = c["methods"].as_u64().expect("methods");
            let all = strs(&c["all"]);
            assert_sorted_unique(&all, &format!("{key} {class}.all"));
            let some = c["some"].as_object().expect("some");
            if methods == 0 {
                assert!(
                    all.is_empty() && some.is_empty(),
                    "{key} {class}: empty class with scopes"
                );
            }
            for (sc, p) in some {
                assert!(
                    !all.contains(&sc.as_str()),
                    "{key} {class}: {sc} in all and some"
                );
                let covers = p["covers"].as_u64().expect("covers");
                assert!(
                    covers > 0 && covers < methods,
                    "{key} {class} {sc}: covers {covers}/{methods}"
                );
                let fails = strs(&p["fails"]);
                assert!(
                    !fails.is_empty() && fails.len() <= 5,
                    "{key} {class} {sc}: fails"
                );
                assert_sorted_unique(&fails, &format!("{key} {class} {sc} fails"));
            }
            for sc in all.iter().copied().chain(some.keys().map(String::as_str)) {
                assert!(known.contains(sc), "{key} {class}: unknown scope {sc}");
            }
        }
        assert!(
            api["grpc"].is_boolean() && api["workload"].is_boolean(),
            "{key}"
        );
        assert!(
            api["title"].is_string() && api["source"].is_string(),
            "{key}"
        );
    }
    for (alias, key) in a["aliases"].as_object().expect("aliases") {
        assert!(
            apis.contains_key(key.as_str().unwrap_or("")),
            "alias {alias} -> unknown API"
        );
    }
    // Policy (KB notes section 0): devstorage.* do not count for BigQuery.
    let bq = &apis["bigquery.googleapis.com"];
    for sc in accepted(bq) {
        assert!(!sc.starts_with("devstorage."), "bigquery accepts {sc}");
    }
    assert_eq!(strs(&bq["write"]["all"]), ["bigquery", "cloud-platform"]);
    // gRPC-only entries.
    for key in [
        "bigquerystorage.googleapis.com",
        "bigtable.googleapis.com",
        "spanner.googleapis.com#grpc",
        "storage.googleapis.com#grpc",
        "generativelanguage.googleapis.com",
        "docker.pkg.dev",
    ] {
        assert_eq!(apis[key]["grpc"], true, "{key}");
    }
    for key in [
        "aiplatform.googleapis.com",
        "secretmanager.googleapis.com",
        "pubsub.googleapis.com",
    ] {
        assert_eq!(apis[key]["workload"], true, "{key}");
    }
    for key in [
        "compute.googleapis.com",
        "iam.googleapis.com",
        "run.googleapis.com",
    ] {
        assert_eq!(apis[key]["workload"], false, "{key}");
    }
}

#[test]
fn role_uses_are_accepted_by_their_apis() {
    let (_, a) = load("apis.json");
    let (_, r) = load("roles.json");
    let apis = a["apis"].as_object().expect("apis");
    let roles = r["roles"].as_object().expect("roles");
    assert_eq!(roles.len(), ROLE_COUNT);
    for (name, role) in roles {
        let class = role["class"].as_str().expect("class");
        assert!(CLASSES.contains(&class), "{name}: class {class}");
        let uses = role["uses"].as_array().expect("uses");
        assert_eq!(
            class == "api",
            !uses.is_empty(),
            "{name}: class {class} with {} uses",
            uses.len()
        );
        if class == "unmapped" {
            assert!(
                role["note"].is_string(),
                "{name}: unmapped without a reason"
            );
        }
        assert!(
            role["title"].is_string() && role["stage"].is_string() && role["source"].is_string(),
            "{name}"
        );
        let mut prev: Option<(String, String)> = None;
        for u in uses {
            let api_key = u["api"].as_str().expect("api");
            let access = u["access"].as_str().expect("access");
            assert!(
                access == "read" || access == "write",
                "{name}: access {access}"
            );
            let api = apis
                .get(api_key)
                .unwrap_or_else(|| panic!("{name}: unknown API {api_key}"));
            let needs = strs(&u["needs_any_of"]);
            assert!(!needs.is_empty(), "{name}: empty needs_any_of");
            assert_sorted_unique(&needs, &format!("{name} needs_any_of"));
            let ok = accepted(api);
            for sc in needs {
                assert!(ok.contains(sc), "{name}: {api_key} does not accept {sc}");
            }
            let cur = (api_key.to_string(), access.to_string());
            if let Some(p) = &prev {
                assert!(*p < cur, "{name}: uses not sorted");
            }
            prev = Some(cur);
        }
    }
}

fn needs(roles: &Value, role: &str, api: &str) -> Vec<String> {
    let uses = roles["roles"][role]["uses"]
        .as_array()
        .unwrap_or_else(|| panic!("{role} has no uses"));
    let u = uses
        .iter()
        .find(|u| u["api"] == api)
        .unwrap_or_else(|| panic!("{role} has no use of {api}"));
    strs(&u["needs_any_of"])
        .into_iter()
        .map(String::from)
        .collect()
}

/// Spot checks from the KB test cases (NOTES section 4).
#[test]
fn kb_test_cases() {
    let (_, r) = load("roles.json");
    let class = |role: &str| r["roles"][role]["class"].as_str().unwrap_or("").to_string();
    assert!(
        needs(&r, "roles/storage.objectViewer", "storage.googleapis.com")
            .contains(&"devstorage.read_only".to_string())
    );
    assert_eq!(
        needs(&r, "roles/aiplatform.user", "aiplatform.googleapis.com"),
        ["cloud-platform"]
    );
    assert_eq!(
        needs(&r, "roles/pubsub.subscriber", "pubsub.googleapis.com"),
        ["cloud-platform", "pubsub"]
    );
    assert_eq!(
        needs(
            &r,
            "roles/secretmanager.secretAccessor",
            "secretmanager.googleapis.com"
        ),
        ["cloud-platform"]
    );
    assert_eq!(
        needs(&r, "roles/bigquery.jobUser", "bigquery.googleapis.com"),
        ["bigquery", "cloud-platform"]
    );
    assert_eq!(
        needs(&r, "roles/cloudsql.client", "sqladmin.googleapis.com"),
        ["cloud-platform", "sqlservice.admin"]
    );
    assert_eq!(
        needs(
            &r,
            "roles/spanner.databaseReader",
            "spanner.googleapis.com#grpc"
        ),
        ["cloud-platform", "spanner.data"]
    );
    assert_eq!(
        needs(&r, "roles/bigtable.reader", "bigtable.googleapis.com"),
        ["bigtable.data", "cloud-bigtable.data", "cloud-platform"]
    );
    assert_eq!(
        needs(&r, "roles/datastore.viewer", "datastore.googleapis.com"),
        ["cloud-platform", "datastore"]
    );
    assert!(
        !needs(&r, "roles/logging.viewer", "logging.googleapis.com")
            .contains(&"logging.write".to_string())
    );
    assert!(
        needs(&r, "roles/logging.logWriter", "logging.googleapis.com")
            .contains(&"logging.write".to_string())
    );
    assert_eq!(
        needs(
            &r,
            "roles/errorreporting.writer",
            "clouderrorreporting.googleapis.com"
        ),
        ["cloud-platform"]
    );
    assert_eq!(
        needs(
            &r,
            "roles/iam.serviceAccountTokenCreator",
            "iamcredentials.googleapis.com"
        ),
        ["cloud-platform"]
    );
    for role in [
        "roles/run.invoker",
        "roles/cloudfunctions.invoker",
        "roles/iam.serviceAccountUser",
        "roles/compute.osLogin",
    ] {
        assert_eq!(class(role), "scope-independent", "{role}");
    }
    for role in ["roles/editor", "roles/owner", "roles/viewer"] {
        assert_eq!(class(role), "all-services", "{role}");
    }
    assert_eq!(class("roles/aiplatform.serviceAgent"), "service-agent");
}
