//! A patch is offered only if the file it edits still parses once it is
//! applied. The patches of a Terraform, JSON or YAML file are checked
//! together: the file is applied with all of them that do not touch each
//! other and parsed once; only when that parse fails are they checked in
//! halves. A file with thousands of patches costs a few parses, not one per
//! patch. (Two patches that each break the file but mend each other would
//! pass together; the patchers insert only balanced text, whole quoted items
//! or a whole attribute, which does not.)
//! A script is checked patch by patch where the patch is (the statements it
//! touches), so that an error elsewhere cannot hide a new one.

use crate::edit::apply;
use crate::finding::Edit;
use crate::kept::Kept;
use crate::source::{FileId, SourceFile, Sources};
use std::collections::{BTreeMap, HashMap};

/// One file's distinct edit sets, each with the patches (indexes) it belongs to.
type EditSets<'e> = Vec<(Vec<&'e Edit>, Vec<usize>)>;

/// Which of `patches` (each a set of edits, possibly in several files) leave
/// every file they edit parsing as well as before.
pub fn verify(patches: &[&[Edit]], sources: &Sources, kept: Option<&Verdicts>) -> Vec<bool> {
    // The distinct edit sets of each file, with the patches they belong to.
    let mut by_file: BTreeMap<FileId, EditSets> = BTreeMap::new();
    let mut seen: HashMap<(FileId, Vec<&Edit>), usize> = HashMap::new();
    for (i, edits) in patches.iter().enumerate() {
        let mut per_file: BTreeMap<FileId, Vec<&Edit>> = BTreeMap::new();
        for e in edits.iter() {
            per_file.entry(e.loc.file).or_default().push(e);
        }
        for (file, set) in per_file {
            let sets = by_file.entry(file).or_default();
            match seen.get(&(file, set.clone())) {
                Some(&at) => {
                    if let Some((_, owners)) = sets.get_mut(at) {
                        owners.push(i);
                    }
                }
                None => {
                    seen.insert((file, set.clone()), sets.len());
                    sets.push((set, vec![i]));
                }
            }
        }
    }
    let mut ok = vec![true; patches.len()];
    for (file, sets) in by_file {
        let Some(source) = sources.get(file) else {
            for (_, owners) in &sets {
                owners.iter().for_each(|&i| ok[i] = false);
            }
            continue;
        };
        let check = Check::new(source, kept);
        if let Some(tree) = &check.script {
            // Scripts are checked patch by patch, where each patch is: an
            // error elsewhere in the file must not hide a new one.
            for (edits, owners) in &sets {
                if !script_parses_with(source, tree, edits) {
                    owners.iter().for_each(|&i| ok[i] = false);
                }
            }
            continue;
        }
        for layer in layers(&sets) {
            for at in check.failing(&layer, &sets) {
                sets[at].1.iter().for_each(|&i| ok[i] = false);
            }
        }
    }
    ok
}

/// Groups edit sets into layers whose edits do not touch each other (sets
/// patching one list twice, or an insertion at the same place, go to
/// different layers), so each layer can be applied at once.
fn layers(sets: &EditSets) -> Vec<Vec<usize>> {
    // Each layer: its sets, and the spans taken, by start.
    let mut layers: Vec<(Vec<usize>, BTreeMap<usize, usize>)> = Vec::new();
    for (at, (edits, _)) in sets.iter().enumerate() {
        let free = |taken: &BTreeMap<usize, usize>| {
            edits.iter().all(|e| {
                let (start, end) = (e.loc.span.start, e.loc.span.end);
                // Taken spans are apart, so the one that starts last at or
                // before `end` ends last: it must end before `start`.
                taken
                    .range(..=end)
                    .next_back()
                    .is_none_or(|(_, &taken_end)| taken_end < start)
            })
        };
        let slot = layers.iter().position(|(_, taken)| free(taken));
        let layer = match slot {
            Some(i) => &mut layers[i],
            None => {
                layers.push((Vec::new(), BTreeMap::new()));
                let last = layers.len() - 1;
                &mut layers[last]
            }
        };
        layer.0.push(at);
        for e in edits {
            let end = layer.1.entry(e.loc.span.start).or_insert(e.loc.span.end);
            *end = (*end).max(e.loc.span.end);
        }
    }
    layers.into_iter().map(|(sets, _)| sets).collect()
}

/// Whether patched texts parse, kept between analyses of the same tree (the
/// language server's): every analysis checks the patches of every file with
/// findings, and most of those files did not change since the last one.
#[derive(Default)]
pub struct Verdicts {
    parses: Kept<(Syntax, String), bool>,
}

impl Verdicts {
    fn get_or(&self, syntax: Syntax, patched: &str, parse: impl FnOnce() -> bool) -> bool {
        let key = (syntax, patched.to_string());
        if let Some(ok) = self.parses.get_with(&key, |ok| Some(*ok)) {
            return ok;
        }
        let ok = parse();
        self.parses.put(key, ok);
        ok
    }

    /// Forgets the verdicts no analysis asked for since the last sweep.
    pub fn sweep(&self) {
        self.parses.sweep();
    }

    pub fn len(&self) -> usize {
        self.parses.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parses.is_empty()
    }
}

/// How one file is checked: which syntax, and how many errors it had before.
struct Check<'s> {
    source: &'s SourceFile,
    kept: Option<&'s Verdicts>,
    syntax: Syntax,
    /// The parse of an unpatched script.
    script: Option<tree_sitter::Tree>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Syntax {
    TerraformNative,
    Json,
    Yaml,
    Shell,
}

impl<'s> Check<'s> {
    fn new(source: &'s SourceFile, kept: Option<&'s Verdicts>) -> Check<'s> {
        let name = source.path.to_string_lossy().to_ascii_lowercase();
        let syntax = if name.ends_with(".json") {
            Syntax::Json
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            Syntax::Yaml
        } else if [".tf", ".tofu", ".tfvars"]
            .iter()
            .any(|x| name.ends_with(x))
        {
            Syntax::TerraformNative
        } else {
            Syntax::Shell
        };
        let script = match syntax {
            Syntax::Shell => crate::shell::syntax::parse(source.body()),
            _ => None,
        };
        Check {
            source,
            kept,
            syntax,
            script,
        }
    }

    /// Whether the file parses with `edits` applied.
    fn parses_with(&self, edits: &[&Edit]) -> bool {
        let Some(patched) = apply(&self.source.text, edits) else {
            return false;
        };
        let Some(body) = patched.get(self.source.bom..) else {
            return false;
        };
        let parse = || match self.syntax {
            Syntax::TerraformNative => crate::terraform::native::parse_body(body).is_ok(),
            Syntax::Json => crate::terraform::json::is_valid(body),
            Syntax::Yaml => crate::yaml::parse_all(body).is_ok(),
            // Checked patch by patch (`script_parses_with`); a script that
            // cannot be parsed at all takes no patch.
            Syntax::Shell => false,
        };
        match self.kept {
            Some(kept) => kept.get_or(self.syntax, body, parse),
            None => parse(),
        }
    }

    /// The sets of `layer` (indexes into `sets`) that break the file: none
    /// when the whole layer parses, else found by halving it.
    fn failing(&self, layer: &[usize], sets: &EditSets) -> Vec<usize> {
        let edits: Vec<&Edit> = layer
            .iter()
            .filter_map(|&at| sets.get(at))
            .flat_map(|(e, _)| e.iter().copied())
            .collect();
        if self.parses_with(&edits) {
            return Vec::new();
        }
        if layer.len() <= 1 {
            return layer.to_vec();
        }
        let (a, b) = layer.split_at(layer.len() / 2);
        let mut out = self.failing(a, sets);
        out.extend(self.failing(b, sets));
        out
    }
}

/// Whether a script parses as well with `edits` as before, where they are:
/// the top-level statements the edits touch are parsed again, before and
/// after, and must not have more errors.
fn script_parses_with(file: &SourceFile, tree: &tree_sitter::Tree, edits: &[&Edit]) -> bool {
    let local = || -> Option<bool> {
        let patched = apply(&file.text, edits)?;
        let lo = edits
            .iter()
            .map(|e| e.loc.span.start)
            .min()?
            .checked_sub(file.bom)?;
        let hi = edits
            .iter()
            .map(|e| e.loc.span.end)
            .max()?
            .checked_sub(file.bom)?;
        let (mut start, mut end) = (lo, hi);
        let root = tree.root_node();
        let mut cursor = root.walk();
        for child in root.children(&mut cursor) {
            if child.start_byte() <= hi && child.end_byte() >= lo {
                start = start.min(child.start_byte());
                end = end.max(child.end_byte());
            }
        }
        let grown: usize = edits.iter().map(|e| e.replacement.len()).sum();
        let shrunk: usize = edits.iter().map(|e| e.loc.span.len()).sum();
        let before = file.body().get(start..end)?;
        let after = patched
            .get(file.bom..)?
            .get(start..(end + grown).checked_sub(shrunk)?)?;
        let errors =
            |t: &str| crate::shell::syntax::parse(t).map(|t| crate::shell::syntax::error_count(&t));
        Some(errors(after)? <= errors(before)?)
    };
    local().unwrap_or(false)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::source::Loc;

    fn sources(name: &str, text: &str) -> Sources {
        let mut s = Sources::default();
        s.push(SourceFile::new(name.into(), name.into(), text.into()));
        s
    }

    fn edit(at: std::ops::Range<usize>, text: &str) -> Edit {
        Edit {
            loc: Loc::new(FileId(0), at),
            replacement: text.into(),
        }
    }

    /// Good patches beside a bad one in the same file are kept; the bad one is found.
    #[test]
    fn a_bad_patch_among_good_ones_is_refused_alone() {
        let text = "a = [\"x\"]\nb = [\"x\"]\nc = [\"x\"]\nd = [\"x\"]\n";
        let s = sources("main.tf", text);
        let good1 = [edit(8..8, ", \"y\"")];
        let good2 = [edit(18..18, ", \"y\"")];
        let bad = [edit(28..28, ", \"unterminated")];
        let good3 = [edit(38..38, ", \"y\"")];
        let patches: Vec<&[Edit]> = vec![&good1, &good2, &bad, &good3];
        assert_eq!(verify(&patches, &s, None), [true, true, false, true]);
        // Kept verdicts give the same answer, the second time without parsing.
        let kept = Verdicts::default();
        assert_eq!(verify(&patches, &s, Some(&kept)), [true, true, false, true]);
        let parsed = kept.len();
        assert!(parsed >= 2, "{parsed}");
        assert_eq!(verify(&patches, &s, Some(&kept)), [true, true, false, true]);
        assert_eq!(kept.len(), parsed);
    }

    /// Two patches of one list cannot be applied together; each is checked on its own.
    #[test]
    fn overlapping_patches_are_checked_separately() {
        let s = sources("main.tf", "a = [\"x\"]\n");
        let one = [edit(8..8, ", \"y\"")];
        let other = [edit(5..8, "\"z\"")];
        let broken = [edit(8..8, ", ,")];
        let patches: Vec<&[Edit]> = vec![&one, &other, &broken];
        assert_eq!(verify(&patches, &s, None), [true, true, false]);
    }

    #[test]
    fn each_syntax_is_checked_as_itself() {
        let json = sources("main.tf.json", "{\"a\": [\"x\"]}");
        let ok = [edit(10..10, ", \"y\"")];
        let hcl_only = [edit(10..10, ", y")];
        assert_eq!(verify(&[&ok, &hcl_only], &json, None), [true, false]);

        let yaml = sources("w.yml", "a: [x]\n");
        assert_eq!(
            verify(&[&[edit(5..5, ", y")], &[edit(5..5, "]]")]], &yaml, None),
            [true, false]
        );

        let script = sources("run.sh", "gcloud x --a\necho done\n");
        assert_eq!(
            verify(
                &[&[edit(12..12, " --b")], &[edit(12..12, " $(")]],
                &script,
                None
            ),
            [true, false]
        );
        // A script that had an error may keep it, but it does not hide a new one.
        let broken = sources("run.sh", "gcloud x --a\nif then\n");
        assert_eq!(verify(&[&[edit(12..12, " --b")]], &broken, None), [true]);
        let unterminated = sources("run.sh", "gcloud a --x\necho \"unterminated\n");
        assert_eq!(
            verify(&[&[edit(12..12, " \"")]], &unterminated, None),
            [false]
        );
    }
}
