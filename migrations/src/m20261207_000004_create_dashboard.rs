//! The bureau's dashboard: deployment-wide settings kept in the registry (the county, so that
//! imports after the first need no `--county`), a coverage snapshot per month and scope (the
//! trend), and background jobs with a lease (one matcher run at a time, across every `serve`
//! process on one database).

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000004_create_dashboard"
    }
}

#[derive(DeriveIden)]
enum RegistrySettings {
    Table,
    Key,
    Value,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CoverageSnapshots {
    Table,
    Month,
    Scope,
    Label,
    Total,
    Covered,
    Cooperation,
    InstitutionAndStaff,
    TakenAt,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Name,
    Status,
    Owner,
    Stage,
    Summary,
    Error,
    StartedBy,
    StartedAt,
    FinishedAt,
    LeaseUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RegistrySettings::Table)
                    .col(string(RegistrySettings::Key).primary_key())
                    .col(text(RegistrySettings::Value))
                    .col(timestamp_with_time_zone(RegistrySettings::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CoverageSnapshots::Table)
                    .col(string(CoverageSnapshots::Month))
                    .col(string(CoverageSnapshots::Scope))
                    .col(text(CoverageSnapshots::Label))
                    .col(integer(CoverageSnapshots::Total))
                    .col(integer(CoverageSnapshots::Covered))
                    .col(integer(CoverageSnapshots::Cooperation))
                    .col(integer(CoverageSnapshots::InstitutionAndStaff))
                    .col(timestamp_with_time_zone(CoverageSnapshots::TakenAt))
                    .primary_key(
                        Index::create()
                            .col(CoverageSnapshots::Month)
                            .col(CoverageSnapshots::Scope),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(string(Jobs::Name).primary_key())
                    .col(string(Jobs::Status))
                    .col(string(Jobs::Owner))
                    .col(text(Jobs::Stage))
                    .col(text_null(Jobs::Summary))
                    .col(text_null(Jobs::Error))
                    .col(text(Jobs::StartedBy))
                    .col(timestamp_with_time_zone(Jobs::StartedAt))
                    .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                    .col(timestamp_with_time_zone(Jobs::LeaseUntil))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Jobs::Table.into_iden(),
            CoverageSnapshots::Table.into_iden(),
            RegistrySettings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
