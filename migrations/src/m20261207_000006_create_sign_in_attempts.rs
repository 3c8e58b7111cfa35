//! Failed sign-ins, counted in the registry: every `serve` process on one database shares the
//! count, and an attempt takes its place in the count with one atomic update before its
//! password is checked, so parallel attempts cannot run past the limit. The key is the login
//! together with the caller's address: a stranger who mistypes a clerk's login five times
//! locks out only himself, not the clerk at the bureau's desk.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000006_create_sign_in_attempts"
    }
}

#[derive(DeriveIden)]
enum SignInAttempts {
    Table,
    Key,
    Attempts,
    WindowStart,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SignInAttempts::Table)
                    .if_not_exists()
                    .col(string(SignInAttempts::Key).primary_key())
                    .col(integer(SignInAttempts::Attempts).default(0))
                    .col(timestamp_with_time_zone(SignInAttempts::WindowStart))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignInAttempts::Table).to_owned())
            .await
    }
}
