//! Writing report files atomically: a temporary file in the same folder,
//! then a rename, so a crash never leaves half a report and two runs into
//! one folder never interleave.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use super::model::*;

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
pub fn write_reports(dir: &Path, reports: &[CountryReport], run: &RunReport) -> std::io::Result<()> {
    write_json(dir, reports, run)
}

/// `<cc>.json` for each country and `run.json`.
pub fn write_json(dir: &Path, reports: &[CountryReport], run: &RunReport) -> std::io::Result<()> {
    for r in reports {
        let bytes = serde_json::to_vec_pretty(r).map_err(std::io::Error::other)?;
        atomic_write(
            &dir.join(format!("{}.json", r.country.code.to_ascii_lowercase())),
            &bytes,
        )?;
    }
    let bytes = serde_json::to_vec_pretty(run).map_err(std::io::Error::other)?;
    atomic_write(&dir.join("run.json"), &bytes)
}
