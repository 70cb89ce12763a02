//! `--format gitlab`: a GitLab Code Quality report (the Code Climate subset
//! GitLab reads): a JSON array of issues with description (the message and
//! the remediation, which is what GitLab shows), check_name, a
//! unique fingerprint, severity (error → critical, warning → major,
//! note → info), and location.path (repository-relative) with lines.begin
//! and lines.end. Files that could not be read or parsed are issues too
//! (check_name `scopelint-input-error`, severity critical). Written without a
//! byte order mark, which GitLab's parser rejects.

use super::Pieces;
use super::help::{one_line, short_help};
use super::paths::RepoPaths;
use super::position::positions;
use crate::finding::{Applicability, Finding, Severity};
use crate::outcome::{InputError, Outcome};
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::{self, Write};

#[derive(Serialize)]
struct Issue {
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: String,
    description: String,
    content: Content,
    categories: Vec<&'static str>,
    severity: &'static str,
    fingerprint: String,
    location: Location,
}

#[derive(Serialize)]
struct Content {
    body: String,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

/// GitLab's severity of a finding.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Note => "info",
    }
}

/// FNV-1a, like [`Finding::fingerprint`], for issues that are not findings.
fn hash(key: &str) -> String {
    let h = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{h:016x}")
}

/// Makes every fingerprint unique: GitLab shows issues with equal fingerprints once.
fn unique(seen: &mut BTreeSet<String>, fp: String) -> String {
    let mut candidate = fp.clone();
    let mut n = 1;
    while !seen.insert(candidate.clone()) {
        n += 1;
        candidate = format!("{fp}-{n}");
    }
    candidate
}

/// What GitLab shows of a finding: the message, then what to do about it
/// (the first piece of advice and the patch), since `content.body` is not
/// shown in merge requests.
fn description(f: &Finding) -> String {
    let mut out = one_line(&f.message);
    if let Some(help) = short_help(f) {
        out.push_str(". Help: ");
        out.push_str(&help);
    }
    if let Some(fix) = &f.fix {
        out.push_str(match fix.applicability {
            Applicability::Safe => ". Suggested patch (scopelint check --fix): ",
            Applicability::Unsafe => ". Suggested patch (scopelint check --fix --unsafe-fixes): ",
            Applicability::DisplayOnly => ". Suggested patch (scopelint check --diff shows it): ",
        });
        out.push_str(&one_line(&fix.description));
    }
    out
}

/// The report, pretty-printed, with a trailing newline.
pub fn render(outcome: &Outcome, findings: &[&Finding], repo: &RepoPaths) -> String {
    let whole = super::Whole {
        sources: &outcome.sources,
        findings,
    };
    super::written::written(|out| write(outcome, &whole, repo, out))
        .unwrap_or_else(|_| "[]\n".to_string())
}

/// [`render`], written to `out` an issue at a time.
pub fn write(
    outcome: &Outcome,
    pieces: &dyn Pieces,
    repo: &RepoPaths,
    out: &mut dyn Write,
) -> io::Result<()> {
    let issues = Issues {
        outcome,
        pieces,
        repo,
    };
    super::written::pretty_json(&issues, out)
}

/// Every input error, then every finding, each made into an issue only as
/// it is written: a report of many findings never holds them all as issues.
/// Errors found while the findings were made follow them.
struct Issues<'a> {
    outcome: &'a Outcome,
    pieces: &'a dyn Pieces,
    repo: &'a RepoPaths,
}

impl Serialize for Issues<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let repo = self.repo;
        let mut seq = serializer.serialize_seq(None)?;
        let mut seen = BTreeSet::new();
        for e in &self.outcome.errors {
            seq.serialize_element(&error_issue(e, repo, &mut seen))?;
        }
        super::pieces::each_finding(self.pieces, |sources, f| {
            let (file, start, end) = positions(sources, &f.primary);
            let path = repo.shown(&file);
            let mut body = f.message.clone();
            if !f.help.is_empty() {
                body.push_str("\n\n");
                body.push_str(&f.help.join("\n"));
            }
            seq.serialize_element(&Issue {
                kind: "issue",
                check_name: f.rule.code.to_string(),
                description: description(f),
                content: Content { body },
                categories: vec!["Bug Risk"],
                severity: severity(f.severity),
                fingerprint: unique(&mut seen, f.fingerprint(&path)),
                location: Location {
                    path,
                    lines: Lines {
                        begin: start.line,
                        end: end.line.max(start.line),
                    },
                },
            })
        })?;
        for e in &self.pieces.late_errors() {
            seq.serialize_element(&error_issue(e, repo, &mut seen))?;
        }
        seq.end()
    }
}

/// An input error as an issue.
fn error_issue(e: &InputError, repo: &RepoPaths, seen: &mut BTreeSet<String>) -> Issue {
    let path = repo.shown(&e.file);
    Issue {
        kind: "issue",
        check_name: "scopelint-input-error".to_string(),
        description: one_line(&format!("{}: {}", e.file, e.message)),
        content: Content {
            body: e.message.clone(),
        },
        categories: vec!["Bug Risk"],
        severity: "critical",
        fingerprint: unique(seen, hash(&format!("input|{path}|{}", e.message))),
        location: Location {
            path,
            lines: Lines {
                begin: e.line.max(1),
                end: e.line.max(1),
            },
        },
    }
}
