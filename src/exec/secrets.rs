//! Secrets: resolving `env:` and `file:` references when a request needs
//! them, and redacting every resolved value from everything recorded.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde_json::Value;

use crate::profile::{EffectiveProfile, is_secret_ref};
use crate::template::{Found, Vars};

pub const REDACTED: &str = "«redacted»";

/// Headers whose values are always redacted in records.
const SENSITIVE_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Every secret value seen in this run; shared by all countries so that no
/// output anywhere can carry one.
#[derive(Default, Debug)]
pub struct Redactor {
    /// Secret values with a stable name each (`env:FI_TOKEN`, `capture.token`), longest first.
    values: RwLock<Vec<(String, String)>>,
    /// `--keep-personal-data`: personal identity numbers are left as they are.
    keep_personal_data: bool,
}

impl Redactor {
    /// Remember a secret value under a stable name, with the encoded forms
    /// it takes in a URL, a form body or a JSON string.
    pub fn add(&self, value: &str, name: &str) {
        // Very short values would redact ordinary text; they are still never sent elsewhere.
        if value.len() < 4 {
            return;
        }
        let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        let percent = form.replace('+', "%20");
        let json = serde_json::to_string(value).unwrap_or_default();
        let json = json.trim_matches('"').to_string();
        let mut v = self.values.write().unwrap_or_else(|e| e.into_inner());
        for form in [value.to_string(), form, percent, json] {
            if !v.iter().any(|(x, _)| *x == form) {
                v.push((form, name.to_string()));
            }
        }
        v.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
    }

    /// Remember every string and number inside a secret value (a captured list of tokens, say).
    pub fn add_value(&self, value: &Value, name: &str) {
        match value {
            Value::String(s) => self.add(s, name),
            Value::Number(n) => self.add(&n.to_string(), name),
            Value::Array(items) => items.iter().for_each(|i| self.add_value(i, name)),
            Value::Object(m) => m.values().for_each(|i| self.add_value(i, name)),
            _ => {}
        }
    }

    fn replace_all(&self, text: &str, with: impl Fn(&str) -> String) -> String {
        let values = self.values.read().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_string();
        for (v, name) in values.iter() {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), &with(name));
            }
        }
        out
    }

    /// A redactor that also masks personal identity numbers, unless told to keep them.
    pub fn new(keep_personal_data: bool) -> Redactor {
        Redactor {
            values: RwLock::default(),
            keep_personal_data,
        }
    }

    /// Every secret value replaced by `«redacted»`, and every personal
    /// identity number masked (`010190-****`): for reports, logs and errors.
    pub fn redact(&self, text: &str) -> String {
        let out = self.replace_all(text, |_| REDACTED.to_string());
        if self.keep_personal_data {
            out
        } else {
            crate::ident::redact(&out)
        }
    }

    /// Every secret value replaced by its stable placeholder: for recordings.
    pub fn placeholders(&self, text: &str) -> String {
        self.replace_all(text, placeholder)
    }

    pub fn redact_value(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.redact(s)),
            Value::Array(a) => Value::Array(a.iter().map(|v| self.redact_value(v)).collect()),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), self.redact_value(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    pub fn redact_headers(&self, headers: &[(String, String)]) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(k, v)| {
                let v = if SENSITIVE_HEADERS.contains(&k.to_ascii_lowercase().as_str()) {
                    REDACTED.to_string()
                } else {
                    self.redact(v)
                };
                (k.clone(), v)
            })
            .collect()
    }
}

/// The stable placeholder of a named secret.
pub fn placeholder(name: &str) -> String {
    format!("«secret {name}»")
}

/// Resolve a secret reference to its value.
pub fn resolve(reference: &str, base: &std::path::Path) -> Result<String, String> {
    if let Some(name) = reference.strip_prefix("env:") {
        std::env::var(name)
            .map_err(|_| format!("secret `{reference}` is not set in the environment"))
    } else if let Some(path) = reference.strip_prefix("file:") {
        let p = base.join(path);
        std::fs::read_to_string(&p)
            .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
            .map_err(|e| format!("secret `{reference}` cannot be read: {e}"))
    } else {
        Ok(reference.to_string())
    }
}

/// A value captured from a response.
#[derive(Debug, Clone)]
pub struct Captured {
    pub value: Value,
    pub secret: bool,
}

/// The variables one case instance sees.
pub struct CaseVars<'a> {
    pub profile: &'a EffectiveProfile,
    pub captures: &'a BTreeMap<String, Captured>,
    pub item: Option<&'a Value>,
    pub redactor: &'a Arc<Redactor>,
    pub base: &'a std::path::Path,
    pub replaying: bool,
    /// The round of a repeating step (`repeat.index`, from 1).
    pub round: Option<u32>,
}

fn descend(mut v: &Value, path: &[String]) -> Option<Value> {
    for p in path {
        v = match v {
            Value::Object(m) => m.get(p)?,
            Value::Array(a) => a.get(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v.clone())
}

impl Vars for CaseVars<'_> {
    fn lookup(&self, path: &[String]) -> Result<Option<Found>, String> {
        match path[0].as_str() {
            "profile" => match self.profile.lookup(&path[1..]) {
                Some(Value::String(s)) if is_secret_ref(s) => {
                    let value = match resolve(s, self.base) {
                        Ok(v) => v,
                        // Replaying needs no secrets: the recording holds placeholders.
                        Err(_) if self.replaying => placeholder(s),
                        Err(e) => return Err(e),
                    };
                    self.redactor.add(&value, s);
                    Ok(Some(Found {
                        value: Value::String(value),
                        secret: true,
                    }))
                }
                Some(v) => Ok(Some(Found {
                    value: v.clone(),
                    secret: false,
                })),
                None => Ok(None),
            },
            "capture" => {
                let Some(c) = path.get(1).and_then(|n| self.captures.get(n)) else {
                    return Ok(None);
                };
                Ok(descend(&c.value, &path[2..]).map(|value| Found {
                    value,
                    secret: c.secret,
                }))
            }
            "repeat" => Ok(match (self.round, path.get(1).map(String::as_str)) {
                (Some(n), Some("index")) => Some(Found {
                    value: Value::from(n),
                    secret: false,
                }),
                _ => None,
            }),
            "item" => Ok(self
                .item
                .and_then(|i| descend(i, &path[1..]))
                .map(|value| Found {
                    value,
                    secret: false,
                })),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_values_and_sensitive_headers() {
        let r = Redactor::default();
        r.add("s3cr3t-token", "env:T");
        assert_eq!(r.placeholders("x s3cr3t-token"), "x «secret env:T»");
        r.add("a b&c/d", "env:U");
        assert_eq!(r.redact("?q=a+b%26c%2Fd"), format!("?q={REDACTED}"));
        assert_eq!(r.redact("/p/a%20b%26c%2Fd"), format!("/p/{REDACTED}"));
        // Personal identity numbers are masked, organisation numbers are not.
        let masked = r.redact("user FI131052-308T of org 0245437-2");
        assert!(!masked.contains("131052-308T"), "{masked}");
        assert!(masked.contains("0245437-2"), "{masked}");
        assert!(
            Redactor::new(true)
                .redact("131052-308T")
                .contains("131052-308T")
        );
        assert_eq!(
            r.redact("Bearer s3cr3t-token!"),
            format!("Bearer {REDACTED}!")
        );
        let h = r.redact_headers(&[
            ("Authorization".into(), "Basic abc".into()),
            ("X".into(), "s3cr3t-token".into()),
        ]);
        assert_eq!(h[0].1, REDACTED);
        assert_eq!(h[1].1, REDACTED);
    }
}
