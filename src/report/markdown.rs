//! Markdown: `<cc>.md` per country and `summary.md` for the run, for CI step
//! summaries and merge-request comments. Also the few helpers that every
//! rendered format shares: what did not pass ([`findings`]), the waivers that
//! cover a case, and the verdict in words ("conformant, 2 MUSTs waived").

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value;

use super::model::*;

/// One check that did not pass (or a step that got no answer), with where it sits.
#[derive(Debug, Clone, Copy)]
pub struct Finding<'a> {
    pub suite: &'a SuiteRecord,
    pub case: &'a CaseRecord,
    pub step: &'a StepRecord,
    /// `None` for a step that got no response to check.
    pub check: Option<&'a CheckRecord>,
    pub verdict: Verdict,
}

impl<'a> Finding<'a> {
    /// The requirements it counts for: the check's own, else its case's.
    pub fn requirements(&self) -> Vec<&'a str> {
        match self.check.and_then(|c| c.requirement.as_deref()) {
            Some(id) => vec![id],
            None => self.case.requirements.iter().map(String::as_str).collect(),
        }
    }

    /// `file:line:col` in the suite: the check's, else the step's.
    pub fn location(&self) -> &'a str {
        self.check
            .map(|c| c.location.as_str())
            .unwrap_or(self.step.location.as_str())
    }

    pub fn message(&self) -> &'a str {
        match self.check {
            Some(c) => &c.message,
            None => self.step.error.as_deref().unwrap_or_default(),
        }
    }

    /// `suite/case`.
    pub fn case_path(&self) -> String {
        format!("{}/{}", self.suite.id, self.case.id)
    }

    pub fn counts_for(&self, requirement: &str) -> bool {
        self.requirements().contains(&requirement)
    }
}

/// Every check whose verdict is fail, error, warn or waived, and every step
/// that got no answer, in the report's order.
pub fn findings(report: &CountryReport) -> Vec<Finding<'_>> {
    let mut out = Vec::new();
    for suite in &report.suites {
        for case in &suite.cases {
            out.extend(case_findings(suite, case));
        }
    }
    out
}

/// The findings of one case, in its order.
pub fn case_findings<'a>(suite: &'a SuiteRecord, case: &'a CaseRecord) -> Vec<Finding<'a>> {
    let mut out = Vec::new();
    for step in &case.steps {
        if step.checks.is_empty() && step.error.is_some() {
            out.push(Finding {
                suite,
                case,
                step,
                check: None,
                verdict: Verdict::Error,
            });
        }
        for check in &step.checks {
            if matches!(
                check.verdict,
                Verdict::Fail | Verdict::Error | Verdict::Warn | Verdict::Waived
            ) {
                out.push(Finding {
                    suite,
                    case,
                    step,
                    check: Some(check),
                    verdict: check.verdict,
                });
            }
        }
    }
    out
}

/// Whether a case has anything [`findings`] lists.
pub fn has_findings(case: &CaseRecord) -> bool {
    case.steps.iter().any(|step| {
        (step.checks.is_empty() && step.error.is_some())
            || step.checks.iter().any(|c| {
                matches!(
                    c.verdict,
                    Verdict::Fail | Verdict::Error | Verdict::Warn | Verdict::Waived
                )
            })
    })
}

/// The waivers that cover a case or one of these requirements.
pub fn waivers_for<'a>(
    report: &'a CountryReport,
    suite: &str,
    case: &str,
    requirements: &[&str],
) -> Vec<&'a WaiverRecord> {
    let base = case.split('[').next().unwrap_or(case);
    let case_target = format!("{suite}/{base}");
    report
        .waivers
        .iter()
        .filter(|w| w.target == case_target || requirements.contains(&w.target.as_str()))
        .collect()
}

/// "conformant", "conformant, 2 MUSTs waived".
pub fn conformance_text(verdict: Conformance, musts_waived: usize) -> String {
    match musts_waived {
        0 => verdict.as_str().to_string(),
        1 => format!("{}, 1 MUST waived", verdict.as_str()),
        n => format!("{}, {n} MUSTs waived", verdict.as_str()),
    }
}

/// A waiver in one line: reason, owner, expiry and status.
pub fn waiver_text(w: &WaiverRecord) -> String {
    format!(
        "{} (owner {}, expires {}, {})",
        w.reason, w.owner, w.expires, w.status
    )
}

/// A requirement's source as text and its link (http(s) only).
pub fn source_text(source: &Value) -> (String, Option<String>) {
    let field = |k: &str| source.get(k).and_then(Value::as_str).unwrap_or_default();
    let mut text = field("spec").to_string();
    if !field("version").is_empty() && !text.contains(field("version")) {
        let _ = write!(text, " {}", field("version"));
    }
    if !field("section").is_empty() {
        let _ = write!(text, " §{}", field("section"));
    }
    let url = field("url");
    let link = (url.starts_with("https://") || url.starts_with("http://")).then(|| url.to_string());
    (text, link)
}

/// A JSON value on one line, cut at `max` characters.
pub fn value_text(v: &Value, max: usize) -> String {
    let s = serde_json::to_string(v).unwrap_or_default();
    cut(&s, max)
}

/// `s` cut to `max` characters, with `…` when cut.
pub fn cut(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        format!(
            "{}…",
            s.chars().take(max.saturating_sub(1)).collect::<String>()
        )
    } else {
        s.to_string()
    }
}

/// Markdown text: one line, with Markdown's and HTML's special characters escaped.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// A URL for `<…>` in a Markdown link.
fn link_target(url: &str) -> String {
    url.replace('>', "%3E").replace(['\n', '\r'], "")
}

/// An inline code span that holds `s` whatever backticks it contains (one line).
pub fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || s.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// The lower-case country code as the start of a file name. Anything but
/// letters, digits, `-` and `_` becomes `_`: a report handed in by someone
/// else never names a file outside the folder it is rendered into.
pub fn file_stem(code: &str) -> String {
    code.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The file name of a country's Markdown report.
pub fn file_name(report: &CountryReport) -> String {
    format!("{}.md", file_stem(&report.country.code))
}

/// What one finding found, in one Markdown line (without the list marker).
fn finding_line(f: &Finding<'_>) -> String {
    let mut line = format!("{} at {}", code(&f.case_path()), code(f.location()));
    match f.check {
        Some(c) => {
            let _ = write!(line, ": {}", md(&c.kind));
            if let Some(at) = &c.at {
                let _ = write!(line, " at {}", code(at));
            }
            let _ = write!(line, ": {}", md(&cut(&c.message, 400)));
            // Expected and actual, unless the message already says both.
            let plain = |v: &Value| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            };
            let said = |v: &Option<Value>| v.as_ref().is_none_or(|v| c.message.contains(&plain(v)));
            if !(said(&c.expected) && said(&c.actual)) {
                let show = |v: &Option<Value>| {
                    v.as_ref()
                        .map(|v| code(&value_text(v, 200)))
                        .unwrap_or_else(|| "(none)".into())
                };
                let _ = write!(
                    line,
                    " (expected {}, actual {})",
                    show(&c.expected),
                    show(&c.actual)
                );
            }
        }
        None => {
            let _ = write!(line, ": no answer: {}", md(&cut(f.message(), 400)));
        }
    }
    line
}

/// A section for the requirements with `verdict`: each with its statement,
/// source, waiver, and what was found.
fn requirement_section(
    out: &mut String,
    report: &CountryReport,
    all: &[Finding<'_>],
    verdict: Verdict,
    title: &str,
) {
    let reqs: Vec<&RequirementRecord> = report
        .requirements
        .iter()
        .filter(|r| r.verdict == verdict)
        .collect();
    if reqs.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## {title} ({})\n", reqs.len());
    for r in reqs {
        let _ = writeln!(
            out,
            "### {} ({}, {}): `{}`\n",
            md(&r.id),
            r.level,
            md(&r.domain),
            r.verdict.as_str()
        );
        let (src, link) = source_text(&r.source);
        let src = match link {
            Some(url) if !src.is_empty() => format!(" ([{}](<{}>))", md(&src), link_target(&url)),
            Some(url) => format!(" (<{}>)", link_target(&url)),
            None if !src.is_empty() => format!(" ({})", md(&src)),
            None => String::new(),
        };
        let _ = writeln!(out, "{}{src}\n", md(&r.statement));
        if let Some(w) = &r.waiver {
            let _ = writeln!(out, "Waiver: {}\n", md(&waiver_text(w)));
        }
        let mine: Vec<&Finding<'_>> = all
            .iter()
            .filter(|f| f.counts_for(&r.id) && f.verdict.severity() >= Verdict::Waived.severity())
            .collect();
        for f in &mine {
            let _ = writeln!(out, "- `{}` {}", f.verdict.as_str(), finding_line(f));
        }
        if mine.is_empty()
            && let Some(reason) = &r.reason
        {
            let _ = writeln!(out, "- {}", md(reason));
        }
    }
}

/// `<cc>.md`.
pub fn render(report: &CountryReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} {}: `{}`\n",
        md(&report.country.code),
        md(&report.country.name),
        report.verdict.as_str()
    );
    let total = report.requirements.len();
    let mut counts = Counts::default();
    report
        .requirements
        .iter()
        .for_each(|r| counts.add(r.verdict));
    let _ = writeln!(
        out,
        "**{}** over {total} requirements: {} pass, {} fail, {} warn, {} waived, {} error, {} not applicable.\n",
        md(&conformance_text(report.verdict, report.musts_waived)),
        counts.pass,
        counts.fail,
        counts.warn,
        counts.waived,
        counts.error,
        counts.not_applicable
    );
    let _ = writeln!(
        out,
        "Started {} · environment {} · {} {}{}\n",
        md(&report.started_at),
        report
            .country
            .environment
            .as_deref()
            .map(code)
            .unwrap_or_else(|| "(default)".into()),
        md(&report.harness.name),
        md(&report.harness.version),
        if report.strict { " · strict" } else { "" }
    );
    if report.insecure {
        out.push_str("> **TLS verification was off** (`--insecure`): the evidence is weaker.\n\n");
    }
    if let Some(shard) = &report.shard {
        let _ = writeln!(out, "> Shard {} of the plan only.\n", md(shard));
    }
    if !report.complete {
        let _ = writeln!(
            out,
            "> **Incomplete:** {}\n",
            md(report
                .incomplete_reason
                .as_deref()
                .unwrap_or("the run did not finish"))
        );
    }
    out.push_str(
        "| domain | verdict | MUSTs waived | pass | fail | warn | waived | error | not applicable |\n\
         |---|---|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for d in &report.domains {
        let c = &d.requirements;
        let name = if d.title.is_empty() {
            md(&d.domain)
        } else {
            format!("{} ({})", md(&d.domain), md(&d.title))
        };
        let _ = writeln!(
            out,
            "| {name} | `{}` | {} | {} | {} | {} | {} | {} | {} |",
            d.verdict.as_str(),
            d.musts_waived,
            c.pass,
            c.fail,
            c.warn,
            c.waived,
            c.error,
            c.not_applicable
        );
    }
    let all = findings(report);
    requirement_section(&mut out, report, &all, Verdict::Fail, "Failures");
    requirement_section(&mut out, report, &all, Verdict::Error, "Errors");
    requirement_section(&mut out, report, &all, Verdict::Warn, "Warnings");
    requirement_section(&mut out, report, &all, Verdict::Waived, "Waived");
    if !report.waivers.is_empty() {
        let _ = writeln!(
            out,
            "\n## Waivers ({})\n\n| target | status | reason | owner | expires |\n|---|---|---|---|---|",
            report.waivers.len()
        );
        for w in &report.waivers {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                code(&w.target),
                code(&w.status),
                md(&w.reason),
                md(&w.owner),
                md(&w.expires)
            );
        }
        if report.waivers.iter().any(|w| w.status == "unused") {
            out.push_str(
                "\nAn `unused` waiver covers nothing that failed in this run: remove it.\n",
            );
        }
    }
    out
}

/// The most lines per country in `summary.md` before "and N more".
const SUMMARY_LINES: usize = 30;

/// `summary.md`: the run in one page, a table of countries and what failed.
pub fn run_summary(run: &RunReport, reports: &[&CountryReport]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# conform run: exit {}\n", run.exit_code);
    let _ = writeln!(
        out,
        "Started {} · {} {} · {} countr{}{}{}\n",
        md(&run.started_at),
        md(&run.harness.name),
        md(&run.harness.version),
        run.countries.len(),
        if run.countries.len() == 1 { "y" } else { "ies" },
        if run.complete {
            ""
        } else {
            " · **interrupted**"
        },
        if run.strict { " · strict" } else { "" }
    );
    let domains: BTreeSet<&str> = run
        .countries
        .iter()
        .flat_map(|c| c.domains.iter().map(|(d, _)| d.as_str()))
        .collect();
    out.push_str("| country | verdict | MUSTs waived |");
    for d in &domains {
        let _ = write!(out, " {} |", md(d));
    }
    out.push_str(" report |\n|---|---|--:|");
    out.push_str(&"---|".repeat(domains.len()));
    out.push_str("---|\n");
    for c in &run.countries {
        let _ = write!(
            out,
            "| {} {} | `{}` | {} |",
            md(&c.code),
            md(&c.name),
            c.verdict.as_str(),
            c.musts_waived
        );
        for d in &domains {
            match c.domains.iter().find(|(name, _)| name == d) {
                Some((_, v)) => {
                    let _ = write!(out, " `{}` |", v.as_str());
                }
                None => out.push_str(" — |"),
            }
        }
        let md_name = format!("{}.md", file_stem(&c.code));
        let _ = writeln!(out, " [{}]({}) |", md(&md_name), md_name);
    }
    for c in &run.countries {
        let Some(report) = reports.iter().find(|r| r.country.code == c.code) else {
            continue;
        };
        let all = findings(report);
        let mut lines = Vec::new();
        for r in &report.requirements {
            if !matches!(
                r.verdict,
                Verdict::Fail | Verdict::Error | Verdict::Warn | Verdict::Waived
            ) {
                continue;
            }
            // What gave the requirement its verdict, else anything that counts for it.
            let first = all
                .iter()
                .find(|f| f.counts_for(&r.id) && f.verdict == r.verdict)
                .or_else(|| all.iter().find(|f| f.counts_for(&r.id)));
            let mut line = format!("- `{}` {} ({})", r.verdict.as_str(), code(&r.id), r.level);
            match first {
                Some(f) => {
                    let _ = write!(line, ": {}", finding_line(f));
                }
                None => {
                    if let Some(reason) = &r.reason {
                        let _ = write!(line, ": {}", md(&cut(reason, 400)));
                    }
                }
            }
            if let Some(w) = &r.waiver {
                let _ = write!(line, " — waiver: {}", md(&waiver_text(w)));
            }
            lines.push(line);
        }
        for w in report.waivers.iter().filter(|w| w.status != "applied") {
            lines.push(format!(
                "- waiver {} {}: {}",
                code(&w.target),
                code(&w.status),
                md(&waiver_text(w))
            ));
        }
        if lines.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n## {} {}: {}\n",
            md(&c.code),
            md(&c.name),
            code(&conformance_text(c.verdict, c.musts_waived))
        );
        let more = lines.len().saturating_sub(SUMMARY_LINES);
        for line in lines.into_iter().take(SUMMARY_LINES) {
            out.push_str(&line);
            out.push('\n');
        }
        if more > 0 {
            let _ = writeln!(out, "- … and {more} more in {}.md", file_stem(&c.code));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// A small report: one suite, a failing MUST, a warning SHOULD, a waived
    /// MUST, a not-applicable case and an unreachable step.
    pub(crate) fn sample() -> CountryReport {
        let check = |req: &str, verdict: Verdict, message: &str, line: u32| CheckRecord {
            kind: "json".into(),
            requirement: Some(req.into()),
            outcome: if verdict == Verdict::Pass {
                "pass"
            } else {
                "fail"
            }
            .into(),
            verdict,
            message: message.into(),
            expected: Some(json!("https://a.example")),
            actual: Some(json!("https://b.example")),
            at: Some("$.issuer".into()),
            location: format!("suites/eid/x.yaml:{line}:11"),
        };
        let step = |checks: Vec<CheckRecord>, error: Option<&str>| StepRecord {
            name: None,
            location: "suites/eid/x.yaml:9:9".into(),
            request: Some(RequestRecord {
                method: "GET".into(),
                url: "https://a.example/.well-known/openid-configuration".into(),
                headers: vec![],
                body: None,
            }),
            response: error.is_none().then(|| ResponseRecord {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body_excerpt: "{\"issuer\":\"https://b.example\"}".into(),
                body_bytes: 30,
                truncated: false,
                capped: false,
                elapsed_ms: 3,
            }),
            error: error.map(str::to_string),
            checks,
        };
        let case = |id: &str, reqs: &[&str], verdict: Verdict, steps: Vec<StepRecord>| CaseRecord {
            id: id.into(),
            title: format!("The {id} case"),
            tags: vec![],
            requirements: reqs.iter().map(|s| s.to_string()).collect(),
            verdict,
            reason: (verdict == Verdict::NotApplicable).then(|| "needs capability `x`".into()),
            item: None,
            location: "suites/eid/x.yaml:7:5".into(),
            duration_ms: 1234,
            steps,
        };
        let req = |id: &str, level: &str, verdict: Verdict| RequirementRecord {
            id: id.into(),
            domain: "eid".into(),
            level: level.into(),
            statement: format!("Statement of {id} with <b>markup</b> & | pipes"),
            source: json!({"spec": "Spec", "version": "1.0", "section": "4.3", "url": "https://spec.example/#4.3"}),
            verdict,
            reason: None,
            cases: vec![],
            waiver: None,
        };
        let waiver = WaiverRecord {
            target: "R-WAIVED".into(),
            reason: "fix ships in 2027.1".into(),
            owner: "team-x".into(),
            expires: "2027-03-31".into(),
            status: "applied".into(),
        };
        let mut waived_req = req("R-WAIVED", "MUST", Verdict::Waived);
        waived_req.waiver = Some(waiver.clone());
        CountryReport {
            format: REPORT_FORMAT.into(),
            harness: Harness::current(),
            country: CountryRef {
                code: "XX".into(),
                name: "Testland".into(),
                environment: Some("test".into()),
            },
            started_at: "2026-11-22T12:00:00+00:00".into(),
            finished_at: "2026-11-22T12:00:01+00:00".into(),
            duration_ms: 1000,
            complete: true,
            incomplete_reason: None,
            strict: false,
            insecure: false,
            shard: None,
            verdict: Conformance::NonConformant,
            musts_waived: 1,
            domains: vec![DomainRecord {
                domain: "eid".into(),
                title: "Electronic identification".into(),
                verdict: Conformance::NonConformant,
                musts_waived: 1,
                requirements: Counts {
                    pass: 1,
                    fail: 1,
                    warn: 1,
                    waived: 1,
                    not_applicable: 1,
                    error: 1,
                },
            }],
            requirements: vec![
                req("R-PASS", "MUST", Verdict::Pass),
                req("R-FAIL", "MUST", Verdict::Fail),
                req("R-WARN", "SHOULD", Verdict::Warn),
                waived_req,
                req("R-NA", "MUST", Verdict::NotApplicable),
                req("R-ERR", "MUST", Verdict::Error),
            ],
            suites: vec![SuiteRecord {
                id: "disc".into(),
                domain: "eid".into(),
                title: "Discovery".into(),
                file: "suites/eid/x.yaml".into(),
                spec: json!({"name": "Spec", "version": "1.0"}),
                applicable: true,
                reason: None,
                requirements: ["R-PASS", "R-FAIL", "R-WARN", "R-WAIVED", "R-NA", "R-ERR"]
                    .map(String::from)
                    .to_vec(),
                cases: vec![
                    case(
                        "passes",
                        &["R-PASS"],
                        Verdict::Pass,
                        vec![step(vec![check("R-PASS", Verdict::Pass, "ok", 10)], None)],
                    ),
                    case(
                        "fails",
                        &["R-FAIL"],
                        Verdict::Fail,
                        vec![step(
                            vec![check("R-FAIL", Verdict::Fail, "issuer differs", 12)],
                            None,
                        )],
                    ),
                    case(
                        "warns",
                        &["R-WARN"],
                        Verdict::Warn,
                        vec![step(
                            vec![check("R-WARN", Verdict::Warn, "member missing", 14)],
                            None,
                        )],
                    ),
                    case(
                        "waived",
                        &["R-WAIVED"],
                        Verdict::Waived,
                        vec![step(
                            vec![check("R-WAIVED", Verdict::Waived, "no CORS", 16)],
                            None,
                        )],
                    ),
                    case("not-here", &["R-NA"], Verdict::NotApplicable, vec![]),
                    case(
                        "unreachable",
                        &["R-ERR"],
                        Verdict::Error,
                        vec![step(vec![], Some("connection refused"))],
                    ),
                ],
            }],
            waivers: vec![waiver],
            profile: json!({}),
            inputs: vec![],
        }
    }

    #[test]
    fn the_country_page_names_verdicts_failures_and_waivers() {
        let text = render(&sample());
        assert!(
            text.starts_with("# XX Testland: `non_conformant`\n"),
            "{text}"
        );
        assert!(
            text.contains("**non\\_conformant, 1 MUST waived**"),
            "{text}"
        );
        assert!(
            text.contains(
                "| eid (Electronic identification) | `non_conformant` | 1 | 1 | 1 | 1 | 1 | 1 | 1 |"
            ),
            "{text}"
        );
        assert!(text.contains("## Failures (1)"), "{text}");
        assert!(text.contains("### R-FAIL (MUST, eid): `fail`"), "{text}");
        assert!(
            text.contains(
                "- `fail` `disc/fails` at `suites/eid/x.yaml:12:11`: json at `$.issuer`: issuer differs (expected `\"https://a.example\"`, actual `\"https://b.example\"`)"
            ),
            "{text}"
        );
        assert!(
            text.contains("[Spec 1.0 §4.3](<https://spec.example/#4.3>)"),
            "{text}"
        );
        // Markup in a statement never becomes markup.
        assert!(text.contains("\\<b\\>markup\\</b\\> & \\| pipes"), "{text}");
        assert!(text.contains("## Errors (1)"), "{text}");
        assert!(text.contains("no answer: connection refused"), "{text}");
        assert!(text.contains("## Warnings (1)"), "{text}");
        assert!(text.contains("## Waived (1)"), "{text}");
        assert!(
            text.contains(
                "Waiver: fix ships in 2027.1 (owner team-x, expires 2027-03-31, applied)"
            ),
            "{text}"
        );
        assert!(
            text.contains("| `R-WAIVED` | `applied` | fix ships in 2027.1 | team-x | 2027-03-31 |"),
            "{text}"
        );
    }

    #[test]
    fn the_run_summary_has_a_row_per_country_and_the_failures() {
        let report = sample();
        let run = RunReport {
            format: RUN_FORMAT.into(),
            harness: Harness::current(),
            started_at: report.started_at.clone(),
            finished_at: report.finished_at.clone(),
            complete: true,
            strict: false,
            shard: None,
            exit_code: 1,
            countries: vec![RunCountry {
                code: "XX".into(),
                name: "Testland".into(),
                verdict: report.verdict,
                musts_waived: 1,
                domains: vec![("eid".into(), Conformance::NonConformant)],
                report: "xx.json".into(),
            }],
        };
        let text = run_summary(&run, &[&report]);
        assert!(text.starts_with("# conform run: exit 1\n"), "{text}");
        assert!(
            text.contains("| country | verdict | MUSTs waived | eid | report |"),
            "{text}"
        );
        assert!(
            text.contains(
                "| XX Testland | `non_conformant` | 1 | `non_conformant` | [xx.md](xx.md) |"
            ),
            "{text}"
        );
        assert!(
            text.contains("- `fail` `R-FAIL` (MUST): `disc/fails` at `suites/eid/x.yaml:12:11`"),
            "{text}"
        );
        assert!(text.contains("waiver: fix ships in 2027.1"), "{text}");
    }

    #[test]
    fn a_file_name_never_leaves_its_folder() {
        assert_eq!(file_stem("FI"), "fi");
        assert_eq!(file_stem("../../etc/x"), "______etc_x");
        let mut r = sample();
        r.country.code = "../x".into();
        assert_eq!(file_name(&r), "___x.md");
    }

    #[test]
    fn code_spans_hold_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
    }
}
