//! A deterministic Miller–Rabin test for every u64.
//!
//! The first twelve primes as witnesses are enough for all n < 3.3e24
//! (Sorenson and Webster, 2015), which covers u64.

const WITNESSES: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];

/// Whether `n` is prime, exactly, for any u64.
pub fn is_prime_u64(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    for p in WITNESSES {
        if n.is_multiple_of(p) {
            return n == p;
        }
    }
    let odd_part = (n - 1) >> (n - 1).trailing_zeros();
    WITNESSES.iter().all(|&a| passes_round(n, a, odd_part))
}

/// Calls `f` with every prime in `[lo, hi)`, ascending, testing each number.
pub fn for_each_prime_tested(lo: u64, hi: u64, mut f: impl FnMut(u64)) {
    (lo..hi).filter(|&n| is_prime_u64(n)).for_each(&mut f);
}

/// One round: `n` passes for witness `a` if a^d ≡ 1 or a^(d·2^r) ≡ n-1.
fn passes_round(n: u64, a: u64, odd_part: u64) -> bool {
    let mut x = pow_mod(a, odd_part, n);
    if x == 1 || x == n - 1 {
        return true;
    }
    let mut d = odd_part;
    while d < n - 1 {
        x = mul_mod(x, x, n);
        d <<= 1;
        if x == n - 1 {
            return true;
        }
    }
    false
}

fn mul_mod(a: u64, b: u64, m: u64) -> u64 {
    ((a as u128 * b as u128) % m as u128) as u64
}

fn pow_mod(mut base: u64, mut exp: u64, m: u64) -> u64 {
    let mut acc = 1u64;
    base %= m;
    while exp > 0 {
        if exp & 1 == 1 {
            acc = mul_mod(acc, base, m);
        }
        base = mul_mod(base, base, m);
        exp >>= 1;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn book_numbers() {
        assert!(!is_prime_u64(112_272_535_095_295));
        assert!(!is_prime_u64(100_109_100_129_100_369));
        assert!(!is_prime_u64(100_109_100_129_101_027));
        assert!(is_prime_u64(100_109_100_129_100_151));
        assert!(is_prime_u64(100_109_100_129_162_907));
    }

    #[test]
    fn edges_of_u64() {
        assert!(is_prime_u64(18_446_744_073_709_551_557)); // largest u64 prime
        assert!(!is_prime_u64(u64::MAX));
        assert!(!is_prime_u64(4_294_967_291 * 4_294_967_291)); // square of a prime
        assert!(!is_prime_u64(3_215_031_751)); // strong pseudoprime to 2, 3, 5, 7
        assert_eq!((0..10).filter(|&n| is_prime_u64(n)).count(), 4);
    }
}
