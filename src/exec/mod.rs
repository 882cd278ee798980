//! The executor: runs a plan on tokio, cases in parallel (`--jobs`), steps
//! in order, politely per host, and emits events. It does not print and
//! knows no report format: listeners consume the events.
//!
//! The request path (`case::run`) only sends, receives, and takes what
//! later requests need (captures, `until`); each answered case is handed
//! to a judging thread (`case::judge`, then grading) through a [`mailbox`],
//! and the events are told to the listener there, in order.

mod case;
mod cores;
pub mod http;
mod mailbox;
pub mod record;
pub mod secrets;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use futures::StreamExt;

use crate::plan::Plan;
use crate::profile::{EffectiveProfile, Limits};
use crate::project::Project;
use crate::report::model::CaseRecord;
use crate::schemas::SchemaRegistry;
use crate::verdict::{Waivers, grade_case};

use http::{CountryClient, Hosts, TransportOptions};
use mailbox::Mailbox;
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

/// Hand-offs the judging thread may be behind by before new cases wait.
const MAX_BACKLOG: usize = 512;

/// What the request path hands the judging thread, in order.
enum Handoff {
    Event(Event),
    /// The case at `at` (country, suite, case in the plan) began its exchanges.
    Started {
        at: (usize, usize, usize),
    },
    /// The case at `at` is through the request path; `None` when it does not apply.
    Exchanged {
        position: usize,
        at: (usize, usize, usize),
        run: Option<case::Exchanged>,
    },
}

/// Run the plan and give every event to `listener`, in order, on a thread of
/// its own. Two threads share the work: this one sends the requests, one
/// case after the other up to `--jobs` at once, and takes the captures and
/// `until` conditions later requests depend on; the other evaluates the
/// checks, grades the case and tells the listener, while the next requests
/// are in flight. Gives whether the run was interrupted (Ctrl-C or SIGTERM),
/// or why the listener's thread stopped.
pub fn execute(
    runtime: &tokio::runtime::Runtime,
    project: &Project,
    plan: &Plan,
    opts: RunOptions,
    redactor: Arc<Redactor>,
    listener: &mut (dyn FnMut(Event) + Send),
) -> Result<bool, String> {
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
        countries.push(Country {
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
        });
        for (si, s) in country_run.suites.iter().enumerate() {
            work.extend((0..s.cases.len()).map(|k| (ci, si, k)));
        }
    }
    let mailbox = Mailbox::default();
    mailbox.send(Handoff::Event(Event::RunStarted {
        cases: plan.case_count(),
    }));
    let countries = &countries;
    let request_core = cores::current();
    std::thread::scope(|scope| {
        // Named, so that profiles and debuggers tell the two threads apart.
        let judging = std::thread::Builder::new()
            .name("judging".into())
            .spawn_scoped(scope, || {
                cores::avoid(request_core);
                judge_all(&mailbox, project, plan, countries, opts.today, listener)
            })
            .map_err(|e| format!("cannot start the thread that judges the answers: {e}"))?;
        let tasks = futures::stream::iter(work.into_iter().enumerate().map(|(position, at)| {
            let mailbox = &mailbox;
            async move {
                let (ci, si, k) = at;
                let run = &plan.countries[ci].suites[si].cases[k];
                let run = match &run.not_applicable {
                    Some(_) => None,
                    None => {
                        // Answers wait in memory until judged: when judging
                        // falls behind, the requests wait for it.
                        while mailbox.behind(MAX_BACKLOG) {
                            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                        }
                        mailbox.send(Handoff::Started { at });
                        let case = &project.suites[run.suite].cases[run.case];
                        Some(case::run(&countries[ci], case, run.item.as_ref()).await)
                    }
                };
                mailbox.send(Handoff::Exchanged { position, at, run });
            }
        }))
        .buffer_unordered(opts.jobs.max(1));
        let closing = mailbox.closing();
        let interrupted = runtime.block_on(run_until_signal(tasks));
        mailbox.send(Handoff::Event(Event::RunFinished { interrupted }));
        drop(closing);
        match judging.join() {
            Ok(()) => Ok(interrupted),
            Err(_) => Err("the thread that judges the answers stopped".to_string()),
        }
    })
}

/// The judging thread: the checks of every exchanged case, its grade, and
/// the events to the listener.
fn judge_all(
    mailbox: &Mailbox<Handoff>,
    project: &Project,
    plan: &Plan,
    countries: &[Country],
    today: NaiveDate,
    listener: &mut (dyn FnMut(Event) + Send),
) {
    let _receiving = mailbox.receiving();
    let mut batch = Vec::new();
    while mailbox.receive(&mut batch) {
        for handoff in batch.drain(..) {
            listener(judge(handoff, project, plan, countries, today));
        }
    }
}

/// The event a hand-off becomes: an exchanged case is judged and graded.
fn judge(
    handoff: Handoff,
    project: &Project,
    plan: &Plan,
    countries: &[Country],
    today: NaiveDate,
) -> Event {
    match handoff {
        Handoff::Event(e) => e,
        Handoff::Started { at: (ci, si, k) } => {
            let run = &plan.countries[ci].suites[si].cases[k];
            Event::CaseStarted {
                country: countries[ci].profile.code.clone(),
                suite: project.suites[run.suite].id.clone(),
                case: run.id.clone(),
            }
        }
        Handoff::Exchanged {
            position,
            at: (ci, si, k),
            run: exchanged,
        } => {
            let country = &countries[ci];
            let run = &plan.countries[ci].suites[si].cases[k];
            let suite = &project.suites[run.suite];
            let case = &suite.cases[run.case];
            // Only a case that does not apply skips the request path.
            let mut record = match exchanged {
                Some(e) => case::judge(country, case, &run.id, run.item.as_ref(), e),
                None => case::not_applicable(
                    case,
                    &run.id,
                    run.not_applicable.as_deref().unwrap_or_default(),
                ),
            };
            let waivers = Waivers {
                list: &country.profile.waivers,
                today,
            };
            grade_case(&mut record, &suite.id, &project.requirements, &waivers);
            Event::CaseFinished {
                country: country.profile.code.clone(),
                suite: run.suite,
                position,
                case: Box::new(record),
            }
        }
    }
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
