//! The subcommands of the `scopelint` binary, one file each.

pub mod audit;
pub mod check;
pub mod explain;
pub mod kb;
pub mod lsp;
pub mod output;
pub mod rule;
pub mod why403;

use clap::ValueEnum;
use serde::Serialize;
use std::io::Write as _;
use std::process::ExitCode;

/// How `explain` and `kb` print their answer.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnswerFormat {
    Pretty,
    Json,
}

/// Prints an answer as pretty JSON or as text; exit 2 when stdout fails.
pub fn print_answer(
    format: AnswerFormat,
    json: &impl Serialize,
    pretty: impl FnOnce() -> String,
) -> ExitCode {
    let text = match format {
        AnswerFormat::Json => {
            let mut s = serde_json::to_string_pretty(json).unwrap_or_default();
            s.push('\n');
            s
        }
        AnswerFormat::Pretty => pretty(),
    };
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
