//! The verify workload through the binary: verdicts, work counts, the flag's
//! cost per look, and what happens with and without a Redis server.

use crate::common::{Csv, RedisServer, experiment, free_port, runner};
use predicates::str::contains;

fn flags_experiment(redis_url: &str, requires: bool) -> String {
    let requires = if requires { "requires = \"redis\"" } else { "" };
    format!(
        r#"
name = "flags"
[workload]
kind = "verify"
redis_url = "{redis_url}"
numbers = [
  {{ name = "composite", value = 1000009642147 }},
  {{ name = "prime", value = 1000000000039 }},
]
[run]
strategy = "cooperative"
repeats = 2
warmup = 0
[sweep]
workers = [2]
flag = ["none", "atomic", "mmap"]
loop = ["blocked"]
check_every = [100]
[[variant]]
label = "in process"
[[variant]]
label = "redis"
flag = "redis"
{requires}
"#
    )
}

#[test]
fn verdicts_work_and_the_cost_per_look_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(
        dir.path(),
        "flags",
        &flags_experiment("redis://127.0.0.1:1", true),
    );
    let out = dir.path().join("r");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stderr(contains("marked skipped"));
    let summary = Csv::read(&out.join("flags/summary.csv"));
    let rows: Vec<_> = summary
        .rows
        .iter()
        .filter(|r| r[2] == "in process")
        .collect();
    assert_eq!(rows.len(), 6, "3 flags x 2 numbers");
    let col = |name: &str| summary.header.iter().position(|h| h == name).unwrap();
    for row in &rows {
        let prime = row[col("number_name")] == "prime";
        assert_eq!(
            row[col("answer")],
            if prime { "prime" } else { "not prime" }
        );
        assert_eq!(row[col("factor")], if prime { "" } else { "301403" });
        assert!(row[col("candidates")].parse::<u64>().unwrap() > 0);
        let shared = row[col("flag")] != "none";
        assert_eq!(
            !row[col("looks")].is_empty() && row[col("looks")] != "0",
            shared
        );
        // The price of a look is measured on the prime, where nothing stops
        // early, and only where the flag made the search slower beyond the
        // noise (which a test cannot promise): never anywhere else.
        let look = &row[col("look_ns")];
        assert!(look.is_empty() || (shared && prime), "{row:?}");
        assert!(
            look.is_empty() || look.parse::<f64>().is_ok_and(|ns| ns > 0.0),
            "{row:?}"
        );
    }
    let skipped: Vec<_> = summary
        .rows
        .iter()
        .filter(|r| r[col("status")] == "skipped")
        .collect();
    assert_eq!(skipped.len(), 2);
    assert!(skipped[0][col("error")].contains("cannot reach Redis at redis://127.0.0.1:1"));
}

#[test]
fn an_unreachable_redis_server_fails_the_cases_that_need_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let file = experiment(dir.path(), "flags", &flags_experiment(&url, false));
    let out = dir.path().join("r");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(contains("FAILED"));
    let results = Csv::read(&out.join("flags/results.csv"));
    let failed: Vec<_> = results
        .rows
        .iter()
        .filter(|r| r.contains(&"failed".to_string()))
        .collect();
    assert_eq!(failed.len(), 2, "one per number of the redis variant");
    let error = results.header.iter().position(|c| c == "error").unwrap();
    assert!(
        failed
            .iter()
            .all(|r| { r[error].contains(&format!("redis-server --port {port} --save ''")) })
    );
}

#[test]
fn with_a_server_every_redis_case_runs_and_leaves_no_key() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = experiment(dir.path(), "flags", &flags_experiment(&server.url(), true));
    let out = dir.path().join("r");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let summary = Csv::read(&out.join("flags/summary.csv"));
    assert!(summary.column("status").iter().all(|&s| s == "ok"));
    assert_eq!(
        summary
            .column("flag")
            .iter()
            .filter(|&&f| f == "redis")
            .count(),
        2
    );
    assert_eq!(server.keys(), 0);
}
