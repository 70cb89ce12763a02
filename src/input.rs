//! The input stage, after discovery: every input file read once
//! through the size-guarded reader and handed to its front end ([`Loaded`]),
//! Terraform configuration scheduled by groups of module directories, and
//! the front ends' facts joined into one model.
//!
//! Separate from the spine in `lib.rs`, which only calls the stages in
//! order, and from [`crate::filter`], which judges the finished model.

use crate::cache::{AnalysisCache, ByInputs, GroupResult, Input};
use crate::discover::{self, Candidate};
use crate::knowledge::Knowledge;
use crate::model::Model;
use crate::options::{Options, Overlay, Reader};
use crate::outcome::InputError;
use crate::source::{FileId, ParseError, SourceFile, Sources};
use crate::terraform::cache::ParseCache;
use crate::{boundary, contain, krm, model, read, shell, terraform};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub(super) enum Loaded {
    Parsed(SourceFile, terraform::Parsed),
    /// A Terraform configuration or variable file, read and checked but parsed
    /// later, with the other files of its group of module directories.
    Deferred(SourceFile),
    /// A script, workflow or Cloud Build file, already read into facts.
    Script(SourceFile, Model),
    /// A Config Connector file, read into objects; its facts need the other
    /// files of its directory.
    Krm(SourceFile, krm::Read),
    Broken(Option<SourceFile>, InputError),
}

pub(super) fn push_broken(
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

/// The facts of the Config Connector files: each directory is one deployment
/// unit; `Namespace` objects anywhere in the tree give their namespace's project.
pub(super) fn krm_model(dirs: &BTreeMap<PathBuf, Vec<krm::Object>>, sources: &Sources) -> Model {
    let mut namespaces = krm::facts::Namespaces::new();
    krm::facts::namespaces(dirs.values().flatten(), &mut namespaces);
    let text = |id: FileId| sources.get(id).map(|s| s.text.as_str());
    let mut model = Model::default();
    for (dir, objects) in dirs {
        let dir_facts = krm::facts::Dir {
            objects,
            namespaces: &namespaces,
            text: &text,
        };
        let mut m = krm::facts::extract(&dir_facts);
        let shown = discover::display_path(dir);
        let shown = if shown.is_empty() { "." } else { &shown };
        m.assign_unit(&model::Unit::new(&format!("{shown} (Config Connector)")));
        model.extend(m);
    }
    model
}

/// How files outside the scanned inputs are read: the reader, and where it may read.
pub(super) type Referenced<'r> = (Reader<'r>, &'r boundary::Boundary);

/// Reads the configuration files of a module directory (not its
/// subdirectories), when the directory is inside the boundary.
pub(super) fn load_module_dir(
    dir: &std::path::Path,
    sources: &mut Sources,
    errors: &mut Vec<InputError>,
    kb: &Knowledge,
    (read, boundary): Referenced<'_>,
) -> Vec<terraform::module::ParsedFile> {
    if boundary.admit(dir).is_err() {
        return Vec::new();
    }
    let mut candidates: Vec<Candidate> = read::regular_files(dir)
        .into_iter()
        .filter_map(|path| {
            let kind = discover::FileKind::of(&path).filter(|k| k.is_configuration())?;
            Some(Candidate { path, kind })
        })
        .collect();
    candidates.sort();
    let mut files = Vec::new();
    for c in candidates {
        let id = FileId(u32::try_from(sources.len()).unwrap_or(u32::MAX));
        match load(id, &c, kb, read(&c.path), (Parse::Now, None)) {
            Loaded::Parsed(src, terraform::Parsed::File(f)) => {
                sources.push(src);
                files.push(f);
            }
            Loaded::Parsed(src, terraform::Parsed::Plan(_))
            | Loaded::Script(src, _)
            | Loaded::Krm(src, _)
            | Loaded::Deferred(src) => {
                sources.push(src);
            }
            Loaded::Broken(src, err) => push_broken(sources, errors, &c.path, src, err),
        }
    }
    files
}

/// Reads one input file through the guarded reader; a final symbolic link
/// is followed only in a path the user named.
pub(super) fn read_input(opts: &Options, path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let links = if opts.paths.iter().any(|p| p == path) {
        read::Links::Follow
    } else {
        read::Links::Refuse
    };
    read::file(path, limit, links)
}

/// The error entry for a file whose analysis panicked.
pub(super) fn internal_error(file: String, why: &str) -> InputError {
    InputError {
        file,
        line: 0,
        column: 0,
        message: contain::message(why),
        source: None,
    }
}

/// 1-based line and column (in characters, invalid bytes counting one each) of byte `at`.
pub(super) fn line_column(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = String::from_utf8_lossy(bytes.get(..at).unwrap_or_default());
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Whether [`load`] parses a Terraform configuration or variable file, or
/// leaves it for [`terraform_model`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Parse {
    Now,
    Later,
}

pub(super) fn load(
    id: FileId,
    c: &Candidate,
    kb: &Knowledge,
    bytes: Result<Vec<u8>, String>,
    (parse, kept): (Parse, Option<&ByInputs<Model>>),
) -> Loaded {
    let display = discover::display_path(&c.path);
    let broken = |line, column, message| {
        Loaded::Broken(
            None,
            InputError {
                file: display.clone(),
                line,
                column,
                message,
                source: None,
            },
        )
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(message) => return broken(0, 0, message),
    };
    // A NUL byte is valid UTF-8 but never part of a text file.
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        let (line, column) = line_column(&bytes, at);
        return broken(
            line,
            column,
            "binary file (NUL byte): not analysed".to_string(),
        );
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let (line, column) = line_column(e.as_bytes(), at);
            return broken(line, column, "file is not valid UTF-8".to_string());
        }
    };
    let src = SourceFile::new(display.clone(), c.path.clone(), text);
    let kind = c.kind;
    let unparsable = |src, e: ParseError| {
        Loaded::Broken(
            Some(src),
            InputError {
                file: display.clone(),
                line: e.line,
                column: e.column,
                message: format!("cannot parse: {}", e.message),
                source: None,
            },
        )
    };
    if kind == discover::FileKind::ConfigConnector {
        return match krm::read(id, &src) {
            Ok(read) => Loaded::Krm(src, read),
            Err(e) => unparsable(src, e),
        };
    }
    if !kind.is_terraform() {
        let input = [Input {
            path: &c.path,
            id,
            kind,
            text: &src.text,
        }];
        if let Some(m) = kept.and_then(|k| k.get(&input)) {
            return Loaded::Script(src, m);
        }
        return match shell::analyze(id, kind, &src, kb) {
            Ok(mut m) => {
                // Each script, workflow or Cloud Build file is a deployment unit of its own.
                m.assign_unit(&model::Unit::new(&display));
                if let Some(k) = kept {
                    k.put(&input, &m);
                }
                Loaded::Script(src, m)
            }
            Err(e) => unparsable(src, e),
        };
    }
    if parse == Parse::Later && (kind.is_configuration() || kind.is_tfvars()) {
        return Loaded::Deferred(src);
    }
    parse_terraform(id, kind, src)
}

/// Parses a Terraform file that was read into `src`.
pub(super) fn parse_terraform(id: FileId, kind: discover::FileKind, src: SourceFile) -> Loaded {
    match parse_source(id, kind, &src) {
        Ok(parsed) => Loaded::Parsed(src, parsed),
        Err(e) => Loaded::Broken(Some(src), e),
    }
}

/// Parses a Terraform file, or takes it from `cache` when an earlier
/// analysis parsed the same text.
fn parse_cached(
    cache: Option<&ParseCache>,
    path: &Path,
    id: FileId,
    kind: discover::FileKind,
    src: &SourceFile,
) -> Result<terraform::Parsed, InputError> {
    let Some(cache) = cache else {
        return parse_source(id, kind, src);
    };
    if let Some(file) = cache.get(path, id, kind, src) {
        return Ok(terraform::Parsed::File(file));
    }
    let parsed = parse_source(id, kind, src)?;
    if let terraform::Parsed::File(file) = &parsed {
        cache.put(path, id, kind, src, file);
    }
    Ok(parsed)
}

pub(super) fn parse_source(
    id: FileId,
    kind: discover::FileKind,
    src: &SourceFile,
) -> Result<terraform::Parsed, InputError> {
    // positions are within the BOM-less body; line numbers are unaffected
    terraform::parse(id, kind, src).map_err(|e| InputError {
        file: src.display.clone(),
        line: e.line,
        column: e.column,
        message: format!("cannot parse: {}", e.message),
        source: None,
    })
}

/// The model of the Terraform inputs, and the files of each group of module
/// directories (whose facts may meet). Without plans, module directories are
/// parsed and evaluated one group at a time ([`terraform::groups`]), on every
/// core, so that only the syntax trees of the groups in progress are in
/// memory; a group that calls directories outside the scanned tree reads them
/// as it goes, one group at a time. Plans need every root at once.
pub(super) fn terraform_model(
    mut inputs: terraform::project::Inputs,
    deferred: Vec<(&Candidate, FileId)>,
    (sources, errors): (&mut Sources, &mut Vec<InputError>),
    kb: &Knowledge,
    read: Referenced<'_>,
    reuse: Option<Reuse<'_>>,
) -> (Model, Vec<Vec<PathBuf>>) {
    let parse = |files: &[(&Candidate, FileId)], sources: &Sources, trees: Option<&ParseCache>| {
        files
            .par_iter()
            .map(|(c, id)| {
                let parsed = sources
                    .get(*id)
                    .map(|src| parse_cached(trees, &c.path, *id, c.kind, src))
                    .transpose();
                (c.path.clone(), *id, parsed)
            })
            .collect::<Vec<_>>()
    };
    // Every tree is kept when nothing says which files are open (plans,
    // groups split wrongly); else only the trees of groups with an open file.
    let all_trees = reuse.map(|r| &r.cache.terraform);
    let add = |inputs: &mut terraform::project::Inputs,
               errors: &mut Vec<InputError>,
               parsed: Vec<(
        PathBuf,
        FileId,
        Result<Option<terraform::Parsed>, InputError>,
    )>| {
        for (path, id, p) in parsed {
            match p {
                Ok(Some(p)) => inputs.add(&path, p),
                Ok(None) => {}
                Err(mut e) => {
                    e.source = Some(id);
                    errors.push(e);
                }
            }
        }
    };
    // Plans, and groups split wrongly, join every file in one group, with
    // the module files read from outside the tree on the way.
    let one_group = |files: &[(&Candidate, FileId)], sources: &Sources, before: usize| {
        let mut all: Vec<PathBuf> = files.iter().map(|(c, _)| c.path.clone()).collect();
        all.extend(sources.iter().skip(before).map(|(_, s)| s.path.clone()));
        vec![all]
    };
    if inputs.has_plans() {
        let before = sources.len();
        add(&mut inputs, errors, parse(&deferred, sources, all_trees));
        let model = terraform::project::analyse(inputs, &mut |dir| {
            load_module_dir(dir, sources, errors, kb, read)
        });
        return (model, one_group(&deferred, sources, before));
    }

    let mut by_dir: BTreeMap<PathBuf, Vec<(&Candidate, FileId)>> = BTreeMap::new();
    for (c, id) in deferred {
        let dir = terraform::eval::normalize(c.path.parent().unwrap_or(Path::new("")));
        by_dir.entry(dir).or_default().push((c, id));
    }
    let dirs: Vec<(PathBuf, Vec<&str>)> = by_dir
        .iter()
        .map(|(dir, files)| {
            let texts = files
                .iter()
                .filter(|(c, _)| c.kind.is_configuration())
                .filter_map(|(_, id)| sources.get(*id).map(|s| s.text.as_str()))
                .collect();
            (dir.clone(), texts)
        })
        .collect();
    let groups = terraform::groups::groups(&dirs);
    let files_of = |g: &terraform::groups::Group| -> Vec<(&Candidate, FileId)> {
        g.dirs
            .iter()
            .flat_map(|d| by_dir.get(d).into_iter().flatten().copied())
            .collect()
    };

    // Groups that read nothing else: in parallel; a group whose files are
    // what they were at the last analysis gives what it gave then.
    let shared: &Sources = sources;
    let done: Vec<Option<GroupResult>> = groups
        .par_iter()
        .map(|g| {
            if g.reaches_outside {
                return None;
            }
            let files = files_of(g);
            let inputs_of: Vec<Input<'_>> = files
                .iter()
                .filter_map(|(c, id)| {
                    let src = shared.get(*id)?;
                    Some(Input {
                        path: &c.path,
                        id: *id,
                        kind: c.kind,
                        text: &src.text,
                    })
                })
                .collect();
            let trees = reuse
                .filter(|r| files.iter().any(|(c, _)| r.open.contains_key(&c.path)))
                .map(|r| &r.cache.terraform);
            if let Some(hit) = reuse.and_then(|r| r.cache.groups.get(&inputs_of)) {
                if let Some(trees) = trees {
                    files.iter().for_each(|(c, _)| trees.keep(&c.path));
                }
                return Some(hit);
            }
            contain::contained(|| {
                let mut inputs = terraform::project::Inputs::default();
                let mut errs = Vec::new();
                add(&mut inputs, &mut errs, parse(&files, shared, trees));
                let mut called_outside = false;
                let mut looked_outside = false;
                let roots = terraform::project::analyse_roots(inputs, &mut |dir| {
                    looked_outside = true;
                    called_outside |= has_configuration_files(dir);
                    Vec::new()
                });
                let result = (!called_outside).then_some((roots, errs));
                // A group that looked outside its files depends on more
                // than they are: it is not kept.
                if let (Some(r), Some(result), false) = (reuse, &result, looked_outside) {
                    r.cache.groups.put(&inputs_of, result);
                }
                result
            })
            .unwrap_or_else(|why| {
                // The group's files are left out, each named in errors[].
                let errs = files
                    .iter()
                    .map(|(c, id)| InputError {
                        source: Some(*id),
                        ..internal_error(discover::display_path(&c.path), &why)
                    })
                    .collect();
                Some((Vec::new(), errs))
            })
        })
        .collect();

    let split_wrongly = groups
        .iter()
        .zip(&done)
        .any(|(g, result)| !g.reaches_outside && result.is_none());
    if split_wrongly {
        // A module call the text scan did not see (a source written with
        // escapes): the groups are wrong, so everything is evaluated at once.
        let all: Vec<(&Candidate, FileId)> = by_dir.values().flatten().copied().collect();
        let before = sources.len();
        add(&mut inputs, errors, parse(&all, sources, all_trees));
        let model = terraform::project::analyse(inputs, &mut |dir| {
            load_module_dir(dir, sources, errors, kb, read)
        });
        return (model, one_group(&all, sources, before));
    }
    let mut roots: Vec<(PathBuf, Model)> = Vec::new();
    // Module directories outside the tree, read once even when several groups call them.
    let mut outside: BTreeMap<PathBuf, Vec<terraform::module::ParsedFile>> = BTreeMap::new();
    // The directories outside the tree each group called (their files are
    // the group's too).
    let mut called: Vec<Vec<PathBuf>> = vec![Vec::new(); groups.len()];
    for ((g, result), called) in groups.iter().zip(done).zip(&mut called) {
        match result {
            Some((r, errs)) => {
                roots.extend(r);
                errors.extend(errs);
            }
            None => {
                let mut inputs = terraform::project::Inputs::default();
                add(&mut inputs, errors, parse(&files_of(g), sources, all_trees));
                roots.extend(terraform::project::analyse_roots(inputs, &mut |dir| {
                    called.push(dir.to_path_buf());
                    outside
                        .entry(dir.to_path_buf())
                        .or_insert_with(|| load_module_dir(dir, sources, errors, kb, read))
                        .clone()
                }));
            }
        }
    }
    roots.sort_by(|a, b| a.0.cmp(&b.0));
    let mut model = Model::default();
    for (_, m) in roots {
        model.extend(m);
    }
    let mut by_parent: BTreeMap<&Path, Vec<&Path>> = BTreeMap::new();
    for (_, src) in sources.iter() {
        if let Some(dir) = src.path.parent() {
            by_parent.entry(dir).or_default().push(&src.path);
        }
    }
    let files = groups
        .iter()
        .zip(&called)
        .map(|(g, called)| {
            let mut paths: Vec<PathBuf> = files_of(g).iter().map(|(c, _)| c.path.clone()).collect();
            let read = called.iter().filter_map(|d| by_parent.get(d.as_path()));
            paths.extend(read.flatten().map(|p| p.to_path_buf()));
            paths
        })
        .collect();
    (model, files)
}

/// What an analysis may reuse from the one before: the kept results, and
/// the open documents, whose units' syntax trees are worth keeping.
#[derive(Clone, Copy)]
pub(super) struct Reuse<'a> {
    pub cache: &'a AnalysisCache,
    pub open: &'a Overlay,
}

/// Whether `dir` holds a Terraform configuration file (a module to load).
pub(super) fn has_configuration_files(dir: &Path) -> bool {
    read::regular_files(dir)
        .iter()
        .any(|path| discover::FileKind::of(path).is_some_and(|k| k.is_configuration()))
}
