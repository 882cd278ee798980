//! Country profiles: what a country declares (languages, capabilities,
//! endpoints, settings, limits, waivers), an environment picked, `--set`
//! applied. Secret references (`env:`, `file:`) stay references here; the
//! executor resolves them when a request needs one.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::decode::{self, Fields};
use crate::diag::{Diagnostic, Diagnostics, Loc};
use crate::yaml::Node;

/// Settings a profile may carry at top level and override per environment.
pub const SETTINGS: [&str; 8] = [
    "endpoints",
    "oidc",
    "saml",
    "xroad",
    "catalogue",
    "vars",
    "tls",
    "limits",
];
pub const ENDPOINT_KEYS: [&str; 3] = ["eid", "data_exchange", "service_catalogue"];

#[derive(Debug, Clone)]
pub struct Profile {
    pub code: String,
    pub name: String,
    pub languages: Vec<String>,
    pub capabilities: Vec<String>,
    pub default_environment: Option<String>,
    /// The settings as written at top level.
    pub settings: Map<String, Value>,
    pub environments: BTreeMap<String, Map<String, Value>>,
    pub waivers: Vec<Waiver>,
    pub file: String,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaiverTarget {
    Requirement(String),
    /// `suite/case`
    Case(String),
}

#[derive(Debug, Clone)]
pub struct Waiver {
    pub target: WaiverTarget,
    pub reason: String,
    pub owner: String,
    pub expires: NaiveDate,
    pub loc: Loc,
}

impl Waiver {
    pub fn target_text(&self) -> &str {
        match &self.target {
            WaiverTarget::Requirement(s) | WaiverTarget::Case(s) => s,
        }
    }
}

/// Per-host politeness.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Requests in flight per host.
    pub concurrency: usize,
    /// Requests per second per host; 0 is unlimited.
    pub rate: f64,
}

impl Default for Limits {
    /// Defaults for real national endpoints, when a profile says nothing.
    fn default() -> Self {
        Limits {
            concurrency: 4,
            rate: 5.0,
        }
    }
}

/// TLS settings of a profile: values are paths or secret references.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    pub ca_bundle: Option<String>,
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
}

/// A profile with an environment picked and overrides applied: what a run uses.
#[derive(Debug, Clone)]
pub struct EffectiveProfile {
    pub code: String,
    pub name: String,
    pub environment: Option<String>,
    pub languages: Vec<String>,
    pub capabilities: Vec<String>,
    /// Everything templates can reach as `profile.…`.
    pub tree: Value,
    pub limits: Limits,
    pub tls: TlsSettings,
    pub waivers: Vec<Waiver>,
    /// Hosts of every URL in the profile: the only hosts secrets may go to.
    pub hosts: Vec<String>,
    pub file: String,
}

/// Whether a string is a secret reference.
pub fn is_secret_ref(s: &str) -> bool {
    s.starts_with("env:") || s.starts_with("file:")
}

pub fn decode(root: &Node, file: &str, diags: &mut Diagnostics) -> Option<Profile> {
    let mut f = Fields::new(root, "a country profile", diags)?;
    let code = f.required("country", root, diags).and_then(|n| {
        let s = decode::string(n, "a country code", diags)?;
        if s.len() != 2 || !s.chars().all(|c| c.is_ascii_uppercase()) {
            diags.push(
                Diagnostic::new(format!(
                    "`{s}` is not an ISO 3166-1 alpha-2 code in capitals"
                ))
                .at(&n.loc),
            );
            return None;
        }
        let stem = file
            .rsplit('/')
            .next()
            .unwrap_or(file)
            .trim_end_matches(".yaml");
        if stem != s.to_ascii_lowercase() {
            diags.push(
                Diagnostic::new(format!(
                    "profile for `{s}` is in {file}; name it countries/{}.yaml",
                    s.to_ascii_lowercase()
                ))
                .at(&n.loc),
            );
        }
        Some(s)
    });
    let name = f
        .required("name", root, diags)
        .and_then(|n| decode::string(n, "a name", diags));
    let languages = f
        .required("languages", root, diags)
        .map(|n| decode::strings(n, "language codes", diags))
        .unwrap_or_default();
    let capabilities = f
        .required("capabilities", root, diags)
        .map(|n| decode::strings(n, "capabilities", diags))
        .unwrap_or_default();
    let default_environment = f
        .get("default_environment")
        .and_then(|n| decode::string(n, "an environment name", diags));
    let mut settings = Map::new();
    for key in SETTINGS {
        if let Some(n) = f.get(key) {
            check_setting(key, n, diags);
            settings.insert(key.to_string(), n.to_json());
        }
    }
    let mut environments = BTreeMap::new();
    if let Some(envs) = f.get("environments") {
        for (name, node) in decode::string_map(envs, "environments", diags) {
            let mut map = Map::new();
            if let Some(mut ef) = Fields::new(node, "an environment", diags) {
                for key in SETTINGS {
                    if let Some(n) = ef.get(key) {
                        check_setting(key, n, diags);
                        map.insert(key.to_string(), n.to_json());
                    }
                }
                ef.finish(diags);
            } else if matches!(node.value, crate::yaml::Value::Null) {
                // `test: ~` is an environment with no overrides.
            }
            environments.insert(name, map);
        }
    }
    if let Some(env) = &default_environment
        && !environments.contains_key(env)
    {
        diags.push(
            Diagnostic::new(format!(
                "default_environment `{env}` is not among the environments"
            ))
            .at(&root.loc),
        );
    }
    let waivers = f
        .get("waivers")
        .map(|n| {
            decode::list(n, "waivers", diags)
                .iter()
                .filter_map(|w| waiver(w, diags))
                .collect()
        })
        .unwrap_or_default();
    f.finish(diags);
    Some(Profile {
        code: code?,
        name: name?,
        languages,
        capabilities,
        default_environment,
        settings,
        environments,
        waivers,
        file: file.to_string(),
        loc: root.loc.clone(),
    })
}

fn check_setting(key: &str, node: &Node, diags: &mut Diagnostics) {
    match key {
        "endpoints" => {
            if let Some(mut f) = Fields::new(node, "endpoints", diags) {
                for k in ENDPOINT_KEYS {
                    if let Some(n) = f.get(k) {
                        decode::string(n, "a base URL", diags);
                    }
                }
                f.finish(diags);
            }
        }
        "limits" => {
            if let Some(mut f) = Fields::new(node, "limits", diags) {
                if let Some(n) = f.get("concurrency")
                    && decode::unsigned(n, "`concurrency`", diags) == Some(0)
                {
                    diags.push(Diagnostic::new("`concurrency` is at least 1").at(&n.loc));
                }
                if let Some(n) = f.get("rate") {
                    decode::number(n, "`rate` (requests per second, 0 for no limit)", diags);
                }
                f.finish(diags);
            }
        }
        "tls" => {
            if let Some(mut f) = Fields::new(node, "tls settings", diags) {
                let mut given = Vec::new();
                for k in ["ca_bundle", "client_cert", "client_key"] {
                    if let Some(n) = f.get(k) {
                        decode::string(n, "a path or secret reference", diags);
                        given.push(k);
                    }
                }
                let cert = given.contains(&"client_cert");
                if cert != given.contains(&"client_key") {
                    diags.push(
                        Diagnostic::new(format!(
                            "`{}` without `{}`: a client certificate for mutual TLS needs both",
                            if cert { "client_cert" } else { "client_key" },
                            if cert { "client_key" } else { "client_cert" },
                        ))
                        .at(&node.loc),
                    );
                }
                f.finish(diags);
            }
        }
        _ => {
            Fields::new(node, "a settings section", diags);
        }
    }
}

fn waiver(node: &Node, diags: &mut Diagnostics) -> Option<Waiver> {
    let mut f = Fields::new(node, "a waiver", diags)?;
    let requirement = f
        .get("requirement")
        .and_then(|n| decode::string(n, "a requirement ID", diags));
    let case = f
        .get("case")
        .and_then(|n| decode::string(n, "a `suite/case`", diags));
    let reason = f
        .required("reason", node, diags)
        .and_then(|n| decode::string(n, "a reason", diags));
    let owner = f
        .required("owner", node, diags)
        .and_then(|n| decode::string(n, "an owner", diags));
    let expires = f.required("expires", node, diags).and_then(|n| {
        let s = decode::string(n, "a date (YYYY-MM-DD)", diags)?;
        match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                diags.push(Diagnostic::new(format!("`{s}` is not a date (YYYY-MM-DD)")).at(&n.loc));
                None
            }
        }
    });
    f.finish(diags);
    let target = match (requirement, case) {
        (Some(r), None) => WaiverTarget::Requirement(r),
        (None, Some(c)) if c.split('/').count() == 2 => WaiverTarget::Case(c),
        (None, Some(c)) => {
            diags.push(
                Diagnostic::new(format!("`case: {c}` is written `suite-id/case-id`")).at(&node.loc),
            );
            return None;
        }
        _ => {
            diags.push(
                Diagnostic::new("a waiver names exactly one of `requirement` or `case`")
                    .at(&node.loc),
            );
            return None;
        }
    };
    Some(Waiver {
        target,
        reason: reason?,
        owner: owner?,
        expires: expires?,
        loc: node.loc.clone(),
    })
}

/// Deep-merge `over` into `base`: mappings merge, anything else replaces.
pub fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// Set `path` (dotted) to `value`, creating mappings on the way.
pub fn set_path(tree: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let mut cur = tree;
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "`{path}` is not a dotted path such as `endpoints.eid`"
        ));
    }
    for (i, part) in parts.iter().enumerate() {
        let last = i == parts.len() - 1;
        let Value::Object(map) = cur else {
            return Err(format!(
                "cannot set `{path}`: `{}` is not a mapping",
                parts[..i].join(".")
            ));
        };
        if last {
            map.insert(part.to_string(), value);
            return Ok(());
        }
        cur = map
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    Ok(())
}

impl Profile {
    /// Pick an environment and apply `--set` overrides.
    pub fn effective(
        &self,
        env: Option<&str>,
        sets: &[(String, Value)],
    ) -> Result<EffectiveProfile, String> {
        let mut tree = Value::Object(self.settings.clone());
        let environment = env
            .map(str::to_string)
            .or_else(|| self.default_environment.clone());
        if let Some(name) = &environment {
            match self.environments.get(name) {
                Some(over) => merge(&mut tree, &Value::Object(over.clone())),
                None if env.is_some() => {
                    return Err(format!(
                        "{} has no environment `{name}` (it has: {})",
                        self.code,
                        self.environments
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                None => {}
            }
        }
        if let Value::Object(map) = &mut tree {
            map.insert("country".into(), Value::from(self.code.clone()));
            map.insert("name".into(), Value::from(self.name.clone()));
            map.insert("languages".into(), Value::from(self.languages.clone()));
            map.insert(
                "capabilities".into(),
                Value::from(self.capabilities.clone()),
            );
        }
        for (path, value) in sets {
            set_path(&mut tree, path, value.clone())?;
        }
        let languages = string_list(tree.get("languages"));
        let capabilities = string_list(tree.get("capabilities"));
        let limits = Limits {
            concurrency: tree
                .pointer("/limits/concurrency")
                .and_then(Value::as_u64)
                .map(|c| c.max(1) as usize)
                .unwrap_or(Limits::default().concurrency),
            rate: tree
                .pointer("/limits/rate")
                .and_then(Value::as_f64)
                .unwrap_or(Limits::default().rate),
        };
        let text = |p: &str| tree.pointer(p).and_then(Value::as_str).map(str::to_string);
        let tls = TlsSettings {
            ca_bundle: text("/tls/ca_bundle"),
            client_cert: text("/tls/client_cert"),
            client_key: text("/tls/client_key"),
        };
        let mut hosts = Vec::new();
        collect_hosts(&tree, &mut hosts);
        hosts.sort();
        hosts.dedup();
        Ok(EffectiveProfile {
            code: self.code.clone(),
            name: self.name.clone(),
            environment,
            languages,
            capabilities,
            tree,
            limits,
            tls,
            waivers: self.waivers.clone(),
            hosts,
            file: self.file.clone(),
        })
    }
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The host of every `http(s)://` URL in a tree, lower case (duplicates kept).
pub fn collect_hosts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => {
            if let Ok(u) = url::Url::parse(s)
                && let Some(h) = u.host_str()
            {
                out.push(h.to_ascii_lowercase());
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_hosts(i, out)),
        Value::Object(m) => m.values().for_each(|i| collect_hosts(i, out)),
        _ => {}
    }
}

impl EffectiveProfile {
    /// Whether the country declares every one of `capabilities`.
    pub fn missing_capabilities<'a>(&self, capabilities: &'a [String]) -> Vec<&'a str> {
        capabilities
            .iter()
            .filter(|c| !self.capabilities.contains(c))
            .map(String::as_str)
            .collect()
    }

    /// The value at a `profile.` path (without the namespace).
    pub fn lookup(&self, path: &[String]) -> Option<&Value> {
        let mut v = &self.tree;
        for p in path {
            v = match v {
                Value::Object(m) => m.get(p)?,
                Value::Array(a) => a.get(p.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(v)
    }

    /// The profile as reports show it: secret references kept as references (never values).
    pub fn redacted_tree(&self) -> Value {
        self.tree.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn load(text: &str) -> (Option<Profile>, Diagnostics) {
        let src = crate::diag::SourceFile::new("countries/fi.yaml", text);
        let node = crate::yaml::parse(&src).unwrap();
        let mut d = Diagnostics::default();
        (decode(&node, "countries/fi.yaml", &mut d), d)
    }

    const FI: &str = "country: FI\nname: Finland\nlanguages: [fi, sv]\ncapabilities: [oidc]\ndefault_environment: test\n\
endpoints: { eid: https://a.example }\noidc: { issuer: https://a.example }\n\
environments:\n  test: {}\n  sandbox: { endpoints: { eid: https://fi.test } }\n\
waivers:\n  - requirement: EID-X\n    reason: r\n    owner: o\n    expires: 2027-01-31\n";

    #[test]
    fn environments_and_sets_override() {
        let (p, d) = load(FI);
        assert!(d.is_empty(), "{d:?}");
        let p = p.unwrap();
        let e = p
            .effective(
                Some("sandbox"),
                &[("oidc.issuer".into(), json!("https://x.test"))],
            )
            .unwrap();
        assert_eq!(
            e.tree.pointer("/endpoints/eid"),
            Some(&json!("https://fi.test"))
        );
        assert_eq!(
            e.tree.pointer("/oidc/issuer"),
            Some(&json!("https://x.test"))
        );
        assert_eq!(e.hosts, vec!["fi.test".to_string(), "x.test".to_string()]);
        assert!(
            p.effective(Some("nope"), &[])
                .unwrap_err()
                .contains("no environment")
        );
        assert_eq!(
            p.waivers[0].expires,
            NaiveDate::from_ymd_opt(2027, 1, 31).unwrap()
        );
    }

    #[test]
    fn unknown_keys_are_reported_with_a_suggestion() {
        let (_, d) = load(&FI.replacen("endpoints: {", "endpionts: {", 1));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d.0[0].help.as_deref().unwrap().contains("endpoints"));
    }
}
