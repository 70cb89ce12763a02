//! The knowledge base in `rules/`: which scopes each Google API accepts, which
//! APIs each IAM role is for, and what scope aliases expand to. The JSON files
//! are generated from Google's discovery documents and IAM role data (see
//! `rules/SOURCES.md`) and embedded in the binary.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// The prefix of every Google OAuth scope URL; the knowledge base uses the short names after it.
pub const SCOPE_PREFIX: &str = "https://www.googleapis.com/auth/";
pub const CLOUD_PLATFORM: &str = "cloud-platform";
pub const CLOUD_PLATFORM_RO: &str = "cloud-platform.read-only";

/// The `header` of each generated file: how and from what it was generated.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Header {
    #[serde(default)]
    pub generated_by: String,
    /// The sources, one line each, with versions and revisions.
    #[serde(default)]
    pub sources: Vec<String>,
    /// The package the discovery documents come from (`apis.json`).
    #[serde(default)]
    pub discovery_package: Option<String>,
    /// How many discovery documents the package holds (`apis.json`).
    #[serde(default)]
    pub discovery_documents: Option<u32>,
    /// The SHA-256 of the wheel the discovery documents come from (`apis.json`).
    #[serde(default)]
    pub discovery_wheel_sha256: Option<String>,
    /// The pinned revision of googleapis/googleapis, for gRPC-only APIs (`apis.json`).
    #[serde(default)]
    pub googleapis_commit: Option<String>,
    /// The pinned revision of the IAM role data (`roles.json`).
    #[serde(default)]
    pub iam_dataset_commit: Option<String>,
    /// Entries per section of the hand-curated `rules/overrides.yaml`.
    #[serde(default)]
    pub curated_overrides: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScopesFile {
    #[serde(default)]
    pub header: Header,
    #[serde(default)]
    pub known: BTreeSet<String>,
    pub gcloud: GcloudAliases,
    pub terraform: TerraformAliases,
    #[serde(default)]
    pub no_access: BTreeMap<String, String>,
    /// The scopes Dataproc adds to its cluster VMs.
    #[serde(default)]
    pub dataproc: Option<DataprocScopes>,
    /// The scopes GKE nodes get when the configuration names none.
    #[serde(default)]
    pub gke: Option<GkeScopes>,
    /// The scopes other managed services give their VMs when the
    /// configuration names none, by the workload kind they apply to.
    #[serde(default)]
    pub service_defaults: BTreeMap<String, ServiceDefault>,
}

/// What a managed service gives its VMs when the configuration names no scopes.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceDefault {
    pub scopes: Vec<String>,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub source: String,
}

/// GKE's defaults, for front ends that model node pools: what a node runs
/// with when its configuration names no scopes.
#[derive(Debug, Clone, Deserialize)]
pub struct GkeScopes {
    /// A Terraform `node_config` block without `oauth_scopes`: only what
    /// Cloud Logging and Cloud Monitoring need.
    #[serde(default)]
    pub node_config_without_scopes: Vec<String>,
    /// The gcloud alias `gcloud container clusters|node-pools create` uses
    /// without `--scopes`.
    #[serde(default)]
    pub gcloud_without_scopes: String,
    #[serde(default)]
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DataprocScopes {
    /// Added whatever scopes are given.
    #[serde(default)]
    pub always: Vec<String>,
    /// Added when no scopes are given.
    #[serde(default)]
    pub when_none_given: Vec<String>,
    #[serde(default)]
    pub source: String,
}

impl DataprocScopes {
    /// The scopes Dataproc adds to the ones a cluster names (`given`): the
    /// same for every front end, so a cluster means the same wherever it is written.
    pub fn added(&self, given: bool) -> impl Iterator<Item = &String> {
        let defaults = if given {
            &[][..]
        } else {
            &self.when_none_given[..]
        };
        self.always.iter().chain(defaults)
    }
}

/// `rules/commands.json`: what commands in a startup script call, with which access.
#[derive(Debug, Deserialize)]
pub struct CommandsFile {
    pub commands: Vec<CommandUse>,
}

/// One command (or command prefix) and the API use it makes.
#[derive(Debug, Clone, Deserialize)]
pub struct CommandUse {
    /// The program and leading subcommands, e.g. `gcloud secrets versions access`
    /// (release tracks such as `beta` are ignored when matching).
    pub command: String,
    /// When the use applies: `always`, `to-gs` (the destination is a `gs://` URL),
    /// `from-gs` (a source is a `gs://` URL), or `google-registry` (the image is in
    /// Artifact Registry or Container Registry).
    #[serde(default = "always")]
    pub when: String,
    #[serde(flatten)]
    pub uses: RoleUse,
    pub source: String,
    /// `command` split into words (filled in when the table is loaded).
    #[serde(skip)]
    pub words: Vec<String>,
}

fn always() -> String {
    "always".to_string()
}

#[derive(Debug, Clone, Deserialize)]
pub struct GcloudAliases {
    #[serde(default)]
    pub source: String,
    pub aliases: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub deprecated: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TerraformAliases {
    #[serde(default)]
    pub source: String,
    pub aliases: BTreeMap<String, String>,
}

/// Scopes accepted by one class (read or write) of an API's methods.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MethodClass {
    #[serde(default)]
    pub methods: u32,
    /// Scopes every method of the class accepts.
    #[serde(default)]
    pub all: Vec<String>,
    /// Scopes only some methods of the class accept.
    #[serde(default)]
    pub some: BTreeMap<String, Partial>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Partial {
    #[serde(default)]
    pub covers: u32,
    /// Example methods that do not accept the scope.
    #[serde(default)]
    pub fails: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Api {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub read: MethodClass,
    #[serde(default)]
    pub write: MethodClass,
    /// Whether discovery does not describe it (a hand-curated gRPC or endpoint entry).
    #[serde(default)]
    pub grpc: bool,
    /// Whether software on a VM typically calls it (SL005 evidence).
    #[serde(default)]
    pub workload: bool,
    #[serde(default)]
    pub note: Option<String>,
}

impl Api {
    /// Whether any method of the API accepts any of `scopes`.
    pub fn accepts_any(&self, scopes: &BTreeSet<String>) -> bool {
        [&self.read, &self.write].iter().any(|c| {
            c.all.iter().any(|s| scopes.contains(s)) || c.some.keys().any(|s| scopes.contains(s))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoleClass {
    Api,
    ScopeIndependent,
    AllServices,
    ServiceAgent,
    Unmapped,
}

impl RoleClass {
    /// The class as `rules/roles.json` and the JSON outputs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleClass::Api => "api",
            RoleClass::ScopeIndependent => "scope-independent",
            RoleClass::AllServices => "all-services",
            RoleClass::ServiceAgent => "service-agent",
            RoleClass::Unmapped => "unmapped",
        }
    }
}

/// One API a role is for, and the scopes any one of which fully covers that use.
#[derive(Debug, Clone, Deserialize)]
pub struct RoleUse {
    pub api: String,
    pub access: Access,
    pub needs_any_of: Vec<String>,
    /// The scopes accepted by the methods the role's own permissions can call,
    /// by class; when absent, the API's class applies.
    #[serde(default)]
    pub read: Option<MethodClass>,
    #[serde(default)]
    pub write: Option<MethodClass>,
}

impl RoleUse {
    /// The classes of methods this use is judged on, named: the role's own
    /// methods when the knowledge base knows them, else the API's methods of
    /// the use's access (reads, plus writes for a writing role).
    pub fn classes<'a>(&'a self, api: &'a Api) -> Vec<(&'static str, &'a MethodClass)> {
        let own = self.read.is_some() || self.write.is_some();
        let read = self.read.as_ref().unwrap_or(&api.read);
        let write = self.write.as_ref().unwrap_or(&api.write);
        let classes = match (own, self.access) {
            (false, Access::Read) => vec![("read", read)],
            _ => vec![("read", read), ("write", write)],
        };
        classes.into_iter().filter(|(_, c)| c.methods > 0).collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Role {
    #[serde(default)]
    pub title: String,
    /// The launch stage (GA, BETA, ...).
    #[serde(default)]
    pub stage: String,
    pub class: RoleClass,
    #[serde(default)]
    pub uses: Vec<RoleUse>,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct ApisFile {
    #[serde(default)]
    header: Header,
    apis: BTreeMap<String, Api>,
    #[serde(default)]
    aliases: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
struct RolesFile {
    #[serde(default)]
    header: Header,
    roles: BTreeMap<String, Role>,
}

/// The loaded knowledge base.
#[derive(Debug, Clone)]
pub struct Knowledge {
    pub scopes: ScopesFile,
    pub apis: BTreeMap<String, Api>,
    /// Service names that are not keys of `apis`, mapped to the key that describes them.
    pub api_aliases: BTreeMap<String, String>,
    pub roles: BTreeMap<String, Role>,
    /// The headers of `apis.json` and `roles.json` (`scopes.json`'s is in `scopes`).
    pub apis_header: Header,
    pub roles_header: Header,
    /// Startup-script commands and the API uses they make (rule SL006).
    pub commands: Vec<CommandUse>,
}

static KNOWLEDGE: OnceLock<Result<Knowledge, String>> = OnceLock::new();

impl Knowledge {
    /// The embedded knowledge base, parsed on first use.
    pub fn get() -> Result<&'static Knowledge, String> {
        KNOWLEDGE
            .get_or_init(|| {
                fn parse<T: serde::de::DeserializeOwned>(
                    name: &str,
                    text: &str,
                ) -> Result<T, String> {
                    serde_json::from_str(text).map_err(|e| format!("rules/{name}: {e}"))
                }
                let apis: ApisFile = parse("apis.json", include_str!("../rules/apis.json"))?;
                let roles: RolesFile = parse("roles.json", include_str!("../rules/roles.json"))?;
                Ok(Knowledge {
                    scopes: parse("scopes.json", include_str!("../rules/scopes.json"))?,
                    apis: apis.apis,
                    api_aliases: apis.aliases,
                    roles: roles.roles,
                    apis_header: apis.header,
                    roles_header: roles.header,
                    commands: parse::<CommandsFile>(
                        "commands.json",
                        include_str!("../rules/commands.json"),
                    )?
                    .commands
                    .into_iter()
                    .map(|mut c| {
                        c.words = c.command.split_whitespace().map(str::to_string).collect();
                        c
                    })
                    .collect(),
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The versions of the data the knowledge base was generated from, so a
    /// verdict can be traced to the upstream facts it rests on.
    pub fn data_versions(&self) -> DataVersions {
        DataVersions {
            discovery_package: self.apis_header.discovery_package.clone(),
            discovery_wheel_sha256: self.apis_header.discovery_wheel_sha256.clone(),
            iam_dataset_commit: self.roles_header.iam_dataset_commit.clone(),
            googleapis_commit: self.apis_header.googleapis_commit.clone(),
        }
    }

    /// What a scope string in Terraform means: the provider maps its aliases
    /// one-to-one and passes everything else through unchanged.
    pub fn terraform_scope(&self, raw: &str) -> Option<String> {
        if let Some(short) = self.scopes.terraform.aliases.get(raw) {
            return Some(short.clone());
        }
        self.url_scope(raw)
    }

    /// What a `--scopes` element means to gcloud (aliases may expand to several scopes).
    pub fn gcloud_scope(&self, raw: &str) -> Option<Vec<String>> {
        if let Some(list) = self.scopes.gcloud.aliases.get(raw) {
            return Some(list.clone());
        }
        self.url_scope(raw).map(|s| vec![s])
    }

    fn url_scope(&self, raw: &str) -> Option<String> {
        let short = raw.strip_prefix(SCOPE_PREFIX)?;
        self.scopes.known.contains(short).then(|| short.to_string())
    }

    /// The nearest valid spelling of an unknown Terraform scope string.
    pub fn suggest_terraform(&self, raw: &str) -> Option<String> {
        if raw.starts_with("https://") || raw.contains('/') {
            let tail = raw.rsplit('/').next().unwrap_or(raw);
            return nearest(tail, self.scopes.known.iter().map(String::as_str))
                .map(|s| format!("{SCOPE_PREFIX}{s}"));
        }
        if self.scopes.known.contains(raw) {
            return Some(format!("{SCOPE_PREFIX}{raw}"));
        }
        nearest(
            raw,
            self.scopes.terraform.aliases.keys().map(String::as_str),
        )
        .map(str::to_string)
    }

    /// The API entry for a service name: a key of `apis`, or a service name the
    /// knowledge base maps to one (for example `translate.googleapis.com`).
    pub fn api(&self, service: &str) -> Option<(&str, &Api)> {
        let key = self
            .api_aliases
            .get(service)
            .map_or(service, String::as_str);
        self.apis.get_key_value(key).map(|(k, a)| (k.as_str(), a))
    }

    /// The gcloud aliases that stand for exactly the scope `short`.
    pub fn gcloud_aliases(&self, short: &str) -> Vec<&str> {
        self.scopes
            .gcloud
            .aliases
            .iter()
            .filter(|(_, v)| v.len() == 1 && v.first().is_some_and(|s| s == short))
            .map(|(k, _)| k.as_str())
            .collect()
    }

    /// The nearest valid spelling of an unknown gcloud `--scopes` element.
    pub fn suggest_gcloud(&self, raw: &str) -> Option<String> {
        if raw.starts_with("https://") || raw.contains('/') || self.scopes.known.contains(raw) {
            return self.suggest_terraform(raw);
        }
        nearest(raw, self.scopes.gcloud.aliases.keys().map(String::as_str)).map(str::to_string)
    }

    /// Whether `raw` is a well-formed scope URL (`https://www.googleapis.com/auth/NAME`)
    /// that no API in the knowledge base accepts and that is near no known
    /// scope: not a typo but a legacy scope, or one newer than the knowledge
    /// base, so what it grants is not known.
    pub fn is_unrecognised_scope_url(&self, raw: &str) -> bool {
        let well_formed = raw.strip_prefix(SCOPE_PREFIX).is_some_and(|name| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        });
        well_formed && self.url_scope(raw).is_none() && self.suggest_terraform(raw).is_none()
    }

    /// The gcloud alias that stands for exactly one short scope name, if any
    /// (deprecated aliases excluded).
    pub fn gcloud_alias(&self, short: &str) -> Option<&str> {
        self.scopes
            .gcloud
            .aliases
            .iter()
            .find(|(k, v)| {
                v.len() == 1
                    && v.first().is_some_and(|s| s == short)
                    && !self.scopes.gcloud.deprecated.contains_key(k.as_str())
            })
            .map(|(k, _)| k.as_str())
    }

    /// The full URL of a short scope name.
    pub fn url(short: &str) -> String {
        format!("{SCOPE_PREFIX}{short}")
    }

    /// The APIs that accept scope `short`: those all of whose read methods, or
    /// all of whose write methods, accept it, then those where only some do.
    pub fn apis_accepting(&self, short: &str) -> (Vec<String>, Vec<String>) {
        let mut all = Vec::new();
        let mut some = Vec::new();
        for (k, api) in &self.apis {
            let classes = [&api.read, &api.write];
            if classes.iter().any(|c| c.all.iter().any(|s| s == short)) {
                all.push(k.clone());
            } else if classes.iter().any(|c| c.some.contains_key(short)) {
                some.push(k.clone());
            }
        }
        (all, some)
    }

    /// The Terraform alias of a short scope name, if it has one.
    pub fn terraform_alias(&self, short: &str) -> Option<&str> {
        self.scopes
            .terraform
            .aliases
            .iter()
            .find(|(_, v)| v.as_str() == short)
            .map(|(k, _)| k.as_str())
    }
}

/// The upstream data versions of the knowledge base (see [`Knowledge::data_versions`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DataVersions {
    pub discovery_package: Option<String>,
    pub discovery_wheel_sha256: Option<String>,
    pub iam_dataset_commit: Option<String>,
    pub googleapis_commit: Option<String>,
}

impl DataVersions {
    /// One line per source, for `--version` and `kb stats`.
    pub fn lines(&self) -> Vec<String> {
        let unknown = || "unknown".to_string();
        let wheel = self
            .discovery_wheel_sha256
            .as_ref()
            .map(|h| format!(" (wheel sha256 {h})"))
            .unwrap_or_default();
        vec![
            format!(
                "discovery documents: {}{wheel}",
                self.discovery_package.clone().unwrap_or_else(unknown)
            ),
            format!(
                "IAM roles: iann0036/iam-dataset@{}",
                self.iam_dataset_commit.clone().unwrap_or_else(unknown)
            ),
            format!(
                "gRPC service configs: googleapis/googleapis@{}",
                self.googleapis_commit.clone().unwrap_or_else(unknown)
            ),
        ]
    }
}

/// The candidate closest to `input` by edit distance, if reasonably close.
pub fn nearest<'c>(input: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    nearest_n(input, candidates, 1).into_iter().next()
}

/// Up to `n` candidates reasonably close to `input` by edit distance, nearest first.
pub fn nearest_n<'c>(
    input: &str,
    candidates: impl Iterator<Item = &'c str>,
    n: usize,
) -> Vec<&'c str> {
    let input = input.to_ascii_lowercase().replace('_', "-");
    let input_chars = input.chars().count();
    let mut close: Vec<(usize, &str)> = candidates
        // The distance is at least the difference in length: a candidate
        // that cannot be close is not measured (a 1 KB string against
        // every scope name took half a second).
        .filter(|c| input_chars.abs_diff(c.chars().count()) <= (c.len() / 3).max(2))
        .map(|c| (levenshtein(&input, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .collect();
    close.sort_unstable();
    close.dedup();
    close.into_iter().take(n).map(|(_, c)| c).collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let v = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            cur.push(v);
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

/// `rules/methods.json`: every service's authentication rules, per
/// configuration file, in rule order.
#[derive(Debug, Deserialize)]
struct MethodsFile {
    header: MethodsHeader,
    services: BTreeMap<String, Vec<ServiceRules>>,
}

#[derive(Debug, Deserialize)]
struct MethodsHeader {
    source: String,
}

/// One service configuration's rules: `(selector, scopes)`, the last matching one winning.
#[derive(Debug, Deserialize)]
struct ServiceRules {
    file: String,
    /// The interfaces the file serves: its rules apply to their methods only.
    #[serde(default)]
    apis: Vec<String>,
    rules: Vec<(String, Vec<String>)>,
}

/// The scopes one RPC accepts, as its service's configurations say.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MethodScopes {
    /// Short names (`cloud-platform.read-only`).
    pub scopes: Vec<String>,
    /// The configuration files and the revision they were read at.
    pub source: String,
}

/// Whether an authentication rule's selector names `method`: the method
/// itself, a prefix ending in `.*`, or `*`.
fn selects(selector: &str, method: &str) -> bool {
    selector == "*"
        || selector == method
        || selector
            .strip_suffix(".*")
            .and_then(|prefix| method.strip_prefix(prefix))
            .is_some_and(|rest| rest.starts_with('.'))
}

impl Knowledge {
    /// The scopes `method` of `service` accepts (the RPC's full name, as a
    /// 403 error body's `metadata.method` gives it), from the service's
    /// configurations: in each file the last rule that selects the method.
    /// Only configurations that serve the method's interface count, and only
    /// scopes the knowledge base counts for the API are kept. `None` when no
    /// rule selects it, when no scope is left, or when two configurations of
    /// the service disagree. The table is parsed on
    /// first use: only `why-403` needs it.
    pub fn method_scopes(&self, service: &str, method: &str) -> Option<MethodScopes> {
        static METHODS: OnceLock<Option<MethodsFile>> = OnceLock::new();
        let table = METHODS
            .get_or_init(|| serde_json::from_str(include_str!("../rules/methods.json")).ok())
            .as_ref()?;
        let canonical = self.api(service).map_or(service, |(name, _)| name);
        let configs = table
            .services
            .get(service)
            .or_else(|| table.services.get(canonical))?;
        let mut answer: Option<&Vec<String>> = None;
        let mut files = Vec::new();
        let interface = method.rsplit_once('.').map_or("", |(i, _)| i);
        for config in configs
            .iter()
            .filter(|c| c.apis.iter().any(|a| a == interface))
        {
            let Some((_, scopes)) = config.rules.iter().rev().find(|(s, _)| selects(s, method))
            else {
                continue;
            };
            if answer.is_some_and(|a| a != scopes) {
                return None;
            }
            answer = Some(scopes);
            files.push(config.file.as_str());
        }
        // Only scopes the knowledge base counts for the API: its curation
        // (BigQuery jobs take no devstorage scope) applies to one method too.
        let known: Option<std::collections::BTreeSet<&str>> = self.api(service).map(|(_, api)| {
            [&api.read, &api.write]
                .into_iter()
                .flat_map(|c| c.all.iter().chain(c.some.keys()))
                .map(String::as_str)
                .collect()
        });
        let scopes: Vec<String> = answer?
            .iter()
            .filter(|s| known.as_ref().is_none_or(|k| k.contains(s.as_str())))
            .cloned()
            .collect();
        if scopes.is_empty() {
            return None;
        }
        Some(MethodScopes {
            scopes,
            source: format!(
                "{} {} authentication.rules",
                table.header.source,
                files.join(", ")
            ),
        })
    }
}

#[cfg(test)]
mod method_tests {
    use super::*;

    #[test]
    fn a_selector_names_a_method_a_service_or_everything() {
        let m = "google.cloud.x.v1.Svc.GetThing";
        assert!(selects("google.cloud.x.v1.Svc.GetThing", m));
        assert!(selects("google.cloud.x.v1.Svc.*", m));
        assert!(selects("*", m));
        assert!(!selects("google.cloud.x.v1.Sv.*", m));
        assert!(!selects("google.cloud.x.v1.Svc.GetThingElse", m));
    }
}
