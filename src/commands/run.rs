//! `runner run`: run experiments and write their reports.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::Context as _;

use crate::cli::RunArgs;
use crate::engine::{self, Observer, RunOutcome, Status as EndStatus};
use crate::experiment::{Experiment, PlanOptions, WorkloadKind};
use crate::machine::Cores;
use crate::manifest::{Manifest, Status};
use crate::output::{ReportWriter, report_dir};
use crate::progress::Progress;
use crate::report;
use crate::workload::Context;

use super::{exit, load_all, report_errors};

/// Runs every experiment `args` names; `stop` is raised by Ctrl-C.
pub fn run(args: &RunArgs, arguments: Vec<String>, stop: &AtomicBool) -> ExitCode {
    let experiments = match load_all(&args.paths) {
        Ok(experiments) => experiments,
        Err(errors) => return report_errors(&errors),
    };
    if let Err(code) = super::check::refuse_oversized(&experiments, &PlanOptions::from(&args.plan))
    {
        return code;
    }
    let mut failed = false;
    for experiment in &experiments {
        match run_one(experiment, args, arguments.clone(), stop) {
            Ok(outcome) if outcome.interrupted => {
                eprintln!("interrupted: the finished cases are saved; the manifest says so.");
                return ExitCode::from(exit::INTERRUPTED);
            }
            Ok(outcome) => {
                failed |= outcome
                    .results
                    .iter()
                    .any(|r| r.status() == EndStatus::Failed)
            }
            Err(e) => {
                eprintln!("error: {}: {e:#}", experiment.path.display());
                return ExitCode::from(exit::CASE_FAILED);
            }
        }
    }
    ExitCode::from(if failed { exit::CASE_FAILED } else { exit::OK })
}

fn run_one(
    experiment: &Experiment,
    args: &RunArgs,
    arguments: Vec<String>,
    stop: &AtomicBool,
) -> anyhow::Result<RunOutcome> {
    let plan = experiment.plan(Cores::detect(), &PlanOptions::from(&args.plan));
    let dir = report_dir(&args.out, experiment, &plan);
    eprintln!(
        "{}: {} cases x ({} warm-up + {} timed repeats) -> {}",
        experiment.name,
        plan.cases.len(),
        plan.warmup,
        plan.repeats,
        dir.display()
    );
    if plan.quick {
        let what = match experiment.workload {
            WorkloadKind::Verify => "each number replaced by its smaller stand-in of the same kind",
            _ => "each range cut to its first 1% (at least 1000 numbers)",
        };
        eprintln!("  quick run: 1 repeat, no warm-up, {what}");
    }
    let manifest = Manifest::start(experiment, &plan, arguments);
    let mut writer = ReportWriter::create(dir, experiment, manifest)?;
    let mut progress = Progress::new(&plan);
    let mut context = Context::new(experiment.redis_url.as_deref());
    let outcome = engine::run(
        &plan,
        &mut context,
        &mut [&mut progress as &mut dyn Observer, &mut writer],
        stop,
    );
    progress.finish();
    let outcome = outcome.context("the report could not be written")?;
    let failures = outcome
        .results
        .iter()
        .filter(|r| r.status() == EndStatus::Failed)
        .count();
    let skipped: Vec<_> = outcome
        .results
        .iter()
        .filter(|r| r.status() == EndStatus::Skipped)
        .collect();
    let status = match (outcome.interrupted, failures) {
        (true, _) => Status::Interrupted,
        (false, 0) => Status::Complete,
        (false, _) => Status::Failed,
    };
    writer.finish(status)?;
    report::render(writer.dir(), None).context("the report could not be drawn")?;
    report::render_index(&args.out).context("the reports index could not be written")?;
    print_done(
        writer.dir(),
        outcome.results.len() - skipped.len(),
        failures,
    );
    if let Some(first) = skipped.first() {
        let why = first.skipped.as_deref().unwrap_or_default();
        eprintln!(
            "  {} cases were not run and are marked skipped ({why})",
            skipped.len()
        );
    }
    Ok(outcome)
}

fn print_done(dir: &Path, cases: usize, failures: usize) {
    match failures {
        0 => eprintln!(
            "  {cases} cases, all correct: {}",
            dir.join("index.html").display()
        ),
        n => eprintln!(
            "  {n} of {cases} cases FAILED (see the error column): {}",
            dir.join("results.csv").display()
        ),
    }
}
