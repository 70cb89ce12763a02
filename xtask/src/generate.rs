//! `gen-rules`: builds rules/scopes.json, rules/apis.json, rules/roles.json and rules/SOURCES.md.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::apis::{self, Api, ApiTable};
use crate::derive::stem;
use crate::derive::{DERIVED_ROLE_SERVICES, DERIVED_ROLE_SUMMARY, DERIVED_SCOPE_ALIASES};
use crate::discovery::{self, Class, ClassSummary};
use crate::inputs::{
    Overrides, RoleServices, RoleSummary, ScopeAliases, read_json, read_json_or_yaml, read_yaml,
};
use crate::jsonout::to_pretty_sorted;
use crate::roles::{self, Diagnostics, Role, RoleClass};
use crate::{DISCOVERY_PACKAGE, DISCOVERY_VERSION, GENERATED_BY, Result, SCOPE_PREFIX};

/// File names inside the reference data directory.
pub const KB_ROLE_SERVICES: &str = "role-services.yaml";
pub const KB_ROLE_SUMMARY: &str = "role-permissions-summary.json";
pub const KB_SCOPE_ALIASES: &str = "scope-aliases.yaml";

/// Scopes that are always `known`, on top of everything discovery and the gRPC overrides declare:
/// legacy or identity scopes that gcloud/Terraform aliases produce.
pub const ALWAYS_KNOWN: [&str; 6] = [
    "cloud.useraccounts",
    "cloud.useraccounts.readonly",
    "openid",
    "sqlservice",
    "taskqueue",
    "userinfo.email",
];

pub struct GenInput<'a> {
    pub kb_dir: &'a Path,
    pub discovery_dir: &'a Path,
    /// e.g. "google-api-python-client 2.202.0"
    pub discovery_label: &'a str,
    pub overrides: &'a Path,
}

pub struct Generated {
    /// file name in rules/ -> content
    pub files: BTreeMap<String, String>,
    pub diagnostics: Vec<String>,
    pub summary: String,
}

pub fn pinned_label() -> String {
    format!("{DISCOVERY_PACKAGE} {DISCOVERY_VERSION}")
}

pub fn generate(inp: &GenInput) -> Result<Generated> {
    // The derived inputs (xtask/inputs/, JSON) or a reference data directory (YAML).
    let aliases: ScopeAliases = read_json_or_yaml(inp.kb_dir, stem(KB_SCOPE_ALIASES))?;
    let rs: RoleServices = read_json_or_yaml(inp.kb_dir, stem(KB_ROLE_SERVICES))?;
    let summary: RoleSummary = read_json(&inp.kb_dir.join(KB_ROLE_SUMMARY))?;
    let ov: Overrides = read_yaml(inp.overrides)?;
    let docs = discovery::load_dir(inp.discovery_dir)?;

    let table = apis::build(&docs, &ov, inp.discovery_label)?;
    let mut diag = Diagnostics::default();
    let roles = roles::classify(&summary, &rs, &ov, &table, &mut diag)?;

    let iam_commit = rs
        .meta
        .iam_dataset_commit
        .clone()
        .unwrap_or_else(|| "unknown".to_string());
    let sources = vec![
        format!(
            "{}: googleapiclient/discovery_cache/documents/*.json ({} documents)",
            inp.discovery_label,
            docs.len()
        ),
        format!(
            "iann0036/iam-dataset@{iam_commit} gcp/roles/*.json, via the reference data files {KB_ROLE_SERVICES} and {KB_ROLE_SUMMARY}"
        ),
        format!("gcloud: {}", aliases.gcloud.source),
        format!("terraform: {}", aliases.terraform.source),
        "rules/overrides.yaml (hand-curated; each entry names its public source)".to_string(),
    ];
    let header = json!({
        "generated_by": GENERATED_BY,
        "sources": sources,
        "curated_overrides": override_counts(&ov),
    });

    // ---- scopes.json
    let mut known: BTreeSet<String> = BTreeSet::new();
    for d in &docs {
        known.extend(d.declared.iter().cloned());
        for m in &d.methods {
            known.extend(m.scopes.iter().cloned());
        }
    }
    for g in ov.grpc_apis.values() {
        for grp in &g.groups {
            known.extend(grp.scopes.iter().cloned());
        }
    }
    known.extend(ALWAYS_KNOWN.iter().map(|s| s.to_string()));
    known.extend(ov.no_access_scopes.keys().cloned());
    check_aliases(&aliases, &known)?;

    let mut deprecated = Map::new();
    for (k, v) in &aliases.gcloud.deprecated {
        if let Value::String(s) = v {
            deprecated.insert(k.clone(), Value::String(s.clone()));
        }
    }
    let dataproc = match &ov.dataproc {
        Some(d) => {
            for s in d.always.iter().chain(&d.when_none_given) {
                if !known.contains(s) {
                    return Err(format!("overrides dataproc: unknown scope {s}").into());
                }
            }
            json!({"source": d.source, "always": d.always, "when_none_given": d.when_none_given})
        }
        None => json!({"source": "", "always": [], "when_none_given": []}),
    };
    let no_access: Map<String, Value> = ov
        .no_access_scopes
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.reason.clone())))
        .collect();
    let scopes_json = json!({
        "header": header,
        "prefix": SCOPE_PREFIX,
        "known": known,
        "gcloud": {
            "source": aliases.gcloud.source,
            "aliases": aliases.gcloud.aliases,
            "deprecated": deprecated,
        },
        "terraform": {"source": aliases.terraform.source, "aliases": aliases.terraform.aliases},
        "dataproc": dataproc,
        "no_access": no_access,
    });

    // ---- apis.json
    let mut apis_map = Map::new();
    for (k, a) in &table.apis {
        apis_map.insert(k.clone(), api_json(a));
    }
    let mut apis_header = header.clone();
    apis_header["discovery_package"] = Value::String(inp.discovery_label.to_string());
    apis_header["discovery_documents"] = json!(docs.len());
    let apis_json = json!({"header": apis_header, "apis": apis_map, "aliases": table.aliases});

    // ---- roles.json
    let mut roles_map = Map::new();
    for (k, r) in &roles {
        roles_map.insert(k.clone(), role_json(r));
    }
    let mut roles_header = header.clone();
    roles_header["iam_dataset_commit"] = Value::String(iam_commit.clone());
    let roles_json = json!({"header": roles_header, "roles": roles_map});

    let counts = class_counts(&roles);
    let summary_text = summary_text(&table, &roles, &counts);
    let sources_md = sources_md(
        inp,
        &ov,
        &aliases,
        &iam_commit,
        &docs,
        &table,
        &counts,
        roles.len(),
    );

    let mut files = BTreeMap::new();
    files.insert("scopes.json".to_string(), to_pretty_sorted(&scopes_json));
    files.insert("apis.json".to_string(), to_pretty_sorted(&apis_json));
    files.insert("roles.json".to_string(), to_pretty_sorted(&roles_json));
    files.insert("SOURCES.md".to_string(), sources_md);
    Ok(Generated {
        files,
        diagnostics: diag.lines,
        summary: summary_text,
    })
}

/// Entries per section of `overrides.yaml` (its pinned upstream revisions are not entries).
fn override_counts(ov: &Overrides) -> BTreeMap<&'static str, usize> {
    BTreeMap::from([
        ("api_adjustments", ov.api_adjustments.len()),
        ("dataproc", usize::from(ov.dataproc.is_some())),
        ("discovery_docs", ov.discovery_docs.len()),
        ("family_services", ov.family_services.len()),
        ("grpc_apis", ov.grpc_apis.len()),
        ("host_aliases", ov.host_aliases.len()),
        ("infrastructure_apis", ov.infrastructure_apis.len()),
        ("no_access_scopes", ov.no_access_scopes.len()),
        ("role_uses", ov.role_uses.len()),
        ("scope_independent", ov.scope_independent.len()),
        ("workload_apis", ov.workload_apis.len()),
    ])
}

fn check_aliases(a: &ScopeAliases, known: &BTreeSet<String>) -> Result<()> {
    for (alias, scopes) in &a.gcloud.aliases {
        for s in scopes {
            if !known.contains(s) {
                return Err(format!("gcloud alias {alias} expands to unknown scope {s}").into());
            }
        }
    }
    for (alias, s) in &a.terraform.aliases {
        if !known.contains(s) {
            return Err(format!("terraform alias {alias} expands to unknown scope {s}").into());
        }
    }
    Ok(())
}

fn class_json(c: &ClassSummary) -> Value {
    let mut some = Map::new();
    for (s, p) in &c.some {
        some.insert(s.clone(), json!({"covers": p.covers, "fails": p.fails}));
    }
    json!({"methods": c.methods, "all": c.all, "some": some})
}

fn api_json(a: &Api) -> Value {
    let mut v = json!({
        "title": a.title,
        "source": a.source,
        "read": class_json(&a.read),
        "write": class_json(&a.write),
        "grpc": a.grpc,
        "workload": a.workload,
    });
    if let Some(n) = &a.note {
        v["note"] = Value::String(n.clone());
    }
    v
}

fn access_str(c: Class) -> &'static str {
    match c {
        Class::Read => "read",
        Class::Write => "write",
    }
}

fn role_json(r: &Role) -> Value {
    let uses: Vec<Value> = r
        .uses
        .iter()
        .map(|u| json!({"api": u.api, "access": access_str(u.access), "needs_any_of": u.needs_any_of}))
        .collect();
    let mut v = json!({
        "title": r.title,
        "stage": r.stage,
        "class": r.class.as_str(),
        "uses": uses,
        "source": r.source,
    });
    if let Some(n) = &r.note {
        v["note"] = Value::String(n.clone());
    }
    v
}

fn class_counts(roles: &BTreeMap<String, Role>) -> BTreeMap<&'static str, usize> {
    let mut c = BTreeMap::new();
    for r in roles.values() {
        *c.entry(r.class.as_str()).or_insert(0) += 1;
    }
    c
}

fn summary_text(
    table: &ApiTable,
    roles: &BTreeMap<String, Role>,
    counts: &BTreeMap<&str, usize>,
) -> String {
    let grpc = table.apis.values().filter(|a| a.grpc).count();
    let workload = table.apis.values().filter(|a| a.workload).count();
    let counts: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
    format!(
        "apis: {} ({} from discovery, {grpc} gRPC/override-only, {workload} workload); roles: {} ({})",
        table.apis.len(),
        table.apis.len() - grpc,
        roles.len(),
        counts.join(", ")
    )
}

#[allow(clippy::too_many_arguments)]
fn sources_md(
    inp: &GenInput,
    ov: &Overrides,
    aliases: &ScopeAliases,
    iam_commit: &str,
    docs: &[discovery::Doc],
    table: &ApiTable,
    counts: &BTreeMap<&str, usize>,
    role_total: usize,
) -> String {
    let grpc: Vec<&String> = table
        .apis
        .iter()
        .filter(|(_, a)| a.grpc)
        .map(|(k, _)| k)
        .collect();
    let counts: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let mut s = String::new();
    s.push_str("# rules/: sources and how to regenerate\n\n");
    s.push_str(
        "This file is generated by `cargo run -p xtask -- gen-rules`; do not edit it by hand.\n\n",
    );
    s.push_str("## Files\n\n");
    s.push_str("| file | what |\n| --- | --- |\n");
    s.push_str("| `scopes.json` | Known OAuth scope short names (prefix `https://www.googleapis.com/auth/`), the gcloud `--scopes` aliases (incl. `default` and `gke-default`) and deprecations, the Terraform provider alias table, the scopes Dataproc adds to cluster VMs, and scopes that grant no Cloud API access. |\n");
    s.push_str(&format!(
        "| `apis.json` | {} APIs. For each: which scopes are accepted by every read-class / write-class method (`all`), and by only some of them (`some`: methods covered, up to 5 example methods that fail). Read = HTTP GET or accepts a read-only scope (`cloud-platform.read-only`, `compute.readonly`, ...); write = everything else. `grpc: true` marks entries from `overrides.yaml` (APIs that discovery does not describe); `workload: true` marks the APIs counted as evidence by rule SL005. `aliases` maps service names to keys. |\n",
        table.apis.len()
    ));
    s.push_str(&format!(
        "| `roles.json` | All {role_total} IAM roles of iam-dataset ({}). `api` roles list their uses: API, access class, and `needs_any_of` (any one of these scopes fully satisfies the use). |\n",
        counts.join(", ")
    ));
    s.push_str("| `overrides.yaml` | Hand-curated input of the generator: gRPC-only APIs, API adjustments, role uses, scope-independent roles, workload and infrastructure APIs. Every entry has a `reason` and a `source`. |\n");
    s.push_str("| `SOURCES.md` | This file. |\n\n");
    s.push_str("## Sources\n\n");
    s.push_str(&format!(
        "* **Discovery documents**: {} (PyPI wheel), `googleapiclient/discovery_cache/documents/*.json`, {} documents (the same tree as GitHub googleapis/google-api-python-client). One document per service host: the stable version with the highest version number, unless `overrides.yaml` `discovery_docs` names the documents to merge. Each API entry records its document names and revisions.\n",
        inp.discovery_label,
        docs.len()
    ));
    s.push_str(&format!(
        "* **IAM roles**: iann0036/iam-dataset @ `{iam_commit}` (`gcp/roles/*.json`, `gcp/predefined_roles.json`, `gcp/map.json`, `gcp/service_mapping.json`), summarised in the reference data files `{KB_ROLE_SUMMARY}` (every role: title, stage, permission prefixes) and `{KB_ROLE_SERVICES}` (API families with curated `needs_any_of`, permission prefix to service host).\n"
    ));
    s.push_str(&format!(
        "* **gcloud scope aliases**: {} (also `instance_utils.py` and `command_lib/compute/instances/flags.py` for the defaulting rules), read into the reference data file `{KB_SCOPE_ALIASES}`.\n",
        aliases.gcloud.source
    ));
    s.push_str(&format!(
        "* **Terraform scope aliases**: {}.\n",
        aliases.terraform.source
    ));
    s.push_str(&format!(
        "* **gRPC-only APIs** ({}): googleapis/googleapis service YAML `authentication.rules` (see each entry's `source`), and Artifact Registry documentation for the Docker endpoint.\n",
        grpc.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
    ));
    if !ov.upstream_sources.is_empty() {
        s.push_str("* **Pinned upstream revisions** (from `overrides.yaml` `upstream_sources`):\n");
        for (k, v) in &ov.upstream_sources {
            s.push_str(&format!("  * {k}: {v}\n"));
        }
    }
    s.push_str("* **Policy decisions** (for example: BigQuery jobs need `bigquery` or `cloud-platform`, `devstorage.*` do not count; which enabled APIs count for SL005) are marked `scopelint policy` in `overrides.yaml`.\n\n");
    s.push_str("Entries marked UNCONFIRMED (Gemini API scopes, the `*-docker.pkg.dev` scope matrix) have no machine-readable source.\n\n");
    s.push_str("## Regenerate\n\n");
    s.push_str("```sh\n");
    s.push_str("cargo run -p xtask -- gen-rules                                         # from the committed xtask/inputs/\n");
    s.push_str("cargo run -p xtask -- gen-rules --kb-dir <reference data directory>   # refresh xtask/inputs/ first\n");
    s.push_str("```\n\n");
    s.push_str(&format!(
        "Generation has two stages. Stage 1 (only with `--kb-dir`) reads the reference data directory (`{KB_ROLE_SERVICES}`, `{KB_ROLE_SUMMARY}`, `{KB_SCOPE_ALIASES}`, which are not in the repository) and writes the derived inputs `xtask/inputs/` (`{DERIVED_ROLE_SERVICES}`, `{DERIVED_ROLE_SUMMARY}`, `{DERIVED_SCOPE_ALIASES}`): only the facts the generator reads (per role its title, launch stage, read/write access and permission prefix counts; the curated API families; the permission prefix to service table; the scope alias tables), one entry per line, each file naming its source. Stage 2 reads `xtask/inputs/`, the discovery documents and `overrides.yaml` and writes `rules/`. Without `--discovery-dir`, it downloads the pinned wheel ({DISCOVERY_PACKAGE}=={DISCOVERY_VERSION}) with `python3 -m pip download` into `target/kb-cache` (`--cache` to change) and extracts the discovery documents with python3's zipfile module. The output is deterministic. `cargo test -p xtask` re-runs stage 2 and compares its output with `rules/` byte for byte (skipped, with a message, only when the pinned wheel cannot be fetched), and re-runs stage 1 and compares it with `xtask/inputs/` when `SCOPELINT_KB_DIR` names the reference data directory. The scopelint binary embeds the JSON files and needs none of the inputs.\n"
    ));
    s
}

/// Writes the generated files into `out_dir`.
pub fn write_files(g: &Generated, out_dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let mut written = Vec::new();
    for (name, content) in &g.files {
        let p = out_dir.join(name);
        std::fs::write(&p, content).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        written.push(p);
    }
    Ok(written)
}

// ---------------------------------------------------------------- discovery wheel

pub fn wheel_file_name() -> String {
    format!(
        "{}-{DISCOVERY_VERSION}-py3-none-any.whl",
        DISCOVERY_PACKAGE.replace('-', "_")
    )
}

const EXTRACT_PY: &str = r#"
import os, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
prefix = "googleapiclient/discovery_cache/documents/"
os.makedirs(dest, exist_ok=True)
count = 0
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        rest = name[len(prefix):]
        if name.startswith(prefix) and rest.endswith(".json") and "/" not in rest:
            with open(os.path.join(dest, rest), "wb") as f:
                f.write(z.read(name))
            count += 1
if count == 0:
    sys.exit("no discovery documents in " + wheel)
"#;

/// Makes sure the pinned wheel is in `cache` and its discovery documents are extracted;
/// returns the documents directory.
pub fn fetch_discovery(cache: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(cache)
        .map_err(|e| format!("cannot create {}: {e}", cache.display()))?;
    let wheel = cache.join(wheel_file_name());
    if !wheel.is_file() {
        let spec = format!("{DISCOVERY_PACKAGE}=={DISCOVERY_VERSION}");
        eprintln!("downloading {spec} into {}", cache.display());
        let status = std::process::Command::new("python3")
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary",
                ":all:",
                &spec,
                "-d",
            ])
            .arg(cache)
            .status()
            .map_err(|e| format!("cannot run python3 -m pip: {e}"))?;
        if !status.success() || !wheel.is_file() {
            return Err(format!("pip download of {spec} failed ({status})").into());
        }
    }
    let docs = cache.join(format!("{DISCOVERY_PACKAGE}-{DISCOVERY_VERSION}-documents"));
    let marker = docs.join(".complete");
    if !marker.is_file() {
        let tmp = cache.join(format!(
            "{DISCOVERY_PACKAGE}-{DISCOVERY_VERSION}-documents.tmp"
        ));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)
                .map_err(|e| format!("cannot remove {}: {e}", tmp.display()))?;
        }
        let status = std::process::Command::new("python3")
            .arg("-c")
            .arg(EXTRACT_PY)
            .arg(&wheel)
            .arg(&tmp)
            .status()
            .map_err(|e| format!("cannot run python3: {e}"))?;
        if !status.success() {
            return Err(format!("extracting {} failed ({status})", wheel.display()).into());
        }
        std::fs::write(tmp.join(".complete"), b"")
            .map_err(|e| format!("cannot write marker: {e}"))?;
        if docs.exists() {
            std::fs::remove_dir_all(&docs)
                .map_err(|e| format!("cannot remove {}: {e}", docs.display()))?;
        }
        std::fs::rename(&tmp, &docs)
            .map_err(|e| format!("cannot rename {}: {e}", tmp.display()))?;
    }
    Ok(docs)
}

/// The workspace root (parent of the xtask crate).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Quick sanity numbers for a role class.
pub fn count_class(roles: &BTreeMap<String, Role>, class: RoleClass) -> usize {
    roles.values().filter(|r| r.class == class).count()
}
