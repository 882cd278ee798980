//! Splitting a plan across CI machines and running offline: `--shard k/n`
//! with `conform merge`, and `--record` / `--replay`, through the binary
//! against wiremock on loopback.

mod common;

use common::*;
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MUST: &str = "EID-OIDC-DISC-02";
const SHOULD: &str = "EID-OIDC-DISC-06";

/// Twelve cases: most pass, one fails a MUST, one warns, one repeats per language.
fn suite() -> String {
    let mut s = format!(
        "suite: scale\ndomain: eid\ntitle: Many cases\nrequirements: [{MUST}, {SHOULD}]\ncases:\n"
    );
    for i in 0..10 {
        s.push_str(&format!(
            "  - id: doc-{i}\n    title: Document {i}\n    requirements: [{MUST}]\n    steps:\n      - request: {{ url: \"{{{{ profile.endpoints.eid }}}}/doc/{i}\" }}\n        checks:\n          - status: 200\n          - json: {{ path: $.id, equals: {i} }}\n"
        ));
    }
    s.push_str(&format!(
        "  - id: warns\n    title: A SHOULD that warns\n    requirements: [{SHOULD}]\n    steps:\n      - request: {{ url: \"{{{{ profile.endpoints.eid }}}}/doc/3\" }}\n        checks:\n          - json: {{ path: $.missing, exists: true }}\n"
    ));
    s.push_str(&format!(
        "  - id: per-language\n    title: One per language\n    requirements: [{MUST}]\n    for_each: profile.languages\n    steps:\n      - request: {{ url: \"{{{{ profile.endpoints.eid }}}}/doc/{{{{ item }}}}\" }}\n        checks:\n          - status: 200\n"
    ));
    s
}

async fn server() -> MockServer {
    // Document 7 carries the wrong id: a MUST fails.
    documents(|i| (if i == 7 { json!("seven") } else { json!(i) }, 0)).await
}

/// The documents 0 to 9, each with the id and the delay (ms) `doc` gives, and the per-language ones.
async fn documents(doc: impl Fn(usize) -> (Value, u64)) -> MockServer {
    let server = MockServer::start().await;
    for i in 0..10 {
        let (id, delay) = doc(i);
        Mock::given(method("GET"))
            .and(path_regex(format!("^/doc/{i}$")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({ "id": id }))
                    .set_delay(std::time::Duration::from_millis(delay)),
            )
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path_regex("^/doc/(en|fi)$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": "lang" })))
        .mount(&server)
        .await;
    server
}

/// Times and durations differ between runs (start, end, durations, the
/// servers' `Date` headers); everything else must not.
fn normalised(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "started_at" | "finished_at" => json!("T"),
                        "duration_ms" | "elapsed_ms" => json!(0),
                        _ => normalised(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        // A response's `Date` header is a time too.
        Value::Array(a)
            if a.len() == 2
                && a[0]
                    .as_str()
                    .is_some_and(|h| h.eq_ignore_ascii_case("date")) =>
        {
            json!([a[0], "T"])
        }
        Value::Array(a) => Value::Array(a.iter().map(normalised).collect()),
        other => other.clone(),
    }
}

fn read(dir: &std::path::Path, file: &str) -> Value {
    normalised(&read_json(&dir.join(file)))
}

/// `conform run --country xx --out OUT EXTRA… --set SET` in `root`, at the tests' fixed time.
fn run_xx(
    root: &std::path::Path,
    out: &str,
    extra: &[&str],
    set: &str,
    env: &[(&str, &str)],
) -> Output {
    let mut args = vec!["run", "--country", "xx", "--out", out];
    args.extend_from_slice(extra);
    args.extend(["--set", set]);
    conform(root, &args, env)
}

#[tokio::test]
async fn shards_merge_into_the_reports_of_one_run() {
    let server = server().await;
    let root = Root::new();
    root.suite(&suite());
    let eid = format!("endpoints.eid={}", server.uri());
    let full = root.path().join("full");
    let out = run_xx(root.path(), "full", &[], &eid, &[]);
    out.assert_code(1);
    validate_reports(&full);

    let n = 3;
    let mut seen = std::collections::BTreeSet::new();
    let mut total = 0;
    for k in 1..=n {
        let dir = format!("shard-{k}");
        let shard = format!("{k}/{n}");
        let out = run_xx(root.path(), &dir, &["--shard", &shard], &eid, &[]);
        assert!(matches!(out.code, 0 | 1), "{}", out.all());
        validate_reports(&root.path().join(&dir));
        let report = read_json(&root.path().join(&dir).join("xx.json"));
        assert_eq!(report["shard"], shard);
        for c in cases(&report) {
            // Every case (with all its repetitions) in exactly one shard.
            let base = c["id"]
                .as_str()
                .unwrap()
                .split('[')
                .next()
                .unwrap()
                .to_string();
            total += 1;
            assert!(
                seen.insert(c["id"].as_str().unwrap().to_string()),
                "{base} twice"
            );
        }
    }
    assert_eq!(total, cases(&read_json(&full.join("xx.json"))).len());

    let merged = root.path().join("merged");
    let out = conform(
        root.path(),
        &["merge", "shard-1", "shard-2", "shard-3", "--out", "merged"],
        &[],
    );
    out.assert_code(1);
    validate_reports(&merged);
    assert_eq!(read(&full, "xx.json"), read(&merged, "xx.json"));
    assert_eq!(read(&full, "run.json"), read(&merged, "run.json"));
    // The merged JUnit, HTML and Markdown are those of the merged JSON.
    conform(
        root.path(),
        &["report", "merged/xx.json", "--out", "rendered"],
        &[],
    )
    .assert_code(0);
    for f in ["xx.junit.xml", "xx.html", "xx.md", "badges/xx-eid.svg"] {
        assert!(
            std::fs::read(merged.join(f)).unwrap()
                == std::fs::read(root.path().join("rendered").join(f)).unwrap(),
            "merged/{f} is not what its JSON renders"
        );
    }
}

#[tokio::test]
async fn an_empty_shard_is_fine() {
    let server = server().await;
    let root = Root::new();
    root.suite(&suite());
    let eid = format!("endpoints.eid={}", server.uri());
    // With more shards than cases some are empty; they still write reports.
    let out = run_xx(
        root.path(),
        "s",
        &["--shard", "40/40", "--case", "scale/doc-1"],
        &eid,
        &[],
    );
    assert!(matches!(out.code, 0 | 1), "{}", out.all());
    validate_reports(&root.path().join("s"));
    let bad = conform(
        root.path(),
        &["run", "--country", "xx", "--shard", "4/3"],
        &[],
    );
    bad.assert_code(2);
    assert!(bad.stderr.contains("--shard"), "{}", bad.all());
}

#[tokio::test]
async fn a_replayed_run_judges_as_the_recorded_one() {
    let server = server().await;
    let root = Root::with_profile("vars: { token: \"env:XX_TOKEN\" }\n");
    let mut s = suite();
    s.push_str(&format!(
        "  - id: with-secret\n    title: A request that carries a secret\n    requirements: [{MUST}]\n    steps:\n      - request:\n          url: \"{{{{ profile.endpoints.eid }}}}/doc/1\"\n          headers: {{ Authorization: \"Bearer {{{{ profile.vars.token }}}}\" }}\n          query: {{ t: \"{{{{ profile.vars.token }}}}\" }}\n        checks:\n          - status: 200\n"
    ));
    root.suite(&s);
    let eid = format!("endpoints.eid={}", server.uri());
    let secret = "recorded-secret-value-42";
    let out = run_xx(
        root.path(),
        "rec-out",
        &["--record", "tape"],
        &eid,
        &[("XX_TOKEN", secret)],
    );
    out.assert_code(1);
    // The recordings hold placeholders, never the secret.
    let tape = root.path().join("tape");
    let files = files_under(&tape);
    assert!(!files.is_empty());
    let mut placeholder_seen = false;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(!text.contains(secret), "{} holds the secret", f.display());
        placeholder_seen |= text.contains("«secret env:XX_TOKEN»");
    }
    assert!(placeholder_seen);

    // Replay: no server, no secret set, the same verdicts.
    drop(server);
    let out = run_xx(root.path(), "replay-out", &["--replay", "tape"], &eid, &[]);
    out.assert_code(1);
    validate_reports(&root.path().join("replay-out"));
    let verdicts = |dir: &str| -> Vec<(String, Value)> {
        let r = read_json(&root.path().join(dir).join("xx.json"));
        cases(&r)
            .iter()
            .map(|c| (c["id"].as_str().unwrap().to_string(), c["verdict"].clone()))
            .collect()
    };
    assert_eq!(verdicts("rec-out"), verdicts("replay-out"));
    let rec = read_json(&root.path().join("rec-out/xx.json"));
    let rep = read_json(&root.path().join("replay-out/xx.json"));
    assert_eq!(rec["requirements"], rep["requirements"]);
}

#[tokio::test]
async fn a_request_with_no_recording_is_an_error_that_names_it() {
    let root = Root::new();
    root.suite(&suite());
    std::fs::create_dir_all(root.path().join("empty-tape")).unwrap();
    let out = run_xx(
        root.path(),
        "o",
        &["--replay", "empty-tape", "--case", "scale/doc-1"],
        "endpoints.eid=http://127.0.0.1:9",
        &[],
    );
    out.assert_code(3);
    let report = read_json(&root.path().join("o/xx.json"));
    let c = case(&cases(&report), "doc-1");
    assert_eq!(c["verdict"], "error");
    assert!(
        c["reason"]
            .as_str()
            .unwrap()
            .contains("no recording for GET http://127.0.0.1:9/doc/1"),
        "{c:#?}"
    );
}

/// Cases finish out of order with `--jobs 8` (the first ones answer last):
/// the reports are those of `--jobs 1`, and of two failures of one MUST the
/// first in the suite gives the requirement's reason.
#[tokio::test]
async fn reports_do_not_depend_on_the_order_cases_finish_in() {
    // Documents 2 and 7 carry the wrong id; 0 to 2 answer slowly.
    let server = documents(|i| {
        let id = if i == 2 || i == 7 {
            json!(format!("wrong-{i}"))
        } else {
            json!(i)
        };
        (id, if i <= 2 { 300 } else { 0 })
    })
    .await;
    let root = Root::new();
    root.suite(&suite());
    let eid = format!("endpoints.eid={}", server.uri());
    for (dir, jobs) in [("one", "1"), ("eight", "8")] {
        let out = run_xx(root.path(), dir, &["--jobs", jobs], &eid, &[]);
        out.assert_code(1);
        validate_reports(&root.path().join(dir));
    }
    let (one, eight) = (root.path().join("one"), root.path().join("eight"));
    assert_eq!(read(&one, "xx.json"), read(&eight, "xx.json"));
    let must = read_json(&one.join("xx.json"))["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == MUST)
        .cloned()
        .unwrap();
    assert_eq!(must["verdict"], "fail");
    assert!(
        must["reason"].as_str().unwrap().contains("wrong-2"),
        "{must}"
    );
    let junit = |dir: &std::path::Path| {
        let xml = std::fs::read_to_string(dir.join("xx.junit.xml")).unwrap();
        // Without times: the testcases' and the responses' own.
        let times = regex::Regex::new(r#"time="[0-9.]+"|, [0-9]+ ms\)"#).unwrap();
        times.replace_all(&xml, "T").into_owned()
    };
    assert_eq!(junit(&one), junit(&eight));
}
