//! Code actions: the patches of `--fix` for the findings under the cursor,
//! all of them at once (`source.fixAll.scopelint`), and a suppression
//! comment with a reason to fill in.

use super::analysis::Analysis;
use super::diagnostics::loc_range;
use super::text::{self, Encoding};
use crate::finding::{Applicability, Edit, Finding};
use crate::knowledge::Knowledge;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Diagnostic,
    DocumentChangeOperation, DocumentChanges, OneOf, OptionalVersionedTextDocumentIdentifier,
    Range, TextDocumentEdit, TextEdit, Uri, WorkspaceEdit,
};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The placeholder the suppression action leaves for the reason.
pub const REASON_PLACEHOLDER: &str = "reason=<why this finding does not apply>";

pub struct Context<'a> {
    pub kb: &'static Knowledge,
    pub analysis: &'a Analysis,
    pub enc: Encoding,
    /// Whether the client takes `documentChanges` (versioned edits).
    pub document_changes: bool,
    pub version_of: &'a dyn Fn(&Path) -> Option<i32>,
    pub uri_of: &'a dyn Fn(&Path) -> Option<Uri>,
}

/// The actions for `range` of the file at `path`.
pub fn actions(cx: &Context<'_>, path: &Path, p: &CodeActionParams) -> Vec<CodeActionOrCommand> {
    let out = &cx.analysis.outcome;
    let wants = |kind: &CodeActionKind| {
        p.context
            .only
            .as_ref()
            .is_none_or(|only| only.iter().any(|o| kind.as_str().starts_with(o.as_str())))
    };
    let mut actions = Vec::new();
    let here: Vec<(&Finding, Range)> = out
        .findings
        .iter()
        .filter_map(|f| {
            let (src, range) = loc_range(out, &f.primary, cx.enc)?;
            (super::diagnostics::absolute(&src.path) == path && overlaps(range, p.range))
                .then_some((f, range))
        })
        .collect();
    if wants(&CodeActionKind::QUICKFIX) {
        let plan = (!here.is_empty()).then(|| cx.analysis.plan(cx.kb));
        for (f, range) in &here {
            let diagnostic = matching(&p.context.diagnostics, f, *range);
            // The safe patch as `--fix` would apply it (unless it withholds
            // it), preferred; unsafe ones offered too, named as such, since
            // the person choosing one reads it; display-only ones never.
            for fix in f.fix.iter().chain(&f.alternatives) {
                if fix.edits.is_empty() {
                    continue;
                }
                let title = match (fix.applicability, fix.caveat.as_deref()) {
                    (Applicability::Safe, _) => {
                        let withheld = plan.is_some_and(|plan| {
                            plan.withheld
                                .iter()
                                .any(|w| w.rule == f.rule.code && w.address == f.workload.address)
                        });
                        if withheld {
                            continue;
                        }
                        format!("{}: {}", f.rule.code, fix.description)
                    }
                    (Applicability::Unsafe, caveat) => format!(
                        "{} (unsafe: {}): {}",
                        f.rule.code,
                        caveat.unwrap_or("review it first"),
                        fix.description
                    ),
                    (Applicability::DisplayOnly, _) => continue,
                };
                if let Some(edit) = workspace_edit(cx, &fix.edits) {
                    let preferred = fix.applicability == Applicability::Safe;
                    actions.push(action(
                        title,
                        CodeActionKind::QUICKFIX,
                        diagnostic.clone(),
                        edit,
                        preferred,
                    ));
                }
            }
            if let Some(edit) = suppression(cx, f) {
                actions.push(action(
                    format!("Suppress {} here (with a reason)", f.rule.code),
                    CodeActionKind::QUICKFIX,
                    diagnostic,
                    edit,
                    false,
                ));
            }
        }
    }
    let fix_all = CodeActionKind::new("source.fixAll.scopelint");
    if p.context.only.is_some() && wants(&fix_all) {
        let plan = cx.analysis.plan(cx.kb);
        let edits: Vec<(PathBuf, Vec<TextEdit>)> = plan
            .patches
            .iter()
            .map(|patch| {
                let whole = text::range(&patch.original, &(0..patch.original.len()), cx.enc);
                (
                    super::diagnostics::absolute(&patch.path),
                    vec![TextEdit::new(whole, patch.patched.clone())],
                )
            })
            .collect();
        if let Some(edit) = build(cx, edits) {
            actions.push(action(
                "Apply every scopelint patch".to_string(),
                fix_all,
                None,
                edit,
                false,
            ));
        }
    }
    actions
}

fn action(
    title: String,
    kind: CodeActionKind,
    diagnostic: Option<Diagnostic>,
    edit: WorkspaceEdit,
    preferred: bool,
) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(kind),
        diagnostics: diagnostic.map(|d| vec![d]),
        edit: Some(edit),
        is_preferred: preferred.then_some(true),
        ..CodeAction::default()
    })
}

/// Whether two ranges share a position (touching counts: a cursor at a
/// diagnostic's end is on it).
fn overlaps(a: Range, b: Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The client's diagnostic for finding `f`, if it sent one.
fn matching(list: &[Diagnostic], f: &Finding, range: Range) -> Option<Diagnostic> {
    list.iter()
        .find(|d| {
            d.range == range
                && matches!(&d.code, Some(lsp_types::NumberOrString::String(c)) if c == f.rule.code)
        })
        .cloned()
}

/// The engine's edits (byte spans of the analysed texts) as a workspace edit.
fn workspace_edit(cx: &Context<'_>, edits: &[Edit]) -> Option<WorkspaceEdit> {
    let out = &cx.analysis.outcome;
    let mut by_file: BTreeMap<PathBuf, Vec<TextEdit>> = BTreeMap::new();
    for e in edits {
        let (src, range) = loc_range(out, &e.loc, cx.enc)?;
        if e.loc.span.end > src.text.len() {
            return None;
        }
        by_file
            .entry(super::diagnostics::absolute(&src.path))
            .or_default()
            .push(TextEdit::new(range, e.replacement.clone()));
    }
    build(cx, by_file.into_iter().collect())
}

fn build(cx: &Context<'_>, files: Vec<(PathBuf, Vec<TextEdit>)>) -> Option<WorkspaceEdit> {
    if files.is_empty() {
        return None;
    }
    if cx.document_changes {
        let mut changes = Vec::new();
        for (path, edits) in files {
            changes.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier {
                    uri: (cx.uri_of)(&path)?,
                    version: (cx.version_of)(&path),
                },
                edits: edits.into_iter().map(OneOf::Left).collect(),
            }));
        }
        return Some(WorkspaceEdit {
            document_changes: Some(DocumentChanges::Operations(changes)),
            ..WorkspaceEdit::default()
        });
    }
    // lsp-types keys `changes` by its URI type, which caches parts of itself
    // in cells; the keys are built here once and never change.
    #[allow(clippy::mutable_key_type)]
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for (path, edits) in files {
        changes
            .entry((cx.uri_of)(&path)?)
            .or_default()
            .extend(edits);
    }
    Some(WorkspaceEdit {
        changes: Some(changes),
        ..WorkspaceEdit::default()
    })
}

/// A `# scopelint:ignore` line above the finding's line, indented as it is;
/// none for JSON files, which have no comments.
fn suppression(cx: &Context<'_>, f: &Finding) -> Option<WorkspaceEdit> {
    let out = &cx.analysis.outcome;
    let src = out.sources.get(f.primary.file)?;
    let name = src.path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".json") {
        return None;
    }
    let start = f.primary.span.start.min(src.text.len());
    let line_start = src
        .text
        .get(..start)
        .and_then(|b| b.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line = src.text.get(line_start..).unwrap_or("");
    let indent: String = line
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let at = text::position(&src.text, line_start, cx.enc);
    let insert = format!(
        "{indent}# scopelint:ignore {} {REASON_PLACEHOLDER}\n",
        f.rule.code
    );
    build(
        cx,
        vec![(
            super::diagnostics::absolute(&src.path),
            vec![TextEdit::new(Range::new(at, at), insert)],
        )],
    )
}
