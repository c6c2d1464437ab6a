//! Choosing, per CPU, how the fast and simd kernels test candidates: a short
//! calibration (a few milliseconds, once per run, before any timer) times
//! each alternative on the same candidates and keeps the faster, so that
//! neither kernel is slower than the plain one, and no vector stage slower
//! than the scalar kernel, on any CPU (issue 15, item 2). The choice travels
//! to worker processes in [`KernelSpec`](super::KernelSpec) and is recorded
//! in the manifest and in the CSV files' `kernel_path` column.

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::primes::fast::Beyond;
use crate::primes::simd::{SimdPath, SimdPlan, SimdTester};
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
/// A prime whose candidates reach 3.2e8 (none divides it).
const BIG: u64 = 100_109_100_129_162_907;
/// The largest prime below 2^32.
const SMALL: u64 = 4_294_967_291;
/// Candidates per timing: a few tens of microseconds on any path.
const CANDIDATES: u64 = 16_384;

/// The fastest of [`ROUNDS`] timings of each of `a` and `b`: whether `a` is
/// faster.
fn faster(a: impl Fn() -> Option<u64>, b: impl Fn() -> Option<u64>) -> bool {
    let time = |f: &dyn Fn() -> Option<u64>| {
        let started = Instant::now();
        black_box(f());
        started.elapsed()
    };
    let (mut best_a, mut best_b) = (time(&a), time(&b)); // warm-up
    for _ in 0..ROUNDS {
        best_a = best_a.min(time(&a));
        best_b = best_b.min(time(&b));
    }
    best_a < best_b
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
    let path = SimdPath::detect();
    let mut simd = SimdPlan::all(path);
    if path != SimdPath::Scalar {
        // Each vector stage against the scalar kernel on the same candidates.
        let table_hi = 3 + 2 * CANDIDATES;
        let max_n = table_hi * table_hi;
        let vector = SimdTester::with_plan(max_n, SimdPlan::all(path), fast_beyond);
        let scalar = FastTester::with_beyond(max_n, fast_beyond);
        simd.small = faster(
            || vector.factor_in(black_box(SMALL), 3, table_hi),
            || scalar.factor_in(black_box(SMALL), 3, table_hi),
        );
        simd.table = faster(
            || vector.factor_in(black_box(BIG), 3, table_hi),
            || scalar.factor_in(black_box(BIG), 3, table_hi),
        );
        simd.fly = faster(
            || vector.factor_in(black_box(BIG), lo, hi),
            || scalar.factor_in(black_box(BIG), lo, hi),
        );
    }
    Tuning { fast_beyond, simd }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_picks_paths_this_cpu_has() {
        let tuning = Tuning::calibrated();
        assert!(tuning.simd.path.available());
        assert_eq!(tuning, Tuning::calibrated(), "once per process");
    }
}
