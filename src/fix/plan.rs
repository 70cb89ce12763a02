//! `--diff` and `--fix`: which suggested patches to apply.
//!
//! Planning works on the parsed sources, in memory, in rounds: each round
//! takes the findings of the current (patched) state, applies every patch
//! that may be applied and does not collide with another, and analyses the
//! patched files again. A patched file that no longer parses is reverted and
//! its patches are refused. Rounds stop when no applicable patch is left, so
//! two findings on one scopes list (say SL001 and SL002) both end up fixed,
//! and running `--fix` again changes nothing.
//!
//! Only safe patches are applied, and unsafe ones with `--unsafe-fixes`; a
//! display-only patch (one whose literal other workloads read, see
//! [`super::shared`]) is shown, with the reason, and not applied.

use crate::boundary::Boundary;
use crate::finding::{Applicability, Edit, Finding, Fix};
use crate::fix::unified_diff;
use crate::knowledge::Knowledge;
use crate::options::{Options, Overlay};
use crate::outcome::Outcome;
use crate::render::RepoPaths;
use crate::render::visible::visible;
use crate::run_with_overlay;
use crate::source::FileId;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

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

fn select(out: &Outcome, refused: &BTreeMap<Key, String>, unsafe_fixes: bool) -> Selection {
    let mut sel = Selection::default();
    for f in &out.findings {
        let Some(fix) = f.fix_to_apply(unsafe_fixes).filter(|x| !x.edits.is_empty()) else {
            if let Some(reason) = f.fix.as_ref().and_then(not_applied) {
                sel.withheld.insert(key(out, f), reason);
            }
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

/// Why a patch that is not applied is not, in words for the user.
fn not_applied(fix: &Fix) -> Option<String> {
    let caveat = fix.caveat.as_deref().unwrap_or("it is not safe");
    match fix.applicability {
        Applicability::Safe => None,
        Applicability::DisplayOnly => Some(caveat.to_string()),
        Applicability::Unsafe => Some(format!(
            "the patch is unsafe ({caveat}); --unsafe-fixes applies it"
        )),
    }
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
        let sel = select(out, &refused, opts.unsafe_fixes);
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
    let mut reasons = select(last, &refused, opts.unsafe_fixes);
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
        .filter(|f| f.fix_to_apply(opts.unsafe_fixes).is_some())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Loc;

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
}
