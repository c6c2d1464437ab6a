//! `[[chart]]`: what a chart may put on its axes and filter on, and whether
//! the data the experiment makes can fill it.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use toml::Spanned;

use super::ErrAt;
use super::params::param_values;
use crate::experiment::Axis;
use crate::experiment::Variant;
use crate::experiment::case::NamedNumber;
use crate::experiment::chart::Chart;
use crate::experiment::chart::METRICS;
use crate::experiment::error::ExperimentError;
use crate::experiment::error::suggest;
use crate::experiment::params::ParamName;
use crate::experiment::params::ParamValue;
use crate::experiment::params::Setting;
use crate::experiment::schema::ChartFormat;
use crate::experiment::schema::ChartKind;
use crate::experiment::schema::ChartSpec;
use crate::experiment::values::Capacity;
use crate::experiment::values::Strategy;
use crate::experiment::values::WorkersSpec;
use crate::experiment::values::WorkloadKind;

/// The names a chart may use for x, series and filters.
pub(super) fn chart_dimensions(
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
        WorkloadKind::Command => &["number"][..],
    });
    names
}

/// The values a chart may plot on y: the summary's, or the workload's table's.
pub(super) fn chart_metrics(kind: WorkloadKind) -> Vec<&'static str> {
    let table: &[&str] = match kind {
        WorkloadKind::CheckCost => &["seconds"],
        WorkloadKind::FactorFrequency => &["count"],
        _ => &[],
    };
    METRICS.iter().chain(table).copied().collect()
}

pub(super) fn chart(
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
        None => "median_s".to_string(),
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
        let values = match value.into_inner() {
            toml::Value::Array(list) => list.into_iter().map(text).collect(),
            one => vec![text(one)],
        };
        filter.insert(key, values);
    }
    let formats = match c.formats {
        None => vec![ChartFormat::Png],
        Some(list) if list.get_ref().is_empty() => {
            return Err(err(Some(list.span()), "this chart has no formats".into())
                .with_help("list one or both of: png, svg (the default is [\"png\"])"));
        }
        Some(list) => {
            let mut formats = list.into_inner();
            formats.sort();
            formats.dedup();
            formats
        }
    };
    Ok(Chart {
        kind: c.kind.map_or(ChartKind::Line, Spanned::into_inner),
        x,
        y,
        series,
        log_x: c.log_x.is_some_and(Spanned::into_inner),
        log_y: c.log_y,
        title: c.title.map(Spanned::into_inner),
        filter,
        formats,
    })
}

/// What a chart dimension can hold, as the CSV writes it.
#[derive(Debug, Default, Clone)]
pub(super) struct DimValues {
    /// The values the file names (range labels, counts, words).
    pub(super) words: BTreeSet<String>,
    /// Whether any positive integer can occur (a count resolved on the
    /// machine: `physical` workers, the `default` chunksize).
    pub(super) any_number: bool,
    /// Whether the values are names, not quantities.
    pub(super) categorical: bool,
    /// How many distinct values the experiment's cases take.
    pub(super) distinct: usize,
}

/// The values of every dimension a chart may use, as the CSV will hold them.
pub(super) fn dimension_values(
    kind: WorkloadKind,
    defaults: &Setting,
    axes: &[Axis],
    variants: &[Spanned<Variant>],
    numbers: &[NamedNumber],
) -> BTreeMap<&'static str, DimValues> {
    use crate::experiment::values::ChunksizeSpec;
    let strategies = param_values(ParamName::Strategy, defaults, axes, variants);
    let any_serial = strategies.contains(&ParamValue::Strategy(Strategy::Serial));
    let nbr_chunks_used = !param_values(ParamName::NbrChunks, defaults, axes, variants).is_empty();
    let mut dims = BTreeMap::new();
    for &name in ParamName::ALL {
        let values = param_values(name, defaults, axes, variants);
        let mut dim = DimValues {
            categorical: !name.is_quantity(),
            ..DimValues::default()
        };
        for value in &values {
            // The CSV holds the count these resolve to, never the word.
            let resolved = matches!(
                value,
                ParamValue::Workers(WorkersSpec::Physical | WorkersSpec::Logical)
                    | ParamValue::Chunksize(ChunksizeSpec::Default)
            );
            if resolved {
                dim.any_number = true;
                dim.distinct += 1;
                continue;
            }
            dim.words.insert(match value {
                // As the report labels it: "range B" or "[start, end)".
                ParamValue::Range(r) => match r.name() {
                    Some(n) => format!("range {n}"),
                    None => format!("[{}, {})", r.start, r.end),
                },
                other => other.to_string(),
            });
            if *value == ParamValue::Capacity(Capacity::Unbounded) {
                dim.categorical = true;
            }
        }
        dim.distinct += dim.words.len();
        // A serial case runs one worker, whatever the sweep says.
        if name == ParamName::Workers && any_serial {
            dim.words.insert("1".into());
        }
        // Chunks sized by nbr_chunks have a size computed from the range.
        if name == ParamName::Chunksize && nbr_chunks_used {
            dim.any_number = true;
        }
        dims.insert(name.as_str(), dim);
    }
    let labels = variants.iter().map(|v| v.get_ref().label.clone());
    let named = |words: BTreeSet<String>| DimValues {
        distinct: words.len(),
        words,
        any_number: false,
        categorical: true,
    };
    dims.insert("variant", named(labels.collect()));
    if kind == WorkloadKind::Verify {
        dims.insert(
            "number",
            named(numbers.iter().map(|n| n.name.clone()).collect()),
        );
    }
    let many_numbers = || DimValues {
        any_number: true,
        distinct: usize::MAX,
        ..DimValues::default()
    };
    dims.insert("n", many_numbers());
    dims.insert("factor", many_numbers());
    dims.insert("prime", named(["true".into(), "false".into()].into()));
    dims
}

/// Checks what a chart asks of the data (issue items 12, 13 and 17): log axes
/// only on quantities, x and series that take two or more values, and filter
/// values the CSV can hold. Dimensions the experiment does not vary are left
/// to [`chart`], which says so.
pub(super) fn check_chart_data(
    spec: &Spanned<ChartSpec>,
    dims: &BTreeMap<&'static str, DimValues>,
    varied: &BTreeSet<&str>,
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    let c = spec.get_ref();
    let dim = |name: &Spanned<String>| {
        let word = name.get_ref().as_str();
        varied.contains(word).then(|| dims.get(word)).flatten()
    };
    let mut filter: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (key, value) in c.filter.iter().flat_map(|f| f.get_ref()) {
        let Some(values) = dim(key) else { continue };
        let words = filter_words(key.get_ref(), value, values, err)?;
        filter.insert(key.get_ref(), words);
    }
    let categorical_x = matches!(
        c.kind.as_ref().map(|k| *k.get_ref()),
        Some(ChartKind::Bars | ChartKind::Hbars)
    ) || c.x.as_ref().and_then(dim).is_some_and(|d| d.categorical);
    if let Some(log_x) = c.log_x.as_ref().filter(|l| *l.get_ref() && categorical_x) {
        return Err(err(
            Some(log_x.span()),
            "a log scale on an x axis of categories".into(),
        )
        .with_help(
            "categories sit at evenly spaced places and have no logarithm; remove `log_x`, \
             or chart a quantity such as workers or chunksize along x",
        ));
    }
    for (role, name) in [("x", &c.x), ("series", &c.series)] {
        let Some(name) = name else { continue };
        let Some(values) = dim(name) else { continue };
        let kept = filter
            .get(name.get_ref().as_str())
            .map_or(usize::MAX, |f| f.iter().filter(|v| !v.is_empty()).count());
        if values.distinct.min(kept) < 2 {
            let several: Vec<&str> = dims
                .iter()
                .filter(|(n, d)| varied.contains(*n) && d.distinct >= 2 && *n != name.get_ref())
                .map(|(n, _)| *n)
                .collect();
            let mut help = format!(
                "a chart needs two or more values of its {role}; sweep more values of `{}`",
                name.get_ref()
            );
            match several.is_empty() {
                true => help.push_str(" (nothing else varies)"),
                false => help.push_str(&format!(", or use one of: {}", several.join(", "))),
            }
            if kept < usize::MAX {
                help.push_str("; the filter keeps fewer");
            }
            return Err(err(
                Some(name.span()),
                format!(
                    "`{role} = \"{}\"` takes a single value in this chart",
                    name.get_ref()
                ),
            )
            .with_help(help));
        }
    }
    Ok(())
}

/// A filter's values as the CSV writes them, each one a value that can occur.
pub(super) fn filter_words(
    key: &str,
    value: &Spanned<toml::Value>,
    dim: &DimValues,
    err: &ErrAt,
) -> Result<Vec<String>, ExperimentError> {
    let not_a_value = || {
        err(
            Some(value.span()),
            format!("the filter on `{key}` is not a value"),
        )
        .with_help(format!(
            "write a value or a list of values, e.g. `filter = {{ {key} = \"...\" }}`"
        ))
    };
    let one = |v: &toml::Value| match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) => {
            Ok(v.to_string())
        }
        _ => Err(not_a_value()),
    };
    let words = match value.get_ref() {
        toml::Value::Array(list) => list.iter().map(one).collect::<Result<Vec<_>, _>>()?,
        v => vec![one(v)?],
    };
    for word in &words {
        // An empty cell is what a case the parameter does not apply to holds.
        let positive = word.parse::<u64>().is_ok_and(|n| n > 0);
        if word.is_empty() || dim.words.contains(word) || (dim.any_number && positive) {
            continue;
        }
        let candidates: Vec<&str> = dim.words.iter().map(String::as_str).collect();
        let mut help = match candidates.is_empty() {
            true => format!("`{key}` holds numbers here"),
            false => format!("`{key}` takes: {}", quoted(&candidates)),
        };
        if dim.any_number {
            help.push_str(
                ", or any count (the CSV holds the count \"physical\", \"logical\" or \"default\" resolved to)",
            );
        }
        if let Some(close) = suggest(word, &candidates) {
            help = format!("did you mean \"{close}\"? {help}");
        }
        return Err(err(
            Some(value.span()),
            // Escaped: the value may hold anything, and goes to a terminal.
            format!(
                "no case has {key} = \"{}\", so the filter keeps nothing",
                word.escape_debug()
            ),
        )
        .with_help(help));
    }
    Ok(words)
}

pub(super) fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
