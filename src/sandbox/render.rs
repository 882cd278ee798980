//! Rendering what the sandbox serves: `{{ sandbox.… }}` placeholders filled
//! at start-up, and the sandbox's ports put into every `.test` URL.
//!
//! [`add_ports`] is the one rewrite, used both for served bodies and header
//! values and, in `conform run --sandbox`, for every string of every
//! profile ([`add_ports_json`]), so that what a profile expects and what the
//! sandbox answers agree to the byte.

use std::collections::BTreeMap;

use serde_json::Value;

/// The sandbox's port for each scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    pub https: u16,
    pub http: u16,
}

/// Put the port into every `http(s)://<host>.test` URL of `text` that has none.
///
/// A URL qualifies when its host ends with `.test` and is followed by `/`,
/// `?`, `#`, `"`, `'`, `<`, `>`, whitespace or the end of the text; a URL
/// that carries a port (`…test:8443/`), or whose host is not under `.test`,
/// is left alone. `https` URLs get `ports.https`, `http` URLs `ports.http`.
pub fn add_ports(text: &str, ports: Ports) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Bytes, not `&str` slices: `i` may fall inside a multi-byte character.
        let rest = &bytes[i..];
        let (scheme_len, port) = if rest.starts_with(b"https://") {
            (8, ports.https)
        } else if rest.starts_with(b"http://") {
            (7, ports.http)
        } else {
            i += 1;
            continue;
        };
        let host_start = i + scheme_len;
        let host_len = bytes[host_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'.' || **b == b'-')
            .count();
        let host_end = host_start + host_len;
        let host = &text[host_start..host_end];
        let ends = match bytes.get(host_end) {
            None => true,
            Some(b) => {
                matches!(b, b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>')
                    || b.is_ascii_whitespace()
            }
        };
        if ends && is_test_host(host) {
            out.push_str(&text[copied..host_end]);
            out.push(':');
            out.push_str(&port.to_string());
            copied = host_end;
        }
        i = host_end.max(i + 1);
    }
    out.push_str(&text[copied..]);
    out
}

/// Whether `host` is a name under the reserved `.test` TLD (RFC 6761).
pub fn is_test_host(host: &str) -> bool {
    host.len() > 5
        && host.to_ascii_lowercase().ends_with(".test")
        && !host.starts_with('.')
        && !host.contains("..")
}

/// [`add_ports`] applied to every string of a JSON tree (values, not keys).
pub fn add_ports_json(value: &mut Value, ports: Ports) {
    match value {
        Value::String(s) => {
            let new = add_ports(s, ports);
            if new != *s {
                *s = new;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| add_ports_json(v, ports)),
        Value::Object(map) => map.values_mut().for_each(|v| add_ports_json(v, ports)),
        _ => {}
    }
}

/// Placeholders the sandbox fills in at start-up: certificates of each kind
/// it generates itself, as base64 DER (the form of a JWK's `x5c` entries).
pub const PLACEHOLDERS: [&str; 3] = [
    "sandbox.cert.valid",
    "sandbox.cert.expired",
    "sandbox.cert.expiring_soon",
];

/// Every `{{ name }}` in `text`: (byte offset of `{{`, byte offset after `}}`, trimmed name).
pub fn placeholders(text: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|o| from + o) {
        let Some(close) = text[open + 2..].find("}}").map(|c| open + 2 + c) else {
            break;
        };
        out.push((open, close + 2, text[open + 2..close].trim()));
        from = close + 2;
    }
    out
}

/// Replace every placeholder by its value; unknown names are left as they
/// are (loading has already refused them).
pub fn fill(text: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, end, name) in placeholders(text) {
        if let Some(v) = values.get(name) {
            out.push_str(&text[copied..start]);
            out.push_str(v);
            copied = end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const P: Ports = Ports {
        https: 8443,
        http: 8080,
    };

    #[test]
    fn adds_ports_to_test_urls_without_one() {
        assert_eq!(
            add_ports("https://idporten.no.test/jwks", P),
            "https://idporten.no.test:8443/jwks"
        );
        assert_eq!(
            add_ports("https://idporten.no.test", P),
            "https://idporten.no.test:8443"
        );
        assert_eq!(
            add_ports("http://a.b.test?x=1", P),
            "http://a.b.test:8080?x=1"
        );
        assert_eq!(
            add_ports(
                r#"{"issuer":"https://idporten.no.test","jwks_uri":"https://idporten.no.test/jwks.json"}"#,
                P
            ),
            r#"{"issuer":"https://idporten.no.test:8443","jwks_uri":"https://idporten.no.test:8443/jwks.json"}"#
        );
        assert_eq!(
            add_ports(
                "<md:X Location='https://idp.fi.test'/> <a>http://x.test</a> http://y.test\n",
                P
            ),
            "<md:X Location='https://idp.fi.test:8443'/> <a>http://x.test:8080</a> http://y.test:8080\n"
        );
        assert_eq!(
            add_ports("https://innskra.island.is.test/", P),
            "https://innskra.island.is.test:8443/"
        );
    }

    #[test]
    fn leaves_ports_and_other_hosts_alone() {
        for s in [
            "https://idporten.no.test:9999/jwks",
            "https://idporten.no/jwks",
            "https://test/x",
            "https://example.test.example.com/x",
            "https://idporten.no.testing/",
            "https://a.test_b/",
            "ftp://a.test/",
            "see https://",
            "",
            "https://ø.test/",
            "ø https://ø.b.test/ ø",
        ] {
            assert_eq!(add_ports(s, P), s, "{s}");
        }
    }

    #[test]
    fn rewrites_every_string_of_a_tree() {
        let mut v = json!({
            "endpoints": { "eid": "https://idporten.no.test" },
            "oidc": { "issuer": "https://idporten.no.test", "acr": ["https://x.test/a", 3] },
            "https://keys.test": "https://real.example",
        });
        add_ports_json(&mut v, P);
        assert_eq!(
            v,
            json!({
                "endpoints": { "eid": "https://idporten.no.test:8443" },
                "oidc": { "issuer": "https://idporten.no.test:8443", "acr": ["https://x.test:8443/a", 3] },
                "https://keys.test": "https://real.example",
            })
        );
    }

    #[test]
    fn fills_placeholders() {
        let text = r#"{"x5c":["{{ sandbox.cert.valid }}"],"y":"{{sandbox.cert.expired}}","z":"{{ other }}"}"#;
        let names: Vec<&str> = placeholders(text).into_iter().map(|p| p.2).collect();
        assert_eq!(
            names,
            ["sandbox.cert.valid", "sandbox.cert.expired", "other"]
        );
        let values = BTreeMap::from([
            ("sandbox.cert.valid", "AAA".to_string()),
            ("sandbox.cert.expired", "BBB".to_string()),
        ]);
        assert_eq!(
            fill(text, &values),
            r#"{"x5c":["AAA"],"y":"BBB","z":"{{ other }}"}"#
        );
    }
}
