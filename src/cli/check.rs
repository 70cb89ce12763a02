//! `scopelint check`: analyse, render, and map the outcome to an exit code.

use clap::ValueEnum;
use scopelint::finding::{Finding, Severity};
use scopelint::fix::Strategy;
use scopelint::knowledge::Knowledge;
use scopelint::render::{json, pretty};
use scopelint::{Options, Outcome};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Files or directories to analyse (directories are walked recursively).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    format: Format,
    /// Exit with 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailLevel::Warning)]
    fail_level: FailLevel,
    /// How suggested patches widen the scopes.
    #[arg(long, value_enum, default_value_t = Strategy::Auto)]
    fix_strategy: Strategy,
    /// Also say what could not be resolved.
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Pretty,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailLevel {
    Error,
    Warning,
    Note,
}

impl FailLevel {
    fn severity(self) -> Severity {
        match self {
            FailLevel::Error => Severity::Error,
            FailLevel::Warning => Severity::Warning,
            FailLevel::Note => Severity::Note,
        }
    }
}

pub fn run(args: &CheckArgs) -> ExitCode {
    let kb = match Knowledge::get() {
        Ok(kb) => kb,
        Err(e) => {
            eprintln!("scopelint: internal error: the embedded knowledge base is invalid: {e}");
            return ExitCode::from(2);
        }
    };
    let opts = Options {
        paths: args.paths.clone(),
        strategy: args.fix_strategy,
    };
    let outcome = scopelint::run(&opts, kb);
    let findings: Vec<&Finding> = outcome.findings.iter().collect();
    let text = match args.format {
        Format::Json => json::render(&outcome, &findings),
        Format::Pretty => {
            let terminal = std::io::stdout().is_terminal();
            let color = terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let width = terminal_width().unwrap_or(100);
            pretty::render(&outcome, &findings, pretty::Style { color, width })
        }
    };
    if args.verbose {
        report_unresolved(&outcome);
    }
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::from(2);
    }
    exit_code(&outcome, args.fail_level.severity())
}

fn exit_code(outcome: &Outcome, fail_level: Severity) -> ExitCode {
    if !outcome.errors.is_empty() {
        ExitCode::from(2)
    } else if outcome.findings.iter().any(|f| f.severity >= fail_level) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn report_unresolved(outcome: &Outcome) {
    for u in &outcome.model.unresolved {
        if let Some(f) = outcome.sources.get(u.loc.file) {
            let p = f.position(u.loc.span.start);
            eprintln!(
                "{}:{}:{}: unresolved: {}",
                f.display, p.line, p.column, u.what
            );
        }
    }
}

fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS").ok()?.parse().ok()
}
