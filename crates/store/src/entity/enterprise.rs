//! An enterprise (企业) on the county's roster; industry is the chain's English code.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "enterprises")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    #[sea_orm(unique)]
    pub credit_code: String,
    pub county_code: String,
    pub town_code: String,
    pub town: String,
    pub industry: String,
    pub above_scale: bool,
    pub roster_year: i32,
    pub products: String,
    pub rd_staff: i32,
    pub contact_email: Option<String>,
    pub owner: Option<String>,
    pub content_hash: String,
    pub updated_at: DateTimeUtc,
    /// Its GB/T 4754-2017 industry code with the section letter (`C3252`), when known. Left out
    /// of the serialised form when absent, so content hashes of rows without one stay as
    /// they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry_code: Option<String>,
    /// The name's pinyin sort key (`labbridge_domain::sort::pinyin_key`), written by the store
    /// with every enterprise: what the staff lists are ordered and paged by.
    pub sort_key: String,
}

#[allow(missing_docs)]
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
