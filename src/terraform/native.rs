//! Terraform's native syntax, parsed by hcl-edit, with one difference
//! taken into account: Terraform ignores newlines inside a `for`
//! expression, so a conditional may go on with `?` or `:` at the start of
//! the next line (`{ for k, v in m : k => v.a\n ? 1\n : 2 }`); hcl-edit
//! rejects that. When a file does not parse, the line breaks before such
//! lines are read as spaces and it is parsed again: a break and a space are
//! one byte each, so every span still points at the file's own text.

use hcl::edit::structure::Body;

/// Parses a Terraform file (`text` without its BOM).
pub fn parse_body(text: &str) -> Result<Body, hcl::edit::parser::Error> {
    let error = match hcl::edit::parser::parse_body(text) {
        Ok(body) => return Ok(body),
        Err(e) => e,
    };
    match joined(text) {
        Some(joined) => hcl::edit::parser::parse_body(&joined).map_err(|_| error),
        None => Err(error),
    }
}

/// `text` with the break before each line that starts with `?` or `:` made a
/// space, outside heredocs and never after a line with a comment (the next
/// line would become part of it); `None` when there is no such line.
fn joined(text: &str) -> Option<String> {
    let mut bytes = text.as_bytes().to_vec();
    let mut changed = false;
    let mut heredoc: Option<String> = None;
    let mut previous: Option<(usize, &str)> = None;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        if let Some(end) = &heredoc {
            if trimmed == end {
                heredoc = None;
            }
        } else {
            if let (Some((break_at, before)), true) = (previous, trimmed.starts_with(['?', ':']))
                && !before.contains('#')
                && !before.contains("//")
                && !before.contains("/*")
                && let Some(b) = bytes.get_mut(break_at)
            {
                *b = b' ';
                changed = true;
            }
            heredoc = heredoc_end(content);
        }
        // The break ending this line, when it is a lone `\n`.
        previous = line
            .strip_suffix('\n')
            .filter(|l| !l.ends_with('\r'))
            .map(|l| (start + l.len(), content));
        start += line.len();
    }
    if !changed {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// The delimiter of a heredoc that `line` opens (`<<EOT`, `<<-EOT`).
fn heredoc_end(line: &str) -> Option<String> {
    let (_, rest) = line.split_once("<<")?;
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty() && rest.len() == word.len()).then_some(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A conditional that goes on at the start of the next lines, inside a
    /// `for` expression, as Terraform reads it.
    #[test]
    fn a_conditional_may_go_on_at_the_start_of_a_line() {
        let text = "locals {\n  out = { for k, v in var.m : k => v.a\n    ? 1\n    : 2 }\n}\n";
        assert!(hcl::edit::parser::parse_body(text).is_err());
        let body = parse_body(text);
        assert!(body.is_ok(), "{body:?}");
        let joined = joined(text).unwrap_or_default();
        assert_eq!(joined.len(), text.len());
        assert_eq!(joined.matches('\n').count(), text.matches('\n').count() - 2);
    }

    /// A break after a comment, or inside a heredoc, stays a break: the file
    /// is then reported as it is.
    #[test]
    fn comments_and_heredocs_keep_their_breaks() {
        let comment =
            "locals {\n  out = { for k, v in var.m : k => v.a # why\n    ? 1\n    : 2 }\n}\n";
        assert!(parse_body(comment).is_err());
        let heredoc = "locals {\n  s = <<EOT\nhello\n: world\nEOT\n}\n";
        assert_eq!(joined(heredoc), None);
        let text = "x = 1\n? y\n";
        let e = parse_body(text).err().map(|e| e.location().line());
        assert_eq!(e, Some(2), "the first error is the one reported");
    }
}
