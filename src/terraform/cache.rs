//! Parsed Terraform files kept between analyses of the same tree. The
//! language server analyses a unit again on every edit, and every file but
//! the edited one is unchanged: parsing is most of an analysis, so the files
//! parsed last time are reused. A file is reused only when its path, kind,
//! file id and text are all what they were when it was parsed, so a reused
//! tree is the tree a parse would give.

use super::module::ParsedFile;
use crate::discover::FileKind;
use crate::kept::Kept;
use crate::source::{FileId, SourceFile};
use std::path::{Path, PathBuf};

struct Entry {
    id: FileId,
    kind: FileKind,
    text: String,
    parsed: ParsedFile,
}

/// The files of the latest analysis of one tree, parsed.
#[derive(Default)]
pub struct ParseCache {
    files: Kept<PathBuf, Entry>,
}

impl ParseCache {
    /// The parsed file at `path`, when it was parsed from the same text.
    pub fn get(
        &self,
        path: &Path,
        id: FileId,
        kind: FileKind,
        src: &SourceFile,
    ) -> Option<ParsedFile> {
        self.files.get_with(path, |e| {
            (e.id == id && e.kind == kind && e.text == src.text).then(|| e.parsed.clone())
        })
    }

    /// Keeps the tree of `path` through the next sweep: its unit is open
    /// but was not parsed this time.
    pub fn keep(&self, path: &Path) {
        self.files.keep(path);
    }

    pub fn put(
        &self,
        path: &Path,
        id: FileId,
        kind: FileKind,
        src: &SourceFile,
        parsed: &ParsedFile,
    ) {
        let entry = Entry {
            id,
            kind,
            text: src.text.clone(),
            parsed: parsed.clone(),
        };
        self.files.put(path.to_path_buf(), entry);
    }

    /// Forgets the files no analysis asked for since the last sweep.
    pub fn sweep(&self) {
        self.files.sweep();
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}
