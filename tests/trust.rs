//! Trust and the network path: a proxy from `HTTPS_PROXY` (a CONNECT proxy
//! written here, on loopback) carries the requests it should and none that
//! `NO_PROXY` exempts, while the secret host rule judges the target, not the
//! proxy; mutual TLS with the profile's client certificate and CA bundle
//! against a rustls server that requires one: it passes with the
//! certificate and fails clearly without it or with a stranger's.

mod common;
#[path = "common/net.rs"]
mod net;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use common::*;
use net::*;
use tokio::io::AsyncWriteExt;

const MUST: &str = "EID-OIDC-DISC-02";
const SECRET: &str = "Px9sT4wQ7nVb";

/// A CONNECT proxy on loopback: records each target it is asked for and
/// tunnels every one to `upstream`, whatever name it asked for (so names
/// that do not resolve here still reach the test's server).
async fn connect_proxy(upstream: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let Some(head) = read_head(&mut client).await else {
                    return;
                };
                log.lock()
                    .unwrap()
                    .push(format!("{} {}", head.method, head.target));
                if head.method != "CONNECT" {
                    let _ = client
                        .write_all(b"HTTP/1.1 405 Only CONNECT\r\ncontent-length: 0\r\n\r\n")
                        .await;
                    return;
                }
                let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                if client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    (addr, seen)
}

/// A TLS server that answers the passing JSON and records the Authorization header it got.
async fn recording_server(
    tls: Arc<tokio_rustls::rustls::ServerConfig>,
) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let addr = serve(
        Some(tls),
        handler(move |head, mut conn| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(format!(
                    "{} {}",
                    head.path(),
                    head.header("authorization").unwrap_or_default()
                ));
                let _ = conn.send(&good_json()).await;
            }
        }),
    )
    .await;
    (addr, seen)
}

fn proxy_suite() -> String {
    format!(
        r#"suite: proxy
domain: eid
title: Through a proxy
requirements: [{MUST}]
cases:
  - id: proxied
    title: A name only the proxy can reach, with a secret for that (the profile's) host
    requirements: [{MUST}]
    steps:
      - request:
          url: "{{{{ profile.endpoints.eid }}}}/proxied"
          headers: {{ Authorization: "Bearer {{{{ profile.vars.token }}}}" }}
        checks:
          - status: 200
          - json: {{ path: $.ok, equals: true }}
  - id: direct
    title: A host NO_PROXY exempts
    requirements: [{MUST}]
    steps:
      - request: {{ url: "{{{{ profile.vars.direct }}}}/direct" }}
        checks:
          - status: 200
"#
    )
}

#[test]
fn https_proxy_carries_requests_and_no_proxy_exempts() {
    let rt = runtime();
    let ca = Ca::new("test CA");
    // One server for both names: `idp.xx.invalid` (which only the proxy can
    // reach: the runner's resolver refuses `.invalid`) and localhost.
    let (server, requests) = rt.block_on(recording_server(server_config(
        &ca.server(&["idp.xx.invalid", "localhost"]),
    )));
    let (proxy, tunnels) = rt.block_on(connect_proxy(server));
    let root = Root::with_profile(
        "vars: { token: \"env:XX_TOKEN\", direct: \"https://localhost:9\" }\ntls: { ca_bundle: ca.pem }\n",
    );
    root.write("ca.pem", &ca.pem);
    root.suite(&proxy_suite());
    let target = format!("https://idp.xx.invalid:{}", server.port());
    let direct = format!("vars.direct=https://localhost:{}", server.port());
    let proxy_url = format!("http://{proxy}");
    let out = root.run_against(
        &target,
        &["--jobs", "1", "--set", &direct],
        &[
            ("HTTPS_PROXY", &proxy_url),
            ("NO_PROXY", "localhost"),
            ("XX_TOKEN", SECRET),
        ],
    );
    out.assert_code(0);
    let all = cases(&root.report());
    assert_eq!(case(&all, "proxied")["verdict"], "pass");
    assert_eq!(case(&all, "direct")["verdict"], "pass");
    assert_eq!(
        tunnels.lock().unwrap().clone(),
        vec![format!("CONNECT idp.xx.invalid:{}", server.port())],
        "the proxy carried the proxied request and not the exempt one"
    );
    let requests = requests.lock().unwrap().clone();
    assert!(
        requests.contains(&format!("/proxied Bearer {SECRET}")),
        "{requests:?}"
    );
    assert!(
        requests.iter().any(|r| r.starts_with("/direct")),
        "{requests:?}"
    );
}

#[test]
fn the_secret_host_rule_judges_the_target_not_the_proxy() {
    let rt = runtime();
    let ca = Ca::new("test CA");
    let (server, requests) = rt.block_on(recording_server(server_config(
        &ca.server(&["idp.xx.invalid", "elsewhere.invalid"]),
    )));
    let (proxy, tunnels) = rt.block_on(connect_proxy(server));
    let root =
        Root::with_profile("vars: { token: \"env:XX_TOKEN\" }\ntls: { ca_bundle: ca.pem }\n");
    root.write("ca.pem", &ca.pem);
    // The proxy is on loopback and the profile's endpoint goes through it; a
    // secret for another target is still refused before anything is sent.
    root.suite(&format!(
        r#"suite: proxy
domain: eid
title: Through a proxy
requirements: [{MUST}]
cases:
  - id: elsewhere
    title: The token sent to a host outside the profile
    requirements: [{MUST}]
    steps:
      - request:
          url: "https://elsewhere.invalid:{port}/steal"
          headers: {{ Authorization: "Bearer {{{{ profile.vars.token }}}}" }}
        checks:
          - status: 200
"#,
        port = server.port()
    ));
    let target = format!("https://idp.xx.invalid:{}", server.port());
    let proxy_url = format!("http://{proxy}");
    let out = root.run_against(
        &target,
        &[],
        &[("HTTPS_PROXY", &proxy_url), ("XX_TOKEN", SECRET)],
    );
    out.assert_code(2).assert_stderr_has(
        "would send the secret `env:XX_TOKEN` to elsewhere.invalid, which is not a host of the XX profile",
    );
    assert!(
        tunnels.lock().unwrap().is_empty(),
        "the proxy saw a request"
    );
    assert!(
        requests.lock().unwrap().is_empty(),
        "the server saw a request"
    );
}

fn mtls_suite() -> String {
    format!(
        r#"suite: mtls
domain: eid
title: Mutual TLS
requirements: [{MUST}]
cases:
  - id: with-client-certificate
    title: A security server that requires a client certificate
    requirements: [{MUST}]
    steps:
      - request: {{ url: "{{{{ profile.endpoints.eid }}}}/listClients" }}
        checks:
          - status: 200
          - json: {{ path: $.ok, equals: true }}
"#
    )
}

/// A server that requires a client certificate of the member CA (`client`
/// has one, `stranger` is from another CA), and its runtime.
struct Mtls {
    _rt: tokio::runtime::Runtime,
    server: SocketAddr,
    server_ca: Ca,
    client: Leaf,
    stranger: Leaf,
}

fn mtls() -> Mtls {
    let rt = runtime();
    let server_ca = Ca::new("security server CA");
    let clients = Ca::new("member CA");
    let client = clients.leaf(&["conform.member.example"], -1, 30, true);
    let stranger = Ca::new("some other CA").leaf(&["intruder.example"], -1, 30, true);
    let server = rt.block_on(good_server(Some(mtls_config(
        &server_ca.server(&["127.0.0.1"]),
        &clients,
    ))));
    Mtls {
        _rt: rt,
        server,
        server_ca,
        client,
        stranger,
    }
}

impl Mtls {
    fn run(&self, tls: &str, files: &[(&str, &str)], env: &[(&str, &str)]) -> (Output, Root) {
        let root = Root::with_profile(&format!("tls: {{ {tls} }}\n"));
        root.write("certs/server-ca.pem", &self.server_ca.pem);
        for (path, text) in files {
            root.write(path, text);
        }
        root.suite(&mtls_suite());
        let out = root.run_against(&format!("https://{}", self.server), &[], env);
        (out, root)
    }
}

#[test]
fn mutual_tls_passes_with_the_profiles_client_certificate() {
    let m = mtls();
    let (out, root) = m.run(
        "ca_bundle: certs/server-ca.pem, client_cert: \"file:certs/client.pem\", client_key: \"env:XX_CLIENT_KEY\"",
        &[("certs/client.pem", &m.client.cert_pem)],
        &[("XX_CLIENT_KEY", &m.client.key_pem)],
    );
    out.assert_code(0);
    let c = case(&cases(&root.report()), "with-client-certificate");
    assert_eq!(c["verdict"], "pass", "{c:#}");
    // The key is a secret: no trace of it in anything written.
    let key_line = m
        .client
        .key_pem
        .lines()
        .nth(1)
        .expect("a PEM body line")
        .to_string();
    for f in files_under(&root.out()) {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        assert!(!text.contains(&key_line), "{} has the key", f.display());
    }
}

#[test]
fn mutual_tls_without_a_client_certificate_fails_clearly() {
    let m = mtls();
    let (out, root) = m.run("ca_bundle: certs/server-ca.pem", &[], &[]);
    out.assert_code(3);
    let c = case(&cases(&root.report()), "with-client-certificate");
    assert_eq!(c["verdict"], "error", "{c:#}");
    let reason = c["reason"].as_str().unwrap();
    // The server's alert arrives with the first answer, or (when it hangs up
    // before the request is out) is lost: either way the reason says mutual TLS.
    assert!(
        reason.contains("requires a client certificate (mutual TLS)")
            || reason.contains("may require a client certificate (mutual TLS)"),
        "{reason}"
    );
}

#[test]
fn mutual_tls_with_a_certificate_the_server_does_not_trust_fails_clearly() {
    let m = mtls();
    let (out, root) = m.run(
        "ca_bundle: certs/server-ca.pem, client_cert: \"file:certs/client.pem\", client_key: \"file:certs/client.key\"",
        &[
            ("certs/client.pem", &m.stranger.cert_pem),
            ("certs/client.key", &m.stranger.key_pem),
        ],
        &[],
    );
    out.assert_code(3);
    let c = case(&cases(&root.report()), "with-client-certificate");
    assert_eq!(c["verdict"], "error", "{c:#}");
    let reason = c["reason"].as_str().unwrap();
    assert!(
        reason.contains("refused the client certificate (mutual TLS)")
            || reason
                .contains("may require a client certificate (mutual TLS) or refuse the one sent"),
        "{reason}"
    );
}

#[test]
fn a_client_certificate_without_its_key_is_bad_input() {
    let m = mtls();
    let (out, _) = m.run(
        "ca_bundle: certs/server-ca.pem, client_cert: \"file:certs/client.pem\"",
        &[("certs/client.pem", &m.client.cert_pem)],
        &[],
    );
    out.assert_code(2).assert_stderr_has(
        "`client_cert` without `client_key`: a client certificate for mutual TLS needs both",
    );
}
