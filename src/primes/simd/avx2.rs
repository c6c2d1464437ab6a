//! The AVX2 loops: 8 lanes of 32 bits for n < 2^32, 4 lanes of 64 bits
//! beyond, as the AVX-512 ones (`avx512.rs`). AVX2 has no unsigned compares
//! and no mask registers: x <= y is min(x, y) == x for 32 bits and a signed
//! compare after flipping both sign bits for 64, and a block's hits are the
//! sign bits of its lanes (`vmovmskps`, `vmovmskpd`).

use std::arch::x86_64::*;

use super::{SEEDS, blocks, in_table};

/// The lanes' candidates of the block at `lo`, and `k` blocks on.
#[target_feature(enable = "avx2")]
fn divisors(lo: u64) -> (__m256i, impl Fn(__m256i, u64) -> __m256i) {
    let advance = |ds, k: u64| _mm256_add_epi64(ds, _mm256_set1_epi64x(8 * k as i64));
    let steps = _mm256_set_epi64x(6, 4, 2, 0);
    (
        _mm256_add_epi64(_mm256_set1_epi64x(lo as i64), steps),
        advance,
    )
}

/// n < 2^32, candidates from the table (`hi` at most its end): one 32-bit
/// multiply (`vpmulld`) and one compare per 8 lanes.
#[target_feature(enable = "avx2")]
pub(super) fn small(inverses: &[u32], limits: &[u32], n: u64, lo: u64, hi: u64) -> Option<u64> {
    let len = inverses.len().min(limits.len());
    assert!(in_table(len, lo, hi), "the block loads stay in the table");
    let n32 = _mm256_set1_epi32(n as u32 as i32);
    blocks::<8, 4, (), _>(
        lo,
        hi,
        (),
        |(), _| (),
        |i, ()| {
            // SAFETY: the block starts below hi, so i + 8 <= len (asserted above).
            let (inv, lim) = unsafe {
                (
                    _mm256_loadu_si256(inverses.as_ptr().add(i).cast()),
                    _mm256_loadu_si256(limits.as_ptr().add(i).cast()),
                )
            };
            let q = _mm256_mullo_epi32(n32, inv);
            let le = _mm256_cmpeq_epi32(_mm256_min_epu32(q, lim), q);
            _mm256_movemask_ps(_mm256_castsi256_ps(le)) as u8
        },
    )
}

/// 2^32 <= n < 2^52, candidates from the table of reciprocals: multiply,
/// round, fused multiply-add and compare per 4 lanes of doubles.
#[target_feature(enable = "avx2,fma")]
pub(super) fn wide_double(reciprocals: &[f64], n: u64, lo: u64, hi: u64) -> Option<u64> {
    assert!(
        in_table(reciprocals.len(), lo, hi),
        "the block loads stay in the table"
    );
    let (nf, zero) = (_mm256_set1_pd(n as f64), _mm256_setzero_pd());
    let ds = _mm256_add_pd(_mm256_set1_pd(lo as f64), _mm256_set_pd(6.0, 4.0, 2.0, 0.0));
    let advance = |ds, k: u64| _mm256_add_pd(ds, _mm256_set1_pd(8.0 * k as f64));
    blocks::<4, 4, __m256d, _>(lo, hi, ds, advance, |i, ds| {
        // SAFETY: the block starts below hi, so i + 4 <= len (asserted above).
        let r = unsafe { _mm256_loadu_pd(reciprocals.as_ptr().add(i)) };
        let q = _mm256_round_pd::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
            _mm256_mul_pd(nf, r),
        );
        let e = _mm256_fnmadd_pd(q, ds, nf);
        _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_EQ_OQ>(e, zero)) as u8
    })
}

/// The exact test from 32-bit halves (any n), on 4 lanes: `ds` the lanes'
/// candidates, `x` their inverses modulo 2^32 (in the low halves).
#[target_feature(enable = "avx2")]
fn halves(n: u64, ds: __m256i, x: __m256i) -> u8 {
    let n_all = _mm256_set1_epi64x(n as i64);
    let sign = _mm256_set1_epi64x(i64::MIN);
    let q_lo = _mm256_mul_epu32(n_all, x);
    let p = _mm256_mul_epu32(q_lo, ds);
    let too_big = _mm256_cmpgt_epi64(_mm256_xor_si256(p, sign), _mm256_xor_si256(n_all, sign));
    let r_hi = _mm256_srli_epi64::<32>(_mm256_sub_epi64(n_all, p));
    let q_hi = _mm256_mul_epu32(r_hi, x);
    let t_hi = _mm256_srli_epi64::<32>(_mm256_mul_epu32(q_hi, ds));
    let ok = _mm256_andnot_si256(too_big, _mm256_cmpeq_epi64(t_hi, _mm256_setzero_si256()));
    _mm256_movemask_pd(_mm256_castsi256_pd(ok)) as u8
}

/// Any n (those from 2^52 here, and from 2^32 where the doubles lose),
/// candidates from the table of inverses: four `vpmuludq` per 4 lanes.
#[target_feature(enable = "avx2")]
pub(super) fn table(inverses: &[u64], n: u64, lo: u64, hi: u64) -> Option<u64> {
    assert!(
        in_table(inverses.len(), lo, hi),
        "the block loads stay in the table"
    );
    let (ds, advance) = divisors(lo);
    blocks::<4, 4, __m256i, _>(lo, hi, ds, advance, |i, ds| {
        // SAFETY: the block starts below hi, so i + 4 <= len (asserted above).
        let x = unsafe { _mm256_loadu_si256(inverses.as_ptr().add(i).cast()) };
        halves(n, ds, x)
    })
}

/// Any n, any candidates below 2^32, no table: each lane's inverse from an
/// 8-bit seed and two Newton steps, then the 32-bit halves.
#[target_feature(enable = "avx2")]
pub(super) fn fly(n: u64, lo: u64, hi: u64) -> Option<u64> {
    let two = _mm256_set1_epi64x(2);
    let (ds, advance) = divisors(lo);
    blocks::<4, 2, __m256i, _>(lo, hi, ds, advance, |i, ds| {
        // SAFETY: the index is below 128 and SEEDS has 128 + 16 entries.
        let mut x = unsafe { _mm256_loadu_si256(SEEDS.as_ptr().add((i + 1) & 127).cast()) };
        for _ in 0..2 {
            x = _mm256_mullo_epi32(x, _mm256_sub_epi32(two, _mm256_mullo_epi32(ds, x)));
        }
        halves(n, ds, x)
    })
}
