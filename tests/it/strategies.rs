//! Every strategy, for any workers, chunksize, order and kernel, finds exactly
//! the oracle's primes; and the book's known answers hold.

use std::sync::Arc;

use proptest::prelude::*;
use proptest::strategy::Strategy as _;
use runner::backend::Remote;
use runner::experiment::{
    Capacity, Case, Enqueue, Executor, Kernel, Order, QueueHost, QueuePlan, Strategy,
};
use runner::primes::{FastTester, NumRange, PlainTester, PrimeTest, check_prime_in_range, oracle};
use runner::strategy::{PrimeFinder, jobs_in_order};

use crate::common::{CaseBuilder, case};

/// A case of the fast kernel over `range`, in `order` (a shuffle seeded 7).
fn range_case(
    strategy: Strategy,
    workers: usize,
    chunksize: u64,
    order: Order,
    range: NumRange,
) -> CaseBuilder {
    case(strategy, range)
        .kernel(Kernel::Fast)
        .workers(workers)
        .chunksize(chunksize)
        .order(order, 7)
}

fn range_of(case: &Case) -> NumRange {
    case.range().expect("a range case")
}

fn primes_found<T: PrimeTest + 'static>(case: &Case, test: T) -> Vec<u64> {
    let jobs = jobs_in_order(range_of(case), case.order.unwrap(), case.seed.unwrap_or(0));
    let finder =
        PrimeFinder::start(case, Arc::new(test), &Remote::default()).expect("the strategy starts");
    let found = finder.run(&jobs).expect("no worker fails");
    found.into_sorted().expect("small ranges keep every prime")
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

fn queue_plans() -> impl proptest::strategy::Strategy<Value = QueuePlan> {
    let enqueue = prop_oneof![Just(Enqueue::All), Just(Enqueue::Odd)];
    let capacity = prop_oneof![
        Just(Capacity::Unbounded),
        (1usize..64).prop_map(Capacity::Bounded)
    ];
    let host = prop_oneof![
        Just(None),
        Just(Some(QueueHost::Direct)),
        Just(Some(QueueHost::Manager))
    ];
    (enqueue, capacity, host).prop_map(|(enqueue, capacity, host)| QueuePlan {
        enqueue,
        capacity,
        host,
    })
}

fn orders() -> impl proptest::strategy::Strategy<Value = Order> {
    prop_oneof![
        Just(Order::Given),
        Just(Order::Shuffled),
        Just(Order::SlowestFirst),
        Just(Order::FastestFirst)
    ]
}

/// Ranges of up to 3000 numbers anywhere from 0 to 10^13.
fn ranges() -> impl proptest::strategy::Strategy<Value = NumRange> {
    let start = prop_oneof![0u64..5_000, 0u64..10_000_000_000_000];
    (start, 1u64..3_000).prop_map(|(start, len)| NumRange {
        start,
        end: start + len,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_strategy_finds_the_oracles_primes(
        strategy in strategies(),
        workers in 1usize..=16,
        chunk_fraction in 0.0f64..=1.0,
        order in orders(),
        range in ranges(),
        plain in any::<bool>(),
        queue in queue_plans(),
    ) {
        // chunksize anywhere in 1 ..= len + 1
        let chunksize = 1 + (chunk_fraction * range.len() as f64) as u64;
        let case = range_case(strategy, workers, chunksize, order, range)
            .queue(queue)
            .build();
        let expected = oracle::primes_in(range.start, range.end);
        let found = match plain {
            true => primes_found(&case, PlainTester),
            false => primes_found(&case, FastTester::new(range.last())),
        };
        prop_assert_eq!(found, expected);
    }

    #[test]
    fn fast_and_plain_kernels_agree_with_miller_rabin(n in any::<u64>()) {
        // Far beyond what a table can hold: compare on numbers with small factors
        // through the table, and every n through the plain kernel for n < 2^40.
        let small = n % (1 << 40);
        let table = FastTester::new(small.max(4));
        prop_assert_eq!(table.is_prime(small), oracle::is_prime_u64(small));
        prop_assert_eq!(PlainTester.is_prime(small), oracle::is_prime_u64(small));
    }
}

/// The strategies that have workers a backend starts.
fn placed_strategies() -> impl proptest::strategy::Strategy<Value = Strategy> {
    prop_oneof![
        Just(Strategy::Pool),
        Just(Strategy::Queue),
        Just(Strategy::Feeder)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn every_strategy_finds_the_oracles_primes_with_worker_processes(
        strategy in placed_strategies(),
        workers in 1usize..=8,
        chunk_fraction in 0.0f64..=1.0,
        order in orders(),
        range in ranges(),
        plain in any::<bool>(),
        queue in queue_plans(),
    ) {
        runner::backend::processes::set_worker_program(env!("CARGO_BIN_EXE_runner").into());
        let chunksize = 1 + (chunk_fraction * range.len() as f64) as u64;
        let case = range_case(strategy, workers, chunksize, order, range)
            .queue(queue)
            .executor(Executor::Processes)
            .kernel(if plain { Kernel::Plain } else { Kernel::Fast })
            .build();
        // Worker processes build their own kernel from the case.
        let found = primes_found(&case, PlainTester);
        prop_assert_eq!(found, oracle::primes_in(range.start, range.end));
    }
}

#[test]
fn range_c_holds_54208_primes_with_the_books_first_and_last_ten() {
    let c = NumRange::named("C").unwrap();
    let found = primes_found(
        &range_case(Strategy::Pool, 2, 6_250, Order::Shuffled, c).build(),
        FastTester::new(c.last()),
    );
    assert_eq!(found.len(), 54_208);
    let first = [
        100000007, 100000037, 100000039, 100000049, 100000073, 100000081, 100000123, 100000127,
        100000193, 100000213,
    ];
    let last = [
        100999889, 100999897, 100999901, 100999903, 100999919, 100999939, 100999949, 100999979,
        100999981, 100999993,
    ];
    assert_eq!(found[..10], first);
    assert_eq!(found[found.len() - 10..], last);
    assert_eq!(found, oracle::primes_in(c.start, c.end));
}

#[test]
fn range_b_holds_5411_primes_for_every_strategy_and_kernel() {
    let b = NumRange::named("B").unwrap();
    let all = [
        Strategy::Serial,
        Strategy::Pool,
        Strategy::Stealing,
        Strategy::Queue,
        Strategy::Feeder,
    ];
    for strategy in all {
        let c = range_case(strategy, 3, 1_000, Order::SlowestFirst, b).build();
        assert_eq!(
            primes_found(&c, PlainTester).len(),
            5_411,
            "{strategy} plain"
        );
        assert_eq!(
            primes_found(&c, FastTester::new(b.last())).len(),
            5_411,
            "{strategy} fast"
        );
    }
}

#[test]
fn kernels_agree_on_the_edge_cases() {
    // Squares of primes around 2^26, 2^32 and 2^52 (isqrt must be exact: the
    // factor is the last candidate), their neighbours, and 0..=10.
    let mut numbers: Vec<u64> = (0..=10).collect();
    for p in [8_191u64, 8_209, 65_521, 65_537, 67_108_859, 67_108_879] {
        numbers.extend([p * p - 2, p * p - 1, p * p, p * p + 1, p * p + 2]);
    }
    // Just below 2^64: every number whose smallest factor the kernels reach
    // quickly (the primes among them would take 2^31 candidates each).
    let below_2_64 = (0..200).map(|k| u64::MAX - k);
    numbers.extend(
        below_2_64.filter(|&n| n % 2 == 0 || check_prime_in_range(n, 3, 1_000_001).is_some()),
    );
    let table = FastTester::new(1 << 40); // squares near 2^52 go past the table
    for n in numbers {
        let expected = oracle::is_prime_u64(n);
        assert_eq!(PlainTester.is_prime(n), expected, "plain {n}");
        assert_eq!(table.is_prime(n), expected, "fast {n}");
    }
}
