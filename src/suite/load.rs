//! Decoding catalogues and suites from the positioned YAML tree, every
//! problem reported at once.

use crate::check::{self, DecodeContext};
use crate::decode::{self, Fields};
use crate::diag::{Diagnostic, Diagnostics, Loc};
use crate::template::Template;
use crate::yaml::{Node, Value as Y};

use super::*;

pub const DOMAINS: [&str; 3] = ["eid", "data-exchange", "service-catalogue"];

fn id_like(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A requirement catalogue (`suites/<domain>/requirements.yaml`).
pub fn catalogue(root: &Node, file: &str, diags: &mut Diagnostics) -> Option<Catalogue> {
    let mut f = Fields::new(root, "a requirement catalogue", diags)?;
    let domain = f
        .required("domain", root, diags)
        .and_then(|n| domain_of(n, diags));
    let title = f
        .get("title")
        .and_then(|n| decode::string(n, "a title", diags))
        .unwrap_or_default();
    let mut requirements = Vec::new();
    if let Some(reqs) = f.required("requirements", root, diags)
        && let Some(rf) = Fields::new(
            reqs,
            "the requirements (a mapping from ID to requirement)",
            diags,
        )
    {
        for (key, value) in rf.entries() {
            let id = key.key_text();
            if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || id.is_empty() {
                diags.push(
                    Diagnostic::new(format!(
                        "`{id}` is not a requirement ID (letters, digits and `-`)"
                    ))
                    .at(&key.loc),
                );
                continue;
            }
            if let Some(r) = requirement(id, value, domain.clone().unwrap_or_default(), diags) {
                requirements.push(Requirement {
                    loc: Some(key.loc.clone()),
                    ..r
                });
            }
        }
    }
    f.finish(diags);
    Some(Catalogue {
        domain: domain?,
        title,
        file: file.to_string(),
        requirements,
    })
}

fn domain_of(n: &Node, diags: &mut Diagnostics) -> Option<String> {
    let d = decode::string(n, "a domain", diags)?;
    if !DOMAINS.contains(&d.as_str()) {
        let mut diag = Diagnostic::new(format!("unknown domain `{d}`")).at(&n.loc);
        diag = match crate::diag::did_you_mean(&d, DOMAINS) {
            Some(s) => diag.with_help(format!("did you mean `{s}`?")),
            None => diag.with_help(format!("the domains are {}", DOMAINS.join(", "))),
        };
        diags.push(diag);
        return None;
    }
    Some(d)
}

fn requirement(
    id: String,
    node: &Node,
    domain: String,
    diags: &mut Diagnostics,
) -> Option<Requirement> {
    let mut f = Fields::new(node, "a requirement", diags)?;
    let level = f.required("level", node, diags).and_then(|n| {
        let s = decode::string(n, "a level", diags)?;
        let level = Level::parse(&s);
        if level.is_none() {
            diags.push(
                Diagnostic::new(format!("unknown level `{s}`"))
                    .at(&n.loc)
                    .with_help(
                        "levels are MUST, SHOULD, MAY; keep the original keyword in `label`",
                    ),
            );
        }
        level
    });
    let statement = f
        .required("statement", node, diags)
        .and_then(|n| decode::string(n, "a statement", diags));
    let label = f
        .get("label")
        .and_then(|n| decode::string(n, "a label", diags));
    let note = f
        .get("note")
        .and_then(|n| decode::string(n, "a note", diags));
    let source = f
        .required("source", node, diags)
        .and_then(|n| source_ref(n, diags));
    f.finish(diags);
    Some(Requirement {
        id,
        domain,
        level: level?,
        statement: statement?,
        source: source?,
        label,
        note,
        loc: None,
    })
}

fn source_ref(node: &Node, diags: &mut Diagnostics) -> Option<SourceRef> {
    let mut f = Fields::new(node, "a source", diags)?;
    let spec = f
        .required("spec", node, diags)
        .and_then(|n| decode::string(n, "a spec name", diags));
    let version = f
        .get("version")
        .and_then(|n| decode::string(n, "a version", diags));
    let section = f
        .get("section")
        .and_then(|n| decode::string(n, "a section", diags));
    let url = f.get("url").and_then(|n| decode::string(n, "a URL", diags));
    f.finish(diags);
    Some(SourceRef {
        spec: spec?,
        version,
        section,
        url,
    })
}

/// A suite file.
/// A long suite's cases are decoded in parts side by side, each part at
/// least this long.
const CASES_PER_PART: usize = 128;

/// A suite's cases in order, with their diagnostics in order.
fn cases(list: &[Node], cx: &DecodeContext<'_>, diags: &mut Diagnostics) -> Vec<Case> {
    let parts = crate::parallel::in_parts(list, CASES_PER_PART, |part| {
        let mut local = Diagnostics::default();
        let cases: Vec<_> = part
            .iter()
            .filter_map(|c| case(c, cx, &mut local))
            .collect();
        (cases, local)
    });
    let mut all = Vec::new();
    for (cases, local) in parts {
        all.extend(cases);
        diags.extend(local);
    }
    all
}

pub fn suite(
    root: &Node,
    file: &str,
    cx: &DecodeContext<'_>,
    diags: &mut Diagnostics,
) -> Option<Suite> {
    let mut f = Fields::new(root, "a suite", diags)?;
    let id = f.required("suite", root, diags).and_then(|n| {
        let s = decode::string(n, "a suite ID", diags)?;
        if !id_like(&s) {
            diags.push(
                Diagnostic::new(format!(
                    "suite ID `{s}` should use lower-case letters, digits and `-`"
                ))
                .at(&n.loc),
            );
        }
        Some(s)
    });
    let domain = f
        .required("domain", root, diags)
        .and_then(|n| domain_of(n, diags));
    let title = f
        .required("title", root, diags)
        .and_then(|n| decode::string(n, "a title", diags));
    let spec = f
        .get("spec")
        .and_then(|n| spec_ref(n, diags))
        .unwrap_or_default();
    let applies_to = f
        .get("applies_to")
        .map(|n| decode::strings(n, "capabilities", diags))
        .unwrap_or_default();
    let requirements = f
        .get("requirements")
        .map(|n| id_list(n, diags))
        .unwrap_or_default();
    let cases = f
        .required("cases", root, diags)
        .map(|n| cases(decode::list(n, "cases", diags), cx, diags))
        .map(tight)
        .unwrap_or_default();
    f.finish(diags);
    Some(Suite {
        id: id?,
        domain: domain?,
        title: title?,
        spec,
        applies_to,
        requirements,
        cases,
        file: file.to_string(),
        loc: root.loc.clone(),
    })
}

fn spec_ref(node: &Node, diags: &mut Diagnostics) -> Option<SpecRef> {
    let mut f = Fields::new(node, "a spec reference", diags)?;
    let name = f
        .required("name", node, diags)
        .and_then(|n| decode::string(n, "a name", diags));
    let version = f
        .get("version")
        .and_then(|n| decode::string(n, "a version", diags));
    let url = f.get("url").and_then(|n| decode::string(n, "a URL", diags));
    f.finish(diags);
    Some(SpecRef {
        name: name?,
        version,
        url,
    })
}

fn id_list(node: &Node, diags: &mut Diagnostics) -> Vec<(String, Loc)> {
    tight(
        decode::string_list(node, "requirement IDs", diags)
            .into_iter()
            .map(|(s, n)| (s, n.loc))
            .collect(),
    )
}

/// A list without spare capacity: a collected `filter_map` reserves room
/// for four, and a project of ten thousand one-step cases keeps every list
/// for the whole run.
fn tight<T>(mut list: Vec<T>) -> Vec<T> {
    list.shrink_to_fit();
    list
}

fn case(node: &Node, cx: &DecodeContext<'_>, diags: &mut Diagnostics) -> Option<Case> {
    let mut f = Fields::new(node, "a case", diags)?;
    let id = f.required("id", node, diags).and_then(|n| {
        let s = decode::string(n, "a case ID", diags)?;
        if !id_like(&s) {
            diags.push(
                Diagnostic::new(format!(
                    "case ID `{s}` should use lower-case letters, digits and `-`"
                ))
                .at(&n.loc),
            );
        }
        Some(s)
    });
    let title = f
        .required("title", node, diags)
        .and_then(|n| decode::string(n, "a title", diags));
    let tags = f
        .get("tags")
        .map(|n| decode::strings(n, "tags", diags))
        .unwrap_or_default();
    let requirements = f
        .get("requirements")
        .map(|n| id_list(n, diags))
        .unwrap_or_default();
    let needs = f
        .get("needs")
        .map(|n| decode::strings(n, "capabilities", diags))
        .unwrap_or_default();
    let for_each = f.get("for_each").and_then(|n| {
        let s = decode::string(n, "a profile list such as `profile.languages`", diags)?;
        let path: Vec<String> = s.split('.').map(str::to_string).collect();
        if path.len() < 2 || path[0] != "profile" || path.iter().any(String::is_empty) {
            diags.push(
                Diagnostic::new(format!("`for_each: {s}` names no profile list"))
                    .at(&n.loc)
                    .with_help("write a path such as `profile.languages`"),
            );
            return None;
        }
        Some((path, n.loc.clone()))
    });
    let steps: Vec<Step> = f
        .required("steps", node, diags)
        .map(|n| {
            decode::list(n, "steps", diags)
                .iter()
                .filter_map(|s| step(s, cx, diags))
                .collect::<Vec<_>>()
        })
        .map(tight)
        .unwrap_or_default();
    f.finish(diags);
    if steps.is_empty() && id.is_some() {
        diags.push(Diagnostic::new("a case needs at least one step").at(&node.loc));
    }
    Some(Case {
        id: id?,
        title: title?,
        tags,
        requirements,
        needs,
        for_each,
        steps,
        loc: node.loc.clone(),
    })
}

fn step(node: &Node, cx: &DecodeContext<'_>, diags: &mut Diagnostics) -> Option<Step> {
    let mut f = Fields::new(node, "a step", diags)?;
    let name = f
        .get("name")
        .and_then(|n| decode::string(n, "a name", diags));
    let request = f
        .required("request", node, diags)
        .and_then(|n| request(n, diags));
    let checks = f
        .get("checks")
        .map(|n| {
            decode::list(n, "checks", diags)
                .iter()
                .filter_map(|c| check::decode(c, cx, diags))
                .collect::<Vec<_>>()
        })
        .map(tight)
        .unwrap_or_default();
    let captures = f
        .get("captures")
        .map(|n| {
            decode::string_map(n, "captures", diags)
                .into_iter()
                .filter_map(|(k, v)| capture(k, v, diags))
                .collect()
        })
        .unwrap_or_default();
    let repeat = f
        .get("repeat")
        .and_then(|n| repeat(n, cx, diags))
        .map(Box::new);
    f.finish(diags);
    Some(Step {
        name,
        request: request?,
        checks,
        captures,
        repeat,
        loc: node.loc.clone(),
    })
}

fn repeat(node: &Node, cx: &DecodeContext<'_>, diags: &mut Diagnostics) -> Option<Repeat> {
    let mut f = Fields::new(node, "a repeat (`until` and `max`)", diags)?;
    let until = f
        .required("until", node, diags)
        .and_then(|n| check::decode(n, cx, diags));
    let max = f.required("max", node, diags).and_then(|n| {
        let m = decode::unsigned(n, "`max` (the most rounds)", diags)?;
        if m == 0 || m > u64::from(MAX_REPEAT) {
            diags.push(Diagnostic::new(format!("`max` is between 1 and {MAX_REPEAT}")).at(&n.loc));
            return None;
        }
        Some(m as u32)
    });
    f.finish(diags);
    let until = until?;
    if let Some((_, loc)) = &until.requirement {
        diags.push(
            Diagnostic::new("the `until` of a repeat decides when to stop; it gives no evidence and names no requirement")
                .at(loc),
        );
    }
    Some(Repeat {
        until,
        max: max?,
        loc: node.loc.clone(),
    })
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

fn request(node: &Node, diags: &mut Diagnostics) -> Option<RequestSpec> {
    let mut f = Fields::new(node, "a request", diags)?;
    let method = match f.get("method") {
        Some(n) => decode::string(n, "an HTTP method", diags).and_then(|m| {
            let m = m.to_ascii_uppercase();
            if METHODS.contains(&m.as_str()) {
                Some(m)
            } else {
                diags.push(
                    Diagnostic::new(format!("unknown HTTP method `{m}`"))
                        .at(&n.loc)
                        .with_help(format!("one of {}", METHODS.join(", "))),
                );
                None
            }
        }),
        None => Some("GET".to_string()),
    };
    let url = f.required("url", node, diags).and_then(|n| {
        decode::string(n, "a URL", diags)?;
        Some(Template::from_node(n, diags))
    });
    let pairs =
        |n: &Node, what: &'static str, diags: &mut Diagnostics| -> Vec<(String, Template)> {
            decode::string_map(n, what, diags)
                .into_iter()
                .map(|(k, v)| (k, Template::from_node(v, diags)))
                .collect()
        };
    let query = f
        .get("query")
        .map(|n| pairs(n, "query parameters", diags))
        .unwrap_or_default();
    let headers = f
        .get("headers")
        .map(|n| pairs(n, "headers", diags))
        .unwrap_or_default();
    let mut bodies = Vec::new();
    if let Some(n) = f.get("json") {
        bodies.push(BodySpec::Json(Template::from_node(n, diags)));
    }
    if let Some(n) = f.get("text") {
        decode::string(n, "a text body", diags);
        bodies.push(BodySpec::Text(Template::from_node(n, diags)));
    }
    if let Some(n) = f.get("form") {
        bodies.push(BodySpec::Form(pairs(n, "form fields", diags)));
    }
    if bodies.len() > 1 {
        diags.push(
            Diagnostic::new("a request has at most one body: json, text or form").at(&node.loc),
        );
    }
    let follow_redirects = f
        .get("follow_redirects")
        .and_then(|n| decode::boolean(n, "`follow_redirects`", diags))
        .unwrap_or(false);
    let timeout_ms = f
        .get("timeout_ms")
        .and_then(|n| decode::unsigned(n, "`timeout_ms`", diags));
    f.finish(diags);
    Some(RequestSpec {
        method: method?,
        url: url?,
        query,
        headers,
        body: bodies.into_iter().next(),
        follow_redirects,
        timeout_ms,
        loc: node.loc.clone(),
    })
}

fn capture(name: String, node: &Node, diags: &mut Diagnostics) -> Option<Capture> {
    let default_secret = secret_by_name(&name);
    if let Y::Str(text) = &node.value {
        let selector = check::select::Selector::parse(text, &node.loc, diags)?;
        return Some(Capture {
            name,
            source: CaptureSource::Json {
                selector,
                all: false,
            },
            secret: default_secret,
            loc: node.loc.clone(),
        });
    }
    let mut f = Fields::new(
        node,
        "a capture (a JSONPath, or a mapping with `path`, `xpath` or `header`)",
        diags,
    )?;
    let path = f.get("path");
    let xpath = f.get("xpath");
    let namespaces = f.get("namespaces");
    let header = f.get("header");
    let all = f
        .get("all")
        .and_then(|n| decode::boolean(n, "`all`", diags))
        .unwrap_or(false);
    let secret = f
        .get("secret")
        .and_then(|n| decode::boolean(n, "`secret`", diags));
    f.finish(diags);
    if let (Some(n), None) = (namespaces, xpath) {
        diags.push(
            Diagnostic::new("`namespaces` binds the prefixes of an `xpath`; this capture has none")
                .at(&n.loc),
        );
    }
    let source = match (path, xpath, header) {
        (None, Some(x), None) => CaptureSource::Xml {
            xpath: check::xml::XPath::decode(x, namespaces, diags)?,
            all,
        },
        (Some(p), None, None) => {
            let text = decode::string(p, "a JSONPath", diags)?;
            CaptureSource::Json {
                selector: check::select::Selector::parse(&text, &p.loc, diags)?,
                all,
            }
        }
        (None, None, Some(h)) => {
            let h = decode::string(h, "a header name", diags)?;
            let by_header = secret_by_name(&h);
            return Some(Capture {
                name,
                source: CaptureSource::Header(h),
                secret: secret.unwrap_or(default_secret || by_header),
                loc: node.loc.clone(),
            });
        }
        _ => {
            diags.push(
                Diagnostic::new("a capture takes exactly one of `path`, `xpath` or `header`")
                    .at(&node.loc),
            );
            return None;
        }
    };
    Some(Capture {
        name,
        source,
        secret: secret.unwrap_or(default_secret),
        loc: node.loc.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceFile;
    use crate::schemas::SchemaRegistry;

    /// A long suite is decoded in parts side by side: its cases and their
    /// problems still come in the order of the file.
    #[test]
    fn a_long_suite_keeps_the_order_of_its_cases_and_problems() {
        let n = CASES_PER_PART * 4 + 7;
        let mut text = String::from(
            "suite: long\ndomain: eid\ntitle: Long\nspec: { name: s, version: \"1\", url: https://s.example }\ncases:\n",
        );
        for i in 0..n {
            // Every hundredth case has a check of an unknown kind.
            let kind = if i % 100 == 0 { "stat" } else { "status" };
            text.push_str(&format!(
                "  - id: c-{i}\n    title: Case {i}\n    steps:\n      - request: {{ url: \"https://x.example/{i}\" }}\n        checks:\n          - {kind}: 200\n"
            ));
        }
        let node = crate::yaml::parse(&SourceFile::new("suites/long.yaml", text)).unwrap();
        let mut diags = Diagnostics::default();
        let schemas = SchemaRegistry::new(&[], &mut diags);
        let cx = DecodeContext { schemas: &schemas };
        let suite = suite(&node, "suites/long.yaml", &cx, &mut diags).unwrap();
        let ids: Vec<_> = suite.cases.iter().map(|c| c.id.clone()).collect();
        let all: Vec<_> = (0..n).map(|i| format!("c-{i}")).collect();
        assert_eq!(ids, all);
        let lines: Vec<u32> = diags
            .0
            .iter()
            .filter_map(|d| d.loc.as_ref().map(|l| l.line))
            .collect();
        assert_eq!(lines.len(), n.div_ceil(100), "{:?}", diags.0);
        assert!(lines.windows(2).all(|w| w[0] < w[1]), "{lines:?}");
    }
}
