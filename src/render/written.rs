//! How a report is written: the JSON formats through a buffer of their own,
//! and a report made in memory by the same writer that streams it, so each
//! format is written one way, to a file, to standard output or to a string.

use serde::Serialize;
use std::io::{self, BufWriter, Write};

/// What a format's writer wrote into memory, as text (it writes only text),
/// or the error that stopped it.
pub(super) fn written(
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<String, String> {
    let mut buffer = Vec::new();
    write(&mut buffer).map_err(|e| e.to_string())?;
    String::from_utf8(buffer).map_err(|e| e.to_string())
}

/// `value` as pretty-printed JSON and a newline. The serializer writes a
/// few bytes at a time: a buffer it knows the type of takes them without a
/// call through `out` for each.
pub(super) fn pretty_json(value: &impl Serialize, out: &mut dyn Write) -> io::Result<()> {
    let mut buffered = BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut buffered, value)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}
