//! The simd kernel gives exactly the book's answers (the smallest
//! divisor, found among the same candidates) on every path this CPU has,
//! each forced in turn (AVX-512, AVX2, the scalar fallback), with and
//! without a table, under every strategy and in worker processes. Issue 23:
//! so does every test of 2^32 <= n < 2^52 (IFMA, doubles, halves, scalar)
//! on every path, below and above 2^32 and 2^52, near 2^64, and with small
//! and large smallest factors.

use std::sync::Arc;

use proptest::prelude::*;
use runner::backend::{QueueSetup, Remote, Threads};
use runner::experiment::{Executor, Kernel, LoopStyle, Order, Strategy};
use runner::flag::AtomicFlag;
use runner::primes::fast::Beyond;
use runner::primes::simd::{SimdPath, SimdPlan, SimdTester, WideTest};
use runner::primes::{NumRange, PlainTester, PrimeTest, check_prime_in_range, oracle};
use runner::strategy::cooperative::{Cooperation, Verdict, verify};
use runner::strategy::{PrimeFinder, jobs_in_order};
use runner::workload::verify::serial;

use crate::common::{CaseBuilder, Csv, Exp, case, manifest, runner};

/// Every path this CPU can run.
fn paths() -> Vec<SimdPath> {
    SimdPath::ALL
        .into_iter()
        .filter(|p| p.available())
        .collect()
}

/// Every plan with every stage vectorised this CPU can run: each path with
/// each wide test it has (issue 23).
fn plans() -> Vec<SimdPlan> {
    paths()
        .into_iter()
        .flat_map(|path| {
            WideTest::ALL.map(|wide| SimdPlan {
                wide,
                ..SimdPlan::all(path)
            })
        })
        .filter(|plan| plan.wide.available_on(plan.path))
        .collect()
}

/// Testers on every plan: with a table for every n <= `max_n`, and with
/// none (every inverse on the fly).
fn testers(max_n: u64) -> Vec<SimdTester> {
    plans()
        .into_iter()
        .flat_map(|plan| {
            [max_n, 0].map(|max_n| SimdTester::with_plan(max_n, plan, Beyond::Inverse))
        })
        .collect()
}

/// The book's answer: the smallest odd divisor in [3, isqrt(n)].
fn book_factor(n: u64) -> Option<u64> {
    PlainTester.factor_in(n, 3, n.isqrt() + 1)
}

/// Asserts that `tester` agrees with the oracle and with plain on `n`.
fn agrees(tester: &SimdTester, n: u64) {
    let what = || format!("{}, n = {n}", tester.plan());
    assert_eq!(tester.is_prime(n), oracle::is_prime_u64(n), "{}", what());
    if n >= 9 && n % 2 == 1 {
        assert_eq!(
            tester.factor_in(n, 3, n.isqrt() + 1),
            book_factor(n),
            "{}",
            what()
        );
    }
}

#[test]
fn every_path_is_tested_here() {
    // This machine class has AVX-512; a CPU without it still tests the rest.
    assert!(paths().contains(&SimdPath::Scalar));
    if std::arch::is_x86_feature_detected!("avx2") {
        assert!(paths().contains(&SimdPath::Avx2));
    }
    let plans = plans();
    let avx512 = std::arch::is_x86_feature_detected!("avx512f");
    for (wide, has) in [
        (
            WideTest::Ifma,
            std::arch::is_x86_feature_detected!("avx512ifma"),
        ),
        (WideTest::Double, std::arch::is_x86_feature_detected!("fma")),
    ] {
        if avx512 && has {
            assert!(plans.iter().any(|p| p.wide == wide), "{wide:?}");
        }
    }
}

#[test]
fn zero_to_a_hundred() {
    for tester in testers(100) {
        for n in 0..=100 {
            agrees(&tester, n);
        }
    }
}

#[test]
fn squares_of_primes_around_2_16_2_26_2_32_and_2_52() {
    // The factor is the last candidate, so isqrt must be exact and the last
    // block must reach it; their neighbours too.
    let primes = [
        251u64, 257, 8_191, 8_209, 65_521, 65_537, 67_108_859, 67_108_879,
    ];
    for tester in testers(1 << 34) {
        for p in primes {
            for n in [p * p - 2, p * p - 1, p * p, p * p + 1, p * p + 2] {
                agrees(&tester, n);
            }
        }
    }
}

#[test]
fn numbers_just_below_2_64() {
    // Every n of the last 300 below 2^64, searched through the first 2e6
    // candidates (their primes would take 2^31 each): the same first divisor
    // as plain, or none for both.
    for tester in testers(1 << 40) {
        for n in (0..300).map(|k| u64::MAX - k) {
            assert_eq!(
                tester.factor_in(n, 3, 4_000_001),
                check_prime_in_range(n, 3, 4_000_001),
                "{} path, n = {n}",
                tester.path()
            );
        }
    }
}

#[test]
fn stages_the_calibration_turns_off_hand_over_to_the_scalar_kernel() {
    for plan in plans() {
        let off = [
            SimdPlan {
                small: false,
                ..plan
            },
            SimdPlan {
                wide: WideTest::Scalar,
                ..plan
            },
            SimdPlan {
                table: false,
                ..plan
            },
            SimdPlan { fly: false, ..plan },
        ];
        for plan in off {
            for max_n in [1 << 30, 1 << 42, 1 << 54] {
                let tester = SimdTester::with_plan(max_n, plan, Beyond::Divide);
                for n in [
                    4_294_967_291u64,
                    65_521 * 65_519,
                    100_109_100_129_162_907 % (1 << 40),
                    100_000_000_003,
                    1_048_573 * 1_048_583,
                ] {
                    agrees(&tester, n);
                }
                for n in [
                    100_109_100_129_100_369u64, // composite, factor near 1.5e6
                    100_109_100_129_162_907 % (1 << 52),
                    (1 << 52) - 47, // prime
                    (1 << 52) + 1,
                ] {
                    assert_eq!(
                        tester.factor_in(n, 3, 3_000_001),
                        check_prime_in_range(n, 3, 3_000_001),
                        "{plan}, max_n {max_n}, n = {n}"
                    );
                }
            }
        }
    }
}

#[test]
fn range_e_and_windows_around_2_32_and_2_52_give_the_oracles_primes_on_every_plan() {
    // Every n of each window with a tester built as a range case builds it
    // (a table for the window's last n), on every path and wide test.
    let windows = [
        (100_000_000_000u64, 100_000_003_000u64), // range E's start
        ((1 << 32) - 1_000, (1 << 32) + 1_000),
        ((1 << 52) - 60, (1 << 52) + 20),
    ];
    for (start, end) in windows {
        let primes = oracle::primes_in(start, end);
        for plan in plans() {
            let tester = SimdTester::with_plan(end - 1, plan, Beyond::Inverse);
            let found: Vec<u64> = (start..end).filter(|&n| tester.is_prime(n)).collect();
            assert_eq!(found, primes, "{plan}, [{start}, {end})");
        }
    }
}

#[test]
fn products_of_two_large_primes_stop_at_the_smaller_one() {
    // The smallest factor is among the last candidates: the search crosses
    // the whole table (and beyond it, where the table is short), and must
    // stop at p exactly, for n below and above 2^32 and 2^52.
    let next_prime = |mut p: u64| {
        while !oracle::is_prime_u64(p) {
            p += 1;
        }
        p
    };
    let pairs = [(1 << 15) + 3, (1 << 20) + 7, 3_000_017, 67_108_000]
        .map(next_prime)
        .map(|p| (p, next_prime(p + 2)));
    for max_n in [0, 1 << 40, 1 << 53] {
        for plan in plans() {
            let tester = SimdTester::with_plan(max_n, plan, Beyond::Inverse);
            for (p, q) in pairs {
                let n = p * q;
                assert_eq!(
                    tester.factor_in(n, 3, n.isqrt() + 1),
                    Some(p),
                    "{plan}, {p} x {q}"
                );
                assert!(!tester.is_prime(n));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_numbers_below_2_40_agree_with_the_oracle_and_plain(n in 0u64..1 << 40) {
        for tester in testers(n) {
            agrees(&tester, n);
        }
    }

    #[test]
    fn random_windows_of_any_n_give_plains_first_divisor(
        n in any::<u64>(),
        lo in 1u64..(1 << 31),
        len in 1u64..5_000,
        smooth in 0u64..4,
    ) {
        // Any n (some made to have a divisor in the window), any window of
        // odd candidates below 2^32, starting and ending anywhere in a block.
        let lo = 2 * lo + 1;
        let hi = lo + 2 * len;
        let n = match smooth {
            0 => n | 1,
            k => ((lo + 2 * (n % len)) * (n >> 40 | 1)) | (k & 1),
        };
        for tester in testers(1 << 36) {
            prop_assert_eq!(
                tester.factor_in(n, lo, hi),
                check_prime_in_range(n, lo, hi),
                "{} path, n = {}, [{}, {})", tester.path(), n, lo, hi
            );
        }
    }

    #[test]
    fn random_numbers_below_2_52_with_small_factors(n in 0u64..1 << 52) {
        // Near 2^52 a prime costs 3e7 candidates; keep those whose smallest
        // factor comes within 1e5, and compare the first divisor found.
        let hi = (n.isqrt() + 1).min(200_001);
        for tester in testers(1 << 34) {
            prop_assert_eq!(
                tester.factor_in(n | 1, 3, hi.max(3)),
                check_prime_in_range(n | 1, 3, hi.max(3)),
                "{}, n = {}", tester.plan(), n | 1
            );
        }
    }

    #[test]
    fn random_n_from_2_32_to_2_64_with_whole_tables_give_plains_first_divisor(
        n in prop_oneof![
            1u64 << 32..1 << 52,
            (1u64 << 52) - 100_000..(1 << 52) + 100_000,
            1u64 << 52..u64::MAX,
            u64::MAX - 100_000..=u64::MAX,
        ],
        factor in 0u64..2_000_000,
        smooth in any::<bool>(),
    ) {
        // Testers whose tables hold every candidate they can (2^21), on
        // every plan; n odd, sometimes made a multiple of a candidate in
        // the window (its smallest factor may be smaller still).
        let k = 2 * factor + 3;
        let n = match smooth {
            true => ((n / k).max(1) | 1).saturating_mul(k),
            false => n | 1,
        };
        let hi = (n.isqrt() + 1).min(4_200_001);
        for tester in whole_table_testers() {
            prop_assert_eq!(
                tester.factor_in(n, 3, hi.max(3)),
                check_prime_in_range(n, 3, hi.max(3)),
                "{}, n = {}", tester.plan(), n
            );
        }
    }
}

/// Testers on every plan with the largest tables (for n up to 2^64: 2^21
/// candidates, to 4 194 305), built once for the property tests.
fn whole_table_testers() -> &'static [SimdTester] {
    static TESTERS: std::sync::OnceLock<Vec<SimdTester>> = std::sync::OnceLock::new();
    TESTERS.get_or_init(|| {
        plans()
            .into_iter()
            .flat_map(|plan| {
                // The wide tests' tables stop at 2^26; the halves' go on.
                [(1 << 52) - 1, u64::MAX]
                    .map(|max_n| SimdTester::with_plan(max_n, plan, Beyond::Inverse))
            })
            .collect()
    })
}

/// A case of the simd kernel over `range`, its jobs shuffled.
fn simd_case(strategy: Strategy, workers: usize, chunksize: u64, range: NumRange) -> CaseBuilder {
    case(strategy, range)
        .kernel(Kernel::Simd)
        .workers(workers)
        .chunksize(chunksize)
        .order(Order::Shuffled, 7)
}

fn strategies() -> impl proptest::strategy::Strategy<Value = Strategy> {
    prop_oneof![
        Just(Strategy::Serial),
        Just(Strategy::Pool),
        Just(Strategy::Stealing),
        Just(Strategy::Queue),
        Just(Strategy::Feeder)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_strategy_finds_the_oracles_primes_on_every_path(
        strategy in strategies(),
        workers in 1usize..=6,
        chunksize in 1u64..400,
        start in prop_oneof![0u64..5_000, 0u64..10_000_000_000_000],
        len in 1u64..2_000,
        path in 0usize..3,
    ) {
        let range = NumRange { start, end: start + len };
        let paths = paths();
        let path = paths[path % paths.len()];
        let case = simd_case(strategy, workers, chunksize, range).build();
        let jobs = jobs_in_order(range, Order::Shuffled, 7);
        let finder = PrimeFinder::start(&case, Arc::new(SimdTester::with_path(range.last(), path)), &Remote::default())
            .expect("the strategy starts");
        let found = finder.run(&jobs).expect("no worker fails").into_sorted().unwrap();
        prop_assert_eq!(found, oracle::primes_in(range.start, range.end));
    }

    #[test]
    fn the_cooperative_search_finds_the_books_divisor_on_every_path(
        workers in 1usize..=4,
        style in prop_oneof![Just(LoopStyle::Counter), Just(LoopStyle::Lookahead), Just(LoopStyle::Blocked)],
        check_every in prop_oneof![Just(1u64), 1u64..50, Just(1_000)],
        p in prop_oneof![Just(65_521u64), Just(1_048_573), Just(16_777_213)],
        q in 0u64..1_000_000,
        path in 0usize..3,
    ) {
        // n = p x an odd cofactor: the book's answer is p or a factor of
        // the cofactor below p, found by plain.
        let n = p * (p + 2 * q + 2);
        let paths = paths();
        let kernel = Arc::new(SimdTester::with_path(0, paths[path % paths.len()]));
        let how = Cooperation { precheck: 21, style, check_every };
        let mut flag = AtomicFlag::default();
        let pool = Threads::start(workers, &kernel, &flag, QueueSetup::default()).unwrap();
        let verified = verify(&pool, &kernel, &mut flag, n, how).unwrap();
        prop_assert_eq!(verified.verdict == Verdict::Prime, oracle::is_prime_u64(n));
        let alone = serial(n, &kernel);
        match alone.verdict {
            Verdict::Prime => prop_assert!(oracle::is_prime_u64(n)),
            Verdict::NotPrime { factor } => prop_assert_eq!(factor, book_factor(n)),
        }
    }
}

#[test]
fn worker_processes_build_the_simd_kernel_from_the_case() {
    runner::backend::processes::set_worker_program(env!("CARGO_BIN_EXE_runner").into());
    for strategy in [Strategy::Pool, Strategy::Queue, Strategy::Feeder] {
        let range = NumRange {
            start: 1_000_000_000,
            end: 1_000_003_000,
        };
        let case = simd_case(strategy, 2, 97, range)
            .executor(Executor::Processes)
            .build();
        let jobs = jobs_in_order(range, Order::Shuffled, 7);
        // The kernel given here is not used: processes build their own.
        let finder = PrimeFinder::start(&case, Arc::new(PlainTester), &Remote::default()).unwrap();
        let found = finder.run(&jobs).unwrap().into_sorted().unwrap();
        assert_eq!(
            found,
            oracle::primes_in(range.start, range.end),
            "{strategy}"
        );
    }
}

/// A serial run with every kernel over a small range from 1e8.
fn kernels() -> Exp {
    Exp::primes("kernels")
        .top("title", "Every kernel")
        .range(100_000_000, 100_003_000)
        .strategy("serial")
        .repeats(1, 0)
        .sweep("kernel", ["plain", "fast", "simd"])
}
#[test]
fn runner_simd_caps_the_path_and_the_manifest_and_csv_record_it() {
    for path in paths() {
        let dir = tempfile::tempdir().unwrap();
        let file = kernels().write(dir.path());
        let out = dir.path().join("reports");
        runner()
            .env("RUNNER_SIMD", path.name())
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let manifest = manifest(&out.join("kernels"));
        let recorded = manifest["kernels"]["paths"]["simd"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            recorded.starts_with(path.name()),
            "{recorded} for RUNNER_SIMD={path}"
        );
        assert_eq!(manifest["kernels"]["runner_simd"], path.name());
        let summary = Csv::read(&out.join("kernels/summary.csv"));
        let kernels = summary.column("kernel");
        let paths = summary.column("kernel_path");
        let simd = kernels.iter().position(|k| *k == "simd").unwrap();
        assert_eq!(paths[simd], recorded);
        assert_eq!(
            paths[kernels.iter().position(|k| *k == "plain").unwrap()],
            "divide"
        );
        assert!(summary.column("ok").iter().all(|ok| *ok == "true"));
    }
}
