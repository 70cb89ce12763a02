//! `scopelint lsp`: the language server, on standard input and output.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct LspArgs {
    /// Speak over standard input and output (the only transport; accepted
    /// because editors pass it).
    #[arg(long)]
    stdio: bool,
}

pub fn run(_args: &LspArgs) -> ExitCode {
    let input = std::io::BufReader::new(std::io::stdin());
    let code = scopelint::lsp::serve(input, std::io::stdout());
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
