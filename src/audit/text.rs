//! The text of the exports read as a stream. The model is built without it;
//! the report needs it (lines, columns, snippets), so it is read again once
//! the model is no longer needed: an export's text and the model of every
//! resource in it are never held at the same time. A file that changed in
//! between is an input error, not a report pointing at the wrong lines.

use crate::outcome::InputError;
use crate::read;
use crate::source::{FileId, SourceFile, Sources};
use std::hash::Hasher;
use std::path::PathBuf;

/// A digest of a file's bytes, fed a line at a time.
#[derive(Default)]
pub struct Digest(std::hash::DefaultHasher);

impl Digest {
    pub fn add(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }

    pub fn finish(&self) -> u64 {
        self.0.finish()
    }
}

/// A streamed export whose text is still to be read.
#[derive(Debug)]
pub struct Pending {
    pub id: FileId,
    pub path: PathBuf,
    pub size: u64,
    pub digest: u64,
}

/// Reads the text of `pending` into `sources`; an export that is no longer
/// what was analysed keeps no text, and says so in `errors`.
pub fn read_again(
    pending: Pending,
    limit: u64,
    sources: &mut Sources,
    errors: &mut Vec<InputError>,
) {
    let Some(file) = sources.get_mut(pending.id) else {
        return;
    };
    let text = read::file(&pending.path, limit, read::Links::Follow)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|text| {
            let mut digest = Digest::default();
            text.split_inclusive('\n')
                .for_each(|line| digest.add(line.as_bytes()));
            text.len() as u64 == pending.size && digest.finish() == pending.digest
        });
    match text {
        Some(text) => {
            *file = SourceFile::new(file.display.clone(), pending.path, text);
        }
        None => errors.push(InputError {
            file: file.display.clone(),
            line: 0,
            column: 0,
            message: "the file changed while it was analysed: read it again".to_string(),
            source: None,
        }),
    }
}
