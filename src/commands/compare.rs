//! `conform compare INPUT… --out DIR [--baseline DIR] [--fail-on-regression]
//! [--keys DIR]`: the requirement × country matrix and per-domain scores from
//! JSON reports, written as `compare.json`, `compare.md` and `compare.html`.
//! Exit 0; 1 with `--fail-on-regression` when a requirement regressed since
//! the baseline; 2 when an input cannot be read or is not a report.

use super::{bad_input, bad_input_message as bad};
use crate::cli::CompareArgs;
use crate::diag::Diagnostics;
use crate::report::compare::{compare, load, render_all};
use crate::report::write::atomic_write;

pub fn run(args: &CompareArgs) -> i32 {
    let reports = match load(&args.inputs) {
        Ok(r) => r,
        Err(d) => return bad_input(&Diagnostics(vec![d])),
    };
    let baseline = match &args.baseline {
        Some(b) => match load(std::slice::from_ref(b)) {
            Ok(r) => Some(r),
            Err(d) => return bad_input(&Diagnostics(vec![d.with_help("in --baseline")])),
        },
        None => None,
    };
    if let Some(keys) = &args.keys
        && !keys.is_dir()
    {
        return bad(format!("--keys {}: not a folder", keys.display()));
    }
    let comparison = compare(&reports, baseline.as_deref(), args.keys.as_deref());
    let files = match render_all(&comparison) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot render the comparison: {e}");
            return 3;
        }
    };
    for (name, bytes) in &files {
        let path = args.out.join(name);
        if let Err(e) = atomic_write(&path, bytes) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return 3;
        }
    }
    for k in &comparison.countries {
        let mut line = format!(
            "{:<3} {:<40} score {:>4}",
            k.code,
            k.summary,
            match k.score {
                Some(s) => format!("{s}%"),
                None => "n/a".into(),
            }
        );
        if let Some(s) = &k.signature {
            line.push_str(&format!("  signature: {}", s.status));
        }
        if !k.comparable {
            line.push_str(&format!(
                "  NOT COMPARABLE: {}",
                k.not_comparable.join("; ")
            ));
        }
        println!("{line}");
    }
    for k in comparison.countries.iter() {
        if let Some(s) = &k.signature
            && s.status != "valid"
        {
            eprintln!("warning: {}: {}", k.code, s.detail);
        }
    }
    let mut code = 0;
    if let Some(b) = &comparison.baseline {
        println!(
            "since the baseline: {} regression(s), {} fix(es), {} other change(s), {} new and {} retired requirement(s)",
            b.regressions.len(),
            b.fixes.len(),
            b.changed.len(),
            b.new_requirements.len(),
            b.retired_requirements.len()
        );
        for r in &b.regressions {
            println!(
                "  regression: {} {} ({}): {} -> {}",
                r.country,
                r.requirement,
                r.level,
                r.before.as_str(),
                r.after.as_str()
            );
        }
        if args.fail_on_regression && !b.regressions.is_empty() {
            code = 1;
        }
    }
    println!("comparison written to {}", args.out.display());
    code
}
