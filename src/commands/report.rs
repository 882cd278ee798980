//! `conform report FILE.json… [--format F,…] [--out DIR]`: render JSON
//! reports again, exactly as `conform run` wrote them; never re-runs.
//!
//! A country report (`<cc>.json`) gives its JUnit, HTML, Markdown and badge
//! files; a run (`run.json`) gives `summary.md` and the files of each of its
//! countries, read from beside it. With `--out` the files are written under
//! their usual names; without it the one document rendered goes to stdout.

use std::io::Write;
use std::path::Path;

use super::{bad_input, bad_input_message as bad};
use crate::cli::{ReportArgs, ReportFormat};
use crate::diag::{Diagnostic, Diagnostics};
use crate::report::markdown::run_summary;
use crate::report::model::*;
use crate::report::read::{Cases, open};
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

/// `path` as a country report or a run, with the cases `cases` keeps.
fn read(path: &Path, cases: Cases) -> Result<Document, Diagnostic> {
    let opened = open(path)?;
    match opened.format.as_deref() {
        Some(REPORT_FORMAT) => Ok(Document::Country(Box::new(opened.country(cases)?))),
        Some(RUN_FORMAT) => Ok(Document::Run(opened.run()?)),
        Some(other) => Err(Diagnostic::new(format!(
            "{}: format `{other}` is neither a country report ({REPORT_FORMAT}) nor a run ({RUN_FORMAT})",
            path.display()
        ))),
        None => Err(Diagnostic::new(format!(
            "{} is not a conform report: it has no `format`",
            path.display()
        ))),
    }
}

/// Every file to write, as (name in the report folder, bytes).
fn render(
    files: &[std::path::PathBuf],
    formats: &[Format],
) -> Result<Vec<(String, Vec<u8>)>, Diagnostic> {
    // Only the JSON is written from every case; the other formats read
    // what a run holds, so a large report is read in little memory.
    let cases = if formats.contains(&Format::Json) {
        Cases::Whole
    } else {
        Cases::Rendered
    };
    let mut out = Vec::new();
    let country = |r: &CountryReport, out: &mut Vec<(String, Vec<u8>)>| -> Result<(), Diagnostic> {
        for f in formats {
            out.extend(country_files(r, *f).map_err(|e| Diagnostic::new(e.to_string()))?);
        }
        Ok(())
    };
    for file in files {
        match read(file, cases)? {
            Document::Country(r) => country(&r, &mut out)?,
            Document::Run(run) => {
                let dir = file.parent().unwrap_or(Path::new("."));
                let mut reports = Vec::new();
                for c in &run.countries {
                    // Only a file beside run.json, whatever the run names.
                    let name = Path::new(&c.report).file_name().unwrap_or_default();
                    match read(&dir.join(name), cases)? {
                        Document::Country(r) => reports.push(*r),
                        Document::Run(_) => {
                            return Err(Diagnostic::new(format!(
                                "{}: `{}` is a run, not a country report",
                                file.display(),
                                c.report
                            )));
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
        Err(d) => return bad_input(&Diagnostics(vec![d])),
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
