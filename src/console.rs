//! Lines for people, on stdout and stderr, that can never stop a run.
//!
//! `println!` panics when its stream is closed (`runner x.toml | head -1`);
//! these functions ignore write errors instead, so a closed pipe only loses
//! the text, never the measurements. Control characters from experiment
//! files are shown escaped, so a title can neither move the cursor nor split
//! a line.

use std::io::{self, Write};

/// Writes a line to stdout; false once stdout is closed.
pub fn out(line: &str) -> bool {
    writeln!(io::stdout().lock(), "{line}").is_ok()
}

/// Writes a line to stderr, ignoring a closed stream.
pub fn error(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// `text` with control characters escaped (`\n`, `\u{1b}`), for one line.
pub fn plain(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// `text` on one line: line breaks become spaces, other control characters
/// are escaped (for messages from servers and the operating system).
pub fn one_line(text: &str) -> String {
    let joined = text
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    plain(&joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(plain("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(plain("two\nlines"), "two\\nlines");
        assert_eq!(plain("plain é"), "plain é");
        assert_eq!(one_line("-ERR x\r\n  more\n"), "-ERR x more");
    }
}
