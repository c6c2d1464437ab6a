//! Points ranked by their median time, each compared with the fastest
//! beyond the noise, and how much slower one is, in words.

use super::words::{and_list, percent};
use crate::report::figure::Point;
use crate::stats::{self, Comparison, Verdict};
use crate::units::human_seconds;

/// A chart's points ordered by median time, each compared with the fastest.
pub(super) struct Ranked<'a> {
    pub(super) fastest: (&'a str, &'a Point),
    /// The others, fastest first, with their comparison to the fastest.
    pub(super) others: Vec<(&'a str, &'a Point, Option<Comparison>)>,
    /// How the points are named in sentences.
    pub(super) label: Namer<'a>,
}

/// How a point is named in a sentence.
pub(super) type Namer<'a> = Box<dyn Fn(&str, &Point) -> String + 'a>;

impl<'a> Ranked<'a> {
    pub(super) fn of(mut all: Vec<(&'a str, &'a Point)>) -> Option<Ranked<'a>> {
        all.sort_by(|a, b| center(a.1).total_cmp(&center(b.1)));
        let mut all = all.into_iter();
        let fastest = all.next()?;
        let others = all.map(|(s, p)| (s, p, compare(p, fastest.1))).collect();
        Some(Ranked {
            fastest,
            others,
            label: Box::new(|s, _| s.to_string()),
        })
    }

    pub(super) fn labelled(mut self, label: impl Fn(&str, &Point) -> String + 'a) -> Self {
        self.label = Box::new(label);
        self
    }

    pub(super) fn name(&self, (s, p): (&str, &Point)) -> String {
        (self.label)(s, p)
    }

    /// Whether no point is slower than the fastest beyond the noise.
    pub(super) fn all_tied(&self) -> bool {
        self.others.iter().all(|(_, _, c)| !separated(c))
    }

    /// The points tied with the fastest, beside it.
    pub(super) fn tied(&self) -> Vec<String> {
        self.others
            .iter()
            .filter(|(_, _, c)| !separated(c))
            .map(|(s, p, _)| self.name((s, p)))
            .collect()
    }

    /// Every point's name: "a, b and c".
    pub(super) fn names(&self) -> String {
        let mut names = vec![self.name(self.fastest)];
        names.extend(self.others.iter().map(|(s, p, _)| self.name((s, p))));
        and_list(&names)
    }

    /// " (within ±3%)": the widest noise among the ties, or why there is none.
    pub(super) fn within(&self) -> String {
        let tied = self.others.iter().filter(|(_, _, c)| !separated(c));
        let noise = tied
            .clone()
            .filter_map(|(_, _, c)| c.and_then(|c| c.noise_percent()))
            .reduce(f64::max);
        match (noise, tied.count()) {
            (_, 0) => String::new(),
            (Some(n), _) => format!(" (within ±{})", percent(n)),
            // Issue 20 item 6: a time below the clock's resolution gives no ratio.
            (None, _) if self.unmeasured() => {
                " (a time that is not measurable, such as 0 s: no ratio to rank them by)".into()
            }
            (None, _) => " (one repeat each: no noise to rank them by)".into(),
        }
    }

    /// Whether a point's timed runs give no ratio (see [`stats::unmeasurable`]).
    pub(super) fn unmeasured(&self) -> bool {
        let points = self.others.iter().map(|(_, p, _)| *p);
        std::iter::once(self.fastest.1)
            .chain(points)
            .any(|p| stats::unmeasurable(&p.samples).is_some())
    }

    /// The slowest point and its comparison.
    pub(super) fn slowest(&self) -> (String, &'a Point, Option<Comparison>) {
        let (s, p, c) = self.others.last().expect("more than one point");
        (self.name((s, p)), p, *c)
    }
}

/// The time a point is ranked by: its case's median as summary.csv holds
/// it (what a chart of times draws, so the words and the picture name the
/// same fastest), else the median of its runs, else its y.
pub(super) fn center(p: &Point) -> f64 {
    p.median
        .or_else(|| stats::median(&p.samples))
        .unwrap_or(p.y)
}

/// `p`'s median time against `base`'s, where both have runs.
pub(crate) fn compare(p: &Point, base: &Point) -> Option<Comparison> {
    let number = |p: &Point| p.case.unwrap_or(0) as u64;
    let seed = stats::seed_for(0, number(p), number(base));
    Comparison::of(&p.samples, &base.samples, seed)
}

/// Whether a comparison ranks two points.
pub(super) fn separated(c: &Option<Comparison>) -> bool {
    c.is_some_and(|c| c.verdict != Verdict::Indistinguishable)
}

/// How much slower a point is than the one it was compared with, in words,
/// with the interval of the ratio; or that the two are indistinguishable.
pub(super) fn slower_than(c: Option<Comparison>, slow: &Point) -> String {
    let Some(c) = c else {
        return format!(
            "at {}, not compared (no measurable timed runs)",
            human_seconds(slow.y)
        );
    };
    match (c.verdict, c.interval) {
        (Verdict::Indistinguishable, Some(_)) => format!(
            "indistinguishable from it (within ±{})",
            percent(c.noise_percent().unwrap_or(0.0))
        ),
        (Verdict::Indistinguishable, None) => {
            "not ranked against it (one repeat each: no noise to rank them by)".into()
        }
        // Both ends in the ratio's own unit: "30% (22% to 38%)", "2.0x (1.9x to 2.1x)".
        (_, Some(i)) => {
            let words = |r: f64| match c.ratio < 1.5 {
                true => percent((r - 1.0) * 100.0),
                false => format!("{r:.2}x"),
            };
            format!(
                "{} slower (95% interval {} to {})",
                words(c.ratio),
                words(i.lo),
                words(i.hi)
            )
        }
        (_, None) => unreachable!("a verdict needs an interval"),
    }
}
