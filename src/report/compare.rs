//! Comparing countries and runs, from JSON reports only (never re-running):
//! the requirement × country matrix, per-domain scores, comparability of the
//! reports (suite and catalogue hashes, harness versions), signatures, the
//! diff against a baseline run, and each country's trend over several runs.
//! Written as `compare.json` (the source of truth), `compare.md` and
//! `compare.html`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use minijinja::context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::html::{Chart, LEVELS, VERDICTS, render_template};
use super::markdown::{code, conformance_text, md};
use super::model::*;
use super::{read, sign};
use crate::diag::Diagnostic;

pub const COMPARE_FORMAT: &str = "conform-compare/1";

/// A country report as read from disk, without its cases (a comparison
/// reads the roll-up only): where it was and the SHA-256 of its bytes.
#[derive(Debug, Clone)]
pub struct LoadedReport {
    pub path: PathBuf,
    pub sha256: [u8; 32],
    pub report: CountryReport,
}

/// Read reports from files and folders. A folder gives every `*.json` under
/// it that is a country report (`run.json`, `compare.json` and other conform
/// documents are passed over); a file named on its own must be a country
/// report. Anything unreadable or invalid is an error that names the file.
pub fn load(inputs: &[PathBuf]) -> Result<Vec<LoadedReport>, Diagnostic> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut files = Vec::new();
            json_files(input, &mut files).map_err(|e| {
                Diagnostic::new(format!("cannot read the folder {}: {e}", input.display()))
            })?;
            files.sort();
            let before = out.len();
            for file in files {
                if let Some(r) = load_file(&file, true)? {
                    out.push(r);
                }
            }
            if out.len() == before {
                return Err(Diagnostic::new(format!(
                    "{}: no country report (conform-report/1) in this folder",
                    input.display()
                )));
            }
        } else if let Some(r) = load_file(input, false)? {
            out.push(r);
        }
    }
    Ok(out)
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if hidden {
            continue;
        }
        if entry.file_type()?.is_dir() {
            json_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

/// Read one report. In a folder, other conform documents are skipped (`None`).
pub fn load_file(path: &Path, in_folder: bool) -> Result<Option<LoadedReport>, Diagnostic> {
    let shown = path.display();
    let opened = read::open(path)?;
    let format = opened.format.clone().unwrap_or_default();
    if format != REPORT_FORMAT {
        if in_folder && format.starts_with("conform-") && !format.starts_with("conform-report/") {
            return Ok(None);
        }
        return Err(Diagnostic::new(if format.is_empty() {
            format!("{shown} is not a conform country report: it has no `format`")
        } else {
            format!(
                "{shown} is not a conform country report: its format is `{format}`, expected `{REPORT_FORMAT}`"
            )
        }));
    }
    let sha256 = opened.sha256;
    let report = opened.country(read::Cases::Skipped)?;
    Ok(Some(LoadedReport {
        path: path.to_path_buf(),
        sha256,
        report,
    }))
}

/// The whole comparison: `compare.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    pub format: String,
    pub harness: Harness,
    /// False when any country's report is not comparable with the others.
    pub comparable: bool,
    /// One column per country: its latest report.
    pub countries: Vec<CountryColumn>,
    /// One row per requirement that any country's report holds.
    pub requirements: Vec<MatrixRow>,
    /// With `--baseline`: what changed since then.
    pub baseline: Option<BaselineDiff>,
    /// Countries with more than one run among the inputs (and the baseline).
    pub trends: Vec<Trend>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CountryColumn {
    pub code: String,
    pub name: String,
    pub file: String,
    pub started_at: String,
    pub harness_version: String,
    pub complete: bool,
    pub verdict: Conformance,
    pub musts_waived: usize,
    /// "conformant, 2 MUSTs waived".
    pub summary: String,
    pub requirements: Counts,
    /// Share of applicable requirements that passed, in percent.
    pub score: Option<u32>,
    pub domains: Vec<DomainScore>,
    /// With `--keys`: whether the report is signed by `<keys>/<cc>.pub`.
    pub signature: Option<SignatureStatus>,
    pub comparable: bool,
    /// Why not, when not.
    pub not_comparable: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DomainScore {
    pub domain: String,
    pub verdict: Conformance,
    pub musts_waived: usize,
    pub requirements: Counts,
    pub score: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignatureStatus {
    /// `valid`, `unsigned`, `other_key`, `mismatch`, `malformed` or `no_key`.
    pub status: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatrixRow {
    pub id: String,
    pub domain: String,
    pub level: String,
    pub statement: String,
    /// By country code; a country whose report lacks the requirement is absent.
    pub verdicts: BTreeMap<String, Verdict>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    pub country: String,
    pub requirement: String,
    pub level: String,
    pub before: Verdict,
    pub after: Verdict,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequirementChange {
    pub country: String,
    pub requirement: String,
    pub level: String,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WaiverChange {
    pub country: String,
    pub target: String,
    pub reason: String,
    pub owner: String,
    pub expires: String,
    /// The waiver's status in the baseline, if it was there.
    pub before: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerdictChange {
    pub country: String,
    pub before: Conformance,
    pub after: Conformance,
}

/// What changed since the baseline run, country by country.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BaselineDiff {
    pub files: Vec<String>,
    /// A requirement that now fails or warns and did not before (or got worse).
    pub regressions: Vec<Change>,
    /// A requirement that failed or warned and now passes.
    pub fixes: Vec<Change>,
    /// Any other change of a requirement's verdict.
    pub changed: Vec<Change>,
    pub new_requirements: Vec<RequirementChange>,
    pub retired_requirements: Vec<RequirementChange>,
    /// Waivers that have expired (`before` says whether they had in the baseline).
    pub waivers_expired: Vec<WaiverChange>,
    /// Waivers that cover nothing that fails any more: remove them.
    pub waivers_unused: Vec<WaiverChange>,
    pub verdicts: Vec<VerdictChange>,
    pub countries_new: Vec<String>,
    pub countries_missing: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trend {
    pub country: String,
    pub name: String,
    pub runs: Vec<TrendPoint>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrendPoint {
    pub started_at: String,
    pub file: String,
    pub verdict: Conformance,
    pub musts_waived: usize,
    pub requirements: Counts,
    pub score: Option<u32>,
    /// With `--keys`: whether this run's report is signed by `<keys>/<cc>.pub`.
    pub signature: Option<SignatureStatus>,
}

fn counts_of<'a>(reqs: impl Iterator<Item = &'a RequirementRecord>) -> Counts {
    let mut c = Counts::default();
    reqs.for_each(|r| c.add(r.verdict));
    c
}

/// Passed requirements as a share of the applicable ones, in percent.
pub fn score(c: &Counts) -> Option<u32> {
    let applicable = c.pass + c.fail + c.warn + c.waived + c.error;
    (applicable > 0).then(|| ((c.pass * 100 + applicable / 2) / applicable) as u32)
}

/// A point in time to order runs by.
fn started(r: &CountryReport) -> (i64, String) {
    let t = chrono::DateTime::parse_from_rfc3339(&r.started_at)
        .map(|t| t.timestamp_millis())
        .unwrap_or(i64::MIN);
    (t, r.started_at.clone())
}

/// The latest report of each country, by code.
fn latest(reports: &[LoadedReport]) -> BTreeMap<String, &LoadedReport> {
    let mut out: BTreeMap<String, &LoadedReport> = BTreeMap::new();
    for r in reports {
        let code = r.report.country.code.to_ascii_uppercase();
        match out.get(&code) {
            Some(prev) if started(&prev.report) > started(&r.report) => {}
            _ => {
                out.insert(code, r);
            }
        }
    }
    out
}

/// An input path from `suites/` on, wherever the report was made
/// (`<embedded>/suites/…`, `/home/x/repo/suites/…`); `None` for other inputs.
fn suite_input(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let at = parts.iter().rposition(|p| *p == "suites")?;
    Some(parts[at..].join("/"))
}

/// The suite and catalogue files a report was made from, with their hashes.
fn suite_inputs(r: &CountryReport) -> BTreeMap<String, String> {
    r.inputs
        .iter()
        .filter_map(|i| suite_input(&i.path).map(|p| (p, i.sha256.clone())))
        .collect()
}

/// The most common value, ties going to the first seen.
fn most_common<T: Clone + Eq>(values: &[T]) -> Option<T> {
    let mut best: Option<(&T, usize)> = None;
    for v in values {
        let n = values.iter().filter(|x| *x == v).count();
        if best.is_none_or(|(_, m)| n > m) {
            best = Some((v, n));
        }
    }
    best.map(|(v, _)| v.clone())
}

/// Why each report is not comparable with the majority, by country code.
fn comparability(columns: &[(&String, &LoadedReport)]) -> BTreeMap<String, Vec<String>> {
    let inputs: Vec<BTreeMap<String, String>> = columns
        .iter()
        .map(|(_, r)| suite_inputs(&r.report))
        .collect();
    let versions: Vec<String> = columns
        .iter()
        .map(|(_, r)| r.report.harness.version.clone())
        .collect();
    let reference = most_common(&inputs).unwrap_or_default();
    let version = most_common(&versions).unwrap_or_default();
    let mut out = BTreeMap::new();
    for (i, (code, _)) in columns.iter().enumerate() {
        let mut why = Vec::new();
        if versions[i] != version {
            why.push(format!(
                "made by conform {}, the others by {version}",
                versions[i]
            ));
        }
        let mine = &inputs[i];
        let mut files = Vec::new();
        for (path, hash) in mine {
            match reference.get(path) {
                Some(h) if h == hash => {}
                Some(_) => files.push(format!("{path} differs")),
                None => files.push(format!("{path} is only in this report")),
            }
        }
        for path in reference.keys() {
            if !mine.contains_key(path) {
                files.push(format!("{path} is missing"));
            }
        }
        if !files.is_empty() {
            let n = files.len();
            let mut text = String::from("suite or catalogue files differ from the others: ");
            text.push_str(&files.iter().take(5).cloned().collect::<Vec<_>>().join(", "));
            if n > 5 {
                let _ = write!(text, ", and {} more", n - 5);
            }
            why.push(text);
        }
        out.insert((*code).clone(), why);
    }
    out
}

fn signature_status(r: &LoadedReport, keys: &Path) -> SignatureStatus {
    let cc = r.report.country.code.to_ascii_lowercase();
    let key_path = keys.join(format!("{cc}.pub"));
    if !key_path.is_file() {
        return SignatureStatus {
            status: "no_key".into(),
            detail: format!("no key {}", key_path.display()),
        };
    }
    match sign::load_public_key(&key_path) {
        Ok(key) => {
            // Read again, one report at a time, rather than held since loading.
            let v = match std::fs::read(&r.path) {
                Ok(bytes) if Sha256::digest(&bytes)[..] == r.sha256 => {
                    sign::verify_file(&r.path, &bytes, &key)
                }
                Ok(_) => {
                    return SignatureStatus {
                        status: "mismatch".into(),
                        detail: "the report changed while it was being compared".into(),
                    };
                }
                Err(e) => {
                    sign::Verification::Malformed(format!("cannot read the report again: {e}"))
                }
            };
            SignatureStatus {
                status: v.status().into(),
                detail: v.describe(),
            }
        }
        Err(e) => SignatureStatus {
            status: "no_key".into(),
            detail: e,
        },
    }
}

fn is_bad(v: Verdict) -> bool {
    matches!(v, Verdict::Fail | Verdict::Warn)
}

fn diff(
    current: &BTreeMap<String, &LoadedReport>,
    baseline_reports: &[LoadedReport],
) -> BaselineDiff {
    let before = latest(baseline_reports);
    let mut d = BaselineDiff {
        files: before
            .values()
            .map(|r| r.path.display().to_string())
            .collect(),
        ..BaselineDiff::default()
    };
    d.countries_new = current
        .keys()
        .filter(|c| !before.contains_key(*c))
        .cloned()
        .collect();
    d.countries_missing = before
        .keys()
        .filter(|c| !current.contains_key(*c))
        .cloned()
        .collect();
    for (cc, now) in current {
        let Some(then) = before.get(cc) else { continue };
        let (now, then) = (&now.report, &then.report);
        if now.verdict != then.verdict {
            d.verdicts.push(VerdictChange {
                country: cc.clone(),
                before: then.verdict,
                after: now.verdict,
            });
        }
        let old: BTreeMap<&str, &RequirementRecord> = then
            .requirements
            .iter()
            .map(|r| (r.id.as_str(), r))
            .collect();
        let new: BTreeMap<&str, &RequirementRecord> = now
            .requirements
            .iter()
            .map(|r| (r.id.as_str(), r))
            .collect();
        for (id, r) in &new {
            let Some(o) = old.get(id) else {
                d.new_requirements.push(RequirementChange {
                    country: cc.clone(),
                    requirement: id.to_string(),
                    level: r.level.clone(),
                    verdict: r.verdict,
                });
                continue;
            };
            if o.verdict == r.verdict {
                continue;
            }
            let change = Change {
                country: cc.clone(),
                requirement: id.to_string(),
                level: r.level.clone(),
                before: o.verdict,
                after: r.verdict,
            };
            if is_bad(r.verdict)
                && (!is_bad(o.verdict) || r.verdict.severity() > o.verdict.severity())
            {
                d.regressions.push(change);
            } else if is_bad(o.verdict) && r.verdict == Verdict::Pass {
                d.fixes.push(change);
            } else {
                d.changed.push(change);
            }
        }
        for (id, o) in &old {
            if !new.contains_key(id) {
                d.retired_requirements.push(RequirementChange {
                    country: cc.clone(),
                    requirement: id.to_string(),
                    level: o.level.clone(),
                    verdict: o.verdict,
                });
            }
        }
        for w in &now.waivers {
            let was = then
                .waivers
                .iter()
                .find(|x| x.target == w.target)
                .map(|x| x.status.clone());
            let change = WaiverChange {
                country: cc.clone(),
                target: w.target.clone(),
                reason: w.reason.clone(),
                owner: w.owner.clone(),
                expires: w.expires.clone(),
                before: was,
            };
            match w.status.as_str() {
                "expired" => d.waivers_expired.push(change),
                "unused" => d.waivers_unused.push(change),
                _ => {}
            }
        }
    }
    d
}

fn trends(all: &[&LoadedReport], keys: Option<&Path>) -> Vec<Trend> {
    let mut by_country: BTreeMap<String, Vec<&LoadedReport>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for r in all {
        // The same report read twice (as input and as baseline) counts once.
        if !seen.insert(r.sha256) {
            continue;
        }
        by_country
            .entry(r.report.country.code.to_ascii_uppercase())
            .or_default()
            .push(r);
    }
    by_country
        .into_iter()
        .filter(|(_, runs)| runs.len() > 1)
        .map(|(country, mut runs)| {
            runs.sort_by_key(|r| started(&r.report));
            Trend {
                name: runs
                    .last()
                    .map(|r| r.report.country.name.clone())
                    .unwrap_or_default(),
                country,
                runs: runs
                    .iter()
                    .map(|r| {
                        let counts = counts_of(r.report.requirements.iter());
                        TrendPoint {
                            started_at: r.report.started_at.clone(),
                            file: r.path.display().to_string(),
                            verdict: r.report.verdict,
                            musts_waived: r.report.musts_waived,
                            score: score(&counts),
                            requirements: counts,
                            signature: keys.map(|k| signature_status(r, k)),
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Compare the latest report of each country; diff against a baseline;
/// check signatures against `keys/<cc>.pub`.
pub fn compare(
    reports: &[LoadedReport],
    baseline: Option<&[LoadedReport]>,
    keys: Option<&Path>,
) -> Comparison {
    let current = latest(reports);
    let columns: Vec<(&String, &LoadedReport)> = current.iter().map(|(c, r)| (c, *r)).collect();
    let why = comparability(&columns);
    let countries: Vec<CountryColumn> = columns
        .iter()
        .map(|(cc, r)| {
            let rep = &r.report;
            let counts = counts_of(rep.requirements.iter());
            let not_comparable = why.get(*cc).cloned().unwrap_or_default();
            CountryColumn {
                code: (*cc).clone(),
                name: rep.country.name.clone(),
                file: r.path.display().to_string(),
                started_at: rep.started_at.clone(),
                harness_version: rep.harness.version.clone(),
                complete: rep.complete,
                verdict: rep.verdict,
                musts_waived: rep.musts_waived,
                summary: conformance_text(rep.verdict, rep.musts_waived),
                score: score(&counts),
                requirements: counts,
                domains: rep
                    .domains
                    .iter()
                    .map(|d| DomainScore {
                        domain: d.domain.clone(),
                        verdict: d.verdict,
                        musts_waived: d.musts_waived,
                        requirements: d.requirements.clone(),
                        score: score(&d.requirements),
                    })
                    .collect(),
                signature: keys.map(|k| signature_status(r, k)),
                comparable: not_comparable.is_empty(),
                not_comparable,
            }
        })
        .collect();
    let mut rows: BTreeMap<(String, String), MatrixRow> = BTreeMap::new();
    for (cc, r) in &columns {
        for q in &r.report.requirements {
            rows.entry((q.domain.clone(), q.id.clone()))
                .or_insert_with(|| MatrixRow {
                    id: q.id.clone(),
                    domain: q.domain.clone(),
                    level: q.level.clone(),
                    statement: q.statement.clone(),
                    verdicts: BTreeMap::new(),
                })
                .verdicts
                .insert((*cc).clone(), q.verdict);
        }
    }
    let mut all: Vec<&LoadedReport> = reports.iter().collect();
    if let Some(b) = baseline {
        all.extend(b.iter());
    }
    Comparison {
        format: COMPARE_FORMAT.into(),
        harness: Harness::current(),
        comparable: countries.iter().all(|c| c.comparable),
        countries,
        requirements: rows.into_values().collect(),
        baseline: baseline.map(|b| diff(&current, b)),
        trends: trends(&all, keys),
    }
}

/// The files of a comparison: `compare.json`, `compare.md`, `compare.html`.
pub fn render_all(c: &Comparison) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut json = serde_json::to_vec_pretty(c).map_err(|e| e.to_string())?;
    json.push(b'\n');
    Ok(vec![
        ("compare.json".into(), json),
        ("compare.md".into(), render_markdown(c).into_bytes()),
        ("compare.html".into(), render_html(c)?.into_bytes()),
    ])
}

fn score_text(score: Option<u32>, c: &Counts) -> String {
    let applicable = c.pass + c.fail + c.warn + c.waived + c.error;
    match score {
        Some(s) => format!("{s}% ({}/{applicable})", c.pass),
        None => "n/a".into(),
    }
}

fn domains_of(c: &Comparison) -> Vec<String> {
    let set: BTreeSet<&str> = c
        .countries
        .iter()
        .flat_map(|k| k.domains.iter().map(|d| d.domain.as_str()))
        .collect();
    set.into_iter().map(str::to_string).collect()
}

/// `compare.md`.
pub fn render_markdown(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# conform compare: {} countr{}\n",
        c.countries.len(),
        if c.countries.len() == 1 { "y" } else { "ies" }
    );
    if !c.comparable {
        out.push_str("> **Not all reports are comparable:**\n");
        for k in c.countries.iter().filter(|k| !k.comparable) {
            let _ = writeln!(
                out,
                "> - {}: {}",
                md(&k.code),
                md(&k.not_comparable.join("; "))
            );
        }
        out.push('\n');
    }
    let domains = domains_of(c);
    let signed = c.countries.iter().any(|k| k.signature.is_some());
    out.push_str("| country | verdict | score | started |");
    if signed {
        out.push_str(" signature |");
    }
    for d in &domains {
        let _ = write!(out, " {} |", md(d));
    }
    out.push_str("\n|---|---|--:|---|");
    if signed {
        out.push_str("---|");
    }
    out.push_str(&"---|".repeat(domains.len()));
    out.push('\n');
    for k in &c.countries {
        let _ = write!(
            out,
            "| {} {}{} | {} | {} | {} |",
            md(&k.code),
            md(&k.name),
            if k.comparable {
                ""
            } else {
                " (not comparable)"
            },
            code(&k.summary),
            score_text(k.score, &k.requirements),
            md(&k.started_at)
        );
        if let Some(s) = &k.signature {
            let _ = write!(out, " `{}` |", s.status);
        } else if signed {
            out.push_str(" — |");
        }
        for d in &domains {
            match k.domains.iter().find(|x| &x.domain == d) {
                Some(x) => {
                    let _ = write!(
                        out,
                        " {} {} |",
                        code(&conformance_text(x.verdict, x.musts_waived)),
                        score_text(x.score, &x.requirements)
                    );
                }
                None => out.push_str(" — |"),
            }
        }
        out.push('\n');
    }
    if signed {
        for k in &c.countries {
            if let Some(s) = &k.signature
                && s.status != "valid"
            {
                let _ = writeln!(out, "\n{}: {}", md(&k.code), md(&s.detail));
            }
        }
    }
    let _ = writeln!(out, "\n## Requirements ({})\n", c.requirements.len());
    out.push_str("| requirement | level | domain |");
    for k in &c.countries {
        let _ = write!(out, " {} |", md(&k.code));
    }
    out.push_str("\n|---|---|---|");
    out.push_str(&"---|".repeat(c.countries.len()));
    out.push('\n');
    for r in &c.requirements {
        let _ = write!(
            out,
            "| {} | {} | {} |",
            code(&r.id),
            md(&r.level),
            md(&r.domain)
        );
        for k in &c.countries {
            match r.verdicts.get(&k.code) {
                Some(v) => {
                    let _ = write!(out, " `{}` |", v.as_str());
                }
                None => out.push_str(" — |"),
            }
        }
        out.push('\n');
    }
    if let Some(b) = &c.baseline {
        out.push_str("\n## Since the baseline\n");
        let change_list = |out: &mut String, title: &str, list: &[Change]| {
            let _ = writeln!(out, "\n### {title} ({})\n", list.len());
            for x in list {
                let _ = writeln!(
                    out,
                    "- {} {} ({}): `{}` → `{}`",
                    md(&x.country),
                    code(&x.requirement),
                    md(&x.level),
                    x.before.as_str(),
                    x.after.as_str()
                );
            }
        };
        change_list(&mut out, "Regressions", &b.regressions);
        change_list(&mut out, "Fixes", &b.fixes);
        if !b.changed.is_empty() {
            change_list(&mut out, "Other changes", &b.changed);
        }
        for v in &b.verdicts {
            let _ = writeln!(
                out,
                "\n{}: `{}` → `{}`",
                md(&v.country),
                v.before.as_str(),
                v.after.as_str()
            );
        }
        let req_list = |out: &mut String, title: &str, list: &[RequirementChange]| {
            if list.is_empty() {
                return;
            }
            let _ = writeln!(out, "\n### {title} ({})\n", list.len());
            for x in list {
                let _ = writeln!(
                    out,
                    "- {} {} ({}): `{}`",
                    md(&x.country),
                    code(&x.requirement),
                    md(&x.level),
                    x.verdict.as_str()
                );
            }
        };
        req_list(&mut out, "New requirements", &b.new_requirements);
        req_list(&mut out, "Retired requirements", &b.retired_requirements);
        let waiver_list = |out: &mut String, title: &str, list: &[WaiverChange]| {
            if list.is_empty() {
                return;
            }
            let _ = writeln!(out, "\n### {title} ({})\n", list.len());
            for w in list {
                let _ = writeln!(
                    out,
                    "- {} {}: {} (owner {}, expires {}){}",
                    md(&w.country),
                    code(&w.target),
                    md(&w.reason),
                    md(&w.owner),
                    md(&w.expires),
                    match &w.before {
                        Some(s) => format!(", was `{s}`"),
                        None => ", new since the baseline".into(),
                    }
                );
            }
        };
        waiver_list(&mut out, "Waivers that expired", &b.waivers_expired);
        waiver_list(
            &mut out,
            "Waivers that no longer fail (remove them)",
            &b.waivers_unused,
        );
        if !b.countries_new.is_empty() {
            let _ = writeln!(out, "\nNew countries: {}", md(&b.countries_new.join(", ")));
        }
        if !b.countries_missing.is_empty() {
            let _ = writeln!(
                out,
                "\nIn the baseline but not here: {}",
                md(&b.countries_missing.join(", "))
            );
        }
    }
    if !c.trends.is_empty() {
        out.push_str("\n## Trends\n");
        for t in &c.trends {
            let _ = writeln!(
                out,
                "\n### {} {}\n\n| started | verdict | score | pass | fail | warn | waived | error | not applicable |\n|---|---|--:|--:|--:|--:|--:|--:|--:|",
                md(&t.country),
                md(&t.name)
            );
            for p in &t.runs {
                let q = &p.requirements;
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    match &p.signature {
                        Some(s) => format!("{} (signature {})", md(&p.started_at), code(&s.status)),
                        None => md(&p.started_at),
                    },
                    code(&conformance_text(p.verdict, p.musts_waived)),
                    score_text(p.score, q),
                    q.pass,
                    q.fail,
                    q.warn,
                    q.waived,
                    q.error,
                    q.not_applicable
                );
            }
        }
    }
    out
}

#[derive(Serialize)]
struct MatrixView<'a> {
    id: &'a str,
    level: &'a str,
    domain: &'a str,
    statement: &'a str,
    /// The distinct verdicts in the row, for the status filter.
    statuses: String,
    cells: Vec<&'static str>,
}

/// `compare.html`.
pub fn render_html(c: &Comparison) -> Result<String, String> {
    let matrix: Vec<MatrixView<'_>> = c
        .requirements
        .iter()
        .map(|r| {
            let cells: Vec<&'static str> = c
                .countries
                .iter()
                .map(|k| {
                    r.verdicts
                        .get(&k.code)
                        .map(|v| v.as_str())
                        .unwrap_or("none")
                })
                .collect();
            let statuses: BTreeSet<&str> = cells.iter().copied().collect();
            MatrixView {
                id: &r.id,
                level: &r.level,
                domain: &r.domain,
                statement: &r.statement,
                statuses: statuses.into_iter().collect::<Vec<_>>().join(" "),
                cells,
            }
        })
        .collect();
    let chart = Chart::new(
        "Requirement verdicts per country",
        c.countries
            .iter()
            .map(|k| {
                (
                    format!("{} {}", k.code, k.name),
                    &k.requirements,
                    k.summary.clone(),
                )
            })
            .collect(),
    );
    let scores: Vec<Vec<String>> = c
        .countries
        .iter()
        .map(|k| {
            domains_of(c)
                .iter()
                .map(|d| match k.domains.iter().find(|x| &x.domain == d) {
                    Some(x) => score_text(x.score, &x.requirements),
                    None => "—".into(),
                })
                .collect()
        })
        .collect();
    render_template(
        "compare.html",
        context! {
            c => c,
            domains => domains_of(c),
            scores => scores,
            matrix => matrix,
            chart => chart,
            verdicts => VERDICTS.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
            levels => LEVELS,
            signed => c.countries.iter().any(|k| k.signature.is_some()),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::markdown::tests::sample;

    fn loaded(code: &str, started: &str, f: impl Fn(&mut CountryReport)) -> LoadedReport {
        let mut r = sample();
        r.country.code = code.into();
        r.started_at = started.into();
        r.inputs = vec![InputFile {
            path: "/somewhere/suites/eid/x.yaml".into(),
            sha256: "aa".into(),
        }];
        f(&mut r);
        let bytes = serde_json::to_vec_pretty(&r).unwrap();
        LoadedReport {
            path: PathBuf::from(format!("{}.json", code.to_ascii_lowercase())),
            sha256: Sha256::digest(bytes).into(),
            report: r,
        }
    }

    fn set(r: &mut CountryReport, id: &str, v: Verdict) {
        r.requirements
            .iter_mut()
            .find(|q| q.id == id)
            .unwrap()
            .verdict = v;
    }

    #[test]
    fn the_matrix_has_a_row_per_requirement_and_a_column_per_country() {
        let a = loaded("XX", "2026-11-22T12:00:00+00:00", |_| {});
        let b = loaded("YY", "2026-11-22T12:00:00+00:00", |r| {
            set(r, "R-FAIL", Verdict::Pass);
            r.inputs[0].path = "<embedded>/suites/eid/x.yaml".into();
        });
        let c = compare(&[a, b], None, None);
        assert!(c.comparable, "{c:#?}");
        assert_eq!(c.countries.len(), 2);
        assert_eq!(c.requirements.len(), 6);
        let row = c.requirements.iter().find(|r| r.id == "R-FAIL").unwrap();
        assert_eq!(row.verdicts["XX"], Verdict::Fail);
        assert_eq!(row.verdicts["YY"], Verdict::Pass);
        assert_eq!(c.countries[0].summary, "non_conformant, 1 MUST waived");
        // 1 pass of 5 applicable.
        assert_eq!(c.countries[0].score, Some(20));
        let md = render_markdown(&c);
        assert!(
            md.contains("| `R-FAIL` | MUST | eid | `fail` | `pass` |"),
            "{md}"
        );
        let html = render_html(&c).unwrap();
        assert_eq!(html.matches("<tr data-req=").count(), 6, "{html}");
    }

    #[test]
    fn different_suites_or_harness_versions_are_flagged() {
        let a = loaded("XX", "2026-11-22T12:00:00+00:00", |_| {});
        let b = loaded("YY", "2026-11-22T12:00:00+00:00", |_| {});
        let c = loaded("ZZ", "2026-11-22T12:00:00+00:00", |r| {
            r.inputs[0].sha256 = "bb".into();
            r.harness.version = "9.9.9".into();
        });
        let cmp = compare(&[a, b, c], None, None);
        assert!(!cmp.comparable);
        let zz = cmp.countries.iter().find(|k| k.code == "ZZ").unwrap();
        assert!(!zz.comparable);
        let why = zz.not_comparable.join("; ");
        assert!(why.contains("suites/eid/x.yaml differs"), "{why}");
        assert!(why.contains("conform 9.9.9"), "{why}");
        assert!(cmp.countries[0].comparable);
    }

    #[test]
    fn a_baseline_gives_regressions_fixes_and_trends() {
        let old = loaded("XX", "2026-10-01T12:00:00+00:00", |r| {
            set(r, "R-PASS", Verdict::Pass);
            r.requirements.push(RequirementRecord {
                id: "R-OLD".into(),
                ..r.requirements[0].clone()
            });
        });
        let new = loaded("XX", "2026-11-22T12:00:00+00:00", |r| {
            set(r, "R-FAIL", Verdict::Pass);
            set(r, "R-PASS", Verdict::Fail);
            r.waivers[0].status = "unused".into();
        });
        let cmp = compare(&[new], Some(&[old]), None);
        let b = cmp.baseline.as_ref().unwrap();
        let ids = |l: &[Change]| l.iter().map(|x| x.requirement.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&b.regressions), ["R-PASS"]);
        assert_eq!(ids(&b.fixes), ["R-FAIL"]);
        assert_eq!(b.retired_requirements[0].requirement, "R-OLD");
        assert_eq!(b.waivers_unused[0].target, "R-WAIVED");
        assert_eq!(cmp.trends.len(), 1);
        assert_eq!(cmp.trends[0].runs.len(), 2);
        assert_eq!(
            cmp.trends[0].runs[0].started_at,
            "2026-10-01T12:00:00+00:00"
        );
        let md = render_markdown(&cmp);
        assert!(
            md.contains("### Regressions (1)\n\n- XX `R-PASS` (MUST): `pass` → `fail`"),
            "{md}"
        );
        assert!(md.contains("### Fixes (1)"), "{md}");
        assert!(md.contains("Waivers that no longer fail"), "{md}");
        render_html(&cmp).unwrap();
    }

    #[test]
    fn suite_paths_are_compared_from_the_suites_folder_on() {
        assert_eq!(
            suite_input("/a/b/suites/eid/x.yaml").as_deref(),
            Some("suites/eid/x.yaml")
        );
        assert_eq!(
            suite_input("<embedded>/suites/eid/x.yaml").as_deref(),
            Some("suites/eid/x.yaml")
        );
        assert_eq!(suite_input("countries/fi.yaml"), None);
    }
}
