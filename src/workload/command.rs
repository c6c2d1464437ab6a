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

use std::collections::HashMap;
use std::io::{ErrorKind, Read};
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::Context;
use crate::answer::{Answer, check_verdict};
use crate::experiment::columns::CaseColumns;
use crate::experiment::columns::Fixed;
use crate::experiment::command::{FillError, MAX_SECONDS, Quoting, substitute};
use crate::experiment::{AnswerKind, Case, ClockKind, CommandSpec, Input, Plan, Requirement};
use crate::outcome::{CaseResult, ClockRow, Failure, Run, Table};
use crate::primes::oracle::is_prime_u64;
use crate::primes::oracle::smallest_factor_counts;
use crate::timing::Timer;

/// The line prefix of the program's own time, in seconds.
pub const TIME_LINE: &str = "runner-time:";
/// The line prefix of the program's answer.
pub const ANSWER_LINE: &str = "runner-answer:";
/// The most of one stdout line kept while it streams: a `runner-*` line is
/// short, and a longer one is refused, so no line is ever held whole.
const LINE_KEPT: usize = 4096;
/// The characters of stderr's tail a failure shows (after escaping).
const STDERR_TAIL: usize = 2_000;
/// The bytes of stderr kept while it streams: enough for the tail shown.
const STDERR_KEPT: usize = 4 * STDERR_TAIL;
/// The bytes read from a pipe at a time.
const READ_CHUNK: usize = 64 * 1024;
/// The shortest program time runner can tell from nothing: `results.csv`
/// writes seconds with 9 decimals, so anything at or below 1 ns is lost.
const CLOCK_RESOLUTION_S: f64 = 1e-9;
/// How often a waiting repeat looks at runner's stop flag.
const STOP_POLL: Duration = Duration::from_millis(20);
/// How long the pipes are read after the program exited (and its group was
/// killed): only a process that left the group can hold them open longer.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// How one run of the program ended, when it ran to a zero exit.
#[derive(Debug, Clone, PartialEq)]
pub struct Exit {
    /// Seconds from spawn to exit.
    pub wall_s: f64,
    /// The last `runner-*` lines of stdout.
    pub said: Said,
    /// The tail of stderr.
    pub stderr: Tail,
    /// Set when a pipe was still open after the program exited: what a
    /// note or a failure says about it.
    pub held_open: Option<String>,
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
    let mut pipes = Pipes::new(child.stdout.take(), child.stderr.take());
    // The exit is noted on a thread the moment it happens; the pipes are
    // read here meanwhile, so the wall time does not wait for them.
    let (tx, exited) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let status = child.wait();
        let _ = tx.send(status.map(|s| (s, started.elapsed())));
    });
    let ended = loop {
        let left = spec.timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            break Waited::TimedOut;
        }
        let step = left.min(STOP_POLL);
        let news = match pipes.open() {
            true => {
                pipes.read_for(step);
                exited.try_recv().map_err(|e| match e {
                    mpsc::TryRecvError::Empty => None,
                    mpsc::TryRecvError::Disconnected => Some(()),
                })
            }
            false => exited.recv_timeout(step).map_err(|e| match e {
                mpsc::RecvTimeoutError::Timeout => None,
                mpsc::RecvTimeoutError::Disconnected => Some(()),
            }),
        };
        match news {
            Ok(Ok((status, wall))) => break Waited::Exited(status, wall),
            Ok(Err(e)) => break Waited::Lost(e),
            Err(Some(())) => {
                break Waited::Lost(std::io::Error::other("the waiting thread died"));
            }
            Err(None) if timer.stopped() => break Waited::Stopped,
            Err(None) => continue,
        }
    };
    // Whatever ended the leader, its descendants go with it; the leader is
    // then reaped by its thread.
    drop(group);
    let _ = waiter.join();
    if let Waited::Stopped = ended {
        return Err(RunError::Stopped);
    }
    let held_open = pipes.drain(DRAIN_GRACE);
    let (said, stderr) = pipes.finish();
    let tail = || {
        let held = held_open
            .as_ref()
            .map(|h| format!("; {h}"))
            .unwrap_or_default();
        format!("{held}{}", stderr.describe())
    };
    match ended {
        Waited::Exited(status, wall) if status.success() => Ok(Exit {
            wall_s: wall.as_secs_f64(),
            said,
            stderr,
            held_open,
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

/// The program's stdout and stderr, read without blocking as they stream:
/// stdout is scanned line by line, stderr keeps its tail. Nothing here
/// grows with what the program prints, and nothing outlives the repeat:
/// the pipes are read on the caller's thread with a deadline, and closed
/// when dropped.
struct Pipes {
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
    lines: LineScanner,
    tail: Tail,
    chunk: Vec<u8>,
}

impl Pipes {
    fn new(stdout: Option<ChildStdout>, stderr: Option<ChildStderr>) -> Pipes {
        let stdout = stdout.filter(|p| nonblocking(p.as_raw_fd()));
        let stderr = stderr.filter(|p| nonblocking(p.as_raw_fd()));
        Pipes {
            stdout,
            stderr,
            lines: LineScanner::default(),
            tail: Tail::default(),
            chunk: vec![0; READ_CHUNK],
        }
    }

    /// Whether a pipe is still open at our end (its writers may write).
    fn open(&self) -> bool {
        self.stdout.is_some() || self.stderr.is_some()
    }

    /// Waits up to `wait` for either pipe to have something, and reads
    /// what is there; a pipe at its end is closed.
    fn read_for(&mut self, wait: Duration) {
        let fd = |p: Option<i32>| libc::pollfd {
            fd: p.unwrap_or(-1),
            events: libc::POLLIN,
            revents: 0,
        };
        let mut fds = [
            fd(self.stdout.as_ref().map(AsRawFd::as_raw_fd)),
            fd(self.stderr.as_ref().map(AsRawFd::as_raw_fd)),
        ];
        let ms = wait.as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
        // SAFETY: `fds` is a valid array of two pollfd for the call's
        // duration; a negative fd is ignored by poll(2).
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if ready <= 0 {
            // Nothing yet, or EINTR: the caller looks again.
            return;
        }
        if fds[0].revents != 0 {
            let (pipe, chunk, lines) = (&mut self.stdout, &mut self.chunk, &mut self.lines);
            read_some(pipe, chunk, |bytes| lines.feed(bytes));
        }
        if fds[1].revents != 0 {
            let (pipe, chunk, tail) = (&mut self.stderr, &mut self.chunk, &mut self.tail);
            read_some(pipe, chunk, |bytes| tail.feed(bytes));
        }
    }

    /// Reads both pipes to their end, or for `grace` at most. Returns what
    /// to say when a pipe was still open then: the program has exited and
    /// its group is gone, so a process that left the group holds it.
    fn drain(&mut self, grace: Duration) -> Option<String> {
        let deadline = Instant::now() + grace;
        while self.open() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            self.read_for(left);
        }
        let held: Vec<&str> = [
            self.stdout.as_ref().map(|_| "stdout"),
            self.stderr.as_ref().map(|_| "stderr"),
        ]
        .into_iter()
        .flatten()
        .collect();
        // Our ends close here: a late writer gets EPIPE, and no thread of
        // ours is left waiting on it.
        self.stdout = None;
        self.stderr = None;
        (!held.is_empty()).then(|| {
            format!(
                "a process the program started kept its {} open after the program exited (it left the program's process group, so runner could not stop it); what was printed until then was read, and reading stopped {} s later",
                held.join(" and "),
                grace.as_secs_f64()
            )
        })
    }

    /// What stdout said and stderr's tail.
    fn finish(self) -> (Said, Tail) {
        (self.lines.finish(), self.tail)
    }
}

/// Makes `fd` non-blocking; false (the pipe is then not read) on failure.
fn nonblocking(fd: i32) -> bool {
    // SAFETY: fcntl(2) on a descriptor we own; no memory is touched.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        flags >= 0 && libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) >= 0
    }
}

/// Reads what `pipe` has now into `fold`; at its end (or on an error) the
/// pipe is closed.
fn read_some(pipe: &mut Option<impl Read>, chunk: &mut [u8], mut fold: impl FnMut(&[u8])) {
    let Some(reader) = pipe else { return };
    match reader.read(chunk) {
        Ok(0) => *pipe = None,
        Ok(n) => fold(&chunk[..n]),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
        Err(_) => *pipe = None,
    }
}

/// The value of a `runner-*` line: the text after its prefix, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    /// The line was longer than runner keeps ([`LINE_KEPT`] bytes).
    pub cut: bool,
}

/// What a run's stdout said: the last line of each kind counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Said {
    pub time: Option<Line>,
    pub answer: Option<Line>,
}

/// Scans stdout line by line as it streams, keeping only the start of the
/// current line and the last `runner-*` line of each kind.
#[derive(Debug, Default)]
struct LineScanner {
    current: Vec<u8>,
    cut: bool,
    said: Said,
}

impl LineScanner {
    fn feed(&mut self, bytes: &[u8]) {
        for piece in bytes.split_inclusive(|b| *b == b'\n') {
            let (body, ends) = match piece.strip_suffix(b"\n") {
                Some(body) => (body, true),
                None => (piece, false),
            };
            let room = LINE_KEPT - self.current.len();
            self.cut |= body.len() > room;
            self.current
                .extend_from_slice(&body[..body.len().min(room)]);
            if ends {
                self.end_line();
            }
        }
    }

    fn end_line(&mut self) {
        let text = String::from_utf8_lossy(&self.current);
        let line = text.trim_start();
        for (prefix, slot) in [
            (TIME_LINE, &mut self.said.time),
            (ANSWER_LINE, &mut self.said.answer),
        ] {
            if let Some(value) = line.strip_prefix(prefix) {
                *slot = Some(Line {
                    text: value.trim().to_string(),
                    cut: self.cut,
                });
            }
        }
        self.current.clear();
        self.cut = false;
    }

    /// The last lines, counting a final line without a line break.
    fn finish(mut self) -> Said {
        if !self.current.is_empty() {
            self.end_line();
        }
        self.said
    }
}

/// The last bytes of a stream, and whether earlier ones were dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tail {
    bytes: Vec<u8>,
    dropped: bool,
}

impl Tail {
    fn feed(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
        if self.bytes.len() > 2 * STDERR_KEPT {
            self.bytes.drain(..self.bytes.len() - STDERR_KEPT);
            self.dropped = true;
        }
    }

    /// ": its stderr ended with: ..." or "; its stderr was empty": at most
    /// [`STDERR_TAIL`] characters, measured after control characters are
    /// escaped (so a binary tail stays short), saying when it was cut.
    fn describe(&self) -> String {
        let text = String::from_utf8_lossy(&self.bytes);
        let trimmed = text.trim_end();
        if trimmed.is_empty() {
            return match self.dropped {
                false => "; its stderr was empty".into(),
                true => "; its stderr ended with blank space".into(),
            };
        }
        let mut shown: Vec<String> = Vec::new();
        let mut count = 0;
        let mut cut = self.dropped;
        for c in trimmed.chars().rev() {
            let piece = match c {
                '\n' | '\t' => c.to_string(),
                c if c.is_control() => c.escape_default().to_string(),
                c => c.to_string(),
            };
            let n = piece.chars().count();
            if count + n > STDERR_TAIL {
                cut = true;
                break;
            }
            count += n;
            shown.push(piece);
        }
        shown.reverse();
        let shown = shown.concat();
        match cut {
            true => format!(
                "; its stderr ended with (cut to its last {count} characters, control characters escaped):\n...{shown}"
            ),
            false => format!("; its stderr ended with:\n{shown}"),
        }
    }
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

/// The program's own seconds, from its last `runner-time:` line: a time
/// at or below the clock's resolution, negative (`-0` too), not a number
/// or beyond [`MAX_SECONDS`] is refused, since it cannot be compared.
pub fn program_time(line: Option<&Line>) -> Result<Option<f64>, String> {
    let Some(line) = line else {
        return Ok(None);
    };
    if line.cut {
        return Err(format!(
            "the program's `{TIME_LINE}` line is longer than {LINE_KEPT} bytes, not a number of seconds"
        ));
    }
    let printed = format!("the program printed `{TIME_LINE} {}`", shorten(&line.text));
    let seconds = match line.text.parse::<f64>() {
        Ok(s) if !s.is_nan() => s,
        _ => {
            return Err(format!(
                "the program's `{TIME_LINE}` line says {:?}, not a number of seconds",
                shorten(&line.text)
            ));
        }
    };
    if seconds.is_sign_negative() {
        return Err(format!(
            "{printed}: a time cannot be negative (nor -0); print the seconds its measured section took"
        ));
    }
    if seconds <= CLOCK_RESOLUTION_S {
        return Err(format!(
            "{printed}: that is at or below the clock's resolution (1 ns), so nothing was measured and no ratio can be drawn; print more digits (e.g. `%.9f`), time a longer section, or let runner time it with `clock = \"wall\"`"
        ));
    }
    if seconds > MAX_SECONDS {
        return Err(format!(
            "{printed}: more than {MAX_SECONDS:.0} s ({:.1} days), longer than any run may take; print seconds (not milliseconds or nanoseconds)",
            MAX_SECONDS / 86_400.0
        ));
    }
    Ok(Some(seconds))
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
    pub fn check(&self, line: Option<&Line>) -> Result<Option<Answer>, String> {
        if let Expected::Unchecked = self {
            return Ok(None);
        }
        let line = line.ok_or_else(|| {
            format!("the program printed no `{ANSWER_LINE}` line, so its answer cannot be checked")
        })?;
        if line.cut {
            return Err(format!(
                "the program's `{ANSWER_LINE}` line is longer than {LINE_KEPT} bytes, not an answer"
            ));
        }
        let line = line.text.as_str();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Line {
        Line {
            text: text.into(),
            cut: false,
        }
    }

    /// Issue 20 item 8: lines are scanned as they stream, split anywhere;
    /// the last of each kind counts, and a huge line is never kept whole.
    #[test]
    fn stdout_is_scanned_line_by_line_in_bounded_memory() {
        let mut scanner = LineScanner::default();
        let text = "runner-answer: 3\nchatter\n  runner-time: 0.5\r\nrunner-answer: 25 \n";
        for byte in text.as_bytes() {
            scanner.feed(std::slice::from_ref(byte));
        }
        // A line of 10 MB, in 64 KiB reads: only its start is kept.
        let big = vec![b'x'; READ_CHUNK];
        for _ in 0..160 {
            scanner.feed(&big);
            assert!(scanner.current.len() <= LINE_KEPT);
        }
        scanner.feed(b"\nrunner-time: 0.25");
        let said = scanner.finish();
        assert_eq!(said.answer, Some(line("25")));
        assert_eq!(said.time, Some(line("0.25")));
        // A runner line too long to keep is marked, not trusted.
        let mut scanner = LineScanner::default();
        scanner.feed(b"runner-answer: 25");
        scanner.feed(&vec![b' '; 2 * LINE_KEPT]);
        scanner.feed(b"garbage\n");
        let said = scanner.finish();
        let answer = said.answer.expect("the line is seen");
        assert!(answer.cut);
        let expected = Expected::Primes(Answer::Primes {
            count: 25,
            checksum: 0,
        });
        let refused = expected.check(Some(&answer)).unwrap_err();
        assert!(refused.contains("longer than 4096 bytes"), "{refused}");
    }

    /// Issue 20 item 7 and audit finding 16: a time that cannot be
    /// compared is refused, naming the line printed and what to do.
    #[test]
    fn program_times_beyond_measure_are_refused() {
        assert_eq!(program_time(None), Ok(None));
        assert_eq!(program_time(Some(&line("0.125"))), Ok(Some(0.125)));
        assert_eq!(program_time(Some(&line("2e-9"))), Ok(Some(2e-9)));
        assert_eq!(program_time(Some(&line("1e6"))), Ok(Some(1e6)));
        for (text, says) in [
            ("0", "at or below the clock's resolution"),
            ("0.0000000004", "at or below the clock's resolution"),
            ("1e-9", "at or below the clock's resolution"),
            ("1e-300", "at or below the clock's resolution"),
            ("-0", "cannot be negative"),
            ("-1.5", "cannot be negative"),
            ("1e300", "more than 1000000 s"),
            ("inf", "more than 1000000 s"),
            ("NaN", "not a number of seconds"),
            ("soon", "not a number of seconds"),
        ] {
            let error = program_time(Some(&line(text))).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
            if !says.starts_with("not a number") {
                let printed = format!("printed `runner-time: {text}`");
                assert!(error.contains(&printed), "{text}: {error}");
            }
        }
    }

    /// Issue 20 item 17: a binary stderr tail is capped by the characters
    /// shown after escaping, and says it was cut.
    #[test]
    fn a_binary_stderr_tail_is_capped_as_shown() {
        let mut tail = Tail::default();
        tail.feed(&[0u8; 3000]);
        let said = tail.describe();
        assert!(said.contains("cut to its last 2000 characters"), "{said}");
        assert!(said.chars().count() < STDERR_TAIL + 150, "{}", said.len());
        assert!(said.ends_with("\\u{0}"), "{said}");
        let mut tail = Tail::default();
        tail.feed(b"disk on fire\n");
        assert_eq!(tail.describe(), "; its stderr ended with:\ndisk on fire");
        // Far more than is kept: still bounded, still says so.
        let mut tail = Tail::default();
        for _ in 0..1000 {
            tail.feed(&[b'y'; 1000]);
        }
        assert!(tail.bytes.len() <= 2 * STDERR_KEPT);
        assert!(tail.describe().contains("cut to its last 2000 characters"));
        assert_eq!(Tail::default().describe(), "; its stderr was empty");
    }
}
