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

use super::markdown::has_findings;
use super::model::*;

/// A report's cases, as the writers read them.
pub trait CaseSource {
    /// The report; a run's holds only the cases with findings in its suites.
    fn report(&self) -> &CountryReport;
    /// Suite `suite`'s cases as its JUnit testcases read them, in order.
    fn junit_cases(&self, suite: usize) -> Vec<&CaseRecord>;
    /// Each of suite `suite`'s cases as its JSON stands in the report
    /// ([`write_case`]), in order.
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
            write_case(&mut buf, case)?;
            each(&buf)?;
        }
        Ok(())
    }
}

/// A case inside a report's `cases` list is indented by eight spaces.
pub const CASE_INDENT: &[u8] = b"        ";

/// A case's pretty JSON as it stands inside a report: what `serde_json`
/// writes for it there, every line after the first indented by
/// [`CASE_INDENT`], so that the report is written by copying it.
pub fn write_case(w: &mut impl Write, case: &CaseRecord) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(w, Indented::default());
    serde::Serialize::serialize(case, &mut ser).map_err(io::Error::other)
}

/// `serde_json`'s pretty layout (two spaces a level), starting at
/// [`CASE_INDENT`] rather than at the margin.
#[derive(Default)]
struct Indented {
    depth: usize,
    has_value: bool,
}

/// A line break and the indentation of the first levels, written as one
/// piece: serde_json asks for a new line before every key and item.
const NEWLINE_INDENTS: &[u8] =
    b"\n                                                                        ";

impl Indented {
    fn newline(&self, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
        let width = CASE_INDENT.len() + 2 * self.depth;
        match NEWLINE_INDENTS.get(..1 + width) {
            Some(line) => w.write_all(line),
            None => {
                w.write_all(NEWLINE_INDENTS)?;
                (NEWLINE_INDENTS.len() - 1..width).try_for_each(|_| w.write_all(b" "))
            }
        }
    }

    fn open(&mut self, w: &mut (impl Write + ?Sized), bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close(&mut self, w: &mut (impl Write + ?Sized), bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(bracket)
    }

    fn item(&self, w: &mut (impl Write + ?Sized), first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }
}

impl serde_json::ser::Formatter for Indented {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
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
    /// One case's JSON, serialised here first: serde_json writes many small
    /// pieces, and a `Vec` takes them fastest.
    case: Vec<u8>,
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
            case: Vec::new(),
        })
    }

    /// Append a case's JSON as it stands in the report ([`write_case`]).
    pub fn push(&mut self, case: &CaseRecord) -> io::Result<Span> {
        self.case.clear();
        write_case(&mut self.case, case)?;
        self.out.write_all(&self.case)?;
        let span = Span {
            offset: self.len,
            len: self.case.len(),
        };
        self.len += span.len as u64;
        Ok(span)
    }

    /// Spool `case` and keep what the rendered formats read of it.
    pub fn keep(&mut self, case: CaseRecord) -> io::Result<Spooled> {
        let json = self.push(&case)?;
        let (kept, findings) = rendered(case);
        Ok(Spooled {
            json,
            kept,
            findings,
        })
    }

    /// Done writing: the spool to read back from.
    pub fn finish(self) -> io::Result<SpoolReader> {
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        Ok(SpoolReader { file })
    }
}

pub struct SpoolReader {
    file: File,
}

/// Bytes read from the spool at a time: cases finish, and are read back,
/// mostly in order, so one read serves many.
const READ_AHEAD: usize = 256 * 1024;

impl SpoolReader {
    /// A window on the spool for reading spans, mostly in ascending order.
    pub fn window(&self) -> Window<'_> {
        Window {
            file: &self.file,
            buf: Vec::new(),
            at: 0,
        }
    }
}

/// A stretch of the spool in memory, moved on as spans outside it are read.
pub struct Window<'a> {
    file: &'a File,
    buf: Vec<u8>,
    /// The spool offset of `buf[0]`.
    at: u64,
}

impl Window<'_> {
    pub fn read(&mut self, span: Span) -> io::Result<&[u8]> {
        let inside = span.offset >= self.at
            && span.offset + span.len as u64 <= self.at + self.buf.len() as u64;
        if !inside {
            self.buf.resize(span.len.max(READ_AHEAD), 0);
            let mut filled = 0;
            while filled < span.len {
                match self
                    .file
                    .read_at(&mut self.buf[filled..], span.offset + filled as u64)
                {
                    Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            self.buf.truncate(filled);
            self.at = span.offset;
        }
        let from = (span.offset - self.at) as usize;
        Ok(&self.buf[from..from + span.len])
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
        let mut window = self.spool.window();
        for span in &self.json[suite] {
            each(window.read(*span)?)?;
        }
        Ok(())
    }
}

/// A case in the spool, as a spooled report keeps it.
pub struct Spooled {
    pub json: Span,
    /// The whole case when it has findings, else what JUnit shows of it.
    pub kept: CaseRecord,
    pub findings: bool,
}

/// A suite's spooled cases, in order, as a [`SpooledReport`] holds them:
/// (the cases with findings, each case's JSON, each case as JUnit reads it).
pub fn suite_parts(
    cases: impl IntoIterator<Item = Spooled>,
) -> (Vec<CaseRecord>, Vec<Span>, Vec<JunitCase>) {
    let (mut with_findings, mut spans, mut lines) = (Vec::new(), Vec::new(), Vec::new());
    for case in cases {
        spans.push(case.json);
        if case.findings {
            lines.push(JunitCase::Finding(with_findings.len()));
            with_findings.push(case.kept);
        } else {
            lines.push(JunitCase::Line(case.kept));
        }
    }
    (with_findings, spans, lines)
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

/// What the rendered formats read of `case`: all of it when it has
/// findings, else its [`junit_line`]; and whether it has findings.
pub fn rendered(case: CaseRecord) -> (CaseRecord, bool) {
    if has_findings(&case) {
        (case, true)
    } else {
        (junit_line(&case), false)
    }
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
