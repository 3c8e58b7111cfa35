//! A lab or research centre (实验室 / 研究中心) at a university or institute.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "labs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub institution: String,
    pub at_university: bool,
    pub level: Option<String>,
    pub fields: String,
    pub description: Option<String>,
    pub province: Option<String>,
    pub email: Option<String>,
    pub capacity: Option<i32>,
    pub content_hash: String,
    pub updated_at: DateTimeUtc,
}

#[allow(missing_docs)]
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
