//! The reports of issue #5 end to end, with the real binary against wiremock
//! on loopback: every file of a run (JSON, JUnit, HTML, Markdown, badges),
//! JUnit valid against `fixtures/junit-10.xsd`, `conform report` rendering
//! byte-identical files, the HTML page in headless Chromium, `compare` with
//! its matrix and baseline, and signing with `keygen`, `run --sign`, `verify`.
//!
//! Two tools come from outside cargo: `xmllint` (Debian's libxml2-utils) and
//! Chromium (Debian's chromium). With `CI=true` a missing one fails the test;
//! otherwise the test says so and skips that part.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SUITE: &str = r#"suite: reports
domain: eid
title: Reports test suite
requirements: [EID-OIDC-DISC-01, EID-OIDC-DISC-02, EID-OIDC-DISC-03, EID-OIDC-DISC-04, EID-OIDC-DISC-05, EID-OIDC-DISC-06, EID-OIDC-DISC-13, EID-OIDC-DISC-15]
cases:
  - id: well-known
    title: The discovery document is served
    requirements: [EID-OIDC-DISC-01]
    steps:
      - request: { url: "{{ profile.oidc.issuer }}/.well-known/openid-configuration" }
        checks:
          - status: 200
  - id: served-as-json
    title: The discovery document is JSON
    requirements: [EID-OIDC-DISC-02]
    steps:
      - request: { url: "{{ profile.oidc.issuer }}/.well-known/openid-configuration" }
        checks:
          - header: { name: content-type, matches: "^application/json" }
  - id: issuer-matches
    title: The issuer is the one configured
    requirements: [EID-OIDC-DISC-04]
    steps:
      - request: { url: "{{ profile.oidc.issuer }}/.well-known/openid-configuration" }
        checks:
          - json: { path: "$.issuer", equals: "{{ profile.oidc.issuer }}" }
  - id: required-members
    title: jwks_uri is there
    requirements: [EID-OIDC-DISC-05]
    steps:
      - request: { url: "{{ profile.oidc.issuer }}/.well-known/openid-configuration" }
        checks:
          - json: { path: "$.jwks_uri", exists: true }
  - id: recommended-members
    title: userinfo_endpoint is there
    requirements: [EID-OIDC-DISC-06]
    steps:
      - request: { url: "{{ profile.oidc.issuer }}/.well-known/openid-configuration" }
        checks:
          - json: { path: "$.userinfo_endpoint", exists: true }
  - id: jwks-served
    title: The key set is served
    requirements: [EID-OIDC-DISC-03]
    steps:
      - request: { url: "{{ profile.oidc.issuer }}/jwks" }
        checks:
          - status: 200
  - id: cors
    title: The catalogue answers
    requirements: [EID-OIDC-DISC-15]
    steps:
      - request: { url: "{{ profile.endpoints.service_catalogue }}/x" }
        checks:
          - status: 200
  - id: dynamic
    title: Dynamic registration
    requirements: [EID-OIDC-DISC-13]
    needs: [oidc-dynamic-registration]
    steps:
      - request: { url: "{{ profile.oidc.issuer }}/register" }
        checks:
          - status: 200
"#;

/// How one country's mock endpoint behaves.
#[derive(Clone, Copy)]
struct Endpoint {
    /// Serve an issuer other than the configured one (EID-OIDC-DISC-04 fails).
    wrong_issuer: bool,
    /// Leave out `userinfo_endpoint` (EID-OIDC-DISC-06, a SHOULD, warns).
    no_userinfo: bool,
    /// Leave out `jwks_uri` (EID-OIDC-DISC-05 fails; waived for XX).
    no_jwks_uri: bool,
    /// Answer 404 for the key set (EID-OIDC-DISC-03 fails).
    no_jwks: bool,
}

const GOOD: Endpoint = Endpoint {
    wrong_issuer: false,
    no_userinfo: false,
    no_jwks_uri: false,
    no_jwks: false,
};

async fn endpoint(e: Endpoint) -> MockServer {
    let server = MockServer::start().await;
    let uri = server.uri();
    let mut doc = json!({
        "issuer": if e.wrong_issuer { "https://elsewhere.example".to_string() } else { uri.clone() },
        "jwks_uri": format!("{uri}/jwks"),
        "userinfo_endpoint": format!("{uri}/userinfo"),
    });
    if e.no_userinfo {
        doc.as_object_mut().unwrap().remove("userinfo_endpoint");
    }
    if e.no_jwks_uri {
        doc.as_object_mut().unwrap().remove("jwks_uri");
    }
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(doc))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(if e.no_jwks {
            ResponseTemplate::new(404)
        } else {
            ResponseTemplate::new(200).set_body_json(json!({"keys": []}))
        })
        .mount(&server)
        .await;
    server
}

/// A profile whose endpoints are `uri`; the catalogue endpoint is a closed
/// port, so the `cors` case has no answer (`error`).
fn profile(code: &str, name: &str, uri: &str, waivers: &str) -> String {
    format!(
        "country: {code}\nname: {name}\nlanguages: [en]\ncapabilities: [oidc]\n\
         endpoints: {{ eid: {uri}, service_catalogue: http://127.0.0.1:9 }}\n\
         oidc: {{ issuer: {uri} }}\nlimits: {{ concurrency: 8, rate: 0 }}\n{waivers}"
    )
}

const XX_WAIVER: &str = "waivers:\n  - requirement: EID-OIDC-DISC-05\n    reason: jwks_uri ships with release 2027.1\n    owner: testland-eid\n    expires: 2027-03-31\n";

/// A root with the test suite and the profiles of XX and YY pointed at their endpoints.
fn root_for(xx: &MockServer, yy: &MockServer) -> Root {
    let root = Root::new();
    root.write("suites/test/reports.yaml", SUITE);
    root.write(
        "countries/xx.yaml",
        &profile("XX", "Testland", &xx.uri(), XX_WAIVER),
    );
    root.write(
        "countries/yy.yaml",
        &profile("YY", "Otherland", &yy.uri(), ""),
    );
    root
}

/// XX: issuer wrong (fail), userinfo missing (warn), jwks_uri missing (waived).
/// YY: everything answers.
async fn first_run_endpoints() -> (MockServer, MockServer) {
    let xx = endpoint(Endpoint {
        wrong_issuer: true,
        no_userinfo: true,
        no_jwks_uri: true,
        ..GOOD
    })
    .await;
    let yy = endpoint(GOOD).await;
    (xx, yy)
}

/// `conform run --country xx,yy --out DIR`, with every JSON report validated.
fn run(root: &Root, out: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        "--country",
        "xx,yy",
        "--out",
        out,
        "--timeout-ms",
        "3000",
    ];
    args.extend_from_slice(extra);
    let result = conform(root.path(), &args, &[]);
    validate_reports(&root.path().join(out));
    result
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A tool from outside cargo: its path, or `None` (and a note) when it is
/// missing outside CI. In CI a missing tool fails the test.
fn tool(names: &[&str], package: &str) -> Option<PathBuf> {
    for name in names {
        for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    assert!(
        !in_ci(),
        "CI=true but {} is not installed (Debian package {package})",
        names[0]
    );
    eprintln!(
        "note: {} not found (Debian package {package}); skipping this part of the test",
        names[0]
    );
    None
}

/// Run a command with a time limit; (exit code, stdout, stderr).
fn run_limited(mut cmd: Command, limit: Duration) -> (Option<i32>, String, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).ok();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).ok();
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status, out.join().unwrap(), err.join().unwrap())
}

/// The testsuites of a JUnit file: for each testsuite, its attributes and,
/// for each testcase, its attributes and child elements (name, attributes, text).
type Attrs = Vec<(String, String)>;
struct JunitCase {
    attrs: Attrs,
    children: Vec<(String, Attrs, String)>,
}
struct JunitSuite {
    attrs: Attrs,
    properties: usize,
    cases: Vec<JunitCase>,
}

fn attrs(e: &quick_xml::events::BytesStart<'_>) -> Attrs {
    e.attributes()
        .map(|a| {
            let a = a.unwrap();
            (
                String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                a.unescape_value().unwrap().into_owned(),
            )
        })
        .collect()
}

fn attr<'a>(a: &'a Attrs, name: &str) -> &'a str {
    a.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no attribute `{name}` in {a:?}"))
}

/// Parse a JUnit file, checking where elements may appear: `properties` only
/// directly in a testsuite, testcase children only in a testcase.
fn parse_junit(xml: &str) -> (Attrs, Vec<JunitSuite>) {
    let mut reader = Reader::from_str(xml);
    let mut root = Vec::new();
    let mut suites: Vec<JunitSuite> = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        let event = reader.read_event().unwrap();
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
            let parent = stack.last().map(String::as_str);
            match name.as_str() {
                "testsuites" => root = attrs(&e),
                "testsuite" => {
                    assert_eq!(parent, Some("testsuites"));
                    suites.push(JunitSuite {
                        attrs: attrs(&e),
                        properties: 0,
                        cases: Vec::new(),
                    });
                }
                "properties" => {
                    assert_eq!(parent, Some("testsuite"), "properties only on a testsuite");
                    suites.last_mut().unwrap().properties += 1;
                }
                "property" => assert_eq!(parent, Some("properties")),
                "testcase" => {
                    assert_eq!(parent, Some("testsuite"));
                    suites.last_mut().unwrap().cases.push(JunitCase {
                        attrs: attrs(&e),
                        children: Vec::new(),
                    });
                }
                "failure" | "error" | "skipped" | "system-out" => {
                    if parent == Some("testcase") {
                        let case = suites.last_mut().unwrap().cases.last_mut().unwrap();
                        case.children.push((name.clone(), attrs(&e), String::new()));
                    }
                }
                other => panic!("unexpected element <{other}>"),
            }
            if !empty {
                stack.push(name);
                text.clear();
            }
            continue;
        }
        match event {
            Event::Text(t) => text.push_str(&t.decode().unwrap()),
            Event::GeneralRef(r) => {
                let name = r.decode().unwrap();
                text.push_str(match name.as_ref() {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "?",
                });
            }
            Event::End(_) => {
                let name = stack.pop().unwrap();
                if stack.last().map(String::as_str) == Some("testcase")
                    && let Some(case) = suites.last_mut().and_then(|s| s.cases.last_mut())
                    && let Some(child) = case.children.last_mut()
                    && child.0 == name
                {
                    child.2 = std::mem::take(&mut text);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (root, suites)
}

/// `file:line:col` of a check in the test suite, as the report gives it.
fn at(needle: &str) -> String {
    let (line, col) = position(SUITE, needle);
    format!("suites/test/reports.yaml:{line}:{col}")
}

#[tokio::test]
async fn a_run_writes_every_format_and_report_renders_the_same_bytes() {
    let (xx, yy) = first_run_endpoints().await;
    let root = root_for(&xx, &yy);
    let out = run(&root, "out", &[]);
    out.assert_code(1);
    let dir = root.out();

    // Every file of the run.
    for f in [
        "run.json",
        "summary.md",
        "xx.json",
        "xx.junit.xml",
        "xx.html",
        "xx.md",
        "badges/xx-eid.svg",
        "yy.json",
        "yy.junit.xml",
        "yy.html",
        "yy.md",
        "badges/yy-eid.svg",
    ] {
        assert!(dir.join(f).is_file(), "{f} is missing\n{}", out.all());
    }
    let report = read_json(&dir.join("xx.json"));
    assert_eq!(report["verdict"], "non_conformant");
    assert_eq!(report["musts_waived"], 1);

    // JUnit: valid against the Jenkins xUnit schema.
    if let Some(xmllint) = tool(&["xmllint"], "libxml2-utils") {
        for cc in ["xx", "yy"] {
            let file = dir.join(format!("{cc}.junit.xml"));
            let result = Command::new(&xmllint)
                .arg("--noout")
                .arg("--schema")
                .arg(repo().join("fixtures/junit-10.xsd"))
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                result.status.success(),
                "{} does not validate:\n{}",
                file.display(),
                String::from_utf8_lossy(&result.stderr)
            );
        }
    }

    // JUnit: its structure.
    let xml = std::fs::read_to_string(dir.join("xx.junit.xml")).unwrap();
    let (top, suites) = parse_junit(&xml);
    assert!(top.iter().all(|(k, _)| k != "skipped"), "{xml}");
    assert_eq!(attr(&top, "tests"), "8");
    assert_eq!(suites.len(), 1, "one testsuite per (country, suite)");
    let suite = &suites[0];
    assert_eq!(attr(&suite.attrs, "name"), "XX/reports");
    assert_eq!(attr(&suite.attrs, "tests"), "8");
    assert_eq!(attr(&suite.attrs, "failures"), "1");
    assert_eq!(attr(&suite.attrs, "errors"), "1");
    assert_eq!(attr(&suite.attrs, "skipped"), "2");
    assert_eq!(suite.properties, 1);
    assert_eq!(suite.cases.len(), 8, "one testcase per case");
    let kids = |kind: &str| -> Vec<(&JunitCase, &(String, Attrs, String))> {
        suite
            .cases
            .iter()
            .flat_map(|c| c.children.iter().map(move |k| (c, k)))
            .filter(|(_, k)| k.0 == kind)
            .collect()
    };
    let failures = kids("failure");
    assert_eq!(failures.len(), 1);
    let (case, failure) = failures[0];
    assert_eq!(
        attr(&case.attrs, "name"),
        "issuer-matches [EID-OIDC-DISC-04]"
    );
    let message = attr(&failure.1, "message");
    assert!(message.starts_with("EID-OIDC-DISC-04: "), "{message}");
    assert!(
        message.ends_with(&format!(" at {}", at("json: { path: \"$.issuer\""))),
        "{message}"
    );
    assert!(
        failure.2.contains("https://elsewhere.example"),
        "{}",
        failure.2
    );
    let errors = kids("error");
    assert_eq!(errors.len(), 1);
    let (case, error) = errors[0];
    assert_eq!(attr(&case.attrs, "name"), "cors [EID-OIDC-DISC-15]");
    let message = attr(&error.1, "message");
    assert!(message.starts_with("EID-OIDC-DISC-15: "), "{message}");
    assert!(
        message.contains(" at suites/test/reports.yaml:"),
        "{message}"
    );
    let skipped = kids("skipped");
    assert_eq!(skipped.len(), 2);
    let waived = skipped
        .iter()
        .find(|(c, _)| attr(&c.attrs, "name") == "required-members [EID-OIDC-DISC-05]")
        .expect("the waived case is skipped");
    let message = attr(&waived.1.1, "message");
    for part in [
        "waived",
        "jwks_uri ships with release 2027.1",
        "testland-eid",
        "2027-03-31",
    ] {
        assert!(message.contains(part), "{part} not in {message}");
    }
    assert!(
        skipped.iter().any(
            |(c, k)| attr(&c.attrs, "name") == "dynamic [EID-OIDC-DISC-13]"
                && attr(&k.1, "message").starts_with("not applicable")
        ),
        "the not-applicable case is skipped"
    );
    let warn = suite
        .cases
        .iter()
        .find(|c| attr(&c.attrs, "name") == "recommended-members [EID-OIDC-DISC-06]")
        .unwrap();
    assert_eq!(warn.children.len(), 1, "a warn passes: no failure");
    assert_eq!(warn.children[0].0, "system-out");
    assert!(
        warn.children[0].2.starts_with("warn: EID-OIDC-DISC-06"),
        "{}",
        warn.children[0].2
    );

    // Markdown: the verdict, the failure with its position, the waiver.
    let md = std::fs::read_to_string(dir.join("xx.md")).unwrap();
    assert!(md.starts_with("# XX Testland: `non_conformant`"), "{md}");
    assert!(md.contains("1 MUST waived"), "{md}");
    assert!(
        md.contains("### EID-OIDC-DISC-04 (MUST, eid): `fail`"),
        "{md}"
    );
    assert!(
        md.contains(&format!("`{}`", at("json: { path: \"$.issuer\""))),
        "{md}"
    );
    assert!(
        md.contains("| `EID-OIDC-DISC-05` | `applied` | jwks\\_uri ships with release 2027.1 | testland-eid | 2027-03-31 |"),
        "{md}"
    );
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(
        summary.contains("| XX Testland | `non_conformant` | 1 |"),
        "{summary}"
    );
    assert!(summary.contains("| YY Otherland |"), "{summary}");

    // Badges: self-contained SVG with the verdict.
    let badge = std::fs::read_to_string(dir.join("badges/xx-eid.svg")).unwrap();
    assert!(
        badge.contains("XX eid: non_conformant, 1 MUST waived"),
        "{badge}"
    );
    assert!(!badge.contains("href"));

    // `conform report` renders the same bytes from the JSON, never re-running.
    drop((xx, yy));
    let again = root.path().join("again");
    let out = conform(
        root.path(),
        &[
            "report",
            "out/xx.json",
            "out/yy.json",
            "--format",
            "junit,html,markdown,badges",
            "--out",
            "again",
        ],
        &[],
    );
    out.assert_code(0);
    for f in [
        "xx.junit.xml",
        "xx.html",
        "xx.md",
        "badges/xx-eid.svg",
        "yy.junit.xml",
        "yy.html",
        "yy.md",
        "badges/yy-eid.svg",
    ] {
        assert!(
            std::fs::read(dir.join(f)).unwrap() == std::fs::read(again.join(f)).unwrap(),
            "{f} differs when rendered again"
        );
    }
    // From run.json: summary.md and every country's files.
    let out = conform(
        root.path(),
        &[
            "report",
            "out/run.json",
            "--format",
            "markdown",
            "--out",
            "again2",
        ],
        &[],
    );
    out.assert_code(0);
    for f in ["summary.md", "xx.md", "yy.md"] {
        assert_eq!(
            std::fs::read(dir.join(f)).unwrap(),
            std::fs::read(root.path().join("again2").join(f)).unwrap(),
            "{f} differs"
        );
    }
    // One format of one report goes to stdout.
    let out = conform(
        root.path(),
        &["report", "out/xx.json", "--format", "json"],
        &[],
    );
    out.assert_code(0);
    assert_eq!(
        out.stdout.as_bytes(),
        std::fs::read(dir.join("xx.json")).unwrap()
    );
    std::fs::write(root.path().join("broken.json"), "{ not json").unwrap();
    // Bad input names the file, the place and the line, for every reader.
    for args in [
        &["report", "broken.json", "--format", "html"][..],
        &["compare", "broken.json", "--out", "cmp"],
        &["merge", "broken.json", "--out", "merged"],
    ] {
        conform(root.path(), args, &[])
            .assert_code(2)
            .assert_stderr_has("broken.json:1:3: not JSON: key must be a string")
            .assert_stderr_has("1 | { not json");
    }
    // Nothing is left behind where nothing was written.
    assert!(!root.path().join("cmp").exists() && !root.path().join("merged").exists());
}

#[tokio::test]
async fn the_html_page_loads_clean_and_its_filters_work_in_chromium() {
    let (xx, yy) = first_run_endpoints().await;
    let root = root_for(&xx, &yy);
    run(&root, "out", &[]).assert_code(1);
    let page = root.out().join("xx.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let report = read_json(&root.out().join("xx.json"));
    let requirements = report["requirements"].as_array().unwrap();
    let failing = requirements
        .iter()
        .filter(|r| r["verdict"] == "fail")
        .count();
    assert!(failing > 0 && failing < requirements.len());
    // Self-contained: nothing to fetch, and a policy that forbids fetching.
    assert!(html.contains("Content-Security-Policy"));
    for needle in ["<link", "src=\"http", "@import", "url(http"] {
        assert!(!html.contains(needle), "{needle} in the page");
    }
    assert_eq!(html.matches("<tr id=\"req-").count(), requirements.len());

    let Some(chromium) = tool(&["chromium", "chromium-browser"], "chromium") else {
        return;
    };
    let url = |query: &str| format!("file://{}{query}", page.canonicalize().unwrap().display());
    let browser = |args: &[String]| {
        let profile = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(&chromium);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args);
        let (code, stdout, stderr) = run_limited(cmd, Duration::from_secs(90));
        assert_eq!(code, Some(0), "chromium failed:\n{stderr}");
        stdout
    };

    // The page's own self-test: apply a filter, report rows and script errors.
    let dom = browser(&["--dump-dom".into(), url("?selftest=status:fail")]);
    let start = dom
        .find("<pre id=\"selftest\">")
        .unwrap_or_else(|| panic!("no self-test output in the page:\n{dom}"));
    let rest = &dom[start + "<pre id=\"selftest\">".len()..];
    let text = &rest[..rest.find("</pre>").unwrap()];
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    let result: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("self-test output is not JSON ({e}): {text}"));
    assert_eq!(result["errors"], json!([]), "errors in the page: {result}");
    assert_eq!(
        result["rows"],
        requirements.len(),
        "one row per requirement"
    );
    assert_eq!(result["visible_before"], requirements.len());
    assert_eq!(result["applied"], json!(["status:fail"]));
    assert_eq!(
        result["visible_after"], failing,
        "the filter shows only the failures"
    );

    // A screenshot to look at.
    let shot_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&shot_dir).unwrap();
    let shot = shot_dir.join("xx.png");
    let _ = std::fs::remove_file(&shot);
    browser(&[
        format!("--screenshot={}", shot.display()),
        "--window-size=1280,2000".into(),
        url(""),
    ]);
    let png = std::fs::read(&shot).expect("a screenshot was written");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    eprintln!("screenshot: {}", shot.display());
}

#[tokio::test]
async fn compare_builds_the_matrix_and_diffs_against_a_baseline() {
    let (xx, yy) = first_run_endpoints().await;
    let root = root_for(&xx, &yy);
    run(&root, "run1", &[]).assert_code(1);

    // The matrix of two countries.
    let out = conform(root.path(), &["compare", "run1", "--out", "cmp1"], &[]);
    out.assert_code(0);
    let cmp = read_json(&root.path().join("cmp1/compare.json"));
    assert_eq!(cmp["format"], "conform-compare/1");
    assert_eq!(cmp["comparable"], true, "{cmp:#}");
    let codes: Vec<&str> = cmp["countries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["XX", "YY"]);
    assert_eq!(
        cmp["countries"][0]["summary"],
        "non_conformant, 1 MUST waived"
    );
    assert!(cmp["countries"][0]["domains"][0]["score"].is_u64());
    let row = |c: &Value, id: &str| -> Value {
        c["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no row {id}"))["verdicts"]
            .clone()
    };
    assert_eq!(
        row(&cmp, "EID-OIDC-DISC-04"),
        json!({"XX": "fail", "YY": "pass"})
    );
    assert_eq!(
        row(&cmp, "EID-OIDC-DISC-05"),
        json!({"XX": "waived", "YY": "pass"})
    );
    assert_eq!(
        row(&cmp, "EID-OIDC-DISC-06"),
        json!({"XX": "warn", "YY": "pass"})
    );
    assert_eq!(
        row(&cmp, "EID-OIDC-DISC-15"),
        json!({"XX": "error", "YY": "error"})
    );
    assert_eq!(
        row(&cmp, "EID-OIDC-DISC-13"),
        json!({"XX": "not_applicable", "YY": "not_applicable"})
    );
    let md = std::fs::read_to_string(root.path().join("cmp1/compare.md")).unwrap();
    assert!(
        md.contains("| `EID-OIDC-DISC-04` | MUST | eid | `fail` | `pass` |"),
        "{md}"
    );
    assert!(md.contains("`non_conformant, 1 MUST waived`"), "{md}");
    let html = std::fs::read_to_string(root.path().join("cmp1/compare.html")).unwrap();
    assert_eq!(
        html.matches("<tr data-req=").count(),
        cmp["requirements"].as_array().unwrap().len()
    );

    // The second run: XX fixed its issuer but its key set went missing.
    drop((xx, yy));
    let xx = endpoint(Endpoint {
        no_userinfo: true,
        no_jwks_uri: true,
        no_jwks: true,
        ..GOOD
    })
    .await;
    let yy = endpoint(GOOD).await;
    root.write(
        "countries/xx.yaml",
        &profile("XX", "Testland", &xx.uri(), XX_WAIVER),
    );
    root.write(
        "countries/yy.yaml",
        &profile("YY", "Otherland", &yy.uri(), ""),
    );
    let later = [("CONFORM_NOW", "2026-11-29T12:00:00Z")];
    let out = conform(
        root.path(),
        &[
            "run",
            "--country",
            "xx,yy",
            "--out",
            "run2",
            "--timeout-ms",
            "3000",
        ],
        &later,
    );
    out.assert_code(1);

    let out = conform(
        root.path(),
        &["compare", "run2", "--baseline", "run1", "--out", "cmp2"],
        &[],
    );
    out.assert_code(0);
    assert!(
        out.stdout.contains("1 regression(s), 1 fix(es)"),
        "{}",
        out.all()
    );
    let cmp = read_json(&root.path().join("cmp2/compare.json"));
    let b = &cmp["baseline"];
    assert_eq!(
        b["regressions"],
        json!([{"country": "XX", "requirement": "EID-OIDC-DISC-03", "level": "MUST", "before": "pass", "after": "fail"}])
    );
    assert_eq!(
        b["fixes"],
        json!([{"country": "XX", "requirement": "EID-OIDC-DISC-04", "level": "MUST", "before": "fail", "after": "pass"}])
    );
    let md = std::fs::read_to_string(root.path().join("cmp2/compare.md")).unwrap();
    assert!(
        md.contains("### Regressions (1)\n\n- XX `EID-OIDC-DISC-03` (MUST): `pass` → `fail`"),
        "{md}"
    );

    let out = conform(
        root.path(),
        &[
            "compare",
            "run2",
            "--baseline",
            "run1",
            "--out",
            "cmp3",
            "--fail-on-regression",
        ],
        &[],
    );
    out.assert_code(1);

    // Both runs together: each country's trend.
    let out = conform(
        root.path(),
        &["compare", "run1", "run2", "--out", "cmp4"],
        &[],
    );
    out.assert_code(0);
    let cmp = read_json(&root.path().join("cmp4/compare.json"));
    let trends = cmp["trends"].as_array().unwrap();
    assert_eq!(trends.len(), 2, "{cmp:#}");
    assert_eq!(trends[0]["country"], "XX");
    assert_eq!(trends[0]["runs"].as_array().unwrap().len(), 2);
    assert_eq!(
        trends[0]["runs"][1]["started_at"],
        "2026-11-29T12:00:00+00:00"
    );
    // The matrix shows the latest run.
    assert_eq!(
        row(&cmp, "EID-OIDC-DISC-03"),
        json!({"XX": "fail", "YY": "pass"})
    );

    // Bad input: exit 2 and the file named.
    std::fs::write(
        root.path().join("run2/zz.json"),
        "{\"format\": \"something\"}",
    )
    .unwrap();
    conform(root.path(), &["compare", "run2", "--out", "cmp5"], &[])
        .assert_code(2)
        .assert_stderr_has("zz.json");
}

#[tokio::test]
async fn signed_reports_verify_and_any_change_is_caught() {
    let (xx, yy) = first_run_endpoints().await;
    let root = root_for(&xx, &yy);
    let p = root.path();

    conform(p, &["keygen", "--out", "keys/team.key"], &[]).assert_code(0);
    let private = std::fs::read_to_string(p.join("keys/team.key")).unwrap();
    assert!(
        private.starts_with("-----BEGIN PRIVATE KEY-----"),
        "{private}"
    );
    let public = std::fs::read_to_string(p.join("keys/team.key.pub")).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"), "{public}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p.join("keys/team.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the private key is readable by its owner only"
        );
    }
    // keygen never overwrites by accident.
    conform(p, &["keygen", "--out", "keys/team.key"], &[])
        .assert_code(2)
        .assert_stderr_has("--force");
    conform(p, &["keygen", "--out", "keys/other.key"], &[]).assert_code(0);

    run(&root, "out", &["--sign", "keys/team.key"]).assert_code(1);
    let out = root.out();
    for f in ["xx.json.sig", "yy.json.sig", "run.json.sig"] {
        let sig = read_json(&out.join(f));
        assert_eq!(sig["algorithm"], "ed25519", "{sig}");
        assert!(
            sig["key_fingerprint"]
                .as_str()
                .unwrap()
                .starts_with("sha256:")
        );
        assert!(sig["signature"].is_string());
    }

    let verify = |report: &str, key: &str| conform(p, &["verify", report, "--key", key], &[]);
    verify("out/xx.json", "keys/team.key.pub").assert_code(0);
    verify("out/run.json", "keys/team.key.pub").assert_code(0);

    // Another key: not valid, and says which key signed.
    let fingerprint = read_json(&out.join("xx.json.sig"))["key_fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    verify("out/xx.json", "keys/other.key.pub")
        .assert_code(1)
        .assert_stderr_has("another key")
        .assert_stderr_has(&fingerprint);

    // One changed byte: not valid.
    let original = std::fs::read(out.join("xx.json")).unwrap();
    let mut changed = original.clone();
    let at = changed.len() / 2;
    changed[at] ^= 0x01;
    std::fs::write(out.join("xx.json"), &changed).unwrap();
    verify("out/xx.json", "keys/team.key.pub")
        .assert_code(1)
        .assert_stderr_has("changed after signing");
    std::fs::write(out.join("xx.json"), &original).unwrap();
    verify("out/xx.json", "keys/team.key.pub").assert_code(0);

    // Bad input: exit 2.
    verify("out/nothing.json", "keys/team.key.pub").assert_code(2);
    verify("out/xx.json", "out/xx.json").assert_code(2);

    // compare --keys: YY's signature removed, so YY is unsigned.
    std::fs::create_dir_all(p.join("trusted")).unwrap();
    for cc in ["xx", "yy"] {
        std::fs::copy(
            p.join("keys/team.key.pub"),
            p.join(format!("trusted/{cc}.pub")),
        )
        .unwrap();
    }
    std::fs::remove_file(out.join("yy.json.sig")).unwrap();
    let result = conform(
        p,
        &["compare", "out", "--keys", "trusted", "--out", "cmp"],
        &[],
    );
    result.assert_code(0);
    let cmp = read_json(&p.join("cmp/compare.json"));
    assert_eq!(
        cmp["countries"][0]["signature"]["status"], "valid",
        "{cmp:#}"
    );
    assert_eq!(
        cmp["countries"][1]["signature"]["status"], "unsigned",
        "{cmp:#}"
    );
    let md = std::fs::read_to_string(p.join("cmp/compare.md")).unwrap();
    assert!(md.contains("`unsigned`"), "{md}");
    assert!(result.stderr.contains("YY: not signed"), "{}", result.all());
}
