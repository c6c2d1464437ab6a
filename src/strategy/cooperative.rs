//! The cooperative search: one number's odd candidate divisors are split into
//! one range per worker (the book's `create_range`), workers started before
//! the timer search them, and a shared flag lets every worker stop as soon as
//! any of them finds a factor.

use super::StrategyError;
use crate::backend::Backend;
use crate::flag::Flag;
use crate::primes::PrimeTest;
use crate::trace::Tracer;
use crate::work::search::{LoopStyle, candidates_in};
use crate::work::{Job, Reply};

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

/// Decides whether `n` is prime with the workers of `backend`: the caller
/// clears the shared flag through its own handle, tries the small divisors
/// itself when `precheck` says so, then sends one range of candidates per
/// worker and gathers every worker's answer.
pub fn verify<K: PrimeTest, F: Flag>(
    backend: &dyn Backend,
    kernel: &K,
    flag: &mut F,
    n: u64,
    how: Cooperation,
) -> Result<Verified, StrategyError> {
    verify_traced(backend, kernel, flag, n, how, &Tracer::off())
}

/// [`verify`], each worker's share a task for `tracer` (numbered in the
/// order the answers came; its numbers are the candidates in the share).
pub fn verify_traced<K: PrimeTest, F: Flag>(
    backend: &dyn Backend,
    kernel: &K,
    flag: &mut F,
    n: u64,
    how: Cooperation,
    tracer: &Tracer,
) -> Result<Verified, StrategyError> {
    if let Some(done) = trivial(n) {
        return Ok(done);
    }
    let hi = n.isqrt() + 1;
    flag.clear().map_err(|e| StrategyError::Flag(e.0))?;
    let mut lo = 3;
    let mut candidates = 0;
    if how.precheck > 0 {
        let cutoff = how.precheck.min(hi);
        if let Some(factor) = kernel.factor_in(n, 3, cutoff) {
            return Ok(Verified {
                verdict: Verdict::NotPrime {
                    factor: Some(factor),
                },
                candidates: (factor - 3) / 2 + 1,
                looks: 0,
            });
        }
        candidates = candidates_in(3, cutoff);
        lo = how.precheck;
    }
    let ranges = create_range(lo, hi, backend.workers());
    for &(lo, hi) in &ranges {
        backend.submit(Job::Search {
            n,
            lo,
            hi,
            style: how.style,
            check_every: how.check_every,
        })?;
    }
    let mut factor: Option<u64> = None;
    let mut looks = 0;
    let mut failure = None;
    for answered in 0..ranges.len() {
        match backend.receive()? {
            Reply::Searched {
                factor: found,
                candidates: tested,
                looks: looked,
                share,
                stamp,
            } => {
                tracer.served(answered as u64, share, None, &stamp, tracer.now(), None);
                // Workers may each find a factor; the smallest is the book's.
                factor = match (factor, found) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                candidates += tested;
                looks += looked;
            }
            Reply::Failed(e) => _ = failure.get_or_insert(e),
            other => return Err(StrategyError::Unexpected(format!("{other:?}"))),
        }
    }
    if let Some(e) = failure {
        return Err(e.into());
    }
    let verdict = factor.map_or(Verdict::Prime, |f| Verdict::NotPrime { factor: Some(f) });
    Ok(Verified {
        verdict,
        candidates,
        looks,
    })
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
