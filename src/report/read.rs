//! Reading conform's JSON documents back: `conform report`, `compare` and
//! `merge` all open a file here, tell a country report from a run by its
//! `format`, and read what they need of it.
//!
//! A country report of ten thousand cases is some 45 MB of JSON, and a
//! case read whole takes several times its text in memory. Most readers
//! need few of the cases: [`Cases`] says which to keep, and a case not
//! kept is dropped as soon as it is read: reading a report holds its bytes
//! and what is kept of them. (Parsing from a stream rather than the bytes
//! would hold less, but took two and a half times as long.)

use std::cell::{Cell, RefCell};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{
    DeserializeOwned, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use sha2::{Digest, Sha256};

use super::model::*;
use super::spool::{Spool, Spooled, rendered};
use crate::diag::{Diagnostic, Loc};

/// Which of a country report's cases to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cases {
    /// Every case, whole: to write the JSON report again.
    Whole,
    /// What the rendered formats read, as a run holds it: the cases with
    /// findings whole, each other case as its JUnit testcase shows it
    /// ([`super::spool::junit_line`]).
    Rendered,
    /// None: the roll-up (requirements, domains, counts) is all.
    Skipped,
    /// Each case written whole to a spool as it is read, and kept as
    /// `Rendered` keeps it: [`Opened::country_spooled`].
    Spooled,
}

thread_local! {
    /// The [`Cases`] of the report being read on this thread. serde's
    /// derived code offers no way to hand a setting down to a nested field;
    /// the default keeps every other reader of the model as it was.
    static KEEP: Cell<Cases> = const { Cell::new(Cases::Whole) };
    /// Where [`Cases::Spooled`] puts the cases of the report being read.
    static SPOOLING: RefCell<Option<Spooling>> = const { RefCell::new(None) };
}

struct Spooling {
    spool: Spool,
    /// Per suite read so far, its cases.
    suites: Vec<Vec<Spooled>>,
    /// The first failure to write the spool.
    failed: Option<std::io::Error>,
}

/// A country report read with its cases spooled: the report with every
/// suite's `cases` empty, and per suite its cases as spooled.
pub struct SpooledCountry {
    pub report: CountryReport,
    pub cases: Vec<Vec<Spooled>>,
}

/// A file read and found to be JSON, with its `format` (`None` when it has
/// none, or is not an object).
pub struct Opened {
    pub path: PathBuf,
    pub format: Option<String>,
    /// SHA-256 of the file's bytes: the same report read twice counts once.
    pub sha256: [u8; 32],
    bytes: Vec<u8>,
}

/// A document's `format`: the string at its top level, if it is an object
/// that has one. Every other value is skipped unread.
struct Head(Option<String>);

impl<'de> Deserialize<'de> for Head {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Head, D::Error> {
        struct Top;
        impl<'de> Visitor<'de> for Top {
            type Value = Head;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Head, A::Error> {
                let mut format = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "format" {
                        let value: serde_json::Value = map.next_value()?;
                        format = value.as_str().map(str::to_string);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Head(format))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Head, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Head(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Head, E> {
                Ok(Head(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Head, E> {
                Ok(Head(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Head, E> {
                Ok(Head(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Head, E> {
                Ok(Head(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Head, E> {
                Ok(Head(None))
            }
            fn visit_unit<E>(self) -> Result<Head, E> {
                Ok(Head(None))
            }
        }
        d.deserialize_any(Top)
    }
}

/// Read `path` and find its `format`; an unreadable file, or one that is
/// not JSON, is an error at its `file:line:col`.
pub fn open(path: &Path) -> Result<Opened, Diagnostic> {
    let bytes = std::fs::read(path)
        .map_err(|e| Diagnostic::new(format!("cannot read {}: {e}", path.display())))?;
    let format = serde_json::from_slice::<Head>(&bytes)
        .map_err(|e| json_error(path, "not JSON", &e))?
        .0;
    Ok(Opened {
        path: path.to_path_buf(),
        format,
        sha256: Sha256::digest(&bytes).into(),
        bytes,
    })
}

impl Opened {
    /// The file as a country report, keeping `cases` of its cases.
    pub fn country(self, cases: Cases) -> Result<CountryReport, Diagnostic> {
        let previous = KEEP.replace(cases);
        let report = self.parse(REPORT_FORMAT);
        KEEP.set(previous);
        report
    }

    /// The file as a country report whose cases are written whole to
    /// `spool` as they are read, one at a time. `spool` comes back whatever
    /// the outcome.
    pub fn country_spooled(self, spool: Spool) -> (Spool, Result<SpooledCountry, Diagnostic>) {
        let path = self.path.clone();
        SPOOLING.set(Some(Spooling {
            spool,
            suites: Vec::new(),
            failed: None,
        }));
        let report = self.country(Cases::Spooled);
        let Spooling {
            spool,
            suites,
            failed,
        } = SPOOLING
            .take()
            .expect("the spool is set above and taken only here");
        let result = match (report, failed) {
            (_, Some(e)) => Err(Diagnostic::new(format!(
                "cannot spool the cases of {}: {e}",
                path.display()
            ))),
            (Ok(report), None) => Ok(SpooledCountry {
                report,
                cases: suites,
            }),
            (Err(d), None) => Err(d),
        };
        (spool, result)
    }

    /// The file as a run summary (`run.json`).
    pub fn run(self) -> Result<RunReport, Diagnostic> {
        self.parse(RUN_FORMAT)
    }

    fn parse<T: DeserializeOwned>(self, format: &str) -> Result<T, Diagnostic> {
        serde_json::from_slice(&self.bytes)
            .map_err(|e| json_error(&self.path, &format!("not a valid {format} document"), &e))
    }
}

/// serde_json's error at its place in the file; its message without the
/// place, which the diagnostic shows in front.
fn json_error(path: &Path, what: &str, e: &serde_json::Error) -> Diagnostic {
    let text = e.to_string();
    let place = format!(" at line {} column {}", e.line(), e.column());
    let message = text.strip_suffix(&place).unwrap_or(&text);
    if e.line() == 0 {
        return Diagnostic::new(format!("{}: {what}: {message}", path.display()));
    }
    Diagnostic::new(format!("{what}: {message}")).at(&Loc {
        file: path.display().to_string().into(),
        line: e.line() as u32,
        col: e.column().max(1) as u32,
    })
}

/// A suite's `cases`, as [`KEEP`] says: see [`Cases`].
pub fn kept_cases<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<CaseRecord>, D::Error> {
    struct Kept(Cases);
    impl<'de> Visitor<'de> for Kept {
        type Value = Vec<CaseRecord>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of cases")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut cases = Vec::new();
            match self.0 {
                Cases::Skipped => while seq.next_element::<IgnoredAny>()?.is_some() {},
                Cases::Whole => {
                    while let Some(case) = seq.next_element::<CaseRecord>()? {
                        cases.push(case);
                    }
                }
                Cases::Spooled => SPOOLING.with_borrow_mut(|spooling| {
                    let Some(spooling) = spooling.as_mut() else {
                        return Err(A::Error::custom("cases to spool, but no spool"));
                    };
                    let mut suite = Vec::new();
                    while let Some(case) = seq.next_element::<CaseRecord>()? {
                        match spooling.spool.keep(case) {
                            Ok(spooled) => suite.push(spooled),
                            Err(e) => {
                                spooling.failed = Some(e);
                                return Err(A::Error::custom("the spool cannot be written"));
                            }
                        }
                    }
                    spooling.suites.push(suite);
                    Ok(())
                })?,
                Cases::Rendered => {
                    while let Some(case) = seq.next_element::<CaseRecord>()? {
                        cases.push(rendered(case).0);
                    }
                }
            }
            Ok(cases)
        }
    }
    d.deserialize_seq(Kept(KEEP.get()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::markdown::has_findings;
    use crate::report::spool::junit_line;

    #[test]
    fn a_file_that_is_not_json_is_named_at_its_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.json");
        std::fs::write(&path, "{\n  \"format\": \"conform-report/1\",\n  oops\n}").unwrap();
        let d = open(&path).err().unwrap();
        let loc = d.loc.clone().unwrap();
        assert_eq!((loc.line, loc.col), (3, 3), "{}", d.render());
        assert!(
            d.message.starts_with("not JSON: key must be a string"),
            "{}",
            d.message
        );
    }

    /// The sample report written to a file and read back keeping `cases`.
    fn read_back(cases: Cases) -> CountryReport {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("xx.json");
        let whole = crate::report::markdown::tests::sample();
        std::fs::write(&path, serde_json::to_vec_pretty(&whole).unwrap()).unwrap();
        let opened = open(&path).unwrap();
        assert_eq!(opened.format.as_deref(), Some(REPORT_FORMAT));
        opened.country(cases).unwrap()
    }

    fn json(r: &CountryReport) -> serde_json::Value {
        serde_json::to_value(r).unwrap()
    }

    #[test]
    fn cases_are_kept_whole_as_rendered_or_not_at_all() {
        let whole = crate::report::markdown::tests::sample();
        assert_eq!(json(&read_back(Cases::Whole)), json(&whole));

        let rendered = read_back(Cases::Rendered);
        let (kept, read) = (&rendered.suites[0].cases, &whole.suites[0].cases);
        assert_eq!(kept.len(), read.len());
        assert!(read.iter().any(has_findings) && read.iter().any(|c| !has_findings(c)));
        for (kept, read) in kept.iter().zip(read) {
            let expected = if has_findings(read) {
                read.clone()
            } else {
                junit_line(read)
            };
            assert_eq!(
                serde_json::to_value(kept).unwrap(),
                serde_json::to_value(expected).unwrap()
            );
        }

        let skipped = read_back(Cases::Skipped);
        assert!(skipped.suites.iter().all(|s| s.cases.is_empty()));
        assert_eq!(json(&skipped.without_cases()), json(&whole.without_cases()));
        // The setting holds for one reading only.
        assert_eq!(KEEP.get(), Cases::Whole);
    }

    #[test]
    fn a_report_of_the_wrong_shape_is_named_at_its_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("xx.json");
        std::fs::write(
            &path,
            "{\n  \"format\": \"conform-report/1\",\n  \"harness\": 3,\n  \"country\": {}\n}",
        )
        .unwrap();
        let d = open(&path).unwrap().country(Cases::Rendered).err().unwrap();
        assert_eq!(d.loc.as_ref().map(|l| l.line), Some(3), "{}", d.render());
        assert!(
            d.message
                .starts_with("not a valid conform-report/1 document: invalid type"),
            "{}",
            d.message
        );
    }

    #[test]
    fn json_that_is_not_an_object_has_no_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list.json");
        std::fs::write(&path, "[1, 2]").unwrap();
        assert_eq!(open(&path).unwrap().format, None);
        std::fs::write(&path, r#""conform-report/1""#).unwrap();
        assert_eq!(open(&path).unwrap().format, None);
        std::fs::write(
            &path,
            r#"{"format": 7, "x": {"format": "conform-report/1"}}"#,
        )
        .unwrap();
        assert_eq!(open(&path).unwrap().format, None);
        std::fs::write(
            &path,
            r#"{"a": [{"format": 1}], "format": "conform-run/1"}"#,
        )
        .unwrap();
        assert_eq!(open(&path).unwrap().format.as_deref(), Some(RUN_FORMAT));
    }
}
