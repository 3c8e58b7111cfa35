//! The labbridge domain: the vocabulary of a county's 产学研 (industry–university–research)
//! work, and the rules that decide what counts.
//!
//! This crate is pure: no IO beyond reading reference data embedded at compile time, no async,
//! no database or HTTP types. Every other crate depends on it, and it depends on none of them.
//!
//! Main pieces:
//! - [`CreditCode`]: the 18-character 统一社会信用代码, validated with its GB 32100-2015 check
//!   character.
//! - [`Divisions`]: China's counties and their towns (镇街), so an enterprise's town is a real
//!   town of its county.
//! - [`Institutions`]: institution names normalised against the Ministry of Education's list of
//!   universities, so "北京科技大学（材料学院）" and 北京科技大学 are one institution.
//! - [`coverage`]: the "two full coverages" rule, one pure function that can change in one
//!   place when the bureau redefines it.
//! - [`proposal`]: the proposal lifecycle — statuses, actions, decline reasons and the one
//!   transition table.
//! - [`model`]: the labelled enumerations (industry chains, R&D institution kinds, levels …)
//!   with the Chinese labels that imports and pages use.
//! - [`classification`]: the national industry (GB/T 4754) and discipline (GB/T 13745) code
//!   lists, and the hand-reviewed bridge between them the matcher widens short needs with.
//! - [`sort`]: the pinyin sort key Chinese names are ordered by (in lists, and stored with
//!   each enterprise so the database can page in that order).
//!
//! Non-goals: persistence (see `labbridge-store`), search and matching.
#![warn(missing_docs)]

pub mod classification;
pub mod coverage;
mod credit_code;
mod division;
mod error;
mod institution;
pub mod model;
pub mod proposal;
pub mod sort;
pub mod text;

pub use credit_code::CreditCode;
pub use division::{County, Divisions, Town};
pub use error::{Error, Result};
pub use institution::{
    Institution, Institutions, UNKNOWN_INSTITUTION, University, is_unknown_institution,
};
