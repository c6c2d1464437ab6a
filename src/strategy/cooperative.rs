//! The cooperative search: one number's odd candidate divisors are split into
//! one range per worker (the book's `create_range`), a pool built before the
//! timer searches them, and a shared flag lets every worker stop as soon as
//! any of them finds a factor.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use crossbeam_channel::{Receiver, Sender, unbounded};

use super::StrategyError;
use super::search::{LoopStyle, Searched, search};
use super::task::panic_message;
use crate::flag::Flag;
use crate::primes::PrimeTest;

/// The book's `create_range`: `k` ranges covering `[lo, hi)`. The step is
/// (hi - lo) / k, truncated; each start after the first is bumped to the next
/// odd number, and the last range takes the remainder.
pub fn create_range(lo: u64, hi: u64, k: usize) -> Vec<(u64, u64)> {
    let k = k.max(1) as u64;
    let step = hi.saturating_sub(lo) / k;
    let starts: Vec<u64> = (0..k).map(|i| (lo + i * step) | 1).collect();
    let ends = starts.iter().skip(1).copied().chain([hi.max(lo)]);
    starts.iter().copied().zip(ends).collect()
}

/// Whether a number is prime, and the factor that proves it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Prime,
    /// Composite (with a factor), or 0 or 1 (without one).
    NotPrime {
        factor: Option<u64>,
    },
}

/// A verdict and the work it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub verdict: Verdict,
    /// Candidates tested, by the caller and every worker.
    pub candidates: u64,
    /// Looks at the flag, by every worker.
    pub looks: u64,
}

/// How the search is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cooperation {
    /// Candidates below this are tried serially in the caller first (the
    /// book's SERIAL_CHECK_CUTOFF, 21); 0 splits from 3 (the naive pool).
    pub precheck: u64,
    pub style: LoopStyle,
    pub check_every: u64,
}

struct Search {
    n: u64,
    range: (u64, u64),
}

type Reply = Result<Searched, String>;

/// Worker threads, each with its own flag handle, waiting for ranges.
pub struct CooperativePool<F: Flag, T: PrimeTest + 'static> {
    tasks: Option<Sender<Search>>,
    replies: Receiver<Reply>,
    handles: Vec<JoinHandle<()>>,
    flag: F,
    test: Arc<T>,
    workers: usize,
    how: Cooperation,
}

impl<F: Flag, T: PrimeTest + 'static> CooperativePool<F, T> {
    /// Starts `workers` threads, connecting each to `flag`.
    pub fn new(
        workers: usize,
        test: Arc<T>,
        flag: F,
        how: Cooperation,
    ) -> Result<Self, StrategyError> {
        let (task_tx, task_rx) = unbounded::<Search>();
        let (reply_tx, reply_rx) = unbounded::<Reply>();
        let mut handles = Vec::new();
        for i in 0..workers {
            let mut worker_flag = flag.connect().map_err(|e| StrategyError::Setup(e.0))?;
            let (tasks, replies, test) = (task_rx.clone(), reply_tx.clone(), Arc::clone(&test));
            let handle = thread::Builder::new()
                .name(format!("coop-worker-{i}"))
                .spawn(move || {
                    for task in tasks {
                        let run = || {
                            search(
                                task.n,
                                task.range,
                                test.as_ref(),
                                &mut worker_flag,
                                how.style,
                                how.check_every,
                            )
                        };
                        let reply = match catch_unwind(AssertUnwindSafe(run)) {
                            Ok(result) => result.map_err(|e| e.0),
                            Err(payload) => Err(format!(
                                "a worker panicked: {}",
                                panic_message(payload.as_ref())
                            )),
                        };
                        if replies.send(reply).is_err() {
                            return;
                        }
                    }
                })
                .map_err(|e| StrategyError::Setup(e.to_string()))?;
            handles.push(handle);
        }
        Ok(CooperativePool {
            tasks: Some(task_tx),
            replies: reply_rx,
            handles,
            flag,
            test,
            workers,
            how,
        })
    }

    /// Decides whether `n` is prime.
    pub fn verify(&mut self, n: u64) -> Result<Verified, StrategyError> {
        if let Some(done) = trivial(n) {
            return Ok(done);
        }
        let hi = n.isqrt() + 1;
        let flag_error = |e: crate::flag::FlagError| StrategyError::Disconnected(e.0);
        self.flag.clear().map_err(flag_error)?;
        let mut lo = 3;
        let mut candidates = 0;
        if self.how.precheck > 0 {
            let cutoff = self.how.precheck.min(hi);
            if let Some(factor) = self.test.factor_in(n, 3, cutoff) {
                let candidates = (factor - 3) / 2 + 1;
                let verdict = Verdict::NotPrime {
                    factor: Some(factor),
                };
                return Ok(Verified {
                    verdict,
                    candidates,
                    looks: 0,
                });
            }
            candidates = super::search::candidates_in(3, cutoff);
            lo = self.how.precheck;
        }
        let ranges = create_range(lo, hi, self.workers);
        let tasks = self.tasks.as_ref().expect("tasks close only on drop");
        for &range in &ranges {
            tasks
                .send(Search { n, range })
                .map_err(|e| StrategyError::Disconnected(e.to_string()))?;
        }
        let mut factor = None;
        let mut looks = 0;
        let mut failure = None;
        for _ in &ranges {
            match self.replies.recv() {
                Ok(Ok(s)) => {
                    factor = factor.or(s.factor);
                    candidates += s.candidates;
                    looks += s.looks;
                }
                Ok(Err(message)) => _ = failure.get_or_insert(message),
                Err(e) => return Err(StrategyError::Disconnected(e.to_string())),
            }
        }
        if let Some(message) = failure {
            return Err(StrategyError::WorkerPanicked(message));
        }
        let verdict = factor.map_or(Verdict::Prime, |f| Verdict::NotPrime { factor: Some(f) });
        Ok(Verified {
            verdict,
            candidates,
            looks,
        })
    }
}

/// The numbers every strategy answers without a search: below 4, and even.
pub fn trivial(n: u64) -> Option<Verified> {
    let verdict = match n {
        0 | 1 => Verdict::NotPrime { factor: None },
        2 | 3 => Verdict::Prime,
        n if n % 2 == 0 => Verdict::NotPrime { factor: Some(2) },
        _ => return None,
    };
    Some(Verified {
        verdict,
        candidates: 0,
        looks: 0,
    })
}

impl<F: Flag, T: PrimeTest + 'static> Drop for CooperativePool<F, T> {
    fn drop(&mut self) {
        drop(self.tasks.take());
        for handle in self.handles.drain(..) {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_the_books() {
        let hi = 100_109_100_129_100_369u64.isqrt() + 1;
        assert_eq!(hi, 316_400_222);
        assert_eq!(
            create_range(21, hi, 4),
            [
                (21, 79_100_071),
                (79_100_071, 158_200_121),
                (158_200_121, 237_300_171),
                (237_300_171, 316_400_222)
            ]
        );
        assert_eq!(
            create_range(3, hi, 4),
            [
                (3, 79_100_057),
                (79_100_057, 158_200_111),
                (158_200_111, 237_300_165),
                (237_300_165, 316_400_222)
            ]
        );
    }

    #[test]
    fn tiny_ranges_still_cover_everything_once() {
        assert_eq!(
            create_range(21, 24, 4),
            [(21, 21), (21, 21), (21, 21), (21, 24)]
        );
        assert_eq!(create_range(21, 6, 2), [(21, 21), (21, 21)]);
    }
}
