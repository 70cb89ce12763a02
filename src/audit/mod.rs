//! `scopelint audit`: the same analysis on what already runs, read offline
//! from the JSON exports that read-only gcloud commands write. VMs made by
//! hand, and grants kept in another repository, are never in a Terraform
//! tree; their exports are.
//!
//! Each project is one deployment unit, so facts meet exactly as in `check`:
//! a policy's members are literal accounts, which join the VMs that run as
//! them in any project, and a project's default compute account is its own.

mod assets;
mod instances;
pub mod json;
mod policies;
mod script;
mod text;
mod unit;
pub mod why;

pub use instances::{INSTANCE_KIND, NODE_POOL_KIND, Running};
pub use script::fix_script;

use crate::knowledge::Knowledge;
use crate::model::Model;
use crate::options::Options;
use crate::outcome::{InputError, Outcome};
use crate::source::{FileId, SourceFile, Sources};
use crate::{discover, read};
use std::path::{Path, PathBuf};

/// An export file, with the resource its data belongs to when the file does not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// `my-app`, `folders/123` or `organizations/456`.
    pub holder: Option<String>,
    pub path: PathBuf,
}

impl Named {
    /// Reads `PROJECT=FILE`, `folders/ID=FILE`, `organizations/ID=FILE` or `FILE`.
    pub fn parse(arg: &str) -> Named {
        if let Some((holder, path)) = arg.split_once('=')
            && is_holder(holder)
        {
            return Named {
                holder: Some(holder.to_string()),
                path: PathBuf::from(path),
            };
        }
        Named {
            holder: None,
            path: PathBuf::from(arg),
        }
    }

    /// The project, when the holder is one.
    fn project(&self) -> Option<&str> {
        self.holder.as_deref().filter(|h| !h.contains('/'))
    }
}

/// A project ID (6-30 lowercase letters, digits and hyphens, starting with a
/// letter), a project number, or `folders/ID` / `organizations/ID`.
fn is_holder(s: &str) -> bool {
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    if let Some(id) = s
        .strip_prefix("folders/")
        .or_else(|| s.strip_prefix("organizations/"))
    {
        return digits(id);
    }
    let id_chars = s.bytes().all(|b| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b':' || b == b'.'
    });
    digits(s)
        || ((6..=63).contains(&s.len())
            && id_chars
            && s.starts_with(|c: char| c.is_ascii_lowercase()))
}

/// What `scopelint audit` reads.
#[derive(Debug, Default)]
pub struct Inputs {
    pub instances: Vec<PathBuf>,
    pub iam_policies: Vec<Named>,
    pub services: Vec<Named>,
    pub node_pools: Vec<PathBuf>,
    /// Cloud Asset Inventory exports (NDJSON).
    pub asset_exports: Vec<PathBuf>,
}

/// The result of an audit: the outcome as `check` has it, and the state of
/// every VM read (a fix script never stops a VM that is already stopped).
/// The text of the Cloud Asset exports is not in the outcome's sources until
/// [`Audit::read_texts`].
pub struct Audit {
    pub outcome: Outcome,
    pub running: Vec<Running>,
    /// The exports read as a stream, whose text is still to be read.
    pending: Vec<text::Pending>,
    limit: u64,
}

impl Audit {
    /// Reads the text of the exports that were read as a stream, which
    /// every report needs for lines, columns and snippets. Called once the
    /// model is no longer needed and freed, it keeps the text and the model
    /// of a large export from being held together.
    pub fn read_texts(&mut self) {
        for pending in std::mem::take(&mut self.pending) {
            text::read_again(
                pending,
                self.limit,
                &mut self.outcome.sources,
                &mut self.outcome.errors,
            );
        }
        self.outcome
            .errors
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    }
}

/// Which export a file is.
#[derive(Clone, Copy)]
enum Kind {
    Instances,
    NodePools,
    Policy,
    Services,
    Assets,
}

impl Kind {
    /// What a file of this kind holds, and the command that writes it.
    fn expected(self) -> &'static str {
        match self {
            Kind::Instances => {
                "a JSON array of instances (gcloud compute instances list --format=json)"
            }
            Kind::NodePools => {
                "a JSON array of node pools (gcloud container node-pools list --format=json)"
            }
            Kind::Services => {
                "a JSON array of services (gcloud services list --enabled --format=json)"
            }
            Kind::Policy => {
                "a JSON IAM policy object (gcloud projects get-iam-policy PROJECT --format=json)"
            }
            Kind::Assets => "a Cloud Asset Inventory export (one JSON asset per line)",
        }
    }
}

/// Runs the analysis on exports. A usage error (a policy whose project cannot
/// be told) is returned as `Err` before anything is analysed.
pub fn run(inputs: &Inputs, opts: &Options, kb: &Knowledge) -> Result<Audit, String> {
    let limit = opts
        .max_file_size
        .unwrap_or(crate::options::DEFAULT_MAX_FILE_SIZE);
    let mut files: Vec<(Kind, Named)> = Vec::new();
    let unnamed = |p: &PathBuf| Named {
        holder: None,
        path: p.clone(),
    };
    files.extend(
        inputs
            .instances
            .iter()
            .map(|p| (Kind::Instances, unnamed(p))),
    );
    files.extend(
        inputs
            .node_pools
            .iter()
            .map(|p| (Kind::NodePools, unnamed(p))),
    );
    files.extend(
        inputs
            .iam_policies
            .iter()
            .map(|n| (Kind::Policy, n.clone())),
    );
    files.extend(inputs.services.iter().map(|n| (Kind::Services, n.clone())));
    files.extend(
        inputs
            .asset_exports
            .iter()
            .map(|p| (Kind::Assets, unnamed(p))),
    );

    let mut sources = Sources::default();
    let mut errors = Vec::new();
    let mut texts = Vec::new();
    let mut model = Model::default();
    let mut running = Vec::new();
    let mut pending = Vec::new();
    for (kind, named) in files {
        let display = discover::display_path(&named.path);
        if let Kind::Assets = kind {
            // One asset per line, each parsed on its own; the text is read
            // again for the report, once the model is no longer needed.
            let id = FileId(u32::try_from(sources.len()).unwrap_or(u32::MAX));
            match stream(&named.path, id, limit) {
                Ok(export) => {
                    sources.push(SourceFile::new(
                        display.clone(),
                        named.path.clone(),
                        String::new(),
                    ));
                    model.extend(export.model);
                    running.extend(export.running);
                    for (line, column, message) in export.errors {
                        errors.push(input_error(display.clone(), line, column, message));
                    }
                    pending.push(text::Pending {
                        id,
                        path: named.path.clone(),
                        size: export.size,
                        digest: export.digest,
                    });
                }
                Err(message) => errors.push(input_error(display, 0, 0, message)),
            }
            continue;
        }
        match read::file(&named.path, limit, read::Links::Follow).and_then(|b| {
            String::from_utf8(b).map_err(|_| "cannot read file: not UTF-8".to_string())
        }) {
            Ok(text) => {
                let id = sources.push(SourceFile::new(display, named.path.clone(), text));
                texts.push((kind, named, id));
            }
            Err(message) => errors.push(input_error(display, 0, 0, message)),
        }
    }

    // Parse every file once, before any is read into the model: the
    // instances decide the project of a policy that does not name one.
    let mut parsed = Vec::new();
    for (kind, named, id) in texts {
        let Some(file) = sources.get(id) else {
            continue;
        };
        match crate::terraform::json::parse_value(&file.text) {
            Ok(value) => parsed.push((kind, named, id, value)),
            Err(e) => errors.push(input_error(
                file.display.clone(),
                e.line,
                e.column,
                format!("cannot parse: {}", e.message),
            )),
        }
    }
    let mut policies = Vec::new();
    for (kind, named, id, value) in &parsed {
        let root = json::Node::new(value, *id);
        let shape_ok = match kind {
            Kind::Instances | Kind::NodePools | Kind::Services => root.is_array(),
            Kind::Policy => root.is_object(),
            Kind::Assets => false,
        };
        if !shape_ok {
            let display = sources
                .get(*id)
                .map(|f| f.display.clone())
                .unwrap_or_default();
            errors.push(input_error(
                display,
                1,
                1,
                format!("not {}", kind.expected()),
            ));
            continue;
        }
        match kind {
            Kind::Instances => running.extend(instances::instances(root, &mut model)),
            Kind::NodePools => instances::node_pools(root, &mut model),
            Kind::Services => policies::services(root, named.project(), &mut model),
            Kind::Policy => policies.push((named, root)),
            Kind::Assets => {}
        }
    }
    let projects: std::collections::BTreeSet<&str> = model
        .workloads
        .iter()
        .filter_map(|w| w.project.as_deref())
        .collect();
    let only_project = match projects.len() {
        1 => projects.first().map(|p| p.to_string()),
        _ => None,
    };
    let mut grants = Model::default();
    for (named, root) in policies {
        let holder = match (&named.holder, &only_project) {
            (Some(h), _) => h.clone(),
            (None, Some(p)) => p.clone(),
            (None, None) => {
                return Err(format!(
                    "{}: an IAM policy does not name its project, and the instances read are in {}: write PROJECT={}",
                    named.path.display(),
                    match projects.len() {
                        0 => "no project".to_string(),
                        n => format!("{n} projects"),
                    },
                    named.path.display(),
                ));
            }
        };
        let project = (!holder.contains('/')).then_some(holder.as_str());
        let name = match project {
            Some(p) => format!("projects/{p}"),
            None => holder.clone(),
        };
        policies::iam_policy(root, &name, project, &mut grants);
    }
    drop(projects);
    model.extend(grants);
    drop(parsed);
    // The vector of workloads grew by doubling: its spare room would stay
    // allocated through the check and the report.
    model.workloads.shrink_to_fit();
    let outcome = crate::filter::conclude(model, sources, errors, Vec::new(), opts, kb, None);
    Ok(Audit {
        outcome,
        running,
        pending,
        limit,
    })
}

/// A Cloud Asset export read a line at a time as file `id`, within `limit` bytes.
fn stream(path: &Path, id: FileId, limit: u64) -> Result<assets::Export, String> {
    let mut input = read::stream(path, limit, read::Links::Follow)?;
    let export = assets::read(&mut input, id)?;
    match read::past_limit(export.size, limit) {
        Some(message) => Err(message),
        None => Ok(export),
    }
}

fn input_error(file: String, line: usize, column: usize, message: String) -> InputError {
    InputError {
        file,
        line,
        column,
        message,
        source: None,
    }
}

/// Whether `path` is one of the audit's inputs (used to refuse `--output` onto one).
pub fn is_input(inputs: &Inputs, path: &Path) -> bool {
    let same = |p: &Path| p == path;
    inputs.instances.iter().any(|p| same(p))
        || inputs.node_pools.iter().any(|p| same(p))
        || inputs.iam_policies.iter().any(|n| same(&n.path))
        || inputs.services.iter().any(|n| same(&n.path))
        || inputs.asset_exports.iter().any(|p| same(p))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const EXPORT: &str = concat!(
        "{\"name\":\"//compute.googleapis.com/projects/my-app/zones/z/instances/vm\",\"asset_type\":\"compute.googleapis.com/Instance\",\"resource\":{\"data\":{\"name\":\"vm\",\"zone\":\"projects/my-app/zones/z\",\"status\":\"RUNNING\",\"serviceAccounts\":[{\"email\":\"a@my-app.iam.gserviceaccount.com\",\"scopes\":[\"https://www.googleapis.com/auth/devstorage.read_only\"]}]}}}\n",
        "{\"name\":\"//cloudresourcemanager.googleapis.com/projects/my-app\",\"asset_type\":\"cloudresourcemanager.googleapis.com/Project\",\"iam_policy\":{\"bindings\":[{\"role\":\"roles/aiplatform.user\",\"members\":[\"serviceAccount:a@my-app.iam.gserviceaccount.com\"]}]}}\n",
    );

    fn audit_of(name: &str, text: &str) -> (Audit, PathBuf) {
        let path = std::env::temp_dir().join(format!(
            "scopelint-audit-{name}-{}.json",
            std::process::id()
        ));
        std::fs::write(&path, text).unwrap();
        let inputs = Inputs {
            asset_exports: vec![path.clone()],
            ..Inputs::default()
        };
        let kb = Knowledge::get().unwrap();
        let audit = run(&inputs, &Options::default(), kb).unwrap();
        (audit, path)
    }

    /// The model of an export is built and checked without its text, which
    /// is read only for the report: the two are never held together.
    #[test]
    fn an_export_is_analysed_without_its_text() {
        let (mut audit, path) = audit_of("stream", EXPORT);
        let file = audit.outcome.findings.first().map(|f| f.primary.file);
        let file = file.expect("the VM lacks the scope of its role");
        let source = || audit.outcome.sources.get(file).unwrap();
        assert_eq!(source().text, "");
        audit.read_texts();
        assert_eq!(audit.outcome.sources.get(file).unwrap().text, EXPORT);
        assert!(audit.outcome.errors.is_empty());
        let f = &audit.outcome.findings[0];
        let at = audit
            .outcome
            .sources
            .get(file)
            .unwrap()
            .position(f.primary.span.start);
        assert_eq!(at.line, 1);
        let _ = std::fs::remove_file(path);
    }

    /// An export that changed between the analysis and the report is not
    /// shown with places that no longer hold what was read.
    #[test]
    fn an_export_changed_before_the_report_is_an_error() {
        let (mut audit, path) = audit_of("changed", EXPORT);
        std::fs::write(&path, EXPORT.replace("\"vm\"", "\"mv\"")).unwrap();
        audit.read_texts();
        let [error] = audit.outcome.errors.as_slice() else {
            panic!("{:?}", audit.outcome.errors);
        };
        assert!(error.message.contains("changed"), "{}", error.message);
        assert!(audit.outcome.sources.iter().all(|(_, s)| s.text.is_empty()));
        let _ = std::fs::remove_file(path);
    }
}
