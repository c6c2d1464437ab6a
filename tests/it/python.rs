//! The chapter's programs in Python (python/) give the oracle's
//! answers under CPython, for small ranges and every option and flag. Each
//! runs through runner as a command workload, so runner's oracle checks
//! every answer. Skipped with a message when python3 is missing; the Redis
//! flag runs against a server of the test's own (see common::RedisServer),
//! and is skipped when redis-py is missing unless RUNNER_REQUIRE_ALL=1.

use std::process::Command;

use crate::common::{Csv, RedisServer, experiment, runner};

/// Whether python3 runs (and imports `module`).
fn has_python(module: Option<&str>) -> bool {
    let code = module.map_or("pass".to_string(), |m| format!("import {m}"));
    Command::new("python3")
        .args(["-c", &code])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `toml` (an experiment with `name = "NAME"`) and returns its summary.
fn run(name: &str, toml: &str) -> Csv {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(dir.path(), name, toml);
    let out = dir.path().join("reports");
    let output = runner().arg(&file).arg("--out").arg(&out).output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0), "{said}");
    let summary = Csv::read(&out.join(name).join("summary.csv"));
    let errors = summary.column("error").join("\n");
    assert!(
        summary.column("status").iter().all(|s| *s == "ok"),
        "{errors}\n{said}"
    );
    assert!(said.contains("all correct"), "{said}");
    summary
}

#[test]
fn the_pool_gives_the_oracles_primes_for_every_chunking_and_order() {
    require!(has_python(None), "python3 is not installed");
    let summary = run(
        "py_pool",
        r#"
name = "py_pool"
[workload]
kind = "command"
command = ["python3", "python/pool.py", "--start", "{range_start}", "--end", "{range_end}", "--workers", "{workers}", "--chunksize", "{chunksize}", "--order", "{order}"]
range = [100_000_000, 100_002_000]
answer = "primes"
clock = "program"
timeout_s = 120
[run]
strategy = "pool"
repeats = 1
warmup = 0
[sweep]
workers = [2]
chunksize = [1, 7, "default"]
order = ["given", "shuffled", "slowest_first"]
[[variant]]
label = "by size"
[[variant]]
label = "by number of chunks"
nbr_chunks = 3
order = "shuffled"
"#,
    );
    assert_eq!(summary.rows.len(), 10);
    // range [1e8, 1e8 + 2000) holds 110 primes.
    assert!(summary.column("answer").iter().all(|a| *a == "110"));
    assert!(summary.column("note")[0].contains("program's own clock"));
}

#[test]
fn the_queue_gives_the_oracles_primes_with_both_queues_all_or_odd_and_the_feeder() {
    require!(has_python(None), "python3 is not installed");
    let summary = run(
        "py_queue",
        r#"
name = "py_queue"
[workload]
kind = "command"
command = ["python3", "python/work_queue.py", "--start", "{range_start}", "--end", "{range_end}", "--workers", "{workers}", "--enqueue", "{enqueue}", "--queue", "{queue}", "--feeder", "{feeder}"]
answer = "primes"
clock = "program"
timeout_s = 120
params = { queue = "mp", feeder = "no" }
[run]
strategy = "queue"
repeats = 1
warmup = 0
[sweep]
range = [[100_000_000, 100_000_500], [0, 300]]
workers = [2]
enqueue = ["all", "odd"]
[sweep.params]
queue = ["mp", "manager"]
[[variant]]
label = "queue"
[[variant]]
label = "feeder"
strategy = "feeder"
params = { feeder = "yes" }
"#,
    );
    assert_eq!(summary.rows.len(), 16);
    for (start, answer) in summary
        .column("range_start")
        .iter()
        .zip(summary.column("answer"))
    {
        // 27 primes in [1e8, 1e8 + 500); 62 below 300, 2 among them.
        let want = if *start == "0" { "62" } else { "27" };
        assert_eq!(answer, want);
    }
}

const VERIFY: &str = r#"
name = "py_verify"
[workload]
kind = "command"
command = ["python3", "python/verify.py", "--number", "{number}", "--workers", "{workers}", "--precheck", "{precheck}", "--flag", "{flag}", "--loop", "{loop|counter}", "--check-every", "{check_every|1000}"]
numbers = [
  { name = "small non-prime", value = 112272535095295 },
  { name = "non-prime", value = 1000009642147 },
  { name = "prime", value = 1000000000039 },
  { name = "tiny prime", value = 13 },
]
answer = "verdict"
clock = "program"
timeout_s = 120
REDIS
[run]
strategy = "cooperative"
repeats = 1
warmup = 0
[sweep]
workers = [2]
check_every = [100]
FLAGS
"#;

#[test]
fn verify_gives_the_oracles_verdicts_naive_less_naive_and_with_every_local_flag() {
    require!(has_python(None), "python3 is not installed");
    let toml = VERIFY.replace("REDIS", "").replace(
        "FLAGS",
        "precheck = [0, 21]\nflag = [\"none\", \"manager\", \"atomic\", \"mutex\", \"mmap\"]\nloop = [\"counter\", \"blocked\"]",
    );
    let summary = run("py_verify", &toml);
    // 2 prechecks x (none, without a loop, + 4 flags x 2 loops) x 4 numbers.
    assert_eq!(summary.rows.len(), 2 * 9 * 4);
    for (name, answer) in summary
        .column("number_name")
        .iter()
        .zip(summary.column("answer"))
    {
        let want = if name.contains("prime") && !name.contains("non") {
            "prime"
        } else {
            "not prime"
        };
        assert_eq!(answer, want, "{name}");
    }
    let factors = summary.column("factor");
    assert!(factors.contains(&"5"), "{factors:?}");
    assert!(factors.contains(&"301403"), "{factors:?}");
}

#[test]
fn verify_with_the_redis_flag_gives_the_oracles_verdicts() {
    require!(has_python(None), "python3 is not installed");
    require!(
        has_python(Some("redis")),
        "redis-py is not installed (pip install redis)"
    );
    let Some(server) = RedisServer::start() else {
        return;
    };
    let toml = VERIFY
        .replace("REDIS", &format!("redis_url = \"{}\"", server.url()))
        .replace(
            "FLAGS",
            "precheck = [21]\nflag = [\"redis\"]\nloop = [\"counter\", \"blocked\"]",
        );
    let summary = run("py_verify", &toml);
    assert_eq!(summary.rows.len(), 2 * 4);
    // Each run removes its key: nothing is left on the server.
    assert_eq!(server.keys(), 0);
}
