//! Hand-written servers on loopback for the transport tests: a tiny HTTP/1.1
//! server whose answer to each request is a function of the test (so it can
//! misbehave in any way: stall, trickle, reset, lie about lengths), optionally
//! behind rustls, and certificates made with rcgen (a CA, leaves valid,
//! expired or for another name, client certificates).
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A connection, plain or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// One request as the server read it: the request line's method and target, and the head.
#[derive(Debug, Clone)]
pub struct Head {
    pub method: String,
    pub target: String,
    pub text: String,
}

impl Head {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.text.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
/// What the server does with a request: it owns the connection from here
/// (the raw TCP stream too when plain, for resets).
pub type Handler = Arc<dyn Fn(Head, Conn) -> BoxFuture + Send + Sync>;

/// A connection handed to a handler.
pub enum Conn {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl Conn {
    pub fn io(&mut self) -> &mut dyn Io {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => s.as_mut(),
        }
    }
    /// Write bytes, ignoring a peer that went away.
    pub async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let io = self.io();
        io.write_all(bytes).await?;
        io.flush().await
    }
    /// Close with a TCP reset instead of a clean end (plain connections).
    pub fn reset(self) {
        if let Conn::Plain(s) = self {
            let _ = s.set_zero_linger();
            drop(s);
        }
    }
}

/// Read a request head (up to the blank line); `None` when the peer closed first.
pub async fn read_head(io: &mut dyn Io) -> Option<Head> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if io.read(&mut byte).await.ok()? == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let mut first = text.lines().next()?.split_whitespace();
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    // Read and drop a body the request declares.
    let head = Head {
        method,
        target,
        text,
    };
    if let Some(n) = head
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        let mut body = vec![0u8; n];
        io.read_exact(&mut body).await.ok()?;
    }
    Some(head)
}

/// A whole HTTP/1.1 answer with a body and `Connection: close`.
pub fn answer(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A JSON answer that passes the fault suite's checks.
pub fn good_json() -> Vec<u8> {
    answer(
        200,
        &[("content-type", "application/json")],
        br#"{"ok":true}"#,
    )
}

/// Serve on a fresh loopback port, with TLS when `tls` is given; every
/// request goes to `handler`. Returns the address.
pub async fn serve(tls: Option<Arc<rustls::ServerConfig>>, handler: Handler) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let mut conn = match acceptor {
                    None => Conn::Plain(tcp),
                    // A failed handshake is the client's verdict; nothing to serve.
                    Some(a) => match a.accept(tcp).await {
                        Ok(s) => Conn::Tls(Box::new(s)),
                        Err(_) => return,
                    },
                };
                let Some(head) = read_head(conn.io()).await else {
                    return;
                };
                handler(head, conn).await;
            });
        }
    });
    addr
}

/// A handler from an async closure.
pub fn handler<F, Fut>(f: F) -> Handler
where
    F: Fn(Head, Conn) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(move |h, c| Box::pin(f(h, c)))
}

/// A server that answers every request with the passing JSON.
pub async fn good_server(tls: Option<Arc<rustls::ServerConfig>>) -> SocketAddr {
    serve(
        tls,
        handler(|_, mut c| async move {
            let _ = c.send(&good_json()).await;
        }),
    )
    .await
}

/// A test certificate authority.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pub pem: String,
    pub der: CertificateDer<'static>,
}

/// A certificate with its key, PEM.
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_der: CertificateDer<'static>,
    pub key_der: PrivateKeyDer<'static>,
}

fn offset(days: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc() + time::Duration::days(days)
}

fn san(name: &str) -> SanType {
    match name.parse::<std::net::IpAddr>() {
        Ok(ip) => SanType::IpAddress(ip),
        Err(_) => SanType::DnsName(name.try_into().unwrap()),
    }
}

impl Ca {
    pub fn new(cn: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = offset(-2);
        params.not_after = offset(365);
        let cert = params.self_signed(&key).unwrap();
        Ca {
            pem: cert.pem(),
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf for `names` (DNS names or IPs), valid from `from` to `until` days from now.
    pub fn leaf(&self, names: &[&str], from: i64, until: i64, client: bool) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("client"),
        );
        params.subject_alt_names = names.iter().map(|n| san(n)).collect();
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![if client {
            ExtendedKeyUsagePurpose::ClientAuth
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        params.not_before = offset(from);
        params.not_after = offset(until);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().clone(),
            key_der: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }

    /// A server certificate for 127.0.0.1 (and `names`), valid now.
    pub fn server(&self, names: &[&str]) -> Leaf {
        self.leaf(names, -1, 30, false)
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS server configuration presenting `leaf` (HTTP/1.1 only).
pub fn server_config(leaf: &Leaf) -> Arc<rustls::ServerConfig> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.cert_der.clone()], leaf.key_der.clone_key())
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// A TLS server configuration that requires a client certificate from `clients`.
pub fn mtls_config(leaf: &Leaf, clients: &Ca) -> Arc<rustls::ServerConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(clients.der.clone()).unwrap();
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![leaf.cert_der.clone()], leaf.key_der.clone_key())
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// A runtime for the servers of one test, on its own threads, so the test
/// body can block on the binary.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}
