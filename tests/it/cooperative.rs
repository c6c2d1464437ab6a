//! The cooperative search and its flags. In process: every number is
//! classified correctly for any workers, precheck, flag, loop style and
//! check_every; flags are shared across handles, and a raised flag stops a
//! worker within one block. Through the binary (the verify workload):
//! verdicts, work counts and the flag's cost per look are recorded, and a
//! Redis flag's cases run with a server and fail or are skipped without.

use std::sync::Arc;

use predicates::str::contains;
use proptest::prelude::*;
use runner::backend::{QueueSetup, Threads};
use runner::experiment::LoopStyle;
use runner::flag::{AtomicFlag, Flag, ManagerFlag, MmapFlag, MutexFlag, NoFlag, RedisFlag};
use runner::primes::oracle::is_prime_u64;
use runner::primes::{FastTester, PlainTester, PrimeTest};
use runner::strategy::cooperative::{Cooperation, Verdict, verify};
use runner::work::search::search;
use runner::workload::verify::serial;

use crate::common::{Csv, Exp, RedisServer, free_port, runner};

const STYLES: [LoopStyle; 3] = [LoopStyle::Counter, LoopStyle::Lookahead, LoopStyle::Blocked];

/// Classifies `n` with a fresh pool and checks the verdict against the oracle.
fn verify_with<F: Flag, T: PrimeTest + 'static>(
    mut flag: F,
    test: T,
    workers: usize,
    how: Cooperation,
    n: u64,
) {
    let test = Arc::new(test);
    let workers =
        Threads::start(workers, &test, &flag, QueueSetup::default()).expect("the workers start");
    let verified = verify(&workers, &test, &mut flag, n, how).expect("no worker fails");
    match verified.verdict {
        Verdict::Prime => assert!(is_prime_u64(n), "{n} called prime with {how:?}"),
        Verdict::NotPrime { factor } => {
            assert!(!is_prime_u64(n), "{n} called not prime with {how:?}");
            if let Some(d) = factor {
                assert!(
                    d > 1 && d < n && n.is_multiple_of(d),
                    "{d} does not divide {n}"
                );
            }
        }
    }
}

/// Numbers every combination must classify: tiny ones, squares of primes
/// (the factor is the last candidate), products near the range edges, and
/// numbers just below 2^64 with a small factor.
fn edge_numbers() -> Vec<u64> {
    let mut numbers: Vec<u64> = (0..=40).collect();
    for p in [17u64, 19, 23, 1_009, 65_521] {
        numbers.extend([p * p, p * p + 2, p * (p + 2)]);
    }
    numbers.extend([
        1_000_009_642_147,          // 301403 x 3317849: the factor lies past the precheck
        112_272_535_095_295,        // the book's small non-prime
        u64::MAX,                   // 3 x 5 x 17 x 257 x ...
        u64::MAX - 4,               // 3 x ...
        18_446_744_073_709_551_555, // 3 x ..., just below the largest u64 prime
    ]);
    numbers.retain(|&n| n < 4 || n % 2 == 1 || n > (1 << 62)); // evens are answered at once
    numbers
}

fn flags() -> impl Strategy<Value = u8> {
    0u8..5
}

fn styles() -> impl Strategy<Value = LoopStyle> {
    prop_oneof![
        Just(LoopStyle::Counter),
        Just(LoopStyle::Lookahead),
        Just(LoopStyle::Blocked)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_combination_classifies_every_number(
        workers in 1usize..=8,
        precheck in prop_oneof![Just(0u64), Just(3), Just(21), Just(101)],
        flag in flags(),
        style in styles(),
        check_every in prop_oneof![Just(1u64), 1u64..50, Just(1_000)],
        plain in any::<bool>(),
        pick in 0usize..1_000,
    ) {
        let how = Cooperation { precheck, style, check_every };
        let numbers = edge_numbers();
        // Every number for the cheap flags; for the manager, whose every look
        // is a round trip to a thread, a sample of the smaller ones.
        // Without a flag nobody stops early: near 2^64 the other workers would
        // search 2^31 candidates, so `none` gets the numbers below 2^50.
        let chosen: Vec<u64> = match flag {
            0 => numbers.into_iter().filter(|&n| n < 1 << 50).collect(),
            3 => numbers.iter().copied().filter(|&n| n < 1 << 32).skip(pick % 40).take(6).collect(),
            _ => numbers,
        };
        for n in chosen {
            match (flag, plain) {
                (0, true) => verify_with(NoFlag, PlainTester, workers, how, n),
                (0, false) => verify_with(NoFlag, FastTester::new(0), workers, how, n),
                (1, _) => verify_with(AtomicFlag::default(), FastTester::new(0), workers, how, n),
                (2, _) => verify_with(MutexFlag::default(), PlainTester, workers, how, n),
                (3, _) => verify_with(ManagerFlag::start().unwrap(), FastTester::new(0), workers, how, n),
                _ => verify_with(MmapFlag::map().unwrap(), FastTester::new(0), workers, how, n),
            }
        }
    }
}

#[test]
fn the_books_five_numbers_are_classified() {
    let how = Cooperation {
        precheck: 21,
        style: LoopStyle::Blocked,
        check_every: 1_000,
    };
    for (n, prime) in [
        (112_272_535_095_295u64, false),
        (100_109_100_129_100_369, false),
        (100_109_100_129_101_027, false),
        (100_109_100_129_100_151, true),
        (100_109_100_129_162_907, true),
    ] {
        let kernel = Arc::new(FastTester::new(0));
        let mut flag = AtomicFlag::default();
        let workers = Threads::start(2, &kernel, &flag, QueueSetup::default()).unwrap();
        let verified = verify(&workers, &kernel, &mut flag, n, how).unwrap();
        assert_eq!(verified.verdict == Verdict::Prime, prime, "{n}");
        assert_eq!(
            serial(n, &FastTester::new(0)).verdict == Verdict::Prime,
            prime,
            "{n} serially"
        );
    }
}

/// A flag raised through one handle stops a search through another within
/// exactly one block of `check_every` candidates, in every loop style.
fn stops_within_one_block<F: Flag>(mut owner: F) {
    let mut worker = owner.connect().unwrap();
    owner.clear().unwrap();
    assert!(!worker.is_set().unwrap());
    owner.set().unwrap();
    assert!(
        worker.is_set().unwrap(),
        "the raised flag is seen through another handle"
    );
    let prime = 1_000_000_000_039u64;
    for style in STYLES {
        for every in [1u64, 10, 250] {
            let s = search(
                prime,
                (21, 1_000_001),
                &PlainTester,
                &mut worker,
                style,
                every,
            )
            .unwrap();
            assert_eq!(
                (s.factor, s.candidates, s.looks),
                (None, every, 1),
                "{style:?} every {every}"
            );
        }
    }
    owner.clear().unwrap();
    let s = search(
        prime,
        (21, 1_001),
        &PlainTester,
        &mut worker,
        LoopStyle::Counter,
        10,
    )
    .unwrap();
    assert_eq!(s.candidates, 490, "a cleared flag lets the search finish");
}

#[test]
fn every_in_process_flag_is_shared_and_stops_workers_early() {
    stops_within_one_block(AtomicFlag::default());
    stops_within_one_block(MutexFlag::default());
    stops_within_one_block(ManagerFlag::start().unwrap());
    stops_within_one_block(MmapFlag::map().unwrap());
}

#[test]
fn the_redis_flag_works_against_a_real_server() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    stops_within_one_block(RedisFlag::connect_to(&server.url()).unwrap());
    let how = Cooperation {
        precheck: 21,
        style: LoopStyle::Counter,
        check_every: 100,
    };
    for n in edge_numbers().into_iter().filter(|n| *n < 1 << 41) {
        verify_with(
            RedisFlag::connect_to(&server.url()).unwrap(),
            FastTester::new(0),
            3,
            how,
            n,
        );
    }
    assert_eq!(server.keys(), 0, "every run deletes its key");
}

#[test]
fn an_unreachable_redis_server_gives_a_clear_error() {
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let err = RedisFlag::connect_to(&url)
        .err()
        .expect("nothing listens there");
    assert!(err.0.contains("cannot reach Redis at"), "{}", err.0);
    assert!(
        err.0
            .contains(&format!("redis-server --port {port} --save ''")),
        "{}",
        err.0
    );
}

/// A composite and a prime, under every in-process flag and the Redis
/// flag at `redis_url`, which the Redis cases `requires` (skipped without a
/// server) or not (failed without one).
fn flags_experiment(redis_url: &str, requires: bool) -> Exp {
    Exp::verify("flags")
        .workload("redis_url", redis_url)
        .numbers(&[
            ("composite", 1_000_009_642_147),
            ("prime", 1_000_000_000_039),
        ])
        .strategy("cooperative")
        .repeats(2, 0)
        .sweep("workers", [2])
        .sweep("flag", ["none", "atomic", "mmap"])
        .sweep("loop", ["blocked"])
        .sweep("check_every", [100])
        .variant("in process", |v| v)
        .variant("redis", |v| match requires {
            true => v.set("flag", "redis").set("requires", "redis"),
            false => v.set("flag", "redis"),
        })
}

#[test]
fn verdicts_work_and_the_cost_per_look_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let file = flags_experiment("redis://127.0.0.1:1", true).write(dir.path());
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
    let file = flags_experiment(&url, false).write(dir.path());
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
    let file = flags_experiment(&server.url(), true).write(dir.path());
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
