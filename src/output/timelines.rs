//! The report folder's task files as a run fills them: `tasks.csv` and
//! `workers.csv` are appended as each case finishes (the case rule of
//! [`crate::trace::keep`] applied), and `trace.json`, one JSON document, is
//! written whole (atomically) at the end from each case's events, kept
//! since (bounded: the median repeat's kept tasks).

use std::path::Path;

use super::files::{AppendFile, FileError, write_atomic};
use crate::outcome::CaseResult;
use crate::trace::files::{
    TASKS_CSV, TRACE_JSON, WORKERS_CSV, kept_repeats, task_rows, tasks_header, trace_events,
    trace_json, worker_rows, workers_header,
};

/// The open task files of a report.
#[derive(Default)]
pub struct Timelines {
    tasks: Option<AppendFile>,
    workers: Option<AppendFile>,
    /// Each case's trace events.
    events: Vec<serde_json::Value>,
}

impl Timelines {
    /// Appends a finished case's tasks and workers; returns the names of
    /// files created now (for the manifest's list).
    pub fn record(
        &mut self,
        dir: &Path,
        result: &CaseResult,
    ) -> Result<Vec<&'static str>, FileError> {
        let repeats = kept_repeats(&result.traces);
        let repeats: Vec<_> = repeats.into_iter().filter(|r| r.recorded).collect();
        if repeats.is_empty() {
            return Ok(Vec::new());
        }
        let case = result.case.number;
        let mut created = Vec::new();
        let failed = |file: &str, e: anyhow::Error| {
            FileError::new(
                "write",
                &dir.join(file),
                std::io::Error::other(e.to_string()),
            )
        };
        let rows = task_rows(case, &repeats).map_err(|e| failed(TASKS_CSV, e))?;
        if self.tasks.is_none() {
            self.tasks = Some(AppendFile::create(&dir.join(TASKS_CSV), &tasks_header())?);
            created.push(TASKS_CSV);
        }
        if let Some(file) = self.tasks.as_mut() {
            file.append(&rows)?;
        }
        let rows = worker_rows(case, &repeats).map_err(|e| failed(WORKERS_CSV, e))?;
        if self.workers.is_none() {
            self.workers = Some(AppendFile::create(
                &dir.join(WORKERS_CSV),
                &workers_header(),
            )?);
            created.push(WORKERS_CSV);
        }
        if let Some(file) = self.workers.as_mut() {
            file.append(&rows)?;
        }
        let events = trace_events(case, &result.case.describe(), &repeats);
        self.events.extend(events);
        Ok(created)
    }

    /// Whether any case recorded tasks (then `trace.json` will be written).
    pub fn has_tasks(&self) -> bool {
        self.tasks.is_some()
    }

    /// Writes `trace.json` (if any case recorded tasks) and syncs the CSVs;
    /// returns whether trace.json was written.
    pub fn finish(&self, dir: &Path, sync: bool) -> Result<bool, FileError> {
        for file in [&self.tasks, &self.workers].into_iter().flatten() {
            file.sync()?;
        }
        if self.tasks.is_none() {
            return Ok(false);
        }
        let bytes = trace_json(&self.events).map_err(|e| {
            FileError::new(
                "write",
                &dir.join(TRACE_JSON),
                std::io::Error::other(e.to_string()),
            )
        })?;
        write_atomic(&dir.join(TRACE_JSON), &bytes, sync)?;
        Ok(true)
    }
}
