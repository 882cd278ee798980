//! `conform`: an interoperability conformance test harness for cross-border
//! digital government endpoints.
//!
//! Data flows one way: files are loaded into a checked [`project::Project`],
//! a [`plan`] selects country × suite × case, the [`exec`]utor runs it and
//! emits events, [`verdict`] rolls results up, and [`report`] writes them.
#![forbid(unsafe_code)]
// A check's `Outcome` travels in `Err` on rare paths only; boxing it would buy nothing.
#![allow(clippy::result_large_err)]

pub mod check;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod decode;
pub mod diag;
pub mod display;
pub mod exchange;
pub mod exec;
pub mod ident;
pub mod parallel;
pub mod plan;
pub mod profile;
pub mod project;
pub mod report;
pub mod sandbox;
pub mod schemas;
pub mod shutdown;
pub mod suite;
pub mod template;
pub mod verdict;
pub mod yaml;
