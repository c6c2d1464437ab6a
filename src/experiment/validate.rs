//! From the file as written to a validated [`Experiment`]: every check that
//! serde cannot make, each reported at the offending value.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::chart::{Chart, METRICS};
use super::error::{ExperimentError, suggest};
use super::params::{Chunking, NamedNumber, ParamName, ParamValue, Setting};
use super::schema::{ChartKind, ChartSpec, FileSpec, List, NumberSpec, SweepSpec, VariantSpec};
use super::values::{
    Capacity, Enqueue, FlagKind, Kernel, LoopStyle, Order, Strategy, WorkersSpec, WorkloadKind,
};
use super::{Axis, Experiment, Variant};

/// Defaults for keys a file may leave out.
const DEFAULT_REPEATS: u64 = 5;
const DEFAULT_WARMUP: u32 = 1;
const DEFAULT_SEED: u64 = 42;
/// The book's SERIAL_CHECK_CUTOFF and CHECK_EVERY.
const DEFAULT_PRECHECK: u64 = 21;
const DEFAULT_CHECK_EVERY: u64 = 1_000;

/// The book's five numbers, each with a stand-in of the same kind (its
/// smallest factor at the same fraction of its square root) for `--quick`.
pub const BOOK_NUMBERS: [(&str, u64, u64); 5] = [
    ("small non-prime", 112_272_535_095_295, 112_272_535_095_295),
    ("non-prime 1", 100_109_100_129_100_369, 1_000_009_642_147),
    ("non-prime 2", 100_109_100_129_101_027, 1_000_001_247_997),
    ("prime 1", 100_109_100_129_100_151, 1_000_000_000_039),
    ("prime 2", 100_109_100_129_162_907, 1_000_000_000_121),
];

type ErrAt<'a> = dyn Fn(Option<Range<usize>>, String) -> ExperimentError + 'a;

/// A parameter as written: its name, value and where it stands.
struct Written {
    value: ParamValue,
    span: Range<usize>,
}

/// Checks `spec`, read from `source` at `path`, and builds the experiment.
pub fn validate(path: &Path, source: &str, spec: FileSpec) -> Result<Experiment, ExperimentError> {
    let err =
        |span: Option<Range<usize>>, msg: String| ExperimentError::new(path, source, span, msg);
    let name = spec.name.ok_or_else(|| {
        err(None, "the experiment has no name".into())
            .with_help("add `name = \"...\"` at the top; it names the report folder")
    })?;
    if !is_slug(name.get_ref()) {
        return Err(err(
            Some(name.span()),
            format!("the name \"{}\" cannot name a folder", name.get_ref()),
        )
        .with_help("use lowercase letters, digits, '_' and '-' only, e.g. \"chunksize_wide\""));
    }
    let workload = spec.workload.ok_or_else(|| {
        err(None, "the experiment has no [workload]".into())
            .with_help("add a [workload] table with `kind = \"primes\"` and a `range`")
    })?;
    let workload_span = workload.span();
    let workload = workload.into_inner();
    let kind = workload
        .kind
        .ok_or_else(|| {
            err(Some(workload_span.clone()), "[workload] has no kind".into()).with_help(
                "add `kind = \"primes\"`, \"verify\", \"check_cost\" or \"factor_frequency\"",
            )
        })?
        .into_inner();
    let mut written = Vec::new();
    if let Some(s) = &spec.run.strategy {
        written.push(Written {
            value: ParamValue::Strategy(*s.get_ref()),
            span: s.span(),
        });
    }
    let axes = match spec.sweep {
        Some(sweep) => sweep_axes(sweep.into_inner(), &mut written, &err)?,
        None => Vec::new(),
    };
    let variants = spec
        .variants
        .into_iter()
        .map(|v| variant(v, &mut written, &err))
        .collect::<Result<Vec<_>, _>>()?;
    check_unique_labels(&variants, &err)?;
    if let Some(url) = &workload.redis_url {
        check_redis_url(url, &err)?;
    }
    check_requirements(kind, &sweep_flags(&axes), &variants, &err)?;
    for w in &written {
        check_fits_workload(kind, w, &err)?;
    }

    let numbers = match (kind, workload.numbers) {
        (WorkloadKind::Verify, Some(list)) => numbers(list, &err)?,
        (WorkloadKind::Verify, None) => BOOK_NUMBERS
            .iter()
            .map(|&(name, value, quick)| NamedNumber {
                name: name.into(),
                value,
                quick: Some(quick),
            })
            .collect(),
        (_, Some(list)) => {
            return Err(err(
                Some(list.span()),
                format!("a {kind} workload works on a range, not numbers"),
            )
            .with_help(
                "remove `numbers`, or use `kind = \"verify\"` to check numbers one by one",
            ));
        }
        (_, None) => Vec::new(),
    };
    let step = match (kind, workload.step) {
        (WorkloadKind::CheckCost, step) => Some(step.map_or(1, |s| s.into_inner().0)),
        (_, Some(step)) => {
            return Err(err(
                Some(step.span()),
                "only a check_cost workload takes a step".into(),
            )
            .with_help("remove `step`"));
        }
        (_, None) => None,
    };
    if let (WorkloadKind::Verify, Some(range)) = (kind, &workload.range) {
        return Err(err(
            Some(range.span()),
            "a verify workload checks numbers, not a range".into(),
        )
        .with_help("remove `range` and list `numbers = [{ name = \"...\", value = ... }]`"));
    }
    let defaults = Setting {
        range: workload.range.map(|r| r.into_inner().0),
        strategy: spec
            .run
            .strategy
            .map_or(Strategy::Serial, Spanned::into_inner),
        kernel: spec.run.kernel.map_or(Kernel::Fast, Spanned::into_inner),
        workers: WorkersSpec::Physical,
        chunking: Chunking::Default,
        order: Order::Given,
        precheck: DEFAULT_PRECHECK,
        flag: FlagKind::None,
        loop_style: LoopStyle::Counter,
        check_every: DEFAULT_CHECK_EVERY,
        enqueue: Enqueue::All,
        capacity: Capacity::Unbounded,
    };
    if kind != WorkloadKind::Verify {
        check_every_case_has_a_range(&defaults, &axes, &variants, || {
            err(Some(workload_span.clone()), "no range to search".into()).with_help(
                "set `range = [start, end]` (or a book name \"A\"..\"E\") in [workload], or sweep `range`",
            )
        })?;
    }

    let dimensions = chart_dimensions(kind, &axes, &variants);
    let metrics = chart_metrics(kind);
    let charts = spec
        .charts
        .into_iter()
        .map(|c| chart(c, &dimensions, &metrics, &err))
        .collect::<Result<Vec<_>, _>>()?;

    Ok(Experiment {
        path: path.to_path_buf(),
        source: source.to_string(),
        name: name.into_inner(),
        title: spec.title.unwrap_or_default(),
        description: spec.description.unwrap_or_default(),
        workload: kind,
        numbers,
        step,
        redis_url: workload.redis_url.map(Spanned::into_inner),
        repeats: spec
            .run
            .repeats
            .map_or(DEFAULT_REPEATS, |r| r.into_inner().0) as u32,
        warmup: spec
            .run
            .warmup
            .map_or(DEFAULT_WARMUP, |w| w.into_inner().0 as u32),
        seed: spec.run.seed.map_or(DEFAULT_SEED, |s| s.0),
        defaults,
        axes,
        variants: variants.into_iter().map(Spanned::into_inner).collect(),
        charts,
    })
}

fn is_slug(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// The strategies each workload runs with, and the parameters it reads.
fn fits(kind: WorkloadKind) -> (&'static [Strategy], &'static [ParamName]) {
    use ParamName as P;
    use Strategy as S;
    match kind {
        WorkloadKind::Primes => (
            &[S::Serial, S::Pool, S::Stealing, S::Queue, S::Feeder],
            &[
                P::Range,
                P::Strategy,
                P::Kernel,
                P::Workers,
                P::Chunksize,
                P::NbrChunks,
                P::Order,
                P::Enqueue,
                P::Capacity,
            ],
        ),
        WorkloadKind::Verify => (
            &[S::Serial, S::Cooperative],
            &[
                P::Strategy,
                P::Kernel,
                P::Workers,
                P::Precheck,
                P::Flag,
                P::Loop,
                P::CheckEvery,
            ],
        ),
        WorkloadKind::CheckCost => (&[S::Serial], &[P::Range, P::Strategy, P::Kernel]),
        WorkloadKind::FactorFrequency => (
            &[S::Serial, S::Pool],
            &[
                P::Range,
                P::Strategy,
                P::Kernel,
                P::Workers,
                P::Chunksize,
                P::NbrChunks,
                P::Order,
            ],
        ),
    }
}

/// Checks that a parameter as written applies to the workload.
fn check_fits_workload(
    kind: WorkloadKind,
    w: &Written,
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    let (strategies, params) = fits(kind);
    let list = |names: Vec<String>| names.join(", ");
    let (fits, help) = match w.value {
        ParamValue::Strategy(s) => (
            strategies.contains(&s),
            format!(
                "a {kind} workload runs with: {}",
                list(strategies.iter().map(|s| s.to_string()).collect())
            ),
        ),
        ParamValue::Precheck(p) if p != 0 && (p < 3 || p % 2 == 0) => {
            return Err(err(
                Some(w.span.clone()),
                format!("precheck {p} is not a candidate cutoff"),
            )
            .with_help(
                "use 0 (split from 3, the naive pool) or an odd number from 3 (the book's 21)",
            ));
        }
        _ => (
            params.contains(&w.value.name()),
            format!(
                "a {kind} workload reads: {}",
                list(params.iter().map(|p| p.as_str().to_string()).collect())
            ),
        ),
    };
    match fits {
        true => Ok(()),
        false => Err(err(
            Some(w.span.clone()),
            format!(
                "`{} = {}` does not apply to a {kind} workload",
                w.value.name().as_str(),
                w.value
            ),
        )
        .with_help(help)),
    }
}

/// The sweep's lists in expansion order, each checked non-empty.
fn sweep_axes(
    sweep: SweepSpec,
    written: &mut Vec<Written>,
    err: &ErrAt,
) -> Result<Vec<Axis>, ExperimentError> {
    if let (Some(_), Some(nbr)) = (&sweep.chunksize, &sweep.nbr_chunks) {
        return Err(err(
            Some(nbr.span()),
            "sweep both `chunksize` and `nbr_chunks`".into(),
        )
        .with_help("they are two ways to size the same chunks; keep one of them"));
    }
    // Destructured in full, so a key the schema gains cannot be ignored here.
    let SweepSpec {
        range,
        strategy,
        kernel,
        workers,
        chunksize,
        nbr_chunks,
        order,
        precheck,
        flag,
        loop_style,
        check_every,
        enqueue,
        capacity,
    } = sweep;
    let mut axes = Vec::new();
    let mut push = |name: ParamName, values: Option<Spanned<Vec<Spanned<ParamValue>>>>| {
        let Some(values) = values else { return Ok(()) };
        if values.get_ref().is_empty() {
            return Err(err(
                Some(values.span()),
                format!("the list `{}` is empty", name.as_str()),
            )
            .with_help("give at least one value, or remove the key"));
        }
        let values = values.into_inner();
        written.extend(values.iter().map(|v| Written {
            value: *v.get_ref(),
            span: v.span(),
        }));
        axes.push(Axis {
            name,
            values: values.into_iter().map(Spanned::into_inner).collect(),
        });
        Ok(())
    };
    push(ParamName::Range, lift(range, |r| ParamValue::Range(r.0)))?;
    push(ParamName::Strategy, lift(strategy, ParamValue::Strategy))?;
    push(ParamName::Kernel, lift(kernel, ParamValue::Kernel))?;
    push(ParamName::Workers, lift(workers, ParamValue::Workers))?;
    push(ParamName::Chunksize, lift(chunksize, ParamValue::Chunksize))?;
    push(
        ParamName::NbrChunks,
        lift(nbr_chunks, |n| ParamValue::NbrChunks(n.0)),
    )?;
    push(ParamName::Order, lift(order, ParamValue::Order))?;
    push(
        ParamName::Precheck,
        lift(precheck, |p| ParamValue::Precheck(p.0)),
    )?;
    push(ParamName::Flag, lift(flag, ParamValue::Flag))?;
    push(ParamName::Loop, lift(loop_style, ParamValue::Loop))?;
    push(
        ParamName::CheckEvery,
        lift(check_every, |n| ParamValue::CheckEvery(n.0)),
    )?;
    push(ParamName::Enqueue, lift(enqueue, ParamValue::Enqueue))?;
    push(ParamName::Capacity, lift(capacity, ParamValue::Capacity))?;
    Ok(axes)
}

/// Maps a spanned list's values, keeping every span.
fn lift<T>(
    list: Option<List<T>>,
    f: impl Fn(T) -> ParamValue,
) -> Option<Spanned<Vec<Spanned<ParamValue>>>> {
    list.map(|l| {
        let span = l.span();
        let values = l
            .into_inner()
            .into_iter()
            .map(|v| {
                let span = v.span();
                Spanned::new(span, f(v.into_inner()))
            })
            .collect();
        Spanned::new(span, values)
    })
}

fn variant(
    spec: Spanned<VariantSpec>,
    written: &mut Vec<Written>,
    err: &ErrAt,
) -> Result<Spanned<Variant>, ExperimentError> {
    let span = spec.span();
    // Destructured in full, so a key the schema gains cannot be ignored here.
    let VariantSpec {
        label,
        range,
        strategy,
        kernel,
        workers,
        chunksize,
        nbr_chunks,
        order,
        precheck,
        flag,
        loop_style,
        check_every,
        enqueue,
        capacity,
        requires,
    } = spec.into_inner();
    let label = label.ok_or_else(|| {
        err(Some(span.clone()), "this [[variant]] has no label".into())
            .with_help("add `label = \"...\"`; it names the variant in tables and charts")
    })?;
    if let (Some(_), Some(nbr)) = (&chunksize, &nbr_chunks) {
        return Err(err(
            Some(nbr.span()),
            "a variant sets both `chunksize` and `nbr_chunks`".into(),
        )
        .with_help("they are two ways to size the same chunks; keep one of them"));
    }
    fn one<T>(v: Option<Spanned<T>>, f: impl Fn(T) -> ParamValue) -> Option<Written> {
        v.map(|v| {
            let span = v.span();
            Written {
                value: f(v.into_inner()),
                span,
            }
        })
    }
    let values: Vec<Written> = [
        one(range, |r| ParamValue::Range(r.0)),
        one(strategy, ParamValue::Strategy),
        one(kernel, ParamValue::Kernel),
        one(workers, ParamValue::Workers),
        one(chunksize, ParamValue::Chunksize),
        one(nbr_chunks, |n| ParamValue::NbrChunks(n.0)),
        one(order, ParamValue::Order),
        one(precheck, |p| ParamValue::Precheck(p.0)),
        one(flag, ParamValue::Flag),
        one(loop_style, ParamValue::Loop),
        one(check_every, |n| ParamValue::CheckEvery(n.0)),
        one(enqueue, ParamValue::Enqueue),
        one(capacity, ParamValue::Capacity),
    ]
    .into_iter()
    .flatten()
    .collect();
    let variant = Variant {
        label: label.into_inner(),
        values: values.iter().map(|w| w.value).collect(),
        requires,
    };
    written.extend(values);
    Ok(Spanned::new(span, variant))
}

fn numbers(
    list: Spanned<Vec<Spanned<NumberSpec>>>,
    err: &ErrAt,
) -> Result<Vec<NamedNumber>, ExperimentError> {
    if list.get_ref().is_empty() {
        return Err(err(Some(list.span()), "the list `numbers` is empty".into())
            .with_help("give at least one `{ name = \"...\", value = ... }`, or remove the key for the book's five"));
    }
    list.into_inner()
        .into_iter()
        .enumerate()
        .map(|(i, spec)| {
            let span = spec.span();
            let spec = spec.into_inner();
            let value = spec.value.ok_or_else(|| {
                err(Some(span), "this number has no value".into())
                    .with_help("write `{ name = \"...\", value = 1000000007 }`")
            })?;
            let value = value.into_inner().0;
            Ok(NamedNumber {
                name: spec.name.unwrap_or_else(|| format!("number {}", i + 1)),
                value,
                quick: spec.quick.map(|q| q.0),
            })
        })
        .collect()
}

/// A `redis_url` must be one the Redis client can use, before anything runs.
fn check_redis_url(url: &Spanned<String>, err: &ErrAt) -> Result<(), ExperimentError> {
    match redis::Client::open(url.get_ref().as_str()) {
        Ok(_) => Ok(()),
        Err(_) => Err(err(
            Some(url.span()),
            format!("\"{}\" is not a Redis URL", url.get_ref()),
        )
        .with_help("write it as redis://HOST:PORT, e.g. \"redis://127.0.0.1:6379\"")),
    }
}

/// The flag kinds the sweep gives its cases.
fn sweep_flags(axes: &[Axis]) -> Vec<FlagKind> {
    axes.iter()
        .flat_map(|a| &a.values)
        .filter_map(|v| match v {
            ParamValue::Flag(f) => Some(*f),
            _ => None,
        })
        .collect()
}

/// `requires = "redis"` only makes sense on a variant some of whose cases
/// use the Redis flag; anywhere else it would silently skip cases.
fn check_requirements(
    kind: WorkloadKind,
    flags_written: &[FlagKind],
    variants: &[Spanned<Variant>],
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    for v in variants {
        let variant = v.get_ref();
        if variant.requires.is_none() {
            continue;
        }
        let own_flag = variant.values.iter().find_map(|p| match p {
            ParamValue::Flag(f) => Some(*f),
            _ => None,
        });
        let uses_redis = kind == WorkloadKind::Verify
            && match own_flag {
                Some(flag) => flag == FlagKind::Redis,
                None => flags_written.contains(&FlagKind::Redis),
            };
        if !uses_redis {
            return Err(err(
                Some(v.span()),
                format!(
                    "the variant \"{}\" requires Redis but none of its cases uses it",
                    variant.label
                ),
            )
            .with_help(
                "remove `requires`, or set `flag = \"redis\"` (verify workloads only): `requires` skips cases when Redis is missing",
            ));
        }
    }
    Ok(())
}

fn check_unique_labels(variants: &[Spanned<Variant>], err: &ErrAt) -> Result<(), ExperimentError> {
    let mut seen = BTreeSet::new();
    for v in variants {
        if !seen.insert(&v.get_ref().label) {
            return Err(err(
                Some(v.span()),
                format!("two variants are labelled \"{}\"", v.get_ref().label),
            )
            .with_help("give each variant its own label"));
        }
    }
    Ok(())
}

/// Every case must get a range from [workload], the sweep or its variant.
fn check_every_case_has_a_range(
    defaults: &Setting,
    axes: &[Axis],
    variants: &[Spanned<Variant>],
    missing: impl Fn() -> ExperimentError,
) -> Result<(), ExperimentError> {
    let swept = axes.iter().any(|a| a.name == ParamName::Range);
    let every_variant_sets_it = !variants.is_empty()
        && variants.iter().all(|v| {
            v.get_ref()
                .values
                .iter()
                .any(|p| p.name() == ParamName::Range)
        });
    match defaults.range.is_some() || swept || every_variant_sets_it {
        true => Ok(()),
        false => Err(missing()),
    }
}

/// The names a chart may use for x, series and filters.
fn chart_dimensions(
    kind: WorkloadKind,
    axes: &[Axis],
    variants: &[Spanned<Variant>],
) -> BTreeSet<&'static str> {
    let mut names: BTreeSet<&str> = axes.iter().map(|a| a.name.as_str()).collect();
    for v in variants {
        names.extend(v.get_ref().values.iter().map(|p| p.name().as_str()));
    }
    if !variants.is_empty() {
        names.insert("variant");
    }
    names.extend(match kind {
        WorkloadKind::Primes => &[][..],
        WorkloadKind::Verify => &["number"][..],
        WorkloadKind::CheckCost => &["n", "prime"][..],
        WorkloadKind::FactorFrequency => &["factor"][..],
    });
    names
}

/// The values a chart may plot on y: the summary's, or the workload's table's.
fn chart_metrics(kind: WorkloadKind) -> Vec<&'static str> {
    let table: &[&str] = match kind {
        WorkloadKind::CheckCost => &["seconds"],
        WorkloadKind::FactorFrequency => &["count"],
        _ => &[],
    };
    METRICS.iter().chain(table).copied().collect()
}

fn chart(
    spec: Spanned<ChartSpec>,
    dims: &BTreeSet<&str>,
    metrics: &[&str],
    err: &ErrAt,
) -> Result<Chart, ExperimentError> {
    let span = spec.span();
    let c = spec.into_inner();
    let dims_list = || dims.iter().copied().collect::<Vec<_>>().join(", ");
    let check_dim = |name: &Spanned<String>| -> Result<String, ExperimentError> {
        let word = name.get_ref();
        if dims.contains(word.as_str()) {
            return Ok(word.clone());
        }
        let candidates: Vec<&str> = dims.iter().copied().collect();
        let mut help = format!(
            "a chart can use what the experiment varies: {}",
            dims_list()
        );
        if dims.is_empty() {
            help = "this experiment varies nothing; add a [sweep] or [[variant]]s first".into();
        } else if let Some(close) = suggest(word, &candidates) {
            help = format!("did you mean `{close}`? {help}");
        }
        Err(err(
            Some(name.span()),
            format!("the chart uses `{word}`, which the experiment does not vary"),
        )
        .with_help(help))
    };
    let x = c.x.as_ref().ok_or_else(|| {
        err(Some(span.clone()), "this [[chart]] has no x".into())
            .with_help(format!("add `x = \"...\"`, one of: {}", dims_list()))
    })?;
    let x = check_dim(x)?;
    let series = c.series.as_ref().map(check_dim).transpose()?;
    let y = match &c.y {
        None => "best_s".to_string(),
        Some(y) if metrics.contains(&y.get_ref().as_str()) => y.get_ref().clone(),
        Some(y) => {
            let mut help = format!("use one of: {}", metrics.join(", "));
            if let Some(close) = suggest(y.get_ref(), metrics) {
                help = format!("did you mean `{close}`? {help}");
            }
            return Err(err(
                Some(y.span()),
                format!("`{}` is not a measured value", y.get_ref()),
            )
            .with_help(help));
        }
    };
    let mut filter = BTreeMap::new();
    for (key, value) in c.filter.map(Spanned::into_inner).unwrap_or_default() {
        let key = check_dim(&key)?;
        let text = |v: toml::Value| match v {
            toml::Value::String(s) => s,
            other => other.to_string(),
        };
        let values = match value {
            toml::Value::Array(list) => list.into_iter().map(text).collect(),
            one => vec![text(one)],
        };
        filter.insert(key, values);
    }
    Ok(Chart {
        kind: c.kind.map_or(ChartKind::Line, Spanned::into_inner),
        x,
        y,
        series,
        log_x: c.log_x,
        log_y: c.log_y,
        title: c.title,
        filter,
    })
}
