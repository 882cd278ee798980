//! The command line, as the design's Contracts give it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "conform",
    version,
    about = "Interoperability conformance harness for cross-border digital government endpoints"
)]
pub struct Cli {
    /// Use the suites, schemas and profiles of this folder instead of the built-in ones.
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run suites against countries' endpoints and write reports.
    Run(RunArgs),
    /// Validate suites, catalogues, profiles and schemas offline; sends nothing.
    Check(CheckArgs),
    /// List suites, cases or requirements.
    List(ListArgs),
    /// Serve the reference endpoints of every country on loopback (HTTPS and HTTP) until Ctrl-C.
    Sandbox(SandboxArgs),
    /// Join the reports of shards (`run --shard k/n`) into the reports of one run.
    Merge(MergeArgs),
    /// Render a JSON report again (JUnit, HTML, Markdown, badges); never re-runs.
    Report(ReportArgs),
    /// Compare countries and runs from JSON reports: matrix, scores, diffs, trends.
    Compare(CompareArgs),
    /// Write an ed25519 key pair for signing reports (`run --sign`).
    Keygen(KeygenArgs),
    /// Check a report's signature (`<report>.sig`) against a public key.
    Verify(VerifyArgs),
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Country reports (`<cc>.json`), or a run's `run.json` for `summary.md`.
    #[arg(required = true, value_name = "FILE.json")]
    pub files: Vec<PathBuf>,
    /// Formats, repeated or comma-separated; default all but json.
    #[arg(long = "format", value_enum, value_delimiter = ',')]
    pub formats: Vec<ReportFormat>,
    /// Folder for the files (named as `run` names them); without it, the one
    /// document goes to stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Junit,
    Html,
    Markdown,
    Badges,
    Json,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Country reports, or folders of them (searched recursively).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Folder for compare.json, compare.md and compare.html.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// An earlier run's reports (folder or file) to diff against.
    #[arg(long, value_name = "DIR")]
    pub baseline: Option<PathBuf>,
    /// Exit 1 when a requirement regressed since the baseline.
    #[arg(long, requires = "baseline")]
    pub fail_on_regression: bool,
    /// Verify every report against DIR/<cc>.pub and mark unsigned or invalid ones.
    #[arg(long, value_name = "DIR")]
    pub keys: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// The private key (PKCS#8 PEM); the public key goes to PATH.pub.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Replace existing key files.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The signed report; its signature is REPORT.sig.
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    /// The public key (PEM, as `keygen` writes PATH.pub).
    #[arg(long, value_name = "PUBKEY")]
    pub key: PathBuf,
    /// The signature file, if not REPORT.sig.
    #[arg(long, value_name = "FILE")]
    pub sig: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Shard report folders (or report files).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Folder for the merged reports.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Countries (ISO codes), repeated or comma-separated; default all.
    #[arg(long = "country", value_delimiter = ',')]
    pub countries: Vec<String>,
    /// Suite IDs or globs.
    #[arg(long = "suite")]
    pub suites: Vec<String>,
    /// `suite/case` or globs.
    #[arg(long = "case")]
    pub cases: Vec<String>,
    /// Only cases with one of these tags.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Cases run at once.
    #[arg(long, default_value_t = 8)]
    pub jobs: usize,
    /// Folder for the reports.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Exit 1 on warnings too (verdicts unchanged; recorded in the report).
    #[arg(long)]
    pub strict: bool,
    /// Print the run summary as JSON on stdout.
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
    /// Profile environment (test, prod, …).
    #[arg(long)]
    pub env: Option<String>,
    /// Override a profile value for this run: KEY=VALUE (`endpoints.eid=https://…`).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Per-request time limit in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    pub timeout_ms: u64,
    /// Time limit for opening a connection (TCP and TLS), in milliseconds; at most --timeout-ms.
    #[arg(long, default_value_t = 10_000)]
    pub connect_timeout_ms: u64,
    /// Run against the built-in sandbox, started in this process: every profile's
    /// `sandbox` environment, its hosts resolved to loopback, its CA trusted; no network.
    #[arg(long, conflicts_with = "env")]
    pub sandbox: bool,
    /// Leave personal identity numbers unmasked in reports and output (they are masked by default).
    #[arg(long)]
    pub keep_personal_data: bool,
    /// Turn TLS certificate verification off. Printed as a warning and recorded in every report.
    #[arg(long)]
    pub insecure: bool,
    /// Store every exchange under DIR, for `--replay`.
    #[arg(long, value_name = "DIR", conflicts_with = "replay")]
    pub record: Option<PathBuf>,
    /// Answer every request from the recordings under DIR; no network.
    #[arg(long, value_name = "DIR")]
    pub replay: Option<PathBuf>,
    /// Run one shard of the plan: k/n, 1-based, the same split on every machine.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::plan::Shard>,
    /// Sign every JSON report with this ed25519 private key (from `keygen`): writes `<report>.sig`.
    #[arg(long, value_name = "KEY")]
    pub sign: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct SandboxArgs {
    /// HTTPS port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8443)]
    pub port: u16,
    /// Plain-HTTP port (default: --port + 1, or a free one with --port 0).
    #[arg(long, value_name = "PORT")]
    pub http_port: Option<u16>,
    /// Write the sandbox's CA certificate (PEM) here (default: a file in the temp folder, removed on exit).
    #[arg(long, value_name = "PATH")]
    pub ca_out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Print the result as JSON.
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// List suites (the default).
    #[arg(long)]
    pub suites: bool,
    /// List cases.
    #[arg(long)]
    pub cases: bool,
    /// List requirements with the cases that test them.
    #[arg(long)]
    pub requirements: bool,
    /// With --requirements: only those no case tests.
    #[arg(long)]
    pub untested: bool,
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Json,
}
