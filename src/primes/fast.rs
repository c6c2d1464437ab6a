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

/// Divisors kept in a table at most: 2^21 of them (32 MiB) covers every
/// candidate of every n below 1.7e13; beyond it, inverses are computed on the fly.
pub const TABLE_MAX_DIVISORS: usize = 1 << 21;

/// The book's `check_prime` with a table of prepared divisors 3, 5, 7, ...
/// shared by every n it tests.
///
/// The table is built once per experiment case, before the timer starts, for
/// the largest n the case tests; for range E (n ≈ 1e11) it holds 158k divisors
/// (2.5 MB). Candidates beyond the table are prepared as they are reached, so
/// any u64 can be tested.
#[derive(Debug, Clone)]
pub struct FastTester {
    divisors: Vec<Divisor>,
}

impl FastTester {
    /// A tester whose table covers every candidate of every n <= `max_n`
    /// (up to [`TABLE_MAX_DIVISORS`]).
    pub fn new(max_n: u64) -> Self {
        let wanted = (max_n.isqrt().saturating_sub(1) / 2) as usize;
        let divisors = (0..wanted.min(TABLE_MAX_DIVISORS))
            .map(|i| Divisor::new(3 + 2 * i as u64))
            .collect();
        FastTester { divisors }
    }

    /// The largest candidate divisor held in the table.
    pub fn table_top(&self) -> u64 {
        1 + 2 * self.divisors.len() as u64
    }
}

impl PrimeTest for FastTester {
    fn is_prime(&self, n: u64) -> bool {
        if n < 4 {
            return n >= 2;
        }
        if n % 2 == 0 {
            return false;
        }
        // Candidates 3, 5, ..., isqrt(n): the first (isqrt(n) - 1) / 2 of them.
        let root = n.isqrt();
        let count = ((root - 1) / 2) as usize;
        let in_table = count.min(self.divisors.len());
        if self.divisors[..in_table].iter().any(|d| d.divides(n)) {
            return false;
        }
        let beyond = (self.table_top() + 2..=root).step_by(2);
        !beyond.into_iter().any(|d| Divisor::new(d).divides(n))
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
        assert_eq!(tester.table_top(), p);
        assert!(!tester.is_prime(p * p));
        assert!(tester.is_prime(p));
    }

    #[test]
    fn candidates_beyond_the_table_are_tested_on_the_fly() {
        let small = FastTester::new(100); // divisors 3..=9 only
        let p = 65_521u64;
        assert!(!small.is_prime(p * p));
        assert!(!small.is_prime(p * 65_519));
        assert!(small.is_prime(4_294_967_291));
    }
}
