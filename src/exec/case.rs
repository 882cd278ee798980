//! Running one case: its steps in order, captures flowing forward, every
//! check evaluated on the one parsed response, everything recorded redacted.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::http;
use super::secrets::{Captured, CaseVars};
use super::{Country, TapeMode};
use crate::check::{EvalContext, Status};
use crate::exchange::{Request, Response};
use crate::report::model::*;
use crate::suite::{BodySpec, CaptureSource, Case, Step};
use crate::template::{Template, Vars};

/// Body bytes kept in a report excerpt.
const EXCERPT_BYTES: usize = 4096;
/// Retries of a 429 or 503 that the step does not expect.
const UNAVAILABLE_RETRIES: u32 = 2;
/// Longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// A case's exchanges as the request path leaves them: the steps that got an
/// answer are judged later, off the path, by [`judge`].
pub struct Exchanged {
    duration_ms: u64,
    steps: Vec<StepRun>,
}

/// One step of an exchanged case.
enum StepRun {
    /// Nothing to judge: the step was not run, refused, or got no answer.
    Done(Box<StepRecord>),
    /// An answer whose checks are still to be evaluated.
    Answered(Box<Answered>),
}

/// What judging a step's answer needs: the variables are those the step saw.
struct Answered {
    step: usize,
    name: Option<String>,
    round: Option<u32>,
    captures: BTreeMap<String, Captured>,
    request: Request,
    response: Response,
}

/// Send a case's requests in order. Captures and `until` are evaluated on the
/// way, since later requests depend on them; the checks are left to [`judge`].
pub async fn run(country: &Country, case: &Case, item: Option<&Value>) -> Exchanged {
    let started = Instant::now();
    let mut captures: BTreeMap<String, Captured> = BTreeMap::new();
    let mut steps = Vec::new();
    let mut broken: Option<String> = None;
    for (index, step) in case.steps.iter().enumerate() {
        if let Some(why) = &broken {
            steps.push(StepRun::Done(Box::new(unrun(
                step,
                format!("not run: {why}"),
            ))));
            continue;
        }
        let Some(repeat) = &step.repeat else {
            let (run, _) = run_step(country, (index, step), &mut captures, item, None).await;
            if !run.answered() {
                broken = Some("an earlier step got no answer".into());
            }
            steps.push(run);
            continue;
        };
        let mut last_until = String::new();
        let mut reached = false;
        for round in 1..=repeat.max {
            let (mut run, until) =
                run_step(country, (index, step), &mut captures, item, Some(round)).await;
            run.rename(format!(
                "{} (round {round})",
                step.name.as_deref().unwrap_or("repeat")
            ));
            let answered = run.answered();
            steps.push(run);
            if !answered {
                broken = Some("an earlier step got no answer".into());
                break;
            }
            match until {
                Some((true, _)) => {
                    reached = true;
                    break;
                }
                Some((false, why)) => last_until = why,
                None => {}
            }
        }
        if !reached && broken.is_none() {
            steps.push(StepRun::Done(Box::new(never_ended(
                step,
                repeat,
                &last_until,
            ))));
        }
    }
    Exchanged {
        duration_ms: started.elapsed().as_millis() as u64,
        steps,
    }
}

impl StepRun {
    fn answered(&self) -> bool {
        match self {
            StepRun::Done(r) => r.response.is_some(),
            StepRun::Answered(_) => true,
        }
    }

    fn rename(&mut self, name: String) {
        match self {
            StepRun::Done(r) => r.name = Some(name),
            StepRun::Answered(a) => a.name = Some(name),
        }
    }
}

/// Evaluate the checks of an exchanged case and give its record (ungraded).
pub fn judge(
    country: &Country,
    case: &Case,
    id: &str,
    item: Option<&Value>,
    run: Exchanged,
) -> CaseRecord {
    let steps = run
        .steps
        .into_iter()
        .map(|s| match s {
            StepRun::Done(record) => *record,
            StepRun::Answered(a) => {
                let vars = case_vars(country, &a.captures, item, a.round);
                let cx = EvalContext {
                    vars: &vars,
                    schemas: &country.schemas,
                    request: Some(&a.request),
                };
                let mut record = judge_step(
                    &case.steps[a.step],
                    &a.request,
                    &a.response,
                    &cx,
                    &country.redactor,
                );
                if a.name.is_some() {
                    record.name = a.name;
                }
                record
            }
        })
        .collect();
    CaseRecord {
        item: item.cloned(),
        duration_ms: run.duration_ms,
        steps,
        ..record(case, id)
    }
}

/// The record of a case that does not apply here, and why.
pub fn not_applicable(case: &Case, id: &str, reason: &str) -> CaseRecord {
    CaseRecord {
        verdict: Verdict::NotApplicable,
        reason: Some(reason.to_string()),
        ..record(case, id)
    }
}

/// What a case's record says of the case itself; no steps yet, ungraded.
fn record(case: &Case, id: &str) -> CaseRecord {
    CaseRecord {
        id: id.to_string(),
        title: case.title.clone(),
        tags: case.tags.clone(),
        requirements: case.requirements.iter().map(|(r, _)| r.clone()).collect(),
        verdict: Verdict::Pass,
        reason: None,
        item: None,
        location: case.loc.to_string(),
        duration_ms: 0,
        steps: Vec::new(),
    }
}

fn case_vars<'a>(
    country: &'a Country,
    captures: &'a BTreeMap<String, Captured>,
    item: Option<&'a Value>,
    round: Option<u32>,
) -> CaseVars<'a> {
    CaseVars {
        replaying: matches!(country.tape, Some((TapeMode::Replay, _))),
        profile: &country.profile,
        captures,
        item,
        redactor: &country.redactor,
        base: &country.base,
        round,
    }
}

/// A repeating step whose `until` never held: a failure of the answers, which
/// counts for the case's requirements.
fn never_ended(step: &Step, repeat: &crate::suite::Repeat, last: &str) -> StepRecord {
    let message = format!(
        "the `until` condition did not hold within {} rounds (last: {last})",
        repeat.max
    );
    StepRecord {
        name: Some(format!(
            "{} (stopped)",
            step.name.as_deref().unwrap_or("repeat")
        )),
        location: repeat.loc.to_string(),
        request: None,
        response: None,
        error: None,
        checks: vec![CheckRecord {
            kind: "repeat".into(),
            requirement: None,
            outcome: "fail".into(),
            verdict: Verdict::Fail,
            message,
            expected: Some(Value::from(format!(
                "`until` holds within {} rounds",
                repeat.max
            ))),
            actual: None,
            at: None,
            location: repeat.loc.to_string(),
        }],
    }
}

/// A step that cannot be judged: every check is an error with `why`.
fn unrun(step: &Step, why: String) -> StepRecord {
    StepRecord {
        name: step.name.clone(),
        location: step.loc.to_string(),
        request: None,
        response: None,
        checks: step
            .checks
            .iter()
            .map(|c| CheckRecord {
                kind: c.kind.name().to_string(),
                requirement: c.requirement.as_ref().map(|(r, _)| r.clone()),
                outcome: "error".into(),
                verdict: Verdict::Error,
                message: why.clone(),
                expected: None,
                actual: None,
                at: None,
                location: c.loc.to_string(),
            })
            .collect(),
        error: Some(why),
    }
}

fn text_of(v: Value) -> String {
    match v {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn render(t: &Template, vars: &dyn Vars, secret: &mut bool) -> Result<Value, String> {
    let r = t.render(vars)?;
    *secret |= r.secret;
    Ok(r.value)
}

fn build_request(step: &Step, vars: &dyn Vars) -> Result<Request, String> {
    let spec = &step.request;
    let mut secret = false;
    let url = text_of(render(&spec.url, vars, &mut secret)?);
    let mut parsed = url::Url::parse(&url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("`{url}` is not an http or https URL"));
    }
    if !spec.query.is_empty() {
        let mut pairs = parsed.query_pairs_mut();
        for (k, t) in &spec.query {
            match render(t, vars, &mut secret)? {
                Value::Array(items) => items.into_iter().for_each(|v| {
                    pairs.append_pair(k, &text_of(v));
                }),
                v => {
                    pairs.append_pair(k, &text_of(v));
                }
            }
        }
    }
    let mut headers = Vec::new();
    for (k, t) in &spec.headers {
        headers.push((k.clone(), text_of(render(t, vars, &mut secret)?)));
    }
    let body = match &spec.body {
        None => None,
        Some(BodySpec::Json(t)) => {
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                headers.push(("content-type".into(), "application/json".into()));
            }
            Some(serde_json::to_vec(&render(t, vars, &mut secret)?).map_err(|e| e.to_string())?)
        }
        Some(BodySpec::Text(t)) => Some(text_of(render(t, vars, &mut secret)?).into_bytes()),
        Some(BodySpec::Form(fields)) => {
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for (k, t) in fields {
                ser.append_pair(k, &text_of(render(t, vars, &mut secret)?));
            }
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                headers.push((
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ));
            }
            Some(ser.finish().into_bytes())
        }
    };
    Ok(Request {
        method: spec.method.clone(),
        url: parsed,
        headers,
        body,
        carries_secret: secret,
    })
}

/// Whether the step's checks expect this status (a health check in maintenance answers 503).
fn expects_status(step: &Step, response: &Response, cx: &EvalContext<'_>) -> bool {
    step.checks
        .iter()
        .filter(|c| c.kind.name() == "status")
        .any(|c| c.kind.evaluate(response, cx).status == Status::Pass)
}

/// How long a 429 or 503 asks us to wait (`Retry-After`: seconds or an
/// HTTP date, RFC 9110 §10.2.3), bounded; one second when it says nothing usable.
fn retry_after(response: &Response) -> Duration {
    let Some(v) = response.header("retry-after").map(str::trim) else {
        return Duration::from_secs(1);
    };
    let wait = match v.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => match chrono::DateTime::parse_from_rfc2822(v) {
            Ok(at) => (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO),
            Err(_) => Duration::from_secs(1),
        },
    };
    wait.min(MAX_RETRY_AFTER)
}

/// Run one step (one round of a repeating one): its outcome, and for a
/// repeating step whether `until` held (and why not). Its captures join `captures`.
async fn run_step(
    country: &Country,
    (index, step): (usize, &Step),
    captures: &mut BTreeMap<String, Captured>,
    item: Option<&Value>,
    round: Option<u32>,
) -> (StepRun, Until) {
    // The checks see the variables from before this step's own captures.
    let seen = captures.clone();
    let vars = case_vars(country, &seen, item, round);
    let cx = EvalContext {
        vars: &vars,
        schemas: &country.schemas,
        request: None,
    };
    let (request, response) = match exchange(country, step, &cx).await {
        Ok(answer) => answer,
        Err(record) => return (StepRun::Done(Box::new(record)), None),
    };
    let cx = EvalContext {
        request: Some(&request),
        ..cx
    };
    // Captures first: a secret one is known to the redactor before any
    // message that may quote it is redacted.
    let taken = take_captures(step, &response, &cx, &country.redactor);
    let until = step.repeat.as_ref().map(|r| {
        let o = r.until.evaluate(&response, &cx);
        (
            o.status == Status::Pass,
            country.redactor.redact(&o.message),
        )
    });
    captures.extend(taken);
    let answered = Answered {
        step: index,
        name: None,
        round,
        captures: seen,
        request,
        response,
    };
    (StepRun::Answered(Box::new(answered)), until)
}

/// Whether a repeating step's `until` held, and why not.
type Until = Option<(bool, String)>;

/// Send one step's request (or answer it from a recording): the request and
/// its answer, or the record of a step that got none.
async fn exchange(
    country: &Country,
    step: &Step,
    cx: &EvalContext<'_>,
) -> Result<(Request, Response), StepRecord> {
    let redactor = &country.redactor;
    let request = match build_request(step, cx.vars) {
        Ok(r) => r,
        Err(e) => {
            return Err(unrun(
                step,
                redactor.redact(&format!("cannot build the request: {e}")),
            ));
        }
    };
    let refused = |why: String, request: &Request| {
        let mut r = unrun(step, why);
        r.request = Some(record_request(request, redactor));
        r
    };
    // A parsed URL's host is already lower-case (and ASCII, IDNA applied).
    let host = request.url.host_str().unwrap_or_default().to_string();
    if request.carries_secret && !country.profile.hosts.contains(&host) {
        let why = format!(
            "refused: the request carries a secret and {host} is not a host of the {} profile; nothing was sent",
            country.profile.code
        );
        return Err(refused(why, &request));
    }
    if let Some((TapeMode::Replay, store)) = &country.tape {
        return match store.replay(&request, redactor) {
            Ok(response) => Ok((request, response)),
            Err(e) => Err(refused(redactor.redact(&e), &request)),
        };
    }
    let client = match &country.client {
        Ok(c) => c,
        Err(e) => return Err(unrun(step, redactor.redact(e))),
    };
    let timeout = step
        .request
        .timeout_ms
        .map(Duration::from_millis)
        .unwrap_or(country.transport.request_timeout);
    let gate = country.hosts.gate(&host, country.limits).await;
    let mut attempt = 0;
    let response = loop {
        let result = gate
            .run(http::send(
                client,
                &request,
                step.request.follow_redirects,
                (
                    country.transport.connect_timeout,
                    country.transport.first_byte_timeout,
                    timeout,
                ),
                country.transport.max_body_bytes,
            ))
            .await;
        match result {
            Ok(resp) if matches!(resp.status, 429 | 503) && !expects_status(step, &resp, cx) => {
                if attempt < UNAVAILABLE_RETRIES {
                    attempt += 1;
                    tokio::time::sleep(retry_after(&resp)).await;
                    continue;
                }
                let asked = match resp.header("retry-after") {
                    Some(v) => format!(", waiting as Retry-After: {} asked", v.trim()),
                    None => String::new(),
                };
                let why = format!(
                    "endpoint unavailable: HTTP {} after {} attempts{asked}",
                    resp.status,
                    attempt + 1
                );
                return Err(refused(why, &request));
            }
            Ok(resp) => break resp,
            Err(e) => return Err(refused(redactor.redact(&e), &request)),
        }
    };
    if let Some((TapeMode::Record, store)) = &country.tape {
        // A secret capture (a token in this answer) becomes a placeholder in the recording too.
        take_captures(step, &response, cx, redactor);
        if let Err(e) = store.record(&request, &response, redactor) {
            return Err(refused(
                format!("cannot record the exchange: {e}"),
                &request,
            ));
        }
    }
    Ok((request, response))
}

/// The step's captures from an answer; secret ones are made known to the
/// redactor (idempotent), so that nothing written afterwards shows them.
fn take_captures(
    step: &Step,
    response: &Response,
    cx: &EvalContext<'_>,
    redactor: &super::secrets::Redactor,
) -> Vec<(String, Captured)> {
    let mut captured = Vec::new();
    for capture in &step.captures {
        let value = match &capture.source {
            CaptureSource::Header(h) => response.header(h).map(|v| Value::String(v.to_string())),
            CaptureSource::Json { selector, all } => response.json().ok().and_then(|doc| {
                let selected = selector.select(doc);
                if *all {
                    Some(Value::Array(
                        selected.into_iter().map(|(_, v)| v.clone()).collect(),
                    ))
                } else {
                    selected.into_iter().next().map(|(_, v)| v.clone())
                }
            }),
            CaptureSource::Xml { xpath, all } => xpath
                .strings(&response.text(), cx.vars)
                .ok()
                .and_then(|found| {
                    let mut found = found.into_iter().map(Value::String);
                    if *all {
                        Some(Value::Array(found.collect()))
                    } else {
                        found.next()
                    }
                }),
        };
        if let Some(value) = value {
            if capture.secret {
                redactor.add_value(&value, &format!("capture.{}", capture.name));
            }
            captured.push((
                capture.name.clone(),
                Captured {
                    value,
                    secret: capture.secret,
                },
            ));
        }
    }
    captured
}

/// Evaluate a step's checks on its answer. Its captures were taken on the
/// request path, so a secret one is known to the redactor before any check
/// message (which may quote the captured value) is redacted.
fn judge_step(
    step: &Step,
    request: &Request,
    response: &Response,
    cx: &EvalContext<'_>,
    redactor: &super::secrets::Redactor,
) -> StepRecord {
    // An unexpected status decides the step: the other checks would only
    // report the symptoms ("selected nothing"), so they are not judged.
    let status_failure = step
        .checks
        .iter()
        .filter(|c| c.kind.name() == "status" && c.part.is_none() && c.when.is_none())
        .map(|c| c.evaluate(response, cx))
        .find(|o| o.status == Status::Fail);
    let checks = step
        .checks
        .iter()
        .map(|c| {
            let o = match &status_failure {
                Some(failed) if c.kind.name() != "status" => {
                    crate::check::Outcome::error(format!("not judged: {}", failed.message))
                }
                _ => c.evaluate(response, cx),
            };
            CheckRecord {
                kind: c.kind.name().to_string(),
                requirement: c.requirement.as_ref().map(|(r, _)| r.clone()),
                outcome: match o.status {
                    Status::Pass => "pass",
                    Status::Fail => "fail",
                    Status::Error => "error",
                }
                .into(),
                verdict: Verdict::Pass,
                message: redactor.redact(&o.message),
                expected: o.expected.map(|v| redactor.redact_value(&v)),
                actual: o.actual.map(|v| redactor.redact_value(&v)),
                at: o.at,
                location: c.loc.to_string(),
            }
        })
        .collect();
    StepRecord {
        name: step.name.clone(),
        location: step.loc.to_string(),
        request: Some(record_request(request, redactor)),
        response: Some(record_response(response, redactor)),
        error: None,
        checks,
    }
}

fn record_request(r: &Request, redactor: &super::secrets::Redactor) -> RequestRecord {
    RequestRecord {
        method: r.method.clone(),
        url: redactor.redact(r.url.as_str()),
        headers: redactor.redact_headers(&r.headers),
        body: r.body.as_ref().map(|b| redactor.redact(&excerpt(b).0)),
    }
}

fn record_response(r: &Response, redactor: &super::secrets::Redactor) -> ResponseRecord {
    let (body_excerpt, cut) = excerpt(&r.body);
    ResponseRecord {
        status: r.status,
        headers: redactor.redact_headers(&r.headers),
        body_excerpt: redactor.redact(&body_excerpt),
        body_bytes: r.body.len(),
        truncated: cut || r.truncated,
        capped: r.truncated,
        elapsed_ms: r.elapsed.as_millis() as u64,
    }
}

fn excerpt(body: &[u8]) -> (String, bool) {
    if body.len() <= EXCERPT_BYTES {
        return (text(body), false);
    }
    let mut end = EXCERPT_BYTES;
    while end > 0 && (body[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    (text(&body[..end]), true)
}

/// Bytes as text, invalid UTF-8 replaced. Valid text (nearly every body)
/// takes the faster check of `from_utf8`.
fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy(retry_after: Option<&str>) -> Response {
        let headers = retry_after
            .map(|v| vec![("Retry-After".to_string(), v.to_string())])
            .unwrap_or_default();
        Response::new(503, headers, Vec::new(), Duration::ZERO)
    }

    /// `Retry-After` in seconds or as an HTTP date (RFC 9110 §10.2.3), bounded.
    #[test]
    fn retry_after_reads_seconds_and_dates_within_bounds() {
        assert_eq!(retry_after(&busy(Some("3"))), Duration::from_secs(3));
        assert_eq!(retry_after(&busy(Some("86400"))), MAX_RETRY_AFTER);
        assert_eq!(retry_after(&busy(None)), Duration::from_secs(1));
        assert_eq!(retry_after(&busy(Some("soon"))), Duration::from_secs(1));
        let past = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert_eq!(retry_after(&busy(Some(past))), Duration::ZERO);
        let later = (chrono::Utc::now() + chrono::Duration::seconds(6))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let wait = retry_after(&busy(Some(&later)));
        assert!(
            wait > Duration::from_secs(3) && wait <= Duration::from_secs(6),
            "{wait:?}"
        );
        let far = "Fri, 01 Jan 2100 00:00:00 GMT";
        assert_eq!(retry_after(&busy(Some(far))), MAX_RETRY_AFTER);
    }
}
