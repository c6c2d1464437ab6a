//! From the file as written to a validated [`Experiment`]: every check that
//! serde cannot make, each reported at the offending value.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::Experiment;
use super::case::NamedNumber;
use super::command::{self, UserParams};
use super::error::ExperimentError;
use super::params::{ParamValue, Setting};
use super::schema::{FileSpec, RunSpec, WorkloadSpec};
use super::values::{Executor, WorkloadKind};

mod chart;
mod expect;
mod params;
mod rules;
mod text;

use chart::{chart, chart_dimensions, chart_metrics, check_chart_data, dimension_values};
use expect::{expectation, expectation_dimensions};
use params::{
    check_fits_workload, check_variant_params, numbers, only_commands, sweep_axes, variant,
};
use rules::{
    check_command_answer, check_every_case_has_a_range, check_flag_reaches_redis_workers,
    check_redis_url, check_requirements, check_stealing_stays_in_threads, check_unique_labels,
    sweep_flags,
};
use text::{check_texts, is_slug};

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

/// Checks `spec`, read from `source` at `path`, and builds the experiment:
/// the texts, the header (name and workload), the parameters as written,
/// what the cases work on, the defaults, the rules between parameters, then
/// the charts and lessons, in that order (so the first error a file has is
/// the one reported).
pub fn validate(path: &Path, source: &str, spec: FileSpec) -> Result<Experiment, ExperimentError> {
    let err =
        |span: Option<Range<usize>>, msg: String| ExperimentError::new(path, source, span, msg);
    check_texts(&spec, &err)?;
    let name = header_name(spec.name, &err)?;
    let (mut workload, workload_span, kind) = header_workload(spec.workload, &err)?;
    let mut written = Vec::new();
    let run = &spec.run;
    let from_run = [
        run.strategy
            .as_ref()
            .map(|s| (ParamValue::Strategy(*s.get_ref()), s.span())),
        run.executor
            .as_ref()
            .map(|e| (ParamValue::Executor(*e.get_ref()), e.span())),
    ];
    written.extend(
        from_run
            .into_iter()
            .flatten()
            .map(|(value, span)| Written { value, span }),
    );
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

    let (numbers, step) = inputs(kind, &mut workload, &err)?;
    let with_numbers = kind == WorkloadKind::Command && !numbers.is_empty();
    let defaults = defaults(&workload, run);
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
        name,
        title: spec.title.map(Spanned::into_inner).unwrap_or_default(),
        description: spec
            .description
            .map(Spanned::into_inner)
            .unwrap_or_default(),
        workload: kind,
        numbers,
        step,
        redis_url: workload.redis_url.map(Spanned::into_inner),
        spawn_local: run.spawn_local.as_ref().map(|n| n.get_ref().0 as u32),
        command,
        params: user,
        repeats: run
            .repeats
            .as_ref()
            .map_or(DEFAULT_REPEATS, |r| r.get_ref().0) as u32,
        warmup: run
            .warmup
            .as_ref()
            .map_or(DEFAULT_WARMUP, |w| w.get_ref().0 as u32),
        seed: run.seed.map_or(DEFAULT_SEED, |s| s.0),
        schedule: run.schedule.unwrap_or_default(),
        trace: run.trace.unwrap_or(true),
        defaults,
        axes,
        variants: variants.into_iter().map(Spanned::into_inner).collect(),
        charts,
        expectations,
    })
}

/// The experiment's name, which names its report folder.
fn header_name(name: Option<Spanned<String>>, err: &ErrAt) -> Result<String, ExperimentError> {
    let name = name.ok_or_else(|| {
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
    Ok(name.into_inner())
}

/// The `[workload]` table, where it stands, and its kind.
fn header_workload(
    workload: Option<Spanned<WorkloadSpec>>,
    err: &ErrAt,
) -> Result<(WorkloadSpec, Range<usize>, WorkloadKind), ExperimentError> {
    let workload = workload.ok_or_else(|| {
        err(None, "the experiment has no [workload]".into())
            .with_help("add a [workload] table with `kind = \"primes\"` and a `range`")
    })?;
    let span = workload.span();
    let mut workload = workload.into_inner();
    let kind = workload
        .kind
        .take()
        .ok_or_else(|| {
            err(Some(span.clone()), "[workload] has no kind".into()).with_help(
                "add `kind = \"primes\"`, \"verify\", \"check_cost\", \"factor_frequency\" or \"command\"",
            )
        })?
        .into_inner();
    Ok((workload, span, kind))
}

/// What the cases work on besides a range: the numbers a verify (or
/// command) workload checks, and a check_cost workload's step.
fn inputs(
    kind: WorkloadKind,
    workload: &mut WorkloadSpec,
    err: &ErrAt,
) -> Result<(Vec<NamedNumber>, Option<u64>), ExperimentError> {
    let numbers = match (kind, workload.numbers.take()) {
        (WorkloadKind::Verify | WorkloadKind::Command, Some(list)) => numbers(list, err)?,
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
    let step = match (kind, workload.step.take()) {
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
    Ok((numbers, step))
}

/// Every case's starting point: the registry's defaults, then `[workload]`'s
/// range and `[run]`'s strategy, executor and kernel.
fn defaults(workload: &WorkloadSpec, run: &RunSpec) -> Setting {
    let mut defaults = Setting::default();
    let from_file = [
        workload
            .range
            .as_ref()
            .map(|r| ParamValue::Range(r.get_ref().0)),
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
    defaults
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
