//! Step 3 of the pipeline: the one model every front end fills and every rule reads.
//!
//! A model is a flat list of workloads (things that run with an identity and
//! OAuth scopes), IAM grants, and enabled APIs. Every value keeps the [`Loc`]
//! it came from, so findings can point at it and fixes can edit it.

pub mod hypothetical;
mod identity;
pub mod marker;

pub use identity::{Identity, Project};

use crate::knowledge::RoleUse;
use crate::source::Loc;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

/// A deployment unit: the files whose facts may meet (a Terraform root module
/// with the module instances it creates, one script, one workflow file, one
/// Cloud Build config, one directory of Config Connector files). Grants, enabled APIs and identities that are not
/// literals join a workload only from its own unit, so the findings for a
/// directory do not depend on what else is scanned beside it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Unit(Arc<str>);

impl Unit {
    /// The unit named `name` (a root module directory, a script file).
    pub fn new(name: &str) -> Unit {
        Unit(Arc::from(name))
    }

    /// Facts that hold in every unit: roles the configuration file says an
    /// identity holds outside the scanned code.
    pub fn everywhere() -> &'static Unit {
        static EVERYWHERE: LazyLock<Unit> = LazyLock::new(|| Unit(Arc::from("\u{0}everywhere")));
        &EVERYWHERE
    }

    pub fn is_everywhere(&self) -> bool {
        self == Unit::everywhere()
    }

    /// How the unit is named to users.
    pub fn name(&self) -> &str {
        if self.is_everywhere() {
            "the configuration file"
        } else {
            &self.0
        }
    }
}

/// One scope string as written, with where it was written.
#[derive(Debug, Clone)]
pub struct ScopeItem {
    /// Shared: the same scope on many workloads of an export is held once.
    pub raw: Arc<str>,
    pub loc: Option<Loc>,
}

/// Whose alias table a scope string is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// The Terraform provider: one-to-one aliases, anything else passed through.
    #[default]
    Terraform,
    /// gcloud `--scopes`: aliases may expand to several scopes (`default`).
    Gcloud,
    /// A Config Connector object's `scopes`/`oauthScopes`: read as the
    /// Terraform provider reads them (Config Connector passes them to it), and
    /// patched as YAML.
    ConfigConnector,
}

/// The OAuth scopes a workload's identity gets.
#[derive(Debug, Clone, Default)]
pub struct Scopes {
    /// How the strings in `items` are to be read.
    pub dialect: Dialect,
    /// Set when the scopes were not written but defaulted (e.g. "gcloud's default scopes"),
    /// which a message should say.
    pub defaulted: Option<String>,
    /// The scope strings that are known.
    pub items: Vec<ScopeItem>,
    /// `false` when any element (or the whole list) could not be resolved:
    /// then nothing can be said about what the scopes do not cover.
    pub complete: bool,
    /// Where the scopes are set on the workload (the attribute value).
    pub at: Option<Loc>,
    /// Where the list literal is written, when it is one literal (a patch target).
    /// Differs from `at` when the value comes from a variable or local.
    pub defined: Option<Loc>,
    /// Where `defined` is a variable default, tfvars value or local: its name.
    pub via: Option<String>,
    /// Other places the scopes pass through, shown as related locations: when
    /// `at` is a module call's argument, where the module's resource uses it.
    pub trail: Vec<(Loc, String)>,
    /// Whether pods on a GKE node use these scopes (see [`WorkloadIdentity`]).
    pub workload_identity: WorkloadIdentity,
    /// For a gcloud command: where a `--scopes` flag is, or where one would go.
    pub flag: Option<FlagSite>,
    /// For Terraform: the list literal at `defined`, when it is a list of
    /// plain strings (shared by every workload that reads it).
    pub list: Option<Arc<ListSite>>,
}

impl Scopes {
    /// Whether the front end recorded where a patch to these scopes would
    /// go: a Terraform list literal, a gcloud flag, a Config Connector list.
    pub fn has_patch_site(&self) -> bool {
        match self.dialect {
            Dialect::Terraform => self.list.is_some(),
            Dialect::Gcloud => self.flag.is_some(),
            Dialect::ConfigConnector => self.defined.is_some(),
        }
    }
}

impl Dialect {
    /// The short names a scope string stands for in this dialect; `None`
    /// when it is unknown.
    pub fn scope(self, kb: &crate::knowledge::Knowledge, raw: &str) -> Option<Vec<String>> {
        match self {
            Dialect::Terraform | Dialect::ConfigConnector => {
                kb.terraform_scope(raw).map(|s| vec![s])
            }
            Dialect::Gcloud => kb.gcloud_scope(raw),
        }
    }
}

/// GKE Workload Identity on the nodes of a pool: when it is on, pods get their
/// tokens from their own Kubernetes service account, so the node's scopes only
/// bound what the node itself does (image pulls, logging, monitoring, trace).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkloadIdentity {
    /// Not GKE, or Workload Identity is off: everything on the VM uses these scopes.
    #[default]
    Off,
    On,
    /// Whether it is on is not known: only what holds either way is judged.
    Unknown,
}

/// Where a patch puts a gcloud `--scopes` value (filled by the shell front end).
#[derive(Debug, Clone)]
pub struct FlagSite {
    /// The text to replace: the `--scopes=...` word, the value word after `--scopes`,
    /// or the literal a `$VARIABLE` value was assigned from.
    pub replace: Option<(Loc, FlagText)>,
    /// Where a new flag goes when the command has none: after its last flag.
    pub insert_after: Loc,
    pub style: ArgStyle,
    /// The scopes as written (or implied when the flag is absent, e.g. `default`),
    /// which a patch that adds scopes keeps.
    pub written: Vec<String>,
}

/// A Terraform scopes list written as one literal of plain strings, as the
/// Terraform front end read it: what a patch needs to add to it without
/// reading Terraform syntax again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListSite {
    /// Each item: its quoted string, and its value.
    pub items: Vec<(Loc, String)>,
    /// Whether the list spans lines: new items then go on lines of their own.
    pub multiline: bool,
    /// The leading whitespace of the last item's line.
    pub indent: String,
    /// The list's line break (`\r\n` in a file with CRLF line endings).
    pub newline: &'static str,
    /// Just after the comma that follows the last item, when there is one.
    pub after_trailing_comma: Option<usize>,
}

/// What the text at [`FlagSite::replace`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagText {
    /// The whole flag, `--scopes=VALUE`.
    Flag,
    /// Only the value.
    Value,
}

/// How the arguments of a command are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgStyle {
    /// Shell words; `continuation` is the indentation of flags written one per
    /// continued line (`\` at the end of the line before), if they are.
    Shell { continuation: Option<String> },
    /// Items of a YAML flow sequence (`args: [...]`).
    YamlFlow,
    /// Items of a YAML block sequence, with the indentation of their `-`.
    YamlBlock { indent: String },
}

/// How a workload gets a token, if at all.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // one per workload; boxing buys nothing
pub enum Account {
    /// No service account attached: the workload has no token.
    None,
    /// A service account whose identity could not be resolved.
    Unknown,
    /// A resolved identity with its scopes.
    Attached {
        identity: Identity,
        /// Where the identity is set (the `email` attribute), if written.
        identity_at: Option<Loc>,
        scopes: Scopes,
    },
}

/// Something that runs with an identity and OAuth scopes: a VM, template or node pool.
#[derive(Debug, Clone)]
pub struct Workload {
    /// The resource type, e.g. `google_compute_instance`.
    pub kind: String,
    /// The resource address, e.g. `google_compute_instance.web["a"]`.
    pub address: String,
    /// The `name` attribute when known, else the label.
    pub name: String,
    pub zone: Option<String>,
    pub project: Option<String>,
    /// The module directory (display form).
    pub module: String,
    /// The block that defines it.
    pub block: Loc,
    /// The `service_account` (or `node_config`) block, when present.
    pub account_block: Option<Loc>,
    pub account: Account,
    /// Whether a running instance can be fixed in place with
    /// `gcloud compute instances set-service-account`.
    pub is_instance: bool,
    /// The startup scripts the workload runs with its own token (rule SL006).
    pub startup: Vec<Startup>,
    /// The deployment unit the workload is defined in.
    pub unit: Unit,
    /// For a Terraform `google_compute_instance`: whether the provider may
    /// stop the VM to change its scopes (`allow_stopping_for_update`), without
    /// which it refuses to change the scopes of a running VM.
    pub stop_to_update: StopToUpdate,
}

/// The kind of a running VM read from an export (its Cloud Asset type).
pub const INSTANCE_ASSET: &str = "compute.googleapis.com/Instance";
/// The kind of a running GKE node pool read from an export.
pub const NODE_POOL_ASSET: &str = "container.googleapis.com/NodePool";

/// Whether a Terraform `google_compute_instance` may be stopped to change its scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopToUpdate {
    /// Not a Terraform instance, or the attribute's value is not known.
    Unknown,
    /// `allow_stopping_for_update = true` is written.
    Allowed,
    /// The attribute is not written: where a patch may add it (the start of
    /// the `service_account` block), when that is known.
    Missing(Option<Loc>),
}

/// A startup script set on a workload: where it is set, what it is, and the
/// Google API calls found in it (filled in once every input file is read).
#[derive(Debug, Clone)]
pub struct Startup {
    /// Where the script is set (the attribute value, metadata entry or flag).
    pub at: Loc,
    pub source: ScriptSource,
    /// Whether the script is cloud-init `user-data` rather than a startup script.
    pub user_data: bool,
    pub calls: Vec<ApiCall>,
}

/// Where a startup script's text is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ScriptSource {
    /// Written in place; `template` says how to read it.
    Inline { loc: Loc, template: Template },
    /// Already read by the front end (`calls` is final).
    Read,
    /// A Terraform expression at `loc` (a string, heredoc, `file()` or
    /// `templatefile()` call), read when every input file is loaded.
    Expression { loc: Loc },
    /// A file (Terraform `file()`/`templatefile()`, gcloud `--metadata-from-file`),
    /// tried in order: the first path that exists is the script.
    File {
        paths: Vec<PathBuf>,
        template: Template,
        /// The known string variables of a `templatefile()` call.
        vars: Vec<(String, String)>,
    },
}

/// The quoting a script's text is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Template {
    /// The text is the script.
    Raw,
    /// A Terraform heredoc or `templatefile()` file: `${...}` and `%{...}` are Terraform's.
    TerraformHeredoc,
    /// A Terraform quoted string: also backslash escapes.
    TerraformQuoted,
}

/// A command in a startup script that calls a Google API with the VM's token.
#[derive(Debug, Clone)]
pub struct ApiCall {
    /// The command as the knowledge base names it, e.g. `gcloud secrets versions access`.
    pub command: String,
    /// The API, access and scopes the command needs (from `rules/commands.json`).
    pub uses: RoleUse,
    /// Where the command is written.
    pub loc: Loc,
}

/// One IAM role granted to one service account.
#[derive(Debug, Clone)]
pub struct Grant {
    pub role: String,
    pub member: Identity,
    /// The grant resource's address, e.g. `google_project_iam_member.vertex`.
    pub address: String,
    /// Where the grant is written (the role attribute, else the block).
    pub loc: Loc,
    /// The deployment unit the grant is written in.
    pub unit: Unit,
}

/// A Google API enabled in the configuration (`google_project_service`).
#[derive(Debug, Clone)]
pub struct EnabledApi {
    pub service: String,
    pub loc: Loc,
    /// The project it is enabled in, when known.
    pub project: Option<Project>,
    /// The deployment unit it is enabled in.
    pub unit: Unit,
}

/// A custom role defined in the configuration (`google_project_iam_custom_role`,
/// `gcloud iam roles create`): what a grant of its name is judged by.
#[derive(Debug, Clone)]
pub struct RoleDefinition {
    /// The role's full name, `projects/P/roles/R` or `organizations/O/roles/R`.
    pub name: String,
    /// The permissions it lists; `None` when they are not all known (or a
    /// later command changes them).
    pub permissions: Option<Vec<String>>,
    /// Its launch stage is `DISABLED`: it grants nothing.
    pub disabled: bool,
    /// The file a definition is read from (`gcloud iam roles create --file`),
    /// as candidate paths, most likely first; empty when it is written in place.
    pub file: Vec<PathBuf>,
    /// Where it is defined (the `permissions` value, else the block or command).
    pub loc: Loc,
    /// The defining resource's address or command.
    pub address: String,
}

/// Something that stayed unknown; shown with `--verbose`.
#[derive(Debug, Clone)]
pub struct Unresolved {
    pub loc: Loc,
    pub what: String,
}

/// Everything the front ends found in the scanned tree.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub workloads: Vec<Workload>,
    pub grants: Vec<Grant>,
    pub enabled_apis: Vec<EnabledApi>,
    pub role_definitions: Vec<RoleDefinition>,
    pub unresolved: Vec<Unresolved>,
}

impl Model {
    /// Places every workload, grant and enabled API of the model in `unit`.
    pub fn assign_unit(&mut self, unit: &Unit) {
        self.workloads
            .iter_mut()
            .for_each(|w| w.unit = unit.clone());
        self.grants.iter_mut().for_each(|g| g.unit = unit.clone());
        self.enabled_apis
            .iter_mut()
            .for_each(|e| e.unit = unit.clone());
    }

    pub fn extend(&mut self, other: Model) {
        join(&mut self.workloads, other.workloads);
        join(&mut self.grants, other.grants);
        join(&mut self.enabled_apis, other.enabled_apis);
        join(&mut self.role_definitions, other.role_definitions);
        join(&mut self.unresolved, other.unresolved);
    }
}

/// Appends `more` to `into`, taking its vector whole when `into` is empty:
/// a model of every VM of an export is not copied to be joined.
fn join<T>(into: &mut Vec<T>, more: Vec<T>) {
    if into.is_empty() {
        *into = more;
    } else {
        into.extend(more);
    }
}
