//! `conform check`: load and cross-check everything, compile every schema,
//! and resolve every template variable against every country a suite applies to.

use crate::cli::{CheckArgs, OutputFormat};
use crate::diag::Diagnostics;
use crate::project::{Project, Root};

pub fn run(root: Root, args: &CheckArgs) -> i32 {
    let project = match Project::load(root) {
        Ok(p) => p,
        Err(d) => return super::bad_input(&d),
    };
    let mut diags = Diagnostics::default();
    project.schemas.compile_all(&mut diags);
    // The sandbox's data is input too: its routes must load. A project of
    // its own suites may have none (only `run --sandbox` needs it).
    let has_sandbox = match &project.root {
        Root::Dir(d) => d.join(crate::project::SANDBOX_FOLDER).exists(),
        Root::Embedded => true,
    };
    let sandbox_routes = match has_sandbox.then(|| crate::sandbox::load(&project.root)) {
        None => 0,
        Some(Ok(routes)) => routes.countries().len(),
        Some(Err(d)) => {
            diags.extend(d);
            0
        }
    };
    for profile in project.profiles.values() {
        for env in
            std::iter::once(None).chain(profile.environments.keys().map(|k| Some(k.as_str())))
        {
            let effective = match profile.effective(env, &[]) {
                Ok(e) => e,
                Err(e) => {
                    diags.push(crate::diag::Diagnostic::new(e));
                    continue;
                }
            };
            for suite in &project.suites {
                if effective.missing_capabilities(&suite.applies_to).is_empty() {
                    crate::plan::check_vars(suite, &effective, &mut diags);
                }
            }
        }
    }
    if !diags.is_empty() {
        diags.sort();
        return super::bad_input(&dedup(diags));
    }
    let cases: usize = project.suites.iter().map(|s| s.cases.len()).sum();
    if args.format == Some(OutputFormat::Json) {
        println!(
            "{}",
            serde_json::json!({
                "ok": true,
                "suites": project.suites.len(),
                "cases": cases,
                "requirements": project.requirements.by_id.len(),
                "profiles": project.profiles.len(),
                "schemas": project.schemas.paths().count(),
            })
        );
    } else {
        println!(
            "ok: {} suites ({} cases), {} requirements in {} catalogues, {} profiles, {} schemas, sandbox data for {} countries",
            project.suites.len(),
            cases,
            project.requirements.by_id.len(),
            project.catalogues.len(),
            project.profiles.len(),
            project.schemas.paths().count(),
            sandbox_routes
        );
    }
    0
}

fn dedup(d: Diagnostics) -> Diagnostics {
    let mut seen = std::collections::BTreeSet::new();
    Diagnostics(
        d.0.into_iter()
            .filter(|x| seen.insert(x.render()))
            .collect(),
    )
}
