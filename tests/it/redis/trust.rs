//! `runner worker` trusts nothing it reads from Redis (issue 20: a crafted
//! assignment once made a worker overwrite a file). Each test starts its own redis-server and one live worker, then
//! plays a hostile coordinator: crafted control messages and job entries,
//! written as the wire writes them (JSON controls, postcard job entries).
//! After each one the worker must still be alive and serve a good run; it
//! must never open a path or a socket a message names, nor start more
//! threads than its `--slots`. Skipped without redis-server unless
//! RUNNER_REQUIRE_ALL=1.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use runner::backend::redis::protocol::{
    Assignment, Control, Done, Envelope, RunKeys, Upward, WorkerHello,
};
use runner::backend::wire::PROTOCOL;
use runner::flag::FlagSpec;
use runner::work::{Chunk, Job, KernelSpec, Reply};
use serde_json::{Value, json};

use crate::common::RedisServer;

/// One `runner worker` of the test; killed and reaped on drop.
struct LiveWorker {
    child: Child,
    log: PathBuf,
}

impl LiveWorker {
    fn start(url: &str, slots: u32, dir: &Path) -> LiveWorker {
        let log = dir.join("worker.stderr");
        let child = Command::new(env!("CARGO_BIN_EXE_runner"))
            .args(["worker", "--slots", &slots.to_string(), "--name", "target"])
            .env("REDIS_URL", url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("runner worker starts");
        LiveWorker { child, log }
    }

    /// Asserts the worker still runs, with what it said if not.
    fn assert_alive(&mut self, after: &str) {
        let status = self.child.try_wait().unwrap();
        assert!(
            status.is_none(),
            "the worker exited ({status:?}) after {after}: {}",
            self.said()
        );
    }

    fn said(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The threads of the worker process now.
    fn threads(&self) -> usize {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("Threads:"))
            .and_then(|n| n.trim().parse().ok())
            .expect("a thread count")
    }
}

impl Drop for LiveWorker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The test playing coordinator (or attacker) on the server.
struct Hostile {
    redis: redis::Connection,
    server_port: u16,
    runs: u32,
}

/// A run's keys made as a coordinator makes them; deleted on drop.
struct FakeRun {
    keys: RunKeys,
    /// The last reply entry read.
    last: String,
    port: u16,
}

impl Drop for FakeRun {
    fn drop(&mut self) {
        if let Ok(mut redis) = connect(self.port) {
            let _: redis::RedisResult<()> = redis::cmd("DEL")
                .arg(&self.keys.all()[..])
                .arg(self.keys.flag(1))
                .query(&mut redis);
        }
    }
}

fn connect(port: u16) -> redis::RedisResult<redis::Connection> {
    let connection = redis::Client::open(format!("redis://127.0.0.1:{port}"))?
        .get_connection_with_timeout(Duration::from_secs(5))?;
    // A hang guard: no read waits longer than this.
    connection.set_read_timeout(Some(Duration::from_secs(60)))?;
    Ok(connection)
}

impl Hostile {
    fn new(server: &RedisServer) -> Hostile {
        Hostile {
            redis: connect(server.port).unwrap(),
            server_port: server.port,
            runs: 0,
        }
    }

    /// The worker's hello, popped from the lobby: proof that it waits for a run.
    fn hello(&mut self) -> WorkerHello {
        let (_, text): (String, String) = redis::cmd("BLPOP")
            .arg("runner:lobby")
            .arg(30)
            .query(&mut self.redis)
            .expect("the worker's hello in the lobby within 30 s");
        serde_json::from_str(&text).unwrap()
    }

    /// A fresh run's keys, as a coordinator creates them.
    fn run(&mut self) -> FakeRun {
        self.runs += 1;
        let prefix = format!("runner:run:hostile-{}", self.runs);
        self.run_named(&prefix)
    }

    /// A run's keys under any prefix (the audit's was `evil:run`).
    fn run_named(&mut self, prefix: &str) -> FakeRun {
        let keys = RunKeys {
            prefix: prefix.to_string(),
        };
        let _: () = redis::pipe()
            .cmd("XGROUP")
            .arg("CREATE")
            .arg(keys.jobs())
            .arg("workers")
            .arg("$")
            .arg("MKSTREAM")
            .ignore()
            .cmd("XADD")
            .arg(keys.replies())
            .arg("*")
            .arg("open")
            .arg(1)
            .ignore()
            .cmd("SET")
            .arg(keys.alive())
            .arg(1)
            .arg("EX")
            .arg(120)
            .ignore()
            .query(&mut self.redis)
            .unwrap();
        FakeRun {
            keys,
            last: "0-0".into(),
            port: self.server_port,
        }
    }

    /// A valid assignment of `run` to `hello`'s worker, as JSON to tweak.
    fn assignment(hello: &WorkerHello, run: &FakeRun, slots: usize) -> Value {
        serde_json::to_value(Control::Assign(Assignment {
            protocol: hello.protocol,
            runner: hello.runner.clone(),
            keys: run.keys.clone(),
            slots,
            kernel: KernelSpec::new(runner::experiment::Kernel::Plain, 0),
            flag: FlagSpec::None,
            claim_idle_ms: 3000,
        }))
        .unwrap()
    }

    /// Pushes raw bytes on the worker's control list.
    fn control(&mut self, hello: &WorkerHello, message: &[u8]) {
        let _: () = redis::cmd("RPUSH")
            .arg(format!("runner:worker:{}:control", hello.id))
            .arg(message)
            .query(&mut self.redis)
            .unwrap();
    }

    /// The next entry the worker adds to `run`'s replies (30 s at most).
    fn upward(&mut self, run: &mut FakeRun) -> Upward {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            assert!(Instant::now() < deadline, "no reply within 30 s");
            let read: Option<redis::streams::StreamReadReply> = redis::cmd("XREAD")
                .arg("BLOCK")
                .arg(1000)
                .arg("STREAMS")
                .arg(run.keys.replies())
                .arg(&run.last)
                .query(&mut self.redis)
                .unwrap();
            for entry in read.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids) {
                run.last = entry.id.clone();
                if let Some(redis::Value::BulkString(bytes)) = entry.map.get("r") {
                    return postcard::from_bytes(bytes).expect("a reply runner can read");
                }
            }
        }
    }

    /// Adds a raw job entry (field `j` unless told otherwise) to `run`'s jobs.
    fn job_entry(&mut self, run: &FakeRun, field: &str, bytes: &[u8]) {
        let _: String = redis::cmd("XADD")
            .arg(run.keys.jobs())
            .arg("*")
            .arg(field)
            .arg(bytes)
            .query(&mut self.redis)
            .unwrap();
    }

    fn job(&mut self, run: &FakeRun, seq: u64, job: Job) {
        let bytes = postcard::to_stdvec(&Envelope { seq, round: 1, job }).unwrap();
        self.job_entry(run, "j", &bytes);
    }

    /// The worker's answer to the next job entry.
    fn done(&mut self, run: &mut FakeRun) -> Done {
        match self.upward(run) {
            Upward::Done(done) => done,
            other => panic!("expected a served job, got {other:?}"),
        }
    }

    /// Assigns `run` with a valid assignment and waits for Ready.
    fn assign_valid(&mut self, hello: &WorkerHello, run: &mut FakeRun, slots: usize) {
        let message = Hostile::assignment(hello, run, slots);
        self.control(hello, message.to_string().as_bytes());
        match self.upward(run) {
            Upward::Ready { slots: ready, .. } => assert_eq!(ready, slots),
            other => panic!("expected Ready, got {other:?}"),
        }
    }

    /// Proves the worker still serves: a good run, a prime found, and the
    /// worker back in the lobby once the run's keys are gone.
    fn serves(&mut self, worker: &mut LiveWorker, hello: &WorkerHello, after: &str) {
        worker.assert_alive(after);
        let mut run = self.run();
        self.assign_valid(hello, &mut run, 1);
        self.job(&run, 1, Job::Queued(1_000_003));
        let done = self.done(&mut run);
        assert_eq!(done.reply, Some(Reply::Prime(1_000_003)), "after {after}");
        drop(run);
        assert_eq!(self.hello().id, hello.id, "back in the lobby after {after}");
        worker.assert_alive(after);
    }
}

/// The set-up every test shares: a server, a worker of `slots`, its hello.
fn live(
    slots: u32,
) -> Option<(
    RedisServer,
    tempfile::TempDir,
    LiveWorker,
    Hostile,
    WorkerHello,
)> {
    let server = RedisServer::start()?;
    let dir = tempfile::tempdir().unwrap();
    let worker = LiveWorker::start(&server.url(), slots, dir.path());
    let mut hostile = Hostile::new(&server);
    let hello = hostile.hello();
    assert_eq!(hello.protocol, PROTOCOL);
    assert_eq!(hello.slots, slots as usize);
    Some((server, dir, worker, hostile, hello))
}

/// The worker leaves no key behind once stopped.
fn stop_and_check_keys(mut worker: LiveWorker, server: &RedisServer) {
    unsafe { libc::kill(worker.child.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(20);
    while worker.child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "the worker did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.keys(), 0, "keys left behind");
}

/// An assignment naming a flag in a file or behind a socket is
/// refused with a typed failure; the worker opens neither (the audit's
/// repro overwrote a file's first byte), and serves the next run.
#[test]
fn a_worker_never_opens_a_path_or_socket_an_assignment_names() {
    let Some((server, dir, mut worker, mut hostile, hello)) = live(1) else {
        return;
    };
    let victim = dir.path().join("victim.txt");
    let text = b"HELLO WORLD, this is an important file";
    std::fs::write(&victim, text).unwrap();
    let modified = std::fs::metadata(&victim).unwrap().modified().unwrap();
    let socket = dir.path().join("manager.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    listener.set_nonblocking(true).unwrap();
    let flags = [
        (
            "atomic",
            FlagSpec::Atomic {
                path: victim.clone(),
            },
        ),
        (
            "mmap",
            FlagSpec::Mmap {
                path: victim.clone(),
            },
        ),
        (
            "mutex",
            FlagSpec::Mutex {
                path: victim.clone(),
            },
        ),
        (
            "manager",
            FlagSpec::Manager {
                socket: socket.clone(),
            },
        ),
    ];
    for (name, flag) in flags {
        // The audit's run was not under runner's prefix: refused all the same.
        let mut run = match name {
            "atomic" => hostile.run_named("evil:run"),
            _ => hostile.run(),
        };
        let mut message = Hostile::assignment(&hello, &run, 1);
        message["assign"]["flag"] = serde_json::to_value(&flag).unwrap();
        hostile.control(&hello, message.to_string().as_bytes());
        // The audit's job: a search that would raise the flag.
        hostile.job(
            &run,
            1,
            Job::Search {
                n: 15,
                lo: 3,
                hi: 5,
                style: runner::experiment::LoopStyle::Blocked,
                check_every: 1,
            },
        );
        match hostile.upward(&mut run) {
            Upward::Failed { worker: id, why } => {
                assert_eq!(id, hello.id);
                assert!(
                    why.contains(&format!("`{name}` flag")) && why.contains("opens none"),
                    "{why}"
                );
            }
            other => panic!("the {name} flag was not refused: {other:?}"),
        }
        // It goes back to waiting, and served nothing of that run.
        assert_eq!(hostile.hello().id, hello.id);
        let pending: u64 = redis::cmd("XLEN")
            .arg(run.keys.jobs())
            .query(&mut hostile.redis)
            .unwrap();
        assert_eq!(pending, 1, "the {name} run's job was taken");
        worker.assert_alive(name);
    }
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        text,
        "the file was written"
    );
    assert_eq!(
        std::fs::metadata(&victim).unwrap().modified().unwrap(),
        modified
    );
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the worker connected to the socket"
    );
    assert!(
        worker.said().contains("a run was refused"),
        "{}",
        worker.said()
    );

    // The flags a remote run can use are served: none (above) and redis,
    // whose key the worker reaches with its own URL.
    let mut run = hostile.run();
    let mut message = Hostile::assignment(&hello, &run, 1);
    message["assign"]["flag"] =
        json!({"redis": {"url": "redis://127.0.0.1:1", "key": "runner:flag:x"}});
    hostile.control(&hello, message.to_string().as_bytes());
    assert!(matches!(hostile.upward(&mut run), Upward::Ready { .. }));
    hostile.job(
        &run,
        1,
        Job::Search {
            n: 15,
            lo: 3,
            hi: 5,
            style: runner::experiment::LoopStyle::Blocked,
            check_every: 1,
        },
    );
    match hostile.done(&mut run).reply {
        Some(Reply::Searched { factor, .. }) => assert_eq!(factor, Some(3)),
        other => panic!("{other:?}"),
    }
    drop(run);
    assert_eq!(hostile.hello().id, hello.id);
    hostile.serves(&mut worker, &hello, "every kind of flag");
    stop_and_check_keys(worker, &server);
}

/// A run asking more slots than the worker's own `--slots` is
/// refused (no thread is started for it), never a panic.
#[test]
fn a_worker_refuses_more_slots_than_its_own() {
    let Some((server, _dir, mut worker, mut hostile, hello)) = live(2) else {
        return;
    };
    for slots in [json!(3), json!(100_000), json!(u64::MAX), json!(0)] {
        let mut run = hostile.run();
        let mut message = Hostile::assignment(&hello, &run, 1);
        message["assign"]["slots"] = slots.clone();
        hostile.control(&hello, message.to_string().as_bytes());
        match hostile.upward(&mut run) {
            Upward::Failed { why, .. } => assert!(
                why.contains(&format!("{slots} slot(s) asked")) && why.contains("has 2"),
                "{why}"
            ),
            other => panic!("{slots} slots were not refused: {other:?}"),
        }
        drop(run);
        assert_eq!(hostile.hello().id, hello.id);
        // Main, heartbeat: no slot thread was started.
        assert!(worker.threads() <= 2, "{} threads", worker.threads());
        worker.assert_alive(&format!("{slots} slots"));
    }
    // Its own count is served.
    let mut run = hostile.run();
    hostile.assign_valid(&hello, &mut run, 2);
    assert!(worker.threads() <= 4, "{} threads", worker.threads());
    drop(run);
    assert_eq!(hostile.hello().id, hello.id);
    hostile.serves(&mut worker, &hello, "a huge slots count");
    stop_and_check_keys(worker, &server);
}

/// Garbage, truncated, oversize and foreign control messages,
/// and huge numbers, are refused or ignored; the worker waits on.
#[test]
fn crafted_control_messages_leave_the_worker_serving() {
    let Some((server, _dir, mut worker, mut hostile, hello)) = live(1) else {
        return;
    };
    let run = hostile.run();
    let valid = Hostile::assignment(&hello, &run, 1).to_string();
    drop(run);
    let mut oversize = Hostile::assignment(&hello, &hostile.run(), 1);
    oversize["assign"]["runner"] = json!("x".repeat(70 << 10));
    let ignored: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"\x00\xffgarbage{".to_vec()),
        ("an empty message", Vec::new()),
        (
            "a truncated message",
            valid.as_bytes()[..valid.len() / 2].to_vec(),
        ),
        ("an oversize message", oversize.to_string().into_bytes()),
        ("a `stop` (no such control)", b"\"stop\"".to_vec()),
        (
            "an unknown control",
            br#"{"launch": {"program": "/bin/sh"}}"#.to_vec(),
        ),
        (
            "slots beyond any integer",
            valid.replace("\"slots\":1", "\"slots\":1e300").into_bytes(),
        ),
        (
            "negative slots",
            valid.replace("\"slots\":1", "\"slots\":-1").into_bytes(),
        ),
    ];
    for (what, message) in ignored {
        hostile.control(&hello, &message);
        assert_eq!(hostile.hello().id, hello.id, "after {what}");
        worker.assert_alive(what);
    }
    // Refused with a reply where the run exists, or only said where its
    // keys are not runner's.
    type Tweak = Box<dyn Fn(&mut Value)>;
    let tweaks: Vec<(&str, Tweak, Option<&str>)> = vec![
        (
            "another protocol",
            Box::new(|m| m["assign"]["protocol"] = json!(PROTOCOL + 1)),
            Some("cannot work with protocol"),
        ),
        (
            "a protocol beyond u32",
            Box::new(|m| m["assign"]["protocol"] = json!(u64::MAX)),
            None,
        ),
        (
            "a huge claim time",
            Box::new(|m| m["assign"]["claim_idle_ms"] = json!(u64::MAX)),
            Some("claim time"),
        ),
        (
            "a zero claim time",
            Box::new(|m| m["assign"]["claim_idle_ms"] = json!(0)),
            Some("claim time"),
        ),
        (
            "keys of no run",
            Box::new(|m| m["assign"]["keys"]["prefix"] = json!("evil:none")),
            None,
        ),
        (
            "unprintable keys",
            Box::new(|m| m["assign"]["keys"]["prefix"] = json!("runner:run:\u{1b}[2J")),
            None,
        ),
        (
            "oversize keys",
            Box::new(|m| {
                m["assign"]["keys"]["prefix"] = json!(format!("runner:run:{}", "k".repeat(10_000)))
            }),
            None,
        ),
    ];
    for (what, tweak, reply) in tweaks {
        let mut run = hostile.run();
        let mut message = Hostile::assignment(&hello, &run, 1);
        tweak(&mut message);
        hostile.control(&hello, message.to_string().as_bytes());
        if let Some(reply) = reply {
            match hostile.upward(&mut run) {
                Upward::Failed { why, .. } => assert!(why.contains(reply), "{what}: {why}"),
                other => panic!("{what} was not refused: {other:?}"),
            }
        }
        assert_eq!(hostile.hello().id, hello.id, "after {what}");
        worker.assert_alive(what);
    }
    // A huge number the kernel can take: the largest max_n (its table is capped).
    let mut run = hostile.run();
    let mut message = Hostile::assignment(&hello, &run, 1);
    message["assign"]["kernel"]["kernel"] = json!("fast");
    message["assign"]["kernel"]["max_n"] = json!(u64::MAX);
    hostile.control(&hello, message.to_string().as_bytes());
    assert!(matches!(hostile.upward(&mut run), Upward::Ready { .. }));
    hostile.job(&run, 1, Job::Queued(u64::MAX));
    assert_eq!(hostile.done(&mut run).reply, None, "2^64 - 1 is not prime");
    drop(run);
    assert_eq!(hostile.hello().id, hello.id);
    // Its control list made a string by someone else: removed, and it waits on.
    let control = format!("runner:worker:{}:control", hello.id);
    let _: () = redis::cmd("SET")
        .arg(&control)
        .arg("not a list")
        .query(&mut hostile.redis)
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while redis::cmd("EXISTS")
        .arg(&control)
        .query::<bool>(&mut hostile.redis)
        .unwrap()
    {
        assert!(
            Instant::now() < deadline,
            "the string stayed in its control key"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    hostile.serves(&mut worker, &hello, "crafted control messages");
    assert!(
        worker.said().contains("a run was refused"),
        "{}",
        worker.said()
    );
    assert!(!worker.said().contains("panicked"), "{}", worker.said());
    stop_and_check_keys(worker, &server);
}

/// Garbage, truncated and oversize job entries, huge numbers and
/// ranges are answered as failed jobs, at once; a run whose keys are of
/// the wrong type is left; the worker serves on.
#[test]
fn crafted_job_entries_leave_the_worker_serving() {
    let Some((server, _dir, mut worker, mut hostile, hello)) = live(1) else {
        return;
    };
    let mut run = hostile.run();
    hostile.assign_valid(&hello, &mut run, 1);
    let envelope = |job: Job| {
        postcard::to_stdvec(&Envelope {
            seq: 9,
            round: 1,
            job,
        })
        .unwrap()
    };
    let valid = envelope(Job::Queued(1_000_003));
    // A List whose length prefix says 2^62 numbers (varint), then nothing.
    let mut huge_list = vec![9, 1, 0, 1, 1];
    huge_list.extend([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]);
    let mut oversize = valid.clone();
    oversize.resize((64 << 20) + 1, 0);
    let refused: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "garbage",
            "j",
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff".to_vec(),
        ),
        ("an empty entry", "j", Vec::new()),
        ("a truncated entry", "j", valid[..valid.len() - 2].to_vec()),
        ("no field j", "x", valid.clone()),
        ("a list of 2^62 numbers", "j", huge_list),
        (
            "a range of 2^64 numbers",
            "j",
            envelope(Job::Primes {
                task: 1,
                numbers: Chunk::Range {
                    start: 0,
                    end: u64::MAX,
                },
            }),
        ),
        (
            "a range of 2^64 numbers to factor",
            "j",
            envelope(Job::Factors {
                task: 1,
                numbers: Chunk::Range {
                    start: 1,
                    end: u64::MAX,
                },
            }),
        ),
        ("an oversize entry", "j", oversize),
    ];
    for (what, field, bytes) in refused {
        hostile.job_entry(&run, field, &bytes);
        let done = hostile.done(&mut run);
        assert!(
            matches!(done.reply, Some(Reply::Failed(_))),
            "{what}: {:?}",
            done.reply
        );
        worker.assert_alive(what);
    }
    // Served, and answered at once.
    let served: Vec<(&str, Job, Option<Reply>)> = vec![
        (
            "a reversed range",
            Job::Primes {
                task: 2,
                numbers: Chunk::Range { start: 10, end: 5 },
            },
            Some(Reply::Primes {
                task: 2,
                primes: vec![],
                stamp: Default::default(),
            }),
        ),
        ("the largest number", Job::Queued(u64::MAX), None),
        ("zero", Job::Queued(0), None),
        (
            "a search of n = 0 from 0",
            Job::Search {
                n: 0,
                lo: 0,
                hi: u64::MAX,
                style: runner::experiment::LoopStyle::Counter,
                check_every: 0,
            },
            None,
        ),
    ];
    for (what, job, expected) in served {
        hostile.job(&run, 10, job);
        let done = hostile.done(&mut run);
        if let Some(mut expected) = expected {
            // The worker's stamp (its clock) is its own; the rest must match.
            if let (Some(Reply::Primes { stamp: got, .. }), Reply::Primes { stamp, .. }) =
                (&done.reply, &mut expected)
            {
                *stamp = *got;
            }
            assert_eq!(done.reply, Some(expected), "{what}");
        }
        worker.assert_alive(what);
    }
    hostile.job(&run, 11, Job::Queued(1_000_003));
    assert_eq!(hostile.done(&mut run).reply, Some(Reply::Prime(1_000_003)));
    drop(run);
    assert_eq!(hostile.hello().id, hello.id);

    // A run whose jobs key is not a stream is left, not the worker.
    let mut run = hostile.run();
    hostile.assign_valid(&hello, &mut run, 1);
    let _: () = redis::pipe()
        .cmd("DEL")
        .arg(run.keys.jobs())
        .ignore()
        .cmd("SET")
        .arg(run.keys.jobs())
        .arg("not a stream")
        .ignore()
        .query(&mut hostile.redis)
        .unwrap();
    assert_eq!(hostile.hello().id, hello.id);
    drop(run);
    // A run whose replies key is not a stream: it cannot say Ready, leaves.
    let run = hostile.run();
    let _: () = redis::pipe()
        .cmd("DEL")
        .arg(run.keys.replies())
        .ignore()
        .cmd("SET")
        .arg(run.keys.replies())
        .arg("not a stream")
        .ignore()
        .query(&mut hostile.redis)
        .unwrap();
    let message = Hostile::assignment(&hello, &run, 1);
    hostile.control(&hello, message.to_string().as_bytes());
    assert_eq!(hostile.hello().id, hello.id);
    drop(run);
    hostile.serves(&mut worker, &hello, "crafted job entries");
    assert!(!worker.said().contains("panicked"), "{}", worker.said());
    stop_and_check_keys(worker, &server);
}
