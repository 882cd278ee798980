//! One file per subcommand; each returns the process exit code.

pub mod check;
pub mod compare;
pub mod keygen;
pub mod list;
pub mod merge;
pub mod report;
pub mod run;
pub mod sandbox;
pub mod verify;

use crate::diag::Diagnostics;

/// Exit codes (README): 0 conformant, 1 non-conformant, 2 bad input, 3 inconclusive or interrupted.
pub const EXIT_BAD_INPUT: i32 = 2;

/// Print diagnostics and give the bad-input exit code.
pub fn bad_input(diags: &Diagnostics) -> i32 {
    // Problems found after loading (plan, profile checks) quote their line here.
    let quoted = Diagnostics(
        diags
            .0
            .iter()
            .map(|d| match (&d.snippet, &d.loc) {
                (None, Some(loc)) => match std::fs::read_to_string(&*loc.file) {
                    Ok(text) => d
                        .clone()
                        .quote(&crate::diag::SourceFile::new(loc.file.clone(), text)),
                    Err(_) => d.clone(),
                },
                _ => d.clone(),
            })
            .collect(),
    );
    eprint!("{}", quoted.render());
    EXIT_BAD_INPUT
}

/// One problem that has no place in a file (an unreadable report, a bad key):
/// print it and give the bad-input exit code.
pub fn bad_input_message(message: impl Into<String>) -> i32 {
    bad_input(&Diagnostics(vec![crate::diag::Diagnostic::new(message)]))
}
