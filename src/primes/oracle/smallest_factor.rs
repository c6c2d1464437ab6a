//! The smallest prime factor of every number of a range, by a segmented
//! sieve that records the first prime to mark each number.
//!
//! Memory: one segment of 2^18 slots, the histogram (one entry per distinct
//! factor), and the base primes up to sqrt(hi), 8 bytes each, which is what
//! grows: about 1.6 GB for a range ending near 2^64 (see [`base_bytes`]); the
//! memory check refuses such a case before it runs. Every step is checked
//! arithmetic, so ranges touching 2^64 - 1 are counted exactly.

use std::collections::BTreeMap;

/// Numbers sieved at once.
const SEGMENT: u64 = 1 << 18;

/// How often each smallest factor occurs among the non-primes n >= 2 of
/// `[lo, hi)`.
pub fn smallest_factor_counts(lo: u64, hi: u64) -> BTreeMap<u64, u64> {
    let lo = lo.max(2);
    let mut counts = BTreeMap::new();
    if hi <= lo {
        return counts;
    }
    let base = super::primes_in(2, root_ceiling(hi).saturating_add(1));
    let mut smallest = vec![0u64; SEGMENT as usize];
    let mut start = lo;
    while start < hi {
        let end = start.saturating_add(SEGMENT).min(hi);
        let smallest = &mut smallest[..(end - start) as usize];
        smallest.fill(0);
        for &p in &base {
            let Some(square) = p.checked_mul(p).filter(|&sq| sq < end) else {
                break;
            };
            let Some(first) = start.div_ceil(p).checked_mul(p) else {
                continue;
            };
            let mut m = square.max(first);
            while m < end {
                let slot = &mut smallest[(m - start) as usize];
                if *slot == 0 {
                    *slot = p;
                }
                match m.checked_add(p) {
                    Some(next) => m = next,
                    None => break,
                }
            }
        }
        for &p in smallest.iter().filter(|&&p| p != 0) {
            *counts.entry(p).or_insert(0) += 1;
        }
        start = end;
    }
    counts
}

/// Peak bytes of the base primes for a range ending at `hi`: 8 per prime up
/// to sqrt(hi) (fewer than sqrt / 5 of them above 100), plus a segment.
pub fn base_bytes(hi: u64) -> u64 {
    let root = root_ceiling(hi);
    8 * (root / 5 + 30) + 8 * SEGMENT
}

/// The smallest r with r * r >= x (saturating: squares past u64 count as
/// larger than any x).
fn root_ceiling(x: u64) -> u64 {
    let square_below = |r: u64| r.checked_mul(r).is_some_and(|sq| sq < x);
    let mut r = (x as f64).sqrt() as u64;
    while square_below(r) {
        r += 1;
    }
    while r > 0 && !square_below(r - 1) {
        r -= 1;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_ranges_by_hand() {
        // 4, 6, 8, 9, 10, 12, 14, 15 in [3, 16): 2 x6, 3 x2
        let counts = smallest_factor_counts(3, 16);
        assert_eq!(counts, BTreeMap::from([(2, 6), (3, 2)]));
        let split: u64 = [
            smallest_factor_counts(3, 1_000),
            smallest_factor_counts(1_000, 300_000),
        ]
        .iter()
        .flat_map(|c| c.values())
        .sum();
        assert_eq!(
            split,
            smallest_factor_counts(3, 300_000).values().sum::<u64>()
        );
    }

    #[test]
    fn roots_near_2_64_do_not_overflow() {
        // Regression (hardening issue, item 2): `r * r` overflowed here.
        assert_eq!(root_ceiling(u64::MAX), 1 << 32);
        assert_eq!(root_ceiling(100), 10);
        assert_eq!(root_ceiling(101), 11);
        assert_eq!(root_ceiling(0), 0);
    }
}
