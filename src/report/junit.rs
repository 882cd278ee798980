//! JUnit XML for CI: `<cc>.junit.xml`, valid against the Jenkins xUnit
//! schema (`fixtures/junit-10.xsd`).
//!
//! One `testsuite` per (country, suite), one `testcase` per case. `fail` is a
//! `failure`, `error` an `error`, `not_applicable` and `waived` are
//! `skipped`; a `warn` is a passing testcase with the warning in
//! `system-out`. A testcase's name carries its requirement IDs; a failure's
//! or error's message carries the requirement IDs and the suite's
//! `file:line:col`. `properties` appear only on a testsuite (the schema
//! allows nothing else), and `testsuites` has no `skipped` attribute.

use std::fmt::Write as _;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::markdown::{
    Finding, case_findings, cut, file_stem, value_text, waiver_text, waivers_for,
};
use super::model::*;
use super::spool::CaseSource;

/// The file name of a country's JUnit report.
pub fn file_name(report: &CountryReport) -> String {
    format!("{}.junit.xml", file_stem(&report.country.code))
}

/// Text that XML 1.0 can hold: characters it forbids become U+FFFD.
fn xml_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// An attribute value: XML-safe and on one line.
fn attr(s: &str) -> String {
    xml_text(&s.replace(['\n', '\r', '\t'], " "))
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// `REQ-1, REQ-2: message at file:line:col`.
fn headline(f: &Finding<'_>) -> String {
    let reqs = f.requirements().join(", ");
    let message = cut(f.message(), 300);
    if reqs.is_empty() {
        format!("{message} at {}", f.location())
    } else {
        format!("{reqs}: {message} at {}", f.location())
    }
}

/// The full account of one finding, for the element's text.
fn detail(report: &CountryReport, f: &Finding<'_>, out: &mut String) {
    let _ = writeln!(out, "{} at {}", f.verdict.as_str(), f.location());
    for id in f.requirements() {
        if let Some(r) = report.requirements.iter().find(|r| r.id == id) {
            let _ = writeln!(out, "  {} ({}): {}", r.id, r.level, r.statement);
        } else {
            let _ = writeln!(out, "  {id}");
        }
    }
    match f.check {
        Some(c) => {
            let _ = write!(out, "  check: {}", c.kind);
            if let Some(at) = &c.at {
                let _ = write!(out, " at {at}");
            }
            out.push('\n');
            if let Some(v) = &c.expected {
                let _ = writeln!(out, "  expected: {}", value_text(v, 2000));
            }
            if let Some(v) = &c.actual {
                let _ = writeln!(out, "  actual:   {}", value_text(v, 2000));
            }
            let _ = writeln!(out, "  {}", c.message);
        }
        None => {
            let _ = writeln!(
                out,
                "  no answer: {}",
                f.step.error.as_deref().unwrap_or_default()
            );
        }
    }
    if let Some(req) = &f.step.request {
        let _ = writeln!(out, "  request: {} {}", req.method, req.url);
    }
    if let Some(resp) = &f.step.response {
        let _ = writeln!(
            out,
            "  response: {} ({} bytes, {} ms)",
            resp.status, resp.body_bytes, resp.elapsed_ms
        );
    }
}

/// `<cc>.junit.xml`.
pub fn render(report: &CountryReport) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write(&mut out, report);
    String::from_utf8(out).unwrap_or_default()
}

/// `<cc>.junit.xml`, streamed: each suite's cases are read from `source`.
pub fn write(out: &mut dyn std::io::Write, source: &dyn CaseSource) -> std::io::Result<()> {
    let mut w = Writer::new_with_indent(out, b' ', 2);
    write_report(&mut w, source)?;
    w.into_inner().write_all(b"\n")
}

type Xml<'a> = Writer<&'a mut dyn std::io::Write>;

fn write_report(w: &mut Xml<'_>, source: &dyn CaseSource) -> std::io::Result<()> {
    let report = source.report();
    let cc = report.country.code.to_ascii_lowercase();
    let cases: Vec<Vec<&CaseRecord>> = (0..report.suites.len())
        .map(|i| source.junit_cases(i))
        .collect();
    let cases = cases.iter().flatten();
    let tests = cases.clone().count();
    let failures = cases.clone().filter(|c| c.verdict == Verdict::Fail).count();
    let errors = cases
        .clone()
        .filter(|c| c.verdict == Verdict::Error)
        .count();
    let time: u64 = cases.map(|c| c.duration_ms).sum();

    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("testsuites")
        .with_attribute((
            "name",
            attr(&format!("conform {}", report.country.code)).as_str(),
        ))
        .with_attribute(("tests", tests.to_string().as_str()))
        .with_attribute(("failures", failures.to_string().as_str()))
        .with_attribute(("errors", errors.to_string().as_str()))
        .with_attribute(("time", seconds(time).as_str()))
        .write_inner_content(|w| {
            for (index, suite) in report.suites.iter().enumerate() {
                write_suite(w, report, &cc, index, suite, &source.junit_cases(index))?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_suite(
    w: &mut Xml<'_>,
    report: &CountryReport,
    cc: &str,
    index: usize,
    suite: &SuiteRecord,
    cases: &[&CaseRecord],
) -> std::io::Result<()> {
    let count = |v: Verdict| cases.iter().filter(|c| c.verdict == v).count();
    let skipped = count(Verdict::Waived) + count(Verdict::NotApplicable);
    let time: u64 = cases.iter().map(|c| c.duration_ms).sum();
    let domain = report.domains.iter().find(|d| d.domain == suite.domain);
    let spec = |k: &str| {
        suite
            .spec
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let mut properties = vec![
        ("country", report.country.code.clone()),
        ("country_name", report.country.name.clone()),
        ("country_verdict", report.verdict.as_str().to_string()),
        ("country_musts_waived", report.musts_waived.to_string()),
        ("domain", suite.domain.clone()),
        (
            "domain_verdict",
            domain
                .map(|d| d.verdict.as_str())
                .unwrap_or("not_applicable")
                .to_string(),
        ),
        (
            "domain_musts_waived",
            domain.map(|d| d.musts_waived).unwrap_or(0).to_string(),
        ),
        ("suite", suite.id.clone()),
        ("suite_file", suite.file.clone()),
        ("spec", spec("name")),
        ("spec_version", spec("version")),
        (
            "harness",
            format!("{} {}", report.harness.name, report.harness.version),
        ),
        ("started_at", report.started_at.clone()),
        ("complete", report.complete.to_string()),
        ("strict", report.strict.to_string()),
    ];
    if let Some(env) = &report.country.environment {
        properties.push(("environment", env.clone()));
    }
    if !suite.applicable {
        properties.push((
            "not_applicable",
            suite
                .reason
                .clone()
                .unwrap_or_else(|| "not applicable".into()),
        ));
    }
    w.create_element("testsuite")
        .with_attribute((
            "name",
            attr(&format!("{}/{}", report.country.code, suite.id)).as_str(),
        ))
        .with_attribute(("tests", cases.len().to_string().as_str()))
        .with_attribute(("failures", count(Verdict::Fail).to_string().as_str()))
        .with_attribute(("errors", count(Verdict::Error).to_string().as_str()))
        .with_attribute(("skipped", skipped.to_string().as_str()))
        .with_attribute(("time", seconds(time).as_str()))
        .with_attribute(("timestamp", attr(&report.started_at).as_str()))
        .with_attribute(("id", index.to_string().as_str()))
        .with_attribute(("package", attr(&format!("{cc}.{}", suite.domain)).as_str()))
        .with_attribute(("file", attr(&suite.file).as_str()))
        .write_inner_content(|w| {
            w.create_element("properties").write_inner_content(|w| {
                for (name, value) in &properties {
                    w.create_element("property")
                        .with_attribute(("name", *name))
                        .with_attribute(("value", attr(value).as_str()))
                        .write_empty()?;
                }
                Ok(())
            })?;
            for case in cases {
                write_case(w, report, cc, suite, case)?;
            }
            if !suite.applicable && cases.is_empty() {
                let text = format!(
                    "not applicable: {}",
                    suite.reason.as_deref().unwrap_or("not applicable")
                );
                w.create_element("system-out")
                    .write_text_content(BytesText::new(&xml_text(&text)))?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_case(
    w: &mut Xml<'_>,
    report: &CountryReport,
    cc: &str,
    suite: &SuiteRecord,
    case: &CaseRecord,
) -> std::io::Result<()> {
    let name = if case.requirements.is_empty() {
        case.id.clone()
    } else {
        format!("{} [{}]", case.id, case.requirements.join(", "))
    };
    let found = case_findings(suite, case);
    let mine: Vec<&Finding<'_>> = found.iter().collect();
    let of = |v: Verdict| mine.iter().copied().filter(move |f| f.verdict == v);
    let fallback = || {
        format!(
            "{}: {} at {}",
            case.requirements.join(", "),
            case.reason.as_deref().unwrap_or(case.verdict.as_str()),
            case.location
        )
    };
    w.create_element("testcase")
        .with_attribute(("name", attr(&name).as_str()))
        .with_attribute(("classname", attr(&format!("{cc}.{}", suite.id)).as_str()))
        .with_attribute(("time", seconds(case.duration_ms).as_str()))
        .write_inner_content(|w| {
            match case.verdict {
                Verdict::Fail | Verdict::Error => {
                    let v = case.verdict;
                    let list: Vec<&Finding<'_>> = of(v).collect();
                    let message = list.first().map(|f| headline(f)).unwrap_or_else(fallback);
                    let mut body = String::new();
                    for f in &list {
                        detail(report, f, &mut body);
                    }
                    if list.is_empty() {
                        let _ = writeln!(body, "{}", fallback());
                    }
                    w.create_element(if v == Verdict::Fail {
                        "failure"
                    } else {
                        "error"
                    })
                    .with_attribute(("type", v.as_str()))
                    .with_attribute(("message", attr(&message).as_str()))
                    .write_text_content(BytesText::new(&xml_text(&body)))?;
                }
                Verdict::Waived => {
                    let list: Vec<&Finding<'_>> = of(Verdict::Waived).collect();
                    let reqs: Vec<&str> = list
                        .iter()
                        .flat_map(|f| f.requirements())
                        .chain(case.requirements.iter().map(String::as_str))
                        .collect();
                    let waivers = waivers_for(report, &suite.id, &case.id, &reqs);
                    let mut message = String::from("waived");
                    for wv in &waivers {
                        let _ = write!(message, ": {}: {}", wv.target, waiver_text(wv));
                    }
                    if let Some(f) = list.first() {
                        let _ = write!(message, "; {}", headline(f));
                    }
                    let mut body = String::new();
                    for f in &list {
                        detail(report, f, &mut body);
                    }
                    w.create_element("skipped")
                        .with_attribute(("type", "waived"))
                        .with_attribute(("message", attr(&message).as_str()))
                        .write_text_content(BytesText::new(&xml_text(&body)))?;
                }
                Verdict::NotApplicable => {
                    let message = format!(
                        "not applicable: {}",
                        case.reason.as_deref().unwrap_or("not applicable")
                    );
                    w.create_element("skipped")
                        .with_attribute(("type", "not_applicable"))
                        .with_attribute(("message", attr(&message).as_str()))
                        .write_empty()?;
                }
                Verdict::Pass | Verdict::Warn => {}
            }
            // Warnings (of a warn case, or beside a failure) go to system-out.
            let warns: Vec<&Finding<'_>> = of(Verdict::Warn).collect();
            if !warns.is_empty() {
                let mut text = String::new();
                for f in warns {
                    let _ = writeln!(text, "warn: {}", headline(f));
                    detail(report, f, &mut text);
                }
                w.create_element("system-out")
                    .write_text_content(BytesText::new(&xml_text(&text)))?;
            }
            Ok(())
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::markdown::tests::sample;
    use quick_xml::Reader;
    use quick_xml::events::Event;

    /// (element name, attributes) of every start or empty element.
    fn elements(xml: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut reader = Reader::from_str(xml);
        let mut out = Vec::new();
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) | Event::Empty(e) => {
                    let attrs = e
                        .attributes()
                        .map(|a| {
                            let a = a.unwrap();
                            (
                                String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                                a.unescape_value().unwrap().into_owned(),
                            )
                        })
                        .collect();
                    out.push((
                        String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                        attrs,
                    ));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        out
    }

    fn get<'a>(attrs: &'a [(String, String)], k: &str) -> &'a str {
        attrs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no attribute {k} in {attrs:?}"))
    }

    #[test]
    fn one_testcase_per_case_with_the_verdicts_mapped() {
        let xml = render(&sample());
        let els = elements(&xml);
        let named = |n: &'static str| els.iter().filter(move |(e, _)| e == n);
        let root = &named("testsuites").next().unwrap().1;
        assert_eq!(get(root, "tests"), "6");
        assert_eq!(get(root, "failures"), "1");
        assert_eq!(get(root, "errors"), "1");
        assert!(root.iter().all(|(k, _)| k != "skipped"), "{xml}");
        let suite = &named("testsuite").next().unwrap().1;
        assert_eq!(get(suite, "name"), "XX/disc");
        assert_eq!(get(suite, "skipped"), "2");
        assert_eq!(named("testcase").count(), 6);
        assert_eq!(named("failure").count(), 1);
        assert_eq!(named("error").count(), 1);
        assert_eq!(named("skipped").count(), 2);
        assert_eq!(named("properties").count(), 1);

        let names: Vec<&str> = named("testcase").map(|(_, a)| get(a, "name")).collect();
        assert!(names.contains(&"fails [R-FAIL]"), "{names:?}");
        let failure = &named("failure").next().unwrap().1;
        assert_eq!(
            get(failure, "message"),
            "R-FAIL: issuer differs at suites/eid/x.yaml:12:11"
        );
        let error = &named("error").next().unwrap().1;
        assert_eq!(
            get(error, "message"),
            "R-ERR: connection refused at suites/eid/x.yaml:9:9"
        );
        let skipped: Vec<&str> = named("skipped").map(|(_, a)| get(a, "message")).collect();
        assert!(
            skipped.iter().any(|m| m.starts_with(
                "waived: R-WAIVED: fix ships in 2027.1 (owner team-x, expires 2027-03-31, applied)"
            )),
            "{skipped:?}"
        );
        assert!(
            skipped.contains(&"not applicable: needs capability `x`"),
            "{skipped:?}"
        );
        assert!(
            xml.contains("<system-out>warn: R-WARN: member missing at suites/eid/x.yaml:14:11"),
            "{xml}"
        );
        // Time follows the schema's SUREFIRE_TIME.
        assert_eq!(get(suite, "time"), "7.404");
    }

    #[test]
    fn text_that_xml_cannot_hold_is_replaced() {
        let mut r = sample();
        r.suites[0].cases[1].steps[0].checks[0].message = "bad \u{1b}[0m byte & <tag>".into();
        let xml = render(&r);
        assert!(
            xml.contains("bad \u{FFFD}[0m byte &amp; &lt;tag&gt;"),
            "{xml}"
        );
        elements(&xml);
    }
}
