//! `runner check`: validate experiments and print their expanded plans.

use std::process::ExitCode;

use super::estimate::{WARN_ABOVE_SECONDS, estimate, human_duration};
use super::memory::{self, Limit};
use super::{exit, load_all, report_errors};
use crate::cli::CheckArgs;
use crate::experiment::{Experiment, PlanOptions};
use crate::machine::Cores;

/// Validates every file and prints each plan.
pub fn check(args: &CheckArgs) -> ExitCode {
    let experiments = match load_all(&args.paths) {
        Ok(experiments) => experiments,
        Err(errors) => return report_errors(&errors),
    };
    let options = PlanOptions::from(&args.plan);
    if let Err(code) = refuse_oversized(&experiments, &options) {
        return code;
    }
    let cores = Cores::detect();
    for experiment in &experiments {
        print_plan(experiment, &options, cores);
    }
    ExitCode::from(exit::OK)
}

/// Refuses, with the bad-input status, every experiment with a case that
/// would need more memory than this machine allows (see
/// [`memory::check_plan`]); `run` calls this before it runs anything.
pub fn refuse_oversized(experiments: &[Experiment], options: &PlanOptions) -> Result<(), ExitCode> {
    let (cores, limit) = (Cores::detect(), Limit::detect());
    let refusals: Vec<String> = experiments
        .iter()
        .filter_map(|e| {
            let plan = e.plan(cores, options);
            memory::check_plan(&plan, limit).err().map(|why| {
                format!(
                    "error: {}: {why}
",
                    e.path.display()
                )
            })
        })
        .collect();
    match refusals.is_empty() {
        true => Ok(()),
        false => {
            refusals.iter().for_each(|r| eprintln!("{r}"));
            Err(ExitCode::from(exit::BAD_INPUT))
        }
    }
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
    match memory::largest(&plan) {
        Some((case, need)) if need.total() > 0 => println!(
            "  memory: at most about {need}, for case {}; the limit is {}",
            case.number,
            Limit::detect()
        ),
        _ => println!("  memory: nothing that grows with the cases"),
    }
    let eta = estimate(&plan, cores);
    println!(
        "  estimated time: about {} on this machine ({} physical / {} logical cores)",
        human_duration(eta),
        cores.physical,
        cores.logical
    );
    if eta > WARN_ABOVE_SECONDS {
        println!(
            "  warning: this plan would run for more than an hour; try `--quick` first, \
             or use fewer repeats or warm-ups, fewer cases or smaller ranges"
        );
    }
    println!();
}
