//! The message a chunked worker receives, and the work one task is.

use std::any::Any;

use crate::primes::PrimeTest;

/// A chunk of numbers for one worker to test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub numbers: Vec<u64>,
}

/// The work of one task: the primes among `numbers`, in their order.
pub fn primes_among(numbers: &[u64], test: &impl PrimeTest) -> Vec<u64> {
    numbers
        .iter()
        .copied()
        .filter(|&n| test.is_prime(n))
        .collect()
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}
