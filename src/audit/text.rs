//! A digest of an export read twice as a stream: the second pass tells by
//! it that it read what the first did. A file that changed in between is an
//! input error, not a report that joins facts of two versions.

use std::hash::Hasher;

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
