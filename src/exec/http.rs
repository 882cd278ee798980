//! The HTTP side: one client per country profile (its TLS settings, the
//! sandbox's resolver and CA when asked), per-host politeness, and sending a
//! request with timeouts and a cap on the body, turning every transport
//! fault into a message that names it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::time::Instant as TokioInstant;

use futures::StreamExt;
use tokio::sync::{Mutex, Semaphore};

use crate::exchange::{Request, Response};
use crate::profile::{EffectiveProfile, Limits};

/// Transport settings of a run.
#[derive(Debug, Clone)]
pub struct TransportOptions {
    pub connect_timeout: Duration,
    /// From sending until the response headers arrive.
    pub first_byte_timeout: Duration,
    /// From sending until the last byte of the body.
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    /// Host names answered from here instead of DNS (the sandbox).
    pub resolve: Vec<(String, SocketAddr)>,
    /// Extra trust anchors (PEM) for this run only (the sandbox CA).
    pub extra_roots: Vec<Vec<u8>>,
    /// Turn TLS verification off. Asked for explicitly, recorded in reports.
    pub insecure: bool,
    /// Override every profile's per-host limits.
    pub limits: Option<Limits>,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 10 * 1024 * 1024,
            resolve: Vec::new(),
            extra_roots: Vec::new(),
            insecure: false,
            limits: None,
        }
    }
}

/// The runner's own name resolution: the reserved top-level domains that
/// never resolve (`.invalid`, `.test` outside the sandbox, RFC 6761) fail at
/// once with a clear reason instead of waiting on the system resolver;
/// everything else goes to the system. Names the sandbox serves are answered
/// before this is asked (`TransportOptions::resolve`).
struct Resolver;

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        Box::pin(async move {
            if let Some(tld) = [".invalid", ".test"]
                .iter()
                .find(|t| host.ends_with(*t) || host == t[1..])
            {
                return Err(format!(
                    "name does not resolve: {host} is under the reserved top-level domain {tld}"
                )
                .into());
            }
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| format!("name does not resolve: {host}: {e}"))?
                .collect();
            if addrs.is_empty() {
                return Err(format!("name does not resolve: {host} has no address").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A country's clients: one that follows redirects, one that does not.
pub struct CountryClient {
    plain: reqwest::Client,
    following: reqwest::Client,
}

impl CountryClient {
    pub fn new(
        profile: &EffectiveProfile,
        opts: &TransportOptions,
        secrets: &dyn Fn(&str) -> Result<String, String>,
        base: &Path,
    ) -> Result<Self, String> {
        let build = |redirect: reqwest::redirect::Policy,
                     read_once: bool|
         -> Result<reqwest::Client, String> {
            let mut b = reqwest::Client::builder()
                .use_rustls_tls()
                .redirect(redirect)
                .connect_timeout(opts.connect_timeout)
                .tls_info(true)
                .dns_resolver(Arc::new(Resolver))
                .user_agent(concat!("conform/", env!("CARGO_PKG_VERSION")));
            if read_once {
                b = b.tls_built_in_root_certs(false);
                for cert in system_roots() {
                    b = b.add_root_certificate(cert.clone());
                }
            }
            for (host, addr) in &opts.resolve {
                b = b.resolve(host, *addr);
            }
            if !opts.resolve.is_empty() {
                // The sandbox answers on loopback: a CI proxy must not see its names.
                b = b.no_proxy();
            }
            for pem in &opts.extra_roots {
                let cert = reqwest::Certificate::from_pem(pem)
                    .map_err(|e| format!("invalid CA certificate: {e}"))?;
                b = b.add_root_certificate(cert);
            }
            if let Some(bundle) = &profile.tls.ca_bundle {
                let path = base.join(bundle);
                let pem = std::fs::read(&path)
                    .map_err(|e| format!("tls.ca_bundle {}: {e}", path.display()))?;
                for cert in reqwest::Certificate::from_pem_bundle(&pem)
                    .map_err(|e| format!("tls.ca_bundle {}: {e}", path.display()))?
                {
                    b = b.add_root_certificate(cert);
                }
            }
            match (&profile.tls.client_cert, &profile.tls.client_key) {
                (Some(cert), Some(key)) => {
                    let mut pem = secrets(cert)?.into_bytes();
                    pem.push(b'\n');
                    pem.extend(secrets(key)?.into_bytes());
                    let id = reqwest::Identity::from_pem(&pem).map_err(|_| "the client certificate or key (tls.client_cert, tls.client_key) is not valid PEM".to_string())?;
                    b = b.identity(id);
                }
                (None, None) => {}
                _ => return Err("tls.client_cert and tls.client_key go together".into()),
            }
            if opts.insecure {
                b = b.danger_accept_invalid_certs(true);
            }
            b.build()
                .map_err(|e| format!("cannot set up the HTTP client: {}", chain(&e)))
        };
        // The system roots as read once per process; should the TLS library
        // refuse one of them, reqwest's own reading (which skips what it
        // refuses) is used from then on.
        let client = |redirect: fn() -> reqwest::redirect::Policy| {
            if SYSTEM_ROOTS_REFUSED.load(Ordering::Relaxed) {
                return build(redirect(), false);
            }
            build(redirect(), true).or_else(|_| {
                SYSTEM_ROOTS_REFUSED.store(true, Ordering::Relaxed);
                build(redirect(), false)
            })
        };
        Ok(CountryClient {
            plain: client(reqwest::redirect::Policy::none)?,
            following: client(redirect_policy)?,
        })
    }
}

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 10;

/// A redirect that leads back to a URL already visited.
#[derive(Debug)]
struct RedirectLoop(String);

impl std::fmt::Display for RedirectLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "redirect loop: {} was already visited", self.0)
    }
}

impl std::error::Error for RedirectLoop {}

/// Follow up to [`MAX_REDIRECTS`] redirects, naming a loop as soon as a URL comes back.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().iter().any(|u| u == attempt.url()) {
            let url = attempt.url().to_string();
            attempt.error(RedirectLoop(url))
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else {
            attempt.follow()
        }
    })
}

/// Read the system roots on a thread of their own while the project loads,
/// so that building the clients does not wait for them.
pub fn warm_system_roots() {
    std::thread::spawn(|| {
        system_roots();
    });
}

/// A client built with [`system_roots`] failed: build with reqwest's own.
static SYSTEM_ROOTS_REFUSED: AtomicBool = AtomicBool::new(false);

/// The system's trust anchors, read once per process. A client built with
/// reqwest's built-in roots reads the certificate bundle and folder again
/// (about 150 files here), which was half the start-up of a short run, and
/// every country has two clients.
fn system_roots() -> &'static [reqwest::Certificate] {
    static ROOTS: OnceLock<Vec<reqwest::Certificate>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        rustls_native_certs::load_native_certs()
            .certs
            .iter()
            .filter_map(|c| reqwest::Certificate::from_der(c.as_ref()).ok())
            .collect()
    })
}

/// Per-host concurrency and rate, shared across a run.
#[derive(Default)]
pub struct Hosts {
    hosts: Mutex<HashMap<String, Arc<HostGate>>>,
}

pub struct HostGate {
    slots: Semaphore,
    /// Seconds between requests; zero for no rate limit.
    interval: Duration,
    next: Mutex<TokioInstant>,
}

impl Hosts {
    pub async fn gate(&self, host: &str, limits: Limits) -> Arc<HostGate> {
        let mut hosts = self.hosts.lock().await;
        if let Some(gate) = hosts.get(host) {
            return gate.clone();
        }
        hosts
            .entry(host.to_string())
            .or_insert_with(|| {
                Arc::new(HostGate {
                    slots: Semaphore::new(limits.concurrency.max(1)),
                    interval: if limits.rate > 0.0 {
                        Duration::from_secs_f64(1.0 / limits.rate)
                    } else {
                        Duration::ZERO
                    },
                    next: Mutex::new(TokioInstant::now()),
                })
            })
            .clone()
    }
}

impl HostGate {
    /// Wait for a slot and for the rate, then hold the slot while `f` runs.
    pub async fn run<T>(&self, f: impl Future<Output = T>) -> T {
        let _permit = self
            .slots
            .acquire()
            .await
            .expect("the semaphore is never closed");
        if !self.interval.is_zero() {
            let wait = {
                let mut next = self.next.lock().await;
                let now = TokioInstant::now();
                let at = (*next).max(now);
                *next = at + self.interval;
                at - now
            };
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        f.await
    }
}

/// The error chain of a failure, deduplicated, as one line.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

fn describe(e: &reqwest::Error, url: &url::Url, connect_timeout: Duration) -> String {
    let detail = chain(e);
    let lower = detail.to_ascii_lowercase();
    let at = host_port(url);
    if e.is_connect() && e.is_timeout() {
        format!(
            "connect timed out: no connection to {at} within {} ms",
            connect_timeout.as_millis()
        )
    } else if e.is_timeout() {
        format!("timed out: {detail}")
    } else if let Some(what) = tls_fault(&lower) {
        // Also after the handshake: in TLS 1.3 a server's verdict on the
        // client certificate arrives as an alert with the first answer.
        format!("TLS failure with {at}: {what} ({detail})")
    } else if url.scheme() == "https" && lower.contains("connection was not ready") {
        // TLS 1.3: the handshake ended, then the server hung up before the
        // request went out; its alert (if any) was lost with the connection.
        format!(
            "TLS failure with {at}: the server closed the connection right after the TLS handshake; it may require a client certificate (mutual TLS) or refuse the one sent ({detail})"
        )
    } else if e.is_connect() {
        if lower.contains("connection refused") {
            format!("connection refused by {at}")
        } else if lower.contains("certificate")
            || lower.contains("tls")
            || lower.contains("handshake")
        {
            format!("TLS failure with {at}: {detail}")
        } else if lower.contains("does not resolve")
            || lower.contains("dns")
            || lower.contains("lookup")
        {
            format!("cannot resolve {at}: {detail}")
        } else {
            format!("cannot connect to {at}: {detail}")
        }
    } else if e.is_redirect() {
        if let Some(visited) = find_source::<RedirectLoop>(e) {
            let from = e.url().map(|u| u.to_string()).unwrap_or_default();
            format!(
                "redirect loop: {from} redirects back to {}, which was already visited",
                visited.0
            )
        } else {
            format!("too many redirects: {detail}")
        }
    } else if e.is_body() || e.is_decode() {
        format!("the body broke off: {detail}")
    } else {
        format!("request failed: {detail}")
    }
}

/// The first error of type `T` in a chain.
fn find_source<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<T>() {
            return Some(t);
        }
        cur = err.source();
    }
    None
}

/// The certificate faults a national team can act on, in words (from rustls's messages).
fn tls_fault(lower: &str) -> Option<&'static str> {
    if !["certificate", "alert", "tls"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return None;
    }
    if lower.contains("alert: unknownca") || lower.contains("alert: unknown ca") {
        Some("the server refused the client certificate (mutual TLS): it does not trust its CA")
    } else if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
        Some("the server's certificate is not signed by a trusted CA (unknown issuer)")
    } else if lower.contains("expired") {
        Some("the server's certificate has expired")
    } else if lower.contains("notvalidyet") || lower.contains("not valid yet") {
        Some("the server's certificate is not valid yet")
    } else if lower.contains("notvalidforname") || lower.contains("not valid for name") {
        Some("the server's certificate does not name this host (wrong host name)")
    } else if lower.contains("revoked") {
        Some("the server's certificate is revoked")
    } else if lower.contains("certificaterequired") || lower.contains("certificate required") {
        Some("the server requires a client certificate (mutual TLS) and none was accepted")
    } else if lower.contains("badcertificate") || lower.contains("bad certificate") {
        Some("the server refused the client certificate (mutual TLS)")
    } else {
        None
    }
}

fn host_port(url: &url::Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or("?"),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// Send a request and read the answer, bounded in time and size.
pub async fn send(
    client: &CountryClient,
    req: &Request,
    follow_redirects: bool,
    (connect_timeout, first_byte, timeout): (Duration, Duration, Duration),
    max_body: usize,
) -> Result<Response, String> {
    let c = if follow_redirects {
        &client.following
    } else {
        &client.plain
    };
    let method = reqwest::Method::from_bytes(req.method.as_bytes())
        .map_err(|_| format!("invalid method {}", req.method))?;
    let mut rb = c.request(method, req.url.clone());
    for (k, v) in &req.headers {
        rb = rb.header(k, v);
    }
    if let Some(body) = &req.body {
        rb = rb.body(body.clone());
    }
    let start = Instant::now();
    let deadline = TokioInstant::now() + timeout;
    let headers_by = first_byte.min(timeout);
    let resp = match tokio::time::timeout(headers_by, rb.send()).await {
        Ok(r) => r.map_err(|e| describe(&e, &req.url, connect_timeout))?,
        Err(_) => {
            return Err(format!(
                "timed out: no response headers from {} within {} ms",
                host_port(&req.url),
                headers_by.as_millis()
            ));
        }
    };
    let status = resp.status().as_u16();
    let headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let peer = resp
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|t| t.peer_certificate())
        .map(|c| vec![c.to_vec()])
        .unwrap_or_default();
    // Room for the announced length (up to the cap), so that the body is
    // not moved as it grows.
    let announced = resp.content_length().unwrap_or(0);
    let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(max_body).min(max_body));
    let mut truncated = false;
    let mut stream = resp.bytes_stream();
    loop {
        let next = match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(next) => next,
            Err(_) => {
                return Err(format!(
                    "timed out: the body was still arriving after {} ms (HTTP {status}, {} bytes so far)",
                    timeout.as_millis(),
                    body.len()
                ));
            }
        };
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| {
            format!(
                "the body broke off after {} bytes (HTTP {status}): {}",
                body.len(),
                chain(&e)
            )
        })?;
        if body.len() + chunk.len() > max_body {
            // Stop reading: the rest is never taken off the wire.
            body.extend_from_slice(&chunk[..max_body - body.len()]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    let mut r = Response::new(status, headers, body, start.elapsed());
    r.truncated = truncated;
    r.peer_certificates = peer;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The rate holds on a paused clock: no wall-clock reading, no flakiness.
    #[tokio::test(start_paused = true)]
    async fn rate_limit_spaces_requests() {
        let hosts = Hosts::default();
        let gate = hosts
            .gate(
                "idp.example",
                Limits {
                    concurrency: 8,
                    rate: 2.0,
                },
            )
            .await;
        let start = TokioInstant::now();
        let mut times = Vec::new();
        for _ in 0..5 {
            times.push(gate.run(async { TokioInstant::now() - start }).await);
        }
        let secs: Vec<f64> = times.iter().map(|d| d.as_secs_f64()).collect();
        assert_eq!(secs, vec![0.0, 0.5, 1.0, 1.5, 2.0]);
    }

    /// Never more requests in flight to one host than its limit.
    #[tokio::test(start_paused = true)]
    async fn concurrency_limit_holds() {
        let hosts = Arc::new(Hosts::default());
        let gate = hosts
            .gate(
                "idp.example",
                Limits {
                    concurrency: 3,
                    rate: 0.0,
                },
            )
            .await;
        let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (gate, now, peak) = (gate.clone(), now.clone(), peak.clone());
                tokio::spawn(async move {
                    gate.run(async {
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(n, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        now.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }

    /// Other hosts are not held up by a slow one.
    #[tokio::test(start_paused = true)]
    async fn limits_are_per_host() {
        let hosts = Hosts::default();
        let a = hosts
            .gate(
                "a.example",
                Limits {
                    concurrency: 1,
                    rate: 1.0,
                },
            )
            .await;
        let b = hosts
            .gate(
                "b.example",
                Limits {
                    concurrency: 1,
                    rate: 1.0,
                },
            )
            .await;
        let start = TokioInstant::now();
        a.run(async {}).await;
        b.run(async {}).await;
        assert_eq!(TokioInstant::now() - start, Duration::ZERO);
    }
}
