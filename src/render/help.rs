//! A finding's advice cut to what the short formats show.

use crate::finding::Finding;

/// The advice of a finding in one line, for the formats that show little
/// (annotations, GitLab's description): its first help item, and any note
/// that a suppression or waiver expired (which says why the finding is back).
pub fn short_help(f: &Finding) -> Option<String> {
    let mut out = one_line(f.help.first()?);
    for note in f.help.iter().skip(1).filter(|h| h.contains(" expired on ")) {
        out.push_str("; ");
        out.push_str(&one_line(note));
    }
    Some(out)
}

/// The gcloud commands in a finding's help, one per line, as they would be typed.
pub fn commands(f: &Finding) -> Vec<String> {
    f.help
        .iter()
        .map(|h| h.trim())
        .filter(|h| h.starts_with("gcloud "))
        .map(str::to_string)
        .collect()
}

/// The message with its line breaks folded to spaces: for one-line formats.
pub fn one_line(s: &str) -> String {
    s.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_folds_breaks() {
        assert_eq!(one_line("a\n  b\r\n\nc"), "a b c");
    }
}
