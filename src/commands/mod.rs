//! One file per subcommand; each returns the process exit code.

pub mod check;
pub mod list;
pub mod merge;
pub mod run;
pub mod sandbox;

use crate::diag::Diagnostics;

/// Exit codes (README): 0 conformant, 1 non-conformant, 2 bad input, 3 inconclusive or interrupted.
pub const EXIT_BAD_INPUT: i32 = 2;

/// Print diagnostics and give the bad-input exit code.
pub fn bad_input(diags: &Diagnostics) -> i32 {
    eprint!("{}", diags.render());
    EXIT_BAD_INPUT
}
