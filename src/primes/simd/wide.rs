//! The simd kernel's tests for 2^32 <= n < 2^52 (range E, n ≈ 1e11, and
//! every n up to 4.5e15): two exact divisibility tests that cost one or two
//! vector instructions per 8 candidates, where the 32-bit halves of the
//! module above cost four multiplies and six other instructions (issue 23
//! item 4). Here are their derivations, a scalar model of each lane (the
//! unit tests check the models against `%`; the vector loops in `avx512.rs`
//! and `avx2.rs` do what the models do, lane by lane, and tests/simd.rs checks
//! them against the oracle) and the tables they read.
//!
//! Candidates are below 2^26 (d <= isqrt(n) < 2^26), so both tests have
//! room to spare; the limit 2^52 is n's.
//!
//! # 52-bit multiplies (AVX-512 IFMA)
//! `vpmadd52luq` and `vpmadd52huq` multiply the low 52 bits of two lanes
//! into a 104-bit product and add its low or its high 52 bits to a third
//! (zero here). Modulo 2^52 the test of [`crate::primes::fast`] holds as it
//! does modulo 2^64: let x = inv(d) mod 2^52 (the low 52 bits of the table's
//! inverse modulo 2^64), q = n·x mod 2^52 (one `vpmadd52luq`) and
//! h = floor(q·d / 2^52) (one `vpmadd52huq`). Then q·d ≡ n·x·d ≡ n (mod 2^52),
//! and for n < 2^52:
//!
//! d | n  <=>  h = 0.
//! - If d | n, then n/d < 2^52 and (n/d)·d = n, so n/d ≡ n·x (mod 2^52):
//!   q = n/d, q·d = n < 2^52 and h = 0.
//! - If h = 0, then q·d < 2^52; it is congruent to n < 2^52 modulo 2^52, so
//!   q·d = n.
//!
//! Two multiplies and one test per 8 lanes; the table holds 8 bytes per
//! candidate (range E: 158 000 candidates, 1.3 MB, within a core's L2).
//!
//! # Doubles (AVX2 with FMA, or AVX-512F without IFMA)
//! n < 2^52 and d < 2^26 are exact as doubles. Let r = fl(1/d) (from the
//! table), p = fl(n·r), q = p rounded to the nearest integer, and
//! e = fl(n - q·d), rounded once (one fused multiply-add), so that e = 0
//! exactly when n = q·d. Claim: d | n  <=>  e = 0.
//! - If e = 0 then n = q·d.
//! - If d | n: with the unit roundoff u = 2^-53, r = (1/d)(1 + δ1) and
//!   p = n·r·(1 + δ2), |δ1|, |δ2| <= u, so |p - n/d| <= (n/d)(2u + u²),
//!   and n/d <= n/3 < 2^52/3 makes that at most about 1/3: the integer
//!   nearest to p is n/d, and e = 0.
//!
//! Multiply, round, FMA and compare per 4 or 8 lanes; the table holds 1/d,
//! 8 bytes per candidate. The lanes' d, as doubles, are exact too (below
//! 2^53), so they are counted up by adding 2·lanes per block.

use super::super::fast::inverse_mod_2_64;

/// n below this is tested by the wide tests (both need n < 2^52).
pub const WIDE_END: u64 = 1 << 52;

/// The IFMA test on one lane, as `vpmadd52luq` and `vpmadd52huq` compute it:
/// whether odd d divides n < 2^52, with `x` an inverse of d modulo 2^52 (or
/// 2^64: only the low 52 bits are read).
pub fn divides_ifma(n: u64, d: u64, x: u64) -> bool {
    const LOW_52: u64 = (1 << 52) - 1;
    let low_52_product = |a: u64, b: u64| (a & LOW_52) as u128 * (b & LOW_52) as u128;
    let q = low_52_product(n, x) as u64 & LOW_52; // vpmadd52luq(0, n, x)
    let h = (low_52_product(q, d) >> 52) as u64; // vpmadd52huq(0, q, d)
    h == 0
}

/// The doubles test on one lane: whether odd d < 2^26 divides n < 2^52, with
/// `r` = fl(1/d), rounding to nearest (ties to even) as `vroundpd` does.
pub fn divides_double(n: u64, d: u64, r: f64) -> bool {
    let (n, d) = (n as f64, d as f64);
    let q = (n * r).round_ties_even();
    (-q).mul_add(d, n) == 0.0
}

/// The inverses modulo 2^64 of the candidates 3, 5, ..., for the IFMA test
/// (its low 52 bits) and the 32-bit halves (its low 32 bits).
pub fn inverses(candidates: usize) -> Vec<u64> {
    (0..candidates as u64)
        .map(|i| inverse_mod_2_64(3 + 2 * i))
        .collect()
}

/// fl(1/d) of the candidates 3, 5, ..., for the doubles test.
pub fn reciprocals(candidates: usize) -> Vec<f64> {
    (0..candidates as u64)
        .map(|i| 1.0 / (3 + 2 * i) as f64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers below 2^52 on both sides of multiples of odd d: the largest
    /// multiples below 2^52 (where the bound on the doubles' error is
    /// tightest), small ones, and their neighbours.
    fn numbers(d: u64) -> impl Iterator<Item = u64> {
        let top = (WIDE_END - 1) / d * d;
        let near = |m: u64| [m.saturating_sub(1), m, m + 1, m + 2];
        [
            top,
            top - d,
            top - 1_000 * d,
            d,
            d * d,
            (1 << 32) / d * d + d,
        ]
        .into_iter()
        .flat_map(near)
        .filter(|&n| n < WIDE_END)
    }

    /// Odd candidates: the smallest, the largest below 2^26, and a spread.
    fn candidates() -> impl Iterator<Item = u64> {
        let spread = (0..20_000u64).map(|i| (i.wrapping_mul(0x9e37_79b9) % (1 << 26)) | 1);
        (3..2_001)
            .step_by(2)
            .chain([(1 << 26) - 1, 67_108_859])
            .chain(spread.filter(|&d| d >= 3))
    }

    #[test]
    fn the_ifma_model_is_exact_below_2_52() {
        for d in candidates() {
            let x = inverse_mod_2_64(d);
            for n in numbers(d) {
                assert_eq!(divides_ifma(n, d, x), n % d == 0, "{n} / {d}");
            }
        }
    }

    #[test]
    fn the_doubles_model_is_exact_below_2_52() {
        for d in candidates() {
            let r = 1.0 / d as f64;
            for n in numbers(d) {
                assert_eq!(divides_double(n, d, r), n % d == 0, "{n} / {d}");
            }
        }
    }

    #[test]
    fn the_tables_hold_each_candidates_inverse_and_reciprocal() {
        let (inv, rec) = (inverses(1_000), reciprocals(1_000));
        for (i, d) in (3..2_003u64).step_by(2).enumerate() {
            assert_eq!(d.wrapping_mul(inv[i]), 1);
            assert_eq!(rec[i], 1.0 / d as f64);
        }
    }
}
