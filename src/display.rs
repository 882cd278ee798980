//! The terminal: a live progress bar on a terminal, one plain line per case
//! otherwise, and the closing summary. Reads events and reports only.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use crate::exec::Event;
use crate::report::model::*;

pub struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    /// `quiet` prints nothing per case (for `--format json`, whose stdout is machine-read).
    pub fn new(quiet: bool) -> Self {
        Progress { bar: None, quiet }
    }

    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::RunStarted { cases } => {
                if std::io::stderr().is_terminal() && !self.quiet {
                    let bar = ProgressBar::new(*cases as u64);
                    bar.set_style(
                        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_bar())
                            .progress_chars("=> "),
                    );
                    self.bar = Some(bar);
                }
            }
            Event::CaseStarted {
                country,
                suite,
                case,
            } => {
                if let Some(bar) = &self.bar {
                    bar.set_message(format!("{country} {suite}/{case}"));
                }
            }
            Event::CaseFinished { country, case, .. } => {
                let line = format!(
                    "{:>14} {country} {} ({} ms){}",
                    case.verdict.as_str().to_uppercase(),
                    case.id,
                    case.duration_ms,
                    match (&case.reason, case.verdict) {
                        (Some(r), v) if v != Verdict::Pass => format!(": {}", one_line(r)),
                        _ => String::new(),
                    }
                );
                match &self.bar {
                    Some(bar) => {
                        if !matches!(case.verdict, Verdict::Pass | Verdict::NotApplicable) {
                            bar.println(line);
                        }
                        bar.inc(1);
                    }
                    None if !self.quiet => {
                        // One write per line: stderr is unbuffered.
                        let mut line = line;
                        line.push('\n');
                        let _ = std::io::Write::write_all(
                            &mut std::io::stderr().lock(),
                            line.as_bytes(),
                        );
                    }
                    None => {}
                }
            }
            Event::RunFinished { .. } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
            }
        }
    }
}

fn one_line(s: &str) -> String {
    let s = s.replace('\n', " ");
    if s.chars().count() > 160 {
        format!("{}…", s.chars().take(159).collect::<String>())
    } else {
        s
    }
}

/// Findings printed at the end of a run; the reports hold them all.
const MAX_FINDINGS: usize = 60;

/// The closing summary: country × domain verdicts with counts, then each failure on one line.
pub fn summary(reports: &[&CountryReport], run: &RunReport) -> String {
    let mut domains: Vec<String> = reports
        .iter()
        .flat_map(|r| r.domains.iter().map(|d| d.domain.clone()))
        .collect();
    domains.sort();
    domains.dedup();
    let mut out = String::new();
    let width = 30;
    out.push_str(&format!("\n{:<8}{:<28}", "country", "verdict"));
    for d in &domains {
        out.push_str(&format!("{d:<width$}"));
    }
    out.push('\n');
    for r in reports {
        let mut verdict = r.verdict.as_str().to_string();
        if r.musts_waived > 0 {
            verdict.push_str(&format!(" ({} waived)", r.musts_waived));
        }
        out.push_str(&format!("{:<8}{:<28}", r.country.code, verdict));
        for d in &domains {
            let cell = match r.domains.iter().find(|x| &x.domain == d) {
                Some(x) => {
                    let c = &x.requirements;
                    format!(
                        "{} {}/{}/{}/{}",
                        short(x.verdict),
                        c.pass,
                        c.fail,
                        c.warn,
                        c.error
                    )
                }
                None => "-".into(),
            };
            out.push_str(&format!("{cell:<width$}"));
        }
        out.push('\n');
    }
    out.push_str("(requirements pass/fail/warn/error per domain)\n");
    let mut failures = Vec::new();
    for r in reports {
        for s in &r.suites {
            for c in &s.cases {
                for st in &c.steps {
                    for ch in &st.checks {
                        if matches!(ch.verdict, Verdict::Fail | Verdict::Error | Verdict::Warn) {
                            failures.push(format!(
                                "{:<5} {} {} {}/{}: {} — {}",
                                ch.verdict.as_str().to_uppercase(),
                                r.country.code,
                                ch.requirement
                                    .clone()
                                    .unwrap_or_else(|| c.requirements.join(",")),
                                s.id,
                                c.id,
                                ch.location,
                                one_line(&ch.message)
                            ));
                        }
                    }
                }
            }
        }
    }
    if !failures.is_empty() {
        out.push_str(&format!("\n{} finding(s):\n", failures.len()));
        for f in failures.iter().take(MAX_FINDINGS) {
            out.push_str(f);
            out.push('\n');
        }
        if failures.len() > MAX_FINDINGS {
            out.push_str(&format!(
                "… and {} more: every finding is in the reports\n",
                failures.len() - MAX_FINDINGS
            ));
        }
    }
    if !run.complete {
        out.push_str("\nthe run is INCOMPLETE: reports say which cases did not finish\n");
    }
    out.push_str(&format!("\nexit code {}\n", run.exit_code));
    out
}

fn short(c: Conformance) -> &'static str {
    match c {
        Conformance::Conformant => "ok",
        Conformance::ConformantWithWarnings => "warnings",
        Conformance::NonConformant => "FAIL",
        Conformance::Inconclusive => "inconclusive",
        Conformance::NotApplicable => "n/a",
    }
}
