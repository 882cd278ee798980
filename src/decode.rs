//! Hand-written decoding of the positioned YAML tree into the model.
//!
//! Each decoder reads what it can and records a diagnostic for everything it
//! cannot, so one pass reports every problem of a file. Unknown keys are
//! caught by [`Fields::finish`], with a "did you mean" among the keys the
//! decoder asked for.

use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::yaml::{Node, Value};

/// The entries of one YAML mapping, tracking which keys were read.
pub struct Fields<'n> {
    entries: &'n [(Node, Node)],
    asked: Vec<&'static str>,
    what: &'static str,
}

impl<'n> Fields<'n> {
    /// Start reading `node` as a mapping describing `what` ("a case", "a check").
    pub fn new(node: &'n Node, what: &'static str, diags: &mut Diagnostics) -> Option<Self> {
        match &node.value {
            Value::Map(entries) => Some(Fields {
                entries,
                asked: Vec::new(),
                what,
            }),
            _ => {
                diags.push(
                    Diagnostic::new(format!(
                        "expected {what} (a mapping), found {}",
                        node.kind()
                    ))
                    .at(&node.loc),
                );
                None
            }
        }
    }

    /// The value of `key`, if present.
    pub fn get(&mut self, key: &'static str) -> Option<&'n Node> {
        self.asked.push(key);
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The value of `key`, or a diagnostic at `parent` when it is missing.
    pub fn required(
        &mut self,
        key: &'static str,
        parent: &Node,
        diags: &mut Diagnostics,
    ) -> Option<&'n Node> {
        let found = self.get(key);
        if found.is_none() {
            diags.push(Diagnostic::new(format!("{} needs `{key}`", self.what)).at(&parent.loc));
        }
        found
    }

    /// Report every key that the decoder never asked for.
    pub fn finish(self, diags: &mut Diagnostics) {
        for (key, _) in self.entries {
            let text = key.key_text();
            if !self.asked.iter().any(|a| *a == text) {
                let mut d =
                    Diagnostic::new(format!("unknown key `{text}` in {}", self.what)).at(&key.loc);
                d = match did_you_mean(&text, self.asked.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("expected one of: {}", self.asked.join(", "))),
                };
                diags.push(d);
            }
        }
    }

    /// The mapping's entries in order, for maps with free keys.
    pub fn entries(&self) -> &'n [(Node, Node)] {
        self.entries
    }
}

pub fn string(node: &Node, what: &str, diags: &mut Diagnostics) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        // Numbers and booleans written where text is expected are taken as text:
        // `version: 1.0` means "1.0".
        Value::Int(i) => Some(i.to_string()),
        Value::Float(_) | Value::Bool(_) => Some(node.key_text()),
        _ => {
            diags.push(
                Diagnostic::new(format!("expected {what} (a string), found {}", node.kind()))
                    .at(&node.loc),
            );
            None
        }
    }
}

pub fn boolean(node: &Node, what: &str, diags: &mut Diagnostics) -> Option<bool> {
    match node.value {
        Value::Bool(b) => Some(b),
        _ => {
            diags.push(
                Diagnostic::new(format!(
                    "expected {what} (true or false), found {}",
                    node.kind()
                ))
                .at(&node.loc),
            );
            None
        }
    }
}

pub fn unsigned(node: &Node, what: &str, diags: &mut Diagnostics) -> Option<u64> {
    match node.value {
        Value::Int(i) if i >= 0 => Some(i as u64),
        _ => {
            diags.push(
                Diagnostic::new(format!(
                    "expected {what} (a whole number ≥ 0), found {}",
                    node.kind()
                ))
                .at(&node.loc),
            );
            None
        }
    }
}

pub fn number(node: &Node, what: &str, diags: &mut Diagnostics) -> Option<f64> {
    match node.value {
        Value::Int(i) => Some(i as f64),
        Value::Float(f) if f.is_finite() => Some(f),
        _ => {
            diags.push(
                Diagnostic::new(format!("expected {what} (a number), found {}", node.kind()))
                    .at(&node.loc),
            );
            None
        }
    }
}

/// A list of strings; a single string is accepted as a list of one.
pub fn string_list(node: &Node, what: &str, diags: &mut Diagnostics) -> Vec<(String, Node)> {
    match &node.value {
        Value::Seq(items) => items
            .iter()
            .filter_map(|item| string(item, what, diags).map(|s| (s, item.clone())))
            .collect(),
        Value::Str(s) => vec![(s.clone(), node.clone())],
        _ => {
            diags.push(
                Diagnostic::new(format!("expected a list of {what}, found {}", node.kind()))
                    .at(&node.loc),
            );
            Vec::new()
        }
    }
}

/// `N` (exactly N) or `{ min, max }` (either or both): bounds on a count or a length.
pub fn bounds(
    node: &Node,
    what: &'static str,
    diags: &mut Diagnostics,
) -> Option<(Option<u64>, Option<u64>)> {
    if let Value::Int(_) = node.value {
        let v = unsigned(node, what, diags)?;
        return Some((Some(v), Some(v)));
    }
    let mut f = Fields::new(node, what, diags)?;
    let min = f.get("min").and_then(|x| unsigned(x, "`min`", diags));
    let max = f.get("max").and_then(|x| unsigned(x, "`max`", diags));
    f.finish(diags);
    if min.is_none() && max.is_none() {
        diags.push(Diagnostic::new(format!("{what} needs `min` or `max`")).at(&node.loc));
        return None;
    }
    Some((min, max))
}

/// A list of strings, their positions dropped.
pub fn strings(node: &Node, what: &str, diags: &mut Diagnostics) -> Vec<String> {
    string_list(node, what, diags)
        .into_iter()
        .map(|(s, _)| s)
        .collect()
}

pub fn list<'n>(node: &'n Node, what: &str, diags: &mut Diagnostics) -> &'n [Node] {
    match &node.value {
        Value::Seq(items) => items,
        Value::Null => &[],
        _ => {
            diags.push(
                Diagnostic::new(format!("expected a list of {what}, found {}", node.kind()))
                    .at(&node.loc),
            );
            &[]
        }
    }
}

/// A mapping with free string keys (headers, query parameters).
pub fn string_map<'n>(
    node: &'n Node,
    what: &'static str,
    diags: &mut Diagnostics,
) -> Vec<(String, &'n Node)> {
    match &node.value {
        Value::Map(entries) => entries.iter().map(|(k, v)| (k.key_text(), v)).collect(),
        Value::Null => Vec::new(),
        _ => {
            diags.push(
                Diagnostic::new(format!(
                    "expected {what} (a mapping), found {}",
                    node.kind()
                ))
                .at(&node.loc),
            );
            Vec::new()
        }
    }
}
