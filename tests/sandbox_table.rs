//! The sandbox's expected outcome is the Deviations table of
//! `fixtures/sandbox/README.md`. One `conform run --sandbox`, then one trial
//! per suite × country: every deviation listed for that country and suite
//! has its verdict, and no other requirement of the suite fails, warns or
//! errors.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

/// (country, requirement) → (domain, expected verdict), from the table.
fn table() -> BTreeMap<(String, String), (String, String)> {
    let readme = std::fs::read_to_string(repo().join("fixtures/sandbox/README.md"))
        .expect("fixtures/sandbox/README.md");
    let section = readme
        .split("## Deviations")
        .nth(1)
        .expect("a Deviations section");
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() < 4 || cells[0] == "country" || cells[0].starts_with("---") {
            continue;
        }
        let key = (cells[0].to_string(), cells[2].to_string());
        assert!(
            rows.insert(key.clone(), (cells[1].to_string(), cells[3].to_string()))
                .is_none(),
            "{key:?} listed twice"
        );
    }
    rows
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn main() {
    let args = Arguments::from_args();
    let out = tempfile::tempdir().expect("a temporary folder");
    // The sandbox makes its certificates from the real clock: no CONFORM_NOW here.
    let run = Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(repo())
        .args(["run", "--sandbox", "--out"])
        .arg(out.path())
        .env_remove("CONFORM_NOW")
        .output()
        .expect("conform runs");
    let code = run.status.code();
    let stderr = String::from_utf8_lossy(&run.stderr).to_string();
    let table = table();
    let mut trials = Vec::new();
    let reports: Vec<Value> = std::fs::read_dir(out.path())
        .map(|d| {
            let mut files: Vec<PathBuf> = d
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json") && !p.ends_with("run.json"))
                .collect();
            files.sort();
            files
                .iter()
                .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
                .collect()
        })
        .unwrap_or_default();
    {
        let stderr = stderr.clone();
        let count = reports.len();
        trials.push(Trial::test("run/exits-1-with-eleven-reports", move || {
            if code != Some(1) {
                return Err(format!("`conform run --sandbox` exited {code:?}, expected 1 (the sandbox carries deviations)\n{stderr}").into());
            }
            if stderr.contains("panicked") {
                return Err(format!("a panic: {stderr}").into());
            }
            if count != 11 {
                return Err(format!("{count} country reports, expected 11").into());
            }
            Ok(())
        }));
    }
    let mut covered: Vec<(String, String)> = Vec::new();
    for report in &reports {
        let cc = report["country"]["code"].as_str().unwrap().to_string();
        let verdicts: BTreeMap<String, (String, String)> = report["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap().to_string(),
                    (
                        r["verdict"].as_str().unwrap().to_string(),
                        r["domain"].as_str().unwrap().to_string(),
                    ),
                )
            })
            .collect();
        for suite in report["suites"].as_array().unwrap() {
            let id = suite["id"].as_str().unwrap().to_string();
            let reqs: Vec<String> = suite["requirements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_string())
                .collect();
            for r in &reqs {
                if table.contains_key(&(cc.clone(), r.clone())) {
                    covered.push((cc.clone(), r.clone()));
                }
            }
            let (cc2, table2, verdicts2) = (cc.clone(), table.clone(), verdicts.clone());
            trials.push(Trial::test(
                format!("{}/{}", cc.to_ascii_lowercase(), id),
                move || {
                    let mut wrong = Vec::new();
                    for r in &reqs {
                        let Some((got, domain)) = verdicts2.get(r) else {
                            wrong.push(format!("{r}: missing from the report"));
                            continue;
                        };
                        match table2.get(&(cc2.clone(), r.clone())) {
                            Some((want_domain, want)) if got != want || domain != want_domain => {
                                wrong.push(format!(
                                    "{r}: {got} in {domain}, the table says {want} in {want_domain}"
                                ));
                            }
                            Some(_) => {}
                            None if !matches!(got.as_str(), "pass" | "not_applicable") => {
                                wrong.push(format!("{r}: {got}, but the table lists no deviation"));
                            }
                            None => {}
                        }
                    }
                    if wrong.is_empty() {
                        Ok(())
                    } else {
                        Err(Failed::from(wrong.join("\n")))
                    }
                },
            ));
        }
    }
    let uncovered: Vec<String> = table
        .keys()
        .filter(|k| !covered.contains(k))
        .map(|(c, r)| format!("{c} {r}"))
        .collect();
    trials.push(Trial::test("table/every-row-is-tested", move || {
        if uncovered.is_empty() {
            Ok(())
        } else {
            Err(format!("rows no suite of the run covers: {}", uncovered.join(", ")).into())
        }
    }));
    drop(out);
    libtest_mimic::run(&args, trials).exit();
}
