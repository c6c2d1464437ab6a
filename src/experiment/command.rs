//! A command workload as declared: the program's argv with `{name}`
//! placeholders, how it is started (shell or not, working directory,
//! environment, timeout), which clock times it and what its answer line
//! answers; and the user's own parameters, kept apart from runner's so a
//! typo in one of runner's keys is still an error.
//!
//! Placeholders name a column of the case (`{workers}`, `{chunksize}`,
//! `{range_start}`, `{number}`, …: see [`super::columns::CASE_COLUMNS`]) or a
//! user parameter; `{name|text}` gives `text` where the case has no value
//! for `name` (a serial case has no chunksize, a case without a flag no
//! loop); `{{` and `}}` stand for `{` and `}`.
//!
//! With `shell = true` every value is quoted for the shell (by `shlex`) and
//! the literal text is left as written, so the user's own shell syntax
//! works and a value is always one word, never syntax. Quoting holds only
//! where the shell reads plain words, so a placeholder inside the file's own
//! quotes, a backtick substitution, a comment or a here-document is refused
//! when the file is checked.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use toml::Spanned;

use super::columns::CASE_COLUMNS;
use super::error::{ExperimentError, suggest};
use super::schema::{ParamListsSpec, ParamsSpec, WorkloadSpec};
use super::values::{AnswerKind, ClockKind, WorkloadKind};
use crate::secret::password_in;

/// The timeout of a repeat when the file names none: one hour.
pub const DEFAULT_TIMEOUT_S: f64 = 3600.0;
/// The longest a repeat may plausibly take, in seconds (about 11.6 days):
/// the largest `timeout_s`, and the largest time a program may report.
pub const MAX_SECONDS: f64 = 1e6;

/// How to run a command case's program.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandSpec {
    /// The words, with placeholders; the first names the program.
    pub argv: Vec<String>,
    /// Run the words joined by spaces with `sh -c` instead, each
    /// placeholder's value quoted for the shell.
    pub shell: bool,
    /// The working directory (default: runner's).
    pub cwd: Option<PathBuf>,
    /// Variables added to the environment.
    pub env: Vec<(String, String)>,
    /// How long a repeat may take before its process group is killed.
    pub timeout: Duration,
    /// The clock whose time is the repeat's `seconds`.
    pub clock: ClockKind,
    /// What the answer line answers; none: the case is unchecked.
    pub answer: Option<AnswerKind>,
}

/// A placeholder's text split into literal text and names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// A placeholder: its name, and the text for a case without a value.
    Name(String, Option<String>),
}

/// Splits `word` into text and `{name}` placeholders.
pub fn pieces(word: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => return Err(format!("the placeholder `{{{name}` has no `}}`")),
                    }
                }
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                match name.split_once('|') {
                    Some((name, default)) => {
                        out.push(Piece::Name(name.into(), Some(default.into())))
                    }
                    None => out.push(Piece::Name(name, None)),
                }
            }
            '}' => return Err("a `}` closes no placeholder (write `}}` for a brace)".into()),
            c => text.push(c),
        }
    }
    if !text.is_empty() || out.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

/// Why a word's placeholders could not be filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FillError {
    /// The case has no value for this name, and the placeholder no default.
    NoValue(String),
    /// This name's value holds a NUL character, which no shell word carries.
    Nul(String),
    /// The word's braces are unbalanced (checked with the file, so rare).
    Syntax(String),
}

/// How a value is written into its word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    /// As it is: the word is one argument of the program.
    None,
    /// Quoted for `sh -c` (a default text too), so it stays one word.
    Shell,
}

/// Fills the placeholders of `word` with `value` of each name (or the
/// placeholder's default), quoted as `quoting` says; the literal text is
/// kept as written.
pub fn substitute(
    word: &str,
    value: impl Fn(&str) -> Option<String>,
    quoting: Quoting,
) -> Result<String, FillError> {
    let mut out = String::new();
    for piece in pieces(word).map_err(FillError::Syntax)? {
        match piece {
            Piece::Text(t) => out.push_str(&t),
            Piece::Name(n, default) => {
                let Some(v) = value(&n).or(default) else {
                    return Err(FillError::NoValue(n));
                };
                match quoting {
                    Quoting::None => out.push_str(&v),
                    Quoting::Shell => match shlex::try_quote(&v) {
                        Ok(quoted) => out.push_str(&quoted),
                        Err(_) => return Err(FillError::Nul(n)),
                    },
                }
            }
        }
    }
    Ok(out)
}

/// Where the shell reads a stretch of the joined command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShellContext {
    Plain,
    Single,
    /// Bash's `$'...'`, where a backslash escapes a quote.
    AnsiC,
    Double,
    Backtick,
    Comment,
    /// After `<<`: a here-document's body may follow, where quotes are text.
    HereDoc,
}

/// For `shell = true`: the first placeholder that the shell would not read
/// as plain words (inside the file's own quotes, a backtick substitution, a
/// comment or a here-document, or right after a backslash), where a quoted
/// value would not stay one word: its word's index, name and whereabouts.
/// Conservative: `"$(cmd {x})"` is refused too, though `$(...)` starts afresh.
pub fn placeholder_outside_plain_words(words: &[&str]) -> Option<(usize, String, &'static str)> {
    let mut context = ShellContext::Plain;
    let mut escaped = false;
    // The previous character read in plain context: `#` starts a comment
    // only at the start of a word, `<<` a here-document.
    let mut prev: Option<char> = None;
    for (i, word) in words.iter().enumerate() {
        let separator = (i > 0).then_some(Piece::Text(" ".into()));
        let parts = separator.into_iter().chain(pieces(word).ok()?);
        for part in parts {
            let text = match part {
                Piece::Name(name, _) => {
                    let whereabouts = match (context, escaped) {
                        (ShellContext::Plain, false) => {
                            prev = Some('x');
                            continue;
                        }
                        (ShellContext::Plain, true) => "right after a backslash",
                        (ShellContext::Single, _) => "inside single quotes",
                        (ShellContext::AnsiC, _) => "inside $'...' quotes",
                        (ShellContext::Double, _) => "inside double quotes",
                        (ShellContext::Backtick, _) => "inside a `...` command substitution",
                        (ShellContext::Comment, _) => "in a comment",
                        (ShellContext::HereDoc, _) => "after a here-document's `<<`",
                    };
                    return Some((i, name, whereabouts));
                }
                Piece::Text(text) => text,
            };
            for c in text.chars() {
                if escaped {
                    escaped = false;
                    prev = Some('x');
                    continue;
                }
                context = match (context, c) {
                    (ShellContext::Plain, '\\') => {
                        escaped = true;
                        ShellContext::Plain
                    }
                    (ShellContext::Plain, '\'') if prev == Some('$') => ShellContext::AnsiC,
                    (ShellContext::Plain, '\'') => ShellContext::Single,
                    (ShellContext::Plain, '"') => ShellContext::Double,
                    (ShellContext::Plain, '`') => ShellContext::Backtick,
                    (ShellContext::Plain, '#')
                        if prev.is_none_or(|p| p.is_whitespace() || ";&|()<>".contains(p)) =>
                    {
                        ShellContext::Comment
                    }
                    (ShellContext::Plain, '<') if prev == Some('<') => ShellContext::HereDoc,
                    (ShellContext::Single, '\'') => ShellContext::Plain,
                    (ShellContext::AnsiC | ShellContext::Double | ShellContext::Backtick, '\\') => {
                        escaped = true;
                        context
                    }
                    (ShellContext::AnsiC, '\'')
                    | (ShellContext::Double, '"')
                    | (ShellContext::Backtick, '`') => ShellContext::Plain,
                    (ShellContext::Comment, '\n') => ShellContext::Plain,
                    (context, _) => context,
                };
                prev = Some(c);
            }
        }
    }
    None
}

type ErrAt<'a> = dyn Fn(Option<Range<usize>>, String) -> ExperimentError + 'a;

/// The user's parameters: their defaults and their swept lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserParams {
    pub defaults: BTreeMap<String, String>,
    pub axes: Vec<(String, Vec<String>)>,
}

impl UserParams {
    /// Every name declared, defaults first.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.defaults.keys().cloned().collect();
        for (name, _) in &self.axes {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }
}

/// A user parameter's value as text: strings as they are, numbers and
/// booleans as TOML writes them.
fn value_text(value: &Spanned<toml::Value>, err: &ErrAt) -> Result<String, ExperimentError> {
    match value.get_ref() {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        _ => Err(err(
            Some(value.span()),
            "a parameter's value must be a string, a number or a boolean".into(),
        )
        .with_help("a command's parameters are substituted into its words as text")),
    }
}

/// Checks a user parameter's name: a plain word, not one of runner's columns.
fn check_name(name: &Spanned<String>, err: &ErrAt) -> Result<(), ExperimentError> {
    let n = name.get_ref();
    let plain = !n.is_empty()
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !n.starts_with(|c: char| c.is_ascii_digit());
    if !plain {
        return Err(err(
            Some(name.span()),
            format!("\"{n}\" cannot name a parameter"),
        )
        .with_help("use letters, digits and '_', e.g. \"python\""));
    }
    if CASE_COLUMNS.contains(&n.as_str()) {
        return Err(err(
            Some(name.span()),
            format!("`{n}` is one of runner's own parameters"),
        )
        .with_help(format!(
            "set it in [sweep] or the variant as `{n} = ...` (outside `params`), or name your own parameter differently"
        )));
    }
    Ok(())
}

/// One value per name (`[workload] params` or a variant's).
pub fn one_each(
    spec: Option<ParamsSpec>,
    err: &ErrAt,
) -> Result<Vec<(String, String)>, ExperimentError> {
    let Some(spec) = spec else {
        return Ok(Vec::new());
    };
    spec.into_inner()
        .into_iter()
        .map(|(name, value)| {
            check_name(&name, err)?;
            Ok((name.into_inner(), value_text(&value, err)?))
        })
        .collect()
}

/// A list per name (`[sweep.params]`).
pub fn lists(
    spec: Option<ParamListsSpec>,
    err: &ErrAt,
) -> Result<Vec<(String, Vec<String>)>, ExperimentError> {
    let Some(spec) = spec else {
        return Ok(Vec::new());
    };
    spec.into_inner()
        .into_iter()
        .map(|(name, values)| {
            check_name(&name, err)?;
            if values.get_ref().is_empty() {
                return Err(err(
                    Some(values.span()),
                    format!("the list `{}` is empty", name.get_ref()),
                )
                .with_help("give at least one value, or remove the key"));
            }
            let values = values
                .get_ref()
                .iter()
                .map(|v| value_text(v, err))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((name.into_inner(), values))
        })
        .collect()
}

/// The command keys of `[workload]`, checked: present for a command
/// workload (with every placeholder known: a case column or one of
/// `user_names`), absent for the others.
pub fn command_spec(
    kind: WorkloadKind,
    workload: &mut WorkloadSpec,
    workload_span: Range<usize>,
    user_names: &[String],
    err: &ErrAt,
) -> Result<Option<CommandSpec>, ExperimentError> {
    let command = workload.command.take();
    if kind != WorkloadKind::Command {
        let stray: [(&str, Option<Range<usize>>); 8] = [
            ("command", command.as_ref().map(|c| c.span())),
            ("shell", workload.shell.as_ref().map(|c| c.span())),
            ("cwd", workload.cwd.as_ref().map(|c| c.span())),
            ("env", workload.env.as_ref().map(|c| c.span())),
            ("timeout_s", workload.timeout_s.as_ref().map(|c| c.span())),
            ("clock", workload.clock.as_ref().map(|c| c.span())),
            ("answer", workload.answer.as_ref().map(|c| c.span())),
            ("params", workload.params.as_ref().map(|c| c.span())),
        ];
        if let Some((key, span)) = stray.into_iter().find(|(_, s)| s.is_some()) {
            return Err(
                err(span, format!("only a command workload takes `{key}`")).with_help(format!(
                    "remove `{key}`, or use `kind = \"command\"` to run a program"
                )),
            );
        }
        return Ok(None);
    }
    let command = command.ok_or_else(|| {
        err(Some(workload_span), "a command workload has no `command`".into()).with_help(
            "add `command = [\"program\", \"--flag\", \"{workers}\"]`: the program and its arguments",
        )
    })?;
    if command.get_ref().is_empty() {
        return Err(err(Some(command.span()), "the command is empty".into())
            .with_help("name the program first, then its arguments"));
    }
    let mut known: Vec<&str> = CASE_COLUMNS.to_vec();
    known.extend(user_names.iter().map(String::as_str));
    for word in command.get_ref() {
        let parts = pieces(word.get_ref()).map_err(|e| {
            err(Some(word.span()), e).with_help("placeholders are written `{name}`")
        })?;
        for part in parts {
            if let Piece::Name(name, _) = part
                && !known.contains(&name.as_str())
            {
                let help = match suggest(&name, &known) {
                    Some(near) => format!("did you mean `{{{near}}}`?"),
                    None => format!(
                        "use one of runner's columns ({}) or declare `{name}` under `params`",
                        CASE_COLUMNS.join(", ")
                    ),
                };
                return Err(err(
                    Some(word.span()),
                    format!("the placeholder `{{{name}}}` names no parameter"),
                )
                .with_help(help));
            }
        }
    }
    let shell = workload.shell.take().is_some_and(Spanned::into_inner);
    if shell {
        let words: Vec<&str> = command
            .get_ref()
            .iter()
            .map(|w| w.get_ref().as_str())
            .collect();
        if let Some((i, name, whereabouts)) = placeholder_outside_plain_words(&words) {
            return Err(err(
                Some(command.get_ref()[i].span()),
                format!(
                    "the placeholder `{{{name}}}` is {whereabouts} in the shell command, where runner's quoting of its value would not hold"
                ),
            )
            .with_help(format!(
                "with `shell = true` runner quotes each value for the shell itself: write the placeholder as a plain word or part of one (`--label {{{name}}}`, not `--label '{{{name}}}'`)"
            )));
        }
    }
    let timeout = match workload.timeout_s.take() {
        Some(t)
            if !(t.get_ref().is_finite() && *t.get_ref() > 0.0 && *t.get_ref() <= MAX_SECONDS) =>
        {
            return Err(err(
                Some(t.span()),
                format!("a timeout of {} s is not possible", t.get_ref()),
            )
            .with_help("give the seconds a repeat may take, more than 0, e.g. `timeout_s = 60`"));
        }
        Some(t) => t.into_inner(),
        None => DEFAULT_TIMEOUT_S,
    };
    let env: Vec<(String, Spanned<String>)> = workload
        .env
        .take()
        .map(|e| e.into_inner().into_iter().collect())
        .unwrap_or_default();
    // The file is copied into the report: a URL holding a password (for
    // the program's own Redis, say) belongs in runner's environment, which
    // the program inherits, not here.
    for (name, value) in &env {
        if let Some(form) = value
            .get_ref()
            .contains("://")
            .then(|| password_in(value.get_ref()))
            .flatten()
        {
            return Err(err(
                Some(value.span()),
                format!("`env.{name}` holds a URL with a password ({form}), which would be copied into the report"),
            )
            .with_help(format!(
                "remove it here and set {name} in the environment you start runner from: the program inherits it"
            ))
            .without_quoting());
        }
    }
    let env = env.into_iter().map(|(k, v)| (k, v.into_inner())).collect();
    Ok(Some(CommandSpec {
        argv: command
            .into_inner()
            .into_iter()
            .map(Spanned::into_inner)
            .collect(),
        shell,
        cwd: workload.cwd.take().map(|c| PathBuf::from(c.into_inner())),
        env,
        timeout: Duration::from_secs_f64(timeout),
        clock: workload
            .clock
            .take()
            .map(Spanned::into_inner)
            .unwrap_or_default(),
        answer: workload.answer.take().map(Spanned::into_inner),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_split_and_braces_escaped() {
        assert_eq!(
            pieces("--n={workers}x{{y}}").unwrap(),
            vec![
                Piece::Text("--n=".into()),
                Piece::Name("workers".into(), None),
                Piece::Text("x{y}".into()),
            ]
        );
        assert!(pieces("{oops").is_err());
        assert!(pieces("oops}").is_err());
        let plain = |word, value: Option<&str>| {
            substitute(word, |_| value.map(String::from), Quoting::None)
        };
        let filled = substitute("{a}-{b}", |n| (n == "a").then(|| "1".into()), Quoting::None);
        assert_eq!(filled, Err(FillError::NoValue("b".into())));
        assert_eq!(plain("{a}", Some("7")), Ok("7".into()));
        assert_eq!(plain("", None), Ok(String::new()));
        assert_eq!(plain("{loop|counter}", None), Ok("counter".into()));
        assert_eq!(plain("{a|}", None), Ok(String::new()));
        assert_eq!(
            plain("x={a}", Some("z; touch X")),
            Ok("x=z; touch X".into())
        );
    }

    /// Issue 20 item 5: for the shell, a value is quoted (a default text
    /// too) and the literal text is kept as written.
    #[test]
    fn shell_values_are_quoted_and_literal_text_kept() {
        let shell = |word, value: Option<&str>| {
            substitute(word, |_| value.map(String::from), Quoting::Shell)
        };
        assert_eq!(shell("{a}", Some("7")), Ok("7".into()));
        assert_eq!(shell("{a}", Some("z; touch X")), Ok("'z; touch X'".into()));
        assert_eq!(shell("--tag={a}", Some("a b")), Ok("--tag='a b'".into()));
        assert_eq!(shell("{a}", Some("")), Ok("''".into()));
        assert_eq!(shell("{a|x y}", None), Ok("'x y'".into()));
        assert_eq!(shell("{a}", Some("it's")), Ok("\"it's\"".into()));
        assert_eq!(
            shell("| cat > {a}", Some("$HOME")),
            Ok("| cat > '$HOME'".into())
        );
        assert_eq!(shell("{a}", Some("a\0b")), Err(FillError::Nul("a".into())));
    }

    /// Issue 20 item 5: a placeholder where quoting would not hold is found.
    #[test]
    fn placeholders_outside_plain_words_are_found() {
        let find = |words: &[&str]| placeholder_outside_plain_words(words);
        for plain in [
            &["printf", "'%s\\n'", "{x}"][..],
            &["prog {x} | cat"],
            &["echo \"a\" {x} 'b' # a comment"],
            &["echo it\\'s {x}"],
            &["a=$(echo '{{') {x}"],
            &["echo", "'a'#{x}"],
        ] {
            assert_eq!(find(plain), None, "{plain:?}");
        }
        let refused = [
            (&["echo", "'a", "{x}'"][..], 2, "inside single quotes"),
            (&["echo \"{x}\""], 0, "inside double quotes"),
            (&["echo \"$(cat {x})\""], 0, "inside double quotes"),
            (
                &["echo `cat {x}`"],
                0,
                "inside a `...` command substitution",
            ),
            (&["echo $'a\\' {x}'"], 0, "inside $'...' quotes"),
            (&["true # {x}"], 0, "in a comment"),
            (&["#", "{x}"], 1, "in a comment"),
            (&["cat <<EOF\n{x}\nEOF"], 0, "after a here-document's `<<`"),
            (&["echo \\{x}"], 0, "right after a backslash"),
        ];
        for (words, i, at) in refused {
            assert_eq!(find(words), Some((i, "x".into(), at)), "{words:?}");
        }
        // A comment ends at its line; a quote ends where it closes.
        assert_eq!(find(&["true # it's\necho {x}"]), None);
        assert_eq!(find(&["echo 'a' \"b\" {x}"]), None);
    }
}
