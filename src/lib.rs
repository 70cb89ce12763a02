//! scopelint finds Google Compute Engine workloads whose OAuth scopes do not
//! cover the Google APIs their service account holds IAM roles for.
//!
//! The pipeline, one module per step: [`discover`] the input files,
//! [`input`] reads each one once and hands it to its front end
//! ([`terraform`], [`shell`] for deployment scripts, workflows and Cloud
//! Build configs, [`krm`] for Config Connector objects), which build one
//! [`model`]; [`filter`] [`check`]s it against the [`knowledge`] base and
//! keeps the findings asked for; then [`render`] the [`finding`]s and
//! [`fix`] them ([`apply`] plans and writes the patches).
//!
//! This file is the spine: the options, the outcome, and the `run*` entry
//! points that call the stages in that order.

pub mod audit;
pub mod baseline;
pub mod boundary;
pub mod cache;
pub mod check;
pub mod comments;
pub mod config;
pub mod contain;
pub mod discover;
pub mod edit;
pub mod embedded;
pub mod filter;
pub mod finding;
pub mod fix;
mod focus;
pub mod input;
pub mod kept;
pub mod knowledge;
pub mod krm;
pub mod lsp;
pub mod model;
pub mod options;
pub mod outcome;
pub mod permissions;
pub mod quote;
pub mod read;
pub mod render;
pub mod shell;
pub mod source;
pub mod suppress;
pub mod terraform;
pub mod yaml;

pub use cache::AnalysisCache;
use discover::{Candidate, Discovery};
pub(crate) use filter::conclude;
use filter::excluded;
use input::{
    Loaded, Parse, internal_error, krm_model, load, push_broken, read_input, terraform_model,
};
use knowledge::Knowledge;
use model::Model;
pub(crate) use options::Reader;
pub use options::{DEFAULT_MAX_FILE_SIZE, Options, Overlay};
pub use outcome::{InputError, Outcome};
use rayon::prelude::*;
pub use read::human_size;
use source::{FileId, Sources};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Runs the whole analysis.
pub fn run(opts: &Options, kb: &Knowledge) -> Outcome {
    run_with_overlay(opts, kb, &Overlay::new())
}

/// Runs the whole analysis, reading the files in `overlay` from memory.
pub fn run_with_overlay(opts: &Options, kb: &Knowledge, overlay: &Overlay) -> Outcome {
    run_with_cache(opts, kb, overlay, None)
}

/// Runs the whole analysis, reading the files in `overlay` from memory and
/// reusing what `cache` kept from an earlier analysis of the same tree (the
/// language server's): unchanged units' facts, open units' syntax trees.
pub fn run_with_cache(
    opts: &Options,
    kb: &Knowledge,
    overlay: &Overlay,
    cache: Option<&AnalysisCache>,
) -> Outcome {
    let limit = opts.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE);
    let mut found = discover::discover(&opts.paths);
    discover::add_unsaved(
        &mut found,
        &opts.paths,
        overlay.iter().map(|(p, t)| (p.as_path(), t.as_bytes())),
    );
    let read = |path: &Path| match overlay.get(path) {
        Some(text) => Ok(text.clone().into_bytes()),
        None => read_input(opts, path, limit),
    };
    let reuse = cache.map(|cache| input::Reuse {
        cache,
        open: overlay,
    });
    analyse(opts, kb, found, &read, reuse)
}

/// Runs the analysis on the files of an earlier [`discover::discover`]; the
/// tree may have changed in between (a file deleted while scanning is reported
/// as unreadable).
pub fn run_discovered(opts: &Options, kb: &Knowledge, found: Discovery) -> Outcome {
    let limit = opts.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE);
    analyse(
        opts,
        kb,
        found,
        &|path: &Path| read_input(opts, path, limit),
        None,
    )
}

/// Runs the analysis on files given in memory as `(path, content)` (fuzzing,
/// tests); the paths are never touched and their names decide the file kinds
/// (a `.json` file that is not Terraform's is a plan when its content says so).
pub fn run_in_memory(opts: &Options, kb: &Knowledge, files: Vec<(PathBuf, Vec<u8>)>) -> Outcome {
    let mut found = Discovery::default();
    let mut contents: std::collections::HashMap<PathBuf, Vec<u8>> = Default::default();
    for (path, bytes) in files {
        let kind = discover::FileKind::of(&path).or_else(|| {
            if discover::is_yaml(&path) {
                return discover::FileKind::sniff_krm(&bytes);
            }
            let json = path.extension().is_some_and(|e| e == "json");
            json.then(|| discover::FileKind::sniff_bytes(&bytes))
                .flatten()
        });
        if let Some(kind) = kind {
            found.files.push(Candidate {
                path: path.clone(),
                kind,
            });
            contents.insert(path, bytes);
        }
    }
    found.files.sort();
    found.files.dedup();
    let read = |path: &Path| {
        contents
            .get(path)
            .cloned()
            .ok_or_else(|| "cannot read file: not found".to_string())
    };
    analyse(opts, kb, found, &read, None)
}

fn analyse(
    opts: &Options,
    kb: &Knowledge,
    found: Discovery,
    read: Reader<'_>,
    reuse: Option<input::Reuse<'_>>,
) -> Outcome {
    let cache = reuse.map(|r| r.cache);
    let Discovery {
        files: mut candidates,
        errors: walk_errors,
        mut skipped,
    } = found;
    candidates.retain(|c| !excluded(&opts.config, &c.path));
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

    // Read every file once, in parallel; ids follow the sorted order. Scripts
    // and plans are parsed now; Terraform configuration waits for its group.
    let loaded: Vec<Loaded> = candidates
        .par_iter()
        .enumerate()
        .map(|(i, c)| {
            let id = FileId(u32::try_from(i).unwrap_or(u32::MAX));
            contain::contained(|| {
                load(
                    id,
                    c,
                    kb,
                    read(&c.path),
                    (Parse::Later, cache.map(|c| &c.files)),
                )
            })
            .unwrap_or_else(|why| {
                let file = discover::display_path(&c.path);
                Loaded::Broken(None, internal_error(file, &why))
            })
        })
        .collect();

    let mut sources = Sources::default();
    let mut inputs = terraform::project::Inputs::default();
    let mut deferred: Vec<(&Candidate, FileId)> = Vec::new();
    let mut scripts: Vec<Model> = Vec::new();
    let mut krm_dirs: BTreeMap<PathBuf, Vec<krm::Object>> = BTreeMap::new();
    let mut krm_unread = Vec::new();
    for (c, l) in candidates.iter().zip(loaded) {
        match l {
            Loaded::Script(src, m) => {
                sources.push(src);
                scripts.push(m);
            }
            Loaded::Krm(src, read) => {
                sources.push(src);
                let dir = c.path.parent().map(Path::to_path_buf).unwrap_or_default();
                krm_dirs.entry(dir).or_default().extend(read.objects);
                krm_unread.extend(read.unread);
            }
            Loaded::Parsed(src, parsed) => {
                sources.push(src);
                inputs.add(&c.path, parsed);
            }
            Loaded::Deferred(src) => deferred.push((c, sources.push(src))),
            Loaded::Broken(src, err) => push_broken(&mut sources, &mut errors, &c.path, src, err),
        }
    }

    // Files the configuration points at are read only inside the boundary.
    let boundary = boundary::Boundary::new(&opts.paths, &opts.allow_read_outside);
    let referenced = |path: &Path| match boundary.admit(path) {
        Ok(_) => read(path),
        Err(refusal) => Err(refusal.to_string()),
    };
    let (mut model, groups) = terraform_model(
        inputs,
        deferred,
        (&mut sources, &mut errors),
        kb,
        (&referenced, &boundary),
        reuse,
    );
    // Where patches may add to Terraform scopes lists, read from the source.
    terraform::list_site::record(&mut model, &sources);
    for m in scripts {
        model.extend(m);
    }
    model.extend(krm_model(&krm_dirs, &sources));
    model.unresolved.extend(krm_unread);
    // Startup scripts may be files no front end read yet: read them now.
    shell::startup::resolve(
        &mut model,
        &mut sources,
        kb,
        &referenced,
        cache.map(|c| &c.scripts),
    );

    // So may the definitions of custom roles.
    shell::role_file::resolve(&mut model, &mut sources, &referenced);
    skipped.extend(
        boundary
            .take_refused()
            .into_iter()
            .map(|(path, refusal)| discover::Skipped {
                path,
                reason: refusal.reason(),
            }),
    );
    // The language server checks only the units of its open documents
    // (after the startup scripts are read: an open one brings in its VM).
    let mut focused = opts
        .focus
        .as_ref()
        .map(|open| focus::Focus::new(open, &candidates, &groups, &sources));
    if let Some(f) = &mut focused {
        f.keep_open_units(&mut model);
    }
    let mut outcome = conclude(
        model,
        sources,
        errors,
        skipped,
        opts,
        kb,
        cache.map(|c| &c.patches),
    );
    if let Some(f) = &focused {
        f.trim(&mut outcome);
    }
    if let Some(cache) = cache {
        cache.sweep();
    }
    outcome
}
