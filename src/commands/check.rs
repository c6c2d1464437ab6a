//! `runner check`: validate experiments and print their expanded plans.

use std::fmt::Write as _;
use std::process::ExitCode;

use crate::cli::CheckArgs;
use crate::console;
use crate::experiment::{Experiment, PlanOptions};
use crate::machine::Cores;
use crate::progress::human_seconds;

use super::estimate::estimate;
use super::{exit, load_all, report_errors};

/// Validates every file and prints each plan.
pub fn check(args: &CheckArgs) -> ExitCode {
    let experiments = match load_all(&args.paths) {
        Ok(experiments) => experiments,
        Err(errors) => return report_errors(&errors),
    };
    let cores = Cores::detect();
    for experiment in &experiments {
        // A closed stdout (`runner check DIR | head -1`) ends the listing quietly.
        if !console::out(&plan_text(
            experiment,
            &PlanOptions::from(&args.plan),
            cores,
        )) {
            break;
        }
    }
    ExitCode::from(exit::OK)
}

/// The plan of one experiment, as `check` prints it.
fn plan_text(experiment: &Experiment, options: &PlanOptions, cores: Cores) -> String {
    let plan = experiment.plan(cores, options);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{}: {} ({})",
        experiment.path.display(),
        experiment.name,
        console::plain(&experiment.title)
    );
    let _ = writeln!(
        text,
        "  {} cases x ({} warm-up + {} timed repeats){}, seed {}",
        plan.cases.len(),
        plan.warmup,
        plan.repeats,
        if plan.quick {
            ", quick: ranges cut to a slice"
        } else {
            ""
        },
        plan.seed
    );
    let full = experiment.numbers_without_stand_in();
    if plan.quick && !full.is_empty() {
        let _ = writeln!(
            text,
            "  warning: no `quick` stand-in for {}: --quick checks it at full size",
            console::plain(&full.join(", "))
        );
    }
    for case in &plan.cases {
        let _ = writeln!(
            text,
            "  {:>4}. {}",
            case.number,
            console::plain(&case.describe())
        );
    }
    let eta = estimate(&plan, cores).as_secs_f64();
    let _ = writeln!(
        text,
        "  estimated time: about {} on this machine ({} physical / {} logical cores)",
        human_seconds(eta),
        cores.physical,
        cores.logical
    );
    text
}
