//! `conform report FILE.json… [--format F,…] [--out DIR]`: render JSON
//! reports again, exactly as `conform run` wrote them; never re-runs.
//!
//! A country report (`<cc>.json`) gives its JUnit, HTML, Markdown and badge
//! files; a run (`run.json`) gives `summary.md` and the files of each of its
//! countries, read from beside it. With `--out` the files are written under
//! their usual names; without it the one document rendered goes to stdout.

use std::io::Write;
use std::path::Path;

use super::bad_input_message as bad;
use crate::cli::{ReportArgs, ReportFormat};
use crate::report::markdown::run_summary;
use crate::report::model::*;
use crate::report::write::{Format, atomic_write, country_files};

fn format_of(f: ReportFormat) -> Format {
    match f {
        ReportFormat::Junit => Format::Junit,
        ReportFormat::Html => Format::Html,
        ReportFormat::Markdown => Format::Markdown,
        ReportFormat::Badges => Format::Badges,
        ReportFormat::Json => Format::Json,
    }
}

/// A document read from a file: a country report or a run.
enum Document {
    Country(Box<CountryReport>),
    Run(RunReport),
}

fn read(path: &Path) -> Result<Document, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("{shown} is not JSON: {e}"))?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(REPORT_FORMAT) => serde_json::from_value(value)
            .map(|r| Document::Country(Box::new(r)))
            .map_err(|e| format!("{shown} is not a valid {REPORT_FORMAT} report: {e}")),
        Some(RUN_FORMAT) => serde_json::from_value(value)
            .map(Document::Run)
            .map_err(|e| format!("{shown} is not a valid {RUN_FORMAT} report: {e}")),
        Some(other) => Err(format!(
            "{shown}: format `{other}` is neither a country report ({REPORT_FORMAT}) nor a run ({RUN_FORMAT})"
        )),
        None => Err(format!(
            "{shown} is not a conform report: it has no `format`"
        )),
    }
}

/// Every file to write, as (name in the report folder, bytes).
fn render(
    files: &[std::path::PathBuf],
    formats: &[Format],
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    let country = |r: &CountryReport, out: &mut Vec<(String, Vec<u8>)>| -> Result<(), String> {
        for f in formats {
            out.extend(country_files(r, *f).map_err(|e| e.to_string())?);
        }
        Ok(())
    };
    for file in files {
        match read(file)? {
            Document::Country(r) => country(&r, &mut out)?,
            Document::Run(run) => {
                let dir = file.parent().unwrap_or(Path::new("."));
                let mut reports = Vec::new();
                for c in &run.countries {
                    // Only a file beside run.json, whatever the run names.
                    let name = Path::new(&c.report).file_name().unwrap_or_default();
                    match read(&dir.join(name))? {
                        Document::Country(r) => reports.push(*r),
                        Document::Run(_) => {
                            return Err(format!(
                                "{}: `{}` is a run, not a country report",
                                file.display(),
                                c.report
                            ));
                        }
                    }
                }
                for r in &reports {
                    country(r, &mut out)?;
                }
                if formats.contains(&Format::Markdown) {
                    out.push((
                        "summary.md".into(),
                        run_summary(&run, &reports.iter().collect::<Vec<_>>()).into_bytes(),
                    ));
                }
            }
        }
    }
    Ok(out)
}

pub fn run(args: &ReportArgs) -> i32 {
    let formats: Vec<Format> = if args.formats.is_empty() {
        Format::RENDERED.to_vec()
    } else {
        args.formats.iter().copied().map(format_of).collect()
    };
    let files = match render(&args.files, &formats) {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    match &args.out {
        Some(dir) => {
            for (name, bytes) in &files {
                if let Err(e) = atomic_write(&dir.join(name), bytes) {
                    eprintln!("error: cannot write {}: {e}", dir.join(name).display());
                    return 3;
                }
            }
            println!("{} file(s) written to {}", files.len(), dir.display());
            0
        }
        None => match files.as_slice() {
            [(_, bytes)] => {
                let mut stdout = std::io::stdout().lock();
                if stdout
                    .write_all(bytes)
                    .and_then(|_| stdout.flush())
                    .is_err()
                {
                    return 3;
                }
                0
            }
            _ => bad(format!(
                "{} files to write ({}): give --out DIR, or one file and one format for stdout",
                files.len(),
                files
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        },
    }
}
