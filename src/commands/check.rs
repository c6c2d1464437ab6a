//! `runner check`: validate experiments and print their expanded plans.

use std::fmt::Write as _;
use std::process::ExitCode;

use super::{load_all, report_errors};
use crate::cli::CheckArgs;
use crate::console;
use crate::exit;
use crate::experiment::columns::{CaseColumns, Params};
use crate::experiment::{Experiment, PlanOptions};
use crate::experiment::{Plan, Schedule};
use crate::machine::Cores;
use crate::plan::estimate::{WARN_ABOVE_SECONDS, estimate};
use crate::plan::memory::{self, Limit};
use crate::units::human_duration;

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
        // A closed stdout (`runner check DIR | head -1`) ends the listing quietly.
        if !console::out(&plan_text(experiment, &options, cores)) {
            break;
        }
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
            memory::check_plan(&plan, limit)
                .err()
                .or_else(|| unpaired_lesson(e, &plan))
                .map(|why| format!("error: {}: {why}\n", e.path.display()))
        })
        .collect();
    match refusals.is_empty() {
        true => Ok(()),
        false => {
            refusals.iter().for_each(|r| console::error(r));
            Err(ExitCode::from(exit::BAD_INPUT))
        }
    }
}

/// Why an `[[expect]]` of `experiment` can never be judged: no pair of its
/// plan's cases fits its two filters.
fn unpaired_lesson(experiment: &Experiment, plan: &Plan) -> Option<String> {
    // A quick run cuts its ranges (so "range E" is no longer one) and times
    // once (so nothing can be judged): its lessons are "not measured".
    if plan.quick {
        return None;
    }
    // A command's own parameters too: a lesson may pick cases by them.
    let rows: Vec<(CaseColumns, Params)> = plan
        .cases
        .iter()
        .map(|case| (CaseColumns::of(&experiment.name, case), case.params.clone()))
        .collect();
    let variant_sets = experiment.variant_sets();
    experiment.expectations.iter().enumerate().find_map(|(i, e)| {
        e.pairs(&rows, &variant_sets).is_empty().then(|| {
            format!(
                "[[expect]] number {} (\"{}\") pairs no two cases of the plan: no case fits `case`, none fits `than`, or none of each does the same work with the same other parameters\n  = help: loosen the filters, or name in them the parameters the two sides differ in",
                i + 1,
                console::plain(&e.lesson)
            )
        })
    })
}

/// How many times a case's work runs: warm-ups and timed runs.
fn runs_per_case(plan: &Plan) -> u64 {
    let (repeats, warmup) = (u64::from(plan.repeats), u64::from(plan.warmup));
    match plan.schedule {
        Schedule::Blocked => warmup + repeats,
        _ => repeats * (warmup + 1),
    }
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
        "  {} cases x {}{}, seed {}",
        plan.cases.len(),
        plan.timing_words(),
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
    let _ = match memory::largest(&plan) {
        Some((case, need)) if need.total() > 0 => writeln!(
            text,
            "  memory: at most about {need}, for case {}; the limit is {}",
            case.number,
            Limit::detect()
        ),
        _ => writeln!(text, "  memory: nothing that grows with the cases"),
    };
    if let Some(command) = &experiment.command {
        // Runner cannot know how long someone else's program takes.
        let _ = writeln!(
            text,
            "  estimated time: not estimated for a command workload; at most {} runs of up to {} each (timeout_s)",
            plan.cases.len() as u64 * runs_per_case(&plan),
            human_duration(command.timeout.as_secs_f64())
        );
        return text;
    }
    let eta = estimate(&plan, cores);
    let _ = writeln!(
        text,
        "  estimated time: about {} on this machine ({} physical / {} logical cores)",
        human_duration(eta),
        cores.physical,
        cores.logical
    );
    if eta > WARN_ABOVE_SECONDS {
        let _ = writeln!(
            text,
            "  warning: this plan would run for more than an hour; try `--quick` first, \
             or use fewer repeats or warm-ups, fewer cases or smaller ranges"
        );
    }
    text
}
