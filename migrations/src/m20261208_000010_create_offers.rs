//! Technology offers (科技成果): results a university, an institute or a person offers for
//! transfer — a patent, a process, a prototype — as a technology market lists them.
//!
//! Why: an enterprise whose need is 成果转化 (take up a research result) is looking for an
//! offer, not for a person to do research; and a technology market's listings often name no
//! institution, only a holder, so `institution` is the explicit unknown (未知) when blank. The
//! table follows labs and experts: text ids, `fields` as a JSON list, a content hash for
//! unchanged re-imports, and `updated_at` for the search index to follow.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000010_create_offers"
    }
}

#[derive(DeriveIden)]
enum Offers {
    Table,
    Id,
    Name,
    Institution,
    Holder,
    Fields,
    Description,
    Patent,
    Price,
    ContentHash,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Offers::Table)
                    .col(string(Offers::Id).primary_key())
                    .col(text(Offers::Name))
                    .col(text(Offers::Institution))
                    .col(text_null(Offers::Holder))
                    .col(text(Offers::Fields))
                    .col(text_null(Offers::Description))
                    .col(text_null(Offers::Patent))
                    .col(text_null(Offers::Price))
                    .col(string(Offers::ContentHash))
                    .col(timestamp_with_time_zone(Offers::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Offers::Table).to_owned())
            .await
    }
}
