//! The message a chunked worker receives, and the work one task is.

use std::any::Any;
use std::ops::Range;

use super::jobs::{Jobs, Numbers};
use crate::answer::Found;
use crate::primes::PrimeTest;

/// A chunk for one worker: a span of the job source all workers share (a
/// range or a list). With threads the numbers need not be copied into the
/// message; an executor of processes would send `numbers()` instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub jobs: Jobs,
    pub span: Range<usize>,
}

impl Task {
    /// The numbers of this chunk.
    pub fn numbers(&self) -> Numbers<'_> {
        self.jobs.numbers(self.span.clone())
    }
}

/// The work of one task: the primes among `numbers`, folded into a tally
/// (see [`Found`]) so a reply never grows with the chunk.
pub fn primes_among(numbers: impl IntoIterator<Item = u64>, test: &impl PrimeTest) -> Found {
    numbers.into_iter().filter(|&n| test.is_prime(n)).collect()
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
