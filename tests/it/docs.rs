//! The front door keeps its word (issue 25): the committed JSON Schema is
//! `runner schema`'s, it accepts every shipped experiment and refuses every
//! broken fixture it can judge, the key reference in docs/ is the one the
//! registry prints, every whole TOML example in the docs passes
//! `runner check`, the exit statuses of `--help` are documented, and the
//! completions, the man page and `--version` work.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{experiment, runner};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn stdout(args: &[&str]) -> String {
    let out = runner().args(args).output().expect("runner runs");
    assert!(out.status.success(), "runner {args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn schema() -> Value {
    serde_json::from_str(&stdout(&["schema"])).expect("runner schema prints JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("the schema compiles")
}

/// A TOML file as the JSON an editor validates (taplo converts the same way).
fn as_json(path: &Path) -> Result<Value, String> {
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    toml::from_str::<Value>(&text).map_err(|e| e.to_string())
}

/// The schema's complaints about a file, one line each (empty: accepted).
fn complaints(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .expect("the folder exists")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_schema_is_a_valid_draft_2020_12_schema_and_committed_as_printed() {
    let schema = schema();
    jsonschema::meta::validate(&schema).expect("a valid JSON Schema");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let committed = fs::read_to_string(root().join("experiments/schema.json"))
        .expect("experiments/schema.json is committed");
    assert!(
        committed == stdout(&["schema"]),
        "experiments/schema.json differs from `runner schema`: run `runner schema > experiments/schema.json`"
    );
}

#[test]
fn every_shipped_experiment_names_the_schema_and_satisfies_it() {
    let validator = validator();
    let mut files = toml_files(&root().join("experiments"));
    files.extend(toml_files(&root().join("experiments/python")));
    assert!(files.len() >= 20, "the shipped experiments are missing");
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        let directive = match file.parent().unwrap().ends_with("python") {
            true => "#:schema ../schema.json\n",
            false => "#:schema ./schema.json\n",
        };
        assert!(text.starts_with(directive), "{}", file.display());
        let doc = as_json(file).unwrap();
        let said = complaints(&validator, &doc);
        assert!(said.is_empty(), "{}: {said:?}", file.display());
    }
    // And runner accepts them all, as the schema does.
    runner()
        .args(["check", "experiments", "experiments/python"])
        .assert()
        .success();
}

/// The broken fixtures whose mistake lies beyond what a schema can say:
/// each needs other values, other keys or arithmetic on digits. The schema
/// accepts them and only `runner check` refuses them.
const BEYOND_A_SCHEMA: &[(&str, &str)] = &[
    (
        "chart_single_value",
        "an axis with one value, across the cases",
    ),
    (
        "chart_unknown_parameter",
        "an axis the experiment does not vary",
    ),
    ("command_env_password", "a password inside a URL's syntax"),
    ("duplicate_label", "labels unique across variants"),
    ("duplicate_number_name", "names unique across numbers"),
    ("empty_range", "a range's end above its start"),
    ("expect_no_case_pair", "cases that pair"),
    (
        "expect_unknown_parameter",
        "a filter on what the experiment varies",
    ),
    ("expect_value_no_case_has", "a value some case has"),
    ("filter_typo", "a value some case has"),
    ("filter_workers_not_swept", "a value some case has"),
    ("huge_capacity", "a count written as digits, above 2^63 - 1"),
    (
        "huge_check_every",
        "a count written as digits, above 2^63 - 1",
    ),
    (
        "huge_chunksize",
        "a count written as digits, above 2^63 - 1",
    ),
    ("huge_string", "digits beyond 64 bits"),
    ("label_whitespace", "labels that differ only in spaces"),
    (
        "limit_repeats_digits",
        "a bound on repeats written as digits",
    ),
    (
        "log_x_categorical",
        "a log axis on the parameter named, not on names",
    ),
    (
        "missing_range",
        "a range in [workload], the sweep or every variant",
    ),
    (
        "processes_task_too_large",
        "a chunksize against the executor",
    ),
    ("redis_flag_local", "a flag against the executor"),
    (
        "redis_requires_primes",
        "requires against the workload and flags",
    ),
    (
        "redis_requires_unused",
        "requires against the variant's flag",
    ),
    ("redis_url_unparsable", "a URL the Redis client can parse"),
    ("reversed_range", "a range's end above its start"),
    ("stealing_in_processes", "a strategy against the executor"),
];

/// Fixtures that are not TOML at all: an editor's TOML parser refuses them
/// before any schema.
const NOT_TOML: &[&str] = &["bad_syntax", "huge_literal", "words_duplicate_table"];

#[test]
fn the_schema_refuses_every_broken_fixture_it_can_judge() {
    let validator = validator();
    let fixtures = toml_files(&root().join("tests/broken"));
    assert!(fixtures.len() >= 50, "the broken fixtures are missing");
    let mut judged = 0;
    for file in &fixtures {
        let stem = file.file_stem().unwrap().to_str().unwrap();
        let doc = match as_json(file) {
            Ok(doc) => doc,
            Err(e) => {
                assert!(NOT_TOML.contains(&stem), "{stem} is not TOML: {e}");
                continue;
            }
        };
        assert!(!NOT_TOML.contains(&stem), "{stem} is TOML after all");
        let said = complaints(&validator, &doc);
        match BEYOND_A_SCHEMA.iter().find(|(name, _)| *name == stem) {
            Some((_, why)) => assert!(
                said.is_empty(),
                "{stem} ({why}) is now refused by the schema too: {said:?}; take it off BEYOND_A_SCHEMA"
            ),
            None => {
                assert!(!said.is_empty(), "the schema accepts {stem}");
                judged += 1;
            }
        }
    }
    let listed = BEYOND_A_SCHEMA.len() + NOT_TOML.len();
    assert_eq!(
        judged + listed,
        fixtures.len(),
        "a listed fixture is missing"
    );
    assert!(judged >= 25, "the schema judged only {judged} fixtures");
    // Every fixture, judged by the schema or not, is refused by runner
    // (tests/it/broken_files.rs checks each message).
    for file in &fixtures {
        runner().arg("check").arg(file).assert().code(2);
    }
}

/// A file the schema accepts where runner does: digits for numbers, both
/// spellings of a requirement, a within lesson.
#[test]
fn the_schema_accepts_what_runner_accepts_at_its_edges() {
    let validator = validator();
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
name = "edges"
title = "Edges"
description = "Two lines,\n\tand a tab."

[workload]
kind = "verify"
numbers = [{ name = "big", value = "18446744073709551557", quick = 1_000_000_007 }]

[run]
strategy = "cooperative"
repeats = "3"
warmup = 0
seed = "18446744073709551615"
schedule = "shuffled"

[sweep]
workers = [1, "2", "logical"]
check_every = ["1_000"]

[[variant]]
label = "atomic"
flag = "atomic"

[[variant]]
label = "none"
flag = "none"
loop = "blocked"

[[chart]]
kind = "bars"
x = "workers"
series = "variant"
y = "median_s"
formats = ["svg"]
filter = { variant = ["atomic", "none"] }

[[expect]]
lesson = "The flags are within 50% of each other."
case = { variant = "atomic" }
is = "within"
than = { variant = "none" }
within_percent = 50
"#;
    let file = experiment(dir.path(), "edges", text);
    runner().arg("check").arg(&file).assert().success();
    let said = complaints(&validator, &as_json(&file).unwrap());
    assert!(said.is_empty(), "{said:?}");
}

/// The ```toml blocks of a Markdown page: (line, text).
fn toml_blocks(page: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in page.lines().enumerate() {
        match (&mut current, line.trim_start()) {
            (None, "```toml") => current = Some((i + 1, String::new())),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some((_, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "a ```toml block is not closed");
    blocks
}

/// Checks every whole-experiment block of `page` with `runner check` and
/// the schema; a block whose first line is `# partial: ...` is a part.
fn check_examples(page: &Path) -> usize {
    let text = fs::read_to_string(page).unwrap();
    let validator = validator();
    let dir = tempfile::tempdir().unwrap();
    let mut whole = 0;
    for (line, block) in toml_blocks(&text) {
        if block.starts_with("# partial:") {
            continue;
        }
        let file = dir.path().join(format!("line{line}.toml"));
        fs::write(&file, &block).unwrap();
        let out = runner().arg("check").arg(&file).output().unwrap();
        assert!(
            out.status.success(),
            "{}:{line}: the example is not a valid experiment (mark a part with `# partial: ...` as its first line):\n{}",
            page.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let said = complaints(&validator, &as_json(&file).unwrap());
        assert!(said.is_empty(), "{}:{line}: {said:?}", page.display());
        whole += 1;
    }
    whole
}

#[test]
fn every_whole_toml_example_in_the_docs_passes_check() {
    let mut pages: Vec<PathBuf> = fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    pages.push(root().join("CONTRIBUTING.md"));
    let whole: usize = pages.iter().map(|p| check_examples(p)).sum();
    assert!(whole >= 5, "only {whole} whole examples");
}

#[test]
fn every_whole_toml_example_in_the_readme_passes_check() {
    assert_eq!(check_examples(&root().join("README.md")), 1);
}

#[test]
fn the_readme_is_a_front_door_of_at_most_200_lines_with_a_picture_and_links() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.lines().count() <= 200,
        "{} lines",
        readme.lines().count()
    );
    let images: Vec<&str> = readme
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .collect();
    assert!(images.iter().any(|i| i.ends_with(".png")), "no picture");
    for target in images {
        let path = target.split('#').next().unwrap();
        if !path.starts_with("http") && !path.is_empty() {
            assert!(
                root().join(path).exists(),
                "the README links {target}, which does not exist"
            );
        }
    }
}

/// The lessons' verdicts of the reference reports, tallied per report from
/// reports/index.html's lesson table: report -> [holds, inconclusive, fails].
/// The chapter's Python reports are tallied together as `python/*`.
fn reference_verdicts() -> std::collections::BTreeMap<String, [usize; 3]> {
    let page = fs::read_to_string(root().join("reports/index.html")).unwrap();
    let html = scraper::Html::parse_document(&page);
    let row = scraper::Selector::parse("table.lessons tr").unwrap();
    let cell = scraper::Selector::parse("td").unwrap();
    let mut tally = std::collections::BTreeMap::new();
    for tr in html.select(&row) {
        let cells: Vec<String> = tr
            .select(&cell)
            .map(|c| c.text().collect::<String>().trim().to_string())
            .collect();
        let (Some(word), Some(report)) = (cells.first(), cells.last()) else {
            continue;
        };
        let column = match word.as_str() {
            "holds" => 0,
            "inconclusive" => 1,
            "fails" => 2,
            other => panic!("a verdict the README's table has no column for: {other}"),
        };
        let name = if report.starts_with("python") {
            "python/*".to_string()
        } else {
            report.clone()
        };
        tally.entry(name).or_insert([0; 3])[column] += 1;
    }
    tally
}

#[test]
fn the_readmes_table_of_experiments_holds_the_reference_reports_verdicts() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("The experiments and the book"))
        .expect("a section \"The experiments and the book\"");
    let mut table = std::collections::BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let name = cells[0].trim_matches('`').to_string();
        let counts: Vec<usize> = cells[cells.len() - 1]
            .split('/')
            .map(|n| n.trim().parse().unwrap())
            .collect();
        table.insert(name, [counts[0], counts[1], counts[2]]);
    }
    let mut shipped: Vec<String> = toml_files(&root().join("experiments"))
        .iter()
        .filter(|p| p.parent().unwrap().ends_with("experiments"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    shipped.push("python/*".into());
    shipped.sort();
    let listed: Vec<String> = table.keys().cloned().collect();
    assert_eq!(
        listed, shipped,
        "the README's table lists every shipped experiment"
    );
    let reports = reference_verdicts();
    for (name, counts) in &table {
        let measured = reports.get(name).copied().unwrap_or([0; 3]);
        assert_eq!(
            *counts, measured,
            "{name}: the README says holds/inconclusive/fails {counts:?}, reports/index.html {measured:?}"
        );
    }
}

#[test]
fn the_key_reference_in_the_docs_is_the_registrys() {
    let page = fs::read_to_string(root().join("docs/experiment-files.md")).unwrap();
    let begin = "<!-- BEGIN runner schema --markdown -->\n";
    let end = "<!-- END runner schema --markdown -->";
    let start = page.find(begin).expect("the begin marker") + begin.len();
    let stop = page.find(end).expect("the end marker");
    let printed = stdout(&["schema", "--markdown"]);
    assert!(
        page[start..stop] == printed,
        "docs/experiment-files.md's reference differs from `runner schema --markdown`: paste its output between the markers"
    );
    // Every parameter is in it, with its default.
    for key in ["workers", "chunksize", "check_every", "queue_host"] {
        assert!(printed.contains(&format!("| `{key}` |")), "{key}");
    }
}

#[test]
fn every_exit_status_of_help_is_in_the_docs() {
    let help = stdout(&["--help"]);
    let table = help
        .split("Exit status:")
        .nth(1)
        .expect("--help has an exit status table");
    let codes: Vec<&str> = table
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert!(codes.len() >= 8, "{codes:?}");
    let page = fs::read_to_string(root().join("docs/command-line.md")).unwrap();
    for code in codes {
        assert!(
            page.contains(&format!("| `{code}` |")),
            "exit status {code} is not in docs/command-line.md"
        );
    }
}

#[test]
fn completions_and_the_man_page_are_printed() {
    let bash = stdout(&["completions", "bash"]);
    assert!(bash.contains("_runner()"), "{bash}");
    assert!(bash.contains("complete -F _runner"), "{bash}");
    // Every subcommand completes (clap_complete's bash script lists the
    // hidden ones too).
    for sub in [
        "run",
        "check",
        "report",
        "compare",
        "worker",
        "schema",
        "completions",
    ] {
        assert!(bash.contains(&format!("runner,{sub})")), "{sub}");
    }
    assert!(stdout(&["completions", "zsh"]).starts_with("#compdef runner"));
    assert!(stdout(&["completions", "fish"]).contains("complete -c runner"));
    runner()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("possible values"));
    let man = stdout(&["man"]);
    assert!(man.contains(".TH runner 1"), "{man}");
    assert!(man.contains(".SH NAME"), "{man}");
}

#[test]
fn version_names_the_commit_of_a_checkout() {
    let version = stdout(&["--version"]);
    let expected = format!("runner {}", env!("CARGO_PKG_VERSION"));
    assert!(version.starts_with(&expected), "{version}");
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .output()
            .is_ok_and(|out| out.status.success())
    };
    if !(root().join(".git").exists() && git(&["rev-parse", "HEAD"])) {
        // Without git or a checkout the version stands alone.
        assert_eq!(version.trim(), expected);
        return;
    }
    let hash = version
        .split("(commit ")
        .nth(1)
        .and_then(|rest| rest.split([',', ')']).next())
        .unwrap_or_else(|| panic!("{version} names no commit"));
    assert!(
        hash.len() >= 7 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        "{version}"
    );
    // The commit the binary was built from: HEAD, or an ancestor of it when
    // a commit was made since the build.
    assert!(
        git(&["merge-base", "--is-ancestor", hash, "HEAD"]),
        "{version} names no commit of this checkout's history"
    );
}
