//! What an analysis is asked to do, and how it reads its inputs: set by the
//! command line or the language server, read by every stage that reads
//! files.

use crate::config::Loaded;
use crate::finding::Strategy;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Files larger than this are reported and not analysed, unless
/// [`Options::max_file_size`] says otherwise (10 MiB: hand-written Terraform
/// files are rarely above 1 MiB).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// What to analyse and how.
#[derive(Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// From the command line; else the configuration's; else `auto`.
    pub strategy: Option<Strategy>,
    pub config: Loaded,
    /// Only these rules (codes or names), when not empty.
    pub select: Vec<String>,
    /// Never these rules (codes or names).
    pub ignore: Vec<String>,
    /// Honour `scopelint:ignore` comments.
    pub inline_suppressions: bool,
    /// Report only findings not recorded in this baseline.
    pub baseline: Option<PathBuf>,
    /// Larger files are reported as errors and not analysed; `None` means
    /// [`DEFAULT_MAX_FILE_SIZE`], `Some(u64::MAX)` no limit.
    pub max_file_size: Option<u64>,
    /// Directories outside the scanned paths (and their git work tree) from
    /// which files that the configuration references may be read.
    pub allow_read_outside: Vec<PathBuf>,
    /// `--fix` applies unsafe patches too.
    pub unsafe_fixes: bool,
    /// The language server's open documents: when set, only the deployment
    /// units that hold one are checked and reported (every unit is still
    /// read, for the facts that meet across units).
    pub focus: Option<BTreeSet<PathBuf>>,
}

/// File contents that replace what is on disk, keyed by the path as discovered
/// ([`crate::source::SourceFile::path`]): how `--fix` re-checks patched files in memory.
pub type Overlay = BTreeMap<PathBuf, String>;

/// How an input's bytes are obtained (from disk, or from memory).
pub(crate) type Reader<'r> = &'r (dyn Fn(&Path) -> Result<Vec<u8>, String> + Sync);
