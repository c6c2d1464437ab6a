//! The progress watchdog of worker processes: a coordinator waiting for its
//! workers looks at them in /proc, so a case whose workers can no longer
//! make progress fails with the pid and state of the one to blame, instead
//! of waiting forever (issue 20 item 10).
//!
//! # What counts as progress
//! A reply, first of all: every wait (a `receive`, or a `submit` waiting for
//! room) watches only while nothing arrives. While a wait lasts, the
//! coordinator samples each worker's (and the queue manager's) state and CPU
//! time from `/proc/PID/stat` once a second. It gives up after [`SILENCE`]
//! without a reply when either
//! - one of them has been stopped (state `T`, as by SIGSTOP or job control,
//!   or `t`, held by a debugger) at every look for [`SILENCE`]: nothing can
//!   end such a wait, since the others may be waiting for what the stopped
//!   one holds (the shared queue's lock, the items it took), or
//! - none of them used any CPU time and none was runnable (`R`) for
//!   [`SILENCE`]: every one sleeps, so nothing is being computed.
//!
//! # Why CPU time and not a heartbeat
//! A worker computing a long task (the chunked pool may hand one worker
//! millions of numbers) sends nothing until it is done, so silence alone
//! cannot tell it from a stuck one; a heartbeat thread in the worker could
//! not either, since it beats on while the thread serving the task is stuck.
//! A computing worker uses CPU time, however long its task, and the kernel
//! counts it for us: no message, no thread, nothing in the timed loop. So no
//! honest task is ever cut short, whatever its length; only a stopped
//! worker, or a case in which every process sleeps for ten seconds, fails.
//! A worker that is runnable but starved of a core (a loaded machine) is
//! counted as busy.

use std::time::{Duration, Instant};

/// How long a wait may go without a reply while a worker stays stopped, or
/// while no worker uses any CPU time, before the case fails.
pub const SILENCE: Duration = Duration::from_secs(10);

/// How often a waiting coordinator samples /proc.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// A process the watchdog looks at: what to call it, and its pid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    /// For messages: "worker process 1", "the queue's manager process".
    pub name: String,
    pub pid: u32,
}

/// What /proc says of a process at one look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sample {
    /// The state letter: R, S, D, T, t, Z, ...
    state: char,
    /// User and system time, in clock ticks.
    cpu: u64,
}

/// What one wait has seen of one process.
#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    last: Option<Sample>,
    /// When it last used CPU time or was runnable (from its first look on).
    busy_at: Option<Instant>,
    /// Since when every look found it stopped.
    stopped_since: Option<Instant>,
}

/// The watchdog of one wait: made when the wait begins, asked to look on
/// every pause of the wait.
#[derive(Debug)]
pub struct Watch {
    began: Instant,
    next_look: Instant,
    seen: Vec<Seen>,
}

impl Default for Watch {
    fn default() -> Self {
        Watch::new()
    }
}

impl Watch {
    /// The watch of a wait beginning now.
    pub fn new() -> Watch {
        let now = Instant::now();
        Watch {
            began: now,
            next_look: now + LOOK_EVERY,
            seen: Vec::new(),
        }
    }

    /// Looks at `processes` if a second has passed since the last look;
    /// returns why the wait must end, if it must.
    pub fn look(&mut self, processes: &[Watched]) -> Result<(), String> {
        self.look_at(Instant::now(), processes, sample)
    }

    /// [`Watch::look`] at `now`, sampling each process with `sample`.
    fn look_at(
        &mut self,
        now: Instant,
        processes: &[Watched],
        sample: impl Fn(u32) -> Option<Sample>,
    ) -> Result<(), String> {
        if now < self.next_look {
            return Ok(());
        }
        // A coordinator that could not look for a while was stopped itself
        // (Ctrl-Z stops the whole process group) or starved of a core: it
        // cannot tell what happened meanwhile, so it watches afresh.
        if now.duration_since(self.next_look) > 2 * LOOK_EVERY {
            self.began = now;
            self.seen.clear();
        }
        self.next_look = now + LOOK_EVERY;
        let samples: Vec<Option<Sample>> = processes.iter().map(|p| sample(p.pid)).collect();
        self.judge(now, processes, &samples)
    }

    /// Records one look's `samples` (taken at `now`) and judges the wait.
    fn judge(
        &mut self,
        now: Instant,
        processes: &[Watched],
        samples: &[Option<Sample>],
    ) -> Result<(), String> {
        self.seen.resize(processes.len(), Seen::default());
        for (seen, sample) in self.seen.iter_mut().zip(samples) {
            let Some(sample) = *sample else {
                // Gone: its reader thread says so; it is neither stopped nor busy.
                seen.stopped_since = None;
                seen.last = None;
                continue;
            };
            let used_cpu = seen.last.is_some_and(|last| sample.cpu != last.cpu);
            if used_cpu || sample.state == 'R' || seen.busy_at.is_none() {
                seen.busy_at = Some(now);
            }
            seen.stopped_since = match sample.state {
                'T' | 't' => Some(seen.stopped_since.unwrap_or(now)),
                _ => None,
            };
            seen.last = Some(sample);
        }
        if now.duration_since(self.began) < SILENCE {
            return Ok(());
        }
        let long = |since: Option<Instant>| since.is_some_and(|t| now.duration_since(t) >= SILENCE);
        let states = |but: Option<usize>| describe_all(processes, samples, but);
        let secs = SILENCE.as_secs();
        if let Some(i) = (0..processes.len()).find(|&i| long(self.seen[i].stopped_since)) {
            let stopped = &processes[i];
            let state = samples[i].map(|s| s.state).unwrap_or('T');
            let others = match states(Some(i)) {
                none if none.is_empty() => String::new(),
                others => format!(" (the others: {others})"),
            };
            return Err(format!(
                "no reply for {secs} s, and {} (pid {}) is {}: it was stopped (SIGSTOP, job \
                 control or a debugger), so the case cannot finish{others}; its workers were \
                 killed",
                stopped.name,
                stopped.pid,
                state_text(state),
            ));
        }
        let alive = || self.seen.iter().zip(samples).filter(|(_, s)| s.is_some());
        let none_busy = alive().count() > 0 && alive().all(|(seen, _)| !busy_lately(seen, now));
        if none_busy {
            return Err(format!(
                "no reply for {secs} s, and no worker process used any CPU time meanwhile \
                 ({}); its workers were killed",
                states(None)
            ));
        }
        Ok(())
    }
}

/// Whether `seen` was busy within the last [`SILENCE`].
fn busy_lately(seen: &Seen, now: Instant) -> bool {
    seen.busy_at
        .is_some_and(|t| now.duration_since(t) < SILENCE)
}

/// "worker process 0 (pid 12) is S (sleeping), ...", for all but `but`.
fn describe_all(processes: &[Watched], samples: &[Option<Sample>], but: Option<usize>) -> String {
    processes
        .iter()
        .zip(samples)
        .enumerate()
        .filter(|&(i, _)| Some(i) != but)
        .map(|(_, p_s)| p_s)
        .map(|(p, s)| match s {
            Some(s) => format!("{} (pid {}) is {}", p.name, p.pid, state_text(s.state)),
            None => format!("{} (pid {}) has ended", p.name, p.pid),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A state letter as `ps` shows it, with its meaning: "T (stopped)".
pub fn state_text(state: char) -> String {
    let meaning = match state {
        'R' => "running",
        'S' => "sleeping",
        'D' => "in uninterruptible sleep",
        'T' => "stopped",
        't' => "stopped by a debugger",
        'Z' => "a zombie",
        'X' => "dead",
        'I' => "idle",
        'P' => "parked",
        _ => "in an unknown state",
    };
    format!("{state} ({meaning})")
}

/// A process's state and CPU time, if it is still there.
fn sample(pid: u32) -> Option<Sample> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Reads `/proc/PID/stat`: `pid (comm) state ppid ... utime stime ...`.
/// The command name may hold spaces and parentheses, so the fields are
/// counted after the last ')'.
fn parse_stat(stat: &str) -> Option<Sample> {
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // Fields 3 (state), 14 (utime) and 15 (stime), counted from 1 at the pid.
    let state = fields.first()?.chars().next()?;
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some(Sample {
        state,
        cpu: utime.saturating_add(stime),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watched(n: usize) -> Vec<Watched> {
        (0..n)
            .map(|i| Watched {
                name: format!("worker process {i}"),
                pid: 100 + i as u32,
            })
            .collect()
    }

    fn s(state: char, cpu: u64) -> Option<Sample> {
        Some(Sample { state, cpu })
    }

    /// Feeds a look a second for `seconds`, each from `at(second)`.
    fn run(
        processes: &[Watched],
        seconds: u64,
        at: impl Fn(u64) -> Vec<Option<Sample>>,
    ) -> Result<(), String> {
        let began = Instant::now();
        let mut watch = Watch {
            began,
            next_look: began + LOOK_EVERY,
            seen: Vec::new(),
        };
        for second in 1..=seconds {
            let now = began + Duration::from_secs(second);
            let samples = at(second);
            watch.look_at(now, processes, |pid| samples[(pid - 100) as usize])?;
        }
        Ok(())
    }

    #[test]
    fn the_stat_line_is_read_after_the_command_name() {
        let line = "4242 (pipe (worker) x) T 1 2 3 4 5 6 7 8 9 10 250 30 0 0 20 0 1 0";
        assert_eq!(
            parse_stat(line),
            Some(Sample {
                state: 'T',
                cpu: 280
            })
        );
        assert_eq!(parse_stat("4242 (x) S 1"), None);
        assert_eq!(parse_stat("garbage"), None);
        let own = sample(std::process::id()).expect("this process is there");
        assert!(matches!(own.state, 'R' | 'S' | 'D'), "{own:?}");
    }

    #[test]
    fn a_stopped_worker_fails_the_wait_and_is_named() {
        let p = watched(2);
        // Worker 1 is stopped; worker 0 spins on the lock it holds.
        let err = run(&p, 12, |t| vec![s('R', t * 100), s('T', 7)]).unwrap_err();
        assert!(
            err.contains("worker process 1 (pid 101) is T (stopped)"),
            "{err}"
        );
        assert!(
            err.contains("worker process 0 (pid 100) is R (running)"),
            "{err}"
        );
        // Stopped for less than the bound: the wait goes on.
        let ok = run(&p, 12, |t| {
            vec![s('R', t), s(if t < 5 { 'S' } else { 'T' }, 0)]
        });
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn a_worker_continued_in_time_is_not_blamed() {
        let p = watched(2);
        // Stopped for eight seconds, then running again and computing.
        let ok = run(&p, 20, |t| {
            let state = if (3..11).contains(&t) { 'T' } else { 'R' };
            vec![s('S', 0), s(state, t)]
        });
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn a_long_task_that_uses_cpu_time_is_never_cut_short() {
        let p = watched(2);
        // Worker 0 waits for work; worker 1 computes one long task: its CPU
        // time grows, even while it is seen sleeping on a page fault.
        let ok = run(&p, 120, |t| {
            vec![s('S', 3), s(if t % 7 == 0 { 'D' } else { 'R' }, t * 50)]
        });
        assert!(ok.is_ok(), "{ok:?}");
        // Runnable but starved of a core: busy, not silent.
        let ok = run(&p, 60, |_| vec![s('S', 3), s('R', 9)]);
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn workers_that_all_sleep_fail_the_wait() {
        let p = watched(2);
        let err = run(&p, 12, |_| vec![s('S', 40), s('D', 41)]).unwrap_err();
        assert!(err.contains("no worker process used any CPU time"), "{err}");
        assert!(err.contains("worker process 1 (pid 101) is D"), "{err}");
        // Not before the bound.
        assert!(run(&p, 9, |_| vec![s('S', 40), s('S', 41)]).is_ok());
    }

    #[test]
    fn a_coordinator_stopped_itself_watches_afresh() {
        let p = watched(1);
        let began = Instant::now();
        let mut watch = Watch {
            began,
            next_look: began + LOOK_EVERY,
            seen: Vec::new(),
        };
        let sleeping = |_| s('S', 5);
        let at = |second| began + Duration::from_secs(second);
        watch.look_at(at(1), &p, sleeping).unwrap();
        watch.look_at(at(2), &p, sleeping).unwrap();
        // The whole process group stopped for a minute: the worker, asleep
        // now, used no CPU time since the last look, but nobody could.
        for second in 62..72 {
            watch.look_at(at(second), &p, sleeping).unwrap();
        }
        // Ten seconds of watching afresh, all asleep: that is a wedge.
        let err = watch.look_at(at(72), &p, sleeping).unwrap_err();
        assert!(err.contains("no worker process used any CPU time"), "{err}");
    }

    #[test]
    fn a_worker_that_has_ended_is_left_to_its_reader() {
        let p = watched(2);
        // Worker 1 is gone (its reader reports it); worker 0 computes.
        assert!(run(&p, 30, |t| vec![s('R', t), None]).is_ok());
        // Every process gone: nothing to judge here either.
        assert!(run(&p, 30, |_| vec![None, None]).is_ok());
    }
}
