//! The labbridge registry schema, as sea-orm migrations.
//!
//! One set of migrations runs on both backends — SQLite (the embedded default) and
//! PostgreSQL (production) — so they use only the portable `schema::*` builders: text for
//! strings (no length limits to trip over long Chinese bios), dates as dates, lists as JSON
//! text. `labbridge-store` applies them on every start.
#![warn(missing_docs)]

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_create_registry;
mod m20261127_000002_create_sessions;
mod m20261201_000003_create_proposal_loop;
mod m20261207_000004_create_dashboard;
mod m20261207_000005_create_portal;
mod m20261207_000006_create_sign_in_attempts;
mod m20261207_000007_create_registry_stamps;
mod m20261207_000008_add_enterprise_sort_key;
mod m20261208_000009_add_enterprise_industry_code;
mod m20261208_000010_create_offers;

/// Applies the registry migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_registry::Migration),
            Box::new(m20261127_000002_create_sessions::Migration),
            Box::new(m20261201_000003_create_proposal_loop::Migration),
            Box::new(m20261207_000004_create_dashboard::Migration),
            Box::new(m20261207_000005_create_portal::Migration),
            Box::new(m20261207_000006_create_sign_in_attempts::Migration),
            Box::new(m20261207_000007_create_registry_stamps::Migration),
            Box::new(m20261207_000008_add_enterprise_sort_key::Migration),
            Box::new(m20261208_000009_add_enterprise_industry_code::Migration),
            Box::new(m20261208_000010_create_offers::Migration),
        ]
    }
}
