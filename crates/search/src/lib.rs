//! labbridge's Chinese full-text search: labs, experts and talent programmes (and needs, for
//! staff), in a tantivy index derived from the registry.
//!
//! The index is never the truth: [`SearchIndex::open`] says when it must be rebuilt (missing,
//! corrupt, or built with another schema or dictionary version), and every commit carries a
//! [`Checkpoint`] — the registry change mark it is up to date with — so a serving process
//! follows the registry from where it left off.
//!
//! Text analysis ([`text`]) folds width and case, cuts Chinese with jieba (search mode, HMM
//! off, the domain dictionary of `index/`), keeps grades such as `6061-T6` whole and in parts,
//! and adds character bigrams for recall. Queries ([`query`]) are built by hand: any text is a
//! valid query.
//!
//! Place in the graph: depends on `labbridge-domain` only; `labbridge-app` feeds it documents.
#![warn(missing_docs)]

pub mod baseline;
mod error;
mod index;
mod phrase;
mod query;
pub mod schema;
pub mod snippet;
pub mod text;

pub use error::{Error, Result};
pub use index::{
    Checkpoint, Document, FacetCount, Facets, Filters, Hit, Kind, Opened, Request, Results,
    SearchIndex, escape, vocabulary_of,
};
