//! The book's candidate loop, a block of candidates per step: the same exact
//! divisibility tests as [`super::fast`], done by vector instructions on 8 or
//! 16 candidates at once, reporting the smallest divisor of the block.
//!
//! # Which path runs
//! Chosen at run time ([`SimdPath::detect`]): AVX-512 (AVX-512F) where the CPU
//! has it, AVX2 otherwise, and the scalar [`FastTester`] as the fallback. The
//! environment variable `RUNNER_SIMD` (`avx512`, `avx2` or `scalar`) caps the
//! choice, for tests and for comparing paths on one machine; a path the CPU
//! lacks is never taken (the next one down is). [`SimdTester::with_path`]
//! forces a path in code. Each stage takes the vector path only where a
//! short calibration before any timer found it faster than the scalar kernel
//! on this CPU ([`SimdPlan`], `work::calibrate`); the stages are
//!
//! | n               | candidates         | test, per lane                        |
//! |-----------------|--------------------|---------------------------------------|
//! | n < 2^32        | from the table     | 32-bit inverse and limit (below)      |
//! | 2^32 <= n < 2^52 | from the table    | IFMA, doubles or halves (`wide.rs`)   |
//! | n >= 2^52       | from the table     | 32-bit halves (below)                 |
//! | any             | beyond the table   | halves, inverses on the fly (below)   |
//!
//! The path and the wide test taken are written in the manifest and in the
//! `kernel_path` column of the CSV files (`avx512+ifma`).
//!
//! # Answers and early exits
//! The candidates are the book's, 3, 5, ..., in order; a block holds the next
//! L of them (lanes past the range's end are masked off), a step tests U
//! blocks before one branch ([`blocks`]: its loop overhead, not the
//! multiplies, bounded the loops before issue 23), and the loop stops at the
//! first step holding a divisor, returning its smallest one. So every answer,
//! and the divisor every search stops at, is exactly the book's; the only
//! extra work is the rest of that last step (at most L·U - 1 candidates,
//! never past the range's end). Candidates are below 2^32 (they are at most
//! isqrt(n) for n < 2^64); any part of a range from 2^32 on is handed to the
//! scalar kernel.
//!
//! # Small n: 32-bit inverses (16 lanes with AVX-512, 8 with AVX2)
//! For n < 2^32, the test of [`super::fast`] works modulo 2^32 as well: for
//! odd d, multiplication by d permutes the 32-bit words, its inverse sends the
//! multiples 0, d, 2d, ... to 0, 1, 2, ..., so
//! d | n  <=>  n·inv32(d) mod 2^32 <= floor((2^32 - 1)/d).
//! The table holds inv32(d) and that limit for d = 3, 5, ..., 65535 (8 bytes
//! per candidate, twice as many per vector as 64-bit words): one 32-bit
//! multiply (`vpmulld`) and one unsigned compare per lane.
//!
//! # Any n: an exact test from 32-bit halves (8 lanes with AVX-512, 4 with AVX2)
//! Take d < 2^32 odd, x = inv32(d) (d·x ≡ 1 mod 2^32), n = n_hi·2^32 + n_lo.
//! Every product below is one 32x32 -> 64-bit multiply (`vpmuludq`), which
//! exists on every x86-64 vector unit and needs no 128-bit product:
//! 1. q_lo = n_lo·x mod 2^32: the low half of n/d, if d | n (it is the only
//!    q_lo < 2^32 with q_lo·d ≡ n mod 2^32).
//! 2. P = q_lo·d (exact, < 2^64). P ≡ n (mod 2^32), so when P <= n,
//!    R = n - P is a multiple of 2^32; let R_hi = R / 2^32 (< 2^32).
//! 3. q_hi = R_hi·x mod 2^32, and T = q_hi·d (exact); T ≡ R_hi (mod 2^32).
//!
//! Claim: d | n  <=>  P <= n and T < 2^32.
//! - If d | n, let q = n/d = q'_hi·2^32 + q'_lo. Then q'_lo = q_lo (step 1),
//!   P = q_lo·d <= q·d = n, R = q'_hi·d·2^32, so R_hi = q'_hi·d, which is
//!   below 2^32; q'_hi ≡ R_hi·x = q_hi and both are below 2^32, so q_hi = q'_hi
//!   and T = R_hi < 2^32.
//! - If P <= n and T < 2^32: T and R_hi are both below 2^32 and congruent
//!   mod 2^32, so T = R_hi and n = P + T·2^32 = d·(q_lo + q_hi·2^32).
//!
//! That is four multiplications per lane with x from the table (the low half
//! of the inverse modulo 2^64 the IFMA test reads too, 8 bytes per
//! candidate), eight when x is computed on the fly, where no table reaches.
//!
//! # Inverses on the fly: an 8-bit seed and two Newton steps
//! Newton's step x <- x·(2 - d·x) doubles the correct low bits of an inverse
//! (if d·x = 1 + e·2^k then d·x·(2 - d·x) = 1 - e²·2^2k). The seed is the
//! inverse of d mod 2^8 from a table of the 128 odd bytes; two steps give 16
//! and 32 bits, each step two 32-bit multiplies (`vpmulld`) on the 32-bit
//! halves of the 64-bit lanes: the low half holds d (or x), the high half 0,
//! which every step keeps 0 (0·0 = 0, 0 - 0 = 0). (With `vpmuludq` here LLVM
//! drops the implied masks, as only low bits are demanded, and emulates full
//! 64-bit products: three multiplies each.) The seeds need no gather: the lanes
//! hold consecutive odd candidates, whose table indices (d >> 1) mod 128 are
//! consecutive too, so the L seeds of a block are L consecutive entries of
//! [`SEEDS`], which repeats the 128 inverses and then its first 16 once more.

mod avx2;
mod avx512;
mod detect;
pub mod wide;

pub use detect::{SimdPath, SimdPlan, WideTest};

use super::PrimeTest;
use super::fast::{Beyond, FastTester, inverse_mod_2_64};
use wide::WIDE_END;

/// Candidates kept in the table at most: 2^21 of them (8 bytes each per
/// table, 16 MiB) cover every candidate of every n below 1.7e13; beyond, on
/// the fly.
pub const TABLE_MAX_CANDIDATES: usize = 1 << 21;

/// Candidates of n < 2^32: 3, 5, ..., 65535.
const SMALL_CANDIDATES: usize = (1 << 15) - 1;

/// Table entries beyond the largest candidate, so that a block starting at
/// any candidate of the table can be loaded whole (the widest block).
const PAD: usize = 16;

/// The inverse modulo 2^8 of 2i + 1, for i in 0..128, and again for i in
/// 0..16: the seeds of L consecutive odd candidates are L consecutive
/// entries, from any starting candidate (see the module's documentation).
static SEEDS: [u64; 128 + PAD] = {
    let mut seeds = [0u64; 128 + PAD];
    let mut i = 0;
    while i < 128 + PAD {
        let d = (2 * (i % 128) + 1) as u8;
        let mut x = d; // 3 correct bits; Newton: 6, 12 >= 8.
        let mut step = 0;
        while step < 3 {
            x = x.wrapping_mul(2u8.wrapping_sub(d.wrapping_mul(x)));
            step += 1;
        }
        seeds[i] = x as u64;
        i += 1;
    }
    seeds
};

/// The vector kernel: the book's candidates, a block per step; see the
/// module's documentation. The tables are built once per experiment case,
/// before the timer starts, for the largest n the case tests.
#[derive(Debug, Clone)]
pub struct SimdTester {
    plan: SimdPlan,
    /// inv32(3 + 2i) for candidate i of n < 2^32.
    small_inverses: Vec<u32>,
    /// floor((2^32 - 1) / (3 + 2i)).
    small_limits: Vec<u32>,
    /// The inverse of 3 + 2i modulo 2^64 (the IFMA test and the halves).
    inverses: Vec<u64>,
    /// fl(1 / (3 + 2i)) (the doubles test).
    reciprocals: Vec<f64>,
    /// The scalar kernel: the fallback path, and the per-candidate test.
    scalar: FastTester,
}

/// How many entries each table of a tester holds (padding included), and
/// whether its scalar kernel has a table: what [`SimdTester::with_plan`]
/// builds and [`SimdTester::table_bytes`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sizes {
    small: usize,
    inverses: usize,
    reciprocals: usize,
    scalar_max_n: u64,
}

impl Sizes {
    /// The tables a tester following `plan` needs for every n <= `max_n`.
    fn new(max_n: u64, plan: SimdPlan) -> Sizes {
        let padded = |candidates: u64| match candidates {
            0 => 0,
            c => c.min(TABLE_MAX_CANDIDATES as u64) as usize + PAD,
        };
        let candidates_below = |n: u64| n.isqrt().saturating_sub(1) / 2;
        let wide = plan.wide != WideTest::Scalar && max_n > u32::MAX as u64;
        let wide_candidates = candidates_below(max_n.min(WIDE_END - 1));
        let vector = plan.path != SimdPath::Scalar;
        // The scalar kernel needs its own table where a table stage is scalar.
        let scalar_table = !vector || !plan.small || plan.wide == WideTest::Scalar || !plan.table;
        Sizes {
            small: match vector && plan.small {
                true => padded(candidates_below(max_n).min(SMALL_CANDIDATES as u64)),
                false => 0,
            },
            inverses: match vector {
                true if plan.table && max_n >= WIDE_END => padded(candidates_below(max_n)),
                true if wide && matches!(plan.wide, WideTest::Ifma | WideTest::Halves) => {
                    padded(wide_candidates)
                }
                _ => 0,
            },
            reciprocals: match vector && wide && plan.wide == WideTest::Double {
                true => padded(wide_candidates),
                false => 0,
            },
            scalar_max_n: if scalar_table { max_n } else { 0 },
        }
    }
}

impl SimdTester {
    /// A tester on the detected path ([`SimdPath::detect`]) whose table covers
    /// every candidate of every n <= `max_n` (up to [`TABLE_MAX_CANDIDATES`]).
    pub fn new(max_n: u64) -> Self {
        SimdTester::with_path(max_n, SimdPath::detect())
    }

    /// A tester on `path`, every stage vectorised (the best wide test the
    /// CPU has); `path` must be available ([`SimdPath::available`]).
    pub fn with_path(max_n: u64, path: SimdPath) -> Self {
        SimdTester::with_plan(max_n, SimdPlan::all(path), Beyond::Inverse)
    }

    /// A tester following `plan`, whose scalar stages test candidates beyond
    /// the table by `beyond`; `plan` must run on this CPU (its path and its
    /// wide test available).
    pub fn with_plan(max_n: u64, plan: SimdPlan, beyond: Beyond) -> Self {
        SimdTester::with_sizes(Sizes::new(max_n, plan), plan, beyond)
    }

    /// A tester following `plan` with every table `plan` reads holding the
    /// first `candidates` candidates, for any n: the calibration's, which
    /// times each stage on a few thousand candidates whatever n is.
    pub(crate) fn with_candidates(candidates: usize, plan: SimdPlan, beyond: Beyond) -> Self {
        let table = |wanted: bool| if wanted { candidates + PAD } else { 0 };
        let sizes = Sizes {
            small: table(plan.small).min(SMALL_CANDIDATES + PAD),
            inverses: table(plan.table || matches!(plan.wide, WideTest::Ifma | WideTest::Halves)),
            reciprocals: table(plan.wide == WideTest::Double),
            scalar_max_n: (3 + 2 * candidates as u64).pow(2),
        };
        SimdTester::with_sizes(sizes, plan, beyond)
    }

    fn with_sizes(sizes: Sizes, plan: SimdPlan, beyond: Beyond) -> Self {
        let path = plan.path;
        assert!(path.available(), "this CPU cannot run the {path} path");
        assert!(
            plan.wide.available_on(path),
            "this CPU cannot run the {} test on the {path} path",
            plan.wide.name()
        );
        let candidates = |len: usize| (0..len as u64).map(|i| 3 + 2 * i);
        SimdTester {
            plan,
            small_inverses: candidates(sizes.small)
                .map(|d| inverse_mod_2_64(d) as u32)
                .collect(),
            small_limits: candidates(sizes.small)
                .map(|d| (u32::MAX as u64 / d) as u32)
                .collect(),
            inverses: wide::inverses(sizes.inverses),
            reciprocals: wide::reciprocals(sizes.reciprocals),
            scalar: FastTester::with_beyond(sizes.scalar_max_n, beyond),
        }
    }

    /// The bytes of the tables [`SimdTester::with_plan`] builds, the scalar
    /// kernel's included (for `runner memory`).
    pub fn table_bytes(max_n: u64, plan: SimdPlan) -> u64 {
        let sizes = Sizes::new(max_n, plan);
        let own = sizes.small * 2 * size_of::<u32>()
            + sizes.inverses * size_of::<u64>()
            + sizes.reciprocals * size_of::<f64>();
        own as u64 + FastTester::table_bytes(sizes.scalar_max_n)
    }

    /// The path this tester takes.
    pub fn path(&self) -> SimdPath {
        self.plan.path
    }

    /// Where this tester takes the vector path.
    pub fn plan(&self) -> SimdPlan {
        self.plan
    }
}

/// The stretch of a search that the table covers, by the kind of n.
#[derive(Debug, Clone, Copy)]
enum Stage {
    /// n < 2^32: 32-bit lanes.
    Small,
    /// 2^32 <= n < 2^52, by this test.
    Wide(WideTest),
    /// n >= 2^52: the 32-bit halves.
    Table,
}

/// The first candidate a table of `len` entries (padding included) does not
/// cover (3 when it is empty).
fn table_end(len: usize) -> u64 {
    3 + 2 * len.saturating_sub(PAD) as u64
}

/// Whether the blocks of [lo, hi) lie in a table of `len` entries
/// (padding included): true when hi is at most [`table_end`].
#[inline(always)]
fn in_table(len: usize, lo: u64, hi: u64) -> bool {
    lo >= hi || index_of(hi) + PAD <= len
}

impl SimdTester {
    /// The stage of n, whether it is vectorised, and the end of its table
    /// (the scalar kernel's where the stage is scalar). A table ends below
    /// 2^32 (it holds at most [`TABLE_MAX_CANDIDATES`]).
    #[inline]
    fn stage(&self, n: u64) -> (Stage, bool, u64) {
        let plan = self.plan;
        let (stage, vector, len) = if n <= u32::MAX as u64 {
            (Stage::Small, plan.small, self.small_inverses.len())
        } else if n < WIDE_END {
            let len = match plan.wide {
                WideTest::Double => self.reciprocals.len(),
                _ => self.inverses.len(),
            };
            (Stage::Wide(plan.wide), plan.wide != WideTest::Scalar, len)
        } else {
            (Stage::Table, plan.table, self.inverses.len())
        };
        match vector && plan.path != SimdPath::Scalar {
            true => (stage, true, table_end(len)),
            false => (stage, false, self.scalar.table_end()),
        }
    }

    /// The vector loop of `stage` over [lo, hi), all in its table.
    #[inline]
    fn vector(&self, stage: Stage, n: u64, lo: u64, hi: u64) -> Option<u64> {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `with_sizes` checked that this CPU has the plan's path and
        // its wide test (AVX-512F, AVX-512 IFMA, AVX2, FMA).
        unsafe {
            match (self.plan.path, stage) {
                (SimdPath::Avx512, Stage::Small) => {
                    avx512::small(&self.small_inverses, &self.small_limits, n, lo, hi)
                }
                (SimdPath::Avx512, Stage::Wide(WideTest::Ifma)) => {
                    avx512::wide_ifma(&self.inverses, n, lo, hi)
                }
                (SimdPath::Avx512, Stage::Wide(WideTest::Double)) => {
                    avx512::wide_double(&self.reciprocals, n, lo, hi)
                }
                (SimdPath::Avx512, _) => avx512::table(&self.inverses, n, lo, hi),
                (SimdPath::Avx2, Stage::Small) => {
                    avx2::small(&self.small_inverses, &self.small_limits, n, lo, hi)
                }
                (SimdPath::Avx2, Stage::Wide(WideTest::Double)) => {
                    avx2::wide_double(&self.reciprocals, n, lo, hi)
                }
                (SimdPath::Avx2, _) => avx2::table(&self.inverses, n, lo, hi),
                (SimdPath::Scalar, _) => self.scalar.factor_in(n, lo, hi),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        self.scalar.factor_in(n, lo, hi)
    }

    /// The vector loop over candidates beyond the table, [lo, hi), hi <= 2^32.
    fn fly(&self, n: u64, lo: u64, hi: u64) -> Option<u64> {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `with_sizes` checked that this CPU has the plan's path.
        unsafe {
            match self.plan.path {
                SimdPath::Avx512 => avx512::fly(n, lo, hi),
                SimdPath::Avx2 => avx2::fly(n, lo, hi),
                SimdPath::Scalar => self.scalar.factor_in(n, lo, hi),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        self.scalar.factor_in(n, lo, hi)
    }
}

/// The first candidate from which the vector paths hand over to the scalar
/// kernel: the lanes' arithmetic needs d < 2^32.
const VECTOR_END: u64 = 1 << 32;

impl SimdTester {
    /// [`PrimeTest::factor_in`] stretch by stretch.
    fn stretches(&self, n: u64, lo: u64, hi: u64) -> Option<u64> {
        debug_assert!(lo % 2 == 1 && lo >= 3, "candidates are odd, from 3");
        if self.plan.path == SimdPath::Scalar {
            return self.scalar.factor_in(n, lo, hi);
        }
        let vector_hi = hi.min(VECTOR_END);
        let (stage, vector, end) = self.stage(n);
        let table_hi = vector_hi.min(end).max(lo);
        if lo < table_hi {
            let found = match vector {
                true => self.vector(stage, n, lo, table_hi),
                false => self.scalar.factor_in(n, lo, table_hi),
            };
            if found.is_some() {
                return found;
            }
        }
        if table_hi < vector_hi {
            let found = match self.plan.fly {
                true => self.fly(n, table_hi, vector_hi),
                false => self.scalar.factor_in(n, table_hi, vector_hi),
            };
            if found.is_some() {
                return found;
            }
        }
        if hi > VECTOR_END {
            return self.scalar.factor_in(n, lo.max(VECTOR_END + 1), hi);
        }
        None
    }
}

impl PrimeTest for SimdTester {
    /// Three stretches, each on the vector path where the plan says so and
    /// on the scalar kernel otherwise: the table's candidates (by n's
    /// stage), those beyond it up to 2^32, and any from 2^32 on (scalar).
    /// Inlined where the whole search lies in a vectorised table (every
    /// is_prime of ranges A to E), which is then one call.
    #[inline]
    fn factor_in(&self, n: u64, lo: u64, hi: u64) -> Option<u64> {
        let (stage, vector, end) = self.stage(n);
        match vector && hi <= end {
            true => self.vector(stage, n, lo, hi),
            false => self.stretches(n, lo, hi),
        }
    }

    /// One candidate, on the fly, for loops that do bookkeeping between
    /// candidates (they cannot use blocks).
    #[inline]
    fn divides(&self, n: u64, d: u64) -> bool {
        self.scalar.divides(n, d)
    }

    fn is_prime(&self, n: u64) -> bool {
        if n < 4 {
            return n >= 2;
        }
        n % 2 == 1 && self.factor_in(n, 3, isqrt(n) + 1).is_none()
    }
}

/// isqrt(n), exactly: from the float square root (exact to within one for
/// n < 2^52, where n converts exactly), corrected; `u64::isqrt` beyond.
#[inline]
pub fn isqrt(n: u64) -> u64 {
    if n >= 1 << 52 {
        return n.isqrt();
    }
    let mut r = (n as f64).sqrt() as u64;
    if r * r > n {
        r -= 1;
    } else if (r + 1) * (r + 1) <= n {
        r += 1;
    }
    r
}

/// Index of candidate d in the tables.
#[inline(always)]
fn index_of(d: u64) -> usize {
    ((d - 3) / 2) as usize
}

/// The lanes of a block starting at candidate d that lie below hi, as a mask
/// of the low bits (all `lanes` of them when the block ends before hi).
#[inline(always)]
fn lanes_below(d: u64, hi: u64, lanes: u64) -> u64 {
    let inside = (hi - d).div_ceil(2).min(lanes);
    (1u64 << inside) - 1
}

/// The book's loop over the odd candidates [lo, hi), vectorised: blocks of
/// `L` lanes (the candidates d, d + 2, ..., d + 2(L - 1)), `U` blocks per
/// step tested before one branch, and the smallest candidate of the first
/// step whose lanes `test` sets; blocks past hi are never tested, and lanes
/// from hi on are masked off.
///
/// `test(i, lanes)` returns the hits of the block whose first candidate is
/// d = 3 + 2i (the table's index i) as the low `L` bits
/// of a mask (a `u16` or `u8` on AVX-512, so they may stay in mask
/// registers);
/// `lanes` is what the test needs per lane (their candidates, or nothing),
/// given for the block at lo and moved `k` blocks on by `advance(lanes, k)`:
/// each block's from the step's start, so no chain of additions runs
/// through a step. Inlined into each vector loop, whose target features
/// its closures inherit.
#[inline(always)]
fn blocks<const L: u64, const U: usize, V: Copy, M>(
    lo: u64,
    hi: u64,
    lanes: V,
    advance: impl Fn(V, u64) -> V,
    test: impl Fn(usize, V) -> M,
) -> Option<u64>
where
    M: Copy + Default + Eq + std::ops::BitOr<Output = M> + Into<u64>,
{
    const { assert!(L * U as u64 <= 64, "a step's hits fit in a u64") };
    let step = 2 * L * U as u64;
    let (mut d, mut lanes) = (lo, lanes);
    while d + step <= hi {
        let i = index_of(d);
        let hits: [M; U] = std::array::from_fn(|j| match j {
            0 => test(i, lanes),
            j => test(i + L as usize * j, advance(lanes, j as u64)),
        });
        // Whether any lane hit, from the masks as the test left them (on
        // AVX-512, one `kortest` of mask registers); where, only then.
        if hits.iter().fold(M::default(), |any, &h| any | h) != M::default() {
            let at = (0..U).fold(0, |all, j| all | hits[j].into() << (L * j as u64));
            return Some(d + 2 * at.trailing_zeros() as u64);
        }
        d += step;
        lanes = advance(lanes, U as u64);
    }
    while d < hi {
        let hits = test(index_of(d), lanes).into() & lanes_below(d, hi, L);
        if hits != 0 {
            return Some(d + 2 * hits.trailing_zeros() as u64);
        }
        d += 2 * L;
        lanes = advance(lanes, 1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primes::check_prime_in_range;

    /// Testers on every path and every wide test this CPU has.
    fn testers(max_n: u64) -> Vec<SimdTester> {
        SimdPath::ALL
            .into_iter()
            .flat_map(|path| {
                WideTest::ALL.map(|wide| SimdPlan {
                    wide,
                    ..SimdPlan::all(path)
                })
            })
            .filter(|plan| plan.wide.available_on(plan.path))
            .map(|plan| SimdTester::with_plan(max_n, plan, Beyond::Inverse))
            .collect()
    }

    #[test]
    fn seeds_are_inverses_mod_256() {
        for (i, &x) in SEEDS.iter().enumerate() {
            let d = 2 * (i % 128) as u64 + 1;
            assert_eq!((d * x) % 256, 1, "d = {d}");
        }
    }

    #[test]
    fn isqrt_is_exact_at_squares() {
        for r in [0u64, 1, 2, 3, 65_535, 65_536, 67_108_863, (1 << 26) + 1] {
            for n in [r * r, (r * r).saturating_sub(1), r * r + 1] {
                assert_eq!(isqrt(n), n.isqrt(), "n = {n}");
            }
        }
        let big = (1u64 << 26) - 1;
        assert_eq!(isqrt(big * big - 1), big - 1);
        assert_eq!(isqrt(u64::MAX), u64::MAX.isqrt());
    }

    #[test]
    fn every_path_finds_the_smallest_divisor_in_any_range() {
        // Ranges that start and end off block boundaries, on both sides of
        // the table's end, for n below and above 2^32.
        let numbers = [
            3u64 * 5 * 7 * 11 * 13 * 17 * 19 * 23,
            65_521 * 65_519,
            4_294_967_291,
            4_294_967_291 * 3,
            65_537 * 4_294_967_291,
            4_294_967_279 * 4_294_967_291,
            100_109_100_129_162_907,
            u64::MAX,
            u64::MAX - 2,
        ];
        for tester in testers(1 << 20).iter().chain(&testers(0)) {
            for &n in &numbers {
                for (lo, hi) in [(3, 400), (5, 37), (23, 24), (21, 2_001), (1_001, 70_001)] {
                    assert_eq!(
                        tester.factor_in(n, lo, hi),
                        check_prime_in_range(n, lo, hi),
                        "{}, n = {n}, [{lo}, {hi})",
                        tester.plan()
                    );
                }
            }
        }
    }

    #[test]
    fn ranges_reaching_2_pow_32_are_finished_by_the_scalar_kernel() {
        let n = 4_294_967_311u64 * 3_000_000_019; // two primes beyond and below 2^32
        for tester in testers(0) {
            let (lo, hi) = (4_294_967_291 - 40, 4_294_967_311 + 2);
            assert_eq!(
                tester.factor_in(n, lo, hi),
                check_prime_in_range(n, lo, hi),
                "{}",
                tester.path()
            );
            assert_eq!(tester.factor_in(n, lo, hi), Some(4_294_967_311));
        }
    }
}
