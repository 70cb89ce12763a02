//! The workloads of an audit, checked and handed to the report a piece at
//! a time: the instances of one export file read whole, or a few megabytes
//! of lines of a Cloud Asset export. What every piece is judged against
//! (grants, enabled services) is read first and kept; a piece's workloads,
//! findings and text are dropped once it is written, so an export of a
//! million VMs is audited in the memory of a few thousand.

use super::assets::{self, Read};
use super::instances::Running;
use super::script::ToFix;
use crate::check::assess::Context;
use crate::filter::Judge;
use crate::finding::{Finding, Severity};
use crate::model::{Model, Unresolved, Workload};
use crate::options::Options;
use crate::outcome::InputError;
use crate::render::{Pieces, Tally};
use crate::source::{FileId, Sources};
use std::cell::RefCell;
use std::path::PathBuf;

/// Where the workloads of one input come from, in the report's order.
pub(super) enum Group {
    /// An instances or node pools list, read whole: its workloads.
    Loaded {
        workloads: Vec<Workload>,
        running: Vec<Running>,
    },
    /// A Cloud Asset export, read again a piece at a time.
    Export {
        display: String,
        path: PathBuf,
        limit: u64,
        /// What the first pass read, which the second must read again.
        read: Read,
    },
}

/// What a piece leaves for after the report: what the exit code and the fix
/// script need.
#[derive(Default)]
pub struct Left {
    pub tally: Tally,
    /// The most severe finding.
    pub worst: Option<Severity>,
    /// Input errors found while the pieces were made.
    pub late_errors: Vec<InputError>,
    /// What a fix script needs of each finding it acts on (kept when asked).
    pub to_fix: Vec<ToFix>,
    /// The states of the VMs of those findings.
    pub running: Vec<Running>,
    /// Whether every piece was checked and written: a report that stopped
    /// early (its reader went away) leaves a fix script without them.
    pub complete: bool,
}

/// Called with what could not be resolved in each piece (`--verbose`).
pub type Notes<'a> = &'a dyn Fn(&Sources, &[Unresolved]);

/// The workloads of an audit as pieces of a report.
pub struct Stream<'a> {
    state: RefCell<State<'a>>,
}

struct State<'a> {
    groups: Vec<Group>,
    /// The facts every piece is judged against.
    facts: Model,
    /// Files read whole and the lines facts point into; a piece's window while it is checked.
    sources: Sources,
    judge: Judge<'a>,
    opts: &'a Options,
    /// Every input, for the waivers that match one and the files a report covers.
    paths: Vec<PathBuf>,
    /// Which of the configuration's waivers waived a finding.
    used: Vec<bool>,
    notes: Option<Notes<'a>>,
    /// Whether to keep what a fix script needs.
    fixes: bool,
    left: Left,
}

impl<'a> Stream<'a> {
    pub(super) fn new(
        groups: Vec<Group>,
        facts: Model,
        sources: Sources,
        judge: Judge<'a>,
        opts: &'a Options,
        paths: Vec<PathBuf>,
    ) -> Self {
        Stream {
            state: RefCell::new(State {
                groups,
                facts,
                sources,
                judge,
                opts,
                paths,
                used: vec![false; opts.config.config.waivers.len()],
                notes: None,
                fixes: false,
                left: Left::default(),
            }),
        }
    }

    /// Has `notes` told what could not be resolved, piece by piece.
    pub fn with_notes(self, notes: Notes<'a>) -> Self {
        self.state.borrow_mut().notes = Some(notes);
        self
    }

    /// Keeps what a fix script needs: the findings it acts on, without their
    /// text (else nothing of a finding outlives its piece).
    pub fn with_fixes(self) -> Self {
        self.state.borrow_mut().fixes = true;
        self
    }

    /// What the pieces left, once the report is written.
    pub fn finish(self) -> Left {
        self.state.into_inner().left
    }
}

impl Pieces for Stream<'_> {
    fn each(
        &self,
        each: &mut dyn FnMut(&Sources, &[&Finding]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut state = self.state.borrow_mut();
        let State {
            groups,
            facts,
            sources,
            judge,
            opts,
            paths,
            used,
            notes,
            fixes,
            left,
        } = &mut *state;
        if let Some(notes) = notes {
            notes(sources, &facts.unresolved);
        }
        // The joins of the facts, built once for every piece.
        let joins = judge.joins(facts);
        let mut run = Run {
            joins: &joins,
            judge,
            opts,
            sources,
            used,
            notes: *notes,
            fixes: *fixes,
            left,
            each,
        };
        for group in std::mem::take(groups) {
            run.group(group)?;
        }
        // Waivers that waived nothing in any piece, in a piece of their own.
        let stale = Judge::stale_waivers(paths, run.sources, opts, run.used);
        run.write(stale, &[])?;
        run.left.complete = true;
        Ok(())
    }

    fn late_errors(&self) -> Vec<InputError> {
        let mut errors = self.state.borrow().left.late_errors.clone();
        errors.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        errors
    }

    /// The inputs read, and the configuration when a finding or a grant
    /// comes from it.
    fn files(&self) -> usize {
        let state = self.state.borrow();
        let mut paths: std::collections::BTreeSet<&std::path::Path> =
            state.paths.iter().map(PathBuf::as_path).collect();
        paths.extend(state.sources.iter().map(|(_, f)| f.path.as_path()));
        paths.len()
    }
}

/// One pass over the pieces: what checking and writing each one needs.
struct Run<'r, 'j> {
    joins: &'r Context<'j>,
    judge: &'r Judge<'j>,
    opts: &'r Options,
    sources: &'r mut Sources,
    used: &'r mut [bool],
    notes: Option<Notes<'r>>,
    fixes: bool,
    left: &'r mut Left,
    each: &'r mut dyn FnMut(&Sources, &[&Finding]) -> std::io::Result<()>,
}

impl Run<'_, '_> {
    /// Checks and writes the workloads of one input.
    fn group(&mut self, group: Group) -> std::io::Result<()> {
        let (display, path, limit, first) = match group {
            Group::Loaded { workloads, running } => {
                return self.piece(workloads, Vec::new(), &running);
            }
            Group::Export {
                display,
                path,
                limit,
                read,
            } => (display, path, limit, read),
        };
        let late = |message: String| InputError {
            file: display.clone(),
            line: 0,
            column: 0,
            message,
            source: None,
        };
        let mut input = match crate::read::stream(&path, limit, crate::read::Links::Follow) {
            Ok(input) => input,
            Err(message) => {
                self.left.late_errors.push(late(message));
                return Ok(());
            }
        };
        let id = FileId(u32::try_from(self.sources.len()).unwrap_or(u32::MAX));
        let read = assets::pieces(
            &mut input,
            id,
            (&display, &path),
            assets::PIECE_BYTES,
            |piece| {
                for (line, column, message) in piece.errors {
                    self.left.late_errors.push(InputError {
                        file: display.clone(),
                        line,
                        column,
                        message,
                        source: None,
                    });
                }
                self.sources.push(piece.window);
                let written = self.piece(piece.workloads, piece.unresolved, &piece.running);
                self.sources.truncate(id.0 as usize);
                written
            },
        )?;
        match read {
            Ok(read) if read == first => {}
            Ok(_) => self.left.late_errors.push(late(
                "the file changed while it was analysed: read it again".to_string(),
            )),
            Err(message) => self.left.late_errors.push(late(message)),
        }
        Ok(())
    }

    /// Checks `workloads` against the facts and writes their findings.
    fn piece(
        &mut self,
        workloads: Vec<Workload>,
        unresolved: Vec<Unresolved>,
        running: &[Running],
    ) -> std::io::Result<()> {
        if let Some(notes) = self.notes {
            notes(self.sources, &unresolved);
        }
        let mut piece = Model {
            workloads,
            ..Model::default()
        };
        let findings = self
            .judge
            .piece(self.joins, &mut piece, self.sources, self.opts, self.used);
        drop(piece);
        self.write(findings, running)
    }

    /// Writes `findings` and keeps what the exit code and fix script need.
    fn write(&mut self, findings: Vec<Finding>, running: &[Running]) -> std::io::Result<()> {
        if findings.is_empty() {
            return Ok(());
        }
        let states: std::collections::HashMap<&str, &Running> = match self.fixes {
            true => running.iter().map(|r| (r.address.as_str(), r)).collect(),
            false => Default::default(),
        };
        for f in &findings {
            self.left.tally.add(f);
            self.left.worst = self.left.worst.max(Some(f.severity));
            if !self.fixes {
                continue;
            }
            if let Some(to_fix) = ToFix::of(f) {
                if let Some(r) = states.get(to_fix.address.as_str())
                    && !self.left.running.last().is_some_and(|l| l == *r)
                {
                    self.left.running.push((*r).clone());
                }
                self.left.to_fix.push(to_fix);
            }
        }
        let refs: Vec<&Finding> = findings.iter().collect();
        (self.each)(self.sources, &refs)
    }
}
