//! The sandbox's own certificate authority, made fresh at every start-up
//! (its key never leaves memory): the server certificate for every sandbox
//! host, and certificates of each *kind* (valid, expired, expiring soon)
//! that fixture bodies embed through placeholders. EC P-256 throughout.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    NameConstraints, SerialNumber,
};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The kinds of certificate fixtures can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    /// Valid from a day ago for a year.
    Valid,
    /// Expired 30 days ago.
    Expired,
    /// Expires in 10 days.
    ExpiringSoon,
}

/// The sandbox CA.
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
    der: CertificateDer<'static>,
    pem: String,
}

fn err(what: &str) -> impl Fn(rcgen::Error) -> String + '_ {
    move |e| format!("cannot make the sandbox {what}: {e}")
}

fn time(t: DateTime<Utc>) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t.timestamp())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn serial() -> SerialNumber {
    // Unique enough for certificates that live as long as one process.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut bytes = ((nanos as u64) ^ (u64::from(std::process::id()) << 32))
        .to_be_bytes()
        .to_vec();
    bytes.extend(n.to_be_bytes());
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    SerialNumber::from_slice(&bytes)
}

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "conform sandbox");
    dn.push(DnType::CommonName, cn);
    dn
}

impl Authority {
    /// A new CA, valid from yesterday for two years (on the real clock:
    /// TLS clients check against it). Name constraints limit it to `.test`,
    /// `localhost` and loopback, so trusting it trusts nothing else.
    pub fn new() -> Result<Authority, String> {
        let key = KeyPair::generate().map_err(err("CA key"))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name("conform sandbox CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.name_constraints = Some(NameConstraints {
            permitted_subtrees: vec![
                GeneralSubtree::DnsName("test".into()),
                GeneralSubtree::DnsName("localhost".into()),
                GeneralSubtree::IpAddress(CidrSubnet::V4([127, 0, 0, 0], [255, 0, 0, 0])),
                GeneralSubtree::IpAddress(CidrSubnet::from_v6_prefix(
                    std::net::Ipv6Addr::LOCALHOST.octets(),
                    128,
                )),
            ],
            excluded_subtrees: Vec::new(),
        });
        let now = Utc::now();
        params.not_before = time(now - Duration::days(1));
        params.not_after = time(now + Duration::days(730));
        params.serial_number = Some(serial());
        let cert = params.self_signed(&key).map_err(err("CA certificate"))?;
        Ok(Authority {
            der: cert.der().clone(),
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA certificate, PEM.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A TLS server configuration (HTTP/2 and HTTP/1.1) whose certificate
    /// covers `names` (DNS names or IP addresses).
    pub fn server_config(&self, names: &[String]) -> Result<Arc<rustls::ServerConfig>, String> {
        let key = KeyPair::generate().map_err(err("server key"))?;
        let mut params =
            CertificateParams::new(names.to_vec()).map_err(err("server certificate"))?;
        params.distinguished_name = name("conform sandbox server");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let now = Utc::now();
        params.not_before = time(now - Duration::days(1));
        params.not_after = time(now + Duration::days(365));
        params.serial_number = Some(serial());
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(err("server certificate"))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone(), self.der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .map_err(|e| format!("cannot set up TLS: {e}"))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// A certificate of `kind`, DER, issued by this CA, relative to `now`
    /// (the run's clock, so that `CONFORM_NOW` moves it too).
    pub fn certificate(&self, kind: CertKind, now: DateTime<Utc>) -> Result<Vec<u8>, String> {
        let (from, until, cn) = match kind {
            CertKind::Valid => (
                now - Duration::days(1),
                now + Duration::days(365),
                "conform sandbox valid certificate",
            ),
            CertKind::Expired => (
                now - Duration::days(395),
                now - Duration::days(30),
                "conform sandbox expired certificate",
            ),
            CertKind::ExpiringSoon => (
                now - Duration::days(355),
                now + Duration::days(10),
                "conform sandbox certificate expiring soon",
            ),
        };
        let key = KeyPair::generate().map_err(err("certificate key"))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name(cn);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        params.not_before = time(from);
        params.not_after = time(until);
        params.serial_number = Some(serial());
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(err("certificate"))?;
        Ok(cert.der().to_vec())
    }
}
