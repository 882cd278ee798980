//! Writing report files atomically: a temporary file in the same folder,
//! then a rename, so a crash never leaves half a report and two runs into
//! one folder never interleave.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use super::model::*;
use super::sign::{Signer, sig_path};
use super::{badge, html, junit, markdown};

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Every report file of a run into `dir`: the JSON reports first (the source
/// of truth), then the formats rendered from them.
pub fn write_reports(
    dir: &Path,
    reports: &[CountryReport],
    run: &RunReport,
) -> std::io::Result<()> {
    write_reports_signed(dir, reports, run, None)
}

/// [`write_reports`], and with a `signer` a `<report>.sig` beside each JSON
/// report (`<cc>.json.sig`, `run.json.sig`): see [`super::sign`].
pub fn write_reports_signed(
    dir: &Path,
    reports: &[CountryReport],
    run: &RunReport,
    signer: Option<&Signer>,
) -> std::io::Result<()> {
    write_json_signed(dir, reports, run, signer)?;
    for r in reports {
        for format in Format::RENDERED {
            for (name, bytes) in country_files(r, format)? {
                atomic_write(&dir.join(name), &bytes)?;
            }
        }
    }
    atomic_write(
        &dir.join("summary.md"),
        markdown::run_summary(run, reports).as_bytes(),
    )
}

/// `<cc>.json` for each country and `run.json`.
pub fn write_json(dir: &Path, reports: &[CountryReport], run: &RunReport) -> std::io::Result<()> {
    write_json_signed(dir, reports, run, None)
}

fn write_json_signed(
    dir: &Path,
    reports: &[CountryReport],
    run: &RunReport,
    signer: Option<&Signer>,
) -> std::io::Result<()> {
    for r in reports {
        for (name, bytes) in country_files(r, Format::Json)? {
            write_signed(dir, &name, &bytes, signer)?;
        }
    }
    let bytes = serde_json::to_vec_pretty(run).map_err(std::io::Error::other)?;
    write_signed(dir, "run.json", &bytes, signer)
}

/// Write a JSON report and, with a signer, its signature; without one, remove
/// a signature left by an earlier run (it would not match the new bytes).
fn write_signed(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    signer: Option<&Signer>,
) -> std::io::Result<()> {
    let path = dir.join(name);
    atomic_write(&path, bytes)?;
    let sig = sig_path(&path);
    match signer {
        Some(s) => atomic_write(&sig, &s.sign(name, bytes)),
        None => match std::fs::remove_file(&sig) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        },
    }
}

/// The formats of a country report (`conform report --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Junit,
    Html,
    Markdown,
    Badges,
}

impl Format {
    /// The formats rendered from the JSON report.
    pub const RENDERED: [Format; 4] = [
        Format::Junit,
        Format::Html,
        Format::Markdown,
        Format::Badges,
    ];
}

/// The files of one format for one country: (path in the report folder, bytes).
/// A pure function of the report, so `conform report` re-renders exactly what
/// `conform run` wrote.
pub fn country_files(
    report: &CountryReport,
    format: Format,
) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    Ok(match format {
        Format::Json => vec![(
            format!("{}.json", markdown::file_stem(&report.country.code)),
            serde_json::to_vec_pretty(report).map_err(std::io::Error::other)?,
        )],
        Format::Junit => vec![(junit::file_name(report), junit::render(report).into_bytes())],
        Format::Html => vec![(
            html::file_name(report),
            html::render(report)
                .map_err(std::io::Error::other)?
                .into_bytes(),
        )],
        Format::Markdown => vec![(
            markdown::file_name(report),
            markdown::render(report).into_bytes(),
        )],
        Format::Badges => badge::render_all(report)
            .into_iter()
            .map(|(name, svg)| (name, svg.into_bytes()))
            .collect(),
    })
}
