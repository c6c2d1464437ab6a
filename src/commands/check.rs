//! `runner check`: validate experiments and print their expanded plans.

use std::process::ExitCode;

use crate::cli::CheckArgs;
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
        print_plan(experiment, &PlanOptions::from(&args.plan), cores);
    }
    ExitCode::from(exit::OK)
}

fn print_plan(experiment: &Experiment, options: &PlanOptions, cores: Cores) {
    let plan = experiment.plan(cores, options);
    println!(
        "{}: {} ({})",
        experiment.path.display(),
        experiment.name,
        experiment.title
    );
    println!(
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
    for case in &plan.cases {
        println!("  {:>4}. {}", case.number, case.describe());
    }
    let eta = estimate(&plan, cores).as_secs_f64();
    println!(
        "  estimated time: about {} on this machine ({} physical / {} logical cores)\n",
        human_seconds(eta),
        cores.physical,
        cores.logical
    );
}
