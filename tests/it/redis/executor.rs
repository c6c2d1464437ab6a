//! Work through Redis: worker processes on any host give the oracle's
//! answers for every strategy; a worker killed mid-case has its jobs
//! claimed by the others; Redis lost, workers missing, a coordinator
//! killed, stopped or interrupted each end as they should; a worker of
//! another protocol is refused; and keys never outlive their run.

use std::fs;
use std::process::{Command, Stdio};
use std::time::Duration;

use runner::backend::redis::protocol::{
    Assignment, Control, Envelope, RunKeys, Upward, WorkerHello,
};
use runner::work::{Job, Reply};

use super::{Run, Workers, connection, keys, remote, summary, wait_for_jobs, wait_until};
use crate::common::{Csv, Exp, RedisServer, Running, manifest, signal, wait_at_most};

#[test]
fn worker_processes_give_the_oracles_answer_for_every_strategy_and_leave_no_key() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut workers = Workers::start(&server.url(), &[("alpha", 1), ("beta", 2)]);
    let primes = remote("remote_primes")
        .range(1_000_000, 1_004_000)
        .repeats(2, 1)
        .sweep("workers", [3])
        .sweep("strategy", ["pool", "queue", "feeder"])
        .sweep("chunksize", [64])
        .sweep("enqueue", ["all", "odd"])
        .write(dir.path());
    let out = dir.path().join("out");
    let (status, stderr) =
        Run::start(&primes, &out, &server.url(), &[]).finish(Duration::from_secs(300));
    assert!(status.success(), "{stderr}");
    let csv = summary(&out, "remote_primes");
    assert!(csv.column("ok").iter().all(|&ok| ok == "true"), "{stderr}");
    assert!(csv.rows.len() >= 3, "{stderr}");
    // The oracle's count for the range, whatever the strategy.
    let answers = csv.column("answer");
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert!(csv.column("bytes_per_run").iter().all(|b| !b.is_empty()));
    assert!(
        csv.column("bytes_back_per_run")
            .iter()
            .all(|b| !b.is_empty())
    );
    assert!(csv.column("round_trip_us").iter().all(|b| !b.is_empty()));
    let manifest = manifest(&out.join("remote_primes"));
    let hosts = manifest["remote_workers"]
        .as_array()
        .expect("remote_workers");
    assert!(!hosts.is_empty());
    assert!(
        hosts
            .iter()
            .all(|w| w["host"].is_string() && w["machine"].is_string())
    );
    // The run's own keys are gone as soon as it ends.
    assert_eq!(keys(&server, "runner:run:*"), Vec::<String>::new());

    let verify = Exp::verify("remote_verify")
        .numbers(&[("prime", 1_000_000_007), ("non-prime", 1_000_036_000_099)])
        .strategy("cooperative")
        .executor("redis")
        .repeats(1, 0)
        .sweep("workers", [2])
        .sweep("flag", ["none", "redis"])
        .write(dir.path());
    let (status, stderr) =
        Run::start(&verify, &out, &server.url(), &[]).finish(Duration::from_secs(300));
    assert!(status.success(), "{stderr}");
    let csv = summary(&out, "remote_verify");
    assert!(csv.column("ok").iter().all(|&ok| ok == "true"), "{stderr}");

    workers.stop();
    assert_eq!(server.keys(), 0, "{:?}", keys(&server, "*"));
}

#[test]
fn spawn_local_needs_no_second_command() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = remote("local")
        .range(1000, 5000)
        .run("spawn_local", 2)
        .sweep("workers", [2])
        .sweep("chunksize", [16])
        .write(dir.path());
    let out = dir.path().join("out");
    let (status, stderr) =
        Run::start(&file, &out, &server.url(), &[]).finish(Duration::from_secs(120));
    assert!(status.success(), "{stderr}");
    assert!(
        summary(&out, "local")
            .column("ok")
            .iter()
            .all(|&ok| ok == "true")
    );
    // The local workers are stopped with their case: nothing is left.
    assert_eq!(server.keys(), 0, "{:?}", keys(&server, "*"));
}

#[test]
fn a_worker_killed_mid_case_has_its_jobs_claimed_and_the_answer_is_still_right() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut workers = Workers::start(&server.url(), &[("victim", 1), ("survivor", 1)]);
    let file = remote("claimed")
        .range(1_000_000_000_000, 1_000_000_060_000)
        .kernel("plain")
        .sweep("workers", [2])
        .sweep("chunksize", [500])
        .write(dir.path());
    let out = dir.path().join("out");
    let run = Run::start(&file, &out, &server.url(), &[]);
    // Kill the victim while it holds a job.
    let mut redis = connection(&server);
    wait_until("the victim to hold a job", || {
        let Some(jobs) = keys(&server, "runner:run:*:jobs").pop() else {
            return false;
        };
        let pending: redis::Value = redis::cmd("XPENDING")
            .arg(&jobs)
            .arg("workers")
            .query(&mut redis)
            .unwrap_or(redis::Value::Nil);
        format!("{pending:?}").contains("victim")
    });
    let victim = &mut workers.0[0];
    victim.kill().unwrap();
    victim.wait().unwrap();
    let (status, stderr) = run.finish(Duration::from_secs(300));
    assert!(status.success(), "{stderr}");
    let csv = summary(&out, "claimed");
    assert_eq!(csv.column("ok"), ["true"], "{stderr}");
    let redelivered: u64 = csv.column("redelivered")[0].parse().expect("a count");
    assert!(redelivered >= 1, "no re-delivery recorded");
    workers.stop();
    // The killed worker's lobby entry and presence expire or were removed.
    assert_eq!(keys(&server, "runner:run:*"), Vec::<String>::new());
    for key in keys(&server, "*") {
        let ttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut redis).unwrap();
        assert!(ttl > 0, "{key} would never expire");
    }
}

#[test]
fn redis_stopped_mid_case_fails_it_with_a_message_and_the_next_case_is_tried() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let _workers = Workers::start(&server.url(), &[("w", 1)]);
    let file = remote("stopped")
        .range(1_000_000_000_000, 1_000_002_000_000)
        .kernel("plain")
        .schedule("blocked")
        .sweep("workers", [1])
        .sweep("chunksize", [100, 200])
        .write(dir.path());
    let out = dir.path().join("out");
    let run = Run::start(&file, &out, &server.url(), &["--worker-wait", "5"]);
    wait_for_jobs(&server);
    drop(server);
    let (status, stderr) = run.finish(Duration::from_secs(120));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("lost Redis at redis://127.0.0.1:"),
        "{stderr}"
    );
    let csv = summary(&out, "stopped");
    assert_eq!(
        csv.column("ok"),
        ["false", "false"],
        "both cases were tried"
    );
    assert!(
        csv.column("error")[1].contains("Redis"),
        "{:?}",
        csv.column("error")
    );
}

#[test]
fn a_worker_of_another_protocol_is_refused() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let mut redis = connection(&server);
    let hello = r#"{"protocol": 999, "runner": "9.9.9", "id": "stranger", "host": "elsewhere"}"#;
    let _: () = redis::pipe()
        .cmd("SET")
        .arg("runner:worker:stranger")
        .arg(hello)
        .cmd("RPUSH")
        .arg("runner:lobby")
        .arg(hello)
        .query(&mut redis)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = remote("refuse")
        .range(1000, 3000)
        .sweep("workers", [1])
        .sweep("chunksize", [16])
        .write(dir.path());
    let out = dir.path().join("out");
    let (status, stderr) = Run::start(&file, &out, &server.url(), &["--spawn-local", "1"])
        .finish(Duration::from_secs(120));
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("worker stranger on elsewhere was refused") && stderr.contains("999"),
        "{stderr}"
    );
    let told: Option<String> = redis::cmd("LPOP")
        .arg("runner:worker:stranger:control")
        .query(&mut redis)
        .unwrap();
    assert!(told.expect("a refusal").contains("refused"));
    let _: () = redis::cmd("DEL")
        .arg("runner:worker:stranger")
        .query(&mut redis)
        .unwrap();
    assert_eq!(server.keys(), 0, "{:?}", keys(&server, "*"));
}

#[test]
fn without_workers_a_case_fails_after_the_wait_with_advice() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = remote("alone")
        .range(1000, 3000)
        .sweep("workers", [2])
        .write(dir.path());
    let out = dir.path().join("out");
    let (status, stderr) = Run::start(&file, &out, &server.url(), &["--worker-wait", "1"])
        .finish(Duration::from_secs(60));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("only 0 of 2 worker slots") && stderr.contains("runner worker"),
        "{stderr}"
    );
    assert_eq!(server.keys(), 0, "{:?}", keys(&server, "*"));
}

#[test]
fn a_killed_coordinator_leaves_only_keys_that_expire() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut workers = Workers::start(&server.url(), &[("w", 1)]);
    let file = remote("orphan")
        .range(1_000_000_000_000, 1_000_002_000_000)
        .kernel("plain")
        .sweep("workers", [1])
        .sweep("chunksize", [100])
        .write(dir.path());
    let mut run = Run::start(&file, &dir.path().join("out"), &server.url(), &[]);
    wait_for_jobs(&server);
    run.child.kill().unwrap();
    run.child.wait().unwrap();
    let all = keys(&server, "*");
    assert!(all.iter().any(|k| k.starts_with("runner:run:")), "{all:?}");
    let mut redis = connection(&server);
    for key in all {
        let ttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut redis).unwrap();
        assert!(ttl > 0, "{key} would never expire");
    }
    workers.stop();
}

#[test]
fn a_worker_refuses_a_run_of_another_protocol_and_waits_for_the_next() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("worker.stderr");
    let mut workers = Workers(vec![
        Command::new(env!("CARGO_BIN_EXE_runner"))
            .args(["worker", "--name", "careful"])
            .env("REDIS_URL", server.url())
            .stdin(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    ]);
    let mut redis = connection(&server);
    let mut pop_hello = || -> WorkerHello {
        let (_, text): (String, String) = redis::cmd("BLPOP")
            .arg("runner:lobby")
            .arg(30)
            .query(&mut redis)
            .expect("a hello within 30 s");
        serde_json::from_str(&text).unwrap()
    };
    let hello = pop_hello();
    assert_eq!(hello.protocol, runner::backend::wire::PROTOCOL);
    let foreign = Control::Assign(Assignment {
        protocol: hello.protocol + 1,
        runner: "9.9.9".into(),
        keys: RunKeys {
            prefix: "runner:run:foreign".into(),
        },
        slots: 1,
        kernel: runner::work::KernelSpec::new(runner::experiment::Kernel::Plain, 0),
        flag: runner::flag::FlagSpec::None,
        claim_idle_ms: 3000,
    });
    let _: () = redis::cmd("RPUSH")
        .arg(format!("runner:worker:{}:control", hello.id))
        .arg(serde_json::to_string(&foreign).unwrap())
        .query(&mut connection(&server))
        .unwrap();
    // It says why, serves nothing, and is back in the lobby.
    assert_eq!(pop_hello().id, hello.id);
    let said = fs::read_to_string(&log).unwrap();
    assert!(
        said.contains("a run was refused") && said.contains("runner 9.9.9"),
        "{said}"
    );
    assert!(keys(&server, "runner:run:*").is_empty());
    workers.stop();
    assert_eq!(server.keys(), 0, "{:?}", keys(&server, "*"));
}

/// A worker wrongly taken for dead may finish a search of an earlier round
/// late and raise its flag while the next round runs: each round's search
/// must use a flag of its own, or the next round's workers stop early and a
/// composite number is called prime.
#[test]
fn a_flag_raised_by_an_earlier_round_does_not_stop_the_next_rounds_search() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let mut workers = Workers::start(&server.url(), &[("late", 1)]);
    let mut redis = connection(&server);
    let (_, text): (String, String) = redis::cmd("BLPOP")
        .arg("runner:lobby")
        .arg(30)
        .query(&mut redis)
        .expect("a hello within 30 s");
    let hello: WorkerHello = serde_json::from_str(&text).unwrap();
    let run = RunKeys {
        prefix: "runner:run:rounds".into(),
    };
    let shared_key = "runner:flag:test:0";
    let _: () = redis::pipe()
        .cmd("XGROUP")
        .arg("CREATE")
        .arg(run.jobs())
        .arg("workers")
        .arg("$")
        .arg("MKSTREAM")
        .ignore()
        .cmd("XADD")
        .arg(run.replies())
        .arg("*")
        .arg("open")
        .arg(1)
        .ignore()
        .cmd("SET")
        .arg(run.alive())
        .arg(1)
        .ignore()
        .query(&mut redis)
        .unwrap();
    let assign = Control::Assign(Assignment {
        protocol: hello.protocol,
        runner: hello.runner.clone(),
        keys: run.clone(),
        slots: 1,
        kernel: runner::work::KernelSpec::new(runner::experiment::Kernel::Plain, 0),
        flag: runner::flag::FlagSpec::Redis {
            url: String::new(),
            key: shared_key.into(),
        },
        claim_idle_ms: 3000,
    });
    let _: () = redis::cmd("RPUSH")
        .arg(format!("runner:worker:{}:control", hello.id))
        .arg(serde_json::to_string(&assign).unwrap())
        .query(&mut redis)
        .unwrap();
    // Round 1's flag (and the run's shared key) raised by a late search.
    let _: () = redis::pipe()
        .cmd("SET")
        .arg(shared_key)
        .arg(1)
        .ignore()
        .cmd("SET")
        .arg(run.flag(1))
        .arg(1)
        .ignore()
        .query(&mut redis)
        .unwrap();
    let (p, q) = (1_000_003u64, 1_000_033u64);
    let job = Envelope {
        seq: 1,
        round: 2,
        job: Job::Search {
            n: p * q,
            lo: 3,
            hi: 2_000_001,
            style: runner::experiment::LoopStyle::Counter,
            check_every: 1,
        },
    };
    let _: String = redis::cmd("XADD")
        .arg(run.jobs())
        .arg("*")
        .arg("j")
        .arg(postcard::to_stdvec(&job).unwrap())
        .query(&mut redis)
        .unwrap();
    let mut last = "0-0".to_string();
    let reply = 'read: loop {
        let read: redis::streams::StreamReadReply = redis::cmd("XREAD")
            .arg("BLOCK")
            .arg(30_000)
            .arg("STREAMS")
            .arg(run.replies())
            .arg(&last)
            .query(&mut redis)
            .expect("a reply within 30 s");
        for entry in read.keys.into_iter().flat_map(|k| k.ids) {
            last = entry.id.clone();
            if let Some(redis::Value::BulkString(bytes)) = entry.map.get("r")
                && let Upward::Done(done) = postcard::from_bytes::<Upward>(bytes).unwrap()
            {
                break 'read done.reply;
            }
        }
    };
    match reply {
        Some(Reply::Searched { factor, .. }) => assert_eq!(factor, Some(p)),
        other => panic!("{other:?}"),
    }
    // Round 2 raised its own flag, which expires by itself.
    let ttl: i64 = redis::cmd("PTTL")
        .arg(run.flag(2))
        .query(&mut redis)
        .unwrap();
    assert!(ttl > 0, "round 2's flag has no TTL: {ttl}");
    let mut names = run.all().to_vec();
    names.extend([run.flag(1), run.flag(2), shared_key.to_string()]);
    let _: () = redis::cmd("DEL").arg(&names).query(&mut redis).unwrap();
    workers.stop();
    assert_eq!(server.keys(), 0, "{:?}", keys(&server, "*"));
}

/// A worker stopped (SIGSTOP) and continued (SIGCONT) while it waits must not
/// take the interrupted read for a lost server: it stays up and serves.
#[test]
fn a_worker_stopped_and_continued_keeps_serving() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut workers = Workers::start(&server.url(), &[("paused", 1)]);
    let pid = workers.0[0].id() as i32;
    wait_until("the worker's hello", || {
        !keys(&server, "runner:worker:paused-*").is_empty()
    });
    for _ in 0..3 {
        unsafe { libc::kill(pid, libc::SIGSTOP) };
        std::thread::sleep(Duration::from_millis(300));
        unsafe { libc::kill(pid, libc::SIGCONT) };
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        workers.0[0].try_wait().unwrap().is_none(),
        "the worker exited after SIGSTOP and SIGCONT"
    );
    let primes = remote("paused")
        .range(1_000_000, 1_004_000)
        .sweep("workers", [1])
        .write(dir.path());
    let out = dir.path().join("out");
    let (status, stderr) =
        Run::start(&primes, &out, &server.url(), &[]).finish(Duration::from_secs(300));
    assert!(status.success(), "{stderr}");
    let csv = summary(&out, "paused");
    assert!(csv.column("ok").iter().all(|&ok| ok == "true"), "{stderr}");
    workers.stop();
    assert_eq!(server.keys(), 0, "{:?}", keys(&server, "*"));
}

/// Two coordinators on one server keep their own local
/// workers: one with `spawn_local` never lends them to one without (which
/// fails for want of workers), and two with `spawn_local` each record only
/// their own.
#[test]
fn concurrent_coordinators_keep_their_own_local_workers() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = remote("mine")
        .range(1000, 20000)
        .run("repeats", 3)
        .sweep("workers", [2])
        .sweep("chunksize", [16, 32, 64, 128])
        .write(dir.path());
    let with = |out: &str| {
        Run::start(
            &file,
            &dir.path().join(out),
            &server.url(),
            &["--spawn-local", "2"],
        )
    };
    let own_workers_only = |out: &str, pid: u32| {
        let manifest: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(dir.path().join(out).join("mine/manifest.json")).unwrap(),
        )
        .unwrap();
        let ids: Vec<&str> = manifest["remote_workers"]
            .as_array()
            .expect("remote_workers")
            .iter()
            .map(|w| w["id"].as_str().unwrap())
            .collect();
        assert!(!ids.is_empty());
        let own = format!("-{pid}-");
        assert!(ids.iter().all(|id| id.contains(&own)), "{out}: {ids:?}");
    };
    // One lends nothing to the other.
    let lender = with("lender");
    let lender_pid = lender.child.id();
    let (status, stderr) = Run::start(
        &file,
        &dir.path().join("borrower"),
        &server.url(),
        &["--worker-wait", "3"],
    )
    .finish(Duration::from_secs(300));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("only 0 of 2 worker slots"), "{stderr}");
    let (status, stderr) = lender.finish(Duration::from_secs(300));
    assert!(status.success(), "{stderr}");
    own_workers_only("lender", lender_pid);
    // Two at once, each with its own.
    let (a, b) = (with("a"), with("b"));
    let (a_pid, b_pid) = (a.child.id(), b.child.id());
    let (status, stderr) = a.finish(Duration::from_secs(300));
    assert!(status.success(), "{stderr}");
    let (status, stderr) = b.finish(Duration::from_secs(300));
    assert!(status.success(), "{stderr}");
    own_workers_only("a", a_pid);
    own_workers_only("b", b_pid);
    assert_eq!(server.keys(), 0, "{:?}", keys(&server, "*"));
}

/// SIGTERM while the last case waits for its worker
/// slots interrupts the run; the case is not failed, no "lost Redis" is
/// said, and stdout and the manifest agree.
#[test]
fn a_signal_while_a_case_waits_for_workers_interrupts_it() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = remote("waiting")
        .range(1000, 5000)
        .sweep("workers", [2])
        .write(dir.path());
    let out = dir.path().join("out");
    let (stdout, stderr) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut run = Running(
        Command::new(env!("CARGO_BIN_EXE_runner"))
            .arg(&file)
            .args(["--out", out.to_str().unwrap(), "--worker-wait", "120"])
            .env("REDIS_URL", server.url())
            .stdin(Stdio::null())
            .stdout(fs::File::create(&stdout).unwrap())
            .stderr(fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_until("the case to wait for workers", || {
        !keys(&server, "runner:run:*:jobs").is_empty()
    });
    // Let it block on the lobby, as in the audit.
    std::thread::sleep(Duration::from_millis(500));
    signal(run.0.id(), "TERM");
    // Far less than the 120 s wait: it does not wait on.
    let status = wait_at_most(&mut run.0, Duration::from_secs(30));
    let stderr = fs::read_to_string(&stderr).unwrap();
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(!stderr.contains("lost Redis"), "{stderr}");
    assert!(!stderr.contains("FAILED"), "{stderr}");
    let said = fs::read_to_string(&stdout).unwrap();
    assert!(
        !said.contains("FAILED") && !said.contains("all correct"),
        "{said}"
    );
    assert_eq!(manifest(&out.join("waiting"))["status"], "interrupted");
    let results = Csv::read(&out.join("waiting/results.csv"));
    assert!(
        results.column("status").iter().all(|s| *s != "failed"),
        "{:?}",
        results.column("error")
    );
    assert_eq!(server.keys(), 0, "{:?}", keys(&server, "*"));
}

/// A coordinator stopped (SIGSTOP) longer than its keys
/// live finds them expired, and says so, not "lost Redis ... Interrupted
/// system call". This test stops one for 33 s.
#[test]
fn a_coordinator_stopped_past_its_keys_ttl_says_they_expired() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut workers = Workers::start(&server.url(), &[("steady", 1)]);
    let file = remote("stopped")
        .range(1_000_000_000_000, 1_000_003_000_000)
        .kernel("plain")
        .sweep("workers", [1])
        .sweep("chunksize", [200])
        .write(dir.path());
    let out = dir.path().join("out");
    let run = Run::start(&file, &out, &server.url(), &[]);
    wait_for_jobs(&server);
    let pid = run.child.id() as i32;
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    std::thread::sleep(Duration::from_secs(33));
    unsafe { libc::kill(pid, libc::SIGCONT) };
    let (status, stderr) = run.finish(Duration::from_secs(120));
    assert_eq!(status.code(), Some(1), "{stderr}");
    let csv = summary(&out, "stopped");
    let error = csv.column("error")[0];
    assert!(
        error.contains("the run's keys expired while the coordinator was stopped"),
        "{error}"
    );
    assert!(
        !error.contains("lost Redis") && !error.contains("os error 4"),
        "{error}"
    );
    workers.stop();
    assert_eq!(keys(&server, "runner:run:*"), Vec::<String>::new());
}

/// The Redis flag's looks, cut short by a stop and
/// continue of the process (EINTR on a socket read with a timeout), are
/// tried again, not a failed case ("Redis at ... failed: Interrupted system
/// call").
#[test]
fn a_redis_flag_survives_the_process_being_stopped_and_continued() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = Exp::verify("looks")
        .workload("redis_url", server.url())
        .numbers(&[("prime", 1_000_000_000_039)])
        .strategy("cooperative")
        .repeats(2, 0)
        .sweep("workers", [2])
        .sweep("flag", ["redis"])
        .sweep("loop", ["counter"])
        .sweep("check_every", [5])
        .write(dir.path());
    let out = dir.path().join("out");
    let run = Run::start(&file, &out, &server.url(), &[]);
    let mut redis = connection(&server);
    wait_until("the search to look at its flag", || {
        !keys(&server, "runner:flag:*").is_empty()
    });
    let pid = run.child.id() as i32;
    for _ in 0..8 {
        std::thread::sleep(Duration::from_millis(150));
        unsafe { libc::kill(pid, libc::SIGSTOP) };
        std::thread::sleep(Duration::from_millis(100));
        unsafe { libc::kill(pid, libc::SIGCONT) };
    }
    let (status, stderr) = run.finish(Duration::from_secs(300));
    assert!(status.success(), "{stderr}");
    assert_eq!(summary(&out, "looks").column("ok"), ["true"], "{stderr}");
    let left: Vec<String> = redis::cmd("KEYS")
        .arg("runner:flag:*")
        .query(&mut redis)
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}

/// Ctrl-C at a terminal signals the whole process group.
/// A run's own local workers must not die of it mid-repeat (the case would
/// fail while the run says it was interrupted): the repeat finishes, the run
/// stops, and stderr, the manifest and results.csv agree.
#[test]
fn ctrl_c_to_the_process_group_interrupts_a_spawn_local_run_cleanly() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = remote("group")
        .range(1_000_000_000_000, 1_000_000_200_000)
        .run("spawn_local", 1)
        .run("repeats", 20)
        .sweep("workers", [1])
        .sweep("chunksize", [500])
        .write(dir.path());
    let out = dir.path().join("out");
    let stderr = dir.path().join("stderr");
    let mut command = Command::new(env!("CARGO_BIN_EXE_runner"));
    command
        .arg(&file)
        .args(["--out", out.to_str().unwrap()])
        .env("REDIS_URL", server.url())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&stderr).unwrap());
    // Its own group, as a shell job is: the signal goes to it alone.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut run = Running(command.spawn().unwrap());
    wait_for_jobs(&server);
    let group = run.0.id() as i32;
    // SAFETY: kill(2) with a negative pid signals the run's own group.
    unsafe { libc::kill(-group, libc::SIGINT) };
    let status = wait_at_most(&mut run.0, Duration::from_secs(120));
    let stderr = fs::read_to_string(&stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(!stderr.contains("FAILED"), "{stderr}");
    assert_eq!(manifest(&out.join("group"))["status"], "interrupted");
    // The repeat under way when the signal came was finished, and is kept.
    let results = Csv::read(&out.join("group/results.csv"));
    assert!(!results.rows.is_empty(), "{stderr}");
    assert!(
        results.column("ok").iter().all(|ok| *ok == "true"),
        "{:?}",
        results.column("error")
    );
    assert_eq!(server.keys(), 0, "{:?}", keys(&server, "*"));
}
