//! Builds one report per country from the executor's events, as the cases
//! finish: each case is rolled up, its JSON goes to the spool, and only what
//! the rendered formats read stays in memory (see [`super::spool`]).

use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::model::*;
use super::spool::{Spool, Spooled, SpooledReport, suite_parts};
use crate::exec::Event;
use crate::plan::Plan;
use crate::project::Project;
use crate::verdict::{RollUpBuilder, Waivers};

/// Listens to events; keeps each finished case's JSON in the spool.
pub struct Collector {
    /// For each planned position: (country, suite in that country's plan, case).
    slots: Vec<(usize, usize, usize)>,
    /// The position of each country's first case.
    starts: Vec<usize>,
    /// Per country, per planned suite, per planned case.
    finished: Vec<Vec<Vec<Option<Spooled>>>>,
    rollups: Vec<RollUpBuilder>,
    spool: Option<Spool>,
    project: Arc<Project>,
    plan: Arc<Plan>,
    today: chrono::NaiveDate,
    /// The first failure to write the spool; the reports cannot be written.
    failed: Option<io::Error>,
    pub interrupted: bool,
}

impl Collector {
    /// A collector for `plan`, spooling to a file in `dir` (the report folder).
    pub fn new(
        project: Arc<Project>,
        plan: Arc<Plan>,
        dir: &Path,
        today: chrono::NaiveDate,
    ) -> io::Result<Self> {
        let mut slots = Vec::new();
        let mut starts = Vec::new();
        let mut finished = Vec::new();
        let mut rollups = Vec::new();
        for (ci, country) in plan.countries.iter().enumerate() {
            starts.push(slots.len());
            let mut suites = Vec::new();
            for (si, srun) in country.suites.iter().enumerate() {
                slots.extend((0..srun.cases.len()).map(|k| (ci, si, k)));
                suites.push((0..srun.cases.len()).map(|_| None).collect());
            }
            finished.push(suites);
            rollups.push(RollUpBuilder::new(
                country
                    .suites
                    .iter()
                    .map(|s| project.suites[s.suite].id.as_str()),
                &suite_requirements(&project, &plan, ci),
            ));
        }
        Ok(Collector {
            slots,
            starts,
            finished,
            rollups,
            spool: Some(Spool::new(dir)?),
            project,
            plan,
            today,
            failed: None,
            interrupted: false,
        })
    }

    /// Takes the event: the collector is the last listener.
    pub fn on_event(&mut self, event: Event) {
        match event {
            Event::CaseFinished { position, case, .. } => self.finish(position, *case),
            Event::RunFinished { interrupted } => self.interrupted = interrupted,
            _ => {}
        }
    }

    fn finish(&mut self, position: usize, case: CaseRecord) {
        let Some(&(ci, si, k)) = self.slots.get(position) else {
            return;
        };
        let country = &self.plan.countries[ci];
        let suite = &self.project.suites[country.suites[si].suite];
        let waivers = Waivers {
            list: &country.profile.waivers,
            today: self.today,
        };
        // The position within the country orders the roll-up's reasons.
        self.rollups[ci].case(
            position - self.starts[ci],
            &suite.id,
            &case,
            &self.project.requirements,
            &waivers,
        );
        let Some(spool) = self.spool.as_mut() else {
            return;
        };
        match spool.keep(case) {
            Ok(spooled) => self.finished[ci][si][k] = Some(spooled),
            Err(e) => {
                self.failed.get_or_insert(e);
            }
        }
    }

    /// The reports, in the plan's order of countries, suites and cases.
    pub fn reports(self, meta: &RunMeta) -> io::Result<Vec<SpooledReport>> {
        let Collector {
            finished,
            rollups,
            spool,
            project,
            plan,
            failed,
            interrupted,
            today,
            ..
        } = self;
        if let Some(e) = failed {
            return Err(e);
        }
        let spool = Arc::new(
            spool
                .ok_or_else(|| io::Error::other("the spool is gone"))?
                .finish()?,
        );
        let mut out = Vec::new();
        for (country, (finished, rollup)) in
            plan.countries.iter().zip(finished.into_iter().zip(rollups))
        {
            let profile = &country.profile;
            let mut suites = Vec::new();
            let mut json = Vec::new();
            let mut junit = Vec::new();
            let mut missing = 0;
            for (srun, cases) in country.suites.iter().zip(finished) {
                let suite = &project.suites[srun.suite];
                let planned = cases.len();
                let (with_findings, spans, lines) = suite_parts(cases.into_iter().flatten());
                missing += planned - spans.len();
                suites.push(SuiteRecord {
                    id: suite.id.clone(),
                    domain: suite.domain.clone(),
                    title: suite.title.clone(),
                    file: suite.file.clone(),
                    spec: serde_json::to_value(&suite.spec).unwrap_or_default(),
                    applicable: srun.not_applicable.is_none(),
                    reason: srun.not_applicable.clone(),
                    requirements: suite.requirements.iter().map(|(r, _)| r.clone()).collect(),
                    cases: with_findings,
                });
                json.push(spans);
                junit.push(lines);
            }
            let waivers = Waivers {
                list: &profile.waivers,
                today,
            };
            let rolled = rollup.finish(&project.requirements, &waivers);
            let incomplete_reason = if interrupted {
                Some(format!("interrupted: {missing} case(s) did not finish"))
            } else if missing > 0 {
                Some(format!("{missing} case(s) did not finish"))
            } else {
                meta.partial.clone()
            };
            let report = CountryReport {
                format: REPORT_FORMAT.into(),
                harness: Harness::current(),
                country: CountryRef {
                    code: profile.code.clone(),
                    name: profile.name.clone(),
                    environment: profile.environment.clone(),
                },
                started_at: meta.started.to_rfc3339(),
                finished_at: meta.finished.to_rfc3339(),
                duration_ms: (meta.finished - meta.started).num_milliseconds().max(0) as u64,
                complete: incomplete_reason.is_none(),
                incomplete_reason,
                strict: meta.strict,
                insecure: meta.insecure,
                shard: meta.shard.clone(),
                verdict: rolled.verdict,
                musts_waived: rolled.musts_waived,
                domains: rolled.domains,
                requirements: rolled.requirements,
                suites,
                waivers: rolled.waivers,
                profile: serde_json::json!({ "file": profile.file, "environment": profile.environment, "settings": profile.redacted_tree() }),
                inputs: project
                    .inputs
                    .iter()
                    .map(|(p, h)| InputFile {
                        path: p.clone(),
                        sha256: h.clone(),
                    })
                    .collect(),
            };
            out.push(SpooledReport {
                report,
                json,
                junit,
                spool: spool.clone(),
            });
        }
        Ok(out)
    }
}

/// Each planned suite's requirements, by suite ID.
fn suite_requirements(
    project: &Project,
    plan: &Plan,
    country: usize,
) -> BTreeMap<String, Vec<String>> {
    plan.countries[country]
        .suites
        .iter()
        .map(|s| {
            let suite = &project.suites[s.suite];
            (
                suite.id.clone(),
                suite.requirements.iter().map(|(r, _)| r.clone()).collect(),
            )
        })
        .collect()
}

/// Facts of the run that every report repeats.
pub struct RunMeta {
    pub started: DateTime<Utc>,
    pub finished: DateTime<Utc>,
    pub strict: bool,
    /// Why the run covers less than everything (a selection), if it does.
    pub partial: Option<String>,
    /// `k/n` for a shard of the plan.
    pub shard: Option<String>,
    /// `--insecure`: TLS verification was off.
    pub insecure: bool,
}
