//! The outbox worker: claim with a lease → send outside any transaction → mark.
//!
//! What a crash can do: a row is marked only after the SMTP server accepted it, so a worker
//! killed between the server's `250` and the mark leaves the row leased; when the lease runs
//! out another pass sends it again, with the same Message-ID. Nothing is lost; a mail in flight
//! at the moment of the crash may arrive twice, recognisably the same message.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use labbridge_domain::proposal::{ActorKind, ProposalAction, ProposalStatus, transition};
use labbridge_store::entity::{outbox, proposal_event};
use labbridge_store::{Delivery, Store};
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use tracing::{debug, info, warn};

use crate::transport::SendError;
use crate::{Mailer, Result};

/// The kind of outbox row whose delivery moves its proposal from approved to sent.
pub const PARTNER_PROPOSAL: &str = "partner_proposal";

/// How the worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// The sender.
    pub from: Mailbox,
    /// How long a claimed row stays reserved for this worker (longer than a send may take).
    pub lease: Duration,
    /// The longest a single send may take.
    pub send_timeout: Duration,
    /// Attempts before a row is given up.
    pub max_attempts: i32,
    /// The first retry's delay; each later one doubles, up to `backoff_max`.
    pub backoff_base: Duration,
    /// The longest delay between attempts.
    pub backoff_max: Duration,
    /// Rows sent at once (the SMTP pool's size).
    pub concurrency: usize,
}

impl WorkerSettings {
    /// Sound defaults for a sender.
    pub fn new(from: Mailbox) -> Self {
        Self {
            from,
            lease: Duration::from_secs(120),
            send_timeout: Duration::from_secs(30),
            max_attempts: 8,
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
            concurrency: 16,
        }
    }

    /// The delay before attempt `attempts + 1`.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        self.backoff_base
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.backoff_max)
    }
}

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server accepted the row's mail.
    Sent(i64),
    /// It failed for now and is scheduled again.
    Retry(i64),
    /// It failed for good.
    Dead(i64),
    /// Nothing was due.
    Empty,
}

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Mails the server accepted.
    pub sent: u64,
    /// Mails scheduled again.
    pub retried: u64,
    /// Mails given up.
    pub dead: u64,
}

/// Returns the stable Message-ID of an outbox row.
pub fn message_id(row_id: i64, from: &Mailbox) -> String {
    let domain = from.email.domain();
    format!("<outbox-{row_id}@{domain}>")
}

/// The outbox worker.
#[derive(Debug, Clone)]
pub struct Worker {
    store: Store,
    mailer: Mailer,
    settings: Arc<WorkerSettings>,
}

impl Worker {
    /// A worker sending the registry's outbox through a mailer.
    pub fn new(store: Store, mailer: Mailer, settings: WorkerSettings) -> Self {
        Self {
            store,
            mailer,
            settings: Arc::new(settings),
        }
    }

    /// One step: claims the next due row above `after` (every pending row when
    /// `every_pending`), sends it and records the result.
    pub async fn dispatch_one(&self, after: i64, every_pending: bool) -> Result<Outcome> {
        let now = Utc::now();
        let lease_until = now + chrono_duration(self.settings.lease);
        let mut rows = self
            .store
            .claim_mail(now, lease_until, 1, every_pending, after)
            .await?;
        match rows.pop() {
            Some(row) => self.deliver(row).await,
            None => Ok(Outcome::Empty),
        }
    }

    /// Sends one claimed row and records the outcome.
    async fn deliver(&self, row: outbox::Model) -> Result<Outcome> {
        let result = self.send_row(&row).await;
        self.record(row, result).await
    }

    /// Sends one row's mail, within the send timeout; touches no database.
    async fn send_row(&self, row: &outbox::Model) -> std::result::Result<(), SendError> {
        let message = match self.message(row) {
            Ok(message) => message,
            Err(reason) => {
                return Err(SendError::Permanent(format!(
                    "cannot build the mail: {reason}"
                )));
            }
        };
        tokio::time::timeout(self.settings.send_timeout, self.mailer.send(message))
            .await
            .unwrap_or_else(|_| {
                Err(SendError::Transient(format!(
                    "no answer from the SMTP server within {} s",
                    self.settings.send_timeout.as_secs()
                )))
            })
    }

    /// Records what a send did: sent, a retry later, or given up.
    async fn record(
        &self,
        row: outbox::Model,
        result: std::result::Result<(), SendError>,
    ) -> Result<Outcome> {
        let id = row.id;
        match result {
            Ok(()) => {
                let now = Utc::now();
                self.store
                    .mark_sent(
                        id,
                        now,
                        Delivery {
                            proposal: delivered_proposal(&row, now),
                        },
                    )
                    .await?;
                debug!(id, kind = %row.kind, "mail sent");
                Ok(Outcome::Sent(id))
            }
            Err(SendError::Permanent(reason)) => {
                warn!(id, %reason, "mail refused for good");
                self.store.mark_dead(id, &reason).await?;
                Ok(Outcome::Dead(id))
            }
            Err(SendError::Transient(reason)) if row.attempts >= self.settings.max_attempts => {
                warn!(id, attempts = row.attempts, %reason, "mail failed too often, giving up");
                self.store
                    .mark_dead(id, &format!("{reason} (after {} attempts)", row.attempts))
                    .await?;
                Ok(Outcome::Dead(id))
            }
            Err(SendError::Transient(reason)) => {
                let next = Utc::now() + chrono_duration(self.settings.backoff(row.attempts));
                warn!(id, attempts = row.attempts, %reason, next = %next, "mail failed, will retry");
                self.store.schedule_retry(id, next, &reason).await?;
                Ok(Outcome::Retry(id))
            }
        }
    }

    /// One pass over the queue: every due row (every pending row when `every_pending`) is tried
    /// once, in id order. Up to `concurrency` sends run at once, each as its own task; their
    /// results are recorded one at a time as they finish, so the registry sees one writer
    /// (SQLite's single write lock is never fought over) and at most `concurrency` mails are
    /// ever sent but not yet marked.
    pub async fn pass(&self, every_pending: bool) -> Result<PassReport> {
        let mut report = PassReport::default();
        let mut after = 0_i64;
        let concurrency = self.settings.concurrency.max(1);
        let batch = (concurrency * 4) as u64;
        loop {
            let now = Utc::now();
            let lease_until = now + chrono_duration(self.settings.lease);
            let rows = self
                .store
                .claim_mail(now, lease_until, batch, every_pending, after)
                .await?;
            let Some(last) = rows.last() else {
                break;
            };
            after = last.id;
            let mut waiting = rows.into_iter();
            let mut running = tokio::task::JoinSet::new();
            loop {
                while running.len() < concurrency {
                    let Some(row) = waiting.next() else {
                        break;
                    };
                    let worker = self.clone();
                    running.spawn(async move {
                        let result = worker.send_row(&row).await;
                        (row, result)
                    });
                }
                let Some(joined) = running.join_next().await else {
                    break;
                };
                let (row, result) = match joined {
                    Ok(done) => done,
                    Err(error) => {
                        // A send task panicked: its row keeps its lease and is tried again
                        // when the lease ends.
                        warn!(%error, "mail task failed");
                        continue;
                    }
                };
                match self.record(row, result).await? {
                    Outcome::Sent(_) => report.sent += 1,
                    Outcome::Retry(_) => report.retried += 1,
                    Outcome::Dead(_) => report.dead += 1,
                    Outcome::Empty => {}
                }
            }
        }
        if report != PassReport::default() {
            info!(
                sent = report.sent,
                retried = report.retried,
                dead = report.dead,
                "outbox pass"
            );
        }
        Ok(report)
    }

    /// Runs passes every `interval` until `shutdown` resolves; a failed pass (the registry
    /// away) is logged and tried again at the next tick.
    pub async fn run(self, interval: Duration, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            if let Err(error) = self.pass(false).await {
                warn!(%error, "outbox pass failed");
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(interval) => {}
            }
        }
    }

    fn message(&self, row: &outbox::Model) -> std::result::Result<Message, String> {
        let to: Mailbox = row
            .recipient
            .parse()
            .map_err(|error| format!("recipient '{}': {error}", row.recipient))?;
        let builder = Message::builder()
            .from(self.settings.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .message_id(Some(message_id(row.id, &self.settings.from)));
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(row.body.clone());
        let message = match &row.html {
            Some(html) => builder.multipart(
                MultiPart::alternative().singlepart(text).singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html.clone()),
                ),
            ),
            None => builder.singlepart(text),
        };
        message.map_err(|error| error.to_string())
    }
}

/// The proposal a delivered row moves (approved → sent), with its event.
fn delivered_proposal(
    row: &outbox::Model,
    now: DateTime<Utc>,
) -> Option<(i64, ProposalStatus, proposal_event::Model)> {
    let proposal_id = row.proposal_id.filter(|_| row.kind == PARTNER_PROPOSAL)?;
    let from = ProposalStatus::Approved;
    let to = transition(from, ProposalAction::MailDelivered).ok()?;
    Some((
        proposal_id,
        to,
        proposal_event::Model {
            id: 0,
            proposal_id,
            from_status: Some(from.code().to_owned()),
            to_status: to.code().to_owned(),
            action: ProposalAction::MailDelivered.code().to_owned(),
            actor_kind: ActorKind::System.code().to_owned(),
            actor: "outbox".to_owned(),
            reason: Some(format!("outbox #{} → {}", row.id, row.recipient)),
            created_at: now,
        },
    ))
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let settings = WorkerSettings::new("a@b.cn".parse().expect("mailbox"));
        assert_eq!(settings.backoff(1), Duration::from_secs(30));
        assert_eq!(settings.backoff(2), Duration::from_secs(60));
        assert_eq!(settings.backoff(4), Duration::from_secs(240));
        assert_eq!(settings.backoff(30), Duration::from_secs(3600));
    }

    #[test]
    fn message_ids_are_stable_per_row() {
        let from: Mailbox = "科技局 <noreply@kjj.example.cn>".parse().expect("mailbox");
        assert_eq!(message_id(42, &from), "<outbox-42@kjj.example.cn>");
        assert_eq!(message_id(42, &from), message_id(42, &from));
    }
}
