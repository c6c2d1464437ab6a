//! How sure a figure is: seeded bootstrap confidence intervals for a case's
//! median time and for the ratio of two cases' medians, and the verdict a
//! sentence may state about two cases: faster, slower, or indistinguishable.
//!
//! Why these methods:
//! - The median, not the best: on a shared machine the best of N is a single
//!   lucky run, and the bootstrap of an extreme (the minimum) is known to be
//!   inconsistent, so no honest interval exists for it. The median is robust
//!   to the stray slow run and its percentile bootstrap is well behaved.
//! - The percentile bootstrap assumes nothing about the shape of the times
//!   (they are skewed: a run is never faster than the machine allows, often
//!   slower). A ratio's interval resamples both cases independently.
//! - Seeded: the same data always give the same intervals, so a report can
//!   be redrawn byte for byte and a test can pin its sentences.
//!
//! With one timed run there is no noise to estimate: no interval, and no
//! ranking.
//!
//! A time below the clock's resolution (a program that printed 0, or
//! 1e-300), or beyond any plausible run, is not a measurement: no ratio is
//! drawn from it (it would be infinite, or hundreds of digits long), so a
//! case with such a time is "not measurable" wherever a ratio is asked for.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

/// The confidence level of every interval.
pub const LEVEL: f64 = 0.95;

/// Bootstrap resamples per interval: enough for stable 2.5% and 97.5%
/// percentiles (their error is well under the noise of the runs).
pub const RESAMPLES: usize = 2000;

/// The clock's resolution, and that of every time runner writes (seconds
/// to nine decimals): a time below it reads back as 0.
pub const RESOLUTION_S: f64 = 1e-9;

/// The longest time taken as a measurement: no run lasts 30 years, and
/// with [`RESOLUTION_S`] it bounds every ratio of times to 1e18.
pub const LONGEST_S: f64 = 1e9;

/// Whether `seconds` is a time a ratio may be drawn from: finite, at least
/// the clock's resolution and at most [`LONGEST_S`].
pub fn measurable(seconds: f64) -> bool {
    (RESOLUTION_S..=LONGEST_S).contains(&seconds)
}

/// Why the timed runs `samples` give no ratio, if they do not, to follow a
/// case's name: "has a median time of 0 s, below the clock's resolution
/// (1 ns)". `None` when every run is measurable (or there is none).
pub fn unmeasurable(samples: &[f64]) -> Option<String> {
    // Said in words: no file runner writes holds "inf" or "NaN".
    let why = |s: f64| match s {
        s if !s.is_finite() => "not a finite number of seconds".to_string(),
        s if s < RESOLUTION_S => format!("{}, below the clock's resolution (1 ns)", shown(s)),
        s => format!("{}, beyond any plausible run (over 1e9 s)", shown(s)),
    };
    let median = median(samples)?;
    if !measurable(median) {
        return Some(format!("has a median time of {}", why(median)));
    }
    let bad: Vec<f64> = samples
        .iter()
        .copied()
        .filter(|s| !measurable(*s))
        .collect();
    let first = *bad.first()?;
    Some(format!(
        "has {} of {} timed runs that are not measurable (one took {})",
        bad.len(),
        samples.len(),
        why(first)
    ))
}

/// A finite time for a sentence: "0 s", "1e-300 s".
fn shown(seconds: f64) -> String {
    match seconds == 0.0 {
        true => "0 s".into(),
        false => format!("{seconds:e} s"),
    }
}

/// A confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    /// Whether `x` lies inside.
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// The median of values in any order (NaN-free), or `None` if empty.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(median_of_sorted(&sorted))
}

/// The median of values already sorted (not empty). Two middle values are
/// halved before they are added, which gives the same bits as adding first,
/// and cannot overflow to infinity.
pub fn median_of_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    match n % 2 {
        1 => sorted[n / 2],
        _ => sorted[n / 2 - 1] / 2.0 + sorted[n / 2] / 2.0,
    }
}

/// The 95% interval of the median of `samples`; `None` with fewer than two.
pub fn median_interval(samples: &[f64], seed: u64) -> Option<Interval> {
    if samples.len() < 2 {
        return None;
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut medians: Vec<f64> = (0..RESAMPLES)
        .map(|_| resampled_median(samples, &mut rng))
        .collect();
    Some(percentiles(&mut medians))
}

/// The ratio of the medians, `a` over `b`, and its 95% interval (none when
/// either side has fewer than two samples). `None` when a side has no
/// sample or a sample that is not [`measurable`]: every ratio returned, and
/// every bound, is then finite and positive.
pub fn ratio_interval(a: &[f64], b: &[f64], seed: u64) -> Option<(f64, Option<Interval>)> {
    if !a.iter().chain(b).all(|&s| measurable(s)) {
        return None;
    }
    let ratio = median(a)? / median(b)?;
    if a.len() < 2 || b.len() < 2 {
        return Some((ratio, None));
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut ratios: Vec<f64> = (0..RESAMPLES)
        .map(|_| resampled_median(a, &mut rng) / resampled_median(b, &mut rng))
        .collect();
    Some((ratio, Some(percentiles(&mut ratios))))
}

fn resampled_median(samples: &[f64], rng: &mut Xoshiro256PlusPlus) -> f64 {
    let mut draw: Vec<f64> = (0..samples.len())
        .map(|_| samples[rng.random_range(0..samples.len())])
        .collect();
    draw.sort_by(f64::total_cmp);
    median_of_sorted(&draw)
}

/// The 2.5th and 97.5th percentiles (nearest rank).
fn percentiles(values: &mut [f64]) -> Interval {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = (q * (values.len() - 1) as f64).round() as usize;
        values[i.min(values.len() - 1)]
    };
    let tail = (1.0 - LEVEL) / 2.0;
    Interval {
        lo: at(tail),
        hi: at(1.0 - tail),
    }
}

/// What the data say of one case against another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Its interval lies wholly below 1: faster beyond the noise.
    Faster,
    /// Wholly above 1: slower beyond the noise.
    Slower,
    /// The interval holds 1, or there is no interval (one run).
    Indistinguishable,
}

/// One case's median time against another's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// Its median over the other's.
    pub ratio: f64,
    pub interval: Option<Interval>,
    pub verdict: Verdict,
}

impl Comparison {
    /// Compares the times `a` with the times `b` (a over b).
    pub fn of(a: &[f64], b: &[f64], seed: u64) -> Option<Comparison> {
        let (ratio, interval) = ratio_interval(a, b, seed)?;
        let verdict = match interval {
            Some(i) if i.lo > 1.0 => Verdict::Slower,
            Some(i) if i.hi < 1.0 => Verdict::Faster,
            _ => Verdict::Indistinguishable,
        };
        Some(Comparison {
            ratio,
            interval,
            verdict,
        })
    }

    /// How far the interval reaches from 1, in per cent: the noise within
    /// which two indistinguishable cases lie ("within ±3%").
    pub fn noise_percent(&self) -> Option<f64> {
        self.interval
            .map(|i| 100.0 * (1.0 - i.lo).abs().max((i.hi - 1.0).abs()))
    }
}

/// The relative half-width of a median's interval, in per cent: a case's
/// noise figure (none with one run).
pub fn noise_percent(samples: &[f64], seed: u64) -> Option<f64> {
    let m = median(samples)?;
    let i = median_interval(samples, seed)?;
    measurable(m).then(|| 100.0 * (i.hi - i.lo) / (2.0 * m))
}

/// A seed for the interval of case `a` (against case `b`, or 0), from the
/// run's seed: the same report always draws the same resamples.
pub fn seed_for(run_seed: u64, a: u64, b: u64) -> u64 {
    run_seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_seeded_and_hold_the_median() {
        let samples = [1.0, 1.1, 0.9, 1.05, 0.95, 1.2, 1.0];
        let a = median_interval(&samples, 7).unwrap();
        assert_eq!(a, median_interval(&samples, 7).unwrap(), "deterministic");
        assert!(a.contains(median(&samples).unwrap()));
        assert!(a.lo >= 0.9 && a.hi <= 1.2);
        assert!(median_interval(&[1.0], 7).is_none(), "one run: no interval");
    }

    #[test]
    fn identical_work_is_indistinguishable_and_a_clear_gap_is_ranked() {
        let a = [1.00, 1.03, 0.98, 1.01, 0.99, 1.02, 1.00];
        let b = [1.01, 0.99, 1.02, 1.00, 0.98, 1.03, 1.00];
        let same = Comparison::of(&a, &b, 1).unwrap();
        assert_eq!(same.verdict, Verdict::Indistinguishable);
        assert!(same.noise_percent().unwrap() < 5.0);
        let twice: Vec<f64> = a.iter().map(|x| 2.0 * x).collect();
        let slower = Comparison::of(&twice, &b, 1).unwrap();
        assert_eq!(slower.verdict, Verdict::Slower);
        assert!((slower.ratio - 2.0).abs() < 0.05);
        assert!(slower.interval.unwrap().contains(2.0));
        assert_eq!(
            Comparison::of(&b, &twice, 1).unwrap().verdict,
            Verdict::Faster
        );
    }

    /// Issue 20 items 6 and 7: no ratio is drawn from a time below the
    /// clock's resolution or beyond any run, so none is infinite.
    #[test]
    fn a_time_that_is_not_measurable_gives_no_ratio() {
        let fine = [1.0, 1.1, 0.9];
        for bad in [0.0, -0.0, 1e-300, 1e300, f64::INFINITY, f64::NAN] {
            let side = [bad, bad, bad];
            assert!(ratio_interval(&fine, &side, 1).is_none(), "{bad}");
            assert!(ratio_interval(&side, &fine, 1).is_none(), "{bad}");
            assert!(Comparison::of(&side, &fine, 1).is_none());
            let why = unmeasurable(&side).unwrap();
            assert!(why.starts_with("has a median time of"), "{why}");
            assert!(!why.contains("inf") && !why.contains("NaN"), "{why}");
        }
        assert_eq!(
            unmeasurable(&[0.0, 0.0, 0.0]).unwrap(),
            "has a median time of 0 s, below the clock's resolution (1 ns)"
        );
        // A stray zero among good runs: resampled medians could be 0.
        let mixed = [0.0, 1.0, 1.1, 1.2, 0.9];
        assert!(ratio_interval(&fine, &mixed, 1).is_none());
        assert_eq!(
            unmeasurable(&mixed).unwrap(),
            "has 1 of 5 timed runs that are not measurable (one took 0 s, below the clock's resolution (1 ns))"
        );
        assert!(unmeasurable(&fine).is_none() && unmeasurable(&[]).is_none());
        // The extremes of what is measurable still give finite bounds.
        let (r, i) = ratio_interval(&[LONGEST_S; 3], &[RESOLUTION_S; 3], 1).unwrap();
        assert!(r.is_finite() && i.unwrap().hi.is_finite());
    }

    #[test]
    fn one_run_is_never_ranked() {
        let c = Comparison::of(&[1.0], &[3.0], 1).unwrap();
        assert_eq!(c.verdict, Verdict::Indistinguishable);
        assert!(c.interval.is_none());
    }
}
