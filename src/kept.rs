//! A map kept between analyses of the same tree (the language server's
//! caches): each entry is marked when an analysis uses it, and a sweep after
//! the analysis forgets the unmarked ones, so the map holds no more than
//! what the latest analysis used.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

pub struct Kept<K, V> {
    entries: Mutex<HashMap<K, (V, bool)>>,
}

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Kept {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V> Kept<K, V> {
    /// What `take` makes of the entry at `key`; the entry counts as used
    /// only when that is something.
    pub fn get_with<Q, R>(&self, key: &Q, take: impl FnOnce(&V) -> Option<R>) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let mut entries = self.entries.lock().ok()?;
        let (value, used) = entries.get_mut(key)?;
        let found = take(value)?;
        *used = true;
        Some(found)
    }

    /// Marks the entry at `key` as used without reading it.
    pub fn keep<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        if let Ok(mut entries) = self.entries.lock()
            && let Some((_, used)) = entries.get_mut(key)
        {
            *used = true;
        }
    }

    pub fn put(&self, key: K, value: V) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(key, (value, true));
        }
    }

    /// Forgets the entries no analysis used since the last sweep.
    pub fn sweep(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (_, used)| std::mem::take(used));
        }
    }

    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
