//! Sentences about a chart of times: the fastest, the ties, the default
//! chunksize, the slowest, per category where x names different work.

use super::ranked::{Ranked, center, separated, slower_than};
use super::words::{and_list, describe, points, trim};
use crate::report::figure::{Figure, Point};
use crate::units::human_seconds;

/// For each category, the fastest series and how the others compare, each
/// ranking only beyond the noise.
pub(super) fn per_category_findings(figure: &Figure) -> Vec<String> {
    let names = figure.categories.clone().unwrap_or_default();
    names
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let here: Vec<(&str, &Point)> =
                points(figure).filter(|(_, p)| p.x as usize == i).collect();
            let ranked = Ranked::of(here)?;
            let (best, fast) = ranked.fastest;
            Some(match ranked.others.as_slice() {
                [] => format!("{name}: {best} {}.", human_seconds(center(fast))),
                _ if ranked.all_tied() => format!(
                    "{name}: {} are indistinguishable{}.",
                    ranked.names(),
                    ranked.within()
                ),
                _ => {
                    let (worst, slow, c) = ranked.slowest();
                    format!(
                        "{name}: fastest {best} ({}); {worst} is {}.",
                        human_seconds(center(fast)),
                        slower_than(c, slow)
                    )
                }
            })
        })
        .collect()
}

/// The fastest point, those tied with it, the default chunksize and the
/// slowest, each ranked only beyond the noise.
pub(super) fn time_findings(figure: &Figure) -> Vec<String> {
    let all: Vec<_> = points(figure).collect();
    if all.is_empty() {
        // Say which: a filter that keeps nothing is not a failed run.
        return vec![match figure.chart.filter.is_empty() {
            true => {
                "No case of this chart finished correctly, so there is nothing to compare.".into()
            }
            false => {
                "No correct case passes this chart's filter, so there is nothing to compare.".into()
            }
        }];
    }
    let ranked = Ranked::of(all)
        .expect("points")
        .labelled(|s, p| describe(figure, s, p));
    let (fs, fastest) = ranked.fastest;
    if ranked.others.is_empty() {
        return vec![format!(
            "{}: {} median.",
            describe(figure, fs, fastest),
            human_seconds(center(fastest))
        )];
    }
    if ranked.all_tied() {
        return vec![format!(
            "{} are indistinguishable{}: no case of this chart is faster than another beyond the noise.",
            ranked.names(),
            ranked.within()
        )];
    }
    let tied = ranked.tied();
    let mut out = vec![match tied.is_empty() {
        true => format!(
            "Fastest: {}, {} median.",
            describe(figure, fs, fastest),
            human_seconds(center(fastest))
        ),
        false => format!(
            "Fastest: {}, {} median; indistinguishable from it{}: {}.",
            describe(figure, fs, fastest),
            human_seconds(center(fastest)),
            ranked.within(),
            and_list(&tied)
        ),
    }];
    if let Some((ds, default, c)) = ranked.others.iter().find(|(_, p, _)| p.is_default) {
        out.push(format!(
            "The default chunksize ({}{}) is {}.",
            trim(default.x),
            if figure.series.len() > 1 {
                format!(", {ds}")
            } else {
                String::new()
            },
            slower_than(*c, default)
        ));
    }
    let (slowest, slow, c) = ranked.slowest();
    if separated(&c) {
        out.push(format!("Slowest: {slowest}, {}.", slower_than(c, slow)));
    }
    if figure.series.len() > 1 {
        let wins: Vec<String> = figure
            .series
            .iter()
            .filter_map(|s| {
                let best = s
                    .points
                    .iter()
                    .min_by(|a, b| center(a).total_cmp(&center(b)))?;
                Some(format!("{} {}", s.name, human_seconds(center(best))))
            })
            .collect();
        out.push(format!("Fastest median of each: {}.", wins.join(", ")));
    }
    out
}
