//! The book's kernels: trial division by the odd candidates 3, 5, 7, ...

use super::PrimeTest;

/// The book's `check_prime` with the plain kernel; see [`PrimeTest::is_prime`].
pub fn check_prime(n: u64) -> bool {
    PlainTester.is_prime(n)
}

/// The book's `check_prime_in_range` with one hardware division per
/// candidate: the first odd divisor of `n` in `[lo, hi)`, if any.
pub fn check_prime_in_range(n: u64, lo: u64, hi: u64) -> Option<u64> {
    debug_assert!(lo % 2 == 1 && lo >= 3, "candidates are odd, from 3");
    (lo..hi).step_by(2).find(|&d| n.is_multiple_of(d))
}

/// The reference kernel: one hardware division (`%`) per candidate.
#[derive(Debug, Default, Clone, Copy)]
pub struct PlainTester;

impl PrimeTest for PlainTester {
    fn factor_in(&self, n: u64, lo: u64, hi: u64) -> Option<u64> {
        check_prime_in_range(n, lo, hi)
    }

    #[inline]
    fn divides(&self, n: u64, d: u64) -> bool {
        n.is_multiple_of(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_numbers_match_their_definition() {
        let primes: Vec<u64> = (0..30).filter(|&n| check_prime(n)).collect();
        assert_eq!(primes, [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]);
    }

    #[test]
    fn squares_of_primes_are_composite() {
        // isqrt must be exact: a float sqrt rounds these down and misses the factor.
        for p in [3u64, 65_521, 67_108_859] {
            assert!(!check_prime(p * p), "{p}^2");
        }
        assert!(check_prime(4_294_967_291));
    }

    #[test]
    fn book_numbers_are_classified() {
        assert!(!check_prime(112_272_535_095_295));
        assert!(check_prime(100_109_100_129_100_151));
        assert_eq!(check_prime_in_range(112_272_535_095_295, 3, 100), Some(5));
    }

    #[test]
    fn range_search_reports_the_first_divisor() {
        assert_eq!(check_prime_in_range(15 * 17, 3, 16), Some(3));
        assert_eq!(check_prime_in_range(15 * 17, 5, 16), Some(5));
        assert_eq!(check_prime_in_range(15 * 17, 7, 16), Some(15));
        assert_eq!(check_prime_in_range(15 * 17, 7, 15), None);
    }
}
