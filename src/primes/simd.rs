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
//! forces a path in code. Each stage (small n from the table, large n from
//! the table, inverses on the fly) takes the vector path only where a short
//! calibration before any timer found it faster than the scalar kernel on
//! this CPU ([`SimdPlan`]). The path taken is written in the manifest and in
//! the `kernel_path` column of the CSV files.
//!
//! # Answers and early exits
//! The candidates are the book's, 3, 5, ..., in order; a block holds the next
//! L of them (lanes past the range's end are masked off) and the loop stops at
//! the first block holding a divisor, returning its smallest one. So every
//! answer, and the divisor every search stops at, is exactly the book's; the
//! only extra work is the rest of that last block (at most L - 1 candidates,
//! tested in the same instruction). Candidates are below 2^32 (they are at
//! most isqrt(n) for n < 2^64); any part of a range from 2^32 on is handed to
//! the scalar kernel.
//!
//! # Small n: 32-bit inverses (16 lanes with AVX-512, 8 with AVX2)
//! For n < 2^32, the test of [`super::fast`] works modulo 2^32 as well: for
//! odd d, multiplication by d permutes the 32-bit words, its inverse sends the
//! multiples 0, d, 2d, ... to 0, 1, 2, ..., so
//! d | n  <=>  n·inv32(d) mod 2^32 <= floor((2^32 - 1)/d).
//! The table holds inv32(d) and that limit for d = 3, 5, ... (8 bytes per
//! candidate, twice as many per vector as 64-bit words): one 32-bit multiply
//! (`vpmulld`) and one unsigned compare per lane.
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
//! That is four multiplications per lane with x from the table (4 bytes per
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

use std::sync::OnceLock;

use super::PrimeTest;
use super::fast::{Beyond, FastTester, inverse_mod_2_64};

/// Where the block test runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SimdPath {
    /// The scalar fast kernel, one candidate at a time.
    Scalar,
    /// 256-bit vectors: 8 candidates of n < 2^32, 4 of larger n.
    Avx2,
    /// 512-bit vectors: 16 candidates of n < 2^32, 8 of larger n.
    Avx512,
}

impl SimdPath {
    /// Every path, slowest first.
    pub const ALL: [SimdPath; 3] = [SimdPath::Scalar, SimdPath::Avx2, SimdPath::Avx512];

    /// The name written in manifests, CSV files and `RUNNER_SIMD`.
    pub fn name(self) -> &'static str {
        match self {
            SimdPath::Scalar => "scalar",
            SimdPath::Avx2 => "avx2",
            SimdPath::Avx512 => "avx512",
        }
    }

    /// The path named `name` (as [`SimdPath::name`] writes it).
    pub fn parse(name: &str) -> Option<SimdPath> {
        SimdPath::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether this CPU can run the path.
    pub fn available(self) -> bool {
        match self {
            SimdPath::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            SimdPath::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            SimdPath::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The best path this CPU has, at most the one `RUNNER_SIMD` names (an
    /// unknown name is ignored). Detected once per process.
    pub fn detect() -> SimdPath {
        static DETECTED: OnceLock<SimdPath> = OnceLock::new();
        *DETECTED.get_or_init(|| {
            let cap = std::env::var("RUNNER_SIMD")
                .ok()
                .and_then(|v| SimdPath::parse(v.trim()))
                .unwrap_or(SimdPath::Avx512);
            SimdPath::best_up_to(cap)
        })
    }

    /// The best path this CPU has, at most `cap`.
    pub fn best_up_to(cap: SimdPath) -> SimdPath {
        SimdPath::ALL
            .into_iter()
            .rev()
            .find(|p| *p <= cap && p.available())
            .unwrap_or(SimdPath::Scalar)
    }
}

impl std::fmt::Display for SimdPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where the vector path is taken, per kind of work: each stage runs on
/// vector lanes only where it beats the scalar kernel on this CPU (issue 15:
/// the vector path must not be taken where it loses). Chosen by a short
/// calibration before any timer (`work::calibrate`); every stage on for a
/// path forced in code ([`SimdTester::with_path`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SimdPlan {
    /// The instruction set.
    #[serde(with = "path_name")]
    pub path: SimdPath,
    /// n < 2^32, candidates from the table: 32-bit lanes.
    pub small: bool,
    /// n >= 2^32, candidates from the table: 64-bit lanes, inverses loaded.
    pub table: bool,
    /// Candidates beyond the table: 64-bit lanes, inverses on the fly.
    pub fly: bool,
}

impl SimdPlan {
    /// Every stage on `path`.
    pub fn all(path: SimdPath) -> SimdPlan {
        SimdPlan {
            path,
            small: true,
            table: true,
            fly: true,
        }
    }
}

impl SimdPlan {
    /// This plan, if this CPU can run its path; else every stage on the
    /// best path it has below that one (a worker on another host, reached
    /// through Redis, may lack the coordinator's instruction set).
    pub fn on_this_cpu(self) -> SimdPlan {
        match self.path.available() {
            true => self,
            false => SimdPlan::all(SimdPath::best_up_to(self.path)),
        }
    }
}

impl std::fmt::Display for SimdPlan {
    /// `avx512` when every stage is vectorised, else which stages are scalar.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path == SimdPath::Scalar {
            return f.write_str("scalar");
        }
        let scalar: Vec<&str> = [
            (self.small, "n<2^32"),
            (self.table, "table"),
            (self.fly, "beyond table"),
        ]
        .into_iter()
        .filter(|(vector, _)| !vector)
        .map(|(_, what)| what)
        .collect();
        match scalar.is_empty() {
            true => write!(f, "{}", self.path),
            false => write!(f, "{} (scalar for {})", self.path, scalar.join(", ")),
        }
    }
}

mod path_name {
    //! A [`SimdPath`] as its name.
    use super::SimdPath;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(path: &SimdPath, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(path.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SimdPath, D::Error> {
        let name = String::deserialize(d)?;
        SimdPath::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown simd path {name}")))
    }
}

/// Candidates kept in the table at most: 2^21 of them (8 bytes each, 16 MiB)
/// cover every candidate of every n below 1.7e13; beyond, on the fly.
pub const TABLE_MAX_CANDIDATES: usize = 1 << 21;

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
/// module's documentation. The table is built once per experiment case,
/// before the timer starts, for the largest n the case tests.
#[derive(Debug, Clone)]
pub struct SimdTester {
    plan: SimdPlan,
    /// inv32(3 + 2i) for candidate i.
    inverses: Vec<u32>,
    /// floor((2^32 - 1) / (3 + 2i)).
    limits: Vec<u32>,
    /// The scalar kernel: the fallback path, and the per-candidate test.
    scalar: FastTester,
}

impl SimdTester {
    /// A tester on the detected path ([`SimdPath::detect`]) whose table covers
    /// every candidate of every n <= `max_n` (up to [`TABLE_MAX_CANDIDATES`]).
    pub fn new(max_n: u64) -> Self {
        SimdTester::with_path(max_n, SimdPath::detect())
    }

    /// A tester on `path`, every stage vectorised; `path` must be available
    /// ([`SimdPath::available`]).
    pub fn with_path(max_n: u64, path: SimdPath) -> Self {
        SimdTester::with_plan(max_n, SimdPlan::all(path), Beyond::Inverse)
    }

    /// A tester following `plan`, whose scalar stages test candidates beyond
    /// the table by `beyond`; `plan.path` must be available.
    pub fn with_plan(max_n: u64, plan: SimdPlan, beyond: Beyond) -> Self {
        let path = plan.path;
        assert!(path.available(), "this CPU cannot run the {path} path");
        // The scalar kernel needs its own table where a table stage is scalar.
        let scalar_table = path == SimdPath::Scalar || !plan.small || !plan.table;
        let scalar = FastTester::with_beyond(if scalar_table { max_n } else { 0 }, beyond);
        if path == SimdPath::Scalar {
            return SimdTester {
                plan,
                inverses: Vec::new(),
                limits: Vec::new(),
                scalar,
            };
        }
        let wanted = (max_n.isqrt().saturating_sub(1) / 2) as usize;
        let len = match wanted {
            0 => 0,
            w => w.min(TABLE_MAX_CANDIDATES) + PAD,
        };
        let candidates = (0..len as u64).map(|i| 3 + 2 * i);
        SimdTester {
            plan,
            inverses: candidates
                .clone()
                .map(|d| inverse_mod_2_64(d) as u32)
                .collect(),
            limits: candidates.map(|d| (u32::MAX as u64 / d) as u32).collect(),
            scalar,
        }
    }

    /// The path this tester takes.
    pub fn path(&self) -> SimdPath {
        self.plan.path
    }

    /// Where this tester takes the vector path.
    pub fn plan(&self) -> SimdPlan {
        self.plan
    }

    /// The first candidate the table does not cover (3 when there is none).
    fn table_end(&self) -> u64 {
        3 + 2 * self.inverses.len().saturating_sub(PAD) as u64
    }

    /// The vector loop of this tester's path over [lo, hi), with `tables`
    /// (empty: inverses on the fly); hi <= 2^32.
    fn vector(&self, tables: Tables<'_>, n: u64, lo: u64, hi: u64) -> Option<u64> {
        match self.plan.path {
            SimdPath::Scalar => self.scalar.factor_in(n, lo, hi),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `with_plan` checked that this CPU has AVX-512F.
            SimdPath::Avx512 => unsafe { x86::factor_in_avx512(tables, n, lo, hi) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `with_plan` checked that this CPU has AVX2.
            SimdPath::Avx2 => unsafe { x86::factor_in_avx2(tables, n, lo, hi) },
            #[cfg(not(target_arch = "x86_64"))]
            _ => unreachable!("no vector path is available off x86-64"),
        }
    }
}

/// The prepared inverses and limits, by candidate index (d = 3 + 2i).
#[derive(Clone, Copy)]
struct Tables<'a> {
    inverses: &'a [u32],
    limits: &'a [u32],
}

impl Tables<'_> {
    /// No table: every inverse on the fly.
    const NONE: Tables<'static> = Tables {
        inverses: &[],
        limits: &[],
    };
}

impl SimdTester {
    fn tables(&self) -> Tables<'_> {
        Tables {
            inverses: &self.inverses,
            limits: &self.limits,
        }
    }
}

/// The first candidate from which the vector paths hand over to the scalar
/// kernel: the lanes' arithmetic needs d < 2^32.
const VECTOR_END: u64 = 1 << 32;

impl PrimeTest for SimdTester {
    /// Three stretches, each on the vector path where the plan says so and
    /// on the scalar kernel otherwise: the table's candidates, those beyond
    /// it up to 2^32, and any from 2^32 on (scalar).
    fn factor_in(&self, n: u64, lo: u64, hi: u64) -> Option<u64> {
        debug_assert!(lo % 2 == 1 && lo >= 3, "candidates are odd, from 3");
        let plan = self.plan;
        if plan.path == SimdPath::Scalar {
            return self.scalar.factor_in(n, lo, hi);
        }
        let vector_hi = hi.min(VECTOR_END);
        let table_hi = vector_hi.min(self.table_end()).max(lo);
        if lo < table_hi {
            let vector = if n <= u32::MAX as u64 {
                plan.small
            } else {
                plan.table
            };
            let found = match vector {
                true => self.vector(self.tables(), n, lo, table_hi),
                false => self.scalar.factor_in(n, lo, table_hi),
            };
            if found.is_some() {
                return found;
            }
        }
        let from = table_hi.max(lo);
        if from < vector_hi {
            let found = match plan.fly {
                true => self.vector(Tables::NONE, n, from, vector_hi),
                false => self.scalar.factor_in(n, from, vector_hi),
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

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The vector loops. Each walks [lo, hi) in blocks: 32-bit lanes from
    //! the table while n < 2^32 and the block is in the table, then 64-bit
    //! lanes with inverses from the table, then 64-bit lanes with inverses
    //! computed on the fly. Each returns at the first block with a divisor.

    use super::{SEEDS, Tables, index_of, lanes_below};
    use std::arch::x86_64::*;

    /// The AVX-512 loop (AVX-512F only): 16 lanes of 32 bits, 8 of 64.
    #[target_feature(enable = "avx512f")]
    pub(super) fn factor_in_avx512(t: Tables<'_>, n: u64, lo: u64, hi: u64) -> Option<u64> {
        let mut d = lo;
        let len = t.inverses.len();
        if n <= u32::MAX as u64 {
            let n32 = _mm512_set1_epi32(n as u32 as i32);
            while d < hi && index_of(d) + 16 <= len {
                let i = index_of(d);
                // SAFETY: i + 16 <= len, for both tables (of equal length).
                let (inv, lim) = unsafe {
                    (
                        _mm512_loadu_si512(t.inverses.as_ptr().add(i).cast()),
                        _mm512_loadu_si512(t.limits.as_ptr().add(i).cast()),
                    )
                };
                let q = _mm512_mullo_epi32(n32, inv);
                let hits = _mm512_cmple_epu32_mask(q, lim) as u64 & lanes_below(d, hi, 16);
                if hits != 0 {
                    return Some(d + 2 * hits.trailing_zeros() as u64);
                }
                d += 32;
            }
        }
        let n_all = _mm512_set1_epi64(n as i64);
        let n_lo = n_all; // vpmuludq reads the low 32 bits
        let steps = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
        let high_half = _mm512_set1_epi64(0xFFFF_FFFF_0000_0000u64 as i64);
        // The exact test of the module's documentation, on 8 lanes.
        let test = |ds: __m512i, x: __m512i| -> u64 {
            let q_lo = _mm512_mul_epu32(n_lo, x);
            let p = _mm512_mul_epu32(q_lo, ds);
            let fits = _mm512_cmple_epu64_mask(p, n_all);
            let r_hi = _mm512_srli_epi64::<32>(_mm512_sub_epi64(n_all, p));
            let q_hi = _mm512_mul_epu32(r_hi, x);
            let t = _mm512_mul_epu32(q_hi, ds);
            (fits & _mm512_testn_epi64_mask(t, high_half)) as u64
        };
        while d < hi && index_of(d) + 8 <= len {
            let i = index_of(d);
            // SAFETY: i + 8 <= len.
            let inv = unsafe { _mm256_loadu_si256(t.inverses.as_ptr().add(i).cast()) };
            let x = _mm512_cvtepu32_epi64(inv);
            let ds = _mm512_add_epi64(_mm512_set1_epi64(d as i64), steps);
            let hits = test(ds, x) & lanes_below(d, hi, 8);
            if hits != 0 {
                return Some(d + 2 * hits.trailing_zeros() as u64);
            }
            d += 16;
        }
        let two = _mm512_set1_epi64(2);
        while d < hi {
            let ds = _mm512_add_epi64(_mm512_set1_epi64(d as i64), steps);
            // SAFETY: the index is below 128 and SEEDS has 128 + 16 entries.
            let mut x =
                unsafe { _mm512_loadu_si512(SEEDS.as_ptr().add(((d >> 1) & 127) as usize).cast()) };
            for _ in 0..2 {
                x = _mm512_mullo_epi32(x, _mm512_sub_epi32(two, _mm512_mullo_epi32(ds, x)));
            }
            let hits = test(ds, x) & lanes_below(d, hi, 8);
            if hits != 0 {
                return Some(d + 2 * hits.trailing_zeros() as u64);
            }
            d += 16;
        }
        None
    }

    /// The AVX2 loop: 8 lanes of 32 bits, 4 of 64. AVX2 has no unsigned
    /// compares: x <= y is min(x, y) == x for 32 bits, and for 64 bits a
    /// signed compare after flipping both sign bits.
    #[target_feature(enable = "avx2")]
    pub(super) fn factor_in_avx2(t: Tables<'_>, n: u64, lo: u64, hi: u64) -> Option<u64> {
        let mut d = lo;
        let len = t.inverses.len();
        if n <= u32::MAX as u64 {
            let n32 = _mm256_set1_epi32(n as u32 as i32);
            while d < hi && index_of(d) + 8 <= len {
                let i = index_of(d);
                // SAFETY: i + 8 <= len, for both tables (of equal length).
                let (inv, lim) = unsafe {
                    (
                        _mm256_loadu_si256(t.inverses.as_ptr().add(i).cast()),
                        _mm256_loadu_si256(t.limits.as_ptr().add(i).cast()),
                    )
                };
                let q = _mm256_mullo_epi32(n32, inv);
                let le = _mm256_cmpeq_epi32(_mm256_min_epu32(q, lim), q);
                let hits =
                    _mm256_movemask_ps(_mm256_castsi256_ps(le)) as u64 & lanes_below(d, hi, 8);
                if hits != 0 {
                    return Some(d + 2 * hits.trailing_zeros() as u64);
                }
                d += 16;
            }
        }
        let n_all = _mm256_set1_epi64x(n as i64);
        let sign = _mm256_set1_epi64x(i64::MIN);
        let n_flipped = _mm256_xor_si256(n_all, sign);
        let steps = _mm256_set_epi64x(6, 4, 2, 0);
        let zero = _mm256_setzero_si256();
        let test = |ds: __m256i, x: __m256i| -> u64 {
            let q_lo = _mm256_mul_epu32(n_all, x);
            let p = _mm256_mul_epu32(q_lo, ds);
            let too_big = _mm256_cmpgt_epi64(_mm256_xor_si256(p, sign), n_flipped);
            let r_hi = _mm256_srli_epi64::<32>(_mm256_sub_epi64(n_all, p));
            let q_hi = _mm256_mul_epu32(r_hi, x);
            let t_hi = _mm256_srli_epi64::<32>(_mm256_mul_epu32(q_hi, ds));
            let ok = _mm256_andnot_si256(too_big, _mm256_cmpeq_epi64(t_hi, zero));
            _mm256_movemask_pd(_mm256_castsi256_pd(ok)) as u64
        };
        while d < hi && index_of(d) + 4 <= len {
            let i = index_of(d);
            // SAFETY: i + 4 <= len.
            let inv = unsafe { _mm_loadu_si128(t.inverses.as_ptr().add(i).cast()) };
            let x = _mm256_cvtepu32_epi64(inv);
            let ds = _mm256_add_epi64(_mm256_set1_epi64x(d as i64), steps);
            let hits = test(ds, x) & lanes_below(d, hi, 4);
            if hits != 0 {
                return Some(d + 2 * hits.trailing_zeros() as u64);
            }
            d += 8;
        }
        let two = _mm256_set1_epi64x(2);
        while d < hi {
            let ds = _mm256_add_epi64(_mm256_set1_epi64x(d as i64), steps);
            // SAFETY: the index is below 128 and SEEDS has 128 + 16 entries.
            let mut x =
                unsafe { _mm256_loadu_si256(SEEDS.as_ptr().add(((d >> 1) & 127) as usize).cast()) };
            for _ in 0..2 {
                x = _mm256_mullo_epi32(x, _mm256_sub_epi32(two, _mm256_mullo_epi32(ds, x)));
            }
            let hits = test(ds, x) & lanes_below(d, hi, 4);
            if hits != 0 {
                return Some(d + 2 * hits.trailing_zeros() as u64);
            }
            d += 8;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primes::check_prime_in_range;

    fn testers(max_n: u64) -> Vec<SimdTester> {
        SimdPath::ALL
            .into_iter()
            .filter(|p| p.available())
            .map(|p| SimdTester::with_path(max_n, p))
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
                        "{} path, n = {n}, [{lo}, {hi})",
                        tester.path()
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

    #[test]
    fn detection_caps_at_the_named_path() {
        assert_eq!(SimdPath::best_up_to(SimdPath::Scalar), SimdPath::Scalar);
        assert!(SimdPath::detect().available());
        for p in SimdPath::ALL {
            assert_eq!(SimdPath::parse(p.name()), Some(p));
        }
    }
}
