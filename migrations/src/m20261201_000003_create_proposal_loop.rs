//! The proposal loop: an event per transition (the audit trail), answer links for people
//! without an account, the outbox's lease and HTML part, and partnerships that remember the
//! proposal and contract they came from.
//!
//! Columns are added one `ALTER TABLE` at a time: SQLite takes only one change per statement.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000003_create_proposal_loop"
    }
}

#[derive(DeriveIden)]
enum Proposals {
    Table,
    DeclineReason,
    Note,
    PartnershipId,
    Reminders,
    ContactedAt,
    EscalatedAt,
}

#[derive(DeriveIden)]
enum ProposalEvents {
    Table,
    Id,
    ProposalId,
    FromStatus,
    ToStatus,
    Action,
    ActorKind,
    Actor,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AnswerLinks {
    Table,
    TokenHash,
    ProposalId,
    Party,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Html,
    LockedUntil,
    ProposalId,
}

#[derive(DeriveIden)]
enum Partnerships {
    Table,
    ProposalId,
    ContractNumber,
    RegistrationNumber,
}

async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: ColumnDef,
) -> Result<(), DbErr> {
    let mut column = column;
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Proposals::Table,
            string_null(Proposals::DeclineReason),
        )
        .await?;
        add_column(manager, Proposals::Table, text_null(Proposals::Note)).await?;
        add_column(
            manager,
            Proposals::Table,
            string_null(Proposals::PartnershipId),
        )
        .await?;
        add_column(
            manager,
            Proposals::Table,
            integer(Proposals::Reminders).default(0).take(),
        )
        .await?;
        add_column(
            manager,
            Proposals::Table,
            timestamp_with_time_zone_null(Proposals::ContactedAt),
        )
        .await?;
        add_column(
            manager,
            Proposals::Table,
            timestamp_with_time_zone_null(Proposals::EscalatedAt),
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProposalEvents::Table)
                    .col(big_pk_auto(ProposalEvents::Id))
                    .col(big_integer(ProposalEvents::ProposalId))
                    .col(string_null(ProposalEvents::FromStatus))
                    .col(string(ProposalEvents::ToStatus))
                    .col(string(ProposalEvents::Action))
                    .col(string(ProposalEvents::ActorKind))
                    .col(text(ProposalEvents::Actor))
                    .col(text_null(ProposalEvents::Reason))
                    .col(timestamp_with_time_zone(ProposalEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_proposal_events_proposal")
                    .table(ProposalEvents::Table)
                    .col(ProposalEvents::ProposalId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AnswerLinks::Table)
                    .col(string(AnswerLinks::TokenHash).primary_key())
                    .col(big_integer(AnswerLinks::ProposalId))
                    .col(string(AnswerLinks::Party))
                    .col(timestamp_with_time_zone(AnswerLinks::ExpiresAt))
                    .col(timestamp_with_time_zone_null(AnswerLinks::UsedAt))
                    .col(timestamp_with_time_zone(AnswerLinks::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_answer_links_proposal")
                    .table(AnswerLinks::Table)
                    .col(AnswerLinks::ProposalId)
                    .to_owned(),
            )
            .await?;
        add_column(manager, Outbox::Table, text_null(Outbox::Html)).await?;
        add_column(
            manager,
            Outbox::Table,
            timestamp_with_time_zone_null(Outbox::LockedUntil),
        )
        .await?;
        add_column(manager, Outbox::Table, big_integer_null(Outbox::ProposalId)).await?;
        add_column(
            manager,
            Partnerships::Table,
            big_integer_null(Partnerships::ProposalId),
        )
        .await?;
        add_column(
            manager,
            Partnerships::Table,
            text_null(Partnerships::ContractNumber),
        )
        .await?;
        add_column(
            manager,
            Partnerships::Table,
            text_null(Partnerships::RegistrationNumber),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AnswerLinks::Table.into_iden(),
            ProposalEvents::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        let columns: [(DynIden, DynIden); 12] = [
            (
                Proposals::Table.into_iden(),
                Proposals::DeclineReason.into_iden(),
            ),
            (Proposals::Table.into_iden(), Proposals::Note.into_iden()),
            (
                Proposals::Table.into_iden(),
                Proposals::PartnershipId.into_iden(),
            ),
            (
                Proposals::Table.into_iden(),
                Proposals::Reminders.into_iden(),
            ),
            (
                Proposals::Table.into_iden(),
                Proposals::ContactedAt.into_iden(),
            ),
            (
                Proposals::Table.into_iden(),
                Proposals::EscalatedAt.into_iden(),
            ),
            (Outbox::Table.into_iden(), Outbox::Html.into_iden()),
            (Outbox::Table.into_iden(), Outbox::LockedUntil.into_iden()),
            (Outbox::Table.into_iden(), Outbox::ProposalId.into_iden()),
            (
                Partnerships::Table.into_iden(),
                Partnerships::ProposalId.into_iden(),
            ),
            (
                Partnerships::Table.into_iden(),
                Partnerships::ContractNumber.into_iden(),
            ),
            (
                Partnerships::Table.into_iden(),
                Partnerships::RegistrationNumber.into_iden(),
            ),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
