//! `conform list`: suites, cases, or requirements with the cases that test them.

use std::collections::BTreeMap;

use serde_json::json;

use crate::cli::{ListArgs, OutputFormat};
use crate::project::{Project, Root};

pub fn run(root: Root, args: &ListArgs) -> i32 {
    let project = match Project::load(root) {
        Ok(p) => p,
        Err(d) => return super::bad_input(&d),
    };
    let as_json = args.format == Some(OutputFormat::Json);
    if args.requirements || args.untested {
        let mut tested: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for s in &project.suites {
            for c in &s.cases {
                for (r, _) in &c.requirements {
                    tested
                        .entry(r.as_str())
                        .or_default()
                        .push(format!("{}/{}", s.id, c.id));
                }
            }
        }
        let rows: Vec<_> = project
            .requirements
            .by_id
            .values()
            .filter(|r| !args.untested || !tested.contains_key(r.id.as_str()))
            .map(|r| (r, tested.get(r.id.as_str()).cloned().unwrap_or_default()))
            .collect();
        if as_json {
            let v: Vec<_> = rows
                .iter()
                .map(|(r, cases)| json!({"id": r.id, "domain": r.domain, "level": r.level.as_str(), "statement": r.statement, "cases": cases}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        } else {
            for (r, cases) in &rows {
                let shown = if cases.is_empty() {
                    "(untested)".to_string()
                } else {
                    cases.join(", ")
                };
                println!(
                    "{:<24} {:<6} {:<18} {}",
                    r.id,
                    r.level.as_str(),
                    r.domain,
                    shown
                );
            }
            println!("{} requirement(s)", rows.len());
        }
        return 0;
    }
    if args.cases {
        let rows: Vec<_> = project
            .suites
            .iter()
            .flat_map(|s| s.cases.iter().map(move |c| (s, c)))
            .collect();
        if as_json {
            let v: Vec<_> = rows
                .iter()
                .map(|(s, c)| json!({"suite": s.id, "case": c.id, "title": c.title, "tags": c.tags, "requirements": c.requirements.iter().map(|r| &r.0).collect::<Vec<_>>(), "location": c.loc.to_string()}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        } else {
            for (s, c) in &rows {
                println!("{:<48} {}", format!("{}/{}", s.id, c.id), c.title);
            }
        }
        return 0;
    }
    if as_json {
        let v: Vec<_> = project
            .suites
            .iter()
            .map(|s| json!({"suite": s.id, "domain": s.domain, "title": s.title, "applies_to": s.applies_to, "cases": s.cases.len(), "file": s.file}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        for s in &project.suites {
            println!(
                "{:<28} {:<18} {:>3} cases  {}",
                s.id,
                s.domain,
                s.cases.len(),
                s.title
            );
        }
    }
    0
}
