//! An enterprise's GB/T 4754 industry code (`C3252`), optional.
//!
//! Why: the county's industry chains (铝材深加工 …) are too coarse to say which disciplines can
//! help an enterprise. The national industry code is on every enterprise's registration and in
//! the bureau's statistics sheets; with it, the matcher can widen a short need through the
//! industry ↔ discipline bridge and say so in its reasons. Rows without one keep working.

use sea_orm_migration::prelude::*;

/// The migration.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000009_add_enterprise_industry_code"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE enterprises ADD COLUMN industry_code TEXT NULL")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE enterprises DROP COLUMN industry_code")
            .await?;
        Ok(())
    }
}
