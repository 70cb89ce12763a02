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
mod stream;
mod text;
mod unit;
pub mod why;

pub use instances::{INSTANCE_KIND, NODE_POOL_KIND, Running};
pub use script::{ToFix, changes_a_vm, write_fix_script};
pub use stream::{Left, Notes, Stream};

use crate::knowledge::Knowledge;
use crate::model::Model;
use crate::options::Options;
use crate::outcome::{InputError, Outcome};
use crate::source::{SourceFile, Sources};
use crate::{discover, read};
use std::collections::BTreeSet;
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

/// An audit ready to be reported: the input errors known before any
/// workload is checked, and the workloads as pieces of the report, checked
/// as the report is written.
pub struct Audit<'a> {
    /// The rules, the input errors found while the facts were read, and
    /// every input (without its text); no findings: the stream has them.
    pub outcome: Outcome,
    pub stream: Stream<'a>,
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

/// Reads the exports' facts and readies their workloads to be checked a
/// piece at a time. A usage error (a policy whose project cannot be told)
/// is returned as `Err` before anything is analysed.
pub fn run<'a>(inputs: &Inputs, opts: &'a Options, kb: &'a Knowledge) -> Result<Audit<'a>, String> {
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
    // A policy that names no project takes the project of the workloads.
    let want_projects = inputs.iam_policies.iter().any(|n| n.holder.is_none());

    let mut sources = Sources::default();
    let mut inputs_read = Sources::default();
    let mut errors = Vec::new();
    let mut texts = Vec::new();
    let mut exports = Vec::new();
    for (kind, named) in files {
        let display = discover::display_path(&named.path);
        if let Kind::Assets = kind {
            exports.push((display, named.path));
            continue;
        }
        match read::file(&named.path, limit, read::Links::Follow).and_then(|b| {
            String::from_utf8(b).map_err(|_| "cannot read file: not UTF-8".to_string())
        }) {
            Ok(text) => {
                inputs_read.push(SourceFile::new(
                    display.clone(),
                    named.path.clone(),
                    String::new(),
                ));
                let id = sources.push(SourceFile::new(display, named.path.clone(), text));
                texts.push((kind, named, id));
            }
            Err(message) => errors.push(input_error(display, 0, 0, message)),
        }
    }

    let mut model = Model::default();
    let mut groups: Vec<(String, stream::Group)> = Vec::new();
    let mut projects: BTreeSet<String> = BTreeSet::new();
    // The first pass over each Cloud Asset export: its facts, and the lines
    // they point into as files of their own.
    for (display, path) in exports {
        let first_id = u32::try_from(sources.len()).unwrap_or(u32::MAX);
        let facts = read::stream(&path, limit, read::Links::Follow).and_then(|mut input| {
            let facts = assets::facts(&mut input, first_id, &display, &path, want_projects)?;
            match read::past_limit(facts.read.size, limit) {
                Some(message) => Err(message),
                None => Ok(facts),
            }
        });
        match facts {
            Ok(facts) => {
                for window in facts.windows {
                    sources.push(window);
                }
                model.extend(facts.model);
                projects.extend(facts.projects);
                for (line, column, message) in facts.errors {
                    errors.push(input_error(display.clone(), line, column, message));
                }
                inputs_read.push(SourceFile::new(
                    display.clone(),
                    path.clone(),
                    String::new(),
                ));
                let group = stream::Group::Export {
                    display: display.clone(),
                    path,
                    limit,
                    read: facts.read,
                };
                groups.push((display, group));
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
        let display = sources
            .get(*id)
            .map(|f| f.display.clone())
            .unwrap_or_default();
        let shape_ok = match kind {
            Kind::Instances | Kind::NodePools | Kind::Services => root.is_array(),
            Kind::Policy => root.is_object(),
            Kind::Assets => false,
        };
        if !shape_ok {
            errors.push(input_error(
                display,
                1,
                1,
                format!("not {}", kind.expected()),
            ));
            continue;
        }
        let mut read = Model::default();
        let running = match kind {
            Kind::Instances => instances::instances(root, &mut read),
            Kind::NodePools => {
                instances::node_pools(root, &mut read);
                Vec::new()
            }
            Kind::Services => {
                policies::services(root, named.project(), &mut model);
                continue;
            }
            Kind::Policy => {
                policies.push((named, root));
                continue;
            }
            Kind::Assets => continue,
        };
        projects.extend(read.workloads.iter().filter_map(|w| w.project.clone()));
        model.unresolved.append(&mut read.unresolved);
        let workloads = read.workloads;
        groups.push((display, stream::Group::Loaded { workloads, running }));
    }
    let only_project = match projects.len() {
        1 => projects.first().cloned(),
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
    model.extend(grants);
    drop(parsed);
    let judge = crate::filter::Judge::new(&mut model, &mut sources, opts, kb);
    // Pieces in the report's order: by file.
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    let paths: Vec<PathBuf> = inputs_read.iter().map(|(_, f)| f.path.clone()).collect();
    let stream = Stream::new(
        groups.into_iter().map(|(_, g)| g).collect(),
        model,
        sources,
        judge,
        opts,
        paths,
    );
    errors.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    Ok(Audit {
        outcome: Outcome {
            sources: inputs_read,
            model: Model::default(),
            findings: Vec::new(),
            errors,
            baseline: None,
            skipped: Vec::new(),
            rules: crate::check::all_rules().collect(),
        },
        stream,
    })
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
    use crate::render::Pieces;

    const EXPORT: &str = concat!(
        "{\"name\":\"//compute.googleapis.com/projects/my-app/zones/z/instances/vm\",\"asset_type\":\"compute.googleapis.com/Instance\",\"resource\":{\"data\":{\"name\":\"vm\",\"zone\":\"projects/my-app/zones/z\",\"status\":\"RUNNING\",\"serviceAccounts\":[{\"email\":\"a@my-app.iam.gserviceaccount.com\",\"scopes\":[\"https://www.googleapis.com/auth/devstorage.read_only\"]}]}}}\n",
        "{\"name\":\"//cloudresourcemanager.googleapis.com/projects/my-app\",\"asset_type\":\"cloudresourcemanager.googleapis.com/Project\",\"iam_policy\":{\"bindings\":[{\"role\":\"roles/aiplatform.user\",\"members\":[\"serviceAccount:a@my-app.iam.gserviceaccount.com\"]}]}}\n",
    );

    fn export(name: &str, text: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!(
            "scopelint-audit-{name}-{}.json",
            std::process::id()
        ));
        std::fs::write(&path, text).unwrap();
        path
    }

    fn inputs(path: &Path) -> Inputs {
        Inputs {
            asset_exports: vec![path.to_path_buf()],
            ..Inputs::default()
        }
    }

    /// The pieces of a report: each finding's line, rule, and the length of
    /// the text of the file it points into.
    fn pieces(stream: &Stream) -> Vec<(usize, &'static str, usize)> {
        let mut seen = Vec::new();
        stream
            .each(&mut |sources, findings| {
                for f in findings {
                    let file = sources.get(f.primary.file).unwrap();
                    let line = file.position(f.primary.span.start).line;
                    seen.push((line, f.rule.code, file.text.len()));
                }
                Ok(())
            })
            .unwrap();
        seen
    }

    /// The workloads of an export are checked a piece at a time, each piece
    /// with the text of the lines it read; places are the whole file's.
    #[test]
    fn an_export_is_checked_a_piece_at_a_time() {
        let path = export("stream", EXPORT);
        let opts = Options::default();
        let audit = run(&inputs(&path), &opts, Knowledge::get().unwrap()).unwrap();
        assert!(audit.outcome.errors.is_empty());
        assert!(audit.outcome.findings.is_empty());
        let stream = audit.stream.with_fixes();
        let seen = pieces(&stream);
        // One piece: the lines read, the policy's among them.
        assert_eq!(seen, [(1, "SL001", EXPORT.len())]);
        let left = stream.finish();
        assert!(left.late_errors.is_empty());
        assert_eq!(left.tally.errors, 1);
        assert_eq!(left.worst, Some(crate::finding::Severity::Error));
        assert_eq!(left.to_fix.len(), 1);
        assert_eq!(left.running.len(), 1);
        let _ = std::fs::remove_file(path);
    }

    /// An export that changed between its two readings is an error: its
    /// facts and its workloads may come from two versions of it.
    #[test]
    fn an_export_changed_between_its_readings_is_an_error() {
        let path = export("changed", EXPORT);
        let opts = Options::default();
        let audit = run(&inputs(&path), &opts, Knowledge::get().unwrap()).unwrap();
        std::fs::write(&path, EXPORT.replace("\"vm\"", "\"mv\"")).unwrap();
        let _ = pieces(&audit.stream);
        let [error] = audit
            .stream
            .late_errors()
            .try_into()
            .unwrap_or_else(|e: Vec<_>| {
                panic!("{e:?}");
            });
        assert!(error.message.contains("changed"), "{}", error.message);
        let _ = std::fs::remove_file(path);
    }
}
