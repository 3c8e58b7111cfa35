//! The enterprise portal and the bureau's security rules: an account may be bound to one
//! enterprise and may be disabled; a session knows when it was last used (the idle timeout) and
//! whether it is a browser's or a personal API token; and an audit log keeps who did what, when,
//! from where and how it ended (等保 2.0 level 2 asks for at least 180 days of it).

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000005_create_portal"
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    EnterpriseId,
    Disabled,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    LastSeenAt,
    Kind,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    Actor,
    Role,
    Address,
    Action,
    Target,
    Outcome,
    Detail,
}

async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    mut column: ColumnDef,
) -> Result<(), DbErr> {
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
        add_column(manager, Accounts::Table, text_null(Accounts::EnterpriseId)).await?;
        add_column(
            manager,
            Accounts::Table,
            boolean(Accounts::Disabled).default(false).take(),
        )
        .await?;
        add_column(
            manager,
            Sessions::Table,
            timestamp_with_time_zone_null(Sessions::LastSeenAt),
        )
        .await?;
        add_column(
            manager,
            Sessions::Table,
            string(Sessions::Kind).default("web").take(),
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(big_pk_auto(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::At))
                    .col(text(AuditEvents::Actor))
                    .col(string(AuditEvents::Role))
                    .col(text(AuditEvents::Address))
                    .col(text(AuditEvents::Action))
                    .col(text(AuditEvents::Target))
                    .col(string(AuditEvents::Outcome))
                    .col(text(AuditEvents::Detail))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_events_at")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await?;
        let columns: [(DynIden, DynIden); 4] = [
            (
                Accounts::Table.into_iden(),
                Accounts::EnterpriseId.into_iden(),
            ),
            (Accounts::Table.into_iden(), Accounts::Disabled.into_iden()),
            (
                Sessions::Table.into_iden(),
                Sessions::LastSeenAt.into_iden(),
            ),
            (Sessions::Table.into_iden(), Sessions::Kind.into_iden()),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
