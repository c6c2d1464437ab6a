//! A validated chart declaration: what to draw, named by CSV columns.

use std::collections::BTreeMap;

use serde::Serialize;

use super::schema::{ChartFormat, ChartKind};

/// The per-case values a chart can plot on its y axis (summary.csv columns).
pub const METRICS: &[&str] = &[
    "best_s",
    "median_s",
    "mean_s",
    "max_s",
    "stddev_s",
    "speedup",
    "efficiency",
];

/// A chart to draw from the results, checked against what the experiment varies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    pub kind: ChartKind,
    /// The parameter along the x axis.
    pub x: String,
    /// The metric along the y axis.
    pub y: String,
    /// The parameter whose values make one series each.
    pub series: Option<String>,
    pub log_x: bool,
    pub log_y: bool,
    pub title: Option<String>,
    /// Only rows whose parameter takes one of the values, as the CSV writes them.
    pub filter: BTreeMap<String, Vec<String>>,
    /// The files to draw it as: one or more formats, in order, each once.
    pub formats: Vec<ChartFormat>,
}
