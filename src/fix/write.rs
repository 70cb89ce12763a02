//! Writing a patched file safely: each file is read again and not written
//! when it changed since it was read, or when it is read-only; the new text
//! goes to a temporary file in the same directory, gets the old file's
//! permissions, owner and group, and is renamed over it.

use super::plan::FilePatch;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes one patched file: refused when the file is read-only or changed
/// since it was read; atomic (temporary file in the same directory, then
/// rename); keeps the file's permissions; follows a symbolic link to the file
/// it names.
pub fn write(patch: &FilePatch) -> Result<(), String> {
    let target = std::fs::canonicalize(&patch.path).map_err(|e| format!("cannot open: {e}"))?;
    let meta = std::fs::metadata(&target).map_err(|e| format!("cannot open: {e}"))?;
    if meta.permissions().readonly() {
        return Err("the file is read-only".to_string());
    }
    write_atomic(
        &target,
        patch.patched.as_bytes(),
        Some(patch.original.as_bytes()),
    )
}

/// Replaces `target` with `contents` atomically. With `expect`, the file must
/// still hold exactly those bytes right before the rename, else nothing is
/// written.
pub fn write_atomic(target: &Path, contents: &[u8], expect: Option<&[u8]>) -> Result<(), String> {
    write_atomic_with(target, expect, |file| file.write_all(contents))
}

/// Replaces `target` atomically with what `fill` writes, as [`write_atomic`]
/// does: a report of hundreds of megabytes goes to the file as it is made,
/// never held whole in memory.
pub fn write_atomic_with(
    target: &Path,
    expect: Option<&[u8]>,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    let changed = || "the file changed after scopelint read it; run scopelint again".to_string();
    if let Some(expect) = expect {
        let now = std::fs::read(target).map_err(|e| format!("cannot read: {e}"))?;
        if now != expect {
            return Err(changed());
        }
    }
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_string());
    remove_stale_temporaries(&dir, &name);
    let (tmp, mut file) = (0..1000)
        .find_map(|n| {
            let tmp = dir.join(format!(".{name}.scopelint-{}-{n}.tmp", std::process::id()));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
            {
                Ok(f) => Some(Ok((tmp, f))),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => None,
                Err(e) => Some(Err(e)),
            }
        })
        .unwrap_or_else(|| Err(std::io::Error::other("no free name for a temporary file")))
        .map_err(|e| format!("cannot create a temporary file in {}: {e}", dir.display()))?;
    let result = (|| {
        let mut buffered = std::io::BufWriter::new(&mut file);
        fill(&mut buffered)
            .and_then(|()| buffered.flush())
            .map_err(|e| format!("cannot write: {e}"))?;
        drop(buffered);
        if let Ok(meta) = std::fs::metadata(target) {
            file.set_permissions(meta.permissions())
                .map_err(|e| format!("cannot keep the permissions: {e}"))?;
            keep_owner(&file, &meta)?;
        }
        file.sync_all().map_err(|e| format!("cannot write: {e}"))?;
        drop(file);
        if let Some(expect) = expect {
            let now = std::fs::read(target).map_err(|e| format!("cannot read: {e}"))?;
            if now != expect {
                return Err(changed());
            }
        }
        std::fs::rename(&tmp, target).map_err(|e| format!("cannot replace the file: {e}"))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    } else if let Ok(d) = std::fs::File::open(&dir) {
        // make the rename durable; not every file system supports this
        let _ = d.sync_all();
    }
    result
}

/// A temporary file older than this was left by a run that was killed (a
/// live run keeps one for milliseconds).
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

/// Removes the temporary files of `name` that killed runs left in `dir`.
fn remove_stale_temporaries(dir: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.scopelint-");
    for e in entries.flatten() {
        let file_name = e.file_name();
        let Some(n) = file_name.to_str() else {
            continue;
        };
        let ours = n.starts_with(&prefix) && n.ends_with(".tmp");
        let stale = e
            .metadata()
            .ok()
            .filter(std::fs::Metadata::is_file)
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_AFTER);
        if ours && stale {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Gives the temporary file the owner and group of the file it replaces; when
/// that is not allowed the file is not written (it would change hands).
#[cfg(unix)]
fn keep_owner(file: &std::fs::File, old: &std::fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let new = file.metadata().map_err(|e| format!("cannot write: {e}"))?;
    if (new.uid(), new.gid()) == (old.uid(), old.gid()) {
        return Ok(());
    }
    std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()))
        .map_err(|e| format!("cannot keep the file's owner and group: {e}"))
}

#[cfg(not(unix))]
fn keep_owner(_: &std::fs::File, _: &std::fs::Metadata) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A patched file keeps its owner and group (checked where the test may
    /// give a file to another user, as root does).
    #[cfg(unix)]
    #[test]
    fn write_atomic_keeps_owner_and_group() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("main.tf");
        std::fs::write(&path, "a = 1\n").unwrap_or_else(|e| panic!("{e}"));
        if std::os::unix::fs::chown(&path, Some(4321), Some(4322)).is_err() {
            return; // not allowed to give files away: nothing to check
        }
        write_atomic(&path, b"a = 2\n", Some(b"a = 1\n")).unwrap_or_else(|e| panic!("{e}"));
        let meta = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((meta.uid(), meta.gid()), (4321, 4322));
        assert_eq!(std::fs::read(&path).ok().as_deref(), Some(&b"a = 2\n"[..]));
    }

    #[test]
    fn write_atomic_replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("a.tf");
        std::fs::write(&path, "old").unwrap_or_else(|e| panic!("{e}"));
        assert!(write_atomic(&path, b"new", Some(b"other")).is_err());
        assert_eq!(std::fs::read(&path).ok().as_deref(), Some(&b"old"[..]));
        write_atomic(&path, b"new", Some(b"old")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read(&path).ok().as_deref(), Some(&b"new"[..]));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn temporary_files_of_killed_runs_are_removed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("a.tf");
        std::fs::write(&path, "old").unwrap_or_else(|e| panic!("{e}"));
        let stale = dir.path().join(".a.tf.scopelint-4242-0.tmp");
        let fresh = dir.path().join(".a.tf.scopelint-4243-0.tmp");
        for p in [&stale, &fresh] {
            std::fs::write(p, "").unwrap_or_else(|e| panic!("{e}"));
        }
        let old = std::time::SystemTime::now() - 2 * STALE_AFTER;
        std::fs::File::options()
            .write(true)
            .open(&stale)
            .and_then(|f| f.set_modified(old))
            .unwrap_or_else(|e| panic!("{e}"));
        write_atomic(&path, b"new", Some(b"old")).unwrap_or_else(|e| panic!("{e}"));
        assert!(!stale.exists());
        // Possibly a concurrent run's: kept.
        assert!(fresh.exists());
    }
}
