//! The oracle: answers computed by algorithms that share no code with the
//! kernels, so a bug in one cannot hide in the other.
//!
//! Everything streams: the primes of a range are handed to a callback one by
//! one, never collected, so a range of 10^12 numbers costs a segment of
//! flags and a table of base primes, not a list of every prime. Each range
//! gets the cheaper of two methods (see [`Method::for_range`]), and every
//! step is checked arithmetic, so ranges that end at 2^64 - 1 work.

pub mod miller_rabin;
pub mod sieve;
pub mod smallest_factor;

pub use miller_rabin::is_prime_u64;
pub use smallest_factor::smallest_factor_counts;

/// How the oracle finds the primes of one range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The segmented sieve, with base primes up to sqrt(end).
    Sieve,
    /// Deterministic Miller–Rabin on each number.
    MillerRabin,
}

/// How much dearer one Miller–Rabin test is than sieving one number, in units
/// of one base prime made: a rough ratio, measured within a factor of two,
/// that only decides which exact method runs.
const MILLER_RABIN_COST: u64 = 64;

impl Method {
    /// The cheaper exact method for `[lo, hi)`: the sieve pays for its base
    /// primes up to sqrt(hi) once, Miller–Rabin pays per number. A short
    /// range high up (100 numbers below 2^64) is tested number by number;
    /// a range whose square root exceeds [`sieve::ROOT_MAX`] always is, so
    /// memory never grows with sqrt(hi).
    pub fn for_range(lo: u64, hi: u64) -> Method {
        let root = sieve::root_bound(hi.saturating_sub(1));
        let per_number = hi.saturating_sub(lo).saturating_mul(MILLER_RABIN_COST);
        match root > sieve::ROOT_MAX || per_number < root {
            true => Method::MillerRabin,
            false => Method::Sieve,
        }
    }

    /// Peak bytes this method holds for `[lo, hi)`: the base primes and
    /// their flags, and one segment, for the sieve; nothing for Miller–Rabin.
    pub fn bytes(self, hi: u64) -> u64 {
        match self {
            Method::MillerRabin => 0,
            Method::Sieve => {
                let root = sieve::root_bound(hi.saturating_sub(1));
                // flags up to root, 8 bytes per base prime (fewer than root / 5
                // above 100), and a 256 KiB segment
                root + 8 * (root / 5 + 30) + (1 << 18)
            }
        }
    }
}

/// Calls `f` with every prime in `[lo, hi)`, ascending, by the method
/// [`Method::for_range`] chooses.
pub fn for_each_prime(lo: u64, hi: u64, f: impl FnMut(u64)) {
    match Method::for_range(lo, hi) {
        Method::Sieve => sieve::for_each_prime_sieved(lo, hi, f),
        Method::MillerRabin => miller_rabin::for_each_prime_tested(lo, hi, f),
    }
}

/// How many primes `[lo, hi)` holds.
pub fn count_primes(lo: u64, hi: u64) -> u64 {
    let mut count = 0;
    for_each_prime(lo, hi, |_| count += 1);
    count
}

/// Every prime in `[lo, hi)`, ascending, in one list: for tests and small
/// ranges only; a run never holds the list (see [`for_each_prime`]).
pub fn primes_in(lo: u64, hi: u64) -> Vec<u64> {
    let mut found = Vec::new();
    for_each_prime(lo, hi, |p| found.push(p));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ranges_high_up_are_tested_one_by_one() {
        assert_eq!(
            Method::for_range(u64::MAX - 100, u64::MAX),
            Method::MillerRabin
        );
        assert_eq!(
            Method::for_range(1 << 40, (1 << 40) + 100),
            Method::MillerRabin
        );
        assert_eq!(Method::for_range(0, 1_000_000), Method::Sieve);
        assert_eq!(Method::for_range(100_000_000, 101_000_000), Method::Sieve);
        assert_eq!(
            Method::for_range(1 << 62, (1 << 62) + (1 << 30)),
            Method::MillerRabin
        );
    }

    #[test]
    fn the_largest_range_streams_its_last_primes() {
        // Regression (hardening issue, item 2): [2^64 - 100, 2^64 - 1) used
        // to allocate gigabytes and panic with an index out of bounds.
        assert_eq!(
            primes_in(u64::MAX - 100, u64::MAX),
            [
                18_446_744_073_709_551_521,
                18_446_744_073_709_551_533,
                18_446_744_073_709_551_557
            ]
        );
        assert_eq!(Method::MillerRabin.bytes(u64::MAX), 0);
        assert!(Method::Sieve.bytes(1 << 48) < 64 << 20);
    }

    #[test]
    fn both_methods_agree_on_the_book_range_a() {
        let (lo, hi) = (100_000_000, 100_010_000);
        let mut sieved = Vec::new();
        sieve::for_each_prime_sieved(lo, hi, |p| sieved.push(p));
        let mut tested = Vec::new();
        miller_rabin::for_each_prime_tested(lo, hi, |p| tested.push(p));
        assert_eq!(sieved, tested);
        assert_eq!(count_primes(lo, hi), 551);
    }
}
