//! Where a report's cases come from when it is written: held whole (a report
//! read back from JSON, or merged), or spooled by a run to a file as they
//! finish, so that a run of ten thousand cases never holds them all.
//!
//! A run keeps in memory only what the roll-up and the rendered formats
//! read: the cases with findings (HTML, Markdown and the summary show
//! nothing else), and of every other case the few fields its JUnit
//! testcase shows. Each case's JSON is written to the spool the moment it
//! finishes and copied into the report at the end.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::model::*;

/// A report's cases, as the writers read them.
pub trait CaseSource {
    /// The report; a run's holds only the cases with findings in its suites.
    fn report(&self) -> &CountryReport;
    /// Suite `suite`'s cases as its JUnit testcases read them, in order.
    fn junit_cases(&self, suite: usize) -> Vec<&CaseRecord>;
    /// Each of suite `suite`'s cases as pretty JSON at depth zero, in order.
    fn json_cases(
        &self,
        suite: usize,
        each: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()>;
}

impl CaseSource for CountryReport {
    fn report(&self) -> &CountryReport {
        self
    }
    fn junit_cases(&self, suite: usize) -> Vec<&CaseRecord> {
        self.suites[suite].cases.iter().collect()
    }
    fn json_cases(
        &self,
        suite: usize,
        each: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut buf = Vec::new();
        for case in &self.suites[suite].cases {
            buf.clear();
            serde_json::to_writer_pretty(&mut buf, case).map_err(io::Error::other)?;
            each(&buf)?;
        }
        Ok(())
    }
}

/// Where one case's JSON sits in the spool.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    offset: u64,
    len: usize,
}

/// An append-only file of case JSON. It is unlinked as soon as it is
/// created, so nothing is left behind however the run ends.
pub struct Spool {
    out: BufWriter<File>,
    len: u64,
}

impl Spool {
    /// A spool in `dir` (the report folder: the reports land on the same disk).
    pub fn new(dir: &Path) -> io::Result<Spool> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!(".conform-cases.{}.tmp", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        std::fs::remove_file(&path)?;
        Ok(Spool {
            out: BufWriter::with_capacity(64 * 1024, file),
            len: 0,
        })
    }

    /// Append a case's pretty JSON.
    pub fn push(&mut self, case: &CaseRecord) -> io::Result<Span> {
        let offset = self.len;
        let mut counted = Counted {
            inner: &mut self.out,
            n: 0,
        };
        serde_json::to_writer_pretty(&mut counted, case).map_err(io::Error::other)?;
        let len = counted.n;
        self.len += len as u64;
        Ok(Span { offset, len })
    }

    /// Done writing: the spool to read back from.
    pub fn finish(self) -> io::Result<SpoolReader> {
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        Ok(SpoolReader { file })
    }
}

/// A writer that counts what passes through.
struct Counted<'a, W: Write> {
    inner: &'a mut W,
    n: usize,
}

impl<W: Write> Write for Counted<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

pub struct SpoolReader {
    file: File,
}

impl SpoolReader {
    pub fn read(&self, span: Span, buf: &mut Vec<u8>) -> io::Result<()> {
        buf.resize(span.len, 0);
        self.file.read_exact_at(buf, span.offset)
    }
}

/// A country's report as a run wrote it: the report with its cases that
/// have findings, every case's JSON in the spool, and what JUnit reads.
pub struct SpooledReport {
    pub report: CountryReport,
    /// Per suite: each case's JSON, in order.
    pub json: Vec<Vec<Span>>,
    /// Per suite: each case as JUnit reads it, in order.
    pub junit: Vec<Vec<JunitCase>>,
    pub spool: std::sync::Arc<SpoolReader>,
}

impl CaseSource for SpooledReport {
    fn report(&self) -> &CountryReport {
        &self.report
    }
    fn junit_cases(&self, suite: usize) -> Vec<&CaseRecord> {
        self.junit[suite]
            .iter()
            .map(|c| match c {
                JunitCase::Line(case) => case,
                JunitCase::Finding(i) => &self.report.suites[suite].cases[*i],
            })
            .collect()
    }
    fn json_cases(
        &self,
        suite: usize,
        each: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut buf = Vec::new();
        for span in &self.json[suite] {
            self.spool.read(*span, &mut buf)?;
            each(&buf)?;
        }
        Ok(())
    }
}

/// A case as a spooled report's JUnit reads it.
// Nearly every case is a line; boxing them would add an allocation each.
#[allow(clippy::large_enum_variant)]
pub enum JunitCase {
    /// A case without findings: [`junit_line`].
    Line(CaseRecord),
    /// A case with findings: its place among its suite's cases in the report.
    Finding(usize),
}

/// What a JUnit testcase shows of a case without findings: its name,
/// requirements, verdict, reason, place and time (no steps: with no
/// findings, the testcase reads nothing of them).
pub fn junit_line(case: &CaseRecord) -> CaseRecord {
    CaseRecord {
        id: case.id.clone(),
        title: String::new(),
        tags: Vec::new(),
        requirements: case.requirements.clone(),
        verdict: case.verdict,
        reason: case.reason.clone(),
        item: None,
        location: case.location.clone(),
        duration_ms: case.duration_ms,
        steps: Vec::new(),
    }
}
