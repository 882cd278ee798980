//! Personal identity numbers in what the harness writes, through the
//! binary: an endpoint on loopback (wiremock, and the built-in sandbox)
//! answers with personal numbers; every report format, the terminal output
//! and the recordings are scanned for them. Reports and output show them
//! masked unless `--keep-personal-data`; recordings hold synthetic stand-ins
//! that a replay judges exactly as the live run judged the originals.

mod common;

use std::path::Path;

use common::*;
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MUST: &str = "EID-OIDC-DISC-02";
const SHOULD: &str = "EID-OIDC-DISC-06";

/// Published test identities of seven countries, as the endpoint writes them.
const PERSONAL: [&str; 7] = [
    "38001085718",   // EE
    "131052-308T",   // FI
    "19121212-1212", // SE
    "15108695088",   // NO
    "120174-3399",   // IS
    "161175-19997",  // LV
    "211062-5629",   // DK
];

/// Each number's part after the birth date, which no masked form shows either.
const TAILS: [&str; 7] = [
    "0108571", "-308T", "12-1212", "8695088", "74-3399", "75-1999", "62-5629",
];

fn body() -> Value {
    json!({
        "ee": PERSONAL[0], "fi": PERSONAL[1], "se": PERSONAL[2], "no": PERSONAL[3],
        "is": PERSONAL[4], "lv": PERSONAL[5], "dk": PERSONAL[6],
        "note": format!("requested for {} by EE{}", PERSONAL[1], PERSONAL[0]),
    })
}

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex("^/people/[0-9A-Z-]+$"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Road-UserId", format!("EE{}", PERSONAL[0]).as_str())
                .set_body_json(body()),
        )
        .mount(&server)
        .await;
    server
}

/// Cases that pass on the numbers, fail showing them, and carry one from a
/// response into the next request's URL (so a replay must find a request by
/// a URL with a personal number in it).
fn suite() -> String {
    format!(
        r#"suite: personal
domain: eid
title: Personal numbers in answers
requirements: [{MUST}, {SHOULD}]
cases:
  - id: valid-numbers
    title: Every number is a valid personal identity number of its country
    requirements: [{MUST}]
    steps:
      - request:
          url: "{{{{ profile.endpoints.eid }}}}/people/{p0}"
          headers: {{ X-Road-UserId: "FI{p1}" }}
        checks:
          - status: 200
          - identifier: {{ country: EE, kind: person, json: /ee }}
          - identifier: {{ country: FI, kind: person, json: /fi }}
          - identifier: {{ country: SE, kind: person, json: /se }}
          - identifier: {{ country: NO, kind: person, json: /no }}
          - identifier: {{ country: IS, kind: person, json: /is }}
          - identifier: {{ country: LV, kind: person, json: /lv }}
          - identifier: {{ country: DK, kind: person, json: /dk }}
          - identifier: {{ header: X-Road-UserId, prefixed: true, kind: person }}
  - id: failures-show-values
    title: Failing checks whose messages and actual values carry the numbers
    requirements: [{MUST}]
    steps:
      - request:
          url: "{{{{ profile.endpoints.eid }}}}/people/{p0}"
        checks:
          - json: {{ path: /ee, equals: "not-this" }}
          - json: {{ path: "$['fi','se','no','is','lv','dk']", matches: "^x" }}
          - header: {{ name: x-road-userid, equals: "nobody" }}
          - identifier: {{ country: FI, kind: person, json: /no }}
          - body: {{ matches: "^nothing$" }}
  - id: a-number-travels
    title: A number read from one answer is sent in the next request's URL
    requirements: [{SHOULD}]
    steps:
      - request:
          url: "{{{{ profile.endpoints.eid }}}}/people/{p0}"
        captures:
          fi: /fi
          ee: /ee
      - request:
          url: "{{{{ profile.endpoints.eid }}}}/people/{{{{ capture.fi }}}}"
        checks:
          - json: {{ path: /ee, equals: "{{{{ capture.ee }}}}" }}
          - json: {{ path: /missing, exists: true }}
"#,
        p0 = PERSONAL[0],
        p1 = PERSONAL[1],
    )
}

/// Every file under `dir`, with its text.
fn texts(dir: &Path) -> Vec<(String, String)> {
    files_under(dir)
        .into_iter()
        .map(|f| {
            let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
            (f.display().to_string(), text)
        })
        .collect()
}

/// Where one of the numbers (or its tail) appears, if anywhere.
fn leaks(what: &str, text: &str) -> Vec<String> {
    PERSONAL
        .iter()
        .chain(TAILS.iter())
        .filter(|n| text.contains(*n))
        .map(|n| format!("{what} holds `{n}`"))
        .collect()
}

fn verdicts(dir: &Path) -> (Vec<(String, Value)>, Value) {
    let r = read_json(&dir.join("xx.json"));
    let cases = cases(&r)
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["verdict"].clone()))
        .collect();
    (cases, r["requirements"].clone())
}

#[tokio::test]
async fn every_output_masks_personal_numbers_and_the_tape_holds_stand_ins() {
    let server = server().await;
    let root = Root::new();
    root.suite(&suite());
    let eid = format!("endpoints.eid={}", server.uri());
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--country", "xx", "--set", eid.as_str()];
        args.extend_from_slice(extra);
        conform(root.path(), &args, &[])
    };

    // A live run, recorded: every report format, the terminal, and the tape.
    let live = run(&["--out", "live", "--record", "tape"]);
    live.assert_code(1);
    let live_json = run(&["--out", "live-json", "--format", "json"]);
    live_json.assert_code(1);
    let mut problems = Vec::new();
    problems.extend(leaks("stdout", &live.stdout));
    problems.extend(leaks("stderr", &live.stderr));
    problems.extend(leaks("stdout (--format json)", &live_json.stdout));
    problems.extend(leaks("stderr (--format json)", &live_json.stderr));
    let live_files = texts(&root.path().join("live"));
    for ext in [".json", ".junit.xml", ".html", ".md", ".svg"] {
        assert!(
            live_files.iter().any(|(f, _)| f.ends_with(ext)),
            "no {ext} report among {:?}",
            live_files.iter().map(|(f, _)| f).collect::<Vec<_>>()
        );
    }
    for (f, text) in live_files
        .iter()
        .chain(texts(&root.path().join("live-json")).iter())
    {
        problems.extend(leaks(f, text));
    }
    let tape = texts(&root.path().join("tape"));
    assert!(!tape.is_empty(), "nothing recorded");
    for (f, text) in &tape {
        problems.extend(leaks(f, text));
    }
    assert!(
        problems.is_empty(),
        "personal numbers leak:\n{}",
        problems.join("\n")
    );

    // The reports do show the masked forms (the values were there to leak).
    let report = std::fs::read_to_string(root.path().join("live/xx.json")).unwrap();
    for masked in ["3800108****", "131052-****", "19121212-****", "151086*****"] {
        assert!(report.contains(masked), "{masked} not in the report");
    }
    // The tape holds valid stand-ins in their place, with the same birth-date parts.
    let all_tape: String = tape.iter().map(|(_, t)| t.as_str()).collect();
    assert!(
        all_tape.contains("\"EE3800108"),
        "no stand-in for the echoed user id"
    );
    assert!(
        all_tape.contains("/people/3800108"),
        "no stand-in in a recorded URL"
    );

    // Replay: no server; the same verdicts, case by case and per requirement.
    drop(server);
    let replay = run(&["--out", "replay", "--replay", "tape"]);
    replay.assert_code(1);
    let (live_cases, live_reqs) = verdicts(&root.path().join("live"));
    let (replay_cases, replay_reqs) = verdicts(&root.path().join("replay"));
    assert_eq!(live_cases, replay_cases);
    assert_eq!(live_reqs, replay_reqs);
    assert_eq!(
        live_cases,
        vec![
            ("valid-numbers".to_string(), json!("pass")),
            ("failures-show-values".to_string(), json!("fail")),
            ("a-number-travels".to_string(), json!("warn")),
        ]
    );
    // Even the messages read the same: stand-ins keep the masked form.
    let messages = |dir: &str| -> Vec<Value> {
        checks(&read_json(&root.path().join(dir).join("xx.json")))
            .into_iter()
            .map(|(_, c)| c["message"].clone())
            .collect()
    };
    assert_eq!(messages("live"), messages("replay"));
}

#[tokio::test]
async fn keep_personal_data_shows_the_numbers() {
    let server = server().await;
    let root = Root::new();
    root.suite(&suite());
    let eid = format!("endpoints.eid={}", server.uri());
    let out = conform(
        root.path(),
        &[
            "run",
            "--country",
            "xx",
            "--set",
            &eid,
            "--out",
            "kept",
            "--record",
            "tape",
            "--keep-personal-data",
        ],
        &[],
    );
    out.assert_code(1);
    let report = std::fs::read_to_string(root.path().join("kept/xx.json")).unwrap();
    for n in [PERSONAL[0], PERSONAL[1], PERSONAL[3]] {
        assert!(
            report.contains(n),
            "{n} masked despite --keep-personal-data"
        );
    }
    // A tape is an artefact that travels: stand-ins all the same.
    for (f, text) in texts(&root.path().join("tape")) {
        let found = leaks(&f, &text);
        assert!(found.is_empty(), "{}", found.join("\n"));
    }
}

/// The sandbox's Icelandic security server echoes `X-Road-UserId` as a bare
/// kennitala (a deviation of the table); it never shows unmasked.
#[test]
fn the_sandbox_echo_of_a_kennitala_is_masked_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let tape_dir = dir.path().join("tape");
    let out = conform(
        &repo(),
        &[
            "run",
            "--sandbox",
            "--country",
            "is",
            "--suite",
            "xroad-rest-metaservices",
            "--out",
            out_dir.to_str().unwrap(),
            "--record",
            tape_dir.to_str().unwrap(),
        ],
        &[],
    );
    assert!(matches!(out.code, 0 | 1), "{}", out.all());
    let kennitala = ["0101302989", "010130-2989", "302989"];
    let mut problems = Vec::new();
    for (what, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        for k in kennitala {
            if text.contains(k) {
                problems.push(format!("{what} holds {k}"));
            }
        }
    }
    let files: Vec<(String, String)> = texts(&out_dir)
        .into_iter()
        .chain(texts(&tape_dir))
        .collect();
    assert!(files.iter().any(|(f, _)| f.ends_with("is.json")));
    for (f, text) in &files {
        for k in kennitala {
            if text.contains(k) {
                problems.push(format!("{f} holds {k}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let report = std::fs::read_to_string(out_dir.join("is.json")).unwrap();
    assert!(
        report.contains("010130-****"),
        "the masked kennitala is not reported"
    );
}
