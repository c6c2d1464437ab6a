//! Lines for people, on stdout and stderr, that can never stop a run.
//!
//! `println!` panics when its stream is closed (`runner x.toml | head -1`);
//! these functions ignore write errors instead, so a closed pipe only loses
//! the text, never the measurements. Control characters and bidirectional
//! controls from experiment files are shown escaped, so a title can neither
//! move the cursor, split a line, nor reverse the rest of it.

use std::io::{self, Write};

/// Writes a line to stdout; false once stdout is closed.
pub fn out(line: &str) -> bool {
    writeln!(io::stdout().lock(), "{line}").is_ok()
}

/// Writes a line to stderr, ignoring a closed stream.
pub fn error(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// `text` with control characters and bidirectional controls escaped
/// (`\n`, `\u{1b}`, `\u{202e}`), for one line.
pub fn plain(text: &str) -> String {
    let escaped = |c: char| c.is_control() || reorders(c);
    if !text.chars().any(escaped) {
        return text.to_string();
    }
    text.chars()
        .map(|c| match c {
            c if escaped(c) => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Whether `c` is a bidirectional embedding, override or isolate (U+202A to
/// U+202E, U+2066 to U+2069): it reorders the text after it on terminals and
/// pages, so what a reader sees is not what was written.
pub fn reorders(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` is invisible: a default-ignorable code point of Unicode
/// (zero-width spaces and joiners, direction marks, fillers, variation
/// selectors, tags, the soft hyphen...), drawn as nothing at all, so two
/// texts that differ only by it look the same.
pub fn invisible(c: char) -> bool {
    // Default_Ignorable_Code_Point, from Unicode's DerivedCoreProperties.txt.
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{061c}'
            | '\u{115f}'..='\u{1160}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fff8}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

/// `c` as a message names it: "U+200B ZERO WIDTH SPACE", or its code point
/// alone for the rarer ones.
pub fn char_name(c: char) -> String {
    let name = match c {
        '\u{00ad}' => "SOFT HYPHEN",
        '\u{034f}' => "COMBINING GRAPHEME JOINER",
        '\u{061c}' => "ARABIC LETTER MARK",
        '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}' => "HANGUL FILLER",
        '\u{180e}' => "MONGOLIAN VOWEL SEPARATOR",
        '\u{200b}' => "ZERO WIDTH SPACE",
        '\u{200c}' => "ZERO WIDTH NON-JOINER",
        '\u{200d}' => "ZERO WIDTH JOINER",
        '\u{200e}' => "LEFT-TO-RIGHT MARK",
        '\u{200f}' => "RIGHT-TO-LEFT MARK",
        '\u{202a}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202b}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202c}' => "POP DIRECTIONAL FORMATTING",
        '\u{202d}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202e}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2060}' => "WORD JOINER",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{fe00}'..='\u{fe0f}' => "VARIATION SELECTOR",
        '\u{feff}' => "ZERO WIDTH NO-BREAK SPACE",
        _ => return format!("U+{:04X}", c as u32),
    };
    format!("U+{:04X} {name}", c as u32)
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
        assert_eq!(plain("a\u{202e}b"), "a\\u{202e}b");
        // An invisible character is not a control: kept (validation refuses
        // it where it could make two labels look alike).
        assert_eq!(plain("a\u{200b}"), "a\u{200b}");
        assert_eq!(one_line("-ERR x\r\n  more\n"), "-ERR x more");
    }

    #[test]
    fn hidden_and_reordering_characters_are_named() {
        for c in ['\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}'] {
            assert!(reorders(c) && invisible(c), "{c:?}");
        }
        for c in [
            '\u{200b}',
            '\u{200d}',
            '\u{2060}',
            '\u{feff}',
            '\u{3164}',
            '\u{e0041}',
        ] {
            assert!(invisible(c) && !reorders(c), "{c:?}");
        }
        for c in ['a', ' ', '\u{a0}', 'é', '\u{1f600}', '\u{2028}'] {
            assert!(!invisible(c) && !reorders(c), "{c:?}");
        }
        assert_eq!(char_name('\u{200b}'), "U+200B ZERO WIDTH SPACE");
        assert_eq!(char_name('\u{202e}'), "U+202E RIGHT-TO-LEFT OVERRIDE");
        assert_eq!(char_name('\u{e0041}'), "U+E0041");
    }
}
