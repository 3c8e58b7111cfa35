//! A change stamp for what the coverage report reads, kept by the database itself.
//!
//! Why: `/coverage` is public and the most requested page, and its report is a function of the
//! enterprises, their partnerships, their R&D institutions and the monthly snapshots (the
//! trend), and of the day. Recomputing it from every row per request does not scale to a
//! province (400,000 enterprises: seconds per request). A server caches the report under the
//! stamp it read *before* computing; any change to those tables moves the stamp, so the next
//! request recomputes. The stamp is bumped by triggers, not by the code that writes: every
//! write path (imports, evidence, the demo, a clerk with `psql`) moves it, and several `serve`
//! processes on one PostgreSQL see the same stamp.
//!
//! The stamp is a row, updated in the writing transaction, so it becomes visible together
//! with the change (a sequence would be visible before the commit and could cache old figures
//! under a new stamp). On PostgreSQL the triggers run once per statement, so an import pays
//! one update, at the price that writers to these tables queue on the row until they commit;
//! SQLite has only row triggers, but its writers are serialised anyway (`BEGIN IMMEDIATE`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// The migration.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000007_create_registry_stamps"
    }
}

/// The tables whose changes move the `coverage` stamp.
const COVERAGE_TABLES: [&str; 4] = [
    "enterprises",
    "partnerships",
    "rd_institutions",
    "coverage_snapshots",
];

fn sqlite_up() -> Vec<String> {
    let mut statements = Vec::new();
    for table in COVERAGE_TABLES {
        for event in ["INSERT", "UPDATE", "DELETE"] {
            statements.push(format!(
                "CREATE TRIGGER IF NOT EXISTS {table}_{event}_coverage_stamp \
                 AFTER {event} ON {table} BEGIN \
                 UPDATE registry_stamps SET value = value + 1 WHERE name = 'coverage'; END"
            ));
        }
    }
    statements
}

fn postgres_up() -> Vec<String> {
    let mut statements = vec![
        "CREATE OR REPLACE FUNCTION labbridge_bump_coverage_stamp() RETURNS trigger \
         LANGUAGE plpgsql AS $$ BEGIN \
         UPDATE registry_stamps SET value = value + 1 WHERE name = 'coverage'; \
         RETURN NULL; END $$"
            .to_owned(),
    ];
    for table in COVERAGE_TABLES {
        statements.push(format!(
            "CREATE TRIGGER {table}_coverage_stamp \
             AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} \
             FOR EACH STATEMENT EXECUTE FUNCTION labbridge_bump_coverage_stamp()"
        ));
    }
    statements
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let database = manager.get_connection();
        database
            .execute_unprepared(
                "CREATE TABLE IF NOT EXISTS registry_stamps \
                 (name TEXT NOT NULL PRIMARY KEY, value BIGINT NOT NULL)",
            )
            .await?;
        database
            .execute_unprepared(
                "INSERT INTO registry_stamps (name, value) VALUES ('coverage', 0) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .await?;
        let statements = match manager.get_database_backend() {
            DatabaseBackend::Postgres => postgres_up(),
            _ => sqlite_up(),
        };
        for statement in statements {
            database.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let database = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                for table in COVERAGE_TABLES {
                    database
                        .execute_unprepared(&format!(
                            "DROP TRIGGER IF EXISTS {table}_coverage_stamp ON {table}"
                        ))
                        .await?;
                }
                database
                    .execute_unprepared("DROP FUNCTION IF EXISTS labbridge_bump_coverage_stamp()")
                    .await?;
            }
            _ => {
                for table in COVERAGE_TABLES {
                    for event in ["INSERT", "UPDATE", "DELETE"] {
                        database
                            .execute_unprepared(&format!(
                                "DROP TRIGGER IF EXISTS {table}_{event}_coverage_stamp"
                            ))
                            .await?;
                    }
                }
            }
        }
        database
            .execute_unprepared("DROP TABLE IF EXISTS registry_stamps")
            .await?;
        Ok(())
    }
}
