//! The coverage of one month and scope (`all`, `town:<code>`, `industry:<code>`), taken once
//! and never changed: the points of the trend.

use sea_orm::entity::prelude::*;

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "coverage_snapshots")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope: String,
    pub label: String,
    pub total: i32,
    pub covered: i32,
    pub cooperation: i32,
    pub institution_and_staff: i32,
    pub taken_at: DateTimeUtc,
}

#[allow(missing_docs)]
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
