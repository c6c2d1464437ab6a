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
//! - A non-zero exit, a signal, a timeout, a missing or unreadable line
//!   fails the case with the tail of the program's stderr. On a timeout, at
//!   exit, and when runner itself is stopped, the whole process group is
//!   killed, so no grandchild outlives its repeat.

use std::collections::HashMap;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::Context;
use crate::answer::{Answer, check_verdict};
use crate::experiment::command::{FillError, Quoting, substitute};
use crate::experiment::{AnswerKind, Case, ClockKind, CommandSpec, Input, Plan, Requirement};
use crate::outcome::{CaseResult, Failure, Run, Table};
use crate::primes::oracle::is_prime_u64;
use crate::primes::oracle::smallest_factor_counts;
use crate::record::{CASE_COLUMNS, case_cells, seconds_cell};
use crate::timing::Timer;

/// The line prefix of the program's own time, in seconds.
pub const TIME_LINE: &str = "runner-time:";
/// The line prefix of the program's answer.
pub const ANSWER_LINE: &str = "runner-answer:";
/// The name of the per-run table of both clocks.
pub const CLOCKS_TABLE: &str = "clocks";
/// The most stdout kept per repeat; the rest is read and dropped.
const STDOUT_KEPT: usize = 1 << 20;
/// The tail of stderr a failure shows.
const STDERR_TAIL: usize = 2_000;
/// How often a waiting repeat looks at runner's stop flag.
const STOP_POLL: Duration = Duration::from_millis(20);

/// How one run of the program ended, when it ran to a zero exit.
#[derive(Debug, Clone, PartialEq)]
pub struct Exit {
    /// Seconds from spawn to exit.
    pub wall_s: f64,
    pub stdout: String,
    pub stderr: String,
}

/// Why a run of the program gave no result.
#[derive(Debug, Clone, PartialEq)]
pub enum RunError {
    /// Runner was asked to stop; the program was killed.
    Stopped,
    /// The program failed; the message says how, with its stderr tail.
    Failed(String),
}

/// The program's words for `case`: every placeholder filled with the
/// case's column or the user's parameter of that name (quoted for the
/// shell with `shell = true`).
pub fn argv_for(case: &Case, spec: &CommandSpec) -> Result<Vec<String>, String> {
    let cells = case_cells("", case);
    let value = |name: &str| -> Option<String> {
        if let Some((_, v)) = case.params.iter().find(|(k, _)| k == name) {
            return Some(v.clone());
        }
        let i = CASE_COLUMNS.iter().position(|c| *c == name)?;
        Some(cells[i].clone()).filter(|v| !v.is_empty())
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

/// Runs `argv` once as `spec` says; `extra_env` is added after the file's.
pub fn run_once(
    argv: &[String],
    spec: &CommandSpec,
    extra_env: &[(String, String)],
    timer: &Timer,
) -> Result<Exit, RunError> {
    let mut command = match spec.shell {
        true => {
            let mut c = Command::new("/bin/sh");
            c.arg("-c").arg(argv.join(" "));
            c
        }
        false => {
            let mut c = Command::new(&argv[0]);
            c.args(&argv[1..]);
            c
        }
    };
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    if let Some(cwd) = &spec.cwd {
        command.current_dir(cwd);
    }
    command.envs(spec.env.iter().chain(extra_env).map(|(k, v)| (k, v)));
    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| {
        let program = if spec.shell { "/bin/sh" } else { &argv[0] };
        RunError::Failed(format!("cannot start {program}: {e}"))
    })?;
    let group = Group(child.id() as i32);
    // A second stopping signal exits at once: the group goes first.
    let pgid = group.0;
    let _hook = crate::signals::on_immediate_exit(move || kill_group(pgid));
    let stdout = reader(child.stdout.take(), |buf, bytes| {
        let room = STDOUT_KEPT.saturating_sub(buf.len());
        buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
    });
    let stderr = reader(child.stderr.take(), |buf, bytes| {
        buf.extend_from_slice(bytes);
        if buf.len() > 4 * STDERR_TAIL {
            buf.drain(..buf.len() - STDERR_TAIL);
        }
    });
    let ended = wait(child, started, spec.timeout, timer, &group);
    // Whatever ended the leader, its descendants go with it.
    drop(group);
    let stdout = collect(stdout);
    let stderr = collect(stderr);
    let tail = || stderr_tail(&stderr);
    match ended {
        Waited::Exited(status, wall) if status.success() => Ok(Exit {
            wall_s: wall.as_secs_f64(),
            stdout,
            stderr,
        }),
        Waited::Exited(status, _) => Err(RunError::Failed(format!(
            "the program {}{}",
            describe_status(status),
            tail()
        ))),
        Waited::TimedOut => Err(RunError::Failed(format!(
            "the program was killed after its timeout of {} s{}",
            spec.timeout.as_secs_f64(),
            tail()
        ))),
        Waited::Stopped => Err(RunError::Stopped),
        Waited::Lost(e) => Err(RunError::Failed(format!(
            "cannot wait for the program: {e}{}",
            tail()
        ))),
    }
}

/// A process group, killed when dropped (a no-op once it is empty).
struct Group(i32);

impl Drop for Group {
    fn drop(&mut self) {
        kill_group(self.0);
    }
}

fn kill_group(pgid: i32) {
    // SAFETY: kill(2) with a negative pid signals the group; no memory is touched.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

enum Waited {
    Exited(ExitStatus, Duration),
    TimedOut,
    Stopped,
    Lost(std::io::Error),
}

/// Waits for `child` (on a thread, which notes the moment it exits),
/// killing its group at the timeout or when runner is asked to stop.
fn wait(child: Child, started: Instant, timeout: Duration, timer: &Timer, group: &Group) -> Waited {
    let (tx, rx) = mpsc::channel();
    let mut child = child;
    let waiter = thread::spawn(move || {
        let status = child.wait();
        let _ = tx.send(status.map(|s| (s, started.elapsed())));
    });
    let ended = loop {
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            break Waited::TimedOut;
        }
        match rx.recv_timeout(left.min(STOP_POLL)) {
            Ok(Ok((status, wall))) => break Waited::Exited(status, wall),
            Ok(Err(e)) => break Waited::Lost(e),
            Err(mpsc::RecvTimeoutError::Timeout) if timer.stopped() => break Waited::Stopped,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                break Waited::Lost(std::io::Error::other("the waiting thread died"));
            }
        }
    };
    if !matches!(ended, Waited::Exited(..)) {
        kill_group(group.0);
    }
    // The leader is reaped by its thread once killed.
    let _ = waiter.join();
    ended
}

/// Reads a pipe to its end on a thread, folding each read into a buffer.
fn reader(
    pipe: Option<impl Read + Send + 'static>,
    fold: impl Fn(&mut Vec<u8>, &[u8]) + Send + 'static,
) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                fold(&mut buf, &chunk[..n]);
            }
        }
        let _ = tx.send(buf);
    });
    rx
}

/// A reader's text, waiting a little for it: a descendant that left the
/// process group may hold the pipe open, and must not hang runner.
fn collect(rx: mpsc::Receiver<Vec<u8>>) -> String {
    let bytes = rx.recv_timeout(Duration::from_secs(2)).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// ": its stderr ended with: ..." or nothing.
fn stderr_tail(stderr: &str) -> String {
    let trimmed = stderr.trim_end();
    if trimmed.is_empty() {
        return "; its stderr was empty".into();
    }
    let start = trimmed.len().saturating_sub(STDERR_TAIL);
    let start = (start..=trimmed.len())
        .find(|&i| trimmed.is_char_boundary(i))
        .unwrap_or(trimmed.len());
    let cut = if start > 0 { "..." } else { "" };
    format!("; its stderr ended with:\n{cut}{}", &trimmed[start..])
}

fn describe_status(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal} ({})", signal_name(signal)),
        (None, None) => "ended abnormally".into(),
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        _ => "another signal",
    }
}

/// The value of the last line starting with `prefix`, if any.
fn last_line<'a>(stdout: &'a str, prefix: &str) -> Option<&'a str> {
    stdout
        .lines()
        .rev()
        .find_map(|l| l.trim_start().strip_prefix(prefix))
        .map(str::trim)
}

/// The program's own seconds, from its `runner-time:` line.
pub fn program_time(stdout: &str) -> Result<Option<f64>, String> {
    let Some(text) = last_line(stdout, TIME_LINE) else {
        return Ok(None);
    };
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Ok(Some(s)),
        _ => Err(format!(
            "the program's `{TIME_LINE}` line says {:?}, not a number of seconds",
            shorten(text)
        )),
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(80).collect()
}

/// What the oracle expects of a case, computed once before its repeats.
#[derive(Debug, Clone)]
pub enum Expected {
    Unchecked,
    Primes(Answer),
    Verdict { n: u64, prime: bool },
    Factors(Answer),
}

impl Expected {
    /// The oracle's answer for `case`, as `answer` declares it.
    pub fn of(case: &Case, answer: Option<AnswerKind>, context: &mut Context) -> Expected {
        match (answer, &case.input) {
            (Some(AnswerKind::Primes), Input::Range(range)) => {
                Expected::Primes(context.primes_in(*range))
            }
            (Some(AnswerKind::Factors), Input::Range(range)) => {
                let histogram = smallest_factor_counts(range.start.max(3), range.end);
                Expected::Factors(super::factor_frequency::answer_of(&histogram))
            }
            (Some(AnswerKind::Verdict), Input::Number(n)) => Expected::Verdict {
                n: n.value,
                prime: is_prime_u64(n.value),
            },
            _ => Expected::Unchecked,
        }
    }

    /// Checks the program's `runner-answer:` line; `Ok(None)` if unchecked.
    pub fn check(&self, stdout: &str) -> Result<Option<Answer>, String> {
        if let Expected::Unchecked = self {
            return Ok(None);
        }
        let line = last_line(stdout, ANSWER_LINE).ok_or_else(|| {
            format!("the program printed no `{ANSWER_LINE}` line, so its answer cannot be checked")
        })?;
        let garbage = |what: &str| {
            format!(
                "the program's `{ANSWER_LINE}` line says {:?}, not {what}",
                shorten(line)
            )
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        match self {
            Expected::Unchecked => Ok(None),
            Expected::Primes(expected) => {
                let want = "a count of primes and an optional checksum";
                let (count, checksum) =
                    count_and_checksum(&words, 1).ok_or_else(|| garbage(want))?;
                let Answer::Primes {
                    count: oracle_count,
                    checksum: oracle_sum,
                } = *expected
                else {
                    unreachable!("a primes expectation holds a primes answer")
                };
                if count[0] != oracle_count {
                    return Err(format!(
                        "wrong answer: the program found {} primes, the oracle {oracle_count}",
                        count[0]
                    ));
                }
                if checksum.is_some_and(|c| c != oracle_sum) {
                    return Err(format!(
                        "wrong answer: {oracle_count} primes, but the checksum {} is not the oracle's {oracle_sum:016x}",
                        words[1]
                    ));
                }
                Ok(Some(*expected))
            }
            Expected::Factors(expected) => {
                let want = "a count of distinct factors, of non-primes and an optional checksum";
                let (counts, checksum) =
                    count_and_checksum(&words, 2).ok_or_else(|| garbage(want))?;
                let Answer::Factors {
                    distinct,
                    total,
                    checksum: oracle_sum,
                } = *expected
                else {
                    unreachable!("a factors expectation holds a factors answer")
                };
                if counts != [distinct, total] || checksum.is_some_and(|c| c != oracle_sum) {
                    return Err(format!(
                        "wrong answer: the program says {:?}; the oracle counts {distinct} distinct smallest factors of {total} non-primes (checksum {oracle_sum:016x})",
                        shorten(line)
                    ));
                }
                Ok(Some(*expected))
            }
            Expected::Verdict { n, prime } => {
                let (said_prime, factor) = match &words[..] {
                    ["prime"] => (true, None),
                    ["not", "prime"] | ["composite"] => (false, None),
                    ["not", "prime", f] | ["composite", f] => {
                        let f = f.parse::<u64>().map_err(|_| garbage("a verdict"))?;
                        (false, Some(f))
                    }
                    _ => return Err(garbage("\"prime\" or \"not prime [FACTOR]\"")),
                };
                check_verdict(*n, said_prime, factor, *prime).map(Some)
            }
        }
    }
}

/// `counts` decimal counts, then an optional 16-digit hex checksum.
fn count_and_checksum(words: &[&str], counts: usize) -> Option<(Vec<u64>, Option<u64>)> {
    if words.len() != counts && words.len() != counts + 1 {
        return None;
    }
    let numbers = words[..counts]
        .iter()
        .map(|w| w.parse::<u64>().ok())
        .collect::<Option<Vec<_>>>()?;
    let checksum = match words.get(counts) {
        Some(hex) => Some(u64::from_str_radix(hex, 16).ok()?),
        None => None,
    };
    Some((numbers, checksum))
}

/// Whether `requirement` (a program or a Python module) is met here.
pub fn requirement_met(requirement: &Requirement) -> Result<(), String> {
    match requirement {
        Requirement::Redis => Ok(()),
        Requirement::Program(program) => find_program(program).map(|_| ()),
        Requirement::Module {
            interpreter,
            module,
        } => {
            let path = find_program(interpreter)?;
            let status = Command::new(path)
                .args(["-c", &format!("import {module}")])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map_err(|e| format!("cannot start {interpreter}: {e}"))?;
            match status.success() {
                true => Ok(()),
                false => Err(format!(
                    "{interpreter} cannot import {module} (install it, e.g. `{interpreter} -m pip install {module}`)"
                )),
            }
        }
    }
}

/// The path of `program`: itself if it names a path, else the first
/// executable of that name on `PATH`.
fn find_program(program: &str) -> Result<std::path::PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &std::path::Path| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let path = std::path::PathBuf::from(program);
        return match executable(&path) {
            true => Ok(path),
            false => Err(format!("{program} is not an executable file")),
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| executable(p))
        .ok_or_else(|| format!("{program} is not on PATH"))
}

/// Seconds to spawn an empty process (`true`) and reap it here: the best
/// of a few, what the wall clock of every repeat includes.
pub fn spawn_cost() -> Option<f64> {
    let program = find_program("true").ok()?;
    (0..20)
        .filter_map(|_| {
            let started = Instant::now();
            Command::new(&program)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .ok()
                .filter(ExitStatus::success)
                .map(|_| started.elapsed().as_secs_f64())
        })
        .min_by(f64::total_cmp)
}

/// What is cached per run for command cases.
#[derive(Debug, Default)]
pub struct CommandContext {
    requirements: HashMap<Requirement, Result<(), String>>,
    spawn_cost: Option<Option<f64>>,
}

impl CommandContext {
    /// Whether `requirement` is met, asked once per run.
    pub fn requirement(&mut self, requirement: &Requirement) -> Result<(), String> {
        self.requirements
            .entry(requirement.clone())
            .or_insert_with(|| requirement_met(requirement))
            .clone()
    }

    /// What spawning an empty process costs, measured once per run.
    pub fn spawn_cost(&mut self) -> Option<f64> {
        *self.spawn_cost.get_or_insert_with(spawn_cost)
    }
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
    let expected = Expected::of(case, spec.answer, context);
    let spawn = context.command.spawn_cost();
    // The server runner probes for `requires = "redis"` is the program's too.
    let extra_env = [("REDIS_URL".to_string(), context.redis.url.clone())];
    let mut rows = Vec::new();
    let mut program_seen = false;
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
        let checked = program_time(&exit.stdout).and_then(|program| {
            let answer = expected.check(&exit.stdout)?;
            Ok((program, answer))
        });
        let (program_s, answer) = match checked {
            Ok(found) => found,
            Err(message) => {
                let message = format!("{message}{}", stderr_tail(&exit.stderr));
                fail(&mut result, repeat.unwrap_or(0), message);
                break;
            }
        };
        program_seen |= program_s.is_some();
        let seconds = match (spec.clock, program_s) {
            (ClockKind::Wall, _) => exit.wall_s,
            (ClockKind::Program, Some(s)) => s,
            (ClockKind::Program, None) => {
                let message = format!(
                    "the program printed no `{TIME_LINE} SECONDS` line, and the file times it by its own clock (`clock = \"program\"`){}",
                    stderr_tail(&exit.stderr)
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
        rows.push(vec![
            seconds_cell(started_s),
            seconds_cell(exit.wall_s),
            program_s.map(seconds_cell).unwrap_or_default(),
        ]);
    }
    if !rows.is_empty() {
        result.tables.push(Table {
            name: CLOCKS_TABLE,
            header: vec!["started_s", "wall_s", "program_s"],
            rows,
        });
    }
    result.note = Some(note(spec, &expected, spawn, program_seen));
    Some(result)
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
