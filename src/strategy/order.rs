//! The order in which a case hands out its numbers.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;

use crate::experiment::Order;
use crate::primes::NumRange;

/// The numbers of `range` in `order`. A shuffle is seeded (Xoshiro256++, an
/// algorithm that will not change under us) so every run sees the same order.
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

    #[test]
    fn orders_hold_the_same_numbers() {
        for order in [
            Order::Given,
            Order::Shuffled,
            Order::SlowestFirst,
            Order::FastestFirst,
        ] {
            let mut jobs = ordered_jobs(R, order, 7);
            jobs.sort_unstable();
            assert_eq!(jobs, (10..20).collect::<Vec<_>>());
        }
    }

    #[test]
    fn shuffles_are_seeded() {
        let a = ordered_jobs(R, Order::Shuffled, 7);
        assert_eq!(a, ordered_jobs(R, Order::Shuffled, 7));
        assert_ne!(a, ordered_jobs(R, Order::Shuffled, 8));
        assert_eq!(ordered_jobs(R, Order::SlowestFirst, 0)[0], 19);
    }
}
