//! An exact divisibility test that costs one multiplication and one comparison
//! per candidate (Granlund and Montgomery, "Division by invariant integers
//! using multiplication", 1994, section 9).
//!
//! For odd d, multiplication by d is a bijection on u64 (mod 2^64), and its
//! inverse maps the multiples 0, d, 2d, ..., floor((2^64-1)/d)·d onto
//! 0, 1, ..., floor((2^64-1)/d). So d | n exactly when
//! n·inv(d) mod 2^64 <= (2^64-1)/d. No division happens per candidate.

use super::PrimeTest;

/// One candidate divisor, ready for the multiply-and-compare test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Divisor {
    /// d's inverse modulo 2^64.
    pub inverse: u64,
    /// floor((2^64 - 1) / d): the largest quotient of an exact multiple.
    pub limit: u64,
}

impl Divisor {
    /// Prepares odd `d` (panics in debug builds for even `d`).
    pub fn new(d: u64) -> Self {
        debug_assert!(d % 2 == 1, "only odd divisors have an inverse mod 2^64");
        Divisor {
            inverse: inverse_mod_2_64(d),
            limit: u64::MAX / d,
        }
    }

    /// Whether this divisor divides `n`, exactly.
    #[inline(always)]
    pub fn divides(self, n: u64) -> bool {
        n.wrapping_mul(self.inverse) <= self.limit
    }
}

/// d's inverse modulo 2^64 for odd d, by Newton's iteration: d·d ≡ 1 (mod 8)
/// gives 3 correct bits to start, and each step x ← x·(2 − d·x) doubles them
/// (3, 6, 12, 24, 48, 96 ≥ 64 after five steps).
pub fn inverse_mod_2_64(d: u64) -> u64 {
    let mut x = d;
    for _ in 0..5 {
        x = x.wrapping_mul(2u64.wrapping_sub(d.wrapping_mul(x)));
    }
    x
}

/// The book's `check_prime` with a table of prepared divisors 3, 5, 7, ...
/// shared by every n up to the `max_n` it was built for.
///
/// The table is built once per experiment case, before the timer starts; for
/// range E (n ≈ 1e11) it holds 158k divisors (2.5 MB).
#[derive(Debug, Clone)]
pub struct FastTester {
    divisors: Vec<Divisor>,
    max_n: u64,
}

impl FastTester {
    /// A tester for every n <= `max_n`.
    pub fn new(max_n: u64) -> Self {
        let top = max_n.isqrt();
        let divisors = (3..=top).step_by(2).map(Divisor::new).collect();
        FastTester { divisors, max_n }
    }

    /// The largest n this tester's table covers.
    pub fn max_n(&self) -> u64 {
        self.max_n
    }
}

impl PrimeTest for FastTester {
    fn is_prime(&self, n: u64) -> bool {
        assert!(
            n <= self.max_n,
            "{n} is beyond the table built for {}",
            self.max_n
        );
        if n < 4 {
            return n >= 2;
        }
        if n % 2 == 0 {
            return false;
        }
        // Candidates 3, 5, ..., isqrt(n): the first (isqrt(n) - 1) / 2 entries.
        let count = ((n.isqrt() - 1) / 2) as usize;
        !self.divisors[..count].iter().any(|d| d.divides(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverses_are_exact() {
        for d in [1u64, 3, 5, 7, 1_000_001, u64::MAX, u64::MAX - 2] {
            assert_eq!(d.wrapping_mul(inverse_mod_2_64(d)), 1, "d = {d}");
        }
    }

    #[test]
    fn divides_agrees_with_remainder() {
        for d in (1u64..200).step_by(2) {
            let div = Divisor::new(d);
            for n in (0..5_000).chain(u64::MAX - 5_000..=u64::MAX) {
                assert_eq!(div.divides(n), n % d == 0, "{n} / {d}");
            }
        }
    }

    #[test]
    fn table_covers_squares_at_its_edge() {
        let p = 65_521u64;
        let tester = FastTester::new(p * p);
        assert!(!tester.is_prime(p * p));
        assert!(tester.is_prime(p));
    }
}
