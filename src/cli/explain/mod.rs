//! `scopelint explain`: the knowledge base, queried by people.
//!
//! Four query shapes, each in pretty or JSON form:
//!
//! - a role (`roles/aiplatform.user`): the APIs it is for, read or write, and
//!   the scopes (with their gcloud and Terraform aliases) that satisfy it;
//! - a verdict (`--scopes a,b --role R ...`): what `check` would say about a
//!   workload with these scopes whose identity holds these roles, per role and
//!   per API, and the minimal sufficient scopes;
//! - an API (`aiplatform.googleapis.com`): the scopes its read and write
//!   methods accept, by all or by only some of them;
//! - a scope alias or URL (`storage-ro`, `default`): what it expands to in
//!   gcloud and in Terraform, and which APIs accept it.
//!
//! The verdict query runs the same code as `check`: it builds a one-workload
//! model ([`one_instance`](scopelint::model::hypothetical::one_instance)) and
//! judges it with
//! [`Assessment`](scopelint::check::assess::Assessment) and the rules of
//! [`check::run`](scopelint::check::run).
//!
//! This file reads the arguments, picks the query shape and prints the
//! answer; each shape builds and describes its answer in its own file
//! ([`verdict`], [`role`], [`api`], [`scope`]).

use super::AnswerFormat;
use scopelint::knowledge::{Knowledge, nearest_n};
use serde::Serialize;
use std::process::ExitCode;

mod api;
mod query;
mod role;
mod scope;
mod terms;
mod verdict;

use api::{ApiAnswer, api_answer};
use query::{DialectArg, QueryError, lookup_role};
use role::{RoleAnswer, role_answer};
use scope::{ScopeAnswer, scope_answer};
use verdict::{VerdictAnswer, verdict};

#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  scopelint explain roles/aiplatform.user
  scopelint explain --scopes storage-ro,logging-write --role roles/aiplatform.user --role roles/storage.objectViewer
  scopelint explain aiplatform.googleapis.com
  scopelint explain storage-ro")]
pub struct ExplainArgs {
    /// A predefined role (roles/...), an API (aiplatform.googleapis.com), or a
    /// scope alias or URL (storage-ro, default, https://www.googleapis.com/auth/...).
    name: Option<String>,
    /// Judge a workload with these OAuth scopes (comma-separated; `--scopes ''` for none)
    /// against the roles given with --role. Also takes what `gcloud compute
    /// instances describe --format="value(serviceAccounts.scopes)"` prints:
    /// `['https://...', '...']` or `;`-separated URLs.
    #[arg(long, value_name = "SCOPES")]
    scopes: Option<String>,
    /// A role the workload's service account holds (repeatable; needs --scopes).
    #[arg(long = "role", value_name = "ROLE", requires = "scopes")]
    roles: Vec<String>,
    /// Whose alias table the --scopes strings use: gcloud `--scopes` (which has
    /// `default` and `gke-default`) or the Terraform provider.
    #[arg(long, value_enum, default_value_t = DialectArg::Gcloud)]
    dialect: DialectArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AnswerFormat::Pretty)]
    format: AnswerFormat,
}

pub fn run(args: &ExplainArgs) -> ExitCode {
    let kb = match Knowledge::get() {
        Ok(kb) => kb,
        Err(e) => {
            eprintln!("scopelint: internal error: the embedded knowledge base is invalid: {e}");
            return ExitCode::from(2);
        }
    };
    let answer = match answer(args, kb) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("scopelint: {}", e.message);
            if !e.nearest.is_empty() {
                eprintln!("  nearest known names: {}", e.nearest.join(", "));
            }
            return ExitCode::from(2);
        }
    };
    let versioned = Versioned {
        version: 1,
        answer: &answer,
    };
    super::print_answer(args.format, &versioned, || answer.pretty())
}

/// The JSON document: a format version, then the answer.
#[derive(Serialize)]
struct Versioned<'a> {
    version: u32,
    #[serde(flatten)]
    answer: &'a Answer,
}

/// One answer, tagged by the query shape.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Answer {
    Role(RoleAnswer),
    Api(ApiAnswer),
    Scope(ScopeAnswer),
    Verdict(VerdictAnswer),
}

impl Answer {
    fn pretty(&self) -> String {
        match self {
            Answer::Role(a) => a.pretty(),
            Answer::Api(a) => a.pretty(),
            Answer::Scope(a) => a.pretty(),
            Answer::Verdict(a) => a.pretty(),
        }
    }
}

/// The scopes of `--scopes`: comma- or `;`-separated, optionally written as
/// a Python list (`['a', 'b']`, as gcloud's `value()` format prints a list).
fn scope_list(s: &str) -> Vec<String> {
    let s = s.trim();
    let s = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    s.split([',', ';'])
        .map(|x| x.trim().trim_matches(['\'', '"']).trim())
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

fn answer(args: &ExplainArgs, kb: &Knowledge) -> Result<Answer, QueryError> {
    if let Some(scopes) = &args.scopes {
        let mut roles: Vec<&str> = args.roles.iter().map(String::as_str).collect();
        if let Some(n) = &args.name {
            roles.insert(0, n);
        }
        if roles.is_empty() {
            return Err(QueryError::new(
                "--scopes needs at least one role: add --role roles/NAME",
            ));
        }
        let scopes = scope_list(scopes);
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        return verdict(kb, &scopes, &roles, args.dialect).map(Answer::Verdict);
    }
    let Some(name) = args.name.as_deref() else {
        return Err(QueryError::new(
            "say what to explain: a role (roles/NAME), an API (NAME.googleapis.com), a scope alias or URL, or --scopes with --role (see --help)",
        ));
    };
    let name = name.trim();
    if is_role_name(name) {
        let role = lookup_role(kb, name)?;
        return Ok(Answer::Role(role_answer(kb, role.0, role.1)));
    }
    if let Some((key, api)) = kb.api(name) {
        return Ok(Answer::Api(api_answer(kb, key, api)));
    }
    // An alias or scope before a bare API name: `bigquery` is first of all a scope.
    if let Some(a) = scope_answer(kb, name) {
        return Ok(Answer::Scope(a));
    }
    if let Some((key, api)) = kb.api(&format!("{name}.googleapis.com")) {
        return Ok(Answer::Api(api_answer(kb, key, api)));
    }
    let prefixed = format!("roles/{name}");
    if let Some((k, r)) = kb.roles.get_key_value(&prefixed) {
        return Ok(Answer::Role(role_answer(kb, k, r)));
    }
    Err(QueryError::new(format!(
        "`{name}` is not a known role, API, scope alias or scope"
    ))
    .with_nearest(nearest_n(name, all_names(kb), 5)))
}

fn is_role_name(name: &str) -> bool {
    name.starts_with("roles/")
        || name.starts_with("projects/")
        || name.starts_with("organizations/")
}

/// Every name a query may use, for suggestions.
fn all_names(kb: &Knowledge) -> impl Iterator<Item = &str> {
    kb.roles
        .keys()
        .chain(kb.apis.keys())
        .chain(kb.api_aliases.keys())
        .chain(kb.scopes.gcloud.aliases.keys())
        .chain(kb.scopes.terraform.aliases.keys())
        .chain(kb.scopes.known.iter())
        .map(String::as_str)
}
