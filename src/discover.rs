//! Step 1 of the pipeline: find the input files under the paths the user gave.
//!
//! Directories are walked with the `ignore` crate (gitignore-aware, hidden
//! directories and `.terraform/` skipped, symlinks never followed); files named
//! on the command line are taken as they are.

use std::path::{Path, PathBuf};

/// What kind of input a file is, decided from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// A Terraform configuration file (`.tf`).
    Terraform,
    /// A Terraform variable definitions file (`terraform.tfvars`, `*.auto.tfvars`).
    TfVars,
}

impl FileKind {
    pub fn of(path: &Path) -> Option<FileKind> {
        let name = path.file_name()?.to_str()?;
        if name.ends_with(".tf") {
            Some(FileKind::Terraform)
        } else if name == "terraform.tfvars" || name.ends_with(".auto.tfvars") {
            Some(FileKind::TfVars)
        } else {
            None
        }
    }
}

/// A file to analyse.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub path: PathBuf,
    pub kind: FileKind,
}

/// A path that could not be walked; reported like a parse error.
#[derive(Debug, Clone)]
pub struct WalkError {
    pub path: String,
    pub message: String,
}

/// Collects the input files under `roots`, sorted and without duplicates.
///
/// A file given by name brings the other input files of its directory along
/// (a VM and the grants of its service account usually live in different files
/// of one module); callers report only the findings that involve the named files.
pub fn discover(roots: &[PathBuf]) -> (Vec<Candidate>, Vec<WalkError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in roots {
        match std::fs::symlink_metadata(root) {
            Err(e) => errors.push(WalkError {
                path: root.display().to_string(),
                message: format!("cannot read path: {e}"),
            }),
            Ok(meta) if meta.is_dir() => walk_dir(root, &mut files, &mut errors),
            Ok(_) => {
                // Hooks pass every staged file of some types; the ones that are
                // not inputs are not errors.
                if let Some(kind) = FileKind::of(root) {
                    files.push(Candidate {
                        path: root.clone(),
                        kind,
                    });
                    siblings(root, &mut files);
                }
            }
        }
    }
    files.sort();
    files.dedup();
    (files, errors)
}

/// The input files next to `file` (not in sub-directories).
fn siblings(file: &Path, files: &mut Vec<Candidate>) {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries.flatten() {
        let is_file = e.file_type().is_ok_and(|t| t.is_file());
        let path = if file.parent().is_some_and(|d| d.as_os_str().is_empty()) {
            PathBuf::from(e.file_name())
        } else {
            e.path()
        };
        if let (true, Some(kind)) = (is_file, FileKind::of(&path)) {
            files.push(Candidate { path, kind });
        }
    }
}

fn walk_dir(root: &Path, files: &mut Vec<Candidate>, errors: &mut Vec<WalkError>) {
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .follow_links(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".terraform")
        .build();
    for entry in walker {
        match entry {
            Ok(entry) => {
                let is_file = entry.file_type().is_some_and(|t| t.is_file());
                if let (true, Some(kind)) = (is_file, FileKind::of(entry.path())) {
                    files.push(Candidate {
                        path: entry.into_path(),
                        kind,
                    });
                }
            }
            Err(e) => errors.push(WalkError {
                path: root.display().to_string(),
                message: e.to_string(),
            }),
        }
    }
}

/// The path as the user should see it: relative to the working directory when inside it.
pub fn display_path(path: &Path) -> String {
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let s = shown.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}
