//! Checks: one assertion each on a response.
//!
//! Every kind lives in its own file and implements [`CheckKind`]; the table
//! in [`KINDS`] maps the YAML key to its decoder. A check is decoded once at
//! load time (regexes, JSONPaths and schemas compiled then) and evaluated
//! against every response it applies to.

mod body;
mod header;
mod json;
mod schema;
pub mod select;
mod status;
mod time;

use std::fmt::Debug;

use serde_json::Value;

use crate::decode::Fields;
use crate::diag::{Diagnostic, Diagnostics, Loc, did_you_mean};
use crate::exchange::Response;
use crate::schemas::SchemaRegistry;
use crate::template::{Template, Vars};
use crate::yaml::{Node, Value as Y};

/// The raw outcome of a check, before the requirement's level decides its verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    /// The check could not judge: no answer, or an answer it cannot read.
    Error,
}

/// What a check found.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    pub message: String,
    pub expected: Option<Value>,
    pub actual: Option<Value>,
    /// Where in the response: a JSON Pointer, a header name, an XPath.
    pub at: Option<String>,
}

impl Outcome {
    pub fn pass(message: impl Into<String>) -> Self {
        Outcome {
            status: Status::Pass,
            message: message.into(),
            expected: None,
            actual: None,
            at: None,
        }
    }
    pub fn fail(message: impl Into<String>) -> Self {
        Outcome {
            status: Status::Fail,
            message: message.into(),
            expected: None,
            actual: None,
            at: None,
        }
    }
    pub fn error(message: impl Into<String>) -> Self {
        Outcome {
            status: Status::Error,
            message: message.into(),
            expected: None,
            actual: None,
            at: None,
        }
    }
    /// Pass or fail by `ok`.
    pub fn judge(ok: bool, message: impl Into<String>) -> Self {
        if ok {
            Outcome::pass(message)
        } else {
            Outcome::fail(message)
        }
    }
    pub fn expected(mut self, v: impl Into<Value>) -> Self {
        self.expected = Some(v.into());
        self
    }
    pub fn actual(mut self, v: impl Into<Value>) -> Self {
        self.actual = Some(v.into());
        self
    }
    pub fn at(mut self, at: impl Into<String>) -> Self {
        self.at = Some(at.into());
        self
    }
}

/// What a check may read besides the response.
pub struct EvalContext<'a> {
    pub vars: &'a dyn Vars,
    pub schemas: &'a SchemaRegistry,
}

/// One kind of check.
pub trait CheckKind: Debug + Send + Sync {
    /// The YAML key of the kind (`status`, `json`, …).
    fn name(&self) -> &'static str;
    fn evaluate(&self, response: &Response, cx: &EvalContext<'_>) -> Outcome;
    /// The templates the check renders, so their variables can be checked at load.
    fn templates(&self) -> Vec<&Template> {
        Vec::new()
    }
}

/// What decoders may consult.
pub struct DecodeContext<'a> {
    pub schemas: &'a SchemaRegistry,
}

type Decoder = fn(&Node, &DecodeContext<'_>, &mut Diagnostics) -> Option<Box<dyn CheckKind>>;

/// Every kind of check: its YAML key and its decoder. Add a kind here.
pub const KINDS: &[(&str, Decoder)] = &[
    ("status", status::decode),
    ("header", header::decode),
    ("json", json::decode),
    ("schema", schema::decode),
    ("body", body::decode),
    ("time", time::decode),
];

/// A check as written in a suite.
#[derive(Debug)]
pub struct Check {
    pub kind: Box<dyn CheckKind>,
    /// The one requirement this check tests, if it names one.
    pub requirement: Option<(String, Loc)>,
    pub loc: Loc,
}

/// Decode one entry of a step's `checks:` list.
pub fn decode(node: &Node, cx: &DecodeContext<'_>, diags: &mut Diagnostics) -> Option<Check> {
    let Y::Map(entries) = &node.value else {
        diags.push(
            Diagnostic::new(format!(
                "expected a check (a mapping such as `status: 200`), found {}",
                node.kind()
            ))
            .at(&node.loc),
        );
        return None;
    };
    let [(key, body)] = entries.as_slice() else {
        let names: Vec<String> = entries.iter().map(|(k, _)| k.key_text()).collect();
        diags.push(
            Diagnostic::new(format!(
                "a check has exactly one kind, found {}: {}",
                entries.len(),
                names.join(", ")
            ))
            .at(&node.loc)
            .with_help("write each check as its own list item"),
        );
        return None;
    };
    let name = key.key_text();
    let Some((_, decoder)) = KINDS.iter().find(|(k, _)| *k == name) else {
        let mut d = Diagnostic::new(format!("unknown check kind `{name}`")).at(&key.loc);
        d = match did_you_mean(&name, KINDS.iter().map(|(k, _)| *k)) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!(
                "the kinds are: {}",
                KINDS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
            )),
        };
        diags.push(d);
        return None;
    };
    // `requirement:` sits inside the kind's mapping; take it out before the kind reads the rest.
    let (requirement, body) = split_requirement(body, diags);
    let kind = decoder(&body, cx, diags)?;
    Some(Check {
        kind,
        requirement,
        loc: key.loc.clone(),
    })
}

fn split_requirement(node: &Node, diags: &mut Diagnostics) -> (Option<(String, Loc)>, Node) {
    let Y::Map(entries) = &node.value else {
        return (None, node.clone());
    };
    let mut requirement = None;
    let mut rest = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        if k.as_str() == Some("requirement") {
            if let Some(id) = crate::decode::string(v, "a requirement ID", diags) {
                requirement = Some((id, v.loc.clone()));
            }
        } else {
            rest.push((k.clone(), v.clone()));
        }
    }
    (
        requirement,
        Node {
            value: Y::Map(rest),
            loc: node.loc.clone(),
        },
    )
}

/// Read a check body that must be a mapping.
pub(crate) fn fields<'n>(
    node: &'n Node,
    what: &'static str,
    diags: &mut Diagnostics,
) -> Option<Fields<'n>> {
    Fields::new(node, what, diags)
}

/// Compile a regular expression written in a suite, reporting it at its node.
pub(crate) fn regex(node: &Node, diags: &mut Diagnostics) -> Option<regex::Regex> {
    let text = crate::decode::string(node, "a regular expression", diags)?;
    match regex::RegexBuilder::new(&text).size_limit(1 << 20).build() {
        Ok(re) => Some(re),
        Err(e) => {
            diags.push(Diagnostic::new(format!("invalid regular expression: {e}")).at(&node.loc));
            None
        }
    }
}

/// Render an expected value, turning a template failure into an `error` outcome.
pub(crate) fn expected(t: &Template, cx: &EvalContext<'_>) -> Result<Value, Outcome> {
    t.render(cx.vars)
        .map(|r| r.value)
        .map_err(|e| Outcome::error(format!("cannot compute the expected value: {e}")))
}

/// A short text form of a value for messages.
pub(crate) fn show(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    };
    if s.chars().count() > 120 {
        let cut: String = s.chars().take(117).collect();
        format!("{cut}…")
    } else {
        s
    }
}
