//! External programs as workloads (`kind = "command"`). Toy programs (sh scripts)
//! stand for real ones: their cases, substitutions, both clocks, answers
//! checked by the oracle, and every way a program can fail. Nothing here
//! asserts a time; every process a test starts is gone when it ends.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::{self, Csv, alive, runner};

/// A folder with a toy program and a place for reports, removed on drop.
struct Toy {
    dir: tempfile::TempDir,
}

impl Toy {
    fn new(script: &str) -> Toy {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("toy.sh");
        fs::write(&path, format!("#!/bin/sh\n{script}")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        Toy { dir }
    }

    fn program(&self) -> String {
        self.dir.path().join("toy.sh").display().to_string()
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs an experiment file whose `PROGRAM` is the toy; returns the
    /// exit code, stdout+stderr, and the report folder.
    fn run(&self, name: &str, toml: &str) -> (Option<i32>, String, PathBuf) {
        let text = toml.replace("PROGRAM", &self.program());
        let file = common::experiment(self.path(), name, &text);
        let out = self.path().join("reports");
        let output = runner().arg(&file).arg("--out").arg(&out).output().unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.code(), said, out.join(name))
    }
}

/// The toy: `toy.sh START END TAG`. Records its words, prints its own time
/// and the count of primes below END for the two ranges it knows.
const HONEST: &str = r#"
echo "$@" >> "$(dirname "$0")/words.txt"
case "$2" in 10) n=4 ;; 100) n=25 ;; *) n=0 ;; esac
echo "some chatter"
echo "runner-time: 0.125"
echo "runner-answer: $n"
"#;

#[test]
fn a_command_over_two_parameters_gives_its_cases_words_clocks_and_checked_answers() {
    let toy = Toy::new(HONEST);
    let (code, said, report) = toy.run(
        "toy",
        r#"
name = "toy"
[workload]
kind = "command"
command = ["PROGRAM", "{range_start}", "{range_end}", "tag={tag}"]
answer = "primes"
clock = "program"
params = { tag = "x" }
[run]
repeats = 2
warmup = 1
[sweep]
range = [[0, 10], [0, 100]]
[sweep.params]
tag = ["a", "b"]
"#,
    );
    assert_eq!(code, Some(0), "{said}");
    let summary = Csv::read(&report.join("summary.csv"));
    assert_eq!(summary.column("range_end"), ["10", "10", "100", "100"]);
    assert_eq!(summary.column("tag"), ["a", "b", "a", "b"]);
    assert_eq!(summary.column("answer"), ["4", "4", "25", "25"]);
    assert_eq!(summary.column("status"), ["ok"; 4]);
    // The program's own clock is the time; it said 0.125 s.
    assert_eq!(summary.column("best_s"), ["0.125000000"; 4]);
    let notes = summary.column("note");
    assert!(notes[0].contains("program's own clock"), "{}", notes[0]);
    assert!(
        notes[0].contains("spawning an empty process costs"),
        "{}",
        notes[0]
    );
    assert!(notes[0].contains("checked by the oracle"), "{}", notes[0]);
    // The report page states the clocks too.
    let page = fs::read_to_string(report.join("index.html")).unwrap();
    assert!(page.contains("spawning an empty process costs"), "{page}");
    // Each run a fresh process: 4 cases x 2 interleaved rounds of
    // (1 warm-up + 1 timed run).
    let words = fs::read_to_string(toy.path().join("words.txt")).unwrap();
    let mut lines: Vec<&str> = words.lines().collect();
    lines.sort();
    lines.dedup();
    assert_eq!(words.lines().count(), 16);
    assert_eq!(
        lines,
        ["0 10 tag=a", "0 10 tag=b", "0 100 tag=a", "0 100 tag=b"]
    );
    // Both clocks of every timed repeat.
    let clocks = Csv::read(&report.join("clocks.csv"));
    assert_eq!(clocks.header, ["case", "started_s", "wall_s", "program_s"]);
    assert_eq!(clocks.rows.len(), 8);
    assert!(
        clocks
            .column("program_s")
            .iter()
            .all(|s| *s == "0.125000000")
    );
    assert!(
        clocks
            .column("wall_s")
            .iter()
            .all(|s| s.parse::<f64>().unwrap() > 0.0)
    );
}

#[test]
fn the_wall_clock_is_the_default_and_an_undeclared_answer_is_unchecked() {
    let toy = Toy::new(HONEST);
    let (code, said, report) = toy.run(
        "unchecked",
        r#"
name = "unchecked"
[workload]
kind = "command"
command = ["PROGRAM", "0", "10"]
[run]
repeats = 1
warmup = 0
"#,
    );
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("unchecked"), "{said}");
    assert!(!said.contains("all correct"), "{said}");
    // The case's line says so in its answer's place.
    assert!(said.contains("(1 repeats, answer unchecked)"), "{said}");
    assert!(!said.contains(", )"), "{said}");
    let summary = Csv::read(&report.join("summary.csv"));
    assert_eq!(summary.column("answer"), [""]);
    let note = summary.column("note")[0];
    assert!(note.contains("answer unchecked"), "{note}");
    assert!(note.contains("wall clock from spawn to exit"), "{note}");
    let page = fs::read_to_string(report.join("index.html")).unwrap();
    assert!(page.contains("answer unchecked"), "the page says so");
    assert_ne!(summary.column("best_s")[0], "0.125000000");
}

fn failure_of(script: &str, extra: &str) -> (String, Duration) {
    let toy = Toy::new(script);
    let started = Instant::now();
    let (code, said, report) = toy.run(
        "bad",
        &format!(
            r#"
name = "bad"
[workload]
kind = "command"
command = ["PROGRAM", "{{range_start}}", "{{range_end}}"]
range = [0, 100]
answer = "primes"
{extra}
[run]
repeats = 2
warmup = 0
"#
        ),
    );
    let took = started.elapsed();
    assert_eq!(code, Some(1), "a failed case fails the run: {said}");
    let summary = Csv::read(&report.join("summary.csv"));
    assert_eq!(summary.column("status"), ["failed"]);
    (summary.column("error")[0].to_string(), took)
}

#[test]
fn a_program_that_lies_about_its_answer_fails_its_case() {
    let (error, _) = failure_of("echo 'runner-answer: 24'", "");
    assert!(error.contains("wrong answer"), "{error}");
    assert!(error.contains("the oracle 25"), "{error}");
}

#[test]
fn a_program_that_prints_garbage_or_nothing_fails_its_case() {
    let (error, _) = failure_of("echo 'runner-answer: lots'", "");
    assert!(error.contains("not a count"), "{error}");
    let (error, _) = failure_of("echo hello", "");
    assert!(error.contains("no `runner-answer:` line"), "{error}");
    let (error, _) = failure_of(
        "echo 'runner-answer: 25'; echo 'runner-time: soon'",
        "clock = \"program\"",
    );
    assert!(error.contains("not a number of seconds"), "{error}");
    let (error, _) = failure_of("echo 'runner-answer: 25'", "clock = \"program\"");
    assert!(error.contains("no `runner-time: SECONDS` line"), "{error}");
}

#[test]
fn a_program_that_exits_3_fails_with_its_stderr_tail() {
    let (error, _) = failure_of("echo 'it went wrong: disk on fire' >&2; exit 3", "");
    assert!(error.contains("exited with status 3"), "{error}");
    assert!(error.contains("disk on fire"), "{error}");
}

/// A binary stderr tail is capped by the characters shown (each NUL is
/// shown as `\u{0}`, six characters), not by bytes, and says it was cut.
#[test]
fn a_binary_stderr_tail_is_capped_as_shown() {
    let (error, _) = failure_of("head -c 3000 /dev/zero >&2; exit 3", "");
    assert!(error.contains("exited with status 3"), "{error}");
    assert!(error.contains("cut to its last 2000 characters"), "{error}");
    assert!(error.ends_with("\\u{0}"), "{error}");
    assert!(error.chars().count() < 2_200, "{} characters", error.len());
}

#[test]
fn a_program_killed_by_a_signal_fails_saying_which() {
    let (error, _) = failure_of("kill -SEGV $$", "");
    assert!(error.contains("signal 11 (SIGSEGV)"), "{error}");
}

#[test]
fn a_program_that_hangs_is_stopped_at_its_timeout_with_its_children() {
    // The toy starts a grandchild that would outlive it, then hangs.
    let script = r#"
sleep 300 &
echo $! > "$(dirname "$0")/grandchild.pid"
echo "waiting forever" >&2
sleep 300
"#;
    let toy = Toy::new(script);
    let started = Instant::now();
    let (code, said, report) = toy.run(
        "hang",
        r#"
name = "hang"
[workload]
kind = "command"
command = ["PROGRAM"]
timeout_s = 1
[run]
repeats = 1
warmup = 0
"#,
    );
    assert!(started.elapsed() < Duration::from_secs(60), "it waited");
    assert_eq!(code, Some(1), "{said}");
    let summary = Csv::read(&report.join("summary.csv"));
    let error = summary.column("error")[0];
    assert!(error.contains("timeout of 1 s"), "{error}");
    assert!(error.contains("waiting forever"), "{error}");
    let pid: u32 = fs::read_to_string(toy.path().join("grandchild.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let gone = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        !alive(pid)
    });
    if !gone {
        // Clean up before failing, so the test leaves nothing behind.
        kill(pid);
    }
    assert!(gone, "the grandchild {pid} outlived its repeat");
}

/// Kills `pid` if it still runs (a clean-up: no check).
fn kill(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status();
}

#[test]
fn a_verdict_is_checked_with_its_factor_and_the_shell_is_used_only_when_asked() {
    let toy = Toy::new(
        r#"case "$1" in 15) echo "runner-answer: not prime 5" ;; 13) echo "runner-answer: prime" ;; *) echo "runner-answer: not prime 7" ;; esac"#,
    );
    let (code, said, report) = toy.run(
        "verdicts",
        r#"
name = "verdicts"
[workload]
kind = "command"
command = ["PROGRAM {number} | cat"]
shell = true
answer = "verdict"
numbers = [{ name = "fifteen", value = 15 }, { name = "thirteen", value = 13 }, { name = "twenty-five", value = 25 }]
[run]
repeats = 1
warmup = 0
"#,
    );
    assert_eq!(code, Some(1), "{said}");
    let summary = Csv::read(&report.join("summary.csv"));
    assert_eq!(summary.column("status"), ["ok", "ok", "failed"]);
    assert_eq!(summary.column("answer")[..2], ["not prime", "prime"]);
    assert!(summary.column("error")[2].contains("7 is not a factor of 25"));
}

#[test]
fn a_missing_program_or_module_skips_its_cases_with_a_message() {
    let toy = Toy::new(HONEST);
    let (code, said, report) = toy.run(
        "needs",
        r#"
name = "needs"
[workload]
kind = "command"
command = ["PROGRAM", "0", "10", "{python}"]
params = { python = "sh" }
answer = "primes"
range = [0, 10]
[run]
repeats = 1
warmup = 0
[[variant]]
label = "here"
requires = "sh"
[[variant]]
label = "absent"
params = { python = "no-such-interpreter-14" }
requires = "no-such-interpreter-14"
[[variant]]
label = "no module"
requires = "sh:no_such_module"
"#,
    );
    assert_eq!(code, Some(0), "{said}");
    let summary = Csv::read(&report.join("summary.csv"));
    assert_eq!(summary.column("status"), ["ok", "skipped", "skipped"]);
    let results = Csv::read(&report.join("results.csv"));
    let errors = results.column("error").join("\n");
    assert!(
        errors.contains("needs no-such-interpreter-14: no-such-interpreter-14 is not on PATH"),
        "{errors}"
    );
    assert!(errors.contains("needs sh:no_such_module"), "{errors}");
}

#[test]
fn typos_in_runner_keys_and_unknown_placeholders_are_errors_at_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[workload]\nkind = \"command\"\ncomand = [\"true\"]\n",
            "comand",
            3,
        ),
        (
            "[workload]\nkind = \"command\"\ncommand = [\"true\", \"{wrokers}\"]\n",
            "did you mean `{workers}`",
            3,
        ),
        (
            "[workload]\nkind = \"command\"\ncommand = [\"true\"]\n[sweep]\nwrokers = [1]\n",
            "wrokers",
            5,
        ),
        (
            "[workload]\nkind = \"command\"\ncommand = [\"true\"]\n[sweep.params]\nworkers = [1]\n",
            "one of runner's own parameters",
            5,
        ),
        (
            "[workload]\nkind = \"command\"\ncommand = [\"true\"]\nparams = { python = \"x\" }\n[[variant]]\nlabel = \"v\"\nparams = { pyhton = \"y\" }\n",
            "did you mean `python`",
            5,
        ),
        (
            "[workload]\nkind = \"primes\"\nrange = \"A\"\ncommand = [\"true\"]\n",
            "only a command workload takes `command`",
            4,
        ),
        // Quoting a value holds only in plain words: not inside quotes.
        (
            "[workload]\nkind = \"command\"\nshell = true\ncommand = [\"echo\", \"'{x}'\"]\nparams = { x = \"a\" }\n",
            "the placeholder `{x}` is inside single quotes",
            4,
        ),
    ];
    for (i, (body, says, line)) in cases.into_iter().enumerate() {
        let file = common::experiment(
            dir.path(),
            &format!("typo{i}"),
            &format!("name = \"t\"\n{body}"),
        );
        let output = runner().arg("check").arg(&file).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{body}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{body}: {stderr}");
        let at = format!("typo{i}.toml:{}:", line + 1);
        assert!(stderr.contains(&at), "{body}: wants {at} in {stderr}");
    }
}

#[test]
fn compare_on_puts_a_command_beside_runner_s_own_backends() {
    let toy = Toy::new(HONEST);
    let (code, said, python) = toy.run(
        "toy_side",
        r#"
name = "toy_side"
[workload]
kind = "command"
command = ["PROGRAM", "{range_start}", "{range_end}"]
answer = "primes"
[run]
strategy = "pool"
repeats = 2
warmup = 0
[sweep]
range = [[0, 10], [0, 100]]
workers = [2]
[[variant]]
label = "CPython"
[[variant]]
label = "PyPy"
"#,
    );
    assert_eq!(code, Some(0), "{said}");
    let (code, said, ours) = toy.run(
        "ours",
        r#"
name = "ours"
[workload]
kind = "primes"
[run]
strategy = "pool"
repeats = 2
warmup = 0
[sweep]
range = [[0, 10], [0, 100], [0, 1000]]
workers = [2]
executor = ["threads", "processes"]
"#,
    );
    assert_eq!(code, Some(0), "{said}");
    let output = runner()
        .args(["compare", "--on", "range_start,range_end"])
        .arg(&ours)
        .arg(&python)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("toy_side beside ours, matched on range_start, range_end"));
    // Two ranges x (CPython, PyPy) x (threads, processes).
    let pairs = text.lines().filter(|l| l.contains(" / ")).count();
    assert_eq!(pairs, 8, "{text}");
    assert!(
        text.contains(
            "range_start=0 range_end=100: PyPy chunksize=13 / executor=processes chunksize=13"
        ),
        "{text}"
    );
    // Runner's [0, 1000) has no partner.
    assert!(text.contains("Only in BEFORE"), "{text}");
    let bad = runner()
        .args(["compare", "--on", "chunksise"])
        .arg(&ours)
        .arg(&python)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("`chunksise` is not a column"));
}

#[test]
fn check_does_not_pretend_to_know_how_long_a_program_takes() {
    let dir = tempfile::tempdir().unwrap();
    let file = common::experiment(
        dir.path(),
        "plan",
        "name = \"plan\"\n[workload]\nkind = \"command\"\ncommand = [\"true\"]\ntimeout_s = 60\n[run]\nrepeats = 3\nwarmup = 1\n",
    );
    let output = runner().arg("check").arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "not estimated for a command workload; at most 6 runs of up to 1.0 minutes each"
        ),
        "{text}"
    );
}

/// With `shell = true` every substituted value is quoted, so it is one
/// word and never syntax (a value could run commands before issue 20), while the file's own shell syntax
/// (a redirection, a pipe) works as written.
#[test]
fn shell_values_are_quoted_and_the_file_s_own_syntax_kept() {
    let toy = Toy::new(
        r#"
printf '%s|' "$#" "$@" >> words.txt
echo >> words.txt
echo "runner-answer: 25"
"#,
    );
    let dir = toy.path().display().to_string();
    let (code, said, report) = toy.run(
        "quoted",
        &r#"
name = "quoted"
[workload]
kind = "command"
command = ["PROGRAM", "{x}", "--tag={x}", "2>&1", "|", "cat"]
shell = true
cwd = "DIR"
answer = "primes"
range = [0, 100]
params = { x = "plain" }
[run]
repeats = 1
warmup = 0
[[variant]]
label = "plain"
[[variant]]
label = "semicolon"
params = { x = "z; touch INJECTED" }
[[variant]]
label = "space"
params = { x = "a b" }
[[variant]]
label = "substitution"
params = { x = "$(touch INJECTED)`touch INJECTED`" }
[[variant]]
label = "quotes"
params = { x = "it's \"q\" > INJECTED" }
"#
        .replace("DIR", &dir),
    );
    assert_eq!(code, Some(0), "{said}");
    let summary = Csv::read(&report.join("summary.csv"));
    assert_eq!(summary.column("status"), ["ok"; 5]);
    assert!(
        !toy.path().join("INJECTED").exists(),
        "a value ran as shell"
    );
    let words = fs::read_to_string(toy.path().join("words.txt")).unwrap();
    let mut lines: Vec<&str> = words.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "2|$(touch INJECTED)`touch INJECTED`|--tag=$(touch INJECTED)`touch INJECTED`|",
            "2|a b|--tag=a b|",
            "2|it's \"q\" > INJECTED|--tag=it's \"q\" > INJECTED|",
            "2|plain|--tag=plain|",
            "2|z; touch INJECTED|--tag=z; touch INJECTED|",
        ]
    );
}

/// A base variant and variants whose program prints `runner-time: {t}`
/// for times no clock gives: zero, below a nanosecond, negative, huge, NaN.
const PROGRAM_TIMES: &str = r#"
name = "lie"
[workload]
kind = "command"
command = ["sh", "-c", "echo 'runner-time: {t}'; echo 'runner-answer: {a}'"]
range = [0, 100]
answer = "primes"
clock = "program"
params = { t = "0.1", a = "25" }
[run]
repeats = 3
warmup = 0
[[variant]]
label = "base"
[[variant]]
label = "zero"
params = { t = "0" }
[[variant]]
label = "tiny"
params = { t = "1e-300" }
[[variant]]
label = "rounded away"
params = { t = "0.0000000004" }
[[variant]]
label = "minus zero"
params = { t = "-0" }
[[variant]]
label = "huge"
params = { t = "1e300" }
[[variant]]
label = "nan"
params = { t = "NaN" }
[[variant]]
label = "half"
params = { t = "0.05" }
"#;

/// A program time that cannot be compared fails its case with a message
/// naming the line (`runner-time: 0` once wrote inf into summary.csv and
/// broke the report); the run's
/// report is drawn, and `report` and `compare` read the folder back.
#[test]
fn a_program_time_beyond_measure_fails_its_case_and_the_report_survives() {
    let toy = Toy::new("");
    let (code, said, report) = toy.run("lie", PROGRAM_TIMES);
    assert_eq!(code, Some(1), "a failed case fails the run: {said}");
    let summary = Csv::read(&report.join("summary.csv"));
    assert_eq!(
        summary.column("status"),
        [
            "ok", "failed", "failed", "failed", "failed", "failed", "failed", "ok"
        ]
    );
    let errors = summary.column("error");
    let wants = [
        (
            1,
            "`runner-time: 0`",
            "at or below the clock's resolution (1 ns)",
        ),
        (
            2,
            "`runner-time: 1e-300`",
            "at or below the clock's resolution",
        ),
        (
            3,
            "`runner-time: 0.0000000004`",
            "at or below the clock's resolution",
        ),
        (4, "`runner-time: -0`", "cannot be negative"),
        (5, "`runner-time: 1e300`", "more than 1000000 s"),
        (6, "\"NaN\"", "not a number of seconds"),
    ];
    for (i, printed, says) in wants {
        assert!(errors[i].contains(printed), "{}", errors[i]);
        assert!(errors[i].contains(says), "{}", errors[i]);
    }
    assert!(
        errors[1].contains("clock = \"wall\""),
        "what to do: {}",
        errors[1]
    );
    assert_eq!(summary.column("best_s")[0], "0.100000000");
    assert_eq!(summary.column("best_s")[7], "0.050000000");
    for file in ["summary.csv", "results.csv", "clocks.csv"] {
        let text = fs::read_to_string(report.join(file)).unwrap();
        assert!(!text.to_lowercase().contains("inf,"), "{file}: {text}");
        assert!(!text.contains("NaN,"), "{file}: {text}");
    }
    assert!(
        report.join("index.html").exists(),
        "the page is drawn: {said}"
    );
    let redrawn = runner().arg("report").arg(&report).output().unwrap();
    assert_eq!(
        redrawn.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&redrawn.stderr)
    );
    let compared = runner()
        .arg("compare")
        .arg(&report)
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(
        compared.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&compared.stderr)
    );
}

/// Lines are scanned as they stream, so an answer after more than 1 MiB
/// of output counts (it was dropped before issue 20), and so does a time line after it;
/// the last of each counts.
#[test]
fn an_answer_after_more_than_a_mebibyte_of_output_is_read() {
    let toy = Toy::new(
        r#"
echo "runner-answer: 24"
head -c 1100000 /dev/zero | tr '\0' x
echo
echo "runner-time: 9"
head -c 1100000 /dev/zero | tr '\0' '\n'
echo "runner-answer: 25"
echo "runner-time: 0.5"
"#,
    );
    let (code, said, report) = toy.run(
        "chatty",
        r#"
name = "chatty"
[workload]
kind = "command"
command = ["PROGRAM"]
range = [0, 100]
answer = "primes"
clock = "program"
[run]
repeats = 1
warmup = 0
"#,
    );
    assert_eq!(code, Some(0), "{said}");
    let summary = Csv::read(&report.join("summary.csv"));
    assert_eq!(summary.column("status"), ["ok"]);
    assert_eq!(summary.column("answer"), ["25"]);
    assert_eq!(summary.column("best_s"), ["0.500000000"]);
}

/// Runs `runner FILE --out OUT` and returns its exit code and its peak
/// resident memory in KiB (its own and its reaped children's), killing it
/// after two minutes.
fn peak_memory_of_run(file: &Path, out: &Path) -> (Option<i32>, i64) {
    // Reaped by wait4 below, which also gives its peak memory.
    #[allow(clippy::zombie_processes)]
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_runner"))
        .arg(file)
        .arg("--out")
        .arg(out)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let started = Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: an all-zero rusage is valid; wait4 fills it.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: pid is our child; the pointers live for the call.
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if reaped == pid {
            let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
            return (code, usage.ru_maxrss);
        }
        assert!(reaped == 0, "wait4 failed");
        if started.elapsed() > Duration::from_secs(120) {
            // SIGINT stops runner, which kills its program's group.
            // SAFETY: kill(2) on our own child.
            unsafe { libc::kill(pid, libc::SIGINT) };
            std::thread::sleep(Duration::from_secs(5));
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("runner took more than two minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Memory stays bounded whatever a program prints: a 100 MB line without
/// a line break on stdout, and 100 MB on stderr.
#[test]
fn a_hundred_megabyte_line_is_never_kept_whole() {
    let toy = Toy::new(
        r#"
head -c 100000000 /dev/zero >&2
head -c 100000000 /dev/zero | tr '\0' x
echo
echo "runner-answer: 25"
"#,
    );
    let text = r#"
name = "flood"
[workload]
kind = "command"
command = ["PROGRAM"]
range = [0, 100]
answer = "primes"
[run]
repeats = 1
warmup = 0
"#
    .replace("PROGRAM", &toy.program());
    let file = common::experiment(toy.path(), "flood", &text);
    let out = toy.path().join("reports");
    let (code, peak_kib) = peak_memory_of_run(&file, &out);
    assert_eq!(code, Some(0));
    let summary = Csv::read(&out.join("flood/summary.csv"));
    assert_eq!(summary.column("answer"), ["25"]);
    // runner itself needs a few MiB; a line kept whole would take 100.
    assert!(peak_kib < 60 * 1024, "runner's peak memory: {peak_kib} KiB");
}

/// Pids a test started that may outlive runner, killed on drop.
struct PidFiles(PathBuf);

impl Drop for PidFiles {
    fn drop(&mut self) {
        let pids = fs::read_to_string(&self.0).unwrap_or_default();
        for pid in pids.lines().filter_map(|p| p.trim().parse::<u32>().ok()) {
            kill(pid);
        }
    }
}

/// A detached descendant that holds stdout open does not make runner
/// throw away what was read (a regression test of issue 20); the note
/// says so, and no thread is left reading (runner's thread count, seen by
/// a second case's program between the repeats, does not grow).
#[test]
fn a_descendant_holding_stdout_open_loses_nothing_and_leaks_nothing() {
    let toy = Toy::new(
        r#"
if [ "$1" = detach ]; then
    echo "runner-answer: 25"
    setsid sh -c 'echo $$ >> pids.txt; exec sleep 30' &
    sleep 0.3
    exit 0
fi
ls /proc/$PPID/task | wc -l >> threads.txt
echo "runner-answer: 25"
"#,
    );
    let _pids = PidFiles(toy.path().join("pids.txt"));
    let dir = toy.path().display().to_string();
    let (code, said, report) = toy.run(
        "detached",
        &r#"
name = "detached"
[workload]
kind = "command"
command = ["PROGRAM", "{mode}"]
cwd = "DIR"
range = [0, 100]
answer = "primes"
params = { mode = "count" }
[run]
repeats = 3
warmup = 0
[[variant]]
label = "detach"
params = { mode = "detach" }
[[variant]]
label = "count"
"#
        .replace("DIR", &dir),
    );
    assert_eq!(code, Some(0), "{said}");
    let summary = Csv::read(&report.join("summary.csv"));
    assert_eq!(summary.column("status"), ["ok", "ok"]);
    assert_eq!(summary.column("answer"), ["25", "25"]);
    let note = summary.column("note")[0];
    assert!(note.contains("kept its stdout and stderr open"), "{note}");
    assert!(!summary.column("note")[1].contains("kept its"));
    let threads = fs::read_to_string(toy.path().join("threads.txt")).unwrap();
    let counts: Vec<u32> = threads.lines().map(|c| c.trim().parse().unwrap()).collect();
    assert_eq!(counts.len(), 3, "{threads}");
    // The thread that waits for the counting program may not have started
    // yet when it looks: one more or less is that thread. Two readers were
    // left behind per detached repeat before.
    let (least, most) = (counts.iter().min(), counts.iter().max());
    assert!(most.unwrap() - least.unwrap() <= 1, "{threads}");
}
