//! The files task records go to, each a typed row (read back the same way):
//! - `tasks.csv`: one row per task kept ([`TaskCsvRow`]; what is kept:
//!   [`super::keep`]), times in seconds from the repeat's start;
//! - `workers.csv`: per case and round, each worker's process, host and
//!   clock offset ([`WorkerCsvRow`]);
//! - `trace.json`: the Chrome Trace Event Format (Perfetto and
//!   chrome://tracing open it as is), the median repeat of each case: one
//!   process per case, one thread per worker plus the coordinator's.

use serde_json::{Value, json};

use super::RepeatTrace;
use super::keep::{keep_for_case, median_repeat};
use crate::experiment::columns::{Fixed, Seconds, columns};

/// The file names, as the report folder lists them.
pub const TASKS_CSV: &str = "tasks.csv";
pub const WORKERS_CSV: &str = "workers.csv";
pub const TRACE_JSON: &str = "trace.json";

columns! {
    /// One row of `tasks.csv`: a task kept, its times in seconds from its
    /// repeat's start (empty where not known).
    pub struct TaskCsvRow {
        pub case: usize,
        pub round: u32,
        /// The case's timed repeat (1-based, in the order they ran).
        pub repeat: u32,
        pub task: u64,
        pub worker: usize,
        pub host: String,
        pub pid: u32,
        pub numbers: u64,
        pub submitted_s: Option<Seconds>,
        pub started_s: Seconds,
        pub finished_s: Seconds,
        pub replied_s: Option<Seconds>,
        /// The time inside the kernel (queue and feeder, whose one record
        /// covers a worker's whole round).
        pub busy_s: Option<Seconds>,
        /// The repeat kept every `kept_every`-th task by index (1: every
        /// task; the repeat's exact task count is results.csv's
        /// `tasks_served`).
        pub kept_every: u64,
    }
}

columns! {
    /// One row of `workers.csv`: a worker of one round of a case.
    pub struct WorkerCsvRow {
        pub case: usize,
        pub round: u32,
        pub worker: usize,
        pub host: String,
        pub pid: u32,
        /// The worker's clock minus the coordinator's, seconds (0 on this
        /// host: the same clock).
        pub clock_offset_s: Seconds,
        pub clock_uncertainty_s: Seconds,
    }
}

/// The header of `tasks.csv`.
pub fn tasks_header() -> Vec<u8> {
    header(TaskCsvRow::COLUMNS)
}

/// The header of `workers.csv`.
pub fn workers_header() -> Vec<u8> {
    header(WorkerCsvRow::COLUMNS)
}

fn header(names: &[&str]) -> Vec<u8> {
    let mut line = names.join(",");
    line.push('\n');
    line.into_bytes()
}

/// A case's repeats (its result's traces) with the case rule applied (see
/// [`super::keep`]).
pub fn kept_repeats(traces: &[RepeatTrace]) -> Vec<RepeatTrace> {
    let mut repeats = traces.to_vec();
    keep_for_case(&mut repeats);
    repeats
}

/// The rows of `tasks.csv` for one case's kept repeats.
pub fn task_rows(case: usize, repeats: &[RepeatTrace]) -> anyhow::Result<Vec<u8>> {
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for (i, repeat) in repeats.iter().enumerate() {
        for task in &repeat.kept {
            let lane = repeat.lanes.get(task.worker);
            out.serialize(TaskCsvRow {
                case,
                round: repeat.round,
                repeat: i as u32 + 1,
                task: task.task,
                worker: task.worker,
                host: lane.map(|l| l.host.clone()).unwrap_or_default(),
                pid: lane.map_or(0, |l| l.pid),
                numbers: task.numbers,
                submitted_s: task.submitted_s.map(Fixed),
                started_s: Fixed(task.started_s),
                finished_s: Fixed(task.finished_s),
                replied_s: task.replied_s.map(Fixed),
                busy_s: task.busy_s.map(Fixed),
                kept_every: repeat.every,
            })?;
        }
    }
    Ok(out.into_inner()?)
}

/// The rows of `workers.csv` for one case: each round's workers once.
pub fn worker_rows(case: usize, repeats: &[RepeatTrace]) -> anyhow::Result<Vec<u8>> {
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let mut rounds = Vec::new();
    for repeat in repeats {
        if rounds.contains(&repeat.round) {
            continue;
        }
        rounds.push(repeat.round);
        for lane in &repeat.lanes {
            out.serialize(WorkerCsvRow {
                case,
                round: repeat.round,
                worker: lane.worker,
                host: lane.host.clone(),
                pid: lane.pid,
                clock_offset_s: Fixed(lane.offset_ns as f64 / 1e9),
                clock_uncertainty_s: Fixed(lane.uncertainty_ns as f64 / 1e9),
            })?;
        }
    }
    Ok(out.into_inner()?)
}

/// The trace events of one case's median repeat: metadata naming the
/// case's process and each lane, a complete event per task, and on the
/// coordinator's lane an instant per submission and per reply.
pub fn trace_events(case: usize, description: &str, repeats: &[RepeatTrace]) -> Vec<Value> {
    let Some(median) = median_repeat(repeats).map(|i| &repeats[i]) else {
        return Vec::new();
    };
    let us = |s: f64| (s * 1e6 * 1000.0).round() / 1000.0;
    let mut events = vec![
        json!({"ph": "M", "pid": case, "tid": 0, "name": "process_name",
               "args": {"name": format!("case {case}: {description}")}}),
        json!({"ph": "M", "pid": case, "tid": 0, "name": "thread_name",
               "args": {"name": "coordinator"}}),
    ];
    for lane in &median.lanes {
        events.push(json!({"ph": "M", "pid": case, "tid": lane.worker + 1, "name": "thread_name",
            "args": {"name": format!("worker {} (pid {}, host {})", lane.worker, lane.pid, lane.host)}}));
    }
    for task in &median.kept {
        let mut args = json!({"task": task.task, "numbers": task.numbers});
        if let Some(busy) = task.busy_s {
            args["busy_s"] = json!(busy);
        }
        events.push(json!({"ph": "X", "pid": case, "tid": task.worker + 1,
            "name": format!("task {}", task.task), "cat": "task",
            "ts": us(task.started_s), "dur": us((task.finished_s - task.started_s).max(0.0)),
            "args": args}));
        for (what, at) in [("submit", task.submitted_s), ("reply", task.replied_s)] {
            if let Some(at) = at {
                events.push(json!({"ph": "i", "s": "t", "pid": case, "tid": 0,
                    "name": format!("{what} {}", task.task), "cat": what, "ts": us(at)}));
            }
        }
    }
    events
}

/// The whole `trace.json` from every case's events.
pub fn trace_json(events: &[Value]) -> anyhow::Result<Vec<u8>> {
    let doc = json!({
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {"repeat": "the median repeat of each case (the lower middle of an even count); times from the repeat's start"},
    });
    Ok(serde_json::to_vec(&doc)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Lane, TaskRow};

    fn repeat() -> RepeatTrace {
        RepeatTrace {
            round: 2,
            recorded: true,
            seconds: 0.5,
            lanes: vec![Lane::here(0)],
            workers: 1,
            tasks: 1,
            numbers: 10,
            compute_s: 0.1,
            dispatch_s: 0.0,
            idle_s: 0.4,
            user_s: Some(0.1),
            sys_s: Some(0.0),
            every: 1,
            kept: vec![TaskRow {
                task: 0,
                worker: 0,
                numbers: 10,
                submitted_s: Some(0.001),
                started_s: 0.002,
                finished_s: 0.102,
                replied_s: Some(0.103),
                busy_s: None,
            }],
        }
    }

    #[test]
    fn rows_read_back_typed_under_their_header() {
        let rows = task_rows(3, &[repeat()]).unwrap();
        // Times to the nanosecond, as every file writes them.
        let text = String::from_utf8(rows.clone()).unwrap();
        assert!(
            text.ends_with(",10,0.001000000,0.002000000,0.102000000,0.103000000,,1\n"),
            "{text}"
        );
        let mut bytes = tasks_header();
        bytes.extend(rows);
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let rows: Vec<TaskCsvRow> = reader.deserialize().collect::<Result<_, _>>().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].case, rows[0].round, rows[0].repeat), (3, 2, 1));
        assert_eq!(rows[0].replied_s, Some(Fixed(0.103)));
        assert_eq!(rows[0].busy_s, None);

        let rows = worker_rows(3, &[repeat(), repeat()]).unwrap();
        let text = String::from_utf8(rows.clone()).unwrap();
        assert!(text.ends_with(",0.000000000,0.000000000\n"), "{text}");
        let mut bytes = workers_header();
        bytes.extend(rows);
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let rows: Vec<WorkerCsvRow> = reader.deserialize().collect::<Result<_, _>>().unwrap();
        assert_eq!(rows.len(), 1, "one round, one worker");
        assert_eq!(rows[0].clock_offset_s, Fixed(0.0));
    }

    #[test]
    fn the_trace_names_its_lanes_and_has_a_complete_event_per_task() {
        let events = trace_events(3, "pool workers=1", &[repeat()]);
        let doc: Value = serde_json::from_slice(&trace_json(&events).unwrap()).unwrap();
        let events = doc["traceEvents"].as_array().unwrap();
        let x: Vec<_> = events.iter().filter(|e| e["ph"] == "X").collect();
        assert_eq!(x.len(), 1);
        assert_eq!(x[0]["tid"], 1);
        assert_eq!(x[0]["ts"], 2000.0);
        assert_eq!(x[0]["dur"], 100000.0);
        assert_eq!(events.iter().filter(|e| e["ph"] == "i").count(), 2);
        assert!(
            events
                .iter()
                .any(|e| e["ph"] == "M" && e["args"]["name"] == "coordinator")
        );
    }
}
