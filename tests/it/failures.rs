//! A wrong answer or a panicking worker fails the case with a message; it is
//! never reported as a time, and no strategy hangs.

use std::sync::atomic::AtomicBool;

use runner::answer::oracle_primes;
use runner::backend::Remote;
use runner::experiment::{Case, Plan, Strategy};
use runner::primes::{NumRange, PrimeTest, check_prime_in_range};
use runner::timing::{SystemClock, Timer};
use runner::workload::primes::run_with;

use crate::common::case;

/// Panics on one number, like a buggy kernel.
struct PanicsOn(u64);

impl PrimeTest for PanicsOn {
    fn factor_in(&self, n: u64, lo: u64, hi: u64) -> Option<u64> {
        assert_ne!(n, self.0, "deliberate failure at {n}");
        check_prime_in_range(n, lo, hi)
    }
    fn divides(&self, n: u64, d: u64) -> bool {
        n.is_multiple_of(d)
    }
}

/// Calls one composite prime, like a subtly wrong kernel.
struct LiesAbout(u64);

impl PrimeTest for LiesAbout {
    fn factor_in(&self, n: u64, lo: u64, hi: u64) -> Option<u64> {
        check_prime_in_range(n, lo, hi).filter(|_| n != self.0)
    }
    fn divides(&self, n: u64, d: u64) -> bool {
        n.is_multiple_of(d) && n != self.0
    }
}

const RANGE: NumRange = NumRange {
    start: 1_000,
    end: 3_000,
};

/// A case of `strategy` over [`RANGE`]: 3 workers, chunks of 7, the plain
/// kernel.
fn case_of(strategy: Strategy) -> Case {
    case(strategy, RANGE).workers(3).chunksize(7).build()
}

fn plan(cases: Vec<Case>, warmup: u32) -> Plan {
    Plan {
        schedule: runner::experiment::Schedule::Blocked,
        cases,
        repeats: 3,
        warmup,
        seed: 0,
        quick: false,
        trace: true,
    }
}

const STRATEGIES: [Strategy; 5] = [
    Strategy::Serial,
    Strategy::Pool,
    Strategy::Stealing,
    Strategy::Queue,
    Strategy::Feeder,
];

#[test]
fn a_panicking_worker_fails_the_case_without_a_time() {
    let expected = oracle_primes(RANGE);
    for strategy in STRATEGIES {
        let case = case_of(strategy);
        let result = run_with(
            PanicsOn(2_001),
            &case,
            RANGE,
            &plan(vec![case.clone()], 0),
            &Remote::default(),
            expected,
            &Timer {
                clock: &SystemClock::start(),
                stop: &AtomicBool::new(false),
            },
        )
        .expect("not interrupted");
        let failure = result.failure.as_ref().expect("the case fails");
        assert_eq!(failure.repeat, 1, "{strategy}");
        assert!(
            failure.message.contains("deliberate failure at 2001"),
            "{strategy}: {}",
            failure.message
        );
        assert!(
            result.runs.is_empty(),
            "{strategy}: a failed run has no time"
        );
        assert!(!result.ok());
    }
}

#[test]
fn a_wrong_answer_fails_the_case_and_names_the_culprit() {
    let expected = oracle_primes(RANGE);
    for strategy in STRATEGIES {
        let case = case_of(strategy);
        let result = run_with(
            LiesAbout(2_001),
            &case,
            RANGE,
            &plan(vec![case.clone()], 1),
            &Remote::default(),
            expected,
            &Timer {
                clock: &SystemClock::start(),
                stop: &AtomicBool::new(false),
            },
        )
        .expect("not interrupted");
        let failure = result.failure.expect("the case fails");
        assert_eq!(failure.repeat, 0, "caught during warm-up");
        assert!(
            failure
                .message
                .contains("reported 2001, which is not prime"),
            "{}",
            failure.message
        );
        assert!(result.runs.is_empty());
    }
}

#[test]
fn the_pool_survives_a_panic_and_answers_the_next_map() {
    use runner::backend::{QueueSetup, Threads};
    use runner::flag::NoFlag;
    use runner::strategy::map::map_chunks;
    use runner::work::Jobs;
    use runner::work::{Job, Reply};
    use std::sync::Arc;
    let workers =
        Threads::start(2, &Arc::new(PanicsOn(13)), &NoFlag, QueueSetup::default()).unwrap();
    let primes = |jobs: Vec<u64>, chunksize| {
        map_chunks(
            &workers,
            &Jobs::from(jobs),
            chunksize,
            |task, numbers| Job::Primes { task, numbers },
            0,
            |count, reply| match reply {
                Reply::Primes { primes, .. } => count + primes.len(),
                _ => count,
            },
        )
    };
    let err = primes(vec![11, 12, 13, 14], 1).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "a worker panicked: assertion `left != right` failed: deliberate failure at 13"
        ),
        "said once, with the kernel's own message: {err}"
    );
    assert_eq!(primes(vec![17, 18, 19], 2).unwrap(), 2);
}

#[test]
fn a_queue_survives_a_panic_and_serves_the_next_round() {
    use runner::backend::{QueueSetup, Threads};
    use runner::experiment::{Capacity, Enqueue};
    use runner::flag::NoFlag;
    use runner::strategy::queue::{Feeding, queue_round};
    use runner::work::Jobs;
    use std::sync::Arc;
    for feeding in [Feeding::Caller, Feeding::Feeder] {
        let workers = Threads::start(
            3,
            &Arc::new(PanicsOn(13)),
            &NoFlag,
            QueueSetup {
                capacity: Capacity::Bounded(1),
                rounds: true,
                ..QueueSetup::default()
            },
        )
        .unwrap();
        let round =
            |jobs: Vec<u64>| queue_round(&workers, &Jobs::from(jobs), Enqueue::All, feeding);
        let err = round(vec![11, 12, 13, 14]).unwrap_err();
        assert!(
            err.to_string().contains("deliberate failure at 13"),
            "{err}"
        );
        let primes = round(vec![17, 18, 19]).unwrap();
        assert_eq!(primes.into_sorted().unwrap(), [17, 19]);
    }
}

#[test]
fn a_stop_request_drops_the_unfinished_case() {
    let expected = oracle_primes(RANGE);
    let case = case_of(Strategy::Pool);
    let stopped = run_with(
        PanicsOn(0),
        &case,
        RANGE,
        &plan(vec![case.clone()], 0),
        &Remote::default(),
        expected,
        &Timer {
            clock: &SystemClock::start(),
            stop: &AtomicBool::new(true),
        },
    );
    assert!(stopped.is_none());
}
