//! The sandbox on real loopback sockets: HTTPS trusted through its own CA,
//! hosts resolved by the client, URLs rendered with the sandbox's ports;
//! `conform run --sandbox` end to end; `conform sandbox` started and stopped.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine;
use chrono::{TimeZone, Utc};
use conform::project::{DataFile, Root};
use conform::sandbox::{self, SandboxHandle, SandboxOptions};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_conform");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

async fn start_repo_sandbox() -> SandboxHandle {
    let routes = sandbox::load(&Root::Dir(repo())).unwrap_or_else(|d| panic!("{}", d.render()));
    sandbox::start(&routes, SandboxOptions::default())
        .await
        .unwrap()
}

/// A client that knows only what `run --sandbox` gives the runner: the hosts
/// resolved to the sandbox and its CA.
fn client(handle: &SandboxHandle, trust: bool) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none());
    for host in &handle.hosts {
        b = b.resolve(host, SocketAddr::new(handle.https_addr.ip(), 0));
    }
    if trust {
        b = b.add_root_certificate(
            reqwest::Certificate::from_pem(handle.ca_pem.as_bytes()).unwrap(),
        );
    }
    b.build().unwrap()
}

#[tokio::test]
async fn serves_the_norwegian_discovery_document_over_https_with_ports_rendered() {
    let sb = start_repo_sandbox().await;
    let port = sb.https_addr.port();
    assert!(sb.https_addr.ip().is_loopback() && sb.http_addr.ip().is_loopback());
    assert_ne!(port, sb.http_addr.port());
    assert!(sb.hosts.contains(&"idporten.no.test".to_string()));
    assert!(sb.hosts.contains(&"login.idporten.no.test".to_string()));
    let http = client(&sb, true);

    let url = format!("https://idporten.no.test:{port}/.well-known/openid-configuration");
    let resp = http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_2, "ALPN offers h2");
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let doc: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    let base = format!("https://idporten.no.test:{port}");
    assert_eq!(doc["issuer"], Value::from(base.clone()));
    assert_eq!(
        doc["authorization_endpoint"],
        Value::from(format!("https://login.idporten.no.test:{port}/authorize"))
    );
    assert_eq!(doc["token_endpoint"], Value::from(format!("{base}/token")));
    assert_eq!(
        doc["userinfo_endpoint"],
        Value::from(format!("{base}/userinfo"))
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    assert_eq!(
        doc["subject_types_supported"],
        serde_json::json!(["pairwise"])
    );
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        doc["ui_locales_supported"],
        serde_json::json!(["nb", "nn", "en", "se"])
    );

    // Follow the document's own link: it reaches the sandbox as written.
    let jwks_uri = doc["jwks_uri"].as_str().unwrap();
    assert_eq!(jwks_uri, format!("{base}/jwks.json"));
    let jwks_resp = http.get(jwks_uri).send().await.unwrap();
    let jwks: Value = serde_json::from_slice(&jwks_resp.bytes().await.unwrap()).unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "RSA");
    let n = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(key["n"].as_str().unwrap())
        .unwrap();
    assert_eq!(n.len(), 256, "RSA-2048 modulus");

    // The login host is a different name on the same sandbox.
    let login = http
        .get(format!("https://login.idporten.no.test:{port}/authorize"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 400);

    // Without the sandbox CA the same request fails the TLS handshake.
    let untrusted = client(&sb, false).get(&url).send().await;
    assert!(untrusted.is_err(), "{untrusted:?}");
    sb.stop();
}

#[tokio::test]
async fn unknown_hosts_and_paths_answer_404_json() {
    let routes = sandbox::load(&Root::Dir(repo())).unwrap();
    let sb = sandbox::start(
        &routes,
        SandboxOptions {
            extra_hosts: vec!["nothing-here.no.test".into()],
            ..SandboxOptions::default()
        },
    )
    .await
    .unwrap();
    let (https, plain) = (sb.https_addr.port(), sb.http_addr.port());
    let http = client(&sb, true);
    for url in [
        format!("https://idporten.no.test:{https}/no-such-path"),
        format!("https://idporten.no.test:{https}/.well-known/openid-configuration/"),
        format!("https://nothing-here.no.test:{https}/.well-known/openid-configuration"),
        // The discovery route is https only.
        format!("http://idporten.no.test:{plain}/.well-known/openid-configuration"),
        format!("http://127.0.0.1:{plain}/"),
        format!("https://127.0.0.1:{https}/jwks.json"),
    ] {
        let resp = http
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(resp.status(), 404, "{url}");
        assert_eq!(resp.headers()["content-type"], "application/json", "{url}");
        assert_eq!(
            resp.text().await.unwrap(),
            r#"{"error":"not_found"}"#,
            "{url}"
        );
    }
    // A POST to a GET route is no match either.
    let resp = http
        .post(format!("https://idporten.no.test:{https}/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

/// The base64 DER served for a placeholder, and the UTCTime `notAfter` it must contain.
#[tokio::test]
async fn fills_certificate_placeholders_relative_to_the_clock() {
    let files = vec![
        DataFile {
            rel: "xx/routes.yaml".into(),
            shown: "xx/routes.yaml".into(),
            bytes: b"routes:
  - host: certs.xx.test
    path: /certs
    scheme: both
    file: certs.json
  - host: certs.xx.test
    path: /link
    scheme: http
    headers: { link: '<https://certs.xx.test/certs>; rel=\"certs\"' }
"
            .to_vec(),
        },
        DataFile {
            rel: "xx/certs.json".into(),
            shown: "xx/certs.json".into(),
            bytes: br#"{"valid":"{{ sandbox.cert.valid }}","expired":"{{sandbox.cert.expired}}","soon":"{{ sandbox.cert.expiring_soon }}","self":"http://certs.xx.test/certs"}"#.to_vec(),
        },
    ];
    let routes =
        conform::sandbox::routes::load(&files).unwrap_or_else(|d| panic!("{}", d.render()));
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let sb = sandbox::start(
        &routes,
        SandboxOptions {
            now,
            ..SandboxOptions::default()
        },
    )
    .await
    .unwrap();
    let plain = sb.http_addr.port();
    let http = client(&sb, true);
    let body = http
        .get(format!("http://certs.xx.test:{plain}/certs"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        doc["self"],
        Value::from(format!("http://certs.xx.test:{plain}/certs"))
    );
    for (key, days) in [("valid", 365), ("expired", -30), ("soon", 10)] {
        let der = base64::engine::general_purpose::STANDARD
            .decode(doc[key].as_str().unwrap())
            .unwrap();
        assert_eq!(der[0], 0x30, "{key}: a DER SEQUENCE");
        let not_after = (now + chrono::Duration::days(days))
            .format("%y%m%d%H%M%SZ")
            .to_string();
        assert!(
            der.windows(not_after.len())
                .any(|w| w == not_after.as_bytes()),
            "{key}: notAfter {not_after} not in the certificate"
        );
    }
    let link = http
        .get(format!("http://certs.xx.test:{plain}/link"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        link.headers()["link"],
        format!(
            "<https://certs.xx.test:{}/certs>; rel=\"certs\"",
            sb.https_addr.port()
        )
        .as_str()
    );
}

fn run_binary(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env_remove("CONFORM_NOW")
        .output()
        .unwrap()
}

#[test]
fn run_sandbox_reaches_the_sandbox_for_norway() {
    let out = tempfile::tempdir().unwrap();
    let result = run_binary(
        &[
            "run",
            "--sandbox",
            "--country",
            "no",
            "--out",
            out.path().to_str().unwrap(),
        ],
        &repo(),
    );
    let code = result.status.code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "exit {code:?}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("no.json")).unwrap()).unwrap();
    assert_eq!(report["country"]["environment"], "sandbox");
    let suite = report["suites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "oidc-discovery")
        .expect("the oidc-discovery suite ran");
    let cases = suite["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    let mut ran = 0;
    for case in cases {
        assert_ne!(case["verdict"], "error", "{case:#}");
        if case["verdict"] != "not_applicable" {
            ran += 1;
        }
    }
    assert!(ran > 0, "some discovery case reached the sandbox");
}

/// Every requirement's verdict in a country report.
fn requirement_verdicts(report: &Path) -> Vec<(String, String)> {
    let v: Value = serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
    let mut out: Vec<(String, String)> = match &v["requirements"] {
        Value::Array(list) => list
            .iter()
            .map(|r| (r["id"].to_string(), r["verdict"].to_string()))
            .collect(),
        Value::Object(map) => map
            .iter()
            .map(|(k, r)| (k.clone(), r["verdict"].to_string()))
            .collect(),
        other => panic!("requirements: {other}"),
    };
    out.sort();
    out
}

#[test]
fn a_sandbox_run_recorded_replays_offline_with_the_same_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let (tape, live, again) = (
        dir.path().join("tape"),
        dir.path().join("live"),
        dir.path().join("again"),
    );
    let arg = |p: &Path| p.to_str().unwrap().to_string();
    // FI covers all three domains, SOAP (one URL, bodies told apart) and TLS certificates.
    for (mode, out) in [("--record", &live), ("--replay", &again)] {
        let result = run_binary(
            &[
                "run",
                "--sandbox",
                "--country",
                "fi,ee",
                mode,
                &arg(&tape),
                "--out",
                &arg(out),
            ],
            &repo(),
        );
        assert_eq!(
            result.status.code(),
            Some(1),
            "{mode}: the sandbox's deviations make it 1\n{}",
            String::from_utf8_lossy(&result.stderr)
        );
    }
    assert!(tape.join("sandbox-ports.json").is_file());
    for cc in ["fi", "ee"] {
        let (a, b) = (
            requirement_verdicts(&live.join(format!("{cc}.json"))),
            requirement_verdicts(&again.join(format!("{cc}.json"))),
        );
        assert!(a.len() > 50, "{cc}: {a:?}");
        assert_eq!(a, b, "{cc}: the replay judges as the live run did");
    }
    // Recordings made without --sandbox cannot be replayed against its ports.
    std::fs::remove_file(tape.join("sandbox-ports.json")).unwrap();
    let result = run_binary(
        &[
            "run",
            "--sandbox",
            "--country",
            "fi",
            "--replay",
            &arg(&tape),
        ],
        &repo(),
    );
    assert_eq!(result.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&result.stderr).contains("was not recorded with `run --sandbox`")
    );
}

#[test]
fn broken_routes_files_are_bad_input_with_positions() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("fixtures/sandbox/xx");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("routes.yaml"),
        "routes:\n  - host: idp.example.com\n    path: /x\n",
    )
    .unwrap();
    let result = run_binary(
        &[
            "--root",
            root.path().to_str().unwrap(),
            "sandbox",
            "--port",
            "0",
        ],
        &repo(),
    );
    assert_eq!(result.status.code(), Some(2));
    let err = String::from_utf8_lossy(&result.stderr);
    assert!(
        err.contains("fixtures/sandbox/xx/routes.yaml:2:11: `idp.example.com` is not under the reserved `.test` TLD"),
        "{err}"
    );
}

#[test]
fn conform_sandbox_serves_until_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let ca = tmp.path().join("ca.pem");
    let mut child = Command::new(BIN)
        .args(["sandbox", "--port", "0", "--ca-out", ca.to_str().unwrap()])
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let port: u16 = loop {
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(l) => l,
            Err(e) => {
                let _ = child.kill();
                panic!("no address printed ({e}); saw {seen:?}");
            }
        };
        if let Some(rest) = line.trim().strip_prefix("https: https://127.0.0.1:") {
            break rest.parse().unwrap();
        }
        seen.push(line);
    };
    // Wait for the banner to finish (the CA is written before it is printed).
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(10)) {
        if line.contains("Ctrl-C") {
            break;
        }
    }

    let pem = std::fs::read(&ca).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .no_proxy()
            .resolve("idporten.no.test", SocketAddr::from(([127, 0, 0, 1], 0)))
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .build()
            .unwrap();
        http.get(format!(
            "https://idporten.no.test:{port}/.well-known/openid-configuration"
        ))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
    });

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the sandbox did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status, Ok(200));
    assert!(exit.success(), "{exit:?}");
    assert!(
        rx.recv_timeout(Duration::from_secs(5))
            .is_ok_and(|l| l.contains("stopped"))
    );
}
