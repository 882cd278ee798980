//! Self-certification: ed25519 signatures over a report's exact bytes.
//!
//! `conform keygen` writes a key pair (PKCS#8 PEM private key, SPKI PEM public
//! key); `conform run --sign KEY` writes `<report>.sig` beside each JSON
//! report; `conform verify` and `conform compare --keys` check them.
//!
//! A `.sig` file is JSON:
//!
//! ```json
//! {
//!   "format": "conform-signature/1",
//!   "algorithm": "ed25519",
//!   "key_fingerprint": "sha256:<hex of SHA-256 over the public key's DER (SubjectPublicKeyInfo)>",
//!   "signed_file": "fi.json",
//!   "signed_sha256": "<hex of SHA-256 over the signed bytes>",
//!   "signature": "<base64 (standard, padded) of the 64-byte ed25519 signature>"
//! }
//! ```
//!
//! The signature is plain ed25519 (RFC 8032, not prehashed) over the report
//! file's bytes exactly as written. `signed_file` and `signed_sha256` are
//! informative: verification checks the signature itself. Signing reads the
//! written file in pieces (twice: ed25519 hashes the message twice), so a
//! report of any size is signed in constant memory. The fingerprint
//! can be recomputed with `openssl pkey -pubin -in KEY.pub -outform DER | sha256sum`.

use std::cell::RefCell;
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::hazmat::{ExpandedSecretKey, raw_sign_byupdate};
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, SignatureError, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

use crate::project::hex;

pub const SIGNATURE_FORMAT: &str = "conform-signature/1";
pub const ALGORITHM: &str = "ed25519";

/// What a `.sig` file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignatureFile {
    pub format: String,
    pub algorithm: String,
    pub key_fingerprint: String,
    pub signed_file: String,
    pub signed_sha256: String,
    pub signature: String,
}

/// Where the signature of `report` lives: the report's path with `.sig` appended.
pub fn sig_path(report: &Path) -> PathBuf {
    appended(report, ".sig")
}

/// Where `keygen` puts the public key of the private key at `private`: `PATH.pub`.
pub fn public_key_path(private: &Path) -> PathBuf {
    appended(private, ".pub")
}

fn appended(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// `sha256:<hex>` over the public key's DER (SubjectPublicKeyInfo).
pub fn fingerprint(key: &VerifyingKey) -> String {
    let der = key
        .to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        // An ed25519 SPKI always encodes; fall back to the raw key all the same.
        .unwrap_or_else(|_| key.as_bytes().to_vec());
    format!("sha256:{}", hex(&Sha256::digest(der)))
}

/// A new key pair, encoded for files.
pub struct KeyPair {
    /// PKCS#8 PEM.
    pub private_pem: String,
    /// SubjectPublicKeyInfo PEM.
    pub public_pem: String,
    pub fingerprint: String,
}

/// A new ed25519 key pair from the operating system's randomness.
pub fn generate() -> Result<KeyPair, String> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| format!("no randomness for a key: {e}"))?;
    let key = SigningKey::from_bytes(&seed);
    let private_pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| format!("cannot encode the private key: {e}"))?
        .to_string();
    let public = key.verifying_key();
    let public_pem = public
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| format!("cannot encode the public key: {e}"))?;
    Ok(KeyPair {
        private_pem,
        public_pem,
        fingerprint: fingerprint(&public),
    })
}

/// A private key loaded for `run --sign`.
pub struct Signer {
    key: SigningKey,
    fingerprint: String,
}

impl Signer {
    /// Load a PKCS#8 PEM private key (as `conform keygen` writes it).
    pub fn load(path: &Path) -> Result<Signer, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the signing key {}: {e}", path.display()))?;
        let key = SigningKey::from_pkcs8_pem(&text).map_err(|e| {
            format!(
                "{} is not an ed25519 private key in PKCS#8 PEM (as `conform keygen` writes): {e}",
                path.display()
            )
        })?;
        let fingerprint = fingerprint(&key.verifying_key());
        Ok(Signer { key, fingerprint })
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The `.sig` file's bytes for the report file at `path`, to be named
    /// `file_name`. The file is read in pieces, never held whole.
    pub fn sign_file(&self, file_name: &str, path: &Path) -> std::io::Result<Vec<u8>> {
        // Both of ed25519's passes also take the file's SHA-256: equal digests
        // show that both read the same bytes.
        let digests = RefCell::new(Vec::with_capacity(2));
        let failure = RefCell::new(None);
        // The expanded key and the verifying key come from the same signing
        // key, which is what the `hazmat` signing needs to be safe.
        let expanded = ExpandedSecretKey::from(self.key.as_bytes());
        let signed = raw_sign_byupdate::<Sha512, _>(
            &expanded,
            |hasher| {
                let mut sha256 = Sha256::new();
                let read = each_piece(path, |piece| {
                    hasher.update(piece);
                    sha256.update(piece);
                });
                match read {
                    Ok(()) => {
                        digests.borrow_mut().push(sha256.finalize());
                        Ok(())
                    }
                    Err(e) => {
                        failure.borrow_mut().get_or_insert(e);
                        Err(SignatureError::new())
                    }
                }
            },
            &self.key.verifying_key(),
        );
        if let Some(e) = failure.into_inner() {
            return Err(e);
        }
        let digests = digests.into_inner();
        let (Ok(signature), [first, second]) = (signed, digests.as_slice()) else {
            return Err(std::io::Error::other(format!("cannot sign {file_name}")));
        };
        if first != second {
            return Err(std::io::Error::other(format!(
                "{file_name} changed while it was being signed"
            )));
        }
        Ok(self.signature_file(file_name, first, &signature))
    }

    fn signature_file(&self, file_name: &str, sha256: &[u8], signature: &Signature) -> Vec<u8> {
        let sig = SignatureFile {
            format: SIGNATURE_FORMAT.into(),
            algorithm: ALGORITHM.into(),
            key_fingerprint: self.fingerprint.clone(),
            signed_file: file_name.into(),
            signed_sha256: hex(sha256),
            signature: STANDARD.encode(signature.to_bytes()),
        };
        let mut out = serde_json::to_vec_pretty(&sig).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// Hand a file to `each` in pieces of 256 KiB.
fn each_piece(path: &Path, mut each: impl FnMut(&[u8])) -> std::io::Result<()> {
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0; 256 * 1024];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => each(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Load a public key in PEM (SubjectPublicKeyInfo, as `conform keygen` writes `PATH.pub`).
pub fn load_public_key(path: &Path) -> Result<VerifyingKey, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the public key {}: {e}", path.display()))?;
    VerifyingKey::from_public_key_pem(&text).map_err(|e| {
        format!(
            "{} is not an ed25519 public key in PEM (as `conform keygen` writes PATH.pub): {e}",
            path.display()
        )
    })
}

/// The outcome of checking a report's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// The signature holds for these bytes and this key.
    Valid { fingerprint: String },
    /// There is no `.sig` file.
    Unsigned,
    /// Signed, but by another key than the one given.
    OtherKey { signed_by: String, given: String },
    /// The right key, but the signature does not match the bytes: the report
    /// (or its signature) changed after signing.
    Mismatch { fingerprint: String },
    /// The `.sig` file cannot be read as a signature.
    Malformed(String),
}

impl Verification {
    pub fn is_valid(&self) -> bool {
        matches!(self, Verification::Valid { .. })
    }

    /// One word for tables: `valid`, `unsigned`, `other_key`, `mismatch`, `malformed`.
    pub fn status(&self) -> &'static str {
        match self {
            Verification::Valid { .. } => "valid",
            Verification::Unsigned => "unsigned",
            Verification::OtherKey { .. } => "other_key",
            Verification::Mismatch { .. } => "mismatch",
            Verification::Malformed(_) => "malformed",
        }
    }

    /// A sentence for people.
    pub fn describe(&self) -> String {
        match self {
            Verification::Valid { fingerprint } => {
                format!("valid signature by {fingerprint}")
            }
            Verification::Unsigned => "not signed: there is no .sig file beside it".into(),
            Verification::OtherKey { signed_by, given } => format!(
                "signed by another key: the signature names {signed_by}, the key given is {given}"
            ),
            Verification::Mismatch { fingerprint } => format!(
                "invalid signature: the report's bytes are not those {fingerprint} signed (changed after signing)"
            ),
            Verification::Malformed(why) => format!("invalid signature file: {why}"),
        }
    }
}

/// Check `sig` (the `.sig` file's bytes, if there is one) over `report` with `key`.
pub fn verify(report: &[u8], sig: Option<&[u8]>, key: &VerifyingKey) -> Verification {
    let Some(sig) = sig else {
        return Verification::Unsigned;
    };
    let file: SignatureFile = match serde_json::from_slice(sig) {
        Ok(f) => f,
        Err(e) => return Verification::Malformed(format!("not a conform signature: {e}")),
    };
    if file.algorithm != ALGORITHM {
        return Verification::Malformed(format!(
            "algorithm `{}`, expected `{ALGORITHM}`",
            file.algorithm
        ));
    }
    let given = fingerprint(key);
    if file.key_fingerprint != given {
        return Verification::OtherKey {
            signed_by: file.key_fingerprint,
            given,
        };
    }
    let bytes = match STANDARD.decode(file.signature.trim()) {
        Ok(b) => b,
        Err(e) => return Verification::Malformed(format!("the signature is not base64: {e}")),
    };
    let Ok(signature) = Signature::from_slice(&bytes) else {
        return Verification::Malformed(format!(
            "the signature is {} bytes, an ed25519 signature is 64",
            bytes.len()
        ));
    };
    match key.verify_strict(report, &signature) {
        Ok(()) => Verification::Valid { fingerprint: given },
        Err(_) => Verification::Mismatch { fingerprint: given },
    }
}

/// Check the signature beside `report_path` (`<report>.sig`), given the report's bytes.
pub fn verify_file(report_path: &Path, report: &[u8], key: &VerifyingKey) -> Verification {
    match std::fs::read(sig_path(report_path)) {
        Ok(sig) => verify(report, Some(&sig), key),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Verification::Unsigned,
        Err(e) => Verification::Malformed(format!("cannot read it: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Signer, VerifyingKey) {
        let pair = generate().unwrap();
        let key = SigningKey::from_pkcs8_pem(&pair.private_pem).unwrap();
        let signer = Signer {
            fingerprint: fingerprint(&key.verifying_key()),
            key,
        };
        assert_eq!(signer.fingerprint, pair.fingerprint);
        (
            signer,
            VerifyingKey::from_public_key_pem(&pair.public_pem).unwrap(),
        )
    }

    #[test]
    fn a_signature_holds_for_the_exact_bytes_and_key() {
        let (signer, public) = pair();
        let report = br#"{"format":"conform-report/1"}"#;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("xx.json");
        std::fs::write(&path, report).unwrap();
        let sig = signer.sign_file("xx.json", &path).unwrap();
        let file: SignatureFile = serde_json::from_slice(&sig).unwrap();
        assert_eq!(file.algorithm, "ed25519");
        assert!(file.key_fingerprint.starts_with("sha256:"));
        assert_eq!(file.key_fingerprint.len(), "sha256:".len() + 64);
        assert!(verify(report, Some(&sig), &public).is_valid());

        let mut changed = report.to_vec();
        changed[3] ^= 1;
        assert_eq!(verify(&changed, Some(&sig), &public).status(), "mismatch");
        let (_, other) = pair();
        let v = verify(report, Some(&sig), &other);
        assert_eq!(v.status(), "other_key");
        assert!(v.describe().contains(&file.key_fingerprint));
        assert_eq!(verify(report, None, &public), Verification::Unsigned);
        assert_eq!(verify(report, Some(b"{"), &public).status(), "malformed");
    }

    #[test]
    fn a_file_signed_in_pieces_has_the_signature_of_its_whole_bytes() {
        use ed25519_dalek::Signer as _;
        let (signer, public) = pair();
        // Several pieces and a short last one.
        let report: Vec<u8> = (0..700_001u32).map(|i| (i * 7 % 251) as u8).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fi.json");
        std::fs::write(&path, &report).unwrap();
        let sig = signer.sign_file("fi.json", &path).unwrap();
        let file: SignatureFile = serde_json::from_slice(&sig).unwrap();
        // ed25519 is deterministic: the same key and bytes give the same signature.
        let whole = signer.key.sign(&report);
        assert_eq!(file.signature, STANDARD.encode(whole.to_bytes()));
        assert_eq!(file.signed_sha256, hex(&Sha256::digest(&report)));
        assert_eq!(file.signed_file, "fi.json");
        assert!(verify(&report, Some(&sig), &public).is_valid());

        let missing = signer.sign_file("gone.json", &dir.path().join("gone.json"));
        assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    }
}
