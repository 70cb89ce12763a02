//! The API calls of startup scripts kept between analyses of the same tree
//! (the language server's): parsing and running a script is a large share of
//! an analysis, and an edit rarely touches one. A script is reused only when
//! its text, its map to its file and the file's id are what they were.

use crate::embedded::Embedded;
use crate::model::ApiCall;
use crate::source::FileId;
use std::collections::HashMap;
use std::sync::Mutex;

type Key = (FileId, bool, Embedded);

/// The calls of the scripts of the latest analysis of one tree.
#[derive(Default)]
pub struct ScriptCache {
    calls: Mutex<HashMap<Key, (Vec<ApiCall>, bool)>>,
}

impl ScriptCache {
    /// The calls of the script `e` (cloud-init `user-data` when `user_data`)
    /// in `file`, when an earlier analysis found them.
    pub fn get(&self, file: FileId, user_data: bool, e: &Embedded) -> Option<Vec<ApiCall>> {
        let mut calls = self.calls.lock().ok()?;
        let (found, used) = calls.get_mut(&(file, user_data, e.clone()))?;
        *used = true;
        Some(found.clone())
    }

    pub fn put(&self, file: FileId, user_data: bool, e: &Embedded, found: &[ApiCall]) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.insert((file, user_data, e.clone()), (found.to_vec(), true));
        }
    }

    /// Forgets the scripts no analysis asked for since the last sweep.
    pub fn sweep(&self) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.retain(|_, (_, used)| std::mem::take(used));
        }
    }

    pub fn len(&self) -> usize {
        self.calls.lock().map_or(0, |c| c.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
