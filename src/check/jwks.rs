//! `jwks: { rule: <rule>, … }`: rules on the decoded key material of a JWK
//! Set (RFC 7517 / 7518), where the declarative checks cannot reach: key
//! sizes from the decoded modulus, curve coordinate lengths, private members,
//! `x5c` against the key, algorithms against key types.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

use super::select::Selector;
use super::{CheckKind, DecodeContext, EvalContext, Outcome};
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::exchange::Response;
use crate::template::Template;
use crate::yaml::Node;

const RULES: [&str; 10] = [
    "keys_array",
    "kty_present",
    "no_private_members",
    "use_when_mixed",
    "distinct_kid",
    "rsa_min_bits",
    "ec_coordinates",
    "x5c_matches_key",
    "alg_matches_kty",
    "signing_key_for_algs",
];

/// Members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

#[derive(Debug)]
enum Rule {
    KeysArray,
    KtyPresent,
    NoPrivateMembers,
    UseWhenMixed,
    DistinctKid,
    RsaMinBits(u64),
    EcCoordinates,
    X5cMatchesKey,
    AlgMatchesKty,
    SigningKeyForAlgs(Template),
}

#[derive(Debug)]
struct JwksCheck {
    rule: Rule,
    keys: Selector,
}

pub fn decode(
    node: &Node,
    _: &DecodeContext<'_>,
    diags: &mut Diagnostics,
) -> Option<Box<dyn CheckKind>> {
    let mut f = super::fields(node, "a jwks check", diags)?;
    let rule_node = f.required("rule", node, diags);
    let min_bits = f
        .get("min_bits")
        .and_then(|n| crate::decode::unsigned(n, "`min_bits`", diags));
    let algs = f.get("algs").map(|n| Template::from_node(n, diags));
    let keys = match f.get("keys") {
        Some(n) => crate::decode::string(n, "a JSONPath to the keys", diags)
            .and_then(|t| Selector::parse(&t, &n.loc, diags)),
        None => Selector::parse("/keys", &node.loc, diags),
    };
    f.finish(diags);
    let rule_node = rule_node?;
    let name = crate::decode::string(rule_node, "a rule", diags)?;
    let rule = match name.as_str() {
        "keys_array" => Rule::KeysArray,
        "kty_present" => Rule::KtyPresent,
        "no_private_members" => Rule::NoPrivateMembers,
        "use_when_mixed" => Rule::UseWhenMixed,
        "distinct_kid" => Rule::DistinctKid,
        "rsa_min_bits" => Rule::RsaMinBits(min_bits.unwrap_or(2048)),
        "ec_coordinates" => Rule::EcCoordinates,
        "x5c_matches_key" => Rule::X5cMatchesKey,
        "alg_matches_kty" => Rule::AlgMatchesKty,
        "signing_key_for_algs" => match algs {
            Some(t) => Rule::SigningKeyForAlgs(t),
            None => {
                diags.push(Diagnostic::new("rule `signing_key_for_algs` needs `algs` (a list, such as \"{{ capture.algs }}\")").at(&node.loc));
                return None;
            }
        },
        other => {
            let mut d = Diagnostic::new(format!("unknown jwks rule `{other}`")).at(&rule_node.loc);
            d = match did_you_mean(other, RULES) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("the rules are: {}", RULES.join(", "))),
            };
            diags.push(d);
            return None;
        }
    };
    Some(Box::new(JwksCheck { rule, keys: keys? }))
}

/// How a key is named in messages: its `kid`, else its position.
fn name_of(i: usize, key: &Map<String, Value>) -> String {
    match key.get("kid").and_then(Value::as_str) {
        Some(kid) => format!("key `{kid}`"),
        None => format!("key #{i}"),
    }
}

/// base64url without padding, as JWK members are written (RFC 7515 §2).
fn b64url(s: &str) -> Result<Vec<u8>, String> {
    if s.contains('=') {
        return Err("is padded; JWK members are base64url without padding".into());
    }
    if s.contains(['+', '/']) {
        return Err("uses `+` or `/`; JWK members are base64url".into());
    }
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|e| format!("is not base64url ({e})"))
}

/// Bits of a big-endian unsigned integer.
fn bit_length(bytes: &[u8]) -> u64 {
    let trimmed: &[u8] = match bytes.iter().position(|b| *b != 0) {
        Some(i) => &bytes[i..],
        None => return 0,
    };
    (trimmed.len() as u64 - 1) * 8 + u64::from(8 - trimmed[0].leading_zeros())
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    &b[i..]
}

/// The key type an algorithm needs (RFC 7518 §3.1).
fn kty_for_alg(alg: &str) -> Option<&'static str> {
    if alg.starts_with("RS") || alg.starts_with("PS") {
        Some("RSA")
    } else if alg.starts_with("ES") {
        Some("EC")
    } else if alg == "EdDSA" || alg == "Ed25519" || alg == "Ed448" {
        Some("OKP")
    } else {
        None
    }
}

type KeyList<'a> = Vec<(String, &'a Map<String, Value>)>;

impl JwksCheck {
    fn keys<'a>(&self, doc: &'a Value) -> Result<KeyList<'a>, Outcome> {
        let selected = self.keys.select(doc);
        let Some((base, Value::Array(items))) = selected.first().map(|(p, v)| (p.clone(), *v))
        else {
            return Err(
                Outcome::fail(format!("`{}` is not an array of keys", self.keys.text()))
                    .at(self.keys.text().to_string()),
            );
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::Object(m) => out.push((format!("{base}/{i}"), m)),
                other => {
                    return Err(Outcome::fail(format!(
                        "key #{i} is not a JSON object but {}",
                        super::show(other)
                    ))
                    .at(format!("{base}/{i}")));
                }
            }
        }
        Ok(out)
    }

    fn judge(&self, doc: &Value, cx: &EvalContext<'_>) -> Outcome {
        if let Rule::KeysArray = self.rule {
            return match doc.get("keys") {
                Some(Value::Array(k)) if doc.is_object() => {
                    Outcome::pass(format!("the set is an object with {} key(s)", k.len()))
                }
                Some(other) => {
                    Outcome::fail(format!("`keys` is {}, not an array", super::show(other)))
                        .at("/keys")
                }
                None => Outcome::fail("the set has no `keys` member")
                    .expected("an object with a `keys` array")
                    .at(""),
            };
        }
        let keys = match self.keys(doc) {
            Ok(k) => k,
            Err(o) => return o,
        };
        let mut problems: Vec<(String, String)> = Vec::new();
        let mut note = |at: String, msg: String| problems.push((at, msg));
        match &self.rule {
            Rule::KeysArray => unreachable!("handled above"),
            Rule::KtyPresent => {
                for (i, (at, k)) in keys.iter().enumerate() {
                    if !k.get("kty").is_some_and(Value::is_string) {
                        note(
                            format!("{at}/kty"),
                            format!("{} has no `kty`", name_of(i, k)),
                        );
                    }
                }
            }
            Rule::NoPrivateMembers => {
                for (i, (at, k)) in keys.iter().enumerate() {
                    for m in PRIVATE_MEMBERS {
                        if k.contains_key(m) {
                            note(
                                format!("{at}/{m}"),
                                format!(
                                    "{} carries the private or symmetric member `{m}`",
                                    name_of(i, k)
                                ),
                            );
                        }
                    }
                }
            }
            Rule::UseWhenMixed => {
                let uses: Vec<Option<&str>> = keys
                    .iter()
                    .map(|(_, k)| k.get("use").and_then(Value::as_str))
                    .collect();
                let mixed = uses.contains(&Some("sig")) && uses.contains(&Some("enc"));
                if mixed {
                    for (i, (at, k)) in keys.iter().enumerate() {
                        if uses[i].is_none() {
                            note(
                                format!("{at}/use"),
                                format!(
                                    "{} has no `use` in a set that mixes signing and encryption keys",
                                    name_of(i, k)
                                ),
                            );
                        }
                    }
                }
            }
            Rule::DistinctKid => {
                let mut seen = std::collections::BTreeMap::new();
                for (i, (at, k)) in keys.iter().enumerate() {
                    match k.get("kid").and_then(Value::as_str) {
                        Some(kid) => {
                            if let Some(first) = seen.insert(kid.to_string(), i) {
                                note(
                                    format!("{at}/kid"),
                                    format!("keys #{first} and #{i} share the kid `{kid}`"),
                                );
                            }
                        }
                        None if keys.len() > 1 => note(
                            format!("{at}/kid"),
                            format!("key #{i} has no `kid` in a set of {} keys", keys.len()),
                        ),
                        None => {}
                    }
                }
            }
            Rule::RsaMinBits(min) => {
                for (i, (at, k)) in keys.iter().enumerate() {
                    if k.get("kty").and_then(Value::as_str) != Some("RSA") {
                        continue;
                    }
                    match k.get("n").and_then(Value::as_str).map(b64url) {
                        None => note(
                            format!("{at}/n"),
                            format!("{} is RSA but has no `n`", name_of(i, k)),
                        ),
                        Some(Err(e)) => {
                            note(format!("{at}/n"), format!("`n` of {} {e}", name_of(i, k)))
                        }
                        Some(Ok(n)) => {
                            let bits = bit_length(&n);
                            if bits < *min {
                                note(
                                    format!("{at}/n"),
                                    format!(
                                        "{} has a {bits}-bit RSA modulus, fewer than {min}",
                                        name_of(i, k)
                                    ),
                                );
                            }
                        }
                    }
                    match k.get("e").and_then(Value::as_str).map(b64url) {
                        Some(Ok(e)) if bit_length(&e) > 1 => {}
                        Some(Err(e)) => {
                            note(format!("{at}/e"), format!("`e` of {} {e}", name_of(i, k)))
                        }
                        _ => note(
                            format!("{at}/e"),
                            format!("{} has no usable exponent `e`", name_of(i, k)),
                        ),
                    }
                }
            }
            Rule::EcCoordinates => {
                for (i, (at, k)) in keys.iter().enumerate() {
                    if k.get("kty").and_then(Value::as_str) != Some("EC") {
                        continue;
                    }
                    let crv = k.get("crv").and_then(Value::as_str).unwrap_or("");
                    let Some(len) = (match crv {
                        "P-256" => Some(32),
                        "P-384" => Some(48),
                        "P-521" => Some(66),
                        _ => None,
                    }) else {
                        note(
                            format!("{at}/crv"),
                            format!(
                                "{} has curve `{crv}`, not P-256, P-384 or P-521",
                                name_of(i, k)
                            ),
                        );
                        continue;
                    };
                    for c in ["x", "y"] {
                        match k.get(c).and_then(Value::as_str).map(b64url) {
                            None => note(
                                format!("{at}/{c}"),
                                format!("{} has no `{c}`", name_of(i, k)),
                            ),
                            Some(Err(e)) => note(
                                format!("{at}/{c}"),
                                format!("`{c}` of {} {e}", name_of(i, k)),
                            ),
                            Some(Ok(b)) if b.len() != len => note(
                                format!("{at}/{c}"),
                                format!(
                                    "`{c}` of {} is {} bytes; {crv} needs exactly {len}",
                                    name_of(i, k),
                                    b.len()
                                ),
                            ),
                            Some(Ok(_)) => {}
                        }
                    }
                }
            }
            Rule::X5cMatchesKey => {
                for (i, (at, k)) in keys.iter().enumerate() {
                    let Some(first) = k
                        .get("x5c")
                        .and_then(Value::as_array)
                        .and_then(|a| a.first())
                    else {
                        continue;
                    };
                    if let Err(e) = x5c_matches(first, k) {
                        note(format!("{at}/x5c/0"), format!("{}: {e}", name_of(i, k)));
                    }
                }
            }
            Rule::AlgMatchesKty => {
                for (i, (at, k)) in keys.iter().enumerate() {
                    let (Some(alg), kty) = (
                        k.get("alg").and_then(Value::as_str),
                        k.get("kty").and_then(Value::as_str),
                    ) else {
                        continue;
                    };
                    if let Some(need) = kty_for_alg(alg)
                        && Some(need) != kty
                    {
                        note(
                            format!("{at}/alg"),
                            format!(
                                "{} has alg {alg}, which needs kty {need}, but kty is {}",
                                name_of(i, k),
                                kty.unwrap_or("missing")
                            ),
                        );
                    }
                }
            }
            Rule::SigningKeyForAlgs(t) => {
                let algs = match super::expected(t, cx) {
                    Ok(Value::Array(a)) => a,
                    Ok(other) => vec![other],
                    Err(o) => return o,
                };
                for alg in algs
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|a| *a != "none")
                {
                    let usable = keys.iter().any(|(_, k)| {
                        let kty = k.get("kty").and_then(Value::as_str);
                        let use_ok = k
                            .get("use")
                            .and_then(Value::as_str)
                            .is_none_or(|u| u == "sig");
                        let alg_ok = k
                            .get("alg")
                            .and_then(Value::as_str)
                            .is_none_or(|a| a == alg);
                        use_ok && alg_ok && kty.is_some() && kty == kty_for_alg(alg)
                    });
                    if !usable {
                        note(
                            self.keys.text().to_string(),
                            format!(
                                "no signing key can verify {alg}, which the provider advertises"
                            ),
                        );
                    }
                }
            }
        }
        match problems.first() {
            None => Outcome::pass(format!("{} key(s) hold", keys.len())),
            Some((at, msg)) => {
                let more = if problems.len() > 1 {
                    format!(" (and {} more)", problems.len() - 1)
                } else {
                    String::new()
                };
                Outcome::fail(format!("{msg}{more}"))
                    .at(at.clone())
                    .actual(json!(
                        problems.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>()
                    ))
            }
        }
    }
}

/// The first `x5c` certificate's public key equals the JWK's bare key.
fn x5c_matches(cert: &Value, key: &Map<String, Value>) -> Result<(), String> {
    use x509_parser::prelude::*;
    use x509_parser::public_key::PublicKey;
    let der = cert.as_str().ok_or("x5c[0] is not a string")?;
    let der = STANDARD
        .decode(der)
        .map_err(|e| format!("x5c[0] is not base64 DER ({e})"))?;
    let (_, parsed) = X509Certificate::from_der(&der)
        .map_err(|e| format!("x5c[0] is not an X.509 certificate ({e})"))?;
    let spki = parsed
        .public_key()
        .parsed()
        .map_err(|e| format!("x5c[0] has an unreadable key ({e})"))?;
    let member = |m: &str| {
        key.get(m)
            .and_then(Value::as_str)
            .ok_or(format!("the JWK lacks `{m}` beside its x5c"))
            .and_then(|v| b64url(v).map_err(|e| format!("`{m}` {e}")))
    };
    match (key.get("kty").and_then(Value::as_str), spki) {
        (Some("RSA"), PublicKey::RSA(rsa)) => {
            let (n, e) = (member("n")?, member("e")?);
            if strip_zeros(rsa.modulus) == strip_zeros(&n)
                && strip_zeros(rsa.exponent) == strip_zeros(&e)
            {
                Ok(())
            } else {
                Err("the certificate's RSA key differs from `n`/`e`".into())
            }
        }
        (Some("EC"), PublicKey::EC(point)) => {
            let (x, y) = (member("x")?, member("y")?);
            let mut expected = vec![0x04];
            expected.extend(x);
            expected.extend(y);
            if point.data() == expected.as_slice() {
                Ok(())
            } else {
                Err("the certificate's EC point differs from `x`/`y`".into())
            }
        }
        (kty, _) => Err(format!(
            "the certificate's key type does not match kty {}",
            kty.unwrap_or("(missing)")
        )),
    }
}

impl CheckKind for JwksCheck {
    fn name(&self) -> &'static str {
        "jwks"
    }
    fn templates(&self) -> Vec<&Template> {
        match &self.rule {
            Rule::SigningKeyForAlgs(t) => vec![t],
            _ => Vec::new(),
        }
    }
    fn evaluate(&self, response: &Response, cx: &EvalContext<'_>) -> Outcome {
        match response.json() {
            Ok(doc) => self.judge(doc, cx),
            Err(e) => Outcome::error(format!("cannot read the key set: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schemas::SchemaRegistry;
    use crate::template::{Found, Vars};
    use std::time::Duration;

    struct Algs;
    impl Vars for Algs {
        fn lookup(&self, _: &[String]) -> Result<Option<Found>, String> {
            Ok(Some(Found {
                value: json!(["RS256", "ES256", "none"]),
                secret: false,
            }))
        }
    }

    fn run(rule_yaml: &str, set: Value) -> Outcome {
        let src = crate::diag::SourceFile::new("t.yaml", rule_yaml);
        let node = crate::yaml::parse(&src).unwrap();
        let mut d = Diagnostics::default();
        let registry = SchemaRegistry::new(&[], &mut d);
        let check = decode(&node, &DecodeContext { schemas: &registry }, &mut d).expect("decodes");
        assert!(d.is_empty(), "{d:?}");
        let response = Response::new(
            200,
            vec![],
            serde_json::to_vec(&set).unwrap(),
            Duration::ZERO,
        );
        check.evaluate(
            &response,
            &EvalContext {
                vars: &Algs,
                schemas: &registry,
                request: None,
            },
        )
    }

    fn n_of_bits(bits: usize) -> String {
        let mut n = vec![0xffu8; bits / 8];
        n[0] = 0x80 | 0x01;
        URL_SAFE_NO_PAD.encode(n)
    }

    fn rsa(kid: &str, bits: usize) -> Value {
        json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": n_of_bits(bits), "e": "AQAB"})
    }

    fn ec(kid: &str, len: usize) -> Value {
        json!({"kty": "EC", "kid": kid, "crv": "P-256", "x": URL_SAFE_NO_PAD.encode(vec![1u8; len]), "y": URL_SAFE_NO_PAD.encode(vec![2u8; 32])})
    }

    use crate::check::Status::{Fail, Pass};

    #[test]
    fn key_sizes_come_from_the_decoded_modulus() {
        assert_eq!(
            run("{rule: rsa_min_bits}", json!({"keys": [rsa("a", 2048)]})).status,
            Pass
        );
        let out = run(
            "{rule: rsa_min_bits}",
            json!({"keys": [rsa("a", 2048), rsa("old", 1024)]}),
        );
        assert_eq!(out.status, Fail);
        assert!(
            out.message.contains("key `old` has a 1024-bit RSA modulus"),
            "{}",
            out.message
        );
        assert_eq!(out.at.as_deref(), Some("/keys/1/n"));
        assert_eq!(
            run(
                "{rule: rsa_min_bits, min_bits: 3072}",
                json!({"keys": [rsa("a", 2048)]})
            )
            .status,
            Fail
        );
        let padded =
            json!({"keys": [{"kty": "RSA", "n": format!("{}==", n_of_bits(2048)), "e": "AQAB"}]});
        assert!(
            run("{rule: rsa_min_bits}", padded)
                .message
                .contains("padded")
        );
    }

    #[test]
    fn private_members_and_kids() {
        let leaked = json!({"keys": [rsa("a", 2048), {"kty": "RSA", "kid": "b", "n": n_of_bits(2048), "e": "AQAB", "d": "secret"}]});
        let out = run("{rule: no_private_members}", leaked);
        assert_eq!((out.status, out.at.as_deref()), (Fail, Some("/keys/1/d")));
        assert_eq!(
            run(
                "{rule: distinct_kid}",
                json!({"keys": [rsa("a", 2048), rsa("a", 2048)]})
            )
            .status,
            Fail
        );
        assert_eq!(
            run(
                "{rule: distinct_kid}",
                json!({"keys": [rsa("a", 2048), rsa("b", 2048)]})
            )
            .status,
            Pass
        );
        assert_eq!(
            run("{rule: kty_present}", json!({"keys": [{"kid": "x"}]})).status,
            Fail
        );
        assert_eq!(run("{rule: keys_array}", json!({"kid": "x"})).status, Fail);
        assert_eq!(run("{rule: keys_array}", json!({"keys": []})).status, Pass);
    }

    #[test]
    fn curves_uses_and_algorithms() {
        assert_eq!(
            run("{rule: ec_coordinates}", json!({"keys": [ec("e", 32)]})).status,
            Pass
        );
        assert_eq!(
            run("{rule: ec_coordinates}", json!({"keys": [ec("e", 31)]})).status,
            Fail
        );
        let mixed = json!({"keys": [rsa("a", 2048), {"kty": "RSA", "use": "enc", "n": n_of_bits(2048), "e": "AQAB"}, {"kty": "EC", "crv": "P-256"}]});
        assert_eq!(run("{rule: use_when_mixed}", mixed).status, Fail);
        let wrong = json!({"keys": [{"kty": "EC", "alg": "RS256"}]});
        assert_eq!(run("{rule: alg_matches_kty}", wrong).status, Fail);
        // RS256 and ES256 are advertised: an RSA key alone leaves ES256 without a key.
        let out = run(
            "{rule: signing_key_for_algs, algs: '{{ capture.algs }}'}",
            json!({"keys": [rsa("a", 2048)]}),
        );
        assert!(out.message.contains("ES256"), "{}", out.message);
        let both = json!({"keys": [rsa("a", 2048), ec("e", 32)]});
        assert_eq!(
            run(
                "{rule: signing_key_for_algs, algs: '{{ capture.algs }}'}",
                both
            )
            .status,
            Pass
        );
    }

    #[test]
    fn x5c_must_carry_the_same_key() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["jwks.test".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let point = key.public_key_raw();
        let (x, y) = (&point[1..33], &point[33..65]);
        let jwk = |x: &[u8]| json!({"kty": "EC", "crv": "P-256", "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y), "x5c": [STANDARD.encode(cert.der())]});
        assert_eq!(
            run("{rule: x5c_matches_key}", json!({"keys": [jwk(x)]})).status,
            Pass
        );
        let out = run(
            "{rule: x5c_matches_key}",
            json!({"keys": [jwk(&[7u8; 32])]}),
        );
        assert_eq!(out.status, Fail);
        assert!(out.message.contains("differs"), "{}", out.message);
    }

    #[test]
    fn unknown_rules_are_load_errors() {
        let src = crate::diag::SourceFile::new("t.yaml", "{rule: rsa_min_bit}");
        let node = crate::yaml::parse(&src).unwrap();
        let mut d = Diagnostics::default();
        let registry = SchemaRegistry::new(&[], &mut Diagnostics::default());
        assert!(decode(&node, &DecodeContext { schemas: &registry }, &mut d).is_none());
        assert!(d.0[0].help.as_deref().unwrap().contains("rsa_min_bits"));
    }
}
