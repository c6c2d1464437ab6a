//! `runner completions SHELL` and the hidden `runner man`: a shell's
//! completion script and the man page, both generated from the clap
//! definitions in [`crate::cli`], so they follow every option as it changes.

use std::process::ExitCode;

use clap::CommandFactory;

use super::schema::print;
use crate::cli::{Cli, CompletionsArgs};
use crate::console;
use crate::exit;

/// Prints the completion script of `args.shell` on stdout.
pub fn completions(args: &CompletionsArgs) -> ExitCode {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "runner", &mut script);
    print(&String::from_utf8_lossy(&script))
}

/// Prints the man page (roff) on stdout: `runner man > runner.1`.
pub fn man() -> ExitCode {
    let mut page = Vec::new();
    match clap_mangen::Man::new(Cli::command()).render(&mut page) {
        Ok(()) => print(&String::from_utf8_lossy(&page)),
        Err(e) => {
            console::error(&format!("error: cannot render the man page: {e}"));
            ExitCode::from(exit::INTERNAL)
        }
    }
}
