//! Static checks across files: requirement IDs that no catalogue holds,
//! duplicate IDs, and template variables nobody defines.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::template::Expr;

use super::{Requirements, Suite};

/// Build the requirement index from the catalogues, reporting duplicates.
pub fn index(catalogues: &[super::Catalogue], diags: &mut Diagnostics) -> Requirements {
    let mut out = Requirements::default();
    for cat in catalogues {
        if let Some(prev) = out.domains.insert(cat.domain.clone(), cat.title.clone()) {
            let _ = prev;
            diags.push(Diagnostic::new(format!(
                "a second catalogue for domain `{}` in {}",
                cat.domain, cat.file
            )));
        }
        for r in &cat.requirements {
            if let Some(first) = out.by_id.get(&r.id) {
                let mut d = Diagnostic::new(format!("requirement `{}` is defined twice", r.id));
                if let Some(loc) = &r.loc {
                    d = d.at(loc);
                }
                if let Some(first_loc) = &first.loc {
                    d = d.with_help(format!("first defined at {first_loc}"));
                }
                diags.push(d);
                continue;
            }
            out.by_id.insert(r.id.clone(), r.clone());
        }
    }
    out
}

fn unknown_requirement(id: &str, loc: &crate::diag::Loc, reqs: &Requirements) -> Diagnostic {
    let mut d =
        Diagnostic::new(format!("unknown requirement `{id}`: no catalogue holds it")).at(loc);
    if let Some(s) = did_you_mean(id, reqs.by_id.keys().map(String::as_str)) {
        d = d.with_help(format!("did you mean `{s}`?"));
    }
    d
}

/// Everything that can be checked without a profile.
pub fn suites(suites: &[Suite], reqs: &Requirements, diags: &mut Diagnostics) {
    let mut suite_ids: BTreeMap<&str, &Suite> = BTreeMap::new();
    for suite in suites {
        if let Some(first) = suite_ids.insert(&suite.id, suite) {
            diags.push(
                Diagnostic::new(format!(
                    "suite `{}` is also defined in {}",
                    suite.id, first.file
                ))
                .at(&suite.loc),
            );
        }
        let covered: BTreeSet<&str> = suite
            .requirements
            .iter()
            .map(|(id, _)| id.as_str())
            .collect();
        for (id, loc) in &suite.requirements {
            if reqs.get(id).is_none() {
                diags.push(unknown_requirement(id, loc, reqs));
            }
        }
        let mut case_ids: BTreeMap<&str, &crate::diag::Loc> = BTreeMap::new();
        for case in &suite.cases {
            if let Some(first) = case_ids.insert(&case.id, &case.loc) {
                diags.push(
                    Diagnostic::new(format!(
                        "duplicate case ID `{}` in suite `{}`",
                        case.id, suite.id
                    ))
                    .at(&case.loc)
                    .with_help(format!("first used at {first}")),
                );
            }
            let case_reqs: BTreeSet<&str> = case
                .requirements
                .iter()
                .map(|(id, _)| id.as_str())
                .collect();
            for (id, loc) in &case.requirements {
                if reqs.get(id).is_none() {
                    diags.push(unknown_requirement(id, loc, reqs));
                } else if !covered.contains(id.as_str()) {
                    diags.push(
                        Diagnostic::new(format!(
                            "case names `{id}`, which the suite does not list in `requirements`"
                        ))
                        .at(loc),
                    );
                }
            }
            if case.requirements.is_empty() {
                diags.push(
                    Diagnostic::new(format!(
                        "case `{}` names no requirement it gives evidence for",
                        case.id
                    ))
                    .at(&case.loc),
                );
            }
            let mut captured: BTreeSet<&str> = BTreeSet::new();
            for step in &case.steps {
                // A repeating step sees its own captures from the round before.
                if step.repeat.is_some() {
                    captured.extend(step.captures.iter().map(|c| c.name.as_str()));
                }
                for check in &step.checks {
                    if let Some((id, loc)) = &check.requirement {
                        if reqs.get(id).is_none() {
                            diags.push(unknown_requirement(id, loc, reqs));
                        } else if !case_reqs.contains(id.as_str()) {
                            diags.push(
                                Diagnostic::new(format!("check names `{id}`, which its case does not list in `requirements`"))
                                    .at(loc),
                            );
                        }
                    }
                }
                for t in step.templates() {
                    for e in t.exprs() {
                        match e.namespace() {
                            "capture" => {
                                let name = e.path.get(1).map(String::as_str).unwrap_or("");
                                if !captured.contains(name) {
                                    let mut d = Diagnostic::new(format!(
                                        "`{}` is not captured by an earlier step of case `{}`",
                                        e.path.join("."),
                                        case.id
                                    ))
                                    .at(&step.loc);
                                    if let Some(s) = did_you_mean(name, captured.iter().copied()) {
                                        d = d.with_help(format!("did you mean `capture.{s}`?"));
                                    }
                                    diags.push(d);
                                }
                            }
                            "repeat" if step.repeat.is_none() => diags.push(
                                Diagnostic::new(format!(
                                    "`{}` is used in a step that does not `repeat`",
                                    e.path.join(".")
                                ))
                                .at(&step.loc),
                            ),
                            "item" if case.for_each.is_none() => diags.push(
                                Diagnostic::new(format!(
                                    "`{}` is used in case `{}`, which has no `for_each`",
                                    e.path.join("."),
                                    case.id
                                ))
                                .at(&step.loc),
                            ),
                            _ => {}
                        }
                    }
                }
                for c in &step.captures {
                    captured.insert(&c.name);
                }
            }
        }
    }
}

/// The `profile.` variables a suite's cases use, with where they are used.
pub fn profile_vars(suite: &Suite) -> Vec<(&Expr, &crate::diag::Loc, &str)> {
    let mut out = Vec::new();
    for case in &suite.cases {
        for step in &case.steps {
            for t in step.templates() {
                for e in t.exprs() {
                    if e.namespace() == "profile"
                        && !e
                            .filters
                            .iter()
                            .any(|f| matches!(f, crate::template::Filter::Default(_)))
                    {
                        out.push((e, &step.loc, case.id.as_str()));
                    }
                }
            }
        }
    }
    out
}
