//! How a report is given its findings: in pieces, each with the sources its
//! places point into. A run that holds every finding is one piece; a large
//! audit is checked and written a piece at a time.

use crate::finding::{Finding, Severity};
use crate::outcome::InputError;
use crate::source::Sources;

/// The findings of a report, handed to a renderer a piece at a time, each
/// piece with the sources its places point into. A large audit is checked
/// and written a piece at a time: its findings and the text they point into
/// are never held whole.
pub trait Pieces {
    /// Calls `each` with every piece, in the report's order; stops at the
    /// first error `each` returns.
    fn each(
        &self,
        each: &mut dyn FnMut(&Sources, &[&Finding]) -> std::io::Result<()>,
    ) -> std::io::Result<()>;

    /// Input errors found while the pieces were made, known once
    /// [`Pieces::each`] has returned: reports list them after the findings.
    fn late_errors(&self) -> Vec<InputError>;

    /// How many files the report covers.
    fn files(&self) -> usize;
}

/// The findings of a run that holds them all: one piece.
pub struct Whole<'a> {
    pub sources: &'a Sources,
    pub findings: &'a [&'a Finding],
}

impl Pieces for Whole<'_> {
    fn each(
        &self,
        each: &mut dyn FnMut(&Sources, &[&Finding]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        each(self.sources, self.findings)
    }

    fn late_errors(&self) -> Vec<InputError> {
        Vec::new()
    }

    fn files(&self) -> usize {
        self.sources.len()
    }
}

/// How many findings of each severity a report wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
}

impl Tally {
    pub fn of<'f>(findings: impl IntoIterator<Item = &'f Finding>) -> Tally {
        let mut tally = Tally::default();
        findings.into_iter().for_each(|f| tally.add(f));
        tally
    }

    pub fn add(&mut self, f: &Finding) {
        match f.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
            Severity::Note => self.notes += 1,
        }
    }
}

/// Calls `each` with every finding of `pieces` and the sources it points
/// into, for a serializer: its error stops the pieces and is returned.
pub(super) fn each_finding<E: serde::ser::Error>(
    pieces: &dyn Pieces,
    mut each: impl FnMut(&Sources, &Finding) -> Result<(), E>,
) -> Result<(), E> {
    let mut failed = None;
    let walked = pieces.each(&mut |sources, findings| {
        for f in findings {
            if let Err(e) = each(sources, f) {
                failed = Some(e);
                return Err(std::io::Error::other("the report could not be written"));
            }
        }
        Ok(())
    });
    match (failed, walked) {
        (Some(e), _) => Err(e),
        (None, Err(e)) => Err(E::custom(e)),
        (None, Ok(())) => Ok(()),
    }
}

/// The input errors known before the findings and those found while they
/// were made, in one list by file and place (for formats that list them
/// together, after the findings).
pub(super) fn all_errors<'e>(
    before: &'e [InputError],
    late: &'e [InputError],
) -> Vec<&'e InputError> {
    let mut errors: Vec<&InputError> = before.iter().chain(late).collect();
    errors.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    errors
}
