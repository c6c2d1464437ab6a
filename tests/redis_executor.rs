//! Issue 13: `executor = "redis"`, workers reached through Redis Streams.
//! Each test starts its own redis-server on a free port (skipped without
//! one unless RUNNER_REQUIRE_ALL=1) and its own `runner worker`
//! processes, killed on drop; answers are checked by runner's oracle, never
//! timings.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Csv, RedisServer, experiment};

/// `runner worker` processes of a test; killed and reaped on drop.
struct Workers(Vec<Child>);

impl Workers {
    fn start(url: &str, names: &[(&str, u32)]) -> Workers {
        let mut workers = Workers(Vec::new());
        for (name, slots) in names {
            let child = Command::new(env!("CARGO_BIN_EXE_runner"))
                .args(["worker", "--slots", &slots.to_string(), "--name", name])
                .env("REDIS_URL", url)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("runner worker starts");
            workers.0.push(child);
        }
        workers
    }

    /// Stops every worker as a user would (SIGTERM) and waits for each.
    fn stop(&mut self) {
        for child in &self.0 {
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        }
        for child in &mut self.0 {
            wait_at_most(child, Duration::from_secs(20));
        }
        self.0.clear();
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits for `child`, killing it past `limit` (a hang guard, not a timing).
fn wait_at_most(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let status = child.wait().expect("wait");
            panic!("a process did not end within {limit:?} ({status})");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A coordinator run in the background, killed on drop.
struct Run {
    child: Child,
    stderr: PathBuf,
}

impl Run {
    fn start(file: &Path, out: &Path, url: &str, extra: &[&str]) -> Run {
        let stderr = out.with_extension("stderr");
        let child = Command::new(env!("CARGO_BIN_EXE_runner"))
            .arg(file)
            .args(["--out", out.to_str().unwrap()])
            .args(extra)
            .env("REDIS_URL", url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("runner starts");
        Run { child, stderr }
    }

    /// Waits for the run (at most `limit`, a hang guard); its status and stderr.
    fn finish(mut self, limit: Duration) -> (std::process::ExitStatus, String) {
        let status = wait_at_most(&mut self.child, limit);
        (status, std::fs::read_to_string(&self.stderr).unwrap())
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn connection(server: &RedisServer) -> redis::Connection {
    redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap()
}

/// The keys whose names match `pattern`.
fn keys(server: &RedisServer, pattern: &str) -> Vec<String> {
    redis::cmd("KEYS")
        .arg(pattern)
        .query(&mut connection(server))
        .unwrap()
}

/// Waits until `check` holds (a hang guard of 60 s).
fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(Instant::now() < deadline, "waited 60 s for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn summary(out: &Path, name: &str) -> Csv {
    Csv::read(&out.join(name).join("summary.csv"))
}

#[test]
fn worker_processes_give_the_oracles_answer_for_every_strategy_and_leave_no_key() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut workers = Workers::start(&server.url(), &[("alpha", 1), ("beta", 2)]);
    let primes = experiment(
        dir.path(),
        "remote_primes",
        r#"
name = "remote_primes"
[workload]
kind = "primes"
range = [1_000_000, 1_004_000]
[run]
executor = "redis"
repeats = 2
warmup = 1
[sweep]
workers = [3]
strategy = ["pool", "queue", "feeder"]
chunksize = [64]
enqueue = ["all", "odd"]
"#,
    );
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
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("remote_primes/manifest.json")).unwrap(),
    )
    .unwrap();
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

    let verify = experiment(
        dir.path(),
        "remote_verify",
        r#"
name = "remote_verify"
[workload]
kind = "verify"
numbers = [
  { name = "prime", value = 1_000_000_007 },
  { name = "non-prime", value = 1_000_036_000_099 },
]
[run]
strategy = "cooperative"
executor = "redis"
repeats = 1
warmup = 0
[sweep]
workers = [2]
flag = ["none", "redis"]
"#,
    );
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
    let file = experiment(
        dir.path(),
        "local",
        r#"
name = "local"
[workload]
kind = "primes"
range = [1000, 5000]
[run]
strategy = "pool"
executor = "redis"
spawn_local = 2
repeats = 1
warmup = 0
[sweep]
workers = [2]
chunksize = [16]
"#,
    );
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
    let file = experiment(
        dir.path(),
        "claimed",
        r#"
name = "claimed"
[workload]
kind = "primes"
range = [1_000_000_000_000, 1_000_000_060_000]
[run]
strategy = "pool"
executor = "redis"
kernel = "plain"
repeats = 1
warmup = 0
[sweep]
workers = [2]
chunksize = [500]
"#,
    );
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
    let file = experiment(
        dir.path(),
        "stopped",
        r#"
name = "stopped"
[workload]
kind = "primes"
range = [1_000_000_000_000, 1_000_002_000_000]
[run]
strategy = "pool"
executor = "redis"
kernel = "plain"
repeats = 1
warmup = 0
schedule = "blocked"
[sweep]
workers = [1]
chunksize = [100, 200]
"#,
    );
    let out = dir.path().join("out");
    let run = Run::start(&file, &out, &server.url(), &["--worker-wait", "5"]);
    let mut redis = connection(&server);
    wait_until("the case to send jobs", || {
        keys(&server, "runner:run:*:jobs")
            .pop()
            .is_some_and(|jobs| {
                redis::cmd("XLEN")
                    .arg(jobs)
                    .query::<u64>(&mut redis)
                    .is_ok_and(|n| n > 0)
            })
    });
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
    let file = experiment(
        dir.path(),
        "refuse",
        r#"
name = "refuse"
[workload]
kind = "primes"
range = [1000, 3000]
[run]
strategy = "pool"
executor = "redis"
repeats = 1
warmup = 0
[sweep]
workers = [1]
chunksize = [16]
"#,
    );
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
    let file = experiment(
        dir.path(),
        "alone",
        r#"
name = "alone"
[workload]
kind = "primes"
range = [1000, 3000]
[run]
strategy = "pool"
executor = "redis"
repeats = 1
warmup = 0
[sweep]
workers = [2]
"#,
    );
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
fn a_password_never_shows() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let mut redis = connection(&server);
    let _: () = redis::cmd("ACL")
        .arg("SETUSER")
        .arg("runner")
        .arg("on")
        .arg(">hunter2-secret")
        .arg("~*")
        .arg("&*")
        .arg("+@all")
        .query(&mut redis)
        .unwrap();
    let url = format!("redis://runner:hunter2-secret@127.0.0.1:{}", server.port);
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(
        dir.path(),
        "secret",
        r#"
name = "secret"
[workload]
kind = "primes"
range = [1000, 3000]
[run]
strategy = "pool"
executor = "redis"
spawn_local = 1
repeats = 1
warmup = 0
[sweep]
workers = [1]
"#,
    );
    let out = dir.path().join("out");
    let (status, stderr) = Run::start(&file, &out, &url, &[]).finish(Duration::from_secs(120));
    assert!(status.success(), "{stderr}");
    // Issue 20 item 13: a wrong password is a configuration error (exit
    // status 2, nothing written), with advice about the password, never
    // about starting a server; the message shows the URL, never the password.
    let wrong = format!("redis://runner:wrong-secret@127.0.0.1:{}", server.port);
    let (status, stderr) =
        Run::start(&file, &dir.path().join("out2"), &wrong, &[]).finish(Duration::from_secs(120));
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("runner:***@127.0.0.1"), "{stderr}");
    assert!(
        stderr.contains("refused runner's credentials")
            && stderr.contains("check the user and password in REDIS_URL")
            && stderr.contains("nothing was run"),
        "{stderr}"
    );
    assert!(!stderr.contains("redis-server --port"), "{stderr}");
    assert!(
        !dir.path().join("out2").exists(),
        "a refused run wrote files"
    );
    // An ACL that forbids runner's commands: the same, with ACL advice.
    let _: () = redis::cmd("ACL")
        .arg("SETUSER")
        .arg("weak")
        .arg("on")
        .arg(">weak-secret")
        .arg("~*")
        .arg("-@all")
        .query(&mut redis)
        .unwrap();
    let weak = format!("redis://weak:weak-secret@127.0.0.1:{}", server.port);
    let (status, stderr) =
        Run::start(&file, &dir.path().join("out3"), &weak, &[]).finish(Duration::from_secs(120));
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("refused a command runner needs") && stderr.contains("ACL SETUSER"),
        "{stderr}"
    );
    assert!(!stderr.contains("weak-secret"), "{stderr}");
    // `runner worker` says the same and exits 2.
    for url in [&wrong, &weak] {
        let output = Command::new(env!("CARGO_BIN_EXE_runner"))
            .args(["worker", "--name", "refused"])
            .env("REDIS_URL", url)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("ACL"), "{stderr}");
        assert!(!stderr.contains("secret"), "{stderr}");
    }
    for path in walk(dir.path()) {
        let text = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&text);
        assert!(
            !text.contains("hunter2-secret") && !text.contains("wrong-secret"),
            "{} shows a password",
            path.display()
        );
    }
    let _: () = redis::cmd("ACL")
        .arg("DELUSER")
        .arg("runner")
        .arg("weak")
        .query(&mut redis)
        .unwrap();
    assert_eq!(server.keys(), 0, "{:?}", keys(&server, "*"));
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        match path.is_dir() {
            true => files.extend(walk(&path)),
            false => files.push(path),
        }
    }
    files
}

/// A TLS-only redis-server of the test's own with a certificate from a test
/// CA; stopped on drop.
struct TlsServer {
    port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

impl TlsServer {
    /// `None` (with a message) without redis-server or openssl, or when
    /// this redis-server was built without TLS.
    fn start() -> Option<TlsServer> {
        RedisServer::start()?; // skips (or fails when required) without redis-server
        let dir = tempfile::tempdir().unwrap();
        let openssl = |args: &[&str]| {
            Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        std::fs::write(
            dir.path().join("ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
        let made = openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=runner test CA",
        ]) && openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]) && openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext",
        ]);
        if !common::require(made, "openssl could not make a test certificate") {
            return None;
        }
        let port = common::free_port();
        let child = Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args([
                "--tls-cert-file",
                "server.pem",
                "--tls-key-file",
                "server.key",
            ])
            .args(["--tls-ca-cert-file", "ca.pem", "--tls-auth-clients", "no"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let mut server = TlsServer { port, child, dir };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            if server.child.try_wait().unwrap().is_some() {
                common::require(false, "this redis-server has no TLS");
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not listen on TLS port {port} within 5 s");
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn rediss_urls_encrypt_and_an_unknown_certificate_is_refused() {
    let Some(server) = TlsServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(
        dir.path(),
        "tls",
        r#"
name = "tls"
[workload]
kind = "primes"
range = [1000, 3000]
[run]
strategy = "queue"
executor = "redis"
spawn_local = 2
repeats = 1
warmup = 0
[sweep]
workers = [2]
"#,
    );
    let url = format!("rediss://127.0.0.1:{}", server.port);
    let trusted = |out: &str| {
        let mut run = Command::new(env!("CARGO_BIN_EXE_runner"));
        run.arg(&file)
            .args(["--out", dir.path().join(out).to_str().unwrap()])
            .env("REDIS_URL", &url)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        run
    };
    // Trusted through the test CA (rustls reads SSL_CERT_FILE): it runs.
    let output = trusted("out")
        .env("SSL_CERT_FILE", server.dir.path().join("ca.pem"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        summary(&dir.path().join("out"), "tls").column("ok"),
        ["true"]
    );
    // Without the CA the certificate is refused: nothing runs in clear.
    let output = trusted("out2")
        .env_remove("SSL_CERT_FILE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("certificate"), "{stderr}");
}

#[test]
fn a_killed_coordinator_leaves_only_keys_that_expire() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut workers = Workers::start(&server.url(), &[("w", 1)]);
    let file = experiment(
        dir.path(),
        "orphan",
        r#"
name = "orphan"
[workload]
kind = "primes"
range = [1_000_000_000_000, 1_000_002_000_000]
[run]
strategy = "pool"
executor = "redis"
kernel = "plain"
repeats = 1
warmup = 0
[sweep]
workers = [1]
chunksize = [100]
"#,
    );
    let mut run = Run::start(&file, &dir.path().join("out"), &server.url(), &[]);
    let mut redis = connection(&server);
    wait_until("the case to send jobs", || {
        keys(&server, "runner:run:*:jobs")
            .pop()
            .is_some_and(|jobs| {
                redis::cmd("XLEN")
                    .arg(jobs)
                    .query::<u64>(&mut redis)
                    .is_ok_and(|n| n > 0)
            })
    });
    run.child.kill().unwrap();
    run.child.wait().unwrap();
    let all = keys(&server, "*");
    assert!(all.iter().any(|k| k.starts_with("runner:run:")), "{all:?}");
    for key in all {
        let ttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut redis).unwrap();
        assert!(ttl > 0, "{key} would never expire");
    }
    workers.stop();
}

#[test]
fn a_worker_refuses_a_run_of_another_protocol_and_waits_for_the_next() {
    use runner::backend::redis::protocol::{Assignment, Control, RunKeys, WorkerHello};
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
            .stderr(std::fs::File::create(&log).unwrap())
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
    let said = std::fs::read_to_string(&log).unwrap();
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
    use runner::backend::redis::protocol::{
        Assignment, Control, Envelope, RunKeys, Upward, WorkerHello,
    };
    use runner::work::{Job, Reply};
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
    let primes = experiment(
        dir.path(),
        "paused",
        r#"
name = "paused"
[workload]
kind = "primes"
range = [1_000_000, 1_004_000]
[run]
executor = "redis"
strategy = "pool"
repeats = 1
warmup = 0
[sweep]
workers = [1]
"#,
    );
    let out = dir.path().join("out");
    let (status, stderr) =
        Run::start(&primes, &out, &server.url(), &[]).finish(Duration::from_secs(300));
    assert!(status.success(), "{stderr}");
    let csv = summary(&out, "paused");
    assert!(csv.column("ok").iter().all(|&ok| ok == "true"), "{stderr}");
    workers.stop();
    assert_eq!(server.keys(), 0, "{:?}", keys(&server, "*"));
}

/// A one-case pool experiment behind Redis, of `workers` slots.
fn remote_pool(dir: &Path, name: &str, workers: usize, extra: &str) -> PathBuf {
    experiment(
        dir,
        name,
        &format!(
            r#"
name = "{name}"
[workload]
kind = "primes"
range = [1000, 5000]
[run]
strategy = "pool"
executor = "redis"
repeats = 1
warmup = 0
{extra}
[sweep]
workers = [{workers}]
"#
        ),
    )
}

/// Issue 20 item 3: a password in a Unix socket's URL (`?pass=`,
/// `?password=`) or in a URL that does not parse (an unencoded '#' or '/')
/// reaches no console line and no file; an experiment file holding one in
/// any form is refused at `check`, with its line and column. No server is
/// needed: none answers at these URLs.
#[test]
fn passwords_in_unix_socket_and_unparsable_urls_never_show() {
    let dir = tempfile::tempdir().unwrap();
    let file = remote_pool(dir.path(), "leak", 1, "spawn_local = 1");
    let socket = dir.path().join("nosock");
    let urls = [
        format!("redis+unix://{}?pass=LEAK-A", socket.display()),
        format!("unix://{}?db=0&password=LEAK-B", socket.display()),
        "redis://:pw#LEAK-C@127.0.0.1:1".to_string(),
        "redis://:p/wLEAK-D@127.0.0.1:1".to_string(),
    ];
    for (i, url) in urls.iter().enumerate() {
        let out = dir.path().join(format!("out{i}"));
        let output = Command::new(env!("CARGO_BIN_EXE_runner"))
            .arg(&file)
            .args(["--out", out.to_str().unwrap()])
            .env("REDIS_URL", url)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        assert!(
            !stdout.contains("LEAK") && !stderr.contains("LEAK"),
            "{url}: {stderr}"
        );
        match url.starts_with("redis://") {
            // Unparsable: a configuration error, nothing written.
            true => {
                assert_eq!(output.status.code(), Some(2), "{url}: {stderr}");
                assert!(stderr.contains("redis://***@127.0.0.1:1"), "{stderr}");
                assert!(stderr.contains("%23"), "{stderr}");
                assert!(!out.exists());
            }
            // No server at the socket: skipped, every report file written.
            false => {
                assert_eq!(output.status.code(), Some(3), "{url}: {stderr}");
                assert!(stderr.contains("?pass=***") || stderr.contains("password=***"));
                let files: Vec<_> = walk(&out);
                for name in ["results.csv", "summary.csv", "summary.json", "summary.md"] {
                    assert!(
                        files.iter().any(|f| f.ends_with(name)),
                        "no {name}: {files:?}"
                    );
                }
                for path in files {
                    let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).to_string();
                    assert!(
                        !text.contains("LEAK"),
                        "{} shows a password",
                        path.display()
                    );
                }
            }
        }
        // `runner worker` neither.
        let output = Command::new(env!("CARGO_BIN_EXE_runner"))
            .args(["worker", "--name", "leak"])
            .env("REDIS_URL", url)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(
            !stderr.contains("LEAK") && stderr.contains("***"),
            "{url}: {stderr}"
        );
    }
    // In an experiment file, a password is refused however it is written,
    // and the line holding it is not quoted.
    for (i, url) in [
        "redis+unix:///x.sock?pass=FILESECRET",
        "unix:///x.sock?password=FILESECRET",
        "redis+unix:///x.sock?db=1&P%41SS=FILESECRET",
        "redis://:FILESECRET@127.0.0.1:6379",
        "redis://user:FILESECRET@127.0.0.1:6379",
        "redis://:FILE#SECRET@127.0.0.1:6379",
    ]
    .iter()
    .enumerate()
    {
        let file = experiment(
            dir.path(),
            &format!("in_file{i}"),
            &format!(
                "name = \"in_file\"\n[workload]\nkind = \"verify\"\nnumbers = [{{ name = \"p\", value = 1_000_003 }}]\nredis_url = \"{url}\"\n[run]\nstrategy = \"cooperative\"\n[sweep]\nflag = [\"redis\"]\n"
            ),
        );
        let output = Command::new(env!("CARGO_BIN_EXE_runner"))
            .arg("check")
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{url}: {stderr}");
        assert!(
            stderr.contains(&format!("in_file{i}.toml:5:13"))
                && stderr.contains("holds a password")
                && stderr.contains("REDIS_URL="),
            "{url}: {stderr}"
        );
        assert!(!stderr.contains("SECRET"), "{url}: {stderr}");
    }
}

/// Issue 20 item 14: when every case is skipped, stdout never says "0
/// cases, all correct", and the reason is said once, not once per case;
/// each row of results.csv still carries it.
#[test]
fn a_run_whose_every_case_is_skipped_says_so_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(
        dir.path(),
        "skipped",
        r#"
name = "skipped"
[workload]
kind = "primes"
range = [1000, 5000]
[run]
strategy = "pool"
executor = "redis"
repeats = 1
warmup = 0
[sweep]
workers = [1]
chunksize = [16, 32, 64]
"#,
    );
    let out = dir.path().join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_runner"))
        .arg(&file)
        .args(["--out", out.to_str().unwrap()])
        .env(
            "REDIS_URL",
            format!("redis://127.0.0.1:{}", common::free_port()),
        )
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(!stdout.contains("all correct"), "{stdout}");
    assert!(
        stdout.contains("no case ran: 3 case(s) skipped"),
        "{stdout}"
    );
    assert_eq!(stderr.matches("cannot reach Redis").count(), 1, "{stderr}");
    assert_eq!(
        stderr.matches("needs Redis (as above)").count(),
        2,
        "{stderr}"
    );
    let rows = Csv::read(&out.join("skipped/results.csv"));
    assert_eq!(rows.rows.len(), 3);
    assert!(
        rows.column("error")
            .iter()
            .all(|e| e.contains("needs Redis: cannot reach Redis")),
        "{:?}",
        rows.column("error")
    );
}

/// Issue 20 item 4: two coordinators on one server keep their own local
/// workers: one with `spawn_local` never lends them to one without (which
/// fails for want of workers), and two with `spawn_local` each record only
/// their own.
#[test]
fn concurrent_coordinators_keep_their_own_local_workers() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(
        dir.path(),
        "mine",
        r#"
name = "mine"
[workload]
kind = "primes"
range = [1000, 20000]
[run]
strategy = "pool"
executor = "redis"
repeats = 3
warmup = 0
[sweep]
workers = [2]
chunksize = [16, 32, 64, 128]
"#,
    );
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
            &std::fs::read_to_string(dir.path().join(out).join("mine/manifest.json")).unwrap(),
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

/// The manifest's status of a report.
fn manifest_status(report: &Path) -> String {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("manifest.json")).unwrap())
            .unwrap();
    manifest["status"].as_str().unwrap().to_string()
}

/// Issue 20 item 12: SIGTERM while the last case waits for its worker
/// slots interrupts the run; the case is not failed, no "lost Redis" is
/// said, and stdout and the manifest agree.
#[test]
fn a_signal_while_a_case_waits_for_workers_interrupts_it() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = remote_pool(dir.path(), "waiting", 2, "");
    let out = dir.path().join("out");
    let (stdout, stderr) = (dir.path().join("stdout"), dir.path().join("stderr"));
    // Killed on drop, should the test fail.
    let mut run = Workers(vec![
        Command::new(env!("CARGO_BIN_EXE_runner"))
            .arg(&file)
            .args(["--out", out.to_str().unwrap(), "--worker-wait", "120"])
            .env("REDIS_URL", server.url())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap(),
    ]);
    wait_until("the case to wait for workers", || {
        !keys(&server, "runner:run:*:jobs").is_empty()
    });
    // Let it block on the lobby, as in the audit.
    std::thread::sleep(Duration::from_millis(500));
    unsafe { libc::kill(run.0[0].id() as i32, libc::SIGTERM) };
    // Far less than the 120 s wait: it does not wait on.
    let status = wait_at_most(&mut run.0[0], Duration::from_secs(30));
    let stderr = std::fs::read_to_string(&stderr).unwrap();
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(!stderr.contains("lost Redis"), "{stderr}");
    assert!(!stderr.contains("FAILED"), "{stderr}");
    let said = std::fs::read_to_string(&stdout).unwrap();
    assert!(
        !said.contains("FAILED") && !said.contains("all correct"),
        "{said}"
    );
    assert_eq!(manifest_status(&out.join("waiting")), "interrupted");
    let results = Csv::read(&out.join("waiting/results.csv"));
    assert!(
        results.column("status").iter().all(|s| *s != "failed"),
        "{:?}",
        results.column("error")
    );
    assert_eq!(server.keys(), 0, "{:?}", keys(&server, "*"));
}

/// Issue 20 item 12: a coordinator stopped (SIGSTOP) longer than its keys
/// live finds them expired, and says so, not "lost Redis ... Interrupted
/// system call". This test stops one for 33 s.
#[test]
fn a_coordinator_stopped_past_its_keys_ttl_says_they_expired() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut workers = Workers::start(&server.url(), &[("steady", 1)]);
    let file = experiment(
        dir.path(),
        "stopped",
        r#"
name = "stopped"
[workload]
kind = "primes"
range = [1_000_000_000_000, 1_000_003_000_000]
[run]
strategy = "pool"
executor = "redis"
kernel = "plain"
repeats = 1
warmup = 0
[sweep]
workers = [1]
chunksize = [200]
"#,
    );
    let out = dir.path().join("out");
    let run = Run::start(&file, &out, &server.url(), &[]);
    let mut redis = connection(&server);
    wait_until("the case to send jobs", || {
        keys(&server, "runner:run:*:jobs")
            .pop()
            .is_some_and(|jobs| {
                redis::cmd("XLEN")
                    .arg(jobs)
                    .query::<u64>(&mut redis)
                    .is_ok_and(|n| n > 0)
            })
    });
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

/// Issue 20 item 12: the Redis flag's looks, cut short by a stop and
/// continue of the process (EINTR on a socket read with a timeout), are
/// tried again, not a failed case ("Redis at ... failed: Interrupted system
/// call").
#[test]
fn a_redis_flag_survives_the_process_being_stopped_and_continued() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(
        dir.path(),
        "looks",
        &format!(
            r#"
name = "looks"
[workload]
kind = "verify"
redis_url = "{}"
numbers = [{{ name = "prime", value = 1000000000039 }}]
[run]
strategy = "cooperative"
repeats = 2
warmup = 0
[sweep]
workers = [2]
flag = ["redis"]
loop = ["counter"]
check_every = [5]
"#,
            server.url()
        ),
    );
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

/// Issue 20 item 12: Ctrl-C at a terminal signals the whole process group.
/// A run's own local workers must not die of it mid-repeat (the case would
/// fail while the run says it was interrupted): the repeat finishes, the run
/// stops, and stderr, the manifest and results.csv agree.
#[test]
fn ctrl_c_to_the_process_group_interrupts_a_spawn_local_run_cleanly() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(
        dir.path(),
        "group",
        r#"
name = "group"
[workload]
kind = "primes"
range = [1_000_000_000_000, 1_000_000_200_000]
[run]
strategy = "pool"
executor = "redis"
spawn_local = 1
repeats = 20
warmup = 0
[sweep]
workers = [1]
chunksize = [500]
"#,
    );
    let out = dir.path().join("out");
    let stderr = dir.path().join("stderr");
    let mut command = Command::new(env!("CARGO_BIN_EXE_runner"));
    command
        .arg(&file)
        .args(["--out", out.to_str().unwrap()])
        .env("REDIS_URL", server.url())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap());
    // Its own group, as a shell job is: the signal goes to it alone.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut run = Workers(vec![command.spawn().unwrap()]);
    let mut redis = connection(&server);
    wait_until("the case to send jobs", || {
        keys(&server, "runner:run:*:jobs")
            .pop()
            .is_some_and(|jobs| {
                redis::cmd("XLEN")
                    .arg(jobs)
                    .query::<u64>(&mut redis)
                    .is_ok_and(|n| n > 0)
            })
    });
    let group = run.0[0].id() as i32;
    unsafe { libc::kill(-group, libc::SIGINT) };
    let status = wait_at_most(&mut run.0[0], Duration::from_secs(120));
    let stderr = std::fs::read_to_string(&stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(!stderr.contains("FAILED"), "{stderr}");
    assert_eq!(manifest_status(&out.join("group")), "interrupted");
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
