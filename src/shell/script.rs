//! The script being read and what its commands share: how its words are
//! written, the workloads still being built, and the identities and flags
//! every kind of command reads. The dispatcher (`facts.rs`) and the readers
//! of workloads, grants and scopes all name this, so that no reader names
//! the dispatcher.

use super::argv::Invocation;
use super::embed::Embedded;
use super::word::{Seg, Word};
use crate::model::{Identity, Workload};
use crate::source::{FileId, Loc};
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

pub(super) fn kind_of(inv: &Invocation) -> String {
    format!("gcloud {}", inv.path.join(" "))
}

pub(super) fn flag_text(inv: &Invocation, names: &[&str]) -> Option<String> {
    inv.flag(names)
        .and_then(|f| f.value.as_ref())
        .and_then(Word::text)
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
