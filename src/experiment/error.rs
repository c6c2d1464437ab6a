//! Errors in an experiment file, rendered with file, line, column, the line
//! itself with a caret, and what to do about it.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::console;

/// A problem found while reading or validating an experiment file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ExperimentError {
    /// The file, as the user named it.
    pub path: PathBuf,
    /// 1-based line and column of the offending text, when known.
    pub position: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// The offending line and the caret under it.
    snippet: Option<Box<(String, usize, usize)>>,
}

impl ExperimentError {
    /// An error at byte range `span` of `source`, or for the whole file.
    pub fn new(path: &Path, source: &str, span: Option<Range<usize>>, message: String) -> Self {
        let located = span.map(|s| locate(source, s));
        ExperimentError {
            path: path.to_path_buf(),
            position: located.as_ref().map(|l| (l.line, l.column)),
            message,
            help: None,
            snippet: located.map(|l| Box::new((l.text, l.column, l.width))),
        }
    }

    /// Adds advice on what to do.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Keeps the line and column but does not quote the line: it holds a
    /// secret (a password in a URL), which must not reach the console.
    pub fn without_quoting(mut self) -> Self {
        self.snippet = None;
        self
    }
}

struct Located {
    line: usize,
    column: usize,
    width: usize,
    text: String,
}

/// Line, column (in characters) and caret width of a byte span.
fn locate(source: &str, span: Range<usize>) -> Located {
    let start = span.start.min(source.len());
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let text = source[line_start..line_end]
        .trim_end_matches('\r')
        .to_string();
    let column = source[line_start..start].chars().count() + 1;
    let end = span.end.clamp(start, line_end);
    Located {
        line: source[..start].matches('\n').count() + 1,
        column,
        width: source[start..end].chars().count().max(1),
        text,
    }
}

impl fmt::Display for ExperimentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        // The message may quote the file (`unknown value "\u{1b}[2J"`):
        // escaped, so a file cannot drive the terminal.
        write!(f, ": {}", console::plain(&self.message))?;
        if let (Some(snippet), Some((line, _))) = (&self.snippet, self.position) {
            let (text, column, width) = snippet.as_ref();
            let (text, column, width) = shown(text, *column, *width);
            let gutter = " ".repeat(line.to_string().len());
            let pad = " ".repeat(column - 1);
            write!(
                f,
                "\n{gutter} |\n{line} | {text}\n{gutter} | {pad}{}",
                "^".repeat(width)
            )?;
        }
        if let Some(help) = &self.help {
            let gutter = self.position.map_or(1, |(line, _)| line.to_string().len());
            write!(f, "\n{} = help: {help}", " ".repeat(gutter))?;
        }
        Ok(())
    }
}

/// The most characters of a line shown under an error.
const SHOWN: usize = 100;

/// The offending line as shown: each control, bidirectional or invisible
/// character becomes one visible character (so the caret stays aligned, the
/// file cannot drive the terminal nor reorder the line, and a zero-width
/// character can be seen), and a long line (a 50 MB one-line file) is cut to a window
/// around the column. Returns the text, the column in it and the caret's
/// width.
fn shown(text: &str, column: usize, width: usize) -> (String, usize, usize) {
    let chars: Vec<char> = text
        .chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() || console::invisible(c) => '\u{fffd}',
            c => c,
        })
        .collect();
    let at = column - 1;
    let start = match chars.len() > SHOWN {
        true => at.saturating_sub(SHOWN / 4).min(chars.len() - SHOWN),
        false => 0,
    };
    let end = (start + SHOWN).min(chars.len());
    let mut line: String = chars[start..end].iter().collect();
    let mut column = at - start + 1;
    if start > 0 {
        line.insert_str(0, "...");
        column += 3;
    }
    if end < chars.len() {
        line.push_str("...");
    }
    let width = width.min(end.saturating_sub(at)).max(1);
    (line, column, width)
}

/// The candidate closest to `word`, if any is close enough to be a typo
/// (a difference of case alone always is: "a" for "A").
pub fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if let Some(same) = candidates.iter().find(|c| c.eq_ignore_ascii_case(word)) {
        return Some(same);
    }
    candidates
        .iter()
        .map(|&c| (strsim::jaro_winkler(word, c), c))
        .filter(|&(score, _)| score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Turns a TOML or serde error into ours, in plain words, adding advice
/// where serde has none.
pub fn from_toml(path: &Path, source: &str, error: &toml::de::Error) -> ExperimentError {
    let message = error.message().trim().to_string();
    let base = ExperimentError::new(path, source, error.span(), message.clone());
    if let Some((word, expected)) = unknown(&message, "unknown field") {
        return base_with(
            base,
            format!("unknown key `{word}`"),
            &word,
            &expected,
            "the keys allowed here are",
        );
    }
    if let Some((word, expected)) = unknown(&message, "unknown variant") {
        return base_with(
            base,
            format!("unknown value \"{word}\""),
            &word,
            &expected,
            "use one of",
        );
    }
    let key = error
        .span()
        .and_then(|span| key_at(source, span.start))
        .unwrap_or_default();
    let (message, help) = plain_words(&message, &key);
    let mut base = base;
    base.message = message;
    base.with_help(help.unwrap_or_else(|| {
        "docs/experiment-files.md (or `runner schema --markdown`) lists every key and the values it takes".into()
    }))
}

/// serde's and toml's wording, said in plain words: the message, and a
/// hint when the key tells what values it takes.
fn plain_words(message: &str, key: &str) -> (String, Option<String>) {
    let words = super::params::allowed_words(key);
    let hint = words.map(|w| format!("`{key}` takes {w}"));
    let found_expected = ["invalid type: ", "invalid value: "]
        .iter()
        .find_map(|lead| message.strip_prefix(lead))
        .and_then(|rest| rest.split_once(", expected "));
    if let Some((found, expected)) = found_expected {
        let expected = match expected.trim() {
            "u32" => "a whole number from 0 to 4294967295".to_string(),
            "u64" | "i64" | "usize" => "a whole number".to_string(),
            "a sequence" => "a list of values in brackets, e.g. [1, 2]".to_string(),
            "a boolean" => "true or false".to_string(),
            "a string" => "text in quotes".to_string(),
            e if e.starts_with("struct ") || e == "a map" => "a table".to_string(),
            e => e.to_string(),
        };
        return (format!("expected {expected}, found {}", thing(found)), hint);
    }
    match message {
        "wanted string or table" => (
            "expected a name in quotes".to_string(),
            hint.or_else(|| Some("write the value in quotes, e.g. \"given\"".into())),
        ),
        m if m.starts_with("wanted exactly 1 element") => {
            ("expected a name in quotes, found a table".to_string(), hint)
        }
        "duplicate key" => (
            "this key or table is given twice".to_string(),
            Some("keep one of them (a table is written [name], once)".into()),
        ),
        m => (m.to_string(), hint),
    }
}

/// serde's name for a value found, in plain words.
fn thing(found: &str) -> String {
    let quoted = |s: &str| s.trim_matches('`').to_string();
    match found.split_once(' ') {
        Some(("string", text)) => format!("the text {text}"),
        Some(("integer", n)) => format!("the number {}", quoted(n)),
        Some(("floating", rest)) => format!(
            "the number {} (whole numbers only)",
            quoted(rest.trim_start_matches("point "))
        ),
        Some(("boolean", b)) => quoted(b),
        _ => match found {
            "sequence" => "a list".into(),
            "map" => "a table".into(),
            other => other.into(),
        },
    }
}

/// The key on the line where byte `at` of `source` stands, e.g. `order`
/// for `order = ["given", 1]`.
fn key_at(source: &str, at: usize) -> Option<String> {
    let at = at.min(source.len());
    let start = source[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = source[start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.contains(['[', ' '])).then(|| key.to_string())
}

fn base_with(
    mut base: ExperimentError,
    message: String,
    word: &str,
    expected: &[String],
    lead: &str,
) -> ExperimentError {
    base.message = message;
    let names: Vec<&str> = expected.iter().map(String::as_str).collect();
    let list = names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let help = match (suggest(word, &names), names.is_empty()) {
        (_, true) => "remove it: nothing may be set here".to_string(),
        (Some(close), _) => format!("did you mean `{close}`? {lead}: {list}"),
        (None, _) => format!("{lead}: {list}"),
    };
    base.with_help(help)
}

/// Parses serde's "unknown field `x`, expected one of `a`, `b`" (and the
/// variant form) into the word and the expected names.
fn unknown(message: &str, lead: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix(lead)?.trim_start();
    let mut quoted = rest.split('`').skip(1).step_by(2).map(str::to_string);
    let word = quoted.next()?;
    Some((word, quoted.collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_long_lines_are_shown_safely() {
        let source = "name = \"x\u{1b}[2J\"\n";
        let err = ExperimentError::new(
            Path::new("f.toml"),
            source,
            Some(7..14),
            "bad \u{1b}".into(),
        );
        let text = err.to_string();
        assert!(!text.contains('\u{1b}'), "{text:?}");
        assert!(text.contains("bad \\u{1b}"), "{text}");
        assert!(
            text.contains("1 | name = \"x\u{fffd}[2J\"\n  |        ^^^^^^^"),
            "{text}"
        );
        // A raw right-to-left override or zero-width space in the file is
        // shown, not obeyed (issue 20 item 16).
        let source = "title = \"a\u{202e}b\u{200b}\"\n";
        let err = ExperimentError::new(Path::new("f.toml"), source, Some(8..19), "bad".into());
        let text = err.to_string();
        assert!(
            text.contains("1 | title = \"a\u{fffd}b\u{fffd}\""),
            "{text}"
        );
        // A one-line file of a million characters, wrong at its end.
        let long = format!("d = \"{}\" x", "a".repeat(1_000_000));
        let at = long.len() - 1;
        let err = ExperimentError::new(Path::new("f.toml"), &long, Some(at..at + 1), "bad".into());
        let text = err.to_string();
        assert!(text.len() < 400, "{}", text.len());
        let lines: Vec<&str> = text.lines().collect();
        let caret = lines[3].find('^').unwrap();
        assert_eq!(&lines[2][caret..=caret], "x", "{text}");
    }

    #[test]
    fn points_at_the_span() {
        let source = "name = \"x\"\nworkers = [0]\n";
        let err = ExperimentError::new(Path::new("f.toml"), source, Some(22..23), "bad".into())
            .with_help("fix it");
        assert_eq!(err.position, Some((2, 12)));
        assert_eq!(
            err.to_string(),
            "f.toml:2:12: bad\n  |\n2 | workers = [0]\n  |            ^\n  = help: fix it"
        );
    }
}
