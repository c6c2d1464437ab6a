//! The texts a file holds (name, title, description, labels, lessons):
//! plain, printable, and telling apart what must look different.

use std::collections::BTreeMap;

use toml::Spanned;

use super::ErrAt;
use crate::console;
use crate::experiment::error::ExperimentError;
use crate::experiment::schema::FileSpec;

pub(super) fn is_slug(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Which of a text's characters may be control characters: none for one-line
/// texts (a newline would split a progress line, an escape reach the terminal).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Lines {
    One,
    /// `description` may hold newlines and tabs.
    Many,
}

/// Rejects control characters in a text shown on a terminal or a page, and
/// bidirectional embeddings, overrides and isolates (issue 20 item 16): a
/// U+202E reverses the rest of the line wherever the text is shown.
pub(super) fn check_plain_text(
    what: &str,
    text: &Spanned<String>,
    lines: Lines,
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    let reordering = text
        .get_ref()
        .chars()
        .enumerate()
        .find(|&(_, c)| console::reorders(c));
    if let Some((i, c)) = reordering {
        return Err(err(
            Some(text.span()),
            format!(
                "{what} holds a bidirectional control character ({}) at character {}",
                console::char_name(c),
                i + 1
            ),
        )
        .with_help(
            "remove it: it reorders the text after it on terminals and pages, so a reader \
             would not see what the file says",
        ));
    }
    let allowed = |c: char| lines == Lines::Many && matches!(c, '\n' | '\t' | '\r');
    let bad = text
        .get_ref()
        .chars()
        .enumerate()
        .find(|&(_, c)| c.is_control() && !allowed(c));
    match bad {
        None => Ok(()),
        Some((i, c)) => Err(err(
            Some(text.span()),
            format!(
                "{what} holds a control character (U+{:04X}) at character {}",
                c as u32,
                i + 1
            ),
        )
        .with_help(match lines {
            Lines::One => "write it on one line, without escapes such as \\n, \\t or \\u001b",
            Lines::Many => {
                "only newlines and tabs may be used here; remove escapes such as \\u001b"
            }
        })),
    }
}

/// A label as a reader sees it: blanks collapsed, so "a  b" and "a b" are
/// one (the braille blank, U+2800, draws as a space too).
pub(super) fn seen_as(label: &str) -> String {
    label
        .split(|c: char| c.is_whitespace() || c == '\u{2800}')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks a set of labels that name bars, series or rows: none blank, none
/// with control, bidirectional or invisible characters (issue 20 item 16: a
/// zero-width space made "a\u{200b}" and "a" two labels that look alike),
/// none equal to another once blanks are collapsed. Exact duplicates are
/// left to the caller's own message when `exact` is false.
pub(super) fn check_labels<'a>(
    what: &str,
    labels: impl Iterator<Item = &'a Spanned<String>>,
    exact: bool,
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for label in labels {
        check_plain_text(&format!("the {what}"), label, Lines::One, err)?;
        let text = label.get_ref();
        let hidden = text
            .chars()
            .enumerate()
            .find(|&(_, c)| console::invisible(c));
        if let Some((i, c)) = hidden {
            return Err(err(
                Some(label.span()),
                format!(
                    "the {what} holds an invisible character ({}) at character {}",
                    console::char_name(c),
                    i + 1
                ),
            )
            .with_help(format!(
                "remove it: a reader cannot see it, so a {what} with it looks like one without"
            )));
        }
        let key = seen_as(text);
        if key.is_empty() {
            return Err(
                err(Some(label.span()), format!("the {what} is blank")).with_help(format!(
                    "give it a {what} a reader can tell apart from the others"
                )),
            );
        }
        match seen.get(&key) {
            Some(&first) if first != text => {
                return Err(err(
                    Some(label.span()),
                    format!("the {what} \"{text}\" differs from \"{first}\" only in spaces"),
                )
                .with_help(format!(
                    "a chart or a table would show them as one; give each {what} its own words"
                )));
            }
            Some(_) if exact => {
                return Err(err(
                    Some(label.span()),
                    format!("two numbers are named \"{text}\""),
                )
                .with_help("give each number its own name; charts show one bar per name"));
            }
            _ => {
                seen.insert(key, text);
            }
        }
    }
    Ok(())
}

/// Checks every text the file gives a reader (issue items 16 and 26): the
/// name, title, description, variant labels, number names and chart titles.
pub(super) fn check_texts(spec: &FileSpec, err: &ErrAt) -> Result<(), ExperimentError> {
    // Before the name's own check, whose message quotes the name.
    if let Some(name) = &spec.name {
        check_plain_text("the name", name, Lines::One, err)?;
    }
    if let Some(title) = &spec.title {
        check_plain_text("the title", title, Lines::One, err)?;
    }
    if let Some(description) = &spec.description {
        check_plain_text("the description", description, Lines::Many, err)?;
    }
    let labels = spec
        .variants
        .iter()
        .filter_map(|v| v.get_ref().label.as_ref());
    // Exact duplicates keep their own message, from check_unique_labels.
    check_labels("variant label", labels, false, err)?;
    let numbers = spec
        .workload
        .as_ref()
        .and_then(|w| w.get_ref().numbers.as_ref());
    if let Some(numbers) = numbers {
        // An unnamed number is called "number N"; a name may not take that.
        let names: Vec<Spanned<String>> = numbers
            .get_ref()
            .iter()
            .enumerate()
            .map(|(i, n)| match &n.get_ref().name {
                Some(name) => name.clone(),
                None => Spanned::new(n.span(), format!("number {}", i + 1)),
            })
            .collect();
        check_labels("number name", names.iter(), true, err)?;
    }
    for chart in &spec.charts {
        if let Some(title) = &chart.get_ref().title {
            check_plain_text("the chart title", title, Lines::One, err)?;
        }
    }
    Ok(())
}
