//! Evaluator behaviour on small configurations.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::eval::{Children, Modules, Tree, V, Val, normalize};
use super::module::{Index, ParsedFile};
use super::{Parsed, parse};
use crate::discover::FileKind;
use crate::model::Identity;
use crate::source::{FileId, SourceFile};
use std::path::{Path, PathBuf};

/// Parses `files` (`dir/name`, text) into module directories.
fn parsed(files: &[(&str, &str)]) -> Vec<(PathBuf, ParsedFile)> {
    files
        .iter()
        .enumerate()
        .map(|(i, (path, text))| {
            let path = PathBuf::from(path);
            let src = SourceFile::new(path.display().to_string(), path.clone(), text.to_string());
            let kind = FileKind::of(&path).unwrap();
            let Ok(Parsed::File(f)) = parse(FileId(i as u32), kind, &src) else {
                panic!("{} does not parse", path.display());
            };
            (normalize(path.parent().unwrap()), f)
        })
        .collect()
}

/// Evaluates `local.<name>` of the root module `root` of `files`.
fn local(files: &[(&str, &str)], root: &str, name: &str) -> Val {
    let mut by_dir: std::collections::BTreeMap<PathBuf, Vec<ParsedFile>> = Default::default();
    for (d, f) in parsed(files) {
        by_dir.entry(d).or_default().push(f);
    }
    let modules: Modules<'_> = by_dir
        .iter()
        .map(|(d, fs)| {
            (
                d.clone(),
                Index::build(d.display().to_string(), d.clone(), fs),
            )
        })
        .collect();
    let tree = Tree::new(&modules, modules.get(Path::new(root)).unwrap(), None);
    tree.root().local(name)
}

fn strings(v: &Val) -> Vec<String> {
    match &v.v {
        V::List(items) => items
            .iter()
            .map(|i| i.as_str().unwrap().to_string())
            .collect(),
        other => panic!("not a list: {other:?}"),
    }
}

#[test]
fn an_unknown_condition_gives_both_branches() {
    let src = r#"
variable "flag" { type = bool }
locals {
  known   = true ? ["a"] : ["b"]
  both    = var.flag ? ["a"] : ["b"]
  same    = var.flag ? "x" : "x"
  spread  = upper(var.flag ? "a" : "b")
  partial = var.flag ? ["a"] : var.missing
}
"#;
    let files = [("m/main.tf", src)];
    assert_eq!(strings(&local(&files, "m", "known")), ["a"]);
    let both = local(&files, "m", "both");
    let V::OneOf(alts) = &both.v else {
        panic!("{both:?}")
    };
    assert_eq!(alts.len(), 2);
    assert_eq!(local(&files, "m", "same").as_str(), Some("x"));
    let spread = local(&files, "m", "spread");
    assert!(matches!(&spread.v, V::OneOf(a) if a.iter().any(|v| v.as_str() == Some("A"))));
    assert!(local(&files, "m", "partial").is_unknown());
}

#[test]
fn try_sees_through_errors_but_not_unknown_values() {
    let src = r#"
variable "unset" { type = string }
locals {
  m       = { a = "1" }
  missing = try(local.m.b, "fallback")
  present = try(local.m.a, "fallback")
  unknown = try(var.unset, "fallback")
  can     = can(local.m.b)
  looked  = lookup(local.m, "b", "default")
}
"#;
    let files = [("m/main.tf", src)];
    assert_eq!(local(&files, "m", "missing").as_str(), Some("fallback"));
    assert_eq!(local(&files, "m", "present").as_str(), Some("1"));
    assert!(local(&files, "m", "unknown").is_unknown());
    assert_eq!(local(&files, "m", "can").v, V::Bool(false));
    assert_eq!(local(&files, "m", "looked").as_str(), Some("default"));
}

#[test]
fn setproduct_flatten_and_split_resolve() {
    let src = r#"
locals {
  pairs = [for p in setproduct(["a", "b"], ["x"]) : "${p[0]}-${p[1]}"]
  flat  = flatten([for k, v in { a = ["1", "2"] } : [for i in v : "${k}${i}"]])
  role  = element(split("=>", "proj=>roles/x"), 1)
  one   = "${local.flat}"
}
"#;
    let files = [("m/main.tf", src)];
    assert_eq!(strings(&local(&files, "m", "pairs")), ["a-x", "b-x"]);
    assert_eq!(strings(&local(&files, "m", "flat")), ["a1", "a2"]);
    assert_eq!(local(&files, "m", "role").as_str(), Some("roles/x"));
    // A template that is one interpolation is the value itself.
    assert_eq!(strings(&local(&files, "m", "one")), ["a1", "a2"]);
}

#[test]
fn module_arguments_outputs_and_optional_defaults() {
    let root = r#"
module "vm" {
  source   = "./modules/vm"
  for_each = { a = {}, b = { scopes = ["cloud-platform"] } }
  settings = each.value
}
locals {
  a = module.vm["a"].scopes
  b = module.vm["b"].scopes
  all = [for k, m in module.vm : k]
}
"#;
    let child = r#"
variable "settings" {
  type = object({
    scopes = optional(list(string), ["storage-ro"])
  })
}
output "scopes" { value = var.settings.scopes }
"#;
    let files = [("r/main.tf", root), ("r/modules/vm/main.tf", child)];
    let a = local(&files, "r", "a");
    assert_eq!(strings(&a), ["storage-ro"]);
    // Written in the module's variable type, not by the caller.
    assert_eq!(a.loc.map(|l| l.file), Some(FileId(1)));
    assert!(a.arg.is_none());
    assert_eq!(strings(&local(&files, "r", "b")), ["cloud-platform"]);
    assert_eq!(strings(&local(&files, "r", "all")), ["a", "b"]);
}

#[test]
fn a_module_calling_itself_is_not_followed() {
    let src = r#"
module "again" { source = "./" }
locals { x = module.again.y }
output "y" { value = "v" }
"#;
    let files = [("m/main.tf", src)];
    let mut by_dir: std::collections::BTreeMap<PathBuf, Vec<ParsedFile>> = Default::default();
    for (d, f) in parsed(&files) {
        by_dir.entry(d).or_default().push(f);
    }
    let modules: Modules<'_> = by_dir
        .iter()
        .map(|(d, fs)| (d.clone(), Index::build("m".into(), d.clone(), fs)))
        .collect();
    let tree = Tree::new(&modules, modules.get(Path::new("m")).unwrap(), None);
    assert!(matches!(tree.root().children("again"), Children::Opaque));
    assert!(tree.root().local("x").is_unknown());
    assert_eq!(tree.notes.borrow().len(), 1);
}

#[test]
fn paths_are_normalized_lexically() {
    assert_eq!(normalize(Path::new("./a/b/../c/.")), PathBuf::from("a/c"));
    assert_eq!(normalize(Path::new("a/../../b")), PathBuf::from("../b"));
}

#[test]
fn the_number_of_a_project_data_source_names_its_default_account() {
    let src = r#"
provider "google" { project = "app-prod" }
data "google_project" "this" {}
data "google_project" "other" { project_id = "shared-prod" }
variable "unset" { type = string }
data "google_project" "unknown" { project_id = var.unset }
locals {
  mine    = "${data.google_project.this.number}-compute@developer.gserviceaccount.com"
  other   = "${data.google_project.other.number}-compute@developer.gserviceaccount.com"
  unknown = "${data.google_project.unknown.number}-compute@developer.gserviceaccount.com"
  agent   = "service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
  id      = data.google_project.other.project_id
}
"#;
    let files = [("m/main.tf", src)];
    let identity = |name: &str| {
        let v = local(&files, "m", name);
        crate::model::Identity::from_value(v.as_str().unwrap())
    };
    assert_eq!(
        identity("mine"),
        Some(Identity::default_compute(Some("app-prod")))
    );
    assert_eq!(
        identity("other"),
        Some(Identity::default_compute(Some("shared-prod")))
    );
    assert_eq!(identity("unknown"), Some(Identity::DefaultCompute(None)));
    // A service agent's email holds the number too, but is another account.
    assert_eq!(identity("agent"), None);
    assert_eq!(local(&files, "m", "id").as_str(), Some("shared-prod"));
}

#[test]
fn a_provider_alias_places_resources_in_its_project() {
    let root = r#"
provider "google" { project = "core-prod" }
provider "google" {
  alias   = "ml"
  project = "ml-prod"
}
provider "google-beta" {
  alias = "noproject"
}
data "google_project" "default" {}
data "google_project" "ml" { provider = google.ml }
data "google_project" "beta" { provider = google-beta.noproject }
module "child" {
  source    = "./child"
  providers = { google = google.ml }
}
locals {
  default = data.google_project.default.project_id
  ml      = data.google_project.ml.project_id
  beta    = data.google_project.beta.project_id
  child   = module.child.project
}
"#;
    let child = r#"
data "google_project" "this" {}
output "project" { value = data.google_project.this.project_id }
"#;
    let files = [("r/main.tf", root), ("r/child/main.tf", child)];
    assert_eq!(local(&files, "r", "default").as_str(), Some("core-prod"));
    assert_eq!(local(&files, "r", "ml").as_str(), Some("ml-prod"));
    // An aliased configuration without a project: not known.
    assert!(local(&files, "r", "beta").is_unknown());
    assert_eq!(local(&files, "r", "child").as_str(), Some("ml-prod"));
}

#[test]
fn a_provider_alias_in_json_syntax_places_resources_in_its_project() {
    let src = r#"{
  "provider": {"google": [{"project": "core-prod"}, {"alias": "ml", "project": "ml-prod"}]},
  "data": {"google_project": {"ml": {"provider": "google.ml"}, "core": {}}},
  "locals": {
    "ml": "${data.google_project.ml.project_id}",
    "core": "${data.google_project.core.project_id}"
  }
}"#;
    let files = [("j/main.tf.json", src)];
    assert_eq!(local(&files, "j", "ml").as_str(), Some("ml-prod"));
    assert_eq!(local(&files, "j", "core").as_str(), Some("core-prod"));
}
