//! From the file as written to a validated [`Experiment`]: every check that
//! serde cannot make, each reported at the offending value.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::case::NamedNumber;
use super::chart::{Chart, METRICS};
use super::command::{self, CommandSpec, UserParams};
use super::error::{ExperimentError, suggest};
use super::expect::{Expectation, Relation};
use super::params::{ParamName, ParamValue, Setting};
use super::schema::{
    ChartFormat, ChartKind, ChartSpec, ExpectSpec, FileSpec, FilterSpec, NumberSpec, OneOrMany,
    SweepSpec, VariantSpec,
};
use super::values::{
    AnswerKind, Capacity, Executor, FlagKind, Requirement, Strategy, WorkersSpec, WorkloadKind,
};
use super::{Axis, Experiment, Variant};
use crate::secret;

/// Defaults for keys a file may leave out.
const DEFAULT_REPEATS: u64 = 5;
const DEFAULT_WARMUP: u32 = 1;
const DEFAULT_SEED: u64 = 42;

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
    check_texts(&spec, &err)?;
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
    let mut workload = workload.into_inner();
    let kind = workload
        .kind
        .take()
        .ok_or_else(|| {
            err(Some(workload_span.clone()), "[workload] has no kind".into()).with_help(
                "add `kind = \"primes\"`, \"verify\", \"check_cost\", \"factor_frequency\" or \"command\"",
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
    if let Some(e) = &spec.run.executor {
        written.push(Written {
            value: ParamValue::Executor(*e.get_ref()),
            span: e.span(),
        });
    }
    let mut user = UserParams::default();
    let axes = match spec.sweep {
        Some(sweep) => {
            let mut sweep = sweep.into_inner();
            if let Some(p) = &sweep.params
                && kind != WorkloadKind::Command
            {
                return Err(only_commands(p.span(), &err));
            }
            user.axes = command::lists(sweep.params.take(), &err)?;
            sweep_axes(sweep, &mut written, &err)?
        }
        None => Vec::new(),
    };
    let variants = spec
        .variants
        .into_iter()
        .map(|v| variant(v, kind, &mut written, &err))
        .collect::<Result<Vec<_>, _>>()?;
    if kind == WorkloadKind::Command {
        user.defaults = command::one_each(workload.params.take(), &err)?
            .into_iter()
            .collect();
    }
    let command = command::command_spec(
        kind,
        &mut workload,
        workload_span.clone(),
        &user.names(),
        &err,
    )?;
    check_variant_params(&user, &variants, &err)?;
    check_unique_labels(&variants, &err)?;
    if let Some(url) = &workload.redis_url {
        check_redis_url(url, &err)?;
    }
    check_requirements(kind, &sweep_flags(&axes), &variants, &err)?;

    for w in &written {
        check_fits_workload(kind, w, &err)?;
    }

    let numbers = match (kind, workload.numbers) {
        (WorkloadKind::Verify | WorkloadKind::Command, Some(list)) => numbers(list, &err)?,
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
    let with_numbers = kind == WorkloadKind::Command && !numbers.is_empty();
    if let (WorkloadKind::Verify, Some(range)) | (WorkloadKind::Command, Some(range)) =
        (kind, &workload.range)
        && (kind == WorkloadKind::Verify || with_numbers)
    {
        return Err(err(
            Some(range.span()),
            format!("a {kind} workload with numbers checks them, not a range"),
        )
        .with_help("remove `range` and list `numbers = [{ name = \"...\", value = ... }]`"));
    }
    // The registry's defaults, then `[workload]`'s range and `[run]`'s
    // strategy, executor and kernel.
    let mut defaults = Setting::default();
    let run = &spec.run;
    let from_file = [
        workload.range.map(|r| ParamValue::Range(r.into_inner().0)),
        run.strategy
            .as_ref()
            .map(|s| ParamValue::Strategy(*s.get_ref())),
        run.executor
            .as_ref()
            .map(|e| ParamValue::Executor(*e.get_ref())),
        run.kernel
            .as_ref()
            .map(|k| ParamValue::Kernel(*k.get_ref())),
    ];
    from_file
        .into_iter()
        .flatten()
        .for_each(|v| defaults.apply(v));
    for executor in [Executor::Processes, Executor::Redis] {
        check_stealing_stays_in_threads(executor, &defaults, &written, &axes, &variants, &err)?;
    }
    if let Some(spec) = &command {
        check_command_answer(
            spec,
            &workload_span,
            with_numbers,
            &defaults,
            &axes,
            &variants,
            &err,
        )?;
    }
    if kind == WorkloadKind::Verify {
        check_flag_reaches_redis_workers(&defaults, &written, &axes, &variants, &err)?;
    }
    if !matches!(kind, WorkloadKind::Verify | WorkloadKind::Command) {
        check_every_case_has_a_range(&defaults, &axes, &variants, || {
            err(Some(workload_span.clone()), "no range to search".into()).with_help(
                "set `range = [start, end]` (or a book name \"A\"..\"E\") in [workload], or sweep `range`",
            )
        })?;
    }

    let dimensions = chart_dimensions(kind, &axes, &variants);
    let metrics = chart_metrics(kind);
    let values = dimension_values(kind, &defaults, &axes, &variants, &numbers);
    let charts = spec
        .charts
        .into_iter()
        .map(|c| {
            // Run second, so a dimension the experiment does not vary is said first.
            let data = check_chart_data(&c, &values, &dimensions, &err);
            let chart = chart(c, &dimensions, &metrics, &err)?;
            data.map(|()| chart)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let expect_dims = expectation_dimensions(&dimensions, &values, &user, &variants, &numbers);
    let expectations = spec
        .expects
        .into_iter()
        .map(|e| expectation(e, &expect_dims, &user.names(), &err))
        .collect::<Result<Vec<_>, _>>()?;

    Ok(Experiment {
        path: path.to_path_buf(),
        source: source.to_string(),
        name: name.into_inner(),
        title: spec.title.map(Spanned::into_inner).unwrap_or_default(),
        description: spec
            .description
            .map(Spanned::into_inner)
            .unwrap_or_default(),
        workload: kind,
        numbers,
        step,
        redis_url: workload.redis_url.map(Spanned::into_inner),
        spawn_local: spec.run.spawn_local.map(|n| n.into_inner().0 as u32),
        command,
        params: user,
        repeats: spec
            .run
            .repeats
            .map_or(DEFAULT_REPEATS, |r| r.into_inner().0) as u32,
        warmup: spec
            .run
            .warmup
            .map_or(DEFAULT_WARMUP, |w| w.into_inner().0 as u32),
        seed: spec.run.seed.map_or(DEFAULT_SEED, |s| s.0),
        schedule: spec.run.schedule.unwrap_or_default(),
        trace: spec.run.trace.unwrap_or(true),
        defaults,
        axes,
        variants: variants.into_iter().map(Spanned::into_inner).collect(),
        charts,
        expectations,
    })
}

/// What an `[[expect]]` may pick cases by, with the values each takes:
/// every parameter that takes more than one value across the experiment's
/// cases (issue 20 item 17). Runner's own (swept, or set by variants), the
/// variant, the numbers, and a command's own parameters (swept in
/// `[sweep.params]` or set by variants); not the columns of a workload's
/// own table (`n`, `prime`, `factor`), which no case row holds.
fn expectation_dimensions(
    chart_dims: &BTreeSet<&'static str>,
    values: &BTreeMap<&'static str, DimValues>,
    user: &UserParams,
    variants: &[Spanned<Variant>],
    numbers: &[NamedNumber],
) -> BTreeMap<String, DimValues> {
    let named = |words: BTreeSet<String>| DimValues {
        distinct: words.len(),
        words,
        any_number: false,
        categorical: true,
    };
    let mut dims = BTreeMap::new();
    for &name in chart_dims {
        // A serial case's one worker is among the words, not the count.
        let varies = |d: &&DimValues| d.distinct > 1 || d.words.len() > 1;
        if let Some(dim) = values.get(name).filter(varies) {
            dims.insert(name.to_string(), dim.clone());
        }
    }
    dims.remove("number");
    if numbers.len() > 1 {
        let names = numbers.iter().map(|n| n.name.clone()).collect();
        dims.insert("number".into(), named(names));
    }
    for name in user.names() {
        let set: Vec<&String> = variants
            .iter()
            .filter_map(|v| v.get_ref().params.iter().find(|(n, _)| *n == name))
            .map(|(_, value)| value)
            .collect();
        let mut words: BTreeSet<String> = set.iter().map(|v| v.to_string()).collect();
        // A value the variants all override never reaches a case.
        if variants.is_empty() || set.len() < variants.len() {
            match user.axes.iter().find(|(n, _)| *n == name) {
                Some((_, swept)) => words.extend(swept.iter().cloned()),
                None => words.extend(user.defaults.get(&name).cloned()),
            }
        }
        if words.len() > 1 {
            dims.insert(name, named(words));
        }
    }
    dims
}

/// Checks one `[[expect]]`: a lesson, two filters on what the experiment
/// varies with values its cases take, a relation and its threshold.
fn expectation(
    spec: Spanned<ExpectSpec>,
    dims: &BTreeMap<String, DimValues>,
    params: &[String],
    err: &ErrAt,
) -> Result<Expectation, ExperimentError> {
    let span = spec.span();
    let e = spec.into_inner();
    let missing = |key: &str, example: &str| {
        err(
            Some(span.clone()),
            format!("this [[expect]] has no `{key}`"),
        )
        .with_help(format!("add `{key} = {example}`"))
    };
    let lesson = e
        .lesson
        .ok_or_else(|| missing("lesson", "\"Fig. 9-4: ...\" (the book's claim)"))?;
    check_plain_text("the lesson", &lesson, Lines::One, err)?;
    let relation =
        e.is.ok_or_else(|| missing("is", "\"slower\", \"faster\" or \"within\""))?;
    let filter = |f: Option<FilterSpec>,
                  key: &str|
     -> Result<BTreeMap<String, Vec<String>>, ExperimentError> {
        let f = f.ok_or_else(|| missing(key, "{ parameter = value, ... }"))?;
        if f.get_ref().is_empty() {
            return Err(err(Some(f.span()), format!("`{key}` names no parameter"))
                .with_help("name the parameters that pick the cases, e.g. `{ chunksize = 1 }`"));
        }
        let mut out = BTreeMap::new();
        for (name, value) in f.into_inner() {
            let Some(dim) = dims.get(name.get_ref().as_str()) else {
                let candidates: Vec<&str> = dims.keys().map(String::as_str).collect();
                let mut help = match candidates.is_empty() {
                    true => "this experiment varies nothing an expectation could pick cases by; add a [sweep] or [[variant]]s first".into(),
                    false => format!(
                        "an expectation picks cases by what the experiment varies: {}",
                        candidates.join(", ")
                    ),
                };
                if let Some(close) = suggest(name.get_ref(), &candidates) {
                    help = format!("did you mean `{close}`? {help}");
                }
                return Err(err(
                    Some(name.span()),
                    format!(
                        "`{}` is not something this experiment varies",
                        name.get_ref()
                    ),
                )
                .with_help(help));
            };
            let key = name.get_ref().as_str();
            // "default" names the default chunks, whatever size they resolve to.
            let default_chunks = key == "chunksize"
                && matches!(value.get_ref(), toml::Value::String(s) if s == "default");
            let words = match default_chunks {
                true => vec!["default".to_string()],
                false => filter_words(key, &value, dim, err)?,
            };
            out.insert(key.to_string(), words);
        }
        Ok(out)
    };
    let case = filter(e.case, "case")?;
    let than = filter(e.than, "than")?;
    let relation_word = *relation.get_ref();
    let factor = match (relation_word, e.by_at_least) {
        (Relation::Within, Some(k)) => {
            return Err(err(
                Some(k.span()),
                "`by_at_least` with `is = \"within\"`".into(),
            )
            .with_help("a within relation takes `within_percent`; remove `by_at_least`"));
        }
        (_, Some(k)) if !(k.get_ref().is_finite() && *k.get_ref() >= 1.0) => {
            return Err(err(Some(k.span()), format!("a factor of {} is not at least 1", k.get_ref()))
                .with_help("write how many times slower (or faster), e.g. `by_at_least = 2.0`; leave it out for \"beyond the noise\""));
        }
        (_, k) => k.map_or(1.0, Spanned::into_inner),
    };
    let percent = match (relation_word, e.within_percent) {
        (Relation::Within, None) => return Err(missing("within_percent", "5")),
        (Relation::Within, Some(p))
            if !(p.get_ref().is_finite() && *p.get_ref() > 0.0 && *p.get_ref() < 100.0) =>
        {
            return Err(err(
                Some(p.span()),
                format!("{}% is not a tolerance", p.get_ref()),
            )
            .with_help("write a percentage above 0 and below 100, e.g. `within_percent = 5`"));
        }
        (Relation::Within, Some(p)) => p.into_inner(),
        (_, Some(p)) => {
            return Err(err(
                Some(p.span()),
                "`within_percent` with a slower or faster relation".into(),
            )
            .with_help("use `is = \"within\"`, or `by_at_least` for a factor"));
        }
        (_, None) => 0.0,
    };
    Ok(Expectation {
        lesson: lesson.into_inner(),
        case,
        relation: relation_word,
        than,
        factor,
        percent,
        params: params.to_vec(),
    })
}

fn is_slug(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// The strategies each workload runs with (the parameters it reads are
/// the registry's [`ParamName::fits`]).
fn strategies(kind: WorkloadKind) -> &'static [Strategy] {
    use Strategy as S;
    match kind {
        WorkloadKind::Primes => &[S::Serial, S::Pool, S::Stealing, S::Queue, S::Feeder],
        WorkloadKind::Verify => &[S::Serial, S::Cooperative],
        WorkloadKind::CheckCost => &[S::Serial],
        // A program reads whichever of runner's parameters its words name.
        WorkloadKind::Command => &[
            S::Serial,
            S::Pool,
            S::Stealing,
            S::Cooperative,
            S::Queue,
            S::Feeder,
        ],
        WorkloadKind::FactorFrequency => &[S::Serial, S::Pool],
    }
}

/// Checks that a parameter as written applies to the workload.
fn check_fits_workload(
    kind: WorkloadKind,
    w: &Written,
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    let strategies = strategies(kind);
    let params: Vec<ParamName> = ParamName::ALL
        .iter()
        .copied()
        .filter(|p| p.fits(kind))
        .collect();
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
    mut sweep: SweepSpec,
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
    let mut axes = Vec::new();
    for (name, values) in sweep.lists() {
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
    }
    Ok(axes)
}

fn variant(
    spec: Spanned<VariantSpec>,
    kind: WorkloadKind,
    written: &mut Vec<Written>,
    err: &ErrAt,
) -> Result<Spanned<Variant>, ExperimentError> {
    let span = spec.span();
    let mut spec = spec.into_inner();
    // Both ways to size chunks: where the second stands, to point at it.
    let both_chunkings = spec
        .chunksize
        .as_ref()
        .and(spec.nbr_chunks.as_ref())
        .map(Spanned::span);
    let values: Vec<Written> = spec
        .values()
        .into_iter()
        .map(|v| Written {
            span: v.span(),
            value: v.into_inner(),
        })
        .collect();
    let VariantSpec {
        label,
        params,
        requires,
        ..
    } = spec;
    if let Some(p) = &params
        && kind != WorkloadKind::Command
    {
        return Err(only_commands(p.span(), err));
    }
    let params = command::one_each(params, err)?;
    let label = label.ok_or_else(|| {
        err(Some(span.clone()), "this [[variant]] has no label".into())
            .with_help("add `label = \"...\"`; it names the variant in tables and charts")
    })?;
    if let Some(nbr) = both_chunkings {
        return Err(err(
            Some(nbr),
            "a variant sets both `chunksize` and `nbr_chunks`".into(),
        )
        .with_help("they are two ways to size the same chunks; keep one of them"));
    }
    let variant = Variant {
        label: label.into_inner(),
        values: values.iter().map(|w| w.value).collect(),
        params,
        requires: requires.map(OneOrMany::into_vec).unwrap_or_default(),
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
                name: spec
                    .name
                    .map(Spanned::into_inner)
                    .unwrap_or_else(|| format!("number {}", i + 1)),
                value,
                quick: spec.quick.map(|q| q.0),
            })
        })
        .collect()
}

/// A `redis_url` must be one the Redis client can use, before anything runs,
/// and hold no password in any form (the file is copied into its report).
/// A URL is echoed only once it is known to hold no password.
fn check_redis_url(url: &Spanned<String>, err: &ErrAt) -> Result<(), ExperimentError> {
    if let Some(form) = secret::password_in(url.get_ref()) {
        return Err(err(
            Some(url.span()),
            format!("`redis_url` holds a password ({form}), which would be copied into the report"),
        )
        .with_help(
            "remove `redis_url` here and give the URL in the environment instead: \
             REDIS_URL=redis://user:password@host:port (a Unix socket: \
             REDIS_URL=redis+unix:///path/to/socket?pass=...)",
        )
        .without_quoting());
    }
    match secret::parses(url.get_ref()) {
        true => Ok(()),
        false => Err(err(
            Some(url.span()),
            format!("\"{}\" is not a Redis URL", url.get_ref()),
        )
        .with_help("write it as redis://HOST:PORT, e.g. \"redis://127.0.0.1:6379\"")),
    }
}

/// Work stealing is rayon's threads: no case may ask for it in processes
/// (or behind Redis: `executor`).
fn check_stealing_stays_in_threads(
    executor: Executor,
    defaults: &Setting,
    written: &[Written],
    axes: &[Axis],
    variants: &[Spanned<Variant>],
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    let processes = ParamValue::Executor(executor);
    let stealing = ParamValue::Strategy(Strategy::Stealing);
    let clash = some_case_takes(&[processes, stealing], defaults, axes, variants);
    if !clash {
        return Ok(());
    }
    let at = written
        .iter()
        .find(|w| w.value == processes)
        .map(|w| w.span.clone());
    let (place, name) = match executor {
        Executor::Redis => ("behind Redis", "redis"),
        _ => ("in processes", "processes"),
    };
    Err(err(
        at,
        format!("work stealing runs on rayon's threads; it cannot run {place}"),
    )
    .with_help(format!(
        "use `executor = \"{name}\"` for pool, queue, feeder and cooperative cases only: give `stealing` a variant of its own with `executor = \"threads\"`, or drop it",
    )))
}

/// Whether some case takes every value of `all` (its variant's own, else
/// the sweep's, else the default).
fn some_case_takes(
    all: &[ParamValue],
    defaults: &Setting,
    axes: &[Axis],
    variants: &[Spanned<Variant>],
) -> bool {
    let base = |v: ParamValue| {
        let name = v.name();
        match axes.iter().find(|a| a.name == name) {
            Some(axis) => axis.values.contains(&v),
            None => defaults.value_of(name) == Some(v),
        }
    };
    let takes = |variant: Option<&Variant>, v: ParamValue| match variant
        .and_then(|var| var.values.iter().find(|p| p.name() == v.name()))
    {
        Some(own) => *own == v,
        None => base(v),
    };
    match variants.is_empty() {
        true => all.iter().all(|&v| takes(None, v)),
        false => variants
            .iter()
            .any(|var| all.iter().all(|&v| takes(Some(var.get_ref()), v))),
    }
}

/// Workers behind Redis share only the `redis` flag (or none): a flag in
/// this host's memory, files or manager process cannot reach them.
fn check_flag_reaches_redis_workers(
    defaults: &Setting,
    written: &[Written],
    axes: &[Axis],
    variants: &[Spanned<Variant>],
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    let redis = ParamValue::Executor(Executor::Redis);
    let cooperative = ParamValue::Strategy(Strategy::Cooperative);
    for kind in [
        FlagKind::Atomic,
        FlagKind::Mutex,
        FlagKind::Manager,
        FlagKind::Mmap,
    ] {
        let flag = ParamValue::Flag(kind);
        if !some_case_takes(&[redis, cooperative, flag], defaults, axes, variants) {
            continue;
        }
        let at = written
            .iter()
            .find(|w| w.value == flag)
            .or_else(|| written.iter().find(|w| w.value == redis))
            .map(|w| w.span.clone());
        return Err(err(
            at,
            format!(
                "the `{flag}` flag lives on this host; workers behind Redis (`executor = \"redis\"`) cannot reach it"
            ),
        )
        .with_help(
            "use `flag = \"redis\"` (a key on the same server) or `flag = \"none\"` with `executor = \"redis\"`; give the other flags a variant of their own with `executor = \"threads\"` or `\"processes\"`",
        ));
    }
    Ok(())
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
        let programs = variant
            .requires
            .iter()
            .any(|r| matches!(r, Requirement::Program(_) | Requirement::Module { .. }));
        match (variant.requires.is_empty(), kind) {
            (true, _) | (false, WorkloadKind::Command) => continue,
            (false, _) if programs => {
                return Err(err(
                    Some(v.span()),
                    format!(
                        "the variant \"{}\" requires a program, which only a command workload runs",
                        variant.label
                    ),
                )
                .with_help("`requires` names \"redis\" here; programs and modules are for `kind = \"command\"`"));
            }
            (false, _) => {}
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
        WorkloadKind::Command => &["number"][..],
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

/// Which of a text's characters may be control characters: none for one-line
/// texts (a newline would split a progress line, an escape reach the terminal).
#[derive(Clone, Copy, PartialEq)]
enum Lines {
    One,
    /// `description` may hold newlines and tabs.
    Many,
}

/// Rejects control characters in a text shown on a terminal or a page, and
/// bidirectional embeddings, overrides and isolates (issue 20 item 16): a
/// U+202E reverses the rest of the line wherever the text is shown.
fn check_plain_text(
    what: &str,
    text: &Spanned<String>,
    lines: Lines,
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    let reordering = text
        .get_ref()
        .chars()
        .enumerate()
        .find(|&(_, c)| crate::console::reorders(c));
    if let Some((i, c)) = reordering {
        return Err(err(
            Some(text.span()),
            format!(
                "{what} holds a bidirectional control character ({}) at character {}",
                crate::console::char_name(c),
                i + 1
            ),
        )
        .with_help(
            "remove it: it reorders the text after it on terminals and pages, so a reader \
             would not see what the file says",
        ));
    }
    let allowed = |c: char| lines == Lines::Many && matches!(c, '\n' | '\t' | '\r');
    let bad = text
        .get_ref()
        .chars()
        .enumerate()
        .find(|&(_, c)| c.is_control() && !allowed(c));
    match bad {
        None => Ok(()),
        Some((i, c)) => Err(err(
            Some(text.span()),
            format!(
                "{what} holds a control character (U+{:04X}) at character {}",
                c as u32,
                i + 1
            ),
        )
        .with_help(match lines {
            Lines::One => "write it on one line, without escapes such as \\n, \\t or \\u001b",
            Lines::Many => {
                "only newlines and tabs may be used here; remove escapes such as \\u001b"
            }
        })),
    }
}

/// A label as a reader sees it: blanks collapsed, so "a  b" and "a b" are
/// one (the braille blank, U+2800, draws as a space too).
fn seen_as(label: &str) -> String {
    label
        .split(|c: char| c.is_whitespace() || c == '\u{2800}')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks a set of labels that name bars, series or rows: none blank, none
/// with control, bidirectional or invisible characters (issue 20 item 16: a
/// zero-width space made "a\u{200b}" and "a" two labels that look alike),
/// none equal to another once blanks are collapsed. Exact duplicates are
/// left to the caller's own message when `exact` is false.
fn check_labels<'a>(
    what: &str,
    labels: impl Iterator<Item = &'a Spanned<String>>,
    exact: bool,
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for label in labels {
        check_plain_text(&format!("the {what}"), label, Lines::One, err)?;
        let text = label.get_ref();
        let hidden = text
            .chars()
            .enumerate()
            .find(|&(_, c)| crate::console::invisible(c));
        if let Some((i, c)) = hidden {
            return Err(err(
                Some(label.span()),
                format!(
                    "the {what} holds an invisible character ({}) at character {}",
                    crate::console::char_name(c),
                    i + 1
                ),
            )
            .with_help(format!(
                "remove it: a reader cannot see it, so a {what} with it looks like one without"
            )));
        }
        let key = seen_as(text);
        if key.is_empty() {
            return Err(
                err(Some(label.span()), format!("the {what} is blank")).with_help(format!(
                    "give it a {what} a reader can tell apart from the others"
                )),
            );
        }
        match seen.get(&key) {
            Some(&first) if first != text => {
                return Err(err(
                    Some(label.span()),
                    format!("the {what} \"{text}\" differs from \"{first}\" only in spaces"),
                )
                .with_help(format!(
                    "a chart or a table would show them as one; give each {what} its own words"
                )));
            }
            Some(_) if exact => {
                return Err(err(
                    Some(label.span()),
                    format!("two numbers are named \"{text}\""),
                )
                .with_help("give each number its own name; charts show one bar per name"));
            }
            _ => {
                seen.insert(key, text);
            }
        }
    }
    Ok(())
}

/// Checks every text the file gives a reader (issue items 16 and 26): the
/// name, title, description, variant labels, number names and chart titles.
fn check_texts(spec: &FileSpec, err: &ErrAt) -> Result<(), ExperimentError> {
    // Before the name's own check, whose message quotes the name.
    if let Some(name) = &spec.name {
        check_plain_text("the name", name, Lines::One, err)?;
    }
    if let Some(title) = &spec.title {
        check_plain_text("the title", title, Lines::One, err)?;
    }
    if let Some(description) = &spec.description {
        check_plain_text("the description", description, Lines::Many, err)?;
    }
    let labels = spec
        .variants
        .iter()
        .filter_map(|v| v.get_ref().label.as_ref());
    // Exact duplicates keep their own message, from check_unique_labels.
    check_labels("variant label", labels, false, err)?;
    let numbers = spec
        .workload
        .as_ref()
        .and_then(|w| w.get_ref().numbers.as_ref());
    if let Some(numbers) = numbers {
        // An unnamed number is called "number N"; a name may not take that.
        let names: Vec<Spanned<String>> = numbers
            .get_ref()
            .iter()
            .enumerate()
            .map(|(i, n)| match &n.get_ref().name {
                Some(name) => name.clone(),
                None => Spanned::new(n.span(), format!("number {}", i + 1)),
            })
            .collect();
        check_labels("number name", names.iter(), true, err)?;
    }
    for chart in &spec.charts {
        if let Some(title) = &chart.get_ref().title {
            check_plain_text("the chart title", title, Lines::One, err)?;
        }
    }
    Ok(())
}

/// What a chart dimension can hold, as the CSV writes it.
#[derive(Debug, Default, Clone)]
struct DimValues {
    /// The values the file names (range labels, counts, words).
    words: BTreeSet<String>,
    /// Whether any positive integer can occur (a count resolved on the
    /// machine: `physical` workers, the `default` chunksize).
    any_number: bool,
    /// Whether the values are names, not quantities.
    categorical: bool,
    /// How many distinct values the experiment's cases take.
    distinct: usize,
}

/// Every value each parameter takes over the cases: per variant, its own
/// value or else the sweep's (or the default).
fn param_values(
    name: ParamName,
    defaults: &Setting,
    axes: &[Axis],
    variants: &[Spanned<Variant>],
) -> Vec<ParamValue> {
    let base: Vec<ParamValue> = match axes.iter().find(|a| a.name == name) {
        Some(axis) => axis.values.clone(),
        None => defaults.value_of(name).into_iter().collect(),
    };
    if variants.is_empty() {
        return base;
    }
    let mut all = Vec::new();
    for v in variants {
        match v.get_ref().values.iter().find(|p| p.name() == name) {
            Some(own) => all.push(*own),
            None => all.extend(base.iter().copied()),
        }
    }
    all
}

/// The values of every dimension a chart may use, as the CSV will hold them.
fn dimension_values(
    kind: WorkloadKind,
    defaults: &Setting,
    axes: &[Axis],
    variants: &[Spanned<Variant>],
    numbers: &[NamedNumber],
) -> BTreeMap<&'static str, DimValues> {
    use super::values::ChunksizeSpec;
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
fn check_chart_data(
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
fn filter_words(
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

fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error for a user `params` table outside a command workload.
fn only_commands(span: Range<usize>, err: &ErrAt) -> ExperimentError {
    err(Some(span), "only a command workload takes `params`".into()).with_help(
        "remove `params`: runner's own parameters are set directly (`workers = ...`), and user parameters are for `kind = \"command\"`",
    )
}

/// A variant's user parameters must be declared in `[workload] params` or
/// `[sweep.params]`, so a typo there is an error too.
fn check_variant_params(
    user: &UserParams,
    variants: &[Spanned<Variant>],
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    let names = user.names();
    let known: Vec<&str> = names.iter().map(String::as_str).collect();
    for v in variants {
        for (name, _) in &v.get_ref().params {
            if !known.contains(&name.as_str()) {
                let help = match suggest(name, &known) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!(
                        "declare `{name}` with a default in `[workload] params` (or sweep it in `[sweep.params]`)"
                    ),
                };
                return Err(err(
                    Some(v.span()),
                    format!(
                        "the variant \"{}\" sets `{name}`, which no `params` table declares",
                        v.get_ref().label
                    ),
                )
                .with_help(help));
            }
        }
    }
    Ok(())
}

/// A command's declared answer needs the input it answers about: a range
/// for primes and factors, numbers for a verdict.
fn check_command_answer(
    spec: &CommandSpec,
    workload_span: &Range<usize>,
    with_numbers: bool,
    defaults: &Setting,
    axes: &[Axis],
    variants: &[Spanned<Variant>],
    err: &ErrAt,
) -> Result<(), ExperimentError> {
    match spec.answer {
        Some(AnswerKind::Verdict) if !with_numbers => Err(err(
            Some(workload_span.clone()),
            "a command answering a verdict has no numbers".into(),
        )
        .with_help("list `numbers = [{ name = \"...\", value = ... }]` in [workload]")),
        Some(AnswerKind::Primes | AnswerKind::Factors) => {
            check_every_case_has_a_range(defaults, axes, variants, || {
                err(
                    Some(workload_span.clone()),
                    format!(
                        "a command answering {} has no range",
                        answer_name(spec.answer)
                    ),
                )
                .with_help("set `range = [start, end]` in [workload], or sweep `range`")
            })
        }
        _ => Ok(()),
    }
}

fn answer_name(answer: Option<AnswerKind>) -> String {
    answer.map(|a| a.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn check(text: &str) -> Result<crate::experiment::Experiment, String> {
        crate::experiment::parse(Path::new("t.toml"), text).map_err(|e| e.to_string())
    }

    const POOL: &str = "name = \"t\"\n[workload]\nkind = \"primes\"\nrange = [1000, 9000]\n\
                        [run]\nstrategy = \"pool\"\n";

    /// Issue 13: values that depend on the machine are accepted as any count.
    #[test]
    fn filters_accept_counts_resolved_on_the_machine() {
        let sweep = "[sweep]\nworkers = [\"physical\", 1]\nchunksize = [1, \"default\"]\n";
        let chart = "[[chart]]\nx = \"chunksize\"\nlog_x = true\n";
        for filter in [
            "{ workers = 7 }",
            "{ workers = \"7\" }",
            "{ chunksize = [1, 250] }",
            "{ order = \"\" }",
        ] {
            let text = format!("{POOL}{sweep}order = [\"given\"]\n{chart}filter = {filter}\n");
            assert!(check(&text).is_ok(), "{filter}: {:?}", check(&text).err());
        }
        let text = format!("{POOL}{sweep}{chart}filter = {{ workers = \"physical\" }}\n");
        assert!(check(&text).unwrap_err().contains("any count"));
        let text = format!("{POOL}{sweep}{chart}filter = {{ workers = \"one\" }}\n");
        assert!(check(&text).unwrap_err().contains("`workers` takes: \"1\""));
    }

    /// Issue 13: a serial variant runs one worker, so `workers = 1` can occur.
    #[test]
    fn a_serial_case_has_one_worker() {
        let text = format!(
            "{POOL}[sweep]\nworkers = [2, 4]\n[[variant]]\nlabel = \"one\"\nstrategy = \"serial\"\n\
             [[variant]]\nlabel = \"pool\"\n[[chart]]\nx = \"variant\"\nfilter = {{ workers = [1, 2] }}\n"
        );
        assert!(check(&text).is_ok(), "{:?}", check(&text).err());
    }

    /// Issue 17: variants make a parameter vary even when the sweep does not.
    #[test]
    fn variants_count_as_values() {
        let text = format!(
            "{POOL}[[variant]]\nlabel = \"a\"\nworkers = 1\n[[variant]]\nlabel = \"b\"\nworkers = 2\n\
             [[chart]]\nx = \"workers\"\n"
        );
        assert!(check(&text).is_ok(), "{:?}", check(&text).err());
        let text =
            format!("{POOL}[[variant]]\nlabel = \"a\"\nworkers = 1\n[[chart]]\nx = \"variant\"\n");
        assert!(check(&text).unwrap_err().contains("takes a single value"));
    }

    /// Issue 26: no control character reaches the terminal through a message.
    #[test]
    fn control_characters_are_never_echoed() {
        let name = "name = \"a\\u001b[31m\"\n[workload]\nkind = \"primes\"\nrange = [1, 9]\n";
        let filter = format!(
            "{POOL}[sweep]\norder = [\"given\", \"shuffled\"]\n[[chart]]\nx = \"order\"\n\
             filter = {{ order = \"\\u001b[31m\" }}\n"
        );
        for text in [name, &filter] {
            let message = check(text).unwrap_err();
            assert!(!message.contains('\u{1b}'), "{message}");
        }
    }

    /// Issue 16: an unnamed number is "number N"; a name may not take that.
    #[test]
    fn unnamed_numbers_cannot_collide() {
        let text = "name = \"t\"\n[workload]\nkind = \"verify\"\nnumbers = [\n\
                    { value = 7 },\n{ name = \"number 1\", value = 11 },\n]\n";
        assert!(
            check(text)
                .unwrap_err()
                .contains("two numbers are named \"number 1\"")
        );
    }
}
