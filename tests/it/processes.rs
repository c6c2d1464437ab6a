//! Worker processes end to end: a worker killed mid-case fails that case
//! with its pid and signal and the run goes on; a worker stopped mid-case
//! (SIGSTOP) fails it within a bounded time with its pid and state; a
//! stopped or killed run leaves no process, socket or /dev/shm file behind
//! (and the next run sweeps a killed run's flag files); every flag is
//! shared with worker processes; a worker of another protocol is refused.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use runner::backend::wire::{self, Hello, PROTOCOL, QueueAccess, Setup, Welcome};
use runner::experiment::Kernel;
use runner::work::KernelSpec;
use rusty_fork::rusty_fork_test;

use crate::common::{
    Csv, Exp, Raw, RedisServer, Running, alive, children_of, signal, spawn_run, wait_for_children,
};

/// Two pool cases of about a second each in worker processes.
fn slow_processes() -> Exp {
    Exp::primes("procs")
        .range(100_000_000, 101_000_000)
        .strategy("pool")
        .executor("processes")
        .kernel("plain")
        .repeats(3, 0)
        // Blocked: a case keeps its workers through its three runs (about a
        // second), so a kill 300 ms after they start lands inside the case,
        // however loaded the machine; interleaved rounds start new workers
        // for every run.
        .schedule("blocked")
        .sweep("workers", [2])
        .sweep("chunksize", [1000, 2000])
}

#[test]
fn a_killed_worker_fails_its_case_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let file = slow_processes().write(dir.path());
    let out = dir.path().join("reports");
    let mut run = Running(spawn_run(&file, &out));
    let workers = wait_for_children(run.0.id(), 2);
    assert_eq!(workers.len(), 2, "two worker processes: {workers:?}");
    std::thread::sleep(Duration::from_millis(300));
    let killed = workers[0];
    signal(killed, "KILL");
    let stderr: Vec<String> = BufReader::new(run.0.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .collect();
    let status = run.0.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{stderr:?}");
    let failed = stderr
        .iter()
        .find(|l| l.contains("FAILED"))
        .expect("a failed case");
    assert!(
        failed.contains(&format!("pid {killed}")) && failed.contains("signal 9 (SIGKILL)"),
        "{failed}"
    );
    let summary = Csv::read(&out.join("procs/summary.csv"));
    assert_eq!(
        summary.column("status"),
        ["failed", "ok"],
        "the run went on"
    );
    assert!(workers.iter().all(|&pid| !alive(pid)), "no worker is left");
}

#[test]
fn a_stopped_run_leaves_no_worker_process() {
    for name in ["TERM", "INT"] {
        let dir = tempfile::tempdir().unwrap();
        let file = slow_processes().write(dir.path());
        let out = dir.path().join("reports");
        let mut run = Running(spawn_run(&file, &out));
        let workers = wait_for_children(run.0.id(), 2);
        assert_eq!(workers.len(), 2, "{workers:?}");
        std::thread::sleep(Duration::from_millis(200));
        signal(run.0.id(), name);
        let status = run.0.wait().unwrap();
        assert!(
            matches!(status.code(), Some(130 | 143)),
            "{name}: {status:?}"
        );
        let deadline = Instant::now() + Duration::from_secs(5);
        while workers.iter().any(|&pid| alive(pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            workers.iter().all(|&pid| !alive(pid)),
            "{name}: a worker outlived the run"
        );
        let manifest = fs::read_to_string(out.join("procs/manifest.json")).unwrap();
        assert!(manifest.contains("\"interrupted\""), "{name}");
        // Only this run's files (named runner-<its pid>-...): tests running
        // beside this one make and remove their own.
        let left = shm_files_of(run.0.id());
        assert!(left.is_empty(), "{name}: left in /dev/shm: {left:?}");
    }
}

#[test]
fn a_killed_coordinator_takes_its_workers_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = slow_processes().write(dir.path());
    let mut run = Running(spawn_run(&file, &dir.path().join("reports")));
    let workers = wait_for_children(run.0.id(), 2);
    assert_eq!(workers.len(), 2, "{workers:?}");
    run.0.kill().unwrap();
    run.0.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while workers.iter().any(|&pid| alive(pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        workers.iter().all(|&pid| !alive(pid)),
        "the parent-death signal ends them"
    );
}

/// The worker processes among `pids` (not the queue's manager).
fn pipe_workers(pids: &[u32]) -> Vec<u32> {
    pids.iter()
        .copied()
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.contains("pipe-worker"))
        })
        .collect()
}

/// A queue case of a few seconds over `range` with its queue on `host`,
/// then a small one.
fn stopped_worker(host: &str, range: &str) -> Exp {
    Exp::primes("stopped")
        .workload("range", Raw(range))
        .strategy("queue")
        .executor("processes")
        .kernel("plain")
        .repeats(1, 0)
        .schedule("blocked")
        .sweep("workers", [2])
        .sweep("queue_host", [host])
        .variant("stopped", |v| v)
        .variant("next", |v| v.range(1_000, 3_000))
}
/// SIGSTOPs one worker of a queue case on `host` and checks that the case
/// fails within a bounded time (a stopped worker wedged a run for good
/// before issue 20), naming the worker's pid and state, that the next case
/// runs, and that no process is left.
fn a_stopped_worker_fails_its_case(host: &str, range: &str, processes: usize) {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let file = stopped_worker(host, range).write(dir.path());
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
    let children = wait_for_children(run.0.id(), processes);
    assert_eq!(children.len(), processes, "{children:?}");
    let workers = pipe_workers(&children);
    assert_eq!(workers.len(), 2, "{children:?}");
    std::thread::sleep(Duration::from_millis(300));
    let stopped = workers[1];
    signal(stopped, "STOP");
    // The watchdog's bound is 10 s after the last reply; the other worker
    // may first finish the queue (a few seconds). Far below "forever".
    let (code, stderr) = run
        .finish_within(Duration::from_secs(120))
        .expect("the run ended: a stopped worker must not wedge it");
    assert_eq!(code, Some(1), "{stderr:?}");
    let failed = stderr
        .iter()
        .find(|l| l.contains("FAILED"))
        .unwrap_or_else(|| panic!("a failed case: {stderr:?}"));
    assert!(
        failed.contains(&format!("(pid {stopped}) is T (stopped)")),
        "{failed}"
    );
    let summary = Csv::read(&out.join("stopped/summary.csv"));
    assert_eq!(summary.column("variant"), ["stopped", "next"]);
    assert_eq!(
        summary.column("status"),
        ["failed", "ok"],
        "the run went on: {stderr:?}"
    );
    assert!(
        children.iter().all(|&pid| !alive(pid)),
        "no worker (nor manager) is left"
    );
    let left: Vec<_> = fs::read_dir(&tmp).unwrap().flatten().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_stopped_worker_fails_a_direct_queue_case_in_bounded_time() {
    // About three seconds of queue in a debug build.
    a_stopped_worker_fails_its_case("direct", "[100_000_000, 101_000_000]", 2);
}

#[test]
fn a_stopped_worker_fails_a_manager_queue_case_in_bounded_time() {
    // About four seconds of queue in a debug build; the manager and two workers.
    a_stopped_worker_fails_its_case("manager", "[100_000_000, 100_100_000]", 3);
}

rusty_fork_test! {
    /// A worker stopped before it says hello fails the start within a
    /// bounded time (a stopped worker wedged a case before issue 20),
    /// naming its pid and state, and is reaped. The
    /// worker program is set once for a process, so this test runs in a
    /// process of its own (rusty-fork): the others run the runner binary.
    #[test]
    fn a_worker_stopped_before_its_hello_fails_the_start() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new()
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        let script = dir.path().join("stops-itself");
        fs::write(&script, "#!/bin/sh\nkill -STOP $$\nexit 1\n").unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        runner::backend::processes::set_worker_program(script);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let start = || {
                runner::backend::Processes::start(
                    1,
                    KernelSpec::new(Kernel::Plain, 1000),
                    &runner::flag::FlagSpec::None,
                    runner::backend::QueueSetup::default(),
                )
                .map(drop)
            };
            // A script just written may be "busy" for an instant while another
            // test's process forks.
            let mut started = start();
            for _ in 0..5 {
                match &started {
                    Err(e) if e.to_string().contains("busy") => {
                        std::thread::sleep(Duration::from_millis(100));
                        started = start();
                    }
                    _ => break,
                }
            }
            let _ = tx.send(started);
        });
        let started = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the start ended: a stopped worker must not hang it");
        let err = started.unwrap_err().to_string();
        assert!(err.contains("did not say hello"), "{err}");
        assert!(err.contains("is T (stopped)"), "{err}");
        let pid: u32 = err
            .split("(pid ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .and_then(|pid| pid.parse().ok())
            .unwrap_or_else(|| panic!("a pid: {err}"));
        assert!(!alive(pid), "the stopped worker is reaped");
    }
}

/// One queue case of a manager process's queue over `range`.
fn manager_queue(range: &str) -> Exp {
    Exp::primes("managed")
        .workload("range", Raw(range))
        .strategy("queue")
        .executor("processes")
        .repeats(1, 0)
        .sweep("workers", [2])
        .sweep("queue_host", ["manager"])
}
/// Runs [`manager_queue`] over `range` with its own temporary folder (where
/// the manager's socket lives), waits for the manager and both workers,
/// does `end` to the run, and checks that no process and no socket folder
/// is left.
fn end_a_manager_queue_run(
    range: &str,
    end: impl FnOnce(&mut std::process::Child, &[u32]) -> Vec<String>,
) {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let file = manager_queue(range).write(dir.path());
    let mut run = Running(
        Command::new(env!("CARGO_BIN_EXE_runner"))
            .arg(&file)
            .arg("--out")
            .arg(dir.path().join("reports"))
            .env("TMPDIR", &tmp)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // The manager and two workers.
    let children = wait_for_children(run.0.id(), 3);
    assert_eq!(children.len(), 3, "{children:?}");
    std::thread::sleep(Duration::from_millis(300));
    let stderr = end(&mut run.0, &children);
    let deadline = Instant::now() + Duration::from_secs(5);
    while children.iter().any(|&pid| alive(pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        children.iter().all(|&pid| !alive(pid)),
        "a worker or the manager outlived the run: {stderr:?}"
    );
    let left: Vec<_> = fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_killed_worker_fails_a_manager_queue_case_at_once() {
    // A million numbers: many seconds of queue.
    end_a_manager_queue_run("\"C\"", |run, children| {
        let worker = *pipe_workers(children).first().expect("a worker");
        let killed = Instant::now();
        signal(worker, "KILL");
        let stderr: Vec<String> = BufReader::new(run.stderr.take().unwrap())
            .lines()
            .map_while(Result::ok)
            .collect();
        let status = run.wait().unwrap();
        assert_eq!(status.code(), Some(1), "{stderr:?}");
        // The queue still had most of its million numbers to take.
        assert!(killed.elapsed() < Duration::from_secs(10), "{stderr:?}");
        let failed = stderr
            .iter()
            .find(|l| l.contains("FAILED"))
            .expect("a failed case");
        assert!(
            failed.contains(&format!("pid {worker}")) && failed.contains("SIGKILL"),
            "{failed}"
        );
        stderr
    });
}

#[test]
fn a_stopped_or_killed_run_leaves_no_manager_and_no_socket() {
    // A stopped run abandons its repeat (100,000 numbers, a second or two).
    end_a_manager_queue_run("\"B\"", |run, _| {
        signal(run.id(), "TERM");
        assert_eq!(run.wait().unwrap().code(), Some(143));
        Vec::new()
    });
    end_a_manager_queue_run("\"C\"", |run, _| {
        run.kill().unwrap();
        run.wait().unwrap();
        Vec::new()
    });
}

#[test]
fn every_flag_is_shared_with_worker_processes_and_nothing_is_left() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut flags = vec!["none", "atomic", "mutex", "manager", "mmap"];
    let mut exp = Exp::verify("flags")
        .numbers(&[
            ("prime", 1_000_000_000_039),
            ("composite", 1_000_009_642_147),
        ])
        .strategy("cooperative")
        .executor("processes")
        .run("repeats", 2)
        .sweep("workers", [1, 3])
        .sweep("loop", ["counter", "lookahead", "blocked"]);
    if let Some(server) = &server {
        flags.push("redis");
        exp = exp.workload("redis_url", server.url());
    }
    let file = exp.sweep("flag", flags).write(dir.path());
    let out = dir.path().join("reports");
    let child = Command::new(env!("CARGO_BIN_EXE_runner"))
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let run = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let summary = Csv::read(&out.join("flags/summary.csv"));
    assert!(summary.column("executor").iter().all(|e| *e == "processes"));
    assert!(
        summary.column("status").iter().all(|s| *s == "ok"),
        "{stderr}"
    );
    // Only this run's files (named runner-<its pid>-...): tests running
    // beside this one make and remove their own.
    let left = shm_files_of(pid);
    assert!(left.is_empty(), "left in /dev/shm: {left:?}");
    if let Some(server) = server {
        assert_eq!(server.keys(), 0, "every key is deleted");
    }
}

/// The /dev/shm files named for `pid` (`runner-<pid>-...`).
fn shm_files_of(pid: u32) -> Vec<PathBuf> {
    let prefix = format!("runner-{pid}-");
    fs::read_dir("/dev/shm")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect()
}

/// Removes the given /dev/shm files however the test ends.
struct ShmCleanup(Vec<PathBuf>);

impl Drop for ShmCleanup {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = fs::remove_file(path);
        }
    }
}

/// A run killed with SIGKILL leaves its flag file in /dev/shm (nothing
/// runs after SIGKILL); the next run, of any experiment, removes it, and
/// keeps the file of a live process.
#[test]
fn the_next_run_sweeps_the_flag_files_of_a_killed_run() {
    let dir = tempfile::tempdir().unwrap();
    // A file named as a live process's (this test's): it must be kept.
    let live = PathBuf::from(format!(
        "/dev/shm/runner-{}-987654-mmap",
        std::process::id()
    ));
    fs::write(&live, [0u8]).unwrap();
    let mut cleanup = ShmCleanup(vec![live.clone()]);
    let file = Exp::verify("killed")
        .numbers(&[("prime", 1_000_000_000_039)])
        .strategy("cooperative")
        .executor("processes")
        .run("repeats", 1000)
        .sweep("workers", [2])
        .sweep("flag", ["mmap"])
        .write(dir.path());
    let mut run = Running(spawn_run(&file, &dir.path().join("reports")));
    let dead = run.0.id();
    let deadline = Instant::now() + Duration::from_secs(20);
    let flag_files = loop {
        let found = shm_files_of(dead);
        if !found.is_empty() && children_of(dead).len() >= 2 {
            break found;
        }
        assert!(Instant::now() < deadline, "no flag file and workers");
        std::thread::sleep(Duration::from_millis(20));
    };
    cleanup.0.extend(flag_files.iter().cloned());
    run.0.kill().unwrap();
    run.0.wait().unwrap();
    assert!(
        flag_files.iter().all(|p| p.exists()),
        "SIGKILL leaves the flag file: {flag_files:?}"
    );
    let next = Exp::primes("quick").range(2, 1000).write(dir.path());
    let status = Command::new(env!("CARGO_BIN_EXE_runner"))
        .arg(&next)
        .arg("--out")
        .arg(dir.path().join("reports"))
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0), "{status:?}");
    let left = shm_files_of(dead);
    assert!(left.is_empty(), "the killed run's files are left: {left:?}");
    assert!(live.exists(), "a live process's file was removed");
}

#[test]
fn a_worker_refuses_a_coordinator_of_another_protocol() {
    let mut worker = Command::new(env!("CARGO_BIN_EXE_runner"))
        .arg("pipe-worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut hello = Hello::new(Setup {
        index: 0,
        kernel: KernelSpec::new(Kernel::Fast, 1000),
        flag: runner::flag::FlagSpec::None,
        rounds: false,
        queue: QueueAccess::Pipe {
            shared_fd: 3,
            lock_fd: 4,
        },
    });
    hello.protocol = PROTOCOL + 1;
    hello.runner = "99.0.0".into();
    wire::send(worker.stdin.as_mut().unwrap(), &hello).unwrap();
    let (welcome, _): (Welcome, usize) = wire::receive(worker.stdout.as_mut().unwrap()).unwrap();
    match welcome {
        Welcome::Refused(why) => assert!(why.contains("runner 99.0.0"), "{why}"),
        other => panic!("served another protocol: {other:?}"),
    }
    assert_eq!(worker.wait().unwrap().code(), Some(2));
}
