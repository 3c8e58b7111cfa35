//! An expert (专家) at a university or institute; programmes live in expert_programs.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "experts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub institution: String,
    pub at_university: bool,
    pub title: Option<String>,
    pub fields: String,
    pub bio: Option<String>,
    pub lab_id: Option<String>,
    pub province: Option<String>,
    pub email: Option<String>,
    pub capacity: Option<i32>,
    pub open_to_post: bool,
    pub content_hash: String,
    pub updated_at: DateTimeUtc,
}

#[allow(missing_docs)]
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
