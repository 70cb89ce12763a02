//! Step 2 of the pipeline for deployment scripts: shell scripts, the `run:`
//! steps of GitHub Actions workflows and the gcloud steps of Cloud Build
//! configs, turned into the same model facts as Terraform.
//!
//! One job per file: [`syntax`] parses with tree-sitter-bash, [`interp`] runs
//! the script symbolically over the variables of [`state`], [`expand`]
//! expands its [`word`]s, [`argv`] reads gcloud command lines, [`facts`]
//! turns them into workloads ([`workloads`], [`scope_flags`]), grants
//! ([`grants`]) and enabled APIs, [`embed`] and the YAML tree
//! ([`crate::yaml`]) find scripts inside other files and map them back to
//! file offsets, [`startup`] reads what a
//! VM's startup script calls and [`patch`] edits `--scopes` flags.

pub mod argv;
pub mod cache;
pub mod embed;
pub mod expand;
pub mod facts;
pub mod grants;
pub mod interp;
pub mod role_file;
pub mod scope_flags;
pub mod script;
pub mod startup;
pub mod state;
pub mod syntax;
pub mod word;
pub mod workloads;

use crate::discover::FileKind;
use crate::knowledge::Knowledge;
use crate::model::Model;
pub use crate::quote;
pub use crate::source::ParseError;
use crate::source::{FileId, SourceFile};
use crate::yaml;
use embed::Embedded;
use interp::{Cmd, Trace};
use script::{Script, Words};
use std::path::Path;
use word::{Seg, Word};

/// Analyses one script, workflow or Cloud Build file into model facts.
pub fn analyze(
    id: FileId,
    kind: FileKind,
    src: &SourceFile,
    kb: &Knowledge,
) -> Result<Model, ParseError> {
    let mut model = Model::default();
    let dir = src.path.parent().map(Path::to_path_buf).unwrap_or_default();
    match kind {
        FileKind::Shell => {
            let mut e = Embedded::default();
            e.push_mapped(src.body(), src.bom);
            run_script(id, src, &dir, &e, &[], kb, &mut model);
        }
        FileKind::Workflow => {
            let root = parse_yaml(src)?;
            workflow(id, src, &dir, &root, kb, &mut model);
        }
        FileKind::CloudBuild => {
            let root = parse_yaml(src)?;
            cloudbuild(id, src, &dir, &root, kb, &mut model);
        }
        FileKind::Terraform
        | FileKind::TfVars
        | FileKind::TerraformJson
        | FileKind::TfVarsJson
        | FileKind::Plan
        | FileKind::ConfigConnector => {}
    }
    Ok(model)
}

fn parse_yaml(src: &SourceFile) -> Result<yaml::Node, ParseError> {
    let mut root = yaml::parse(src.body()).map_err(|e| ParseError {
        line: e.line,
        column: e.column,
        message: e.message,
    })?;
    yaml::shift(&mut root, src.bom);
    Ok(root)
}

/// Parses and runs one script mapped into `src` by `e`, and reads its facts.
fn run_script(
    id: FileId,
    src: &SourceFile,
    dir: &Path,
    e: &Embedded,
    env: &[(String, Vec<Seg>)],
    kb: &Knowledge,
    model: &mut Model,
) {
    let Some(tree) = syntax::parse(&e.text) else {
        return;
    };
    let trace = interp::run(tree.root_node(), &e.text, env);
    let sc = Script {
        file: id,
        display: &src.display,
        file_text: &src.text,
        line_starts: &line_starts(&src.text),
        embed: e,
        dir: dir.to_path_buf(),
        words: Words::Shell,
    };
    facts::extract(&trace, &sc, kb, model);
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// Replaces GitHub expressions `${{ ... }}` (evaluated before the shell runs) with unknown expansions.
fn github_expressions(e: &Embedded) -> Embedded {
    let text = &e.text;
    if !text.contains("${{") {
        return e.clone();
    }
    let mut inner = Embedded::default();
    let mut pos = 0;
    let mut n = 0;
    while let Some(i) = text[pos..].find("${{") {
        let start = pos + i;
        inner.push_mapped(&text[pos..start], pos);
        let end = text[start..]
            .find("}}")
            .map_or(text.len(), |j| start + j + 2);
        n += 1;
        inner.push(&format!("${{__github_{n}}}"), start, end - start);
        pos = end;
    }
    inner.push_mapped(&text[pos..], pos);
    startup::through(&inner, e)
}

/// Variables from a workflow's `env:` maps.
fn env_map(node: Option<&yaml::Node>, out: &mut Vec<(String, Vec<Seg>)>) {
    for (k, v) in node.map(yaml::Node::entries).unwrap_or(&[]) {
        let (Some(k), Some(v)) = (k.as_str(), v.as_str()) else {
            continue;
        };
        let value = if v.contains("${{") {
            vec![Seg::unknown()]
        } else {
            vec![Seg::lit(v, None)]
        };
        out.retain(|(name, _)| name != k);
        out.push((k.to_string(), value));
    }
}

fn is_shell(shell: Option<&str>) -> bool {
    match shell {
        None => true,
        Some(s) => {
            let first = s.split_whitespace().next().unwrap_or("");
            matches!(first.rsplit('/').next().unwrap_or(""), "bash" | "sh")
        }
    }
}

/// Every `run:` step of a GitHub Actions workflow.
fn workflow(
    id: FileId,
    src: &SourceFile,
    dir: &Path,
    root: &yaml::Node,
    kb: &Knowledge,
    model: &mut Model,
) {
    let shell_of = |n: &yaml::Node| {
        n.get("defaults")
            .and_then(|d| d.get("run"))
            .and_then(|r| r.get("shell"))
            .and_then(yaml::Node::as_str)
            .map(str::to_string)
    };
    let top_shell = shell_of(root);
    let mut top_env = Vec::new();
    env_map(root.get("env"), &mut top_env);
    for (_, job) in root.get("jobs").map(yaml::Node::entries).unwrap_or(&[]) {
        let job_shell = shell_of(job).or(top_shell.clone());
        let mut job_env = top_env.clone();
        env_map(job.get("env"), &mut job_env);
        for step in job.get("steps").map(yaml::Node::items).unwrap_or(&[]) {
            let Some(run) = step.get("run") else { continue };
            let Some(text) = run.as_str() else { continue };
            let shell = step
                .get("shell")
                .and_then(yaml::Node::as_str)
                .map(str::to_string)
                .or(job_shell.clone());
            if !is_shell(shell.as_deref()) {
                continue;
            }
            let mut env = job_env.clone();
            env_map(step.get("env"), &mut env);
            let m = yaml::map_scalar(&src.text, run.at, text);
            let e = github_expressions(&m.embed);
            run_script(id, src, dir, &e, &env, kb, model);
        }
    }
}

/// Substitutions Cloud Build fills in itself (unknown here).
const CLOUDBUILD_BUILTINS: &[&str] = &[
    "PROJECT_ID",
    "PROJECT_NUMBER",
    "BUILD_ID",
    "LOCATION",
    "TRIGGER_NAME",
    "COMMIT_SHA",
    "SHORT_SHA",
    "REVISION_ID",
    "REPO_NAME",
    "REPO_FULL_NAME",
    "BRANCH_NAME",
    "TAG_NAME",
    "REF_NAME",
    "TRIGGER_BUILD_CONFIG_PATH",
    "SERVICE_ACCOUNT_EMAIL",
    "SERVICE_ACCOUNT",
];

/// What a Cloud Build substitution in `text` at `i` stands for: (length, value or unknown).
fn substitution(
    text: &str,
    i: usize,
    subs: &[(String, String)],
) -> Option<(usize, Option<String>)> {
    let rest = text.get(i + 1..)?;
    let (name, len) = if let Some(inner) = rest.strip_prefix('{') {
        let end = inner.find('}')?;
        (&inner[..end], end + 3)
    } else {
        let end = rest
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(rest.len());
        (&rest[..end], end + 1)
    };
    if name.is_empty() {
        return None;
    }
    if let Some((_, v)) = subs.iter().find(|(k, _)| k == name) {
        return Some((len, Some(v.clone())));
    }
    (name.starts_with('_') || CLOUDBUILD_BUILTINS.contains(&name)).then_some((len, None))
}

/// Cloud Build's substitutions applied to text mapped by `e`: `$$` is `$`,
/// `$_NAME`/`${_NAME}` its value, built-ins unknown.
fn substitute_segs(e: &Embedded, subs: &[(String, String)]) -> Vec<Seg> {
    let text = &e.text;
    let mut segs = Vec::new();
    let mut run = 0;
    let mut i = 0;
    let flush = |segs: &mut Vec<Seg>, from: usize, to: usize| {
        if to > from {
            let r = from..to;
            let at = e.is_exact(&r).then(|| e.start(from));
            segs.push(Seg::lit(&text[r], at));
        }
    };
    while i < text.len() {
        if text[i..].starts_with("$$") {
            flush(&mut segs, run, i);
            let at = e.is_exact(&(i + 1..i + 2)).then(|| e.start(i + 1));
            segs.push(Seg::lit("$", at));
            i += 2;
            run = i;
        } else if text[i..].starts_with('$')
            && let Some((len, value)) = substitution(text, i, subs)
        {
            flush(&mut segs, run, i);
            segs.push(value.map_or(Seg::unknown(), |v| Seg::lit(v, None)));
            i += len;
            run = i;
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    flush(&mut segs, run, text.len());
    if segs.is_empty() {
        segs.push(Seg::lit("", None));
    }
    segs
}

/// A Cloud Build script (`bash -c` argument) with substitutions applied, as shell text.
fn substitute_script(e: &Embedded, subs: &[(String, String)]) -> Embedded {
    let mut inner = Embedded::default();
    let text = &e.text;
    let mut run = 0;
    let mut i = 0;
    let mut n = 0;
    while i < text.len() {
        if text[i..].starts_with("$$") {
            inner.push_mapped(&text[run..i], run);
            inner.push_mapped("$", i + 1);
            i += 2;
            run = i;
        } else if text[i..].starts_with('$')
            && let Some((len, value)) = substitution(text, i, subs)
        {
            inner.push_mapped(&text[run..i], run);
            n += 1;
            let v = value.unwrap_or_else(|| format!("${{__cloudbuild_{n}}}"));
            inner.push(&v, i, len);
            i += len;
            run = i;
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    inner.push_mapped(&text[run..], run);
    startup::through(&inner, e)
}

/// The gcloud steps of a Cloud Build config.
fn cloudbuild(
    id: FileId,
    src: &SourceFile,
    dir: &Path,
    root: &yaml::Node,
    kb: &Knowledge,
    model: &mut Model,
) {
    let subs: Vec<(String, String)> = root
        .get("substitutions")
        .map(yaml::Node::entries)
        .unwrap_or(&[])
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
        .collect();
    for step in root.get("steps").map(yaml::Node::items).unwrap_or(&[]) {
        let image = step.get("name").and_then(yaml::Node::as_str).unwrap_or("");
        let mut env = Vec::new();
        for item in step.get("env").map(yaml::Node::items).unwrap_or(&[]) {
            if let Some((k, v)) = item.as_str().and_then(|s| s.split_once('=')) {
                env.push((k.to_string(), vec![Seg::lit(v, None)]));
            }
        }
        if let Some(script) = step.get("script")
            && let Some(text) = script.as_str()
        {
            let m = yaml::map_scalar(&src.text, script.at, text);
            run_script(id, src, dir, &m.embed, &env, kb, model);
            continue;
        }
        let entrypoint = step
            .get("entrypoint")
            .and_then(yaml::Node::as_str)
            .map(|s| s.rsplit('/').next().unwrap_or(s).to_string())
            .or_else(|| {
                let base = image.rsplit('/').next().unwrap_or("");
                base.starts_with("gcloud").then(|| "gcloud".to_string())
            });
        let Some(args_node) = step.get("args") else {
            continue;
        };
        let args: Vec<(&yaml::Node, yaml::Mapped)> = args_node
            .items()
            .iter()
            .filter_map(|n| Some((n, yaml::map_scalar(&src.text, n.at, n.as_str()?))))
            .collect();
        match entrypoint.as_deref() {
            Some("gcloud") => {
                let identity = Embedded::whole(&src.text);
                let mut argv = vec![Word::literal("gcloud", args_node.at..args_node.at, false)];
                for (n, m) in &args {
                    argv.push(Word {
                        segs: substitute_segs(&m.embed, &subs),
                        span: n.at..m.end,
                        splat: false,
                        may_split: false,
                        origin: None,
                    });
                }
                let Some(first) = args.first() else { continue };
                let span = first.0.at..args.last().map_or(first.1.end, |a| a.1.end);
                let trace = Trace {
                    cmds: vec![Cmd {
                        argv,
                        span,
                        node: args_node.at,
                    }],
                    skipped: Vec::new(),
                };
                let flow = src
                    .text
                    .get(args_node.at..)
                    .is_some_and(|t| t.starts_with('['));
                let starts = line_starts(&src.text);
                let sc = Script {
                    file: id,
                    display: &src.display,
                    file_text: &src.text,
                    line_starts: &starts,
                    embed: &identity,
                    dir: dir.to_path_buf(),
                    words: if flow {
                        Words::YamlFlow
                    } else {
                        Words::YamlBlock
                    },
                };
                facts::extract(&trace, &sc, kb, model);
            }
            Some("bash" | "sh") => {
                let texts: Vec<&str> = args.iter().filter_map(|(n, _)| n.as_str()).collect();
                let Some(c) = texts.iter().position(|t| {
                    *t == "-c"
                        || *t == "-ec"
                        || *t == "-eu"
                        || t.starts_with('-') && t.ends_with('c')
                }) else {
                    continue;
                };
                let Some((_, m)) = args.get(c + 1) else {
                    continue;
                };
                let e = substitute_script(&m.embed, &subs);
                run_script(id, src, dir, &e, &env, kb, model);
            }
            // other builders run no gcloud of ours
            _ => {}
        }
    }
}
