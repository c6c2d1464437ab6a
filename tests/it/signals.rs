//! Signals end a run cleanly. Ctrl-C (SIGINT), SIGTERM and SIGHUP keep the
//! cases that finished (whole cases only, or every case's finished rounds
//! when rounds interleave), draw the page and mark the manifest
//! interrupted, with 128+N as the exit status; a second Ctrl-C stops at
//! once; a killed run shows as not finished; a signal before an experiment
//! starts leaves its earlier report alone; and a repeat on worker processes
//! is abandoned at once, leaving no process or socket.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{
    Csv, Exp, Running, alive, children_of, leftovers, manifest, read_stderr_until, runner, signal,
    spawn_run,
};

/// [`Exp::slow`] with 3 repeats over 3e5 numbers: a case of about half a
/// second, so a signal lands inside one.
fn long() -> Exp {
    Exp::slow("long")
        .range(100_000_000, 100_300_000)
        .run("repeats", 3)
}

#[test]
fn sigint_keeps_the_finished_cases() {
    let dir = tempfile::tempdir().unwrap();
    let file = long().write(dir.path());
    let out = dir.path().join("reports");
    let mut child = Running(spawn_run(&file, &out));
    let (seen, rest) = read_stderr_until(&mut child.0, "[2/");
    signal(child.0.id(), "INT");
    let rest: Vec<String> = rest.lines().map_while(Result::ok).collect();
    let status = child.0.wait().unwrap();
    assert_eq!(status.code(), Some(130), "stderr: {seen:?} {rest:?}");
    assert!(rest.iter().any(|l| l.contains("interrupted")), "{rest:?}");

    let results = Csv::read(&out.join("long/results.csv"));
    let cases: BTreeSet<&str> = results.column("case").into_iter().collect();
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
    assert_eq!(manifest(&out.join("long"))["status"], "interrupted");
}

#[test]
fn sigint_in_rounds_keeps_every_case_with_the_rounds_it_finished() {
    let dir = tempfile::tempdir().unwrap();
    let file = long()
        .schedule("interleaved")
        .run("repeats", 50)
        .write(dir.path());
    let out = dir.path().join("reports");
    let mut child = Running(spawn_run(&file, &out));
    let (_, rest) = read_stderr_until(&mut child.0, "round 1/50 finished");
    signal(child.0.id(), "INT");
    let rest: Vec<String> = rest.lines().map_while(Result::ok).collect();
    assert_eq!(child.0.wait().unwrap().code(), Some(130), "{rest:?}");
    let results = Csv::read(&out.join("long/results.csv"));
    let cases: BTreeSet<&str> = results.column("case").into_iter().collect();
    assert_eq!(cases.len(), 24, "every case ran its first round");
    let rounds: BTreeSet<u32> = results
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
    assert_eq!(manifest(&out.join("long"))["status"], "interrupted");
}

/// SIGTERM and SIGHUP stop like Ctrl-C: the finished cases are kept,
/// the page is drawn, the manifest says interrupted, nothing half-written.
#[test]
fn sigterm_and_sighup_end_a_run_cleanly() {
    for (name, code) in [("TERM", 143), ("HUP", 129)] {
        let dir = tempfile::tempdir().unwrap();
        let file = Exp::slow("slow").write(dir.path());
        let out = dir.path().join("reports");
        let mut child = Running(spawn_run(&file, &out));
        let (_, rest) = read_stderr_until(&mut child.0, "[2/");
        signal(child.0.id(), name);
        let rest: Vec<String> = rest.lines().map_while(Result::ok).collect();
        assert_eq!(
            child.0.wait().unwrap().code(),
            Some(code),
            "{name}: {rest:?}"
        );
        let report = out.join("slow");
        assert_eq!(manifest(&report)["status"], "interrupted", "{name}");
        assert!(
            report.join("index.html").is_file(),
            "{name}: the page is drawn"
        );
        let results = Csv::read(&report.join("results.csv"));
        assert!(results.rows.len() >= 4, "{name}: finished cases are kept");
        assert!(leftovers(&out).is_empty(), "{name}: {:?}", leftovers(&out));
    }
}

/// A second Ctrl-C stops at once (the user means it), still marking the
/// manifest and leaving no temporary file.
#[test]
fn a_second_interrupt_stops_at_once_and_marks_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let file = Exp::slow("slow")
        .range(100_000_000, 101_000_000)
        .write(dir.path());
    let out = dir.path().join("reports");
    let mut child = Running(spawn_run(&file, &out));
    let (_, rest) = read_stderr_until(&mut child.0, "slow:");
    std::thread::sleep(Duration::from_millis(300));
    signal(child.0.id(), "INT");
    std::thread::sleep(Duration::from_millis(100));
    signal(child.0.id(), "INT");
    let started = Instant::now();
    let status = child.0.wait().unwrap();
    drop(rest);
    assert_eq!(status.code(), Some(130));
    assert!(started.elapsed() < Duration::from_secs(10), "at once");
    assert_eq!(manifest(&out.join("slow"))["status"], "interrupted");
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
}

/// A run killed outright (SIGKILL: nothing runs after it) is shown as "did
/// not finish" on its page and in the reports' index.
#[test]
fn a_killed_run_is_shown_as_not_finished() {
    let dir = tempfile::tempdir().unwrap();
    let file = Exp::slow("slow").write(dir.path());
    let out = dir.path().join("reports");
    let mut child = Running(spawn_run(&file, &out));
    let (_, rest) = read_stderr_until(&mut child.0, "[1/");
    signal(child.0.id(), "KILL");
    child.0.wait().unwrap();
    drop(rest);
    let report = out.join("slow");
    assert_eq!(manifest(&report)["status"], "running");
    runner().arg("report").arg(&report).assert().success();
    let index = fs::read_to_string(out.join("index.html")).unwrap();
    let page = fs::read_to_string(report.join("index.html")).unwrap();
    assert!(index.contains("did not finish"), "{index}");
    assert!(page.contains("did not finish"));
}

/// Whether the runner process `pid` has started its signal thread (so a
/// signal is now a request to stop, not the default action).
fn handles_signals(pid: u32) -> bool {
    fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|task| {
            fs::read_to_string(task.path().join("comm")).is_ok_and(|name| name.trim() == "signals")
        })
}

/// A signal that arrives before an experiment starts (here: while the
/// command still reads its files; in the wild: while the previous experiment
/// of the command is drawn) used to start it anyway, clearing its folder and
/// leaving an empty "interrupted" report in place of the earlier one. It is
/// now not started, and the command ends with 128+N.
#[test]
fn a_signal_before_an_experiment_starts_keeps_its_earlier_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let file = Exp::tiny("small").write(dir.path());
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let before = fs::read(out.join("small/summary.csv")).unwrap();
    // The second file is a FIFO, so the command waits reading it while the
    // signal is sent.
    let fifo = dir.path().join("later.toml");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let child = Command::new(env!("CARGO_BIN_EXE_runner"))
        .arg(&file)
        .arg(&fifo)
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !handles_signals(child.id()) {
        // The FIFO's writer below is what lets the command end.
        assert!(Instant::now() < deadline, "no signal thread within 30 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    signal(child.id(), "INT");
    fs::write(&fifo, Exp::tiny("later").toml()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("small was not started"), "{stderr}");
    assert_eq!(fs::read(out.join("small/summary.csv")).unwrap(), before);
    assert_eq!(manifest(&out.join("small"))["status"], "complete");
}

/// A quick case, then a manager-queue case of three million numbers: about
/// two minutes of repeat.
fn manager_long() -> Exp {
    Exp::primes("managed")
        .range(100_000_000, 103_000_000)
        .strategy("queue")
        .executor("processes")
        .kernel("plain")
        .repeats(1, 0)
        .schedule("blocked")
        .sweep("workers", [2])
        .sweep("queue_host", ["manager"])
        .variant("quick", |v| v.range(1_000, 3_000))
        .variant("long", |v| v)
}

/// SIGTERM during a repeat on a manager process's queue abandons the
/// repeat at once (a regression test of issue 20: it waited for the repeat,
/// 90 s in the audit); the finished case is saved, the run is interrupted,
/// and no process or socket is left.
#[test]
fn sigterm_abandons_a_manager_queue_repeat_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let file = manager_long().write(dir.path());
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
    signal(run.0.id(), "TERM");
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
    assert_eq!(manifest(&out.join("managed"))["status"], "interrupted");
    let deadline = Instant::now() + Duration::from_secs(5);
    while children.iter().any(|&pid| alive(pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !children.iter().any(|&pid| alive(pid)),
        "a worker or the manager is left"
    );
    let left: Vec<_> = fs::read_dir(&tmp).unwrap().flatten().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
