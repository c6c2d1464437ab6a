//! A run records the machine's state at its start and end in the
//! manifest, and the report shows a "Machine state" note whose warnings
//! come from that record alone, so `runner report` on a saved folder shows
//! the same; a manifest from before the record still loads.

use std::fs;
use std::path::Path;

use crate::common::{Exp, manifest, runner};

/// The text of the page's machine state note, if it has one.
fn note(dir: &Path) -> Option<String> {
    let page = fs::read_to_string(dir.join("index.html")).unwrap();
    let doc = scraper::Html::parse_document(&page);
    let selector = scraper::Selector::parse("div.machine-state").unwrap();
    doc.select(&selector).next().map(|e| e.text().collect())
}

#[test]
fn the_state_is_recorded_at_start_and_end_and_shown_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let file = Exp::small("small").write(dir.path());
    let out = dir.path().join("reports");
    runner()
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let report = out.join("small");
    let recorded = manifest(&report);
    for moment in ["start", "end"] {
        let state = &recorded["machine_state"][moment];
        assert!(state.is_object(), "{moment}: {state}");
        // Whatever this machine exposes, every fact is there, known or null.
        for fact in ["governors", "boost", "load", "cpu_quota", "busy"] {
            assert!(state.get(fact).is_some(), "{moment}.{fact}");
        }
    }
    let shown = note(&report).expect("a machine state note");
    assert!(shown.contains("Machine state"), "{shown}");
    assert!(shown.contains("at the start: "), "{shown}");
    assert!(shown.contains("at the end: "), "{shown}");
    assert!(shown.contains("changes nothing on the system"), "{shown}");

    // The warnings come from the manifest: a busy process written into it
    // is named when the report is redrawn.
    let mut edited = recorded.clone();
    edited["machine_state"]["start"]["busy"] =
        serde_json::json!([{ "pid": 123, "name": "stress", "percent": 95.0 }]);
    fs::write(
        report.join("manifest.json"),
        serde_json::to_vec_pretty(&edited).unwrap(),
    )
    .unwrap();
    runner().arg("report").arg(&report).assert().success();
    let shown = note(&report).unwrap();
    assert!(
        shown.contains(
            "another busy process: `stress` (pid 123) used 95% of a core; figures are less \
             reliable: stop it or run again later"
        ),
        "{shown}"
    );

    // A manifest from before the state was recorded still loads; its page
    // has no note.
    let mut old = recorded;
    old.as_object_mut().unwrap().remove("machine_state");
    fs::write(
        report.join("manifest.json"),
        serde_json::to_vec_pretty(&old).unwrap(),
    )
    .unwrap();
    runner().arg("report").arg(&report).assert().success();
    assert_eq!(note(&report), None);
}
