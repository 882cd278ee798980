//! Checks: one assertion each on a response.
//!
//! Every kind lives in its own file and implements [`CheckKind`]; the table
//! in [`KINDS`] maps the YAML key to its decoder. A check is decoded once at
//! load time (regexes, JSONPaths and schemas compiled then) and evaluated
//! against every response it applies to.

mod body;
mod certificate;
mod header;
mod identifier;
mod json;
mod jwks;
mod schema;
pub mod select;
mod soap;
mod status;
mod time;
pub mod xml;

use std::borrow::Cow;
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
    /// The request the answer is to, when one was sent (a SOAP answer echoes its header).
    pub request: Option<&'a crate::exchange::Request>,
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
    ("identifier", identifier::decode),
    ("jwks", jwks::decode),
    ("xml", xml::decode),
    ("certificate", certificate::decode),
    ("soap", soap::decode),
];

/// A check as written in a suite.
#[derive(Debug)]
pub struct Check {
    pub kind: Box<dyn CheckKind>,
    /// The one requirement this check tests, if it names one.
    pub requirement: Option<(String, Loc)>,
    /// For a multipart answer: the part the check reads.
    pub part: Option<Part>,
    /// `when: <check>`: judge this check only on answers where that one holds
    /// (`{ body: { contains: maintenance }, when: { status: 503 } }`).
    pub when: Option<Box<Check>>,
    pub loc: Loc,
}

/// `part: 2` (the second part) or `part: "text/xml"` (the first part of that content type).
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Position(usize),
    ContentType(String),
}

impl Check {
    /// Evaluate on the answer, or on the part of it the check names, when its condition holds.
    pub fn evaluate(&self, response: &Response, cx: &EvalContext<'_>) -> Outcome {
        if let Some(when) = &self.when {
            let o = when.evaluate(response, cx);
            if o.status != Status::Pass {
                return Outcome::pass(format!(
                    "not judged: its `when` does not hold ({})",
                    o.message
                ));
            }
        }
        self.evaluate_unconditionally(response, cx)
    }

    /// Every template of the check and of its condition.
    pub fn templates(&self) -> Vec<&Template> {
        let mut out = self.kind.templates();
        if let Some(w) = &self.when {
            out.extend(w.templates());
        }
        out
    }

    fn evaluate_unconditionally(&self, response: &Response, cx: &EvalContext<'_>) -> Outcome {
        let Some(part) = &self.part else {
            return self.kind.evaluate(response, cx);
        };
        // Not multipart when a part is asked for: the answer breaks the spec.
        let parts = match response.parts() {
            Ok(p) => p,
            Err(e) => return Outcome::fail(e.to_string()),
        };
        let chosen = match part {
            Part::Position(n) => parts.get(n.saturating_sub(1)),
            Part::ContentType(ct) => parts.iter().find(|p| {
                p.header("content-type")
                    .is_some_and(|v| v.to_ascii_lowercase().starts_with(&ct.to_ascii_lowercase()))
            }),
        };
        match chosen {
            Some(p) => {
                let mut o = self.kind.evaluate(p, cx);
                o.message = format!("{} (in {})", o.message, describe_part(part));
                o
            }
            None => Outcome::fail(format!(
                "the answer has {} part(s) and no {}",
                parts.len(),
                describe_part(part)
            )),
        }
    }
}

fn describe_part(part: &Part) -> String {
    match part {
        Part::Position(n) => format!("part {n}"),
        Part::ContentType(ct) => format!("part of type {ct}"),
    }
}

/// One key and its value in a YAML mapping.
type Entry = (Node, Node);

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
    // `requirement:` and `part:` may also stand beside the kind (`{ status: 200, requirement: X }`);
    // `when:` stands only there.
    let (beside, kinds): (Vec<&Entry>, Vec<&Entry>) = entries
        .iter()
        .partition(|(k, _)| matches!(k.as_str(), Some("requirement" | "part" | "when")));
    let (when_entry, beside): (Vec<&Entry>, Vec<&Entry>) = beside
        .into_iter()
        .partition(|(k, _)| k.as_str() == Some("when"));
    let when = match when_entry.first() {
        None => None,
        Some((_, w)) => {
            let inner = decode(w, cx, diags)?;
            if inner.requirement.is_some() {
                diags.push(
                    Diagnostic::new("a `when` condition names no requirement: it decides whether the check is judged, and gives no evidence")
                        .at(&w.loc),
                );
                return None;
            }
            Some(Box::new(inner))
        }
    };
    let [(key, body)] = kinds.as_slice() else {
        let names: Vec<String> = kinds.iter().map(|(k, _)| k.key_text()).collect();
        diags.push(
            Diagnostic::new(format!(
                "a check has exactly one kind, found {}: {}",
                kinds.len(),
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
    // `requirement:` and `part:` sit inside the kind's mapping; take them out before the kind reads the rest.
    let (mut common, body) = split_common(body, diags);
    if !beside.is_empty() {
        let (outside, _) = split_common(
            &Node {
                value: Y::Map(beside.into_iter().cloned().collect()),
                loc: node.loc.clone(),
            },
            diags,
        );
        common.requirement = common.requirement.or(outside.requirement);
        common.part = common.part.or(outside.part);
    }
    let kind = decoder(&body, cx, diags)?;
    Some(Check {
        kind,
        requirement: common.requirement,
        part: common.part,
        when,
        loc: key.loc.clone(),
    })
}

/// The keys every check kind accepts.
#[derive(Default)]
struct Common {
    requirement: Option<(String, Loc)>,
    part: Option<Part>,
}

/// `node` without its `requirement:` and `part:`, which go to [`Common`];
/// borrowed as it is when it has neither, as most checks do.
fn split_common<'n>(node: &'n Node, diags: &mut Diagnostics) -> (Common, Cow<'n, Node>) {
    let mut common = Common::default();
    let Y::Map(entries) = &node.value else {
        return (common, Cow::Borrowed(node));
    };
    if !entries
        .iter()
        .any(|(k, _)| matches!(k.as_str(), Some("requirement" | "part")))
    {
        return (common, Cow::Borrowed(node));
    }
    let mut rest = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        match k.as_str() {
            Some("requirement") => {
                if let Some(id) = crate::decode::string(v, "a requirement ID", diags) {
                    common.requirement = Some((id, v.loc.clone()));
                }
            }
            Some("part") => match &v.value {
                Y::Int(n) if *n >= 1 => common.part = Some(Part::Position(*n as usize)),
                Y::Str(ct) if !ct.is_empty() => common.part = Some(Part::ContentType(ct.clone())),
                _ => diags.push(
                    Diagnostic::new(format!(
                        "expected a part: its position from 1, or a content type; found {}",
                        v.kind()
                    ))
                    .at(&v.loc),
                ),
            },
            _ => rest.push((k.clone(), v.clone())),
        }
    }
    (
        common,
        Cow::Owned(Node {
            value: Y::Map(rest),
            loc: node.loc.clone(),
        }),
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

/// The regex of an operator, if written. One that does not compile is
/// reported here and marks the check `refused`, so that it is not also told
/// it lacks an operator.
pub(crate) fn regex_operator(
    node: Option<&Node>,
    refused: &mut bool,
    diags: &mut Diagnostics,
) -> Option<regex::Regex> {
    let re = regex(node?, diags);
    *refused |= re.is_none();
    re
}

/// The operators a check was given; `None` when it has none, with a
/// diagnostic naming the ones there are unless an operator was written and
/// refused (its own diagnostic says why).
pub(crate) fn require_operators<T>(
    ops: Vec<T>,
    refused: bool,
    kind: &str,
    known: &str,
    node: &Node,
    diags: &mut Diagnostics,
) -> Option<Vec<T>> {
    if !ops.is_empty() {
        return Some(ops);
    }
    if !refused {
        diags.push(
            Diagnostic::new(format!("{kind} needs an operator"))
                .at(&node.loc)
                .with_help(known.to_string()),
        );
    }
    None
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
