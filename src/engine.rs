//! Runs the cases of a plan: for each, the workload builds its strategy
//! (before the timer), then the engine warms it up, times it with the
//! timer's clock and checks every answer against the oracle. Observers hear
//! of each step; the engine knows nothing of files or terminals.
//!
//! The schedule decides the order of the timed runs. Blocked: each case's
//! repeats back to back. Interleaved (the default) and shuffled: in rounds,
//! one timed run of every case per round, so a drift of the machine (heat,
//! frequency, a busy neighbour) touches every case alike instead of passing
//! for an effect of whatever was swept last. Each round prepares a case
//! afresh (its workers, its kernel's table) outside the timer and warms it
//! up before its timed run: nothing is kept between rounds, so memory stays
//! that of one case, and every timed run follows its own warm-up.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;

use crate::experiment::{Case, Input, Plan, Requirement, Schedule};
use crate::outcome::{CaseResult, Failure, Table, WorkerCosts};
use crate::stats;
use crate::timing::Timer;
use crate::workload::{Context, check_cost, command, factor_frequency, primes, verify};

/// Hears of the engine's progress; progress bars and writers implement it.
pub trait Observer {
    /// A case is about to start (in a schedule of rounds, once per round).
    fn case_started(&mut self, _case: &Case, _plan: &Plan) {}
    /// A round of an interleaved or shuffled schedule finished.
    fn round_finished(&mut self, _round: u32, _plan: &Plan) {}
    /// A case finished (with or without success). An error stops the run.
    fn case_finished(&mut self, _result: &CaseResult, _plan: &Plan) -> anyhow::Result<()> {
        Ok(())
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    pub results: Vec<CaseResult>,
    /// True when the timer's stop was raised before every case finished.
    pub interrupted: bool,
}

/// Runs every case of `plan` in the order its schedule says, telling
/// `observers` as it goes. Raising the timer's stop ends the run after the
/// current repeat.
pub fn run(
    plan: &Plan,
    context: &mut Context,
    observers: &mut [&mut dyn Observer],
    timer: &Timer,
) -> anyhow::Result<RunOutcome> {
    match plan.schedule {
        Schedule::Blocked => blocked(plan, context, observers, timer),
        Schedule::Interleaved | Schedule::Shuffled => in_rounds(plan, context, observers, timer),
    }
}

/// Each case's warm-ups and repeats back to back; an interrupted case is
/// dropped.
fn blocked(
    plan: &Plan,
    context: &mut Context,
    observers: &mut [&mut dyn Observer],
    timer: &Timer,
) -> anyhow::Result<RunOutcome> {
    let mut results = Vec::new();
    let mut position = 0;
    for case in &plan.cases {
        if timer.stopped() {
            return Ok(RunOutcome {
                results,
                interrupted: true,
            });
        }
        observers
            .iter_mut()
            .for_each(|o| o.case_started(case, plan));
        let Some(mut result) = run_case(case, plan, context, timer) else {
            return Ok(RunOutcome {
                results,
                interrupted: true,
            });
        };
        for run in &mut result.runs {
            position += 1;
            run.position = position;
        }
        for observer in observers.iter_mut() {
            observer.case_finished(&result, plan)?;
        }
        results.push(result);
    }
    Ok(RunOutcome {
        results,
        interrupted: false,
    })
}

/// One timed run of every case per round, `plan.repeats` rounds. A case
/// that fails or is skipped leaves the rounds. If the run is stopped, the
/// cases keep the rounds they finished.
fn in_rounds(
    plan: &Plan,
    context: &mut Context,
    observers: &mut [&mut dyn Observer],
    timer: &Timer,
) -> anyhow::Result<RunOutcome> {
    let one_round = Plan {
        repeats: 1,
        cases: Vec::new(),
        ..plan.clone()
    };
    let mut sofar: Vec<SoFar> = plan.cases.iter().map(SoFar::new).collect();
    let mut position = 0;
    let mut interrupted = false;
    'rounds: for round in 1..=plan.repeats {
        let mut order: Vec<usize> = (0..plan.cases.len()).collect();
        if plan.schedule == Schedule::Shuffled {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(plan.seed ^ u64::from(round));
            order.shuffle(&mut rng);
        }
        for i in order {
            let case = &plan.cases[i];
            if sofar[i].done {
                continue;
            }
            if timer.stopped() {
                interrupted = true;
                break 'rounds;
            }
            observers
                .iter_mut()
                .for_each(|o| o.case_started(case, plan));
            // A case that times itself (check_cost) runs whole, once.
            let whole = matches!(case.input, Input::Stepped { .. });
            let this_plan = if whole { plan } else { &one_round };
            let Some(result) = run_case(case, this_plan, context, timer) else {
                interrupted = true;
                break 'rounds;
            };
            sofar[i].add(result, round, &mut position);
            sofar[i].done |= whole;
        }
        observers
            .iter_mut()
            .for_each(|o| o.round_finished(round, plan));
    }
    let mut results = Vec::new();
    for so_far in sofar {
        let Some(result) = so_far.finish() else {
            continue;
        };
        for observer in observers.iter_mut() {
            observer.case_finished(&result, plan)?;
        }
        results.push(result);
    }
    Ok(RunOutcome {
        results,
        interrupted,
    })
}

/// A case's rounds so far.
struct SoFar {
    result: CaseResult,
    costs: Vec<WorkerCosts>,
    /// Whether it has ran at all.
    started: bool,
    /// Whether it leaves the rounds (failed, skipped, or ran whole).
    done: bool,
}

impl SoFar {
    fn new(case: &Case) -> Self {
        SoFar {
            result: CaseResult::new(case),
            costs: Vec::new(),
            started: false,
            done: false,
        }
    }

    /// Adds one round's result: its runs, numbered in the order they ran.
    fn add(&mut self, round_result: CaseResult, round: u32, position: &mut u64) {
        self.started = true;
        let so_far = self.result.runs.len() as u32;
        for mut run in round_result.runs {
            *position += 1;
            run.position = *position;
            run.round = round;
            self.result.runs.push(run);
        }
        for mut trace in round_result.traces {
            trace.round = round;
            self.result.traces.push(trace);
        }
        if let Some(failure) = round_result.failure {
            // A failed timed run is the case's repeat after those it had.
            let repeat = match failure.repeat {
                0 => 0,
                r => so_far + r,
            };
            self.result.failure = Some(Failure {
                repeat,
                message: failure.message,
            });
            self.done = true;
        }
        if round_result.skipped.is_some() {
            self.result.skipped = round_result.skipped;
            self.done = true;
        }
        self.result.answer = round_result.answer.or(self.result.answer);
        // A table of every run (the clocks) grows by each round's rows;
        // a whole-case table (samples, factors) is kept from the first.
        for table in round_result.tables {
            match self
                .result
                .tables
                .iter_mut()
                .find(|t| t.name() == table.name())
            {
                Some(Table::Clocks(kept)) => {
                    if let Table::Clocks(rows) = table {
                        kept.extend(rows);
                    }
                }
                Some(_) => {}
                None => self.result.tables.push(table),
            }
        }
        self.result.note = self.result.note.take().or(round_result.note);
        self.costs.extend(round_result.costs);
    }

    /// The case's result over every round it ran, if it ran at all.
    fn finish(mut self) -> Option<CaseResult> {
        if !self.started {
            return None;
        }
        self.result.costs = median_costs(&self.costs);
        Some(self.result)
    }
}

/// The median of each cost over the rounds (each round starts its workers).
fn median_costs(costs: &[WorkerCosts]) -> Option<WorkerCosts> {
    let of = |f: &dyn Fn(&WorkerCosts) -> Option<f64>| {
        stats::median(&costs.iter().filter_map(f).collect::<Vec<_>>())
    };
    (!costs.is_empty()).then(|| WorkerCosts {
        startup_s: of(&|c| Some(c.startup_s)).unwrap_or_default(),
        round_trip_s: of(&|c| c.round_trip_s),
        bytes_per_run: of(&|c| c.bytes_per_run),
        frames_per_run: of(&|c| c.frames_per_run),
        bytes_back_per_run: of(&|c| c.bytes_back_per_run),
        // A count, not a cost: every round's re-deliveries add up.
        redelivered: costs
            .iter()
            .filter_map(|c| c.redelivered)
            .reduce(|a, b| a + b),
    })
}

/// Runs one case; `None` if interrupted.
pub fn run_case(
    case: &Case,
    plan: &Plan,
    context: &mut Context,
    timer: &Timer,
) -> Option<CaseResult> {
    let missing = case.requires.iter().find_map(|needed| match needed {
        Requirement::Redis => context
            .redis_available()
            .err()
            .map(|why| format!("skipped: needs Redis: {why}")),
        needed => context
            .command
            .requirement(needed)
            .err()
            .map(|why| format!("skipped: needs {needed}: {why}")),
    });
    if let Some(skipped) = missing {
        return Some(CaseResult {
            skipped: Some(skipped),
            ..CaseResult::new(case)
        });
    }
    let result = match (&context.command_spec, &case.input) {
        (Some(spec), _) => {
            let spec = spec.clone();
            command::run_case(case, &spec, plan, context, timer)
        }
        (None, Input::Range(range)) => primes::run_case(case, *range, plan, context, timer),
        (None, Input::Number(number)) => verify::run_case(case, number.value, plan, context, timer),
        (None, Input::Stepped { range, step }) => {
            check_cost::run_case(case, *range, *step, plan, timer)
        }
        (None, Input::Factors(range)) => {
            factor_frequency::run_case(case, *range, plan, &context.remote, timer)
        }
        (None, Input::Bare) => Some(CaseResult::failed(
            case,
            "only a command workload runs without a range or numbers".into(),
        )),
    }?;
    // A case that failed before any timed run once a signal asked the run
    // to stop was cut short by it (a wait for workers given up): it is
    // interrupted, not failed (issue 20 item 12).
    if timer.stopped() && result.failure.is_some() && result.runs.is_empty() {
        return None;
    }
    Some(result)
}
