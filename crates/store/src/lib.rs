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
//! Non-goals: validation (the domain and import layers do it before anything reaches here),
//! search and matching.
#![warn(missing_docs)]

mod accounts;
pub mod entity;
mod error;
mod registry;
pub mod testing;

pub use error::{Error, Result};
pub use registry::{
    Counts, EnterpriseRecord, ExpertRecord, RecordKind, RosterEntry, Searchable, Store,
    sqlite_url_for,
};
pub use sea_orm::{DatabaseTransaction, TransactionTrait};
