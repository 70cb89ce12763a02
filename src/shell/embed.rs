//! Scripts embedded in other files (a YAML `run:` block, a Terraform heredoc,
//! a `--metadata startup-script=...` value): the script text the shell parser
//! sees, and where each of its bytes is written in the file.

pub use crate::embedded::Embedded;

/// A Terraform string or heredoc body written at `base` in the file, read as a
/// shell script: `${...}` interpolations become unknown shell expansions
/// (or their value, for a `templatefile()` variable given as a known string),
/// `%{...}` directives are dropped (both branches of an `if` stay), `$${` and
/// `%%{` are escapes, and a quoted string's backslash escapes are decoded.
pub fn terraform_template(
    text: &str,
    base: usize,
    quoted: bool,
    vars: &[(String, String)],
) -> Embedded {
    let mut e = Embedded::default();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut run = 0;
    let mut n = 0;
    let flush = |e: &mut Embedded, from: usize, to: usize| {
        if to > from {
            e.push_mapped(&text[from..to], base + from);
        }
    };
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("$${") || rest.starts_with("%%{") {
            flush(&mut e, run, i);
            e.push(&rest[1..3], base + i, 3);
            i += 3;
            run = i;
        } else if rest.starts_with("${") || rest.starts_with("%{") {
            flush(&mut e, run, i);
            let end = template_end(text, i + 2);
            if rest.starts_with("${") {
                let name = text.get(i + 2..end.saturating_sub(1)).unwrap_or("").trim();
                match vars.iter().find(|(k, _)| k == name) {
                    Some((_, v)) => e.push(v, base + i, end - i),
                    None => {
                        n += 1;
                        e.push(&format!("${{__terraform_{n}}}"), base + i, end - i);
                    }
                }
            } else {
                e.push("", base + i, end - i);
            }
            i = end;
            run = i;
        } else if quoted && bytes[i] == b'\\' && i + 1 < bytes.len() {
            flush(&mut e, run, i);
            let (s, len) = match bytes[i + 1] {
                b'n' => ("\n".to_string(), 2),
                b't' => ("\t".to_string(), 2),
                b'r' => ("\r".to_string(), 2),
                b'"' => ("\"".to_string(), 2),
                b'\\' => ("\\".to_string(), 2),
                b'u' if i + 6 <= bytes.len() => (
                    u32::from_str_radix(&text[i + 2..i + 6], 16)
                        .ok()
                        .and_then(char::from_u32)
                        .map_or_else(String::new, |c| c.to_string()),
                    6,
                ),
                _ => ("\\".to_string(), 1),
            };
            e.push(&s, base + i, len);
            i += len;
            run = i;
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    flush(&mut e, run, bytes.len());
    e
}

/// The end of a `${...}` or `%{...}` whose body starts at `from` (nested braces and strings skipped).
fn template_end(text: &str, from: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 1;
    let mut i = from;
    let mut in_str = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'{' if !in_str => depth += 1,
            b'}' if !in_str => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn terraform_interpolations_become_unknown_expansions() {
        let src = "gsutil cp gs://${var.b}/x .\necho $${HOME} %{ if x }y%{ endif }\n";
        let e = terraform_template(src, 100, false, &[]);
        assert_eq!(
            e.text,
            "gsutil cp gs://${__terraform_1}/x .\necho ${HOME} y\n"
        );
        let at = e.text.find("echo").unwrap_or(0);
        assert_eq!(e.start(at), 100 + src.find("echo").unwrap_or(0));
        let q = terraform_template("a\\nb", 0, true, &[]);
        assert_eq!(q.text, "a\nb");
        assert_eq!(q.start(2), 3);
    }
}
