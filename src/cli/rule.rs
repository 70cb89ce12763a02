//! `scopelint rule CODE`: print a rule's documentation page from `rules/`.

use std::process::ExitCode;

/// The documentation pages, by rule code (the same pages SARIF's helpUri links to).
pub const PAGES: &[(&str, &str)] = &[
    ("SL001", include_str!("../../rules/SL001.md")),
    ("SL002", include_str!("../../rules/SL002.md")),
    ("SL003", include_str!("../../rules/SL003.md")),
    ("SL004", include_str!("../../rules/SL004.md")),
    ("SL005", include_str!("../../rules/SL005.md")),
    ("SL006", include_str!("../../rules/SL006.md")),
    ("SL007", include_str!("../../rules/SL007.md")),
    ("SL900", include_str!("../../rules/SL900.md")),
];

#[derive(clap::Args)]
pub struct RuleArgs {
    /// A rule code (SL001) or name (insufficient-scope); omit to list every rule.
    rule: Option<String>,
}

pub fn run(args: &RuleArgs) -> ExitCode {
    let metas: Vec<&scopelint::finding::RuleMeta> = scopelint::check::RULES
        .iter()
        .map(|r| r.meta())
        .chain(std::iter::once(&scopelint::suppress::UNUSED))
        .collect();
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
    let page = meta.and_then(|m| PAGES.iter().find(|(c, _)| *c == m.code));
    match page {
        Some((_, text)) => {
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
