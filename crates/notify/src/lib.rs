//! labbridge e-mail: what is written to partners, enterprises and staff, and how it leaves.
//!
//! - [`letters`]: every letter the proposal loop sends — the proposal to a lab or expert, the
//!   question to the enterprise, the contacts after both accepted, reminders, escalations, the
//!   weekly digest — in zh-CN or English, rendered as plain text and HTML ([`Letter`]).
//! - [`Mailer`]: lettre's pooled async SMTP transport, built from `LABBRIDGE_SMTP_URL`
//!   (`smtp://host:port` plain, `smtp://user:pass@host:587` with STARTTLS, `smtps://…`), or a
//!   stub for unit tests.
//! - [`Worker`]: the outbox worker. One step, [`Worker::dispatch_one`], claims a row with a
//!   lease, sends it outside any transaction within a timeout, then marks it sent, schedules a
//!   retry (4xx, timeouts, lost connections; exponential backoff) or gives up (5xx, too many
//!   attempts). [`Worker::pass`] runs steps concurrently until nothing is due; [`Worker::run`]
//!   repeats passes until shut down. Every message carries a Message-ID made from its row id,
//!   so a resend after a crash is recognisably the same message.
//!
//! Place in the graph: depends on `labbridge-domain` and `labbridge-store` (rows are queued in
//! the use case's transaction with [`labbridge_store::Store::enqueue`]); `labbridge-app`
//! composes letters and runs the worker. No HTTP here.
#![warn(missing_docs)]

mod error;
pub mod letters;
mod transport;
mod worker;

pub use error::{Error, Result};
pub use letters::{Lang, Letter, Rendered};
pub use lettre::message::Mailbox as MailboxAddress;
pub use transport::Mailer;
pub use worker::{Outcome, PARTNER_PROPOSAL, PassReport, Worker, WorkerSettings, message_id};
