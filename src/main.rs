//! The `runner` binary: parse the command line, run the command, exit.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;
use runner::cli::{Cli, Command};
use runner::commands::{check, exit, report, run};

/// Raised by the first Ctrl-C: the run stops after the current repeat.
static STOP: AtomicBool = AtomicBool::new(false);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let arguments: Vec<String> = std::env::args().collect();
    match cli.command {
        Some(Command::Check(args)) => check::check(&args),
        Some(Command::Report(args)) => report::report(&args),
        Some(Command::Run(args)) => run_with_ctrl_c(&args, arguments),
        None => run_with_ctrl_c(&cli.run, arguments),
    }
}

fn run_with_ctrl_c(args: &runner::cli::RunArgs, arguments: Vec<String>) -> ExitCode {
    let handler = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(exit::INTERRUPTED.into()); // a second Ctrl-C: stop now
        }
        eprintln!("\nstopping after the current repeat (Ctrl-C again to stop at once)...");
    });
    if let Err(e) = handler {
        eprintln!("warning: Ctrl-C will stop at once, losing the current case: {e}");
    }
    run::run(args, arguments, &STOP)
}
