//! `--diff` and `--fix`: which suggested patches to apply, and writing them safely.
//!
//! Planning works on the parsed sources, in memory, in rounds: each round
//! takes the findings of the current (patched) state, applies every patch
//! that may be applied and does not collide with another, and analyses the
//! patched files again. A patched file that no longer parses is reverted and
//! its patches are refused. Rounds stop when no applicable patch is left, so
//! two findings on one scopes list (say SL001 and SL002) both end up fixed,
//! and running `--fix` again changes nothing.
//!
//! A patch may be applied only when every workload whose scopes come from the
//! edited literal needs exactly that edit: instances of one `count` or
//! `for_each` resource share their literal, and so do workloads fed by one
//! variable default, tfvars value or local. Otherwise the patch is shown,
//! with the reason, and not applied.
//!
//! Writing ([`write`]) re-reads each file and refuses to write it when it
//! changed since it was read, or when it is read-only; the new text goes to a
//! temporary file in the same directory, gets the old file's permissions, owner
//! and group, and is renamed over it.

use crate::boundary::Boundary;
use crate::finding::{Edit, Finding};
use crate::fix::unified_diff;
use crate::knowledge::Knowledge;
use crate::model::Account;
use crate::render::RepoPaths;
use crate::render::visible::visible;
use crate::source::{FileId, Loc};
use crate::{Options, Outcome, Overlay, run_with_overlay};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// How many analyse-and-patch rounds planning runs at most.
const MAX_ROUNDS: usize = 8;

/// A finding across rounds: its rule, workload and the file it points at
/// (its lines move as patches land; independent root modules may hold
/// workloads of the same address, which must not wait for each other).
type Key = (&'static str, String, String);

fn key(out: &Outcome, f: &Finding) -> Key {
    let file = out.sources.get(f.primary.file);
    (
        f.rule.code,
        f.workload.address.clone(),
        file.map(|s| s.display.clone()).unwrap_or_default(),
    )
}

fn label(k: &Key) -> String {
    format!("{} {}", k.0, k.1)
}

/// The new text of one file.
#[derive(Debug, Clone)]
pub struct FilePatch {
    /// The path as shown to the user.
    pub display: String,
    /// The path as discovered (what is read and written).
    pub path: PathBuf,
    /// The text as read at the start of the run.
    pub original: String,
    pub patched: String,
    /// The findings whose patches went into this file (`SL001 google_compute_instance.x`).
    pub fixes: Vec<String>,
}

impl FilePatch {
    /// The unified diff of this file, its path relative to the repository
    /// root (what `git apply` expects), else as displayed.
    pub fn diff(&self, repo: &RepoPaths) -> String {
        unified_diff(&repo.shown(&self.display), &self.original, &self.patched)
    }
}

/// A suggested patch that is not applied, and why.
#[derive(Debug, Clone)]
pub struct Withheld {
    pub rule: &'static str,
    pub address: String,
    pub reason: String,
    /// The patch as a unified diff against the planned state of the files.
    pub diff: String,
}

/// What `--fix` would do.
#[derive(Debug, Default)]
pub struct Plan {
    /// Files to write, in path order.
    pub patches: Vec<FilePatch>,
    /// Patches shown but not applied.
    pub withheld: Vec<Withheld>,
    /// The findings of the original run that the patches fix.
    pub fixed: Vec<String>,
}

impl Plan {
    /// The unified diff of every file the plan changes (paths as in [`FilePatch::diff`]).
    pub fn diff(&self, repo: &RepoPaths) -> String {
        self.patches.iter().map(|p| p.diff(repo)).collect()
    }

    /// Takes out the patches of files outside `boundary` (the scanned paths
    /// and their git work tree): a module the configuration calls from
    /// elsewhere is not the scanned change's to edit. Returns a line for
    /// stderr per file held back.
    pub fn hold_outside(&mut self, boundary: &Boundary) -> String {
        let (inside, outside): (Vec<FilePatch>, Vec<FilePatch>) = std::mem::take(&mut self.patches)
            .into_iter()
            .partition(|p| {
                std::fs::canonicalize(&p.path).is_ok_and(|real| boundary.contains(&real))
            });
        self.patches = inside;
        outside
            .iter()
            .map(|p| {
                format!(
                    "scopelint: not patching {}: outside the scanned paths and their git work tree (--fix-outside allows it)\n",
                    visible(&p.display)
                )
            })
            .collect()
    }

    /// What is not applied and why, each with its patch, for stderr.
    pub fn withheld_report(&self) -> String {
        let mut out = String::new();
        for w in &self.withheld {
            out.push_str(&format!(
                "scopelint: not applying the patch for {} {}: {}\n",
                w.rule, w.address, w.reason
            ));
            for line in w.diff.lines() {
                out.push_str("  ");
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

/// The edits one round applies, per file, with the finding each came from.
#[derive(Default)]
struct Selection {
    by_file: BTreeMap<FileId, Vec<(Edit, Key)>>,
    /// Every finding whose edits are all in `by_file`, per file.
    applied: BTreeMap<FileId, BTreeSet<Key>>,
    withheld: BTreeMap<Key, String>,
    deferred: BTreeMap<Key, String>,
}

/// Two distinct edits collide when their ranges overlap, or when both start at
/// one offset (two insertions there have no defined order).
fn collide(a: &Edit, b: &Edit) -> bool {
    a.loc.file == b.loc.file
        && (a.loc.span.start == b.loc.span.start
            || (a.loc.span.start < b.loc.span.end && b.loc.span.start < a.loc.span.end))
}

fn within(outer: &Loc, inner: &Loc) -> bool {
    outer.file == inner.file
        && outer.span.start <= inner.span.start
        && inner.span.end <= outer.span.end
}

/// Why `f`'s patch must not be applied because its literal also sets the
/// scopes of a workload that does not need the same edit.
fn shared_literal(out: &Outcome, f: &Finding, edits: &[Edit]) -> Option<String> {
    for w in &out.model.workloads {
        if w.address == f.workload.address {
            continue;
        }
        let Account::Attached { scopes, .. } = &w.account else {
            continue;
        };
        let Some(literal) = &scopes.defined else {
            continue;
        };
        for e in edits.iter().filter(|e| within(literal, &e.loc)) {
            let theirs: Vec<&Edit> = out
                .findings
                .iter()
                .filter(|g| g.workload.address == w.address)
                .filter_map(|g| g.fix.as_ref())
                .flat_map(|fix| fix.edits.iter())
                .collect();
            if theirs.contains(&e) {
                continue;
            }
            let source = match &scopes.via {
                Some(via) => format!(
                    "the scopes come from {via}, which also sets the scopes of `{}`",
                    w.address
                ),
                None => format!("the scopes list is shared with `{}`", w.address),
            };
            let need = if theirs.iter().any(|t| within(literal, &t.loc)) {
                "which needs a different change"
            } else {
                "which does not need this change"
            };
            return Some(format!(
                "{source}, {need}; change it by hand, or give the workloads separate scopes"
            ));
        }
    }
    None
}

fn select(out: &Outcome, refused: &BTreeMap<Key, String>) -> Selection {
    let mut sel = Selection::default();
    for f in &out.findings {
        let Some(fix) = f.fix.as_ref().filter(|x| !x.edits.is_empty()) else {
            continue;
        };
        let k = key(out, f);
        if sel.applied.values().any(|keys| keys.contains(&k)) {
            continue;
        }
        if let Some(reason) = refused.get(&k) {
            sel.withheld.insert(k, reason.clone());
            continue;
        }
        let mut edits = fix.edits.clone();
        edits.sort();
        edits.dedup();
        if edits
            .iter()
            .enumerate()
            .any(|(i, a)| edits.iter().skip(i + 1).any(|b| collide(a, b)))
        {
            sel.withheld
                .insert(k, "its edits overlap each other".to_string());
            continue;
        }
        if let Some(reason) = shared_literal(out, f, &edits) {
            sel.withheld.insert(k, reason);
            continue;
        }
        let clash = edits.iter().find_map(|e| {
            sel.by_file.get(&e.loc.file).and_then(|taken| {
                taken
                    .iter()
                    .find(|(t, _)| t != e && collide(t, e))
                    .map(|(_, owner)| owner.clone())
            })
        });
        if let Some(owner) = clash {
            sel.deferred
                .insert(k, format!("it overlaps the patch for {}", label(&owner)));
            continue;
        }
        for e in edits {
            sel.applied.entry(e.loc.file).or_default().insert(k.clone());
            let taken = sel.by_file.entry(e.loc.file).or_default();
            if !taken.iter().any(|(t, _)| *t == e) {
                taken.push((e, k.clone()));
            }
        }
    }
    sel
}

/// Plans the patches of `initial` (the outcome of `run(opts, kb)`).
pub fn plan(opts: &Options, kb: &Knowledge, initial: &Outcome) -> Plan {
    plan_over(opts, kb, initial, &Overlay::new())
}

/// Plans the patches of `initial`, the outcome of
/// `run_with_overlay(opts, kb, base)`: every round reads the files of `base`
/// from memory too (an editor's unsaved texts).
pub fn plan_over(opts: &Options, kb: &Knowledge, initial: &Outcome, base: &Overlay) -> Plan {
    let originals: BTreeMap<PathBuf, (String, String)> = initial
        .sources
        .iter()
        .map(|(_, f)| (f.path.clone(), (f.display.clone(), f.text.clone())))
        .collect();
    let mut overlay = base.clone();
    let mut refused: BTreeMap<Key, String> = BTreeMap::new();
    let mut fixes_of: BTreeMap<PathBuf, BTreeSet<Key>> = BTreeMap::new();
    let mut current: Option<Outcome> = None;
    let mut exhausted = true;
    for _ in 0..MAX_ROUNDS {
        let out = current.as_ref().unwrap_or(initial);
        let sel = select(out, &refused);
        if sel.by_file.is_empty() {
            exhausted = false;
            break;
        }
        let mut changed: Vec<(PathBuf, String, String, BTreeSet<Key>)> = Vec::new();
        for (file, edits) in &sel.by_file {
            let Some(src) = out.sources.get(*file) else {
                continue;
            };
            let keys = sel.applied.get(file).cloned().unwrap_or_default();
            let refs: Vec<&Edit> = edits.iter().map(|(e, _)| e).collect();
            match crate::fix::apply(&src.text, &refs) {
                Some(patched) if patched != src.text => {
                    overlay.insert(src.path.clone(), patched);
                    changed.push((
                        src.path.clone(),
                        src.display.clone(),
                        src.text.clone(),
                        keys,
                    ));
                }
                Some(_) => {}
                None => {
                    for k in keys {
                        refused.insert(k, "its edits fall outside the file".to_string());
                    }
                }
            }
        }
        if changed.is_empty() {
            exhausted = false;
            break;
        }
        let mut next = run_with_overlay(opts, kb, &overlay);
        let mut reverted = false;
        for (path, display, before, keys) in &changed {
            let broke = next
                .errors
                .iter()
                .find(|e| e.file == *display && !out.errors.iter().any(|o| o.file == *display));
            if let Some(err) = broke {
                let message = format!(
                    "the patched {display} would not parse ({}:{}: {}), so it is not written",
                    err.line, err.column, err.message
                );
                for k in keys {
                    refused.insert(k.clone(), message.clone());
                }
                if originals.get(path).is_some_and(|(_, o)| o == before) && !base.contains_key(path)
                {
                    overlay.remove(path);
                } else {
                    overlay.insert(path.clone(), before.clone());
                }
                reverted = true;
            } else {
                fixes_of
                    .entry(path.clone())
                    .or_default()
                    .extend(keys.iter().cloned());
            }
        }
        if reverted {
            next = run_with_overlay(opts, kb, &overlay);
        }
        current = Some(next);
    }

    let last = current.as_ref().unwrap_or(initial);
    let mut reasons = select(last, &refused);
    let mut withheld = Vec::new();
    let still_applicable: BTreeSet<Key> = reasons.applied.values().flatten().cloned().collect();
    for f in &last.findings {
        let k = key(last, f);
        let reason = match (reasons.withheld.remove(&k), reasons.deferred.remove(&k)) {
            (Some(r), _) | (None, Some(r)) => r,
            (None, None) if exhausted && still_applicable.contains(&k) => {
                format!("the patches did not settle after {MAX_ROUNDS} rounds")
            }
            _ => continue,
        };
        let diff = crate::render::pretty::fix_diff(&last.sources, f).unwrap_or_default();
        withheld.push(Withheld {
            rule: k.0,
            address: k.1,
            reason,
            diff,
        });
    }

    let remaining: BTreeSet<Key> = last.findings.iter().map(|f| key(last, f)).collect();
    let fixed = initial
        .findings
        .iter()
        .filter(|f| f.fix.is_some())
        .map(|f| key(initial, f))
        .filter(|k| !remaining.contains(k))
        .map(|k| label(&k))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let patches = overlay
        .into_iter()
        .filter_map(|(path, patched)| {
            let (display, original) = originals.get(&path)?.clone();
            (patched != original).then(|| FilePatch {
                display,
                fixes: fixes_of
                    .get(&path)
                    .map(|ks| ks.iter().map(label).collect())
                    .unwrap_or_default(),
                path,
                original,
                patched,
            })
        })
        .collect();
    Plan {
        patches,
        withheld,
        fixed,
    }
}

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
        file.write_all(contents)
            .map_err(|e| format!("cannot write: {e}"))?;
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

    fn edit(start: usize, end: usize, text: &str) -> Edit {
        Edit {
            loc: Loc::new(FileId(0), start..end),
            replacement: text.to_string(),
        }
    }

    #[test]
    fn edits_collide_when_they_overlap_or_insert_at_one_point() {
        assert!(collide(&edit(0, 5, "a"), &edit(4, 8, "b")));
        assert!(collide(&edit(3, 3, "a"), &edit(3, 3, "b")));
        assert!(collide(&edit(3, 3, "a"), &edit(3, 6, "b")));
        assert!(!collide(&edit(0, 3, "a"), &edit(3, 6, "b")));
        assert!(!collide(&edit(6, 6, "a"), &edit(3, 6, "b")));
        let mut other = edit(0, 5, "a");
        other.loc.file = FileId(1);
        assert!(!collide(&edit(0, 5, "a"), &other));
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
