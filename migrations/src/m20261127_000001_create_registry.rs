//! Creates the registry: the records imported from the bureau's sheets, the matcher's
//! proposals, accounts and the e-mail outbox.
//!
//! Every imported table keys on the source's own `id` and carries a `content_hash` of the
//! normalised record (so a re-import can tell created, updated and unchanged rows apart without
//! comparing columns) and an `updated_at` that the search index follows.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000001_create_registry"
    }
}

#[derive(DeriveIden)]
enum Enterprises {
    Table,
    Id,
    Name,
    CreditCode,
    CountyCode,
    TownCode,
    Town,
    Industry,
    AboveScale,
    RosterYear,
    Products,
    RdStaff,
    ContactEmail,
    Owner,
    ContentHash,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RdInstitutions {
    Table,
    Id,
    EnterpriseId,
    Kind,
    Level,
    Number,
    RecognizedOn,
    ReviewDue,
}

#[derive(DeriveIden)]
enum Needs {
    Table,
    Id,
    EnterpriseId,
    Title,
    Description,
    Fields,
    Kind,
    Status,
    Confidential,
    ContentHash,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Programs {
    Table,
    Id,
    Name,
    Level,
    Description,
    ContentHash,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Labs {
    Table,
    Id,
    Name,
    Institution,
    AtUniversity,
    Level,
    Fields,
    Description,
    Province,
    Email,
    Capacity,
    ContentHash,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Experts {
    Table,
    Id,
    Name,
    Institution,
    AtUniversity,
    Title,
    Fields,
    Bio,
    LabId,
    Province,
    Email,
    Capacity,
    OpenToPost,
    ContentHash,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ExpertPrograms {
    Table,
    ExpertId,
    ProgramId,
}

#[derive(DeriveIden)]
enum Partnerships {
    Table,
    Id,
    EnterpriseId,
    PartnerKind,
    Partner,
    Kind,
    ValidFrom,
    ValidTo,
    Evidence,
    ContentHash,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Proposals {
    Table,
    Id,
    EnterpriseId,
    PartnerKind,
    PartnerId,
    Gap,
    Score,
    Reasons,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Login,
    DisplayName,
    Role,
    Email,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Kind,
    Recipient,
    Subject,
    Body,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    SentAt,
}

fn foreign_key(
    from_table: impl IntoIden,
    from_column: impl IntoIden,
    to_table: impl IntoIden,
    to_column: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_column)
        .to(to_table, to_column)
        .on_delete(on_delete)
        .to_owned()
}

fn index(name: &str, table: impl IntoIden, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(Alias::new(*column));
    }
    statement.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Enterprises::Table)
                    .col(string(Enterprises::Id).primary_key())
                    .col(text(Enterprises::Name))
                    .col(string_uniq(Enterprises::CreditCode))
                    .col(string(Enterprises::CountyCode))
                    .col(string(Enterprises::TownCode))
                    .col(text(Enterprises::Town))
                    .col(string(Enterprises::Industry))
                    .col(boolean(Enterprises::AboveScale))
                    .col(integer(Enterprises::RosterYear))
                    .col(text(Enterprises::Products))
                    .col(integer(Enterprises::RdStaff))
                    .col(text_null(Enterprises::ContactEmail))
                    .col(text_null(Enterprises::Owner))
                    .col(string(Enterprises::ContentHash))
                    .col(timestamp_with_time_zone(Enterprises::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_enterprises_roster",
                Enterprises::Table,
                &["roster_year", "above_scale"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RdInstitutions::Table)
                    .col(pk_auto(RdInstitutions::Id))
                    .col(string(RdInstitutions::EnterpriseId))
                    .col(string(RdInstitutions::Kind))
                    .col(string_null(RdInstitutions::Level))
                    .col(text_null(RdInstitutions::Number))
                    .col(date(RdInstitutions::RecognizedOn))
                    .col(date_null(RdInstitutions::ReviewDue))
                    .foreign_key(&mut foreign_key(
                        RdInstitutions::Table,
                        RdInstitutions::EnterpriseId,
                        Enterprises::Table,
                        Enterprises::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_rd_institutions_enterprise",
                RdInstitutions::Table,
                &["enterprise_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Needs::Table)
                    .col(string(Needs::Id).primary_key())
                    .col(string(Needs::EnterpriseId))
                    .col(text(Needs::Title))
                    .col(text(Needs::Description))
                    .col(text(Needs::Fields))
                    .col(string_null(Needs::Kind))
                    .col(string(Needs::Status))
                    .col(boolean(Needs::Confidential))
                    .col(string(Needs::ContentHash))
                    .col(timestamp_with_time_zone(Needs::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        Needs::Table,
                        Needs::EnterpriseId,
                        Enterprises::Table,
                        Enterprises::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_needs_enterprise",
                Needs::Table,
                &["enterprise_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Programs::Table)
                    .col(string(Programs::Id).primary_key())
                    .col(text(Programs::Name))
                    .col(string(Programs::Level))
                    .col(text_null(Programs::Description))
                    .col(string(Programs::ContentHash))
                    .col(timestamp_with_time_zone(Programs::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Labs::Table)
                    .col(string(Labs::Id).primary_key())
                    .col(text(Labs::Name))
                    .col(text(Labs::Institution))
                    .col(boolean(Labs::AtUniversity))
                    .col(text_null(Labs::Level))
                    .col(text(Labs::Fields))
                    .col(text_null(Labs::Description))
                    .col(text_null(Labs::Province))
                    .col(text_null(Labs::Email))
                    .col(integer_null(Labs::Capacity))
                    .col(string(Labs::ContentHash))
                    .col(timestamp_with_time_zone(Labs::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Experts::Table)
                    .col(string(Experts::Id).primary_key())
                    .col(text(Experts::Name))
                    .col(text(Experts::Institution))
                    .col(boolean(Experts::AtUniversity))
                    .col(text_null(Experts::Title))
                    .col(text(Experts::Fields))
                    .col(text_null(Experts::Bio))
                    .col(string_null(Experts::LabId))
                    .col(text_null(Experts::Province))
                    .col(text_null(Experts::Email))
                    .col(integer_null(Experts::Capacity))
                    .col(boolean(Experts::OpenToPost))
                    .col(string(Experts::ContentHash))
                    .col(timestamp_with_time_zone(Experts::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        Experts::Table,
                        Experts::LabId,
                        Labs::Table,
                        Labs::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExpertPrograms::Table)
                    .col(string(ExpertPrograms::ExpertId))
                    .col(string(ExpertPrograms::ProgramId))
                    .primary_key(
                        Index::create()
                            .col(ExpertPrograms::ExpertId)
                            .col(ExpertPrograms::ProgramId),
                    )
                    .foreign_key(&mut foreign_key(
                        ExpertPrograms::Table,
                        ExpertPrograms::ExpertId,
                        Experts::Table,
                        Experts::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        ExpertPrograms::Table,
                        ExpertPrograms::ProgramId,
                        Programs::Table,
                        Programs::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_expert_programs_program",
                ExpertPrograms::Table,
                &["program_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Partnerships::Table)
                    .col(string(Partnerships::Id).primary_key())
                    .col(string(Partnerships::EnterpriseId))
                    .col(string(Partnerships::PartnerKind))
                    .col(text(Partnerships::Partner))
                    .col(string(Partnerships::Kind))
                    .col(date(Partnerships::ValidFrom))
                    .col(date_null(Partnerships::ValidTo))
                    .col(text_null(Partnerships::Evidence))
                    .col(string(Partnerships::ContentHash))
                    .col(timestamp_with_time_zone(Partnerships::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        Partnerships::Table,
                        Partnerships::EnterpriseId,
                        Enterprises::Table,
                        Enterprises::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_partnerships_enterprise",
                Partnerships::Table,
                &["enterprise_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Proposals::Table)
                    .col(big_pk_auto(Proposals::Id))
                    .col(string(Proposals::EnterpriseId))
                    .col(string(Proposals::PartnerKind))
                    .col(string(Proposals::PartnerId))
                    .col(string(Proposals::Gap))
                    .col(double(Proposals::Score))
                    .col(text(Proposals::Reasons))
                    .col(string(Proposals::Status))
                    .col(timestamp_with_time_zone(Proposals::CreatedAt))
                    .col(timestamp_with_time_zone(Proposals::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        Proposals::Table,
                        Proposals::EnterpriseId,
                        Enterprises::Table,
                        Enterprises::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_proposals_enterprise_status",
                Proposals::Table,
                &["enterprise_id", "status"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(pk_auto(Accounts::Id))
                    .col(string_uniq(Accounts::Login))
                    .col(text(Accounts::DisplayName))
                    .col(string(Accounts::Role))
                    .col(text_null(Accounts::Email))
                    .col(text_null(Accounts::PasswordHash))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(big_pk_auto(Outbox::Id))
                    .col(string(Outbox::Kind))
                    .col(text(Outbox::Recipient))
                    .col(text(Outbox::Subject))
                    .col(text(Outbox::Body))
                    .col(string(Outbox::Status))
                    .col(integer(Outbox::Attempts))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    .col(text_null(Outbox::LastError))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_outbox_due",
                Outbox::Table,
                &["status", "next_attempt_at"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Outbox::Table.into_iden(),
            Accounts::Table.into_iden(),
            Proposals::Table.into_iden(),
            Partnerships::Table.into_iden(),
            ExpertPrograms::Table.into_iden(),
            Experts::Table.into_iden(),
            Labs::Table.into_iden(),
            Programs::Table.into_iden(),
            Needs::Table.into_iden(),
            RdInstitutions::Table.into_iden(),
            Enterprises::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
