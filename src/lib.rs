//! scopelint finds Google Compute Engine workloads whose OAuth scopes do not
//! cover the Google APIs their service account holds IAM roles for.
//!
//! The pipeline, one module per step: [`discover`] the input files, parse
//! them ([`terraform`], and [`shell`] for deployment scripts, workflows and
//! Cloud Build configs), build one [`model`], [`check`] it against the
//! [`knowledge`] base, then [`render`] the [`finding`]s and apply [`fix`]es.

pub mod check;
pub mod discover;
pub mod finding;
pub mod fix;
pub mod knowledge;
pub mod model;
pub mod render;
pub mod shell;
pub mod source;
pub mod terraform;

use discover::Candidate;
use finding::Finding;
use knowledge::Knowledge;
use model::Model;
use rayon::prelude::*;
use source::{FileId, SourceFile, Sources};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A file that could not be read or parsed.
#[derive(Debug, Clone)]
pub struct InputError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The file, when it could be read (for a snippet in diagnostics).
    pub source: Option<FileId>,
}

/// What one run found.
pub struct Outcome {
    pub sources: Sources,
    pub model: Model,
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
}

pub struct Options {
    pub paths: Vec<PathBuf>,
    pub strategy: fix::Strategy,
}

enum Loaded {
    Parsed(SourceFile, terraform::module::ParsedFile),
    /// A script, workflow or Cloud Build file, already read into facts.
    Script(SourceFile, Model),
    Broken(Option<SourceFile>, InputError),
}

/// Runs the whole analysis.
pub fn run(opts: &Options, kb: &Knowledge) -> Outcome {
    let (candidates, walk_errors) = discover::discover(&opts.paths);
    let mut errors: Vec<InputError> = walk_errors
        .into_iter()
        .map(|e| InputError {
            file: e.path,
            line: 0,
            column: 0,
            message: e.message,
            source: None,
        })
        .collect();

    // Read and parse every file once, in parallel; ids follow the sorted order.
    let loaded: Vec<Loaded> = candidates
        .par_iter()
        .enumerate()
        .map(|(i, c)| load(FileId(u32::try_from(i).unwrap_or(u32::MAX)), c, kb))
        .collect();

    let mut sources = Sources::default();
    let mut modules: BTreeMap<PathBuf, Vec<terraform::module::ParsedFile>> = BTreeMap::new();
    let mut scripts: Vec<Model> = Vec::new();
    for (c, l) in candidates.iter().zip(loaded) {
        match l {
            Loaded::Script(src, m) => {
                sources.push(src);
                scripts.push(m);
            }
            Loaded::Parsed(src, parsed) => {
                sources.push(src);
                let dir = c.path.parent().map(PathBuf::from).unwrap_or_default();
                modules.entry(dir).or_default().push(parsed);
            }
            Loaded::Broken(src, mut err) => {
                err.source = src.map(|s| sources.push(s));
                if err.source.is_none() {
                    // keep ids aligned with candidates
                    sources.push(SourceFile::new(
                        err.file.clone(),
                        c.path.clone(),
                        String::new(),
                    ));
                }
                errors.push(err);
            }
        }
    }

    let models: Vec<Model> = modules
        .par_iter()
        .map(|(dir, files)| {
            let idx = terraform::module::Index::build(module_name(dir), files);
            terraform::extract::extract(&idx)
        })
        .collect();
    let mut model = Model::default();
    for m in models.into_iter().chain(scripts) {
        model.extend(m);
    }
    // Startup scripts may be files no front end read yet: read them now.
    shell::startup::resolve(&mut model, &mut sources, kb);

    let mut findings = check::run(&model, kb, &sources, opts.strategy);
    findings.sort_by(|a, b| {
        let fa = sources.get(a.primary.file).map(|f| f.display.as_str());
        let fb = sources.get(b.primary.file).map(|f| f.display.as_str());
        (fa, a.primary.span.start, a.rule.code, &a.workload.address).cmp(&(
            fb,
            b.primary.span.start,
            b.rule.code,
            &b.workload.address,
        ))
    });
    errors.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    Outcome {
        sources,
        model,
        findings,
        errors,
    }
}

fn module_name(dir: &std::path::Path) -> String {
    let s = discover::display_path(dir);
    if s.is_empty() { ".".to_string() } else { s }
}

fn load(id: FileId, c: &Candidate, kb: &Knowledge) -> Loaded {
    let display = discover::display_path(&c.path);
    let bytes = match std::fs::read(&c.path) {
        Ok(b) => b,
        Err(e) => {
            return Loaded::Broken(
                None,
                InputError {
                    file: display,
                    line: 0,
                    column: 0,
                    message: format!("cannot read file: {e}"),
                    source: None,
                },
            );
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let before = String::from_utf8_lossy(bytes.get(..at).unwrap_or_default());
            let line = before.matches('\n').count() + 1;
            return Loaded::Broken(
                None,
                InputError {
                    file: display,
                    line,
                    column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
                    message: "file is not valid UTF-8".to_string(),
                    source: None,
                },
            );
        }
    };
    let src = SourceFile::new(display.clone(), c.path.clone(), text);
    let kind = c.kind;
    if !kind.is_terraform() {
        return match shell::analyze(id, kind, &src, kb) {
            Ok(m) => Loaded::Script(src, m),
            Err(e) => Loaded::Broken(
                Some(src),
                InputError {
                    file: display,
                    line: e.line,
                    column: e.column,
                    message: format!("cannot parse: {}", e.message),
                    source: None,
                },
            ),
        };
    }
    match terraform::parse(id, kind, &src) {
        Ok(parsed) => Loaded::Parsed(src, parsed),
        Err(e) => {
            // positions are within the BOM-less body; line numbers are unaffected
            Loaded::Broken(
                None,
                InputError {
                    file: display,
                    line: e.line,
                    column: e.column,
                    message: format!("cannot parse: {}", e.message),
                    source: None,
                },
            )
            .with_source(src)
        }
    }
}

impl Loaded {
    fn with_source(self, src: SourceFile) -> Loaded {
        match self {
            Loaded::Broken(_, e) => Loaded::Broken(Some(src), e),
            other => other,
        }
    }
}
