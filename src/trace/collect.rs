//! The coordinator's side of task records: the [`Tracer`] a strategy hands
//! each served task to during a timed repeat. It folds every task into the
//! repeat's exact aggregates and keeps a bounded selection of the records:
//! every task while there are few, then every k-th by task index with k
//! doubling whenever the kept ones pass the bound, so chunksize 1 over a
//! million numbers never holds a million records.
//!
//! The timing loop calls its hooks around each timed repeat
//! ([`Traced`]): worker CPU time before and after (outside the timer), the
//! repeat's origin and the coordinator's CPU time just inside it.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::keep::Thinned;
use super::lanes::{Lane, worker_usage};
use super::{RepeatTrace, TaskRow};
use crate::backend::Backend;
use crate::experiment::{Case, Plan, Strategy};
use crate::work::clock::{Stamp, Usage, cpu_self, now_ns};

/// Records what the workers do in each timed repeat of one case's round.
pub struct Tracer {
    /// Whether repeats are measured at all (CPU time).
    measure: bool,
    /// Whether tasks are recorded (`[run] trace`).
    on: bool,
    state: Mutex<State>,
}

/// The tracer and the backend whose workers it asks for CPU time: what the
/// timing loop is given.
#[derive(Clone, Copy)]
pub struct Traced<'a> {
    pub tracer: &'a Tracer,
    pub backend: Option<&'a dyn Backend>,
}

#[derive(Default)]
struct State {
    lanes: Vec<Lane>,
    by_place: HashMap<(u32, u32), usize>,
    workers: usize,
    /// The bound on records kept per repeat while it runs.
    cap: usize,
    /// Whether a timed repeat is being recorded.
    active: bool,
    origin_ns: u64,
    end_ns: u64,
    spans: Vec<Span>,
    tasks: u64,
    numbers: u64,
    kept: Thinned<Raw>,
    cpu_before: (u64, u64),
    cpu_after: (u64, u64),
    workers_before: Option<Vec<Usage>>,
}

/// One worker's tasks in the repeat: its first start, last finish, and time
/// inside tasks (nanoseconds from the repeat's origin).
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    first: Option<i64>,
    last: i64,
    compute: i64,
}

/// A task record in nanoseconds from the repeat's origin.
#[derive(Debug, Clone, Copy)]
struct Raw {
    task: u64,
    worker: usize,
    numbers: u64,
    submitted: Option<i64>,
    started: i64,
    finished: i64,
    replied: Option<i64>,
    busy: Option<i64>,
}

/// Records kept per repeat while it runs: enough for a case of few repeats
/// to keep every task up to the case bound, and at least the median
/// repeat's share (see [`super::keep`]).
fn running_cap(repeats: u32) -> usize {
    (super::keep::CASE_BOUND / repeats.max(1) as usize).max(super::keep::MEDIAN_BOUND)
}

impl Tracer {
    /// A tracer for a case of `workers` workers (1 for serial) and
    /// `repeats` timed repeats; `on` false records nothing (`[run] trace =
    /// false`).
    pub fn new(on: bool, workers: usize, repeats: u32) -> Tracer {
        Tracer {
            measure: true,
            on,
            state: Mutex::new(State {
                workers: workers.max(1),
                cap: running_cap(repeats),
                lanes: (0..workers.max(1)).map(Lane::here).collect(),
                ..State::default()
            }),
        }
    }

    /// The tracer of `case` under `plan`: its workers (1 for serial),
    /// its repeats, and whether the plan records tasks.
    pub fn for_case(case: &Case, plan: &Plan) -> Tracer {
        let workers = match case.strategy {
            Strategy::Serial => 1,
            _ => case.workers,
        };
        Tracer::new(plan.trace, workers, plan.repeats)
    }

    /// Names `backend`'s workers and measures the clock offsets of those
    /// on other hosts (before the timer).
    pub fn name_workers(&self, backend: &dyn Backend) {
        if self.measure {
            self.set_lanes(super::lanes::lanes_of(backend));
        }
    }

    /// A tracer that records nothing.
    pub fn off() -> Tracer {
        Tracer {
            measure: false,
            ..Tracer::new(false, 1, 1)
        }
    }

    /// Whether tasks are recorded: strategies read the clock only then.
    pub fn on(&self) -> bool {
        self.on
    }

    /// The clock for a submission or reply stamp, when recording.
    pub fn now(&self) -> Option<u64> {
        self.on.then(now_ns)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Names the workers (see [`super::lanes::lanes_of`]); before the timer.
    pub fn set_lanes(&self, lanes: Vec<Lane>) {
        if !self.measure || lanes.is_empty() {
            return;
        }
        let mut state = self.state();
        state.by_place = lanes.iter().map(|l| ((l.pid, l.slot), l.worker)).collect();
        state.lanes = lanes;
    }

    /// A task a worker stamped: `submitted` and `replied` on the
    /// coordinator's clock, `stamp` on the worker's.
    pub fn served(
        &self,
        task: u64,
        numbers: u64,
        submitted: Option<u64>,
        stamp: &Stamp,
        replied: Option<u64>,
        busy_ns: Option<u64>,
    ) {
        if !self.on {
            return;
        }
        let mut state = self.state();
        if !state.active {
            return;
        }
        let worker = match state.by_place.get(&(stamp.pid, stamp.slot)) {
            Some(&w) => w,
            None => {
                // A worker nobody named (a Redis slot beyond the hellos):
                // it gets a lane of its own.
                let worker = state.lanes.len();
                let host = state.lanes.first().map(|l| l.host.clone());
                state.lanes.push(Lane {
                    worker,
                    host: host.unwrap_or_default(),
                    pid: stamp.pid,
                    slot: stamp.slot,
                    offset_ns: 0,
                    uncertainty_ns: 0,
                });
                state.by_place.insert((stamp.pid, stamp.slot), worker);
                worker
            }
        };
        let offset = state.lanes[worker].offset_ns;
        let origin = state.origin_ns as i64;
        let theirs = |t: u64| t as i64 - offset - origin;
        let ours = |t: u64| t as i64 - origin;
        let raw = Raw {
            task,
            worker,
            numbers,
            submitted: submitted.map(ours),
            started: theirs(stamp.started_ns),
            finished: theirs(stamp.finished_ns),
            replied: replied.map(ours),
            busy: busy_ns.map(|b| b as i64),
        };
        state.add(raw);
    }

    /// A task run in this process by worker `worker` (serial, stealing),
    /// from `started_ns` to `finished_ns`.
    pub fn ran(&self, task: u64, worker: usize, numbers: u64, started_ns: u64, finished_ns: u64) {
        if !self.on {
            return;
        }
        let mut state = self.state();
        if !state.active {
            return;
        }
        let origin = state.origin_ns as i64;
        state.add(Raw {
            task,
            worker,
            numbers,
            submitted: None,
            started: started_ns as i64 - origin,
            finished: finished_ns as i64 - origin,
            replied: None,
            busy: None,
        });
    }

    /// Before a timed repeat, outside the timer: the worker processes'
    /// CPU time so far.
    pub fn before(&self, backend: Option<&dyn Backend>) {
        if !self.measure {
            return;
        }
        let lanes = self.state().lanes.clone();
        let usage = backend.map_or(Some(Vec::new()), |b| worker_usage(b, &lanes));
        self.state().workers_before = usage;
    }

    /// The repeat begins (just inside the timer).
    pub fn begin(&self) {
        if !self.measure {
            return;
        }
        let mut state = self.state();
        let cap = state.cap;
        let lanes = state.lanes.len().max(state.workers);
        state.spans = vec![Span::default(); lanes];
        state.tasks = 0;
        state.numbers = 0;
        state.kept = Thinned::new(cap);
        state.cpu_before = cpu_self();
        state.active = self.on;
        state.origin_ns = now_ns();
    }

    /// The repeat ends (just inside the timer).
    pub fn end(&self) {
        if !self.measure {
            return;
        }
        let end = now_ns();
        let cpu = cpu_self();
        let mut state = self.state();
        state.end_ns = end;
        state.cpu_after = cpu;
        state.active = false;
    }

    /// After the repeat, outside the timer: the worker processes' CPU time
    /// again, and the repeat's trace (`seconds` on the timer).
    pub fn after(&self, backend: Option<&dyn Backend>, seconds: f64) -> Option<RepeatTrace> {
        if !self.measure {
            return None;
        }
        let lanes = self.state().lanes.clone();
        let workers_after = backend.map_or(Some(Vec::new()), |b| worker_usage(b, &lanes));
        let mut state = self.state();
        let wall = state.end_ns.saturating_sub(state.origin_ns) as i64;
        let s = |ns: i64| ns as f64 / 1e9;
        let (mut compute, mut dispatch, mut idle) = (0i64, 0i64, 0i64);
        let lanes_used = state.spans.len().max(state.workers);
        for i in 0..lanes_used {
            match state.spans.get(i).and_then(|sp| sp.first.map(|f| (f, sp))) {
                Some((first, span)) => {
                    let busy_span = span.last - first;
                    compute += span.compute;
                    dispatch += (busy_span - span.compute).max(0);
                    idle += (wall - busy_span).max(0);
                }
                None => idle += wall,
            }
        }
        let own = (
            state.cpu_after.0.saturating_sub(state.cpu_before.0),
            state.cpu_after.1.saturating_sub(state.cpu_before.1),
        );
        let theirs = state
            .workers_before
            .take()
            .zip(workers_after)
            .map(|(before, after)| {
                after.iter().fold((0u64, 0u64), |(u, y), a| {
                    match before.iter().find(|b| b.pid == a.pid) {
                        Some(b) => (
                            u + a.user_us.saturating_sub(b.user_us),
                            y + a.sys_us.saturating_sub(b.sys_us),
                        ),
                        None => (u, y),
                    }
                })
            });
        let (user_s, sys_s) = match theirs {
            Some((u, y)) => (
                Some((own.0 + u) as f64 / 1e6),
                Some((own.1 + y) as f64 / 1e6),
            ),
            None => (None, None),
        };
        let kept = std::mem::take(&mut state.kept);
        let every = kept.every();
        let mut rows: Vec<TaskRow> = kept
            .into_items()
            .into_iter()
            .map(|r| TaskRow {
                task: r.task,
                worker: r.worker,
                numbers: r.numbers,
                submitted_s: r.submitted.map(s),
                started_s: s(r.started),
                finished_s: s(r.finished),
                replied_s: r.replied.map(s),
                busy_s: r.busy.map(s),
            })
            .collect();
        rows.sort_by_key(|r| (r.task, r.worker));
        Some(RepeatTrace {
            round: 0,
            recorded: self.on,
            seconds,
            lanes: state.lanes.clone(),
            workers: state.workers,
            tasks: state.tasks,
            numbers: state.numbers,
            compute_s: s(compute),
            dispatch_s: s(dispatch),
            idle_s: s(idle),
            user_s,
            sys_s,
            every,
            kept: rows,
        })
    }
}

impl State {
    fn add(&mut self, raw: Raw) {
        self.tasks += 1;
        self.numbers += raw.numbers;
        if self.spans.len() <= raw.worker {
            self.spans.resize(raw.worker + 1, Span::default());
        }
        let span = &mut self.spans[raw.worker];
        span.first = Some(span.first.map_or(raw.started, |f| f.min(raw.started)));
        span.last = span.last.max(raw.finished);
        span.compute += raw.busy.unwrap_or(raw.finished - raw.started).max(0);
        self.kept.push(raw.task, raw);
    }
}
