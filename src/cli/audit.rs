//! `scopelint audit`: the analysis of `check` on exports of what already
//! runs, and a script that fixes the running VMs.

use super::check::{FailLevel, load_config, print_unresolved, rule_filters};
use super::output;
use scopelint::Options;
use scopelint::audit::{self, Inputs, Named};
use scopelint::fix::Strategy;
use scopelint::knowledge::Knowledge;
use scopelint::model::Unresolved;
use scopelint::render::pretty::ColorChoice;
use scopelint::render::visible::visible;
use scopelint::render::{self, Format};
use scopelint::source::Sources;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct AuditArgs {
    /// `gcloud compute instances list --format=json` output (repeatable).
    #[arg(long, value_name = "FILE")]
    instances: Vec<PathBuf>,
    /// `gcloud projects get-iam-policy PROJECT --format=json` output, as
    /// PROJECT=FILE (also folders/ID=FILE, organizations/ID=FILE); FILE alone
    /// when every instance read is in one project (repeatable).
    #[arg(long, value_name = "[PROJECT=]FILE")]
    iam_policy: Vec<String>,
    /// `gcloud services list --enabled --format=json` output, as [PROJECT=]FILE (repeatable).
    #[arg(long, value_name = "[PROJECT=]FILE")]
    services: Vec<String>,
    /// `gcloud container node-pools list --cluster C --format=json` output (repeatable).
    #[arg(long, value_name = "FILE")]
    node_pools: Vec<PathBuf>,
    /// A Cloud Asset Inventory export, one JSON asset per line (`gcloud asset
    /// export --content-type=resource` or `--content-type=iam-policy`; repeatable).
    #[arg(long, value_name = "FILE")]
    asset_export: Vec<PathBuf>,
    /// Report larger exports as errors instead of reading them (`10MiB`, `1GiB`; 0: no limit).
    #[arg(long, value_name = "SIZE", default_value = "100MiB", value_parser = super::check::parse_size)]
    max_file_size: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    format: Format,
    /// When to colour the pretty output: auto, always or never (as for `check`).
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Write the report to FILE instead of standard output (`-`: standard output).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write a bash script that changes the scopes of every running VM with a finding.
    #[arg(long, value_name = "FILE")]
    fix_script: Option<PathBuf>,
    /// Exit with 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailLevel::Warning)]
    fail_level: FailLevel,
    /// How the fixes widen the scopes (default: the configuration's, else auto).
    #[arg(long, value_enum)]
    fix_strategy: Option<Strategy>,
    /// Also say what could not be resolved.
    #[arg(long, short)]
    verbose: bool,
    /// Configuration file (rules, custom roles, identities' roles held elsewhere).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Only report these rules (codes or names, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,
    /// Never report these rules (codes or names, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// Always exit 0 when the analysis ran (report-only runs).
    #[arg(long)]
    exit_zero: bool,
}

pub fn run(args: &AuditArgs) -> ExitCode {
    let kb = match Knowledge::get() {
        Ok(kb) => kb,
        Err(e) => {
            eprintln!("scopelint: internal error: the embedded knowledge base is invalid: {e}");
            return ExitCode::from(2);
        }
    };
    let inputs = Inputs {
        instances: args.instances.clone(),
        iam_policies: args.iam_policy.iter().map(|a| Named::parse(a)).collect(),
        services: args.services.iter().map(|a| Named::parse(a)).collect(),
        node_pools: args.node_pools.clone(),
        asset_exports: args.asset_export.clone(),
    };
    if inputs.instances.is_empty()
        && inputs.node_pools.is_empty()
        && inputs.asset_exports.is_empty()
    {
        eprintln!(
            "scopelint: audit needs workloads to judge: give --instances FILE (gcloud compute instances list --format=json), --node-pools FILE or --asset-export FILE"
        );
        return ExitCode::from(2);
    }
    let Ok(config) = load_config(args.config.as_deref(), kb) else {
        return ExitCode::from(2);
    };
    let Ok((select, ignore)) = rule_filters(&args.select, &args.ignore) else {
        return ExitCode::from(2);
    };
    let opts = Options {
        strategy: args.fix_strategy,
        config,
        select,
        ignore,
        inline_suppressions: false,
        max_file_size: Some(args.max_file_size),
        ..Options::default()
    };
    let audit = match audit::run(&inputs, &opts, kb) {
        Ok(r) => r,
        Err(usage) => {
            eprintln!("scopelint: {}", visible(&usage));
            return ExitCode::from(2);
        }
    };
    for target in [&args.output, &args.fix_script].into_iter().flatten() {
        if audit::is_input(&inputs, target) {
            eprintln!(
                "scopelint: refusing to write to {}: it is an input of this audit",
                visible(&target.display().to_string())
            );
            return ExitCode::from(2);
        }
    }
    let outcome = &audit.outcome;
    let destination = match output::destination(args.output.as_deref(), &outcome.sources) {
        Ok(d) => d,
        Err(why) => {
            eprintln!("scopelint: refusing to write the report: {why}");
            return ExitCode::from(2);
        }
    };
    let notes =
        |sources: &Sources, unresolved: &[Unresolved]| print_unresolved(sources, unresolved);
    let mut stream = audit.stream;
    if args.verbose {
        stream = stream.with_notes(&notes);
    }
    if args.fix_script.is_some() {
        stream = stream.with_fixes();
    }
    let cx = output::context(args.output.as_deref(), args.color);
    // Written as the workloads are checked, a piece at a time: the report
    // of a large estate is never held whole, nor are its findings.
    let mut written = output::emit_with(&destination, |out| {
        render::write_pieces(args.format, outcome, &stream, &cx, out)
    })
    .is_ok();
    let left = stream.finish();
    if let (Some(_), false) = (&args.fix_script, left.complete) {
        eprintln!(
            "scopelint: the report stopped before every VM was checked: no fix script written"
        );
        written = false;
    } else if let Some(path) = &args.fix_script {
        if !audit::changes_a_vm(&left.to_fix) {
            eprintln!("scopelint: no running VM needs a change: no fix script written");
        } else {
            match output::destination(Some(path), &outcome.sources) {
                Ok(to) => {
                    written &= output::emit_with(&to, |out| {
                        audit::write_fix_script(&left.to_fix, &left.running, kb, out).map(|_| ())
                    })
                    .is_ok();
                    eprintln!(
                        "scopelint: fix script written to {}",
                        visible(&path.display().to_string())
                    );
                }
                Err(why) => {
                    eprintln!("scopelint: refusing to write the fix script: {why}");
                    written = false;
                }
            }
        }
    }
    if !written {
        return ExitCode::from(2);
    }
    let errors = !outcome.errors.is_empty() || !left.late_errors.is_empty();
    if args.exit_zero && !errors {
        return ExitCode::SUCCESS;
    }
    if errors {
        ExitCode::from(2)
    } else if left.worst >= Some(args.fail_level.severity()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
