//! What a run found, reduced to what can be compared and recorded.

use std::fmt;

/// The primes a run found: their count and an order-free checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub count: u64,
    pub checksum: u64,
}

impl Answer {
    /// Summarises a list of primes, in any order.
    pub fn of(primes: &[u64]) -> Self {
        Answer {
            count: primes.len() as u64,
            checksum: primes.iter().fold(0u64, |acc, &p| acc.wrapping_add(mix(p))),
        }
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} primes (checksum {:016x})", self.count, self.checksum)
    }
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
pub fn check(mut found: Vec<u64>, expected: &[u64]) -> Result<Answer, String> {
    found.sort_unstable();
    if found == expected {
        return Ok(Answer::of(&found));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_ignores_order() {
        assert_eq!(Answer::of(&[3, 5, 7]), Answer::of(&[7, 3, 5]));
        assert_ne!(Answer::of(&[3, 5, 7]), Answer::of(&[3, 5, 11]));
    }

    #[test]
    fn differences_are_explained() {
        assert!(check(vec![7, 3, 5], &[3, 5, 7]).is_ok());
        let err = check(vec![3, 9], &[3, 5]).unwrap_err();
        assert!(
            err.contains("missed the prime 5") && err.contains("reported 9"),
            "{err}"
        );
        let err = check(vec![3, 3], &[3]).unwrap_err();
        assert!(err.contains("more than once"), "{err}");
    }
}
