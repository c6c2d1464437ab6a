//! The AVX-512 loops: 16 lanes of 32 bits for n < 2^32, 8 lanes of 64 bits
//! beyond. Each walks the odd candidates [lo, hi) with [`blocks`] and
//! returns the smallest divisor of the first block holding one. The tests
//! are derived in the module above (32-bit inverses, 32-bit halves,
//! inverses on the fly) and in `wide.rs` (IFMA and doubles).

use std::arch::x86_64::*;

use super::{SEEDS, blocks, in_table};

/// The lanes' offsets from a block's first candidate, in 64-bit lanes.
#[target_feature(enable = "avx512f")]
fn steps() -> __m512i {
    _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0)
}

/// The lanes' candidates of the block at `lo`, and `k` blocks on.
#[target_feature(enable = "avx512f")]
fn divisors(lo: u64) -> (__m512i, impl Fn(__m512i, u64) -> __m512i) {
    let advance = |ds, k: u64| _mm512_add_epi64(ds, _mm512_set1_epi64(16 * k as i64));
    (
        _mm512_add_epi64(_mm512_set1_epi64(lo as i64), steps()),
        advance,
    )
}

/// n < 2^32, candidates from the table (`hi` at most its end): one 32-bit
/// multiply (`vpmulld`) and one compare per 16 lanes.
#[target_feature(enable = "avx512f")]
pub(super) fn small(inverses: &[u32], limits: &[u32], n: u64, lo: u64, hi: u64) -> Option<u64> {
    let len = inverses.len().min(limits.len());
    assert!(in_table(len, lo, hi), "the block loads stay in the table");
    let n32 = _mm512_set1_epi32(n as u32 as i32);
    blocks::<16, 2, (), _>(
        lo,
        hi,
        (),
        |(), _| (),
        |i, ()| {
            // SAFETY: the block starts below hi, so i + 16 <= len (asserted above).
            let (inv, lim) = unsafe {
                (
                    _mm512_loadu_si512(inverses.as_ptr().add(i).cast()),
                    _mm512_loadu_si512(limits.as_ptr().add(i).cast()),
                )
            };
            _mm512_cmple_epu32_mask(_mm512_mullo_epi32(n32, inv), lim)
        },
    )
}

/// 2^32 <= n < 2^52, candidates from the table of inverses: two 52-bit
/// multiplies (`vpmadd52luq`, `vpmadd52huq`) and one test per 8 lanes.
#[target_feature(enable = "avx512f,avx512ifma")]
pub(super) fn wide_ifma(inverses: &[u64], n: u64, lo: u64, hi: u64) -> Option<u64> {
    assert!(
        in_table(inverses.len(), lo, hi),
        "the block loads stay in the table"
    );
    let (n_all, zero) = (_mm512_set1_epi64(n as i64), _mm512_setzero_si512());
    let (ds, advance) = divisors(lo);
    blocks::<8, 4, __m512i, _>(lo, hi, ds, advance, |i, ds| {
        // SAFETY: the block starts below hi, so i + 8 <= len (asserted above).
        let x = unsafe { _mm512_loadu_si512(inverses.as_ptr().add(i).cast()) };
        let q = _mm512_madd52lo_epu64(zero, n_all, x);
        let h = _mm512_madd52hi_epu64(zero, q, ds);
        _mm512_testn_epi64_mask(h, h)
    })
}

/// 2^32 <= n < 2^52, candidates from the table of reciprocals: multiply,
/// round, fused multiply-add and compare per 8 lanes of doubles.
#[target_feature(enable = "avx512f")]
pub(super) fn wide_double(reciprocals: &[f64], n: u64, lo: u64, hi: u64) -> Option<u64> {
    assert!(
        in_table(reciprocals.len(), lo, hi),
        "the block loads stay in the table"
    );
    let (nf, zero) = (_mm512_set1_pd(n as f64), _mm512_setzero_pd());
    let steps = _mm512_set_pd(14.0, 12.0, 10.0, 8.0, 6.0, 4.0, 2.0, 0.0);
    let ds = _mm512_add_pd(_mm512_set1_pd(lo as f64), steps);
    let advance = |ds, k: u64| _mm512_add_pd(ds, _mm512_set1_pd(16.0 * k as f64));
    blocks::<8, 4, __m512d, _>(lo, hi, ds, advance, |i, ds| {
        // SAFETY: the block starts below hi, so i + 8 <= len (asserted above).
        let r = unsafe { _mm512_loadu_pd(reciprocals.as_ptr().add(i)) };
        let q = _mm512_roundscale_pd::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
            _mm512_mul_pd(nf, r),
        );
        _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(_mm512_fnmadd_pd(q, ds, nf), zero)
    })
}

/// The exact test from 32-bit halves (any n), on 8 lanes: `ds` the lanes'
/// candidates, `x` their inverses modulo 2^32 (in the low halves).
#[target_feature(enable = "avx512f")]
fn halves(n: u64, ds: __m512i, x: __m512i) -> __mmask8 {
    let n_all = _mm512_set1_epi64(n as i64); // vpmuludq reads its low 32 bits
    let q_lo = _mm512_mul_epu32(n_all, x);
    let p = _mm512_mul_epu32(q_lo, ds);
    let fits = _mm512_cmple_epu64_mask(p, n_all);
    let r_hi = _mm512_srli_epi64::<32>(_mm512_sub_epi64(n_all, p));
    let q_hi = _mm512_mul_epu32(r_hi, x);
    let t = _mm512_mul_epu32(q_hi, ds);
    let high_half = _mm512_set1_epi64(0xFFFF_FFFF_0000_0000u64 as i64);
    fits & _mm512_testn_epi64_mask(t, high_half)
}

/// Any n (those from 2^52 here), candidates from the table of inverses
/// (modulo 2^64; the halves read their low 32 bits): four 32x32 -> 64-bit
/// multiplies (`vpmuludq`) per 8 lanes.
#[target_feature(enable = "avx512f")]
pub(super) fn table(inverses: &[u64], n: u64, lo: u64, hi: u64) -> Option<u64> {
    assert!(
        in_table(inverses.len(), lo, hi),
        "the block loads stay in the table"
    );
    let (ds, advance) = divisors(lo);
    blocks::<8, 2, __m512i, _>(lo, hi, ds, advance, |i, ds| {
        // SAFETY: the block starts below hi, so i + 8 <= len (asserted above).
        let x = unsafe { _mm512_loadu_si512(inverses.as_ptr().add(i).cast()) };
        halves(n, ds, x)
    })
}

/// Any n, any candidates below 2^32, no table: each lane's inverse from an
/// 8-bit seed and two Newton steps, then the 32-bit halves.
#[target_feature(enable = "avx512f")]
pub(super) fn fly(n: u64, lo: u64, hi: u64) -> Option<u64> {
    let two = _mm512_set1_epi64(2);
    let (ds, advance) = divisors(lo);
    blocks::<8, 2, __m512i, _>(lo, hi, ds, advance, |i, ds| {
        // SAFETY: the index is below 128 and SEEDS has 128 + 16 entries.
        let mut x = unsafe { _mm512_loadu_si512(SEEDS.as_ptr().add((i + 1) & 127).cast()) };
        for _ in 0..2 {
            x = _mm512_mullo_epi32(x, _mm512_sub_epi32(two, _mm512_mullo_epi32(ds, x)));
        }
        halves(n, ds, x)
    })
}
