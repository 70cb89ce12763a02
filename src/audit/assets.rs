//! Cloud Asset Inventory exports: one JSON asset per line, as
//! `gcloud asset export --content-type=resource` and `--content-type=iam-policy`
//! write them (field names in either case: `assetType` or `asset_type`).
//!
//! An export is read twice, a line at a time, and never held whole. The
//! first pass keeps the facts every VM is judged against (IAM policies,
//! enabled services, project numbers) and the lines they point into; the
//! second hands out the VMs and node pools a piece at a time, each piece
//! with the text of its lines, to be checked and reported before the next
//! is read. Each line is parsed by the pass that needs it.

use super::instances::{self, Running};
use super::json::{Node, segment_after};
use super::policies;
use super::text::Digest;
use super::unit::unit_of;
use crate::model::{EnabledApi, Model, Project, Unresolved, Workload};
use crate::source::{FileId, Loc, SourceFile};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::io::BufRead;
use std::path::Path;

/// Lines the first pass reads: a policy, a service or a project.
const FACTS: [&str; 4] = [
    "serviceusage.googleapis.com/Service",
    "cloudresourcemanager.googleapis.com/Project",
    "\"iamPolicy\"",
    "\"iam_policy\"",
];

/// Lines the second pass reads: the workloads.
const WORKLOADS: [&str; 2] = [
    "compute.googleapis.com/Instance",
    "container.googleapis.com/NodePool",
];

/// About this many bytes of lines make one piece of the second pass.
pub const PIECE_BYTES: usize = 8 << 20;

/// A line that could not be parsed: its number, column and why.
pub type LineError = (usize, usize, String);

/// How much of a file was read, and the digest of its bytes: the second pass
/// tells by them that it read what the first read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    pub size: u64,
    pub digest: u64,
}

/// What the first pass keeps of an export.
pub struct Facts {
    /// Grants, enabled services and what could not be resolved of them.
    pub model: Model,
    /// The lines the facts point into, as files numbered from the first id
    /// given: a policy's whole line, a service's line up to its name.
    pub windows: Vec<SourceFile>,
    /// The lines in error.
    pub errors: Vec<LineError>,
    /// The projects of the workloads, when asked for.
    pub projects: BTreeSet<String>,
    pub read: Read,
}

/// Reads every line of `input` with its 0-based number and byte offset.
/// `Err` when the file cannot be read to its end or is not UTF-8.
fn each_line(
    input: &mut impl BufRead,
    mut each: impl FnMut(usize, usize, &str) -> Result<(), String>,
) -> Result<Read, String> {
    let mut digest = Digest::default();
    let mut bytes = Vec::new();
    let mut offset = 0;
    for index in 0.. {
        bytes.clear();
        let n = input
            .read_until(b'\n', &mut bytes)
            .map_err(|e| format!("cannot read file: {e}"))?;
        if n == 0 {
            break;
        }
        digest.add(&bytes);
        // A line break never falls inside a character: the file is UTF-8 if every line is.
        let line =
            std::str::from_utf8(&bytes).map_err(|_| "cannot read file: not UTF-8".to_string())?;
        each(index, offset, line)?;
        offset += line.len();
    }
    Ok(Read {
        size: offset as u64,
        digest: digest.finish(),
    })
}

fn holds_facts(line: &str) -> bool {
    FACTS.iter().any(|m| line.contains(m))
}

fn holds_workload(line: &str) -> bool {
    WORKLOADS.iter().any(|m| line.contains(m))
}

fn asset_type<'v>(asset: &Node<'v, '_>) -> &'v str {
    asset
        .str_at(&["assetType"])
        .or_else(|| asset.str_at(&["asset_type"]))
        .unwrap_or("")
}

/// The first pass: the facts of an export, whose lines become files
/// `first_id`, `first_id + 1`, ... named `display` at `path`. With
/// `projects`, the projects of its workloads are told too (parsing their
/// lines, which is otherwise left to the second pass).
pub fn facts(
    input: &mut impl BufRead,
    first_id: u32,
    display: &str,
    path: &Path,
    projects: bool,
) -> Result<Facts, String> {
    let mut model = Model::default();
    let mut windows = Vec::new();
    let mut errors = Vec::new();
    let mut seen_projects = BTreeSet::new();
    // Services and policies name projects by number; Project assets give their IDs.
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut services: Vec<(String, Loc, Option<String>)> = Vec::new();
    // The grants of each policy of a project, and the project's number.
    let mut with_policy: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let window = |text: &str, index: usize, start: usize| {
        SourceFile::window(
            display.to_string(),
            path.to_path_buf(),
            text.to_string(),
            start,
            index,
        )
    };
    let next_id = |windows: &Vec<SourceFile>| {
        FileId(first_id.saturating_add(u32::try_from(windows.len()).unwrap_or(u32::MAX)))
    };
    let read = each_line(input, |index, start, line| {
        if !holds_facts(line) {
            if projects && holds_workload(line) {
                let value = crate::terraform::json::parse_value(line).ok();
                seen_projects.extend(value.and_then(|v| project_of(Node::new(&v, FileId(0)))));
            }
            return Ok(());
        }
        let value = match crate::terraform::json::parse_value(line) {
            Ok(v) => v,
            Err(e) => {
                errors.push((index + 1, e.column, format!("cannot parse: {}", e.message)));
                return Ok(());
            }
        };
        let id = next_id(&windows);
        let asset = Node::new(&value, id);
        let name = asset.str_at(&["name"]).unwrap_or("");
        let data = asset.at(&["resource", "data"]);
        match (asset_type(&asset), data) {
            ("serviceusage.googleapis.com/Service", Some(data)) => {
                let enabled = data.str_at(&["state"]).is_none_or(|s| s == "ENABLED");
                // The service is pointed at by its name: the window ends there.
                let named = data
                    .at(&["config", "name"])
                    .filter(|n| n.as_str().is_some())
                    .or_else(|| asset.get("name"));
                let service = data
                    .str_at(&["config", "name"])
                    .or_else(|| segment_after(name, "services"));
                if let (true, Some(service), Some(named)) = (enabled, service, named) {
                    let loc = named.loc();
                    let number = segment_after(name, "projects").map(str::to_string);
                    windows.push(window(
                        line.get(..loc.span.end).unwrap_or(line),
                        index,
                        start,
                    ));
                    services.push((service.to_string(), loc, number));
                }
            }
            ("cloudresourcemanager.googleapis.com/Project", Some(data)) => {
                let number = data.str_at(&["projectNumber"]);
                if let (Some(n), Some(id)) = (number, data.str_at(&["projectId"])) {
                    ids.insert(n.to_string(), id.to_string());
                }
            }
            (kind, _) => {
                if projects && WORKLOADS.contains(&kind) {
                    // Parsed already: the line holds a policy too.
                    seen_projects.extend(project_of(asset));
                }
            }
        }
        if asset
            .get("iamPolicy")
            .or_else(|| asset.get("iam_policy"))
            .is_some()
        {
            // Its own window: a service on the same line took `id`.
            let id = next_id(&windows);
            let asset = Node::new(&value, id);
            let policy = asset.get("iamPolicy").or_else(|| asset.get("iam_policy"));
            let holder = name
                .strip_prefix("//cloudresourcemanager.googleapis.com/")
                .unwrap_or(name);
            let number = segment_after(holder, "projects");
            let (grants, notes) = (model.grants.len(), model.unresolved.len());
            if let Some(policy) = policy {
                policies::iam_policy(policy, holder, number, &mut model);
            }
            // A line is kept only when a grant or a note points into it.
            if model.grants.len() > grants || model.unresolved.len() > notes {
                windows.push(window(line, index, start));
            }
            if let (Some(number), true) = (number, model.grants.len() > grants) {
                with_policy.push((grants..model.grants.len(), number.to_string()));
            }
        }
        Ok(())
    })?;
    // A policy names its project by number until a Project asset, read
    // anywhere in the export, tells its ID.
    for (grants, number) in with_policy {
        if let Some(id) = ids.get(&number) {
            let unit = unit_of(Some(id));
            for g in model.grants.get_mut(grants).into_iter().flatten() {
                g.unit = unit.clone();
            }
        }
    }
    for (service, loc, number) in services {
        let id = number.as_ref().and_then(|n| ids.get(n));
        model.enabled_apis.push(EnabledApi {
            service,
            loc,
            unit: unit_of(id.or(number.as_ref()).map(String::as_str)),
            project: match (id, number) {
                (Some(id), _) => Project::id(id),
                (None, n) => n.map(Project::Number),
            },
        });
    }
    Ok(Facts {
        model,
        windows,
        errors,
        projects: seen_projects,
        read,
    })
}

/// The workload of one line (and the state of a VM), what could not be
/// resolved in it, or why the line could not be parsed. Places are in file
/// `file`, the line starting at byte `start` of it.
#[allow(clippy::type_complexity)]
fn workload_line(
    line: &str,
    file: FileId,
    start: usize,
) -> (
    Option<(Workload, Option<Running>)>,
    Vec<Unresolved>,
    Option<(usize, String)>,
) {
    match crate::terraform::json::parse_value(line) {
        Ok(value) => {
            let (workload, unresolved) = workload_of(Node::at_offset(&value, file, start));
            (workload, unresolved, None)
        }
        Err(e) => (
            None,
            Vec::new(),
            Some((e.column, format!("cannot parse: {}", e.message))),
        ),
    }
}

/// The workload of an asset (and the state of a VM), and what could not be
/// resolved in it.
fn workload_of(asset: Node<'_, '_>) -> (Option<(Workload, Option<Running>)>, Vec<Unresolved>) {
    let name = asset.str_at(&["name"]).unwrap_or("");
    let mut scratch = Model::default();
    let workload = match (asset_type(&asset), asset.at(&["resource", "data"])) {
        ("compute.googleapis.com/Instance", Some(data)) => instances::instance(data, &mut scratch)
            .map(|w| {
                let running = Running {
                    address: w.address.clone(),
                    status: data.str_at(&["status"]).unwrap_or("").to_string(),
                };
                (w, Some(running))
            }),
        ("container.googleapis.com/NodePool", Some(data)) => {
            let link = data.str_at(&["selfLink"]).unwrap_or(name).to_string();
            instances::node_pool(data, &link, &mut scratch);
            scratch.workloads.pop().map(|w| (w, None))
        }
        _ => None,
    };
    (workload, scratch.unresolved)
}

/// The project of the workload an asset describes.
fn project_of(asset: Node<'_, '_>) -> Option<String> {
    workload_of(asset).0.and_then(|(w, _)| w.project)
}

/// One piece of the second pass: some whole lines of the export, and the
/// workloads in them, whose places are in the window (file `id`).
pub struct Piece {
    pub window: SourceFile,
    pub workloads: Vec<Workload>,
    pub running: Vec<Running>,
    pub unresolved: Vec<Unresolved>,
    pub errors: Vec<LineError>,
}

/// The second pass: hands `piece` the workloads of the export about
/// `piece_bytes` of lines at a time, in the file's order, as file `id`
/// named `display` at `path`. Stops at the first error `piece` returns.
pub fn pieces<E>(
    input: &mut impl BufRead,
    id: FileId,
    (display, path): (&str, &Path),
    piece_bytes: usize,
    mut piece: impl FnMut(Piece) -> Result<(), E>,
) -> Result<Result<Read, String>, E> {
    struct Line {
        index: usize,
        range: std::ops::Range<usize>,
        /// Read by the first pass too, which reported its errors.
        facts: bool,
    }
    let mut text = String::new();
    let mut lines: Vec<Line> = Vec::new();
    let mut first: Option<(usize, usize)> = None;
    let mut stopped = None;
    let mut flush =
        |text: &mut String, lines: &mut Vec<Line>, first: &mut Option<(usize, usize)>| {
            let Some((base, before)) = first.take() else {
                return Ok(());
            };
            if lines.is_empty() {
                // No workload in these lines: nothing to check.
                text.clear();
                return Ok(());
            }
            let window_text = std::mem::take(text);
            let parsed: Vec<_> = lines
                .par_iter()
                .map(|l| {
                    workload_line(
                        window_text.get(l.range.clone()).unwrap_or(""),
                        id,
                        l.range.start,
                    )
                })
                .collect();
            let mut out = Piece {
                window: SourceFile::window(
                    display.to_string(),
                    path.to_path_buf(),
                    String::new(),
                    base,
                    before,
                ),
                workloads: Vec::with_capacity(parsed.len()),
                running: Vec::new(),
                unresolved: Vec::new(),
                errors: Vec::new(),
            };
            for (l, (workload, unresolved, error)) in lines.iter().zip(parsed) {
                if let Some((w, running)) = workload {
                    out.workloads.push(w);
                    out.running.extend(running);
                }
                out.unresolved.extend(unresolved);
                if let (Some((column, message)), false) = (error, l.facts) {
                    out.errors.push((l.index + 1, column, message));
                }
            }
            lines.clear();
            out.window = SourceFile::window(
                display.to_string(),
                path.to_path_buf(),
                window_text,
                base,
                before,
            );
            piece(out)
        };
    // A full piece is written once the next line is read: that line, and
    // the last line of the piece, are in both windows as context (a
    // snippet shows the line before and after), judged in one piece only.
    let mut full = false;
    // Where the last line read starts in the window and in the file, and its number.
    let mut last = (0..0, 0, 0);
    let read = each_line(input, |index, start, line| {
        if stopped.is_some() {
            return Err(String::new());
        }
        if full {
            full = false;
            text.push_str(line);
            let carried = text.get(last.0.clone()).unwrap_or("").to_string();
            if let Err(e) = flush(&mut text, &mut lines, &mut first) {
                stopped = Some(e);
                return Ok(());
            }
            first = Some((last.1, last.2));
            text.push_str(&carried);
        }
        let (base, _) = *first.get_or_insert((start, index));
        let at = text.len();
        if holds_workload(line) && !line.trim().is_empty() {
            lines.push(Line {
                index,
                range: at..at + line.len(),
                facts: holds_facts(line),
            });
        }
        text.push_str(line);
        last = (at..at + line.len(), start, index);
        full = start + line.len() - base >= piece_bytes;
        Ok(())
    });
    if let Some(e) = stopped {
        return Err(e);
    }
    let read = match read {
        Ok(read) => read,
        Err(message) => return Ok(Err(message)),
    };
    flush(&mut text, &mut lines, &mut first)?;
    Ok(Ok(read))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::io::BufReader;

    const EXPORT: &str = concat!(
        "{\"name\":\"//cloudresourcemanager.googleapis.com/projects/42\",\"asset_type\":\"cloudresourcemanager.googleapis.com/Project\",\"resource\":{\"data\":{\"projectNumber\":\"42\",\"projectId\":\"my-app\"}}}\n",
        "{\"name\":\"//storage.googleapis.com/b\",\"asset_type\":\"storage.googleapis.com/Bucket\"}\n",
        "{\"name\":\"//compute.googleapis.com/projects/my-app/zones/z/instances/vm\",\"asset_type\":\"compute.googleapis.com/Instance\",\"resource\":{\"data\":{\"name\":\"vm\",\"zone\":\"projects/my-app/zones/z\",\"status\":\"RUNNING\",\"serviceAccounts\":[{\"email\":\"a@my-app.iam.gserviceaccount.com\",\"scopes\":[\"https://www.googleapis.com/auth/devstorage.read_only\"]}]}}}\n",
        "{\"name\":\"//compute.googleapis.com/projects/my-app/zones/z/instances/broken\",\"asset_type\":\"compute.googleapis.com/Instance\",\n",
        "{\"name\":\"//serviceusage.googleapis.com/projects/42/services/aiplatform.googleapis.com\",\"asset_type\":\"serviceusage.googleapis.com/Service\",\"resource\":{\"data\":{\"name\":\"projects/42/services/aiplatform.googleapis.com\",\"config\":{\"name\":\"aiplatform.googleapis.com\",\"title\":\"Vertex AI API\"},\"state\":\"ENABLED\"}}}\n",
        "{\"name\":\"//compute.googleapis.com/projects/my-app/zones/z/instances/vm2\",\"asset_type\":\"compute.googleapis.com/Instance\",\"resource\":{\"data\":{\"name\":\"vm2\",\"zone\":\"projects/my-app/zones/z\",\"status\":\"TERMINATED\"}}}\n",
        "{\"name\":\"//cloudresourcemanager.googleapis.com/projects/42\",\"asset_type\":\"cloudresourcemanager.googleapis.com/Project\",\"iam_policy\":{\"bindings\":[{\"role\":\"roles/aiplatform.user\",\"members\":[\"serviceAccount:a@my-app.iam.gserviceaccount.com\"]}]}}",
    );

    /// Hands out its input a few bytes at a time and counts what it handed
    /// out, so a test sees how far the export had been read.
    struct Trickle<'t> {
        rest: &'t [u8],
        given: std::rc::Rc<std::cell::Cell<usize>>,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.rest.len()).min(7);
            let (now, later) = self.rest.split_at(n);
            buf[..n].copy_from_slice(now);
            self.rest = later;
            self.given.set(self.given.get() + n);
            Ok(n)
        }
    }

    fn trickle(text: &str) -> (BufReader<Trickle<'_>>, std::rc::Rc<std::cell::Cell<usize>>) {
        let given = std::rc::Rc::new(std::cell::Cell::new(0));
        let reader = Trickle {
            rest: text.as_bytes(),
            given: given.clone(),
        };
        (BufReader::with_capacity(16, reader), given)
    }

    /// The position in the whole export of `loc` in `file`, and the text there.
    fn at(file: &SourceFile, loc: &Loc) -> (usize, usize, String) {
        let p = file.position(loc.span.start);
        let text = file.text.get(loc.span.clone()).unwrap_or("").to_string();
        (p.line, p.byte, text)
    }

    /// The first pass keeps the facts, each pointing into a window of its
    /// own line: positions are those of the whole export.
    #[test]
    fn the_facts_point_into_their_lines() {
        let (mut input, given) = trickle(EXPORT);
        let facts = facts(&mut input, 3, "e.json", Path::new("e.json"), false).unwrap();
        assert_eq!(given.get(), EXPORT.len());
        assert_eq!(facts.read.size, EXPORT.len() as u64);
        assert!(facts.model.workloads.is_empty());
        let window = |loc: &Loc| facts.windows.get(loc.file.0 as usize - 3).unwrap();
        let [g] = facts.model.grants.as_slice() else {
            panic!("one grant: {:?}", facts.model.grants);
        };
        assert_eq!(g.role, "roles/aiplatform.user");
        let member = "\"serviceAccount:a@my-app.iam.gserviceaccount.com\"";
        assert_eq!(
            at(window(&g.loc), &g.loc),
            (7, EXPORT.find(member).unwrap(), member.to_string())
        );
        let [api] = facts.model.enabled_apis.as_slice() else {
            panic!("one service: {:?}", facts.model.enabled_apis);
        };
        assert_eq!(api.project, Project::id("my-app"));
        let (line, _, text) = at(window(&api.loc), &api.loc);
        assert_eq!((line, text.as_str()), (5, "\"aiplatform.googleapis.com\""));
        // The service's window ends at its name: the rest of the line is not kept.
        assert!(
            window(&api.loc)
                .text
                .ends_with("\"aiplatform.googleapis.com\"")
        );
        // The broken line is a workload's: the second pass reports it.
        assert!(facts.errors.is_empty(), "{:?}", facts.errors);
        // Only the lines facts point into are kept: the service's and the policy's.
        assert_eq!(facts.windows.len(), 2);
    }

    /// A policy that grants no service account keeps nothing of its line.
    #[test]
    fn a_policy_without_a_grant_keeps_no_line() {
        let line = "{\"name\":\"//cloudresourcemanager.googleapis.com/projects/7\",\"iam_policy\":{\"bindings\":[{\"role\":\"roles/owner\",\"members\":[\"user:a@example.com\"]}]}}\n";
        let facts = facts(
            &mut line.as_bytes(),
            0,
            "e.json",
            Path::new("e.json"),
            false,
        )
        .unwrap();
        assert!(facts.model.grants.is_empty());
        assert!(facts.windows.is_empty());
    }

    /// The second pass hands out the workloads a piece at a time, each with
    /// the text of its lines; every place is where it is in the whole file,
    /// however the lines fall into pieces.
    #[test]
    fn workloads_come_in_pieces_that_keep_every_place() {
        for piece_bytes in [1, 600, 1 << 20] {
            let (mut input, _) = trickle(EXPORT);
            let mut got = Vec::new();
            let mut errors = Vec::new();
            let read = pieces(
                &mut input,
                FileId(9),
                ("e.json", Path::new("e.json")),
                piece_bytes,
                |p| {
                    for w in &p.workloads {
                        assert_eq!(w.block.file, FileId(9));
                        let place = at(&p.window, &w.block);
                        // The lines around it are in its window, as a snippet shows them.
                        for n in [place.0 - 1, place.0 + 1] {
                            let whole = EXPORT.lines().nth(n.wrapping_sub(1)).unwrap_or("");
                            assert_eq!(p.window.line_text(n), whole, "{piece_bytes}: {n}");
                        }
                        got.push((w.name.clone(), place));
                    }
                    errors.extend(p.errors);
                    assert!(p.window.text.len() <= piece_bytes.max(EXPORT.len()));
                    Ok::<(), ()>(())
                },
            )
            .unwrap()
            .unwrap();
            assert_eq!(read.size, EXPORT.len() as u64);
            let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, ["vm", "vm2"], "{piece_bytes}");
            let (line, byte, text) = &got[0].1;
            assert_eq!(*line, 3);
            assert_eq!(*byte, EXPORT.find("{\"name\":\"vm\"").unwrap());
            assert!(text.ends_with("]}]}"), "{text}");
            assert_eq!(got[1].1.0, 6);
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].0, 4);
        }
    }

    /// A read that fails part way, or a file that is not UTF-8, is the
    /// file's error.
    #[test]
    fn a_read_that_fails_part_way_is_an_error() {
        struct Failing<'t>(&'t [u8]);
        impl std::io::Read for Failing<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() {
                    return Err(std::io::Error::other("device gone"));
                }
                let n = buf.len().min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let path = Path::new("e.json");
        let mut input = BufReader::new(Failing(EXPORT.as_bytes()));
        let err = facts(&mut input, 0, "e.json", path, false).err();
        assert_eq!(err.as_deref(), Some("cannot read file: device gone"));
        let mut input = BufReader::new(&b"{\"name\":\"\xff\"}\n"[..]);
        let err = facts(&mut input, 0, "e.json", path, false).err();
        assert_eq!(err.as_deref(), Some("cannot read file: not UTF-8"));
        let mut input = BufReader::new(Failing(EXPORT.as_bytes()));
        let read = pieces(&mut input, FileId(0), ("e.json", path), 1, |_| {
            Ok::<(), ()>(())
        });
        assert_eq!(read, Ok(Err("cannot read file: device gone".to_string())));
    }
}
