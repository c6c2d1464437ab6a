//! A Redis that cannot be reached, or that is not Redis: one short probe
//! per run rather than a timeout per case, one line per failed case, advice
//! that names the URL's own port, and a run whose every case is skipped
//! says so once. No redis-server is needed: nothing, or a stranger,
//! answers at these ports.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

use super::remote;
use crate::common::{self, Csv, Exp, runner};

/// A verify experiment of `numbers` whose Redis flag is at `port`, beside
/// the atomic flag, one repeat.
fn flags_at(name: &str, port: u16, numbers: &[(&str, u64)]) -> Exp {
    Exp::verify(name)
        .numbers(numbers)
        .workload("redis_url", format!("redis://127.0.0.1:{port}"))
        .strategy("cooperative")
        .run("repeats", 1)
        .sweep("flag", ["atomic", "redis"])
}

/// A server that accepts connections and never answers costs one short
/// probe per run, not a timeout per case, and its failure is one line.
#[test]
fn a_silent_redis_server_costs_one_probe() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let numbers = [("a", 1_000_003), ("b", 1_000_033), ("c", 1_000_037)];
    let file = flags_at("silent", port, &numbers).write(dir.path());
    let started = Instant::now();
    let output = runner()
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("reports"))
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    drop(silent);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}: {stderr}");
    let failed: Vec<&str> = stderr.lines().filter(|l| l.contains("FAILED")).collect();
    assert_eq!(failed.len(), 3, "{stderr}");
    assert!(
        failed.iter().all(|l| l.contains("cannot reach Redis")),
        "{stderr}"
    );
    assert!(
        failed.iter().all(|l| l.contains("redis_url")),
        "names the setting: {stderr}"
    );
}

/// An error that spans lines (a web server answering on the Redis port)
/// still makes one line per case.
#[test]
fn a_multi_line_server_error_stays_on_one_line() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { break };
            let _ = stream.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n\r\nnot redis\r\n",
            );
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let file = flags_at("web", port, &[("a", 1_000_003)]).write(dir.path());
    let output = runner()
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("reports"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let case_lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(case_lines.len(), 2, "{stderr}");
    assert!(
        stderr
            .lines()
            .all(|l| !l.starts_with("Content-") && !l.starts_with("not redis")),
        "{stderr}"
    );
    drop(server);
}

/// The advice for an unreachable Redis (start a server) names the port of
/// the experiment's `redis_url`, not the default 6379.
#[test]
fn the_redis_advice_names_the_urls_port() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let file = flags_at("r", port, &[("p", 1_000_003)])
        .run("warmup", 0)
        .sweep("flag", ["redis"])
        .write(dir.path());
    runner()
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("reports"))
        .assert()
        .code(1)
        .stderr(contains(format!("redis-server --port {port} ")))
        .stderr(contains("--port 6379").not());
}

/// When every case is skipped, stdout never says "0 cases, all correct",
/// and the reason is said once, not once per case; each row of results.csv
/// still carries it.
#[test]
fn a_run_whose_every_case_is_skipped_says_so_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = remote("skipped")
        .range(1000, 5000)
        .sweep("workers", [1])
        .sweep("chunksize", [16, 32, 64])
        .write(dir.path());
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
