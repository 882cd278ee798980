//! The suite model: requirements and their catalogues, suites, cases, steps.
//! Knows nothing of HTTP; loaded from YAML by [`load`], cross-checked by [`lint`].

pub mod lint;
pub mod load;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::check::Check;
use crate::diag::Loc;
use crate::template::Template;

/// RFC 2119 level of a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Level {
    #[serde(rename = "MUST")]
    Must,
    #[serde(rename = "SHOULD")]
    Should,
    #[serde(rename = "MAY")]
    May,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "MUST" => Some(Level::Must),
            "SHOULD" => Some(Level::Should),
            "MAY" => Some(Level::May),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

/// Where a requirement comes from.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct SourceRef {
    pub spec: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One normative statement with a stable ID.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    pub id: String,
    pub domain: String,
    pub level: Level,
    pub statement: String,
    pub source: SourceRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip)]
    pub loc: Option<Loc>,
}

/// A domain's catalogue of requirements.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub domain: String,
    pub title: String,
    pub file: String,
    pub requirements: Vec<Requirement>,
}

/// All catalogues, by requirement ID.
#[derive(Debug, Default, Clone)]
pub struct Requirements {
    pub by_id: BTreeMap<String, Requirement>,
    pub domains: BTreeMap<String, String>,
}

impl Requirements {
    pub fn get(&self, id: &str) -> Option<&Requirement> {
        self.by_id.get(id)
    }
}

/// The specification a suite tests.
#[derive(Debug, Clone, Serialize, Default)]
pub struct SpecRef {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One YAML file: one specification or profile of it.
#[derive(Debug)]
pub struct Suite {
    pub id: String,
    pub domain: String,
    pub title: String,
    pub spec: SpecRef,
    /// Capabilities a country must declare for the suite to apply.
    pub applies_to: Vec<String>,
    pub requirements: Vec<(String, Loc)>,
    pub cases: Vec<Case>,
    /// The file as the user sees it.
    pub file: String,
    pub loc: Loc,
}

#[derive(Debug)]
pub struct Case {
    pub id: String,
    pub title: String,
    pub tags: Vec<String>,
    pub requirements: Vec<(String, Loc)>,
    /// Extra capabilities this case needs.
    pub needs: Vec<String>,
    /// Repeat the case once per element of this profile list (`profile.languages`).
    pub for_each: Option<(Vec<String>, Loc)>,
    pub steps: Vec<Step>,
    pub loc: Loc,
}

#[derive(Debug)]
pub struct Step {
    pub name: Option<String>,
    pub request: RequestSpec,
    pub checks: Vec<Check>,
    pub captures: Vec<Capture>,
    /// Send the request again until a condition holds (paging), at most `max` times.
    /// Boxed: few steps repeat, and every step of a large suite pays for the room.
    pub repeat: Option<Box<Repeat>>,
    pub loc: Loc,
}

/// `repeat: { until: <check>, max: N }`: the step runs with `repeat.index`
/// = 1, 2, … until the `until` check passes on an answer; its own captures
/// carry from one round to the next.
#[derive(Debug)]
pub struct Repeat {
    pub until: Check,
    pub max: u32,
    pub loc: Loc,
}

/// The most rounds a repeating step may ask for.
pub const MAX_REPEAT: u32 = 1000;

#[derive(Debug)]
pub struct RequestSpec {
    pub method: String,
    pub url: Template,
    pub query: Vec<(String, Template)>,
    pub headers: Vec<(String, Template)>,
    pub body: Option<BodySpec>,
    pub follow_redirects: bool,
    pub timeout_ms: Option<u64>,
    pub loc: Loc,
}

#[derive(Debug)]
pub enum BodySpec {
    Json(Template),
    Text(Template),
    Form(Vec<(String, Template)>),
}

/// A value taken from a response for later steps.
#[derive(Debug)]
pub struct Capture {
    pub name: String,
    pub source: CaptureSource,
    pub secret: bool,
    pub loc: Loc,
}

#[derive(Debug)]
pub enum CaptureSource {
    /// A JSON selection; `all` keeps every selected value as an array.
    Json {
        selector: crate::check::select::Selector,
        all: bool,
    },
    /// An XPath selection on an XML answer: the text of the first item, or of every one with `all`.
    Xml {
        xpath: crate::check::xml::XPath,
        all: bool,
    },
    Header(String),
}

/// Whether a capture is secret by default: credentials and anything named like a token.
pub fn secret_by_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "authorization" || n == "set-cookie" || n.contains("token")
}

impl Step {
    /// Every template of the step, request and checks, for variable checks.
    pub fn templates(&self) -> Vec<&Template> {
        let r = &self.request;
        let mut out = vec![&r.url];
        out.extend(r.query.iter().map(|(_, t)| t));
        out.extend(r.headers.iter().map(|(_, t)| t));
        match &r.body {
            Some(BodySpec::Json(t)) | Some(BodySpec::Text(t)) => out.push(t),
            Some(BodySpec::Form(f)) => out.extend(f.iter().map(|(_, t)| t)),
            None => {}
        }
        for c in &self.checks {
            out.extend(c.templates());
        }
        if let Some(r) = &self.repeat {
            out.extend(r.until.templates());
        }
        for c in &self.captures {
            if let CaptureSource::Xml { xpath, .. } = &c.source {
                out.push(xpath.template());
            }
        }
        out
    }
}
