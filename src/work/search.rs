//! One worker's share of a cooperative search: the odd candidates of one
//! range, with a look at the shared flag every `check_every` candidates, in
//! one of the book's three loop styles.

pub use crate::experiment::LoopStyle;
use crate::flag::{Flag, FlagError};
use crate::primes::PrimeTest;

/// What a worker's search found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Searched {
    /// The divisor found, if this worker found one.
    pub factor: Option<u64>,
    /// Candidates tested.
    pub candidates: u64,
    /// Looks at the flag.
    pub looks: u64,
}

/// Odd candidates in `[lo, d]`, for a loop that stopped at `d`.
fn tested_through(lo: u64, d: u64) -> u64 {
    (d - lo) / 2 + 1
}

/// Odd candidates in `[lo, hi)` (`lo` odd).
pub fn candidates_in(lo: u64, hi: u64) -> u64 {
    hi.saturating_sub(lo).div_ceil(2)
}

/// Searches the odd candidates of `[lo, hi)` for a divisor of `n`, raising
/// `flag` on a find and stopping once the flag is seen raised.
pub fn search<F: Flag>(
    n: u64,
    (lo, hi): (u64, u64),
    test: &impl PrimeTest,
    flag: &mut F,
    style: LoopStyle,
    check_every: u64,
) -> Result<Searched, FlagError> {
    let every = check_every.max(1);
    let mut looks = 0;
    let found = |d: u64, looks: u64| Searched {
        factor: Some(d),
        candidates: tested_through(lo, d),
        looks,
    };
    let stopped = |d: u64, looks: u64| Searched {
        factor: None,
        candidates: tested_through(lo, d),
        looks,
    };
    match style {
        LoopStyle::Counter => {
            let mut countdown = every;
            for d in (lo..hi).step_by(2) {
                if test.divides(n, d) {
                    flag.set()?;
                    return Ok(found(d, looks));
                }
                countdown -= 1;
                if countdown == 0 {
                    looks += 1;
                    if flag.is_set()? {
                        return Ok(stopped(d, looks));
                    }
                    countdown = every;
                }
            }
        }
        LoopStyle::Lookahead => {
            let stride = 2 * every;
            let mut checkpoint = lo.saturating_add(stride);
            for d in (lo..hi).step_by(2) {
                if d == checkpoint {
                    looks += 1;
                    if flag.is_set()? {
                        return Ok(stopped(d - 2, looks));
                    }
                    checkpoint = checkpoint.saturating_add(stride);
                }
                if test.divides(n, d) {
                    flag.set()?;
                    return Ok(found(d, looks));
                }
            }
        }
        LoopStyle::Blocked => {
            let mut block = lo;
            while block < hi {
                let end = block.saturating_add(2 * every).min(hi);
                if let Some(d) = test.factor_in(n, block, end) {
                    flag.set()?;
                    return Ok(found(d, looks));
                }
                block = end;
                if block < hi {
                    looks += 1;
                    if flag.is_set()? {
                        return Ok(stopped(block - 2, looks));
                    }
                }
            }
        }
    }
    Ok(Searched {
        factor: None,
        candidates: candidates_in(lo, hi),
        looks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flag::{AtomicFlag, NoFlag};
    use crate::primes::PlainTester;

    const STYLES: [LoopStyle; 3] = [LoopStyle::Counter, LoopStyle::Lookahead, LoopStyle::Blocked];

    #[test]
    fn every_style_finds_the_first_factor_and_counts_its_work() {
        let n = 1009 * 2003;
        for style in STYLES {
            for every in [1, 3, 1000] {
                let s = search(n, (3, 2000), &PlainTester, &mut NoFlag, style, every).unwrap();
                assert_eq!(s.factor, Some(1009), "{style:?} {every}");
                assert_eq!(s.candidates, 504, "{style:?} {every}");
                let none =
                    search(n, (1011, 2003), &PlainTester, &mut NoFlag, style, every).unwrap();
                assert_eq!(
                    (none.factor, none.candidates),
                    (None, 496),
                    "{style:?} {every}"
                );
            }
        }
    }

    #[test]
    fn a_raised_flag_stops_a_worker_within_one_block() {
        let prime = 1_000_000_007u64;
        for style in STYLES {
            for every in [1u64, 7, 100] {
                let mut flag = AtomicFlag::default();
                flag.set().unwrap();
                let s = search(prime, (3, 31_623), &PlainTester, &mut flag, style, every).unwrap();
                assert_eq!(s.factor, None);
                assert_eq!(
                    (s.candidates, s.looks),
                    (every, 1),
                    "{style:?} every {every}"
                );
            }
        }
    }
}
