//! HTML: one self-contained page per country, `<cc>.html`. Inline CSS, an
//! inline SVG chart and a little plain JavaScript for the table's filters;
//! a Content-Security-Policy that forbids every request, so the page works
//! from `file://` and fetches nothing. Rendered with minijinja from the
//! templates in `templates/` (embedded), HTML auto-escaping on.
//!
//! `<cc>.html?selftest=status:fail` applies filters from the URL and writes
//! what it saw, and any script error, as JSON into `<pre id="selftest">`:
//! that is how the tests drive the page in a headless browser.

use serde::Serialize;
use serde_json::Value;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};

use super::markdown::{Finding, conformance_text, file_stem, findings, source_text, waivers_for};
use super::model::*;

/// The file name of a country's page.
pub fn file_name(report: &CountryReport) -> String {
    format!("{}.html", file_stem(&report.country.code))
}

/// The verdicts in the Contracts' order of severity, worst first.
pub const VERDICTS: [Verdict; 6] = [
    Verdict::Fail,
    Verdict::Error,
    Verdict::Warn,
    Verdict::Waived,
    Verdict::Pass,
    Verdict::NotApplicable,
];

pub const LEVELS: [&str; 3] = ["MUST", "SHOULD", "MAY"];

/// The template environment: every template embedded; HTML escaping for
/// `.html` templates, none for the included CSS and JavaScript (which take no
/// values); an undefined value is an error, not an empty string.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_formatter(formatter);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    for (name, source) in [
        ("country.html", include_str!("templates/country.html")),
        ("compare.html", include_str!("templates/compare.html")),
        ("chart.html", include_str!("templates/chart.html")),
        ("style.css", include_str!("templates/style.css")),
        ("errors.js", include_str!("templates/errors.js")),
        ("filters.js", include_str!("templates/filters.js")),
    ] {
        // The templates are part of the binary; the tests render each of them.
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("template {name}: {e:#}"));
    }
    env
}

/// HTML-escape strings as minijinja does, but leave `/` alone, so that URLs
/// and `file:line:col` read plainly in the page's source.
fn formatter(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if state.auto_escape() == AutoEscape::Html
        && !value.is_safe()
        && let Some(s) = value.as_str()
    {
        let mut escaped = String::with_capacity(s.len());
        for c in s.chars() {
            match c {
                '&' => escaped.push_str("&amp;"),
                '<' => escaped.push_str("&lt;"),
                '>' => escaped.push_str("&gt;"),
                '"' => escaped.push_str("&quot;"),
                '\'' => escaped.push_str("&#x27;"),
                c => escaped.push(c),
            }
        }
        return out.write_str(&escaped).map_err(minijinja::Error::from);
    }
    minijinja::escape_formatter(out, state, value)
}

/// Render an embedded template with a context.
pub fn render_template(name: &str, ctx: minijinja::Value) -> Result<String, String> {
    let env = environment();
    let template = env.get_template(name).map_err(|e| format!("{e:#}"))?;
    let mut text = template
        .render(ctx)
        .map_err(|e| format!("rendering {name}: {e:#}"))?;
    text.push('\n');
    Ok(text)
}

/// A horizontal stacked bar chart, one row per label.
#[derive(Debug, Serialize)]
pub struct Chart {
    pub title: String,
    pub width: u32,
    pub height: u32,
    pub note_x: u32,
    pub rows: Vec<ChartRow>,
    pub legend: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct ChartRow {
    pub label: String,
    pub note: String,
    pub y: u32,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Serialize)]
pub struct Segment {
    pub verdict: &'static str,
    pub count: usize,
    pub x: String,
    pub w: String,
}

const LABEL_WIDTH: f64 = 170.0;
const BAR_WIDTH: f64 = 420.0;

impl Chart {
    /// One row per (label, counts, note).
    pub fn new(title: &str, rows: Vec<(String, &Counts, String)>) -> Chart {
        let order = [
            Verdict::Pass,
            Verdict::Waived,
            Verdict::Warn,
            Verdict::Error,
            Verdict::Fail,
            Verdict::NotApplicable,
        ];
        let rows: Vec<ChartRow> = rows
            .into_iter()
            .enumerate()
            .map(|(i, (label, counts, note))| {
                let total: usize = order.iter().map(|v| count(counts, *v)).sum();
                let mut x = LABEL_WIDTH;
                let mut segments = Vec::new();
                for v in order {
                    let n = count(counts, v);
                    if n == 0 {
                        continue;
                    }
                    let w = BAR_WIDTH * n as f64 / total as f64;
                    segments.push(Segment {
                        verdict: v.as_str(),
                        count: n,
                        x: format!("{x:.1}"),
                        w: format!("{w:.1}"),
                    });
                    x += w;
                }
                ChartRow {
                    label,
                    note,
                    y: 8 + i as u32 * 28,
                    segments,
                }
            })
            .collect();
        Chart {
            title: title.into(),
            width: (LABEL_WIDTH + BAR_WIDTH) as u32 + 230,
            height: 12 + rows.len() as u32 * 28,
            note_x: (LABEL_WIDTH + BAR_WIDTH) as u32 + 10,
            rows,
            legend: order.iter().map(|v| v.as_str()).collect(),
        }
    }
}

pub fn count(c: &Counts, v: Verdict) -> usize {
    match v {
        Verdict::Pass => c.pass,
        Verdict::Fail => c.fail,
        Verdict::Warn => c.warn,
        Verdict::Waived => c.waived,
        Verdict::NotApplicable => c.not_applicable,
        Verdict::Error => c.error,
    }
}

#[derive(Serialize)]
struct Header {
    code: String,
    name: String,
    verdict: &'static str,
    musts_waived: usize,
    environment: Option<String>,
    started_at: String,
    finished_at: String,
    harness: String,
    strict: bool,
    insecure: bool,
    shard: Option<String>,
    complete: bool,
    incomplete_reason: Option<String>,
}

#[derive(Serialize)]
struct DomainRow {
    domain: String,
    title: String,
    verdict: &'static str,
    musts_waived: usize,
    counts: Vec<usize>,
}

#[derive(Serialize, Clone)]
struct RequirementRef {
    id: String,
    level: String,
    statement: String,
    source: String,
    source_url: Option<String>,
}

#[derive(Serialize)]
struct RequirementRow {
    id: String,
    level: String,
    domain: String,
    verdict: &'static str,
    statement: String,
    source: String,
    source_url: Option<String>,
    cases: Vec<String>,
    reason: Option<String>,
    waiver: Option<WaiverRecord>,
    /// The index of the first finding for it, for a link.
    finding: Option<usize>,
}

#[derive(Serialize)]
struct FindingView {
    index: usize,
    verdict: &'static str,
    case: String,
    case_title: String,
    location: String,
    kind: Option<String>,
    at: Option<String>,
    message: String,
    expected: Option<String>,
    actual: Option<String>,
    requirements: Vec<RequirementRef>,
    waivers: Vec<WaiverRecord>,
    request: Option<String>,
    response: Option<String>,
}

fn pretty(v: &Option<Value>) -> Option<String> {
    v.as_ref()
        .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
}

fn requirement_ref(report: &CountryReport, id: &str) -> RequirementRef {
    match report.requirements.iter().find(|r| r.id == id) {
        Some(r) => {
            let (source, source_url) = source_text(&r.source);
            RequirementRef {
                id: r.id.clone(),
                level: r.level.clone(),
                statement: r.statement.clone(),
                source,
                source_url,
            }
        }
        None => RequirementRef {
            id: id.into(),
            level: String::new(),
            statement: String::new(),
            source: String::new(),
            source_url: None,
        },
    }
}

fn request_text(step: &StepRecord) -> Option<String> {
    let r = step.request.as_ref()?;
    let mut s = format!("{} {}", r.method, r.url);
    for (k, v) in &r.headers {
        s.push_str(&format!("\n{k}: {v}"));
    }
    if let Some(b) = &r.body {
        s.push_str("\n\n");
        s.push_str(b);
    }
    Some(s)
}

fn response_text(step: &StepRecord) -> Option<String> {
    let r = step.response.as_ref()?;
    let mut s = format!(
        "{} ({} bytes{}, {} ms)",
        r.status,
        r.body_bytes,
        if r.capped {
            ", capped: the body was longer and was not read further"
        } else if r.truncated {
            ", excerpt"
        } else {
            ""
        },
        r.elapsed_ms
    );
    for (k, v) in &r.headers {
        s.push_str(&format!("\n{k}: {v}"));
    }
    if !r.body_excerpt.is_empty() {
        s.push_str("\n\n");
        s.push_str(&r.body_excerpt);
        if r.truncated {
            s.push_str("\n…");
        }
    }
    Some(s)
}

fn finding_view(report: &CountryReport, index: usize, f: &Finding<'_>) -> FindingView {
    let reqs = f.requirements();
    FindingView {
        index,
        verdict: f.verdict.as_str(),
        case: f.case_path(),
        case_title: f.case.title.clone(),
        location: f.location().to_string(),
        kind: f.check.map(|c| c.kind.clone()),
        at: f.check.and_then(|c| c.at.clone()),
        message: f.message().to_string(),
        expected: f.check.and_then(|c| pretty(&c.expected)),
        actual: f.check.and_then(|c| pretty(&c.actual)),
        requirements: reqs.iter().map(|id| requirement_ref(report, id)).collect(),
        waivers: if f.verdict == Verdict::Waived {
            waivers_for(report, &f.suite.id, &f.case.id, &reqs)
                .into_iter()
                .cloned()
                .collect()
        } else {
            Vec::new()
        },
        request: request_text(f.step),
        response: if f.check.is_none() {
            response_text(f.step).or_else(|| f.step.error.clone())
        } else {
            response_text(f.step)
        },
    }
}

/// `<cc>.html`.
pub fn render(report: &CountryReport) -> Result<String, String> {
    let mut all = findings(report);
    // Worst first, then in report order.
    all.sort_by_key(|f| std::cmp::Reverse(f.verdict.severity()));
    let findings: Vec<FindingView> = all
        .iter()
        .enumerate()
        .map(|(i, f)| finding_view(report, i + 1, f))
        .collect();
    let requirements: Vec<RequirementRow> = report
        .requirements
        .iter()
        .map(|r| {
            let (source, source_url) = source_text(&r.source);
            RequirementRow {
                id: r.id.clone(),
                level: r.level.clone(),
                domain: r.domain.clone(),
                verdict: r.verdict.as_str(),
                statement: r.statement.clone(),
                source,
                source_url,
                cases: r.cases.clone(),
                reason: r.reason.clone(),
                waiver: r.waiver.clone(),
                finding: all
                    .iter()
                    .position(|f| f.verdict == r.verdict && f.counts_for(&r.id))
                    .map(|i| i + 1),
            }
        })
        .collect();
    let domains: Vec<DomainRow> = report
        .domains
        .iter()
        .map(|d| DomainRow {
            domain: d.domain.clone(),
            title: d.title.clone(),
            verdict: d.verdict.as_str(),
            musts_waived: d.musts_waived,
            counts: VERDICTS
                .iter()
                .map(|v| count(&d.requirements, *v))
                .collect(),
        })
        .collect();
    let chart = Chart::new(
        "Requirement verdicts per domain",
        report
            .domains
            .iter()
            .map(|d| {
                (
                    d.domain.clone(),
                    &d.requirements,
                    conformance_text(d.verdict, d.musts_waived),
                )
            })
            .collect(),
    );
    let header = Header {
        code: report.country.code.clone(),
        name: report.country.name.clone(),
        verdict: report.verdict.as_str(),
        musts_waived: report.musts_waived,
        environment: report.country.environment.clone(),
        started_at: report.started_at.clone(),
        finished_at: report.finished_at.clone(),
        harness: format!("{} {}", report.harness.name, report.harness.version),
        strict: report.strict,
        insecure: report.insecure,
        shard: report.shard.clone(),
        complete: report.complete,
        incomplete_reason: report.incomplete_reason.clone(),
    };
    render_template(
        "country.html",
        context! {
            r => header,
            verdicts => VERDICTS.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
            levels => LEVELS,
            domains => domains,
            chart => chart,
            requirements => requirements,
            findings => findings,
            waivers => report.waivers,
            inputs => report.inputs,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::markdown::tests::sample;

    #[test]
    fn the_page_has_a_row_per_requirement_and_escapes_text() {
        let html = render(&sample()).unwrap();
        assert_eq!(html.matches("<tr id=\"req-").count(), 6, "{html}");
        assert!(html.contains("data-status=\"fail\""));
        assert!(
            html.contains("&lt;b&gt;markup&lt;&#x2f;b&gt;")
                || html.contains("&lt;b&gt;markup&lt;/b&gt;"),
            "{html}"
        );
        assert!(!html.contains("<b>markup</b>"));
        assert!(html.contains("<svg class=\"chart\""));
        assert!(html.contains("fix ships in 2027.1"));
        assert!(html.contains("suites/eid/x.yaml:12:11"));
        assert!(
            html.contains("<a href=\"https:&#x2f;&#x2f;spec.example&#x2f;#4.3\">")
                || html.contains("<a href=\"https://spec.example/#4.3\">"),
            "{html}"
        );
        // Nothing is fetched: no external script, style, image or font.
        for needle in ["src=\"http", "<link", "@import", "url(http"] {
            assert!(!html.contains(needle), "{needle} in the page");
        }
    }
}
