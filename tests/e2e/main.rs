//! End-to-end tests: they run the built `labbridge` binary as a user would.
//!
//! Build it first (`cargo build -p labbridge-cli`; `tests/run` does), or point
//! `LABBRIDGE_BIN` at a binary.

mod abuse;
mod assign;
mod backup;
mod cli;
mod mail;
mod serve;
mod support;
mod two_serves;
