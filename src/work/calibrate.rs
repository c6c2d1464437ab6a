//! Choosing, per CPU, how the fast and simd kernels test candidates: a short
//! calibration (a few milliseconds, once per run, before any timer) times
//! each alternative on the same candidates and keeps the faster, so that
//! neither kernel is slower than the plain one, and no vector stage slower
//! than the scalar kernel, on any CPU (issue 15, item 2); for 2^32 <= n <
//! 2^52 it keeps the fastest of the vector tests the CPU has and the scalar
//! kernel (issue 23). Timings are this thread's CPU time, which other work
//! on a shared machine does not inflate. The choice travels to worker
//! processes in [`KernelSpec`](super::KernelSpec) and is recorded in the
//! manifest and in the CSV files' `kernel_path` column.

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::primes::fast::Beyond;
use crate::primes::simd::{SimdPath, SimdPlan, SimdTester, WideTest};
use crate::primes::{FastTester, PrimeTest};

/// The choices a calibration makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tuning {
    /// How the fast kernel tests candidates beyond its table.
    pub fast_beyond: Beyond,
    /// Where the simd kernel takes the vector path.
    pub simd: SimdPlan,
}

impl Tuning {
    /// No calibration: inverses beyond the table and every vector stage on
    /// the detected path (what tests and the kernels built directly use).
    pub fn untuned() -> Tuning {
        Tuning {
            fast_beyond: Beyond::Inverse,
            simd: SimdPlan::all(SimdPath::detect()),
        }
    }

    /// This CPU's tuning, calibrated at the first call of the process.
    pub fn calibrated() -> Tuning {
        static TUNING: OnceLock<Tuning> = OnceLock::new();
        *TUNING.get_or_init(calibrate)
    }
}

/// Rounds of each timing, alternating the contenders; the fastest counts.
const ROUNDS: usize = 5;
/// Calls per timing, so that one lasts well beyond the clock's own cost.
const CALLS: usize = 4;
/// A prime whose candidates reach 3.2e8 (none divides it).
const BIG: u64 = 100_109_100_129_162_907;
/// The largest prime below 2^32.
const SMALL: u64 = 4_294_967_291;
/// The first prime after 1e11 (range E's n; the wide stage's 2^32..2^52).
const WIDE: u64 = 100_000_000_003;
/// Candidates per timing: a few tens of microseconds on any path.
const CANDIDATES: u64 = 16_384;

/// This thread's CPU time: unlike the wall clock, it does not count the
/// time the thread waits for a core, so a preemption on a shared machine
/// cannot make the faster contender look slower.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec, which `ts` is.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    match status {
        0 => Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32),
        _ => Duration::ZERO, // no CPU clock: every timing ties, the first contender wins
    }
}

/// The index of the fastest of `contenders`: each timed [`ROUNDS`] times,
/// in turn, after a warm-up; the fastest timing of each counts, and the
/// first of equals wins.
fn fastest(contenders: &[&dyn Fn() -> Option<u64>]) -> usize {
    let time = |f: &dyn Fn() -> Option<u64>| {
        let started = thread_cpu_time();
        for _ in 0..CALLS {
            black_box(f());
        }
        thread_cpu_time().saturating_sub(started)
    };
    let mut best: Vec<Duration> = contenders.iter().map(|f| time(*f)).collect(); // warm-up
    for _ in 0..ROUNDS {
        for (best, f) in best.iter_mut().zip(contenders) {
            *best = (*best).min(time(*f));
        }
    }
    (0..best.len()).min_by_key(|&i| best[i]).unwrap_or(0)
}

/// Whether `vector` is faster than `scalar`.
fn faster(vector: impl Fn() -> Option<u64>, scalar: impl Fn() -> Option<u64>) -> bool {
    fastest(&[&vector, &scalar]) == 0
}

fn calibrate() -> Tuning {
    // Beyond any table: candidates from 1e8 of a prime near 1e17.
    let (lo, hi) = (100_000_001, 100_000_001 + 2 * CANDIDATES);
    let inverse = FastTester::with_beyond(0, Beyond::Inverse);
    let divide = FastTester::with_beyond(0, Beyond::Divide);
    let fast_beyond = match faster(
        || inverse.factor_in(black_box(BIG), lo, hi),
        || divide.factor_in(black_box(BIG), lo, hi),
    ) {
        true => Beyond::Inverse,
        false => Beyond::Divide,
    };
    Tuning {
        fast_beyond,
        simd: calibrated_plan(SimdPath::detect(), fast_beyond),
    }
}

/// The calibration of the simd kernel on `path` (which this CPU must have),
/// its scalar stages testing candidates beyond the table by `fast_beyond`:
/// what [`Tuning::calibrated`] chooses for the detected path, and what
/// `cargo bench --bench kernels` runs on the paths below it.
pub fn calibrated_plan(path: SimdPath, fast_beyond: Beyond) -> SimdPlan {
    let mut simd = SimdPlan::all(path);
    if path == SimdPath::Scalar {
        return simd;
    }
    // Each vector stage against the scalar kernel on the same candidates,
    // 3 to table_hi, all in both kernels' tables; beyond the table, from 1e8.
    let table_hi = 3 + 2 * CANDIDATES;
    let (lo, hi) = (100_000_001, 100_000_001 + 2 * CANDIDATES);
    let scalar = FastTester::with_beyond(table_hi * table_hi, fast_beyond);
    let vector = |plan| SimdTester::with_candidates(CANDIDATES as usize, plan, fast_beyond);
    let all = vector(SimdPlan::all(path));
    simd.small = faster(
        || all.factor_in(black_box(SMALL), 3, table_hi),
        || scalar.factor_in(black_box(SMALL), 3, table_hi),
    );
    simd.table = faster(
        || all.factor_in(black_box(BIG), 3, table_hi),
        || scalar.factor_in(black_box(BIG), 3, table_hi),
    );
    simd.fly = faster(
        || all.factor_in(black_box(BIG), lo, hi),
        || scalar.factor_in(black_box(BIG), lo, hi),
    );
    // 2^32 <= n < 2^52: the fastest of the tests this CPU has (issue 23).
    let tests: Vec<WideTest> = WideTest::ALL
        .into_iter()
        .filter(|t| *t != WideTest::Scalar && t.available_on(path))
        .collect();
    let testers: Vec<SimdTester> = tests
        .iter()
        .map(|&wide| vector(SimdPlan { wide, ..simd }))
        .collect();
    let runs: Vec<Box<dyn Fn() -> Option<u64> + '_>> = testers
        .iter()
        .map(|t| Box::new(move || t.factor_in(black_box(WIDE), 3, table_hi)) as Box<_>)
        .chain([Box::new(|| scalar.factor_in(black_box(WIDE), 3, table_hi)) as Box<_>])
        .collect();
    let contenders: Vec<&dyn Fn() -> Option<u64>> = runs.iter().map(|f| f.as_ref()).collect();
    simd.wide = tests
        .get(fastest(&contenders))
        .copied()
        .unwrap_or(WideTest::Scalar);
    simd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_picks_paths_this_cpu_has() {
        let tuning = Tuning::calibrated();
        assert!(tuning.simd.path.available());
        assert!(tuning.simd.wide.available_on(tuning.simd.path));
        assert_eq!(tuning, Tuning::calibrated(), "once per process");
    }

    #[test]
    fn the_calibrations_numbers_make_every_candidate_a_contender() {
        // Primes, so that no search stops early, in the stage they time.
        for n in [BIG, SMALL, WIDE] {
            assert!(crate::primes::oracle::is_prime_u64(n), "{n}");
        }
        const {
            assert!(SMALL <= u32::MAX as u64);
            assert!(WIDE > u32::MAX as u64 && WIDE < 1 << 52);
            assert!(BIG >= 1 << 52);
        }
    }

    #[test]
    fn the_fastest_contender_wins() {
        let slow = || Some((0..200_000u64).map(black_box).sum());
        let quick = || Some(black_box(1));
        assert_eq!(fastest(&[&slow, &quick, &slow]), 1);
    }
}
