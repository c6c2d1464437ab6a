//! The command workload: an external program run once per repeat, as
//! hyperfine runs one, with the sweep's values in its words.
//!
//! # How a repeat runs
//! - The words are filled in (`{workers}` → `4`), and the program is
//!   started directly (no shell unless the file says `shell = true`), with
//!   stdin closed, in its own process group, in the file's `cwd` with its
//!   `env` added (and `REDIS_URL` when the file names a Redis server).
//! - Two clocks: the wall time from spawn to exit, measured here; and the
//!   program's own time of its measured section, printed on a line
//!   `runner-time: SECONDS`. The file's `clock` says which is the repeat's
//!   time; both are kept in `clocks.csv`. What spawning an empty process
//!   costs here is measured once and stated in the report.
//! - The answer, printed on a line `runner-answer: ...`, is checked by the
//!   oracle when the file declares what it answers (`answer = "primes"`,
//!   `"verdict"` or `"factors"`); without a declaration the case is
//!   unchecked, and the report says so.
//! - stdout is scanned line by line as it streams and stderr keeps only its
//!   tail, both read on the calling thread without blocking (poll(2)), so
//!   memory is bounded whatever the program prints and no reader thread can
//!   be left behind.
//! - A non-zero exit, a signal, a timeout, a missing or unreadable line, or
//!   a time that cannot be compared (at or below 1 ns, negative, beyond
//!   1e6 s) fails the case with the tail of the program's stderr. On a
//!   timeout, at exit, and when runner itself is stopped, the whole process
//!   group is killed, so no grandchild outlives its repeat; a process that
//!   left the group and holds the pipes open is read for 2 s more, then its
//!   pipes are closed at our end, and the note says so.
//!
//! The files: this one runs a case's repeats; [`spawn`] runs the program
//! once; [`lines`] reads what it says; [`requirements`] checks what a case
//! needs before it runs.

pub mod lines;
pub mod requirements;
pub mod spawn;

use self::lines::{Expected, TIME_LINE, program_time};
use self::spawn::{RunError, run_once};
use super::Context;
use super::factor_frequency::answer_of;
use crate::experiment::columns::{CaseColumns, Fixed};
use crate::experiment::command::{FillError, Quoting, substitute};
use crate::experiment::{AnswerKind, Case, ClockKind, CommandSpec, Input, Plan};
use crate::outcome::{CaseResult, ClockRow, Failure, Run, Table};
use crate::primes::oracle::{is_prime_u64, smallest_factor_counts};
use crate::timing::Timer;

/// The program's words for `case`: every placeholder filled with the
/// case's column or the user's parameter of that name (quoted for the
/// shell with `shell = true`).
pub fn argv_for(case: &Case, spec: &CommandSpec) -> Result<Vec<String>, String> {
    let columns = CaseColumns::of("", case);
    let value = |name: &str| -> Option<String> {
        if let Some((_, v)) = case.params.iter().find(|(k, _)| k == name) {
            return Some(v.clone());
        }
        columns.get(name).filter(|v| !v.is_empty())
    };
    let quoting = match spec.shell {
        true => Quoting::Shell,
        false => Quoting::None,
    };
    spec.argv
        .iter()
        .map(|word| {
            substitute(word, value, quoting).map_err(|e| match e {
                FillError::NoValue(name) => format!(
                    "the placeholder {{{name}}} has no value in this case ({}); write {{{name}|TEXT}} for a default",
                    case.describe()
                ),
                FillError::Nul(name) => format!(
                    "the value of {{{name}}} holds a NUL character, which no program's words can carry ({})",
                    case.describe()
                ),
                FillError::Syntax(e) => format!("the word {word:?} cannot be filled in: {e}"),
            })
        })
        .collect()
}

/// Runs a command case: warm-ups, then timed repeats, each a fresh
/// process; `None` if runner was stopped.
pub fn run_case(
    case: &Case,
    spec: &CommandSpec,
    plan: &Plan,
    context: &mut Context,
    timer: &Timer,
) -> Option<CaseResult> {
    let mut result = CaseResult::new(case);
    let argv = match argv_for(case, spec) {
        Ok(argv) => argv,
        Err(message) => return Some(CaseResult::failed(case, message)),
    };
    let expected = expected(case, spec.answer, context);
    let spawn = context.command.spawn_cost();
    // The server runner probes for `requires = "redis"` is the program's too.
    let extra_env = [("REDIS_URL".to_string(), context.redis.url.clone())];
    let mut rows = Vec::new();
    let mut program_seen = false;
    let mut held_open = None;
    let fail = |result: &mut CaseResult, repeat: u32, message: String| {
        result.failure = Some(Failure { repeat, message });
    };
    for i in 0..plan.warmup + plan.repeats {
        let repeat = i.checked_sub(plan.warmup).map(|r| r + 1);
        if timer.stopped() {
            return None;
        }
        let started_s = timer.clock.now();
        let exit = match run_once(&argv, spec, &extra_env, timer) {
            Ok(exit) => exit,
            Err(RunError::Stopped) => return None,
            Err(RunError::Failed(message)) => {
                let message = match repeat {
                    None => format!("during warm-up: {message}"),
                    Some(_) => message,
                };
                fail(&mut result, repeat.unwrap_or(0), message);
                break;
            }
        };
        // After a line's trouble: whether a pipe was held open, and stderr.
        let tail = exit
            .held_open
            .as_ref()
            .map(|h| format!("; {h}"))
            .unwrap_or_default()
            + &exit.stderr.describe();
        let checked = program_time(exit.said.time.as_ref()).and_then(|program| {
            let answer = expected.check(exit.said.answer.as_ref())?;
            Ok((program, answer))
        });
        let (program_s, answer) = match checked {
            Ok(found) => found,
            Err(message) => {
                let message = format!("{message}{tail}");
                fail(&mut result, repeat.unwrap_or(0), message);
                break;
            }
        };
        program_seen |= program_s.is_some();
        held_open = held_open.or(exit.held_open);
        let seconds = match (spec.clock, program_s) {
            (ClockKind::Wall, _) => exit.wall_s,
            (ClockKind::Program, Some(s)) => s,
            (ClockKind::Program, None) => {
                let message = format!(
                    "the program printed no `{TIME_LINE} SECONDS` line, and the file times it by its own clock (`clock = \"program\"`){tail}"
                );
                fail(&mut result, repeat.unwrap_or(0), message);
                break;
            }
        };
        let Some(repeat) = repeat else { continue };
        result.runs.push(Run {
            seconds,
            work: None,
            started_s,
            round: repeat,
            position: 0,
        });
        result.answer = answer;
        rows.push(ClockRow {
            started_s: Fixed(started_s),
            wall_s: Fixed(exit.wall_s),
            program_s: program_s.map(Fixed),
        });
    }
    if !rows.is_empty() {
        result.tables.push(Table::Clocks(rows));
    }
    let mut said = note(spec, &expected, spawn, program_seen);
    if let Some(held) = held_open {
        said = format!("{said}; {held}");
    }
    result.note = Some(said);
    Some(result)
}

/// What the oracle expects of `case`, as `answer` declares it.
fn expected(case: &Case, answer: Option<AnswerKind>, context: &mut Context) -> Expected {
    match (answer, &case.input) {
        (Some(AnswerKind::Primes), Input::Range(range)) => {
            Expected::Primes(context.primes_in(*range))
        }
        (Some(AnswerKind::Factors), Input::Range(range)) => {
            let histogram = smallest_factor_counts(range.start.max(3), range.end);
            Expected::Factors(answer_of(&histogram))
        }
        (Some(AnswerKind::Verdict), Input::Number(n)) => Expected::Verdict {
            n: n.value,
            prime: is_prime_u64(n.value),
        },
        _ => Expected::Unchecked,
    }
}

/// How the case's times and answer are to be read.
fn note(spec: &CommandSpec, expected: &Expected, spawn: Option<f64>, program_seen: bool) -> String {
    let spawn = match spawn {
        Some(s) => format!("spawning an empty process costs {:.2} ms here", s * 1e3),
        None => "the cost of spawning an empty process could not be measured".into(),
    };
    let clock = match (spec.clock, program_seen) {
        (ClockKind::Wall, true) => format!(
            "timed by the wall clock from spawn to exit ({spawn}, included); the program's own time is in clocks.csv"
        ),
        (ClockKind::Wall, false) => {
            format!("timed by the wall clock from spawn to exit ({spawn}, included)")
        }
        (ClockKind::Program, _) => format!(
            "timed by the program's own clock (its `{TIME_LINE}` line); the wall time from spawn to exit is in clocks.csv ({spawn})"
        ),
    };
    let answer = match expected {
        Expected::Unchecked => "answer unchecked (the file declares none)",
        _ => "answer checked by the oracle",
    };
    format!("{clock}; {answer}")
}
