//! Where the line comments of a file are, by the rules of its language: a
//! `scopelint:ignore` counts only as a comment, never as text inside a
//! string value, a heredoc or a JSON document (which has no comments), so
//! a startup script or a string cannot silence the findings of its file.

use crate::discover::FileKind;
use std::path::Path;

/// The byte offsets where line comments start (at their `#` or `//`).
pub fn line_comments(path: &Path, text: &str) -> Vec<usize> {
    let json = path.extension().is_some_and(|e| e == "json");
    match FileKind::of(path) {
        Some(FileKind::Terraform | FileKind::TfVars) => hcl(text.as_bytes()),
        Some(FileKind::Workflow | FileKind::CloudBuild | FileKind::ConfigConnector) => yaml(text),
        Some(FileKind::TerraformJson | FileKind::TfVarsJson | FileKind::Plan) => Vec::new(),
        None if json => Vec::new(),
        // Config Connector files are known by content; their comments are YAML's.
        None if crate::discover::is_yaml(path) => yaml(text),
        // Scripts, and startup-script files read through configuration.
        Some(FileKind::Shell) | None => shell(text),
    }
}

/// Where HCL is, while scanning: in code, or in a quoted template.
enum Hcl {
    /// Code, with the number of `{` open since it began (a template
    /// interpolation ends at its own `}`).
    Code(usize),
    Quoted,
}

/// HCL's `#` and `//` comments outside strings, templates and heredocs
/// (comments inside an interpolation are skipped, not reported). Nesting is
/// kept on a stack, so no input can exhaust the call stack.
fn hcl(b: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut stack = vec![Hcl::Code(0)];
    let mut i = 0;
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    while i < b.len() {
        let top_level = stack.len() == 1;
        let (c, next) = (at(i), at(i + 1));
        match stack.last_mut() {
            Some(Hcl::Code(braces)) => match (c, next) {
                (b'#', _) | (b'/', b'/') => {
                    if top_level {
                        out.push(i);
                    }
                    i = line_end(b, i);
                }
                (b'/', b'*') => {
                    i = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
                }
                (b'"', _) => {
                    stack.push(Hcl::Quoted);
                    i += 1;
                }
                (b'<', b'<') => i = skip_heredoc(b, i),
                (b'{', _) => {
                    *braces += 1;
                    i += 1;
                }
                (b'}', _) => {
                    if *braces == 0 && !top_level {
                        stack.pop();
                    } else {
                        *braces = braces.saturating_sub(1);
                    }
                    i += 1;
                }
                _ => i += 1,
            },
            Some(Hcl::Quoted) => match (c, next) {
                (b'\\', _) => i += 2,
                (b'"', _) | (b'\n', _) => {
                    stack.pop();
                    i += 1;
                }
                (b'$' | b'%', b'$' | b'%') if at(i + 2) == b'{' => i += 3,
                (b'$' | b'%', b'{') => {
                    stack.push(Hcl::Code(0));
                    i += 2;
                }
                _ => i += 1,
            },
            None => break,
        }
    }
    out
}

/// The end of a heredoc that starts at `i` (`<<EOT` or `<<-EOT`, a line
/// break, its lines, and the delimiter on a line of its own); `i + 2` when
/// `<<` does not start one.
fn skip_heredoc(b: &[u8], i: usize) -> usize {
    let mut start = i + 2;
    if b.get(start) == Some(&b'-') {
        start += 1;
    }
    let ident_len = b
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c == b'-')
        .count();
    let ident = b.get(start..start + ident_len).unwrap_or_default();
    let rest = b.get(start + ident_len..).unwrap_or_default();
    let header_ends = rest.starts_with(b"\n") || rest.starts_with(b"\r\n");
    if ident.is_empty() || !header_ends {
        return i + 2;
    }
    let mut line = line_end(b, start) + 1;
    while line < b.len() {
        let end = line_end(b, line);
        if b.get(line..end).unwrap_or_default().trim_ascii() == ident {
            return end;
        }
        line = end + 1;
    }
    b.len()
}

/// Shell comments, as tree-sitter-bash finds them: never inside quotes,
/// heredocs or words.
fn shell(text: &str) -> Vec<usize> {
    let Some(tree) = crate::shell::syntax::parse(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        if node.kind() == "comment" {
            out.push(node.start_byte());
        }
        if node.kind() != "comment" && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

/// YAML comments: a `#` at the start of a line or after a blank, outside a
/// quoted scalar on its line. In a block scalar (a `run:` script) such a line
/// is the script's own shell comment, which counts too.
fn yaml(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let mut quote = None;
        let mut previous = b' ';
        let mut bytes = line.bytes().enumerate();
        while let Some((i, c)) = bytes.next() {
            match (quote, c) {
                (None, b'#') if previous.is_ascii_whitespace() => {
                    out.push(offset + i);
                    break;
                }
                (None, b'\'' | b'"')
                    if previous.is_ascii_whitespace() || b"[{:,".contains(&previous) =>
                {
                    quote = Some(c);
                }
                (Some(b'"'), b'\\') => {
                    bytes.next();
                }
                (Some(q), _) if c == q => quote = None,
                _ => {}
            }
            previous = c;
        }
        offset += line.len();
    }
    out
}

fn line_end(b: &[u8], from: usize) -> usize {
    b.get(from..)
        .and_then(|r| r.iter().position(|&c| c == b'\n'))
        .map_or(b.len(), |p| from + p)
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comments(name: &str, text: &str) -> Vec<String> {
        line_comments(Path::new(name), text)
            .into_iter()
            .map(|at| {
                let rest = text.get(at..).unwrap_or_default();
                rest.lines().next().unwrap_or_default().to_string()
            })
            .collect()
    }

    #[test]
    fn hcl_comments_are_not_in_strings_templates_or_heredocs() {
        let text = r##"# top
a = "x # not" // tail
b = "${ "# not" } # not"
c = <<-EOT
  # not: script text
  EOT
/* # not */ d = 1 # yes
e = "$${ # not }"
"##;
        assert_eq!(comments("main.tf", text), ["# top", "// tail", "# yes"]);
    }

    #[test]
    fn unclosed_and_deep_nesting_never_overflow() {
        let deep = "a = \"${\"".repeat(100_000);
        assert!(comments("main.tf", &deep).is_empty());
        assert!(comments("main.tf", "a = <<EOT\n# x\n").is_empty());
    }

    #[test]
    fn shell_and_yaml_comments() {
        let sh = "# yes\necho \"# not\" '# not' a#not\ncat <<EOF\n# not\nEOF\nls # yes\n";
        assert_eq!(comments("x.sh", sh), ["# yes", "# yes"]);
        let yml = "# yes\nrun: |\n  # yes\n  echo '# not' \"# not\"\nname: a#not # yes\n";
        assert_eq!(
            comments(".github/workflows/ci.yml", yml),
            ["# yes", "# yes", "# yes"]
        );
        assert!(comments("main.tf.json", r##"{"//": "# not"}"##).is_empty());
    }
}
