//! The executor: runs a plan on tokio, cases in parallel (`--jobs`), steps
//! in order, politely per host, and emits events. It does not print and
//! knows no report format: listeners consume the events.

mod case;
pub mod http;
pub mod record;
pub mod secrets;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use futures::StreamExt;
use tokio::sync::mpsc::UnboundedSender;

use crate::plan::Plan;
use crate::profile::{EffectiveProfile, Limits};
use crate::project::Project;
use crate::report::model::{CaseRecord, Verdict};
use crate::schemas::SchemaRegistry;
use crate::verdict::{Waivers, grade_case};

use http::{CountryClient, Hosts, TransportOptions};
use secrets::Redactor;

/// What happens during a run, in order per case.
#[derive(Debug)]
pub enum Event {
    RunStarted {
        cases: usize,
    },
    CaseStarted {
        country: String,
        suite: String,
        case: String,
    },
    CaseFinished {
        country: String,
        suite: usize,
        /// The case's place in the plan: countries, suites and cases in order.
        position: usize,
        case: Box<CaseRecord>,
    },
    RunFinished {
        interrupted: bool,
    },
}

/// Settings of one run.
pub struct RunOptions {
    pub jobs: usize,
    pub transport: TransportOptions,
    /// The run's start, for waiver expiry.
    pub today: NaiveDate,
    /// Folder that relative paths in profiles (CA bundles, `file:` secrets) are read from.
    pub base: PathBuf,
    /// `--record DIR` or `--replay DIR`.
    pub tape: Option<(TapeMode, PathBuf)>,
}

/// What one country's cases share.
pub struct Country {
    pub profile: Arc<EffectiveProfile>,
    pub client: Result<CountryClient, String>,
    pub hosts: Arc<Hosts>,
    pub limits: Limits,
    pub redactor: Arc<Redactor>,
    pub schemas: Arc<SchemaRegistry>,
    pub transport: TransportOptions,
    pub base: PathBuf,
    /// Recording exchanges, or answering from recordings.
    pub tape: Option<(TapeMode, record::Store)>,
}

/// `--record` or `--replay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TapeMode {
    Record,
    Replay,
}

/// Run the plan. Returns whether the run was interrupted (Ctrl-C or SIGTERM).
pub async fn execute(
    project: Arc<Project>,
    plan: Arc<Plan>,
    opts: RunOptions,
    redactor: Arc<Redactor>,
    events: UnboundedSender<Event>,
) -> bool {
    let _ = events.send(Event::RunStarted {
        cases: plan.case_count(),
    });
    let hosts = Arc::new(Hosts::default());
    let mut countries = Vec::new();
    let mut work = Vec::new();
    for (ci, country_run) in plan.countries.iter().enumerate() {
        let profile = country_run.profile.clone();
        let secret = |r: &str| {
            let v = secrets::resolve(r, &opts.base)?;
            redactor.add(&v, r);
            Ok(v)
        };
        let client = CountryClient::new(&profile, &opts.transport, &secret, &opts.base);
        countries.push(Arc::new(Country {
            limits: opts.transport.limits.unwrap_or(profile.limits),
            profile,
            client,
            hosts: hosts.clone(),
            redactor: redactor.clone(),
            schemas: project.schemas.clone(),
            transport: opts.transport.clone(),
            base: opts.base.clone(),
            tape: opts
                .tape
                .as_ref()
                .map(|(mode, dir)| (*mode, record::Store::new(dir, &country_run.profile.code))),
        }));
        for (si, s) in country_run.suites.iter().enumerate() {
            work.extend((0..s.cases.len()).map(|k| (ci, si, k)));
        }
    }
    let today = opts.today;
    let tasks =
        futures::stream::iter(work.into_iter().enumerate().map(|(position, (ci, si, k))| {
            let country = countries[ci].clone();
            let project = project.clone();
            let plan = plan.clone();
            let events = events.clone();
            async move {
                let run = &plan.countries[ci].suites[si].cases[k];
                let suite = &project.suites[run.suite];
                let case = &suite.cases[run.case];
                let code = country.profile.code.clone();
                let mut record = match &run.not_applicable {
                    Some(reason) => CaseRecord {
                        id: run.id.clone(),
                        title: case.title.clone(),
                        tags: case.tags.clone(),
                        requirements: case.requirements.iter().map(|(r, _)| r.clone()).collect(),
                        verdict: Verdict::NotApplicable,
                        reason: Some(reason.clone()),
                        item: None,
                        location: case.loc.to_string(),
                        duration_ms: 0,
                        steps: Vec::new(),
                    },
                    None => {
                        let _ = events.send(Event::CaseStarted {
                            country: code.clone(),
                            suite: suite.id.clone(),
                            case: run.id.clone(),
                        });
                        case::run(&country, case, &run.id, run.item.as_ref()).await
                    }
                };
                let waivers = Waivers {
                    list: &country.profile.waivers,
                    today,
                };
                grade_case(&mut record, &suite.id, &project.requirements, &waivers);
                let _ = events.send(Event::CaseFinished {
                    country: code,
                    suite: run.suite,
                    position,
                    case: Box::new(record),
                });
            }
        }))
        .buffer_unordered(opts.jobs.max(1));
    let interrupted = run_until_signal(tasks).await;
    let _ = events.send(Event::RunFinished { interrupted });
    interrupted
}

/// Drive the tasks to the end, or stop at Ctrl-C / SIGTERM (dropping the cases in flight).
async fn run_until_signal(mut tasks: impl futures::Stream<Item = ()> + Unpin) -> bool {
    let signal = crate::shutdown::listen();
    tokio::pin!(signal);
    loop {
        tokio::select! {
            next = tasks.next() => if next.is_none() { return false },
            _ = &mut signal => return true,
        }
    }
}
