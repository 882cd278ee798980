//! What the harness sent and what came back, free of any HTTP library, so
//! that checks and reports can read it without knowing how it travelled.

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

/// A request as sent (after templating).
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Parsed once, when the request is built: the host gate, the secret
    /// guard and the HTTP client all read it as it is.
    pub url: url::Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// A secret went into this request (its headers, URL or body).
    pub carries_secret: bool,
}

/// A response, read whole up to the body cap.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was longer than the cap and was cut.
    pub truncated: bool,
    /// Time from sending to the last byte.
    pub elapsed: Duration,
    /// The DER certificates the server presented, leaf first, when over TLS.
    pub peer_certificates: Vec<Vec<u8>>,
    json: OnceLock<Result<Value, String>>,
    parts: OnceLock<Result<Vec<Response>, String>>,
}

impl Response {
    pub fn new(
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        elapsed: Duration,
    ) -> Self {
        Response {
            status,
            headers,
            body,
            truncated: false,
            elapsed,
            peer_certificates: Vec::new(),
            json: OnceLock::new(),
            parts: OnceLock::new(),
        }
    }

    /// The parts of a multipart answer (a SOAP message with attachments,
    /// say), each as a response of its own, parsed once.
    pub fn parts(&self) -> Result<&[Response], &str> {
        self.parts
            .get_or_init(|| {
                let ct = self.header("content-type").unwrap_or("");
                if !ct
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("multipart/")
                {
                    return Err(format!("the answer is not multipart (content-type `{ct}`)"));
                }
                let boundary = ct
                    .split(';')
                    .filter_map(|p| p.trim().split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
                    .map(|(_, v)| v.trim().trim_matches('"').to_string())
                    .ok_or_else(|| {
                        format!("the multipart answer names no boundary (content-type `{ct}`)")
                    })?;
                split_multipart(&self.body, &boundary).map(|parts| {
                    parts
                        .into_iter()
                        .map(|(headers, body)| {
                            Response::new(self.status, headers, body, self.elapsed)
                        })
                        .collect()
                })
            })
            .as_ref()
            .map(Vec::as_slice)
            .map_err(String::as_str)
    }

    /// Every value of a header, names compared case-insensitively.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, parsed once however many checks ask.
    pub fn json(&self) -> Result<&Value, &str> {
        self.json
            .get_or_init(|| {
                if self.truncated {
                    return Err(format!(
                        "the body is larger than the cap of {} bytes; it was not read whole and cannot be parsed",
                        self.body.len()
                    ));
                }
                if let Err(e) = std::str::from_utf8(&self.body) {
                    // JSON text is UTF-8 (RFC 8259 §8.1): say where it is not.
                    return Err(format!(
                        "the body is not valid JSON: it is not valid UTF-8 (byte 0x{:02x} at offset {})",
                        self.body[e.valid_up_to()],
                        e.valid_up_to()
                    ));
                }
                serde_json::from_slice(&self.body)
                    .map_err(|e| format!("the body is not valid JSON ({e})"))
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// The body as text; invalid UTF-8 is replaced, as a reader would see it.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

/// A part of a multipart body: its headers and its bytes.
type RawPart = (Vec<(String, String)>, Vec<u8>);

/// Split a multipart body (RFC 2046) into its parts' headers and bodies.
fn split_multipart(body: &[u8], boundary: &str) -> Result<Vec<RawPart>, String> {
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let find = |from: usize| {
        body[from.min(body.len())..]
            .windows(d.len())
            .position(|w| w == d)
            .map(|i| i + from)
    };
    let mut at = find(0).ok_or_else(|| format!("no part starts with the boundary `{boundary}`"))?;
    let mut parts = Vec::new();
    loop {
        let after = at + d.len();
        if body[after..].starts_with(b"--") {
            break;
        }
        let start = after
            + body[after..]
                .iter()
                .position(|b| *b == b'\n')
                .map(|i| i + 1)
                .unwrap_or(0);
        let Some(next) = find(start) else {
            return Err(format!("the part at byte {at} has no closing boundary"));
        };
        let mut part = &body[start..next];
        // The line break before a boundary belongs to the boundary.
        part = part
            .strip_suffix(b"\r\n")
            .or_else(|| part.strip_suffix(b"\n"))
            .unwrap_or(part);
        let (head, content) = match part.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(i) => (&part[..i], &part[i + 4..]),
            None => match part.windows(2).position(|w| w == b"\n\n") {
                Some(i) => (&part[..i], &part[i + 2..]),
                None => (&part[..0], part),
            },
        };
        let headers = String::from_utf8_lossy(head)
            .lines()
            .filter_map(|l| {
                l.split_once(':')
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            })
            .collect();
        parts.push((headers, content.to_vec()));
        at = next;
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_multipart_answers() {
        let body = b"preamble\r\n--b1\r\nContent-Type: text/xml\r\n\r\n<a/>\r\n--b1\r\nContent-Type: text/xml\r\nContent-ID: <wsdl>\r\n\r\n<definitions/>\r\n--b1--\r\n";
        let r = Response::new(
            200,
            vec![(
                "Content-Type".into(),
                "multipart/related; type=\"text/xml\"; boundary=\"b1\"".into(),
            )],
            body.to_vec(),
            Duration::ZERO,
        );
        let parts = r.parts().unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].header("content-id"), Some("<wsdl>"));
        assert_eq!(parts[1].text(), "<definitions/>");
        let plain = Response::new(
            200,
            vec![("content-type".into(), "text/xml".into())],
            b"<a/>".to_vec(),
            Duration::ZERO,
        );
        assert!(plain.parts().unwrap_err().contains("not multipart"));
    }
}
