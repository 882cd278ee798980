//! `soap: { rule: header_echo }`: the X-Road SOAP rule that a service copies
//! every header field of the request into its response, in the same order
//! with the same values (PR-MESS §2.2). Fields are compared by namespace URI
//! and local name, and by content with prefixes and layout whitespace set
//! aside, so `<xrd:client>` and `<ns2:client>` are the same field. The only
//! field a response may add is `xroad:requestHash`, which the provider's
//! security server sets.

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use serde_json::{Value, json};

use super::{CheckKind, DecodeContext, EvalContext, Outcome};
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::exchange::Response;
use crate::yaml::Node;

const ENVELOPE: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const XROAD: &str = "http://x-road.eu/xsd/xroad.xsd";
const RULES: [&str; 1] = ["header_echo"];

#[derive(Debug)]
struct SoapCheck;

pub fn decode(
    node: &Node,
    _: &DecodeContext<'_>,
    diags: &mut Diagnostics,
) -> Option<Box<dyn CheckKind>> {
    let mut f = super::fields(node, "a soap check", diags)?;
    let rule = f.required("rule", node, diags);
    f.finish(diags);
    let rule = rule?;
    match crate::decode::string(rule, "a rule", diags)?.as_str() {
        "header_echo" => Some(Box::new(SoapCheck)),
        other => {
            let mut d = Diagnostic::new(format!("unknown soap rule `{other}`")).at(&rule.loc);
            d = match did_you_mean(other, RULES) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("the rules are: {}", RULES.join(", "))),
            };
            diags.push(d);
            None
        }
    }
}

/// One header field: its expanded name and its content in a canonical form.
#[derive(Debug, Clone, PartialEq)]
struct Field {
    ns: String,
    local: String,
    canonical: String,
}

impl Field {
    fn shown(&self) -> String {
        match self.ns.as_str() {
            XROAD => format!("xroad:{}", self.local),
            "" => self.local.clone(),
            ns => format!("{{{ns}}}{}", self.local),
        }
    }
}

fn expanded(ns: ResolveResult<'_>, local: &[u8]) -> Result<(String, String), String> {
    let local = String::from_utf8_lossy(local).into_owned();
    match ns {
        ResolveResult::Bound(n) => Ok((String::from_utf8_lossy(n.as_ref()).into_owned(), local)),
        ResolveResult::Unbound => Ok((String::new(), local)),
        ResolveResult::Unknown(p) => Err(format!(
            "the prefix `{}` of `{local}` is not declared",
            String::from_utf8_lossy(&p)
        )),
    }
}

/// The fields of the SOAP 1.1 `Header` of a message, in order.
fn header_fields(xml: &str) -> Result<Vec<Field>, String> {
    let mut reader = NsReader::from_str(xml);
    // Names of the open elements, as (namespace, local).
    let mut open: Vec<(String, String)> = Vec::new();
    let mut fields = Vec::new();
    let mut current: Option<(Field, usize)> = None;
    let mut saw_header = false;
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| format!("not well-formed XML ({e})"))?;
        let in_header = open.len() >= 2
            && open[0] == (ENVELOPE.to_string(), "Envelope".to_string())
            && open[1] == (ENVELOPE.to_string(), "Header".to_string());
        match event {
            Event::DocType(_) => return Err("the message has a DOCTYPE; SOAP forbids one".into()),
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = expanded(ns, e.local_name().as_ref())?;
                let mut attrs = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|e| format!("a malformed attribute ({e})"))?;
                    let key = a.key.as_ref();
                    if key == b"xmlns" || key.starts_with(b"xmlns:") {
                        continue;
                    }
                    let (ans, alocal) = reader.resolve_attribute(a.key);
                    let (ans, alocal) = expanded(ans, alocal.as_ref())?;
                    let value = a
                        .unescape_value()
                        .map_err(|e| format!("a malformed attribute value ({e})"))?;
                    attrs.push(format!("{{{ans}}}{alocal}={value:?}"));
                }
                attrs.sort();
                let tag = format!("<{{{}}}{} {}>", name.0, name.1, attrs.join(" "));
                let empty = matches!(event, Event::Empty(_));
                if in_header && current.is_none() {
                    current = Some((
                        Field {
                            ns: name.0.clone(),
                            local: name.1.clone(),
                            canonical: tag,
                        },
                        open.len(),
                    ));
                } else if let Some((f, _)) = current.as_mut() {
                    f.canonical.push_str(&tag);
                }
                if name == (ENVELOPE.to_string(), "Header".to_string()) && open.len() == 1 {
                    saw_header = true;
                }
                if empty {
                    close(&mut current, open.len(), &mut fields);
                } else {
                    open.push(name);
                }
            }
            Event::End(_) => {
                open.pop();
                close(&mut current, open.len(), &mut fields);
            }
            Event::Text(t) => {
                if let Some((f, _)) = current.as_mut() {
                    let text = t
                        .decode()
                        .map_err(|e| format!("text that is not UTF-8 ({e})"))?;
                    let trimmed = text.trim();
                    if !trimmed.is_empty() {
                        f.canonical.push_str(&format!("{trimmed:?}"));
                    }
                }
            }
            Event::GeneralRef(r) => {
                if let Some((f, _)) = current.as_mut() {
                    let name = String::from_utf8_lossy(&r).into_owned();
                    let text = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => match name.as_str() {
                            "amp" => "&".into(),
                            "lt" => "<".into(),
                            "gt" => ">".into(),
                            "quot" => "\"".into(),
                            "apos" => "'".into(),
                            other => format!("&{other};"),
                        },
                    };
                    f.canonical.push_str(&format!("{text:?}"));
                }
            }
            Event::CData(t) => {
                if let Some((f, _)) = current.as_mut() {
                    f.canonical
                        .push_str(&format!("{:?}", String::from_utf8_lossy(&t).trim()));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_header {
        return Err("the message has no SOAP 1.1 `Header` (namespace http://schemas.xmlsoap.org/soap/envelope/)".into());
    }
    Ok(fields)
}

/// Finish the field being read when its element closes at `depth`.
fn close(current: &mut Option<(Field, usize)>, depth: usize, fields: &mut Vec<Field>) {
    if let Some((f, d)) = current.as_mut() {
        f.canonical.push_str("</>");
        if *d == depth {
            fields.push(current.take().map(|(f, _)| f).expect("a field is open"));
        }
    }
}

/// The text of a field's content, for messages (the canonical form without its tags).
fn value_of(f: &Field) -> String {
    let mut out = Vec::new();
    let mut rest = f.canonical.as_str();
    while let Some(start) = rest.find('"') {
        let tail = &rest[start..];
        let mut end = 1;
        let bytes = tail.as_bytes();
        while end < bytes.len() && (bytes[end] != b'"' || bytes[end - 1] == b'\\') {
            end += 1;
        }
        let piece = &tail[..(end + 1).min(tail.len())];
        if let Ok(s) = serde_json::from_str::<String>(piece) {
            out.push(s);
        }
        rest = &tail[(end + 1).min(tail.len())..];
    }
    out.join(" ")
}

fn names(fields: &[Field]) -> Value {
    json!(fields.iter().map(Field::shown).collect::<Vec<_>>())
}

impl CheckKind for SoapCheck {
    fn name(&self) -> &'static str {
        "soap"
    }

    fn evaluate(&self, response: &Response, cx: &EvalContext<'_>) -> Outcome {
        let Some(sent) = cx.request.and_then(|r| r.body.as_deref()) else {
            return Outcome::error("the request had no SOAP message to compare the answer with");
        };
        let sent = match header_fields(&String::from_utf8_lossy(sent)) {
            Ok(f) => f,
            Err(e) => return Outcome::error(format!("cannot read the request's header: {e}")),
        };
        let echoed = match header_fields(&response.text()) {
            Ok(f) => f,
            Err(e) => return Outcome::fail(format!("the answer's SOAP header: {e}")),
        };
        let added: Vec<&Field> = echoed
            .iter()
            .filter(|e| !(e.ns == XROAD && e.local == "requestHash"))
            .filter(|e| !sent.iter().any(|s| s.ns == e.ns && s.local == e.local))
            .collect();
        let kept: Vec<Field> = echoed
            .iter()
            .filter(|e| sent.iter().any(|s| s.ns == e.ns && s.local == e.local))
            .cloned()
            .collect();
        let at = "/Envelope/Header";
        let fail = |m: String| {
            Outcome::fail(m)
                .expected(names(&sent))
                .actual(names(&echoed))
                .at(at)
        };
        if let Some(missing) = sent
            .iter()
            .find(|s| !kept.iter().any(|e| e.ns == s.ns && e.local == s.local))
        {
            return fail(format!(
                "the answer does not echo the header field `{}` the request sent",
                missing.shown()
            ));
        }
        let same_order = kept
            .iter()
            .map(|f| (&f.ns, &f.local))
            .eq(sent.iter().map(|f| (&f.ns, &f.local)));
        if !same_order {
            return fail(format!(
                "the header fields are echoed in another order: sent {}, echoed {}",
                names(&sent),
                names(&kept)
            ));
        }
        if let Some((s, e)) = sent.iter().zip(&kept).find(|(s, e)| s != e) {
            return Outcome::fail(format!(
                "the header field `{}` is echoed with another value: sent \"{}\", echoed \"{}\"",
                s.shown(),
                value_of(s),
                value_of(e)
            ))
            .expected(value_of(s))
            .actual(value_of(e))
            .at(format!("{at}/{}", s.local));
        }
        if let Some(extra) = added.first() {
            return fail(format!(
                "the answer adds the header field `{}`, which the request did not send",
                extra.shown()
            ));
        }
        Outcome::pass(format!(
            "the answer echoes all {} header fields in order",
            sent.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::Request;
    use crate::template::NoVars;
    use std::time::Duration;

    const REQUEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xroad="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers">
  <SOAP-ENV:Header>
    <xroad:client id:objectType="SUBSYSTEM">
      <id:xRoadInstance>FI-TEST</id:xRoadInstance><id:memberClass>GOV</id:memberClass>
      <id:memberCode>0245437-2</id:memberCode><id:subsystemCode>conform</id:subsystemCode>
    </xroad:client>
    <xroad:service id:objectType="SERVICE">
      <id:xRoadInstance>FI-TEST</id:xRoadInstance><id:memberClass>GOV</id:memberClass>
      <id:memberCode>0245437-2</id:memberCode><id:subsystemCode>catalogue</id:subsystemCode>
      <id:serviceCode>listMethods</id:serviceCode>
    </xroad:service>
    <xroad:id>4894e35d-bf0f-44a6-867a-8e51f1daa7e0</xroad:id>
    <xroad:protocolVersion>4.0</xroad:protocolVersion>
  </SOAP-ENV:Header>
  <SOAP-ENV:Body><xroad:listMethods/></SOAP-ENV:Body>
</SOAP-ENV:Envelope>"#;

    fn judge(answer: &str) -> Outcome {
        judge_pair(REQUEST, answer)
    }

    fn judge_pair(request: &str, answer: &str) -> Outcome {
        let src = crate::diag::SourceFile::new("t.yaml", "{ rule: header_echo }");
        let node = crate::yaml::parse(&src).unwrap();
        let mut d = Diagnostics::default();
        let registry = crate::schemas::SchemaRegistry::new(&[], &mut d);
        let check = decode(&node, &DecodeContext { schemas: &registry }, &mut d).unwrap();
        let request = Request {
            method: "POST".into(),
            url: "https://ss.test/".parse().unwrap(),
            headers: vec![],
            body: Some(request.as_bytes().to_vec()),
            carries_secret: false,
        };
        let r = Response::new(200, vec![], answer.as_bytes().to_vec(), Duration::ZERO);
        check.evaluate(
            &r,
            &EvalContext {
                vars: &NoVars,
                schemas: &registry,
                request: Some(&request),
            },
        )
    }

    /// The request re-prefixed and re-indented, with a request hash added: still an echo.
    fn echo() -> String {
        REQUEST
            .replace("SOAP-ENV:", "soapenv:")
            .replace("xmlns:SOAP-ENV", "xmlns:soapenv")
            .replace("xroad:", "x:")
            .replace("xmlns:xroad", "xmlns:x")
            .replace("\n      ", "")
            .replace(
                "</x:protocolVersion>",
                "</x:protocolVersion>\n    <x:requestHash algorithmId=\"http://www.w3.org/2001/04/xmlenc#sha512\">aGFzaA==</x:requestHash>",
            )
            .replace("<x:listMethods/>", "<x:listMethodsResponse/>")
    }

    #[test]
    fn an_echo_with_other_prefixes_and_a_request_hash_passes() {
        let o = judge(&echo());
        assert_eq!(o.status, super::super::Status::Pass, "{}", o.message);
    }

    /// The request and response pairs of PR-META Annex C and PR-MESS Annex E
    /// (fixtures/examples/x-road, kept verbatim) are echoes, as the documents say.
    #[test]
    fn the_specifications_example_pairs_are_echoes() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/examples/x-road");
        let read = |rel: &str| std::fs::read_to_string(dir.join(rel)).unwrap();
        for (request, response) in [
            (
                "pr-meta/c2-list-methods-request.xml",
                "pr-meta/c3-list-methods-response.xml",
            ),
            (
                "pr-meta/c4-allowed-methods-request.xml",
                "pr-meta/c5-allowed-methods-response.xml",
            ),
            (
                "pr-meta/c6-get-wsdl-request.xml",
                "pr-meta/c7-get-wsdl-response.xml",
            ),
            ("pr-mess/e1-request.xml", "pr-mess/e2-response.xml"),
        ] {
            let o = judge_pair(&read(request), &read(response));
            assert_eq!(
                o.status,
                super::super::Status::Pass,
                "{response}: {}",
                o.message
            );
        }
        // Another request's answer is not an echo of this one.
        let o = judge_pair(
            &read("pr-meta/c2-list-methods-request.xml"),
            &read("pr-meta/c5-allowed-methods-response.xml"),
        );
        assert_eq!(o.status, super::super::Status::Fail, "{}", o.message);
    }

    #[test]
    fn order_values_missing_and_added_fields_fail() {
        let swapped = echo().replace(
            "<x:id>4894e35d-bf0f-44a6-867a-8e51f1daa7e0</x:id>\n    <x:protocolVersion>4.0</x:protocolVersion>",
            "<x:protocolVersion>4.0</x:protocolVersion><x:id>4894e35d-bf0f-44a6-867a-8e51f1daa7e0</x:id>",
        );
        let o = judge(&swapped);
        assert_eq!(o.status, super::super::Status::Fail);
        assert!(o.message.contains("another order"), "{}", o.message);

        let changed = echo().replace(
            "<id:memberCode>0245437-2</id:memberCode><id:subsystemCode>conform",
            "<id:memberCode>0245437-2</id:memberCode><id:subsystemCode>other",
        );
        let o = judge(&changed);
        assert!(
            o.message
                .contains("`xroad:client` is echoed with another value"),
            "{}",
            o.message
        );

        let missing = echo().replace("<x:protocolVersion>4.0</x:protocolVersion>", "");
        let o = judge(&missing);
        assert!(
            o.message
                .contains("does not echo the header field `xroad:protocolVersion`"),
            "{}",
            o.message
        );

        let added = echo().replace(
            "</x:protocolVersion>",
            "</x:protocolVersion><x:userId>EE1</x:userId>",
        );
        let o = judge(&added);
        assert!(
            o.message.contains("adds the header field `xroad:userId`"),
            "{}",
            o.message
        );

        let o = judge("<a/>");
        assert_eq!(o.status, super::super::Status::Fail);
        assert!(o.message.contains("no SOAP 1.1 `Header`"), "{}", o.message);
        let o = judge("<a><b></a>");
        assert!(o.message.contains("not well-formed"), "{}", o.message);
    }
}
