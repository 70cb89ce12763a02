//! Step 5 of the pipeline: render findings. Nothing outside this module knows
//! about output formats.

pub mod json;
pub mod pretty;

use crate::source::{Loc, Position, Sources};

/// Start and end positions of a location, or the file start when unknown.
pub fn positions(sources: &Sources, loc: &Loc) -> (String, Position, Position) {
    match sources.get(loc.file) {
        Some(f) => (
            f.display.clone(),
            f.position(loc.span.start),
            f.position(loc.span.end),
        ),
        None => {
            let p = Position {
                line: 1,
                column: 1,
                byte: 0,
            };
            (String::new(), p, p)
        }
    }
}
