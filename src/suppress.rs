//! Suppressions: inline `scopelint:ignore` comments and configuration waivers.
//!
//! `# scopelint:ignore SL001 reason` (also `//`) on the line above a resource
//! or attribute, or at the end of the same line, silences that rule for the
//! findings there; `# scopelint:ignore-file SL001 reason` for the whole file;
//! `until=YYYY-MM-DD` makes it expire. A suppression without a reason, or one
//! that suppresses nothing, is reported as SL900 so suppressions do not rot.
//! Only comments of the file's language count ([`crate::comments`]); an
//! `until=` that is not a date is reported and suppresses nothing.

use crate::config::{Loaded, parse_date, today};
use crate::finding::{Finding, RuleMeta};
use crate::source::{FileId, Loc, Sources};
use std::path::PathBuf;

pub use crate::check::unused_suppression::META as UNUSED;

/// One `scopelint:ignore` comment.
#[derive(Debug)]
struct Suppression {
    file: FileId,
    /// 1-based line of the comment.
    line: usize,
    loc: Loc,
    rules: Vec<String>,
    reason: String,
    until: Option<u32>,
    bad_date: Option<String>,
    whole_file: bool,
    used: bool,
}

/// Finds every suppression comment in `sources`.
fn scan(sources: &Sources) -> Vec<Suppression> {
    let mut out = Vec::new();
    for (id, file) in sources.iter() {
        // One search over the whole text; most files hold no suppression.
        if !file.text.contains("scopelint:ignore") {
            continue;
        }
        // Only a comment of the file's language: never text in a string.
        for start in crate::comments::line_comments(&file.path, &file.text) {
            let rest = file.text.get(start..).unwrap_or_default();
            let comment = rest.lines().next().unwrap_or_default();
            let body = comment
                .strip_prefix("//")
                .or_else(|| comment.strip_prefix('#'))
                .unwrap_or_default();
            let text = body.trim_start();
            if text.starts_with("scopelint:ignore") {
                let at = start + (comment.len() - text.len());
                let line = file.position(at).line;
                out.push(parse(id, line, at, text));
            }
        }
    }
    out
}

fn parse(file: FileId, line: usize, at: usize, text: &str) -> Suppression {
    let text = text.trim_end();
    let (whole_file, rest) = match text.strip_prefix("scopelint:ignore-file") {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix("scopelint:ignore").unwrap_or("")),
    };
    let mut rules = Vec::new();
    let mut until = None;
    let mut bad_date = None;
    let mut words = rest.split_whitespace().peekable();
    while let Some(w) = words.peek() {
        if let Some(d) = w.strip_prefix("until=") {
            match parse_date(d) {
                Some(v) => until = Some(v),
                None => bad_date = Some(d.to_string()),
            }
        } else if is_rule_word(w) {
            rules.extend(w.split(',').filter(|s| !s.is_empty()).map(str::to_string));
        } else {
            break;
        }
        words.next();
    }
    let reason = words.collect::<Vec<_>>().join(" ");
    Suppression {
        file,
        line,
        loc: Loc::new(file, at..at + text.len()),
        rules,
        reason,
        until,
        bad_date,
        whole_file,
        used: false,
    }
}

/// `SL001`, `SL001,SL002`, or a rule name such as `insufficient-scope`.
fn is_rule_word(w: &str) -> bool {
    w.split(',').filter(|s| !s.is_empty()).all(|s| {
        (s.len() == 5 && s.starts_with("SL") && s[2..].bytes().all(|b| b.is_ascii_digit()))
            || crate::check::all_rules().any(|r| r.name == s)
    })
}

fn matches_rule(rules: &[String], meta: &RuleMeta) -> bool {
    rules.iter().any(|r| r == meta.code || r == meta.name)
}

/// Whether suppression `s` sits on or just above a line `f` points at.
fn covers(s: &Suppression, f: &Finding, sources: &Sources) -> bool {
    if s.file != f.primary.file {
        return false;
    }
    if s.whole_file {
        return true;
    }
    let Some(src) = sources.get(s.file) else {
        return false;
    };
    let mut lines = vec![src.position(f.primary.span.start).line];
    if let Some(b) = &f.workload_loc
        && b.file == s.file
    {
        lines.push(src.position(b.span.start).line);
    }
    lines.iter().any(|&l| l == s.line || l == s.line + 1)
}

/// Removes suppressed and waived findings; adds SL900 findings and expiry notes.
pub fn apply(
    findings: Vec<Finding>,
    sources: &mut Sources,
    config: &Loaded,
    inline: bool,
) -> Vec<Finding> {
    let today = today();
    let mut sups = if inline { scan(sources) } else { Vec::new() };
    let mut used_waivers = vec![false; config.config.waivers.len()];
    let mut out = Vec::with_capacity(findings.len());
    'findings: for mut f in findings {
        for s in sups.iter_mut() {
            if !matches_rule(&s.rules, f.rule) || !covers(s, &f, sources) {
                continue;
            }
            s.used = true;
            if s.bad_date.is_some() {
                // Reported as SL900; a date that cannot be read never hides a finding.
                continue;
            }
            match s.until {
                Some(until) if until < today => {
                    f.help.push(
                        format!(
                            "a scopelint:ignore for {} expired on {}; the finding is back",
                            f.rule.code,
                            format_date(until)
                        )
                        .into(),
                    );
                }
                _ => continue 'findings,
            }
        }
        if waived(&mut f, sources, config, today, &mut used_waivers) {
            continue 'findings;
        }
        out.push(f);
    }
    for s in &sups {
        let problem = if let Some(d) = &s.bad_date {
            Some(format!("`until={d}` is not a date (YYYY-MM-DD)"))
        } else if s.rules.is_empty() {
            Some(
                "this scopelint:ignore names no rule (for example `scopelint:ignore SL001 reason`)"
                    .to_string(),
            )
        } else if s.reason.trim().is_empty() {
            Some(format!(
                "this suppression of {} gives no reason",
                s.rules.join(",")
            ))
        } else if !s.used {
            Some(format!(
                "this suppression of {} suppresses nothing",
                s.rules.join(",")
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            out.push(sl900(
                s.loc.clone(),
                message,
                "give a reason after the rule codes, or remove the comment",
            ));
        }
    }
    // Every file's path, only when a waiver may be stale.
    if used_waivers.contains(&false) {
        let paths: Vec<PathBuf> = sources.iter().map(|(_, f)| f.path.clone()).collect();
        out.extend(stale_waivers(&paths, sources, config, &used_waivers));
    }
    out
}

/// Whether a configuration waiver waives `f` (marked in `used`); an expired
/// one adds a note to `f` instead.
fn waived(
    f: &mut Finding,
    sources: &Sources,
    config: &Loaded,
    today: u32,
    used: &mut [bool],
) -> bool {
    let Some((i, w)) = waiver(f, sources, config, today) else {
        return false;
    };
    if let Some(u) = used.get_mut(i) {
        *u = true;
    }
    match w {
        Ok(()) => true,
        Err(note) => {
            f.help.push(note.into());
            false
        }
    }
}

/// Drops the findings the configuration's waivers waive, marking in `used`
/// the waivers that waived one: for a run checked a piece at a time, whose
/// stale waivers are told by [`stale_waivers`] once every piece is checked.
pub fn apply_waivers(
    findings: Vec<Finding>,
    sources: &Sources,
    config: &Loaded,
    used: &mut [bool],
) -> Vec<Finding> {
    let today = today();
    findings
        .into_iter()
        .filter_map(|mut f| (!waived(&mut f, sources, config, today, used)).then_some(f))
        .collect()
}

/// SL900 for each configuration waiver that matches files of this run but
/// waives no finding in them: stale, or naming the wrong rule. A waiver for
/// files outside the run says nothing (a run over one directory of a
/// repository with one configuration).
pub fn stale_waivers(
    paths: &[PathBuf],
    sources: &mut Sources,
    config: &Loaded,
    used: &[bool],
) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(path) = &config.path else {
        return out;
    };
    let (Ok(base), true) = (std::path::absolute(&config.base), used.contains(&false)) else {
        return out;
    };
    let relative: Vec<String> = paths
        .iter()
        .filter_map(|p| {
            let abs = std::path::absolute(p).ok()?;
            Some(
                abs.strip_prefix(&base)
                    .ok()?
                    .to_string_lossy()
                    .replace('\\', "/"),
            )
        })
        .collect();
    let stale: Vec<&crate::config::Waiver> = config
        .config
        .waivers
        .iter()
        .zip(used)
        .filter(|(w, used)| !**used && relative.iter().any(|r| glob_match(&w.path, r)))
        .map(|(w, _)| w)
        .collect();
    if stale.is_empty() {
        return out;
    }
    let read = sources
        .iter()
        .find(|(_, f)| f.path == *path)
        .map(|(id, _)| id);
    let file = match read {
        Some(id) => id,
        None => sources.push(crate::source::SourceFile::new(
            crate::discover::display_path(path),
            path.clone(),
            config.text.clone(),
        )),
    };
    for w in stale {
        let start = config.text.find(&w.path).unwrap_or(0);
        out.push(sl900(
            Loc::new(file, start..start + w.path.len()),
            format!(
                "the configuration's waiver of {} for `{}` waives nothing: no finding of {} in the files it matches",
                w.rule, w.path, w.rule
            ),
            "remove the waiver, or correct its rule or path",
        ));
    }
    out
}

fn sl900(loc: Loc, message: String, help: &str) -> Finding {
    let mut f = Finding::bare(&UNUSED, loc, message);
    f.label = "suppression".to_string();
    f.help = vec![help.into()];
    f
}

/// The configuration waiver that matches `f`, by index: `Ok` to drop it, `Err(note)` when expired.
fn waiver(
    f: &Finding,
    sources: &Sources,
    config: &Loaded,
    today: u32,
) -> Option<(usize, Result<(), String>)> {
    if config.config.waivers.is_empty() {
        return None;
    }
    let file = sources.get(f.primary.file)?;
    let abs = std::path::absolute(&file.path).ok()?;
    let base = std::path::absolute(&config.base).ok()?;
    let rel = abs
        .strip_prefix(&base)
        .ok()?
        .to_string_lossy()
        .replace('\\', "/");
    for (i, w) in config.config.waivers.iter().enumerate() {
        if (w.rule == f.rule.code || w.rule == f.rule.name) && glob_match(&w.path, &rel) {
            return Some((
                i,
                match w.expires.as_deref().and_then(parse_date) {
                    Some(d) if d < today => Err(format!(
                        "the waiver for {} on `{}` expired on {}",
                        w.rule,
                        w.path,
                        format_date(d)
                    )),
                    _ => Ok(()),
                },
            ));
        }
    }
    None
}

fn format_date(d: u32) -> String {
    format!("{:04}-{:02}-{:02}", d / 10000, d / 100 % 100, d % 100)
}

/// Glob matching for configuration paths: `*` within a path segment, `**` across segments.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    ignore::overrides::OverrideBuilder::new("/")
        .add(pattern)
        .and_then(|b| b.build())
        .is_ok_and(|o| o.matched(path, false).is_whitelist())
}
