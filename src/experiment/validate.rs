//! From the file as written to a validated [`Experiment`]: every check that
//! serde cannot make, each reported at the offending value.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use toml::Spanned;

use super::chart::{Chart, METRICS};
use super::error::{ExperimentError, suggest};
use super::params::{Chunking, ParamName, ParamValue, Setting};
use super::schema::{ChartKind, ChartSpec, FileSpec, List, SweepSpec, VariantSpec};
use super::values::{Kernel, Order, Strategy, WorkersSpec};
use super::{Axis, Experiment, Variant};

/// Defaults for keys a file may leave out.
const DEFAULT_REPEATS: u64 = 5;
const DEFAULT_WARMUP: u32 = 1;
const DEFAULT_SEED: u64 = 42;
/// More timed repeats than this is surely a typo.
const MAX_REPEATS: u64 = 100_000;

/// Checks `spec`, read from `source` at `path`, and builds the experiment.
pub fn validate(path: &Path, source: &str, spec: FileSpec) -> Result<Experiment, ExperimentError> {
    let err = |span: Option<std::ops::Range<usize>>, msg: String| {
        ExperimentError::new(path, source, span, msg)
    };
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
    let kind = workload.kind.ok_or_else(|| {
        err(Some(workload_span.clone()), "[workload] has no kind".into())
            .with_help("add `kind = \"primes\"`")
    })?;

    if let Some(r) = spec
        .run
        .repeats
        .as_ref()
        .filter(|r| r.get_ref().0 > MAX_REPEATS)
    {
        return Err(err(
            Some(r.span()),
            format!("{} repeats is too many", r.get_ref().0),
        )
        .with_help(format!(
            "use 1 to {MAX_REPEATS}; the best of 10 or 20 is usual"
        )));
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
    };
    let axes = match spec.sweep {
        Some(sweep) => sweep_axes(sweep.into_inner(), &err)?,
        None => Vec::new(),
    };
    let variants = spec
        .variants
        .into_iter()
        .map(|v| variant(v, &err))
        .collect::<Result<Vec<_>, _>>()?;
    check_unique_labels(&variants, &err)?;
    check_every_case_has_a_range(&defaults, &axes, &variants, || {
        err(Some(workload_span.clone()), "no range to search".into()).with_help(
            "set `range = [start, end]` (or a book name \"A\"..\"E\") in [workload], or sweep `range`",
        )
    })?;

    let dimensions = chart_dimensions(&axes, &variants);
    let charts = spec
        .charts
        .into_iter()
        .map(|c| chart(c, &dimensions, &err))
        .collect::<Result<Vec<_>, _>>()?;

    Ok(Experiment {
        path: path.to_path_buf(),
        source: source.to_string(),
        name: name.into_inner(),
        title: spec.title.unwrap_or_default(),
        description: spec.description.unwrap_or_default(),
        workload: kind.into_inner(),
        repeats: spec
            .run
            .repeats
            .map_or(DEFAULT_REPEATS, |r| r.into_inner().0) as u32,
        warmup: spec.run.warmup.map_or(DEFAULT_WARMUP, Spanned::into_inner),
        seed: spec.run.seed.unwrap_or(DEFAULT_SEED),
        defaults,
        axes,
        variants: variants.into_iter().map(Spanned::into_inner).collect(),
        charts,
    })
}

type ErrAt<'a> = dyn Fn(Option<std::ops::Range<usize>>, String) -> ExperimentError + 'a;

fn is_slug(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// The sweep's lists in expansion order, each checked non-empty.
fn sweep_axes(sweep: SweepSpec, err: &ErrAt) -> Result<Vec<Axis>, ExperimentError> {
    if let (Some(_), Some(nbr)) = (&sweep.chunksize, &sweep.nbr_chunks) {
        return Err(err(
            Some(nbr.span()),
            "sweep both `chunksize` and `nbr_chunks`".into(),
        )
        .with_help("they are two ways to size the same chunks; keep one of them"));
    }
    let mut axes = Vec::new();
    let mut push = |name: ParamName, values: Option<Spanned<Vec<ParamValue>>>| {
        if let Some(values) = values {
            if values.get_ref().is_empty() {
                return Err(err(
                    Some(values.span()),
                    format!("the list `{}` is empty", name.as_str()),
                )
                .with_help("give at least one value, or remove the key"));
            }
            axes.push(Axis {
                name,
                values: values.into_inner(),
            });
        }
        Ok(())
    };
    push(
        ParamName::Range,
        lift(sweep.range, |r| ParamValue::Range(r.0)),
    )?;
    push(
        ParamName::Strategy,
        lift(sweep.strategy, ParamValue::Strategy),
    )?;
    push(ParamName::Kernel, lift(sweep.kernel, ParamValue::Kernel))?;
    push(ParamName::Workers, lift(sweep.workers, ParamValue::Workers))?;
    push(
        ParamName::Chunksize,
        lift(sweep.chunksize, ParamValue::Chunksize),
    )?;
    push(
        ParamName::NbrChunks,
        lift(sweep.nbr_chunks, |n| ParamValue::NbrChunks(n.0)),
    )?;
    push(ParamName::Order, lift(sweep.order, ParamValue::Order))?;
    Ok(axes)
}

/// Maps a spanned list's values, keeping the list's span.
fn lift<T>(list: Option<List<T>>, f: impl Fn(T) -> ParamValue) -> Option<Spanned<Vec<ParamValue>>> {
    list.map(|l| {
        let span = l.span();
        let values = l
            .into_inner()
            .into_iter()
            .map(|v| f(v.into_inner()))
            .collect();
        Spanned::new(span, values)
    })
}

fn variant(spec: Spanned<VariantSpec>, err: &ErrAt) -> Result<Spanned<Variant>, ExperimentError> {
    let span = spec.span();
    let v = spec.into_inner();
    let label = v.label.ok_or_else(|| {
        err(Some(span.clone()), "this [[variant]] has no label".into())
            .with_help("add `label = \"...\"`; it names the variant in tables and charts")
    })?;
    if let (Some(_), Some(nbr)) = (&v.chunksize, &v.nbr_chunks) {
        return Err(err(
            Some(nbr.span()),
            "a variant sets both `chunksize` and `nbr_chunks`".into(),
        )
        .with_help("they are two ways to size the same chunks; keep one of them"));
    }
    let values = [
        v.range.map(|r| ParamValue::Range(r.into_inner().0)),
        v.strategy.map(|s| ParamValue::Strategy(s.into_inner())),
        v.kernel.map(|k| ParamValue::Kernel(k.into_inner())),
        v.workers.map(|w| ParamValue::Workers(w.into_inner())),
        v.chunksize.map(|c| ParamValue::Chunksize(c.into_inner())),
        v.nbr_chunks
            .map(|n| ParamValue::NbrChunks(n.into_inner().0)),
        v.order.map(|o| ParamValue::Order(o.into_inner())),
    ];
    let variant = Variant {
        label: label.into_inner(),
        values: values.into_iter().flatten().collect(),
    };
    Ok(Spanned::new(span, variant))
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
fn chart_dimensions(axes: &[Axis], variants: &[Spanned<Variant>]) -> BTreeSet<&'static str> {
    let mut names: BTreeSet<&str> = axes.iter().map(|a| a.name.as_str()).collect();
    for v in variants {
        names.extend(v.get_ref().values.iter().map(|p| p.name().as_str()));
    }
    if !variants.is_empty() {
        names.insert("variant");
    }
    names
}

fn chart(
    spec: Spanned<ChartSpec>,
    dims: &BTreeSet<&str>,
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
        Some(y) if METRICS.contains(&y.get_ref().as_str()) => y.get_ref().clone(),
        Some(y) => {
            let mut help = format!("use one of: {}", METRICS.join(", "));
            if let Some(close) = suggest(y.get_ref(), METRICS) {
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
        let text = match value {
            toml::Value::String(s) => s,
            other => other.to_string(),
        };
        filter.insert(key, text);
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
