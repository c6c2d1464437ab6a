//! The `runner` binary: parse the command line, run the command, exit.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;

use clap::Parser;
use runner::cli::{Cli, Command};
use runner::commands::{check, compare, completions, report, run, schema};
use runner::{console, exit, signals};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Some(Command::PipeWorker)) {
        return runner::backend::worker_process::main();
    }
    if let Some(Command::Worker(args)) = &cli.command {
        return runner::commands::worker::worker(args);
    }
    let arguments: Vec<String> = std::env::args().collect();
    if !matches!(
        cli.command,
        Some(
            Command::Check(_)
                | Command::Compare(_)
                | Command::Manager { .. }
                | Command::Schema(_)
                | Command::Completions(_)
                | Command::Man
        )
    ) && let Err(e) = signals::install()
    {
        console::error(&format!(
            "warning: signals will stop runner at once, losing the current case: {e}"
        ));
    }
    // Worker panics are caught where they happen; one that reaches here is a
    // bug, and still ends with a message and a documented status.
    let outcome = catch_unwind(AssertUnwindSafe(|| match cli.command {
        Some(Command::Check(args)) => check::check(&args),
        Some(Command::Report(args)) => report::report(&args),
        Some(Command::Compare(args)) => compare::compare(&args),
        Some(Command::Manager { socket }) => manager(&socket),
        Some(Command::Schema(args)) => schema::schema(&args),
        Some(Command::Completions(args)) => completions::completions(&args),
        Some(Command::Man) => completions::man(),
        Some(Command::Run(args)) => run::run(&args, arguments),
        Some(Command::PipeWorker | Command::Worker(_)) => unreachable!("served above"),
        None => run::run(&cli.run, arguments),
    }));
    outcome.unwrap_or_else(|_| {
        signals::run_hooks();
        console::error(
            "internal error: runner panicked (a bug; please report it with the message above)",
        );
        ExitCode::from(exit::INTERNAL)
    })
}

/// The hidden `manager` subcommand: the process holding a shared flag or queue.
fn manager(socket: &std::path::Path) -> ExitCode {
    match runner::ipc::manager::serve(socket) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            console::error(&format!("runner manager: {e}"));
            ExitCode::FAILURE
        }
    }
}
