//! The queue, check_cost and factor_frequency workloads: exact answers and
//! the data their charts are drawn from.

use runner::primes::FastTester;
use runner::primes::oracle::{is_prime_u64, smallest_factor_counts};
use runner::work::serve::smallest_factors;

use crate::common::{Csv, experiment, runner};

/// The book's figures for the non-primes 3 <= n < 10,000,000.
fn assert_books_histogram(counts: &std::collections::BTreeMap<u64, u64>) {
    assert_eq!(counts.len(), 446, "distinct smallest factors");
    let head: Vec<(u64, u64)> = counts.iter().take(6).map(|(f, c)| (*f, *c)).collect();
    assert_eq!(
        head,
        [
            (2, 4_999_998),
            (3, 1_666_666),
            (5, 666_666),
            (7, 380_952),
            (11, 207_791),
            (13, 159_839)
        ]
    );
    assert_eq!(
        counts.keys().max(),
        Some(&3137),
        "the largest smallest factor"
    );
    assert_eq!(counts.values().sum::<u64>(), 9_335_419, "non-primes in all");
}

#[test]
fn factor_frequency_reproduces_the_books_counts_over_ten_million() {
    let numbers: Vec<u64> = (3..10_000_000).collect();
    assert_books_histogram(
        &smallest_factors(numbers.iter().copied(), &FastTester::new(10_000_000))
            .into_iter()
            .collect(),
    );
    assert_books_histogram(&smallest_factor_counts(3, 10_000_000));
}

#[test]
fn factor_frequency_writes_its_histogram() {
    let dir = tempfile::tempdir().unwrap();
    let text = "name = \"ff\"\n[workload]\nkind = \"factor_frequency\"\nrange = [3, 100_000]\n\
        [run]\nrepeats = 1\n[sweep]\nstrategy = [\"serial\", \"pool\"]\nworkers = [3]\nchunksize = [777]\n";
    let file = experiment(dir.path(), "ff", text);
    runner()
        .arg(&file)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success();
    let factors = Csv::read(&dir.path().join("ff/factors.csv"));
    assert_eq!(factors.header, ["case", "factor", "count"]);
    let expected = smallest_factor_counts(3, 100_000);
    for case in ["1", "2"] {
        let rows: Vec<_> = factors.rows.iter().filter(|r| r[0] == case).collect();
        assert_eq!(rows.len(), expected.len());
        for row in rows {
            assert_eq!(
                expected[&row[1].parse::<u64>().unwrap()],
                row[2].parse::<u64>().unwrap()
            );
        }
    }
}

#[test]
fn check_cost_writes_one_sample_per_n_with_the_right_prime_flag() {
    let dir = tempfile::tempdir().unwrap();
    let text = "name = \"cost\"\n[workload]\nkind = \"check_cost\"\nrange = [10_001, 20_001]\nstep = 10\n\
        [run]\nrepeats = 5\n[sweep]\nkernel = [\"plain\", \"fast\"]\n";
    let file = experiment(dir.path(), "cost", text);
    runner()
        .arg(&file)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success();
    let samples = Csv::read(&dir.path().join("cost/samples.csv"));
    assert_eq!(samples.header, ["case", "n", "prime", "seconds", "raw_s"]);
    assert_eq!(samples.rows.len(), 2 * 1_000, "one row per n per kernel");
    for row in &samples.rows {
        let n: u64 = row[1].parse().unwrap();
        assert_eq!((n - 10_001) % 10, 0);
        assert_eq!(row[2] == "true", is_prime_u64(n), "{n}");
        // net time: positive, or empty when the check was below the clock's
        // resolution: never a plain 0 s, which no time can be
        let raw: f64 = row[4].parse().unwrap();
        match row[3].as_str() {
            "" => assert!(raw >= 0.0),
            net => {
                let net: f64 = net.parse().unwrap();
                assert!(net > 0.0 && net <= raw, "{row:?}");
            }
        }
    }
    let summary = Csv::read(&dir.path().join("cost/summary.csv"));
    assert!(
        summary
            .column("note")
            .iter()
            .all(|n| n.contains("less the clock's own"))
    );
}

#[test]
fn queues_report_their_cost_per_item() {
    let dir = tempfile::tempdir().unwrap();
    let text = "name = \"q\"\n[workload]\nkind = \"primes\"\nrange = [1_000, 30_000]\n[run]\nrepeats = 2\n\
        [sweep]\nstrategy = [\"serial\", \"queue\", \"feeder\"]\nworkers = [1, 3]\nenqueue = [\"all\", \"odd\"]\n\
        capacity = [\"unbounded\", 4]\n";
    let file = experiment(dir.path(), "q", text);
    runner()
        .arg(&file)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success();
    let summary = Csv::read(&dir.path().join("q/summary.csv"));
    assert_eq!(summary.rows.len(), 1 + 2 * 2 * 2 * 2);
    let col = |name: &str| summary.header.iter().position(|h| h == name).unwrap();
    for row in &summary.rows {
        assert_eq!(row[col("answer")], "3077", "{row:?}"); // pi(30000) - pi(1000)
        let queued = row[col("strategy")] != "serial";
        assert_eq!(!row[col("item_ns")].is_empty(), queued, "{row:?}");
        assert_eq!(!row[col("enqueue")].is_empty(), queued);
    }
}
