//! The roll-up: check outcomes become verdicts by their requirement's level,
//! then cases, requirements, domains and the country, with waivers applied.
//! Exactly the rules of the design's Contracts.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::profile::{Waiver, WaiverTarget};
use crate::report::model::*;
use crate::suite::{Level, Requirements};

/// The waivers of a country, judged against the run's start date.
pub struct Waivers<'a> {
    pub list: &'a [Waiver],
    pub today: NaiveDate,
}

impl Waivers<'_> {
    fn active(&self, target: &WaiverTarget) -> bool {
        self.list
            .iter()
            .any(|w| &w.target == target && w.expires >= self.today)
    }
    pub fn requirement(&self, id: &str) -> bool {
        self.active(&WaiverTarget::Requirement(id.to_string()))
    }
    pub fn case(&self, suite: &str, case: &str) -> bool {
        let base = case.split('[').next().unwrap_or(case);
        self.active(&WaiverTarget::Case(format!("{suite}/{base}")))
    }
}

/// The reason a failed MAY gives.
pub const OPTIONAL_NOT_OFFERED: &str = "optional feature not offered";

/// A raw outcome judged at a level.
pub fn grade(outcome: &str, level: Level) -> Verdict {
    match (outcome, level) {
        ("pass", _) => Verdict::Pass,
        ("error", _) => Verdict::Error,
        (_, Level::Must) => Verdict::Fail,
        (_, Level::Should) => Verdict::Warn,
        (_, Level::May) => Verdict::NotApplicable,
    }
}

/// The level a check is judged at: its own requirement's, else the strongest of its case's.
fn check_level(check: &CheckRecord, case_reqs: &[String], reqs: &Requirements) -> Level {
    match &check.requirement {
        Some(id) => reqs.get(id).map(|r| r.level).unwrap_or(Level::Must),
        None => case_reqs
            .iter()
            .filter_map(|id| reqs.get(id))
            .map(|r| r.level)
            .min()
            .unwrap_or(Level::Must),
    }
}

/// Fill in the verdicts of a finished case's checks and of the case.
pub fn grade_case(case: &mut CaseRecord, suite: &str, reqs: &Requirements, waivers: &Waivers<'_>) {
    if case.verdict == Verdict::NotApplicable && case.steps.is_empty() {
        return;
    }
    let case_waived = waivers.case(suite, &case.id);
    let all_reqs_waived =
        !case.requirements.is_empty() && case.requirements.iter().all(|r| waivers.requirement(r));
    let mut verdict = Verdict::NotApplicable;
    let mut reason = None;
    for step in &mut case.steps {
        for check in &mut step.checks {
            let level = check_level(check, &case.requirements, reqs);
            let mut v = grade(&check.outcome, level);
            if v == Verdict::NotApplicable && check.outcome == "fail" {
                check.message = format!("{OPTIONAL_NOT_OFFERED}: {}", check.message);
            }
            let req_waived = match &check.requirement {
                Some(id) => waivers.requirement(id),
                None => all_reqs_waived,
            };
            if matches!(v, Verdict::Fail | Verdict::Warn) && (case_waived || req_waived) {
                v = Verdict::Waived;
            }
            check.verdict = v;
            if v.severity() > verdict.severity() {
                verdict = v;
                if v != Verdict::Pass {
                    reason = Some(check.message.clone());
                }
            }
        }
        if let Some(e) = &step.error
            && step.checks.is_empty()
        {
            verdict = verdict.worst(Verdict::Error);
            reason.get_or_insert_with(|| e.clone());
        }
    }
    if verdict == Verdict::NotApplicable
        && case.steps.iter().all(|s| s.checks.is_empty())
        && reason.is_none()
    {
        // A case with requests but no checks still passed if every request got an answer.
        verdict = Verdict::Pass;
    }
    case.verdict = verdict;
    if case.reason.is_none() {
        case.reason = reason;
    }
}

/// The country's roll-up from its graded suites.
pub struct RollUp {
    pub requirements: Vec<RequirementRecord>,
    pub domains: Vec<DomainRecord>,
    pub verdict: Conformance,
    pub musts_waived: usize,
    pub waivers: Vec<WaiverRecord>,
}

/// The roll-up of suites held whole: every case offered in report order.
pub fn roll_up(
    suites: &[SuiteRecord],
    suite_requirements: &BTreeMap<String, Vec<String>>,
    reqs: &Requirements,
    waivers: &Waivers<'_>,
) -> RollUp {
    let mut builder = RollUpBuilder::new(suites.iter().map(|s| s.id.as_str()), suite_requirements);
    let mut position = 0;
    for suite in suites {
        for case in &suite.cases {
            builder.case(position, &suite.id, case, reqs, waivers);
            position += 1;
        }
    }
    builder.finish(reqs, waivers)
}

/// A requirement's standing so far: its worst verdict and the reason of the
/// first finding (by report position) at that verdict, and its cases.
struct Standing {
    verdict: Verdict,
    reason: Option<String>,
    /// (case position, event within the case) of the reason.
    at: (usize, usize),
    cases: BTreeSet<String>,
}

impl Standing {
    /// A finding at `at`: the worst verdict wins, and of equals the earliest,
    /// so the result is the same whatever order the cases arrive in.
    fn offer(&mut self, verdict: Verdict, at: (usize, usize), reason: Option<String>) {
        let (new, old) = (verdict.severity(), self.verdict.severity());
        if new > old || (new == old && at < self.at) {
            self.verdict = verdict;
            self.at = at;
            self.reason = reason;
        }
    }
}

/// The roll-up fed one case at a time, in any order, each with its position
/// in the report: a run rolls up its cases as they finish and keeps none of
/// them for it.
pub struct RollUpBuilder {
    in_play: BTreeMap<String, Standing>,
    seen_evidence: BTreeSet<String>,
    used_waivers: BTreeSet<String>,
}

impl RollUpBuilder {
    /// Every requirement a selected suite covers is in play.
    pub fn new<'a>(
        suites: impl Iterator<Item = &'a str>,
        suite_requirements: &BTreeMap<String, Vec<String>>,
    ) -> Self {
        let mut in_play = BTreeMap::new();
        for suite in suites {
            for id in suite_requirements.get(suite).into_iter().flatten() {
                in_play.entry(id.clone()).or_insert(Standing {
                    verdict: Verdict::NotApplicable,
                    reason: None,
                    at: (usize::MAX, 0),
                    cases: BTreeSet::new(),
                });
            }
        }
        RollUpBuilder {
            in_play,
            seen_evidence: BTreeSet::new(),
            used_waivers: BTreeSet::new(),
        }
    }

    /// One graded case, at `position` in the report's order of cases.
    pub fn case(
        &mut self,
        position: usize,
        suite: &str,
        case: &CaseRecord,
        reqs: &Requirements,
        waivers: &Waivers<'_>,
    ) {
        let base = case.id.split('[').next().unwrap_or(&case.id);
        let key = format!("{suite}/{base}");
        let mut event = 0;
        for id in &case.requirements {
            let Some(entry) = self.in_play.get_mut(id.as_str()) else {
                continue;
            };
            entry.cases.insert(key.clone());
            if case.steps.is_empty() {
                // Not applicable (or not run): the reason speaks for the requirement if nothing else does.
                if case.reason.is_some() {
                    entry.offer(
                        Verdict::NotApplicable,
                        (position, event),
                        case.reason.clone(),
                    );
                }
                continue;
            }
            self.seen_evidence.insert(id.clone());
        }
        for step in &case.steps {
            for check in &step.checks {
                event += 1;
                let targets: Vec<&String> = match &check.requirement {
                    Some(id) => vec![id],
                    None => case.requirements.iter().collect(),
                };
                for id in targets {
                    let Some(r) = reqs.get(id) else {
                        continue;
                    };
                    let Some(entry) = self.in_play.get_mut(id.as_str()) else {
                        continue;
                    };
                    entry.cases.insert(key.clone());
                    self.seen_evidence.insert(r.id.clone());
                    let v = if check.verdict == Verdict::Waived {
                        Verdict::Waived
                    } else {
                        grade(&check.outcome, r.level)
                    };
                    let reason = match v {
                        Verdict::Pass => None,
                        Verdict::NotApplicable => Some(OPTIONAL_NOT_OFFERED.to_string()),
                        _ => Some(format!("{} ({})", check.message, check.location)),
                    };
                    entry.offer(v, (position, event), reason);
                }
            }
            if let Some(e) = &step.error
                && step.checks.is_empty()
            {
                event += 1;
                for id in &case.requirements {
                    if let Some(entry) = self.in_play.get_mut(id.as_str()) {
                        entry.offer(Verdict::Error, (position, event), Some(e.clone()));
                    }
                }
            }
        }
        if case
            .steps
            .iter()
            .flat_map(|s| &s.checks)
            .any(|c| c.verdict == Verdict::Waived)
            && waivers.case(suite, &case.id)
        {
            self.used_waivers.insert(key);
        }
    }

    pub fn finish(self, reqs: &Requirements, waivers: &Waivers<'_>) -> RollUp {
        let RollUpBuilder {
            in_play,
            seen_evidence,
            mut used_waivers,
        } = self;
        let in_play = in_play
            .into_iter()
            .map(|(id, s)| (id, (s.verdict, s.reason, s.cases)));
        let mut requirements = Vec::new();
        for (id, (mut verdict, mut reason, cases)) in in_play {
            let id = id.as_str();
            let Some(r) = reqs.get(id) else { continue };
            if reason.is_none() && verdict == Verdict::NotApplicable && !seen_evidence.contains(id)
            {
                reason = Some(if cases.is_empty() {
                    "no case in this run tests it".into()
                } else {
                    "not applicable".into()
                });
            }
            let mut waiver = None;
            if let Some(w) = waivers
                .list
                .iter()
                .find(|w| w.target == WaiverTarget::Requirement(id.to_string()))
            {
                let active = w.expires >= waivers.today;
                if active && matches!(verdict, Verdict::Fail | Verdict::Warn | Verdict::Waived) {
                    verdict = Verdict::Waived;
                    used_waivers.insert(id.to_string());
                }
                waiver = Some(waiver_record(w, waivers.today, used_waivers.contains(id)));
            }
            if verdict == Verdict::Pass {
                reason = None;
            }
            requirements.push(RequirementRecord {
                id: id.to_string(),
                domain: r.domain.clone(),
                level: r.level.as_str().to_string(),
                statement: r.statement.clone(),
                source: serde_json::to_value(&r.source).unwrap_or_default(),
                verdict,
                reason,
                cases: cases.into_iter().collect(),
                waiver,
            });
        }

        let mut domains = Vec::new();
        let domain_names: BTreeSet<&str> = requirements.iter().map(|r| r.domain.as_str()).collect();
        for d in domain_names {
            let in_domain: Vec<&RequirementRecord> =
                requirements.iter().filter(|r| r.domain == d).collect();
            let (verdict, musts_waived) = conformance(&in_domain);
            let mut counts = Counts::default();
            in_domain.iter().for_each(|r| counts.add(r.verdict));
            domains.push(DomainRecord {
                domain: d.to_string(),
                title: reqs.domains.get(d).cloned().unwrap_or_default(),
                verdict,
                musts_waived,
                requirements: counts,
            });
        }
        let all: Vec<&RequirementRecord> = requirements.iter().collect();
        let (verdict, musts_waived) = conformance(&all);
        let waivers = waivers
            .list
            .iter()
            .map(|w| waiver_record(w, waivers.today, used_waivers.contains(w.target_text())))
            .collect();
        RollUp {
            requirements,
            domains,
            verdict,
            musts_waived,
            waivers,
        }
    }
}

fn waiver_record(w: &Waiver, today: NaiveDate, used: bool) -> WaiverRecord {
    let status = if w.expires < today {
        "expired"
    } else if used {
        "applied"
    } else {
        "unused"
    };
    WaiverRecord {
        target: w.target_text().to_string(),
        reason: w.reason.clone(),
        owner: w.owner.clone(),
        expires: w.expires.to_string(),
        status: status.into(),
    }
}

/// The Contracts' rule for a set of requirement verdicts, and how many MUSTs were waived.
pub fn conformance(reqs: &[&RequirementRecord]) -> (Conformance, usize) {
    let is = |r: &&&RequirementRecord, level: &str, v: Verdict| r.level == level && r.verdict == v;
    let musts_waived = reqs
        .iter()
        .filter(|r| is(r, "MUST", Verdict::Waived))
        .count();
    let verdict = if reqs.iter().any(|r| is(&r, "MUST", Verdict::Fail)) {
        Conformance::NonConformant
    } else if reqs.iter().any(|r| is(&r, "MUST", Verdict::Error)) {
        Conformance::Inconclusive
    } else if reqs.iter().any(|r| {
        r.level == "SHOULD" && matches!(r.verdict, Verdict::Warn | Verdict::Error | Verdict::Fail)
    }) {
        Conformance::ConformantWithWarnings
    } else if reqs.iter().all(|r| r.verdict == Verdict::NotApplicable) {
        Conformance::NotApplicable
    } else {
        Conformance::Conformant
    };
    (verdict, musts_waived)
}

/// The exit code of a run over several countries (Contracts).
pub fn exit_code(verdicts: &[Conformance], interrupted: bool, strict: bool) -> i32 {
    if interrupted {
        3
    } else if verdicts.contains(&Conformance::NonConformant) {
        1
    } else if verdicts.contains(&Conformance::Inconclusive) {
        3
    } else if strict && verdicts.contains(&Conformance::ConformantWithWarnings) {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fed in any order with their positions, cases roll up to exactly what
    /// the report order gives: a run's cases arrive as they finish.
    #[test]
    fn the_roll_up_does_not_depend_on_the_order_cases_arrive_in() {
        let mut report = crate::report::markdown::tests::sample();
        // Two findings for one requirement in different cases: the first (by position) gives the reason.
        let mut extra = report.suites[0].cases[1].clone();
        extra.id = "later".into();
        extra.steps[0].checks[0].message = "a later reason".into();
        report.suites[0].cases.push(extra);
        let reqs = crate::report::merge::requirements_of(&report.requirements);
        let suite_requirements: BTreeMap<String, Vec<String>> = report
            .suites
            .iter()
            .map(|s| (s.id.clone(), s.requirements.clone()))
            .collect();
        let waivers = Waivers {
            list: &[],
            today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        };
        let forward = roll_up(&report.suites, &suite_requirements, &reqs, &waivers);
        let mut cases = Vec::new();
        for suite in &report.suites {
            for case in &suite.cases {
                cases.push((cases.len(), suite.id.as_str(), case));
            }
        }
        assert!(cases.len() >= 3);
        let mut builder = RollUpBuilder::new(
            report.suites.iter().map(|s| s.id.as_str()),
            &suite_requirements,
        );
        for (position, suite, case) in cases.into_iter().rev() {
            builder.case(position, suite, case, &reqs, &waivers);
        }
        let backward = builder.finish(&reqs, &waivers);
        let json = |r: &RollUp| {
            serde_json::json!([
                r.requirements,
                r.domains,
                r.verdict,
                r.musts_waived,
                r.waivers
            ])
        };
        assert_eq!(json(&forward), json(&backward));
        assert!(
            forward.requirements.iter().any(|r| r
                .reason
                .as_deref()
                .is_some_and(|t| !t.contains("a later reason"))
                && r.verdict == Verdict::Fail),
            "{:#?}",
            forward.requirements
        );
    }

    fn req(level: &str, v: Verdict) -> RequirementRecord {
        RequirementRecord {
            id: "X".into(),
            domain: "eid".into(),
            level: level.into(),
            statement: String::new(),
            source: serde_json::Value::Null,
            verdict: v,
            reason: None,
            cases: vec![],
            waiver: None,
        }
    }

    #[test]
    fn contracts_roll_up() {
        let c = |rs: Vec<RequirementRecord>| conformance(&rs.iter().collect::<Vec<_>>()).0;
        assert_eq!(
            c(vec![
                req("MUST", Verdict::Pass),
                req("MUST", Verdict::Fail),
                req("MUST", Verdict::Error)
            ]),
            Conformance::NonConformant
        );
        assert_eq!(
            c(vec![
                req("MUST", Verdict::Pass),
                req("MUST", Verdict::Error)
            ]),
            Conformance::Inconclusive
        );
        assert_eq!(
            c(vec![
                req("MUST", Verdict::Pass),
                req("SHOULD", Verdict::Error)
            ]),
            Conformance::ConformantWithWarnings
        );
        assert_eq!(
            c(vec![
                req("MUST", Verdict::Waived),
                req("SHOULD", Verdict::Pass)
            ]),
            Conformance::Conformant
        );
        assert_eq!(
            c(vec![req("MUST", Verdict::NotApplicable)]),
            Conformance::NotApplicable
        );
        assert_eq!(
            c(vec![
                req("MAY", Verdict::NotApplicable),
                req("MUST", Verdict::Pass)
            ]),
            Conformance::Conformant
        );
    }

    #[test]
    fn exit_codes() {
        use Conformance::*;
        assert_eq!(
            exit_code(&[Conformant, NonConformant, Inconclusive], false, false),
            1
        );
        assert_eq!(exit_code(&[Conformant, Inconclusive], false, false), 3);
        assert_eq!(exit_code(&[ConformantWithWarnings], false, false), 0);
        assert_eq!(exit_code(&[ConformantWithWarnings], false, true), 1);
        assert_eq!(exit_code(&[NonConformant], true, false), 3);
        assert_eq!(exit_code(&[NotApplicable], false, false), 0);
    }

    #[test]
    fn levels_grade_failures() {
        assert_eq!(grade("fail", Level::Must), Verdict::Fail);
        assert_eq!(grade("fail", Level::Should), Verdict::Warn);
        assert_eq!(grade("fail", Level::May), Verdict::NotApplicable);
        assert_eq!(grade("error", Level::May), Verdict::Error);
        assert_eq!(Verdict::Error.worst(Verdict::Fail), Verdict::Fail);
        assert_eq!(Verdict::Warn.worst(Verdict::Error), Verdict::Error);
    }
}
