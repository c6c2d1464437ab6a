//! What a run found, reduced to what can be compared and recorded.

use std::fmt;

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

/// Compares a run's primes with the oracle's (sorted ascending) exactly, and
/// says how they differ when they do.
pub fn check_primes(mut found: Vec<u64>, expected: &[u64]) -> Result<Answer, String> {
    found.sort_unstable();
    if found == expected {
        return Ok(Answer::of_primes(&found));
    }
    let missing = expected.iter().find(|p| found.binary_search(p).is_err());
    let extra = found.iter().find(|n| expected.binary_search(n).is_err());
    let mut message = format!(
        "wrong answer: found {} primes, the oracle {}",
        found.len(),
        expected.len()
    );
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

    #[test]
    fn differences_are_explained() {
        assert!(check_primes(vec![7, 3, 5], &[3, 5, 7]).is_ok());
        let err = check_primes(vec![3, 9], &[3, 5]).unwrap_err();
        assert!(
            err.contains("missed the prime 5") && err.contains("reported 9"),
            "{err}"
        );
        let err = check_primes(vec![3, 3], &[3]).unwrap_err();
        assert!(err.contains("more than once"), "{err}");
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
