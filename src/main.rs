//! The `scopelint` command line: parse arguments, run the pipeline, render,
//! and turn the outcome into an exit code.

mod cli;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "scopelint",
    version,
    about = "Finds Compute Engine workloads whose OAuth scopes do not cover the APIs their IAM roles are for"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse Terraform configurations and report scope mismatches.
    Check(cli::check::CheckArgs),
    /// Print a rule's documentation, or list every rule.
    Rule(cli::rule::RuleArgs),
    /// Explain a role, an API or a scope alias, or judge scopes against roles as `check` would.
    Explain(cli::explain::ExplainArgs),
    /// Query the embedded knowledge base (`kb stats`).
    Kb(cli::kb::KbArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A bug must not show up as a raw panic: report it and exit 2.
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "scopelint: internal error: {info}\nThis is a bug in scopelint; please report it with the input that caused it."
        );
    }));
    match std::panic::catch_unwind(|| match cli.command {
        Command::Check(args) => cli::check::run(&args),
        Command::Rule(args) => cli::rule::run(&args),
        Command::Explain(args) => cli::explain::run(&args),
        Command::Kb(args) => cli::kb::run(&args),
    }) {
        Ok(code) => code,
        Err(_) => ExitCode::from(2),
    }
}
