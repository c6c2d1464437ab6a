//! The numbers a case hands out: a range, read on demand, or a list, when
//! the order needs one. A range of 10^10 numbers in the given order costs
//! nothing; only a shuffled or reversed order materialises 8 bytes a number
//! (hardening issue, item 1: a given-order 10^10 range died allocating 80 GB).

use std::ops::Range;
use std::sync::Arc;

use crate::primes::NumRange;

/// A job list: the numbers of a range in order, or a materialised list.
/// Cloning is cheap (the list is shared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jobs {
    /// The numbers `start, start + 1, ..., end - 1`, made as they are read.
    Range(NumRange),
    /// Numbers in the order a case chose.
    List(Arc<[u64]>),
}

impl Jobs {
    /// How many numbers there are.
    pub fn len(&self) -> usize {
        match self {
            Jobs::Range(range) => usize::try_from(range.len()).unwrap_or(usize::MAX),
            Jobs::List(list) => list.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th number (`i < len()`).
    pub fn get(&self, i: usize) -> u64 {
        match self {
            Jobs::Range(range) => range.start + i as u64,
            Jobs::List(list) => list[i],
        }
    }

    /// The numbers at positions `span`, in order.
    pub fn numbers(&self, span: Range<usize>) -> Numbers<'_> {
        match self {
            Jobs::Range(range) => {
                Numbers::Range(range.start + span.start as u64..range.start + span.end as u64)
            }
            Jobs::List(list) => Numbers::List(list[span].iter()),
        }
    }

    /// Every number, in order.
    pub fn iter(&self) -> Numbers<'_> {
        self.numbers(0..self.len())
    }

    /// Whether `n` is one of the numbers.
    pub fn contains(&self, n: u64) -> bool {
        match self {
            Jobs::Range(range) => (range.start..range.end).contains(&n),
            Jobs::List(list) => list.contains(&n),
        }
    }
}

impl From<Vec<u64>> for Jobs {
    fn from(list: Vec<u64>) -> Self {
        Jobs::List(list.into())
    }
}

impl From<NumRange> for Jobs {
    fn from(range: NumRange) -> Self {
        Jobs::Range(range)
    }
}

/// The numbers of a span of [`Jobs`].
#[derive(Debug, Clone)]
pub enum Numbers<'a> {
    Range(Range<u64>),
    List(std::slice::Iter<'a, u64>),
}

impl Iterator for Numbers<'_> {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        match self {
            Numbers::Range(range) => range.next(),
            Numbers::List(list) => list.next().copied(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Numbers::Range(range) => range.size_hint(),
            Numbers::List(list) => list.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_and_its_list_hand_out_the_same_numbers() {
        let range = NumRange { start: 10, end: 20 };
        let list = Jobs::from((10..20).collect::<Vec<u64>>());
        let lazy = Jobs::from(range);
        assert_eq!(lazy.len(), list.len());
        assert!(lazy.iter().eq(list.iter()));
        assert!(lazy.numbers(3..7).eq(list.numbers(3..7)));
        assert_eq!(lazy.get(4), list.get(4));
        assert!(lazy.contains(19) && !lazy.contains(20) && list.contains(10));
    }

    #[test]
    fn a_huge_range_is_not_materialised() {
        let huge = Jobs::from(NumRange {
            start: 0,
            end: 10_000_000_000,
        });
        assert_eq!(huge.len(), 10_000_000_000);
        assert_eq!(
            huge.numbers(9_999_999_998..10_000_000_000).sum::<u64>(),
            19_999_999_997
        );
    }
}
