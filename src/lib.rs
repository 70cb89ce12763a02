//! scopelint finds Google Compute Engine workloads whose OAuth scopes do not
//! cover the Google APIs their service account holds IAM roles for.
//!
//! The pipeline, one module per step: [`discover`] the input files, parse
//! them ([`terraform`]), build one [`model`], [`check`] it against the
//! [`knowledge`] base, then [`render`] the [`finding`]s and apply [`fix`]es.

pub mod check;
pub mod discover;
pub mod finding;
pub mod fix;
pub mod knowledge;
pub mod model;
pub mod render;
pub mod source;
pub mod terraform;

use discover::Candidate;
use finding::Finding;
use knowledge::Knowledge;
use model::Model;
use rayon::prelude::*;
use source::{FileId, SourceFile, Sources};
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
    Parsed(SourceFile, terraform::Parsed),
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
        .map(|(i, c)| load(FileId(u32::try_from(i).unwrap_or(u32::MAX)), c))
        .collect();

    let mut sources = Sources::default();
    let mut inputs = terraform::project::Inputs::default();
    for (c, l) in candidates.iter().zip(loaded) {
        match l {
            Loaded::Parsed(src, parsed) => {
                sources.push(src);
                inputs.add(&c.path, parsed);
            }
            Loaded::Broken(src, err) => push_broken(&mut sources, &mut errors, &c.path, src, err),
        }
    }

    // Module directories outside the scanned paths are read when a module calls them.
    let model = terraform::project::analyse(inputs, &mut |dir| {
        load_module_dir(dir, &mut sources, &mut errors)
    });

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

fn push_broken(
    sources: &mut Sources,
    errors: &mut Vec<InputError>,
    path: &std::path::Path,
    src: Option<SourceFile>,
    mut err: InputError,
) {
    err.source = src.map(|s| sources.push(s));
    if err.source.is_none() {
        // keep ids aligned with the files read
        sources.push(SourceFile::new(
            err.file.clone(),
            path.to_path_buf(),
            String::new(),
        ));
    }
    errors.push(err);
}

/// Reads the configuration files of a module directory (not its subdirectories).
fn load_module_dir(
    dir: &std::path::Path,
    sources: &mut Sources,
    errors: &mut Vec<InputError>,
) -> Vec<terraform::module::ParsedFile> {
    let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        dir
    }) else {
        return Vec::new();
    };
    let mut candidates: Vec<Candidate> = entries
        .filter_map(|e| {
            let path = e.ok()?.path();
            let kind = discover::FileKind::of(&path).filter(|k| k.is_configuration())?;
            let name = path.file_name()?;
            path.is_file().then(|| Candidate {
                path: dir.join(name),
                kind,
            })
        })
        .collect();
    candidates.sort();
    let mut files = Vec::new();
    for c in candidates {
        let id = FileId(u32::try_from(sources.len()).unwrap_or(u32::MAX));
        match load(id, &c) {
            Loaded::Parsed(src, terraform::Parsed::File(f)) => {
                sources.push(src);
                files.push(f);
            }
            Loaded::Parsed(src, terraform::Parsed::Plan(_)) => {
                sources.push(src);
            }
            Loaded::Broken(src, err) => push_broken(sources, errors, &c.path, src, err),
        }
    }
    files
}

fn load(id: FileId, c: &Candidate) -> Loaded {
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
