//! The fault matrix: every way an endpoint can fail, one test each, on real
//! loopback sockets (hand-written servers that misbehave on purpose, TLS
//! with rcgen certificates). Each run has the faulty case first and a
//! healthy one after it (`--jobs 1`): the faulty case gets `error` (or `fail`
//! where the answer itself breaks the spec) with a reason that names the
//! fault, the healthy case still passes, and the reports are written and
//! valid (`Root::run` validates every JSON report against its schema).

mod common;
#[path = "common/net.rs"]
mod net;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::*;
use net::*;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

const MUST: &str = "EID-OIDC-DISC-02";

/// The faulty case (the profile's eid endpoint) and, after it, a healthy
/// one (`profile.vars.good`).
fn suite() -> String {
    format!(
        r#"suite: faults
domain: eid
title: Faults
requirements: [{MUST}]
cases:
  - id: faulty
    title: The endpoint with the fault
    requirements: [{MUST}]
    steps:
      - request: {{ url: "{{{{ profile.endpoints.eid }}}}/fault", follow_redirects: true }}
        checks:
          - status: 200
          - schema: {{ file: test/ok.schema.json }}
          - json: {{ path: "$.ok", equals: true }}
  - id: healthy
    title: A working endpoint, after the faulty one
    requirements: [{MUST}]
    steps:
      - request: {{ url: "{{{{ profile.vars.good }}}}/ok" }}
        checks:
          - status: 200
          - schema: {{ file: test/ok.schema.json }}
          - json: {{ path: "$.ok", equals: true }}
"#
    )
}

const SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://conform.example/schemas/test/ok.schema.json",
  "type": "object",
  "required": ["ok"]
}"#;

/// A project root with the fault suite; `profile` is added to the test profile.
fn root(profile: &str) -> Root {
    let root = Root::with_profile(&format!("vars: {{ good: http://127.0.0.1:9 }}\n{profile}"));
    root.write("schemas/test/ok.schema.json", SCHEMA);
    root.suite(&suite());
    root
}

/// Run the suite with the faulty endpoint at `fault` and the healthy one at `good`.
fn run(root: &Root, fault: &str, good: &str, extra: &[&str]) -> (Output, Value) {
    let eid = format!("endpoints.eid={fault}");
    let good = format!("vars.good={good}");
    let mut args = vec![
        "run",
        "--country",
        "xx",
        "--out",
        "out",
        "--jobs",
        "1",
        "--set",
        &eid,
        "--set",
        &good,
    ];
    if !extra.contains(&"--timeout-ms") {
        args.extend(["--timeout-ms", "2000"]);
    }
    args.extend_from_slice(extra);
    let out = root.conform(&args, &[]);
    assert!(
        root.out().join("xx.json").is_file() && root.out().join("run.json").is_file(),
        "the reports are written\n{}",
        out.all()
    );
    let report = root.report();
    assert_eq!(report["complete"], true, "{}", out.all());
    (out, report)
}

/// The faulty case has `verdict` with a reason containing every one of
/// `needles`; the healthy case passed.
fn assert_fault(out: &Output, report: &Value, verdict: &str, needles: &[&str]) -> Value {
    let all = cases(report);
    let faulty = case(&all, "faulty");
    assert_eq!(faulty["verdict"], verdict, "{faulty:#}\n{}", out.all());
    let reason = faulty["reason"].as_str().unwrap_or_default();
    for n in needles {
        assert!(
            reason.contains(n),
            "the reason {reason:?} does not name the fault ({n:?})\n{faulty:#}"
        );
    }
    let healthy = case(&all, "healthy");
    assert_eq!(
        healthy["verdict"],
        "pass",
        "the run went on after the fault\n{healthy:#}\n{}",
        out.all()
    );
    out.assert_code(if verdict == "fail" { 1 } else { 3 });
    faulty
}

/// Every check of the faulty case is `error` with the reason (a transport fault: nothing to judge).
fn assert_all_checks_error(faulty: &Value, needle: &str) {
    for step in faulty["steps"].as_array().unwrap() {
        for check in step["checks"].as_array().unwrap() {
            assert_eq!(check["verdict"], "error", "{check:#}");
            assert!(
                check["message"].as_str().unwrap().contains(needle),
                "{check:#}"
            );
        }
    }
}

fn url(addr: std::net::SocketAddr) -> String {
    format!("http://{addr}")
}

/// A plain server whose `/fault` is `fault` and every other path answers well.
fn fault_server<F, Fut>(rt: &tokio::runtime::Runtime, fault: F) -> String
where
    F: Fn(Head, Conn) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let fault = Arc::new(fault);
    let addr = rt.block_on(serve(
        None,
        handler(move |head, mut conn| {
            let fault = fault.clone();
            async move {
                if head.path() == "/fault" {
                    fault(head, conn).await;
                } else {
                    let _ = conn.send(&good_json()).await;
                }
            }
        }),
    ));
    url(addr)
}

#[test]
fn connection_refused() {
    let rt = runtime();
    let good = url(rt.block_on(good_server(None)));
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let root = root("");
    let (out, report) = run(&root, &format!("http://127.0.0.1:{port}"), &good, &[]);
    let faulty = assert_fault(
        &out,
        &report,
        "error",
        &[&format!("connection refused by 127.0.0.1:{port}")],
    );
    assert_all_checks_error(&faulty, "connection refused");
}

#[test]
fn a_name_that_does_not_resolve() {
    // `.invalid` never resolves (RFC 6761): the runner's own resolver says
    // so at once, without asking the system's.
    let rt = runtime();
    let good = url(rt.block_on(good_server(None)));
    let root = root("");
    let (out, report) = run(&root, "http://idp.nowhere.invalid", &good, &[]);
    let faulty = assert_fault(
        &out,
        &report,
        "error",
        &["cannot resolve idp.nowhere.invalid:80", "does not resolve"],
    );
    assert_all_checks_error(&faulty, "does not resolve");
}

/// A TLS fault: the profile trusts `trusted`; the faulty server presents
/// `leaf`; the healthy one is TLS with a good certificate of `trusted`.
fn tls_fault(trusted: &Ca, leaf: &Leaf, needles: &[&str]) {
    let rt = runtime();
    let good = rt.block_on(good_server(Some(server_config(
        &trusted.server(&["127.0.0.1"]),
    ))));
    let bad = rt.block_on(good_server(Some(server_config(leaf))));
    let root = root("tls: { ca_bundle: trusted-ca.pem }\n");
    root.write("trusted-ca.pem", &trusted.pem);
    let (out, report) = run(
        &root,
        &format!("https://{bad}"),
        &format!("https://{good}"),
        &[],
    );
    let faulty = assert_fault(&out, &report, "error", needles);
    assert_all_checks_error(&faulty, "TLS failure");
}

#[test]
fn tls_with_an_unknown_ca() {
    let trusted = Ca::new("trusted CA");
    let stranger = Ca::new("unknown CA");
    tls_fault(
        &trusted,
        &stranger.server(&["127.0.0.1"]),
        &["TLS failure with 127.0.0.1:", "not signed by a trusted CA"],
    );
}

#[test]
fn tls_with_an_expired_certificate() {
    let trusted = Ca::new("trusted CA");
    tls_fault(
        &trusted,
        &trusted.leaf(&["127.0.0.1"], -60, -30, false),
        &["TLS failure with 127.0.0.1:", "has expired"],
    );
}

#[test]
fn tls_with_a_wrong_host_name() {
    let trusted = Ca::new("trusted CA");
    tls_fault(
        &trusted,
        &trusted.server(&["elsewhere.example"]),
        &["TLS failure with 127.0.0.1:", "wrong host name"],
    );
}

#[test]
fn connect_timeout() {
    // A listener that never accepts, with a backlog of 0, filled by the test
    // itself: the kernel drops every further SYN, so the connection is never
    // made (deterministic, and on loopback only).
    let rt = runtime();
    let good = url(rt.block_on(good_server(None)));
    let listener = rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        socket.listen(0).unwrap()
    });
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    let full = (0..16).any(|_| {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => {
                held.push(s);
                false
            }
            Err(_) => true,
        }
    });
    assert!(full, "the backlog of the listener never filled");
    let root = root("");
    let (out, report) = run(
        &root,
        &url(addr),
        &good,
        &["--connect-timeout-ms", "500", "--timeout-ms", "5000"],
    );
    let faulty = assert_fault(
        &out,
        &report,
        "error",
        &[&format!(
            "connect timed out: no connection to {addr} within 500 ms"
        )],
    );
    assert_all_checks_error(&faulty, "connect timed out");
    drop(held);
    drop(listener);
}

#[test]
fn no_first_byte() {
    let rt = runtime();
    let fault = fault_server(&rt, |_, conn| async move {
        // Read the request, then say nothing (holding the connection open).
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(conn);
    });
    let root = root("");
    let (out, report) = run(&root, &fault, &fault, &["--timeout-ms", "1500"]);
    let faulty = assert_fault(
        &out,
        &report,
        "error",
        &["timed out: no response headers from 127.0.0.1:", "1500 ms"],
    );
    assert_all_checks_error(&faulty, "no response headers");
}

#[test]
fn a_body_that_trickles_past_the_total_timeout() {
    let rt = runtime();
    let fault = fault_server(&rt, |_, mut conn| async move {
        let head =
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{";
        if conn.send(head.as_bytes()).await.is_err() {
            return;
        }
        for _ in 0..600 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if conn.send(b" ").await.is_err() {
                return;
            }
        }
    });
    let root = root("");
    let (out, report) = run(&root, &fault, &fault, &["--timeout-ms", "1500"]);
    let faulty = assert_fault(
        &out,
        &report,
        "error",
        &[
            "timed out: the body was still arriving after 1500 ms",
            "bytes so far",
        ],
    );
    assert_all_checks_error(&faulty, "still arriving");
}

#[test]
fn a_reset_in_the_middle_of_the_body() {
    let rt = runtime();
    let fault = fault_server(&rt, |_, mut conn| async move {
        let mut bytes = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"ok\":true,\"pad\":\"".to_vec();
        bytes.extend([b'x'; 100]);
        if conn.send(&bytes).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        conn.reset();
    });
    let root = root("");
    let (out, report) = run(&root, &fault, &fault, &[]);
    let faulty = assert_fault(&out, &report, "error", &["the body broke off after"]);
    let reason = faulty["reason"].as_str().unwrap().to_ascii_lowercase();
    assert!(reason.contains("reset"), "{reason}");
    assert_all_checks_error(&faulty, "broke off");
}

#[test]
fn a_truncated_chunked_body() {
    let rt = runtime();
    let fault = fault_server(&rt, |_, mut conn| async move {
        let bytes = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n10\r\n{\"ok\":true,\"a\":\"\r\n100\r\nxyz";
        if conn.send(bytes).await.is_err() {
            return;
        }
        // A clean end of the stream in the middle of a chunk.
        let _ = conn.io().shutdown().await;
    });
    let root = root("");
    let (out, report) = run(&root, &fault, &fault, &[]);
    let faulty = assert_fault(&out, &report, "error", &["the body broke off after"]);
    assert_all_checks_error(&faulty, "broke off");
}

#[test]
fn invalid_json_fails_the_schema_and_leaves_the_json_check_unjudged() {
    // An answer that arrived and breaks the spec: a `fail`, not an `error`.
    let rt = runtime();
    let fault = fault_server(&rt, |_, mut conn| async move {
        let _ = conn
            .send(&answer(
                200,
                &[("content-type", "application/json")],
                b"{\"ok\": ",
            ))
            .await;
    });
    let root = root("");
    let (out, report) = run(&root, &fault, &fault, &[]);
    let faulty = assert_fault(&out, &report, "fail", &["not valid JSON"]);
    let checks = faulty["steps"][0]["checks"].as_array().unwrap();
    assert_eq!(checks[0]["verdict"], "pass");
    assert_eq!(checks[1]["kind"], "schema");
    assert_eq!(checks[1]["verdict"], "fail");
    assert_eq!(checks[2]["kind"], "json");
    assert_eq!(checks[2]["verdict"], "error");
    assert!(
        checks[2]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    assert_eq!(report["verdict"], "non_conformant");
}

#[test]
fn invalid_utf8_is_named_with_its_offset() {
    let rt = runtime();
    let fault = fault_server(&rt, |_, mut conn| async move {
        let _ = conn
            .send(&answer(
                200,
                &[("content-type", "application/json")],
                b"{\"ok\":\"\xff\xfe\"}",
            ))
            .await;
    });
    let root = root("");
    let (out, report) = run(&root, &fault, &fault, &[]);
    let faulty = assert_fault(
        &out,
        &report,
        "fail",
        &["not valid UTF-8 (byte 0xff at offset 7)"],
    );
    // The excerpt in the report is text, the bad bytes replaced.
    let excerpt = faulty["steps"][0]["response"]["body_excerpt"]
        .as_str()
        .unwrap();
    assert!(excerpt.contains('\u{fffd}'), "{excerpt}");
}

#[test]
fn a_50_mib_body_is_capped_and_never_read_whole() {
    const SIZE: u64 = 50 * 1024 * 1024;
    let rt = runtime();
    let written = Arc::new(AtomicU64::new(0));
    let finished = Arc::new(AtomicBool::new(false));
    let completed = Arc::new(AtomicBool::new(false));
    let (w, f, c) = (written.clone(), finished.clone(), completed.clone());
    let fault = fault_server(&rt, move |_, mut conn| {
        let (w, f, c) = (w.clone(), f.clone(), c.clone());
        async move {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {SIZE}\r\n\r\n"
            );
            let mut ok = conn.send(head.as_bytes()).await.is_ok();
            let chunk = vec![b' '; 64 * 1024];
            while ok && w.load(Ordering::SeqCst) < SIZE {
                ok = conn.io().write_all(&chunk).await.is_ok();
                if ok {
                    w.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                }
            }
            c.store(ok, Ordering::SeqCst);
            f.store(true, Ordering::SeqCst);
        }
    });
    let root = root("");
    let (out, report) = run(&root, &fault, &fault, &["--timeout-ms", "20000"]);
    let faulty = assert_fault(
        &out,
        &report,
        "error",
        &["larger than the cap of 10485760 bytes"],
    );
    let response = &faulty["steps"][0]["response"];
    assert_eq!(response["capped"], true, "{response:#}");
    assert_eq!(response["truncated"], true);
    assert_eq!(response["body_bytes"], 10 * 1024 * 1024);
    assert!(response["body_excerpt"].as_str().unwrap().len() <= 4096);
    let checks = faulty["steps"][0]["checks"].as_array().unwrap();
    assert_eq!(checks[0]["verdict"], "pass", "the status was answered");
    for c in &checks[1..] {
        assert_eq!(c["verdict"], "error", "{c:#}");
        assert!(c["message"].as_str().unwrap().contains("cap"), "{c:#}");
    }
    // The server could not write the whole body: the reader hung up at the cap.
    for _ in 0..200 {
        if finished.load(Ordering::SeqCst) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        finished.load(Ordering::SeqCst),
        "the server is still writing"
    );
    assert!(!completed.load(Ordering::SeqCst));
    assert!(written.load(Ordering::SeqCst) < SIZE);
}

#[test]
fn a_redirect_loop() {
    // `/fault` sends to `/fault?again`, which sends back to `/fault`.
    let rt = runtime();
    let looping = url(rt.block_on(serve(
        None,
        handler(|head, mut conn| async move {
            let bytes = match head.target.as_str() {
                "/fault" => answer(302, &[("location", "/fault?again")], b""),
                "/fault?again" => answer(302, &[("location", "/fault")], b""),
                _ => good_json(),
            };
            let _ = conn.send(&bytes).await;
        }),
    )));
    let root = root("");
    let (out, report) = run(&root, &looping, &looping, &[]);
    let faulty = assert_fault(
        &out,
        &report,
        "error",
        &[
            "redirect loop: ",
            "/fault?again redirects back to ",
            "already visited",
        ],
    );
    assert_all_checks_error(&faulty, "redirect loop");
}

/// A server whose `/fault` always answers `status` (with `retry_after`),
/// recording when each request came.
fn busy_server(
    rt: &tokio::runtime::Runtime,
    status: u16,
    retry_after: Option<&'static str>,
) -> (String, Arc<std::sync::Mutex<Vec<Instant>>>) {
    let times = Arc::new(std::sync::Mutex::new(Vec::new()));
    let t = times.clone();
    let url = fault_server(rt, move |_, mut conn| {
        let t = t.clone();
        async move {
            t.lock().unwrap().push(Instant::now());
            let headers: Vec<(&str, &str)> = retry_after
                .map(|v| ("retry-after", v))
                .into_iter()
                .collect();
            let _ = conn.send(&answer(status, &headers, b"busy")).await;
        }
    });
    (url, times)
}

/// Three attempts, each after the wait asked for (a lower bound only: a
/// sleep never ends early).
fn assert_retried(times: &std::sync::Mutex<Vec<Instant>>, wait: Duration) {
    let times = times.lock().unwrap();
    assert_eq!(times.len(), 3, "one attempt and two retries");
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= wait, "a retry came before the wait");
    }
}

#[test]
fn a_429_with_retry_after() {
    let rt = runtime();
    let (fault, times) = busy_server(&rt, 429, Some("1"));
    let root = root("");
    let (out, report) = run(&root, &fault, &fault, &[]);
    let faulty = assert_fault(
        &out,
        &report,
        "error",
        &[
            "endpoint unavailable: HTTP 429 after 3 attempts",
            "Retry-After: 1",
        ],
    );
    assert_all_checks_error(&faulty, "endpoint unavailable");
    assert_retried(&times, Duration::from_secs(1));
}

#[test]
fn a_503() {
    let rt = runtime();
    let (fault, times) = busy_server(&rt, 503, None);
    let root = root("");
    let (out, report) = run(&root, &fault, &fault, &[]);
    let faulty = assert_fault(
        &out,
        &report,
        "error",
        &["endpoint unavailable: HTTP 503 after 3 attempts"],
    );
    assert_all_checks_error(&faulty, "endpoint unavailable");
    // Without Retry-After the runner waits a second between attempts.
    assert_retried(&times, Duration::from_secs(1));
}

/// Not a fault, the control of the matrix: the healthy server on both
/// endpoints passes, so every failure above comes from its fault.
#[test]
fn the_control_passes() {
    let rt = runtime();
    let good = url(rt.block_on(good_server(None)));
    let root = root("");
    let (out, report) = run(&root, &good, &good, &[]);
    out.assert_code(0);
    assert_eq!(report["verdict"], "conformant");
    assert_eq!(cases(&report).len(), 2);
}
