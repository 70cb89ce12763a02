//! Runs a parsed script symbolically, in script order: tracks simple
//! assignments (`VAR=...`, `export`, `readonly`, `local`, `declare`, arrays),
//! expands words (`$VAR`, `${VAR}`, `${VAR:-default}`, quotes, word
//! splitting), unrolls `for` loops over literal lists, runs function bodies
//! where they are called, and records every command with its expanded words.
//!
//! Nothing is guessed: command substitutions, variables the script never sets
//! and anything this module does not model expand to [`Seg::Unknown`]. After
//! `if`/`case` branches or loop bodies, a variable that may hold different
//! values becomes unknown.
//!
//! This file walks the statements; the variables it tracks live in
//! [`super::state`] and word expansion in [`super::expand`].

use super::state::{Binding, Frame, Params, State, Value, is_name};
use super::word::{Seg, Symbol, Word};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use tree_sitter::Node;

/// How many times a `for` loop over a literal list is unrolled at most.
const MAX_ITERATIONS: usize = 256;
/// How deep statements, words and function calls may nest.
pub(super) const MAX_DEPTH: usize = 200;
const MAX_CALL_DEPTH: usize = 8;
/// How many statements one script may run in total (loops times functions).
const MAX_STEPS: usize = 20_000;

/// One command as run: its expanded words.
#[derive(Debug, Clone)]
pub struct Cmd {
    pub argv: Vec<Word>,
    /// The command node (script offsets).
    pub span: Range<usize>,
    /// The start of the command node: the same for every run of one command.
    pub node: usize,
}

/// What the script does, as far as it can be known.
#[derive(Debug, Default)]
pub struct Trace {
    pub cmds: Vec<Cmd>,
    /// Parts of the script that were not followed, with why.
    pub skipped: Vec<(Range<usize>, String)>,
}

/// Runs `root` (a parsed `program`) over `src`, with `env` set beforehand.
pub fn run(root: Node<'_>, src: &str, env: &[(String, Vec<Seg>)]) -> Trace {
    let mut it = Interp {
        src,
        state: State::default(),
        funcs: BTreeMap::new(),
        called: BTreeSet::new(),
        active: Vec::new(),
        trace: Trace::default(),
        depth: 0,
        calls: 0,
        steps: 0,
        generations: 0,
    };
    for (k, v) in env {
        it.state.globals.insert(
            k.clone(),
            Binding::Set(Value::Str {
                segs: v.clone(),
                def: None,
            }),
        );
    }
    it.stmt(root);
    // Functions never called (or only through something unknown) still say
    // what they would do: run each once with unknown arguments.
    let uncalled: Vec<(String, Node<'_>)> = it
        .funcs
        .iter()
        .filter(|(n, _)| !it.called.contains(*n))
        .map(|(n, b)| (n.clone(), *b))
        .collect();
    for (name, body) in uncalled {
        it.called.insert(name);
        it.call(body, Params::Unknown);
    }
    it.trace
}

pub(super) struct Interp<'s, 't> {
    pub(super) src: &'s str,
    pub(super) state: State,
    pub(super) funcs: BTreeMap<String, Node<'t>>,
    pub(super) called: BTreeSet<String>,
    /// Functions running now: a recursive call is not followed.
    pub(super) active: Vec<String>,
    pub(super) trace: Trace,
    pub(super) depth: usize,
    pub(super) calls: usize,
    pub(super) steps: usize,
    /// How many unknown values assignments have named so far (see [`Symbol`]).
    pub(super) generations: u32,
}

/// Pieces of a word being expanded, before word splitting.
#[derive(Debug, Clone)]
pub(super) enum Piece {
    Seg(Seg),
    /// A field boundary (from splitting or `"$@"`).
    Split,
    /// An unknown unquoted expansion: may be any number of words.
    Splat,
    /// A quoted part: the field exists even if empty.
    Quoted,
}

impl<'s, 't> Interp<'s, 't> {
    pub(super) fn text(&self, n: Node<'_>) -> &'s str {
        self.src.get(n.byte_range()).unwrap_or("")
    }

    pub(super) fn skip(&mut self, n: Node<'_>, why: &str) {
        self.trace.skipped.push((n.byte_range(), why.to_string()));
    }

    pub(super) fn named_children(n: Node<'t>) -> Vec<Node<'t>> {
        let mut c = n.walk();
        n.named_children(&mut c).collect()
    }

    pub(super) fn children(n: Node<'t>) -> Vec<Node<'t>> {
        let mut c = n.walk();
        n.children(&mut c).collect()
    }

    // ---- statements ----

    fn stmt(&mut self, n: Node<'t>) {
        if self.depth >= MAX_DEPTH || self.steps >= MAX_STEPS {
            if self.steps == MAX_STEPS {
                self.steps += 1;
                self.skip(n, "the script is too large or nests too deep to follow");
            }
            return;
        }
        self.depth += 1;
        self.steps += 1;
        self.stmt_inner(n);
        self.depth -= 1;
    }

    pub(super) fn stmts(&mut self, nodes: &[Node<'t>]) {
        for n in nodes {
            self.stmt(*n);
        }
    }

    fn stmt_inner(&mut self, n: Node<'t>) {
        match n.kind() {
            "comment" | "heredoc_body" | "heredoc_start" | "heredoc_end" => {}
            "ERROR" => self.skip(n, "the shell parser could not read this part"),
            "command" => self.command(n),
            "variable_assignment" => self.assign(n, false),
            "variable_assignments" => {
                for c in Self::named_children(n) {
                    self.assign(c, false);
                }
            }
            "declaration_command" => self.declaration(n),
            "unset_command" => {
                for c in Self::named_children(n) {
                    if c.kind() == "variable_name" {
                        let name = self.text(c).to_string();
                        self.state.set(&name, Binding::Unset);
                    }
                }
            }
            "function_definition" => {
                if let (Some(name), Some(body)) =
                    (n.child_by_field_name("name"), n.child_by_field_name("body"))
                {
                    let name = self.text(name).to_string();
                    self.funcs.insert(name, body);
                }
            }
            "subshell" => {
                let saved = self.state.clone();
                self.stmts(&Self::named_children(n));
                self.state = saved;
            }
            "redirected_statement" => {
                if let Some(body) = n.child_by_field_name("body") {
                    self.stmt(body);
                }
                // Commands of a heredoc redirect's pipeline (`cat <<EOF | sh`) and
                // command substitutions in redirect targets.
                for c in Self::named_children(n) {
                    if Some(c) == n.child_by_field_name("body") {
                        continue;
                    }
                    for cc in Self::named_children(c) {
                        if matches!(cc.kind(), "pipeline" | "command" | "list") {
                            self.stmt(cc);
                        }
                    }
                }
            }
            "if_statement" => self.if_statement(n),
            "case_statement" => self.case_statement(n),
            "for_statement" => self.for_statement(n),
            "while_statement" | "c_style_for_statement" => self.loop_once(n),
            "program" | "compound_statement" | "do_group" | "list" | "pipeline"
            | "negated_command" => self.stmts(&Self::named_children(n)),
            "test_command" => {
                // `[ ... ]`: only command substitutions in it run commands.
                let _ = self.expand_all(n);
            }
            _ => {
                // Other statements: follow what is inside, if it is statements.
                for c in Self::named_children(n) {
                    if is_statement(c.kind()) {
                        self.stmt(c);
                    }
                }
            }
        }
    }

    fn if_statement(&mut self, n: Node<'t>) {
        // The condition always runs; then one of the branches (or none).
        let mut branch: Vec<Node<'t>> = Vec::new();
        let mut branches: Vec<Vec<Node<'t>>> = Vec::new();
        let mut has_else = false;
        let mut in_body = false;
        for c in Self::children(n) {
            match c.kind() {
                "then" => in_body = true,
                "elif_clause" | "else_clause" => {
                    if in_body {
                        branches.push(std::mem::take(&mut branch));
                    }
                    in_body = false;
                    if c.kind() == "else_clause" {
                        has_else = true;
                        branches.push(Self::named_children(c));
                    } else {
                        // elif: its condition runs before its body
                        let mut cond = Vec::new();
                        let mut body = Vec::new();
                        let mut after_then = false;
                        for cc in Self::children(c) {
                            match cc.kind() {
                                "then" => after_then = true,
                                _ if !cc.is_named() => {}
                                _ if after_then => body.push(cc),
                                _ => cond.push(cc),
                            }
                        }
                        self.stmts(&cond);
                        branches.push(body);
                    }
                }
                "fi" => {}
                _ if !c.is_named() => {}
                _ if in_body => branch.push(c),
                _ => self.stmt(c),
            }
        }
        if in_body {
            branches.push(branch);
        }
        self.branches(branches, !has_else);
    }

    fn case_statement(&mut self, n: Node<'t>) {
        if let Some(v) = n.child_by_field_name("value") {
            let _ = self.expand(v, false);
        }
        let mut branches = Vec::new();
        for item in Self::named_children(n) {
            if item.kind() != "case_item" {
                continue;
            }
            let values: Vec<usize> = {
                let mut c = item.walk();
                item.children_by_field_name("value", &mut c)
                    .map(|v| v.id())
                    .collect()
            };
            let body: Vec<Node<'t>> = Self::named_children(item)
                .into_iter()
                .filter(|c| !values.contains(&c.id()))
                .collect();
            branches.push(body);
        }
        self.branches(branches, true);
    }

    /// Runs each branch from the current state and merges the results.
    fn branches(&mut self, branches: Vec<Vec<Node<'t>>>, may_skip: bool) {
        let before = self.state.clone();
        let mut after = Vec::new();
        for b in branches {
            self.state = before.clone();
            self.stmts(&b);
            after.push(std::mem::take(&mut self.state));
        }
        if may_skip || after.is_empty() {
            after.push(before);
        }
        self.state = State::merge(after);
    }

    fn for_statement(&mut self, n: Node<'t>) {
        let Some(var) = n.child_by_field_name("variable") else {
            return self.loop_once(n);
        };
        let var = self.text(var).to_string();
        let body = n.child_by_field_name("body");
        let values: Vec<Node<'t>> = {
            let mut c = n.walk();
            n.children_by_field_name("value", &mut c).collect()
        };
        let mut items: Option<Vec<Word>> = Some(Vec::new());
        if values.is_empty() {
            items = self.params_words();
        }
        for v in values {
            let words = self.expand(v, false);
            match items.as_mut() {
                Some(list) if words.iter().all(|w| !w.splat) => list.extend(words),
                _ => items = None,
            }
        }
        let Some(body) = body else { return };
        match items {
            Some(list) if list.len() <= MAX_ITERATIONS => {
                for w in list {
                    self.state.set(
                        &var,
                        Binding::Set(Value::Str {
                            segs: w.segs,
                            def: None,
                        }),
                    );
                    self.stmt(body);
                }
            }
            _ => {
                let before = self.state.clone();
                self.state.set(&var, Binding::Set(Value::unknown()));
                self.stmt(body);
                let after = std::mem::take(&mut self.state);
                self.state = State::merge(vec![before, after]);
                self.state.set(&var, Binding::Set(Value::unknown()));
            }
        }
    }

    /// A loop whose iterations are not known: its body runs once, and what it
    /// changes becomes unknown.
    fn loop_once(&mut self, n: Node<'t>) {
        let before = self.state.clone();
        self.stmts(&Self::named_children(n));
        let after = std::mem::take(&mut self.state);
        self.state = State::merge(vec![before, after]);
    }

    fn params_words(&self) -> Option<Vec<Word>> {
        match self.state.frames.last().map(|f| &f.params) {
            Some(Params::Known(ws)) => Some(ws.clone()),
            _ => None,
        }
    }

    fn call(&mut self, body: Node<'t>, params: Params) {
        if self.calls >= MAX_CALL_DEPTH {
            return;
        }
        self.calls += 1;
        self.state.frames.push(Frame {
            vars: BTreeMap::new(),
            params,
        });
        self.stmt(body);
        self.state.frames.pop();
        self.calls -= 1;
    }

    fn command(&mut self, n: Node<'t>) {
        let mut argv: Vec<Word> = Vec::new();
        let mut prefix: Vec<Node<'t>> = Vec::new();
        for c in Self::named_children(n) {
            match c.kind() {
                "variable_assignment" => prefix.push(c),
                "command_name" => {
                    for inner in Self::named_children(c) {
                        argv.extend(self.expand(inner, false));
                    }
                }
                "file_redirect" | "heredoc_redirect" | "herestring_redirect" => {
                    for cc in Self::named_children(c) {
                        if cc.kind() != "file_descriptor" {
                            let _ = self.expand_all(cc);
                        }
                    }
                }
                "comment" => {}
                _ => argv.extend(self.expand(c, false)),
            }
        }
        if argv.is_empty() {
            // Only assignments: they change the shell's own variables.
            for a in prefix {
                self.assign(a, false);
            }
            return;
        }
        let name = argv.first().and_then(Word::text).unwrap_or_default();
        self.builtin(&name, &argv);
        if let Some(body) = self.funcs.get(&name).copied()
            && !self.active.contains(&name)
        {
            self.called.insert(name.clone());
            self.active.push(name);
            let args = argv.iter().skip(1).cloned().collect::<Vec<_>>();
            let params = if args.iter().any(|w| w.splat) {
                Params::Unknown
            } else {
                Params::Known(args)
            };
            self.call(body, params);
            self.active.pop();
        }
        self.trace.cmds.push(Cmd {
            argv,
            span: n.byte_range(),
            node: n.start_byte(),
        });
    }

    /// Builtins that change variables.
    fn builtin(&mut self, name: &str, argv: &[Word]) {
        let names = |argv: &[Word]| -> Vec<String> {
            argv.iter()
                .skip(1)
                .filter_map(Word::text)
                .filter(|t| is_name(t))
                .collect()
        };
        match name {
            "read" | "mapfile" | "readarray" | "getopts" => {
                for v in names(argv) {
                    self.state.set(&v, Binding::Set(Value::unknown()));
                }
            }
            "printf" => {
                let texts: Vec<Option<String>> = argv.iter().map(Word::text).collect();
                if let Some(i) = texts.iter().position(|t| t.as_deref() == Some("-v"))
                    && let Some(Some(v)) = texts.get(i + 1)
                {
                    self.state.set(v, Binding::Set(Value::unknown()));
                }
            }
            "source" | "." | "eval" => self.state.opaque = true,
            "shift" => {
                if let Some(Frame {
                    params: Params::Known(ws),
                    ..
                }) = self.state.frames.last_mut()
                {
                    let k = argv
                        .get(1)
                        .and_then(Word::text)
                        .and_then(|t| t.parse::<usize>().ok())
                        .unwrap_or(1);
                    ws.drain(..k.min(ws.len()));
                }
            }
            _ => {}
        }
    }

    fn declaration(&mut self, n: Node<'t>) {
        let children = Self::children(n);
        let keyword = children.first().map(|c| c.kind()).unwrap_or("");
        let local =
            matches!(keyword, "local" | "declare" | "typeset") && !self.state.frames.is_empty();
        for c in children.iter().skip(1) {
            match c.kind() {
                "variable_assignment" => self.assign(*c, local),
                "variable_name" if local => {
                    let name = self.text(*c).to_string();
                    self.state.set_local(&name, Binding::Unset);
                }
                _ => {}
            }
        }
    }

    fn assign(&mut self, n: Node<'t>, local: bool) {
        let Some(name) = n.child_by_field_name("name") else {
            return;
        };
        let name = match name.kind() {
            "subscript" => {
                // ARR[i]=x: the array becomes unknown
                let base = name
                    .child_by_field_name("name")
                    .map_or("", |b| self.text(b))
                    .to_string();
                if let Some(v) = n.child_by_field_name("value") {
                    let _ = self.expand(v, true);
                }
                self.state.set(&base, Binding::Set(Value::unknown()));
                return;
            }
            _ => self.text(name).to_string(),
        };
        let append = Self::children(n).iter().any(|c| c.kind() == "+=");
        let value = match n.child_by_field_name("value") {
            None => Value::Str {
                segs: vec![Seg::lit("", None)],
                def: None,
            },
            Some(v) if v.kind() == "array" => {
                let mut items = Vec::new();
                for c in Self::named_children(v) {
                    if c.kind() == "comment" {
                        continue;
                    }
                    for w in self.expand(c, false) {
                        if w.splat {
                            items.push(vec![Seg::unknown()]);
                        } else {
                            items.push(w.segs);
                        }
                    }
                }
                let splat = items.iter().any(|i| i == &vec![Seg::unknown()]);
                if splat {
                    Value::unknown()
                } else {
                    Value::Array(items)
                }
            }
            Some(v) => {
                let words = self.expand(v, true);
                let segs: Vec<Seg> = words.into_iter().flat_map(|w| w.segs).collect();
                let raw = self.text(v);
                let literal = segs
                    .iter()
                    .all(|s| matches!(s, Seg::Lit { at: Some(_), .. }))
                    && matches!(v.kind(), "word" | "string" | "raw_string" | "number")
                    && !raw.contains(['$', '`', '\\']);
                Value::Str {
                    segs: self.named(&name, segs),
                    def: literal.then(|| v.byte_range()),
                }
            }
        };
        let value = if append {
            match (self.state.get(&name), value) {
                (Some(Binding::Set(Value::Str { segs: a, .. })), Value::Str { segs: b, .. }) => {
                    Value::Str {
                        segs: a.iter().cloned().chain(b).collect(),
                        def: None,
                    }
                }
                (Some(Binding::Set(Value::Array(a))), Value::Array(b)) => {
                    Value::Array(a.iter().cloned().chain(b).collect())
                }
                (Some(Binding::Unset), v) => v,
                (None, v) if !self.state.opaque => {
                    // appending to a variable from the environment
                    let _ = v;
                    Value::unknown()
                }
                _ => Value::unknown(),
            }
        } else {
            value
        };
        if local {
            self.state.set_local(&name, Binding::Set(value));
        } else {
            self.state.set(&name, Binding::Set(value));
        }
    }

    /// The value of `NAME=VALUE`: a value that is wholly one unknown part
    /// without a name (`SA=$(gcloud ...)`) is named after the variable, once
    /// per assignment, so later uses of `$NAME` are known to be one value.
    fn named(&mut self, name: &str, segs: Vec<Seg>) -> Vec<Seg> {
        match segs.as_slice() {
            [Seg::Unknown(None)] => {
                self.generations = self.generations.saturating_add(1);
                vec![Seg::Unknown(Some(Symbol {
                    text: format!("${name}").into(),
                    generation: self.generations,
                }))]
            }
            _ => segs,
        }
    }
}

fn is_statement(kind: &str) -> bool {
    matches!(
        kind,
        "command"
            | "list"
            | "pipeline"
            | "subshell"
            | "compound_statement"
            | "redirected_statement"
            | "if_statement"
            | "case_statement"
            | "for_statement"
            | "while_statement"
            | "c_style_for_statement"
            | "declaration_command"
            | "variable_assignment"
            | "variable_assignments"
            | "unset_command"
            | "function_definition"
            | "negated_command"
            | "do_group"
    )
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn trace(src: &str) -> Trace {
        let tree = super::super::syntax::parse(src).expect("parses");
        run(tree.root_node(), src, &[])
    }

    fn argv(src: &str) -> Vec<Vec<Option<String>>> {
        trace(src)
            .cmds
            .iter()
            .map(|c| c.argv.iter().map(Word::text).collect())
            .collect()
    }

    fn s(v: &[&str]) -> Vec<Option<String>> {
        v.iter().map(|x| Some(x.to_string())).collect()
    }

    #[test]
    fn assignments_defaults_and_quotes() {
        let got = argv(
            "P=${PROJECT:-notes-prod}\nexport Z=\"us-central1-a\"\nreadonly R='roles/x'\necho \"$P\" ${Z} $R \"a\\\"b\" foo\\ bar\n",
        );
        assert_eq!(
            got,
            vec![s(&[
                "echo",
                "notes-prod",
                "us-central1-a",
                "roles/x",
                "a\"b",
                "foo bar"
            ])]
        );
    }

    #[test]
    fn loops_arrays_and_splitting() {
        let got = argv(
            "ROLES=(roles/a \"roles/b\")\nfor r in \"${ROLES[@]}\" roles/c; do echo \"$r\"; done\nL=\"x y\"\nfor v in $L; do echo $v; done\n",
        );
        assert_eq!(
            got,
            vec![
                s(&["echo", "roles/a"]),
                s(&["echo", "roles/b"]),
                s(&["echo", "roles/c"]),
                s(&["echo", "x"]),
                s(&["echo", "y"]),
            ]
        );
    }

    #[test]
    fn unknowns_stay_unknown() {
        let t = trace("N=$(gcloud projects describe p)\necho \"$N-compute@x\" $HOME ${A:-d}\n");
        let last = t.cmds.last().expect("a command");
        assert_eq!(last.argv[1].text(), None);
        assert_eq!(last.argv[1].known_suffix(), "-compute@x");
        assert_eq!(last.argv[2].text(), None);
        assert!(last.argv[2].splat);
        assert_eq!(last.argv[3].text().as_deref(), Some("d"));
        // the command inside the substitution is recorded too
        assert_eq!(t.cmds[0].argv[0].text().as_deref(), Some("gcloud"));
    }

    #[test]
    fn branches_merge_and_functions_run() {
        let got = argv(
            "if [ -n \"$X\" ]; then S=a; else S=b; fi\necho $S\nT=1\nif true; then T=1; fi\necho $T\nf() { local n=$1; echo \"$n\" \"$2\"; }\nf vm1 z\n",
        );
        let got: Vec<_> = got
            .into_iter()
            .filter(|c| c.first() == Some(&Some("echo".into())))
            .collect();
        assert_eq!(got[0], vec![Some("echo".into()), None]);
        assert_eq!(got[1], s(&["echo", "1"]));
        assert!(got.contains(&s(&["echo", "vm1", "z"])));
    }

    #[test]
    fn exact_offsets_for_literal_words() {
        let src = "gcloud x --scopes=storage-ro,'cloud-platform'\n";
        let t = trace(src);
        let w = &t.cmds[0].argv[2];
        assert_eq!(
            w.text().as_deref(),
            Some("--scopes=storage-ro,cloud-platform")
        );
        let items = w.tail(9).split(',');
        assert_eq!(&src[items[1].span.clone()], "cloud-platform");
        assert_eq!(&src[items[0].span.clone()], "storage-ro");
    }
}
