//! A segmented sieve of Eratosthenes: every prime in `[lo, hi)`.

/// Numbers sieved at once; 256 KiB of flags fits in L2.
const SEGMENT: u64 = 1 << 18;

/// All primes in `[lo, hi)`, ascending.
pub fn primes_in(lo: u64, hi: u64) -> Vec<u64> {
    if hi <= lo {
        return Vec::new();
    }
    let base = small_primes(root_bound(hi - 1));
    let mut found = Vec::new();
    let mut seg_lo = lo;
    while seg_lo < hi {
        let seg_hi = seg_lo.saturating_add(SEGMENT).min(hi);
        sieve_segment(seg_lo, seg_hi, &base, &mut found);
        seg_lo = seg_hi;
    }
    found
}

/// The smallest r with (r + 1)^2 > x, found without the kernels' isqrt.
fn root_bound(x: u64) -> u64 {
    let mut r = (x as f64).sqrt() as u64;
    while r.checked_mul(r).is_none_or(|sq| sq > x) {
        r -= 1;
    }
    while (r + 1).checked_mul(r + 1).is_some_and(|sq| sq <= x) {
        r += 1;
    }
    r
}

/// Primes up to and including `limit`, by the plain sieve.
fn small_primes(limit: u64) -> Vec<u64> {
    let limit = limit as usize;
    let mut composite = vec![false; limit + 1];
    let mut primes = Vec::new();
    for p in 2..=limit {
        if composite[p] {
            continue;
        }
        primes.push(p as u64);
        let mut m = p * p;
        while m <= limit {
            composite[m] = true;
            m += p;
        }
    }
    primes
}

/// Appends the primes in `[lo, hi)` using the base primes up to sqrt(hi).
fn sieve_segment(lo: u64, hi: u64, base: &[u64], found: &mut Vec<u64>) {
    let mut composite = vec![false; (hi - lo) as usize];
    for &p in base {
        let Some(square) = p.checked_mul(p) else {
            break;
        };
        if square >= hi {
            break;
        }
        // First multiple of p in the segment, but never p itself.
        let first = square.max(lo.div_ceil(p) * p);
        let mut m = first;
        while m < hi {
            composite[(m - lo) as usize] = true;
            m += p;
        }
    }
    let candidates = (lo..hi).zip(&composite);
    found.extend(candidates.filter(|&(n, &c)| !c && n >= 2).map(|(n, _)| n));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_small_primes() {
        assert_eq!(primes_in(0, 30), [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]);
        assert_eq!(primes_in(3, 4), [3]);
        assert!(primes_in(24, 29).is_empty());
    }

    #[test]
    fn segments_join_without_gaps() {
        let whole = primes_in(0, 3 * SEGMENT + 17);
        let mut parts = primes_in(0, SEGMENT + 5);
        parts.extend(primes_in(SEGMENT + 5, 3 * SEGMENT + 17));
        assert_eq!(whole, parts);
        assert_eq!(primes_in(0, 1_000_000).len(), 78_498);
    }

    #[test]
    fn root_bound_is_exact() {
        assert_eq!(root_bound(99), 9);
        assert_eq!(root_bound(100), 10);
        assert_eq!(root_bound(u64::MAX), u32::MAX as u64);
    }
}
