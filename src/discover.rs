//! Step 1 of the pipeline: find the input files under the paths the user gave.
//!
//! Directories are walked with the `ignore` crate (gitignore-aware, hidden
//! directories and `.terraform/` skipped except `.github/`, which holds the
//! workflows; symlinks never followed: a link inside the tree may point
//! anywhere, loop or dangle); paths named on the command line are taken as
//! they are, through symlinks. Terraform files and scripts are known by their
//! names (or a shebang); a JSON plan by its content, whatever its name (in a
//! walked directory, only `.json` files are looked into); Config Connector
//! YAML by its content too (any other `.yaml`/`.yml` file is left alone).

use crate::read::Links;
use std::path::{Path, PathBuf};

/// What kind of input a file is, decided from its name (or, for plans, its content).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// A Terraform configuration file in native syntax (`.tf`, OpenTofu `.tofu`).
    Terraform,
    /// A Terraform variable definitions file (`terraform.tfvars`, `*.auto.tfvars`).
    TfVars,
    /// A Terraform configuration file in JSON syntax (`.tf.json`, OpenTofu `.tofu.json`).
    TerraformJson,
    /// Variable definitions in JSON (`terraform.tfvars.json`, `*.auto.tfvars.json`).
    TfVarsJson,
    /// A plan as `terraform show -json PLANFILE` prints it, recognised by its content.
    Plan,
    /// A shell script: `*.sh`, `*.bash`, or no extension and a sh/bash shebang.
    Shell,
    /// A GitHub Actions workflow (`.github/workflows/*.yml`).
    Workflow,
    /// A Cloud Build config (`cloudbuild.yaml`).
    CloudBuild,
    /// Kubernetes objects of Config Connector (`*.cnrm.cloud.google.com`):
    /// a `.yaml`/`.yml` file that names such an API group, recognised by content.
    ConfigConnector,
}

impl FileKind {
    pub fn of(path: &Path) -> Option<FileKind> {
        // A name that is not UTF-8 is judged by its readable part: the file
        // is analysed (shown with U+FFFD), not dropped without a word.
        let name = path.file_name()?.to_string_lossy();
        let name = name.as_ref();
        if name.ends_with(".tf") || name.ends_with(".tofu") {
            Some(FileKind::Terraform)
        } else if name.ends_with(".tf.json") || name.ends_with(".tofu.json") {
            Some(FileKind::TerraformJson)
        } else if name == "terraform.tfvars" || name.ends_with(".auto.tfvars") {
            Some(FileKind::TfVars)
        } else if name == "terraform.tfvars.json" || name.ends_with(".auto.tfvars.json") {
            Some(FileKind::TfVarsJson)
        } else if name.ends_with(".sh") || name.ends_with(".bash") {
            Some(FileKind::Shell)
        } else if name.starts_with("cloudbuild")
            && (name.ends_with(".yaml") || name.ends_with(".yml"))
        {
            Some(FileKind::CloudBuild)
        } else if (name.ends_with(".yml") || name.ends_with(".yaml")) && in_workflows(path) {
            Some(FileKind::Workflow)
        } else {
            None
        }
    }

    /// Whether the file holds configuration blocks (resources, variables, modules...).
    pub fn is_configuration(self) -> bool {
        matches!(self, FileKind::Terraform | FileKind::TerraformJson)
    }

    /// Whether the file holds variable values.
    pub fn is_tfvars(self) -> bool {
        matches!(self, FileKind::TfVars | FileKind::TfVarsJson)
    }

    /// Whether the file is a Terraform JSON plan: a JSON object whose first keys are
    /// `format_version` and `terraform_version`, as `terraform show -json` writes them.
    pub fn sniff(path: &Path, links: Links) -> Option<FileKind> {
        FileKind::sniff_bytes(&crate::read::head(path, SNIFF_BYTES, links)?)
    }

    /// [`FileKind::sniff`] on bytes already in memory (only their head is looked at).
    pub fn sniff_bytes(bytes: &[u8]) -> Option<FileKind> {
        let head = String::from_utf8_lossy(bytes.get(..SNIFF_BYTES).unwrap_or(bytes));
        let head = head.trim_start_matches('\u{feff}').trim_start();
        (head.starts_with('{')
            && head.contains("\"format_version\"")
            && head.contains("\"terraform_version\""))
        .then_some(FileKind::Plan)
    }

    /// Whether YAML text names a Config Connector API group. Only a file's
    /// head is looked at ([`KRM_SNIFF_BYTES`]); the objects themselves are
    /// recognised by their `apiVersion` when the file is read.
    pub fn sniff_krm(bytes: &[u8]) -> Option<FileKind> {
        let head = bytes.get(..KRM_SNIFF_BYTES).unwrap_or(bytes);
        head.windows(KRM_GROUP.len())
            .any(|w| w == KRM_GROUP.as_bytes())
            .then_some(FileKind::ConfigConnector)
    }

    /// Like [`FileKind::of`], and an extension-less file is a shell script when
    /// its first line is a sh/bash shebang; any other YAML file is a Config
    /// Connector file when its head names a Config Connector API group.
    pub fn detect(path: &Path, links: Links) -> Option<FileKind> {
        if let Some(k) = FileKind::of(path) {
            return Some(k);
        }
        if is_yaml(path) {
            return FileKind::sniff_krm(&crate::read::head(path, KRM_SNIFF_BYTES, links)?);
        }
        let name = path.file_name()?.to_string_lossy();
        if name.contains('.') {
            return None;
        }
        let head = crate::read::head(path, 128, links)?;
        has_shell_shebang(&head).then_some(FileKind::Shell)
    }

    /// Whether files of this kind are Terraform (grouped into modules).
    pub fn is_terraform(self) -> bool {
        self.is_configuration() || self.is_tfvars() || self == FileKind::Plan
    }
}

/// Whether the file is directly in a `.github/workflows` directory.
fn in_workflows(path: &Path) -> bool {
    let mut parents = path.parent().into_iter().flat_map(Path::components).rev();
    let dir = parents.next().and_then(|c| c.as_os_str().to_str());
    let up = parents.next().and_then(|c| c.as_os_str().to_str());
    dir == Some("workflows") && up == Some(".github")
}

/// How much of a `.json` file is read to decide whether it is a plan.
const SNIFF_BYTES: usize = 4096;

/// How much of a YAML file is read to decide whether it holds Config Connector
/// objects: a bundle may start with many other Kubernetes objects.
pub const KRM_SNIFF_BYTES: usize = 256 * 1024;

/// What every Config Connector `apiVersion` holds.
pub const KRM_GROUP: &str = "cnrm.cloud.google.com/";

/// Whether the file is named like YAML.
pub fn is_yaml(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
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

/// Adds files that exist only in memory (an editor's unsaved buffers) to
/// what [`discover`] found on disk: those under one of `roots`, outside
/// hidden directories (but `.github`), whose name or content makes them an
/// input. Their content decides what a name alone cannot (YAML, no extension).
pub fn add_unsaved<'a>(
    found: &mut Discovery,
    roots: &[PathBuf],
    unsaved: impl IntoIterator<Item = (&'a Path, &'a [u8])>,
) {
    let known: std::collections::BTreeSet<PathBuf> =
        found.files.iter().map(|c| c.path.clone()).collect();
    for (path, bytes) in unsaved {
        if known.contains(path) || path.exists() {
            continue;
        }
        let Some(rel) = roots.iter().find_map(|r| path.strip_prefix(r).ok()) else {
            continue;
        };
        let hidden = rel
            .parent()
            .into_iter()
            .flat_map(Path::components)
            .any(|c| {
                let name = c.as_os_str().to_string_lossy();
                name.starts_with('.') && name != ".github"
            });
        if hidden {
            continue;
        }
        let kind = FileKind::of(path).or_else(|| {
            if is_yaml(path) {
                return FileKind::sniff_krm(bytes);
            }
            let name = path.file_name()?.to_string_lossy();
            (!name.contains('.') && has_shell_shebang(bytes)).then_some(FileKind::Shell)
        });
        if let Some(kind) = kind {
            found.files.push(Candidate {
                path: path.to_path_buf(),
                kind,
            });
        }
    }
    found.files.sort();
    found.files.dedup();
}

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
            Ok(meta) => {
                // Hooks pass every staged file of some types; the ones that are
                // not inputs are not errors. A named FIFO or device is taken
                // here (by name only: opening it could block) and rejected when
                // it is read.
                let kind = if meta.is_file() {
                    FileKind::detect(root, Links::Follow)
                        .or_else(|| FileKind::sniff(root, Links::Follow))
                } else {
                    FileKind::of(root)
                };
                if let Some(kind) = kind {
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
        // Only a regular file is opened to look for a shebang: a FIFO would block.
        if let (true, Some(kind)) = (is_file, FileKind::detect(&path, Links::Refuse)) {
            files.push(Candidate { path, kind });
        }
    }
}

fn walk_dir(root: &Path, found: &mut Discovery) {
    // Hidden entries are skipped by hand, so that `.github/` can be kept.
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .follow_links(false)
        .require_git(false)
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            e.depth() == 0 || !name.starts_with('.') || name == ".github"
        })
        .build();
    for entry in walker {
        match entry {
            Ok(entry) => {
                let is_file = entry.file_type().is_some_and(|t| t.is_file());
                let kind = if is_file {
                    FileKind::detect(entry.path(), Links::Refuse).or_else(|| {
                        let json = entry.path().extension().is_some_and(|e| e == "json");
                        json.then(|| FileKind::sniff(entry.path(), Links::Refuse))
                            .flatten()
                    })
                } else {
                    FileKind::of(entry.path())
                };
                let Some(kind) = kind else {
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

/// Whether a file without extension is a shell script (`#!` naming sh or bash).
pub fn has_shell_shebang(head: &[u8]) -> bool {
    let Some(rest) = head.strip_prefix(b"#!") else {
        return false;
    };
    let line = rest.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split_whitespace();
    let Some(first) = parts.next() else {
        return false;
    };
    let prog = if first.ends_with("/env") {
        parts.find(|p| !p.starts_with('-')).unwrap_or("")
    } else {
        first
    };
    matches!(
        prog.rsplit('/').next().unwrap_or(""),
        "sh" | "bash" | "dash" | "ksh" | "zsh"
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Config Connector YAML is known by its content, anywhere in a walked
    /// tree; other YAML is not an input, and workflows keep their own kind.
    #[test]
    fn config_connector_yaml_is_found_by_content() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("k8s")).unwrap();
        std::fs::create_dir_all(root.join(".github/workflows")).unwrap();
        let krm = "apiVersion: iam.cnrm.cloud.google.com/v1beta1\nkind: IAMPolicyMember\n";
        std::fs::write(root.join("k8s/iam.yaml"), krm).unwrap();
        std::fs::write(root.join("k8s/ns.YML"), format!("# x\n{krm}")).unwrap();
        std::fs::write(
            root.join("k8s/app.yaml"),
            "apiVersion: apps/v1\nkind: Deployment\n",
        )
        .unwrap();
        std::fs::write(root.join(".github/workflows/d.yml"), krm).unwrap();
        let found = discover(&[root.to_path_buf()]);
        let kinds: Vec<(String, FileKind)> = found
            .files
            .iter()
            .map(|c| {
                let rel = c.path.strip_prefix(root).unwrap();
                (rel.to_string_lossy().replace('\\', "/"), c.kind)
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                (".github/workflows/d.yml".to_string(), FileKind::Workflow),
                ("k8s/iam.yaml".to_string(), FileKind::ConfigConnector),
                ("k8s/ns.YML".to_string(), FileKind::ConfigConnector),
            ]
        );
        // Only the head counts.
        let late = format!("{}{krm}", "#\n".repeat(KRM_SNIFF_BYTES));
        assert_eq!(FileKind::sniff_krm(late.as_bytes()), None);
    }
}
