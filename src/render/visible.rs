//! Strings from the scanned files, made safe to print for a person: a
//! terminal obeys control characters (ESC sequences set the title, make
//! links, clear the screen) and a CI log reads a line that starts with
//! `::` as a command, so every control character and bidirectional
//! override is shown as an escape (`\u{1b}`) instead of emitted.

use std::borrow::Cow;

/// Whether `c` would act on a terminal or log rather than show.
fn acts(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escaped(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| acts(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if acts(c) && !keep(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` on one line, with line breaks and other control characters escaped:
/// for names, messages and file names.
pub fn visible(s: &str) -> Cow<'_, str> {
    escaped(s, |_| false)
}

/// `s` with its line breaks kept and every other control character escaped:
/// for file contents, where lines are prefixed (a gutter, a diff marker).
pub fn visible_lines(s: &str) -> Cow<'_, str> {
    escaped(s, |c| c == '\n' || c == '\r')
}

/// A line of output kept from reading as a CI log command: the GitHub
/// runner takes a line that starts with `::` after blanks as a workflow
/// command (a file named `::error::x.tf` in compact output, a heredoc line
/// shown as diff context), and still obeys the older `##[command]` form, as
/// Azure Pipelines obeys `##vso[`; so the first character of such a line is
/// shown escaped.
pub fn not_a_log_command(line: &str) -> String {
    let blanks = line.len() - line.trim_start().len();
    let (indent, rest) = line.split_at_checked(blanks).unwrap_or(("", line));
    let escaped = if let Some(tail) = rest.strip_prefix("::") {
        Some(format!("\\u{{3a}}:{tail}"))
    } else if rest.starts_with("##[") || rest.starts_with("##vso[") {
        rest.strip_prefix('#')
            .map(|tail| format!("\\u{{23}}{tail}"))
    } else {
        None
    };
    match escaped {
        Some(rest) => format!("{indent}{rest}"),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_never_start_a_log_command() {
        assert_eq!(not_a_log_command(" ::add-mask::x"), r" \u{3a}:add-mask::x");
        assert_eq!(not_a_log_command("+  a = 1"), "+  a = 1");
        assert_eq!(not_a_log_command("a.tf:1:1: x::y"), "a.tf:1:1: x::y");
        assert_eq!(not_a_log_command("##[add-mask]x"), r"\u{23}#[add-mask]x");
        assert_eq!(
            not_a_log_command("  ##vso[task.setvariable]x"),
            r"  \u{23}#vso[task.setvariable]x"
        );
        assert_eq!(not_a_log_command("# a comment ##[x]"), "# a comment ##[x]");
    }

    #[test]
    fn control_characters_are_shown_not_emitted() {
        assert_eq!(visible("vm"), "vm");
        assert_eq!(visible("x\n::add-mask::y"), r"x\u{a}::add-mask::y");
        assert_eq!(
            visible("\u{1b}]0;title\u{7}\r\u{202e}"),
            r"\u{1b}]0;title\u{7}\u{d}\u{202e}"
        );
        assert_eq!(visible_lines("a\u{1b}[2J\r\nb\tc"), "a\\u{1b}[2J\r\nb\tc");
    }
}
