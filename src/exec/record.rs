//! Record and replay: `run --record DIR` stores every exchange, `run --replay
//! DIR` answers from the store with no network. Secrets are replaced by stable
//! placeholders (`«secret env:FI_TOKEN»`) in what is stored and in the key a
//! request is found by, so a replay matches without the secrets being set.
//!
//! Personal identity numbers (whatever [`crate::ident::find_personal`] finds,
//! in URLs, headers and bodies, sent or received) are replaced by synthetic
//! numbers valid by the same rules ([`crate::ident::pseudonymise`]): stable
//! per original, so a replay finds a request whose URL carries one and judges
//! the answer as the live run did, and no tape keeps anyone's number. This
//! holds with `--keep-personal-data` too: that flag is about reports, and a
//! tape is an artefact that travels.
//!
//! Layout: `DIR/<cc>/<key hash>.json`, one exchange per file; a request is
//! found by its method, URL and body (headers are left out: they carry
//! credentials and per-run values).

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::secrets::Redactor;
use crate::exchange::{Request, Response};
use crate::ident::pseudonymise;

/// What a tape keeps of a text: secrets as placeholders, personal identity
/// numbers as their synthetic stand-ins.
fn stored(redactor: &Redactor, text: &str) -> String {
    pseudonymise(&redactor.placeholders(text))
}

#[derive(Debug, Serialize, Deserialize)]
struct Recording {
    request: RecordedRequest,
    response: RecordedResponse,
}

#[derive(Debug, Serialize, Deserialize)]
struct RecordedRequest {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct RecordedResponse {
    status: u16,
    headers: Vec<(String, String)>,
    /// The body as text when it is UTF-8, else base64 in `body_base64`.
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_base64: Option<String>,
    truncated: bool,
    elapsed_ms: u64,
    /// The server's TLS certificates (DER, base64), leaf first.
    #[serde(default)]
    peer_certificates: Vec<String>,
}

/// Where exchanges are stored or read from, for one country.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(root: &Path, country: &str) -> Store {
        Store {
            dir: root.join(country.to_ascii_lowercase()),
        }
    }

    /// The file name a request is stored under, and the request as shown.
    /// `pseudonymised`: with personal numbers replaced by their stand-ins (as
    /// recorded); without, for a replayed request that already carries
    /// stand-ins (a number read from a replayed answer and sent on).
    fn key(req: &Request, redactor: &Redactor, pseudonymised: bool) -> (String, String) {
        let text = |t: &str| {
            if pseudonymised {
                stored(redactor, t)
            } else {
                redactor.placeholders(t)
            }
        };
        let body = req
            .body
            .as_deref()
            .map(|b| text(&String::from_utf8_lossy(b)))
            .unwrap_or_default();
        let shown = format!("{} {}", req.method, text(req.url.as_str()));
        let mut h = Sha256::new();
        h.update(shown.as_bytes());
        h.update([0]);
        h.update(body.as_bytes());
        let hash = crate::project::hex(&h.finalize());
        (hash[..24].to_string(), shown)
    }

    /// Store one exchange, secrets as placeholders.
    pub fn record(
        &self,
        req: &Request,
        resp: &Response,
        redactor: &Redactor,
    ) -> std::io::Result<()> {
        let (hash, _) = Store::key(req, redactor, true);
        let text = std::str::from_utf8(&resp.body).ok();
        let recording = Recording {
            request: RecordedRequest {
                method: req.method.clone(),
                url: stored(redactor, req.url.as_str()),
                headers: req
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), stored(redactor, v)))
                    .collect(),
                body: req
                    .body
                    .as_deref()
                    .map(|b| stored(redactor, &String::from_utf8_lossy(b))),
            },
            response: RecordedResponse {
                status: resp.status,
                headers: resp
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), stored(redactor, v)))
                    .collect(),
                body: text.map(|t| stored(redactor, t)),
                body_base64: if text.is_none() {
                    Some(B64.encode(&resp.body))
                } else {
                    None
                },
                truncated: resp.truncated,
                elapsed_ms: resp.elapsed.as_millis() as u64,
                peer_certificates: resp
                    .peer_certificates
                    .iter()
                    .map(|c| B64.encode(c))
                    .collect(),
            },
        };
        let bytes = serde_json::to_vec_pretty(&recording).map_err(std::io::Error::other)?;
        crate::report::write::atomic_write(&self.dir.join(format!("{hash}.json")), &bytes)
    }

    /// The recorded answer to `req`, or an error that names the request.
    pub fn replay(&self, req: &Request, redactor: &Redactor) -> Result<Response, String> {
        let (hash, shown) = Store::key(req, redactor, true);
        let path = self.dir.join(format!("{hash}.json"));
        let (path, text) = match std::fs::read_to_string(&path) {
            Ok(text) => (path, text),
            Err(_) => {
                let (again, _) = Store::key(req, redactor, false);
                let other = self.dir.join(format!("{again}.json"));
                match std::fs::read_to_string(&other) {
                    Ok(text) => (other, text),
                    Err(_) => {
                        return Err(format!(
                            "no recording for {} (looked for {})",
                            crate::ident::redact(&shown),
                            path.display()
                        ));
                    }
                }
            }
        };
        let rec: Recording = serde_json::from_str(&text)
            .map_err(|e| format!("recording {} is damaged: {e}", path.display()))?;
        let r = rec.response;
        let body = match (r.body, r.body_base64) {
            (Some(t), _) => t.into_bytes(),
            (None, Some(b)) => B64
                .decode(b)
                .map_err(|e| format!("recording {}: {e}", path.display()))?,
            (None, None) => Vec::new(),
        };
        let mut resp = Response::new(
            r.status,
            r.headers,
            body,
            Duration::from_millis(r.elapsed_ms),
        );
        resp.truncated = r.truncated;
        resp.peer_certificates = r
            .peer_certificates
            .iter()
            .filter_map(|c| B64.decode(c).ok())
            .collect();
        Ok(resp)
    }
}
