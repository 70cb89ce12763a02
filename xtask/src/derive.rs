//! Stage 1 of `gen-rules`: the derived role inputs in `xtask/inputs/`.
//!
//! The reference data directory (role-services.yaml, scope-aliases.yaml) is not part of the
//! repository. The generator needs only a few of its fields: the curated API families (services, and per role the primary access,
//! `needs_any_of`, and the notes the output quotes); the permission-prefix to service table; and
//! the gcloud and Terraform scope alias tables. This module keeps exactly those fields, in the
//! generator's own schema, and writes them one entry per line so that a change in the reference
//! data shows as a small diff. Stage 2 (`generate`) reads the derived files like a reference
//! data directory, so `rules/` can be regenerated and checked from a fresh clone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::Result;
use crate::generate::{KB_ROLE_SERVICES, KB_SCOPE_ALIASES};
use crate::inputs::{FamilyRoles, RoleServices, ScopeAliases, read_json_or_yaml};
use crate::roles::ALL_SERVICES;

/// File names of the derived inputs (JSON; the generator prefers them over the YAML names).
pub const DERIVED_ROLE_SERVICES: &str = "role-services.json";
pub const DERIVED_SCOPE_ALIASES: &str = "scope-aliases.json";

/// The stem of a file name (`role-services.yaml` -> `role-services`).
pub fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

/// Where the derived inputs are committed.
pub fn inputs_dir() -> PathBuf {
    crate::generate::workspace_root()
        .join("xtask")
        .join("inputs")
}

/// Derives the inputs from a reference data directory: file name -> content.
pub fn derive(kb_dir: &Path) -> Result<BTreeMap<String, String>> {
    let aliases: ScopeAliases = read_json_or_yaml(kb_dir, stem(KB_SCOPE_ALIASES))?;
    let mut rs: RoleServices = read_json_or_yaml(kb_dir, stem(KB_ROLE_SERVICES))?;
    let commit = rs
        .meta
        .iam_dataset_commit
        .clone()
        .unwrap_or_else(|| "unknown".to_string());

    // Keep only what the generator reads: notes of manual entries and of scope-independent
    // roles, the `manual` marker of `basis`, and the notes of the all-services roles.
    for fam in rs.families.values_mut() {
        if let FamilyRoles::Roles(roles) = &mut fam.roles {
            for r in roles.values_mut() {
                let manual = r.basis.as_deref().is_some_and(|b| b.starts_with("manual"));
                if !manual {
                    r.basis = None;
                }
                if !manual && !r.needs_any_of.is_empty() {
                    r.note = None;
                }
                // Remarks point at the research notes, which are not in the repository.
                for entry in &mut r.needs_any_of {
                    *entry = entry.replace("; see NOTES", "").replace(" see NOTES", "");
                }
            }
        }
    }
    rs.special_roles
        .retain(|k, _| ALL_SERVICES.contains(&k.as_str()));

    let mut files = BTreeMap::new();
    files.insert(
        DERIVED_ROLE_SERVICES.to_string(),
        lines(
            &format!(
                "Derived by `cargo run -p xtask -- gen-rules --kb-dir <reference data directory>` from the reference data file {KB_ROLE_SERVICES} (role data of iann0036/iam-dataset@{commit}, with the curated API families). Only the fields the generator reads: per family its services and, per role, the primary access, needs_any_of and the notes quoted in rules/roles.json; the permission prefix -> service host table; the notes of the roles that span all services. Do not edit by hand."
            ),
            &[
                ("meta", serde_json::to_value(&rs.meta)?, 1),
                ("special_roles", serde_json::to_value(&rs.special_roles)?, 1),
                ("families", serde_json::to_value(&rs.families)?, 3),
                ("prefix_to_service", serde_json::to_value(&rs.prefix_to_service)?, 1),
            ],
        ),
    );
    files.insert(
        DERIVED_SCOPE_ALIASES.to_string(),
        lines(
            &format!(
                "Derived by `cargo run -p xtask -- gen-rules --kb-dir <reference data directory>` from the reference data file {KB_SCOPE_ALIASES}: the gcloud --scopes alias table ({}) and the Terraform provider's alias table ({}). Do not edit by hand.",
                aliases.gcloud.source, aliases.terraform.source
            ),
            &[
                ("gcloud", serde_json::to_value(&aliases.gcloud)?, 2),
                ("terraform", serde_json::to_value(&aliases.terraform)?, 2),
            ],
        ),
    );
    Ok(files)
}

/// A JSON object with an `about` text and the given sections. Objects are written one entry
/// per line down to the depth given with each section; deeper values stay on one line.
fn lines(about: &str, sections: &[(&str, Value, usize)]) -> String {
    let mut out = String::from("{\n");
    out.push_str(&format!("  \"about\": {}", compact(&about)));
    for (name, value, depth) in sections {
        out.push_str(&format!(",\n  {}: ", compact(name)));
        write_value(&mut out, value, *depth, 2);
    }
    out.push_str("\n}\n");
    out
}

fn compact<T: Serialize + ?Sized>(v: &T) -> String {
    // serde_json::Map is sorted (no preserve_order feature), so the output is stable.
    serde_json::to_string(v).unwrap_or_default()
}

fn write_value(out: &mut String, v: &Value, depth: usize, indent: usize) {
    match v {
        Value::Object(m) if depth > 0 && !m.is_empty() => {
            out.push_str("{\n");
            let pad = " ".repeat(indent + 2);
            for (i, (k, child)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                out.push_str(&format!("{pad}{}: ", compact(k)));
                write_value(out, child, depth - 1, indent + 2);
            }
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            out.push('}');
        }
        other => out.push_str(&compact(other)),
    }
}

/// Writes the derived inputs into `dir`.
pub fn write(files: &BTreeMap<String, String>, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut written = Vec::new();
    for (name, content) in files {
        let p = dir.join(name);
        std::fs::write(&p, content).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        written.push(p);
    }
    Ok(written)
}
