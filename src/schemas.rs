//! The shared JSON Schema registry: every file under `schemas/`, registered
//! by its `$id` and by its path, resolved offline (a `$ref` to anything
//! outside `schemas/` is an error, never a download), each validator compiled
//! once per run and shared.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use jsonschema::{Draft, PatternOptions, Registry, Resource, Retrieve, Uri, Validator};
use serde_json::Value;

use crate::diag::{Diagnostic, Diagnostics, Loc, SourceFile};

/// The base of path-derived schema URIs: `schemas/eid/x.json` is `BASE` + `eid/x.json`.
pub const BASE: &str = "https://conform.example/schemas/";

/// Bound on backtracking in a schema `pattern`, against catastrophic regexes.
const PATTERN_BACKTRACK_LIMIT: usize = 200_000;

/// One schema file.
#[derive(Debug)]
pub struct SchemaFile {
    /// Path relative to `schemas/`.
    pub path: String,
    pub uri: String,
    pub contents: Value,
}

/// Every schema of the project, with a cache of compiled validators.
pub struct SchemaRegistry {
    files: BTreeMap<String, SchemaFile>,
    registry: Registry<'static>,
    compiled: Mutex<BTreeMap<String, Arc<Validator>>>,
}

impl std::fmt::Debug for SchemaRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaRegistry")
            .field("files", &self.files.keys())
            .finish()
    }
}

/// Refuses every retrieval: the registry is offline by construction.
struct Offline;

impl Retrieve for Offline {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!("`{uri}` is not a schema under schemas/ (schemas are resolved offline)").into())
    }
}

impl SchemaRegistry {
    /// Register the given files (`path` relative to `schemas/`, and its text).
    pub fn new(sources: &[(String, SourceFile)], diags: &mut Diagnostics) -> SchemaRegistry {
        let mut files = BTreeMap::new();
        for (path, source) in sources {
            let loc = Loc {
                file: source.name.clone(),
                line: 1,
                col: 1,
            };
            let contents: Value = match serde_json::from_str(&source.text) {
                Ok(v) => v,
                Err(e) => {
                    let loc = Loc {
                        line: e.line() as u32,
                        col: e.column() as u32,
                        ..loc
                    };
                    diags.push(
                        Diagnostic::new(format!("invalid JSON: {e}"))
                            .at(&loc)
                            .quote(source),
                    );
                    continue;
                }
            };
            let path_uri = format!("{BASE}{path}");
            let uri = match contents.get("$id") {
                Some(Value::String(id)) => {
                    if id != &path_uri {
                        diags.push(
                            Diagnostic::new(format!("`$id` is `{id}`, but the file's path gives `{path_uri}`"))
                                .at(&loc)
                                .with_help("keep `$id` equal to the base URI plus the path, so relative `$ref`s resolve"),
                        );
                    }
                    id.clone()
                }
                _ => path_uri,
            };
            files.insert(
                path.clone(),
                SchemaFile {
                    path: path.clone(),
                    uri,
                    contents,
                },
            );
        }
        let resources: Vec<(String, Resource)> = files
            .values()
            .map(|f| {
                (
                    f.uri.clone(),
                    Draft::Draft202012.create_resource(f.contents.clone()),
                )
            })
            .collect();
        let registry = match Registry::new()
            .retriever(Offline)
            .draft(Draft::Draft202012)
            .extend(resources)
            .and_then(|b| b.prepare())
        {
            Ok(r) => r,
            Err(e) => {
                diags.push(Diagnostic::new(format!("schemas/: {e}")));
                Registry::new()
                    .prepare()
                    .expect("an empty registry always prepares")
            }
        };
        SchemaRegistry {
            files,
            registry,
            compiled: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The path of the file whose `$id` is `uri`.
    pub fn path_of_uri(&self, uri: &str) -> Option<&str> {
        self.files
            .values()
            .find(|f| f.uri == uri)
            .map(|f| f.path.as_str())
    }

    /// The compiled validator of `path`, compiled on first use.
    pub fn validator(&self, path: &str) -> Result<Arc<Validator>, String> {
        let mut cache = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = cache.get(path) {
            return Ok(v.clone());
        }
        let file = self
            .files
            .get(path)
            .ok_or_else(|| format!("no schema `{path}` under schemas/"))?;
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(&self.registry)
            .with_retriever(Offline)
            .with_base_uri(file.uri.clone())
            .should_validate_formats(true)
            .with_pattern_options(
                PatternOptions::fancy_regex().backtrack_limit(PATTERN_BACKTRACK_LIMIT),
            )
            .build(&file.contents)
            .map_err(|e| format!("schema `{path}` does not compile: {e}"))?;
        let validator = Arc::new(validator);
        cache.insert(path.to_string(), validator.clone());
        Ok(validator)
    }

    /// Compile every schema, reporting those that do not compile.
    pub fn compile_all(&self, diags: &mut Diagnostics) {
        for path in self.files.keys() {
            if let Err(e) = self.validator(path) {
                diags.push(Diagnostic::new(e).at(&Loc {
                    file: format!("schemas/{path}").into(),
                    line: 1,
                    col: 1,
                }));
            }
        }
    }

    /// Validate `instance` against `path`: every error with where it is in
    /// the instance and in the schema.
    pub fn validate(&self, path: &str, instance: &Value) -> Result<Vec<SchemaError>, String> {
        let validator = self.validator(path)?;
        // Most answers are valid: the yes/no walk stops at nothing and
        // builds no error; the full walk runs only to explain a failure.
        if validator.is_valid(instance) {
            return Ok(Vec::new());
        }
        let mut errors = Vec::new();
        for e in validator.iter_errors(instance).take(50) {
            // A pattern the engine gave up on decides nothing about the answer.
            if matches!(
                e.kind(),
                jsonschema::error::ValidationErrorKind::BacktrackLimitExceeded { .. }
                    | jsonschema::error::ValidationErrorKind::RegexEngineFailure { .. }
            ) {
                return Err(format!(
                    "cannot validate against {path}: the `pattern` at {} gave up on the value at {} ({e}; the limit is {PATTERN_BACKTRACK_LIMIT} backtracking steps, against catastrophic patterns)",
                    e.schema_path(),
                    if e.instance_path().as_str().is_empty() {
                        "/".to_string()
                    } else {
                        e.instance_path().to_string()
                    }
                ));
            }
            errors.push(SchemaError {
                message: e.to_string(),
                instance_path: e.instance_path().to_string(),
                schema_path: e.schema_path().to_string(),
            });
        }
        Ok(errors)
    }
}

/// One way an instance breaks a schema.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SchemaError {
    pub message: String,
    pub instance_path: String,
    pub schema_path: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn registry(files: &[(&str, Value)]) -> (SchemaRegistry, Diagnostics) {
        let sources: Vec<(String, SourceFile)> = files
            .iter()
            .map(|(p, v)| {
                (
                    p.to_string(),
                    SourceFile::new(format!("schemas/{p}"), v.to_string()),
                )
            })
            .collect();
        let mut d = Diagnostics::default();
        let r = SchemaRegistry::new(&sources, &mut d);
        (r, d)
    }

    #[test]
    fn resolves_cross_file_refs_offline_and_checks_formats() {
        let (r, d) = registry(&[
            (
                "common/lang.schema.json",
                json!({"$id": format!("{BASE}common/lang.schema.json"), "type": "object", "minProperties": 1}),
            ),
            (
                "x/rec.schema.json",
                json!({
                    "$id": format!("{BASE}x/rec.schema.json"),
                    "type": "object",
                    "properties": {"name": {"$ref": "../common/lang.schema.json"}, "url": {"type": "string", "format": "uri"}}
                }),
            ),
        ]);
        assert!(d.is_empty(), "{d:?}");
        assert!(
            r.validate(
                "x/rec.schema.json",
                &json!({"name": {"fi": "x"}, "url": "https://a"})
            )
            .unwrap()
            .is_empty()
        );
        let errs = r
            .validate(
                "x/rec.schema.json",
                &json!({"name": {}, "url": "not a uri"}),
            )
            .unwrap();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs.iter().any(|e| e.instance_path == "/name"));
    }

    #[test]
    fn remote_refs_are_refused() {
        let (r, d) = registry(&[(
            "a.schema.json",
            json!({"$ref": "https://example.org/remote.json"}),
        )]);
        let failed = !d.is_empty() || r.validator("a.schema.json").is_err();
        assert!(failed);
    }

    /// A pattern built to backtrack catastrophically stops at the limit and
    /// decides nothing: an error, not a failed answer.
    #[test]
    fn a_catastrophic_pattern_is_bounded_and_undecided() {
        let (r, d) = registry(&[(
            "x/p.schema.json",
            json!({"$id": format!("{BASE}x/p.schema.json"), "type": "string", "pattern": "^((?=a)a+)+$"}),
        )]);
        assert!(d.is_empty(), "{d:?}");
        let e = r
            .validate("x/p.schema.json", &json!(format!("{}!", "a".repeat(40))))
            .unwrap_err();
        assert!(e.contains("gave up on the value at /"), "{e}");
        assert!(
            r.validate("x/p.schema.json", &json!("aaa"))
                .unwrap()
                .is_empty()
        );
    }
}
