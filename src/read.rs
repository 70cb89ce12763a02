//! The one gate through which input is read from disk.
//!
//! Whatever a repository holds, reading it must not block, follow a link out
//! of the tree, or load more than the size limit. So a file is opened without
//! blocking (a FIFO opens at once instead of waiting for a writer) and without
//! following a final symbolic link, and only then inspected through the open
//! descriptor: checking a path first and opening it after would let the path
//! change in between.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Component;
use std::path::{Path, PathBuf};

/// Whether a final symbolic link in the path is followed: only for paths the
/// user named, as any command follows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    Follow,
    Refuse,
}

/// Opens `path` for reading without blocking, and checks what was opened: a
/// regular file, or an error that says why not.
fn open_regular(path: &Path, links: Links) -> Result<(File, Metadata), String> {
    let file = open(path, links).map_err(|e| {
        if links == Links::Refuse && is_link(path) {
            "cannot read file: symbolic link, not followed".to_string()
        } else {
            format!("cannot read file: {e}")
        }
    })?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read file: {e}"))?;
    if meta.is_dir() {
        return Err("cannot read file: a directory".to_string());
    }
    if !meta.is_file() {
        return Err("cannot read file: not a regular file".to_string());
    }
    Ok((file, meta))
}

#[cfg(unix)]
fn open(path: &Path, links: Links) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let no_follow = match links {
        Links::Follow => 0,
        Links::Refuse => libc::O_NOFOLLOW,
    };
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | no_follow)
        .open(path)
}

#[cfg(not(unix))]
fn open(path: &Path, _links: Links) -> std::io::Result<File> {
    File::open(path)
}

/// Why an open failed, when the path turned out to be a link: only to word the error.
fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// The whole of a regular file of at most `limit` bytes.
///
/// The size is checked on the open file, and the read itself is bounded too,
/// in case the file grows in the meantime.
pub fn file(path: &Path, limit: u64, links: Links) -> Result<Vec<u8>, String> {
    let (file, meta) = open_regular(path, links)?;
    if meta.len() > limit {
        return Err(too_large(meta.len(), limit));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
    (&file)
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read file: {e}"))?;
    if bytes.len() as u64 > limit {
        // It grew since it was measured.
        let size = file.metadata().map_or(0, |m| m.len());
        return Err(too_large(size.max(bytes.len() as u64), limit));
    }
    Ok(bytes)
}

/// A regular file of at most `limit` bytes, opened to be read a line at a
/// time: an export of every resource of an organisation need not be held
/// whole. The size is checked on the open file; the reader stops one byte
/// past the limit, so a file that grew since is told by
/// [`past_limit`] on the count of bytes read.
pub fn stream(
    path: &Path,
    limit: u64,
    links: Links,
) -> Result<std::io::BufReader<std::io::Take<File>>, String> {
    let (file, meta) = open_regular(path, links)?;
    if meta.len() > limit {
        return Err(too_large(meta.len(), limit));
    }
    Ok(std::io::BufReader::new(file.take(limit.saturating_add(1))))
}

/// The error for a streamed file found larger than `limit` once `read` bytes were read.
pub fn past_limit(read: u64, limit: u64) -> Option<String> {
    (read > limit).then(|| too_large(read, limit))
}

fn too_large(size: u64, limit: u64) -> String {
    format!(
        "file is {}, over the {} limit: not analysed (raise it with --max-file-size)",
        human_size(size),
        human_size(limit)
    )
}

/// At most the first `n` bytes of a regular file: enough to tell its kind.
pub fn head(path: &Path, n: usize, links: Links) -> Option<Vec<u8>> {
    let (file, _) = open_regular(path, links).ok()?;
    let mut bytes = Vec::with_capacity(n);
    (&file).take(n as u64).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// The regular files directly in `dir`, as the directory lists them (a
/// symbolic link is not one); empty when `dir` cannot be listed.
pub fn regular_files(dir: &Path) -> Vec<PathBuf> {
    let listed = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(listed) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| dir.join(e.file_name()))
        .collect()
}

/// `10 MiB`, `1.5 KiB`, `12 bytes`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let shown = format!("{value:.1}");
    let shown = shown.strip_suffix(".0").unwrap_or(&shown);
    format!("{shown} {}", UNITS[unit])
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("scopelint-read-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let made = std::fs::create_dir_all(&dir);
        assert!(made.is_ok(), "{made:?}");
        dir
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = temp_dir("fifo");
        let fifo = dir.join("pipe.tf");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()));
        // Without O_NONBLOCK, opening a FIFO waits for a writer: this would hang.
        assert_eq!(
            file(&fifo, 100, Links::Follow),
            Err("cannot read file: not a regular file".to_string())
        );
        assert_eq!(head(&fifo, 8, Links::Refuse), None);
        assert!(regular_files(&dir).is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_final_link_is_followed_only_when_asked() {
        let dir = temp_dir("link");
        let target = dir.join("real.tf");
        let link = dir.join("link.tf");
        assert!(std::fs::write(&target, "locals {}\n").is_ok());
        assert!(std::os::unix::fs::symlink(&target, &link).is_ok());
        assert_eq!(
            file(&link, 100, Links::Refuse),
            Err("cannot read file: symbolic link, not followed".to_string())
        );
        assert_eq!(file(&link, 100, Links::Follow), Ok(b"locals {}\n".to_vec()));
        assert_eq!(regular_files(&dir), vec![target.clone()]);
        // The limit is checked on the open file.
        assert!(
            file(&target, 4, Links::Refuse).is_err_and(|e| e.contains("over the 4 bytes limit"))
        );
        assert_eq!(head(&target, 6, Links::Refuse), Some(b"locals".to_vec()));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
/// Removes `.` components and resolves `..` lexically.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    out.iter().collect()
}
