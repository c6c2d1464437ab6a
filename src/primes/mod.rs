//! The math, pure and timing-free: the book's trial-division kernels, a faster
//! exact divisibility test that tries the very same candidates, and an oracle
//! that shares no code with either.

pub mod fast;
pub mod kernel;
pub mod named_range;
pub mod oracle;
pub mod simd;

pub use fast::FastTester;
pub use kernel::{PlainTester, check_prime, check_prime_in_range};
pub use named_range::NumRange;
pub use simd::{SimdPath, SimdTester};

/// A trial-division kernel: the book's candidate loop with some divisibility
/// test. Every kernel tries the same candidates in the same order and stops at
/// the same first divisor; only the cost of one test differs.
///
/// `Send + Sync` because pool workers share one kernel across threads.
pub trait PrimeTest: Send + Sync {
    /// The book's `check_prime_in_range`: the first odd divisor of `n` in
    /// `[lo, hi)`, trying lo, lo + 2, ...; `lo` must be odd and at least 3.
    fn factor_in(&self, n: u64, lo: u64, hi: u64) -> Option<u64>;

    /// Whether odd `d` divides `n`: the test of one candidate, for loops
    /// that do bookkeeping between candidates.
    fn divides(&self, n: u64, d: u64) -> bool;

    /// The book's `check_prime`: even numbers are composite, otherwise try
    /// the odd divisors 3, 5, ..., isqrt(n).
    ///
    /// The book's version calls 2 composite and 1 prime; numbers below 4 are
    /// answered directly so that every answer agrees with the oracle. From 4
    /// on, the candidates and early exits are exactly the book's.
    fn is_prime(&self, n: u64) -> bool {
        if n < 4 {
            return n >= 2;
        }
        n % 2 == 1 && self.factor_in(n, 3, n.isqrt() + 1).is_none()
    }
}

/// A shared kernel is a kernel: workers share one divisor table.
impl<T: PrimeTest + ?Sized> PrimeTest for std::sync::Arc<T> {
    fn factor_in(&self, n: u64, lo: u64, hi: u64) -> Option<u64> {
        (**self).factor_in(n, lo, hi)
    }
    #[inline]
    fn divides(&self, n: u64, d: u64) -> bool {
        (**self).divides(n, d)
    }
    fn is_prime(&self, n: u64) -> bool {
        (**self).is_prime(n)
    }
}
