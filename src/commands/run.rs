//! `conform run`: load, plan, execute with listeners, roll up, write reports,
//! print the summary, and give the exit code.

use std::sync::Arc;

use crate::cli::{OutputFormat, RunArgs};
use crate::diag::{Diagnostic, Diagnostics};
use crate::display::{Progress, summary};
use crate::exec::http::TransportOptions;
use crate::exec::secrets::Redactor;
use crate::exec::{RunOptions, TapeMode, execute};
use crate::plan::{Selection, build};
use crate::project::{Project, Root};
use crate::report::collect::{Collector, RunMeta};
use crate::report::model::*;
use crate::report::sign::Signer;
use crate::report::write::write_reports_signed;
use crate::verdict::exit_code;

fn parse_sets(sets: &[String], diags: &mut Diagnostics) -> Vec<(String, serde_json::Value)> {
    sets.iter()
        .filter_map(|s| match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                Some((k.trim().to_string(), crate::yaml::scalar(v)))
            }
            _ => {
                diags.push(Diagnostic::new(format!(
                    "--set {s}: write KEY=VALUE, such as endpoints.eid=https://idp.example"
                )));
                None
            }
        })
        .collect()
}

pub fn run(root: Root, args: &RunArgs) -> i32 {
    // The run's own duration comes from a monotonic clock, so that a fixed
    // CONFORM_NOW still gives true durations.
    let clock = std::time::Instant::now();
    let started = match crate::clock::now() {
        Ok(t) => t,
        Err(e) => return super::bad_input(&Diagnostics(vec![Diagnostic::new(e)])),
    };
    // The signing key is read before anything runs: a bad key is bad input.
    let signer = match args.sign.as_deref().map(Signer::load).transpose() {
        Ok(s) => s,
        Err(e) => return super::bad_input(&Diagnostics(vec![Diagnostic::new(e)])),
    };
    let base = match &root {
        Root::Dir(d) => d.clone(),
        Root::Embedded => std::path::PathBuf::from("."),
    };
    crate::exec::http::warm_system_roots();
    let project = match Project::load(root) {
        Ok(p) => Arc::new(p),
        Err(d) => return super::bad_input(&d),
    };
    let mut diags = Diagnostics::default();
    let sets = parse_sets(&args.sets, &mut diags);
    if args.jobs == 0 {
        diags.push(Diagnostic::new("--jobs is at least 1"));
    }
    if !diags.is_empty() {
        return super::bad_input(&diags);
    }
    let selection = Selection {
        countries: args.countries.clone(),
        suites: args.suites.clone(),
        cases: args.cases.clone(),
        tags: args.tags.clone(),
        environment: if args.sandbox {
            Some("sandbox".into())
        } else {
            args.env.clone()
        },
        sets,
        shard: args.shard,
    };
    let mut plan = match build(&project, &selection) {
        Ok(p) => p,
        Err(d) => return super::bad_input(&d),
    };
    let transport = TransportOptions {
        request_timeout: std::time::Duration::from_millis(args.timeout_ms.max(1)),
        connect_timeout: std::time::Duration::from_millis(
            args.connect_timeout_ms.clamp(1, args.timeout_ms.max(1)),
        ),
        insecure: args.insecure,
        ..TransportOptions::default()
    };
    if args.insecure {
        eprintln!(
            "warning: --insecure: TLS certificates are NOT verified in this run; every report records it"
        );
    }
    let mut opts = RunOptions {
        jobs: args.jobs,
        transport,
        today: started.date_naive(),
        base,
        tape: match (&args.record, &args.replay) {
            (Some(dir), _) => Some((TapeMode::Record, dir.clone())),
            (_, Some(dir)) => Some((TapeMode::Replay, dir.clone())),
            _ => None,
        },
    };
    let redactor = Arc::new(Redactor::new(args.keep_personal_data));
    let json_out = args.format == Some(OutputFormat::Json);

    // One thread sends every request: keeping requests and connections on
    // one thread saves a cross-thread wake-up per exchange (judging and the
    // listeners have a thread of their own, see `exec`). The in-process
    // sandbox does the servers' TLS work too, so it gets a pool.
    let runtime = if args.sandbox {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    }
    .enable_all()
    .build();
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return 3;
        }
    };
    // `--sandbox`: serve the reference endpoints in this process, point every
    // profile at them; the sandbox stops when `_sandbox` is dropped.
    let _sandbox = if args.sandbox {
        match super::sandbox::attach(
            &runtime,
            &project.root,
            &mut plan,
            &mut opts.transport,
            started,
            match (&args.record, &args.replay) {
                (Some(dir), _) => Some(super::sandbox::SandboxTape::Record(dir)),
                (_, Some(dir)) => Some(super::sandbox::SandboxTape::Replay(dir)),
                _ => None,
            },
        ) {
            Ok(handle) => handle,
            Err(code) => return code,
        }
    } else {
        None
    };
    let plan = Arc::new(plan);
    let cannot_write = |e: std::io::Error| {
        eprintln!(
            "error: cannot write the reports to {}: {e}",
            args.out.display()
        );
        3
    };
    let mut collector = match Collector::new(
        project.clone(),
        plan.clone(),
        &args.out,
        started.date_naive(),
    ) {
        Ok(c) => c,
        Err(e) => return cannot_write(e),
    };
    let mut progress = Progress::new(json_out);
    let executed = execute(
        &runtime,
        &project,
        &plan,
        opts,
        redactor.clone(),
        &mut |event| {
            progress.on_event(&event);
            collector.on_event(event);
        },
    );
    if let Err(e) = executed {
        eprintln!("error: {e}");
        return 3;
    }
    let interrupted = collector.interrupted;
    let finished = started + chrono::Duration::from_std(clock.elapsed()).unwrap_or_default();
    let meta = RunMeta {
        started,
        finished,
        strict: args.strict,
        shard: args.shard.map(|s| s.to_string()),
        insecure: args.insecure,
        partial: selection
            .is_partial()
            .then(|| "a selection (--suite, --case, --tag or --shard) left cases out".to_string()),
    };
    let spooled = match collector.reports(&meta) {
        Ok(r) => r,
        Err(e) => return cannot_write(e),
    };
    let reports: Vec<&CountryReport> = spooled.iter().map(|r| &r.report).collect();
    let verdicts: Vec<Conformance> = reports.iter().map(|r| r.verdict).collect();
    let code = exit_code(&verdicts, interrupted, args.strict);
    let run = RunReport {
        format: RUN_FORMAT.into(),
        harness: Harness::current(),
        started_at: started.to_rfc3339(),
        finished_at: finished.to_rfc3339(),
        complete: !interrupted,
        strict: args.strict,
        shard: args.shard.map(|s| s.to_string()),
        exit_code: code,
        countries: reports.iter().map(|r| RunCountry::of(r)).collect(),
    };
    if let Err(e) = write_reports_signed(&args.out, &spooled, &run, signer.as_ref()) {
        return cannot_write(e);
    }
    let text = summary(&reports, &run);
    if json_out {
        eprint!("{text}");
        println!("{}", serde_json::to_string_pretty(&run).unwrap_or_default());
    } else {
        print!("{text}");
        println!("reports written to {}", args.out.display());
    }
    // The process ends here: freeing the project's and the reports' many
    // small allocations one by one would only delay the exit.
    drop(reports);
    std::mem::forget(spooled);
    std::mem::forget(project);
    std::mem::forget(plan);
    code
}
