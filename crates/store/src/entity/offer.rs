//! A technology offer (科技成果) listed for transfer.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "offers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub institution: String,
    pub holder: Option<String>,
    pub fields: String,
    pub description: Option<String>,
    pub patent: Option<String>,
    pub price: Option<String>,
    pub content_hash: String,
    pub updated_at: DateTimeUtc,
}

#[allow(missing_docs)]
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
