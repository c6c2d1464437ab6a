//! Reports: every chart of every shipped experiment is a legible PNG, every
//! page parses and links only to files that exist, and `runner report`
//! redraws the same bytes from the saved data without running anything.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use predicates::str::contains;

use crate::common::{Csv, Exp, Raw, RedisServer, experiment, runner};

/// Decodes a PNG and checks it is the size the page says and not blank.
fn assert_legible_png(path: &Path, width: u32, height: u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(fs::File::open(path).unwrap()));
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(
        (info.width, info.height),
        (width, height),
        "{}",
        path.display()
    );
    let colours: BTreeSet<&[u8]> = pixels.chunks(3).collect();
    let inked = pixels.chunks(3).filter(|p| *p != [255, 255, 255]).count();
    assert!(
        colours.len() >= 20,
        "{}: only {} colours",
        path.display(),
        colours.len()
    );
    assert!(
        inked * 100 > pixels.len() / 3,
        "{}: almost blank",
        path.display()
    );
    assert!(
        fs::metadata(path).unwrap().len() < 300_000,
        "{} is too large",
        path.display()
    );
}

/// Parses a page; checks every local link and image exists and no template
/// syntax leaked. Returns the number of images.
fn assert_page_is_whole(page: &Path) -> usize {
    let html = fs::read_to_string(page).unwrap();
    assert!(
        !html.contains("{{") && !html.contains("{%"),
        "{}: template syntax leaked",
        page.display()
    );
    let doc = scraper::Html::parse_document(&html);
    assert!(doc.errors.len() < 5, "{}: {:?}", page.display(), doc.errors);
    let dir = page.parent().unwrap();
    let mut images = 0;
    for (selector, attr) in [("img", "src"), ("a", "href")] {
        for element in doc.select(&scraper::Selector::parse(selector).unwrap()) {
            let target = element.value().attr(attr).unwrap();
            assert!(
                !target.starts_with("http"),
                "{}: external {target}",
                page.display()
            );
            // A link to a section of a page needs the page, and the section.
            let (file, section) = target.split_once('#').unwrap_or((target, ""));
            assert!(
                dir.join(file).exists(),
                "{}: {target} does not exist",
                page.display()
            );
            if !section.is_empty() {
                // "#id" is a section of this very page.
                let linked = match file {
                    "" => html.clone(),
                    file => fs::read_to_string(dir.join(file)).unwrap(),
                };
                assert!(
                    linked.contains(&format!("id=\"{section}\"")),
                    "{}: {target} has no such section",
                    page.display()
                );
            }
            if selector == "img" {
                images += 1;
                let w = element.value().attr("width").unwrap().parse().unwrap();
                let h = element.value().attr("height").unwrap().parse().unwrap();
                assert_legible_png(&dir.join(target), w, h);
            }
        }
    }
    images
}

fn report_dirs(out: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_experiment_runs_and_reports() {
    let server = RedisServer::start();
    let out = tempfile::tempdir().unwrap();
    let mut cmd = runner();
    if let Some(server) = &server {
        cmd.env("REDIS_URL", server.url());
    }
    cmd.arg("experiments")
        .arg("--quick")
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();

    let dirs = report_dirs(out.path());
    assert_eq!(
        dirs.len(),
        // experiments/python/ is a folder of its own, not run with the rest.
        fs::read_dir("experiments")
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "toml"))
            .count(),
        "one report per experiment"
    );
    for dir in &dirs {
        let results = Csv::read(&dir.join("results.csv"));
        // Without a server (and only then) the cases that need Redis are skipped.
        let allowed: &[&str] = if server.is_some() {
            &["ok"]
        } else {
            &["ok", "skipped"]
        };
        assert!(
            results.column("status").iter().all(|s| allowed.contains(s)),
            "{}",
            dir.display()
        );
        let images = assert_page_is_whole(&dir.join("index.html"));
        assert!(images >= 1, "{} has no chart", dir.display());
    }
    assert_page_is_whole(&out.path().join("index.html"));
    let index =
        scraper::Html::parse_document(&fs::read_to_string(out.path().join("index.html")).unwrap());
    let links: BTreeSet<String> = index
        .select(&scraper::Selector::parse("a").unwrap())
        .filter_map(|a| a.value().attr("href").map(String::from))
        .collect();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy();
        assert!(
            links.contains(&format!("{name}/index.html")),
            "the index misses {name}"
        );
    }

    // Redrawing from the saved data gives the same bytes.
    let before: Vec<_> = dirs.iter().map(|d| snapshot(d)).collect();
    runner().arg("report").arg(out.path()).assert().success();
    let after: Vec<_> = dirs.iter().map(|d| snapshot(d)).collect();
    assert!(before == after, "a redraw changed a file");
}

/// [`Exp::small`] with a title, 3 repeats, no warm-up and four chunksizes;
/// without a chart.
fn uncharted() -> Exp {
    Exp::small("small")
        .top("title", "A small sweep")
        .repeats(3, 0)
        .sweep("chunksize", Raw(r#"[1, 10, 100, "default"]"#))
}

/// The chart of [`small`]: time by chunksize, a line per worker count.
const CHART: &str = r#"
[[chart]]
x = "chunksize"
series = "workers"
log_x = true
title = "First title"
"#;

/// [`uncharted`] with [`CHART`].
fn small() -> Exp {
    uncharted().then(CHART)
}

fn small_report(dir: &Path) -> PathBuf {
    let file = small().write(dir);
    let out = dir.join("reports");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    out.join("small")
}

#[test]
fn a_copied_report_folder_redraws_without_running() {
    let dir = tempfile::tempdir().unwrap();
    let report = small_report(dir.path());
    let original = snapshot(&report);
    let copy = dir.path().join("elsewhere/small");
    fs::create_dir_all(&copy).unwrap();
    for (name, bytes) in &original {
        if name.ends_with(".csv") || name.ends_with(".json") || name.ends_with(".toml") {
            fs::write(copy.join(name), bytes).unwrap();
        }
    }
    runner().arg("report").arg(&copy).assert().success();
    assert_eq!(snapshot(&copy), original, "the same files, byte for byte");
    let page = fs::read_to_string(copy.join("index.html")).unwrap();
    // Either ranking is right, by the data: a fastest case, or none beyond
    // the noise (a loaded machine blurs two chunksizes).
    let ranked = page.contains("Fastest: ") || page.contains("no case of this chart is faster");
    assert!(
        ranked && page.contains("The default chunksize"),
        "findings are computed"
    );
    assert!(copy.parent().unwrap().join("index.html").exists());
}

#[test]
fn a_broken_csv_is_reported_and_the_report_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let report = small_report(dir.path());
    let before = snapshot(&report);
    fs::write(report.join("summary.csv"), "not,a\nrunner,file\n").unwrap();
    runner()
        .arg("report")
        .arg(&report)
        .assert()
        .code(2)
        .stderr(contains("summary.csv is not a file runner wrote"))
        .stderr(contains("left as it was"));
    fs::remove_file(report.join("summary.csv")).unwrap();
    runner()
        .arg("report")
        .arg(&report)
        .assert()
        .code(2)
        .stderr(contains("cannot read"));
    let after = snapshot(&report);
    let unchanged =
        |name: &str| before.iter().find(|f| f.0 == name) == after.iter().find(|f| f.0 == name);
    assert!(unchanged("index.html") && unchanged("chart1.png"));
}

#[test]
fn a_newer_experiment_file_restyles_the_charts() {
    let dir = tempfile::tempdir().unwrap();
    let report = small_report(dir.path());
    let restyled = small().toml().replace(
        "title = \"First title\"",
        "title = \"Second title\"\nlog_y = true",
    ) + "[[chart]]\nkind = \"bars\"\nx = \"workers\"\ny = \"speedup\"\n";
    let file = experiment(dir.path(), "restyled", &restyled);
    runner()
        .arg("report")
        .arg(&report)
        .arg("--experiment")
        .arg(&file)
        .assert()
        .success();
    let page = fs::read_to_string(report.join("index.html")).unwrap();
    assert!(page.contains("Second title") && !page.contains("First title"));
    assert!(report.join("chart2.png").exists());
    assert_page_is_whole(&report.join("index.html"));
}

/// The findings of the page's charts, in order, one list per chart.
fn chart_findings(page: &Path) -> Vec<Vec<String>> {
    let html = fs::read_to_string(page).unwrap();
    let doc = scraper::Html::parse_document(&html);
    let figure = scraper::Selector::parse("figure").unwrap();
    let item = scraper::Selector::parse("li").unwrap();
    doc.select(&figure)
        .map(|f| {
            f.select(&item)
                .map(|li| li.text().collect::<String>())
                .collect()
        })
        .collect()
}

/// Findings follow what a chart plots, not its kind; a
/// speedup drawn as horizontal bars is not a histogram of factors.
#[test]
fn hbars_of_a_speedup_get_speedup_findings() {
    let dir = tempfile::tempdir().unwrap();
    let file = small()
        .then("[[chart]]\nkind = \"hbars\"\nx = \"chunksize\"\ny = \"speedup\"\nfilter = { workers = 2 }")
        .write(dir.path());
    let out = dir.path().join("reports");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let findings = chart_findings(&out.join("small/index.html"));
    // The two declared charts, then the steadiness chart every report ends with.
    assert_eq!(findings.len(), 3, "{findings:?}");
    assert!(findings[2][0].starts_with("The machine"), "{findings:?}");
    assert!(
        findings[1][0].starts_with("Highest speedup"),
        "{findings:?}"
    );
    assert!(
        !findings
            .concat()
            .iter()
            .any(|f| f.contains("smallest factor")),
        "{findings:?}"
    );
}

/// Cases on the same range have the same histogram; the
/// chart shows it once per range and its caption counts each non-prime once.
#[test]
fn factor_histograms_are_drawn_per_range_never_summed() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
name = "factors"
[workload]
kind = "factor_frequency"
[run]
repeats = 1
warmup = 0
[sweep]
range = [[3, 40], [3, 1000]]
strategy = ["serial", "pool"]
workers = [2]
chunksize = [3]
"#;
    let file = experiment(dir.path(), "factors", text);
    let out = dir.path().join("reports");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    // Non-primes in [3, 40): 37 numbers, 11 of them prime; in [3, 1000): 997, 167 prime.
    let findings = chart_findings(&out.join("factors/index.html"));
    assert_eq!(findings.len(), 1, "{findings:?}");
    let sentences = &findings[0];
    assert_eq!(sentences.len(), 2, "one histogram per range: {sentences:?}");
    assert!(sentences[0].starts_with("[3, 40): "), "{sentences:?}");
    assert!(
        sentences[0].contains(" among 26 non-primes"),
        "{sentences:?}"
    );
    assert!(sentences[1].starts_with("[3, 1000): "), "{sentences:?}");
    assert!(
        sentences[1].contains(" among 830 non-primes"),
        "{sentences:?}"
    );

    // With a series, each range still gets its own histogram.
    let text = text.to_string()
        + "[[chart]]\nkind = \"hbars\"\nx = \"factor\"\ny = \"count\"\nseries = \"strategy\"\n";
    let file = experiment(dir.path(), "factors", &text);
    runner()
        .arg("report")
        .arg(out.join("factors"))
        .arg("--experiment")
        .arg(&file)
        .assert()
        .success();
    let findings = chart_findings(&out.join("factors/index.html"));
    let sentences = &findings[0];
    assert_eq!(sentences.len(), 4, "{sentences:?}");
    assert!(
        sentences[0].starts_with("serial, [3, 40): "),
        "{sentences:?}"
    );
    assert!(
        sentences[0].contains(" among 26 non-primes"),
        "{sentences:?}"
    );
    assert!(
        sentences
            .iter()
            .all(|s| !s.contains(" among 856 non-primes"))
    );
}

/// Runs `runner report` on `report` and checks it is refused with `message`
/// and leaves every file as it was.
fn assert_refused(report: &Path, extra: &[&Path], message: &str) {
    let before = snapshot(report);
    let mut cmd = runner();
    cmd.arg("report").arg(report);
    for arg in extra {
        cmd.arg(arg);
    }
    cmd.assert()
        .code(2)
        .stderr(contains(message))
        .stderr(contains("left as it was"));
    assert!(
        snapshot(report) == before,
        "a refused report changed a file"
    );
}

/// `--experiment` may restyle the charts of a run, never
/// retitle another experiment's data as its own.
#[test]
fn report_refuses_an_experiment_file_of_another_run() {
    let dir = tempfile::tempdir().unwrap();
    let report = small_report(dir.path());
    let flag = Path::new("--experiment");
    let cases = [
        (small().renamed("other"), "its name is \"other\""),
        (
            small().sweep("workers", [1, 4]),
            "it sweeps workers = [1, 4]",
        ),
        (
            uncharted()
                .unsweep("chunksize")
                .sweep("order", ["given", "shuffled"])
                .then("[[chart]]\nx = \"order\"\nseries = \"workers\"\ntitle = \"First title\""),
            "the run swept workers = [1, 2]; chunksize",
        ),
        (small().range(1_000, 30_000), "range or [run] strategy"),
        (
            Exp::of("check_cost", "small").range(10, 100),
            "its workload is check_cost",
        ),
    ];
    for (i, (exp, message)) in cases.iter().enumerate() {
        let file = experiment(dir.path(), &format!("other{i}"), &exp.toml());
        assert_refused(&report, &[flag, &file], message);
    }
    // Presentation alone may change.
    let restyled = small().top("title", "Another title");
    let file = experiment(dir.path(), "restyled", &restyled.toml());
    runner()
        .arg("report")
        .arg(&report)
        .arg(flag)
        .arg(&file)
        .assert()
        .success();
}

/// A summary that lost its rows or holds words where
/// numbers belong is refused, and the good page stays.
#[test]
fn report_refuses_a_summary_that_does_not_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let report = small_report(dir.path());
    let good = fs::read_to_string(report.join("summary.csv")).unwrap();
    let header = good.lines().next().unwrap().to_string() + "\n";
    fs::write(report.join("summary.csv"), &header).unwrap();
    assert_refused(&report, &[], "has 0 case rows but");
    assert_refused(&report, &[], "says 8 cases finished");

    let column = header.split(',').position(|c| c == "best_s").unwrap();
    let mut lines: Vec<String> = good.lines().map(String::from).collect();
    let mut cells: Vec<&str> = lines[2].split(',').collect();
    cells[column] = "fast";
    lines[2] = cells.join(",");
    fs::write(report.join("summary.csv"), lines.join("\n") + "\n").unwrap();
    assert_refused(
        &report,
        &[],
        "summary.csv: line 3, column best_s: \"fast\" is not a number",
    );
}

/// "How to reproduce" shows the command as typed, every
/// option kept and paths with spaces quoted, and the folder the run wrote.
#[test]
fn how_to_reproduce_shows_the_exact_command_and_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = small().write(dir.path());
    let out = dir.path().join("my reports");
    runner()
        .arg(&file)
        .args(["--repeats", "2", "--seed", "7", "--warmup", "0", "--out"])
        .arg(&out)
        .assert()
        .success();
    let page = fs::read_to_string(out.join("small/index.html")).unwrap();
    let doc = scraper::Html::parse_document(&page);
    let text = |selector: &str| -> Vec<String> {
        doc.select(&scraper::Selector::parse(selector).unwrap())
            .map(|e| e.text().collect())
            .collect()
    };
    let quoted = |p: &Path| format!("'{}'", p.display());
    assert!(!file.display().to_string().contains(['\'', ' ']));
    let expected = format!(
        "runner {} --repeats 2 --seed 7 --warmup 0 --out {}",
        file.display(),
        quoted(&out)
    );
    assert!(text("pre").contains(&expected), "{:?}", text("pre"));
    let redraw = format!("runner report {}", quoted(&out.join("small")));
    assert!(text("code").contains(&redraw), "{:?}", text("code"));
}

/// A count that depends on the machine passes `check`,
/// and when no case has it the caption says the filter kept nothing, not
/// that the cases failed.
#[test]
fn a_filter_that_keeps_nothing_is_not_called_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let file = uncharted()
        .sweep("workers", ["physical"])
        .then(&CHART.replace("series = \"workers\"", "filter = { workers = 999 }"))
        .write(dir.path());
    let out = dir.path().join("reports");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let findings = chart_findings(&out.join("small/index.html"));
    assert_eq!(
        findings[0],
        ["No correct case passes this chart's filter, so there is nothing to compare."]
    );
}
