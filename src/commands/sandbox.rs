//! `conform sandbox`: serve the reference endpoints on loopback until
//! Ctrl-C or SIGTERM; and the `run --sandbox` glue ([`attach`]).

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::cli::SandboxArgs;
use crate::exec::http::TransportOptions;
use crate::plan::Plan;
use crate::project::Root;
use crate::sandbox::{self, Ports, SandboxHandle, SandboxOptions};

pub fn run(root: Root, args: &SandboxArgs) -> i32 {
    let routes = match sandbox::load(&root) {
        Ok(r) => r,
        Err(d) => return super::bad_input(&d),
    };
    let http_port = args.http_port.unwrap_or(match args.port {
        0 | u16::MAX => 0,
        p => p + 1,
    });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return 3;
        }
    };
    runtime.block_on(async {
        let opts = SandboxOptions {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            https_port: args.port,
            http_port,
            ..SandboxOptions::default()
        };
        let handle = match sandbox::start(&routes, opts).await {
            Ok(h) => h,
            Err(e) => {
                eprintln!("error: {e}");
                return 3;
            }
        };
        let (ca_path, temporary) = match &args.ca_out {
            Some(p) => (p.clone(), false),
            None => (default_ca_path(), true),
        };
        if let Err(e) = std::fs::write(&ca_path, &handle.ca_pem) {
            eprintln!("error: cannot write the CA to {}: {e}", ca_path.display());
            return 3;
        }
        // Listening before the banner: whoever reads it may stop us at once.
        let stopped = crate::shutdown::listen();
        print_banner(&handle, &ca_path);
        stopped.await;
        handle.stop();
        if temporary {
            let _ = std::fs::remove_file(&ca_path);
        }
        println!("sandbox stopped");
        0
    })
}

fn print_banner(handle: &SandboxHandle, ca: &std::path::Path) {
    let mut out = String::new();
    let countries = handle.routes.countries();
    out.push_str(&format!(
        "conform sandbox: {} route{} for {} countr{} ({})\n",
        handle.routes.routes.len(),
        if handle.routes.routes.len() == 1 {
            ""
        } else {
            "s"
        },
        countries.len(),
        if countries.len() == 1 { "y" } else { "ies" },
        countries.join(", ")
    ));
    out.push_str(&format!("  https: https://{}\n", handle.https_addr));
    out.push_str(&format!("  http:  http://{}\n", handle.http_addr));
    out.push_str(&format!("  CA:    {}\n", ca.display()));
    out.push_str("hosts (not in DNS: resolve them to the address above):\n");
    for h in &handle.hosts {
        out.push_str(&format!("  {h}\n"));
    }
    let example = handle
        .routes
        .routes
        .iter()
        .find(|r| r.method == "GET" && r.scheme.serves(sandbox::Scheme::Https));
    if let Some(r) = example {
        let port = handle.https_addr.port();
        out.push_str(&format!(
            "try:\n  curl --cacert {} --resolve {}:{port}:{} https://{}:{port}{}\n",
            ca.display(),
            r.host,
            handle.https_addr.ip(),
            r.host,
            r.path
        ));
    }
    out.push_str("Ctrl-C stops it.\n");
    print!("{out}");
    let _ = std::io::stdout().flush();
}

/// `run --sandbox`: load the sandbox's data, start it on free loopback
/// ports inside `runtime`, point every profile of `plan` at it and set the
/// transport to resolve its hosts, trust its CA and drop per-host limits.
/// The sandbox runs until the handle is dropped. Err is the exit code.
pub fn attach(
    runtime: &tokio::runtime::Runtime,
    root: &Root,
    plan: &mut Plan,
    transport: &mut TransportOptions,
    now: DateTime<Utc>,
    tape: Option<SandboxTape<'_>>,
) -> Result<Option<SandboxHandle>, i32> {
    // A replay answers from the recordings: no sandbox runs, but the profiles
    // point at the ports it had when they were made, so every URL matches.
    if let Some(SandboxTape::Replay(dir)) = tape {
        let ports = read_ports(dir).map_err(|e| {
            eprintln!("error: {e}");
            2
        })?;
        sandbox::point_plan_at(plan, ports);
        return Ok(None);
    }
    let routes = sandbox::load(root).map_err(|d| super::bad_input(&d))?;
    let opts = SandboxOptions {
        extra_hosts: sandbox::plan_hosts(plan),
        now,
        ..SandboxOptions::default()
    };
    let handle = runtime
        .block_on(sandbox::start(&routes, opts))
        .map_err(|e| {
            eprintln!("error: cannot start the sandbox: {e}");
            3
        })?;
    sandbox::point_plan_at(plan, handle.ports());
    *transport = handle.transport(transport.clone());
    if let Some(SandboxTape::Record(dir)) = tape {
        write_ports(dir, handle.ports()).map_err(|e| {
            eprintln!("error: {e}");
            3
        })?;
    }
    Ok(Some(handle))
}

/// The recordings a `run --sandbox` makes or reads.
#[derive(Debug, Clone, Copy)]
pub enum SandboxTape<'a> {
    Record(&'a Path),
    Replay(&'a Path),
}

/// Beside the recordings: the sandbox's ports, which every recorded URL carries.
const PORTS_FILE: &str = "sandbox-ports.json";

fn write_ports(dir: &Path, ports: Ports) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let text = serde_json::json!({ "https": ports.https, "http": ports.http }).to_string();
    crate::report::write::atomic_write(&dir.join(PORTS_FILE), text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", dir.join(PORTS_FILE).display()))
}

fn read_ports(dir: &Path) -> Result<Ports, String> {
    let path = dir.join(PORTS_FILE);
    let text = std::fs::read_to_string(&path).map_err(|_| {
        format!(
            "{} has no {PORTS_FILE}: it was not recorded with `run --sandbox`; replay it without --sandbox",
            dir.display()
        )
    })?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is damaged: {e}", path.display()))?;
    let port = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
            .ok_or_else(|| format!("{} lacks the `{k}` port", path.display()))
    };
    Ok(Ports {
        https: port("https")?,
        http: port("http")?,
    })
}

/// Where `conform sandbox` writes the CA when no `--ca-out` is given.
fn default_ca_path() -> PathBuf {
    std::env::temp_dir().join(format!("conform-sandbox-{}-ca.pem", std::process::id()))
}
