//! The sandbox: reference endpoints of the eleven countries, served on
//! loopback from `fixtures/sandbox/<cc>/routes.yaml`, over HTTPS (a
//! certificate from a CA made at start-up) and plain HTTP (a second port).
//!
//! It knows hosts, paths and canned answers, never requirements: what a
//! country's sandbox data gets wrong on purpose is listed in
//! `fixtures/sandbox/README.md`. New domains add endpoints by adding data
//! files only.
//!
//! `conform sandbox` serves it alone; `conform run --sandbox` starts it in
//! the same process and points every profile at it ([`point_plan_at`],
//! [`SandboxHandle::transport`]).

pub mod render;
pub mod routes;
pub mod tls;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use chrono::{DateTime, Utc};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::diag::Diagnostics;
use crate::exec::http::TransportOptions;
use crate::plan::Plan;
use crate::profile::{EffectiveProfile, Limits};
use crate::project::Root;

pub use render::{Ports, add_ports, add_ports_json};
pub use routes::{Route, Routes, Scheme};

/// Load the sandbox's routes from a root's `fixtures/sandbox/`.
pub fn load(root: &Root) -> Result<Routes, Diagnostics> {
    let files = root.sandbox_files().map_err(|d| Diagnostics(vec![d]))?;
    routes::load(&files)
}

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// The address to listen on (loopback).
    pub ip: IpAddr,
    /// 0 picks a free port.
    pub https_port: u16,
    /// 0 picks a free port.
    pub http_port: u16,
    /// Host names to cover in the certificate (and resolve) besides those of
    /// the routes: in `run --sandbox`, every `.test` host of the profiles, so
    /// that a host without data answers 404 rather than a TLS failure.
    pub extra_hosts: Vec<String>,
    /// The clock certificate placeholders are relative to.
    pub now: DateTime<Utc>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            https_port: 0,
            http_port: 0,
            extra_hosts: Vec::new(),
            now: Utc::now(),
        }
    }
}

/// A running sandbox. Dropping it (or [`SandboxHandle::stop`]) stops it.
pub struct SandboxHandle {
    pub https_addr: SocketAddr,
    pub http_addr: SocketAddr,
    /// The CA that issued the server certificate, PEM: trust it to talk to the sandbox.
    pub ca_pem: String,
    /// Every host the sandbox answers for (the routes' and the extra ones), sorted.
    pub hosts: Vec<String>,
    /// The routes as served (rendered).
    pub routes: Arc<Routes>,
    tasks: Vec<JoinHandle<()>>,
}

impl SandboxHandle {
    pub fn ports(&self) -> Ports {
        Ports {
            https: self.https_addr.port(),
            http: self.http_addr.port(),
        }
    }

    /// Transport settings for a run against the sandbox: its hosts resolved
    /// to it, its CA trusted (for this run only), per-host limits off.
    pub fn transport(&self, base: TransportOptions) -> TransportOptions {
        let mut t = base;
        for host in &self.hosts {
            // reqwest takes the port from the URL; the address's port is ignored.
            t.resolve
                .push((host.clone(), SocketAddr::new(self.https_addr.ip(), 0)));
        }
        t.extra_roots.push(self.ca_pem.clone().into_bytes());
        t.limits = Some(Limits {
            concurrency: 64,
            rate: 0.0,
        });
        t
    }

    /// Stop serving: the listeners close and open connections are dropped.
    pub fn stop(self) {}
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Every `.test` host that the plan's profiles name.
pub fn plan_hosts(plan: &Plan) -> Vec<String> {
    let mut hosts: Vec<String> = plan
        .countries
        .iter()
        .flat_map(|c| c.profile.hosts.iter())
        .filter(|h| render::is_test_host(h))
        .cloned()
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// Point every profile of a plan at the sandbox: every `.test` URL in every
/// profile gets the sandbox's port for its scheme ([`add_ports`], the same
/// rewrite the served documents get), so that an issuer in a profile and the
/// issuer in the document it fetches stay identical.
pub fn point_plan_at(plan: &mut Plan, ports: Ports) {
    for country in &mut plan.countries {
        country.profile = Arc::new(point_profile_at(&country.profile, ports));
    }
}

/// One profile with [`add_ports`] applied to every string of its tree.
pub fn point_profile_at(profile: &EffectiveProfile, ports: Ports) -> EffectiveProfile {
    let mut p = profile.clone();
    add_ports_json(&mut p.tree, ports);
    // Hosts are names without ports, so the rewrite leaves them as they
    // were; recomputed all the same, from the tree secrets may go to.
    let mut hosts = Vec::new();
    crate::profile::collect_hosts(&p.tree, &mut hosts);
    hosts.sort();
    hosts.dedup();
    p.hosts = hosts;
    p
}

/// What one listener serves.
struct Served {
    routes: Arc<Routes>,
    scheme: Scheme,
}

/// Start serving `routes`: bind both ports, make the CA and the server
/// certificate, render every body and header with the actual ports.
pub async fn start(routes: &Routes, opts: SandboxOptions) -> Result<SandboxHandle, String> {
    let bind = |port: u16| async move {
        TcpListener::bind(SocketAddr::new(opts.ip, port))
            .await
            .map_err(|e| format!("cannot listen on {}:{port}: {e}", opts.ip))
    };
    let https = bind(opts.https_port).await?;
    let http = bind(opts.http_port).await?;
    let https_addr = https.local_addr().map_err(|e| e.to_string())?;
    let http_addr = http.local_addr().map_err(|e| e.to_string())?;
    let ports = Ports {
        https: https_addr.port(),
        http: http_addr.port(),
    };

    let ca = tls::Authority::new()?;
    let mut values = BTreeMap::new();
    for (name, kind) in [
        ("sandbox.cert.valid", tls::CertKind::Valid),
        ("sandbox.cert.expired", tls::CertKind::Expired),
        ("sandbox.cert.expiring_soon", tls::CertKind::ExpiringSoon),
    ] {
        let der = ca.certificate(kind, opts.now)?;
        values.insert(name, base64::engine::general_purpose::STANDARD.encode(der));
    }
    let render = |text: &str| add_ports(&render::fill(text, &values), ports);
    let rendered = Routes {
        routes: routes
            .routes
            .iter()
            .map(|r| {
                let mut r = r.clone();
                for (_, v) in &mut r.headers {
                    *v = render(v);
                }
                if let Ok(text) = std::str::from_utf8(&r.body) {
                    r.body = render(text).into_bytes();
                }
                r
            })
            .collect(),
    };
    let routes = Arc::new(rendered);

    let mut hosts = routes.hosts();
    hosts.extend(
        opts.extra_hosts
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .filter(|h| render::is_test_host(h)),
    );
    hosts.sort();
    hosts.dedup();
    let mut names = hosts.clone();
    names.extend(["localhost".to_string(), "127.0.0.1".to_string()]);
    if opts.ip.is_loopback() && !names.contains(&opts.ip.to_string()) {
        names.push(opts.ip.to_string());
    }
    let tls = tokio_rustls::TlsAcceptor::from(ca.server_config(&names)?);

    let tasks = vec![
        tokio::spawn(serve(
            https,
            Some(tls),
            Arc::new(Served {
                routes: routes.clone(),
                scheme: Scheme::Https,
            }),
        )),
        tokio::spawn(serve(
            http,
            None,
            Arc::new(Served {
                routes: routes.clone(),
                scheme: Scheme::Http,
            }),
        )),
    ];
    Ok(SandboxHandle {
        https_addr,
        http_addr,
        ca_pem: ca.pem().to_string(),
        hosts,
        routes,
        tasks,
    })
}

/// Accept connections until aborted; aborting drops every open connection
/// (they live in this task's [`JoinSet`]).
async fn serve(listener: TcpListener, tls: Option<tokio_rustls::TlsAcceptor>, served: Arc<Served>) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors or similar: wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let served = served.clone();
        let tls = tls.clone();
        connections.spawn(async move {
            let builder = auto::Builder::new(TokioExecutor::new());
            match tls {
                Some(acceptor) => {
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                            .await
                    else {
                        return;
                    };
                    let sni = stream.get_ref().1.server_name().map(str::to_string);
                    let service = TowerToHyperService::new(router(served, sni));
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                }
                None => {
                    let service = TowerToHyperService::new(router(served, None));
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                }
            }
        });
    }
}

#[derive(Clone)]
struct Connection {
    served: Arc<Served>,
    sni: Option<String>,
}

fn router(served: Arc<Served>, sni: Option<String>) -> axum::Router {
    axum::Router::new()
        .fallback(answer)
        .with_state(Connection { served, sni })
}

/// The host a request is for: the URI's authority (HTTP/2 `:authority`),
/// else the `Host` header (HTTP/1.1), else the TLS SNI; without its port.
fn request_host(req: &Request, sni: Option<&str>) -> Option<String> {
    let raw = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        })
        .or_else(|| sni.map(str::to_string))?;
    let host = match raw.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6).to_string(),
        None => raw
            .rsplit_once(':')
            .map_or(raw.as_str(), |(h, _)| h)
            .to_string(),
    };
    Some(host.trim_end_matches('.').to_ascii_lowercase())
}

async fn answer(State(conn): State<Connection>, req: Request) -> Response {
    let host = request_host(&req, conn.sni.as_deref()).unwrap_or_default();
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    // Routes may match on the body (SOAP answers every operation at one URL);
    // the sandbox reads at most 1 MiB of it.
    let body = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let found = conn
        .served
        .routes
        .find(conn.served.scheme, &host, &method, &path, &query, &body);
    let Some(route) = found else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"error":"not_found"}"#))
            .unwrap_or_default();
    };
    // For a HEAD, hyper sends the headers (and the length) but not the body.
    let mut resp = Response::new(Body::from(route.body.clone()));
    *resp.status_mut() = StatusCode::from_u16(route.status).unwrap_or(StatusCode::OK);
    for (name, value) in &route.headers {
        // Both were checked when loading; a value the rendering broke is skipped.
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn profiles_point_at_the_sandbox_ports() {
        let text = "country: IS\nname: Iceland\nlanguages: [is, en]\ncapabilities: [oidc]\n\
endpoints: { eid: https://innskra.island.is }\noidc: { issuer: https://innskra.island.is/ }\n\
environments:\n  sandbox:\n    endpoints: { eid: https://innskra.island.is.test/, data_exchange: http://straumurinn.is.test }\n    oidc: { issuer: https://innskra.island.is.test/, other: 'https://x.is.test:1234/' }\n";
        let src = crate::diag::SourceFile::new("countries/is.yaml", text);
        let node = crate::yaml::parse(&src).unwrap();
        let mut d = Diagnostics::default();
        let profile = crate::profile::decode(&node, "countries/is.yaml", &mut d).unwrap();
        assert!(d.is_empty(), "{}", d.render());
        let effective = profile.effective(Some("sandbox"), &[]).unwrap();
        let pointed = point_profile_at(
            &effective,
            Ports {
                https: 4443,
                http: 8080,
            },
        );
        assert_eq!(
            pointed.tree.pointer("/oidc/issuer"),
            Some(&json!("https://innskra.island.is.test:4443/"))
        );
        assert_eq!(
            pointed.tree.pointer("/endpoints/data_exchange"),
            Some(&json!("http://straumurinn.is.test:8080"))
        );
        assert_eq!(
            pointed.tree.pointer("/oidc/other"),
            Some(&json!("https://x.is.test:1234/"))
        );
        assert_eq!(pointed.tree.pointer("/country"), Some(&json!("IS")));
        assert_eq!(pointed.hosts, effective.hosts);
        assert!(pointed.hosts.contains(&"straumurinn.is.test".to_string()));
    }
}
