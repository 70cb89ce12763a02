#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `scopelint explain` and `scopelint kb stats`, end to end.
//!
//! The reference cases are the thirty scope/role situations of the knowledge
//! base's research notes (numbered as there), plus its short extra cases. Each
//! runs through `explain --scopes ... --role ... --format json`, which judges a
//! one-workload model with the same assessment and rules as `check`; the
//! cases about a VM without a service account run through `check` itself.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn scopelint() -> Command {
    let mut cmd = Command::cargo_bin("scopelint").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Runs scopelint; returns stdout parsed as JSON (Null when empty), stderr and the exit code.
fn run(args: &[&str]) -> (Value, String, i32) {
    let out = scopelint().args(args).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let json = if stdout.trim().is_empty() || !stdout.trim_start().starts_with('{') {
        Value::Null
    } else {
        serde_json::from_str(&stdout).unwrap()
    };
    (
        json,
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap(),
    )
}

fn pretty(args: &[&str]) -> String {
    let out = scopelint().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

const CPRO: &str = "https://www.googleapis.com/auth/cloud-platform.read-only";

/// One reference case: the scopes a VM ends up with (as written in `dialect`),
/// the roles its service account holds, and what the scopes let the roles do.
struct Case {
    n: &'static str,
    dialect: &'static str,
    scopes: &'static [&'static str],
    roles: &'static [&'static str],
    verdict: &'static str,
    /// The findings `check` reports for such a workload: "RULE severity".
    findings: &'static [&'static str],
}

const TF: &str = "terraform";
const GC: &str = "gcloud";
const DEFAULT: &[&str] = &["default"];

#[rustfmt::skip]
const CASES: &[Case] = &[
    // Vertex AI: the gcloud defaults hold no scope it accepts.
    Case { n: "1", dialect: GC, scopes: DEFAULT, roles: &["roles/aiplatform.user"],
           verdict: "insufficient", findings: &["SL001 error"] },
    Case { n: "2", dialect: TF, scopes: &["cloud-platform"], roles: &["roles/aiplatform.user"],
           verdict: "sufficient", findings: &[] },
    // Read-only platform scope: inference works, uploads/training/batch jobs do not.
    Case { n: "3", dialect: TF, scopes: &[CPRO], roles: &["roles/aiplatform.user"],
           verdict: "partial", findings: &["SL002 warning"] },
    // The newer aiplatform scope covers part of both method classes.
    Case { n: "4", dialect: TF, scopes: &["https://www.googleapis.com/auth/aiplatform"],
           roles: &["roles/aiplatform.user"], verdict: "partial", findings: &["SL002 note"] },
    Case { n: "5", dialect: TF, scopes: &["storage-ro", "logging-write", "monitoring-write"],
           roles: &["roles/storage.objectViewer"], verdict: "sufficient", findings: &[] },
    // Object reads work with the defaults, object writes do not.
    Case { n: "6", dialect: GC, scopes: DEFAULT, roles: &["roles/storage.objectAdmin"],
           verdict: "partial", findings: &["SL002 warning"] },
    // Read-write storage: IAM policy and ACL methods still need full control.
    Case { n: "7", dialect: GC, scopes: &["storage-rw"], roles: &["roles/storage.admin"],
           verdict: "partial", findings: &["SL002 note"] },
    // gcloud's default set includes pubsub.
    Case { n: "8", dialect: GC, scopes: DEFAULT, roles: &["roles/pubsub.publisher"],
           verdict: "sufficient", findings: &[] },
    // The defaults copied by hand into Terraform, without pubsub.
    Case { n: "9", dialect: TF,
           scopes: &["storage-ro", "logging-write", "monitoring-write", "service-control",
                     "service-management", "trace"],
           roles: &["roles/pubsub.subscriber"], verdict: "insufficient", findings: &["SL001 error"] },
    // Case 10 (Terraform "default") is an unknown scope string: see its own test below.
    Case { n: "11", dialect: GC, scopes: DEFAULT, roles: &["roles/secretmanager.secretAccessor"],
           verdict: "insufficient", findings: &["SL001 error"] },
    // A read-only role does not make the read-only platform scope enough.
    Case { n: "12", dialect: TF, scopes: &[CPRO], roles: &["roles/secretmanager.secretAccessor"],
           verdict: "insufficient", findings: &["SL001 error"] },
    Case { n: "13", dialect: GC, scopes: &["bigquery"],
           roles: &["roles/bigquery.dataEditor", "roles/bigquery.jobUser"],
           verdict: "sufficient", findings: &[] },
    // The devstorage scopes listed on BigQuery jobs do not count.
    Case { n: "14", dialect: GC, scopes: DEFAULT,
           roles: &["roles/bigquery.dataViewer", "roles/bigquery.jobUser"],
           verdict: "insufficient", findings: &["SL001 error"] },
    // Reads and queries work read-only; inserting jobs does not.
    Case { n: "15", dialect: TF, scopes: &[CPRO],
           roles: &["roles/bigquery.dataViewer", "roles/bigquery.jobUser"],
           verdict: "partial", findings: &["SL002 warning"] },
    // insertdata covers streaming inserts only: some writes work, no reads, the
    // shape NOTES §0 (revised 2026-12-04) makes a note.
    Case { n: "16", dialect: GC, scopes: &["https://www.googleapis.com/auth/bigquery.insertdata"],
           roles: &["roles/bigquery.dataEditor"], verdict: "partial", findings: &["SL002 note"] },
    // Case 17 (Drive-backed BigQuery tables) is a known gap: see its ignored test below.
    // The ops agent's roles with the defaults.
    Case { n: "18", dialect: GC, scopes: DEFAULT,
           roles: &["roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/cloudtrace.agent"],
           verdict: "sufficient", findings: &[] },
    // logging.write does not read logs.
    Case { n: "19", dialect: GC, scopes: DEFAULT, roles: &["roles/logging.viewer"],
           verdict: "insufficient", findings: &["SL001 error"] },
    // monitoring.write covers the descriptor reads only.
    Case { n: "20", dialect: GC, scopes: DEFAULT, roles: &["roles/monitoring.viewer"],
           verdict: "partial", findings: &["SL002 note"] },
    // gke-default carries the full monitoring scope.
    Case { n: "21", dialect: GC, scopes: &["gke-default"], roles: &["roles/monitoring.editor"],
           verdict: "sufficient", findings: &[] },
    Case { n: "22", dialect: GC, scopes: DEFAULT, roles: &["roles/errorreporting.writer"],
           verdict: "insufficient", findings: &["SL001 error"] },
    // The deprecated sql alias does not reach the Cloud SQL Admin API.
    Case { n: "23", dialect: GC, scopes: &["sql"], roles: &["roles/cloudsql.client"],
           verdict: "insufficient", findings: &["SL001 error"] },
    // spanner.admin does not cover the data plane.
    Case { n: "24", dialect: GC, scopes: &["https://www.googleapis.com/auth/spanner.admin"],
           roles: &["roles/spanner.databaseReader"], verdict: "insufficient", findings: &["SL001 error"] },
    // Read-only Bigtable data scope: row reads only.
    Case { n: "25", dialect: TF, scopes: &["https://www.googleapis.com/auth/bigtable.data.readonly"],
           roles: &["roles/bigtable.reader"], verdict: "partial", findings: &["SL002 note"] },
    // Datastore has no read-only scope.
    Case { n: "26", dialect: TF, scopes: &[CPRO], roles: &["roles/datastore.viewer"],
           verdict: "insufficient", findings: &["SL001 error"] },
    // Reads work, inserts and state changes fail: a whole class (writes) is uncovered. The
    // read-like POST methods (testIamPermissions, getHealth, aggregated lists) accept
    // compute.readonly, so the generator classes them as reads.
    Case { n: "27", dialect: GC, scopes: &["compute-ro"], roles: &["roles/compute.instanceAdmin.v1"],
           verdict: "partial", findings: &["SL002 warning"] },
    // Minting tokens for another account needs cloud-platform.
    Case { n: "28", dialect: GC, scopes: DEFAULT, roles: &["roles/iam.serviceAccountTokenCreator"],
           verdict: "insufficient", findings: &["SL001 error"] },
    // Cases 29 and 30 (no service account at all) run through `check`: see below.
    // The short extra cases.
    Case { n: "extra run.invoker", dialect: GC, scopes: DEFAULT, roles: &["roles/run.invoker"],
           verdict: "not-applicable", findings: &[] },
    // Image pulls accept devstorage.read_only (Artifact Registry docs on deploying to Compute
    // Engine and GKE), which is what the role is for on a VM: no error, no finding. Only the
    // REST reads need cloud-platform(.read-only); the read-only platform scope covers those
    // but not pulls: a note.
    Case { n: "extra artifactregistry.reader", dialect: GC, scopes: DEFAULT,
           roles: &["roles/artifactregistry.reader"], verdict: "sufficient", findings: &[] },
    Case { n: "v2 artifactregistry.reader read-only", dialect: TF, scopes: &[CPRO],
           roles: &["roles/artifactregistry.reader"], verdict: "partial", findings: &["SL002 note"] },
    Case { n: "v2 artifactregistry.reader logging only", dialect: GC, scopes: &["logging-write"],
           roles: &["roles/artifactregistry.reader"], verdict: "insufficient", findings: &["SL001 error"] },
    Case { n: "extra dataflow.developer", dialect: GC, scopes: &["compute-rw"],
           roles: &["roles/dataflow.developer"], verdict: "sufficient", findings: &[] },
    Case { n: "extra serviceUsageAdmin", dialect: GC, scopes: DEFAULT,
           roles: &["roles/serviceusage.serviceUsageAdmin"], verdict: "insufficient",
           findings: &["SL001 error"] },
    // Roles over all services: `check` reports them only through SL005 evidence.
    Case { n: "extra editor", dialect: GC, scopes: DEFAULT, roles: &["roles/editor"],
           verdict: "partial", findings: &[] },
    Case { n: "extra viewer", dialect: TF, scopes: &[CPRO], roles: &["roles/viewer"],
           verdict: "partial", findings: &[] },
    // Each role judged by its own permissions (iam-dataset@2073fa52 roles.json + map.json ->
    // the methods they reach -> the scopes those methods accept in discovery).
    // logging.logWriter holds logging.logEntries.create only: entries.write accepts
    // cloud-platform, logging.admin, logging.write (logging.v2 discovery), not the read-only scope.
    Case { n: "v2 logWriter read-only", dialect: TF, scopes: &[CPRO], roles: &["roles/logging.logWriter"],
           verdict: "insufficient", findings: &["SL001 error"] },
    // storage.objectCreator (objects.create) can only write: objects.insert accepts no read-only
    // scope (storage.v1 discovery).
    Case { n: "v2 objectCreator read-only", dialect: TF, scopes: &[CPRO], roles: &["roles/storage.objectCreator"],
           verdict: "insufficient", findings: &["SL001 error"] },
    // telemetry.metricsWriter holds monitoring.timeSeries.create: timeSeries.create accepts
    // monitoring.write (monitoring.v3 discovery), which gcloud's default set holds.
    Case { n: "v2 metricsWriter default", dialect: GC, scopes: DEFAULT, roles: &["roles/telemetry.metricsWriter"],
           verdict: "sufficient", findings: &[] },
    // servicemanagement.reporter holds servicemanagement.services.report, which
    // servicecontrol's services.report checks; it accepts servicecontrol (servicecontrol.v1 discovery).
    Case { n: "v2 reporter default", dialect: GC, scopes: DEFAULT, roles: &["roles/servicemanagement.reporter"],
           verdict: "sufficient", findings: &[] },
    // bigquerydatapolicy.admin's bigquery.dataPolicies.* permissions are the methods of
    // bigquerydatapolicy, which accept bigquery or cloud-platform (bigquerydatapolicy.v1 discovery).
    Case { n: "v2 dataPolicy admin bigquery", dialect: GC, scopes: &["bigquery"], roles: &["roles/bigquerydatapolicy.admin"],
           verdict: "sufficient", findings: &[] },
    Case { n: "v2 dataPolicy admin default", dialect: GC, scopes: DEFAULT, roles: &["roles/bigquerydatapolicy.admin"],
           verdict: "insufficient", findings: &["SL001 error"] },
    // dataplex metadataFeeds.get/list accept cloud-platform or dataplex.read-write only
    // (dataplex.v1 discovery): nothing the role does works read-only.
    Case { n: "v2 metadataFeedViewer read-only", dialect: TF, scopes: &[CPRO], roles: &["roles/dataplex.metadataFeedViewer"],
           verdict: "insufficient", findings: &["SL001 error"] },
    // objects.patch/update (object metadata) accept devstorage.full_control or cloud-platform
    // only (storage.v1 discovery): storage-rw leaves them failing, a note naming them.
    Case { n: "v2 objectUser storage-rw", dialect: GC, scopes: &["storage-rw"], roles: &["roles/storage.objectUser"],
           verdict: "partial", findings: &["SL002 note"] },
    Case { n: "v2 expressModeServiceInput storage-rw", dialect: GC, scopes: &["storage-rw"],
           roles: &["roles/storage.expressModeServiceInput"], verdict: "partial", findings: &["SL002 note"] },
    // objectAdmin: object ACL methods (objectAccessControls.*) and objects.patch need full control;
    // objects.setIamPolicy accepts devstorage.read_write (storage.v1 discovery).
    Case { n: "v2 objectAdmin storage-rw", dialect: GC, scopes: &["storage-rw"], roles: &["roles/storage.objectAdmin"],
           verdict: "partial", findings: &["SL002 note"] },
    // gRPC-only APIs from googleapis' service configurations (googleapis@f8291d2b):
    // modelarmor_v1.yaml and visionai_v1.yaml accept cloud-platform only.
    Case { n: "v2 modelarmor default", dialect: GC, scopes: DEFAULT, roles: &["roles/modelarmor.user"],
           verdict: "insufficient", findings: &["SL001 error"] },
    Case { n: "v2 modelarmor cloud-platform", dialect: TF, scopes: &["cloud-platform"], roles: &["roles/modelarmor.user"],
           verdict: "sufficient", findings: &[] },
    Case { n: "v2 visionai default", dialect: GC, scopes: DEFAULT, roles: &["roles/visionai.packetSender"],
           verdict: "insufficient", findings: &["SL001 error"] },
    // OTLP /v1/traces accepts trace.append (Telemetry API reference); telemetry.logsWriter holds
    // logging.logEntries.create, i.e. entries.write, which accepts logging.write.
    Case { n: "v2 tracesWriter default", dialect: GC, scopes: DEFAULT, roles: &["roles/telemetry.tracesWriter"],
           verdict: "sufficient", findings: &[] },
    Case { n: "v2 logsWriter default", dialect: GC, scopes: DEFAULT, roles: &["roles/telemetry.logsWriter"],
           verdict: "sufficient", findings: &[] },
    // Roles no call from the VM uses (Eventarc delivery, Dataproc's agent): no finding.
    Case { n: "v2 eventReceiver", dialect: GC, scopes: DEFAULT, roles: &["roles/eventarc.eventReceiver"],
           verdict: "not-applicable", findings: &[] },
    Case { n: "v2 dataproc.worker", dialect: GC, scopes: DEFAULT, roles: &["roles/dataproc.worker"],
           verdict: "not-applicable", findings: &[] },
    // IAM database login needs sqlservice.login (Cloud SQL IAM login docs).
    Case { n: "v2 instanceUser default", dialect: GC, scopes: DEFAULT, roles: &["roles/cloudsql.instanceUser"],
           verdict: "insufficient", findings: &["SL001 error"] },
    Case { n: "v2 instanceUser login", dialect: TF, scopes: &["https://www.googleapis.com/auth/sqlservice.login"],
           roles: &["roles/cloudsql.instanceUser"], verdict: "sufficient", findings: &[] },
];

/// The per-permission verdicts say which API they are about and which methods fail.
#[test]
fn own_permissions_name_their_api_and_failing_methods() {
    // bigquery.dataPolicies.* are bigquerydatapolicy's methods, not bigquery's.
    let (v, _, _) = explain_json(GC, DEFAULT, &["roles/bigquerydatapolicy.admin"]);
    let apis: Vec<&str> = v["findings"][0]["apis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(apis, ["bigquerydatapolicy.googleapis.com"], "{v:#}");
    // storage-rw with objectUser: the object metadata methods are named, ACL methods
    // (which the role cannot call) are not.
    let text = pretty(&[
        "explain",
        "--scopes",
        "storage-rw",
        "--role",
        "roles/storage.objectUser",
    ]);
    assert!(text.contains("storage.objects.patch"), "{text}");
    assert!(text.contains("storage.objects.update"), "{text}");
    assert!(!text.contains("AccessControls"), "{text}");
    assert!(text.contains("of the role's"), "{text}");
}

fn explain_json(dialect: &str, scopes: &[&str], roles: &[&str]) -> (Value, String, i32) {
    let mut args = vec![
        "explain".to_string(),
        "--format".to_string(),
        "json".to_string(),
        "--dialect".to_string(),
        dialect.to_string(),
        format!("--scopes={}", scopes.join(",")),
    ];
    for r in roles {
        args.push("--role".to_string());
        args.push((*r).to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args)
}

fn finding_keys(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap(),
                f["severity"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn reference_cases_judged_as_check_judges_them() {
    let mut failures = Vec::new();
    for c in CASES {
        let (v, err, code) = explain_json(c.dialect, c.scopes, c.roles);
        if code != 0 {
            failures.push(format!("case {}: exit {code}: {err}", c.n));
            continue;
        }
        if v["verdict"] != c.verdict {
            failures.push(format!(
                "case {}: verdict {} instead of {}\n{v:#}",
                c.n, v["verdict"], c.verdict
            ));
        }
        let got = finding_keys(&v["findings"]);
        if got != c.findings {
            failures.push(format!(
                "case {}: check would report {got:?}, expected {:?}",
                c.n, c.findings
            ));
        }
        // Every role is reported once, in order, with a verdict in the documented spelling.
        let roles: Vec<&str> = v["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, c.roles, "case {}", c.n);
        for r in v["roles"].as_array().unwrap() {
            assert!(
                ["sufficient", "partial", "insufficient", "not-applicable"]
                    .contains(&r["verdict"].as_str().unwrap()),
                "case {}: {r}",
                c.n
            );
        }
        // The minimal scopes make every role sufficient: judge them again.
        if c.verdict == "partial" || c.verdict == "insufficient" {
            let minimal: Vec<String> = v["minimal"]["sufficient"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["url"].as_str().unwrap().to_string())
                .collect();
            let minimal: Vec<&str> = minimal.iter().map(String::as_str).collect();
            let scoped: Vec<&str> = v["roles"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["class"] == "api")
                .map(|r| r["role"].as_str().unwrap())
                .collect();
            if !scoped.is_empty() {
                let (again, _, _) = explain_json(TF, &minimal, &scoped);
                if again["verdict"] != "sufficient" {
                    failures.push(format!(
                        "case {}: the minimal scopes {minimal:?} are not sufficient: {}",
                        c.n, again["verdict"]
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A Terraform module: one VM with these scope URLs, run as a dedicated service
/// account that holds these roles.
fn terraform_module(scope_urls: &[String], roles: &[&str]) -> String {
    let scopes: Vec<String> = scope_urls.iter().map(|u| format!("\"{u}\"")).collect();
    let mut tf = format!(
        r#"resource "google_service_account" "app" {{
  account_id = "app"
}}

resource "google_compute_instance" "vm" {{
  name         = "vm"
  machine_type = "e2-small"
  zone         = "europe-west1-b"

  boot_disk {{
    initialize_params {{
      image = "debian-cloud/debian-12"
    }}
  }}

  network_interface {{
    network = "default"
  }}

  service_account {{
    email  = google_service_account.app.email
    scopes = [{}]
  }}
}}
"#,
        scopes.join(", ")
    );
    for (i, r) in roles.iter().enumerate() {
        tf.push_str(&format!(
            r#"
resource "google_project_iam_member" "r{i}" {{
  project = "p"
  role    = "{r}"
  member  = "serviceAccount:${{google_service_account.app.email}}"
}}
"#
        ));
    }
    tf
}

/// `explain` and `check` agree: every reference case, written as a Terraform
/// module with the scopes `explain` resolved, gets the same findings from `check`.
#[test]
fn reference_cases_through_check_on_terraform() {
    let mut failures = Vec::new();
    for c in CASES {
        let (v, _, _) = explain_json(c.dialect, c.scopes, c.roles);
        let urls: Vec<String> = v["granted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| format!("https://www.googleapis.com/auth/{}", s.as_str().unwrap()))
            .collect();
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("main.tf"), terraform_module(&urls, c.roles)).unwrap();
        let (report, _, code) = run(&["check", tmp.path().to_str().unwrap(), "--format", "json"]);
        assert_ne!(code, 2, "case {}: {report:#}", c.n);
        let mut got = finding_keys(&report["findings"]);
        got.sort();
        let mut want = finding_keys(&v["findings"]);
        want.sort();
        if got != want {
            failures.push(format!(
                "case {}: check reports {got:?}, explain says {want:?}",
                c.n
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reference_case_1_names_cloud_platform_as_the_fix() {
    let (v, _, _) = explain_json(GC, DEFAULT, &["roles/aiplatform.user"]);
    assert_eq!(v["minimal"]["sufficient"][0]["scope"], "cloud-platform");
    assert_eq!(v["minimal"]["add"][0]["scope"], "cloud-platform");
    assert_eq!(v["apis"][0]["api"], "aiplatform.googleapis.com");
    assert_eq!(v["apis"][0]["accepted"][0], "cloud-platform");
}

#[test]
fn reference_case_6_adds_a_storage_write_scope() {
    let (v, _, _) = explain_json(GC, DEFAULT, &["roles/storage.objectAdmin"]);
    let add: Vec<&str> = v["minimal"]["add"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scope"].as_str().unwrap())
        .collect();
    assert_eq!(add.len(), 1);
    assert!(add[0].starts_with("devstorage."), "{add:?}");
    let detail = v["roles"][0]["apis"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("write methods fail"), "{detail}");
}

#[test]
fn reference_case_23_flags_the_deprecated_alias() {
    let (v, _, _) = explain_json(GC, &["sql"], &["roles/cloudsql.client"]);
    assert_eq!(v["scopes"][0]["scopes"][0], "sqlservice");
    assert!(v["scopes"][0]["deprecated"].is_string());
    assert_eq!(v["minimal"]["add"][0]["gcloud"][0], "sql-admin");
}

/// Terraform has no `default` alias: `check` reports the string (SL004), judges
/// the remaining scopes (none), and so reports the Pub/Sub grant (SL001).
/// `explain` refuses the string, saying what Terraform does with it.
#[test]
fn reference_case_10_terraform_default_is_an_unknown_scope() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sl004_terraform_default_alias");
    let (v, _, code) = run(&["check", dir.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1);
    let mut rules: Vec<String> = finding_keys(&v["findings"]);
    rules.sort();
    assert_eq!(rules, ["SL001 error", "SL004 error"]);
    let (_, err, code) = explain_json(TF, DEFAULT, &["roles/pubsub.publisher"]);
    assert_eq!(code, 2);
    assert!(err.contains("gcloud alias"), "{err}");
    assert!(err.contains("SL004"), "{err}");
    let (v, _, code) = explain_json(GC, DEFAULT, &["roles/pubsub.publisher"]);
    assert_eq!((v["verdict"].as_str(), code), (Some("sufficient"), 0));
}

/// Case 17: a BigQuery query over a Drive- or Sheets-backed table also needs a
/// Drive scope, which cloud-platform does not include. The knowledge base maps
/// roles to APIs, not to where a table's data lives, so it cannot say that
/// `roles/bigquery.dataViewer` will read Drive data: with cloud-platform it
/// judges the roles sufficient. Kept as a documented gap.
#[test]
#[ignore = "known gap: the model cannot represent Drive-backed BigQuery tables (reference case 17)"]
fn reference_case_17_drive_backed_bigquery_needs_a_drive_scope() {
    let (v, _, _) = explain_json(
        TF,
        &["cloud-platform"],
        &["roles/bigquery.user", "roles/bigquery.dataViewer"],
    );
    assert_eq!(v["verdict"], "partial");
}

/// No service account at all (Terraform: no `service_account` block): no token,
/// whatever the default account holds. The product policy reports it as a note
/// (SL007), never an error: hardened VMs do this on purpose.
#[test]
fn reference_case_29_no_service_account_block_is_a_note() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/note_no_service_account_block");
    let (v, _, code) = run(&["check", dir.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "a note does not fail the default --fail-level");
    assert_eq!(finding_keys(&v["findings"]), ["SL007 note"]);
    assert_eq!(
        v["findings"][0]["apis"][0]["roles"][0],
        "roles/storage.objectViewer"
    );
}

/// `gcloud compute instances create --no-scopes` without `--service-account`
/// creates a VM without an account: in the model that is a workload with
/// `Account::None`, which is what a gcloud front end produces for it. The
/// policy is the same as for case 29: a note. With an account but zero scopes
/// (`--service-account=X --no-scopes`), every role is uncovered: SL003.
#[test]
fn reference_case_30_no_scopes_without_account_is_a_note() {
    use scopelint::check;
    use scopelint::fix::Strategy;
    use scopelint::knowledge::Knowledge;
    use scopelint::model::{Account, Grant, Identity, Model, Unit, Workload};
    use scopelint::source::{FileId, Loc};

    let kb = Knowledge::get().unwrap();
    let loc = Loc::new(FileId(0), 0..0);
    let model = Model {
        workloads: vec![Workload {
            kind: "google_compute_instance".into(),
            address: "gcloud.vm".into(),
            name: "vm".into(),
            zone: None,
            project: None,
            module: ".".into(),
            block: loc.clone(),
            account_block: None,
            account: Account::None,
            is_instance: true,
            startup: Vec::new(),
            unit: Unit::default(),
            stop_to_update: scopelint::model::StopToUpdate::Unknown,
        }],
        grants: vec![Grant {
            role: "roles/logging.logWriter".into(),
            member: Identity::DefaultCompute(None),
            address: "grant".into(),
            loc,
            unit: Unit::default(),
        }],
        enabled_apis: Vec::new(),
        role_definitions: Vec::new(),
        unresolved: Vec::new(),
    };
    let findings = check::run(&model, kb, Strategy::Auto);
    let got: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.rule.code, f.severity.as_str()))
        .collect();
    assert_eq!(got, [("SL007", "note")]);

    let (v, _, _) = explain_json(GC, &[], &["roles/logging.logWriter"]);
    assert_eq!(v["verdict"], "insufficient");
    assert_eq!(finding_keys(&v["findings"]), ["SL003 error"]);
}

// ------------------------------------------------------------------ the four query shapes

#[test]
fn a_role_lists_its_apis_scopes_aliases_and_revision() {
    let (v, _, code) = run(&["explain", "roles/aiplatform.user", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(v["version"], 1);
    assert_eq!(v["kind"], "role");
    assert_eq!(v["class"], "api");
    let u = &v["uses"][0];
    assert_eq!(u["api"], "aiplatform.googleapis.com");
    assert_eq!(u["access"], "write");
    assert_eq!(u["satisfied_by"][0]["scope"], "cloud-platform");
    assert_eq!(u["satisfied_by"][0]["gcloud"][0], "cloud-platform");
    assert_eq!(u["satisfied_by"][0]["terraform"], "cloud-platform");
    let partly: Vec<(&str, &str)> = u["partly"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["scope"].as_str().unwrap(),
                p["severity"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(partly.contains(&("cloud-platform.read-only", "warning")));
    assert!(partly.contains(&("aiplatform", "note")));
    assert!(u["api_source"].as_str().unwrap().contains("rev "));
    assert!(v["revision"]["iam_dataset_commit"].is_string());
    assert!(v["revision"]["discovery"].is_string());

    let text = pretty(&["explain", "roles/aiplatform.user"]);
    assert!(text.contains("aiplatform.googleapis.com"), "{text}");
    assert!(text.contains("cloud-platform"), "{text}");
    assert!(text.contains("revision:"), "{text}");
}

#[test]
fn roles_of_other_classes_say_how_scopes_apply() {
    for (role, class) in [
        ("roles/run.invoker", "scope-independent"),
        ("roles/editor", "all-services"),
        ("roles/aiplatform.serviceAgent", "service-agent"),
    ] {
        let (v, _, code) = run(&["explain", role, "--format", "json"]);
        assert_eq!(code, 0);
        assert_eq!(v["class"], class, "{role}");
        assert!(v["uses"].as_array().unwrap().is_empty(), "{role}");
        assert!(!v["meaning"].as_str().unwrap().is_empty(), "{role}");
    }
}

#[test]
fn a_verdict_query_in_pretty_form() {
    let text = pretty(&[
        "explain",
        "--scopes",
        "storage-ro,logging-write",
        "--role",
        "roles/aiplatform.user",
        "--role",
        "roles/storage.objectViewer",
    ]);
    for want in [
        "roles/aiplatform.user: insufficient",
        "roles/storage.objectViewer: sufficient",
        "SL001 insufficient-scope (error)",
        "minimal sufficient scopes: cloud-platform",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn the_dialect_decides_what_an_alias_means() {
    // gke-default is gcloud's; Terraform passes the string through.
    let (v, _, code) = explain_json(GC, &["gke-default"], &["roles/monitoring.editor"]);
    assert_eq!(code, 0);
    assert!(
        v["granted"]
            .as_array()
            .unwrap()
            .contains(&Value::from("monitoring"))
    );
    let (_, err, code) = explain_json(TF, &["gke-default"], &["roles/monitoring.editor"]);
    assert_eq!(code, 2);
    assert!(err.contains("gcloud alias"), "{err}");
}

#[test]
fn an_api_lists_what_each_class_accepts() {
    let (v, _, code) = run(&["explain", "aiplatform.googleapis.com", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(v["kind"], "api");
    assert_eq!(v["workload"], true);
    let read_all: Vec<&str> = v["read"]["all"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scope"].as_str().unwrap())
        .collect();
    assert!(read_all.contains(&"cloud-platform"));
    let some = v["write"]["some"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scope"] == "aiplatform")
        .unwrap();
    assert!(some["covers"].as_u64().unwrap() < some["of"].as_u64().unwrap());
    assert!(!some["fails"].as_array().unwrap().is_empty());
    assert!(
        v["roles"]
            .as_array()
            .unwrap()
            .contains(&Value::from("roles/aiplatform.user"))
    );
    // A service name the knowledge base maps to another key, and a bare name.
    let (v, _, _) = run(&["explain", "translate.googleapis.com", "--format", "json"]);
    assert_eq!(v["api"], "translation.googleapis.com");
    let (v, _, _) = run(&["explain", "secretmanager", "--format", "json"]);
    assert_eq!(v["api"], "secretmanager.googleapis.com");
    // A name that is both a scope alias and an API's short name is the alias.
    let (v, _, _) = run(&["explain", "bigquery", "--format", "json"]);
    assert_eq!(v["kind"], "scope");
    assert_eq!(v["see_also"], "bigquery.googleapis.com");
    let text = pretty(&["explain", "storage.googleapis.com"]);
    assert!(text.contains("accepted by only some"), "{text}");
}

#[test]
fn an_alias_expands_in_gcloud_and_in_terraform() {
    let (v, _, code) = run(&["explain", "storage-ro", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(v["kind"], "scope");
    assert_eq!(v["gcloud"]["scopes"][0], "devstorage.read_only");
    assert_eq!(v["terraform"]["scopes"][0], "devstorage.read_only");
    assert!(
        v["scopes"][0]["accepted_by_some_methods"]
            .as_array()
            .unwrap()
            .contains(&Value::from("storage.googleapis.com"))
    );

    let (v, _, _) = run(&["explain", "default", "--format", "json"]);
    let expanded = v["gcloud"]["scopes"].as_array().unwrap();
    assert_eq!(expanded.len(), 7);
    assert!(expanded.contains(&Value::from("pubsub")));
    assert!(v["terraform"].is_null(), "Terraform has no default alias");

    let (v, _, _) = run(&["explain", CPRO, "--format", "json"]);
    assert_eq!(v["gcloud"]["alias"], false);
    assert_eq!(v["terraform"]["scopes"][0], "cloud-platform.read-only");

    let text = pretty(&["explain", "default"]);
    assert!(text.contains("Terraform scopes: not an alias"), "{text}");
}

#[test]
fn unknown_names_fail_with_the_nearest_known_ones() {
    for (args, want) in [
        (
            vec!["explain", "roles/aiplatform.usr"],
            "roles/aiplatform.user",
        ),
        (vec!["explain", "aiplatform.googleapis.co"], "aiplatform"),
        (vec!["explain", "storage-r0"], "storage-ro"),
        (
            vec![
                "explain",
                "--scopes",
                "storage-r0",
                "--role",
                "roles/run.invoker",
            ],
            "storage-ro",
        ),
        (
            vec![
                "explain",
                "--scopes",
                "default",
                "--role",
                "roles/pubsub.publishr",
            ],
            "roles/pubsub.publisher",
        ),
    ] {
        let (out, err, code) = run(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(out.is_null(), "{args:?}: nothing on stdout");
        assert!(err.contains("nearest known names"), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    // The roles/ prefix may be left out.
    let (v, _, code) = explain_json(GC, DEFAULT, &["pubsub.publisher"]);
    assert_eq!(
        (code, v["roles"][0]["role"].as_str()),
        (0, Some("roles/pubsub.publisher"))
    );
    let (_, err, code) = run(&["explain", "projects/p/roles/custom"]);
    assert_eq!(code, 2);
    assert!(err.contains("custom role"), "{err}");
    // --role without --scopes, and nothing to explain: usage errors.
    assert_eq!(run(&["explain", "--role", "roles/run.invoker"]).2, 2);
    assert_eq!(run(&["explain"]).2, 2);
}

// ------------------------------------------------------------------ kb stats

#[test]
fn kb_stats_counts_every_api_and_role() {
    let (v, _, code) = run(&["kb", "stats", "--format", "json"]);
    assert_eq!(code, 0);
    let apis = &v["apis"];
    let n = |x: &Value| x.as_u64().unwrap();
    assert_eq!(
        n(&apis["from_discovery"]) + n(&apis["curated"]),
        n(&apis["total"])
    );
    assert_eq!(
        n(&apis["with_scopes"]) + n(&apis["without_scopes"]),
        n(&apis["total"])
    );
    assert!(n(&apis["from_discovery"]) > 300);
    let roles = &v["roles"];
    assert_eq!(n(&roles["total"]), 2461);
    let by_class = roles["by_class"].as_object().unwrap();
    assert_eq!(
        by_class.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "all-services",
            "api",
            "scope-independent",
            "service-agent",
            "unmapped"
        ]
    );
    assert_eq!(by_class.values().map(n).sum::<u64>(), n(&roles["total"]));
    assert_eq!(n(&by_class["all-services"]), 3);
    let unmapped: u64 = roles["unmapped_reasons"]
        .as_object()
        .unwrap()
        .values()
        .map(n)
        .sum();
    assert_eq!(unmapped, n(&by_class["unmapped"]));
    assert!(roles["unmapped_reasons"]["other"].is_null(), "{roles:#}");
    // Knowledge base v2 target: at most 360 of 2,461 roles unmapped.
    assert!(n(&by_class["unmapped"]) <= 360, "{roles:#}");
    assert!(n(&v["curated_overrides"]["grpc_apis"]) >= 6);
    assert!(n(&v["curated_overrides"]["role_uses"]) > 0);
    let sources = &v["sources"];
    assert!(
        sources["discovery_package"]
            .as_str()
            .unwrap()
            .starts_with("google-api-python-client ")
    );
    assert!(n(&sources["discovery_documents"]) > 0);
    assert_eq!(sources["iam_dataset_commit"].as_str().unwrap().len(), 40);
    assert_eq!(sources["googleapis_commit"].as_str().unwrap().len(), 40);
    assert_eq!(
        sources["discovery_wheel_sha256"].as_str().unwrap().len(),
        64
    );
    assert!(sources["gcloud_aliases"].as_str().unwrap().contains('@'));

    let text = pretty(&["kb", "stats"]);
    assert!(text.contains("2461 predefined roles"), "{text}");
    assert!(text.contains("curated overrides"), "{text}");
}

#[test]
fn version_names_the_data_versions() {
    let text = pretty(&["--version"]);
    let (v, _, _) = run(&["kb", "stats", "--format", "json"]);
    for key in [
        "discovery_package",
        "discovery_wheel_sha256",
        "iam_dataset_commit",
        "googleapis_commit",
    ] {
        let value = v["sources"][key].as_str().unwrap();
        assert!(
            text.contains(value),
            "--version lacks {key} {value}:\n{text}"
        );
    }
    // `-V` stays one line.
    assert_eq!(pretty(&["-V"]).lines().count(), 1);
}

/// `--scopes` takes what `gcloud compute instances describe
/// --format="value(serviceAccounts.scopes)"` prints, the field note's first step.
#[test]
fn scopes_as_gcloud_describe_prints_them() {
    let a = "https://www.googleapis.com/auth/devstorage.read_only";
    let b = "https://www.googleapis.com/auth/logging.write";
    let mut answers = Vec::new();
    for given in [
        format!("['{a}', '{b}']"),
        format!("{a};{b}"),
        format!("{a},{b}"),
    ] {
        let (v, err, code) = run(&[
            "explain",
            "--format",
            "json",
            "--scopes",
            &given,
            "--role",
            "roles/aiplatform.user",
        ]);
        assert_eq!(code, 0, "{given}: {err}");
        answers.push(v);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
    assert_eq!(answers[0]["verdict"], "insufficient", "{:#}", answers[0]);
}

/// `explain` on a basic role speaks to its user: no notes meant for the
/// tool's authors, no file that is not shipped.
#[test]
fn basic_roles_are_explained_for_users() {
    for role in ["roles/editor", "roles/owner", "roles/viewer"] {
        let text = pretty(&["explain", role]);
        assert!(!text.contains("An analyzer should"), "{text}");
        assert!(!text.contains("role-services.yaml"), "{text}");
        assert!(
            text.contains("source: IAM basic role (rules/SOURCES.md)"),
            "{text}"
        );
    }
}
