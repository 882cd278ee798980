//! Writing report files atomically: a temporary file in the same folder,
//! then a rename, so a crash never leaves half a report and two runs into
//! one folder never interleave.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::model::*;
use super::sign::{Signer, sig_path};
use super::spool::{CASE_INDENT, CaseSource};
use super::{badge, html, junit, markdown};

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut batch = Batch::default();
    batch.add(path, |w| w.write_all(bytes))?;
    batch.commit()
}

/// Files written to temporary names, then renamed into place in the order
/// they were added: a run stopped or crashed at any point leaves each report
/// whole, old or new, never half written. The files are not forced to disk
/// (`fsync`): that guards only against the machine losing power, and costs
/// more than writing a large report. Dropping a batch that was not
/// committed removes its temporary files.
#[derive(Default)]
pub struct Batch {
    /// (temporary file, final path), in the order added.
    files: Vec<(PathBuf, PathBuf)>,
}

impl Batch {
    /// Write `path`'s future content to a temporary file beside it, through
    /// a buffer, so that a large report is streamed rather than held.
    pub fn add(
        &mut self,
        path: &Path,
        fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
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
        // Registered first, so that a failure below still removes it.
        self.files.push((tmp.clone(), path.to_path_buf()));
        let mut w = std::io::BufWriter::with_capacity(64 * 1024, std::fs::File::create(&tmp)?);
        fill(&mut w)?;
        // Closed before renaming (some systems refuse to rename an open file).
        drop(w.into_inner().map_err(|e| e.into_error())?);
        Ok(())
    }

    /// `other`'s files, to be renamed after this batch's own.
    pub fn append(&mut self, mut other: Batch) {
        self.files.append(&mut other.files);
    }

    /// Rename every file into place, in order.
    pub fn commit(mut self) -> std::io::Result<()> {
        let files = std::mem::take(&mut self.files);
        let mut result = Ok(());
        for (tmp, path) in &files {
            if result.is_ok() {
                result = replace(tmp, path);
            }
            if result.is_err() {
                let _ = std::fs::remove_file(tmp);
            }
        }
        result
    }
}

/// Put the file `tmp` in `path`'s place, atomically: a reader finds the old
/// file or the new one. On Linux an existing report is swapped with the new
/// one and then removed, rather than renamed over: ext4 writes out at once a
/// file that is renamed over another, which for a large report took three
/// times as long as the swap and the removal together.
fn replace(tmp: &Path, path: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        // A file system without the swap says so; the plain rename follows.
        if renameat_with(CWD, tmp, CWD, path, RenameFlags::EXCHANGE).is_ok() {
            // `tmp` now holds the old report.
            return std::fs::remove_file(tmp);
        }
    }
    std::fs::rename(tmp, path)
}

impl Drop for Batch {
    fn drop(&mut self) {
        for (tmp, _) in self.files.drain(..) {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Every report file of a run into `dir`: the JSON reports first (the source
/// of truth), then the formats rendered from them.
pub fn write_reports<R: CaseSource + Sync>(
    dir: &Path,
    reports: &[R],
    run: &RunReport,
) -> std::io::Result<()> {
    write_reports_signed(dir, reports, run, None)
}

/// [`write_reports`], and with a `signer` a `<report>.sig` beside each JSON
/// report (`<cc>.json.sig`, `run.json.sig`): see [`super::sign`].
pub fn write_reports_signed<R: CaseSource + Sync>(
    dir: &Path,
    reports: &[R],
    run: &RunReport,
    signer: Option<&Signer>,
) -> std::io::Result<()> {
    // The JSON reports and the formats rendered from the same reports are
    // written side by side; they are renamed into place JSON first.
    let (json, rendered) = std::thread::scope(|s| {
        let rendered = s.spawn(|| {
            let mut batch = Batch::default();
            for r in reports {
                for format in Format::RENDERED {
                    add_country_files(&mut batch, dir, r, format)?;
                }
            }
            let views: Vec<&CountryReport> = reports.iter().map(CaseSource::report).collect();
            batch.add(&dir.join("summary.md"), |w| {
                w.write_all(markdown::run_summary(run, &views).as_bytes())
            })?;
            Ok(batch)
        });
        let mut json = Batch::default();
        let written = add_json_signed(&mut json, dir, reports, run, signer).map(|()| json);
        let rendered = rendered
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("rendering the reports failed")));
        (written, rendered)
    });
    let mut batch = json?;
    batch.append(rendered?);
    batch.commit()
}

/// The JSON reports, streamed to their files (a report of ten thousand
/// cases is never held as one string), each with its signature or without
/// a stale one.
fn add_json_signed<R: CaseSource>(
    batch: &mut Batch,
    dir: &Path,
    reports: &[R],
    run: &RunReport,
    signer: Option<&Signer>,
) -> std::io::Result<()> {
    for r in reports {
        let name = format!("{}.json", markdown::file_stem(&r.report().country.code));
        add_signed(batch, dir, &name, signer, |w| write_country_json(w, r))?;
    }
    add_signed(batch, dir, "run.json", signer, |w| {
        serde_json::to_writer_pretty(w, run).map_err(std::io::Error::other)
    })
}

/// Where a suite's `cases` sit in the pretty JSON of a report without
/// cases: suites are elements of the top-level `suites` list, so their
/// fields are indented by six spaces.
const EMPTY_CASES: &str = "\n      \"cases\": []";

/// A country's JSON report, byte for byte what `serde_json` writes for the
/// whole report, with the cases streamed from `source` one at a time.
pub fn write_country_json(w: &mut dyn Write, source: &dyn CaseSource) -> std::io::Result<()> {
    let head = serde_json::to_string_pretty(&source.report().without_cases())
        .map_err(std::io::Error::other)?;
    // Every suite's empty `cases` comes after the start of `suites`, one per suite, in order.
    let mut from = 0;
    let mut search = head.find("\n  \"suites\": [").unwrap_or(head.len());
    for suite in 0..source.report().suites.len() {
        let Some(found) = head[search..].find(EMPTY_CASES) else {
            break;
        };
        let open = search + found + EMPTY_CASES.len() - 2;
        w.write_all(&head.as_bytes()[from..open])?;
        let mut first = true;
        source.json_cases(suite, &mut |case| {
            w.write_all(if first { b"[\n" } else { b",\n" })?;
            first = false;
            w.write_all(CASE_INDENT)?;
            w.write_all(case)
        })?;
        w.write_all(if first { b"[]" } else { b"\n      ]" })?;
        from = open + 2;
        search = from;
    }
    w.write_all(&head.as_bytes()[from..])
}

/// Add a JSON report and, with a signer, its signature (over the bytes as
/// written, read back in pieces from the temporary file); without one, remove a
/// signature left by an earlier run (it would not match the new bytes).
fn add_signed(
    batch: &mut Batch,
    dir: &Path,
    name: &str,
    signer: Option<&Signer>,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let path = dir.join(name);
    batch.add(&path, fill)?;
    let sig = sig_path(&path);
    match signer {
        Some(s) => {
            let written = batch.files.last().map(|(tmp, _)| tmp.clone());
            let signature = written.map_or_else(
                || Err(std::io::Error::other(format!("{name} was not written"))),
                |tmp| s.sign_file(name, &tmp),
            )?;
            batch.add(&sig, |w| w.write_all(&signature))
        }
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

/// Add the files of one rendered format for one country to a batch; JUnit,
/// which holds every case, is streamed.
fn add_country_files(
    batch: &mut Batch,
    dir: &Path,
    source: &dyn CaseSource,
    format: Format,
) -> std::io::Result<()> {
    if format == Format::Junit {
        return batch.add(&dir.join(junit::file_name(source.report())), |w| {
            junit::write(w, source)
        });
    }
    for (name, bytes) in country_files(source, format)? {
        batch.add(&dir.join(name), |w| w.write_all(&bytes))?;
    }
    Ok(())
}

/// The files of one format for one country: (path in the report folder, bytes).
/// A pure function of the report, so `conform report` re-renders exactly what
/// `conform run` wrote.
pub fn country_files(
    source: &dyn CaseSource,
    format: Format,
) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let report = source.report();
    Ok(match format {
        Format::Json => {
            let mut bytes = Vec::new();
            write_country_json(&mut bytes, source)?;
            vec![(
                format!("{}.json", markdown::file_stem(&report.country.code)),
                bytes,
            )]
        }
        Format::Junit => {
            let mut bytes = Vec::new();
            junit::write(&mut bytes, source)?;
            vec![(junit::file_name(report), bytes)]
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::markdown::tests::sample;

    /// The JSON report written around streamed cases is byte for byte what
    /// serde writes for the whole report: `conform report`, `merge` and a
    /// run agree, whatever holds the cases.
    /// A report written over an older one replaces it whole and leaves no
    /// temporary file; a folder in a report's place is refused, untouched.
    #[test]
    fn a_report_replaces_the_old_one_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("xx.json");
        atomic_write(&path, b"old").unwrap();
        atomic_write(&path, b"new report").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new report");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["xx.json"]);

        let folder = dir.path().join("yy.json");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("keep"), b"k").unwrap();
        assert!(atomic_write(&folder, b"report").is_err());
        assert_eq!(std::fs::read(folder.join("keep")).unwrap(), b"k");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn the_streamed_json_report_is_serdes_bytes() {
        let mut report = sample();
        let mut empty = report.suites[0].clone();
        empty.id = "empty".into();
        empty.cases.clear();
        report.suites.insert(0, empty.clone());
        report.suites.push(empty);
        // A value nested deeper than the indentation written in one piece.
        let mut deep = serde_json::json!({"leaf": [1, "two", null]});
        for level in 0..40 {
            deep = serde_json::json!({ format!("level-{level}"): [deep, level] });
        }
        let check = report.suites[1].cases[0].steps[0]
            .checks
            .first_mut()
            .unwrap();
        check.actual = Some(deep);
        let mut streamed = Vec::new();
        write_country_json(&mut streamed, &report).unwrap();
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            serde_json::to_string_pretty(&report).unwrap()
        );
    }
}
