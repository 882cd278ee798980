//! One trial per fixture suite (libtest-mimic, `harness = false`).
//!
//! - `fixtures/suites/good/<name>.yaml`: the trial mounts `<name>.mocks.json`
//!   on a fresh wiremock server, runs the binary against it, validates the
//!   reports, and compares each case's verdict, the country's verdict and
//!   the exit code with `<name>.expected.json` (written by hand from the
//!   suite's logic).
//! - `fixtures/suites/broken/<name>.yaml`: `conform check` and `conform run`
//!   both exit 2, and every line of `<name>.expected.txt` appears in stderr.
//!
//! Each suite is copied to `suites/test/<name>.yaml` of a temporary root (see
//! `tests/common`), and `fixtures/suites/schemas/*` to its `schemas/test/`.
//!
//! `mocks.json` is a list of `{method, path, status, headers, body}`, with
//! optional `query` and `request_headers` (maps the request must carry),
//! `request_json` (the request's JSON body) and `delay_ms`. A header value
//! that is a list is sent once per item. A JSON `body` is sent as
//! `application/json`; a string body as `text/plain`, unless `headers`
//! names a `content-type`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixtures() -> PathBuf {
    repo().join("fixtures/suites")
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for kind in ["good", "broken"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join(kind))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().and_then(|e| e.to_str()) == Some("yaml"));
        files.sort();
        for file in files {
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            let name = format!("{kind}/{stem}");
            trials.push(match kind {
                "good" => Trial::test(name, move || good(&file)),
                _ => Trial::test(name, move || broken(&file)),
            });
        }
    }
    assert!(
        trials.len() >= 12,
        "fixtures/suites has too few fixtures ({})",
        trials.len()
    );
    libtest_mimic::run(&args, trials).exit();
}

/// A root with the fixture's suite and the fixture schemas.
fn root_for(file: &Path) -> (Root, String) {
    let root = Root::new();
    for entry in std::fs::read_dir(fixtures().join("schemas")).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        root.write(
            &format!("schemas/test/{name}"),
            &std::fs::read_to_string(&p).unwrap(),
        );
    }
    let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
    root.write(
        &format!("suites/test/{stem}.yaml"),
        &std::fs::read_to_string(file).unwrap(),
    );
    (root, stem)
}

fn sibling(file: &Path, suffix: &str) -> PathBuf {
    let stem = file.file_stem().unwrap().to_string_lossy();
    file.with_file_name(format!("{stem}{suffix}"))
}

fn read(path: &Path) -> Result<String, Failed> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

fn mock_of(spec: &Value) -> Result<Mock, Failed> {
    let text = |k: &str| spec[k].as_str().map(str::to_string);
    let m = text("method").unwrap_or_else(|| "GET".into());
    let p = text("path").ok_or("a mock needs `path`")?;
    let mut builder = Mock::given(method(m.as_str())).and(path(p.as_str()));
    for (k, v) in spec["query"].as_object().into_iter().flatten() {
        builder = builder.and(query_param(
            k.as_str(),
            v.as_str().ok_or("query values are strings")?,
        ));
    }
    for (k, v) in spec["request_headers"].as_object().into_iter().flatten() {
        builder = builder.and(header(
            k.as_str(),
            v.as_str().ok_or("request_headers values are strings")?,
        ));
    }
    if let Some(body) = spec.get("request_json") {
        builder = builder.and(body_json(body.clone()));
    }
    let status = spec["status"].as_u64().unwrap_or(200) as u16;
    let mut response = ResponseTemplate::new(status);
    let mut content_type = None;
    for (k, v) in spec["headers"].as_object().into_iter().flatten() {
        let values: Vec<&str> = match v {
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            Value::String(s) => vec![s.as_str()],
            _ => return Err(format!("header `{k}`: a string or a list of strings").into()),
        };
        if k.eq_ignore_ascii_case("content-type") {
            content_type = values.first().map(|s| s.to_string());
            continue;
        }
        for v in values {
            response = response.append_header(k.as_str(), v);
        }
    }
    response = match spec.get("body") {
        None | Some(Value::Null) => response,
        Some(Value::String(s)) => response.set_body_raw(
            s.clone().into_bytes(),
            content_type.as_deref().unwrap_or("text/plain"),
        ),
        Some(v) => match &content_type {
            Some(ct) => response.set_body_raw(serde_json::to_vec(v).unwrap(), ct),
            None => response.set_body_json(v.clone()),
        },
    };
    if let Some(ms) = spec["delay_ms"].as_u64() {
        response = response.set_delay(Duration::from_millis(ms));
    }
    Ok(builder.respond_with(response))
}

fn good(file: &Path) -> Result<(), Failed> {
    let (root, stem) = root_for(file);
    let mocks: Value = serde_json::from_str(&read(&sibling(file, ".mocks.json"))?)
        .map_err(|e| format!("mocks.json: {e}"))?;
    let expected: Value = serde_json::from_str(&read(&sibling(file, ".expected.json"))?)
        .map_err(|e| format!("expected.json: {e}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        for spec in mocks.as_array().ok_or("mocks.json is a list")? {
            mock_of(spec)?.mount(&server).await;
        }
        Ok::<_, Failed>(server)
    })?;

    // The reports are validated against their schemas inside `run_against`.
    let out = root.run_against(&server.uri(), &[], &[]);
    runtime.block_on(async move { drop(server) });

    let report = root.report();
    let mut problems = Vec::new();
    if Some(out.code as i64) != expected["exit_code"].as_i64() {
        problems.push(format!(
            "exit code {}, expected {}",
            out.code, expected["exit_code"]
        ));
    }
    if report["verdict"] != expected["verdict"] {
        problems.push(format!(
            "verdict {}, expected {}",
            report["verdict"], expected["verdict"]
        ));
    }
    let got: BTreeMap<String, Value> = cases(&report)
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or("").to_string(),
                c["verdict"].clone(),
            )
        })
        .collect();
    let want: BTreeMap<String, Value> = expected["cases"]
        .as_object()
        .ok_or("expected.json needs `cases`")?
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (id, v) in &want {
        match got.get(id) {
            None => problems.push(format!("case `{id}` is not in the report")),
            Some(g) if g != v => {
                let reason = cases(&report)
                    .into_iter()
                    .find(|c| c["id"] == id.as_str())
                    .map(|c| c["reason"].to_string())
                    .unwrap_or_default();
                problems.push(format!("case `{id}`: {g}, expected {v} (reason: {reason})"))
            }
            _ => {}
        }
    }
    for id in got.keys().filter(|id| !want.contains_key(*id)) {
        problems.push(format!(
            "case `{id}` is in the report but not in expected.json"
        ));
    }
    let prefix = format!("suites/test/{stem}.yaml:");
    for (id, check) in checks(&report) {
        let loc = check["location"].as_str().unwrap_or("");
        if !loc.starts_with(&prefix) {
            problems.push(format!("case `{id}`: check location `{loc}`"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n{}", problems.join("\n"), out.all()).into())
    }
}

fn broken(file: &Path) -> Result<(), Failed> {
    let (root, _) = root_for(file);
    let expected = read(&sibling(file, ".expected.txt"))?;
    let wanted: Vec<&str> = expected.lines().filter(|l| !l.trim().is_empty()).collect();
    if wanted.is_empty() {
        return Err("expected.txt is empty".into());
    }
    for args in [&["check"][..], &["run", "--country", "xx", "--out", "out"]] {
        let out = root.conform(args, &[]);
        let mut problems = Vec::new();
        if out.code != 2 {
            problems.push(format!("exit code {}, expected 2", out.code));
        }
        for line in &wanted {
            if !out.stderr.lines().any(|l| l == *line) {
                problems.push(format!("stderr lacks the line {line:?}"));
            }
        }
        if root.out().exists() {
            problems.push("reports were written for bad input".into());
        }
        if !problems.is_empty() {
            return Err(format!(
                "conform {}:\n{}\n{}",
                args.join(" "),
                problems.join("\n"),
                out.all()
            )
            .into());
        }
    }
    Ok(())
}
