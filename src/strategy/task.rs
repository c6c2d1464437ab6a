//! The message a chunked worker receives, and the work one task is.

use std::any::Any;
use std::ops::Range;
use std::sync::Arc;

use crate::primes::PrimeTest;

/// A chunk for one worker: a span of the job list all workers share. With
/// threads the numbers need not be copied into the message; an executor of
/// processes would send `numbers()` instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub jobs: Arc<[u64]>,
    pub span: Range<usize>,
}

impl Task {
    /// The numbers of this chunk.
    pub fn numbers(&self) -> &[u64] {
        &self.jobs[self.span.clone()]
    }
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
