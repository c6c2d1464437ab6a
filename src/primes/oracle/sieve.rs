//! A segmented sieve of Eratosthenes over `[lo, hi)`, streamed: one segment
//! of flags at a time, so memory is bounded by the segment and the base
//! primes up to sqrt(hi), never by the length of the range.

/// Numbers sieved at once; 256 KiB of flags fits in L2.
const SEGMENT: u64 = 1 << 18;

/// The largest square root the sieve accepts: base primes up to 2^24 cost
/// 16 MiB of flags and 8.6 MB of primes while they are made. Beyond, the
/// oracle tests each number with Miller–Rabin instead (see [`super::Method`]).
pub const ROOT_MAX: u64 = 1 << 24;

/// Calls `f` with every prime in `[lo, hi)`, ascending, by sieving.
///
/// Panics if sqrt(hi - 1) exceeds [`ROOT_MAX`]: the caller chooses the method
/// ([`super::for_each_prime`] does), and a base table that large would be
/// the unbounded allocation this module exists to avoid.
pub fn for_each_prime_sieved(lo: u64, hi: u64, mut f: impl FnMut(u64)) {
    if hi <= lo {
        return;
    }
    let root = root_bound(hi - 1);
    assert!(
        root <= ROOT_MAX,
        "sieving up to {hi} needs too many base primes"
    );
    let base = small_primes(root);
    let mut composite = vec![false; SEGMENT as usize];
    let mut seg_lo = lo;
    while seg_lo < hi {
        let seg_hi = seg_lo.saturating_add(SEGMENT).min(hi);
        sieve_segment(seg_lo, seg_hi, &base, &mut composite);
        let flags = &composite[..(seg_hi - seg_lo) as usize];
        for (n, _) in (seg_lo..seg_hi).zip(flags).filter(|&(n, &c)| !c && n >= 2) {
            f(n);
        }
        seg_lo = seg_hi;
    }
}

/// The smallest r with (r + 1)^2 > x, found without the kernels' isqrt.
pub fn root_bound(x: u64) -> u64 {
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

/// Marks the composites of `[lo, hi)` in `composite[..hi - lo]`, using the
/// base primes up to sqrt(hi). Every step is checked: a multiple past u64
/// ends the prime's run instead of wrapping.
fn sieve_segment(lo: u64, hi: u64, base: &[u64], composite: &mut [bool]) {
    let composite = &mut composite[..(hi - lo) as usize];
    composite.fill(false);
    for &p in base {
        let Some(square) = p.checked_mul(p).filter(|&sq| sq < hi) else {
            break;
        };
        // First multiple of p in the segment, but never p itself.
        let Some(first) = lo.div_ceil(p).checked_mul(p) else {
            continue;
        };
        let mut m = square.max(first);
        while m < hi {
            composite[(m - lo) as usize] = true;
            match m.checked_add(p) {
                Some(next) => m = next,
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn primes_in(lo: u64, hi: u64) -> Vec<u64> {
        let mut found = Vec::new();
        for_each_prime_sieved(lo, hi, |p| found.push(p));
        found
    }

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

    #[test]
    fn the_largest_sievable_range_ends_cleanly() {
        // Regression (hardening issue, item 2): the last segment before the
        // sieve's limit must not step past u64 or index past its flags.
        let end = ROOT_MAX * ROOT_MAX;
        assert_eq!(
            primes_in(end - 100, end),
            [
                281_474_976_710_563,
                281_474_976_710_567,
                281_474_976_710_591,
                281_474_976_710_597
            ]
        );
    }
}
