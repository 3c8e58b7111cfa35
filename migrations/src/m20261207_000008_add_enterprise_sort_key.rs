//! A stored pinyin sort key for enterprises, and the indexes that let the staff lists page in
//! the database.
//!
//! Why: the uncovered list and the desk are ordered by town, then by the enterprise's name in
//! pinyin (how a Chinese reader looks a name up). With the key computed in Rust, every request
//! had to read the whole roster to sort it; stored beside the name and indexed with the roster
//! year and the town, the database walks the roster in display order and stops after a page.
//!
//! The key is written by the store whenever it writes an enterprise (it is derived from the
//! name, never imported), and the store fills any empty key when it opens the registry, so rows
//! written before this migration, or by hand, get one. On PostgreSQL the index compares bytes
//! (`COLLATE "C"`), which is the order Rust and SQLite compare strings in: the database's own
//! collation would put `"li "` and `"lin "` in a different order than the key means.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// The migration.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000008_add_enterprise_sort_key"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let database = manager.get_connection();
        database
            .execute_unprepared(
                "ALTER TABLE enterprises ADD COLUMN sort_key TEXT NOT NULL DEFAULT ''",
            )
            .await?;
        let statements: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &[
                "CREATE INDEX idx_enterprises_roster_order ON enterprises \
                 (roster_year, town_code COLLATE \"C\", sort_key COLLATE \"C\", id COLLATE \"C\")",
                "CREATE INDEX idx_proposals_status_updated ON proposals (status, updated_at)",
            ],
            _ => &[
                "CREATE INDEX idx_enterprises_roster_order ON enterprises \
                 (roster_year, town_code, sort_key, id)",
                "CREATE INDEX idx_proposals_status_updated ON proposals (status, updated_at)",
            ],
        };
        for statement in statements {
            database.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let database = manager.get_connection();
        database
            .execute_unprepared("DROP INDEX IF EXISTS idx_proposals_status_updated")
            .await?;
        database
            .execute_unprepared("DROP INDEX IF EXISTS idx_enterprises_roster_order")
            .await?;
        database
            .execute_unprepared("ALTER TABLE enterprises DROP COLUMN sort_key")
            .await?;
        Ok(())
    }
}
