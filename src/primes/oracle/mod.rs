//! The oracle: answers computed by algorithms that share no code with the
//! kernels, so a bug in one cannot hide in the other.

pub mod miller_rabin;
pub mod sieve;
pub mod smallest_factor;

pub use miller_rabin::is_prime_u64;
pub use sieve::primes_in;
pub use smallest_factor::smallest_factor_counts;
