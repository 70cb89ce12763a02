//! Quoting for the shell commands scopelint prints and writes: names, zones
//! and scopes come from the scanned files, so a name such as
//! `vm$(curl x|sh)` must reach gcloud as one word and never run.

use std::borrow::Cow;

/// `word` as one shell word: as is when it holds only characters no shell
/// treats specially, else in single quotes, or in `$'...'` (with escapes, so
/// that it stays on one line) when it holds control characters.
pub fn quote(word: &str) -> Cow<'_, str> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"-_.,/:=@%+".contains(&b);
    if !word.is_empty() && word.bytes().all(plain) {
        return Cow::Borrowed(word);
    }
    if !word.chars().any(char::is_control) {
        return Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")));
    }
    let mut out = String::from("$'");
    for c in word.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '\'' => out.push_str(r"\'"),
            c if c.is_control() && c.is_ascii() => out.push_str(&format!(r"\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!(r"\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    Cow::Owned(out)
}

/// Whether `word` needs no quoting.
pub fn is_plain(word: &str) -> bool {
    matches!(quote(word), Cow::Borrowed(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(quote("shop-vm-1"), "shop-vm-1");
        assert_eq!(quote("a;id"), "'a;id'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a\nb\x1b'"), r"$'a\x0ab\x1b\''");
        assert!(is_plain("logging-write,storage-ro"));
        assert!(!is_plain("vm$(id)"));
    }
}
