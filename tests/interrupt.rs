//! Ctrl-C or SIGTERM during a run: the cases in flight stop, the reports are
//! written with everything finished so far and marked incomplete, exit 3.
#![cfg(unix)]

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A server that accepts connections and never answers.
fn silent_server() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    (listener, addr)
}

fn interrupted_by(signal: &str) {
    let (listener, addr) = silent_server();
    let root = Root::new();
    root.suite(
        "suite: slow\ndomain: eid\ntitle: Slow\nrequirements: [EID-OIDC-DISC-02]\ncases:\n  - id: waits\n    title: Waits for an answer that never comes\n    requirements: [EID-OIDC-DISC-02]\n    steps:\n      - request: { url: \"{{ profile.endpoints.eid }}/never\" }\n        checks:\n          - status: 200\n",
    );
    let eid = format!("endpoints.eid={addr}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(root.path())
        .args([
            "run",
            "--country",
            "xx",
            "--out",
            "out",
            "--timeout-ms",
            "120000",
            "--set",
            &eid,
        ])
        .env("CONFORM_NOW", NOW)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run has reached the server: the request is in flight.
    listener.set_nonblocking(false).unwrap();
    let (_held, _) = listener.accept().unwrap();
    let sent = Instant::now();
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        assert!(
            sent.elapsed() < Duration::from_secs(20),
            "the run did not stop after {signal}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(code, Some(3), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    validate_reports(&root.out());
    let report = root.report();
    assert_eq!(report["complete"], false);
    assert!(
        report["incomplete_reason"]
            .as_str()
            .unwrap()
            .starts_with("interrupted"),
        "{report:#}"
    );
    assert_eq!(root.run_json()["complete"], false);
    assert_eq!(root.run_json()["exit_code"], 3);
}

#[test]
fn sigterm_writes_incomplete_reports_and_exits_3() {
    interrupted_by("-TERM");
}

#[test]
fn ctrl_c_writes_incomplete_reports_and_exits_3() {
    interrupted_by("-INT");
}
