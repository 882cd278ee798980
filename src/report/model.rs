//! The report model: what a run found, as the JSON report stores it. Every
//! other format and every comparison is rebuilt from this. Knows nothing of
//! HTTP or of any output format.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const REPORT_FORMAT: &str = "conform-report/1";
pub const RUN_FORMAT: &str = "conform-run/1";

/// Verdict of a check, case or requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    Warn,
    Waived,
    NotApplicable,
    Error,
}

impl Verdict {
    /// Rank for "the worst of several": fail, error, warn, waived, pass, not_applicable.
    pub fn severity(self) -> u8 {
        match self {
            Verdict::Fail => 5,
            Verdict::Error => 4,
            Verdict::Warn => 3,
            Verdict::Waived => 2,
            Verdict::Pass => 1,
            Verdict::NotApplicable => 0,
        }
    }
    pub fn worst(self, other: Verdict) -> Verdict {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Warn => "warn",
            Verdict::Waived => "waived",
            Verdict::NotApplicable => "not_applicable",
            Verdict::Error => "error",
        }
    }
}

/// Verdict of a country or a domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conformance {
    Conformant,
    ConformantWithWarnings,
    NonConformant,
    Inconclusive,
    NotApplicable,
}

impl Conformance {
    pub fn as_str(self) -> &'static str {
        match self {
            Conformance::Conformant => "conformant",
            Conformance::ConformantWithWarnings => "conformant_with_warnings",
            Conformance::NonConformant => "non_conformant",
            Conformance::Inconclusive => "inconclusive",
            Conformance::NotApplicable => "not_applicable",
        }
    }
}

/// A request as recorded (secrets redacted).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestRecord {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// A response as recorded: a bounded excerpt of the body (secrets redacted).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResponseRecord {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body_excerpt: String,
    pub body_bytes: usize,
    /// The excerpt is shorter than the body, or the body hit the size cap.
    pub truncated: bool,
    /// The body was longer than the cap: reading stopped there (`body_bytes` is the cap).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub capped: bool,
    pub elapsed_ms: u64,
}

/// One check's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckRecord {
    pub kind: String,
    /// The requirement the check names, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    /// The raw outcome, before levels: pass, fail or error.
    pub outcome: String,
    pub verdict: Verdict,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<Value>,
    /// Where in the response (JSON Pointer, header name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Where in the suite: `file:line:col`.
    pub location: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseRecord>,
    /// Why there is no response to judge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub checks: Vec<CheckRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseRecord {
    /// The case ID; `id[item]` for a repeated case.
    pub id: String,
    pub title: String,
    pub tags: Vec<String>,
    pub requirements: Vec<String>,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Value>,
    pub location: String,
    pub duration_ms: u64,
    pub steps: Vec<StepRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuiteRecord {
    pub id: String,
    pub domain: String,
    pub title: String,
    pub file: String,
    pub spec: Value,
    pub applicable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Every requirement the suite covers (its `requirements:`).
    pub requirements: Vec<String>,
    /// Read back whole or in part: [`super::read::Cases`].
    #[serde(deserialize_with = "super::read::kept_cases")]
    pub cases: Vec<CaseRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WaiverRecord {
    /// A requirement ID or `suite/case`.
    pub target: String,
    pub reason: String,
    pub owner: String,
    pub expires: String,
    /// `applied` (a failure was waived), `unused` (nothing failed: remove it), `expired`.
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequirementRecord {
    pub id: String,
    pub domain: String,
    pub level: String,
    pub statement: String,
    pub source: Value,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The cases that give evidence, `suite/case`.
    pub cases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<WaiverRecord>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub waived: usize,
    pub not_applicable: usize,
    pub error: usize,
}

impl Counts {
    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Pass => self.pass += 1,
            Verdict::Fail => self.fail += 1,
            Verdict::Warn => self.warn += 1,
            Verdict::Waived => self.waived += 1,
            Verdict::NotApplicable => self.not_applicable += 1,
            Verdict::Error => self.error += 1,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DomainRecord {
    pub domain: String,
    pub title: String,
    pub verdict: Conformance,
    pub musts_waived: usize,
    /// Requirement verdicts in this domain.
    pub requirements: Counts,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Harness {
    pub name: String,
    pub version: String,
}

impl Harness {
    pub fn current() -> Harness {
        Harness {
            name: "conform".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CountryRef {
    pub code: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputFile {
    pub path: String,
    pub sha256: String,
}

/// One country's report: `<cc>.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CountryReport {
    pub format: String,
    pub harness: Harness,
    pub country: CountryRef,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    /// False when the run was interrupted or a selection left cases out.
    pub complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incomplete_reason: Option<String>,
    pub strict: bool,
    /// TLS verification was turned off (`--insecure`): the evidence is weaker.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
    /// `k/n` when this report covers one shard of a plan (`--shard`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub verdict: Conformance,
    pub musts_waived: usize,
    pub domains: Vec<DomainRecord>,
    pub requirements: Vec<RequirementRecord>,
    pub suites: Vec<SuiteRecord>,
    pub waivers: Vec<WaiverRecord>,
    /// The profile used, secret references shown as references, never values.
    pub profile: Value,
    pub inputs: Vec<InputFile>,
}

impl CountryReport {
    /// The report with every suite's cases left out: what the JSON report
    /// is written around (the cases come from a [`super::spool::CaseSource`]).
    /// Struct literals with every field, so that a new field is not forgotten.
    pub fn without_cases(&self) -> CountryReport {
        let CountryReport {
            format,
            harness,
            country,
            started_at,
            finished_at,
            duration_ms,
            complete,
            incomplete_reason,
            strict,
            insecure,
            shard,
            verdict,
            musts_waived,
            domains,
            requirements,
            suites,
            waivers,
            profile,
            inputs,
        } = self;
        CountryReport {
            format: format.clone(),
            harness: harness.clone(),
            country: country.clone(),
            started_at: started_at.clone(),
            finished_at: finished_at.clone(),
            duration_ms: *duration_ms,
            complete: *complete,
            incomplete_reason: incomplete_reason.clone(),
            strict: *strict,
            insecure: *insecure,
            shard: shard.clone(),
            verdict: *verdict,
            musts_waived: *musts_waived,
            domains: domains.clone(),
            requirements: requirements.clone(),
            suites: suites.iter().map(SuiteRecord::without_cases).collect(),
            waivers: waivers.clone(),
            profile: profile.clone(),
            inputs: inputs.clone(),
        }
    }
}

impl SuiteRecord {
    pub fn without_cases(&self) -> SuiteRecord {
        let SuiteRecord {
            id,
            domain,
            title,
            file,
            spec,
            applicable,
            reason,
            requirements,
            cases: _,
        } = self;
        SuiteRecord {
            id: id.clone(),
            domain: domain.clone(),
            title: title.clone(),
            file: file.clone(),
            spec: spec.clone(),
            applicable: *applicable,
            reason: reason.clone(),
            requirements: requirements.clone(),
            cases: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunCountry {
    pub code: String,
    pub name: String,
    pub verdict: Conformance,
    pub musts_waived: usize,
    pub domains: Vec<(String, Conformance)>,
    pub report: String,
}

impl RunCountry {
    /// A country's line in `run.json`, from its report.
    pub fn of(r: &CountryReport) -> RunCountry {
        RunCountry {
            code: r.country.code.clone(),
            name: r.country.name.clone(),
            verdict: r.verdict,
            musts_waived: r.musts_waived,
            domains: r
                .domains
                .iter()
                .map(|d| (d.domain.clone(), d.verdict))
                .collect(),
            report: format!("{}.json", r.country.code.to_ascii_lowercase()),
        }
    }
}

/// The whole run: `run.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    pub format: String,
    pub harness: Harness,
    pub started_at: String,
    pub finished_at: String,
    pub complete: bool,
    pub strict: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub exit_code: i32,
    pub countries: Vec<RunCountry>,
}
