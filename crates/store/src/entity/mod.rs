//! sea-orm entities, one module per registry table (see `labbridge-migrations` for the schema).

pub mod account;
pub mod answer_link;
pub mod audit_event;
pub mod coverage_snapshot;
pub mod enterprise;
pub mod expert;
pub mod expert_program;
pub mod job;
pub mod lab;
pub mod need;
pub mod offer;
pub mod outbox;
pub mod partnership;
pub mod program;
pub mod proposal;
pub mod proposal_event;
pub mod rd_institution;
pub mod registry_setting;
pub mod session;
pub mod sign_in_attempt;
