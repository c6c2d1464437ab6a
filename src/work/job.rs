//! The messages between a caller and its workers, as plain serde data, so
//! the same job can go to a thread, to another process or to another host.
//!
//! A job says what to compute; a reply says what was found. Nothing here
//! knows where the worker runs.

use std::ops::Range;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::clock::{Stamp, Usage};
use super::jobs::Jobs;
use crate::experiment::LoopStyle;

/// What a worker is asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Job {
    /// The pool's task: find the primes among a chunk of numbers.
    Primes { task: u64, numbers: Chunk },
    /// factor_frequency's task: count the smallest factors of a chunk's
    /// non-primes.
    Factors { task: u64, numbers: Chunk },
    /// One number taken from a work queue: reply only if it is prime.
    Queued(u64),
    /// The poison pill: reply `Finished`, then serve nothing from the shared
    /// queue until this worker's next `Start`.
    Pill,
    /// The start token of a round, sent to one worker.
    Start,
    /// A share of a cooperative search: the first odd divisor of `n` in
    /// `[lo, hi)`, looking at the shared flag every `check_every` candidates.
    Search {
        n: u64,
        lo: u64,
        hi: u64,
        style: LoopStyle,
        check_every: u64,
    },
    /// Answer `Usage`: the worker process's CPU time, identity and clock
    /// (asked outside the timer, between repeats).
    Usage,
}

/// What a worker answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// The primes of a `Primes` task, in the chunk's order.
    Primes {
        task: u64,
        primes: Vec<u64>,
        stamp: Stamp,
    },
    /// The smallest factors of a `Factors` task, as (factor, count) pairs.
    Factors {
        task: u64,
        counts: Vec<(u64, u64)>,
        stamp: Stamp,
    },
    /// A queued number that is prime.
    Prime(u64),
    /// The worker swallowed its pill. `stamp` spans its round (from its
    /// first item to its pill); `items` it took from the shared queue and
    /// spent `busy_ns` testing.
    Finished {
        stamp: Stamp,
        items: u64,
        busy_ns: u64,
    },
    /// What a `Search` found.
    Searched {
        /// The divisor found, if this worker found one.
        factor: Option<u64>,
        /// Candidates tested.
        candidates: u64,
        /// Looks at the flag.
        looks: u64,
        /// Candidates in the share (whether or not all were tested).
        share: u64,
        stamp: Stamp,
    },
    /// A worker process's CPU time, identity and clock.
    Usage(Usage),
    /// The job failed; the worker goes on serving.
    Failed(WorkerError),
}

/// Why a worker could not serve a job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum WorkerError {
    /// The kernel panicked (a bug, or a deliberately broken kernel in tests).
    #[error("a worker panicked: {0}")]
    Panicked(String),
    /// The shared flag could not be read or set (e.g. Redis went away).
    #[error("the shared flag failed: {0}")]
    Flag(String),
}

/// The numbers of one task. Threads share the job list and get a span of
/// it (nothing is copied); another process gets the numbers themselves, as
/// the book's pickled chunks carry them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    /// A span of a job list shared with the caller.
    Span { jobs: Jobs, span: Range<usize> },
    /// The numbers `start..end`.
    Range { start: u64, end: u64 },
    /// The numbers themselves.
    List(Vec<u64>),
}

impl Chunk {
    /// How many numbers.
    pub fn len(&self) -> usize {
        match self {
            Chunk::Span { span, .. } => span.len(),
            Chunk::Range { start, end } => {
                usize::try_from(end.saturating_sub(*start)).unwrap_or(usize::MAX)
            }
            Chunk::List(list) => list.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same numbers in a form that can leave this process: a span
    /// becomes the list of its numbers.
    pub fn owned(&self) -> Chunk {
        match self {
            Chunk::Span { jobs, span } => Chunk::List(jobs.numbers(span.clone()).collect()),
            other => other.clone(),
        }
    }
}

impl Job {
    /// How many numbers the job carries.
    pub fn numbers(&self) -> usize {
        match self {
            Job::Primes { numbers, .. } | Job::Factors { numbers, .. } => numbers.len(),
            _ => 1,
        }
    }
}

/// How a chunk travels: a range or a list (a span is sent as its numbers,
/// even when they are consecutive, so the cost of a task grows with its
/// size as the book's pickled lists do).
#[derive(Serialize, Deserialize)]
enum WireChunk {
    Range { start: u64, end: u64 },
    List(Vec<u64>),
}

impl Serialize for Chunk {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.owned() {
            Chunk::Range { start, end } => WireChunk::Range { start, end }.serialize(s),
            Chunk::List(list) => WireChunk::List(list).serialize(s),
            Chunk::Span { .. } => unreachable!("owned() never gives a span"),
        }
    }
}

impl<'de> Deserialize<'de> for Chunk {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match WireChunk::deserialize(d)? {
            WireChunk::Range { start, end } => Chunk::Range { start, end },
            WireChunk::List(list) => Chunk::List(list),
        })
    }
}
