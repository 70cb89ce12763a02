//! `scopelint check`: analyse, render, and map the outcome to an exit code.

use super::output;
use clap::ValueEnum;
use scopelint::boundary::Boundary;
use scopelint::finding::{Finding, Severity};
use scopelint::fix::Strategy;
use scopelint::knowledge::Knowledge;
use scopelint::render::pretty::ColorChoice;
use scopelint::render::visible::{not_a_log_command, visible};
use scopelint::render::{self, Format, RepoPaths, pretty};
use scopelint::{Options, Outcome, config, fix};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Files or directories to analyse (directories are walked recursively).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    format: Format,
    /// Write the report (or the diff) to FILE instead of standard output
    /// (`-`: standard output); never to an input, a device or a FIFO.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit with 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailLevel::Warning)]
    fail_level: FailLevel,
    /// How suggested patches widen the scopes (default: the configuration's, else auto).
    #[arg(long, value_enum)]
    fix_strategy: Option<Strategy>,
    /// Print the unified diff of every patch `--fix` would apply; change nothing.
    #[arg(long, conflicts_with = "fix")]
    diff: bool,
    /// Apply the suggested patches to the files, then report what remains.
    #[arg(long)]
    fix: bool,
    /// Let `--fix` and `--diff` apply unsafe patches too: those whose
    /// deployment restarts or replaces something that may be running (a VM
    /// stopped to change its scopes, a node pool replaced).
    #[arg(long)]
    unsafe_fixes: bool,
    /// Let `--fix` and `--diff` patch files outside the scanned paths and
    /// their git work tree (modules read with --allow-read-outside).
    #[arg(long)]
    fix_outside: bool,
    /// Also say which configuration was loaded and what could not be
    /// resolved or was skipped, on standard error.
    #[arg(long, short, conflicts_with = "quiet")]
    verbose: bool,
    /// Print the findings only: no summary line, no notes on standard error.
    #[arg(long, short)]
    quiet: bool,
    /// Print how many findings each rule has, instead of the findings
    /// (text, or JSON with --format json).
    #[arg(long, conflicts_with_all = ["diff", "fix"])]
    statistics: bool,
    /// When to colour the pretty output: auto (on a terminal, unless NO_COLOR
    /// is set or TERM=dumb; FORCE_COLOR or CLICOLOR_FORCE turn it on, for CI
    /// logs), always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Configuration file (default: .scopelint.yaml in the first path or a parent).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Only report these rules (codes or names, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,
    /// Never report these rules (codes or names, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// Ignore `scopelint:ignore` comments (for audits).
    #[arg(long)]
    no_inline_suppressions: bool,
    /// Report only findings that are not recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record the current findings in a baseline file.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Exit 0 instead of 1 when there are findings (report-only runs); an
    /// input that cannot be read or parsed, a configuration error or a
    /// report that cannot be written still exits 2.
    #[arg(long)]
    exit_zero: bool,
    /// Exit 2 when no input file is found under PATHS (default: say so on
    /// standard error and exit 0).
    #[arg(long)]
    fail_on_empty: bool,
    /// Report larger files as errors instead of analysing them (`10MiB`, `512KiB`, bytes; 0: no limit).
    #[arg(long, value_name = "SIZE", default_value = "10MiB", value_parser = parse_size)]
    max_file_size: u64,
    /// Also read files that the configuration references (startup scripts,
    /// modules) inside DIR, which is outside the scanned paths and their git
    /// work tree (repeatable).
    #[arg(long, value_name = "DIR")]
    allow_read_outside: Vec<PathBuf>,
}

/// Parses `10MiB`, `10M`, `512KiB`, `512k`, `1GiB` or a plain number of bytes; 0 means no limit.
pub(super) fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a size such as 10MiB"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit `{other}` (use KiB, MiB or GiB)")),
    };
    let bytes = number
        .checked_mul(factor)
        .ok_or_else(|| format!("`{s}` is too large"))?;
    Ok(if bytes == 0 { u64::MAX } else { bytes })
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum FailLevel {
    Error,
    Warning,
    Note,
}

impl FailLevel {
    pub(super) fn severity(self) -> Severity {
        match self {
            FailLevel::Error => Severity::Error,
            FailLevel::Warning => Severity::Warning,
            FailLevel::Note => Severity::Note,
        }
    }
}

pub fn run(args: &CheckArgs) -> ExitCode {
    // A diff is no report: written to `-o x.sarif` it would pass for one.
    if args.diff && args.format != Format::Pretty {
        eprintln!(
            "scopelint: --diff prints a unified diff, not a {} report: drop --format (the sarif and json reports carry the patches as fixes)",
            args.format
                .to_possible_value()
                .map_or(String::new(), |v| v.get_name().to_string())
        );
        return ExitCode::from(2);
    }
    if args.statistics && !matches!(args.format, Format::Pretty | Format::Compact | Format::Json) {
        eprintln!(
            "scopelint: --statistics prints text or JSON: use it with --format pretty, compact or json"
        );
        return ExitCode::from(2);
    }
    let kb = match Knowledge::get() {
        Ok(kb) => kb,
        Err(e) => {
            eprintln!("scopelint: internal error: the embedded knowledge base is invalid: {e}");
            return ExitCode::from(2);
        }
    };
    let config_path = args
        .config
        .clone()
        .or_else(|| args.paths.first().and_then(|p| config::find(p)));
    let Ok(config) = load_config(config_path.as_deref(), kb) else {
        return ExitCode::from(2);
    };
    let Ok((select, ignore)) = rule_filters(&args.select, &args.ignore) else {
        return ExitCode::from(2);
    };
    let opts = Options {
        paths: args.paths.clone(),
        strategy: args.fix_strategy,
        config,
        select,
        ignore,
        inline_suppressions: !args.no_inline_suppressions,
        baseline: args.baseline.clone(),
        max_file_size: Some(args.max_file_size),
        allow_read_outside: args.allow_read_outside.clone(),
        unsafe_fixes: args.unsafe_fixes,
        focus: None,
    };
    let outcome = scopelint::run(&opts, kb);
    let destination = match output::destination(args.output.as_deref(), &outcome.sources) {
        Ok(d) => d,
        Err(why) => {
            eprintln!(
                "scopelint: refusing to write the report to {}: {why}",
                visible(
                    &args
                        .output
                        .as_deref()
                        .unwrap_or(Path::new(""))
                        .display()
                        .to_string()
                )
            );
            return ExitCode::from(2);
        }
    };
    if let Some(path) = &args.write_baseline {
        if let Err(e) = scopelint::baseline::write(path, &outcome.findings, &outcome.sources) {
            eprintln!("scopelint: cannot write baseline {}: {e}", path.display());
            return ExitCode::from(2);
        }
        let n = outcome.findings.len();
        eprintln!(
            "scopelint: baseline {} written: {n} finding{} recorded",
            visible(&path.display().to_string()),
            if n == 1 { "" } else { "s" }
        );
    }
    match outcome.baseline {
        _ if args.quiet => {}
        Some(stats) if stats.missing => eprintln!(
            "scopelint: no baseline yet ({} does not exist): every finding is reported",
            visible(
                &args
                    .baseline
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            )
        ),
        Some(stats) => eprintln!(
            "scopelint: baseline: {} known finding{} hidden, {} baselined finding{} gone",
            stats.known,
            if stats.known == 1 { "" } else { "s" },
            stats.gone,
            if stats.gone == 1 { " is" } else { "s are" }
        ),
        None => {}
    }
    let empty = outcome.sources.is_empty() && outcome.errors.is_empty();
    if empty && !args.quiet {
        let paths: Vec<String> = args
            .paths
            .iter()
            .map(|p| visible(&p.display().to_string()).into_owned())
            .collect();
        eprintln!(
            "scopelint: no Terraform, scripts, workflows or Cloud Build configs found under {}",
            paths.join(", ")
        );
    }
    if args.verbose {
        match &config_path {
            Some(p) => eprintln!(
                "scopelint: configuration: {}",
                visible(&p.display().to_string())
            ),
            None => eprintln!("scopelint: configuration: none (no .scopelint.yaml found)"),
        }
        report_unknown(&outcome, kb, &opts.config);
        report_unresolved(&outcome);
        report_joins(&outcome, kb);
    }
    let fail_level = args.fail_level.severity();
    let exit = |outcome: &Outcome| {
        // Recording a baseline is not a failing check.
        if empty && args.fail_on_empty {
            ExitCode::from(2)
        } else if (args.exit_zero || args.write_baseline.is_some()) && outcome.errors.is_empty() {
            ExitCode::SUCCESS
        } else {
            exit_code(outcome, fail_level)
        }
    };
    let plan = || {
        let mut plan = fix::plan::plan(&opts, kb, &outcome);
        eprint!("{}", plan.withheld_report());
        if !args.fix_outside {
            eprint!("{}", plan.hold_outside(&Boundary::new(&args.paths, &[])));
        }
        plan
    };
    if args.diff {
        let plan = plan();
        if output::emit(&destination, &plan.diff(&RepoPaths::detect())).is_err() {
            return ExitCode::from(2);
        }
        return exit(&outcome);
    }
    if args.fix {
        let plan = plan();
        let mut failed = false;
        for patch in &plan.patches {
            match fix::write::write(patch) {
                Ok(()) => eprintln!(
                    "scopelint: fixed {} ({})",
                    patch.display,
                    patch.fixes.join(", ")
                ),
                Err(e) => {
                    eprintln!("scopelint: not written: {}: {e}", patch.display);
                    failed = true;
                }
            }
        }
        // Report what remains, as the files now are on disk.
        let after = scopelint::run(&opts, kb);
        let written = output::emit(&destination, &report(args, &after)).is_ok();
        summary_to_stderr(args, &destination, &after);
        return if failed || !written {
            ExitCode::from(2)
        } else {
            exit(&after)
        };
    }
    if output::emit(&destination, &report(args, &outcome)).is_err() {
        return ExitCode::from(2);
    }
    summary_to_stderr(args, &destination, &outcome);
    exit(&outcome)
}

/// The summary line on stderr when the report went to a file, so that a CI
/// log says what the report holds (and that inputs failed) without opening it.
fn summary_to_stderr(args: &CheckArgs, to: &output::Destination, outcome: &Outcome) {
    if args.quiet || *to == output::Destination::Stdout {
        return;
    }
    let findings: Vec<&Finding> = outcome.findings.iter().collect();
    eprint!("{}", pretty::summary(outcome, &findings));
}

/// The configuration at `path` (none: the defaults); its errors are printed.
pub(super) fn load_config(path: Option<&Path>, kb: &Knowledge) -> Result<config::Loaded, ()> {
    let Some(path) = path else {
        return Ok(config::Loaded::default());
    };
    config::load(path, kb).map_err(|errors| {
        for e in errors {
            // No `:0:0` when the error has no place in the file.
            let at = if e.line > 0 {
                format!(":{}:{}", e.line, e.column.max(1))
            } else {
                String::new()
            };
            eprintln!(
                "{}{at}: configuration error: {}",
                visible(&e.file),
                visible(&e.message)
            );
        }
    })
}

/// `--select` and `--ignore` as rule codes or names; an unknown rule is printed, with the nearest one.
pub(super) fn rule_filters(
    select: &[String],
    ignore: &[String],
) -> Result<(Vec<String>, Vec<String>), ()> {
    let select: Vec<String> = select.iter().map(|r| rule_name(r)).collect();
    let ignore: Vec<String> = ignore.iter().map(|r| rule_name(r)).collect();
    if let Some(unknown) = select.iter().chain(&ignore).find(|r| !known_rule(r)) {
        let hint = nearest_rule(unknown)
            .map(|r| format!(" (did you mean `{r}`?)"))
            .unwrap_or_default();
        eprintln!(
            "scopelint: unknown rule `{}` in --select/--ignore{hint}",
            visible(unknown)
        );
        return Err(());
    }
    Ok((select, ignore))
}

/// The report of `outcome` in the requested format.
fn report(args: &CheckArgs, outcome: &Outcome) -> String {
    let findings: Vec<&Finding> = outcome.findings.iter().collect();
    let cx = output::context(args.output.as_deref(), args.color);
    if args.statistics {
        return statistics(args.format, &findings);
    }
    if args.quiet && args.format == Format::Pretty {
        return pretty::render_findings(outcome, &findings, cx.style);
    }
    render::render(args.format, outcome, &findings, &cx)
}

/// `--statistics`: findings per rule, most first, as ruff prints them;
/// `[*]` marks rules with a safe patch for some of their findings.
fn statistics(format: Format, findings: &[&Finding]) -> String {
    let mut rules: Vec<(&scopelint::finding::RuleMeta, usize, bool)> = Vec::new();
    for f in findings {
        match rules.iter_mut().find(|(r, ..)| r.code == f.rule.code) {
            Some((_, n, fixable)) => {
                *n += 1;
                *fixable |= f.fix_to_apply(false).is_some();
            }
            None => rules.push((f.rule, 1, f.fix_to_apply(false).is_some())),
        }
    }
    rules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.code.cmp(b.0.code)));
    if format == Format::Json {
        let list: Vec<serde_json::Value> = rules
            .iter()
            .map(|(r, n, fixable)| {
                serde_json::json!({"code": r.code, "name": r.name, "count": n, "fixable": fixable})
            })
            .collect();
        return serde_json::to_string_pretty(&list).unwrap_or_default() + "\n";
    }
    let mut out = String::new();
    for (r, n, fixable) in &rules {
        let mark = if *fixable { "[*] " } else { "    " };
        out.push_str(&format!("{n:>5}\t{}\t{mark}{}\n", r.code, r.name));
    }
    if rules.iter().any(|(_, _, fixable)| *fixable) {
        out.push_str("[*] has a patch: `scopelint check --diff` shows it, `--fix` applies it\n");
    }
    out
}

/// A rule as written on the command line: spaces around it dropped, a code
/// in any case (`sl001`) read as the code.
pub(super) fn rule_name(r: &str) -> String {
    let r = r.trim();
    let code = r.len() == 5
        && r.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("sl"))
        && r.get(2..)
            .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()));
    if code {
        r.to_ascii_uppercase()
    } else {
        r.to_string()
    }
}

/// The known rule an unknown one was probably meant to be: a code with its
/// digits padded (`SL01` is `SL001`), or a name it starts or ends.
pub(super) fn nearest_rule(r: &str) -> Option<&'static str> {
    let metas = scopelint::check::all_rules;
    let digits: String = r.chars().filter(char::is_ascii_digit).collect();
    if let Ok(n) = digits.parse::<u32>()
        && let Some(m) =
            metas().find(|m| m.code.get(2..).and_then(|d| d.parse::<u32>().ok()) == Some(n))
    {
        return Some(m.code);
    }
    let lower = r.to_ascii_lowercase();
    metas()
        .find(|m| !lower.is_empty() && (m.name.starts_with(&lower) || lower.starts_with(m.name)))
        .map(|m| m.name)
}

pub(super) fn known_rule(r: &str) -> bool {
    scopelint::check::rule(r).is_some()
}

pub(super) fn exit_code(outcome: &Outcome, fail_level: Severity) -> ExitCode {
    if !outcome.errors.is_empty() {
        ExitCode::from(2)
    } else if outcome.findings.iter().any(|f| f.severity >= fail_level) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Where facts of one deployment unit were joined with a workload of another
/// (only literal identities do that), so a user can see why a grant counts.
fn report_joins(outcome: &Outcome, kb: &Knowledge) {
    let cx = scopelint::check::assess::Context::new(&outcome.model, kb, Strategy::Auto);
    for w in &outcome.model.workloads {
        let Some(f) = outcome.sources.get(w.block.file) else {
            continue;
        };
        let p = f.position(w.block.span.start);
        for line in cx.joins_from_other_units(w) {
            eprintln!(
                "{}:{}:{}: {}",
                visible(&f.display),
                p.line,
                p.column,
                visible(&line)
            );
        }
    }
}

/// Roles and scopes the knowledge base does not know, and workloads whose
/// account or scopes are unknown, none of which is judged: `--verbose` names
/// each, where it is written.
fn report_unknown(outcome: &Outcome, kb: &Knowledge, config: &config::Loaded) {
    let at = |loc: &scopelint::source::Loc| {
        outcome.sources.get(loc.file).map(|f| {
            let p = f.position(loc.span.start);
            format!("{}:{}:{}", visible(&f.display), p.line, p.column)
        })
    };
    let mut seen = std::collections::BTreeSet::new();
    for g in &outcome.model.grants {
        // A custom role's grant has its own note, which says why it is not judged.
        let known = kb.roles.contains_key(&g.role)
            || config.config.custom_roles.contains_key(&g.role)
            || scopelint::check::custom_roles::is_custom_role_name(&g.role);
        if known || !seen.insert(g.role.clone()) {
            continue;
        }
        let line = format!(
            "{}: unknown role `{}` ({}): not judged; a custom role can be described under custom_roles in .scopelint.yaml",
            at(&g.loc).unwrap_or_default(),
            visible(&g.role),
            visible(&g.address)
        );
        eprintln!("{}", not_a_log_command(&line));
    }
    for w in &outcome.model.workloads {
        if matches!(w.account, scopelint::model::Account::Unknown) {
            let line = format!(
                "{}: skipped {} ({}): its service account or its scopes are not known (set nowhere in the files read, or from values that cannot be resolved)",
                at(&w.block).unwrap_or_default(),
                visible(&w.address),
                visible(&w.name)
            );
            eprintln!("{}", not_a_log_command(&line));
        }
        let scopelint::model::Account::Attached { scopes, .. } = &w.account else {
            continue;
        };
        for item in &scopes.items {
            if scopes.dialect.scope(kb, &item.raw).is_some() {
                continue;
            }
            let line = format!(
                "{}: unknown scope `{}` on {}: it grants nothing scopelint knows of",
                item.loc
                    .as_ref()
                    .and_then(at)
                    .unwrap_or_else(|| at(&w.block).unwrap_or_default()),
                visible(&item.raw),
                visible(&w.address)
            );
            eprintln!("{}", not_a_log_command(&line));
        }
    }
}

/// What `--verbose` adds, on stderr; names from the input shown escaped.
pub(super) fn report_unresolved(outcome: &Outcome) {
    for s in &outcome.skipped {
        let line = format!(
            "{}: skipped: {}",
            visible(&scopelint::discover::display_path(&s.path)),
            s.reason
        );
        eprintln!("{}", not_a_log_command(&line));
    }
    print_unresolved(&outcome.sources, &outcome.model.unresolved);
}

/// Says on standard error where each of `unresolved` is and what it is.
pub(super) fn print_unresolved(
    sources: &scopelint::source::Sources,
    unresolved: &[scopelint::model::Unresolved],
) {
    for u in unresolved {
        if let Some(f) = sources.get(u.loc.file) {
            let p = f.position(u.loc.span.start);
            let line = format!(
                "{}:{}:{}: unresolved: {}",
                visible(&f.display),
                p.line,
                p.column,
                visible(&u.what)
            );
            eprintln!("{}", not_a_log_command(&line));
        }
    }
}
