//! Step 1 of the pipeline: find the input files under the paths the user gave.
//!
//! Directories are walked with the `ignore` crate (gitignore-aware, hidden
//! directories and `.terraform/` skipped, symlinks never followed: a link inside
//! the tree may point anywhere, loop or dangle); paths named on the command line
//! are taken as they are, through symlinks.

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

/// An entry with an input file's name that is deliberately not read (listed by `--verbose`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: &'static str,
}

/// What [`discover`] found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// The input files, sorted and without duplicates.
    pub files: Vec<Candidate>,
    pub errors: Vec<WalkError>,
    /// Symbolic links and special files with an input file's name, sorted.
    pub skipped: Vec<Skipped>,
}

/// Why a symlink inside a walked directory is not read.
pub const SKIP_SYMLINK: &str = "symbolic link, not followed";
/// Why a FIFO, socket or device inside a walked directory is not read.
pub const SKIP_SPECIAL: &str = "not a regular file";

/// Collects the input files under `roots`.
///
/// A file given by name brings the other input files of its directory along
/// (a VM and the grants of its service account usually live in different files
/// of one module); callers report only the findings that involve the named files.
pub fn discover(roots: &[PathBuf]) -> Discovery {
    let mut found = Discovery::default();
    for root in roots {
        // A path the user named is followed when it is a symlink.
        match std::fs::metadata(root) {
            Err(e) => found.errors.push(WalkError {
                path: display_path(root),
                message: format!("cannot read path: {e}"),
            }),
            Ok(meta) if meta.is_dir() => walk_dir(root, &mut found),
            Ok(_) => {
                // Hooks pass every staged file of some types; the ones that are
                // not inputs are not errors. A named FIFO or device is taken
                // here and rejected when it is read, before it can block.
                if let Some(kind) = FileKind::of(root) {
                    found.files.push(Candidate {
                        path: root.clone(),
                        kind,
                    });
                    siblings(root, &mut found.files);
                }
            }
        }
    }
    found.files.sort();
    found.files.dedup();
    found.skipped.sort();
    found.skipped.dedup();
    found
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

fn walk_dir(root: &Path, found: &mut Discovery) {
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .follow_links(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".terraform")
        .build();
    for entry in walker {
        match entry {
            Ok(entry) => {
                let Some(kind) = FileKind::of(entry.path()) else {
                    continue;
                };
                // The root itself may be a directory named like an input file.
                match entry.file_type() {
                    Some(t) if t.is_file() => found.files.push(Candidate {
                        path: entry.into_path(),
                        kind,
                    }),
                    Some(t) if t.is_dir() => {}
                    Some(t) if t.is_symlink() => found.skipped.push(Skipped {
                        path: entry.into_path(),
                        reason: SKIP_SYMLINK,
                    }),
                    _ => found.skipped.push(Skipped {
                        path: entry.into_path(),
                        reason: SKIP_SPECIAL,
                    }),
                }
            }
            Err(e) => found.errors.push(WalkError {
                path: display_path(root),
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
