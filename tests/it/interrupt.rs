//! Ctrl-C after some cases leaves a readable results.csv holding them and a
//! manifest marked interrupted; SIGTERM during a long repeat on worker
//! processes stops at once.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{Csv, experiment};

const LONG: &str = r#"
name = "long"
[workload]
kind = "primes"
range = [100_000_000, 100_300_000]
[run]
schedule = "blocked"
strategy = "serial"
repeats = 3
warmup = 0
[sweep]
order = ["given", "shuffled", "slowest_first", "fastest_first"]
kernel = ["plain", "fast"]
[[variant]]
label = "one"
[[variant]]
label = "two"
[[variant]]
label = "three"
"#;

#[test]
fn sigint_keeps_the_finished_cases() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(dir.path(), "long", LONG);
    let out = dir.path().join("reports");
    let mut child = Command::new(env!("CARGO_BIN_EXE_runner"))
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let second_case_done = line.starts_with("[2/");
        seen.push(line);
        if second_case_done {
            break;
        }
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "stderr: {seen:?} {rest:?}");
    assert!(rest.iter().any(|l| l.contains("interrupted")), "{rest:?}");

    let results = Csv::read(&out.join("long/results.csv"));
    let cases: std::collections::BTreeSet<&str> = results.column("case").into_iter().collect();
    assert!(
        cases.len() >= 2 && cases.len() < 24,
        "finished cases: {cases:?}"
    );
    assert!(results.column("ok").iter().all(|&ok| ok == "true"));
    assert_eq!(
        results.rows.len(),
        cases.len() * 3,
        "only whole cases are kept"
    );
    let manifest = std::fs::read_to_string(out.join("long/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"status\": \"interrupted\""),
        "{manifest}"
    );
}

#[test]
fn sigint_in_rounds_keeps_every_case_with_the_rounds_it_finished() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(
        dir.path(),
        "long",
        &LONG
            .replace("schedule = \"blocked\"", "schedule = \"interleaved\"")
            .replace("repeats = 3", "repeats = 50"),
    );
    let out = dir.path().join("reports");
    let mut child = Command::new(env!("CARGO_BIN_EXE_runner"))
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line.unwrap().starts_with("round 1/50 finished") {
            break;
        }
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert_eq!(child.wait().unwrap().code(), Some(130), "{rest:?}");
    let results = Csv::read(&out.join("long/results.csv"));
    let cases: std::collections::BTreeSet<&str> = results.column("case").into_iter().collect();
    assert_eq!(cases.len(), 24, "every case ran its first round");
    let rounds: std::collections::BTreeSet<u32> = results
        .column("round")
        .iter()
        .map(|r| r.parse().unwrap())
        .collect();
    assert!(rounds.contains(&1) && !rounds.contains(&50), "{rounds:?}");
    // The positions number the runs in the order they ran, without a gap.
    let mut positions: Vec<u64> = results
        .column("position")
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=positions.len() as u64).collect::<Vec<_>>());
    let manifest = std::fs::read_to_string(out.join("long/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"status\": \"interrupted\""),
        "{manifest}"
    );
}

/// A quick case, then a manager-queue case of three million numbers: about
/// two minutes of repeat (the audit's took 90 s).
const MANAGER_LONG: &str = r#"
name = "managed"
[workload]
kind = "primes"
range = [100_000_000, 103_000_000]
[run]
strategy = "queue"
executor = "processes"
kernel = "plain"
repeats = 1
warmup = 0
schedule = "blocked"
[sweep]
workers = [2]
queue_host = ["manager"]
[[variant]]
label = "quick"
range = [1_000, 3_000]
[[variant]]
label = "long"
"#;

/// Kills the run if the test fails before it ends (its workers and manager
/// follow, by the parent-death signal and the closed pipe).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The pids of the processes whose parent is `parent`.
fn children_of(parent: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let ppid = after.split_whitespace().nth(1).and_then(|p| p.parse().ok());
        if ppid == Some(parent) {
            found.push(pid);
        }
    }
    found
}

/// Issue 20 item 15: SIGTERM during a manager-queue repeat abandons the
/// repeat at once; the finished case is saved, the run is interrupted, and
/// no process or socket is left.
#[test]
fn sigterm_abandons_a_manager_queue_repeat_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let file = experiment(dir.path(), "managed", MANAGER_LONG);
    let out = dir.path().join("reports");
    let mut run = Running(
        Command::new(env!("CARGO_BIN_EXE_runner"))
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .env("TMPDIR", &tmp)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = run.0.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !seen.iter().any(|l: &String| l.starts_with("[1/2]")) {
        match lines.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => seen.push(line),
            Err(_) => assert!(Instant::now() < deadline, "no first case: {seen:?}"),
        }
    }
    // The long case's manager and two workers, then well into its repeat.
    let mut children = children_of(run.0.id());
    while children.len() < 3 {
        assert!(Instant::now() < deadline, "no workers: {children:?}");
        std::thread::sleep(Duration::from_millis(20));
        children = children_of(run.0.id());
    }
    std::thread::sleep(Duration::from_millis(500));
    let kill = Command::new("kill")
        .args(["-TERM", &run.0.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    // Stopping after the repeat would take a minute or more; at once is
    // well within this bound.
    let bound = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = run.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < bound,
            "SIGTERM did not stop the repeat at once: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    seen.extend(lines.try_iter());
    assert_eq!(status.code(), Some(143), "{seen:?}");
    assert!(seen.iter().any(|l| l.contains("interrupted")), "{seen:?}");
    let results = Csv::read(&out.join("managed/results.csv"));
    assert_eq!(
        results.column("variant"),
        ["quick"],
        "the finished case only"
    );
    let manifest = std::fs::read_to_string(out.join("managed/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"status\": \"interrupted\""),
        "{manifest}"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    let alive = |pid: &u32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            !s.rsplit_once(')')
                .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
        })
    };
    while children.iter().any(alive) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !children.iter().any(alive),
        "a worker or the manager is left"
    );
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
