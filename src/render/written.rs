//! A report made in memory by the writer that also streams it: each format
//! is written one way, whether to a file, to standard output or to a string.

use std::io::Write;

/// What a format's writer wrote into memory, as text (it writes only text),
/// or the error that stopped it.
pub(super) fn written(
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<String, String> {
    let mut buffer = Vec::new();
    write(&mut buffer).map_err(|e| e.to_string())?;
    String::from_utf8(buffer).map_err(|e| e.to_string())
}
