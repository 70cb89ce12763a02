//! Repository-relative paths for the CI formats.
//!
//! Findings carry paths relative to the working directory (the JSON contract).
//! GitHub code scanning, workflow annotations and GitLab Code Quality want
//! them relative to the repository root instead, which differs when
//! scopelint runs in a subdirectory (`cd infra && scopelint check`). The root
//! is the nearest ancestor of the working directory holding `.git` (a
//! directory, or a file in a worktree); without one, the working directory.

use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct RepoPaths {
    /// The working directory (absolute), if known.
    cwd: Option<PathBuf>,
    /// The repository root (absolute), if known.
    root: Option<PathBuf>,
}

impl RepoPaths {
    /// Finds the repository around the current working directory.
    pub fn detect() -> RepoPaths {
        let cwd = std::env::current_dir().ok();
        let root = cwd.as_deref().map(|cwd| {
            cwd.ancestors()
                .find(|d| d.join(".git").exists())
                .unwrap_or(cwd)
                .to_path_buf()
        });
        RepoPaths { cwd, root }
    }

    /// Paths relative to `cwd`, which lies in the repository rooted at `root`.
    pub fn new(cwd: PathBuf, root: PathBuf) -> RepoPaths {
        RepoPaths {
            cwd: Some(cwd),
            root: Some(root),
        }
    }

    /// The path of a file (as displayed: relative to the working directory, or
    /// absolute) relative to the repository root, with forward slashes; `None`
    /// when it lies outside the repository.
    pub fn relative(&self, display: &str) -> Option<String> {
        let path = Path::new(display);
        let absolute = match (&self.cwd, path.is_absolute()) {
            (_, true) => path.to_path_buf(),
            (Some(cwd), false) => cwd.join(path),
            (None, false) => return normalize(path),
        };
        let root = self.root.as_ref().or(self.cwd.as_ref())?;
        let absolute = PathBuf::from(normalize(&absolute)?);
        let rel = absolute.strip_prefix(normalize(root)?).ok()?;
        normalize(rel).filter(|s| !s.is_empty())
    }

    /// The repository-relative path, else the path as displayed.
    pub fn shown(&self, display: &str) -> String {
        self.relative(display)
            .unwrap_or_else(|| display.replace('\\', "/"))
    }
}

/// Removes `.` and resolves `..` lexically; `None` when `..` climbs above the start
/// of a relative path.
fn normalize(path: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut prefix = String::new();
    for c in path.components() {
        match c {
            Component::Prefix(p) => prefix = p.as_os_str().to_string_lossy().into_owned(),
            Component::RootDir => prefix.push('/'),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
        }
    }
    Some(format!("{prefix}{}", parts.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_repository_relative() {
        let r = RepoPaths::new("/repo/infra".into(), "/repo".into());
        assert_eq!(r.relative("main.tf").as_deref(), Some("infra/main.tf"));
        assert_eq!(r.relative("./a/../b.tf").as_deref(), Some("infra/b.tf"));
        assert_eq!(
            r.relative("../modules/x.tf").as_deref(),
            Some("modules/x.tf")
        );
        assert_eq!(r.relative("/repo/y.tf").as_deref(), Some("y.tf"));
        assert_eq!(r.relative("/elsewhere/y.tf"), None);
        assert_eq!(r.relative("../../y.tf"), None);
        assert_eq!(r.shown("/elsewhere/y.tf"), "/elsewhere/y.tf");
    }
}
