//! The last steps before rendering: a finished model checked against the
//! knowledge base, then its findings filtered by the configuration,
//! suppressions, `--select`/`--ignore`, the files asked for and the
//! baseline.
//!
//! Separate from reading the inputs ([`crate::input`]): every way of building
//! a model (the scanned tree, an audit's exports) ends here.

use crate::discover::{self};
use crate::finding::Finding;
use crate::knowledge::Knowledge;
use crate::model::Model;
use crate::options::Options;
use crate::outcome::{InputError, Outcome};
use crate::source::{SourceFile, Sources};
use crate::{baseline, check, config, finding, fix, model, source, suppress};
use std::path::PathBuf;

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
    kept: Option<&fix::verify::Verdicts>,
) -> Outcome {
    let judge = Judge::new(&mut model, &mut sources, opts, kb);
    let (kb, strategy) = (judge.kb(), judge.strategy);
    let findings = check::run(&model, kb, strategy);
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
    let workload_of = fix::build::build_patches(&mut findings, &model, &sources, kb, kept);
    fix::shared::mark_shared_literals(&mut findings, &workload_of, &model);
    sort_findings(&mut findings, &sources);
    errors.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    Outcome {
        sources,
        model,
        findings,
        errors,
        baseline,
        skipped,
        rules: check::all_rules().collect(),
    }
}

/// In report order: by file, place, rule and workload.
fn sort_findings(findings: &mut [Finding], sources: &Sources) {
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
}

/// What the checks of one run share: the knowledge base as the
/// configuration extends it, and the fix strategy. A run checked a piece at
/// a time (a large audit) joins every piece with the same facts.
pub(crate) struct Judge<'k> {
    base: &'k Knowledge,
    extended: Option<Knowledge>,
    strategy: fix::Strategy,
}

impl<'k> Judge<'k> {
    /// Readies the facts of `model` that every workload is judged against:
    /// the configuration's identities and the custom roles it defines.
    pub(crate) fn new(
        model: &mut Model,
        sources: &mut Sources,
        opts: &Options,
        kb: &'k Knowledge,
    ) -> Self {
        apply_config_identities(&opts.config, model, sources);
        let described = |name: &str| opts.config.config.custom_roles.contains_key(name);
        let (defined, notes) =
            check::custom_roles::judge_definitions(model, kb, &described, sources);
        model.unresolved.extend(notes);
        let judged: std::collections::BTreeSet<String> =
            defined.iter().map(|(name, _)| name.clone()).collect();
        let extended = if opts.config.config.custom_roles.is_empty()
            && opts.config.config.api_scopes.is_empty()
            && defined.is_empty()
        {
            None
        } else {
            let mut k = opts.config.config.extend(kb);
            k.roles.extend(defined);
            Some(k)
        };
        let strategy = opts
            .strategy
            .or(opts.config.config.fix.strategy.map(Into::into))
            .unwrap_or(fix::Strategy::Auto);
        check::custom_roles::note_unjudged(model, extended.as_ref().unwrap_or(kb));
        // A finding names a definition only when the role was judged by it.
        model.role_definitions.retain(|d| judged.contains(&d.name));
        Judge {
            base: kb,
            extended,
            strategy,
        }
    }

    pub(crate) fn kb(&self) -> &Knowledge {
        self.extended.as_ref().unwrap_or(self.base)
    }

    /// The joins of the facts of `model` (its grants and enabled APIs),
    /// built once for every piece of a run.
    pub(crate) fn joins<'m>(&'m self, facts: &'m Model) -> check::assess::Context<'m> {
        check::assess::Context::new(facts, self.kb(), self.strategy)
    }

    /// The findings of `piece`'s workloads, one piece of a run, joined by
    /// `joins` with the facts [`Judge::new`] readied, filtered by the
    /// configuration's rules and waivers (`used` marks those that waived a
    /// finding) and `--select`/`--ignore`, in report order. A piece has no
    /// suppression comments, baseline or files asked for.
    pub(crate) fn piece(
        &self,
        joins: &check::assess::Context<'_>,
        piece: &mut Model,
        sources: &Sources,
        opts: &Options,
        used: &mut [bool],
    ) -> Vec<Finding> {
        map_default_account(&opts.config, &mut [], &mut piece.workloads);
        let findings = check::run_on(joins, &piece.workloads);
        let findings = suppress::apply_waivers(findings, sources, &opts.config, used);
        let mut findings: Vec<Finding> = findings
            .into_iter()
            .filter_map(|f| configure(f, opts))
            .collect();
        let workload_of = fix::build::build_patches(&mut findings, piece, sources, self.kb(), None);
        fix::shared::mark_shared_literals(&mut findings, &workload_of, piece);
        sort_findings(&mut findings, sources);
        findings
    }

    /// SL900 for each waiver that matches a file of `paths` (every input of
    /// the run) but waived no finding of any piece (`used`).
    pub(crate) fn stale_waivers(
        paths: &[PathBuf],
        sources: &mut Sources,
        opts: &Options,
        used: &[bool],
    ) -> Vec<Finding> {
        suppress::stale_waivers(paths, sources, &opts.config, used)
            .into_iter()
            .filter_map(|f| configure(f, opts))
            .collect()
    }
}

/// Whether the configuration's `exclude` globs match `path`.
pub(super) fn excluded(config: &config::Loaded, path: &std::path::Path) -> bool {
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
pub(super) fn configure(mut f: Finding, opts: &Options) -> Option<Finding> {
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
pub(super) fn requested_files(sources: &Sources, roots: &[PathBuf]) -> Option<Vec<bool>> {
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

pub(super) fn involves_requested(f: &Finding, requested: Option<&[bool]>) -> bool {
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
/// The account the configuration names as the project's default compute
/// account is that account, in grants and workloads.
fn map_default_account(
    config: &config::Loaded,
    grants: &mut [model::Grant],
    workloads: &mut [model::Workload],
) {
    let Some(email) = &config.config.default_service_account else {
        return;
    };
    let email = email.trim().to_ascii_lowercase();
    let map = |id: &mut model::Identity| {
        if *id == model::Identity::Email(email.clone()) {
            *id = model::Identity::DefaultCompute(None);
        }
    };
    grants.iter_mut().for_each(|g| map(&mut g.member));
    for w in workloads {
        if let model::Account::Attached { identity, .. } = &mut w.account {
            map(identity);
        }
    }
}

pub(super) fn apply_config_identities(
    config: &config::Loaded,
    model: &mut Model,
    sources: &mut Sources,
) {
    let c = &config.config;
    map_default_account(config, &mut model.grants, &mut model.workloads);
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
