//! Findings in plain sentences, computed from the data a chart shows: never
//! written by hand, so a re-run with other numbers says other things.

use super::data::RunData;
use super::figure::{Figure, Point, Series, axis_label};
use crate::experiment::columns::Cell;
use crate::experiment::{FlagKind, LoopStyle, ParamName, Schedule, Strategy, WorkloadKind};
use crate::outcome::Status;
use crate::progress::human_seconds;
use crate::record::SummaryRow;
use crate::stats::{self, Comparison, Verdict};

/// What a chart shows, in a few sentences: chosen by the values it plots,
/// not by how it draws them, so a speedup drawn as bars is described as a
/// speedup (hardening item 10).
pub fn chart_findings(figure: &Figure) -> Vec<String> {
    match figure.chart.y.as_str() {
        "count" => histogram_findings(figure),
        "seconds" if figure.series.iter().any(|s| s.name.ends_with("primes")) => {
            scatter_findings(figure)
        }
        _ if figure.y_is_seconds && compares_within_categories(figure) => {
            per_category_findings(figure)
        }
        _ if figure.y_is_seconds => time_findings(figure),
        _ => ratio_findings(figure),
    }
}

/// Whether x names different work (numbers, ranges): then the series are
/// compared within each category, never one category against another.
fn compares_within_categories(figure: &Figure) -> bool {
    let x = figure.chart.x.as_str();
    let range = ParamName::from_key(x) == Some(ParamName::Range);
    figure.series.len() > 1 && (x == "number" || range)
}

/// For each category, the fastest series and how the others compare, each
/// ranking only beyond the noise.
fn per_category_findings(figure: &Figure) -> Vec<String> {
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

/// A chart's points ordered by median time, each compared with the fastest.
struct Ranked<'a> {
    fastest: (&'a str, &'a Point),
    /// The others, fastest first, with their comparison to the fastest.
    others: Vec<(&'a str, &'a Point, Option<Comparison>)>,
    /// How the points are named in sentences.
    label: Namer<'a>,
}

/// How a point is named in a sentence.
type Namer<'a> = Box<dyn Fn(&str, &Point) -> String + 'a>;

impl<'a> Ranked<'a> {
    fn of(mut all: Vec<(&'a str, &'a Point)>) -> Option<Ranked<'a>> {
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

    fn labelled(mut self, label: impl Fn(&str, &Point) -> String + 'a) -> Self {
        self.label = Box::new(label);
        self
    }

    fn name(&self, (s, p): (&str, &Point)) -> String {
        (self.label)(s, p)
    }

    /// Whether no point is slower than the fastest beyond the noise.
    fn all_tied(&self) -> bool {
        self.others.iter().all(|(_, _, c)| !separated(c))
    }

    /// The points tied with the fastest, beside it.
    fn tied(&self) -> Vec<String> {
        self.others
            .iter()
            .filter(|(_, _, c)| !separated(c))
            .map(|(s, p, _)| self.name((s, p)))
            .collect()
    }

    /// Every point's name: "a, b and c".
    fn names(&self) -> String {
        let mut names = vec![self.name(self.fastest)];
        names.extend(self.others.iter().map(|(s, p, _)| self.name((s, p))));
        and_list(&names)
    }

    /// " (within ±3%)": the widest noise among the ties, or why there is none.
    fn within(&self) -> String {
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
    fn unmeasured(&self) -> bool {
        let points = self.others.iter().map(|(_, p, _)| *p);
        std::iter::once(self.fastest.1)
            .chain(points)
            .any(|p| stats::unmeasurable(&p.samples).is_some())
    }

    /// The slowest point and its comparison.
    fn slowest(&self) -> (String, &'a Point, Option<Comparison>) {
        let (s, p, c) = self.others.last().expect("more than one point");
        (self.name((s, p)), p, *c)
    }
}

/// The time a point is ranked by: the median of its runs, else its y.
fn center(p: &Point) -> f64 {
    stats::median(&p.samples).unwrap_or(p.y)
}

/// `p`'s median time against `base`'s, where both have runs.
pub(crate) fn compare(p: &Point, base: &Point) -> Option<Comparison> {
    let number = |p: &Point| p.case.unwrap_or(0) as u64;
    let seed = stats::seed_for(0, number(p), number(base));
    Comparison::of(&p.samples, &base.samples, seed)
}

/// Whether a comparison ranks two points.
fn separated(c: &Option<Comparison>) -> bool {
    c.is_some_and(|c| c.verdict != Verdict::Indistinguishable)
}

/// "a", "a and b", "a, b and c"; beyond six names, "a, b, c, d, e and 7 more".
fn and_list(names: &[String]) -> String {
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

fn percent(p: f64) -> String {
    match p {
        p if p < 10.0 => format!("{p:.1}%"),
        p => format!("{p:.0}%"),
    }
}

/// "chunksize 64", "range C", "prime 1 (mmap redux)".
fn describe(figure: &Figure, series: &str, p: &Point) -> String {
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

fn short(name: &str) -> String {
    name.replace('_', " ")
}

fn trim(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn points(figure: &Figure) -> impl Iterator<Item = (&str, &Point)> {
    figure
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(move |p| (s.name.as_str(), p)))
}

/// How much slower a point is than the one it was compared with, in words,
/// with the interval of the ratio; or that the two are indistinguishable.
fn slower_than(c: Option<Comparison>, slow: &Point) -> String {
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

fn time_findings(figure: &Figure) -> Vec<String> {
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

fn ratio_findings(figure: &Figure) -> Vec<String> {
    let what = axis_label(&figure.chart.y);
    let mut all: Vec<(&str, &Point)> = points(figure).collect();
    all.sort_by(|a, b| b.1.y.total_cmp(&a.1.y));
    let Some(&(s, p)) = all.first() else {
        return vec![];
    };
    let interval = |p: &Point| {
        p.whisker
            .map(|(lo, hi)| format!(" (95% interval {lo:.2} to {hi:.2})"))
            .unwrap_or_default()
    };
    let mut sentence = format!(
        "Highest {what}: {}, {:.2}{}",
        describe(figure, s, p),
        p.y,
        interval(p)
    );
    // Two 95% intervals that overlap do not separate the two values.
    let overlaps = |q: &Point| match (p.whisker, q.whisker) {
        (Some((lo, _)), Some((_, hi))) => hi >= lo,
        _ => true,
    };
    let tied: Vec<String> = all[1..]
        .iter()
        .filter(|(_, q)| overlaps(q))
        .map(|(s, q)| format!("{} ({:.2})", describe(figure, s, q), q.y))
        .collect();
    if !tied.is_empty() {
        sentence.push_str(&format!(
            "; indistinguishable from it (their intervals overlap): {}",
            and_list(&tied)
        ));
    }
    sentence.push('.');
    vec![sentence]
}

fn scatter_findings(figure: &Figure) -> Vec<String> {
    let of = |name: &str| {
        stats::median(
            &figure
                .series
                .iter()
                .filter(|s| s.name == name)
                .flat_map(|s| s.points.iter().map(|p| p.y))
                .collect::<Vec<_>>(),
        )
    };
    match (of("primes"), of("non-primes")) {
        (Some(p), Some(q)) => vec![format!(
            "Median cost of one check: {} for a prime, {} for a non-prime ({:.0}x less), because most non-primes stop at a small divisor.",
            human_seconds(p),
            human_seconds(q),
            p / q.max(1e-12)
        )],
        _ => vec![],
    }
}

/// One sentence per histogram (one per range or series), never a sum of them.
fn histogram_findings(figure: &Figure) -> Vec<String> {
    let several = figure.series.len() > 1;
    figure
        .series
        .iter()
        .filter_map(|s| {
            let sentence = histogram_sentence(figure, s)?;
            Some(match several {
                true => format!("{}: {sentence}", s.name),
                false => sentence,
            })
        })
        .collect()
}

fn histogram_sentence(figure: &Figure, series: &Series) -> Option<String> {
    let names = figure.categories.clone().unwrap_or_default();
    let counts: Vec<(String, f64)> = series
        .points
        .iter()
        .map(|p| (names.get(p.x as usize).cloned().unwrap_or_default(), p.y))
        .collect();
    let total: f64 = counts.iter().map(|c| c.1).sum();
    if total == 0.0 {
        return None;
    }
    let mut sorted = counts.clone();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
    let share = |c: &(String, f64)| format!("{} for {:.1}%", c.0, 100.0 * c.1 / total);
    let top: Vec<String> = sorted.iter().take(3).map(share).collect();
    let largest = counts
        .iter()
        .filter_map(|c| c.0.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    Some(format!(
        "{} distinct smallest factors among {} non-primes; the most common account {}; the largest smallest factor is {largest}.",
        counts.len(),
        total as u64,
        top.join(", ")
    ))
}

/// Findings about the run as a whole, from the summary.
pub fn run_findings(run: &RunData) -> Vec<String> {
    let rows = &run.summary;
    let mut out = Vec::new();
    let with = |status: Status| -> Vec<&SummaryRow> {
        rows.iter().filter(|r| r.summary.status == status).collect()
    };
    let (failed, skipped) = (with(Status::Failed), with(Status::Skipped));
    if !failed.is_empty() {
        out.push(format!(
            "{} of {} cases FAILED; their rows below say why.",
            failed.len(),
            rows.len()
        ));
    }
    if let Some(first) = skipped.first() {
        out.push(format!(
            "{} cases were not run: {}",
            skipped.len(),
            first.summary.error
        ));
    }
    let looks = look_groups(rows);
    if !looks.is_empty() {
        let parts: Vec<String> = looks
            .iter()
            .map(|g| match g.cost_ns > 0.0 {
                true => format!(
                    "{} {} ({})",
                    g.flag,
                    human_seconds(g.cost_ns * 1e-9),
                    g.source
                ),
                // A median below zero is the noise of a look too cheap to see.
                false => format!("{} below the noise ({})", g.flag, g.source),
            })
            .collect();
        out.push(format!(
            "One look at the flag costs one worker about (median over the primes, where the flag saves nothing): {}. The blocked loop's figure is the look alone; the counter loop's also holds the loop's bookkeeping.",
            parts.join(", ")
        ));
    }
    let items: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.summary.item_ns.map(f64::from))
        .collect();
    if let (Some(lo), Some(hi)) = (
        items.iter().copied().reduce(f64::min),
        items.iter().copied().reduce(f64::max),
    ) {
        out.push(format!(
            "Handing one number to a queue costs {lo:.0} to {hi:.0} ns of core time beyond the serial loop's work, depending on workers and what is enqueued."
        ));
    }
    // Efficiency compares equal work; an early exit changes the work.
    let same_work = matches!(
        run.experiment.workload,
        WorkloadKind::Primes | WorkloadKind::FactorFrequency
    );
    let efficiencies: Vec<(f64, &SummaryRow)> = rows
        .iter()
        .filter(|r| same_work && r.case.workers != 1)
        .filter_map(|r| Some((r.summary.efficiency?.0, r)))
        .collect();
    if let Some((e, r)) = efficiencies.iter().max_by(|a, b| a.0.total_cmp(&b.0)) {
        let s = &r.summary;
        let interval = match (s.efficiency_lo, s.efficiency_hi) {
            (Some(lo), Some(hi)) => format!(", 95% interval {:.2} to {:.2}", lo.0, hi.0),
            _ => String::new(),
        };
        out.push(format!(
            "Best parallel efficiency with more than one worker: {:.2} ({} with {} workers{interval}).",
            e, r.case.strategy, r.case.workers,
        ));
    }
    out.extend(deciding_ratios(rows));
    out.extend(noise_findings(rows));
    out
}

/// The ratios the book's lessons turn on, measured here, beside the book's:
/// what one task, one queued item and one look at a flag cost, in units of
/// the work they carry. A lesson holds on a machine where its ratio is like
/// the book's, and may not where it is not.
fn deciding_ratios(rows: &[SummaryRow]) -> Vec<String> {
    let mut out = Vec::new();
    // The work of one number: the serial loop's median over its range.
    let per_number = |row: &SummaryRow| -> Option<f64> {
        let serial = rows.iter().find(|r| {
            r.case.strategy == Strategy::Serial
                && r.case.range_start == row.case.range_start
                && r.case.range_end == row.case.range_end
                && r.case.kernel == row.case.kernel
        })?;
        let len = serial.case.range_end? as f64 - serial.case.range_start? as f64;
        Some(serial.summary.median_s?.0 / len.max(1.0))
    };
    let by_executor = |cost: fn(&SummaryRow) -> Option<f64>,
                       scale: f64,
                       strategy: Strategy|
     -> Vec<(String, f64, f64)> {
        let mut groups: Vec<(String, Vec<f64>, f64)> = Vec::new();
        for row in rows.iter().filter(|r| r.case.strategy == strategy) {
            let (Some(cost), Some(work)) = (cost(row), per_number(row)) else {
                continue;
            };
            let executor = row.case.executor.text();
            let key = match row.case.queue_host {
                None => executor,
                Some(host) => format!("{executor}, queue {host}"),
            };
            match groups.iter_mut().find(|g| g.0 == key) {
                Some(g) => g.1.push(cost * scale / work),
                None => groups.push((key, vec![cost * scale / work], work)),
            }
        }
        groups
            .into_iter()
            .filter_map(|(k, ratios, work)| Some((k, stats::median(&ratios)?, work)))
            .collect()
    };
    let round_trip = |r: &SummaryRow| r.summary.round_trip_us.map(f64::from);
    let tasks = by_executor(round_trip, 1e-6, Strategy::Pool);
    if !tasks.is_empty() {
        let parts: Vec<String> = tasks
            .iter()
            .map(|(executor, ratio, _)| format!("{executor} {ratio:.1}"))
            .collect();
        out.push(format!(
            "What the chunksize lesson turns on: one task's round trip over the work of one number ({} per number, the serial loop's median): {}; the book's pickled task cost 2.2 times its number's work.",
            human_seconds(tasks[0].2),
            parts.join(", ")
        ));
    }
    let item = |r: &SummaryRow| r.summary.item_ns.map(f64::from);
    let items: Vec<(String, f64, f64)> = [Strategy::Queue, Strategy::Feeder]
        .into_iter()
        .flat_map(|s| by_executor(item, 1e-9, s))
        .collect();
    if !items.is_empty() {
        let parts: Vec<String> = items
            .iter()
            .map(|(executor, ratio, _)| format!("{executor} {ratio:.1}"))
            .collect();
        out.push(format!(
            "What the queue lesson turns on: one queued item's cost over the work of one number: {}; the book's was 3.0, so its queues lost to the serial loop.",
            parts.join(", ")
        ));
    }
    let ratios: Vec<String> = look_groups(rows)
        .iter()
        .filter_map(|g| {
            let every = g.every?;
            let ratio = g.ratio.filter(|r| *r > 0.0)?;
            Some(format!("{} every {every:.0} candidates {ratio:.3}", g.flag))
        })
        .collect();
    if !ratios.is_empty() {
        out.push(format!(
            "What the flag lesson turns on: one look at the flag over the work between two looks: {}; the book's were Manager 1.1 and Redis 0.7 (a look every ~100 us of work), so its Manager and Redis flags doubled a prime's time.",
            ratios.join(", ")
        ));
    }
    out
}

/// A case whose median is this uncertain (half its 95% interval, relative)
/// is named as noisy.
pub const NOISY_PERCENT: f64 = 10.0;

/// A warning naming the cases whose medians the noise blurs.
fn noise_findings(rows: &[SummaryRow]) -> Option<String> {
    let noisy: Vec<String> = rows
        .iter()
        .filter_map(|r| Some((r.summary.noise_pct?.0, r)))
        .filter(|(n, _)| *n > NOISY_PERCENT)
        .map(|(n, r)| format!("case {} (±{})", r.case.case, percent(n)))
        .collect();
    (!noisy.is_empty()).then(|| {
        format!(
            "Noisy: {} of {} cases have a median uncertain by more than ±{NOISY_PERCENT:.0}% (half its 95% interval): {}. More repeats, or a quieter machine, would sharpen them; the comparisons above already allow for it.",
            noisy.len(),
            rows.len(),
            and_list(&noisy)
        )
    })
}

/// Whether the machine stayed steady through the run: every timed run's
/// time over its case's median, the first third of the run against the
/// last third (by position), compared beyond the noise.
pub fn drift_finding(run: &RunData) -> Option<String> {
    let series = run.drift_series();
    if series.len() < 6 {
        return None;
    }
    let third = series.len() / 3;
    let early: Vec<f64> = series[..third].iter().map(|p| p.1).collect();
    let late: Vec<f64> = series[series.len() - third..].iter().map(|p| p.1).collect();
    let c = Comparison::of(&late, &early, stats::seed_for(run.manifest.seed, 1, 2))?;
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

/// The look cost of one flag kind at one look interval, from one loop.
struct LookGroup {
    flag: String,
    every: Option<f64>,
    /// "blocked loop" or "counter loop", as the figure was measured.
    source: String,
    /// The median cost of one look to one worker, in ns.
    cost_ns: f64,
    /// The median of look cost over the work between two looks (the serial
    /// loop's cost per candidate on the same number, times check_every).
    ratio: Option<f64>,
}

/// The look costs per flag kind and look interval, from the blocked loop
/// where there is one (its figure is the look alone), else from whichever
/// loop was run, named.
fn look_groups(rows: &[SummaryRow]) -> Vec<LookGroup> {
    let per_candidate = |row: &SummaryRow| -> Option<f64> {
        let serial = rows.iter().find(|r| {
            r.case.strategy == Strategy::Serial && r.case.number_name == row.case.number_name
        })?;
        let s = &serial.summary;
        Some(s.median_s?.0 / (s.candidates? as f64).max(1.0))
    };
    let measured: Vec<&SummaryRow> = rows
        .iter()
        .filter(|r| r.summary.look_ns.is_some())
        .collect();
    let key = |r: &SummaryRow| (r.case.flag, r.case.check_every);
    let mut keys: Vec<(Option<FlagKind>, Option<u64>)> = Vec::new();
    for r in &measured {
        if !keys.contains(&key(r)) {
            keys.push(key(r));
        }
    }
    keys.into_iter()
        .filter_map(|(flag, every)| {
            let group: Vec<&SummaryRow> = measured
                .iter()
                .copied()
                .filter(|r| key(r) == (flag, every))
                .collect();
            let blocked: Vec<&SummaryRow> = group
                .iter()
                .copied()
                .filter(|r| r.case.loop_style == Some(LoopStyle::Blocked))
                .collect();
            let (chosen, source) = if blocked.is_empty() {
                let loops: Vec<String> = group.iter().map(|r| r.case.loop_style.text()).collect();
                let name = if loops.iter().all(|l| *l == loops[0]) {
                    format!("{} loop", loops[0])
                } else {
                    "median over loops".to_string()
                };
                (group, name)
            } else {
                (blocked, "blocked loop".to_string())
            };
            let look = |r: &SummaryRow| r.summary.look_ns.map(f64::from);
            let costs: Vec<f64> = chosen.iter().filter_map(|r| look(r)).collect();
            let ratios: Vec<f64> = chosen
                .iter()
                .filter_map(|r| {
                    let every = r.case.check_every? as f64;
                    Some(look(r)? * 1e-9 / (every * per_candidate(r)?))
                })
                .collect();
            Some(LookGroup {
                flag: flag.text(),
                every: every.map(|e| e as f64),
                source,
                cost_ns: stats::median(&costs)?,
                ratio: stats::median(&ratios),
            })
        })
        .collect()
}
