//! `scopelint rule CODE`: print a rule's documentation page from `rules/`.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct RuleArgs {
    /// A rule code (SL001) or name (insufficient-scope); omit to list every rule.
    rule: Option<String>,
}

pub fn run(args: &RuleArgs) -> ExitCode {
    let metas: Vec<&scopelint::finding::RuleMeta> = scopelint::check::all_rules().collect();
    let Some(wanted) = &args.rule else {
        for m in &metas {
            println!(
                "{}  {:<26} {:<8} {}",
                m.code,
                m.name,
                m.severity.as_str(),
                m.summary
            );
        }
        return ExitCode::SUCCESS;
    };
    let meta = metas
        .iter()
        .find(|m| m.code.eq_ignore_ascii_case(wanted) || m.name == wanted);
    match meta {
        Some(m) => {
            let text = m.page;
            print!("{text}");
            ExitCode::SUCCESS
        }
        None => {
            let names = metas.iter().flat_map(|m| [m.code, m.name]);
            let hint = scopelint::knowledge::nearest(wanted, names)
                .map_or(String::new(), |n| format!("; did you mean `{n}`?"));
            eprintln!("scopelint: unknown rule `{wanted}`{hint}");
            ExitCode::from(2)
        }
    }
}
