//! The API calls of startup scripts kept between analyses of the same tree
//! (the language server's): parsing and running a script is a large share of
//! an analysis, and an edit rarely touches one. A script is reused only when
//! its text, its map to its file and the file's id are what they were.

use crate::embedded::Embedded;
use crate::kept::Kept;
use crate::model::ApiCall;
use crate::source::FileId;

type Key = (FileId, bool, Embedded);

/// The calls of the scripts of the latest analysis of one tree.
#[derive(Default)]
pub struct ScriptCache {
    calls: Kept<Key, Vec<ApiCall>>,
}

impl ScriptCache {
    /// The calls of the script `e` (cloud-init `user-data` when `user_data`)
    /// in `file`, when an earlier analysis found them.
    pub fn get(&self, file: FileId, user_data: bool, e: &Embedded) -> Option<Vec<ApiCall>> {
        self.calls
            .get_with(&(file, user_data, e.clone()), |found| Some(found.clone()))
    }

    pub fn put(&self, file: FileId, user_data: bool, e: &Embedded, found: &[ApiCall]) {
        self.calls.put((file, user_data, e.clone()), found.to_vec());
    }

    /// Forgets the scripts no analysis asked for since the last sweep.
    pub fn sweep(&self) {
        self.calls.sweep();
    }

    pub fn len(&self) -> usize {
        self.calls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }
}
