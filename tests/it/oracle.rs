//! The oracle's two methods (segmented sieve, Miller–Rabin per number) agree
//! with each other and with the kernels, including on ranges that touch
//! 2^64 - 1 (the sieve overflowed there before issue 9).

use proptest::prelude::*;
use runner::primes::oracle::{
    self, Method, miller_rabin::for_each_prime_tested, sieve::for_each_prime_sieved,
    smallest_factor_counts,
};
use runner::primes::{FastTester, PlainTester, PrimeTest};

fn sieved(lo: u64, hi: u64) -> Vec<u64> {
    let mut found = Vec::new();
    for_each_prime_sieved(lo, hi, |p| found.push(p));
    found
}

fn tested(lo: u64, hi: u64) -> Vec<u64> {
    let mut found = Vec::new();
    for_each_prime_tested(lo, hi, |p| found.push(p));
    found
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sieve_and_miller_rabin_agree(start in prop_oneof![0u64..5_000, 0u64..1_000_000_000_000], len in 1u64..5_000) {
        let end = start + len;
        let by_sieve = sieved(start, end);
        prop_assert_eq!(&by_sieve, &tested(start, end));
        prop_assert_eq!(oracle::primes_in(start, end), by_sieve);
    }

    #[test]
    fn ranges_touching_2_64_agree_with_miller_rabin(len in 1u64..400, back in 0u64..3) {
        // end is exclusive, so u64::MAX is the largest end there is
        let end = u64::MAX - back;
        let start = end - len;
        prop_assert_eq!(Method::for_range(start, end), Method::MillerRabin);
        let found = oracle::primes_in(start, end);
        prop_assert_eq!(&found, &tested(start, end));
        prop_assert_eq!(oracle::count_primes(start, end), found.len() as u64);
        // the kernels reach the smallest factor of a composite quickly, so
        // they can be asked about every composite of the range
        for n in (start..end).filter(|n| found.binary_search(n).is_err()).take(20) {
            if n % 2 == 0 || PlainTester.factor_in(n, 3, 100_001).is_some() {
                prop_assert!(!FastTester::new(1 << 20).is_prime(n), "{}", n);
            }
        }
    }

    #[test]
    fn the_oracle_agrees_with_the_kernels_on_cheap_ranges(start in 0u64..2_000_000_000, len in 1u64..2_000) {
        let end = start + len;
        let kernel: Vec<u64> = (start..end).filter(|&n| PlainTester.is_prime(n)).collect();
        prop_assert_eq!(oracle::primes_in(start, end), kernel);
    }

    #[test]
    fn smallest_factors_agree_with_trial_division(start in 3u64..(1 << 36), len in 1u64..300) {
        let end = start + len;
        let mut expected = std::collections::BTreeMap::new();
        for n in start..end {
            if let Some(d) = (2..=n.isqrt()).find(|d| n % d == 0) {
                *expected.entry(d).or_insert(0u64) += 1;
            }
        }
        prop_assert_eq!(smallest_factor_counts(start, end), expected);
    }
}

#[test]
fn the_last_hundred_numbers_of_u64_hold_three_primes() {
    // A regression test of issue 9: this range panicked after
    // allocating gigabytes.
    let primes = oracle::primes_in(u64::MAX - 100, u64::MAX);
    assert_eq!(
        primes,
        [
            18_446_744_073_709_551_521,
            18_446_744_073_709_551_533,
            18_446_744_073_709_551_557
        ]
    );
}
