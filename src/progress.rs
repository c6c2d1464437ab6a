//! Progress on stderr: a bar with an ETA on a terminal, one plain line per
//! case elsewhere (indicatif hides itself when stderr is not a terminal, and
//! CI logs should still show progress).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::console;
use crate::engine::Observer;
use crate::experiment::{Case, Plan, Schedule};
use crate::outcome::CaseResult;
use crate::record::Stats;
use crate::units::human_seconds;

/// Reports each case as it starts and finishes; in a schedule of rounds,
/// the bar counts timed runs and names the round.
pub struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    /// The rounds of an interleaved or shuffled schedule, or none.
    rounds: Option<u32>,
    round: u32,
    /// The reasons for skipping a case said so far: each is said in full
    /// once (it may be long: "cannot reach Redis at ...; start one with
    /// ..."), later cases skipped for it say "as above".
    skip_reasons: std::collections::HashSet<String>,
}

impl Progress {
    /// A bar if stderr is a terminal, plain lines otherwise.
    pub fn new(plan: &Plan) -> Self {
        let total = plan.cases.len();
        let rounds = (plan.schedule != Schedule::Blocked).then_some(plan.repeats);
        let (units, unit) = match rounds {
            Some(r) => (total as u64 * u64::from(r), "runs"),
            None => (total as u64, "cases"),
        };
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(units);
            let style = ProgressStyle::with_template(&format!(
                "{{spinner}} [{{elapsed_precise}}] {{bar:30}} {{pos}}/{{len}} {unit}, ETA {{eta}}  {{wide_msg}}"
            ))
            .expect("a valid template");
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            total,
            rounds,
            round: 1,
            skip_reasons: std::collections::HashSet::new(),
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// One line about a finished case, e.g. `[3/8] pool ... best 0.0123 s`.
pub fn case_line(result: &CaseResult, total: usize) -> String {
    let case = &result.case;
    let head = format!(
        "[{}/{}] {}",
        case.number,
        total,
        console::plain(&case.describe())
    );
    match (
        &result.failure,
        &result.skipped,
        Stats::of(&result.seconds()),
    ) {
        (Some(f), _, _) => format!("{head}: FAILED: {}", console::one_line(&f.message)),
        (None, Some(why), _) => format!("{head}: {}", console::one_line(why)),
        (None, None, Some(s)) => format!(
            "{head}: best {} median {} ({} repeats, {})",
            human_seconds(s.best),
            human_seconds(s.median),
            result.runs.len(),
            // A command case without a declared answer has none to show.
            result
                .answer
                .map(|a| a.to_string())
                .unwrap_or_else(|| "answer unchecked".into())
        ),
        (None, None, None) => format!("{head}: no timed repeats"),
    }
}

impl Observer for Progress {
    fn case_started(&mut self, case: &Case, _plan: &Plan) {
        if let Some(bar) = &self.bar {
            match self.rounds {
                Some(rounds) => {
                    bar.set_message(format!(
                        "round {}/{rounds}: {}",
                        self.round,
                        case.describe()
                    ));
                    bar.inc(1);
                }
                None => bar.set_message(case.describe()),
            }
        }
    }

    fn round_finished(&mut self, round: u32, plan: &Plan) {
        self.round = round + 1;
        // Cases finish in the last round: elsewhere than a terminal, a line
        // per round is the progress.
        if self.bar.is_none() {
            console::error(&format!(
                "round {round}/{} finished ({} cases)",
                plan.repeats, self.total
            ));
        }
    }

    fn case_finished(&mut self, result: &CaseResult, _plan: &Plan) -> anyhow::Result<()> {
        let line = match &result.skipped {
            Some(why) if !self.skip_reasons.insert(why.clone()) => {
                // "skipped: needs Redis: cannot reach ..." -> "skipped: needs Redis"
                let head: Vec<&str> = why.splitn(3, ": ").take(2).collect();
                let short = CaseResult {
                    skipped: Some(format!("{} (as above)", head.join(": "))),
                    ..result.clone()
                };
                case_line(&short, self.total)
            }
            _ => case_line(result, self.total),
        };
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                if self.rounds.is_none() {
                    bar.inc(1);
                }
            }
            None => console::error(&line),
        }
        Ok(())
    }
}
