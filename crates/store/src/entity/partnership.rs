//! A cooperation (合作) of an enterprise with a lab, an expert or a named institution: what coverage A counts.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "partnerships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub enterprise_id: String,
    pub partner_kind: String,
    pub partner: String,
    pub kind: String,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub evidence: Option<String>,
    pub content_hash: String,
    pub updated_at: DateTimeUtc,
    pub proposal_id: Option<i64>,
    pub contract_number: Option<String>,
    pub registration_number: Option<String>,
}

#[allow(missing_docs)]
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
