//! Which talent programmes an expert belongs to (many-to-many).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "expert_programs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub expert_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub program_id: String,
}

#[allow(missing_docs)]
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
