//! The math, pure and timing-free: the book's trial-division kernels, a faster
//! exact divisibility test that tries the very same candidates, and an oracle
//! that shares no code with either.

pub mod fast;
pub mod kernel;
pub mod named_range;
pub mod oracle;

pub use fast::FastTester;
pub use kernel::{PlainTester, check_prime, check_prime_in_range};
pub use named_range::NumRange;

/// A primality test the strategies call once per number.
///
/// `Send + Sync` because pool workers share one tester across threads.
pub trait PrimeTest: Send + Sync {
    /// Whether `n` is prime.
    fn is_prime(&self, n: u64) -> bool;
}
