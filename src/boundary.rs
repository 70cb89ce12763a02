//! Which files outside the scanned paths scopelint may touch.
//!
//! Configuration points at other files: a startup script read with `file()`
//! or `--metadata-from-file`, a module directory called with `../shared/vm`.
//! A pull request controls those paths, so a file is read only when its real
//! path (after `..` and symbolic links) lies inside a scanned path, the git
//! work tree holding one, or a directory the user allowed explicitly; and
//! never under `/proc`, `/dev` or `/sys`. Anything else stays unknown, so the
//! secrets of the machine running the check never reach its report.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Pseudo-file systems: their files describe the running machine and process
/// (environment, memory, devices), never a deployment.
const NEVER_READ: [&str; 3] = ["/proc", "/dev", "/sys"];

/// The directories files may be read from, and the paths refused so far.
#[derive(Debug, Default)]
pub struct Boundary {
    /// Real paths, sorted.
    dirs: Vec<PathBuf>,
    /// Existing paths that were not admitted, for `--verbose`.
    refused: Mutex<Vec<(PathBuf, Refusal)>>,
}

impl Boundary {
    /// The scanned paths (a file counts as its directory), the git work tree
    /// holding each, and the directories in `allowed`.
    pub fn new(scanned: &[PathBuf], allowed: &[PathBuf]) -> Self {
        let mut dirs = Vec::new();
        for path in scanned {
            let Ok(real) = std::fs::canonicalize(path) else {
                continue;
            };
            let dir = if real.is_dir() {
                real
            } else {
                real.parent().map(Path::to_path_buf).unwrap_or(real)
            };
            dirs.extend(work_tree(&dir));
            dirs.push(dir);
        }
        dirs.extend(allowed.iter().filter_map(|d| std::fs::canonicalize(d).ok()));
        dirs.sort();
        dirs.dedup();
        Self {
            dirs,
            refused: Mutex::default(),
        }
    }

    /// The real path of `path` when it may be read; else why it may not (an
    /// existing path refused is remembered for [`Boundary::take_refused`]).
    pub fn admit(&self, path: &Path) -> Result<PathBuf, Refusal> {
        let real = std::fs::canonicalize(path).map_err(|e| Refusal::Unresolvable(e.to_string()))?;
        let refusal = if NEVER_READ.iter().any(|p| real.starts_with(p)) {
            Refusal::System
        } else if self.contains(&real) {
            return Ok(real);
        } else {
            Refusal::Outside
        };
        if let Ok(mut refused) = self.refused.lock() {
            refused.push((path.to_path_buf(), refusal.clone()));
        }
        Err(refusal)
    }

    /// The existing paths refused so far, sorted, each once.
    pub fn take_refused(&self) -> Vec<(PathBuf, Refusal)> {
        let mut out = self
            .refused
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out.dedup_by(|a, b| a.0 == b.0);
        out
    }

    /// Whether the real path `real` lies inside the boundary.
    pub fn contains(&self, real: &Path) -> bool {
        self.dirs.iter().any(|d| real.starts_with(d))
    }
}

/// Why a path may not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// It does not exist (or a directory on the way cannot be searched).
    Unresolvable(String),
    /// Under `/proc`, `/dev` or `/sys`.
    System,
    /// Outside every scanned path and its work tree.
    Outside,
}

impl Refusal {
    /// Why an existing path was not read, for `--verbose`.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::Unresolvable(_) => "cannot be resolved",
            Refusal::System => "not read: a system file (/proc, /dev, /sys)",
            Refusal::Outside => {
                "not read: outside the scanned paths and their git work tree \
                 (widen with --allow-read-outside DIR)"
            }
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Unresolvable(e) => write!(f, "cannot read file: {e}"),
            other => f.write_str(other.reason()),
        }
    }
}

/// The git work tree holding `dir`: the nearest directory, `dir` included,
/// with a `.git` entry (a directory, or a file in a linked work tree).
pub fn work_tree(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| std::fs::symlink_metadata(d.join(".git")).is_ok())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_stay_inside_the_work_tree() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        let env = repo.join("envs/prod");
        std::fs::create_dir_all(&env).unwrap();
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("scripts")).unwrap();
        std::fs::write(repo.join("scripts/x.sh"), "echo").unwrap();
        std::fs::write(tmp.path().join("secret"), "token").unwrap();
        let b = Boundary::new(std::slice::from_ref(&env), &[]);

        assert!(b.admit(&env.join("../../scripts/x.sh")).is_ok());
        assert_eq!(b.admit(&env.join("../../../secret")), Err(Refusal::Outside));
        // A link inside the tree to a file outside it is judged by its target.
        std::os::unix::fs::symlink(tmp.path().join("secret"), env.join("link")).unwrap();
        assert_eq!(b.admit(&env.join("link")), Err(Refusal::Outside));
        assert!(matches!(
            b.admit(&env.join("missing")),
            Err(Refusal::Unresolvable(_))
        ));

        let wide = Boundary::new(std::slice::from_ref(&env), &[tmp.path().to_path_buf()]);
        assert!(wide.admit(&tmp.path().join("secret")).is_ok());
    }

    #[test]
    fn system_files_are_never_read() {
        let root = Boundary::new(&[PathBuf::from("/")], &[PathBuf::from("/proc")]);
        assert_eq!(
            root.admit(Path::new("/proc/self/environ")),
            Err(Refusal::System)
        );
        assert_eq!(root.admit(Path::new("/dev/zero")), Err(Refusal::System));
    }
}
