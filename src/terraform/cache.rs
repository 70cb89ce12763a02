//! Parsed Terraform files kept between analyses of the same tree. The
//! language server analyses a unit again on every edit, and every file but
//! the edited one is unchanged: parsing is most of an analysis, so the files
//! parsed last time are reused. A file is reused only when its path, kind,
//! file id and text are all what they were when it was parsed, so a reused
//! tree is the tree a parse would give.

use super::module::ParsedFile;
use crate::discover::FileKind;
use crate::source::{FileId, SourceFile};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

struct Entry {
    id: FileId,
    kind: FileKind,
    text: String,
    parsed: ParsedFile,
    /// Looked up or stored since the last sweep.
    used: bool,
}

/// The files of the latest analysis of one tree, parsed.
#[derive(Default)]
pub struct ParseCache {
    files: Mutex<HashMap<PathBuf, Entry>>,
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
        let mut files = self.files.lock().ok()?;
        let e = files.get_mut(path)?;
        if e.id != id || e.kind != kind || e.text != src.text {
            return None;
        }
        e.used = true;
        Some(e.parsed.clone())
    }

    pub fn put(
        &self,
        path: &Path,
        id: FileId,
        kind: FileKind,
        src: &SourceFile,
        parsed: &ParsedFile,
    ) {
        if let Ok(mut files) = self.files.lock() {
            files.insert(
                path.to_path_buf(),
                Entry {
                    id,
                    kind,
                    text: src.text.clone(),
                    parsed: parsed.clone(),
                    used: true,
                },
            );
        }
    }

    /// Forgets the files no analysis asked for since the last sweep: the
    /// cache holds no more than the files of the latest analysis.
    pub fn sweep(&self) {
        if let Ok(mut files) = self.files.lock() {
            files.retain(|_, e| std::mem::take(&mut e.used));
        }
    }

    pub fn len(&self) -> usize {
        self.files.lock().map_or(0, |f| f.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
