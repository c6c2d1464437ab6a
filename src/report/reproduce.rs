//! "How to reproduce": the command a run was made with, as a reader can paste
//! it into a POSIX shell, and the folder its report lives in.

use std::path::PathBuf;

use crate::output::manifest::Manifest;

/// The folder reports go in when the command line names none.
const DEFAULT_OUT: &str = "reports";

/// The command line of the run, argument for argument, with the program
/// shown as `runner` (it may have been `./target/release/runner` or a cargo
/// path) and each argument quoted where a shell would split or expand it.
pub fn command(manifest: &Manifest) -> String {
    let mut words = vec!["runner".to_string()];
    match manifest.arguments.split_first() {
        Some((_, arguments)) => words.extend(arguments.iter().map(|a| shell_quote(a))),
        // A manifest with no command line: the file, as the run read it.
        None => {
            words.push(shell_quote(&manifest.source.path));
            if manifest.quick {
                words.push("--quick".into());
            }
        }
    }
    words.join(" ")
}

/// The report folder as the run named it: the `--out` folder (or the
/// default) joined with the experiment's folder name.
pub fn report_dir(manifest: &Manifest) -> PathBuf {
    if let Some(dir) = &manifest.report_dir {
        return PathBuf::from(dir);
    }
    let arguments = manifest.arguments.get(1..).unwrap_or_default();
    let mut out = None;
    let mut words = arguments.iter();
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        if let Some(value) = word.strip_prefix("--out=") {
            out = Some(value.to_string());
        } else if word == "--out" {
            out = words.next().cloned();
        }
    }
    // The same rule as the run's: a quick run gets a folder of its own.
    let folder = match manifest.quick {
        true => format!("{}.quick", manifest.experiment),
        false => manifest.experiment.clone(),
    };
    PathBuf::from(out.unwrap_or_else(|| DEFAULT_OUT.into())).join(folder)
}

/// `word` as one POSIX shell word: unchanged when it holds only characters
/// no shell treats specially, else in single quotes (a quote inside written
/// as '\'').
pub fn shell_quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    match !word.is_empty() && word.chars().all(plain) {
        true => word.to_string(),
        false => format!("'{}'", word.replace('\'', r"'\''")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_a_shell_would_change() {
        assert_eq!(
            shell_quote("experiments/chunksize.toml"),
            "experiments/chunksize.toml"
        );
        assert_eq!(shell_quote("--out=reports"), "--out=reports");
        assert_eq!(shell_quote("my reports"), "'my reports'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
        assert_eq!(shell_quote("a*"), "'a*'");
    }
}
