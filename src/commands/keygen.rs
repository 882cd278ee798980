//! `conform keygen --out PATH`: an ed25519 key pair for signing reports:
//! the private key at PATH (PKCS#8 PEM, readable by its owner only) and the
//! public key at PATH.pub (PEM), to hand to whoever verifies.

use std::io::Write;
use std::path::Path;

use super::bad_input_message as bad;
use crate::cli::KeygenArgs;
use crate::report::sign::{generate, public_key_path};
use crate::report::write::atomic_write;

fn write_private(path: &Path, pem: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path)?;
    f.write_all(pem.as_bytes())?;
    f.sync_all()
}

pub fn run(args: &KeygenArgs) -> i32 {
    let private = &args.out;
    let public = public_key_path(private);
    if !args.force {
        for p in [private, &public] {
            if p.exists() {
                return bad(format!(
                    "{} exists; give --force to replace the key pair",
                    p.display()
                ));
            }
        }
    }
    let pair = match generate() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return 3;
        }
    };
    if let Err(e) = write_private(private, &pair.private_pem) {
        return bad(format!("cannot write {}: {e}", private.display()));
    }
    if let Err(e) = atomic_write(&public, pair.public_pem.as_bytes()) {
        return bad(format!("cannot write {}: {e}", public.display()));
    }
    println!("private key: {} (keep it secret)", private.display());
    println!("public key:  {}", public.display());
    println!("fingerprint: {}", pair.fingerprint);
    0
}
