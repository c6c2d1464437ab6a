//! An exact divisibility test that costs one multiplication and one comparison
//! per candidate (Granlund and Montgomery, "Division by invariant integers
//! using multiplication", 1994, section 9).
//!
//! For odd d, multiplication by d is a bijection on u64 (mod 2^64), and its
//! inverse maps the multiples 0, d, 2d, ..., floor((2^64-1)/d)·d onto
//! 0, 1, ..., floor((2^64-1)/d). So d | n exactly when
//! n·inv(d) mod 2^64 <= (2^64-1)/d. No division happens per candidate.
//!
//! Where no table of prepared divisors fits (the divisors of an 18-digit
//! number reach 3e8), the inverse is computed on the fly and the limit, which
//! would cost a division, is replaced by an equivalent check: with
//! q = n·inv(d) mod 2^64 we have q·d ≡ n, so q·d = n (d divides n) exactly when
//! the 128-bit product q·d has no high half.

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

/// Whether odd `d` divides `n`, with the inverse computed on the fly:
/// about ten multiplications and no division.
#[inline(always)]
pub fn divides_on_the_fly(n: u64, d: u64) -> bool {
    let q = n.wrapping_mul(inverse_mod_2_64(d));
    (q as u128 * d as u128) >> 64 == 0
}

/// d's inverse modulo 2^64 for odd d, by Newton's iteration x ← x·(2 − d·x),
/// which doubles the correct low bits: from the 8 bits of a small table,
/// three steps give 16, 32 and 64.
#[inline(always)]
pub fn inverse_mod_2_64(d: u64) -> u64 {
    let mut x = INVERSES_MOD_256[((d >> 1) & 127) as usize] as u64;
    for _ in 0..3 {
        x = x.wrapping_mul(2u64.wrapping_sub(d.wrapping_mul(x)));
    }
    x
}

/// The inverse of every odd byte 2i + 1 modulo 256, computed at build time.
const INVERSES_MOD_256: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        let d = (2 * i + 1) as u8;
        // Newton from d itself (3 correct bits): 3, 6, 12 >= 8.
        let mut x = d;
        let mut step = 0;
        while step < 3 {
            x = x.wrapping_mul(2u8.wrapping_sub(d.wrapping_mul(x)));
            step += 1;
        }
        table[i] = x;
        i += 1;
    }
    table
};

/// Divisors kept in a table at most: 2^21 of them (32 MiB) cover every
/// candidate of every n below 1.7e13; beyond, inverses are computed on the fly.
pub const TABLE_MAX_DIVISORS: usize = 1 << 21;

/// The book's kernel with the multiply-and-compare test, from a table of
/// prepared divisors 3, 5, 7, ... shared by every n it tests.
///
/// The table is built once per experiment case, before the timer starts, for
/// the largest n the case tests; for range E (n ≈ 1e11) it holds 158k divisors
/// (2.5 MB). Candidates beyond the table are prepared as they are reached, so
/// any u64 can be tested.
#[derive(Debug, Clone)]
pub struct FastTester {
    divisors: Vec<Divisor>,
    beyond: Beyond,
}

/// How the fast kernel tests candidates beyond its table. Which is faster
/// depends on the CPU (a 64-bit division costs from 14 to 90 cycles across
/// x86 generations; the inverse costs eight multiplications), so runner
/// chooses by a short calibration before any timer (`work::calibrate`) and
/// records the choice in the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Beyond {
    /// The inverse computed on the fly ([`divides_on_the_fly`]).
    Inverse,
    /// One hardware division (`%`), as the plain kernel.
    Divide,
}

impl Beyond {
    /// Whether odd `d` divides `n`, by this method.
    #[inline(always)]
    pub fn divides(self, n: u64, d: u64) -> bool {
        match self {
            Beyond::Inverse => divides_on_the_fly(n, d),
            Beyond::Divide => n.is_multiple_of(d),
        }
    }
}

impl FastTester {
    /// A tester whose table covers every candidate of every n <= `max_n`
    /// (up to [`TABLE_MAX_DIVISORS`]), with inverses on the fly beyond.
    pub fn new(max_n: u64) -> Self {
        FastTester::with_beyond(max_n, Beyond::Inverse)
    }

    /// As [`FastTester::new`], testing candidates beyond the table by `beyond`.
    pub fn with_beyond(max_n: u64, beyond: Beyond) -> Self {
        let wanted = (max_n.isqrt().saturating_sub(1) / 2) as usize;
        let divisors = (0..wanted.min(TABLE_MAX_DIVISORS))
            .map(|i| Divisor::new(3 + 2 * i as u64))
            .collect();
        FastTester { divisors, beyond }
    }

    /// The bytes of the table [`FastTester::new`] builds for `max_n`.
    pub fn table_bytes(max_n: u64) -> u64 {
        let wanted = max_n.isqrt().saturating_sub(1) / 2;
        wanted.min(TABLE_MAX_DIVISORS as u64) * size_of::<Divisor>() as u64
    }

    /// How candidates beyond the table are tested.
    pub fn beyond(&self) -> Beyond {
        self.beyond
    }

    /// The first candidate not held in the table.
    pub fn table_end(&self) -> u64 {
        3 + 2 * self.divisors.len() as u64
    }
}

/// How many odd candidates 3, 5, ... lie below `end`.
fn odd_candidates_below(end: u64) -> usize {
    (end.saturating_sub(2) / 2) as usize
}

impl PrimeTest for FastTester {
    /// The book's `check_prime`, shaped for the hot loop: the candidates of
    /// one n are the first entries of the table, scanned with no bookkeeping
    /// (27% faster over range C than going through `factor_in`).
    fn is_prime(&self, n: u64) -> bool {
        if n < 4 {
            return n >= 2;
        }
        if n.is_multiple_of(2) {
            return false;
        }
        let root = n.isqrt();
        let in_table = odd_candidates_below(root + 1).min(self.divisors.len());
        if self.divisors[..in_table].iter().any(|d| d.divides(n)) {
            return false;
        }
        // A half-open range: `..=` costs an extra test per step here.
        let beyond = self.beyond;
        !(self.table_end()..root + 1)
            .step_by(2)
            .any(|d| beyond.divides(n, d))
    }

    fn factor_in(&self, n: u64, lo: u64, hi: u64) -> Option<u64> {
        debug_assert!(lo % 2 == 1 && lo >= 3, "candidates are odd, from 3");
        let table_end = self.table_end();
        if lo < table_end {
            // Entry i holds the divisor 3 + 2i.
            let first = odd_candidates_below(lo);
            let last = odd_candidates_below(hi.min(table_end)).max(first);
            let table = &self.divisors[first..last];
            if table.iter().any(|d| d.divides(n)) {
                let i = table
                    .iter()
                    .position(|d| d.divides(n))
                    .expect("found above");
                return Some(lo + 2 * i as u64);
            }
        }
        let beyond = self.beyond;
        match beyond {
            // Two loops, so each is compiled for its one test.
            Beyond::Inverse => (lo.max(table_end)..hi)
                .step_by(2)
                .find(|&d| divides_on_the_fly(n, d)),
            Beyond::Divide => (lo.max(table_end)..hi)
                .step_by(2)
                .find(|&d| n.is_multiple_of(d)),
        }
    }

    /// One candidate, beyond any table: the loops that call this search
    /// numbers far beyond any table.
    #[inline]
    fn divides(&self, n: u64, d: u64) -> bool {
        self.beyond.divides(n, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primes::check_prime_in_range;

    #[test]
    fn inverses_are_exact() {
        let edges = [1u64, 3, 5, 7, 1_000_001, u64::MAX, u64::MAX - 2];
        let spread = (0..100_000u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        for d in edges.into_iter().chain(spread) {
            assert_eq!(d.wrapping_mul(inverse_mod_2_64(d)), 1, "d = {d}");
        }
    }

    #[test]
    fn on_the_fly_test_agrees_with_remainder() {
        let numbers = [
            0u64,
            1,
            2,
            15,
            1 << 40,
            u64::MAX,
            u64::MAX - 1,
            100_109_100_129_100_369,
        ];
        for d in (1u64..2_000)
            .step_by(2)
            .chain([95_362_951, 4_294_967_291, u64::MAX])
        {
            for n in numbers
                .iter()
                .copied()
                .chain((0..300).map(|k| d.wrapping_mul(k)))
            {
                assert_eq!(divides_on_the_fly(n, d), n % d == 0, "{n} / {d}");
            }
        }
    }

    #[test]
    fn ranges_are_searched_across_the_table_edge() {
        let tester = FastTester::new(200); // table: 3, 5, ..., 13
        let n = 3 * 5 * 7 * 11 * 13 * 17 * 19;
        for (lo, hi) in [(3, 30), (5, 30), (15, 30), (17, 30), (13, 14), (21, 400)] {
            assert_eq!(
                tester.factor_in(n, lo, hi),
                check_prime_in_range(n, lo, hi),
                "[{lo}, {hi})"
            );
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
        assert_eq!(tester.table_end(), p + 2);
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
