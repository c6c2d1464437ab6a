//! The order in which a case hands out its numbers.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;

use super::jobs::Jobs;
use crate::experiment::Order;
use crate::primes::NumRange;

/// The job source of `range` in `order`: the range itself when the order is
/// ascending (nothing materialised), else a list of 8 bytes a number.
pub fn jobs_in_order(range: NumRange, order: Order, seed: u64) -> Jobs {
    match needs_list(order) {
        false => Jobs::Range(range),
        true => Jobs::from(ordered_jobs(range, order, seed)),
    }
}

/// Whether `order` needs the numbers in a list (shuffled or reversed).
pub fn needs_list(order: Order) -> bool {
    match order {
        Order::Given | Order::FastestFirst => false,
        Order::SlowestFirst | Order::Shuffled => true,
    }
}

/// The numbers of `range` in `order`, as a list. A shuffle is seeded
/// (Xoshiro256++, an algorithm that will not change under us) so every run
/// sees the same order.
pub fn ordered_jobs(range: NumRange, order: Order, seed: u64) -> Vec<u64> {
    let mut jobs: Vec<u64> = (range.start..range.end).collect();
    match order {
        Order::Given | Order::FastestFirst => {}
        Order::SlowestFirst => jobs.reverse(),
        Order::Shuffled => jobs.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(seed)),
    }
    jobs
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
}
