//! The statistics, intervals and findings of a report, driven by a scripted
//! clock: the work runs (and is checked), but every timed run's seconds come
//! from a script, so the sentences a report writes can be pinned exactly.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use runner::engine;
use runner::experiment::{self, Case, PlanOptions};
use runner::machine::Cores;
use runner::output::ReportWriter;
use runner::output::folder::ReportFolder;
use runner::output::manifest::{Manifest, Status};
use runner::report::{self, data::RunData, expectations, figure, findings};
use runner::timing::{Clock, Timer};
use runner::workload::Context;

use crate::common::Exp;

/// Gives each timed run the seconds `script(case, k, position)` says, for
/// the case's k-th timed run (from 0) and the run's place in the whole run
/// (from 0); `now` advances by what it handed out.
struct ScriptedClock<F> {
    script: F,
    state: Mutex<(f64, u64, HashMap<usize, u32>)>,
}

impl<F: Fn(&Case, u32, u64) -> f64 + Send + Sync> ScriptedClock<F> {
    fn new(script: F) -> Self {
        ScriptedClock {
            script,
            state: Mutex::new((0.0, 0, HashMap::new())),
        }
    }
}

impl<F: Fn(&Case, u32, u64) -> f64 + Send + Sync> Clock for ScriptedClock<F> {
    fn now(&self) -> f64 {
        self.state.lock().unwrap().0
    }
    fn elapsed(&self, case: &Case, _started: f64) -> f64 {
        let mut state = self.state.lock().unwrap();
        let k = *state
            .2
            .entry(case.number)
            .and_modify(|k| *k += 1)
            .or_insert(0);
        let seconds = (self.script)(case, k, state.1);
        state.0 += seconds;
        state.1 += 1;
        seconds
    }
}

/// Runs the experiment `toml` with `clock` into a temporary folder and
/// returns the report's chart findings (each chart's, the drift's) and the
/// run's, and its summary.csv.
fn run_scripted(toml: &str, clock: &dyn Clock) -> (Vec<String>, String) {
    let (said, summary, _) = run_scripted_lessons(toml, clock);
    (said, summary)
}

/// As [`run_scripted`], with the verdicts on the experiment's lessons.
fn run_scripted_lessons(toml: &str, clock: &dyn Clock) -> (Vec<String>, String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.toml");
    std::fs::write(&file, toml).unwrap();
    let experiment = experiment::load(&file).unwrap();
    let plan = experiment.plan(
        Cores {
            physical: 2,
            logical: 2,
        },
        &PlanOptions::default(),
    );
    let out = dir.path().join("reports");
    let folder = ReportFolder::claim(&out, &experiment.name).unwrap();
    let manifest = Manifest::start(&experiment, &plan, Vec::new());
    let mut writer = ReportWriter::create(folder, &experiment, manifest).unwrap();
    let stop = AtomicBool::new(false);
    let timer = Timer { clock, stop: &stop };
    let mut context = Context::new(None);
    engine::run(&plan, &mut context, &mut [&mut writer], &timer).unwrap();
    writer.finish(Status::Complete).unwrap();
    let report_dir = out.join(&experiment.name);
    report::render(&report_dir, None).unwrap();
    let run = RunData::read(&report_dir, None).unwrap();
    let mut said = Vec::new();
    for chart in &run.experiment.charts {
        said.extend(findings::chart_findings(&figure::figure(&run, chart)));
    }
    said.extend(findings::drift_finding(&run));
    said.extend(findings::run_findings(&run));
    let summary = std::fs::read_to_string(report_dir.join("summary.csv")).unwrap();
    let lessons = expectations::check(&run)
        .into_iter()
        .map(|c| format!("{}: {}", c.word, c.lesson))
        .collect();
    (said, summary, lessons)
}

/// The noise of a shared machine: ±3% about 10 ms, in a fixed pattern.
fn noisy(k: u32) -> f64 {
    const WOBBLE: [f64; 10] = [0.0, 0.02, -0.01, 0.03, -0.02, 0.01, -0.03, 0.02, 0.0, -0.01];
    0.010 * (1.0 + WOBBLE[(k as usize * 7 + 3) % 10])
}

/// The A/A experiment of 10 repeats on `schedule`, and a bar chart of its
/// two variants' medians.
fn aa(schedule: &str) -> String {
    Exp::a_a("aa")
        .run("repeats", 10)
        .schedule(schedule)
        .then("[[chart]]\nkind = \"bars\"\nx = \"variant\"\ny = \"median_s\"")
        .toml()
}

fn seconds_column(summary: &str, column: &str) -> Vec<String> {
    let mut lines = summary.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header.iter().position(|h| *h == column).unwrap();
    lines
        .map(|l| l.split(',').nth(at).unwrap().to_string())
        .collect()
}

#[test]
fn an_a_a_experiment_is_indistinguishable_and_ranks_nothing() {
    // Case b's runs are a's, in another order.
    let clock = ScriptedClock::new(|case: &Case, k, _| match case.variant.as_str() {
        "a" => noisy(k),
        _ => noisy(9 - k),
    });
    let (said, summary) = run_scripted(&aa("interleaved"), &clock);
    insta::assert_snapshot!(said.join("\n"));
    assert!(said.iter().any(|s| s.contains("indistinguishable")));
    assert!(
        !said
            .iter()
            .any(|s| s.contains("Fastest") || s.contains("Slowest")),
        "{said:?}"
    );
    assert_eq!(
        seconds_column(&summary, "median_s"),
        ["0.010000000", "0.010000000"]
    );
    assert_eq!(seconds_column(&summary, "speedup"), ["1.0000", "1.0000"]);
    let (lo, hi) = (
        seconds_column(&summary, "speedup_lo"),
        seconds_column(&summary, "speedup_hi"),
    );
    assert_eq!(lo[0], "", "the baseline has no interval against itself");
    let (lo, hi): (f64, f64) = (lo[1].parse().unwrap(), hi[1].parse().unwrap());
    assert!(lo < 1.0 && 1.0 < hi && hi - lo < 0.08, "{lo} {hi}");
}

#[test]
fn a_clear_twofold_gap_is_ranked_with_its_interval() {
    let clock = ScriptedClock::new(|case: &Case, k, _| match case.variant.as_str() {
        "a" => noisy(k),
        _ => 2.0 * noisy(9 - k),
    });
    let (said, summary) = run_scripted(&aa("interleaved"), &clock);
    insta::assert_snapshot!(said.join("\n"));
    assert!(said[0].starts_with("Fastest: a,"), "{said:?}");
    assert!(
        said.iter()
            .any(|s| s.starts_with("Slowest: b, 2.00x slower (95% interval ")),
        "{said:?}"
    );
    assert_eq!(seconds_column(&summary, "speedup")[1], "0.5000");
}

#[test]
fn a_drifting_machine_ranks_identical_cases_only_when_blocked() {
    // Every run takes 1% longer than the one before it, whatever it runs.
    let drift = |_: &Case, _: u32, position: u64| 0.010 * (1.0 + 0.01 * position as f64);
    let (blocked, _) = run_scripted(&aa("blocked"), &ScriptedClock::new(drift));
    assert!(
        blocked.iter().any(|s| s.starts_with("Slowest: b")),
        "blocked, drift passes for an effect: {blocked:?}"
    );
    assert!(
        blocked.iter().any(|s| s.starts_with("The machine drifted")),
        "{blocked:?}"
    );
    let (interleaved, _) = run_scripted(&aa("interleaved"), &ScriptedClock::new(drift));
    insta::assert_snapshot!(interleaved.join("\n"));
    assert!(
        !interleaved
            .iter()
            .any(|s| s.contains("Fastest") || s.contains("Slowest")),
        "interleaved, the drift touches both alike: {interleaved:?}"
    );
    assert!(
        interleaved
            .iter()
            .any(|s| s.starts_with("The machine drifted")),
        "{interleaved:?}"
    );
}

#[test]
fn the_report_of_a_scripted_run_is_the_same_on_a_redraw() {
    let clock = ScriptedClock::new(|case: &Case, k, _| match case.variant.as_str() {
        "a" => noisy(k),
        _ => 1.5 * noisy(k),
    });
    let (first, _) = run_scripted(&aa("shuffled"), &clock);
    let clock = ScriptedClock::new(|case: &Case, k, _| match case.variant.as_str() {
        "a" => noisy(k),
        _ => 1.5 * noisy(k),
    });
    let (second, _) = run_scripted(&aa("shuffled"), &clock);
    assert_eq!(first, second, "seeded intervals, seeded schedule");
}

#[test]
fn lessons_hold_fail_or_are_inconclusive_at_their_threshold() {
    // b takes exactly twice a's time, with a's noise: the ratio's interval
    // sits about 2.0 (1.95x to 2.05x).
    let lessons = r#"
[[expect]]
lesson = "b at least 1.5x slower than a"
case = { variant = "b" }
is = "slower"
than = { variant = "a" }
by_at_least = 1.5
[[expect]]
lesson = "b at least 2x slower than a: the threshold inside the interval"
case = { variant = "b" }
is = "slower"
than = { variant = "a" }
by_at_least = 2.0
[[expect]]
lesson = "b at least 3x slower than a"
case = { variant = "b" }
is = "slower"
than = { variant = "a" }
by_at_least = 3.0
[[expect]]
lesson = "a faster than b"
case = { variant = "a" }
is = "faster"
than = { variant = "b" }
[[expect]]
lesson = "a within 10% of b"
case = { variant = "a" }
is = "within"
than = { variant = "b" }
within_percent = 10
"#;
    let clock = ScriptedClock::new(|case: &Case, k, _| match case.variant.as_str() {
        "a" => noisy(k),
        _ => 2.0 * noisy(9 - k),
    });
    let (_, _, verdicts) = run_scripted_lessons(&(aa("interleaved") + lessons), &clock);
    assert_eq!(
        verdicts,
        [
            "holds: b at least 1.5x slower than a",
            "inconclusive: b at least 2x slower than a: the threshold inside the interval",
            "fails: b at least 3x slower than a",
            "holds: a faster than b",
            "fails: a within 10% of b",
        ]
    );
}
