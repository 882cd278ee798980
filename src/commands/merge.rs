//! `conform merge`: join shard reports. Reads JSON only, never re-runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cli::MergeArgs;
use crate::diag::{Diagnostic, Diagnostics};
use crate::report::merge::{merge_country, run_of};
use crate::report::model::{CountryReport, REPORT_FORMAT, RUN_FORMAT, RunReport};
use crate::report::write::write_reports;

/// Every JSON report under the inputs: (country reports, run summaries).
pub fn read_reports(
    inputs: &[PathBuf],
) -> Result<(Vec<CountryReport>, Vec<RunReport>), Diagnostics> {
    let mut files = Vec::new();
    let mut diags = Diagnostics::default();
    for input in inputs {
        if input.is_dir() {
            match std::fs::read_dir(input) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|x| x == "json"))
                        .collect();
                    found.sort();
                    files.extend(found);
                }
                Err(e) => diags.push(Diagnostic::new(format!(
                    "cannot read {}: {e}",
                    input.display()
                ))),
            }
        } else {
            files.push(input.clone());
        }
    }
    let (mut countries, mut runs) = (Vec::new(), Vec::new());
    for file in files {
        match read_one(&file) {
            Ok(Some(Parsed::Country(r))) => countries.push(*r),
            Ok(Some(Parsed::Run(r))) => runs.push(r),
            Ok(None) => {}
            Err(e) => diags.push(Diagnostic::new(e)),
        }
    }
    if diags.is_empty() {
        Ok((countries, runs))
    } else {
        Err(diags)
    }
}

enum Parsed {
    Country(Box<CountryReport>),
    Run(RunReport),
}

fn read_one(path: &Path) -> Result<Option<Parsed>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: not JSON: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    let shown = path.display();
    match value.get("format").and_then(|f| f.as_str()) {
        Some(REPORT_FORMAT) => serde_json::from_value(value)
            .map(|r| Some(Parsed::Country(Box::new(r))))
            .map_err(|e| format!("{shown}: not a valid {REPORT_FORMAT} report: {e}")),
        Some(RUN_FORMAT) => serde_json::from_value(value)
            .map(|r| Some(Parsed::Run(r)))
            .map_err(|e| format!("{shown}: not a valid {RUN_FORMAT} summary: {e}")),
        // Other JSON files (compare output, …) are not reports.
        _ => Ok(None),
    }
}

pub fn run(args: &MergeArgs) -> i32 {
    let (countries, runs) = match read_reports(&args.inputs) {
        Ok(r) => r,
        Err(d) => return super::bad_input(&d),
    };
    if countries.is_empty() {
        return super::bad_input(&Diagnostics(vec![Diagnostic::new(
            "no conform reports found in the inputs",
        )]));
    }
    let mut by_country: BTreeMap<String, Vec<CountryReport>> = BTreeMap::new();
    for r in countries {
        by_country
            .entry(r.country.code.clone())
            .or_default()
            .push(r);
    }
    // Keep the order in which the shards listed their countries.
    let order: Vec<String> = runs
        .first()
        .map(|r| r.countries.iter().map(|c| c.code.clone()).collect())
        .unwrap_or_else(|| by_country.keys().cloned().collect());
    let mut merged = Vec::new();
    let mut diags = Diagnostics::default();
    let rest: Vec<String> = by_country
        .keys()
        .filter(|k| !order.contains(k))
        .cloned()
        .collect();
    for code in order.iter().chain(&rest) {
        if let Some(parts) = by_country.remove(code) {
            match merge_country(parts) {
                Ok(r) => merged.push(r),
                Err(e) => diags.push(Diagnostic::new(e)),
            }
        }
    }
    if !diags.is_empty() {
        return super::bad_input(&diags);
    }
    let run = run_of(&merged, &runs);
    if let Err(e) = write_reports(&args.out, &merged, &run) {
        eprintln!(
            "error: cannot write the reports to {}: {e}",
            args.out.display()
        );
        return 3;
    }
    println!(
        "merged {} report(s) into {}; exit code {}",
        merged.len(),
        args.out.display(),
        run.exit_code
    );
    run.exit_code
}
