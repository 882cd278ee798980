//! Shared helpers of the integration tests: a temporary project root with the
//! repository's schemas and catalogues, a test profile (`countries/xx.yaml`),
//! running the real binary, and validating every JSON report it writes
//! against `schemas/report.schema.json` and `schemas/run.schema.json`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// The clock of every run (waivers expire against it).
pub const NOW: &str = "2026-11-22T12:00:00Z";

/// The test profile. Tests point it at their mock servers with
/// `--set endpoints.eid=…` and `--set oidc.issuer=…`. `limits` lifts the
/// per-host rate so that tests stay fast.
pub const PROFILE: &str = "\
country: XX
name: Testland
languages: [en, fi]
capabilities: [oidc]
endpoints: { eid: http://127.0.0.1:9 }
oidc: { issuer: http://127.0.0.1:9 }
limits: { concurrency: 8, rate: 0 }
";

/// The repository.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Both streams, for messages.
    pub fn all(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code\n{}", self.all());
        self
    }

    pub fn assert_stderr_has(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}\n{}",
            self.all()
        );
        self
    }
}

/// Run the real binary in `cwd` with `args` and `env` (the clock is always fixed).
pub fn conform(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_conform"));
    cmd.current_dir(cwd).args(args).env("CONFORM_NOW", NOW);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the conform binary runs");
    let output = Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !output.stderr.contains("panicked"),
        "the binary panicked\n{}",
        output.all()
    );
    output
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A temporary project root: the repository's `schemas/` and
/// `suites/*/requirements.yaml`, the test profile, and the files a test adds.
/// The binary runs with this folder as its current directory, so paths in
/// diagnostics read `suites/test/x.yaml`.
pub struct Root {
    dir: tempfile::TempDir,
}

impl Root {
    /// A root with the test profile as given in [`PROFILE`].
    pub fn new() -> Root {
        Root::with_profile("")
    }

    /// A root whose profile is [`PROFILE`] followed by `extra` (waivers, vars…).
    pub fn with_profile(extra: &str) -> Root {
        let dir = tempfile::Builder::new()
            .prefix("conform-test-")
            .tempdir()
            .unwrap();
        let root = Root { dir };
        copy_dir(&repo().join("schemas"), &root.path().join("schemas"));
        let mut has_eid = false;
        for entry in std::fs::read_dir(repo().join("suites")).unwrap() {
            let entry = entry.unwrap();
            let catalogue = entry.path().join("requirements.yaml");
            if catalogue.is_file() {
                let domain = entry.file_name();
                has_eid |= domain == "eid";
                let rel = format!("suites/{}/requirements.yaml", domain.to_string_lossy());
                root.write(&rel, &std::fs::read_to_string(&catalogue).unwrap());
            }
        }
        assert!(
            has_eid,
            "the repository has no suites/eid/requirements.yaml"
        );
        root.write("countries/xx.yaml", &format!("{PROFILE}{extra}"));
        std::fs::create_dir_all(root.path().join("suites/test")).unwrap();
        root
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write a file under the root.
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Write the test suite, `suites/test/x.yaml`.
    pub fn suite(&self, yaml: &str) {
        self.write("suites/test/x.yaml", yaml);
    }

    /// Where `run` writes reports.
    pub fn out(&self) -> PathBuf {
        self.path().join("out")
    }

    /// Run the binary in the root. Every JSON report written is validated.
    pub fn conform(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let _ = std::fs::remove_dir_all(self.out());
        let out = conform(self.path(), args, env);
        if self.out().is_dir() {
            validate_reports(&self.out());
        }
        out
    }

    /// `conform run --country xx --out out --timeout-ms 2000` with extra args
    /// (`--set endpoints.eid=…`). Every JSON report written is validated.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut all = vec![
            "run",
            "--country",
            "xx",
            "--out",
            "out",
            "--timeout-ms",
            "2000",
        ];
        all.extend_from_slice(args);
        self.conform(&all, env)
    }

    /// `run` against one endpoint: both `endpoints.eid` and `oidc.issuer` set to `uri`.
    pub fn run_against(&self, uri: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        let eid = format!("endpoints.eid={uri}");
        let issuer = format!("oidc.issuer={uri}");
        let mut all = vec!["--set", eid.as_str(), "--set", issuer.as_str()];
        all.extend_from_slice(args);
        self.run(&all, env)
    }

    /// The country report `out/xx.json` (already validated by `run`).
    pub fn report(&self) -> Value {
        read_json(&self.out().join("xx.json"))
    }

    /// `out/run.json` (already validated by `run`).
    pub fn run_json(&self) -> Value {
        read_json(&self.out().join("run.json"))
    }

    /// The ID of a MAY requirement of the eid catalogue, if it has one.
    pub fn may_requirement(&self) -> Option<String> {
        let text =
            std::fs::read_to_string(self.path().join("suites/eid/requirements.yaml")).ok()?;
        may_requirement(&text)
    }
}

impl Default for Root {
    fn default() -> Self {
        Root::new()
    }
}

/// The first requirement of a catalogue whose level is MAY (block or flow style).
pub fn may_requirement(catalogue: &str) -> Option<String> {
    let mut current: Option<String> = None;
    for line in catalogue.lines() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if indent == 2
            && let Some((key, rest)) = t.split_once(':')
            && !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        {
            current = Some(key.to_string());
            if rest.contains("level: MAY") {
                return current;
            }
            continue;
        }
        if indent > 2 && (t == "level: MAY" || t.starts_with("level: MAY ")) {
            return current;
        }
    }
    None
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn compile(name: &str) -> jsonschema::Validator {
    let schema = read_json(&repo().join("schemas").join(name));
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("schemas/{name} does not compile: {e}"))
}

fn report_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| compile("report.schema.json"))
}

fn run_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| compile("run.schema.json"))
}

/// Validate a document against `report.schema.json` or `run.schema.json`.
pub fn validate(doc: &Value, run: bool, what: &str) {
    let v = if run {
        run_validator()
    } else {
        report_validator()
    };
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("  at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its schema:\n{}\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(doc).unwrap_or_default()
    );
}

/// Validate every JSON report in `dir`: `run.json` against the run schema,
/// every other `*.json` against the report schema. Returns how many.
pub fn validate_reports(dir: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let is_run = path.file_name().and_then(|f| f.to_str()) == Some("run.json");
        validate(&read_json(&path), is_run, &path.display().to_string());
        n += 1;
    }
    assert!(n > 0, "no JSON report in {}", dir.display());
    n
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Every check record of a report, with the ID of its case.
pub fn checks(report: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for suite in report["suites"].as_array().into_iter().flatten() {
        for case in suite["cases"].as_array().into_iter().flatten() {
            let id = case["id"].as_str().unwrap_or_default().to_string();
            for step in case["steps"].as_array().into_iter().flatten() {
                for check in step["checks"].as_array().into_iter().flatten() {
                    out.push((id.clone(), check.clone()));
                }
            }
        }
    }
    out
}

/// The case records of a report, by ID.
pub fn cases(report: &Value) -> Vec<Value> {
    report["suites"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["cases"].as_array().cloned().unwrap_or_default())
        .collect()
}

pub fn case(cases: &[Value], id: &str) -> Value {
    cases
        .iter()
        .find(|c| c["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no case `{id}` in {cases:#?}"))
}

/// A requirement record of a report.
pub fn requirement<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["requirements"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["id"] == id))
        .unwrap_or_else(|| panic!("no requirement `{id}` in the report"))
}

/// 1-based line and column of the first occurrence of `needle` in `text`.
pub fn position(text: &str, needle: &str) -> (usize, usize) {
    for (i, line) in text.lines().enumerate() {
        if let Some(col) = line.find(needle) {
            return (i + 1, line[..col].chars().count() + 1);
        }
    }
    panic!("{needle:?} is not in the text");
}
