//! `certificate: { from | xml | json, <operators>… }`: X.509 certificates,
//! decoded: the validity window, days left before expiry, the key's type
//! and size, the subject.
//!
//! The certificates come from the endpoint's own TLS handshake (`from: tls`,
//! the leaf), from an XML answer (`xml:` an XPath to base64 DER, as SAML
//! metadata carries them in `ds:X509Certificate`), from a JSON answer
//! (`json:` a JSONPath to base64 DER strings, as `x5c` holds them) or from
//! the body itself (`from: body`, PEM or DER). Every certificate found must
//! hold unless the check says `any: true` (key rollover publishes two).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use x509_parser::prelude::*;
use x509_parser::public_key::PublicKey;

use super::select::Selector;
use super::xml::XPath;
use super::{CheckKind, DecodeContext, EvalContext, Outcome, Status};
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::exchange::Response;
use crate::yaml::Node;

#[derive(Debug)]
enum Source {
    Tls,
    Body,
    Xml(XPath),
    Json(Selector),
}

#[derive(Debug)]
enum Op {
    ValidNow,
    MinDaysLeft(u64),
    KeyTypes(Vec<String>),
    MinKeyBits { rsa: Option<u64>, ec: Option<u64> },
    SubjectMatches(regex::Regex),
}

#[derive(Debug)]
struct CertificateCheck {
    source: Source,
    ops: Vec<Op>,
    any: bool,
}

const KEY_TYPES: [&str; 4] = ["rsa", "ec", "ed25519", "ed448"];

pub fn decode(
    node: &Node,
    _: &DecodeContext<'_>,
    diags: &mut Diagnostics,
) -> Option<Box<dyn CheckKind>> {
    let mut f = super::fields(node, "a certificate check", diags)?;
    let from = f.get("from");
    let xml = f.get("xml");
    let namespaces = f.get("namespaces");
    let json_path = f.get("json");
    let mut ops = Vec::new();
    if let Some(n) = f.get("valid_now")
        && crate::decode::boolean(n, "`valid_now`", diags) == Some(true)
    {
        ops.push(Op::ValidNow);
    }
    if let Some(n) = f.get("min_days_left")
        && let Some(d) = crate::decode::unsigned(n, "`min_days_left`", diags)
    {
        ops.push(Op::MinDaysLeft(d));
    }
    if let Some(n) = f.get("key_types") {
        let types = crate::decode::strings(n, "key types", diags);
        for t in &types {
            if !KEY_TYPES.contains(&t.as_str()) {
                let mut d = Diagnostic::new(format!("unknown key type `{t}`")).at(&n.loc);
                d = match did_you_mean(t, KEY_TYPES) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("the types are: {}", KEY_TYPES.join(", "))),
                };
                diags.push(d);
            }
        }
        ops.push(Op::KeyTypes(types));
    }
    if let Some(n) = f.get("min_key_bits")
        && let Some(mut bf) = crate::decode::Fields::new(n, "key sizes by type", diags)
    {
        let rsa = bf
            .get("rsa")
            .and_then(|x| crate::decode::unsigned(x, "`rsa`", diags));
        let ec = bf
            .get("ec")
            .and_then(|x| crate::decode::unsigned(x, "`ec`", diags));
        bf.finish(diags);
        ops.push(Op::MinKeyBits { rsa, ec });
    }
    // An operator written but refused (an invalid regex) has its own diagnostic.
    let mut refused = false;
    if let Some(re) = super::regex_operator(f.get("subject_matches"), &mut refused, diags) {
        ops.push(Op::SubjectMatches(re));
    }
    let any = f
        .get("any")
        .and_then(|n| crate::decode::boolean(n, "`any`", diags))
        .unwrap_or(false);
    f.finish(diags);
    let source = match (from, xml, json_path) {
        (Some(n), None, None) => match crate::decode::string(n, "a source", diags)?.as_str() {
            "tls" => Source::Tls,
            "body" => Source::Body,
            other => {
                diags.push(
                    Diagnostic::new(format!("unknown certificate source `{other}`"))
                        .at(&n.loc)
                        .with_help("`from: tls` (the endpoint's certificate) or `from: body`; or `xml:` / `json:` a path to base64 DER"),
                );
                return None;
            }
        },
        (None, Some(x), None) => Source::Xml(XPath::decode(x, namespaces, diags)?),
        (None, None, Some(j)) => {
            let text = crate::decode::string(j, "a JSONPath", diags)?;
            Source::Json(Selector::parse(&text, &j.loc, diags)?)
        }
        _ => {
            diags.push(
                Diagnostic::new("a certificate check takes exactly one of `from`, `xml` or `json`")
                    .at(&node.loc),
            );
            return None;
        }
    };
    if namespaces.is_some() && !matches!(source, Source::Xml(_)) {
        diags.push(
            Diagnostic::new("`namespaces` binds the prefixes of an `xml` path").at(&node.loc),
        );
    }
    let ops = super::require_operators(
        ops,
        refused,
        "a certificate check",
        "valid_now, min_days_left, key_types, min_key_bits, subject_matches",
        node,
        diags,
    )?;
    Some(Box::new(CertificateCheck { source, ops, any }))
}

/// Base64 DER as documents carry it: line breaks and spaces allowed.
fn base64_der(text: &str) -> Result<Vec<u8>, String> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD
        .decode(compact)
        .map_err(|e| format!("is not base64 DER ({e})"))
}

/// Every certificate of a PEM text, or the body as one DER certificate.
fn from_body(body: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let text = String::from_utf8_lossy(body);
    if !text.contains("-----BEGIN") {
        return Ok(vec![body.to_vec()]);
    }
    let mut out = Vec::new();
    for block in text.split("-----BEGIN CERTIFICATE-----").skip(1) {
        let b64 = block
            .split("-----END CERTIFICATE-----")
            .next()
            .unwrap_or_default();
        out.push(base64_der(b64).map_err(|e| format!("a PEM certificate {e}"))?);
    }
    Ok(out)
}

impl CertificateCheck {
    /// The certificates the check reads, DER, or why there are none to judge.
    fn certificates(
        &self,
        response: &Response,
        cx: &EvalContext<'_>,
    ) -> Result<Vec<Vec<u8>>, Outcome> {
        match &self.source {
            Source::Tls => match response.peer_certificates.first() {
                Some(leaf) => Ok(vec![leaf.clone()]),
                None => Err(Outcome::error(
                    "the answer came without TLS: there is no endpoint certificate to check",
                )),
            },
            Source::Body => from_body(&response.body).map_err(Outcome::fail),
            Source::Xml(xpath) => {
                let texts = xpath
                    .strings(&response.text(), cx.vars)
                    .map_err(|e| Outcome::error(format!("cannot check `{}`: {e}", xpath.text())))?;
                texts
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        base64_der(t).map_err(|e| {
                            Outcome::fail(format!(
                                "certificate {} of `{}` {e}",
                                i + 1,
                                xpath.text()
                            ))
                            .at(xpath.text())
                        })
                    })
                    .collect()
            }
            Source::Json(selector) => {
                let doc = response.json().map_err(|e| {
                    Outcome::error(format!("cannot check `{}`: {e}", selector.text()))
                })?;
                let mut out = Vec::new();
                for (at, v) in selector.select(doc) {
                    let texts: Vec<&Value> = match v {
                        Value::Array(items) => items.iter().collect(),
                        one => vec![one],
                    };
                    for t in texts {
                        let Some(s) = t.as_str() else {
                            return Err(Outcome::fail(format!("`{at}` is not a base64 string"))
                                .at(at.clone()));
                        };
                        out.push(
                            base64_der(s)
                                .map_err(|e| Outcome::fail(format!("`{at}` {e}")).at(at.clone()))?,
                        );
                    }
                }
                Ok(out)
            }
        }
    }

    /// Where the certificates were read, for the report's `at`.
    fn at(&self) -> Option<String> {
        match &self.source {
            Source::Tls => Some("TLS handshake".into()),
            Source::Body => None,
            Source::Xml(x) => Some(x.text().to_string()),
            Source::Json(s) => Some(s.text().to_string()),
        }
    }

    fn where_from(&self) -> String {
        match &self.source {
            Source::Tls => "the TLS certificate".into(),
            Source::Body => "the body".into(),
            Source::Xml(x) => format!("`{}`", x.text()),
            Source::Json(s) => format!("`{}`", s.text()),
        }
    }
}

impl CheckKind for CertificateCheck {
    fn name(&self) -> &'static str {
        "certificate"
    }

    fn templates(&self) -> Vec<&crate::template::Template> {
        match &self.source {
            Source::Xml(x) => vec![x.template()],
            _ => Vec::new(),
        }
    }

    fn evaluate(&self, response: &Response, cx: &EvalContext<'_>) -> Outcome {
        let ders = match self.certificates(response, cx) {
            Ok(d) => d,
            Err(o) => return o,
        };
        let at = self.at();
        let noun = match self.source {
            Source::Tls => "the TLS certificate",
            _ => "the certificate",
        };
        if ders.is_empty() {
            return with_at(
                Outcome::fail(format!("{} holds no certificate", self.where_from()))
                    .expected("a certificate"),
                &at,
            );
        }
        let now = crate::clock::now_lenient();
        let results: Vec<Outcome> = ders
            .iter()
            .enumerate()
            .map(|(i, der)| {
                let name = if ders.len() == 1 {
                    noun.to_string()
                } else {
                    format!("certificate {} of {}", i + 1, ders.len())
                };
                judge(der, &name, &self.ops, now)
            })
            .collect();
        let failed = results.iter().filter(|o| o.status != Status::Pass).count();
        let ok = if self.any {
            failed < results.len()
        } else {
            failed == 0
        };
        let outcome = if ok {
            results
                .into_iter()
                .find(|o| o.status == Status::Pass)
                .unwrap_or_else(|| Outcome::pass("holds"))
        } else {
            let mut o = results
                .into_iter()
                .find(|o| o.status != Status::Pass)
                .unwrap_or_else(|| Outcome::fail("fails"));
            if self.any {
                o.message = format!(
                    "none of the {} certificates holds: {}",
                    ders.len(),
                    o.message
                );
            }
            o
        };
        with_at(outcome, &at)
    }
}

fn with_at(o: Outcome, at: &Option<String>) -> Outcome {
    match at {
        Some(a) => o.at(a.clone()),
        None => o,
    }
}

/// A date as reports show it.
fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// The key's type name and size in bits.
fn key_of(cert: &X509Certificate<'_>) -> Result<(&'static str, u64), String> {
    match cert.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => Ok(("rsa", rsa.key_size() as u64)),
        Ok(PublicKey::EC(point)) => Ok(("ec", point.key_size() as u64)),
        Ok(_) => {
            let oid = cert.public_key().algorithm.algorithm.to_id_string();
            match oid.as_str() {
                "1.3.101.112" => Ok(("ed25519", 256)),
                "1.3.101.113" => Ok(("ed448", 456)),
                other => Err(format!("an unsupported key algorithm ({other})")),
            }
        }
        Err(e) => Err(format!("an unreadable key ({e})")),
    }
}

/// Every operator on one certificate; the first that does not hold decides.
fn judge(der: &[u8], name: &str, ops: &[Op], now: DateTime<Utc>) -> Outcome {
    let cert = match X509Certificate::from_der(der) {
        Ok((_, c)) => c,
        Err(e) => return Outcome::fail(format!("{name} is not an X.509 certificate ({e})")),
    };
    let subject = cert.subject().to_string();
    let validity = cert.validity();
    let not_before = DateTime::<Utc>::from_timestamp(validity.not_before.timestamp(), 0)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let not_after = DateTime::<Utc>::from_timestamp(validity.not_after.timestamp(), 0)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let mut passed = Vec::new();
    for op in ops {
        let o = match op {
            Op::ValidNow => {
                let window = json!({ "not_before": not_before.to_rfc3339(), "not_after": not_after.to_rfc3339() });
                if now < not_before {
                    Outcome::fail(format!(
                        "{name} ({subject}) is not valid before {}",
                        day(not_before)
                    ))
                } else if now > not_after {
                    Outcome::fail(format!(
                        "{name} ({subject}) expired on {}, {} days ago",
                        day(not_after),
                        (now - not_after).num_days()
                    ))
                } else {
                    Outcome::pass(format!("{name} is valid until {}", day(not_after)))
                }
                .expected("valid now")
                .actual(window)
            }
            Op::MinDaysLeft(min) => {
                let left = (not_after - now).num_days();
                Outcome::judge(
                    left >= *min as i64,
                    if left < 0 {
                        format!("{name} ({subject}) expired on {}", day(not_after))
                    } else {
                        format!("{name} expires in {left} days, on {}", day(not_after))
                    },
                )
                .expected(format!("at least {min} days left"))
                .actual(json!({ "days_left": left, "not_after": not_after.to_rfc3339() }))
            }
            Op::KeyTypes(types) => match key_of(&cert) {
                Err(e) => Outcome::fail(format!("{name} has {e}")),
                Ok((kind, _)) => Outcome::judge(
                    types.iter().any(|t| t == kind),
                    format!("{name} has an {} key", kind.to_uppercase()),
                )
                .expected(json!(types))
                .actual(kind),
            },
            Op::MinKeyBits { rsa, ec } => match key_of(&cert) {
                Err(e) => Outcome::fail(format!("{name} has {e}")),
                Ok((kind, bits)) => {
                    let min = match kind {
                        "rsa" => *rsa,
                        "ec" => *ec,
                        _ => None,
                    };
                    match min {
                        Some(m) => Outcome::judge(
                            bits >= m,
                            format!(
                                "{name} has a {bits}-bit {} key{}",
                                kind.to_uppercase(),
                                if bits >= m {
                                    String::new()
                                } else {
                                    format!(", under {m}")
                                }
                            ),
                        )
                        .expected(format!("at least {m} bits"))
                        .actual(bits),
                        None => Outcome::pass(format!(
                            "{name} has a {bits}-bit {} key (no minimum set for it)",
                            kind.to_uppercase()
                        )),
                    }
                }
            },
            Op::SubjectMatches(re) => Outcome::judge(
                re.is_match(&subject),
                format!("{name} has subject `{subject}`"),
            )
            .expected(format!("matches /{re}/"))
            .actual(subject.clone()),
        };
        if o.status != Status::Pass {
            return o;
        }
        passed.push(o.message);
    }
    Outcome::pass(passed.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::NoVars;
    use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
    use std::time::Duration;

    fn cert(days_from_now: (i64, i64)) -> Vec<u8> {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["idp.example.test".into()]).unwrap();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "Test IdP signing");
        params.distinguished_name = dn;
        let now = ::time::OffsetDateTime::now_utc();
        params.not_before = now + ::time::Duration::days(days_from_now.0);
        params.not_after = now + ::time::Duration::days(days_from_now.1);
        params.self_signed(&key).unwrap().der().to_vec()
    }

    fn metadata(certs: &[Vec<u8>]) -> String {
        let keys: String = certs
            .iter()
            .map(|c| {
                let b64 = STANDARD.encode(c);
                // Wrapped at 64 columns, as metadata publishers write it.
                let wrapped: Vec<String> = b64
                    .as_bytes()
                    .chunks(64)
                    .map(|l| String::from_utf8_lossy(l).into_owned())
                    .collect();
                format!(
                    r#"<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
{}
</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#,
                    wrapped.join("\n")
                )
            })
            .collect();
        format!(
            r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.test/"><md:IDPSSODescriptor>{keys}</md:IDPSSODescriptor></md:EntityDescriptor>"#
        )
    }

    fn run(yaml: &str, response: Response) -> Outcome {
        let src = crate::diag::SourceFile::new("t.yaml", yaml);
        let node = crate::yaml::parse(&src).unwrap();
        let mut d = Diagnostics::default();
        let registry = crate::schemas::SchemaRegistry::new(&[], &mut d);
        let check = decode(&node, &DecodeContext { schemas: &registry }, &mut d);
        assert!(d.is_empty(), "{}", d.render());
        check.unwrap().evaluate(
            &response,
            &EvalContext {
                vars: &NoVars,
                schemas: &registry,
                request: None,
            },
        )
    }

    fn xml_response(body: String) -> Response {
        Response::new(200, vec![], body.into_bytes(), Duration::ZERO)
    }

    const SIGNING: &str =
        "xml: \"//md:KeyDescriptor[@use='signing' or not(@use)]//ds:X509Certificate\"";

    #[test]
    fn validity_window_and_days_left() {
        let valid = metadata(&[cert((-10, 365))]);
        let o = run(
            &format!("{{ {SIGNING}, valid_now: true, min_days_left: 30 }}"),
            xml_response(valid),
        );
        assert_eq!(o.status, Status::Pass, "{}", o.message);

        let expired = metadata(&[cert((-400, -5))]);
        let o = run(
            &format!("{{ {SIGNING}, valid_now: true }}"),
            xml_response(expired),
        );
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("expired on"), "{}", o.message);
        assert!(o.message.contains("Test IdP signing"), "{}", o.message);

        let soon = metadata(&[cert((-300, 12))]);
        let o = run(
            &format!("{{ {SIGNING}, valid_now: true }}"),
            xml_response(soon.clone()),
        );
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        let o = run(
            &format!("{{ {SIGNING}, min_days_left: 30 }}"),
            xml_response(soon),
        );
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains("expires in 11 days") || o.message.contains("expires in 12 days"),
            "{}",
            o.message
        );

        let future = metadata(&[cert((5, 400))]);
        let o = run(
            &format!("{{ {SIGNING}, valid_now: true }}"),
            xml_response(future),
        );
        assert!(o.message.contains("not valid before"), "{}", o.message);
    }

    #[test]
    fn rollover_with_any_and_every_certificate_without() {
        let both = metadata(&[cert((-400, -5)), cert((-1, 365))]);
        let o = run(
            &format!("{{ {SIGNING}, valid_now: true }}"),
            xml_response(both.clone()),
        );
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("certificate 1 of 2"), "{}", o.message);
        let o = run(
            &format!("{{ {SIGNING}, valid_now: true, any: true }}"),
            xml_response(both),
        );
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        let none = metadata(&[]);
        let o = run(
            &format!("{{ {SIGNING}, valid_now: true }}"),
            xml_response(none),
        );
        assert_eq!(o.status, Status::Fail);
        assert!(o.message.contains("holds no certificate"), "{}", o.message);
    }

    #[test]
    fn key_type_size_and_subject() {
        let doc = metadata(&[cert((-1, 30))]);
        let o = run(
            &format!(
                "{{ {SIGNING}, key_types: [ec], min_key_bits: {{ ec: 256, rsa: 2048 }}, subject_matches: 'CN=Test IdP' }}"
            ),
            xml_response(doc.clone()),
        );
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        let o = run(
            &format!("{{ {SIGNING}, min_key_bits: {{ ec: 384 }} }}"),
            xml_response(doc.clone()),
        );
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains("256-bit EC key, under 384"),
            "{}",
            o.message
        );
        let o = run(
            &format!("{{ {SIGNING}, key_types: [rsa] }}"),
            xml_response(doc),
        );
        assert_eq!(o.status, Status::Fail);
    }

    #[test]
    fn tls_json_and_body_sources() {
        let der = cert((-1, 90));
        let mut r = Response::new(200, vec![], b"{}".to_vec(), Duration::ZERO);
        let o = run("{ from: tls, valid_now: true }", r);
        assert_eq!(o.status, Status::Error, "{}", o.message);
        r = Response::new(200, vec![], b"{}".to_vec(), Duration::ZERO);
        r.peer_certificates = vec![der.clone()];
        let o = run("{ from: tls, valid_now: true, min_days_left: 30 }", r);
        assert_eq!(o.status, Status::Pass, "{}", o.message);

        let set = json!({"keys": [{"x5c": [STANDARD.encode(&der)]}]});
        let r = Response::new(
            200,
            vec![],
            serde_json::to_vec(&set).unwrap(),
            Duration::ZERO,
        );
        let o = run("{ json: '$.keys[*].x5c[0]', valid_now: true }", r);
        assert_eq!(o.status, Status::Pass, "{}", o.message);

        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            STANDARD.encode(&der)
        );
        let r = Response::new(200, vec![], pem.into_bytes(), Duration::ZERO);
        let o = run("{ from: body, valid_now: true }", r);
        assert_eq!(o.status, Status::Pass, "{}", o.message);
        let r = Response::new(200, vec![], b"garbage".to_vec(), Duration::ZERO);
        let o = run("{ from: body, valid_now: true }", r);
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.message.contains("not an X.509 certificate"),
            "{}",
            o.message
        );
    }
}
