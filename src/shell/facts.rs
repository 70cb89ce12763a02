//! Turns the commands a script runs into model facts: workloads from
//! `gcloud compute instances create` and friends, grants from
//! `add-iam-policy-binding` and `gsutil iam ch`, enabled APIs from
//! `gcloud services enable`, and the changes `set-service-account` makes.
//!
//! Defaulting follows gcloud (see `rules/scopes.json` and the README): no
//! `--scopes` means gcloud's `default` set, no `--service-account` the
//! Compute Engine default account, `--no-scopes` without `--service-account`
//! no account at all.
//!
//! This file reads each command and hands it on: workloads are built in
//! [`super::workloads`] (with `--scopes` flags read by
//! [`super::scope_flags`]) and grants in [`super::grants`].

use super::argv::{self, Invocation};
use super::embed::Embedded;
use super::grants::{grant, gsutil_iam_ch, revoke};
use super::interp::{Cmd, Trace};
use super::word::{Seg, Word};
use super::workloads::{create, set_service_account};
use crate::knowledge::Knowledge;
use crate::model::{EnabledApi, Identity, Model, Project, Unit, Unresolved, Workload};
use crate::source::{FileId, Loc};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

/// How the words of the commands are written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    /// Shell words.
    Shell,
    /// Items of a YAML sequence (Cloud Build `args`), flow or block style.
    YamlFlow,
    YamlBlock,
}

/// The file a script is in, and how script offsets map to it.
pub struct Script<'a> {
    pub file: FileId,
    /// The file's path as shown to the user (addresses are `FILE:LINE`).
    pub display: &'a str,
    /// The whole file's text.
    pub file_text: &'a str,
    /// Offsets where the file's lines start.
    pub line_starts: &'a [usize],
    pub embed: &'a Embedded,
    /// The directory the script is in (relative `--metadata-from-file` paths).
    pub dir: PathBuf,
    pub words: Words,
}

impl Script<'_> {
    pub fn loc(&self, r: &Range<usize>) -> Loc {
        Loc::new(self.file, self.embed.span(r))
    }

    pub(super) fn line(&self, script_offset: usize) -> usize {
        let at = self.embed.start(script_offset).min(self.file_text.len());
        self.line_starts.partition_point(|&s| s <= at).max(1)
    }

    pub(super) fn source_text(&self, r: &Range<usize>) -> &str {
        let f = self.embed.span(r);
        self.file_text.get(f).unwrap_or("")
    }
}

/// What kind of workload a gcloud command creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Creates {
    Instance,
    Template,
    Cluster,
    NodePool,
    Dataproc,
    TpuVm,
}

impl Creates {
    pub(super) fn of(path: &[String]) -> Option<Creates> {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        Some(match p.as_slice() {
            ["compute", "instances", "create" | "create-with-container"] => Creates::Instance,
            [
                "compute",
                "instance-templates",
                "create" | "create-with-container",
            ] => Creates::Template,
            ["container", "clusters", "create"] => Creates::Cluster,
            ["container", "node-pools", "create"] => Creates::NodePool,
            ["dataproc", "clusters", "create"] => Creates::Dataproc,
            ["compute", "tpus", "tpu-vm", "create"] => Creates::TpuVm,
            _ => return None,
        })
    }
}

/// A workload under construction, with what later commands need to find it.
pub(super) struct Pending {
    pub(super) node: usize,
    pub(super) line: usize,
    pub(super) w: Workload,
    pub(super) creates: Creates,
    /// Added to the address of a second workload of one command (the
    /// auto-provisioned pools of a cluster).
    pub(super) part: Option<&'static str>,
}

/// Reads the facts of one script into `model`.
pub fn extract(trace: &Trace, sc: &Script<'_>, kb: &Knowledge, model: &mut Model) {
    let mut pending: Vec<Pending> = Vec::new();
    let mut project: Option<String> = None;
    for (range, why) in &trace.skipped {
        model.unresolved.push(Unresolved {
            loc: sc.loc(range),
            what: why.clone(),
        });
    }
    for cmd in &trace.cmds {
        let Some(inv) = argv::read(&cmd.argv) else {
            continue;
        };
        match inv.program.as_str() {
            "gcloud" => gcloud(cmd, &inv, sc, kb, &mut project, &mut pending, model),
            "gsutil" if inv.path == ["iam", "ch"] => gsutil_iam_ch(cmd, &inv, sc, model),
            _ => {}
        }
    }
    // Addresses: FILE:LINE, with the name when one command makes several workloads.
    let mut per_node: BTreeMap<usize, usize> = BTreeMap::new();
    for p in pending.iter().filter(|p| p.part.is_none()) {
        *per_node.entry(p.node).or_default() += 1;
    }
    for mut p in pending {
        p.w.address = if per_node.get(&p.node).copied().unwrap_or(0) > 1 {
            format!("{}:{}[{}]", sc.display, p.line, p.w.name)
        } else {
            format!("{}:{}", sc.display, p.line)
        };
        p.w.address.push_str(p.part.unwrap_or(""));
        model.workloads.push(p.w);
    }
}

pub(super) fn kind_of(inv: &Invocation) -> String {
    format!("gcloud {}", inv.path.join(" "))
}

pub(super) fn flag_text(inv: &Invocation, names: &[&str]) -> Option<String> {
    inv.flag(names)
        .and_then(|f| f.value.as_ref())
        .and_then(Word::text)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn gcloud(
    cmd: &Cmd,
    inv: &Invocation,
    sc: &Script<'_>,
    kb: &Knowledge,
    project: &mut Option<String>,
    pending: &mut Vec<Pending>,
    model: &mut Model,
) {
    let path: Vec<&str> = inv.path.iter().map(String::as_str).collect();
    if let Some(creates) = Creates::of(&inv.path) {
        create(
            cmd,
            inv,
            creates,
            sc,
            kb,
            project.as_deref(),
            pending,
            model,
        );
        return;
    }
    match path.as_slice() {
        ["compute", "instances", "set-service-account"] => {
            set_service_account(cmd, inv, sc, kb, project.as_deref(), pending, model)
        }
        ["config", "set"] => {
            let args: Vec<Option<String>> = inv.args.iter().map(|&i| cmd.argv[i].text()).collect();
            if let [Some(key), value] = args.as_slice()
                && (key == "project" || key == "core/project")
            {
                *project = value.clone();
            }
        }
        ["services", "enable"] => {
            let enable_project = flag_text(inv, &["--project"]).or(project.clone());
            for &i in &inv.args {
                let w = &cmd.argv[i];
                match w.text() {
                    Some(t) if !w.splat => {
                        let service = if t.contains('.') {
                            t
                        } else {
                            format!("{t}.googleapis.com")
                        };
                        model.enabled_apis.push(EnabledApi {
                            service,
                            loc: sc.loc(&w.span),
                            project: enable_project.as_deref().and_then(Project::id),
                            unit: Unit::default(),
                        });
                    }
                    _ => model.unresolved.push(Unresolved {
                        loc: sc.loc(&w.span),
                        what: "gcloud services enable: a service name is not known".into(),
                    }),
                }
            }
        }
        [.., "add-iam-policy-binding"] => grant(cmd, inv, sc, model),
        [.., "remove-iam-policy-binding"] => revoke(cmd, inv, sc, model),
        _ => {}
    }
}

/// An identity written as an email (a `--service-account` value or the email
/// of a member); `default` is the default account of `project`.
pub(super) fn identity(w: &Word, project: Option<&str>) -> Option<Identity> {
    if let Some(t) = w.text() {
        let t = t.trim();
        if t == "default" {
            return Some(Identity::default_compute(project));
        }
        return t.contains('@').then(|| Identity::from_email(t));
    }
    // PROJECT_NUMBER-compute@developer.gserviceaccount.com with an unknown number
    if w.known_suffix()
        .to_ascii_lowercase()
        .ends_with("-compute@developer.gserviceaccount.com")
    {
        return Some(Identity::DefaultCompute(None));
    }
    symbolic_identity(w)
}

/// An identity whose every unknown part is a named value (`$SA`,
/// `${NAME}@${PROJECT}.iam.gserviceaccount.com`): the same account wherever
/// the script writes the same thing, though which account is not known.
pub(super) fn symbolic_identity(w: &Word) -> Option<Identity> {
    let mut text = String::new();
    let mut key = String::new();
    for s in &w.segs {
        match s {
            Seg::Lit { text: t, .. } => {
                text.push_str(t);
                key.push_str(t);
            }
            Seg::Unknown(Some(sym)) => {
                text.push_str(&sym.text);
                key.push_str(&format!("{}#{}", sym.text, sym.generation));
            }
            Seg::Unknown(None) => return None,
        }
    }
    let whole = matches!(w.segs.as_slice(), [Seg::Unknown(Some(_))]);
    (whole || text.contains('@')).then_some(Identity::Symbolic { text, key })
}
