//! A stored pinyin sort key for enterprises (and a copy on their proposals), and the indexes
//! that let the staff lists page in the database.
//!
//! Why: the uncovered list and the desk are ordered by town, then by the enterprise's name in
//! pinyin (how a Chinese reader looks a name up). With the key computed in Rust, every request
//! had to read the whole roster to sort it; stored beside the name and indexed with the roster
//! year and the town, the database walks the roster in display order and stops after a page.
//!
//! The desk lists proposals in the same order (enterprise by pinyin, then best score first), so
//! each proposal carries its enterprise's key, kept by triggers (copied when a proposal is
//! written, passed on when an enterprise's key changes — an enterprise's proposals are written
//! after it), and one index holds the desk's whole order: a page is an index walk that stops
//! after it.
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
                "ALTER TABLE proposals ADD COLUMN sort_key TEXT NOT NULL DEFAULT ''",
                "UPDATE proposals SET sort_key = COALESCE((SELECT e.sort_key FROM enterprises e \
                 WHERE e.id = proposals.enterprise_id), '')",
                "CREATE INDEX idx_proposals_desk_order ON proposals (sort_key COLLATE \"C\", \
                 enterprise_id COLLATE \"C\", (round((score * 10000)::numeric)) DESC, id)",
                "CREATE OR REPLACE FUNCTION labbridge_proposal_sort_key() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN \
                 NEW.sort_key := COALESCE((SELECT e.sort_key FROM enterprises e \
                   WHERE e.id = NEW.enterprise_id), ''); \
                 RETURN NEW; END $$",
                "CREATE TRIGGER proposals_sort_key BEFORE INSERT OR UPDATE OF enterprise_id \
                 ON proposals FOR EACH ROW EXECUTE FUNCTION labbridge_proposal_sort_key()",
                "CREATE OR REPLACE FUNCTION labbridge_pass_sort_key() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN \
                 UPDATE proposals SET sort_key = NEW.sort_key WHERE enterprise_id = NEW.id; \
                 RETURN NULL; END $$",
                "CREATE TRIGGER enterprises_pass_sort_key AFTER UPDATE OF sort_key \
                 ON enterprises FOR EACH ROW \
                 WHEN (OLD.sort_key IS DISTINCT FROM NEW.sort_key) \
                 EXECUTE FUNCTION labbridge_pass_sort_key()",
            ],
            _ => &[
                "CREATE INDEX idx_enterprises_roster_order ON enterprises \
                 (roster_year, town_code, sort_key, id)",
                "CREATE INDEX idx_proposals_status_updated ON proposals (status, updated_at)",
                "ALTER TABLE proposals ADD COLUMN sort_key TEXT NOT NULL DEFAULT ''",
                "UPDATE proposals SET sort_key = COALESCE((SELECT e.sort_key FROM enterprises e \
                 WHERE e.id = proposals.enterprise_id), '')",
                "CREATE INDEX idx_proposals_desk_order ON proposals \
                 (sort_key, enterprise_id, ROUND(score * 10000) DESC, id)",
                "CREATE TRIGGER proposals_sort_key AFTER INSERT ON proposals BEGIN \
                 UPDATE proposals SET sort_key = COALESCE((SELECT e.sort_key FROM enterprises e \
                   WHERE e.id = NEW.enterprise_id), '') WHERE id = NEW.id; END",
                "CREATE TRIGGER proposals_sort_key_moved AFTER UPDATE OF enterprise_id ON proposals \
                 BEGIN UPDATE proposals SET sort_key = COALESCE((SELECT e.sort_key \
                   FROM enterprises e WHERE e.id = NEW.enterprise_id), '') WHERE id = NEW.id; END",
                "CREATE TRIGGER enterprises_pass_sort_key AFTER UPDATE OF sort_key ON enterprises \
                 WHEN OLD.sort_key IS NOT NEW.sort_key BEGIN \
                 UPDATE proposals SET sort_key = NEW.sort_key WHERE enterprise_id = NEW.id; END",
            ],
        };
        for statement in statements {
            database.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let database = manager.get_connection();
        let statements: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &[
                "DROP TRIGGER IF EXISTS enterprises_pass_sort_key ON enterprises",
                "DROP TRIGGER IF EXISTS proposals_sort_key ON proposals",
                "DROP FUNCTION IF EXISTS labbridge_pass_sort_key()",
                "DROP FUNCTION IF EXISTS labbridge_proposal_sort_key()",
            ],
            _ => &[
                "DROP TRIGGER IF EXISTS enterprises_pass_sort_key",
                "DROP TRIGGER IF EXISTS proposals_sort_key_moved",
                "DROP TRIGGER IF EXISTS proposals_sort_key",
            ],
        };
        for statement in statements {
            database.execute_unprepared(statement).await?;
        }
        for statement in [
            "DROP INDEX IF EXISTS idx_proposals_desk_order",
            "ALTER TABLE proposals DROP COLUMN sort_key",
            "DROP INDEX IF EXISTS idx_proposals_status_updated",
            "DROP INDEX IF EXISTS idx_enterprises_roster_order",
            "ALTER TABLE enterprises DROP COLUMN sort_key",
        ] {
            database.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}
