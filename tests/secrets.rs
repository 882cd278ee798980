//! No secret leaks: a suite that uses secrets (an `env:` API key in a query
//! and a form body, a `file:` client secret, a captured access token in a
//! header, an endpoint that echoes all of them back, failing checks that
//! compare against them, an error whose message carries the URL) runs with
//! `--record` and `--sign`; the recording is replayed; `conform report`
//! renders every format to files and to stdout. Every file written and
//! everything printed is scanned for each secret value, raw and in every
//! encoding a writer might give it (URL, form, JSON, HTML, XML escapes): the
//! scan looks for the secrets' alphanumeric cores, which survive all of them.

mod common;

use std::path::Path;

use common::*;
use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The API key (from the environment); its core has no character any encoding changes.
const API_KEY_CORE: &str = "Zq7vK9pWx3mR";
const API_KEY: &str = "Zq7vK9pWx3mR/+&=ü é\"<k>";
/// The client secret (from a file).
const CLIENT_SECRET: &str = "Cs4tN8bQ2yLh";
/// The access token the endpoint hands out (captured: secret by its name).
const ACCESS_TOKEN: &str = "At5gH1jV6sXe";

const MUST: &str = "EID-OIDC-DISC-02";

fn suite() -> String {
    format!(
        r#"suite: secrets
domain: eid
title: Secrets
requirements: [{MUST}]
cases:
  - id: token-then-call
    title: Get a token, call with it, compare against the secrets
    requirements: [{MUST}]
    steps:
      - request:
          method: POST
          url: "{{{{ profile.endpoints.eid }}}}/token"
          form:
            client_id: conform
            client_secret: "{{{{ profile.vars.client_secret }}}}"
            api_key: "{{{{ profile.vars.api_key }}}}"
        checks:
          - status: 200
          # Fails, showing the token as the actual value.
          - json: {{ path: $.access_token, equals: "not the token" }}
        captures:
          access_token: $.access_token
      - request:
          url: "{{{{ profile.endpoints.eid }}}}/me"
          query: {{ key: "{{{{ profile.vars.api_key }}}}" }}
          headers: {{ Authorization: "Bearer {{{{ capture.access_token }}}}" }}
        checks:
          - status: 200
          # Each fails with the secret as expected or actual.
          - json: {{ path: $.echo_key, equals: "{{{{ profile.vars.api_key }}}}x" }}
          - json: {{ path: $.echo_token, equals: "{{{{ capture.access_token }}}}x" }}
          - header: {{ name: x-echo, equals: "something else" }}
          - body: {{ not_contains: "{{{{ profile.vars.client_secret }}}}" }}
  - id: unreachable-with-secret
    title: An error whose message would carry the URL with the key
    requirements: [{MUST}]
    steps:
      - request:
          url: "{{{{ profile.vars.dead }}}}/x"
          query: {{ key: "{{{{ profile.vars.api_key }}}}" }}
        checks:
          - status: 200
"#
    )
}

/// Every secret core in `text`, with where it was found.
fn leaks(text: &str) -> Vec<&'static str> {
    [API_KEY_CORE, CLIENT_SECRET, ACCESS_TOKEN]
        .into_iter()
        .filter(|s| text.contains(s))
        .collect()
}

fn assert_clean_output(out: &Output, what: &str) {
    let found = leaks(&format!("{}\n{}", out.stdout, out.stderr));
    assert!(found.is_empty(), "{what} printed {found:?}\n{}", out.all());
}

/// Scan every file under `dir`; returns how many files were read.
fn assert_clean_files(dir: &Path) -> usize {
    let files = files_under(dir);
    for f in &files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        let found = leaks(&text);
        assert!(
            found.is_empty(),
            "{} carries {found:?}:\n{}",
            f.display(),
            text.chars().take(4000).collect::<String>()
        );
    }
    files.len()
}

#[tokio::test]
async fn no_secret_in_any_file_or_output() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains(CLIENT_SECRET))
        .and(body_string_contains(API_KEY_CORE))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "access_token": ACCESS_TOKEN, "token_type": "Bearer" })),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .and(query_param("key", API_KEY))
        .and(header(
            "authorization",
            format!("Bearer {ACCESS_TOKEN}").as_str(),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({
                    "echo_key": API_KEY,
                    "echo_token": ACCESS_TOKEN,
                    "echo_secret": CLIENT_SECRET,
                }))
                .insert_header(
                    "x-echo",
                    format!("{API_KEY} {ACCESS_TOKEN} {CLIENT_SECRET}"),
                ),
        )
        .mount(&server)
        .await;
    // A free port on a host of the profile: the request is allowed, and refused by nobody listening.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let root = Root::with_profile(&format!(
        "vars: {{ api_key: \"env:XX_API_KEY\", client_secret: \"file:secrets/client.txt\", dead: \"http://127.0.0.1:{dead}\" }}\n"
    ));
    root.write("secrets/client.txt", &format!("{CLIENT_SECRET}\n"));
    root.suite(&suite());
    let env = [("XX_API_KEY", API_KEY)];

    let keygen = root.conform(&["keygen", "--out", "keys/xx.key"], &[]);
    keygen.assert_code(0);

    // The run: every format (run writes them all), a recording, signatures.
    let out = root.run_against(
        &server.uri(),
        &["--record", "tape", "--sign", "keys/xx.key"],
        &env,
    );
    out.assert_code(1);
    assert_clean_output(&out, "run --record");
    let written = assert_clean_files(&root.out());
    for name in [
        "xx.json",
        "xx.junit.xml",
        "xx.html",
        "xx.md",
        "summary.md",
        "run.json",
        "xx.json.sig",
    ] {
        assert!(root.out().join(name).is_file(), "no {name} was written");
    }
    assert!(written >= 8, "only {written} files");
    assert!(assert_clean_files(&root.path().join("tape")) >= 1);
    // The reports show that something was there.
    let report = std::fs::read_to_string(root.out().join("xx.json")).unwrap();
    assert!(report.contains("«redacted»"));
    let c = case(&cases(&root.report()), "unreachable-with-secret");
    assert_eq!(c["verdict"], "error");
    assert!(
        c["reason"].as_str().unwrap().contains("connection refused"),
        "{c:#}"
    );
    // The recording keeps placeholders, so replay matches without the secrets.
    let tape = files_under(&root.path().join("tape"))
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect::<String>();
    assert!(tape.contains("«secret "), "the tape has no placeholders");

    // The JSON summary on stdout.
    let out = root.run_against(&server.uri(), &["--format", "json"], &env);
    assert_clean_output(&out, "run --format json");
    assert_clean_files(&root.out());

    // Replay, without the secrets in the environment.
    std::fs::remove_file(root.path().join("secrets/client.txt")).unwrap();
    let out = root.run_against(&server.uri(), &["--replay", "tape"], &[]);
    assert_clean_output(&out, "run --replay");
    assert_clean_files(&root.out());
    assert_eq!(
        case(&cases(&root.report()), "token-then-call")["verdict"],
        "fail",
        "the replay judged the recorded answers"
    );

    // Rendering again: every format to files, and each one to stdout.
    std::fs::write(root.path().join("secrets/client.txt"), CLIENT_SECRET).unwrap();
    let out = root.run_against(&server.uri(), &[], &env);
    assert_clean_output(&out, "run");
    let site = root.path().join("site");
    let report_file = root.out().join("xx.json");
    let report_arg = report_file.to_string_lossy().into_owned();
    let out = conform(
        root.path(),
        &[
            "report",
            &report_arg,
            "--format",
            "junit,html,markdown,badges,json",
            "--out",
            "site",
        ],
        &[],
    );
    out.assert_code(0);
    assert_clean_output(&out, "report --out");
    assert!(assert_clean_files(&site) >= 4);
    for format in ["junit", "html", "markdown", "json"] {
        let out = conform(
            root.path(),
            &["report", &report_arg, "--format", format],
            &[],
        );
        out.assert_code(0);
        assert!(
            !out.stdout.is_empty(),
            "report --format {format} printed nothing"
        );
        assert_clean_output(&out, &format!("report --format {format}"));
    }
}
