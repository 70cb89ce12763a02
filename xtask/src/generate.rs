//! `gen-rules`: builds rules/scopes.json, rules/apis.json, rules/roles.json, rules/methods.json,
//! rules/permissions.json
//! and rules/SOURCES.md.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::apis::{self, Api, ApiTable};
use crate::derive::stem;
use crate::discovery::{self, Class, ClassSummary};
use crate::grpc;
use crate::inputs::{Overrides, RoleServices, ScopeAliases, read_json_or_yaml, read_yaml};
use crate::jsonout::to_pretty_sorted;
use crate::permissions::{self, RawRoles};
use crate::reach::Reach;
use crate::roles::{self, Diagnostics, Role, RoleClass};
use crate::vendor::{self, DiscoveryOrigin, IAM_MAP, IAM_ROLES, SERVICE_AUTH, read_input_json};
use crate::{GENERATED_BY, Result, SCOPE_PREFIX};

/// File names inside the reference data directory.
pub const KB_ROLE_SERVICES: &str = "role-services.yaml";
/// The upstream revisions of the vendored inputs.
pub const PINNED: &str = "pinned.json";
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
    /// The inputs directory: the curated role families and alias tables, and the vendored
    /// upstream data (`iam-dataset/`, `googleapis/`, `discovery/`, `pinned.json`).
    pub kb_dir: &'a Path,
    /// Raw discovery documents to read instead of the vendored extraction, with their label.
    pub discovery_dir: Option<(&'a Path, &'a str)>,
    pub overrides: &'a Path,
}

pub struct Generated {
    /// file name in rules/ -> content
    pub files: BTreeMap<String, String>,
    pub diagnostics: Vec<String>,
    pub summary: String,
}

/// The upstream revisions of the vendored inputs (`pinned.json`).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Pinned {
    #[serde(default)]
    pub iam_dataset: String,
    #[serde(default)]
    pub googleapis: String,
}

pub fn generate(inp: &GenInput) -> Result<Generated> {
    // The curated inputs (xtask/inputs/, JSON) or a reference data directory (YAML).
    let aliases: ScopeAliases = read_json_or_yaml(inp.kb_dir, stem(KB_SCOPE_ALIASES))?;
    let rs: RoleServices = read_json_or_yaml(inp.kb_dir, stem(KB_ROLE_SERVICES))?;
    let pinned: Pinned = read_input_json(inp.kb_dir, PINNED)?;
    let raw_roles: RawRoles = read_input_json(inp.kb_dir, IAM_ROLES)?;
    let summary = permissions::summarize(&raw_roles);
    let ov: Overrides = read_yaml(inp.overrides)?;
    let (docs, origin) = match inp.discovery_dir {
        Some((dir, label)) => (
            discovery::load_dir(dir)?,
            DiscoveryOrigin {
                package: label.to_string(),
                version: String::new(),
                wheel_sha256: String::new(),
            },
        ),
        None => vendor::load_discovery(inp.kb_dir)?,
    };
    let label = if origin.version.is_empty() {
        origin.package.clone()
    } else {
        origin.label()
    };
    let discovery_label = label.as_str();

    let googleapis_commit = pinned
        .googleapis
        .split_once('@')
        .map_or(pinned.googleapis.as_str(), |(_, c)| c)
        .to_string();
    let service_auth: Option<grpc::ServiceAuth> =
        match vendor::input_path(inp.kb_dir, SERVICE_AUTH).is_file() {
            true => Some(read_input_json(inp.kb_dir, SERVICE_AUTH)?),
            false => None,
        };
    let service_configs = service_auth
        .as_ref()
        .map(|auth| grpc::apis(auth, &googleapis_commit))
        .unwrap_or_default();
    let table = apis::build(&docs, &ov, discovery_label, service_configs)?;
    let mut diag = Diagnostics::default();
    let mut roles = roles::classify(&summary, &rs, &ov, &table, &mut diag)?;
    let map: Value = read_input_json(inp.kb_dir, IAM_MAP)?;
    let reach = Reach::new(&map, &table, &ov)?;
    roles::own_methods(&mut roles, &raw_roles, &reach, &table, &ov);

    let iam_commit = pinned
        .iam_dataset
        .split_once('@')
        .map_or(pinned.iam_dataset.as_str(), |(_, c)| c)
        .to_string();
    let sources = vec![
        format!(
            "{discovery_label}: googleapiclient/discovery_cache/documents/*.json ({} documents)",
            docs.len()
        ),
        format!(
            "{} gcp/roles/*.json (roles.json), gcp/map.json; curated API families in xtask/inputs/{KB_ROLE_SERVICES}",
            pinned.iam_dataset
        ),
        format!("{}: service config authentication.rules", pinned.googleapis),
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
    for api in table.apis.values().filter(|a| a.grpc) {
        known.extend(api.accepted());
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
    let gke = match &ov.gke {
        Some(g) => {
            if let Some(s) = g
                .node_config_without_scopes
                .iter()
                .find(|s| !known.contains(*s))
            {
                return Err(format!("overrides gke: unknown scope {s}").into());
            }
            if !aliases
                .gcloud
                .aliases
                .contains_key(&g.gcloud_without_scopes)
            {
                return Err(format!(
                    "overrides gke: unknown gcloud alias {}",
                    g.gcloud_without_scopes
                )
                .into());
            }
            json!({"source": g.source, "node_config_without_scopes": g.node_config_without_scopes, "gcloud_without_scopes": g.gcloud_without_scopes})
        }
        None => Value::Null,
    };
    let mut service_defaults = Map::new();
    for (kind, d) in &ov.service_defaults {
        if let Some(s) = d.scopes.iter().find(|s| !known.contains(*s)) {
            return Err(format!("overrides service_defaults {kind}: unknown scope {s}").into());
        }
        service_defaults.insert(
            kind.clone(),
            json!({"scopes": d.scopes, "reason": d.reason, "source": d.source}),
        );
    }
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
        "gke": gke,
        "service_defaults": service_defaults,
        "no_access": no_access,
    });

    // ---- apis.json
    let mut apis_map = Map::new();
    for (k, a) in &table.apis {
        apis_map.insert(k.clone(), api_json(a));
    }
    let mut apis_header = header.clone();
    apis_header["discovery_package"] = Value::String(discovery_label.to_string());
    if !origin.wheel_sha256.is_empty() {
        apis_header["discovery_wheel_sha256"] = Value::String(origin.wheel_sha256.clone());
    }
    apis_header["googleapis_commit"] = Value::String(googleapis_commit.clone());
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
        discovery_label,
        &origin,
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
    if let Some(auth) = &service_auth {
        let methods_json = json!({
            "header": {
                "generated_by": GENERATED_BY,
                "source": pinned.googleapis,
                "what": "every service configuration's authentication.rules",
            },
            "services": grpc::method_rules(auth),
        });
        files.insert("methods.json".to_string(), to_pretty_sorted(&methods_json));
    }
    let mut permissions_json = crate::permission_table::table(&raw_roles, &reach, &table, &ov);
    permissions_json["header"] = json!({
        "generated_by": GENERATED_BY,
        "sources": [
            format!("{} gcp/roles/*.json (every predefined role's permissions), gcp/map.json (the permissions each method checks)", pinned.iam_dataset),
            format!("{discovery_label}: the scopes each method accepts"),
            "rules/overrides.yaml (permission_methods, scope_independent)".to_string(),
        ],
        "iam_dataset_commit": iam_commit,
    });
    files.insert(
        "permissions.json".to_string(),
        to_pretty_sorted(&permissions_json),
    );
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
        ("gke", usize::from(ov.gke.is_some())),
        ("service_defaults", ov.service_defaults.len()),
        ("discovery_docs", ov.discovery_docs.len()),
        ("family_services", ov.family_services.len()),
        ("grpc_apis", ov.grpc_apis.len()),
        ("host_aliases", ov.host_aliases.len()),
        ("infrastructure_apis", ov.infrastructure_apis.len()),
        ("no_access_scopes", ov.no_access_scopes.len()),
        ("permission_methods", ov.permission_methods.len()),
        ("prefix_services", ov.prefix_services.len()),
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
        .map(|u| {
            let mut v = json!({"api": u.api, "access": access_str(u.access), "needs_any_of": u.needs_any_of});
            if let Some(c) = &u.read {
                v["read"] = class_json(c);
            }
            if let Some(c) = &u.write {
                v["write"] = class_json(c);
            }
            v
        })
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
    discovery_label: &str,
    origin: &DiscoveryOrigin,
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
    s.push_str("| `scopes.json` | Known OAuth scope short names (prefix `https://www.googleapis.com/auth/`), the gcloud `--scopes` aliases (incl. `default` and `gke-default`) and deprecations, the Terraform provider alias table, the scopes Dataproc adds to cluster VMs, the scopes GKE nodes get when none are given, the scopes other managed services (Composer 1, Cloud TPU) give their VMs when none are named, and scopes that grant no Cloud API access. |\n");
    s.push_str(&format!(
        "| `apis.json` | {} APIs. For each: which scopes are accepted by every read-class / write-class method (`all`), and by only some of them (`some`: methods covered, up to 5 example methods that fail). Read = HTTP GET or accepts a read-only scope (`cloud-platform.read-only`, `compute.readonly`, ...); write = everything else. `grpc: true` marks entries from `overrides.yaml` (APIs that discovery does not describe); `workload: true` marks the APIs counted as evidence by rule SL005. `aliases` maps service names to keys. |\n",
        table.apis.len()
    ));
    s.push_str(&format!(
        "| `roles.json` | All {role_total} IAM roles of iam-dataset ({}). `api` roles list their uses: API, access class, and `needs_any_of` (any one of these scopes fully satisfies the use). |\n",
        counts.join(", ")
    ));
    s.push_str("| `permissions.json` | Every permission of iam-dataset's roles and method map: the API methods it reaches by itself (`permissions`; the methods it is the own permission of, or those named like it when `map.json` does not mention it, plus `overrides.yaml` `permission_methods`), the methods that need several permissions together (`all_of`), and incidental permissions that are not judged (`not_judged`); each method with its API, class and accepted scopes (`methods`, `scope_sets`). Read to judge custom roles by the permissions they list. |\n");
    s.push_str("| `methods.json` | Per service, the authentication rules of each googleapis service configuration (`[selector, scopes]` in file order; within a file the last matching rule wins): the scopes one RPC accepts, as a 403 error body names it (`google.cloud.aiplatform.v1.PredictionService.GenerateContent`). Read by `scopelint why-403`. |\n");
    s.push_str("| `overrides.yaml` | Hand-curated input of the generator: gRPC-only APIs, API adjustments, role uses, scope-independent roles, workload and infrastructure APIs. Every entry has a `reason` and a `source`. |\n");
    s.push_str("| `SOURCES.md` | This file. |\n\n");
    s.push_str("## Sources\n\n");
    let wheel = if origin.wheel_sha256.is_empty() {
        String::new()
    } else {
        format!(" (wheel SHA-256 `{}`)", origin.wheel_sha256)
    };
    s.push_str(&format!(
        "* **Discovery documents**: {discovery_label}{wheel}, PyPI wheel, `googleapiclient/discovery_cache/documents/*.json`, {} documents (the same tree as GitHub googleapis/google-api-python-client), vendored as an extraction in `xtask/inputs/discovery/`. One document per service host: the stable version with the highest version number, unless `overrides.yaml` `discovery_docs` names the documents to merge. Each API entry records its document names and revisions.\n",
        docs.len()
    ));
    s.push_str(&format!(
        "* **IAM roles**: iann0036/iam-dataset @ `{iam_commit}`: `gcp/roles/*.json` merged into `roles.json` (every role's title, stage and permissions), vendored unmodified in `xtask/inputs/iam-dataset/` with its licence; the API families with curated `needs_any_of` and the permission prefix to service host table in `xtask/inputs/{KB_ROLE_SERVICES}`.\n"
    ));
    s.push_str(&format!(
        "* **gcloud scope aliases**: {} (also `instance_utils.py` and `command_lib/compute/instances/flags.py` for the defaulting rules), in `xtask/inputs/{KB_SCOPE_ALIASES}`.\n",
        aliases.gcloud.source
    ));
    s.push_str(&format!(
        "* **Terraform scope aliases**: {}.\n",
        aliases.terraform.source
    ));
    let (curated, configs): (Vec<&String>, Vec<&String>) = grpc
        .iter()
        .partition(|k| ov.grpc_apis.contains_key(k.as_str()));
    s.push_str(&format!(
        "* **gRPC-only APIs**: {} APIs without a discovery document from googleapis/googleapis service configurations (`xtask/inputs/googleapis/service-auth.json`: `authentication.rules`, the last rule for a selector winning, stable versions preferred, mixins left out); curated in `overrides.yaml` ({}): service YAML `authentication.rules` and documentation (see each entry's `source`).\n",
        configs.len(),
        curated.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
    ));
    if !ov.upstream_sources.is_empty() {
        s.push_str("* **Pinned upstream revisions** (from `overrides.yaml` `upstream_sources`):\n");
        for (k, v) in &ov.upstream_sources {
            s.push_str(&format!("  * {k}: {v}\n"));
        }
    }
    s.push_str("* **IAM basic roles** (`roles/editor`, `roles/owner`, `roles/viewer`): classed as spanning every service from the iam-dataset permissions; the notes `explain` prints for them are written in `xtask/src/roles.rs`.\n");
    s.push_str("* **Policy decisions** (for example: BigQuery jobs need `bigquery` or `cloud-platform`, `devstorage.*` do not count; which enabled APIs count for SL005) are marked `scopelint policy` in `overrides.yaml`.\n\n");
    s.push_str("Entries marked UNCONFIRMED (Gemini API scopes, the `*-docker.pkg.dev` scope matrix) have no machine-readable source.\n\n");
    s.push_str("## Regenerate\n\n");
    s.push_str("```sh\n");
    s.push_str("cargo run -p xtask -- gen-rules                                         # from the committed xtask/inputs/, offline\n");
    s.push_str("cargo run -p xtask -- gen-rules --kb-dir <reference data directory>   # refresh the curated inputs first\n");
    s.push_str("```\n\n");
    s.push_str(&format!(
        "`gen-rules` reads only files in the repository: `xtask/inputs/` (the vendored iam-dataset `roles.json`, the discovery extraction, the curated `{KB_ROLE_SERVICES}` and `{KB_SCOPE_ALIASES}`, `pinned.json` naming the upstream revisions) and `overrides.yaml`, and writes `rules/`; it needs no network. The role summaries (access, permissions per prefix) are derived from the raw `roles.json`. With `--kb-dir`, it first derives the curated inputs again from the research's reference data directory (not in the repository). `cargo run -p xtask -- vendor-discovery --documents <dir> --wheel-sha256 <hex>` rewrites the discovery extraction from the wheel's documents directory. The output is deterministic. `cargo test -p xtask` regenerates `rules/` and fails when a byte differs or an input is missing. The scopelint binary embeds the JSON files and needs none of the inputs.\n"
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

/// The workspace root (parent of the xtask crate).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Quick sanity numbers for a role class.
pub fn count_class(roles: &BTreeMap<String, Role>, class: RoleClass) -> usize {
    roles.values().filter(|r| r.class == class).count()
}
