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

use super::word::{Origin, Seg, Symbol, Word};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use tree_sitter::Node;

/// How many times a `for` loop over a literal list is unrolled at most.
const MAX_ITERATIONS: usize = 256;
/// How deep statements, words and function calls may nest.
const MAX_DEPTH: usize = 200;
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

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Str {
        segs: Vec<Seg>,
        /// The assignment's value node, when it is a literal (a patch target).
        def: Option<Range<usize>>,
    },
    Array(Vec<Vec<Seg>>),
}

impl Value {
    fn unknown() -> Value {
        Value::Str {
            segs: vec![Seg::unknown()],
            def: None,
        }
    }

    fn text(&self) -> Option<String> {
        match self {
            Value::Str { segs, .. } => seg_text(segs),
            Value::Array(items) => items.first().and_then(|s| seg_text(s)),
        }
    }
}

fn seg_text(segs: &[Seg]) -> Option<String> {
    let mut out = String::new();
    for s in segs {
        match s {
            Seg::Lit { text, .. } => out.push_str(text),
            Seg::Unknown(_) => return None,
        }
    }
    Some(out)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Binding {
    Set(Value),
    Unset,
}

/// The positional parameters of a function run.
#[derive(Debug, Clone)]
enum Params {
    Known(Vec<Word>),
    Unknown,
}

#[derive(Debug, Clone)]
struct Frame {
    vars: BTreeMap<String, Binding>,
    params: Params,
}

/// The variables in force: globals and the frames of running functions.
#[derive(Debug, Clone, Default)]
struct State {
    globals: BTreeMap<String, Binding>,
    frames: Vec<Frame>,
    /// Set after `source`/`eval` of something unknown: a variable the script
    /// never set may then have any value, even where it has a `:-` default.
    opaque: bool,
}

impl State {
    fn get(&self, name: &str) -> Option<&Binding> {
        for f in self.frames.iter().rev() {
            if let Some(b) = f.vars.get(name) {
                return Some(b);
            }
        }
        self.globals.get(name)
    }

    fn set(&mut self, name: &str, b: Binding) {
        for f in self.frames.iter_mut().rev() {
            if let Some(slot) = f.vars.get_mut(name) {
                *slot = b;
                return;
            }
        }
        self.globals.insert(name.to_string(), b);
    }

    fn set_local(&mut self, name: &str, b: Binding) {
        match self.frames.last_mut() {
            Some(f) => {
                f.vars.insert(name.to_string(), b);
            }
            None => {
                self.globals.insert(name.to_string(), b);
            }
        }
    }

    /// The state after one of several paths ran: what differs becomes unknown.
    fn merge(paths: Vec<State>) -> State {
        let mut it = paths.into_iter();
        let Some(mut out) = it.next() else {
            return State::default();
        };
        for other in it {
            out.opaque |= other.opaque;
            merge_vars(&mut out.globals, &other.globals);
            for (a, b) in out.frames.iter_mut().zip(&other.frames) {
                merge_vars(&mut a.vars, &b.vars);
            }
        }
        out
    }
}

fn merge_vars(a: &mut BTreeMap<String, Binding>, b: &BTreeMap<String, Binding>) {
    let names: BTreeSet<String> = a.keys().chain(b.keys()).cloned().collect();
    for n in names {
        let (x, y) = (a.get(&n), b.get(&n));
        if x == y {
            continue;
        }
        let merged = match (x, y) {
            // the same text written in two places: keep the text, not the places
            (Some(Binding::Set(p)), Some(Binding::Set(q))) if unplaced(p) == unplaced(q) => {
                Binding::Set(unplaced(p))
            }
            _ => Binding::Set(Value::unknown()),
        };
        a.insert(n, merged);
    }
}

/// A value without the places its text was written.
fn unplaced(v: &Value) -> Value {
    let strip = |segs: &[Seg]| -> Vec<Seg> {
        segs.iter()
            .map(|s| match s {
                Seg::Lit { text, .. } => Seg::lit(text.clone(), None),
                Seg::Unknown(sym) => Seg::Unknown(sym.clone()),
            })
            .collect()
    };
    match v {
        Value::Str { segs, .. } => Value::Str {
            segs: strip(segs),
            def: None,
        },
        Value::Array(items) => Value::Array(items.iter().map(|i| strip(i)).collect()),
    }
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

struct Interp<'s, 't> {
    src: &'s str,
    state: State,
    funcs: BTreeMap<String, Node<'t>>,
    called: BTreeSet<String>,
    /// Functions running now: a recursive call is not followed.
    active: Vec<String>,
    trace: Trace,
    depth: usize,
    calls: usize,
    steps: usize,
    /// How many unknown values assignments have named so far (see [`Symbol`]).
    generations: u32,
}

/// Pieces of a word being expanded, before word splitting.
#[derive(Debug, Clone)]
enum Piece {
    Seg(Seg),
    /// A field boundary (from splitting or `"$@"`).
    Split,
    /// An unknown unquoted expansion: may be any number of words.
    Splat,
    /// A quoted part: the field exists even if empty.
    Quoted,
}

impl<'s, 't> Interp<'s, 't> {
    fn text(&self, n: Node<'_>) -> &'s str {
        self.src.get(n.byte_range()).unwrap_or("")
    }

    fn skip(&mut self, n: Node<'_>, why: &str) {
        self.trace.skipped.push((n.byte_range(), why.to_string()));
    }

    fn named_children(n: Node<'t>) -> Vec<Node<'t>> {
        let mut c = n.walk();
        n.named_children(&mut c).collect()
    }

    fn children(n: Node<'t>) -> Vec<Node<'t>> {
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

    fn stmts(&mut self, nodes: &[Node<'t>]) {
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

    // ---- words ----

    /// Expands every word inside `n` for the commands they run; the values are discarded.
    fn expand_all(&mut self, n: Node<'t>) -> Vec<Word> {
        match n.kind() {
            "word"
            | "string"
            | "raw_string"
            | "concatenation"
            | "simple_expansion"
            | "expansion"
            | "command_substitution"
            | "number"
            | "ansi_c_string" => self.expand(n, false),
            _ => {
                let mut out = Vec::new();
                for c in Self::named_children(n) {
                    out.extend(self.expand_all(c));
                }
                out
            }
        }
    }

    /// Expands one argument node into the words it stands for. `assign` is the
    /// right-hand side of an assignment: no word splitting.
    fn expand(&mut self, n: Node<'t>, assign: bool) -> Vec<Word> {
        if self.depth >= MAX_DEPTH {
            return vec![Word {
                segs: vec![Seg::unknown()],
                span: n.byte_range(),
                splat: false,
                may_split: false,
                origin: None,
            }];
        }
        self.depth += 1;
        let mut pieces = Vec::new();
        let origin = self.origin_of(n);
        self.pieces(n, false, assign, &mut pieces);
        self.depth -= 1;
        let mut words = fields(pieces, n.byte_range());
        if words.len() == 1
            && let Some(w) = words.first_mut()
        {
            w.origin = origin;
        }
        words
    }

    /// When `n` is exactly `$VAR`, `${VAR}` or `"$VAR"` and VAR holds a literal: where it was assigned.
    fn origin_of(&self, n: Node<'_>) -> Option<Origin> {
        if n.kind() == "concatenation" {
            // `--flag="$VAR"`: the origin of the value part
            let kids: Vec<Node<'_>> = {
                let mut c = n.walk();
                n.named_children(&mut c).collect()
            };
            return match kids.as_slice() {
                [flag, value] if flag.kind() == "word" && self.text(*flag).ends_with('=') => {
                    self.origin_of(*value)
                }
                _ => None,
            };
        }
        let inner = match n.kind() {
            "string" => {
                let kids: Vec<Node<'_>> = {
                    let mut c = n.walk();
                    n.named_children(&mut c).collect()
                };
                match kids.as_slice() {
                    [one] => *one,
                    _ => return None,
                }
            }
            _ => n,
        };
        let name = match inner.kind() {
            "simple_expansion" | "expansion" => {
                let kids: Vec<Node<'_>> = {
                    let mut c = inner.walk();
                    inner.named_children(&mut c).collect()
                };
                match kids.as_slice() {
                    [v] if v.kind() == "variable_name" => self.text(*v),
                    _ => return None,
                }
            }
            _ => return None,
        };
        match self.state.get(name) {
            Some(Binding::Set(Value::Str { def: Some(d), .. })) => Some(Origin {
                var: format!("${name}"),
                span: d.clone(),
            }),
            _ => None,
        }
    }

    fn lit(&self, n: Node<'_>, out: &mut Vec<Piece>) {
        out.push(Piece::Seg(Seg::lit(self.text(n), Some(n.start_byte()))));
    }

    /// Unquoted literal text: backslashes escape the next character.
    fn unquoted(&self, n: Node<'_>, out: &mut Vec<Piece>) {
        let text = self.text(n);
        let base = n.start_byte();
        if text.starts_with('~') {
            // ~ and ~user: the home directory, not known here
            let end = text.find('/').unwrap_or(text.len());
            out.push(Piece::Seg(Seg::unknown()));
            push_unescaped(&text[end..], base + end, out);
            return;
        }
        push_unescaped(text, base, out);
    }

    /// The pieces of one word part. Parts nest (`${a:-${b:-...}}`, quotes in
    /// substitutions) as deep as the input likes: past [`MAX_DEPTH`] the part
    /// is unknown rather than followed, so the stack stays bounded.
    fn pieces(&mut self, n: Node<'t>, quoted: bool, assign: bool, out: &mut Vec<Piece>) {
        if self.depth >= MAX_DEPTH {
            self.skip(n, "expansions nest too deep to follow");
            out.push(Piece::Seg(Seg::unknown()));
            if !quoted && !assign {
                out.push(Piece::Splat);
            }
            return;
        }
        self.depth += 1;
        self.part(n, quoted, assign, out);
        self.depth -= 1;
    }

    fn part(&mut self, n: Node<'t>, quoted: bool, assign: bool, out: &mut Vec<Piece>) {
        match n.kind() {
            "word" | "number" | "variable_name" | "special_variable_name" => {
                if quoted {
                    self.lit(n, out)
                } else {
                    self.unquoted(n, out)
                }
            }
            "raw_string" => {
                let t = self.text(n);
                let inner = t
                    .strip_prefix('\'')
                    .and_then(|t| t.strip_suffix('\''))
                    .unwrap_or("");
                out.push(Piece::Quoted);
                out.push(Piece::Seg(Seg::lit(inner, Some(n.start_byte() + 1))));
            }
            "ansi_c_string" => {
                let t = self.text(n);
                let inner = t
                    .strip_prefix("$'")
                    .and_then(|t| t.strip_suffix('\''))
                    .unwrap_or("");
                out.push(Piece::Quoted);
                if inner.contains('\\') {
                    out.push(Piece::Seg(Seg::lit(ansi_c(inner), None)));
                } else {
                    out.push(Piece::Seg(Seg::lit(inner, Some(n.start_byte() + 2))));
                }
            }
            "string" | "translated_string" => {
                out.push(Piece::Quoted);
                let start = n.start_byte();
                let end = n.end_byte();
                let open = self.text(n).find('"').map_or(start, |i| start + i + 1);
                let close = if end > open { end - 1 } else { end };
                let mut pos = open;
                for c in Self::named_children(n) {
                    if c.start_byte() > pos {
                        self.string_text(pos, c.start_byte(), out);
                    }
                    match c.kind() {
                        "string_content" => self.string_text(c.start_byte(), c.end_byte(), out),
                        "string" => self.pieces(c, true, assign, out),
                        _ => self.pieces(c, true, assign, out),
                    }
                    pos = c.end_byte();
                }
                if close > pos {
                    self.string_text(pos, close, out);
                }
            }
            "concatenation" => {
                for c in Self::named_children(n) {
                    self.pieces(c, quoted, assign, out);
                }
            }
            "simple_expansion" => {
                let name = Self::named_children(n)
                    .first()
                    .map(|c| self.text(*c).to_string())
                    .unwrap_or_default();
                self.variable(&name, None, quoted, assign, out);
            }
            "expansion" => self.expansion(n, quoted, assign, out),
            "command_substitution" => {
                let saved = self.state.clone();
                self.stmts(&Self::named_children(n));
                self.state = saved;
                out.push(Piece::Seg(Seg::unknown()));
                if !quoted && !assign {
                    out.push(Piece::Splat);
                }
            }
            "arithmetic_expansion" | "process_substitution" => {
                out.push(Piece::Seg(Seg::unknown()));
            }
            "brace_expression" => self.lit(n, out),
            _ => {
                out.push(Piece::Seg(Seg::unknown()));
                if !quoted && !assign {
                    out.push(Piece::Splat);
                }
            }
        }
    }

    /// Text inside double quotes: `\"`, `\\`, `\$`, `` \` `` and `\<newline>` are escapes.
    fn string_text(&self, start: usize, end: usize, out: &mut Vec<Piece>) {
        let text = self.src.get(start..end).unwrap_or("");
        let mut run_start = 0;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\\' && i + 1 < bytes.len() && b"\"\\$`\n".contains(&bytes[i + 1]) {
                if i > run_start {
                    out.push(Piece::Seg(Seg::lit(
                        &text[run_start..i],
                        Some(start + run_start),
                    )));
                }
                if bytes[i + 1] != b'\n' {
                    out.push(Piece::Seg(Seg::lit(
                        &text[i + 1..i + 2],
                        Some(start + i + 1),
                    )));
                }
                i += 2;
                run_start = i;
                continue;
            }
            i += 1;
        }
        if run_start < text.len() {
            out.push(Piece::Seg(Seg::lit(
                &text[run_start..],
                Some(start + run_start),
            )));
        }
    }

    fn expansion(&mut self, n: Node<'t>, quoted: bool, assign: bool, out: &mut Vec<Piece>) {
        let kids = Self::children(n);
        // ${ NAME [OP OPERAND...] }
        let mut i = 1; // after "${"
        let Some(first) = kids.get(i) else {
            out.push(Piece::Seg(Seg::unknown()));
            return;
        };
        let (name, index) = match first.kind() {
            "variable_name" | "special_variable_name" => (self.text(*first).to_string(), None),
            "subscript" => {
                let base = first
                    .child_by_field_name("name")
                    .map_or("", |b| self.text(b))
                    .to_string();
                let idx = first
                    .child_by_field_name("index")
                    .map(|x| self.text(x).to_string());
                (base, idx)
            }
            _ => {
                // ${#VAR}, ${!VAR} and the like
                out.push(Piece::Seg(Seg::unknown()));
                return;
            }
        };
        i += 1;
        let op = kids
            .get(i)
            .filter(|k| k.kind() != "}")
            .map(|k| self.text(*k).to_string());
        let operand: Vec<Node<'t>> = kids
            .iter()
            .skip(i + 1)
            .filter(|k| k.kind() != "}")
            .copied()
            .collect();
        match op.as_deref() {
            None => self.variable(&name, index.as_deref(), quoted, assign, out),
            Some(op @ (":-" | "-" | ":=" | "=" | ":+" | "+" | ":?" | "?")) => {
                let colon = op.starts_with(':');
                let state = self.lookup(&name, index.as_deref());
                let set = match &state {
                    Lookup::Value(v) => match v.text() {
                        Some(t) if colon && t.is_empty() => Some(false),
                        _ => Some(true),
                    },
                    Lookup::Unset => Some(false),
                    Lookup::Environment => None,
                    Lookup::Unknown => None,
                };
                let use_operand = match (op.trim_start_matches(':'), set) {
                    ("-" | "=", Some(false)) => Some(true),
                    ("-" | "=", None)
                        if matches!(state, Lookup::Environment) && !self.state.opaque =>
                    {
                        Some(true)
                    }
                    ("-" | "=", Some(true)) => Some(false),
                    ("+", Some(true)) => Some(true),
                    ("+", Some(false)) => Some(false),
                    ("?", Some(true)) => Some(false),
                    _ => None,
                };
                match use_operand {
                    Some(true) if op.ends_with('+') => {
                        self.operand(&operand, quoted, out);
                    }
                    Some(true) => {
                        let mut tmp = Vec::new();
                        self.operand(&operand, quoted, &mut tmp);
                        if op.ends_with('=') {
                            let segs: Vec<Seg> = tmp
                                .iter()
                                .filter_map(|p| match p {
                                    Piece::Seg(s) => Some(s.clone()),
                                    _ => None,
                                })
                                .collect();
                            self.state
                                .set(&name, Binding::Set(Value::Str { segs, def: None }));
                        }
                        out.extend(tmp);
                    }
                    Some(false) if op.ends_with('+') => {}
                    Some(false) => self.variable(&name, index.as_deref(), quoted, assign, out),
                    None => {
                        out.push(Piece::Seg(Seg::unknown()));
                        if !quoted && !assign {
                            out.push(Piece::Splat);
                        }
                    }
                }
            }
            Some(_) => {
                // substrings, pattern removal, case changes: not modelled
                out.push(Piece::Seg(Seg::unknown()));
            }
        }
    }

    /// The word after `:-` and friends: its bare parts are literal text.
    fn operand(&mut self, nodes: &[Node<'t>], quoted: bool, out: &mut Vec<Piece>) {
        let mut pos: Option<usize> = None;
        for n in nodes {
            // keep the spaces between parts (`${X:-a b}`)
            if let Some(p) = pos
                && n.start_byte() > p
            {
                out.push(Piece::Seg(Seg::lit(
                    self.src.get(p..n.start_byte()).unwrap_or(""),
                    Some(p),
                )));
            }
            match n.kind() {
                "concatenation" => {
                    let kids = Self::named_children(*n);
                    self.operand(&kids, quoted, out);
                }
                "word" | "variable_name" | "number" | "special_variable_name" => {
                    if quoted {
                        self.lit(*n, out)
                    } else {
                        self.unquoted(*n, out)
                    }
                }
                _ if !n.is_named() => self.lit(*n, out),
                _ => self.pieces(*n, quoted, true, out),
            }
            pos = Some(n.end_byte());
        }
    }

    fn lookup(&self, name: &str, index: Option<&str>) -> Lookup {
        if name.chars().all(|c| c.is_ascii_digit()) && name != "0" {
            // a positional parameter of a function called with known arguments
            return match self.state.frames.last().map(|f| &f.params) {
                Some(Params::Known(ws)) => {
                    let k: usize = name.parse().unwrap_or(0);
                    match ws.get(k.wrapping_sub(1)) {
                        Some(w) => Lookup::Value(Value::Str {
                            segs: w.segs.clone(),
                            def: None,
                        }),
                        None => Lookup::Unset,
                    }
                }
                _ => Lookup::Unknown,
            };
        }
        if name.chars().all(|c| c.is_ascii_digit()) || matches!(name, "@" | "*" | "#") {
            return Lookup::Unknown;
        }
        match self.state.get(name) {
            None if self.state.opaque => Lookup::Unknown,
            None => Lookup::Environment,
            Some(Binding::Unset) => Lookup::Unset,
            Some(Binding::Set(v)) => match (v, index) {
                (Value::Array(items), Some(i)) => match i.parse::<usize>() {
                    Ok(k) => match items.get(k) {
                        Some(segs) => Lookup::Value(Value::Str {
                            segs: segs.clone(),
                            def: None,
                        }),
                        None => Lookup::Unset,
                    },
                    Err(_) if i == "@" || i == "*" => Lookup::Value(v.clone()),
                    Err(_) => Lookup::Unknown,
                },
                (Value::Str { .. }, Some("0" | "@" | "*")) | (_, None) => Lookup::Value(v.clone()),
                _ => Lookup::Unknown,
            },
        }
    }

    /// `$NAME` / `${NAME}` / `${NAME[i]}`, positional parameters included.
    fn variable(
        &mut self,
        name: &str,
        index: Option<&str>,
        quoted: bool,
        assign: bool,
        out: &mut Vec<Piece>,
    ) {
        let split = !quoted && !assign;
        // positional parameters
        if name == "@" || name == "*" || name.chars().all(|c| c.is_ascii_digit()) {
            let params = self.state.frames.last().map(|f| f.params.clone());
            match (params, name) {
                (Some(Params::Known(ws)), "@" | "*") => {
                    for (i, w) in ws.iter().enumerate() {
                        if i > 0 {
                            out.push(if quoted && name == "*" {
                                Piece::Seg(Seg::lit(" ", None))
                            } else {
                                Piece::Split
                            });
                        }
                        push_value(&w.segs, split, out);
                    }
                    if quoted {
                        out.push(Piece::Quoted);
                    }
                }
                (Some(Params::Known(ws)), n) if n != "0" => {
                    let k: usize = n.parse().unwrap_or(0);
                    if let Some(w) = ws.get(k.wrapping_sub(1)) {
                        push_value(&w.segs, split, out);
                    }
                }
                _ => {
                    out.push(Piece::Seg(Seg::unknown()));
                    if split || name == "@" {
                        out.push(Piece::Splat);
                    }
                }
            }
            return;
        }
        match self.lookup(name, index) {
            Lookup::Value(Value::Array(items)) if matches!(index, Some("@" | "*")) => {
                for (i, segs) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(if quoted && index == Some("*") {
                            Piece::Seg(Seg::lit(" ", None))
                        } else {
                            Piece::Split
                        });
                    }
                    push_value(segs, split, out);
                }
                if quoted {
                    out.push(Piece::Quoted);
                }
            }
            Lookup::Value(Value::Array(items)) => {
                if let Some(segs) = items.first() {
                    push_value(segs, split, out);
                }
            }
            Lookup::Value(Value::Str { segs, .. }) => push_value(&segs, split, out),
            Lookup::Unset => {}
            Lookup::Environment => {
                // the same value wherever the script uses it, until it is assigned
                let text = match index {
                    Some(i) => format!("${{{name}[{i}]}}"),
                    None => format!("${{{name}}}"),
                };
                out.push(Piece::Seg(Seg::Unknown(Some(Symbol {
                    text: text.into(),
                    generation: 0,
                }))));
                if split {
                    out.push(Piece::Splat);
                }
            }
            Lookup::Unknown => {
                out.push(Piece::Seg(Seg::unknown()));
                if split {
                    out.push(Piece::Splat);
                }
            }
        }
    }
}

enum Lookup {
    Value(Value),
    /// Explicitly unset.
    Unset,
    /// Never set by the script: whatever the environment holds.
    Environment,
    Unknown,
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

fn is_name(t: &str) -> bool {
    let mut cs = t.chars();
    cs.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Pushes a variable's value; unquoted, its known text is split into fields at whitespace.
fn push_value(segs: &[Seg], split: bool, out: &mut Vec<Piece>) {
    if !split {
        out.extend(segs.iter().cloned().map(Piece::Seg));
        return;
    }
    for s in segs {
        match s {
            Seg::Unknown(_) => {
                out.push(Piece::Seg(s.clone()));
                out.push(Piece::Splat);
            }
            Seg::Lit { text, at } => {
                let mut start = 0;
                for (i, c) in text.char_indices() {
                    if matches!(c, ' ' | '\t' | '\n') {
                        if i > start {
                            out.push(Piece::Seg(Seg::lit(&text[start..i], at.map(|a| a + start))));
                        }
                        out.push(Piece::Split);
                        start = i + c.len_utf8();
                    }
                }
                if start < text.len() {
                    out.push(Piece::Seg(Seg::lit(&text[start..], at.map(|a| a + start))));
                }
            }
        }
    }
}

/// Unquoted text with backslash escapes; each run keeps its own offset.
fn push_unescaped(text: &str, base: usize, out: &mut Vec<Piece>) {
    let bytes = text.as_bytes();
    let mut run_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if i > run_start {
                out.push(Piece::Seg(Seg::lit(
                    &text[run_start..i],
                    Some(base + run_start),
                )));
            }
            // the escaped character (a whole UTF-8 scalar), or nothing for a line continuation
            let next = text[i + 1..].chars().next();
            match next {
                Some('\n') | None => {}
                Some(c) => out.push(Piece::Seg(Seg::lit(
                    &text[i + 1..i + 1 + c.len_utf8()],
                    Some(base + i + 1),
                ))),
            }
            i += 1 + next.map_or(0, char::len_utf8);
            run_start = i;
            continue;
        }
        i += 1;
    }
    if run_start < text.len() {
        out.push(Piece::Seg(Seg::lit(
            &text[run_start..],
            Some(base + run_start),
        )));
    }
}

fn ansi_c(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

/// Splits expanded pieces into words.
fn fields(pieces: Vec<Piece>, span: Range<usize>) -> Vec<Word> {
    let mut words = Vec::new();
    let mut cur: Vec<Seg> = Vec::new();
    let mut exists = false;
    let mut splat = false;
    let mut only_splat = true;
    let mut flush = |cur: &mut Vec<Seg>, exists: &mut bool, splat: &mut bool, only: &mut bool| {
        if *exists || !cur.is_empty() {
            words.push(Word {
                segs: merge_segs(std::mem::take(cur)),
                span: span.clone(),
                splat: *splat && *only,
                may_split: *splat,
                origin: None,
            });
        }
        *exists = false;
        *splat = false;
        *only = true;
    };
    for p in pieces {
        match p {
            Piece::Seg(s) => {
                if let Seg::Lit { text, .. } = &s
                    && !text.is_empty()
                {
                    only_splat = false;
                }
                cur.push(s);
            }
            Piece::Quoted => {
                exists = true;
                only_splat = false;
            }
            Piece::Splat => splat = true,
            Piece::Split => flush(&mut cur, &mut exists, &mut splat, &mut only_splat),
        }
    }
    flush(&mut cur, &mut exists, &mut splat, &mut only_splat);
    if words.is_empty() && splat {
        words.push(Word {
            segs: vec![Seg::unknown()],
            span,
            splat: true,
            may_split: true,
            origin: None,
        });
    }
    words
}

/// Joins adjacent literal pieces that are written next to each other, drops empty ones.
fn merge_segs(segs: Vec<Seg>) -> Vec<Seg> {
    let mut out: Vec<Seg> = Vec::new();
    for s in segs {
        match (out.last_mut(), s) {
            (_, Seg::Lit { text, .. }) if text.is_empty() => {}
            (
                Some(Seg::Lit {
                    text: a,
                    at: Some(x),
                }),
                Seg::Lit {
                    text: b,
                    at: Some(y),
                },
            ) if *x + a.len() == y => a.push_str(&b),
            // two unknown parts side by side: one unknown part, named only
            // when both are (then each name is kept)
            (Some(last @ Seg::Unknown(_)), Seg::Unknown(b)) => match (&*last, b) {
                (Seg::Unknown(Some(_)), Some(b)) => out.push(Seg::Unknown(Some(b))),
                _ => *last = Seg::unknown(),
            },
            (_, s) => out.push(s),
        }
    }
    if out.is_empty() {
        out.push(Seg::lit("", None));
    }
    out
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
