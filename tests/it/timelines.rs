//! Task timelines end to end (issue 22 items 1, 2 and 4): tasks.csv accounts
//! for every number exactly once per repeat, for every strategy over every
//! backend; every task lies inside its repeat; trace.json parses as trace
//! events with named lanes; a case of many tiny tasks keeps a bounded
//! number, its median repeat whole; results.csv holds each repeat's CPU time.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{Csv, Exp, RedisServer, runner};

/// A primes range of 20,000 numbers.
const RANGE: (u64, u64) = (1000, 21_000);

/// Runs `exp` into `dir/reports`; its report folder.
fn run(dir: &Path, exp: &Exp) -> PathBuf {
    let file = exp.write(dir);
    let out = dir.join("reports");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .timeout(Duration::from_secs(300))
        .assert()
        .success();
    out.join(exp.name())
}

/// Primes over [`RANGE`], 2 repeats with no warm-up, 1 and 2 workers.
fn sweep(name: &str) -> Exp {
    Exp::primes(name)
        .range(RANGE.0, RANGE.1)
        .repeats(2, 0)
        .sweep("workers", [1, 2])
}

/// The cells of one row by column name.
struct Rows {
    csv: Csv,
}

impl Rows {
    fn read(path: &Path) -> Rows {
        Rows {
            csv: Csv::read(path),
        }
    }

    fn get<'a>(&'a self, row: &'a [String], name: &str) -> &'a str {
        let i = self
            .csv
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        &row[i]
    }

    fn num(&self, row: &[String], name: &str) -> f64 {
        self.get(row, name)
            .parse()
            .unwrap_or_else(|_| panic!("{name} = {:?} is no number", self.get(row, name)))
    }
}

/// (case, round) -> (seconds, workers, strategy), from results.csv.
fn repeats(report: &Path) -> BTreeMap<(u64, u64), (f64, u64, String)> {
    let results = Rows::read(&report.join("results.csv"));
    results
        .csv
        .rows
        .iter()
        .filter(|r| results.get(r, "ok") == "true")
        .map(|r| {
            (
                (
                    results.num(r, "case") as u64,
                    results.num(r, "round") as u64,
                ),
                (
                    results.num(r, "seconds"),
                    results.get(r, "workers").parse().unwrap_or(1),
                    results.get(r, "strategy").to_string(),
                ),
            )
        })
        .collect()
}

/// Checks that every repeat of every case in `report` accounts for the
/// range's numbers exactly once, that every task lies inside its repeat on
/// a worker the case has, and that each worker is named in workers.csv.
fn assert_every_number_once(report: &Path, numbers: u64) {
    let repeats = repeats(report);
    assert!(!repeats.is_empty(), "no timed repeat in {report:?}");
    let tasks = Rows::read(&report.join("tasks.csv"));
    let workers = Rows::read(&report.join("workers.csv"));
    let named: BTreeSet<(u64, u64, u64)> = workers
        .csv
        .rows
        .iter()
        .map(|r| {
            (
                workers.num(r, "case") as u64,
                workers.num(r, "round") as u64,
                workers.num(r, "worker") as u64,
            )
        })
        .collect();
    // Per (case, round): numbers counted, and the (worker, task) pairs seen.
    type Seen = (u64, BTreeSet<(u64, u64)>);
    let mut seen: BTreeMap<(u64, u64), Seen> = BTreeMap::new();
    for row in &tasks.csv.rows {
        let key = (
            tasks.num(row, "case") as u64,
            tasks.num(row, "round") as u64,
        );
        let (seconds, case_workers, strategy) = repeats
            .get(&key)
            .unwrap_or_else(|| panic!("tasks of {key:?}, a repeat results.csv does not hold"));
        assert_eq!(
            tasks.num(row, "kept_every"),
            1.0,
            "{key:?}: nothing thinned"
        );
        let worker = tasks.num(row, "worker") as u64;
        assert!(
            worker < (*case_workers).max(1),
            "{key:?}: worker {worker} of {case_workers}"
        );
        assert!(named.contains(&(key.0, key.1, worker)), "{key:?} {worker}");
        let started = tasks.num(row, "started_s");
        let finished = tasks.num(row, "finished_s");
        assert!(
            0.0 <= started && started <= finished && finished <= *seconds,
            "{key:?} ({strategy}): task from {started} to {finished}, repeat of {seconds} s"
        );
        for (before, after) in [("submitted_s", "started_s"), ("finished_s", "replied_s")] {
            if !tasks.get(row, before).is_empty() && !tasks.get(row, after).is_empty() {
                let (b, a) = (tasks.num(row, before), tasks.num(row, after));
                assert!(
                    0.0 <= b && b <= a && a <= *seconds,
                    "{key:?}: {before} {b} {after} {a}"
                );
            }
        }
        let entry = seen.entry(key).or_default();
        entry.0 += tasks.num(row, "numbers") as u64;
        let task = (worker, tasks.num(row, "task") as u64);
        assert!(entry.1.insert(task), "{key:?}: task {task:?} twice");
    }
    for key in repeats.keys() {
        let (counted, _) = seen
            .get(key)
            .unwrap_or_else(|| panic!("{key:?} has no task in tasks.csv"));
        assert_eq!(*counted, numbers, "{key:?}: numbers over its tasks");
    }
}

#[test]
fn every_number_once_per_repeat_for_every_strategy_over_threads_and_processes() {
    let dir = tempfile::tempdir().unwrap();
    let exp = sweep("backends")
        .sweep("strategy", ["serial", "pool", "queue", "feeder"])
        .sweep("executor", ["threads", "processes"])
        .sweep("chunksize", [1000, 7000]);
    let report = run(dir.path(), &exp);
    assert_every_number_once(&report, RANGE.1 - RANGE.0);

    let exp = sweep("stolen")
        .sweep("strategy", ["stealing"])
        .sweep("chunksize", [500]);
    let report = run(dir.path(), &exp);
    assert_every_number_once(&report, RANGE.1 - RANGE.0);
}

#[test]
fn every_number_once_per_repeat_for_factor_frequency() {
    let dir = tempfile::tempdir().unwrap();
    let exp = Exp::of("factor_frequency", "factors")
        .range(3, 20_003)
        .repeats(2, 0)
        .sweep("strategy", ["serial", "pool"])
        .sweep("executor", ["threads", "processes"])
        .sweep("workers", [2])
        .sweep("chunksize", [3000]);
    let report = run(dir.path(), &exp);
    assert_every_number_once(&report, 20_000);
}

#[test]
fn cooperative_shares_are_one_task_per_worker() {
    let dir = tempfile::tempdir().unwrap();
    let exp = Exp::verify("shares")
        .numbers(&[("prime", 1_000_000_007)])
        .strategy("cooperative")
        .repeats(2, 0)
        .sweep("executor", ["threads", "processes"])
        .sweep("workers", [2]);
    let report = run(dir.path(), &exp);
    let tasks = Rows::read(&report.join("tasks.csv"));
    // One share per worker, whichever worker took it from the shared queue.
    let mut per_repeat: BTreeMap<(u64, u64), BTreeSet<u64>> = BTreeMap::new();
    for row in &tasks.csv.rows {
        let key = (
            tasks.num(row, "case") as u64,
            tasks.num(row, "round") as u64,
        );
        assert!(tasks.num(row, "worker") < 2.0);
        assert!(tasks.num(row, "numbers") > 0.0);
        let fresh = per_repeat
            .entry(key)
            .or_default()
            .insert(tasks.num(row, "task") as u64);
        assert!(fresh, "{key:?}: a share twice");
    }
    assert_eq!(per_repeat.len(), repeats(&report).len());
    assert!(per_repeat.values().all(|t| t.len() == 2), "{per_repeat:?}");
}

#[test]
fn trace_json_holds_complete_events_on_named_lanes() {
    let dir = tempfile::tempdir().unwrap();
    let exp = sweep("lanes")
        .sweep("strategy", ["pool"])
        .sweep("executor", ["threads", "processes"])
        .sweep("chunksize", [2500]);
    let report = run(dir.path(), &exp);
    let bytes = std::fs::read(report.join("trace.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&bytes).expect("trace.json parses");
    let events = doc["traceEvents"].as_array().expect("a traceEvents array");
    let names: BTreeSet<(u64, u64)> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .map(|e| (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap()))
        .collect();
    let processes: BTreeSet<u64> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "process_name")
        .map(|e| e["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(processes, (1..=4).collect(), "one process per case");
    let complete: Vec<_> = events.iter().filter(|e| e["ph"] == "X").collect();
    // The median repeat of each case: 20,000 numbers in tasks of 2,500.
    assert_eq!(complete.len(), 4 * 8);
    for e in &complete {
        let lane = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
        assert!(lane.1 >= 1, "a task on the coordinator's lane: {e}");
        assert!(names.contains(&lane), "an unnamed lane: {e}");
        assert!(e["ts"].as_f64().unwrap() >= 0.0 && e["dur"].as_f64().unwrap() >= 0.0);
        assert_eq!(e["args"]["numbers"], 2500);
    }
    for case in 1..=4 {
        assert!(
            names.contains(&(case, 0)),
            "the coordinator's lane of case {case}"
        );
    }
    let instants = events.iter().filter(|e| e["ph"] == "i").count();
    assert_eq!(
        instants,
        2 * complete.len(),
        "a submit and a reply per task"
    );
}

#[test]
fn many_tiny_tasks_keep_a_bounded_sample_and_the_median_repeat_whole() {
    let dir = tempfile::tempdir().unwrap();
    // 9,000 tasks a repeat x 7 repeats = 63,000 > 50,000: the median repeat
    // keeps all 9,000 (fewer than 10,000), each other at most 200.
    let exp = Exp::primes("tiny")
        .range(1000, 10_000)
        .strategy("pool")
        .repeats(7, 0)
        .sweep("workers", [2])
        .sweep("chunksize", [1]);
    let report = run(dir.path(), &exp);
    let results = repeats(&report);
    let mut by_time: Vec<(f64, u64)> = results.iter().map(|(k, v)| (v.0, k.1)).collect();
    by_time.sort_by(|a, b| a.0.total_cmp(&b.0));
    let median_round = by_time[(by_time.len() - 1) / 2].1;
    let tasks = Rows::read(&report.join("tasks.csv"));
    let mut kept: BTreeMap<u64, (BTreeSet<u64>, u64)> = BTreeMap::new();
    for row in &tasks.csv.rows {
        let entry = kept.entry(tasks.num(row, "round") as u64).or_default();
        entry.0.insert(tasks.num(row, "task") as u64);
        entry.1 = tasks.num(row, "kept_every") as u64;
    }
    assert_eq!(kept.len(), 7);
    for (round, (indices, every)) in &kept {
        let expected: BTreeSet<u64> = (0..9_000).filter(|t| t % every == 0).collect();
        assert_eq!(
            indices, &expected,
            "round {round} keeps every {every}-th task"
        );
        match *round == median_round {
            true => assert_eq!(*every, 1, "the median repeat is whole"),
            false => assert!(indices.len() <= 200, "round {round}: {}", indices.len()),
        }
    }
}

#[test]
fn results_hold_each_repeats_cpu_time_and_summary_its_median() {
    let dir = tempfile::tempdir().unwrap();
    let exp = sweep("cpu")
        .sweep("strategy", ["serial", "pool"])
        .sweep("executor", ["threads", "processes"])
        .sweep("chunksize", [5000]);
    let report = run(dir.path(), &exp);
    let results = Rows::read(&report.join("results.csv"));
    for row in &results.csv.rows {
        let (user, sys) = (results.num(row, "user_s"), results.num(row, "sys_s"));
        assert!(user >= 0.0 && sys >= 0.0 && user + sys > 0.0, "{row:?}");
        let tasks = results.num(row, "tasks_served");
        assert!(tasks >= 1.0);
        let whole = results.num(row, "compute_s")
            + results.num(row, "dispatch_s")
            + results.num(row, "idle_s");
        assert!(whole > 0.0);
    }
    let summary = Rows::read(&report.join("summary.csv"));
    for row in &summary.csv.rows {
        for column in [
            "user_s",
            "sys_s",
            "cpu_util",
            "compute_frac",
            "dispatch_frac",
            "idle_frac",
        ] {
            assert!(summary.num(row, column) >= 0.0, "{column}");
        }
        assert!(summary.num(row, "user_s") + summary.num(row, "sys_s") > 0.0);
    }
}

#[test]
fn no_trace_writes_no_task_files() {
    let dir = tempfile::tempdir().unwrap();
    let exp = sweep("quiet")
        .sweep("strategy", ["pool"])
        .sweep("chunksize", [5000]);
    let out = dir.path().join("reports");
    runner()
        .arg(exp.write(dir.path()))
        .arg("--out")
        .arg(&out)
        .arg("--no-trace")
        .timeout(Duration::from_secs(300))
        .assert()
        .success();
    for file in ["tasks.csv", "workers.csv", "trace.json"] {
        assert!(!out.join("quiet").join(file).exists(), "{file}");
    }
    // Nor does `[run] trace = false`; CPU time is still measured.
    let exp = sweep("off")
        .run("trace", false)
        .sweep("strategy", ["pool"])
        .sweep("chunksize", [5000]);
    let report = run(dir.path(), &exp);
    for file in ["tasks.csv", "workers.csv", "trace.json"] {
        assert!(!report.join(file).exists(), "{file}");
    }
    let results = Rows::read(&report.join("results.csv"));
    for row in &results.csv.rows {
        assert!(results.num(row, "user_s") + results.num(row, "sys_s") > 0.0);
        assert_eq!(results.get(row, "tasks_served"), "", "no tasks recorded");
    }
}

/// The queue over Redis is left out: a slot that took items but none of the
/// round's pills reports them with its next pill (see docs/reports.md).
#[test]
fn every_number_once_per_repeat_over_redis_workers() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let exp = Exp::primes("remote")
        .range(RANGE.0, RANGE.1)
        .executor("redis")
        .run("spawn_local", 2)
        .repeats(2, 0)
        .strategy("pool")
        .sweep("workers", [1, 2])
        .sweep("chunksize", [2000]);
    let out = dir.path().join("reports");
    // The timeout kills the run (its workers follow by their parent-death
    // signal) if it hangs.
    runner()
        .arg(exp.write(dir.path()))
        .arg("--out")
        .arg(&out)
        .env("REDIS_URL", server.url())
        .timeout(Duration::from_secs(180))
        .assert()
        .success();
    let report = out.join("remote");
    assert_every_number_once(&report, RANGE.1 - RANGE.0);
    let workers = Rows::read(&report.join("workers.csv"));
    for row in &workers.csv.rows {
        // spawn_local workers run on this host: the same clock.
        assert_eq!(workers.num(row, "clock_offset_s"), 0.0);
        assert!(workers.num(row, "pid") > 0.0);
    }
    assert_eq!(server.keys(), 0);
}
