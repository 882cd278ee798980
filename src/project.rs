//! Where the shipped files come from, and loading all of them into one
//! checked [`Project`]: catalogues, suites, profiles and schemas.
//!
//! The binary embeds `suites/`, `schemas/`, `countries/` and `fixtures/sandbox/`;
//! `--root DIR` (or a current directory with that layout) uses files instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{Dir, include_dir};
use sha2::{Digest, Sha256};

use crate::check::DecodeContext;
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::profile::Profile;
use crate::schemas::SchemaRegistry;
use crate::suite::{Requirements, Suite, lint, load};

static SUITES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/suites");
static SCHEMAS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schemas");
static COUNTRIES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/countries");
static SANDBOX: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/fixtures/sandbox");

/// Where the sandbox's data lives, relative to the root.
pub const SANDBOX_FOLDER: &str = "fixtures/sandbox";

/// One file of the sandbox's data: its path under `fixtures/sandbox/`, the
/// name diagnostics show, and its bytes (bodies need not be text).
#[derive(Debug, Clone)]
pub struct DataFile {
    pub rel: String,
    pub shown: String,
    pub bytes: Vec<u8>,
}

/// Where the project's files are read from.
#[derive(Debug, Clone)]
pub enum Root {
    Embedded,
    Dir(PathBuf),
}

impl Root {
    /// `--root` if given; else the current directory if it has the layout; else the embedded files.
    pub fn discover(explicit: Option<&Path>) -> Root {
        if let Some(p) = explicit {
            return Root::Dir(p.to_path_buf());
        }
        if let Ok(cwd) = std::env::current_dir()
            && ["suites", "schemas", "countries"]
                .iter()
                .all(|d| cwd.join(d).is_dir())
        {
            return Root::Dir(PathBuf::from("."));
        }
        Root::Embedded
    }

    /// Every file under `folder` (`suites`, `schemas`, `countries`)
    /// whose name ends with `ext`, as (path relative to the folder, source).
    pub fn files(&self, folder: &str, ext: &str) -> Result<Vec<(String, SourceFile)>, Diagnostic> {
        let mut out = Vec::new();
        match self {
            Root::Embedded => {
                let dir = match folder {
                    "suites" => &SUITES,
                    "schemas" => &SCHEMAS,
                    "countries" => &COUNTRIES,
                    _ => return Ok(out),
                };
                collect_embedded(dir, ext, &mut |rel, text| {
                    let shown = format!("<embedded>/{}/{rel}", shown_folder(folder));
                    out.push((rel.to_string(), SourceFile::new(shown, text)));
                });
            }
            Root::Dir(root) => {
                let base = root.join(shown_folder(folder));
                if !base.is_dir() {
                    return Err(Diagnostic::new(format!(
                        "{} is not a folder",
                        base.display()
                    )));
                }
                let mut paths = Vec::new();
                walk(&base, &mut paths)
                    .map_err(|e| Diagnostic::new(format!("cannot read {}: {e}", base.display())))?;
                for path in paths {
                    if !path.to_string_lossy().ends_with(ext) {
                        continue;
                    }
                    let rel = path
                        .strip_prefix(&base)
                        .unwrap_or(&path)
                        .to_string_lossy()
                        .replace('\\', "/");
                    let shown = display_path(&path);
                    let bytes = read_bounded(&path)
                        .map_err(|e| Diagnostic::new(format!("cannot read {shown}: {e}")))?;
                    if bytes.len() > crate::yaml::MAX_FILE_BYTES {
                        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                        return Err(Diagnostic::new(format!(
                            "{shown}: file is {len} bytes, larger than the {} bytes accepted",
                            crate::yaml::MAX_FILE_BYTES
                        )));
                    }
                    let text = match String::from_utf8(bytes) {
                        Ok(t) => t,
                        Err(e) => {
                            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                            let line = good.iter().filter(|b| **b == b'\n').count() + 1;
                            let col = good.iter().rev().take_while(|b| **b != b'\n').count() + 1;
                            return Err(Diagnostic::new("the file is not valid UTF-8").at(
                                &crate::diag::Loc {
                                    file: shown.into(),
                                    line: line as u32,
                                    col: col as u32,
                                },
                            ));
                        }
                    };
                    out.push((rel, SourceFile::new(shown, text)));
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

impl Root {
    /// Every file under `fixtures/sandbox/` (any kind), sorted by path.
    pub fn sandbox_files(&self) -> Result<Vec<DataFile>, Diagnostic> {
        let mut out = Vec::new();
        match self {
            Root::Embedded => {
                fn go(dir: &Dir<'static>, out: &mut Vec<DataFile>) {
                    for file in dir.files() {
                        let rel = file.path().to_string_lossy().replace('\\', "/");
                        out.push(DataFile {
                            shown: format!("<embedded>/{SANDBOX_FOLDER}/{rel}"),
                            rel,
                            bytes: file.contents().to_vec(),
                        });
                    }
                    for sub in dir.dirs() {
                        go(sub, out);
                    }
                }
                go(&SANDBOX, &mut out);
            }
            Root::Dir(root) => {
                let base = root.join(SANDBOX_FOLDER);
                if !base.is_dir() {
                    return Err(Diagnostic::new(format!(
                        "{} is not a folder",
                        display_path(&base)
                    )));
                }
                let mut paths = Vec::new();
                walk(&base, &mut paths).map_err(|e| {
                    Diagnostic::new(format!("cannot read {}: {e}", display_path(&base)))
                })?;
                for path in paths {
                    let rel = path
                        .strip_prefix(&base)
                        .unwrap_or(&path)
                        .to_string_lossy()
                        .replace('\\', "/");
                    let shown = display_path(&path);
                    let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                    if len > crate::yaml::MAX_FILE_BYTES as u64 {
                        return Err(Diagnostic::new(format!(
                            "{shown}: file is {len} bytes, larger than the {} bytes accepted",
                            crate::yaml::MAX_FILE_BYTES
                        )));
                    }
                    let bytes = std::fs::read(&path)
                        .map_err(|e| Diagnostic::new(format!("cannot read {shown}: {e}")))?;
                    out.push(DataFile { rel, shown, bytes });
                }
            }
        }
        out.sort_by(|a, b| a.rel.cmp(&b.rel));
        Ok(out)
    }
}

/// A file's bytes, but never more than one byte past the size limit: a huge
/// (or endless) file is refused without being read whole.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(crate::yaml::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn shown_folder(folder: &str) -> &str {
    folder
}

fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

fn collect_embedded(dir: &Dir<'static>, ext: &str, f: &mut dyn FnMut(&str, &str)) {
    for file in dir.files() {
        let rel = file.path().to_string_lossy().replace('\\', "/");
        if rel.ends_with(ext)
            && let Some(text) = file.contents_utf8()
        {
            f(&rel, text);
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, ext, f);
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Everything loaded and cross-checked.
pub struct Project {
    pub root: Root,
    pub requirements: Requirements,
    pub catalogues: Vec<crate::suite::Catalogue>,
    pub suites: Vec<Suite>,
    pub profiles: BTreeMap<String, Profile>,
    pub schemas: Arc<SchemaRegistry>,
    /// Every input file and its SHA-256, for reports.
    pub inputs: Vec<(String, String)>,
}

impl Project {
    /// Load every file, reporting every problem at once.
    pub fn load(root: Root) -> Result<Project, Diagnostics> {
        let mut diags = Diagnostics::default();
        let mut inputs = Vec::new();
        let mut read =
            |folder: &str, ext: &str, diags: &mut Diagnostics| match root.files(folder, ext) {
                Ok(files) => {
                    for (_, src) in &files {
                        inputs.push((
                            src.name.to_string(),
                            hex(&Sha256::digest(src.text.as_bytes())),
                        ));
                    }
                    files
                }
                Err(d) => {
                    diags.push(d);
                    Vec::new()
                }
            };
        let schema_files = read("schemas", ".json", &mut diags);
        let suite_files = read("suites", ".yaml", &mut diags);
        let profile_files = read("countries", ".yaml", &mut diags);

        let schemas = Arc::new(SchemaRegistry::new(&schema_files, &mut diags));
        let cx = DecodeContext { schemas: &schemas };

        // Files are parsed and decoded side by side, one thread per core,
        // and kept in the order they were read.
        let decode_file = |(rel, src): &(String, SourceFile)| {
            let mut local = Diagnostics::default();
            let (mut catalogue, mut suite) = (None, None);
            match crate::yaml::parse(src) {
                Err(d) => local.push(d),
                Ok(node) => {
                    if rel.ends_with("requirements.yaml") {
                        catalogue = load::catalogue(&node, &src.name, &mut local);
                    } else {
                        suite = load::suite(&node, &src.name, &cx, &mut local);
                    }
                }
            }
            (catalogue, suite, quote_all(local, src))
        };
        let decoded = crate::parallel::in_parts(&suite_files, 1, |files| {
            files.iter().map(decode_file).collect::<Vec<_>>()
        })
        .into_iter()
        .flatten();
        let mut catalogues = Vec::new();
        let mut suites = Vec::new();
        for (catalogue, suite, local) in decoded {
            catalogues.extend(catalogue);
            suites.extend(suite);
            diags.extend(local);
        }
        let mut profiles = BTreeMap::new();
        for (_, src) in &profile_files {
            let mut local = Diagnostics::default();
            match crate::yaml::parse(src) {
                Err(d) => local.push(d),
                Ok(node) => {
                    if let Some(p) = crate::profile::decode(&node, &src.name, &mut local) {
                        profiles.insert(p.code.clone(), p);
                    }
                }
            }
            diags.extend(quote_all(local, src));
        }

        let mut cross = Diagnostics::default();
        let requirements = lint::index(&catalogues, &mut cross);
        lint::suites(&suites, &requirements, &mut cross);
        for p in profiles.values() {
            for w in &p.waivers {
                if let crate::profile::WaiverTarget::Requirement(id) = &w.target
                    && requirements.get(id).is_none()
                {
                    cross.push(
                        Diagnostic::new(format!("waiver for unknown requirement `{id}`"))
                            .at(&w.loc),
                    );
                }
                if let crate::profile::WaiverTarget::Case(c) = &w.target {
                    let (s, k) = c.split_once('/').unwrap_or((c, ""));
                    if !suites
                        .iter()
                        .any(|x| x.id == s && x.cases.iter().any(|y| y.id == k))
                    {
                        cross.push(
                            Diagnostic::new(format!("waiver for unknown case `{c}`")).at(&w.loc),
                        );
                    }
                }
            }
        }
        // Cross-file problems point into files; quote the lines.
        let all_sources: Vec<&SourceFile> = suite_files
            .iter()
            .chain(&profile_files)
            .map(|(_, s)| s)
            .collect();
        for d in cross.0 {
            let src = d
                .loc
                .as_ref()
                .and_then(|l| all_sources.iter().find(|s| s.name == l.file));
            diags.push(match src {
                Some(s) => d.quote(s),
                None => d,
            });
        }
        if !diags.is_empty() {
            diags.sort();
            return Err(diags);
        }
        Ok(Project {
            root,
            requirements,
            catalogues,
            suites,
            profiles,
            schemas,
            inputs,
        })
    }

    pub fn suite(&self, id: &str) -> Option<&Suite> {
        self.suites.iter().find(|s| s.id == id)
    }
}

fn quote_all(diags: Diagnostics, src: &SourceFile) -> Diagnostics {
    Diagnostics(
        diags
            .0
            .into_iter()
            .map(|d| if d.snippet.is_none() { d.quote(src) } else { d })
            .collect(),
    )
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
