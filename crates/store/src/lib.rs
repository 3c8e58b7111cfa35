//! The labbridge registry: the single source of truth, on SQLite or PostgreSQL.
//!
//! [`Store::connect`] picks the backend from the URL alone (`sqlite://…` or `postgres://…`),
//! applies the migrations of `labbridge-migrations`, and on SQLite turns on WAL so a server
//! and a command-line import can share the file. No other crate branches on the backend.
//!
//! The store speaks in sea-orm entities ([`entity`]) and a few purpose-built records
//! ([`EnterpriseRecord`], [`ExpertRecord`], [`RosterEntry`]). Writes happen in batches inside a
//! caller's transaction, so an import is all or nothing.
//!
//! The proposal loop's writes ([`Store::set_proposal_status`], [`Store::enqueue`] …) take a
//! connection or a transaction, so the use case owns the transaction and a change of state
//! commits with its event and its e-mail. The outbox ([`Store::claim_mail`]) leases rows to
//! workers; on PostgreSQL with `FOR UPDATE SKIP LOCKED`.
//!
//! Non-goals: validation (the domain and import layers do it before anything reaches here),
//! search and matching.
#![warn(missing_docs)]

pub mod accounts;
mod coverage_rows;
mod dashboard;
mod desk;
pub mod entity;
mod error;
mod outbox;
mod proposals;
mod registry;
mod staff_lists;
pub mod testing;

pub use coverage_rows::{CoverageRow, EnterpriseListed, GroupTally, Term};
pub use dashboard::{EnterpriseFile, JOB_RUNNING};
pub use desk::{DeskCounts, DeskQuery, DeskRow, DeskTab};
pub use error::{Error, Result};
pub use outbox::{Delivery, MailStatus, NewMail};
pub use proposals::ProposalChange;
pub use registry::{
    Counts, EnterpriseRecord, ExpertRecord, RecordKind, RosterEntry, Searchable, Store,
    check_registry_file, sqlite_url_for,
};
pub use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait,
};
pub use staff_lists::{GapFilter, GapGroup, UncoveredQuery};
