//! The `conform` binary: parse the command line, dispatch, exit with the code.

use clap::Parser;

use conform::cli::{Cli, Command};
use conform::commands;
use conform::project::Root;

/// A run makes and frees many small allocations per case (records, strings,
/// parsed bodies); mimalloc does that in less time and with less overhead
/// per allocation than the system allocator (measured in BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // Help and version are not errors; everything else is bad input.
            std::process::exit(if e.use_stderr() {
                commands::EXIT_BAD_INPUT
            } else {
                0
            });
        }
    };
    let root = Root::discover(cli.root.as_deref());
    let code = match &cli.command {
        Command::Run(args) => commands::run::run(root, args),
        Command::Check(args) => commands::check::run(root, args),
        Command::List(args) => commands::list::run(root, args),
        Command::Sandbox(args) => commands::sandbox::run(root, args),
        Command::Merge(args) => commands::merge::run(args),
        Command::Report(args) => commands::report::run(args),
        Command::Compare(args) => commands::compare::run(args),
        Command::Keygen(args) => commands::keygen::run(args),
        Command::Verify(args) => commands::verify::run(args),
    };
    std::process::exit(code);
}
