//! The small words findings are made of: lists, percentages, and how a
//! chart's point is named.

use crate::report::figure::{Figure, Point};

/// "a", "a and b", "a, b and c"; beyond six names, "a, b, c, d, e and 7 more".
pub(super) fn and_list(names: &[String]) -> String {
    const SHOWN: usize = 5;
    match names {
        [] => String::new(),
        [one] => one.clone(),
        many if many.len() > SHOWN + 1 => {
            format!(
                "{} and {} more",
                many[..SHOWN].join(", "),
                many.len() - SHOWN
            )
        }
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// "3.2%" below ten per cent, "12%" above.
pub(super) fn percent(p: f64) -> String {
    match p {
        p if p < 10.0 => format!("{p:.1}%"),
        p => format!("{p:.0}%"),
    }
}

/// "chunksize 64", "range C", "prime 1 (mmap redux)".
pub(super) fn describe(figure: &Figure, series: &str, p: &Point) -> String {
    let x = match &figure.categories {
        Some(names) => names.get(p.x as usize).cloned().unwrap_or_default(),
        None => format!("{} {}", short(&figure.chart.x), trim(p.x)),
    };
    let x = if p.is_default {
        format!("{x} (the default)")
    } else {
        x
    };
    match figure.series.len() > 1 && !series.is_empty() {
        true => format!("{x}, {series}"),
        false => x,
    }
}

/// A column's name as words: "check every".
pub(super) fn short(name: &str) -> String {
    name.replace('_', " ")
}

/// A number without a fraction when it has none: "64", "0.5".
pub(super) fn trim(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// Every point of the figure, with the name of its series.
pub(super) fn points(figure: &Figure) -> impl Iterator<Item = (&str, &Point)> {
    figure
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(move |p| (s.name.as_str(), p)))
}
