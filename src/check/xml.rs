//! `xml: { path, namespaces, <operators>… }`: XPath 3.1 assertions on an XML
//! answer (SAML metadata, SOAP envelopes, WSDL).
//!
//! Prefixes in a path are bound to namespace URIs by the check (a table of
//! well-known ones, extended or overridden by `namespaces:`), never by the
//! prefixes the document happens to use: real metadata writes `md:`,
//! `saml2md:` or a default namespace for the same elements.
//!
//! The XPath engine's compiled queries and trees are not `Send`, so a path is
//! compiled at load time to report mistakes there, and once more per thread
//! when it is judged; the answer is parsed once for all the checks of a step.

use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use xee_xpath::context::StaticContextBuilder;

use xee_xpath::query::SequenceQuery;
use xee_xpath::{Documents, Queries, Query};

use super::{CheckKind, DecodeContext, EvalContext, Outcome};
use crate::diag::{Diagnostic, Diagnostics};
use crate::exchange::Response;
use crate::template::{Found, Template, Vars};
use crate::yaml::Node;

/// Prefixes every XML check knows without declaring them.
pub const KNOWN_NAMESPACES: &[(&str, &str)] = &[
    ("md", "urn:oasis:names:tc:SAML:2.0:metadata"),
    ("saml", "urn:oasis:names:tc:SAML:2.0:assertion"),
    ("ds", "http://www.w3.org/2000/09/xmldsig#"),
    ("mdui", "urn:oasis:names:tc:SAML:metadata:ui"),
    ("mdattr", "urn:oasis:names:tc:SAML:metadata:attribute"),
    ("alg", "urn:oasis:names:tc:SAML:metadata:algsupport"),
    ("eidas", "http://eidas.europa.eu/saml-extensions"),
    ("soap", "http://schemas.xmlsoap.org/soap/envelope/"),
    ("xroad", "http://x-road.eu/xsd/xroad.xsd"),
    ("id", "http://x-road.eu/xsd/identifiers"),
    ("wsdl", "http://schemas.xmlsoap.org/wsdl/"),
    ("wsdlsoap", "http://schemas.xmlsoap.org/wsdl/soap/"),
    ("xsd", "http://www.w3.org/2001/XMLSchema"),
];

/// An XPath with its namespace bindings. It may hold `{{ … }}` templates
/// (`//md:EntityDescriptor[@entityID = '{{ profile.saml.entity_id }}']`),
/// rendered before it is compiled.
#[derive(Debug, Clone)]
pub struct XPath {
    template: Template,
    /// As written, for messages.
    source: String,
    namespaces: Vec<(String, String)>,
}

/// Fills every variable with a name, to compile a templated path at load.
struct Placeholders;
impl Vars for Placeholders {
    fn lookup(&self, _: &[String]) -> Result<Option<Found>, String> {
        Ok(Some(Found {
            value: Value::String("x".into()),
            secret: false,
        }))
    }
}

impl XPath {
    /// Read `path` (and `namespaces`, if given) from a check's fields.
    pub fn decode(
        path: &Node,
        namespaces: Option<&Node>,
        diags: &mut Diagnostics,
    ) -> Option<XPath> {
        let source = crate::decode::string(path, "an XPath", diags)?;
        let mut bound: Vec<(String, String)> = KNOWN_NAMESPACES
            .iter()
            .map(|(p, u)| (p.to_string(), u.to_string()))
            .collect();
        if let Some(n) = namespaces {
            for (prefix, uri_node) in crate::decode::string_map(n, "namespace URIs", diags) {
                let Some(uri) = crate::decode::string(uri_node, "a namespace URI", diags) else {
                    continue;
                };
                if uri.is_empty() {
                    diags.push(
                        Diagnostic::new(format!("prefix `{prefix}` is bound to an empty URI"))
                            .at(&uri_node.loc),
                    );
                    continue;
                }
                bound.retain(|(p, _)| *p != prefix);
                bound.push((prefix, uri));
            }
        }
        let before = diags.len();
        let template = Template::from_node(path, diags);
        if diags.len() > before {
            return None;
        }
        let xpath = XPath {
            template,
            source,
            namespaces: bound,
        };
        if let Err(e) = xpath.render(&Placeholders).and_then(|t| xpath.compile(&t)) {
            diags.push(
                Diagnostic::new(format!("invalid XPath `{}`: {e}", xpath.source))
                    .at(&path.loc)
                    .with_help(format!(
                        "prefixes known without `namespaces:` are {}",
                        KNOWN_NAMESPACES
                            .iter()
                            .map(|(p, _)| *p)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
            );
            return None;
        }
        Some(xpath)
    }

    pub fn text(&self) -> &str {
        &self.source
    }

    pub fn template(&self) -> &Template {
        &self.template
    }

    fn render(&self, vars: &dyn Vars) -> Result<String, String> {
        let r = self.template.render(vars)?;
        Ok(match r.value {
            Value::String(s) => s,
            other => other.to_string(),
        })
    }

    fn compile(&self, text: &str) -> Result<SequenceQuery, String> {
        let mut builder = StaticContextBuilder::default();
        builder.namespaces(
            self.namespaces
                .iter()
                .map(|(p, u)| (p.as_str(), u.as_str())),
        );
        Queries::new(builder)
            .sequence(text)
            .map_err(|e| explain(&e, text))
    }

    /// [`Self::compile`], once per thread for each rendered path: a path
    /// judged on every case of a run is compiled once, not once per answer.
    fn compiled(&self, text: &str) -> Result<Rc<SequenceQuery>, String> {
        thread_local! {
            static COMPILED: RefCell<HashMap<CompiledKey, Rc<SequenceQuery>>> =
                RefCell::new(HashMap::new());
        }
        let key = (text.to_string(), self.namespaces.clone());
        if let Some(q) = COMPILED.with(|c| c.borrow().get(&key).cloned()) {
            return Ok(q);
        }
        let q = Rc::new(self.compile(text)?);
        COMPILED.with(|c| {
            let mut c = c.borrow_mut();
            // Templated paths render differently per case; keep the cache bounded.
            if c.len() >= 1024 {
                c.clear();
            }
            c.insert(key, q.clone());
        });
        Ok(q)
    }

    /// The string value of every item the path selects in `xml`, in document order.
    pub fn strings(&self, xml: &str, vars: &dyn Vars) -> Result<Vec<String>, String> {
        let text = self.render(vars)?;
        let query = self
            .compiled(&text)
            .map_err(|e| format!("`{text}` is not a valid XPath: {e}"))?;
        with_document(xml, |documents, doc| {
            let sequence = query
                .execute(documents, doc)
                .map_err(|e| format!("`{text}` cannot be evaluated: {}", explain(&e, &text)))?;
            let xot = documents.xot();
            sequence
                .iter()
                .map(|item| {
                    item.string_value(xot)
                        .map_err(|e| format!("`{text}` selected a value with no text ({e})"))
                })
                .collect()
        })
    }
}

/// A rendered path and its namespace bindings.
type CompiledKey = (String, Vec<(String, String)>);

/// The last document parsed on this thread: its text, and the parsed tree or why there is none.
type Parsed = (
    String,
    Result<(Documents, xee_xpath::DocumentHandle), String>,
);

thread_local! {
    // The checks of a step are judged one after another on one thread, so the
    // answer they share is parsed once, like `Response::json`. (The engine's
    // trees are not `Send`, so they cannot live in the response itself.)
    static LAST: RefCell<Option<Parsed>> = const { RefCell::new(None) };
}

/// Run `f` on the parsed `xml`, parsing it only if it is not the last document parsed here.
fn with_document<T>(
    xml: &str,
    f: impl FnOnce(&mut Documents, xee_xpath::DocumentHandle) -> Result<T, String>,
) -> Result<T, String> {
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if !matches!(&*last, Some((text, _)) if text == xml) {
            let mut documents = Documents::new();
            let parsed = parse(&mut documents, xml).map(|doc| (documents, doc));
            *last = Some((xml.to_string(), parsed));
        }
        match last.as_mut() {
            Some((_, Ok((documents, doc)))) => f(documents, *doc),
            Some((_, Err(e))) => Err(e.clone()),
            None => Err("no document".into()),
        }
    })
}

/// An XPath engine error in words, with the part of the expression it points at.
fn explain(e: &xee_xpath::error::Error, text: &str) -> String {
    let code = e.error.to_string();
    let code = code
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let what = match code.as_str() {
        "XPST0081" => "a namespace prefix that is not bound (declare it under `namespaces:`)",
        "XPST0003" => "a syntax error",
        "XPST0017" => "an unknown function, or a wrong number of arguments",
        "XPST0008" => "an unknown variable",
        "XPTY0004" | "XPTY0020" => "a type error",
        "XPDY0002" => "no context item",
        _ => "an error",
    };
    let near = e
        .span
        .map(|s| s.range())
        .and_then(|r| text.get(r))
        .filter(|t| !t.is_empty())
        .map(|t| format!(" at `{t}`"))
        .unwrap_or_default();
    format!("{what}{near} ({code})")
}

/// Parse a document, refusing DTDs: no entity expansion, ever.
fn parse(documents: &mut Documents, xml: &str) -> Result<xee_xpath::DocumentHandle, String> {
    if xml.contains("<!DOCTYPE") {
        return Err(
            "the XML has a DOCTYPE; conform reads no DTDs (SAML and SOAP forbid them)".into(),
        );
    }
    documents
        .add_string_without_uri(xml)
        .map_err(|e| format!("the body is not well-formed XML ({e})"))
}

/// Whether `xml` is a well-formed document (without a DTD), and why not.
pub fn well_formed(xml: &str) -> Result<(), String> {
    with_document(xml, |_, _| Ok(()))
}

#[derive(Debug)]
enum Op {
    Exists,
    Absent,
    Equals(Template),
    OneOf(Template),
    Matches(regex::Regex),
    Count { min: Option<u64>, max: Option<u64> },
}

#[derive(Debug)]
enum XmlCheck {
    /// `xml: { well_formed: true }`: the body parses.
    WellFormed,
    Path {
        xpath: XPath,
        ops: Vec<Op>,
        any: bool,
        if_present: bool,
    },
}

pub fn decode(
    node: &Node,
    _: &DecodeContext<'_>,
    diags: &mut Diagnostics,
) -> Option<Box<dyn CheckKind>> {
    let mut f = super::fields(node, "an xml check", diags)?;
    let flag = |f: &mut crate::decode::Fields<'_>, key: &'static str, diags: &mut Diagnostics| {
        f.get(key)
            .and_then(|n| crate::decode::boolean(n, key, diags))
            .unwrap_or(false)
    };
    if flag(&mut f, "well_formed", diags) {
        f.finish(diags);
        return Some(Box::new(XmlCheck::WellFormed));
    }
    let path = f.required("path", node, diags);
    let namespaces = f.get("namespaces");
    let mut ops = Vec::new();
    if flag(&mut f, "exists", diags) {
        ops.push(Op::Exists);
    }
    if flag(&mut f, "absent", diags) {
        ops.push(Op::Absent);
    }
    if let Some(n) = f.get("equals") {
        ops.push(Op::Equals(Template::from_node(n, diags)));
    }
    if let Some(n) = f.get("one_of") {
        ops.push(Op::OneOf(Template::from_node(n, diags)));
    }
    // An operator written but refused (an invalid regex) has its own diagnostic.
    let mut refused = false;
    if let Some(re) = super::regex_operator(f.get("matches"), &mut refused, diags) {
        ops.push(Op::Matches(re));
    }
    if let Some(n) = f.get("count") {
        match crate::decode::bounds(n, "a count", diags) {
            Some((min, max)) => ops.push(Op::Count { min, max }),
            None => refused = true,
        }
    }
    let any = flag(&mut f, "any", diags);
    let if_present = flag(&mut f, "if_present", diags);
    f.finish(diags);
    let xpath = XPath::decode(path?, namespaces, diags)?;
    let ops = super::require_operators(
        ops,
        refused,
        "an xml check",
        "exists, absent, equals, one_of, matches, count (or `well_formed: true` alone)",
        node,
        diags,
    )?;
    Some(Box::new(XmlCheck::Path {
        xpath,
        ops,
        any,
        if_present,
    }))
}

/// How a rendered expected value reads as text, to compare with XML text.
fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl CheckKind for XmlCheck {
    fn name(&self) -> &'static str {
        "xml"
    }

    fn templates(&self) -> Vec<&Template> {
        match self {
            XmlCheck::WellFormed => Vec::new(),
            XmlCheck::Path { xpath, ops, .. } => std::iter::once(xpath.template())
                .chain(ops.iter().filter_map(|op| match op {
                    Op::Equals(t) | Op::OneOf(t) => Some(t),
                    _ => None,
                }))
                .collect(),
        }
    }

    fn evaluate(&self, response: &Response, cx: &EvalContext<'_>) -> Outcome {
        let text = response.text();
        match self {
            XmlCheck::WellFormed => match well_formed(&text) {
                Ok(()) => Outcome::pass("the body is well-formed XML"),
                Err(e) => Outcome::fail(e).expected("well-formed XML"),
            },
            XmlCheck::Path {
                xpath,
                ops,
                any,
                if_present,
            } => {
                let values = match xpath.strings(&text, cx.vars) {
                    Ok(v) => v,
                    Err(e) => {
                        return Outcome::error(format!("cannot check `{}`: {e}", xpath.text()))
                            .at(xpath.text());
                    }
                };
                if values.is_empty() && *if_present {
                    return Outcome::pass(format!(
                        "`{}` is absent, nothing to check",
                        xpath.text()
                    ))
                    .at(xpath.text());
                }
                judge(xpath.text(), &values, ops, *any, cx).at(xpath.text())
            }
        }
    }
}

/// Every operator must hold; the first that does not decides the outcome.
fn judge(path: &str, values: &[String], ops: &[Op], any: bool, cx: &EvalContext<'_>) -> Outcome {
    let actual = || match values {
        [one] => Value::String(one.clone()),
        many => Value::Array(many.iter().cloned().map(Value::String).collect()),
    };
    let mut passed = Vec::new();
    for op in ops {
        let outcome = match op {
            Op::Exists => Outcome::judge(
                !values.is_empty(),
                if values.is_empty() {
                    format!("`{path}` selected nothing")
                } else {
                    format!("`{path}` is present")
                },
            )
            .expected("present"),
            Op::Absent => Outcome::judge(
                values.is_empty(),
                if values.is_empty() {
                    format!("`{path}` is absent")
                } else {
                    format!("`{path}` is present, expected absent")
                },
            )
            .expected("absent")
            .actual(actual()),
            Op::Count { min, max } => {
                let n = values.len() as u64;
                let ok = min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m);
                let want = match (min, max) {
                    (Some(a), Some(b)) if a == b => format!("{a}"),
                    (Some(a), Some(b)) => format!("{a} to {b}"),
                    (Some(a), None) => format!("at least {a}"),
                    (None, Some(b)) => format!("at most {b}"),
                    (None, None) => "any number".into(),
                };
                Outcome::judge(ok, format!("`{path}` selected {n}, expected {want}"))
                    .expected(want)
                    .actual(n)
            }
            _ if values.is_empty() => {
                return Outcome::fail(format!("`{path}` selected nothing")).expected("present");
            }
            Op::Equals(t) | Op::OneOf(t) => {
                let expected = match super::expected(t, cx) {
                    Ok(v) => v,
                    Err(o) => return o,
                };
                let allowed: Vec<String> = match (op, &expected) {
                    (Op::OneOf(_), Value::Array(items)) => items.iter().map(as_text).collect(),
                    _ => vec![as_text(&expected)],
                };
                let verb = if matches!(op, Op::OneOf(_)) {
                    "is one of"
                } else {
                    "equals"
                };
                holds(path, values, any, verb, &super::show(&expected), |v| {
                    allowed.iter().any(|a| a == v)
                })
                .expected(expected)
                .actual(actual())
            }
            Op::Matches(re) => holds(path, values, any, "matches", &format!("/{re}/"), |v| {
                re.is_match(v)
            })
            .expected(format!("matches /{re}/"))
            .actual(actual()),
        };
        if outcome.status != super::Status::Pass {
            return outcome;
        }
        passed.push(outcome.message);
    }
    Outcome::pass(passed.join("; "))
}

/// Whether every selected value (or, with `any`, one of them) passes `test`.
fn holds(
    path: &str,
    values: &[String],
    any: bool,
    verb: &str,
    what: &str,
    test: impl Fn(&str) -> bool,
) -> Outcome {
    let failing: Vec<&String> = values.iter().filter(|v| !test(v)).collect();
    let ok = if any {
        failing.len() < values.len()
    } else {
        failing.is_empty()
    };
    if ok {
        return Outcome::pass(format!("`{path}` {verb} {what}"));
    }
    let shown = |v: &str| super::show(&Value::String(v.to_string()));
    if any {
        Outcome::fail(format!(
            "none of the {} values of `{path}` {verb} {what}",
            values.len()
        ))
    } else if values.len() == 1 {
        Outcome::fail(format!(
            "`{path}` is {}, expected it {verb} {what}",
            shown(&values[0])
        ))
    } else {
        Outcome::fail(format!(
            "{} of the {} values of `{path}` do not: the first is {}; expected each {verb} {what}",
            failing.len(),
            values.len(),
            shown(failing[0])
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::NoVars;
    use std::time::Duration;

    const METADATA: &str = r#"<?xml version="1.0"?>
<saml2md:EntityDescriptor xmlns:saml2md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.test/">
  <saml2md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <saml2md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</saml2md:NameIDFormat>
    <NameIDFormat xmlns="urn:oasis:names:tc:SAML:2.0:metadata">urn:oasis:names:tc:SAML:2.0:nameid-format:transient</NameIDFormat>
    <md:NameIDFormat xmlns:md="urn:example:not-metadata">urn:example:decoy</md:NameIDFormat>
  </saml2md:IDPSSODescriptor>
</saml2md:EntityDescriptor>"#;

    fn check(yaml: &str) -> Result<Box<dyn CheckKind>, String> {
        let src = crate::diag::SourceFile::new("t.yaml", yaml);
        let node = crate::yaml::parse(&src).map_err(|d| d.render())?;
        let mut diags = Diagnostics::default();
        let schemas = crate::schemas::SchemaRegistry::new(&[], &mut diags);
        let c = decode(&node, &DecodeContext { schemas: &schemas }, &mut diags);
        if !diags.is_empty() {
            return Err(diags.render());
        }
        Ok(c.unwrap())
    }

    fn run(yaml: &str, body: &str) -> Outcome {
        let schemas = crate::schemas::SchemaRegistry::new(&[], &mut Diagnostics::default());
        let r = Response::new(200, vec![], body.as_bytes().to_vec(), Duration::ZERO);
        check(yaml).unwrap().evaluate(
            &r,
            &EvalContext {
                vars: &NoVars,
                schemas: &schemas,
                request: None,
            },
        )
    }

    #[test]
    fn binds_prefixes_by_uri_not_by_the_documents_text() {
        let o = run(
            "{ path: '//md:IDPSSODescriptor/md:NameIDFormat', count: 2 }",
            METADATA,
        );
        assert_eq!(o.status, super::super::Status::Pass, "{}", o.message);
        // The document's own `md:` prefix means another namespace here.
        let o = run(
            "{ path: '//md:NameIDFormat', equals: 'urn:example:decoy', any: true }",
            METADATA,
        );
        assert_eq!(o.status, super::super::Status::Fail, "{}", o.message);
        let o = run(
            "{ path: '//x:NameIDFormat', namespaces: { x: 'urn:example:not-metadata' }, equals: 'urn:example:decoy' }",
            METADATA,
        );
        assert_eq!(o.status, super::super::Status::Pass, "{}", o.message);
    }

    #[test]
    fn operators_follow_the_json_rules() {
        let pass = |y: &str| {
            let o = run(y, METADATA);
            assert_eq!(o.status, super::super::Status::Pass, "{y}: {}", o.message);
        };
        let fail = |y: &str| {
            let o = run(y, METADATA);
            assert_eq!(o.status, super::super::Status::Fail, "{y}: {}", o.message);
            o
        };
        pass("{ path: '/md:EntityDescriptor/@entityID', matches: '^https://' }");
        pass("{ path: '//md:SingleSignOnService', absent: true }");
        pass("{ path: 'count(//md:NameIDFormat) >= 2', equals: true }");
        pass(
            "{ path: '//md:IDPSSODescriptor/md:NameIDFormat', one_of: ['urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient'] }",
        );
        pass("{ path: '//md:NameIDFormat', matches: 'persistent$', any: true }");
        pass("{ path: '//md:KeyDescriptor', matches: 'x', if_present: true }");
        let o = fail("{ path: '//md:NameIDFormat', matches: 'persistent$' }");
        assert!(o.message.contains("1 of the 2 values"), "{}", o.message);
        let o = fail("{ path: '//md:SingleSignOnService', equals: 'x' }");
        assert!(o.message.contains("selected nothing"), "{}", o.message);
        fail("{ path: '//md:NameIDFormat', count: { max: 1 } }");
        fail("{ path: '//md:IDPSSODescriptor', exists: false, absent: true }");
    }

    #[test]
    fn garbage_and_dtds_cannot_be_checked_but_fail_well_formed() {
        let o = run("{ path: '/*', exists: true }", "{\"not\": \"xml\"}");
        assert_eq!(o.status, super::super::Status::Error);
        assert!(o.message.contains("not well-formed XML"), "{}", o.message);
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><a>&lol2;</a>"#;
        let o = run("{ path: '/a', exists: true }", bomb);
        assert!(o.message.contains("DOCTYPE"), "{}", o.message);
        let o = run("{ well_formed: true }", bomb);
        assert_eq!(o.status, super::super::Status::Fail);
        let o = run("{ well_formed: true }", "<a><b></a>");
        assert_eq!(o.status, super::super::Status::Fail);
        let o = run("{ well_formed: true }", METADATA);
        assert_eq!(o.status, super::super::Status::Pass);
    }

    #[test]
    fn paths_may_name_profile_values() {
        struct Entity;
        impl Vars for Entity {
            fn lookup(&self, path: &[String]) -> Result<Option<Found>, String> {
                Ok((path.join(".") == "profile.saml.entity_id").then(|| Found {
                    value: Value::String("https://idp.example.test/".into()),
                    secret: false,
                }))
            }
        }
        let yaml = "{ path: \"//md:EntityDescriptor[@entityID = '{{ profile.saml.entity_id }}']/md:IDPSSODescriptor\", count: 1 }";
        let schemas = crate::schemas::SchemaRegistry::new(&[], &mut Diagnostics::default());
        let r = Response::new(200, vec![], METADATA.as_bytes().to_vec(), Duration::ZERO);
        let c = check(yaml).unwrap();
        assert_eq!(c.templates().len(), 1);
        let o = c.evaluate(
            &r,
            &EvalContext {
                vars: &Entity,
                schemas: &schemas,
                request: None,
            },
        );
        assert_eq!(o.status, super::super::Status::Pass, "{}", o.message);
        // Another entity: nothing selected.
        let o = c.evaluate(
            &r,
            &EvalContext {
                vars: &NoVars,
                schemas: &schemas,
                request: None,
            },
        );
        assert_ne!(o.status, super::super::Status::Pass, "{}", o.message);
    }

    #[test]
    fn mistakes_are_found_at_load() {
        let e = check("{ path: '//nope:Thing', exists: true }").unwrap_err();
        assert!(e.contains("invalid XPath"), "{e}");
        assert!(e.contains("t.yaml:1:"), "{e}");
        let e = check("{ path: '//md:Thing[', exists: true }").unwrap_err();
        assert!(e.contains("invalid XPath"), "{e}");
        let e = check("{ path: '//md:Thing' }").unwrap_err();
        assert!(e.contains("needs an operator"), "{e}");
        let e = check("{ path: '//md:Thing', count: { } }").unwrap_err();
        assert!(e.contains("min"), "{e}");
    }
}
