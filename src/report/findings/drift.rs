//! Whether the machine stayed steady through the run.

use super::words::percent;
use crate::experiment::Schedule;
use crate::report::data::RunData;
use crate::stats::{self, Comparison, Verdict};

/// Whether the machine stayed steady through the run: every timed run's
/// time over its case's median, the first third of the run against the
/// last third (by position), compared beyond the noise.
pub fn drift_finding(run: &RunData) -> Option<String> {
    let c = thirds(run)?;
    let shift = |r: f64| percent((r - 1.0).abs() * 100.0);
    Some(match (c.verdict, c.interval) {
        (Verdict::Indistinguishable, _) => format!(
            "The machine stayed steady: the last third of the timed runs is indistinguishable from the first (within ±{}), each run taken against its case's median.{}",
            percent(c.noise_percent().unwrap_or(0.0)),
            match run.manifest.schedule {
                Schedule::Blocked =>
                    " With a blocked schedule each case's runs are together, so a change of the machine between one case and the next cannot be seen here: it passes for a difference between the cases. Run interleaved (the default) to tell them apart.",
                _ => "",
            }
        ),
        (verdict, Some(i)) => format!(
            "The machine drifted: the last third of the timed runs took {} {} than the first (95% interval {} to {}), each run taken against its case's median; {}",
            shift(c.ratio),
            match verdict {
                Verdict::Slower => "longer",
                _ => "less time",
            },
            shift(if verdict == Verdict::Slower {
                i.lo
            } else {
                i.hi
            }),
            shift(if verdict == Verdict::Slower {
                i.hi
            } else {
                i.lo
            }),
            match run.manifest.schedule {
                Schedule::Blocked =>
                    "with a blocked schedule that drift falls on the cases run last: run again interleaved (the default) before trusting a ranking.",
                _ => "the interleaved rounds spread it over every case alike.",
            }
        ),
        (_, None) => return None,
    })
}

/// The last third of the run's timed runs against the first, each taken
/// against its case's median; none with fewer than six runs.
fn thirds(run: &RunData) -> Option<Comparison> {
    let series = run.drift_series();
    if series.len() < 6 {
        return None;
    }
    let third = series.len() / 3;
    let early: Vec<f64> = series[..third].iter().map(|p| p.1).collect();
    let late: Vec<f64> = series[series.len() - third..].iter().map(|p| p.1).collect();
    Comparison::of(&late, &early, stats::seed_for(run.manifest.seed, 1, 2))
}

/// Why the run's verdicts are unreliable because the machine drifted, in a
/// few words, or none when it stayed steady beyond the noise.
pub fn drifted(run: &RunData) -> Option<String> {
    let c = thirds(run)?;
    let direction = match c.verdict {
        Verdict::Slower => "longer",
        Verdict::Faster => "less time",
        Verdict::Indistinguishable => return None,
    };
    Some(format!(
        "the machine drifted: the last third of the timed runs took {} {direction} than the first",
        percent((c.ratio - 1.0).abs() * 100.0)
    ))
}
