//! A rough time estimate for a plan, calibrated on this machine: time the
//! kernel serially on a sample of each range and scale up, then add what
//! every case pays besides its timed work: starting its threads, the
//! messages of its strategy (one per chunk or queued number), building its
//! divisor table, the oracle, and recording it.
//!
//! Every sum saturates: `warmup = 4294967295` is an estimate of centuries,
//! never a wrapped "0.000 µs" (hardening issue, item 19).

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use crate::backend::{Backend, Remote};
use crate::experiment::{
    Case, ChunkPlan, Chunking, Enqueue, Executor, Input, Kernel, Plan, Schedule, Strategy,
};
use crate::machine::Cores;
use crate::primes::oracle::{Method, count_primes, is_prime_u64, smallest_factor_counts};
use crate::primes::{NumRange, PlainTester, PrimeTest};
use crate::strategy::PrimeFinder;
use crate::strategy::map::map_chunks;
use crate::strategy::queue::{Feeding, queue_round};
use crate::work::Jobs;
use crate::work::search::candidates_in;
use crate::work::{Chunk, Job, KernelSpec, Reply, with_kernel};
use crate::workload::check_cost::OVERHEAD_SAMPLES;

/// Numbers sampled from each range.
const SAMPLE: u64 = 2_000;

/// Numbers the oracle is timed on before scaling up to the whole range:
/// many for the sieve (its base primes are paid once), few for Miller–Rabin.
const ORACLE_SAMPLE: u64 = 1 << 20;
const ORACLE_SAMPLE_TESTED: u64 = 1 << 12;

/// Ends beyond which the factor oracle is not timed (its base primes alone
/// would take seconds) but guessed per number and per base candidate.
const FACTOR_ORACLE_TIMED_BELOW: u64 = 1 << 40;

/// Messages sent through a channel to time one.
const MESSAGE_SAMPLE: usize = 10_000;

/// Seconds to record one finished case: its rows, the CSV files and the
/// progress line (measured on the shipped experiments; see the README).
const RECORD_SECONDS: f64 = 0.002;

/// Seconds per row of `samples.csv`, between formatting, writing and
/// drawing it: check_cost's 200,000 rows took about 2 s beyond its checks.
const ROW_SECONDS: f64 = 1e-5;

/// Seconds to draw an experiment's charts and pages once it has run
/// (0.3 to 0.8 s for the shipped experiments on a 2-core machine).
const REPORT_SECONDS: f64 = 0.4;

/// Above this, `check` warns before anyone runs the plan.
pub const WARN_ABOVE_SECONDS: f64 = 3600.0;

/// Estimates the plan's total running time in seconds, warm-ups included.
/// Never wraps or panics: a plan of centuries says so.
pub fn estimate(plan: &Plan, cores: Cores) -> f64 {
    let mut calibration = Calibration::default();
    // In rounds, each round prepares a case afresh and warms it up again.
    let (rounds, runs) = match plan.schedule {
        Schedule::Blocked => (1.0, f64::from(plan.warmup) + f64::from(plan.repeats)),
        Schedule::Interleaved | Schedule::Shuffled => {
            let repeats = f64::from(plan.repeats);
            (repeats, repeats * (f64::from(plan.warmup) + 1.0))
        }
    };
    let cases: f64 = plan
        .cases
        .iter()
        .map(|case| {
            let work = calibration.serial(&case.input, case.kernel);
            let (setup, per_message) = calibration.strategy(case);
            // the caller sends every message itself, while the workers work
            let repeat = work.run / parallelism(case, cores) + messages(case) * per_message;
            let oracle = calibration.oracle(&case.input);
            let whole = matches!(case.input, Input::Stepped { .. });
            let rounds = if whole { 1.0 } else { rounds };
            runs * repeat + rounds * (setup + work.setup) + oracle + RECORD_SECONDS
        })
        .sum();
    cases + REPORT_SECONDS
}

/// Measurements shared by the cases of a plan, each taken once.
#[derive(Default)]
struct Calibration {
    serial: HashMap<(Input, Kernel), Serial>,
    strategies: HashMap<Case, (f64, f64)>,
    oracles: HashMap<Input, f64>,
}

/// One serial run of a case's work, and building its kernel.
#[derive(Debug, Clone, Copy)]
struct Serial {
    run: f64,
    setup: f64,
}

impl Calibration {
    fn serial(&mut self, input: &Input, kernel: Kernel) -> Serial {
        *self
            .serial
            .entry((input.clone(), kernel))
            .or_insert_with(|| serial_seconds(input, kernel))
    }

    /// Starting and stopping the case's workers, and one message.
    fn strategy(&mut self, case: &Case) -> (f64, f64) {
        let key = Case {
            number: 0,
            variant: String::new(),
            input: Input::Range(NumRange { start: 0, end: 1 }),
            chunks: case.chunks.map(|_| ChunkPlan::new(Chunking::Size(1), 1, 1)),
            order: None,
            seed: None,
            requires: Vec::new(),
            ..case.clone()
        };
        *self
            .strategies
            .entry(key)
            .or_insert_with_key(strategy_seconds)
    }

    /// The oracle's answer, computed once per input (factor histograms once
    /// per case, which the estimate ignores: it is the same sieve).
    fn oracle(&mut self, input: &Input) -> f64 {
        match self.oracles.get(input) {
            Some(_) => 0.0,
            None => {
                let seconds = oracle_seconds(input);
                self.oracles.insert(input.clone(), seconds);
                seconds
            }
        }
    }
}

fn parallelism(case: &Case, cores: Cores) -> f64 {
    match case.strategy {
        Strategy::Serial => 1.0,
        _ => case.workers.min(cores.logical).max(1) as f64,
    }
}

/// Messages one repeat sends: a task per chunk, or a queued number.
fn messages(case: &Case) -> f64 {
    let Some(range) = case.range() else {
        return 0.0;
    };
    match case.strategy {
        Strategy::Pool => case.chunks.map_or(0, |c| c.tasks(range.len())) as f64,
        Strategy::Queue | Strategy::Feeder => match case.queue.unwrap_or_default().enqueue {
            Enqueue::All => range.len() as f64,
            Enqueue::Odd => range.odd_count() as f64,
        },
        _ => 0.0,
    }
}

/// Seconds to start and stop a case's workers (timed on the real
/// strategy), and seconds per message: a task and its reply for the pool,
/// a queued number for the queues, timed through a channel on one thread.
///
/// Why not time trivial jobs through the real workers: with no work, the
/// workers empty the queue at once and sleep, and every message then pays
/// a wake-up, which a real run, whose queue stays full, does not (that
/// overestimated the queue experiment fourfold).
fn strategy_seconds(case: &Case) -> (f64, f64) {
    let per_message = match case.strategy {
        Strategy::Pool => {
            let task = Job::Primes {
                task: 0,
                numbers: Chunk::Span {
                    jobs: Jobs::Range(NumRange { start: 0, end: 1 }),
                    span: 0..1,
                },
            };
            let reply = Reply::Primes {
                task: 0,
                primes: Vec::new(),
                stamp: Default::default(),
            };
            message_seconds(task) + message_seconds(reply)
        }
        Strategy::Queue | Strategy::Feeder => message_seconds(Job::Queued(1)),
        Strategy::Stealing => 0.0, // rayon splits, it sends no message per chunk
        Strategy::Serial | Strategy::Cooperative => return (0.0, 0.0),
    };
    let started = Instant::now();
    let Ok(finder) = PrimeFinder::start(case, PlainTester, &Remote::default()) else {
        return (0.0, per_message);
    };
    let startup = started.elapsed().as_secs_f64();
    // Worker processes pay a pipe, a lock and wake-ups per message, far more
    // than a channel: time real messages through the started workers (even
    // numbers, answered at once, in a stream that keeps the queue full).
    let through_processes = finder
        .backend()
        .filter(|_| case.executor == Some(Executor::Processes))
        .and_then(|backend| process_message_seconds(case, backend));
    drop(finder);
    (startup, through_processes.unwrap_or(per_message))
}

/// Seconds per message through worker processes: a queue round of even
/// numbers for the queue strategies, one-number tasks for the pool.
fn process_message_seconds(case: &Case, backend: &dyn Backend) -> Option<f64> {
    let evens: Vec<u64> = (0..MESSAGE_SAMPLE as u64).map(|i| 4 + 2 * i).collect();
    let jobs = Jobs::from(evens);
    let started = Instant::now();
    match case.strategy {
        Strategy::Queue | Strategy::Feeder => {
            queue_round(backend, &jobs, Enqueue::All, Feeding::Caller).ok()?;
        }
        _ => {
            map_chunks(
                backend,
                &jobs,
                1,
                |task, numbers| Job::Primes { task, numbers },
                (),
                |(), _| (),
            )
            .ok()?;
        }
    }
    Some(started.elapsed().as_secs_f64() / MESSAGE_SAMPLE as f64)
}

/// Seconds to send one `message` through an unbounded channel and receive it.
fn message_seconds<T: Clone>(message: T) -> f64 {
    let (tx, rx) = crossbeam_channel::unbounded();
    let started = Instant::now();
    for _ in 0..MESSAGE_SAMPLE {
        _ = tx.send(black_box(message.clone()));
    }
    for _ in 0..MESSAGE_SAMPLE {
        _ = black_box(rx.recv());
    }
    started.elapsed().as_secs_f64() / MESSAGE_SAMPLE as f64
}

/// Seconds for one serial run (timed for a number, sampled for a range),
/// and for building the kernel.
fn serial_seconds(input: &Input, kernel: Kernel) -> Serial {
    let (range, step) = match input {
        Input::Range(range) | Input::Factors(range) => (*range, 1),
        Input::Stepped { range, step } => (*range, *step),
        Input::Number(number) => {
            return Serial {
                run: verify_seconds(number.value, kernel),
                setup: 0.0,
            };
        }
        Input::Bare => {
            return Serial {
                run: 0.0,
                setup: 0.0,
            };
        }
    };
    let sample = sample_numbers(range);
    let spec = KernelSpec::new(kernel, range.last());
    // Building the kernel (a fast kernel's table) counts as setup.
    let started = Instant::now();
    let (mut setup, mut per_number) = with_kernel!(spec, kernel => {
        let setup = started.elapsed().as_secs_f64();
        let started = Instant::now();
        black_box(sample.iter().filter(|&&n| kernel.is_prime(n)).count());
        (setup, started.elapsed().as_secs_f64() / sample.len() as f64)
    });
    if matches!(input, Input::Stepped { .. }) {
        // check_cost reads the clock twice around every check, and times
        // the clock itself before the first
        let pair = clock_pair_seconds();
        per_number += pair;
        setup += pair * OVERHEAD_SAMPLES as f64;
    }
    let tested = range.len().div_ceil(step);
    if matches!(input, Input::Stepped { .. }) {
        setup += ROW_SECONDS * tested as f64;
    }
    Serial {
        run: per_number * tested as f64,
        setup,
    }
}

/// About [`SAMPLE`] numbers spread over `range`: one from each window of
/// len / SAMPLE numbers, at an offset that a fixed hash of the window's
/// index chooses (so the estimate is the same on every run).
///
/// Why not a fixed stride: every sample is then start + k x stride, and a
/// stride shares factors with the numbers it lands on. Range C's stride of
/// 501 = 3 x 167 sampled one class mod 3 only, and from 0 a stride samples
/// its own multiples, none of them prime: [0, 10^10) was estimated at 3.4
/// minutes, [5 x 10^9, 10^10) at 2.8 hours.
fn sample_numbers(range: NumRange) -> Vec<u64> {
    let stride = (range.len() / SAMPLE).max(1);
    (0..range.len().div_ceil(stride))
        .map(|k| range.start + k * stride + spread(k) % stride)
        .filter(|&n| n < range.end)
        .collect()
}

/// SplitMix64's finaliser: a fixed, well-mixed offset for window `k`.
fn spread(k: u64) -> u64 {
    let mut z = k.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Seconds for the oracle's answer on `input`, timed on a prefix of the
/// range and scaled up.
fn oracle_seconds(input: &Input) -> f64 {
    let (range, step) = match input {
        Input::Range(range) | Input::Factors(range) => (*range, 1),
        Input::Stepped { range, step } => (*range, *step),
        Input::Number(_) | Input::Bare => return 0.0,
    };
    let sample = match (input, Method::for_range(range.start, range.end)) {
        (Input::Range(_), Method::Sieve) | (Input::Factors(_), _) => ORACLE_SAMPLE,
        _ => ORACLE_SAMPLE_TESTED,
    };
    let sample = range.prefix(sample.saturating_mul(step));
    if matches!(input, Input::Factors(_)) && range.end >= FACTOR_ORACLE_TIMED_BELOW {
        return 1e-7 * range.len() as f64 + 5e-9 * range.end.isqrt() as f64;
    }
    let started = Instant::now();
    match input {
        Input::Range(_) => _ = black_box(count_primes(sample.start, sample.end)),
        Input::Factors(_) => _ = black_box(smallest_factor_counts(sample.start, sample.end)),
        _ => {
            let step = usize::try_from(step).unwrap_or(usize::MAX);
            let primes = (sample.start..sample.end)
                .step_by(step)
                .filter(|&n| is_prime_u64(n));
            _ = black_box(primes.count());
        }
    }
    started.elapsed().as_secs_f64() * range.len() as f64 / sample.len() as f64
}

/// Seconds for two back-to-back clock readings, as check_cost takes.
fn clock_pair_seconds() -> f64 {
    let started = Instant::now();
    for _ in 0..1_000 {
        black_box(Instant::now().elapsed());
    }
    started.elapsed().as_secs_f64() / 1_000.0
}

/// Seconds to verify `n` serially, from the first million candidates.
fn verify_seconds(n: u64, kernel: Kernel) -> f64 {
    let hi = n.isqrt() + 1;
    let all = candidates_in(3, hi).max(1);
    let sample_hi = hi.min(3 + 2 * SAMPLE * 500);
    let spec = KernelSpec::new(kernel, 0);
    // One search of the candidates below `sample_hi`, the kernel built first.
    let (found, seconds) = with_kernel!(spec, kernel => {
        let started = Instant::now();
        let found = kernel.factor_in(n, 3, sample_hi);
        (found, started.elapsed().as_secs_f64())
    });
    match found {
        Some(_) => seconds, // the search ends within the sample
        None => seconds * all as f64 / candidates_in(3, sample_hi).max(1) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_hold_primes_as_often_as_their_range() {
        // from 0, a fixed stride sampled only its own multiples
        for (start, end) in [(0u64, 10_000_000_000u64), (100_000_000, 101_000_000)] {
            let sample = sample_numbers(NumRange { start, end });
            assert!((1_990..=2_000).contains(&sample.len()), "{}", sample.len());
            assert!(sample.iter().all(|&n| (start..end).contains(&n)));
            let primes = sample.iter().filter(|&&n| is_prime_u64(n)).count() as f64;
            let expected = sample.len() as f64 / (end as f64).ln();
            assert!(
                primes > expected / 2.0 && primes < expected * 2.0,
                "{primes} vs {expected}"
            );
            for p in [3u64, 5, 7] {
                let in_class = sample.iter().filter(|&&n| n % p == 0).count() as f64;
                let share = in_class / sample.len() as f64;
                assert!((share - 1.0 / p as f64).abs() < 0.05, "mod {p}: {share}");
            }
        }
        let short = NumRange {
            start: 10,
            end: 510,
        };
        assert_eq!(sample_numbers(short), (10..510).collect::<Vec<_>>());
    }
}
