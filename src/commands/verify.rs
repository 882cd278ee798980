//! `conform verify REPORT --key PUBKEY`: exit 0 when `REPORT.sig` is a valid
//! signature of the report's exact bytes by that key, 1 when it is not (or
//! there is none), 2 when the report or the key cannot be read.

use std::io::ErrorKind;

use super::bad_input_message as bad;
use crate::cli::VerifyArgs;
use crate::report::sign::{load_public_key, sig_path, verify};

pub fn run(args: &VerifyArgs) -> i32 {
    let report = match std::fs::read(&args.report) {
        Ok(b) => b,
        Err(e) => return bad(format!("cannot read {}: {e}", args.report.display())),
    };
    let key = match load_public_key(&args.key) {
        Ok(k) => k,
        Err(e) => return bad(e),
    };
    let sig_file = args.sig.clone().unwrap_or_else(|| sig_path(&args.report));
    let sig = match std::fs::read(&sig_file) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return bad(format!("cannot read {}: {e}", sig_file.display())),
    };
    let outcome = verify(&report, sig.as_deref(), &key);
    if outcome.is_valid() {
        println!("{}: {}", args.report.display(), outcome.describe());
        0
    } else {
        eprintln!("{}: {}", args.report.display(), outcome.describe());
        1
    }
}
