//! `--format sarif`: SARIF 2.1.0 for editors and GitHub code scanning.
//!
//! What GitHub needs and this writes: `$schema`; `tool.driver` with name,
//! version, informationUri and a `rules` array (id, name, short and full
//! description, help text and Markdown, helpUri to the rule's page,
//! `defaultConfiguration.level`, `properties.tags`, `precision`,
//! `problem.severity`); results with ruleId, ruleIndex, level, message, one
//! physical location with a repository-relative URI against `%SRCROOT%` and a
//! full region (columns in UTF-16 code units, as the run's `columnKind`
//! says), a plain-text message that links each of its `relatedLocations`
//! (the grants) as `[text](id)`, `partialFingerprints` that do not depend on
//! line numbers ([`Finding::fingerprint`]), and `fixes` for every finding
//! with a patch. No `security-severity`: the rule pages give no basis for a
//! CVSS-like number, and the level already says how bad a finding is. Files
//! that could not be read or parsed become `toolExecutionNotifications`, and
//! `executionSuccessful` is false then.

use super::Pieces;
use super::paths::RepoPaths;
use super::position::utf16_position;
use super::rules::{self, INFORMATION_URI};
use crate::finding::{Finding, RuleMeta};
use crate::outcome::{InputError, Outcome};
use crate::source::{Loc, Sources};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";
/// The `partialFingerprints` key; bump the version when the fingerprint changes meaning.
pub const FINGERPRINT_KEY: &str = "scopelintFinding/v2";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    /// Before the results when every input error is known before them.
    #[serde(rename = "invocations", skip_serializing_if = "Option::is_none")]
    invocations_before: Option<Invocations<'a>>,
    original_uri_base_ids: BTreeMap<&'static str, BaseUri>,
    results: Results<'a>,
    /// After the results when the findings come in pieces: the input errors
    /// found while the pieces were made are known only then.
    #[serde(skip_serializing_if = "Option::is_none")]
    invocations: Option<Invocations<'a>>,
    column_kind: &'static str,
}

/// The results, each made into its SARIF shape only as it is written: a
/// log of many findings never holds them all in that shape.
struct Results<'a> {
    pieces: &'a dyn Pieces,
    repo: &'a RepoPaths,
    index: &'a BTreeMap<&'a str, usize>,
}

impl Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(None)?;
        let mut seen = BTreeMap::new();
        super::pieces::each_finding(self.pieces, |sources, f| {
            seq.serialize_element(&result(sources, self.repo, self.index, &mut seen, f))
        })?;
        seq.end()
    }
}

/// The one invocation: whether it succeeded, and every input error.
struct Invocations<'a> {
    before: &'a [InputError],
    pieces: &'a dyn Pieces,
    repo: &'a RepoPaths,
}

impl Serialize for Invocations<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let late = self.pieces.late_errors();
        let errors = super::pieces::all_errors(self.before, &late);
        serializer.collect_seq([Invocation {
            execution_successful: errors.is_empty(),
            tool_execution_notifications: errors
                .iter()
                .map(|e| notification(e, self.repo))
                .collect(),
        }])
    }
}

#[derive(Serialize)]
struct BaseUri {
    description: Message,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
    /// The knowledge base's upstream data versions, which verdicts depend on.
    properties: DriverProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DriverProperties {
    knowledge_base: crate::knowledge::DataVersions,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: String,
    short_description: Message,
    full_description: Message,
    help: Help,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<&'static str>,
    precision: &'static str,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

fn message(text: impl Into<String>) -> Message {
    Message { text: text.into() }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Message,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
    properties: ResultProperties,
}

#[derive(Serialize)]
struct ResultProperties {
    workload: String,
    #[serde(rename = "workloadKind")]
    workload_kind: String,
    identity: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    apis: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    help: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    /// The cloud resource a finding of `audit` is about (the export file
    /// and line are the physical location).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Message,
    artifact_changes: Vec<ArtifactChange>,
    properties: FixProperties,
}

/// Whether a fix is applied by `--fix` (`safe`), only with `--unsafe-fixes`
/// (`unsafe`) or never (`display-only`), and why.
#[derive(Serialize)]
struct FixProperties {
    applicability: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    caveat: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    inserted_content: Content,
}

#[derive(Serialize)]
struct Content {
    text: String,
}

/// `insufficient-scope` → `InsufficientScope`: SARIF rule names are identifiers.
fn pascal(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn rule(meta: &RuleMeta) -> Rule {
    Rule {
        id: meta.code,
        name: pascal(meta.name),
        short_description: message(format!("{}.", meta.summary.trim_end_matches('.'))),
        full_description: message(meta.full_description),
        help: Help {
            text: meta.help.to_string(),
            markdown: format!(
                "{}\n[The rule's page]({})\n",
                meta.page,
                rules::help_uri(meta.code)
            ),
        },
        help_uri: rules::help_uri(meta.code),
        default_configuration: Configuration {
            level: rules::sarif_level(meta.severity),
        },
        properties: RuleProperties {
            tags: meta.tags.to_vec(),
            precision: meta.precision,
            problem_severity: rules::problem_severity(meta.severity),
        },
    }
}

/// Text for `message.text`, which GitHub shows as it is: no Markdown backticks.
fn plain(text: &str) -> String {
    text.replace('`', "")
}

/// The message with a link to each related location (`[text](id)`), so
/// that code scanning links the alert to the grants it is about.
fn linked(text: &str, related: &[Location]) -> String {
    let mut out = plain(text);
    let links: Vec<String> = related
        .iter()
        .filter_map(|l| {
            let text = l
                .message
                .as_ref()?
                .text
                .replace('[', "\\[")
                .replace(']', "\\]");
            Some(format!("[{text}]({})", l.id?))
        })
        .collect();
    if !links.is_empty() {
        out.push_str(". See: ");
        out.push_str(&links.join("; "));
        out.push('.');
    }
    out
}

/// Percent-encodes what may not appear in a URI path (RFC 3986), keeping `/`.
pub(crate) fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A repository-relative URI against `%SRCROOT%`, or an absolute `file:` URI
/// for a file outside the repository.
fn artifact(repo: &RepoPaths, display: &str) -> ArtifactLocation {
    match repo.relative(display) {
        Some(rel) => ArtifactLocation {
            uri: uri_path(&rel),
            uri_base_id: Some(SRCROOT),
        },
        None => {
            let abs = std::path::absolute(display)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_else(|_| display.to_string());
            let abs = if abs.starts_with('/') {
                abs
            } else {
                format!("/{abs}")
            };
            ArtifactLocation {
                uri: format!("file://{}", uri_path(&abs)),
                uri_base_id: None,
            }
        }
    }
}

fn region(sources: &Sources, loc: &Loc) -> Option<Region> {
    let f = sources.get(loc.file)?;
    let (start_line, start_column) = utf16_position(f, loc.span.start);
    let (end_line, end_column) = utf16_position(f, loc.span.end.max(loc.span.start));
    Some(Region {
        start_line,
        start_column,
        end_line,
        end_column,
    })
}

fn location(sources: &Sources, repo: &RepoPaths, loc: &Loc) -> Option<Location> {
    let f = sources.get(loc.file)?;
    Some(Location {
        id: None,
        physical_location: PhysicalLocation {
            artifact_location: artifact(repo, &f.display),
            region: region(sources, loc),
        },
        logical_locations: Vec::new(),
        message: None,
    })
}

/// A running resource read from an export (its kind is a Cloud Asset type
/// such as `compute.googleapis.com/Instance`): its resource name, as Cloud
/// Asset Inventory writes it.
fn cloud_resource(f: &Finding) -> Option<LogicalLocation> {
    let (service, _) = f.workload.kind.split_once('/')?;
    service
        .ends_with(".googleapis.com")
        .then(|| LogicalLocation {
            name: f.workload.name.clone(),
            fully_qualified_name: format!("//{service}/{}", f.workload.address),
            kind: "resource",
        })
}

fn result(
    sources: &Sources,
    repo: &RepoPaths,
    index: &BTreeMap<&str, usize>,
    seen: &mut BTreeMap<String, usize>,
    f: &Finding,
) -> SarifResult {
    let display = sources
        .get(f.primary.file)
        .map(|s| s.display.as_str())
        .unwrap_or_default();
    let related: Vec<Location> = f
        .related
        .iter()
        .filter_map(|r| {
            let mut l = location(sources, repo, &r.loc)?;
            l.message = Some(message(plain(&r.message)));
            Some(l)
        })
        .enumerate()
        .map(|(i, mut l)| {
            l.id = Some(i + 1);
            l
        })
        .collect();
    let fixes = f
        .fix
        .iter()
        .chain(&f.alternatives)
        .filter_map(|fix| {
            let mut by_file: BTreeMap<_, Vec<Replacement>> = BTreeMap::new();
            for e in &fix.edits {
                by_file.entry(e.loc.file).or_default().push(Replacement {
                    deleted_region: region(sources, &e.loc)?,
                    inserted_content: Content {
                        text: e.replacement.clone(),
                    },
                });
            }
            let artifact_changes = by_file
                .into_iter()
                .map(|(file, replacements)| {
                    let shown = sources
                        .get(file)
                        .map(|s| s.display.as_str())
                        .unwrap_or_default();
                    ArtifactChange {
                        artifact_location: artifact(repo, shown),
                        replacements,
                    }
                })
                .collect();
            Some(SarifFix {
                description: message(&fix.description),
                artifact_changes,
                properties: FixProperties {
                    applicability: fix.applicability.as_str(),
                    caveat: fix.caveat.clone(),
                },
            })
        })
        .collect();
    // The fingerprint names the file as the repository sees it, so it does not
    // depend on where scopelint was started.
    // Findings that share a fingerprint (two suppressions in one file) are
    // told apart by their order, as GitHub's own line hashes are: the second
    // gets `:2`, the third `:3`; the first has no suffix.
    let fingerprint = f.fingerprint(&repo.shown(display));
    let n = seen.entry(fingerprint.clone()).or_default();
    *n += 1;
    let fingerprint = if *n == 1 {
        fingerprint
    } else {
        format!("{fingerprint}:{n}")
    };
    SarifResult {
        rule_id: f.rule.code,
        rule_index: index.get(f.rule.code).copied().unwrap_or(0),
        level: rules::sarif_level(f.severity),
        message: message(linked(&f.message, &related)),
        locations: location(sources, repo, &f.primary)
            .map(|mut l| {
                l.logical_locations.extend(cloud_resource(f));
                l
            })
            .into_iter()
            .collect(),
        related_locations: related,
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint)]),
        fixes,
        properties: ResultProperties {
            workload: f.workload.address.clone(),
            workload_kind: f.workload.kind.clone(),
            identity: f.identity.clone(),
            apis: f.apis.iter().map(|a| a.service.clone()).collect(),
            help: f.help.iter().map(|h| h.to_string()).collect(),
        },
    }
}

/// The SARIF log, pretty-printed, with a trailing newline.
pub fn render(outcome: &Outcome, findings: &[&Finding], repo: &RepoPaths) -> String {
    super::written::written(|out| write_whole(outcome, findings, repo, out))
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialize SARIF: {e}\"}}\n"))
}

/// [`render`], written to `out` a result at a time.
pub fn write_whole(
    outcome: &Outcome,
    findings: &[&Finding],
    repo: &RepoPaths,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut metas = outcome.rules.clone();
    // A finding whose rule is not registered still needs a rules entry for its ruleIndex.
    for f in findings {
        if !metas.iter().any(|m| m.code == f.rule.code) {
            metas.push(f.rule);
        }
    }
    let whole = super::Whole {
        sources: &outcome.sources,
        findings,
    };
    write_with(metas, outcome, &whole, repo, InvocationAt::Before, out)
}

/// [`render`] of findings given in pieces, whose rules are all in `outcome.rules`.
pub fn write(
    outcome: &Outcome,
    pieces: &dyn Pieces,
    repo: &RepoPaths,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_with(
        outcome.rules.clone(),
        outcome,
        pieces,
        repo,
        InvocationAt::After,
        out,
    )
}

fn write_with(
    metas: Vec<&RuleMeta>,
    outcome: &Outcome,
    pieces: &dyn Pieces,
    repo: &RepoPaths,
    at: InvocationAt,
    out: &mut dyn Write,
) -> io::Result<()> {
    let invocations = Invocations {
        before: &outcome.errors,
        pieces,
        repo,
    };
    let (invocations_before, invocations) = match at {
        InvocationAt::Before => (Some(invocations), None),
        InvocationAt::After => (None, Some(invocations)),
    };
    let index: BTreeMap<&str, usize> = metas.iter().enumerate().map(|(i, m)| (m.code, i)).collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "scopelint",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules: metas.iter().map(|m| rule(m)).collect(),
                    properties: DriverProperties {
                        knowledge_base: crate::knowledge::Knowledge::get()
                            .map(|kb| kb.data_versions())
                            .unwrap_or_default(),
                    },
                },
            },
            invocations_before,
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                BaseUri {
                    description: message("The root of the repository that was analysed"),
                },
            )]),
            results: Results {
                pieces,
                repo,
                index: &index,
            },
            invocations,
            column_kind: "utf16CodeUnits",
        }],
    };
    super::written::pretty_json(&log, out)
}

/// Where the invocation is written.
enum InvocationAt {
    Before,
    After,
}

/// An input error as a tool execution notification.
fn notification(e: &InputError, repo: &RepoPaths) -> Notification {
    let region = (e.line > 0).then(|| Region {
        start_line: e.line,
        start_column: e.column.max(1),
        end_line: e.line,
        end_column: e.column.max(1),
    });
    Notification {
        level: "error",
        message: message(plain(&format!("{}: {}", e.file, e.message))),
        locations: vec![Location {
            id: None,
            physical_location: PhysicalLocation {
                artifact_location: artifact(repo, &e.file),
                region,
            },
            logical_locations: Vec::new(),
            message: None,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_uris() {
        assert_eq!(pascal("insufficient-scope"), "InsufficientScope");
        assert_eq!(uri_path("infra/my dir/a%b.tf"), "infra/my%20dir/a%25b.tf");
        assert_eq!(uri_path("é.tf"), "%C3%A9.tf");
    }
}
