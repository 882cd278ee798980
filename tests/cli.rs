//! The binary end to end, against wiremock servers on loopback: exit codes,
//! verdicts, reports (each validated against its schema), waivers, errors,
//! captures, repetitions, retries, secrets, and bad input with `file:line:col`.

mod common;

use common::*;
use serde_json::{Value, json};
use wiremock::matchers::{any, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MUST: &str = "EID-OIDC-DISC-02";
const SHOULD: &str = "EID-OIDC-DISC-06";

/// A suite of one case that fetches the discovery document and checks it.
/// The `json` check on line 15 compares the issuer with `issuer`.
fn discovery_suite(issuer_check: &str) -> String {
    format!(
        r#"suite: test
domain: eid
title: Test suite
requirements: [{MUST}]
cases:
  - id: discovery
    title: The discovery document is served as JSON
    requirements: [{MUST}]
    steps:
      - request:
          url: "{{{{ profile.oidc.issuer }}}}/.well-known/openid-configuration"
        checks:
          - status: 200
          - header: {{ name: content-type, matches: "^application/json" }}
          - json: {{ path: "$.issuer", equals: "{issuer_check}" }}
"#
    )
}

async fn discovery_server() -> MockServer {
    let server = MockServer::start().await;
    let uri = server.uri();
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "issuer": uri })))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_passing_run_is_conformant_and_writes_reports() {
    let server = discovery_server().await;
    let root = Root::new();
    root.suite(&discovery_suite("{{ profile.oidc.issuer }}"));

    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(0);
    let report = root.report();
    assert_eq!(report["verdict"], "conformant", "{}", out.all());
    assert_eq!(report["country"]["code"], "XX");
    assert_eq!(report["strict"], false);
    assert_eq!(report["musts_waived"], 0);
    assert_eq!(requirement(&report, MUST)["verdict"], "pass");
    assert_eq!(case(&cases(&report), "discovery")["verdict"], "pass");
    let run = root.run_json();
    assert_eq!(run["exit_code"], 0);
    assert_eq!(run["countries"][0]["verdict"], "conformant");
    assert_eq!(run["countries"][0]["report"], "xx.json");
    assert_eq!(
        run["countries"][0]["domains"],
        json!([["eid", "conformant"]])
    );

    // --format json: the run summary on stdout, nothing else.
    let out = root.run_against(&server.uri(), &["--format", "json"], &[]);
    out.assert_code(0);
    let printed: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", out.all()));
    validate(&printed, true, "the run printed by --format json");
    assert_eq!(printed["exit_code"], 0);
    assert_eq!(printed["countries"][0]["verdict"], "conformant");
}

#[tokio::test]
async fn a_failed_must_is_non_conformant_and_says_where() {
    let server = discovery_server().await;
    let root = Root::new();
    let suite = discovery_suite("https://elsewhere.example");
    root.suite(&suite);
    // Written by hand: the check key `json` on line 15, after "          - ".
    assert_eq!(position(&suite, "json: {"), (15, 13));

    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(1);
    let report = root.report();
    assert_eq!(report["verdict"], "non_conformant");
    assert_eq!(requirement(&report, MUST)["verdict"], "fail");
    assert_eq!(case(&cases(&report), "discovery")["verdict"], "fail");
    let failed: Vec<Value> = checks(&report)
        .into_iter()
        .map(|(_, c)| c)
        .filter(|c| c["verdict"] == "fail")
        .collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    let check = &failed[0];
    assert_eq!(check["kind"], "json");
    assert_eq!(check["outcome"], "fail");
    assert_eq!(check["expected"], "https://elsewhere.example");
    // A JSONPath selects a node list: `actual` is the list of what it selected.
    assert_eq!(check["actual"], json!([server.uri()]));
    assert_eq!(check["at"], "/issuer");
    assert_eq!(check["location"], "suites/test/x.yaml:15:13");
    // The passing checks keep their own lines.
    let locations: Vec<String> = checks(&report)
        .iter()
        .map(|(_, c)| c["location"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        locations,
        [
            "suites/test/x.yaml:13:13",
            "suites/test/x.yaml:14:13",
            "suites/test/x.yaml:15:13"
        ]
    );
    assert_eq!(root.run_json()["exit_code"], 1);
    // The summary names the failure with its place.
    assert!(
        out.stdout.contains("suites/test/x.yaml:15:13"),
        "{}",
        out.all()
    );
}

/// A MUST case that passes and a case whose check `level_check` decides.
fn two_level_suite(id: &str, level_check: &str) -> String {
    format!(
        r#"suite: test
domain: eid
title: Test suite
requirements: [{MUST}, {id}]
cases:
  - id: served
    title: Served
    requirements: [{MUST}]
    steps:
      - request: {{ url: "{{{{ profile.endpoints.eid }}}}/doc" }}
        checks:
          - status: 200
  - id: optional-members
    title: Optional members
    requirements: [{id}]
    steps:
      - request: {{ url: "{{{{ profile.endpoints.eid }}}}/doc" }}
        checks:
          - {level_check}
"#
    )
}

async fn doc_server(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/doc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_failed_should_warns_and_strict_makes_it_exit_1() {
    let server = doc_server(json!({ "issuer": "x" })).await;
    let root = Root::new();
    root.suite(&two_level_suite(
        SHOULD,
        r#"json: { path: "$.userinfo_endpoint", exists: true }"#,
    ));

    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(0);
    let report = root.report();
    assert_eq!(report["verdict"], "conformant_with_warnings");
    assert_eq!(report["strict"], false);
    assert_eq!(requirement(&report, SHOULD)["verdict"], "warn");
    assert_eq!(requirement(&report, MUST)["verdict"], "pass");
    let all = cases(&report);
    assert_eq!(case(&all, "optional-members")["verdict"], "warn");
    assert_eq!(case(&all, "served")["verdict"], "pass");
    let (_, check) = checks(&report)
        .into_iter()
        .find(|(id, _)| id == "optional-members")
        .unwrap();
    assert_eq!(check["outcome"], "fail");
    assert_eq!(check["verdict"], "warn");

    let out = root.run_against(&server.uri(), &["--strict"], &[]);
    out.assert_code(1);
    let report = root.report();
    assert_eq!(report["strict"], true);
    // Verdicts are unchanged by --strict.
    assert_eq!(report["verdict"], "conformant_with_warnings");
    assert_eq!(root.run_json()["strict"], true);
    assert_eq!(root.run_json()["exit_code"], 1);
}

#[tokio::test]
async fn a_failed_may_is_not_applicable_and_never_fails() {
    let root = Root::new();
    let Some(may) = root.may_requirement() else {
        eprintln!("the eid catalogue has no MAY requirement: nothing to test");
        return;
    };
    let server = doc_server(json!({ "issuer": "x" })).await;
    root.suite(&two_level_suite(
        &may,
        r#"json: { path: "$.response_modes_supported", exists: true }"#,
    ));
    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(0);
    let report = root.report();
    assert_eq!(report["verdict"], "conformant");
    let (_, check) = checks(&report)
        .into_iter()
        .find(|(id, _)| id == "optional-members")
        .unwrap();
    assert_eq!(check["outcome"], "fail");
    assert_eq!(check["verdict"], "not_applicable");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("optional feature not offered"),
        "{check:#}"
    );
    assert_eq!(requirement(&report, &may)["verdict"], "not_applicable");
}

fn waiver(target: &str, expires: &str) -> String {
    format!(
        "waivers:\n  - {target}\n    reason: Fix in the next release\n    owner: testland-eid\n    expires: {expires}\n"
    )
}

#[tokio::test]
async fn an_active_waiver_turns_a_failed_must_into_waived() {
    let server = discovery_server().await;
    let root = Root::with_profile(&waiver(&format!("requirement: {MUST}"), "2027-01-31"));
    root.suite(&discovery_suite("https://elsewhere.example"));

    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(0);
    let report = root.report();
    assert_eq!(report["verdict"], "conformant", "{}", out.all());
    assert_eq!(report["musts_waived"], 1);
    assert_eq!(report["domains"][0]["musts_waived"], 1);
    let req = requirement(&report, MUST);
    assert_eq!(req["verdict"], "waived");
    assert_eq!(req["waiver"]["status"], "applied");
    assert_eq!(case(&cases(&report), "discovery")["verdict"], "waived");
    assert_eq!(
        report["waivers"],
        json!([{
            "target": MUST,
            "reason": "Fix in the next release",
            "owner": "testland-eid",
            "expires": "2027-01-31",
            "status": "applied"
        }])
    );
    let run = root.run_json();
    assert_eq!(run["countries"][0]["musts_waived"], 1);
}

#[tokio::test]
async fn a_waiver_of_a_case_applies_too() {
    let server = discovery_server().await;
    let root = Root::with_profile(&waiver("case: test/discovery", "2027-01-31"));
    root.suite(&discovery_suite("https://elsewhere.example"));
    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(0);
    let report = root.report();
    assert_eq!(report["verdict"], "conformant");
    assert_eq!(report["musts_waived"], 1);
    assert_eq!(report["waivers"][0]["target"], "test/discovery");
    assert_eq!(report["waivers"][0]["status"], "applied");
}

#[tokio::test]
async fn an_expired_waiver_does_not_apply() {
    let server = discovery_server().await;
    let root = Root::with_profile(&waiver(&format!("requirement: {MUST}"), "2026-11-01"));
    root.suite(&discovery_suite("https://elsewhere.example"));
    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(1);
    let report = root.report();
    assert_eq!(report["verdict"], "non_conformant");
    assert_eq!(report["musts_waived"], 0);
    assert_eq!(requirement(&report, MUST)["verdict"], "fail");
    assert_eq!(report["waivers"][0]["status"], "expired");
}

#[tokio::test]
async fn a_waiver_with_nothing_failing_is_unused() {
    let server = discovery_server().await;
    let root = Root::with_profile(&waiver(&format!("requirement: {MUST}"), "2027-01-31"));
    root.suite(&discovery_suite("{{ profile.oidc.issuer }}"));
    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(0);
    let report = root.report();
    assert_eq!(report["verdict"], "conformant");
    assert_eq!(report["musts_waived"], 0);
    assert_eq!(requirement(&report, MUST)["verdict"], "pass");
    assert_eq!(report["waivers"][0]["status"], "unused");
}

#[test]
fn an_unreachable_endpoint_is_inconclusive_never_blamed() {
    // A port that was free a moment ago: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let root = Root::new();
    root.suite(&two_level_suite(
        SHOULD,
        r#"json: { path: "$.userinfo_endpoint", exists: true }"#,
    ));
    let out = root.run_against(&format!("http://127.0.0.1:{port}"), &[], &[]);
    out.assert_code(3);
    let report = root.report();
    assert_eq!(report["verdict"], "inconclusive");
    let all = cases(&report);
    assert_eq!(all.len(), 2);
    for c in &all {
        assert_eq!(c["verdict"], "error", "{c:#}");
        let reason = c["reason"].as_str().unwrap();
        assert!(reason.contains("connection refused"), "{reason}");
    }
    for (_, check) in checks(&report) {
        assert_eq!(check["verdict"], "error");
        assert!(
            check["message"]
                .as_str()
                .unwrap()
                .contains("connection refused")
        );
    }
    assert_eq!(requirement(&report, MUST)["verdict"], "error");
    assert_eq!(root.run_json()["exit_code"], 3);
}

#[tokio::test]
async fn invalid_json_is_an_error_of_json_checks_and_a_schema_failure() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/doc"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{\"issuer\": ", "application/json"))
        .mount(&server)
        .await;
    let root = Root::new();
    root.write(
        "schemas/test/doc.schema.json",
        r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://conform.example/schemas/test/doc.schema.json",
  "type": "object",
  "required": ["issuer"]
}"#,
    );
    root.suite(&format!(
        r#"suite: test
domain: eid
title: Test suite
requirements: [{MUST}]
cases:
  - id: json-check
    title: A JSON value
    requirements: [{MUST}]
    steps:
      - request: {{ url: "{{{{ profile.endpoints.eid }}}}/doc" }}
        checks:
          - status: 200
          - json: {{ path: "$.issuer", exists: true }}
  - id: schema-check
    title: The schema
    requirements: [{MUST}]
    steps:
      - request: {{ url: "{{{{ profile.endpoints.eid }}}}/doc" }}
        checks:
          - schema: {{ file: test/doc.schema.json }}
"#
    ));
    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(1);
    let report = root.report();
    let all = cases(&report);
    assert_eq!(case(&all, "json-check")["verdict"], "error");
    assert_eq!(case(&all, "schema-check")["verdict"], "fail");
    let by_kind = |kind: &str| {
        checks(&report)
            .into_iter()
            .map(|(_, c)| c)
            .find(|c| c["kind"] == kind)
            .unwrap()
    };
    assert_eq!(by_kind("status")["verdict"], "pass");
    let json_check = by_kind("json");
    assert_eq!(json_check["outcome"], "error");
    assert!(
        json_check["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{json_check:#}"
    );
    let schema_check = by_kind("schema");
    assert_eq!(schema_check["outcome"], "fail");
    assert_eq!(schema_check["verdict"], "fail");
    assert_eq!(report["verdict"], "non_conformant");
}

#[tokio::test]
async fn captures_flow_into_later_steps() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/start"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "next": "/next/abc123", "n": 2 })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/next/abc123"))
        .and(query_param("n", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": true })))
        .expect(1)
        .mount(&server)
        .await;
    let root = Root::new();
    root.suite(&format!(
        r#"suite: test
domain: eid
title: Test suite
requirements: [{MUST}]
cases:
  - id: follow
    title: Follow the link
    requirements: [{MUST}]
    steps:
      - name: start
        request: {{ url: "{{{{ profile.endpoints.eid }}}}/start" }}
        checks:
          - status: 200
        captures:
          next: "$.next"
          n: {{ path: /n }}
      - name: follow
        request:
          url: "{{{{ profile.endpoints.eid }}}}{{{{ capture.next }}}}"
          query: {{ n: "{{{{ capture.n }}}}" }}
        checks:
          - status: 200
          - json: {{ path: /ok, equals: true }}
"#
    ));
    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(0);
    let report = root.report();
    let c = case(&cases(&report), "follow");
    assert_eq!(c["verdict"], "pass");
    assert_eq!(
        c["steps"][1]["request"]["url"],
        json!(format!("{}/next/abc123?n=2", server.uri()))
    );
    // `server` verifies on drop that each mock was hit exactly once.
}

#[tokio::test]
async fn for_each_repeats_the_case_per_language() {
    let server = MockServer::start().await;
    for lang in ["en", "fi"] {
        Mock::given(method("GET"))
            .and(path("/page"))
            .and(query_param("ui_locales", lang))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "lang": lang })))
            .expect(1)
            .mount(&server)
            .await;
    }
    let root = Root::new();
    root.suite(&format!(
        r#"suite: test
domain: eid
title: Test suite
requirements: [{MUST}]
cases:
  - id: localised
    title: The page in each language
    requirements: [{MUST}]
    for_each: profile.languages
    steps:
      - request:
          url: "{{{{ profile.endpoints.eid }}}}/page"
          query: {{ ui_locales: "{{{{ item }}}}" }}
        checks:
          - status: 200
          - json: {{ path: $.lang, equals: "{{{{ item }}}}" }}
"#
    ));
    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(0);
    let report = root.report();
    let all = cases(&report);
    let ids: Vec<&str> = all.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["localised[en]", "localised[fi]"]);
    assert_eq!(case(&all, "localised[en]")["item"], "en");
    assert_eq!(case(&all, "localised[fi]")["item"], "fi");
    for c in &all {
        assert_eq!(c["verdict"], "pass", "{c:#}");
    }
    assert_eq!(
        requirement(&report, MUST)["cases"],
        json!(["test/localised"])
    );
}

#[tokio::test]
async fn a_persistent_503_is_unavailable_unless_the_step_expects_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/busy"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .expect(2..)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/health"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .expect(1)
        .mount(&server)
        .await;
    // Busy once, then fine: the retry gets the answer.
    Mock::given(method("GET"))
        .and(path("/flaky"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/flaky"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let root = Root::new();
    root.suite(&format!(
        r#"suite: test
domain: eid
title: Test suite
requirements: [{MUST}]
cases:
  - id: busy
    title: A busy endpoint
    requirements: [{MUST}]
    steps:
      - request: {{ url: "{{{{ profile.endpoints.eid }}}}/busy" }}
        checks:
          - status: 200
  - id: maintenance
    title: A health check in maintenance
    requirements: [{MUST}]
    steps:
      - request: {{ url: "{{{{ profile.endpoints.eid }}}}/health" }}
        checks:
          - status: [200, 503]
  - id: recovers
    title: Busy once
    requirements: [{MUST}]
    steps:
      - request: {{ url: "{{{{ profile.endpoints.eid }}}}/flaky" }}
        checks:
          - status: 200
"#
    ));
    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(3);
    let report = root.report();
    let all = cases(&report);
    let busy = case(&all, "busy");
    assert_eq!(busy["verdict"], "error");
    assert!(
        busy["reason"]
            .as_str()
            .unwrap()
            .contains("endpoint unavailable"),
        "{busy:#}"
    );
    assert_eq!(case(&all, "maintenance")["verdict"], "pass");
    assert_eq!(case(&all, "recovers")["verdict"], "pass");
    assert_eq!(report["verdict"], "inconclusive");
}

const SECRET: &str = "supersecretvalue123";

#[tokio::test]
async fn secrets_reach_their_host_and_no_output() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        // The endpoint echoes the token: the report must not.
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "echo": SECRET }))
                .insert_header("x-echo", SECRET),
        )
        // Two runs below, one request each.
        .expect(2)
        .mount(&server)
        .await;
    let root = Root::with_profile("vars: { token: \"env:XX_TOKEN\" }\n");
    root.suite(&format!(
        r#"suite: test
domain: eid
title: Test suite
requirements: [{MUST}]
cases:
  - id: authorised
    title: An authorised request
    requirements: [{MUST}]
    steps:
      - request:
          url: "{{{{ profile.endpoints.eid }}}}/me"
          headers: {{ Authorization: "Bearer {{{{ profile.vars.token }}}}" }}
        checks:
          - status: 200
          - json: {{ path: $.echo, equals: "not the token" }}
          - header: {{ name: x-echo, equals: "nor this" }}
"#
    ));
    let out = root.run_against(&server.uri(), &[], &[("XX_TOKEN", SECRET)]);
    out.assert_code(1);
    assert_no_secret(&root, &out);
    let report = root.report();
    assert_eq!(
        report["profile"]["settings"]["vars"]["token"],
        "env:XX_TOKEN"
    );
    let c = case(&cases(&report), "authorised");
    assert_eq!(c["verdict"], "fail");
    assert_eq!(c["steps"][0]["response"]["status"], 200);
    let out = root.run_against(
        &server.uri(),
        &["--format", "json"],
        &[("XX_TOKEN", SECRET)],
    );
    assert_no_secret(&root, &out);
}

fn assert_no_secret(root: &Root, out: &Output) {
    assert!(!out.stdout.contains(SECRET), "stdout: {}", out.stdout);
    assert!(!out.stderr.contains(SECRET), "stderr: {}", out.stderr);
    let mut redacted = false;
    let files = files_under(&root.out());
    assert!(!files.is_empty());
    for f in files {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        assert!(!text.contains(SECRET), "{} carries the secret", f.display());
        redacted |= text.contains("«redacted»");
    }
    assert!(redacted, "no report shows «redacted»");
}

#[tokio::test]
async fn a_secret_bound_for_a_host_outside_the_profile_is_refused_before_the_run() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let port = server.address().port();
    let root = Root::with_profile("vars: { token: \"env:XX_TOKEN\" }\n");
    root.suite(&format!(
        r#"suite: test
domain: eid
title: Test suite
requirements: [{MUST}]
cases:
  - id: elsewhere
    title: The token sent to another host
    requirements: [{MUST}]
    steps:
      - request:
          url: "http://localhost:{port}/steal"
          headers: {{ Authorization: "Bearer {{{{ profile.vars.token }}}}" }}
        checks:
          - status: 200
"#
    ));
    // The profile's hosts are 127.0.0.1 only; the request at line 11 is refused.
    let out = root.run_against(&server.uri(), &[], &[("XX_TOKEN", SECRET)]);
    out.assert_code(2).assert_stderr_has(
        "error: suites/test/x.yaml:11:11: case `elsewhere` would send the secret `env:XX_TOKEN` to localhost, which is not a host of the XX profile",
    );
    assert!(!out.stderr.contains(SECRET) && !out.stdout.contains(SECRET));
    assert!(!root.out().exists());
}

#[tokio::test]
async fn a_secret_bound_for_a_captured_url_elsewhere_is_refused_when_sending() {
    let server = MockServer::start().await;
    let port = server.address().port();
    Mock::given(method("GET"))
        .and(path("/start"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "next": format!("http://localhost:{port}/steal") })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/steal"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let root = Root::with_profile("vars: { token: \"env:XX_TOKEN\" }\n");
    root.suite(&format!(
        r#"suite: test
domain: eid
title: Test suite
requirements: [{MUST}]
cases:
  - id: elsewhere
    title: The token sent where the first answer points
    requirements: [{MUST}]
    steps:
      - request: {{ url: "{{{{ profile.endpoints.eid }}}}/start" }}
        captures:
          next: $.next
      - request:
          url: "{{{{ capture.next }}}}"
          headers: {{ Authorization: "Bearer {{{{ profile.vars.token }}}}" }}
        checks:
          - status: 200
"#
    ));
    let out = root.run_against(&server.uri(), &[], &[("XX_TOKEN", SECRET)]);
    out.assert_code(3);
    let report = root.report();
    let c = case(&cases(&report), "elsewhere");
    assert_eq!(c["verdict"], "error");
    let reason = c["reason"].as_str().unwrap();
    assert!(reason.contains("refused"), "{reason}");
    assert!(reason.contains("nothing was sent"), "{reason}");
    assert!(c["steps"][1].get("response").is_none());
    assert_no_secret(&root, &out);
}

#[tokio::test]
async fn an_encoded_secret_is_redacted_too() {
    const ODD: &str = "s3cr3t/with+specials= x";
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let root = Root::with_profile("vars: { token: \"env:XX_TOKEN\" }\n");
    root.suite(&format!(
        r#"suite: test
domain: eid
title: Test suite
requirements: [{MUST}]
cases:
  - id: query
    title: The token in a query parameter
    requirements: [{MUST}]
    steps:
      - request:
          url: "{{{{ profile.endpoints.eid }}}}/a"
          query: {{ token: "{{{{ profile.vars.token }}}}" }}
        checks:
          - status: 200
  - id: form
    title: The token in a form body
    requirements: [{MUST}]
    steps:
      - request:
          method: POST
          url: "{{{{ profile.endpoints.eid }}}}/b"
          form: {{ token: "{{{{ profile.vars.token }}}}" }}
        checks:
          - status: 200
"#
    ));
    let out = root.run_against(&server.uri(), &[], &[("XX_TOKEN", ODD)]);
    out.assert_code(0);
    let encoded: String = url::form_urlencoded::byte_serialize(ODD.as_bytes()).collect();
    for f in files_under(&root.out()) {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(!text.contains(ODD), "{} carries the secret", f.display());
        assert!(
            !text.contains(&encoded),
            "{} carries the secret, form-encoded as {encoded}",
            f.display()
        );
    }
}

#[tokio::test]
async fn secret_captures_of_any_type_are_redacted() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/t"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "pin": 98765432,
            "items": [{ "token": "tok-aaaa-1111" }, { "token": "tok-bbbb-2222" }]
        })))
        .mount(&server)
        .await;
    let root = Root::new();
    root.suite(&format!(
        r#"suite: test
domain: eid
title: Test suite
requirements: [{MUST}]
cases:
  - id: captures
    title: Secret captures
    requirements: [{MUST}]
    steps:
      - request: {{ url: "{{{{ profile.endpoints.eid }}}}/t" }}
        captures:
          pin: {{ path: $.pin, secret: true }}
          session_tokens: {{ path: "$.items[*].token", all: true }}
        checks:
          - status: 200
"#
    ));
    root.run_against(&server.uri(), &[], &[]).assert_code(0);
    for f in files_under(&root.out()) {
        let text = std::fs::read_to_string(&f).unwrap();
        for secret in ["98765432", "tok-aaaa-1111", "tok-bbbb-2222"] {
            assert!(!text.contains(secret), "{} carries {secret}", f.display());
        }
    }
}

#[tokio::test]
async fn a_fixed_clock_reports_the_runs_own_duration() {
    let server = discovery_server().await;
    let root = Root::new();
    root.suite(&discovery_suite("{{ profile.oidc.issuer }}"));
    root.run_against(&server.uri(), &[], &[]).assert_code(0);
    let report = root.report();
    assert!(
        report["duration_ms"].as_u64().unwrap() < 60_000,
        "{}",
        report["duration_ms"]
    );
    assert!(
        report["finished_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-22T12:0"),
        "{}",
        report["finished_at"]
    );
}

#[tokio::test]
async fn a_step_timeout_is_an_error_not_a_failure() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_millis(800)))
        .mount(&server)
        .await;
    let root = Root::new();
    root.suite(&format!(
        r#"suite: test
domain: eid
title: Test suite
requirements: [{MUST}]
cases:
  - id: slow
    title: A slow endpoint
    requirements: [{MUST}]
    steps:
      - request:
          url: "{{{{ profile.endpoints.eid }}}}/slow"
          timeout_ms: 150
        checks:
          - status: 200
"#
    ));
    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(3);
    let report = root.report();
    let c = case(&cases(&report), "slow");
    assert_eq!(c["verdict"], "error");
    assert!(c["reason"].as_str().unwrap().contains("timed out"), "{c:#}");
    assert_eq!(report["verdict"], "inconclusive");
}

#[tokio::test]
async fn suites_and_cases_that_do_not_apply_are_not_applicable() {
    let server = doc_server(json!({ "issuer": "x" })).await;
    let root = Root::new();
    // The profile declares `oidc` only.
    root.suite(&format!(
        r#"suite: test-saml
domain: eid
title: Needs SAML
applies_to: [saml-eidas]
requirements: [{SHOULD}]
cases:
  - id: metadata
    title: Metadata
    requirements: [{SHOULD}]
    steps:
      - request: {{ url: "{{{{ profile.endpoints.eid }}}}/doc" }}
        checks:
          - status: 200
"#
    ));
    root.write(
        "suites/test/y.yaml",
        &format!(
            r#"suite: test-oidc
domain: eid
title: OIDC
applies_to: [oidc]
requirements: [{MUST}]
cases:
  - id: served
    title: Served
    requirements: [{MUST}]
    steps:
      - request: {{ url: "{{{{ profile.endpoints.eid }}}}/doc" }}
        checks:
          - status: 200
  - id: dynamic
    title: Only for dynamic registration
    requirements: [{MUST}]
    needs: [oidc-dynamic-registration]
    steps:
      - request: {{ url: "{{{{ profile.endpoints.eid }}}}/doc" }}
        checks:
          - status: 404
"#
        ),
    );
    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(0);
    let report = root.report();
    assert_eq!(report["verdict"], "conformant", "{}", out.all());
    let suites = report["suites"].as_array().unwrap();
    let saml = suites.iter().find(|s| s["id"] == "test-saml").unwrap();
    assert_eq!(saml["applicable"], false);
    assert!(saml["reason"].as_str().unwrap().contains("saml-eidas"));
    assert_eq!(saml["cases"][0]["verdict"], "not_applicable");
    let all = cases(&report);
    let dynamic = case(&all, "dynamic");
    assert_eq!(dynamic["verdict"], "not_applicable");
    assert!(
        dynamic["reason"]
            .as_str()
            .unwrap()
            .contains("oidc-dynamic-registration")
    );
    assert_eq!(case(&all, "served")["verdict"], "pass");
    assert_eq!(requirement(&report, SHOULD)["verdict"], "not_applicable");
    assert_eq!(requirement(&report, MUST)["verdict"], "pass");
}

#[tokio::test]
async fn a_selection_runs_only_what_it_names_and_says_so() {
    let server = doc_server(json!({ "issuer": "x" })).await;
    let root = Root::new();
    root.suite(&format!(
        r#"suite: test
domain: eid
title: Test suite
requirements: [{MUST}]
cases:
  - id: one
    title: One
    tags: [smoke]
    requirements: [{MUST}]
    steps:
      - request: {{ url: "{{{{ profile.endpoints.eid }}}}/doc" }}
        checks:
          - status: 200
  - id: two
    title: Two
    requirements: [{MUST}]
    steps:
      - request: {{ url: "{{{{ profile.endpoints.eid }}}}/doc" }}
        checks:
          - status: 500
"#
    ));
    for selection in [
        &["--tag", "smoke"][..],
        &["--case", "test/one"],
        &["--case", "test/o*"],
    ] {
        let out = root.run_against(&server.uri(), selection, &[]);
        out.assert_code(0);
        let report = root.report();
        let ids: Vec<Value> = cases(&report).iter().map(|c| c["id"].clone()).collect();
        assert_eq!(ids, [json!("one")], "{selection:?}");
        assert_eq!(report["complete"], false);
        assert!(report["incomplete_reason"].as_str().is_some());
    }
    // Without a selection the report is complete (and `two` fails).
    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(1);
    assert_eq!(root.report()["complete"], true);
    assert!(root.report().get("incomplete_reason").is_none());
    // A selection that matches nothing is bad input.
    root.run_against(&server.uri(), &["--suite", "nope"], &[])
        .assert_code(2)
        .assert_stderr_has("--suite nope matches no suite");
}

#[tokio::test]
async fn a_file_secret_is_sent_and_redacted() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .and(header("x-api-key", SECRET))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "key": SECRET })))
        .expect(1)
        .mount(&server)
        .await;
    let root = Root::with_profile("vars: { key: \"file:secrets/key.txt\" }\n");
    // The trailing line break is not part of the secret.
    root.write("secrets/key.txt", &format!("{SECRET}\n"));
    root.suite(&format!(
        r#"suite: test
domain: eid
title: Test suite
requirements: [{MUST}]
cases:
  - id: keyed
    title: A request with an API key
    requirements: [{MUST}]
    steps:
      - request:
          url: "{{{{ profile.endpoints.eid }}}}/me"
          headers: {{ X-Api-Key: "{{{{ profile.vars.key }}}}" }}
        checks:
          - status: 200
"#
    ));
    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(0);
    assert_no_secret(&root, &out);
    assert_eq!(
        root.report()["profile"]["settings"]["vars"]["key"],
        "file:secrets/key.txt"
    );
}

#[tokio::test]
async fn several_countries_share_a_run_and_the_worst_decides_the_exit_code() {
    let server = discovery_server().await;
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let root = Root::new();
    let uri = server.uri();
    // XX answers; YY's endpoint is down. No --set: it would apply to both.
    root.write(
        "countries/xx.yaml",
        &PROFILE.replace("http://127.0.0.1:9", &uri),
    );
    root.write(
        "countries/yy.yaml",
        &PROFILE
            .replace("country: XX", "country: YY")
            .replace("Testland", "Otherland")
            .replace("http://127.0.0.1:9", &format!("http://127.0.0.1:{dead}")),
    );
    root.suite(&discovery_suite("{{ profile.oidc.issuer }}"));
    for countries in [
        &["--country", "xx,yy"][..],
        &["--country", "xx", "--country", "YY"],
    ] {
        let mut args = vec!["run", "--out", "out", "--timeout-ms", "2000"];
        args.extend_from_slice(countries);
        let out = root.conform(&args, &[]);
        out.assert_code(3);
        let run = root.run_json();
        assert_eq!(run["exit_code"], 3);
        let summary: Vec<(Value, Value)> = run["countries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["code"].clone(), c["verdict"].clone()))
            .collect();
        assert_eq!(
            summary,
            [
                (json!("XX"), json!("conformant")),
                (json!("YY"), json!("inconclusive"))
            ]
        );
        assert_eq!(
            read_json(&root.out().join("yy.json"))["country"]["name"],
            "Otherland"
        );
    }
    // Every country by default.
    let out = root.conform(&["run", "--out", "out", "--timeout-ms", "2000"], &[]);
    out.assert_code(3);
    assert_eq!(validate_reports(&root.out()), 3);
}

#[test]
fn list_cases_and_suites_as_json() {
    let root = Root::new();
    root.suite(&discovery_suite("x"));
    let out = root.conform(&["list", "--cases", "--format", "json"], &[]);
    out.assert_code(0);
    let cases: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        cases,
        json!([{
            "suite": "test",
            "case": "discovery",
            "title": "The discovery document is served as JSON",
            "tags": [],
            "requirements": [MUST],
            "location": "suites/test/x.yaml:6:5"
        }])
    );
    let out = root.conform(&["list", "--format", "json"], &[]);
    out.assert_code(0);
    let suites: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(suites[0]["suite"], "test");
    assert_eq!(suites[0]["cases"], 1);
    assert_eq!(suites[0]["file"], "suites/test/x.yaml");
}

/// One suite that breaks one rule, and the diagnostic it must give.
struct Bad {
    name: &'static str,
    suite: String,
    /// `file:line:col: message…` as it must start.
    starts: String,
    /// More text the diagnostic must carry (a help line).
    also: Option<&'static str>,
}

fn header_lines(reqs: &str) -> String {
    format!("suite: test\ndomain: eid\ntitle: Test suite\nrequirements: [{reqs}]\ncases:\n")
}

/// Cases start on line 6; their first step's first check on line 12, col 13.
fn bad_inputs() -> Vec<Bad> {
    let head = header_lines(MUST);
    let case = |id: &str, check: &str| {
        format!(
            "  - id: {id}\n    title: A case\n    requirements: [{MUST}]\n    steps:\n      - request: {{ url: \"{{{{ profile.endpoints.eid }}}}/x\" }}\n        checks:\n          - {check}\n"
        )
    };
    vec![
        Bad {
            name: "unknown key",
            suite: format!("{head}  - id: a\n    tittle: A case\n    requirements: [{MUST}]\n    steps:\n      - request: {{ url: \"{{{{ profile.endpoints.eid }}}}/x\" }}\n"),
            starts: "suites/test/x.yaml:7:5: unknown key `tittle` in a case".into(),
            also: Some("did you mean `title`?"),
        },
        Bad {
            name: "duplicate key",
            suite: format!("{head}{}", case("a", "status: 200").replace("    title: A case\n", "    title: A case\n    title: Again\n")),
            starts: "suites/test/x.yaml:8:5: duplicate key `title` (first defined at line 7)".into(),
            also: None,
        },
        Bad {
            name: "YAML syntax error",
            suite: format!("{head}{}", case("a", "status: 200").replace("title: A case", "title: A: case")),
            starts: "suites/test/x.yaml:7:13: YAML syntax: mapping values are not allowed in this context".into(),
            also: None,
        },
        Bad {
            name: "unknown requirement",
            suite: format!("{head}{}", case("a", "status: 200")).replace("requirements: [EID-OIDC-DISC-02]\n    steps", "requirements: [EID-NOPE-99]\n    steps"),
            starts: "suites/test/x.yaml:8:20: unknown requirement `EID-NOPE-99`: no catalogue holds it".into(),
            also: None,
        },
        Bad {
            name: "missing schema file",
            suite: format!("{head}{}", case("a", "schema: { file: test/missing.schema.json }")),
            starts: "suites/test/x.yaml:12:29: no schema `test/missing.schema.json` under schemas/".into(),
            also: None,
        },
        Bad {
            name: "duplicate case ID",
            suite: format!("{head}{}{}", case("a", "status: 200"), case("a", "status: 201")),
            starts: "suites/test/x.yaml:13:5: duplicate case ID `a` in suite `test`".into(),
            also: Some("first used at suites/test/x.yaml:6:5"),
        },
        Bad {
            name: "invalid regex",
            suite: format!("{head}{}", case("a", "header: { name: x-a, matches: \"a(b\" }")),
            starts: "suites/test/x.yaml:12:43: invalid regular expression".into(),
            also: None,
        },
        Bad {
            name: "invalid JSONPath",
            suite: format!("{head}{}", case("a", "json: { path: \"$.a[\", exists: true }")),
            starts: "suites/test/x.yaml:12:27: invalid JSONPath `$.a[`".into(),
            also: None,
        },
        Bad {
            name: "undefined capture",
            suite: format!("{head}{}", case("a", "json: { path: $.a, equals: \"{{ capture.token }}\" }")),
            starts: "suites/test/x.yaml:10:9: `capture.token` is not captured by an earlier step of case `a`".into(),
            also: None,
        },
        Bad {
            name: "unknown check kind",
            suite: format!("{head}{}", case("a", "stauts: 200")),
            starts: "suites/test/x.yaml:12:13: unknown check kind `stauts`".into(),
            also: Some("did you mean `status`?"),
        },
    ]
}

#[test]
fn bad_suites_exit_2_with_file_line_col() {
    for bad in bad_inputs() {
        let root = Root::new();
        root.suite(&bad.suite);
        for args in [&["check"][..], &["run", "--country", "xx", "--out", "out"]] {
            let out = root.conform(args, &[]);
            assert_eq!(
                out.code,
                2,
                "{}: {args:?}\n{}\n{}",
                bad.name,
                bad.suite,
                out.all()
            );
            let wanted = format!("error: {}", bad.starts);
            assert!(
                out.stderr.lines().any(|l| l.starts_with(&wanted)),
                "{}: no line starts with {wanted:?}\n{}\n{}",
                bad.name,
                bad.suite,
                out.all()
            );
            if let Some(also) = bad.also {
                assert!(
                    out.stderr.contains(also),
                    "{}: {also:?}\n{}",
                    bad.name,
                    out.all()
                );
            }
            assert!(
                !root.out().exists(),
                "{}: reports written on bad input",
                bad.name
            );
        }
    }
}

#[test]
fn a_bad_profile_exits_2_with_file_line_col() {
    let root = Root::with_profile("endpionts: { eid: http://127.0.0.1:9 }\n");
    root.suite(&discovery_suite("x"));
    let out = root.conform(&["check"], &[]);
    out.assert_code(2)
        .assert_stderr_has(
            "error: countries/xx.yaml:8:1: unknown key `endpionts` in a country profile",
        )
        .assert_stderr_has("did you mean `endpoints`?");
}

#[test]
fn bad_command_lines_exit_2() {
    let root = Root::new();
    root.suite(&discovery_suite("x"));
    let out = root.run(&["--set", "endpoints.eid"], &[]);
    out.assert_code(2)
        .assert_stderr_has("--set endpoints.eid: write KEY=VALUE");
    let out = root.conform(&["run", "--country", "zz", "--out", "out"], &[]);
    out.assert_code(2)
        .assert_stderr_has("--country ZZ: no profile countries/zz.yaml");
    let out = root.conform(&["run", "--frobnicate"], &[]);
    out.assert_code(2).assert_stderr_has("--frobnicate");
    let out = root.conform(&["frobnicate"], &[]);
    out.assert_code(2);
    assert!(!root.out().exists());
    // Help is not an error.
    conform(root.path(), &["--help"], &[]).assert_code(0);
}

#[test]
fn list_requirements_with_their_cases() {
    let root = Root::new();
    root.suite(&two_level_suite(
        SHOULD,
        r#"json: { path: "$.userinfo_endpoint", exists: true }"#,
    ));
    let out = root.conform(&["list", "--requirements", "--format", "json"], &[]);
    out.assert_code(0);
    let list: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    let entry = |id: &str| {
        list.iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id} not listed"))
            .clone()
    };
    assert_eq!(entry(MUST)["cases"], json!(["test/served"]));
    assert_eq!(entry(MUST)["level"], "MUST");
    assert_eq!(entry(MUST)["domain"], "eid");
    assert_eq!(entry(SHOULD)["cases"], json!(["test/optional-members"]));
    assert_eq!(entry(SHOULD)["level"], "SHOULD");
    let untested_ids: Vec<String> = list
        .iter()
        .filter(|r| r["cases"] == json!([]))
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!untested_ids.is_empty(), "every requirement is tested?");

    let out = root.conform(
        &["list", "--requirements", "--untested", "--format", "json"],
        &[],
    );
    out.assert_code(0);
    let untested: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    let ids: Vec<String> = untested
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, untested_ids);
    assert!(untested.iter().all(|r| r["cases"] == json!([])));
    assert!(!ids.iter().any(|id| id == MUST || id == SHOULD));
}

#[test]
fn the_shipped_files_pass_conform_check() {
    let out = conform(&repo(), &["check"], &[]);
    out.assert_code(0);
    assert!(out.stdout.starts_with("ok: "), "{}", out.all());
}

/// A copy of the whole repository's suites, schemas and countries.
fn shipped_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for folder in ["suites", "schemas", "countries"] {
        copy(&repo().join(folder), &dir.path().join(folder));
    }
    dir
}

fn copy(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

const SHIPPED_SUITE: &str = "suites/eid/oidc-discovery.yaml";

/// Corrupt the shipped suite's first case title (`    title: …`) with `f`,
/// run `conform check`, and give the 1-based line of that title and stderr.
fn corrupt_shipped(f: impl Fn(&str) -> String) -> (usize, Output) {
    let dir = shipped_copy();
    let file = dir.path().join(SHIPPED_SUITE);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("    title: "))
        .expect("the shipped suite has a case title");
    lines[at] = f(&lines[at]);
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let out = conform(dir.path(), &["check"], &[]);
    (at + 1, out)
}

#[test]
fn a_shipped_suite_with_an_unknown_key_exits_2_at_its_place() {
    assert!(repo().join(SHIPPED_SUITE).is_file());
    let (line, out) = corrupt_shipped(|l| l.replacen("    title: ", "    tittle: ", 1));
    out.assert_code(2)
        .assert_stderr_has(&format!(
            "error: {SHIPPED_SUITE}:{line}:5: unknown key `tittle` in a case"
        ))
        .assert_stderr_has("did you mean `title`?");
}

#[test]
fn a_transposed_key_gets_a_suggestion() {
    let root = Root::new();
    root.suite(&discovery_suite("x").replace("    title: The", "    titel: The"));
    root.conform(&["check"], &[])
        .assert_code(2)
        .assert_stderr_has("error: suites/test/x.yaml:7:5: unknown key `titel` in a case")
        .assert_stderr_has("did you mean `title`?");
}

#[test]
fn a_shipped_suite_with_a_duplicate_key_exits_2_at_its_place() {
    let (line, out) = corrupt_shipped(|l| format!("{l}\n    title: Again"));
    out.assert_code(2).assert_stderr_has(&format!(
        "error: {SHIPPED_SUITE}:{}:5: duplicate key `title` (first defined at line {line})",
        line + 1
    ));
}

#[test]
fn a_shipped_suite_with_a_syntax_error_exits_2_at_its_place() {
    // `    title: a: b`: the second `:` is in column 13.
    let (line, out) = corrupt_shipped(|_| "    title: a: b".to_string());
    out.assert_code(2).assert_stderr_has(&format!(
        "error: {SHIPPED_SUITE}:{line}:13: YAML syntax: mapping values are not allowed in this context"
    ));
}

/// An unexpected status decides the step: the status check fails, and the
/// checks that would only report its symptoms are `error` "not judged".
#[tokio::test]
async fn an_unexpected_status_leaves_the_other_checks_unjudged() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_string("<html>not here</html>"))
        .mount(&server)
        .await;
    let root = Root::new();
    root.suite(&discovery_suite("x"));
    let out = root.run_against(&server.uri(), &[], &[]);
    out.assert_code(1);
    let report = root.report();
    let all = checks(&report);
    let status = &all.iter().find(|(_, c)| c["kind"] == "status").unwrap().1;
    assert_eq!(status["verdict"], "fail");
    assert_eq!(status["actual"], 404);
    for (_, c) in all.iter().filter(|(_, c)| c["kind"] != "status") {
        assert_eq!(c["outcome"], "error", "{c:#?}");
        assert!(
            c["message"]
                .as_str()
                .unwrap()
                .starts_with("not judged: status 404"),
            "{c:#?}"
        );
    }
    assert_eq!(requirement(&report, MUST)["verdict"], "fail");
}
