//! The order in which a case hands out its numbers.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;

use crate::experiment::Order;
use crate::primes::NumRange;
use crate::work::Jobs;

/// The job source of `range` in `order`: the range itself in the given
/// order (nothing materialised), else a list of 8 bytes a number.
pub fn jobs_in_order(range: NumRange, order: Order, seed: u64) -> Jobs {
    match needs_list(order) {
        false => Jobs::Range(range),
        true => Jobs::from(ordered_jobs(range, order, seed)),
    }
}

/// Whether `order` needs the numbers in a list (shuffled or reversed).
pub fn needs_list(order: Order) -> bool {
    match order {
        Order::Given => false,
        Order::FastestFirst | Order::SlowestFirst | Order::Shuffled => true,
    }
}

/// The numbers of `range` in `order`, as a list. A shuffle is seeded
/// (Xoshiro256++, an algorithm that will not change under us) so every run
/// sees the same order. Slowest and fastest first sort by
/// [`estimated_cost`], ties by n.
pub fn ordered_jobs(range: NumRange, order: Order, seed: u64) -> Vec<u64> {
    let mut jobs: Vec<u64> = (range.start..range.end).collect();
    match order {
        Order::Given => {}
        Order::SlowestFirst => jobs.sort_by_key(|&n| std::cmp::Reverse((estimated_cost(n), n))),
        Order::FastestFirst => jobs.sort_by_key(|&n| (estimated_cost(n), n)),
        Order::Shuffled => jobs.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(seed)),
    }
    jobs
}

/// What testing `n` is expected to cost, in candidate divisors, from what
/// is known before the search: a multiple of 2, 3 or 5 is settled by its
/// first candidates; any other number may be prime, and a prime costs every
/// odd candidate up to its square root. (Which of those are prime is what
/// the search finds out, so a cheaper estimate would be the answer itself.)
/// Over a narrow range such as the book's range C the bound varies by 0.5%,
/// so the order then turns on divisibility by 2, 3 and 5; over a wide one,
/// on the size of n as well.
pub fn estimated_cost(n: u64) -> u64 {
    match n {
        0..=3 => 1,
        _ if n.is_multiple_of(2) => 1,
        _ if n.is_multiple_of(3) => 2,
        _ if n.is_multiple_of(5) => 3,
        _ => n.isqrt() / 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: NumRange = NumRange { start: 10, end: 20 };

    const ORDERS: [Order; 4] = [
        Order::Given,
        Order::Shuffled,
        Order::SlowestFirst,
        Order::FastestFirst,
    ];

    #[test]
    fn orders_hold_the_same_numbers() {
        for order in ORDERS {
            let mut jobs = ordered_jobs(R, order, 7);
            jobs.sort_unstable();
            assert_eq!(jobs, (10..20).collect::<Vec<_>>());
        }
    }

    #[test]
    fn job_sources_follow_their_order() {
        for order in ORDERS {
            let source: Vec<u64> = jobs_in_order(R, order, 7).iter().collect();
            assert_eq!(source, ordered_jobs(R, order, 7), "{order}");
        }
        assert_eq!(jobs_in_order(R, Order::Given, 0), Jobs::Range(R));
    }

    #[test]
    fn shuffles_are_seeded() {
        let a = ordered_jobs(R, Order::Shuffled, 7);
        assert_eq!(a, ordered_jobs(R, Order::Shuffled, 7));
        assert_ne!(a, ordered_jobs(R, Order::Shuffled, 8));
        assert_eq!(ordered_jobs(R, Order::SlowestFirst, 0)[0], 19);
    }

    #[test]
    fn slowest_first_sorts_by_estimated_cost_not_by_n() {
        // 101..119 not divisible by 2, 3 or 5 may be prime (isqrt/2 = 5);
        // 115 is settled by 5, 117, 111 and 105 by 3, the even by 2.
        let wide = NumRange {
            start: 100,
            end: 120,
        };
        let slowest = ordered_jobs(wide, Order::SlowestFirst, 0);
        let mut expected = vec![119, 113, 109, 107, 103, 101, 115, 117, 111, 105];
        expected.extend((100..120).rev().filter(|n| n % 2 == 0));
        assert_eq!(slowest, expected);
        let fastest = ordered_jobs(wide, Order::FastestFirst, 0);
        assert_eq!(fastest, slowest.iter().rev().copied().collect::<Vec<_>>());
        assert_eq!(estimated_cost(1_000_003), 500);
        assert_eq!(estimated_cost(1_000_015), 3);
    }
}
