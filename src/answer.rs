//! What a run found, reduced to what can be compared and recorded.
//!
//! The primes of a range are never held in full: a run folds them into a
//! [`Found`] (a count and an order-free checksum, plus the primes themselves
//! only up to [`KEEP`]), the oracle streams its own tally, and only a
//! mismatch streams the oracle again to name the first difference.

use std::fmt;

use crate::primes::NumRange;
use crate::primes::oracle;

/// A checked answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The primes of a range: their count and an order-free checksum.
    Primes { count: u64, checksum: u64 },
    /// Whether one number is prime, and the factor that says it is not.
    Verdict { prime: bool, factor: Option<u64> },
    /// A smallest-factor histogram: distinct factors, non-primes, checksum.
    Factors {
        distinct: u64,
        total: u64,
        checksum: u64,
    },
}

/// The work a run did, where the strategy counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Work {
    /// Candidate divisors tested.
    pub candidates: u64,
    /// Looks at a shared flag.
    pub looks: u64,
}

impl Answer {
    /// Summarises a list of primes, in any order.
    pub fn of_primes(primes: &[u64]) -> Self {
        Answer::Primes {
            count: primes.len() as u64,
            checksum: checksum(primes.iter().copied()),
        }
    }

    /// The `answer` cell: a count, prime / not prime, or distinct factors.
    pub fn value(&self) -> String {
        match self {
            Answer::Primes { count, .. } => count.to_string(),
            Answer::Factors { distinct, .. } => distinct.to_string(),
            Answer::Verdict { prime: true, .. } => "prime".into(),
            Answer::Verdict { prime: false, .. } => "not prime".into(),
        }
    }

    /// The `checksum` cell, for lists of primes and histograms.
    pub fn checksum(&self) -> Option<String> {
        match self {
            Answer::Primes { checksum, .. } | Answer::Factors { checksum, .. } => {
                Some(format!("{checksum:016x}"))
            }
            Answer::Verdict { .. } => None,
        }
    }

    /// The `factor` cell, for verdicts on composites.
    pub fn factor(&self) -> Option<u64> {
        match self {
            Answer::Verdict { factor, .. } => *factor,
            Answer::Primes { .. } | Answer::Factors { .. } => None,
        }
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Primes { count, .. } => write!(f, "{count} primes"),
            Answer::Verdict { prime: true, .. } => f.write_str("prime"),
            Answer::Verdict {
                factor: Some(d), ..
            } => write!(f, "not prime (factor {d})"),
            Answer::Verdict { factor: None, .. } => f.write_str("not prime"),
            Answer::Factors {
                distinct, total, ..
            } => {
                write!(
                    f,
                    "{distinct} distinct smallest factors of {total} non-primes"
                )
            }
        }
    }
}

/// Primes a [`Found`] keeps to name the culprit of a wrong answer: 8 MiB.
pub const KEEP: usize = 1 << 20;

/// The primes a run found, folded as they arrive: a count and an order-free
/// checksum (see [`checksum`]), and the primes themselves up to [`KEEP`] of
/// them, so a wrong answer can say which prime was missed or extra. Memory
/// is bounded whatever the range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// Primes found (with repeats, if any were reported twice).
    pub count: u64,
    /// The sum of their mixes (wrapping), in any order.
    pub checksum: u64,
    kept: Vec<u64>,
    /// True once a prime was not kept.
    dropped: bool,
}

impl Found {
    /// Adds one prime.
    pub fn add(&mut self, p: u64) {
        self.count += 1;
        self.checksum = self.checksum.wrapping_add(mix(p));
        match self.kept.len() < KEEP {
            true => self.kept.push(p),
            false => self.dropped = true,
        }
    }

    /// Two tallies as one.
    pub fn merge(mut self, other: Found) -> Found {
        self.count += other.count;
        self.checksum = self.checksum.wrapping_add(other.checksum);
        self.dropped |= other.dropped;
        let room = KEEP - self.kept.len();
        self.dropped |= other.kept.len() > room;
        self.kept.extend(other.kept.into_iter().take(room));
        self
    }

    /// Every prime found, ascending, if all were kept.
    pub fn into_sorted(mut self) -> Option<Vec<u64>> {
        if self.dropped {
            return None;
        }
        self.kept.sort_unstable();
        Some(self.kept)
    }

    /// The count and checksum as an answer.
    pub fn answer(&self) -> Answer {
        Answer::Primes {
            count: self.count,
            checksum: self.checksum,
        }
    }
}

impl FromIterator<u64> for Found {
    fn from_iter<I: IntoIterator<Item = u64>>(primes: I) -> Self {
        let mut found = Found::default();
        primes.into_iter().for_each(|p| found.add(p));
        found
    }
}

/// The oracle's answer for the primes of `range`, streamed: its count and
/// checksum, never the list.
pub fn oracle_primes(range: NumRange) -> Answer {
    let (mut count, mut checksum) = (0u64, 0u64);
    oracle::for_each_prime(range.start, range.end, |p| {
        count += 1;
        checksum = checksum.wrapping_add(mix(p));
    });
    Answer::Primes { count, checksum }
}

/// An order-free checksum of some values: the sum of their mixes.
pub fn checksum(values: impl Iterator<Item = u64>) -> u64 {
    values.fold(0u64, |acc, v| acc.wrapping_add(mix(v)))
}

/// SplitMix64's finaliser: a sum of these catches a changed or swapped prime.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Compares a run's primes with the oracle's answer for `range` (from
/// [`oracle_primes`]) by count and checksum, and says how they differ when
/// they do: the first missed and the first extra prime when the run kept
/// every prime it found (the oracle is streamed once more to find them).
pub fn check_primes(found: Found, range: NumRange, expected: Answer) -> Result<Answer, String> {
    let answer = found.answer();
    if answer == expected {
        return Ok(answer);
    }
    let Answer::Primes { count: want, .. } = expected else {
        return Err(format!("wrong answer: the oracle expected {expected}"));
    };
    let mut message = format!(
        "wrong answer: found {} primes, the oracle {want}",
        found.count
    );
    let Some(found) = found.into_sorted() else {
        message +=
            "; the checksums differ (too many primes were found to name the first difference)";
        return Err(message);
    };
    let (missing, extra) = first_differences(&found, range);
    if let Some(p) = missing {
        message += &format!("; missed the prime {p}");
    }
    if let Some(n) = extra {
        message += &format!("; reported {n}, which is not prime");
    }
    if missing.is_none() && extra.is_none() {
        message += "; some primes were reported more than once";
    }
    Err(message)
}

/// The first oracle prime missing from `found` (ascending) and the first
/// number of `found` the oracle does not have, by one pass of the oracle.
fn first_differences(found: &[u64], range: NumRange) -> (Option<u64>, Option<u64>) {
    let (mut missing, mut extra) = (None, None);
    let mut next = found.iter().copied().peekable();
    oracle::for_each_prime(range.start, range.end, |p| {
        while let Some(n) = next.next_if(|&n| n < p) {
            extra = extra.or(Some(n));
        }
        match next.next_if_eq(&p) {
            Some(_) => while next.next_if_eq(&p).is_some() {},
            None => missing = missing.or(Some(p)),
        }
    });
    extra = extra.or(next.next());
    (missing, extra)
}

/// Checks a verdict on `n` against the oracle: the primality must agree, and
/// a factor must really divide `n`.
pub fn check_verdict(
    n: u64,
    prime: bool,
    factor: Option<u64>,
    oracle: bool,
) -> Result<Answer, String> {
    if prime != oracle {
        let (said, truth) = if prime {
            ("prime", "not prime")
        } else {
            ("not prime", "prime")
        };
        return Err(format!("wrong answer: called {n} {said}; it is {truth}"));
    }
    if let Some(d) = factor.filter(|&d| n >= 2 && (d < 2 || d >= n || !n.is_multiple_of(d))) {
        return Err(format!("wrong answer: {d} is not a factor of {n}"));
    }
    Ok(Answer::Verdict { prime, factor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_ignores_order() {
        assert_eq!(Answer::of_primes(&[3, 5, 7]), Answer::of_primes(&[7, 3, 5]));
        assert_ne!(
            Answer::of_primes(&[3, 5, 7]),
            Answer::of_primes(&[3, 5, 11])
        );
    }

    fn check(found: &[u64], start: u64, end: u64) -> Result<Answer, String> {
        let range = NumRange { start, end };
        let found = found.iter().copied().collect();
        check_primes(found, range, oracle_primes(range))
    }

    #[test]
    fn differences_are_explained() {
        assert_eq!(check(&[7, 3, 5], 3, 8), Ok(Answer::of_primes(&[3, 5, 7])));
        let err = check(&[3, 9], 3, 10).unwrap_err();
        assert!(
            err.contains("found 2 primes, the oracle 3")
                && err.contains("missed the prime 5")
                && err.contains("reported 9"),
            "{err}"
        );
        let err = check(&[3, 3], 3, 4).unwrap_err();
        assert!(err.contains("more than once"), "{err}");
        let err = check(&[2, 3, 5, 7, 11], 0, 10).unwrap_err();
        assert!(err.contains("reported 11, which is not prime"), "{err}");
    }

    #[test]
    fn a_found_tally_is_bounded_and_merges_in_any_order() {
        let mut big = Found::default();
        (0..KEEP as u64 + 10).for_each(|p| big.add(p));
        assert_eq!(big.count, KEEP as u64 + 10);
        let merged = Found::from_iter([1, 2]).merge(Found::from_iter([3]));
        assert_eq!(merged.answer(), Found::from_iter([3, 2, 1]).answer());
        assert_eq!(merged.clone().into_sorted(), Some(vec![1, 2, 3]));
        assert_eq!(big.clone().merge(merged).into_sorted(), None);
        let err =
            check_primes(big, NumRange { start: 0, end: 10 }, Answer::of_primes(&[2])).unwrap_err();
        assert!(err.contains("checksums differ"), "{err}");
    }

    #[test]
    fn verdicts_are_checked_with_their_factor() {
        assert!(check_verdict(15, false, Some(5), false).is_ok());
        assert!(
            check_verdict(15, false, Some(7), false)
                .unwrap_err()
                .contains("not a factor")
        );
        assert!(
            check_verdict(15, true, None, false)
                .unwrap_err()
                .contains("called 15 prime")
        );
        assert!(check_verdict(1, false, None, false).is_ok());
    }
}
