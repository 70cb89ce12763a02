//! One unit of work that panics (a bug) must not take the whole report with
//! it: the unit becomes an error entry naming its file, and every other unit
//! is still analysed and reported.

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `work`; a panic inside it becomes `Err` with the panic's message.
///
/// What `work` borrows may be left half-updated by a panic, so callers drop
/// its partial results and keep only the error.
pub fn contained<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(work)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string())
    })
}

/// The error entry of a unit that panicked.
pub fn message(why: &str) -> String {
    format!(
        "internal error while analysing this file ({why}); it is left out and the other files are analysed. This is a bug in scopelint: please report it with this file"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_and_a_result_passes_through() {
        assert_eq!(contained(|| 7), Ok(7));
        let number = 3;
        assert_eq!(
            contained(|| -> u8 { panic!("unit {number} broke") }),
            Err("unit 3 broke".to_string())
        );
        assert_eq!(
            contained(|| -> u8 { panic!("plain") }),
            Err("plain".to_string())
        );
    }
}
