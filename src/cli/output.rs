//! Where `--output` may write: the report replaces a regular file (or
//! creates one), never an input of the run, a device, a FIFO or a socket;
//! `-` and `/dev/stdout` mean standard output.

use scopelint::render::pretty::{self, ColorChoice};
use scopelint::render::{self, RepoPaths};
use scopelint::source::Sources;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How a report to `output` is drawn: in colour only on a terminal that
/// wants it (standard output), with paths relative to the repository.
pub fn context(output: Option<&Path>, color: ColorChoice) -> render::Context {
    render::Context {
        style: pretty::Style::detect(
            output.is_none_or(|p| p == Path::new("-") || p == Path::new("/dev/stdout")),
            color,
        ),
        repo: RepoPaths::detect(),
    }
}

/// Where the report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    /// A regular file (the target of a link, when `--output` names one).
    File(PathBuf),
}

/// The destination `--output` names, or why it is refused.
pub fn destination(output: Option<&Path>, inputs: &Sources) -> Result<Destination, String> {
    let Some(path) = output else {
        return Ok(Destination::Stdout);
    };
    if path == Path::new("-") || path == Path::new("/dev/stdout") {
        return Ok(Destination::Stdout);
    }
    let target = match std::fs::canonicalize(path) {
        Ok(real) => real,
        // A new file (or a dangling link, which is replaced).
        Err(_) => return Ok(Destination::File(path.to_path_buf())),
    };
    let meta = std::fs::metadata(&target).map_err(|e| format!("cannot write: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file (a device, FIFO, socket or directory)".to_string());
    }
    let is_input = inputs
        .iter()
        .any(|(_, f)| std::fs::canonicalize(&f.path).is_ok_and(|p| p == target));
    if is_input {
        return Err("it is an input of this run".to_string());
    }
    Ok(Destination::File(target))
}

/// Writes what `fill` writes to the destination as it is written (a file
/// atomically): a large report is never held whole before it is written.
pub fn emit_with(
    to: &Destination,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), ()> {
    match to {
        Destination::File(path) => scopelint::fix::write::write_atomic_with(path, None, fill)
            .map_err(|e| {
                eprintln!("scopelint: cannot write {}: {e}", path.display());
            }),
        Destination::Stdout => {
            // Standard output is line-buffered: a buffer of its own keeps a
            // report of many lines from being a write call per line.
            let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            fill(&mut stdout)
                .and_then(|()| stdout.flush())
                .map_err(|_| ())
        }
    }
}

/// Writes `text` to the destination (a file atomically).
pub fn emit(to: &Destination, text: &str) -> Result<(), ()> {
    match to {
        Destination::File(path) => scopelint::fix::write::write_atomic(path, text.as_bytes(), None)
            .map_err(|e| {
                eprintln!("scopelint: cannot write {}: {e}", path.display());
            }),
        Destination::Stdout => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|_| ())
        }
    }
}
