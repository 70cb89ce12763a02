//! Typed views of the generator inputs: the reference data files and `rules/overrides.yaml`.
//!
//! Only the fields the generator needs are modelled; unknown fields of the reference data are
//! ignored. `overrides.yaml` is ours, so unknown fields there are rejected to catch typos.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Result;

pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

pub fn read_yaml<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = read_text(path)?;
    serde_saphyr::from_str(&text)
        .map_err(|e| format!("cannot parse {}: {e}", path.display()).into())
}

/// Reads `<dir>/<stem>.json` when it exists (derived inputs), else `<dir>/<stem>.yaml`
/// (the reference data directory).
pub fn read_json_or_yaml<T: for<'de> Deserialize<'de>>(dir: &Path, stem: &str) -> Result<T> {
    let json = dir.join(format!("{stem}.json"));
    if json.is_file() {
        read_json(&json)
    } else {
        read_yaml(&dir.join(format!("{stem}.yaml")))
    }
}

pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| format!("cannot parse {}: {e}", path.display()).into())
}

// ---------------------------------------------------------------- scope-aliases.yaml

#[derive(Debug, Deserialize, Serialize)]
pub struct ScopeAliases {
    pub gcloud: GcloudAliases,
    pub terraform: TerraformAliases,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct GcloudAliases {
    pub source: String,
    pub aliases: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub deprecated: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct TerraformAliases {
    pub source: String,
    pub aliases: BTreeMap<String, String>,
}

// ---------------------------------------------------------------- role-services.yaml

#[derive(Debug, Deserialize, Serialize)]
pub struct RoleServices {
    #[serde(default)]
    pub meta: RoleServicesMeta,
    #[serde(default)]
    pub special_roles: BTreeMap<String, String>,
    #[serde(default)]
    pub families: BTreeMap<String, Family>,
    #[serde(default)]
    pub prefix_to_service: BTreeMap<String, PrefixService>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct RoleServicesMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam_dataset_commit: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct Family {
    #[serde(default)]
    pub services: Vec<String>,
    /// A map of roles, or a text such as "no predefined (non-agent) roles ...".
    pub roles: FamilyRoles,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum FamilyRoles {
    Roles(BTreeMap<String, FamilyRole>),
    Text(String),
}

#[derive(Debug, Deserialize, Serialize)]
pub struct FamilyRole {
    #[serde(default)]
    pub primary_access: String,
    #[serde(default)]
    pub needs_any_of: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct PrefixService {
    #[serde(default)]
    pub services: Vec<String>,
}

// ---------------------------------------------------------------- role-permissions-summary.json

#[derive(Debug, Deserialize, Serialize)]
pub struct RoleSummary {
    pub roles: BTreeMap<String, SummaryRole>,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct SummaryRole {
    /// title
    pub t: String,
    /// stage
    pub st: String,
    /// read-only | write | none-significant
    pub access: String,
    /// permission prefix -> {read|write|impersonation: count}, incidental permissions excluded
    #[serde(default)]
    pub prefixes: BTreeMap<String, BTreeMap<String, u64>>,
}

// ---------------------------------------------------------------- rules/overrides.yaml

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    #[serde(default)]
    pub discovery_docs: BTreeMap<String, DocChoice>,
    #[serde(default)]
    pub host_aliases: BTreeMap<String, HostAlias>,
    #[serde(default)]
    pub grpc_apis: BTreeMap<String, GrpcApi>,
    #[serde(default)]
    pub api_adjustments: BTreeMap<String, ApiAdjustment>,
    #[serde(default)]
    pub family_services: BTreeMap<String, FamilyServices>,
    #[serde(default)]
    pub role_uses: BTreeMap<String, RoleUses>,
    /// permission prefix -> the API hosts it belongs to, where the curated table guessed wrong
    #[serde(default)]
    pub prefix_services: BTreeMap<String, FamilyServices>,
    /// permission -> the methods it lets a role call, where iam-dataset's map.json lacks them
    #[serde(default)]
    pub permission_methods: BTreeMap<String, PermissionMethods>,
    #[serde(default)]
    pub scope_independent: BTreeMap<String, Reasoned>,
    #[serde(default)]
    pub workload_apis: BTreeMap<String, Reasoned>,
    #[serde(default)]
    pub infrastructure_apis: BTreeMap<String, Reasoned>,
    #[serde(default)]
    pub no_access_scopes: BTreeMap<String, Reasoned>,
    #[serde(default)]
    pub dataproc: Option<Dataproc>,
    #[serde(default)]
    pub gke: Option<Gke>,
    /// workload kind -> the scopes a managed service gives its VMs when the configuration names none
    #[serde(default)]
    pub service_defaults: BTreeMap<String, ServiceDefault>,
    /// name -> pinned upstream revision (rendered in SOURCES.md)
    #[serde(default)]
    pub upstream_sources: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reasoned {
    pub reason: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocChoice {
    /// discovery document names (`name.version`), first one wins for duplicate method ids
    pub docs: Vec<String>,
    pub reason: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostAlias {
    pub api: String,
    pub reason: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrpcApi {
    pub title: String,
    pub reason: String,
    pub source: String,
    pub groups: Vec<GrpcGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrpcGroup {
    pub class: String,
    pub scopes: Vec<String>,
    pub methods: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiAdjustment {
    pub remove_scopes: Vec<String>,
    pub reason: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyServices {
    pub services: Vec<String>,
    pub reason: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionMethods {
    /// discovery method ids
    pub methods: Vec<String>,
    pub reason: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleUses {
    pub uses: Vec<UseSpec>,
    pub reason: String,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UseSpec {
    pub api: String,
    pub access: String,
    pub needs_any_of: Vec<String>,
    /// Another API whose methods of the use's class count as part of this use (image pulls and
    /// the registry's REST reads are one use of `artifactregistry.reader`).
    #[serde(default)]
    pub plus_methods_of: Option<String>,
}

/// The scopes GKE nodes get when the configuration names none.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gke {
    /// Terraform `node_config` without `oauth_scopes`
    pub node_config_without_scopes: Vec<String>,
    /// the gcloud alias `gcloud container clusters/node-pools create` uses without `--scopes`
    pub gcloud_without_scopes: String,
    pub reason: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDefault {
    pub scopes: Vec<String>,
    pub reason: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dataproc {
    pub always: Vec<String>,
    pub when_none_given: Vec<String>,
    pub reason: String,
    pub source: String,
}
