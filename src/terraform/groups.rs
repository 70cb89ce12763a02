//! Which module directories are evaluated together, decided before any of
//! them is parsed, so that only one group's syntax trees need to be in memory
//! at a time: a directory, the directories it calls and those calling it,
//! transitively, form one group.
//!
//! The calls are read from the files' text: Terraform requires a module's
//! `source` to be a literal string, and a local one to start with `./` or
//! `../`, so every string literal that starts that way is taken as a possible
//! call. That over-approximates (a `file("../x.sh")` argument merely joins two
//! groups) and never misses a call written in the usual syntax; the analysis
//! still checks that no group called a directory outside itself.

use super::eval::normalize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Directories evaluated together, in sorted order.
#[derive(Debug, PartialEq, Eq)]
pub struct Group {
    pub dirs: Vec<PathBuf>,
    /// Whether a directory calls one that was not scanned, or has modules
    /// installed by `terraform init`: such a group reads more module
    /// directories while it is evaluated.
    pub reaches_outside: bool,
}

/// Groups the scanned module directories, given each directory's
/// configuration texts; groups come in the order of their first directory.
pub fn groups(dirs: &[(PathBuf, Vec<&str>)]) -> Vec<Group> {
    let position: HashMap<&Path, usize> = dirs
        .iter()
        .enumerate()
        .map(|(i, (d, _))| (d.as_path(), i))
        .collect();
    let mut parent: Vec<usize> = (0..dirs.len()).collect();
    let mut outside = vec![false; dirs.len()];
    for (i, (dir, texts)) in dirs.iter().enumerate() {
        if dir.join(".terraform/modules/modules.json").is_file() {
            outside[i] = true;
        }
        for target in texts.iter().flat_map(|t| local_paths(t)) {
            let target = normalize(&dir.join(target));
            match position.get(target.as_path()) {
                Some(&j) => union(&mut parent, i, j),
                None if target.is_dir() => outside[i] = true,
                None => {}
            }
        }
    }
    let mut by_root: Vec<(usize, Group)> = Vec::new();
    let mut slot: HashMap<usize, usize> = HashMap::new();
    for (i, (dir, _)) in dirs.iter().enumerate() {
        let root = find(&mut parent, i);
        let k = *slot.entry(root).or_insert_with(|| {
            by_root.push((
                root,
                Group {
                    dirs: Vec::new(),
                    reaches_outside: false,
                },
            ));
            by_root.len() - 1
        });
        if let Some((_, g)) = by_root.get_mut(k) {
            g.dirs.push(dir.clone());
            g.reaches_outside |= outside[i];
        }
    }
    let mut out: Vec<Group> = by_root.into_iter().map(|(_, g)| g).collect();
    for g in &mut out {
        g.dirs.sort();
    }
    out.sort_by(|a, b| a.dirs.first().cmp(&b.dirs.first()));
    out
}

/// The text after every double quote, up to the next one, that starts with
/// `./` or `../`: every such string literal, whatever quotes in comments or
/// escapes do to the pairing of the others.
fn local_paths(text: &str) -> impl Iterator<Item = &str> {
    text.split('"')
        .skip(1)
        .filter(|s| s.starts_with("./") || s.starts_with("../"))
}

fn find(parent: &mut [usize], i: usize) -> usize {
    let mut r = i;
    while let Some(&p) = parent.get(r) {
        if p == r {
            break;
        }
        r = p;
    }
    // path compression
    let mut j = i;
    while let Some(&p) = parent.get(j) {
        if p == r {
            break;
        }
        if let Some(slot) = parent.get_mut(j) {
            *slot = r;
        }
        j = p;
    }
    r
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb
        && let Some(slot) = parent.get_mut(ra.max(rb))
    {
        *slot = ra.min(rb);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_and_callees_are_one_group() {
        let dirs = vec![
            (
                PathBuf::from("app"),
                vec!["module \"vm\" {\n  source = \"../modules/vm\"\n}\n"],
            ),
            (PathBuf::from("lone"), vec!["resource \"x\" \"y\" {}\n"]),
            (
                PathBuf::from("modules/vm"),
                vec!["variable \"scopes\" {}\n"],
            ),
            (
                PathBuf::from("other"),
                vec!["# say \"hi\"\nmodule \"vm\" { source = \"../modules/vm\" }\n"],
            ),
        ];
        let got = groups(&dirs);
        assert_eq!(
            got,
            vec![
                Group {
                    dirs: vec!["app".into(), "modules/vm".into(), "other".into()],
                    reaches_outside: false
                },
                Group {
                    dirs: vec!["lone".into()],
                    reaches_outside: false
                },
            ]
        );
    }
}
