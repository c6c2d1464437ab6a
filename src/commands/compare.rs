//! `runner compare BEFORE AFTER`: read two saved runs, match and compare
//! their cases, print the Markdown table, optionally write it with a chart
//! and a page, and give the exit status a CI gate reads.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use crate::cli::CompareArgs;
use crate::compare::{Report, chart, page, table};
use crate::console;
use crate::exit;
use crate::output::files::{FileError, is_temp_name, remove_if_present};
use crate::output::folder::INDEX_MARKER;
use crate::output::write_atomic;
use crate::report::data::RunData;

/// The files a comparison writes into `--out`, and the only ones it will
/// find there without refusing the folder.
const OUT_FILES: [&str; 3] = ["compare.md", "compare.png", "index.html"];

/// Compares the two report folders `args` names.
pub fn compare(args: &CompareArgs) -> ExitCode {
    match run(args) {
        Ok(code) => ExitCode::from(code),
        Err((code, message)) => {
            console::error(&format!("error: {message}"));
            ExitCode::from(code)
        }
    }
}

fn run(args: &CompareArgs) -> Result<u8, (u8, String)> {
    let bad = |message: String| (exit::BAD_INPUT, message);
    let before = read(&args.before, "BEFORE").map_err(bad)?;
    let after = read(&args.after, "AFTER").map_err(bad)?;
    // A quick run cuts each range to 1% and swaps big numbers for stand-ins:
    // its cases keep their names but not their work.
    if before.manifest.quick != after.manifest.quick {
        let (quick, full) = match before.manifest.quick {
            true => (&args.before, &args.after),
            false => (&args.after, &args.before),
        };
        return Err(bad(format!(
            "{} is a --quick run (each range cut to its first 1%, big numbers replaced by \
             stand-ins) and {} a full one: their cases are different work\n  = help: \
             compare two full runs, or two quick ones",
            quick.display(),
            full.display()
        )));
    }
    let report = match args.on.is_empty() {
        true => Report::of(&before, &after).map_err(|e| bad(e.to_string()))?,
        false => Report::across(&before, &after, &args.on).map_err(bad)?,
    };
    let text = table::markdown(&report);
    // A closed pipe loses only the text: the files and the status stand.
    console::out(text.trim_end());
    if let Some(out) = &args.out {
        write_out(out, &report, &text)?;
        console::error(&format!("wrote {}", out.join("index.html").display()));
    }
    let Some(percent) = args.fail_above else {
        return Ok(exit::OK);
    };
    let slower = report.regressions(percent);
    if slower.is_empty() {
        return Ok(exit::OK);
    }
    let names: Vec<String> = slower.iter().map(|m| m.label.clone()).collect();
    console::error(&format!(
        "error: {} case(s) slower by more than {percent}% beyond the noise (the 95% interval's lower bound above {:.4}): {}",
        slower.len(),
        1.0 + percent / 100.0,
        names.join("; ")
    ));
    Ok(exit::CASE_FAILED)
}

/// Reads one side, saying which side and what to do when it is not a report.
fn read(dir: &Path, side: &str) -> Result<RunData, String> {
    if !dir.exists() {
        return Err(format!(
            "{side} folder {} does not exist\n  = help: name a report folder a run wrote, e.g. reports/chunksize",
            dir.display()
        ));
    }
    if !dir.join("manifest.json").is_file() {
        return Err(format!(
            "{side} folder {} is not a report folder (it has no manifest.json)\n  = help: name the folder of one experiment's report, e.g. reports/chunksize, not the folder of reports",
            dir.display()
        ));
    }
    RunData::read(dir, None).map_err(|e| {
        format!(
            "{side} folder {}: {e:#}\n  = help: the report's files must be as the run wrote them; run the experiment again to get a whole report",
            dir.display()
        )
    })
}

/// Writes compare.md, compare.png and index.html into `out`, refusing a
/// folder that holds anything else, so nobody's files are overwritten.
fn write_out(out: &Path, report: &Report, text: &str) -> Result<(), (u8, String)> {
    let io = |e: FileError| (exit::IO, e.to_string());
    fs::create_dir_all(out).map_err(|e| io(FileError::new("create", out, e)))?;
    let entries = fs::read_dir(out).map_err(|e| io(FileError::new("read", out, e)))?;
    let mut foreign: Vec<String> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io(FileError::new("read", out, e)))?;
        let name = entry.file_name().to_string_lossy().to_string();
        let ours = OUT_FILES.contains(&name.as_str()) || is_temp_name(&name);
        if !ours || (name == "index.html" && !is_our_page(&entry.path())) {
            foreign.push(name);
        }
    }
    if !foreign.is_empty() {
        foreign.sort();
        return Err((
            exit::BAD_INPUT,
            format!(
                "{} holds files runner compare did not write ({}); nothing was written there\n  = help: choose an empty or new folder for --out",
                out.display(),
                foreign.join(", ")
            ),
        ));
    }
    let png = chart::png(report).map_err(|e| (exit::INTERNAL, format!("compare.png: {e:#}")))?;
    let size = png.as_ref().map(|_| page::ChartSize {
        width: chart::WIDTH,
        height: chart::height(report.compared()),
    });
    let html =
        page::html(report, size).map_err(|e| (exit::INTERNAL, format!("index.html: {e:#}")))?;
    write_atomic(&out.join("compare.md"), text.as_bytes(), false).map_err(io)?;
    match &png {
        Some(bytes) => write_atomic(&out.join("compare.png"), bytes, false).map_err(io)?,
        // No chart this time: an earlier one would show other data.
        None => remove_if_present(&out.join("compare.png")).map_err(io)?,
    }
    write_atomic(&out.join("index.html"), html.as_bytes(), false).map_err(io)
}

/// Whether the page at `path` is one runner wrote.
fn is_our_page(path: &Path) -> bool {
    fs::read_to_string(path).is_ok_and(|page| page.contains(INDEX_MARKER))
}
