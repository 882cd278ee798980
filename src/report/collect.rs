//! Builds one [`CountryReport`] per country from the executor's events.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::model::*;
use crate::exec::Event;
use crate::plan::Plan;
use crate::project::Project;
use crate::verdict::{Waivers, roll_up};

/// Listens to events and keeps each finished case under its country.
pub struct Collector {
    cases: BTreeMap<String, Vec<(usize, CaseRecord)>>,
    pub interrupted: bool,
}

impl Collector {
    pub fn new() -> Self {
        Collector {
            cases: BTreeMap::new(),
            interrupted: false,
        }
    }

    /// Takes the event: the collector is the last listener, and keeping a
    /// finished case costs no copy of it.
    pub fn on_event(&mut self, event: Event) {
        match event {
            Event::CaseFinished {
                country,
                suite,
                case,
            } => {
                self.cases.entry(country).or_default().push((suite, *case));
            }
            Event::RunFinished { interrupted } => self.interrupted = interrupted,
            _ => {}
        }
    }

    /// The reports, in the plan's order of countries, suites and cases.
    pub fn reports(mut self, project: &Project, plan: &Plan, meta: &RunMeta) -> Vec<CountryReport> {
        let mut out = Vec::new();
        for country in &plan.countries {
            let profile = &country.profile;
            // By suite and case ID: a lookup per planned case, not a scan.
            let mut finished: HashMap<(usize, String), CaseRecord> = self
                .cases
                .remove(&profile.code)
                .unwrap_or_default()
                .into_iter()
                .map(|(si, c)| ((si, c.id.clone()), c))
                .collect();
            let mut suites = Vec::new();
            let mut suite_requirements = BTreeMap::new();
            let mut missing = 0;
            for srun in &country.suites {
                let suite = &project.suites[srun.suite];
                suite_requirements.insert(
                    suite.id.clone(),
                    suite
                        .requirements
                        .iter()
                        .map(|(r, _)| r.clone())
                        .collect::<Vec<_>>(),
                );
                let mut cases = Vec::new();
                for crun in &srun.cases {
                    match finished.remove(&(srun.suite, crun.id.clone())) {
                        Some(c) => cases.push(c),
                        None => missing += 1,
                    }
                }
                suites.push(SuiteRecord {
                    id: suite.id.clone(),
                    domain: suite.domain.clone(),
                    title: suite.title.clone(),
                    file: suite.file.clone(),
                    spec: serde_json::to_value(&suite.spec).unwrap_or_default(),
                    applicable: srun.not_applicable.is_none(),
                    reason: srun.not_applicable.clone(),
                    requirements: suite.requirements.iter().map(|(r, _)| r.clone()).collect(),
                    cases,
                });
            }
            let waivers = Waivers {
                list: &profile.waivers,
                today: meta.started.date_naive(),
            };
            let rolled = roll_up(
                &suites,
                &suite_requirements,
                &project.requirements,
                &waivers,
            );
            let incomplete_reason = if self.interrupted {
                Some(format!("interrupted: {missing} case(s) did not finish"))
            } else if missing > 0 {
                Some(format!("{missing} case(s) did not finish"))
            } else {
                meta.partial.clone()
            };
            out.push(CountryReport {
                format: REPORT_FORMAT.into(),
                harness: Harness::current(),
                country: CountryRef { code: profile.code.clone(), name: profile.name.clone(), environment: profile.environment.clone() },
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
                inputs: project.inputs.iter().map(|(p, h)| InputFile { path: p.clone(), sha256: h.clone() }).collect(),
            });
        }
        out
    }
}

impl Default for Collector {
    fn default() -> Self {
        Self::new()
    }
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
