//! Report files are written atomically: two runs into one folder at the same
//! time both succeed, and every file left is whole, with no temporary files.

mod common;

use std::process::{Command, Stdio};

use common::*;
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn two_runs_into_one_folder_leave_whole_reports() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "issuer": "x" })))
        .mount(&server)
        .await;
    let root = Root::new();
    let mut suite = String::from(
        "suite: many\ndomain: eid\ntitle: Many\nrequirements: [EID-OIDC-DISC-02]\ncases:\n",
    );
    for i in 0..40 {
        suite.push_str(&format!(
            "  - id: c{i}\n    title: Case {i}\n    requirements: [EID-OIDC-DISC-02]\n    steps:\n      - request: {{ url: \"{{{{ profile.endpoints.eid }}}}/{i}\" }}\n        checks:\n          - status: 200\n"
        ));
    }
    root.suite(&suite);
    let eid = format!("endpoints.eid={}", server.uri());
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_conform"))
            .current_dir(root.path())
            .args(["run", "--country", "xx", "--out", "shared", "--set", &eid])
            .env("CONFORM_NOW", NOW)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    assert_eq!(a.wait().unwrap().code(), Some(0));
    assert_eq!(b.wait().unwrap().code(), Some(0));
    let dir = root.path().join("shared");
    assert!(validate_reports(&dir) >= 2);
    for f in files_under(&dir) {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        assert!(!name.ends_with(".tmp"), "a temporary file was left: {name}");
        if name.ends_with(".json") {
            serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&f).unwrap())
                .unwrap_or_else(|e| panic!("{name} is not whole: {e}"));
        }
    }
}
