//! `conform merge`: join shard reports. Reads JSON only, never re-runs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::cli::MergeArgs;
use crate::diag::{Diagnostic, Diagnostics};
use crate::report::merge::{merge_country, run_of};
use crate::report::model::{CountryReport, REPORT_FORMAT, RUN_FORMAT, RunReport};
use crate::report::read::{SpooledCountry, open};
use crate::report::spool::Spool;
use crate::report::write::write_reports;

/// The reports found under the inputs.
pub struct Shards {
    /// Country reports, their cases written to the spool.
    pub countries: Vec<SpooledCountry>,
    pub runs: Vec<RunReport>,
}

/// Every JSON report under the inputs; `spool` comes back whatever the outcome.
pub fn read_reports(inputs: &[PathBuf], mut spool: Spool) -> (Spool, Result<Shards, Diagnostics>) {
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
        let read = match open(&file) {
            Ok(opened) => match opened.format.as_deref() {
                Some(REPORT_FORMAT) => {
                    let (back, country) = opened.country_spooled(spool);
                    spool = back;
                    country.map(|c| countries.push(c))
                }
                Some(RUN_FORMAT) => opened.run().map(|r| runs.push(r)),
                // Other JSON files (compare output, …) are not reports.
                _ => Ok(()),
            },
            Err(d) => Err(d),
        };
        if let Err(d) = read {
            diags.push(d);
        }
    }
    let result = if diags.is_empty() {
        Ok(Shards { countries, runs })
    } else {
        Err(diags)
    };
    (spool, result)
}

pub fn run(args: &MergeArgs) -> i32 {
    // The cases go to a spool beside the merged reports, as in a run; a
    // folder made for it is removed again if nothing is written.
    let made = !args.out.exists();
    let spool = match Spool::new(&args.out) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot write to {}: {e}", args.out.display());
            return 3;
        }
    };
    let code = merge(args, spool);
    if made && code == super::EXIT_BAD_INPUT {
        let _ = std::fs::remove_dir(&args.out);
    }
    code
}

fn merge(args: &MergeArgs, spool: Spool) -> i32 {
    let (spool, read) = read_reports(&args.inputs, spool);
    let Shards { countries, runs } = match read {
        Ok(r) => r,
        Err(d) => return super::bad_input(&d),
    };
    if countries.is_empty() {
        return super::bad_input(&Diagnostics(vec![Diagnostic::new(
            "no conform reports found in the inputs",
        )]));
    }
    let spool = match spool.finish() {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("error: cannot read back the spooled cases: {e}");
            return 3;
        }
    };
    let mut by_country: BTreeMap<String, Vec<SpooledCountry>> = BTreeMap::new();
    for c in countries {
        by_country
            .entry(c.report.country.code.clone())
            .or_default()
            .push(c);
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
            match merge_country(parts, &spool) {
                Ok(r) => merged.push(r),
                Err(e) => diags.push(Diagnostic::new(e)),
            }
        }
    }
    if !diags.is_empty() {
        return super::bad_input(&diags);
    }
    let views: Vec<&CountryReport> = merged.iter().map(|r| &r.report).collect();
    let run = run_of(&views, &runs);
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
