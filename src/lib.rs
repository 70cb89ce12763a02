//! scopelint finds Google Compute Engine workloads whose OAuth scopes do not
//! cover the Google APIs their service account holds IAM roles for.
//!
//! The pipeline, one module per step: [`discover`] the input files, parse
//! them ([`terraform`], [`shell`] for deployment scripts, workflows and
//! Cloud Build configs, [`krm`] for Config Connector objects), build one [`model`], [`check`] it against the
//! [`knowledge`] base, then [`render`] the [`finding`]s and [`fix`] them
//! ([`apply`] plans and writes the patches).

pub mod audit;
pub mod baseline;
pub mod boundary;
pub mod check;
pub mod comments;
pub mod config;
pub mod contain;
pub mod discover;
pub mod edit;
pub mod finding;
pub mod fix;
pub mod knowledge;
pub mod krm;
pub mod lsp;
pub mod model;
pub mod read;
pub mod render;
pub mod shell;
pub mod source;
pub mod suppress;
pub mod terraform;

use discover::{Candidate, Discovery};
use finding::Finding;
use knowledge::Knowledge;
use model::Model;
use rayon::prelude::*;
use source::{FileId, SourceFile, Sources};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Files larger than this are reported and not analysed, unless
/// [`Options::max_file_size`] says otherwise (10 MiB: hand-written Terraform
/// files are rarely above 1 MiB).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

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
    /// Set when a baseline was applied.
    pub baseline: Option<baseline::Stats>,
    /// Entries with an input file's name that were not read (symlinks, FIFOs).
    pub skipped: Vec<discover::Skipped>,
}

/// What to analyse and how.
#[derive(Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// From the command line; else the configuration's; else `auto`.
    pub strategy: Option<fix::Strategy>,
    pub config: config::Loaded,
    /// Only these rules (codes or names), when not empty.
    pub select: Vec<String>,
    /// Never these rules (codes or names).
    pub ignore: Vec<String>,
    /// Honour `scopelint:ignore` comments.
    pub inline_suppressions: bool,
    /// Report only findings not recorded in this baseline.
    pub baseline: Option<PathBuf>,
    /// Larger files are reported as errors and not analysed; `None` means
    /// [`DEFAULT_MAX_FILE_SIZE`], `Some(u64::MAX)` no limit.
    pub max_file_size: Option<u64>,
    /// Directories outside the scanned paths (and their git work tree) from
    /// which files that the configuration references may be read.
    pub allow_read_outside: Vec<PathBuf>,
    /// `--fix` applies unsafe patches too.
    pub unsafe_fixes: bool,
}

enum Loaded {
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

/// Runs the whole analysis.
pub fn run(opts: &Options, kb: &Knowledge) -> Outcome {
    run_with_overlay(opts, kb, &Overlay::new())
}

/// File contents that replace what is on disk, keyed by the path as discovered
/// ([`source::SourceFile::path`]): how `--fix` re-checks patched files in memory.
pub type Overlay = BTreeMap<PathBuf, String>;

/// Runs the whole analysis, reading the files in `overlay` from memory.
pub fn run_with_overlay(opts: &Options, kb: &Knowledge, overlay: &Overlay) -> Outcome {
    let limit = opts.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE);
    analyse(
        opts,
        kb,
        discover::discover(&opts.paths),
        &|path: &Path| match overlay.get(path) {
            Some(text) => Ok(text.clone().into_bytes()),
            None => read_input(opts, path, limit),
        },
    )
}

/// Runs the analysis on the files of an earlier [`discover::discover`]; the
/// tree may have changed in between (a file deleted while scanning is reported
/// as unreadable).
pub fn run_discovered(opts: &Options, kb: &Knowledge, found: Discovery) -> Outcome {
    let limit = opts.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE);
    analyse(opts, kb, found, &|path: &Path| {
        read_input(opts, path, limit)
    })
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
    analyse(opts, kb, found, &|path: &Path| {
        contents
            .get(path)
            .cloned()
            .ok_or_else(|| "cannot read file: not found".to_string())
    })
}

/// How an input's bytes are obtained (from disk, or from memory).
type Reader<'r> = &'r (dyn Fn(&Path) -> Result<Vec<u8>, String> + Sync);

fn analyse(opts: &Options, kb: &Knowledge, found: Discovery, read: Reader<'_>) -> Outcome {
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
            contain::contained(|| load(id, c, kb, read(&c.path), Parse::Later)).unwrap_or_else(
                |why| {
                    let file = discover::display_path(&c.path);
                    Loaded::Broken(None, internal_error(file, &why))
                },
            )
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
    let mut model = terraform_model(
        inputs,
        deferred,
        (&mut sources, &mut errors),
        kb,
        (&referenced, &boundary),
    );
    for m in scripts {
        model.extend(m);
    }
    model.extend(krm_model(&krm_dirs, &sources));
    model.unresolved.extend(krm_unread);
    // Startup scripts may be files no front end read yet: read them now.
    shell::startup::resolve(&mut model, &mut sources, kb, &referenced);
    skipped.extend(
        boundary
            .take_refused()
            .into_iter()
            .map(|(path, refusal)| discover::Skipped {
                path,
                reason: refusal.reason(),
            }),
    );
    conclude(model, sources, errors, skipped, opts, kb)
}

/// Checks a finished model and filters the findings (configuration, suppressions,
/// `--select`/`--ignore`, the files asked for, the baseline): what every way of
/// building a model (the scanned tree, an audit's exports) shares.
pub(crate) fn conclude(
    mut model: Model,
    mut sources: Sources,
    mut errors: Vec<InputError>,
    skipped: Vec<discover::Skipped>,
    opts: &Options,
    kb: &Knowledge,
) -> Outcome {
    apply_config_identities(&opts.config, &mut model, &mut sources);

    let extended;
    let kb =
        if opts.config.config.custom_roles.is_empty() && opts.config.config.api_scopes.is_empty() {
            kb
        } else {
            extended = kb.extended(&opts.config.config);
            &extended
        };
    let strategy = opts
        .strategy
        .or(opts.config.config.fix.strategy.map(Into::into))
        .unwrap_or(fix::Strategy::Auto);
    check::custom_roles::note_unjudged(&mut model, kb);
    let findings = check::run(&model, kb, &sources, strategy);
    let findings = suppress::apply(
        findings,
        &mut sources,
        &opts.config,
        opts.inline_suppressions,
    );
    let requested = requested_files(&sources, &opts.paths);
    let mut findings: Vec<Finding> = findings
        .into_iter()
        .filter_map(|f| configure(f, opts))
        .filter(|f| involves_requested(f, requested.as_deref()))
        .collect();
    let mut baseline = None;
    if let Some(path) = &opts.baseline {
        match baseline::apply(path, findings.clone(), &sources) {
            Ok((kept, stats)) => {
                findings = kept;
                baseline = Some(stats);
            }
            Err(message) => errors.push(InputError {
                file: discover::display_path(path),
                line: 0,
                column: 0,
                message,
                source: None,
            }),
        }
    }
    fix::build::build_patches(&mut findings, &model, &sources, kb);
    fix::shared::mark_shared_literals(&mut findings, &model);
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
        baseline,
        skipped,
    }
}

/// Whether the configuration's `exclude` globs match `path`.
fn excluded(config: &config::Loaded, path: &std::path::Path) -> bool {
    if config.config.exclude.is_empty() {
        return false;
    }
    let (Ok(abs), Ok(base)) = (std::path::absolute(path), std::path::absolute(&config.base)) else {
        return false;
    };
    let Ok(rel) = abs.strip_prefix(&base) else {
        return false;
    };
    let rel = rel.to_string_lossy().replace('\\', "/");
    config
        .config
        .exclude
        .iter()
        .any(|g| suppress::glob_match(g, &rel))
}

/// Applies rule settings from the configuration and `--select`/`--ignore`.
fn configure(mut f: Finding, opts: &Options) -> Option<Finding> {
    let named = |list: &[String]| list.iter().any(|r| r == f.rule.code || r == f.rule.name);
    if (!opts.select.is_empty() && !named(&opts.select)) || named(&opts.ignore) {
        return None;
    }
    let setting = opts
        .config
        .config
        .rules
        .iter()
        .find(|(k, _)| *k == f.rule.code || *k == f.rule.name)
        .map(|(_, v)| *v);
    match setting {
        Some(config::RuleSetting::Off) => return None,
        Some(config::RuleSetting::Error) => f.severity = finding::Severity::Error,
        Some(config::RuleSetting::Warning) => f.severity = finding::Severity::Warning,
        Some(config::RuleSetting::Note) => f.severity = finding::Severity::Note,
        None => {}
    }
    Some(f)
}

/// With files named on the command line (the pre-commit case), only findings
/// that involve one of them count; directories count as a whole. `None` when
/// every root is a directory; else whether each source file was requested,
/// decided once per file (not once per location of every finding).
fn requested_files(sources: &Sources, roots: &[PathBuf]) -> Option<Vec<bool>> {
    let is_dir: Vec<bool> = roots.iter().map(|r| r.is_dir()).collect();
    if is_dir.iter().all(|d| *d) {
        return None;
    }
    let named: Vec<(&PathBuf, Option<PathBuf>)> = roots
        .iter()
        .zip(&is_dir)
        .filter(|(_, d)| !**d)
        .map(|(r, _)| (r, std::path::absolute(r).ok()))
        .collect();
    let dirs: Vec<&PathBuf> = roots
        .iter()
        .zip(&is_dir)
        .filter(|(_, d)| **d)
        .map(|(r, _)| r)
        .collect();
    Some(
        sources
            .iter()
            .map(|(_, src)| {
                let abs = std::path::absolute(&src.path).ok();
                dirs.iter().any(|d| src.path.starts_with(d))
                    || named.iter().any(|(r, r_abs)| match (&abs, r_abs) {
                        (Some(a), Some(b)) => a == b,
                        _ => src.path == **r,
                    })
            })
            .collect(),
    )
}

fn involves_requested(f: &Finding, requested: Option<&[bool]>) -> bool {
    let Some(requested) = requested else {
        return true;
    };
    let mut files = vec![f.primary.file];
    files.extend(f.related.iter().map(|r| r.loc.file));
    files.extend(f.workload_loc.iter().map(|l| l.file));
    files.extend(
        f.fix
            .iter()
            .flat_map(|x| x.edits.iter().map(|e| e.loc.file)),
    );
    files
        .iter()
        .any(|id| requested.get(id.0 as usize).copied().unwrap_or(false))
}

/// Roles the configuration says identities hold outside the scanned code become
/// grants located in the configuration file.
fn apply_config_identities(config: &config::Loaded, model: &mut Model, sources: &mut Sources) {
    let c = &config.config;
    if let Some(email) = &c.default_service_account {
        let email = email.trim().to_ascii_lowercase();
        let map = |id: &mut model::Identity| {
            if *id == model::Identity::Email(email.clone()) {
                *id = model::Identity::DefaultCompute(None);
            }
        };
        model.grants.iter_mut().for_each(|g| map(&mut g.member));
        for w in &mut model.workloads {
            if let model::Account::Attached { identity, .. } = &mut w.account {
                map(identity);
            }
        }
    }
    if c.identities.is_empty() && c.default_service_account_roles.is_empty() {
        return;
    }
    let Some(path) = &config.path else {
        return;
    };
    let file = sources.push(SourceFile::new(
        discover::display_path(path),
        path.clone(),
        config.text.clone(),
    ));
    let at = |needle: &str| {
        let start = config.text.find(needle).unwrap_or(0);
        source::Loc::new(file, start..start + needle.len())
    };
    let mut add = |member: model::Identity, role: &String, key: &str| {
        model.grants.push(model::Grant {
            role: role.clone(),
            member,
            address: format!("{} {key}", config::FILE_NAME),
            loc: at(role),
            unit: model::Unit::everywhere().clone(),
        });
    };
    for (email, roles) in &c.identities {
        for role in roles {
            add(model::Identity::from_email(email), role, "identities");
        }
    }
    for role in &c.default_service_account_roles {
        add(
            model::Identity::DefaultCompute(None),
            role,
            "default_service_account_roles",
        );
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

/// The facts of the Config Connector files: each directory is one deployment
/// unit; `Namespace` objects anywhere in the tree give their namespace's project.
fn krm_model(dirs: &BTreeMap<PathBuf, Vec<krm::Object>>, sources: &Sources) -> Model {
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
type Referenced<'r> = (Reader<'r>, &'r boundary::Boundary);

/// Reads the configuration files of a module directory (not its
/// subdirectories), when the directory is inside the boundary.
fn load_module_dir(
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
        match load(id, &c, kb, read(&c.path), Parse::Now) {
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
fn read_input(opts: &Options, path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let links = if opts.paths.iter().any(|p| p == path) {
        read::Links::Follow
    } else {
        read::Links::Refuse
    };
    read::file(path, limit, links)
}

/// The error entry for a file whose analysis panicked.
fn internal_error(file: String, why: &str) -> InputError {
    InputError {
        file,
        line: 0,
        column: 0,
        message: contain::message(why),
        source: None,
    }
}

/// `10 MiB`, `1.5 KiB`, `12 bytes`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let shown = format!("{value:.1}");
    let shown = shown.strip_suffix(".0").unwrap_or(&shown);
    format!("{shown} {}", UNITS[unit])
}

/// 1-based line and column (in characters, invalid bytes counting one each) of byte `at`.
fn line_column(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = String::from_utf8_lossy(bytes.get(..at).unwrap_or_default());
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Whether [`load`] parses a Terraform configuration or variable file, or
/// leaves it for [`terraform_model`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parse {
    Now,
    Later,
}

fn load(
    id: FileId,
    c: &Candidate,
    kb: &Knowledge,
    bytes: Result<Vec<u8>, String>,
    parse: Parse,
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
    let unparsable = |src, e: shell::ParseError| {
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
        return match shell::analyze(id, kind, &src, kb) {
            Ok(mut m) => {
                // Each script, workflow or Cloud Build file is a deployment unit of its own.
                m.assign_unit(&model::Unit::new(&display));
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
fn parse_terraform(id: FileId, kind: discover::FileKind, src: SourceFile) -> Loaded {
    match parse_source(id, kind, &src) {
        Ok(parsed) => Loaded::Parsed(src, parsed),
        Err(e) => Loaded::Broken(Some(src), e),
    }
}

fn parse_source(
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

/// The model of the Terraform inputs. Without plans, module directories are
/// parsed and evaluated one group at a time ([`terraform::groups`]), on every
/// core, so that only the syntax trees of the groups in progress are in
/// memory; a group that calls directories outside the scanned tree reads them
/// as it goes, one group at a time. Plans need every root at once.
fn terraform_model(
    mut inputs: terraform::project::Inputs,
    deferred: Vec<(&Candidate, FileId)>,
    (sources, errors): (&mut Sources, &mut Vec<InputError>),
    kb: &Knowledge,
    read: Referenced<'_>,
) -> Model {
    let parse = |files: &[(&Candidate, FileId)], sources: &Sources| {
        files
            .par_iter()
            .map(|(c, id)| {
                let parsed = sources
                    .get(*id)
                    .map(|src| parse_source(*id, c.kind, src))
                    .transpose();
                (c.path.clone(), *id, parsed)
            })
            .collect::<Vec<_>>()
    };
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
    if inputs.has_plans() {
        add(&mut inputs, errors, parse(&deferred, sources));
        return terraform::project::analyse(inputs, &mut |dir| {
            load_module_dir(dir, sources, errors, kb, read)
        });
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

    // Groups that read nothing else: in parallel.
    let shared: &Sources = sources;
    let done: Vec<Option<GroupResult>> = groups
        .par_iter()
        .map(|g| {
            if g.reaches_outside {
                return None;
            }
            let files = files_of(g);
            contain::contained(|| {
                let mut inputs = terraform::project::Inputs::default();
                let mut errs = Vec::new();
                add(&mut inputs, &mut errs, parse(&files, shared));
                let mut called_outside = false;
                let roots = terraform::project::analyse_roots(inputs, &mut |dir| {
                    called_outside |= has_configuration_files(dir);
                    Vec::new()
                });
                (!called_outside).then_some((roots, errs))
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
        add(&mut inputs, errors, parse(&all, sources));
        return terraform::project::analyse(inputs, &mut |dir| {
            load_module_dir(dir, sources, errors, kb, read)
        });
    }
    let mut roots: Vec<(PathBuf, Model)> = Vec::new();
    // Module directories outside the tree, read once even when several groups call them.
    let mut outside: BTreeMap<PathBuf, Vec<terraform::module::ParsedFile>> = BTreeMap::new();
    for (g, result) in groups.iter().zip(done) {
        match result {
            Some((r, errs)) => {
                roots.extend(r);
                errors.extend(errs);
            }
            None => {
                let mut inputs = terraform::project::Inputs::default();
                add(&mut inputs, errors, parse(&files_of(g), sources));
                roots.extend(terraform::project::analyse_roots(inputs, &mut |dir| {
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
    model
}

/// What evaluating one group gave: each root module's model, and the files
/// that could not be parsed.
type GroupResult = (Vec<(PathBuf, Model)>, Vec<InputError>);

/// Whether `dir` holds a Terraform configuration file (a module to load).
fn has_configuration_files(dir: &Path) -> bool {
    read::regular_files(dir)
        .iter()
        .any(|path| discover::FileKind::of(path).is_some_and(|k| k.is_configuration()))
}
