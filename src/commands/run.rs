//! `runner run`: run experiments and write their reports.
//!
//! A short pipeline of named steps: load and validate every file, plan every
//! experiment, claim every report folder (so a refusal comes before anything
//! runs), then run each experiment and draw its report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crate::backend::redis::lobby::DEFAULT_WAIT;
use crate::cli::{RemoteArgs, RunArgs};
use crate::console;
use crate::engine::{self, Observer, RunOutcome};
use crate::exit;
use crate::experiment::{
    Executor, Experiment, FlagKind, Plan, PlanOptions, Requirement, WorkloadKind,
};
use crate::flag::redis::{ProbeError, redis_target};
use crate::machine::Cores;
use crate::machine_state::{self, MachineState};
use crate::outcome::Status as EndStatus;
use crate::output::folder::ReportFolder;
use crate::output::manifest::{Manifest, Status};
use crate::output::{ReportWriter, report_dir_name};
use crate::progress::Progress;
use crate::report::{self, LessonFailures};
use crate::signals;
use crate::timing::{SystemClock, Timer};
use crate::workload::Context;

use super::{load_all, report_errors};
use crate::flag::shm;

/// What one experiment's run came to.
enum Ended {
    /// Every case ran (or was skipped); how many failed and how many ran,
    /// and how many of its lessons failed.
    Done {
        failed: usize,
        ran: usize,
        lessons_failed: LessonFailures,
    },
    /// A signal stopped it.
    Interrupted,
    /// Its report could not be written; the message says which file and why.
    Io(String),
}

/// Runs every experiment `args` names.
pub fn run(args: &RunArgs, arguments: Vec<String>) -> ExitCode {
    if args.paths.is_empty() {
        console::error(
            "error: no experiment to run\n  = help: name an experiment file or a folder of them, e.g. `runner experiments/chunksize.toml`",
        );
        return ExitCode::from(exit::BAD_INPUT);
    }
    let experiments = match load_all(&args.paths) {
        Ok(experiments) => experiments,
        Err(errors) => return report_errors(&errors),
    };
    if let Err(code) = super::check::refuse_oversized(&experiments, &PlanOptions::from(&args.plan))
    {
        return code;
    }
    let options = PlanOptions::from(&args.plan);
    let cores = Cores::detect();
    let plans: Vec<Plan> = experiments
        .iter()
        .map(|e| e.plan(cores, &options))
        .collect();
    let probes = match probe_redis(&experiments, &plans) {
        Ok(probes) => probes,
        Err(code) => return code,
    };
    let mut folders = Vec::new();
    for (experiment, plan) in experiments.iter().zip(&plans) {
        match ReportFolder::claim(&args.out, &report_dir_name(experiment, plan)) {
            Ok(folder) => folders.push(folder),
            Err(e) => {
                let help = match e.is_io() {
                    true => "\n  = help: choose an --out folder runner can create and write",
                    false => "",
                };
                console::error(&format!("error: {e}; nothing was run{help}"));
                let status = if e.is_io() { exit::IO } else { exit::BAD_INPUT };
                return ExitCode::from(status);
            }
        }
    }
    // Flag files of runs killed outright (SIGKILL) are nobody's to remove
    // but a later run's.
    shm::sweep_stale();
    let mut failed = 0;
    let mut ran = 0;
    let mut lessons_failed = LessonFailures::default();
    let runs = experiments.iter().zip(&plans).zip(folders).zip(probes);
    for (((experiment, plan), folder), probe) in runs {
        // A signal that arrived while the previous experiment was drawn must
        // not start this one: starting clears its folder, which would
        // replace its earlier report with an empty, interrupted one.
        if let Some(status) = signals::exit_status() {
            console::error(&format!(
                "interrupted: {} was not started; its folder was left as it was.",
                experiment.name
            ));
            return ExitCode::from(status);
        }
        match run_one(
            Planned {
                experiment,
                plan,
                folder,
                redis_probe: probe,
            },
            &args.out,
            &args.remote,
            arguments.clone(),
        ) {
            Ended::Done {
                failed: f,
                ran: r,
                lessons_failed: l,
            } => {
                failed += f;
                ran += r;
                lessons_failed.add(l);
            }
            Ended::Interrupted => {
                console::error("interrupted: the finished cases are saved; the manifest says so.");
                return ExitCode::from(signals::exit_status().unwrap_or(130));
            }
            Ended::Io(message) => {
                console::error(&format!("error: {message}"));
                return ExitCode::from(exit::IO);
            }
        }
    }
    // A signal after the last case changed nothing, but a script that
    // was interrupted must still see it (`for f in *.toml; do runner $f; done`
    // stops on 130, not on 0).
    if let Some(status) = signals::exit_status() {
        console::error("interrupted after the last case: every report is complete.");
        return ExitCode::from(status);
    }
    let strict_status = lessons_failed.strict_status().filter(|_| args.strict);
    ExitCode::from(match (failed, ran, strict_status) {
        (0, 0, _) => {
            console::error(
                "error: no case ran: every case was skipped (see the reasons above); exit status 3",
            );
            exit::NOTHING_RAN
        }
        (0, _, Some(status)) => {
            let unreliable = match status {
                exit::LESSON_FAILED_UNRELIABLE => {
                    ", each on a disturbed run (unreliable: run again on a quiet machine)"
                }
                _ => "",
            };
            console::error(&format!(
                "error: {} lesson(s) failed (named above){unreliable}; exit status {status} (--strict)",
                lessons_failed.failed
            ));
            status
        }
        (0, _, None) => exit::OK,
        _ => exit::CASE_FAILED,
    })
}

/// Whether some case of `plan` needs a Redis server: workers behind
/// Redis, a Redis flag, or a variant that requires one.
fn needs_redis(plan: &Plan) -> bool {
    plan.cases.iter().any(|case| {
        case.requires.contains(&Requirement::Redis)
            || case.executor == Some(Executor::Redis)
            || case.cooperation.is_some_and(|c| c.flag == FlagKind::Redis)
    })
}

/// Probes the Redis server of every experiment that needs one, once per
/// server, before anything is written: a server that refuses runner's
/// credentials (or a URL that does not parse) is a configuration error,
/// exit status 2, nothing run; a server that is not there is left to the
/// cases, which are skipped (and the answer kept, so it is not asked twice).
fn probe_redis(
    experiments: &[Experiment],
    plans: &[Plan],
) -> Result<Vec<Option<Result<(), ProbeError>>>, ExitCode> {
    let mut asked: Vec<(String, Result<(), ProbeError>)> = Vec::new();
    let mut probes = Vec::new();
    for (experiment, plan) in experiments.iter().zip(plans) {
        if !needs_redis(plan) {
            probes.push(None);
            continue;
        }
        let target = redis_target(experiment.redis_url.as_deref());
        let probe = match asked.iter().find(|(url, _)| *url == target.url) {
            Some((_, probe)) => probe.clone(),
            None => {
                let probe = target.probe();
                asked.push((target.url.clone(), probe.clone()));
                probe
            }
        };
        if let Err(ProbeError::Misconfigured { message, help }) = &probe {
            console::error(&format!(
                "error: {}: {message}; nothing was run\n  = help: {help}",
                experiment.name
            ));
            return Err(ExitCode::from(exit::BAD_INPUT));
        }
        probes.push(Some(probe));
    }
    Ok(probes)
}

/// An experiment ready to run: its plan, its claimed folder, and the
/// answer of its Redis server's probe if it needs one.
struct Planned<'a> {
    experiment: &'a Experiment,
    plan: &'a Plan,
    folder: ReportFolder,
    redis_probe: Option<Result<(), ProbeError>>,
}

fn run_one(planned: Planned, out: &Path, remote: &RemoteArgs, arguments: Vec<String>) -> Ended {
    let Planned {
        experiment,
        plan,
        folder,
        redis_probe,
    } = planned;
    let dir = folder.dir().to_path_buf();
    // What bends the timings, read before the first case (and before the
    // first line, so nothing waits between that line and the run); advice
    // only.
    let cores = Cores::detect();
    let max_workers = plan.cases.iter().map(|c| c.workers).max().unwrap_or(1);
    let start = MachineState::read();
    let said = machine_state::warnings(&start, None, max_workers, cores);
    console::error(&format!(
        "{}: {} cases x {} -> {}",
        experiment.name,
        plan.cases.len(),
        plan.timing_words(),
        dir.display()
    ));
    if plan.quick {
        let what = match experiment.workload {
            WorkloadKind::Verify => "each number replaced by its smaller stand-in of the same kind",
            _ => "each range cut to its first 1% (at least 1000 numbers)",
        };
        console::error(&format!(
            "  quick run: {} repeat(s), {} warm-up, {what}",
            plan.repeats, plan.warmup
        ));
        let full = experiment.numbers_without_stand_in();
        if !full.is_empty() {
            console::error(&format!(
                "  warning: no `quick` stand-in for {}: checked at full size",
                console::plain(&full.join(", "))
            ));
        }
    }
    warn(&said);
    let spawn_local = remote.spawn_local.or(experiment.spawn_local);
    let mut context = Context::new(experiment.redis_url.as_deref())
        .with_command(experiment.command.clone())
        .with_redis_probe(redis_probe)
        .with_redis_workers(
            spawn_local.unwrap_or_default() as usize,
            remote.worker_wait.map_or(DEFAULT_WAIT, Duration::from_secs),
        );
    let mut manifest = Manifest::start(experiment, plan, arguments);
    manifest.report_dir = Some(dir.display().to_string());
    manifest.machine_state.start = Some(start.clone());
    manifest.workers_seen = context.remote.seen.clone();
    let mut writer = match ReportWriter::create(folder, experiment, manifest) {
        Ok(writer) => writer,
        Err(e) => return Ended::Io(e.to_string()),
    };
    let mut progress = Progress::new(plan);
    let clock = SystemClock::start();
    let timer = Timer {
        clock: &clock,
        stop: signals::stop_flag(),
    };
    let outcome = engine::run(
        plan,
        &mut context,
        &mut [&mut progress as &mut dyn Observer, &mut writer],
        &timer,
    );
    progress.finish();
    // And after the last case, however the run ended.
    let end = MachineState::read();
    let later = machine_state::warnings(&start, Some(&end), max_workers, cores);
    warn(
        &later
            .into_iter()
            .filter(|w| !said.contains(w))
            .collect::<Vec<_>>(),
    );
    writer.record_end_state(end);
    let outcome: RunOutcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            let message = format!("{e:#}");
            writer.fail(&message);
            return Ended::Io(message);
        }
    };
    let count = |status| {
        outcome
            .results
            .iter()
            .filter(|r| r.status() == status)
            .count()
    };
    let (failures, skipped) = (count(EndStatus::Failed), count(EndStatus::Skipped));
    // A case that failed after a signal arrived may be the signal's doing (a
    // worker of the same process group stopped by Ctrl-C): the run is
    // interrupted, as stderr will say, and the manifest says the same.
    let interrupted = outcome.interrupted || (timer.stopped() && failures > 0);
    let status = match (interrupted, failures) {
        (true, _) => Status::Interrupted,
        (false, 0) => Status::Complete,
        (false, _) => Status::Failed,
    };
    if let Err(e) = writer.finish(status) {
        writer.fail(&e.to_string());
        return Ended::Io(e.to_string());
    }
    let drawn = match draw(writer.dir(), out) {
        Ok(drawn) => drawn,
        Err(e) => {
            writer.fail(&e);
            return Ended::Io(e);
        }
    };
    if interrupted {
        return Ended::Interrupted;
    }
    let ran = outcome.results.len() - skipped;
    let unchecked = outcome
        .results
        .iter()
        .filter(|r| r.ok() && r.answer.is_none())
        .count();
    // Each reason was said in full with the first case it skipped.
    let reasons: std::collections::BTreeSet<&str> = outcome
        .results
        .iter()
        .filter_map(|r| r.skipped.as_deref())
        .collect();
    let above = match reasons.len() {
        1 => "the reason given above",
        _ => "the reasons given above",
    };
    print_done(
        writer.dir(),
        Counts {
            ran,
            failures,
            unchecked,
            skipped,
        },
        above,
    );
    let lessons_failed = drawn.tell_lessons();
    if skipped > 0 && ran > 0 {
        console::error(&format!(
            "  {skipped} case(s) were not run and are marked skipped, for {above}"
        ));
    }
    Ended::Done {
        failed: failures,
        ran,
        lessons_failed,
    }
}

/// Prints what makes the figures less reliable, one line each.
fn warn(warnings: &[String]) {
    for warning in warnings {
        console::error(&format!("  warning: {}", console::plain(warning)));
    }
}

/// Draws the report and the index of `out`.
fn draw(dir: &Path, out: &Path) -> Result<report::Rendered, String> {
    let drawn =
        report::render(dir, None).map_err(|e| format!("the report could not be drawn: {e:#}"))?;
    report::render_index(out)
        .map_err(|e| format!("the reports index could not be written: {e:#}"))?;
    Ok(drawn)
}

/// How many cases ran, failed, ran unchecked and were skipped.
struct Counts {
    ran: usize,
    failures: usize,
    unchecked: usize,
    skipped: usize,
}

/// The closing lines, on stdout so `runner x.toml > log` keeps them.
fn print_done(dir: &Path, counts: Counts, skip_reasons: &str) {
    let page: PathBuf = dir.join("index.html");
    let Counts {
        ran: cases,
        failures,
        unchecked,
        skipped,
    } = counts;
    match failures {
        // Never "0 cases, all correct": nothing was checked.
        0 if cases == 0 => console::out(&format!(
            "no case ran: {skipped} case(s) skipped, for {skip_reasons} (each case's row says \
             why): {}",
            dir.join("results.csv").display()
        )),
        0 if unchecked > 0 => console::out(&format!(
            "{cases} cases ran, {unchecked} of them unchecked (no answer declared): {}",
            page.display()
        )),
        0 => console::out(&format!("{cases} cases, all correct: {}", page.display())),
        n => console::out(&format!(
            "{n} of {cases} cases FAILED (see the error column): {}",
            dir.join("results.csv").display()
        )),
    };
}
