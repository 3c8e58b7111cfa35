//! A proposed partnership (推荐) from the matcher, with its reasons as JSON. `status` holds a
//! `labbridge_domain::proposal::ProposalStatus` code; only the use cases move it.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "proposals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub enterprise_id: String,
    pub partner_kind: String,
    pub partner_id: String,
    pub gap: String,
    #[sea_orm(column_type = "Double")]
    pub score: f64,
    pub reasons: String,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub decline_reason: Option<String>,
    pub note: Option<String>,
    pub partnership_id: Option<String>,
    pub reminders: i32,
    pub contacted_at: Option<DateTimeUtc>,
    pub escalated_at: Option<DateTimeUtc>,
}

#[allow(missing_docs)]
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
