//! Which task records a case keeps, so chunksize 1 over a million numbers
//! never writes (nor holds) a million rows a repeat.
//!
//! The rule (the README states it too):
//! - a case whose repeats served at most [`CASE_BOUND`] tasks in all keeps
//!   every task of every repeat;
//! - beyond, the median repeat (the repeat whose time is the case's median;
//!   with an even count, the lower middle) keeps every k-th task by index,
//!   k the smallest power of two that keeps at most [`MEDIAN_BOUND`] (k = 1:
//!   every task), and every other repeat every k-th with at most
//!   [`OTHER_BOUND`];
//! - while a repeat runs it keeps every task, then every 2nd, 4th, ... by
//!   index whenever the records kept would pass a bound (at least
//!   [`MEDIAN_BOUND`]), so memory stays bounded whatever the task count.
//!
//! The aggregates of each repeat (tasks, compute, dispatch, idle) are over
//! every task, never over the kept ones.

use super::RepeatTrace;

/// Tasks over all of a case's repeats kept whole.
pub const CASE_BOUND: usize = 50_000;
/// Tasks of the median repeat kept when the case passes [`CASE_BOUND`].
pub const MEDIAN_BOUND: usize = 10_000;
/// Tasks of each other repeat kept when the case passes [`CASE_BOUND`].
pub const OTHER_BOUND: usize = 200;

/// Items kept by index: those whose index is a multiple of `every`, with
/// `every` doubling whenever more than `cap` would be kept.
#[derive(Debug, Clone)]
pub struct Thinned<T> {
    cap: usize,
    every: u64,
    items: Vec<(u64, T)>,
}

impl<T> Default for Thinned<T> {
    fn default() -> Self {
        Thinned::new(1)
    }
}

impl<T> Thinned<T> {
    /// Keeps at most `cap` items (at least 1).
    pub fn new(cap: usize) -> Self {
        Thinned {
            cap: cap.max(1),
            every: 1,
            items: Vec::new(),
        }
    }

    /// Offers item `index`.
    pub fn push(&mut self, index: u64, item: T) {
        if !index.is_multiple_of(self.every.max(1)) {
            return;
        }
        self.items.push((index, item));
        while self.items.len() > self.cap {
            self.every = self.every.max(1) * 2;
            let every = self.every;
            self.items.retain(|(i, _)| i.is_multiple_of(every));
        }
    }

    /// Every how many indices an item is kept.
    pub fn every(&self) -> u64 {
        self.every.max(1)
    }

    /// The items kept.
    pub fn into_items(self) -> Vec<T> {
        self.items.into_iter().map(|(_, t)| t).collect()
    }
}

/// The index of the median repeat among `repeats` (by time; the lower
/// middle of an even count), if any.
pub fn median_repeat(repeats: &[RepeatTrace]) -> Option<usize> {
    let mut order: Vec<usize> = (0..repeats.len()).collect();
    order.sort_by(|&a, &b| repeats[a].seconds.total_cmp(&repeats[b].seconds));
    order.get(repeats.len().saturating_sub(1) / 2).copied()
}

/// Applies the case rule to a case's repeats, in place.
pub fn keep_for_case(repeats: &mut [RepeatTrace]) {
    let total: u64 = repeats.iter().map(|r| r.tasks).sum();
    if total <= CASE_BOUND as u64 {
        return;
    }
    let median = median_repeat(repeats);
    for (i, repeat) in repeats.iter_mut().enumerate() {
        let bound = match Some(i) == median {
            true => MEDIAN_BOUND,
            false => OTHER_BOUND,
        };
        thin(repeat, bound);
    }
}

/// Keeps every k-th of a repeat's records by task index, k the smallest
/// power of two (a multiple of what it kept already) leaving at most `bound`.
fn thin(repeat: &mut RepeatTrace, bound: usize) {
    let mut every = repeat.every.max(1);
    let count = |every: u64| {
        repeat
            .kept
            .iter()
            .filter(|r| r.task.is_multiple_of(every))
            .count()
    };
    while count(every) > bound {
        every *= 2;
    }
    repeat.kept.retain(|r| r.task.is_multiple_of(every));
    repeat.every = every;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::TaskRow;

    #[test]
    fn a_thinned_collection_never_passes_its_cap_and_keeps_every_kth() {
        let mut kept = Thinned::new(100);
        for i in 0..1_000_000u64 {
            kept.push(i, i);
        }
        assert_eq!(kept.every(), 16_384);
        let items = kept.into_items();
        assert!(items.len() <= 100, "{}", items.len());
        assert!(items.iter().all(|i| i % 16_384 == 0));
        assert_eq!(items.len(), 1_000_000usize.div_ceil(16_384));
    }

    fn repeat(seconds: f64, tasks: u64) -> RepeatTrace {
        RepeatTrace {
            round: 1,
            recorded: true,
            seconds,
            lanes: Vec::new(),
            workers: 1,
            tasks,
            numbers: tasks,
            compute_s: 0.0,
            dispatch_s: 0.0,
            idle_s: 0.0,
            user_s: None,
            sys_s: None,
            every: 1,
            kept: (0..tasks)
                .map(|task| TaskRow {
                    task,
                    worker: 0,
                    numbers: 1,
                    submitted_s: None,
                    started_s: 0.0,
                    finished_s: 0.0,
                    replied_s: None,
                    busy_s: None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_small_case_keeps_everything_a_large_one_its_median_repeat() {
        let mut small = vec![repeat(1.0, 20_000), repeat(2.0, 20_000)];
        keep_for_case(&mut small);
        assert!(small.iter().all(|r| r.kept.len() == 20_000 && r.every == 1));

        let mut large = vec![repeat(3.0, 8_000), repeat(1.0, 8_000), repeat(2.0, 8_000)];
        large.extend((0..5).map(|_| repeat(9.0, 8_000)));
        keep_for_case(&mut large);
        // Times 3, 1, 2, 9 x 5: sorted 1 2 3 9 9 9 9 9, lower middle 9.
        assert_eq!(median_repeat(&large), Some(3));
        assert_eq!(large[3].kept.len(), 8_000);
        for (i, r) in large.iter().enumerate().filter(|(i, _)| *i != 3) {
            assert!(r.kept.len() <= OTHER_BOUND, "{i}: {}", r.kept.len());
            assert_eq!(r.every, 64, "{i}");
        }
    }

    #[test]
    fn the_median_repeat_of_an_even_count_is_the_lower_middle() {
        let repeats = [
            repeat(4.0, 1),
            repeat(1.0, 1),
            repeat(3.0, 1),
            repeat(2.0, 1),
        ];
        assert_eq!(median_repeat(&repeats), Some(3));
    }
}
