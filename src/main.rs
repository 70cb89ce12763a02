//! The `scopelint` command line: parse arguments, run the pipeline, render,
//! and turn the outcome into an exit code.

mod cli;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
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

const CHECK_ABOUT: &str = "\
Analyse the files under PATHS and report Compute Engine workloads (VMs,
instance templates, GKE nodes, Dataproc clusters) whose OAuth scopes do not
cover the APIs that their service account's IAM roles are for.

Read, in directories walked recursively (.gitignore honoured):
  Terraform and OpenTofu   *.tf, *.tofu, *.tf.json, *.tofu.json, terraform.tfvars,
                           *.auto.tfvars (and .json), installed modules
  plans                    terraform show -json PLANFILE output (*.json)
  shell scripts            *.sh, *.bash, or a sh/bash shebang: gcloud commands
  GitHub Actions workflows .github/workflows/*.yml: gcloud in run: steps
  Cloud Build configs      cloudbuild*.yaml: gcloud in build steps
Startup scripts inside Terraform and gcloud commands are read too.";

const CHECK_EXITS: &str = "\
Exit status:
  0  no finding at or above --fail-level, and every input was read
  1  a finding at or above --fail-level
  2  an input could not be read or parsed, or a usage, configuration or
     output error; the report is still written with every finding and error

--exit-zero turns 1 into 0; it never hides 2. With --write-baseline a run
that records its findings exits 0 (or 2).";

#[derive(Subcommand)]
enum Command {
    /// Analyse Terraform, plans, scripts, workflows and Cloud Build configs
    /// and report workloads whose scopes do not cover their roles.
    #[command(long_about = CHECK_ABOUT, after_long_help = CHECK_EXITS)]
    Check(cli::check::CheckArgs),
    /// Audit what already runs, from gcloud's JSON exports of instances, IAM policies and services.
    Audit(cli::audit::AuditArgs),
    /// Explain a 403 from a Google API's error body: scopes, IAM or a disabled API, and the fix.
    #[command(name = "why-403")]
    Why403(cli::why403::WhyArgs),
    /// Print a rule's documentation, or list every rule.
    Rule(cli::rule::RuleArgs),
    /// Explain a role, an API or a scope alias, or judge scopes against roles as `check` would.
    Explain(cli::explain::ExplainArgs),
    /// Query the embedded knowledge base (`kb stats`).
    Kb(cli::kb::KbArgs),
    /// Run the language server (LSP over standard input and output): findings
    /// as you type, quick fixes, hover on scopes, roles and workloads.
    Lsp(cli::lsp::LspArgs),
}

/// `--version` names the knowledge base's data versions too: a verdict
/// depends on them as much as on the code.
fn long_version() -> String {
    let mut s = env!("CARGO_PKG_VERSION").to_string();
    if let Ok(kb) = scopelint::knowledge::Knowledge::get() {
        s.push_str("\nknowledge base:");
        for line in kb.data_versions().lines() {
            s.push_str("\n  ");
            s.push_str(&line);
        }
    }
    s
}

fn main() -> ExitCode {
    let mut command = Cli::command();
    // Only `--version` reads the knowledge base here; clap keeps a `&'static str`.
    if std::env::args_os().any(|a| a == "--version") {
        command = command.long_version(long_version().leak() as &'static str);
    }
    let matches = command.get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // A bug must not show up as a raw panic: report it and exit 2.
    std::panic::set_hook(Box::new(|info| {
        eprintln!(
            "scopelint: internal error: {info}\nThis is a bug in scopelint; please report it with the input that caused it."
        );
    }));
    match std::panic::catch_unwind(|| match cli.command {
        Command::Check(args) => cli::check::run(&args),
        Command::Audit(args) => cli::audit::run(&args),
        Command::Why403(args) => cli::why403::run(&args),
        Command::Rule(args) => cli::rule::run(&args),
        Command::Explain(args) => cli::explain::run(&args),
        Command::Kb(args) => cli::kb::run(&args),
        Command::Lsp(args) => cli::lsp::run(&args),
    }) {
        Ok(code) => code,
        Err(_) => ExitCode::from(2),
    }
}
