//! One trial per hostile input of `fixtures/hostile/` (libtest-mimic,
//! `harness = false`): each `<name>.expected` says which corpus files go
//! where in a temporary project, then one or more commands with what each
//! must give. The binary runs under a memory limit (`ulimit -v`) and is
//! killed after a generous time; neither is a claim about speed, they only
//! turn "unbounded" into a failed trial instead of a hung or swapping test.
//!
//! `.expected` lines (`#` starts a comment):
//!
//! - `file: <corpus file> -> <path in the project>` copies a file (bytes as they are);
//! - `generate: <bytes> -> <path>` makes a sparse file of that size (for the very large input);
//! - `command: check` or `command: run` starts a command; the lines after it are its expectations;
//! - `body: <text>` or `body-repeat: <text> <count> <suffix>` is what the loopback endpoint
//!   answers (as JSON) to a `run`;
//! - `exit: <code>`; `message: <text>` must appear in what the command printed (and, for a
//!   run, the report); `at: <file:line:col prefix>` must appear in stderr.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use libtest_mimic::{Arguments, Failed, Trial};

/// Address space the binary may use (KiB): far above what any input needs,
/// far below what an unbounded expansion or a whole read of the 5 GB file takes.
const MEMORY_KIB: u64 = 4 * 1024 * 1024;
/// Wall time after which a command is killed (a hang, not a slow machine).
const KILL_AFTER: Duration = Duration::from_secs(180);

fn corpus() -> PathBuf {
    repo().join("fixtures/hostile")
}

fn main() {
    let args = Arguments::from_args();
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("expected"))
        .collect();
    files.sort();
    let trials: Vec<Trial> = files
        .into_iter()
        .map(|f| {
            let name = f.file_stem().unwrap().to_string_lossy().into_owned();
            Trial::test(name, move || trial(&f))
        })
        .collect();
    assert!(trials.len() >= 13, "fixtures/hostile has too few inputs");
    libtest_mimic::run(&args, trials).exit();
}

#[derive(Default, Debug)]
struct Step {
    command: String,
    body: Option<Vec<u8>>,
    exit: Option<i32>,
    messages: Vec<String>,
    at: Vec<String>,
}

fn trial(expected: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(expected)?;
    let root = Root::new();
    let mut steps: Vec<Step> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once(':')
            .map(|(k, v)| (k.trim(), v.trim()))
            .ok_or_else(|| format!("{}:{}: write key: value", expected.display(), n + 1))?;
        let placed = || -> Result<(&str, &str), Failed> {
            value
                .split_once(" -> ")
                .map(|(a, b)| (a.trim(), b.trim()))
                .ok_or_else(|| format!("`{key}:` takes `<what> -> <where>`").into())
        };
        let step = steps.last_mut();
        match (key, step) {
            ("file", _) => {
                let (from, to) = placed()?;
                let bytes = std::fs::read(corpus().join(from))?;
                let target = root.path().join(to);
                std::fs::create_dir_all(target.parent().unwrap())?;
                std::fs::write(target, bytes)?;
            }
            ("generate", _) => {
                let (size, to) = placed()?;
                let target = root.path().join(to);
                std::fs::create_dir_all(target.parent().unwrap())?;
                let mut f = std::fs::File::create(target)?;
                f.write_all(b"suite: very-large\n")?;
                f.set_len(size.parse()?)?;
            }
            ("command", _) => steps.push(Step {
                command: value.to_string(),
                ..Step::default()
            }),
            ("body", Some(s)) => s.body = Some(value.as_bytes().to_vec()),
            ("body-repeat", Some(s)) => {
                let mut parts = value.split_whitespace();
                let (unit, count, tail) = (
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or("0").parse::<usize>()?,
                    parts.next().unwrap_or(""),
                );
                // A JSON string, so that checks read it either as text or as JSON.
                s.body = Some(format!("\"{}{tail}\"", unit.repeat(count)).into_bytes());
            }
            ("exit", Some(s)) => s.exit = Some(value.parse()?),
            ("message", Some(s)) => s.messages.push(value.to_string()),
            ("at", Some(s)) => s.at.push(value.to_string()),
            (k, None) => return Err(format!("`{k}:` before any `command:`").into()),
            (k, _) => return Err(format!("unknown key `{k}:`").into()),
        }
    }
    if steps.is_empty() {
        return Err("no `command:`".into());
    }
    for step in &steps {
        run_step(&root, step)?;
    }
    Ok(())
}

fn run_step(root: &Root, step: &Step) -> Result<(), Failed> {
    let mut args: Vec<String> = vec![step.command.clone()];
    let server = match step.command.as_str() {
        "check" => None,
        "run" => {
            let body = step.body.clone().unwrap_or_else(|| b"{}".to_vec());
            let addr = serve_forever(body)?;
            for k in ["endpoints.eid", "oidc.issuer"] {
                args.push("--set".into());
                args.push(format!("{k}=http://{addr}"));
            }
            args.extend(
                ["--country", "xx", "--out", "out", "--timeout-ms", "20000"].map(String::from),
            );
            Some(addr)
        }
        other => return Err(format!("unknown command `{other}`").into()),
    };
    let (code, stdout, stderr) = bounded(root.path(), &args)?;
    let all = format!(
        "conform {}\nexit {code}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        args.join(" ")
    );
    if stderr.contains("panicked") {
        return Err(format!("the binary panicked\n{all}").into());
    }
    if let Some(want) = step.exit
        && code != want
    {
        return Err(format!("expected exit {want}\n{all}").into());
    }
    let mut seen = format!("{stdout}\n{stderr}");
    if server.is_some() {
        let report = root.out().join("xx.json");
        seen.push_str(
            &std::fs::read_to_string(&report)
                .map_err(|e| format!("no report {}: {e}\n{all}", report.display()))?,
        );
        validate_reports(&root.out());
    }
    for m in &step.messages {
        // A message may sit inside a JSON string in the report: compare unescaped too.
        let escaped = serde_json::to_string(m).unwrap();
        if !seen.contains(m.as_str()) && !seen.contains(escaped.trim_matches('"')) {
            return Err(format!("the output lacks {m:?}\n{all}").into());
        }
    }
    for at in &step.at {
        if !stderr.contains(at.as_str()) {
            return Err(format!("stderr lacks the place {at:?}\n{all}").into());
        }
    }
    Ok(())
}

/// Run the binary under the memory limit, killing it after [`KILL_AFTER`].
fn bounded(cwd: &Path, args: &[String]) -> Result<(i32, String, String), Failed> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_KIB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_conform"))
        .args(args)
        .current_dir(cwd)
        .env("CONFORM_NOW", NOW)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Drain both pipes on threads so a chatty child never blocks on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > KILL_AFTER {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "conform {} did not finish within {KILL_AFTER:?}: killed",
                args.join(" ")
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = String::from_utf8_lossy(&t_out.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&t_err.join().unwrap()).into_owned();
    use std::os::unix::process::ExitStatusExt;
    let code = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    Ok((code, stdout, stderr))
}

/// A loopback endpoint that answers every request with `body` as JSON, on a thread.
fn serve_forever(body: Vec<u8>) -> Result<std::net::SocketAddr, Failed> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let body = body.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let mut answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                answer.extend_from_slice(&body);
                let _ = stream.write_all(&answer);
            });
        }
    });
    Ok(addr)
}
