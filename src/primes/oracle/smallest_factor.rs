//! The smallest prime factor of every number of a range, by a segmented
//! sieve that records the first prime to mark each number.

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
    let base = super::sieve::primes_in(2, root_ceiling(hi) + 1);
    let mut start = lo;
    while start < hi {
        let end = start.saturating_add(SEGMENT).min(hi);
        let mut smallest = vec![0u64; (end - start) as usize];
        for &p in &base {
            if p * p >= end {
                break;
            }
            let mut m = (p * p).max(start.div_ceil(p) * p);
            while m < end {
                let slot = &mut smallest[(m - start) as usize];
                if *slot == 0 {
                    *slot = p;
                }
                m += p;
            }
        }
        for &p in smallest.iter().filter(|&&p| p != 0) {
            *counts.entry(p).or_insert(0) += 1;
        }
        start = end;
    }
    counts
}

/// The smallest r with r * r >= x.
fn root_ceiling(x: u64) -> u64 {
    let mut r = (x as f64).sqrt() as u64;
    while r * r < x {
        r += 1;
    }
    while r > 0 && (r - 1) * (r - 1) >= x {
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
}
