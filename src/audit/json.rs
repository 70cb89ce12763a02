//! A read-only view of an export's JSON that keeps every value's place in
//! the file, so a finding can point at the record and line it came from.

use crate::source::{FileId, Loc};
use jsonc_parser::ast::Value;
use jsonc_parser::common::Ranged;

/// One JSON value of one export file.
#[derive(Clone, Copy)]
pub struct Node<'v, 'a> {
    pub value: &'v Value<'a>,
    pub file: FileId,
    /// Where the parsed text starts in the file (a line of an NDJSON export).
    pub offset: usize,
}

impl<'v, 'a> Node<'v, 'a> {
    pub fn new(value: &'v Value<'a>, file: FileId) -> Self {
        Node::at_offset(value, file, 0)
    }

    pub fn at_offset(value: &'v Value<'a>, file: FileId, offset: usize) -> Self {
        Node {
            value,
            file,
            offset,
        }
    }

    fn child(&self, value: &'v Value<'a>) -> Self {
        Node::at_offset(value, self.file, self.offset)
    }

    /// Where the value is written.
    pub fn loc(&self) -> Loc {
        let r = self.value.range();
        Loc::new(self.file, r.start + self.offset..r.end + self.offset)
    }

    /// The property `key` of an object.
    pub fn get(&self, key: &str) -> Option<Node<'v, 'a>> {
        let Value::Object(o) = self.value else {
            return None;
        };
        o.properties
            .iter()
            .find(|p| p.name.as_str() == key)
            .map(|p| self.child(&p.value))
    }

    /// Follows a path of object keys.
    pub fn at(&self, path: &[&str]) -> Option<Node<'v, 'a>> {
        path.iter().try_fold(*self, |node, key| node.get(key))
    }

    pub fn as_str(&self) -> Option<&'v str> {
        match self.value {
            Value::StringLit(s) => Some(&s.value),
            _ => None,
        }
    }

    /// The string at `path`, if it is one.
    pub fn str_at(&self, path: &[&str]) -> Option<&'v str> {
        self.at(path).and_then(|n| n.as_str())
    }

    /// The elements of an array (none for anything else).
    pub fn items(&self) -> Vec<Node<'v, 'a>> {
        match self.value {
            Value::Array(a) => a.elements.iter().map(|e| self.child(e)).collect(),
            _ => Vec::new(),
        }
    }

    pub fn is_array(&self) -> bool {
        matches!(self.value, Value::Array(_))
    }

    pub fn is_object(&self) -> bool {
        matches!(self.value, Value::Object(_))
    }
}

/// The segment after `key/` in a resource path or URL
/// (`.../projects/my-app/zones/us-east1-b/...`, `projects` → `my-app`).
pub fn segment_after<'s>(path: &'s str, key: &str) -> Option<&'s str> {
    let mut parts = path.split('/');
    parts.find(|p| *p == key)?;
    parts.next().filter(|s| !s.is_empty())
}

/// The last segment of a resource path or URL (`.../zones/us-east1-b` → `us-east1-b`).
pub fn last_segment(path: &str) -> Option<&str> {
    path.rsplit('/').next().filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments() {
        let url =
            "https://www.googleapis.com/compute/v1/projects/my-app/zones/us-east1-b/instances/vm";
        assert_eq!(segment_after(url, "projects"), Some("my-app"));
        assert_eq!(segment_after(url, "zones"), Some("us-east1-b"));
        assert_eq!(segment_after(url, "regions"), None);
        assert_eq!(segment_after("projects/", "projects"), None);
        assert_eq!(last_segment(url), Some("vm"));
        assert_eq!(last_segment("zones/"), None);
    }
}
