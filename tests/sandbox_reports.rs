//! The reports issue's done-when, on the sandbox: one run writes every format
//! for all eleven countries; `compare` builds the matrix; a second run with
//! one deviation fixed and one requirement newly broken shows as a fix and a
//! regression against the first as baseline.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const COUNTRIES: [&str; 11] = [
    "ax", "dk", "ee", "fi", "fo", "gl", "is", "lt", "lv", "no", "se",
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn conform(cwd: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(cwd)
        .args(args)
        .env_remove("CONFORM_NOW")
        .output()
        .expect("conform runs");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_fixed_deviation_and_a_new_break_show_against_the_baseline() {
    let tmp = tempfile::tempdir().unwrap();
    let first = tmp.path().join("first");
    let out = conform(
        &repo(),
        &["run", "--sandbox", "--out", first.to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for cc in COUNTRIES {
        for file in [
            format!("{cc}.json"),
            format!("{cc}.junit.xml"),
            format!("{cc}.html"),
            format!("{cc}.md"),
            format!("badges/{cc}-eid.svg"),
        ] {
            assert!(first.join(&file).is_file(), "{file} missing");
        }
    }
    assert!(first.join("run.json").is_file() && first.join("summary.md").is_file());

    // A copy of the project where Lithuania's key is fixed (Norway's 2048-bit
    // key in its place) and Finland now lists an unknown subject type.
    let root = tmp.path().join("root");
    for dir in ["suites", "schemas", "countries", "fixtures/sandbox"] {
        copy_dir(&repo().join(dir), &root.join(dir));
    }
    std::fs::copy(
        root.join("fixtures/sandbox/no/idporten/jwks.json"),
        root.join("fixtures/sandbox/lt/eid/jwks.json"),
    )
    .unwrap();
    let fi = root.join("fixtures/sandbox/fi/eid/openid-configuration.json");
    let mut doc = json(&fi);
    doc["subject_types_supported"] = serde_json::json!(["public", "anonymous"]);
    std::fs::write(&fi, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let second = tmp.path().join("second");
    let out = conform(
        &root,
        &["run", "--sandbox", "--out", second.to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let cmp = tmp.path().join("cmp");
    let out = conform(
        &repo(),
        &[
            "compare",
            second.to_str().unwrap(),
            "--baseline",
            first.to_str().unwrap(),
            "--fail-on-regression",
            "--out",
            cmp.to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "regressions gate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = json(&cmp.join("compare.json"));
    assert_eq!(c["countries"].as_array().unwrap().len(), 11);
    let row = c["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "EID-JWKS-06")
        .unwrap();
    assert_eq!(row["verdicts"]["LT"], "pass");
    let pairs = |key: &str| -> Vec<(String, String)> {
        c["baseline"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["country"].as_str().unwrap().to_string(),
                    x["requirement"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        pairs("fixes"),
        vec![("LT".to_string(), "EID-JWKS-06".to_string())]
    );
    assert_eq!(
        pairs("regressions"),
        vec![("FI".to_string(), "EID-OIDC-DISC-09".to_string())]
    );
    for f in ["compare.html", "compare.md"] {
        assert!(cmp.join(f).is_file(), "{f}");
    }
}
