//! What the harness sent and what came back, free of any HTTP library, so
//! that checks and reports can read it without knowing how it travelled.

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

/// A request as sent (after templating).
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub url: String,
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
        }
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
                        "the body was cut at {} bytes and cannot be parsed",
                        self.body.len()
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
