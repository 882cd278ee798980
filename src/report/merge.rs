//! Joining the reports of shards (`--shard k/n`) into the reports one run
//! would have written: cases are put back in suite order and every verdict
//! is rolled up again from the merged cases, with the same rules.
//!
//! The shards are read with their cases spooled ([`super::read`]): like a
//! run, a merge holds only what the rendered formats read, and reads each
//! case whole again from the spool, one at a time, to roll it up.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate};

use super::model::*;
use super::read::SpooledCountry;
use super::spool::{SpoolReader, SpooledReport, suite_parts};
use crate::profile::{Waiver, WaiverTarget};
use crate::suite::{Level, Requirement, Requirements, SourceRef};
use crate::verdict::{RollUpBuilder, Waivers, exit_code};

/// Merge the reports of one country from several shards, their cases in `spool`.
pub fn merge_country(
    parts: Vec<SpooledCountry>,
    spool: &Arc<SpoolReader>,
) -> Result<SpooledReport, String> {
    // A shard is complete when all it left out was other shards' cases.
    let whole = |r: &CountryReport| {
        r.complete
            || r.shard.is_some()
                && r.incomplete_reason
                    .as_deref()
                    .is_some_and(is_selection_reason)
    };
    let complete = parts.iter().all(|p| whole(&p.report));
    let mut parts = parts.into_iter();
    let SpooledCountry {
        report: mut merged,
        mut cases,
    } = parts.next().ok_or("nothing to merge")?;
    for SpooledCountry {
        report: part,
        cases: part_cases,
    } in parts
    {
        if part.country.code != merged.country.code {
            return Err(format!(
                "reports of {} and {} cannot be merged",
                merged.country.code, part.country.code
            ));
        }
        if part.harness.version != merged.harness.version {
            return Err(format!(
                "{} reports come from harness versions {} and {}",
                merged.country.code, merged.harness.version, part.harness.version
            ));
        }
        if part.suites.len() != merged.suites.len()
            || part
                .suites
                .iter()
                .zip(&merged.suites)
                .any(|(a, b)| a.id != b.id)
        {
            return Err(format!(
                "{} reports cover different suites: not shards of one plan",
                merged.country.code
            ));
        }
        for (into, from) in cases.iter_mut().zip(part_cases) {
            into.extend(from);
        }
        merged.started_at = earliest(&merged.started_at, &part.started_at);
        merged.finished_at = latest(&merged.finished_at, &part.finished_at);
        merged.strict |= part.strict;
        for r in part.requirements {
            if !merged.requirements.iter().any(|m| m.id == r.id) {
                merged.requirements.push(r);
            }
        }
    }
    for suite in &mut cases {
        // Back into the order of the suite file; the repetitions of one case share a shard and keep their order.
        suite.sort_by_key(|c| position(&c.kept.location));
    }
    let today = DateTime::parse_from_rfc3339(&merged.started_at)
        .map(|d| d.date_naive())
        .map_err(|e| format!("started_at: {e}"))?;
    let mut reqs = requirements_of(&merged.requirements);
    reqs.domains = merged
        .domains
        .iter()
        .map(|d| (d.domain.clone(), d.title.clone()))
        .collect();
    merged.complete = complete;
    let waivers = waivers_of(&merged.waivers)?;
    let waivers = Waivers {
        list: &waivers,
        today,
    };
    let suite_requirements: BTreeMap<String, Vec<String>> = merged
        .suites
        .iter()
        .map(|s| (s.id.clone(), s.requirements.clone()))
        .collect();
    // Every case whole again, in the merged order, one at a time.
    let mut builder = RollUpBuilder::new(
        merged.suites.iter().map(|s| s.id.as_str()),
        &suite_requirements,
    );
    let mut window = spool.window();
    let mut at = 0;
    for (suite, suite_cases) in merged.suites.iter().zip(&cases) {
        for spooled in suite_cases {
            let json = window
                .read(spooled.json)
                .map_err(|e| format!("cannot read the spooled cases: {e}"))?;
            let case: CaseRecord = serde_json::from_slice(json)
                .map_err(|e| format!("a spooled case cannot be read back: {e}"))?;
            builder.case(at, &suite.id, &case, &reqs, &waivers);
            at += 1;
        }
    }
    let rolled = builder.finish(&reqs, &waivers);
    merged.requirements = rolled.requirements;
    merged.domains = rolled.domains;
    merged.verdict = rolled.verdict;
    merged.musts_waived = rolled.musts_waived;
    merged.waivers = rolled.waivers;
    merged.duration_ms = duration(&merged.started_at, &merged.finished_at);
    merged.shard = None;
    if merged.complete {
        merged.incomplete_reason = None;
    }
    let (mut json, mut junit) = (Vec::new(), Vec::new());
    for (suite, suite_cases) in merged.suites.iter_mut().zip(cases) {
        let (with_findings, spans, lines) = suite_parts(suite_cases);
        suite.cases = with_findings;
        json.push(spans);
        junit.push(lines);
    }
    Ok(SpooledReport {
        report: merged,
        json,
        junit,
        spool: spool.clone(),
    })
}

fn is_selection_reason(r: &str) -> bool {
    r.starts_with("a selection")
}

fn position(location: &str) -> (u64, u64) {
    let mut parts = location.rsplit(':');
    let col = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    let line = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
    (line, col)
}

fn earliest(a: &str, b: &str) -> String {
    match (
        DateTime::parse_from_rfc3339(a),
        DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(x), Ok(y)) if y < x => b.to_string(),
        _ => a.to_string(),
    }
}

fn latest(a: &str, b: &str) -> String {
    match (
        DateTime::parse_from_rfc3339(a),
        DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(x), Ok(y)) if y > x => b.to_string(),
        _ => a.to_string(),
    }
}

fn duration(a: &str, b: &str) -> u64 {
    match (
        DateTime::parse_from_rfc3339(a),
        DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(x), Ok(y)) => (y - x).num_milliseconds().max(0) as u64,
        _ => 0,
    }
}

/// The catalogue entries a report carries are enough to roll up again.
pub(crate) fn requirements_of(records: &[RequirementRecord]) -> Requirements {
    let mut reqs = Requirements::default();
    for r in records {
        let level = Level::parse(&r.level).unwrap_or(Level::Must);
        let source: SourceRef = serde_json::from_value(r.source.clone()).unwrap_or_default();
        reqs.by_id.insert(
            r.id.clone(),
            Requirement {
                id: r.id.clone(),
                domain: r.domain.clone(),
                level,
                statement: r.statement.clone(),
                source,
                label: None,
                note: None,
                loc: None,
            },
        );
    }
    reqs
}

fn waivers_of(records: &[WaiverRecord]) -> Result<Vec<Waiver>, String> {
    records
        .iter()
        .map(|w| {
            let expires = NaiveDate::parse_from_str(&w.expires, "%Y-%m-%d")
                .map_err(|e| format!("waiver expiry `{}`: {e}", w.expires))?;
            let target = if w.target.contains('/') {
                WaiverTarget::Case(w.target.clone())
            } else {
                WaiverTarget::Requirement(w.target.clone())
            };
            let loc = crate::diag::Loc {
                file: "report".into(),
                line: 0,
                col: 0,
            };
            Ok(Waiver {
                target,
                reason: w.reason.clone(),
                owner: w.owner.clone(),
                expires,
                loc,
            })
        })
        .collect()
}

/// The run summary over merged country reports.
pub fn run_of(reports: &[&CountryReport], runs: &[RunReport]) -> RunReport {
    let strict = runs.iter().any(|r| r.strict) || reports.iter().any(|r| r.strict);
    let complete = runs.iter().all(|r| r.complete);
    let verdicts: Vec<Conformance> = reports.iter().map(|r| r.verdict).collect();
    let started = reports
        .iter()
        .map(|r| r.started_at.clone())
        .reduce(|a, b| earliest(&a, &b))
        .unwrap_or_default();
    let finished = reports
        .iter()
        .map(|r| r.finished_at.clone())
        .reduce(|a, b| latest(&a, &b))
        .unwrap_or_default();
    RunReport {
        format: RUN_FORMAT.into(),
        harness: reports
            .first()
            .map(|r| r.harness.clone())
            .unwrap_or_else(Harness::current),
        started_at: started,
        finished_at: finished,
        complete,
        strict,
        shard: None,
        exit_code: exit_code(&verdicts, !complete, strict),
        countries: reports.iter().map(|r| RunCountry::of(r)).collect(),
    }
}
