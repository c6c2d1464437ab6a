//! Serving a job: the one function every worker runs, wherever it runs.
//!
//! A worker holds a kernel (chosen once, when it starts) and its own handle
//! to the shared flag; `serve` turns a job into its reply. A kernel that
//! panics fails only the job, as a reply, so the worker and the caller go on.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::{Deserialize, Serialize};

use super::Tuning;
use super::clock::{Stamp, now_ns, usage_here};
use super::job::{Chunk, Job, Reply, WorkerError};
use super::search::search;
use crate::experiment::Kernel;
use crate::experiment::{Case, Input};
use crate::flag::Flag;
use crate::primes::fast::Beyond;
use crate::primes::{FastTester, PrimeTest, SimdTester};

/// Runs `$body` with `$numbers` bound to an iterator over the chunk's
/// numbers, one monomorphic loop per kind of chunk. (Through
/// `Chunk::numbers`, a boxed iterator, every number cost a dynamic call and
/// the kernel was not inlined into the loop: the pool ran 23% slower than
/// the serial loop with one worker on range C.)
macro_rules! over_numbers {
    ($chunk:expr, $numbers:ident => $body:expr) => {
        match $chunk {
            Chunk::Span { jobs, span } => {
                let $numbers = jobs.numbers(span.clone());
                $body
            }
            Chunk::Range { start, end } => {
                let $numbers = *start..*end;
                $body
            }
            Chunk::List(list) => {
                let $numbers = list.iter().copied();
                $body
            }
        }
    };
}

/// Runs `$body` with `$kernel` bound to the kernel that the [`KernelSpec`]
/// `$spec` names, built first (a fast kernel's table, before any timer the
/// body starts). The body is compiled once per kernel, so every loop in it
/// is monomorphic: no dynamic call per number (the `either::for_both!`
/// idiom). The only place a kernel kind is matched. A `return` in the body
/// returns from the function around the macro.
macro_rules! with_kernel {
    ($spec:expr, $kernel:ident => $body:expr) => {{
        let spec: $crate::work::KernelSpec = $spec;
        match spec.kernel {
            $crate::experiment::Kernel::Plain => {
                let $kernel = $crate::primes::PlainTester;
                $body
            }
            $crate::experiment::Kernel::Fast => {
                let $kernel =
                    $crate::primes::FastTester::with_beyond(spec.max_n, spec.tuning.fast_beyond);
                $body
            }
            $crate::experiment::Kernel::Simd => {
                let $kernel = $crate::primes::SimdTester::with_plan(
                    spec.max_n,
                    spec.tuning.simd.on_this_cpu(),
                    spec.tuning.fast_beyond,
                );
                $body
            }
        }
    }};
}
pub(crate) use with_kernel;

/// The kernel a worker uses, as a message can carry it: the kind, the
/// largest number it will test (which sizes the tables), and how this CPU
/// was found to run it fastest (calibrated once, in the coordinating
/// process, so that every worker runs the same kernel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelSpec {
    pub kernel: Kernel,
    pub max_n: u64,
    pub tuning: Tuning,
}

/// Code that runs with whichever kernel a spec names: the kernel is chosen
/// once, here, and the code is compiled for each kernel.
pub trait WithKernel {
    type Output;
    fn run<K: PrimeTest + Clone + 'static>(self, kernel: K) -> Self::Output;
}

impl KernelSpec {
    /// The kernel of `case`: a fast kernel's table covers its range; a
    /// verified number gets none (its candidates reach 3e8).
    pub fn of(case: &Case) -> Self {
        KernelSpec::new(
            case.kernel,
            match case.input {
                Input::Number(_) => 0,
                _ => case.range().map_or(0, |r| r.last()),
            },
        )
    }

    /// `kernel` for numbers up to `max_n`, tuned for this CPU
    /// ([`Tuning::calibrated`]).
    pub fn new(kernel: Kernel, max_n: u64) -> Self {
        KernelSpec {
            kernel,
            max_n,
            tuning: Tuning::calibrated(),
        }
    }

    /// How this kernel runs on this CPU, as the manifest and the CSV
    /// column `kernel_path` say it: the plain kernel divides; the fast one
    /// names its test beyond the table; the simd one its vector path.
    pub fn path(self) -> String {
        match self.kernel {
            Kernel::Plain => "divide".to_string(),
            Kernel::Fast => match self.tuning.fast_beyond {
                Beyond::Inverse => "table, inverse beyond".to_string(),
                Beyond::Divide => "table, divide beyond".to_string(),
            },
            Kernel::Simd => self.tuning.simd.to_string(),
        }
    }

    /// The bytes of the table the kernel builds (as its constructor sizes it).
    pub fn table_bytes(self) -> u64 {
        match self.kernel {
            Kernel::Plain => 0,
            Kernel::Fast => FastTester::table_bytes(self.max_n),
            Kernel::Simd => SimdTester::table_bytes(self.max_n, self.tuning.simd.on_this_cpu()),
        }
    }

    /// Builds the kernel and runs `user` with it, for code outside the
    /// crate (benches, tests); inside it, [`with_kernel!`] says the same
    /// without a visitor type.
    pub fn dispatch<U: WithKernel>(self, user: U) -> U::Output {
        with_kernel!(self, kernel => user.run(kernel))
    }
}

/// One worker's state: its kernel, its handle to the shared flag, who it
/// is (for the stamps on its replies) and what it served since its last
/// start token (for the queue's per-round record).
pub struct Worker<K, F> {
    pub kernel: K,
    pub flag: F,
    /// Its process and its slot in it (see [`Stamp`]).
    pub pid: u32,
    pub slot: u32,
    round: Round,
}

/// What a queue worker served since its start token: items, the clock at
/// its first, and the time inside the kernel (two clock reads per item;
/// one record per item would be the very cost a queue experiment measures).
#[derive(Debug, Clone, Copy, Default)]
struct Round {
    first_ns: Option<u64>,
    items: u64,
    busy_ns: u64,
}

impl<K: PrimeTest, F: Flag> Worker<K, F> {
    /// A worker of this process in slot `slot`.
    pub fn new(kernel: K, flag: F, slot: u32) -> Self {
        Worker {
            kernel,
            flag,
            pid: std::process::id(),
            slot,
            round: Round::default(),
        }
    }

    /// The reply to `job`, or `None` when the job wants none (a queued
    /// number that is not prime, a start token).
    pub fn serve(&mut self, job: Job) -> Option<Reply> {
        let kernel = &self.kernel;
        let flag = &mut self.flag;
        let round = &mut self.round;
        let (pid, slot) = (self.pid, self.slot);
        let stamp = |started_ns| Stamp {
            pid,
            slot,
            started_ns,
            finished_ns: now_ns(),
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| match job {
            Job::Primes { task, numbers } => {
                let started = now_ns();
                let primes =
                    over_numbers!(&numbers, all => all.filter(|&n| kernel.is_prime(n)).collect());
                Some(Ok(Reply::Primes {
                    task,
                    primes,
                    stamp: stamp(started),
                }))
            }
            Job::Factors { task, numbers } => {
                let started = now_ns();
                let counts = over_numbers!(&numbers, all => smallest_factors(all, kernel));
                Some(Ok(Reply::Factors {
                    task,
                    counts,
                    stamp: stamp(started),
                }))
            }
            Job::Queued(n) => {
                let started = now_ns();
                let prime = kernel.is_prime(n);
                let finished = now_ns();
                round.first_ns.get_or_insert(started);
                round.items += 1;
                round.busy_ns += finished.saturating_sub(started);
                prime.then_some(Ok(Reply::Prime(n)))
            }
            Job::Pill => {
                let done = std::mem::take(round);
                let now = now_ns();
                Some(Ok(Reply::Finished {
                    stamp: Stamp {
                        pid,
                        slot,
                        started_ns: done.first_ns.unwrap_or(now),
                        finished_ns: now,
                    },
                    items: done.items,
                    busy_ns: done.busy_ns,
                }))
            }
            Job::Start => {
                *round = Round::default();
                None
            }
            Job::Usage => Some(Ok(Reply::Usage(usage_here()))),
            Job::Search {
                n,
                lo,
                hi,
                style,
                check_every,
            } => {
                let started = now_ns();
                Some(
                    search(n, (lo, hi), kernel, flag, style, check_every)
                        .map(|s| Reply::Searched {
                            factor: s.factor,
                            candidates: s.candidates,
                            looks: s.looks,
                            share: super::search::candidates_in(lo, hi),
                            stamp: stamp(started),
                        })
                        .map_err(|e| WorkerError::Flag(e.0)),
                )
            }
        }));
        match outcome {
            Ok(reply) => reply.map(|r| r.unwrap_or_else(Reply::Failed)),
            Err(payload) => Some(Reply::Failed(WorkerError::Panicked(panic_message(
                payload.as_ref(),
            )))),
        }
    }
}

/// The smallest factor of each non-prime n >= 3 of `numbers`, counted: 2 for
/// the even ones, the kernel's first odd divisor for the odd ones.
pub fn smallest_factors(
    numbers: impl Iterator<Item = u64>,
    kernel: &impl PrimeTest,
) -> Vec<(u64, u64)> {
    let mut counts = std::collections::BTreeMap::<u64, u64>::new();
    for n in numbers.filter(|&n| n >= 3) {
        let factor = match n % 2 {
            0 => Some(2),
            _ => kernel.factor_in(n, 3, n.isqrt() + 1),
        };
        if let Some(f) = factor {
            *counts.entry(f).or_insert(0) += 1;
        }
    }
    counts.into_iter().collect()
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}
