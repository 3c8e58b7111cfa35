//! The e-mail outbox: rows written in the transaction of the change that causes them, claimed
//! by workers with a lease, sent outside any transaction, then marked.
//!
//! A claim is one `UPDATE … RETURNING` that sets `locked_until`; on PostgreSQL its sub-select
//! takes `FOR UPDATE SKIP LOCKED`, so any number of workers share one queue without waiting for
//! each other; on SQLite the single writer makes the `UPDATE` atomic by itself. A worker that
//! dies leaves its rows leased until the lease runs out; then another takes them again.

use chrono::{DateTime, Utc};
use labbridge_domain::proposal::ProposalStatus;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use crate::Result;
use crate::entity::{outbox, proposal, proposal_event};
use crate::registry::Store;

/// Where an outbox row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailStatus {
    /// Waiting to be sent (or to be tried again).
    Pending,
    /// Accepted by the SMTP server.
    Sent,
    /// Refused for good (a 5xx, or too many attempts); staff may retry it.
    Dead,
}

impl MailStatus {
    /// Every status.
    pub const ALL: [MailStatus; 3] = [MailStatus::Pending, MailStatus::Sent, MailStatus::Dead];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            MailStatus::Pending => "pending",
            MailStatus::Sent => "sent",
            MailStatus::Dead => "dead",
        }
    }

    /// Parses a stored code.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.code() == raw.trim())
    }
}

/// A mail to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// What it is (`partner_proposal`, `reminder`, `digest` …).
    pub kind: String,
    /// The address.
    pub recipient: String,
    /// The subject.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: Option<String>,
    /// The proposal it is about.
    pub proposal_id: Option<i64>,
}

/// A delivery recorded together with the proposal it moves (approved → sent).
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The proposal, when the mail's delivery moves it.
    pub proposal: Option<(i64, ProposalStatus, proposal_event::Model)>,
}

impl Store {
    /// Queues a mail inside the caller's transaction; returns its id.
    pub async fn enqueue(
        connection: &impl ConnectionTrait,
        mail: NewMail,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let row = outbox::ActiveModel {
            id: ActiveValue::NotSet,
            kind: ActiveValue::Set(mail.kind),
            recipient: ActiveValue::Set(mail.recipient),
            subject: ActiveValue::Set(mail.subject),
            body: ActiveValue::Set(mail.text),
            status: ActiveValue::Set(MailStatus::Pending.code().to_owned()),
            attempts: ActiveValue::Set(0),
            next_attempt_at: ActiveValue::Set(now),
            last_error: ActiveValue::Set(None),
            created_at: ActiveValue::Set(now),
            sent_at: ActiveValue::Set(None),
            html: ActiveValue::Set(mail.html),
            locked_until: ActiveValue::Set(None),
            proposal_id: ActiveValue::Set(mail.proposal_id),
        }
        .insert(connection)
        .await?;
        Ok(row.id)
    }

    /// Claims up to `limit` pending rows with ids above `after` that are due (every pending row
    /// when `every_pending`) and not leased by a live worker, leasing them until `lease_until` and counting the
    /// attempt. The rows come back in id order.
    pub async fn claim_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u64,
        every_pending: bool,
        after: i64,
    ) -> Result<Vec<outbox::Model>> {
        let backend = self.database.get_database_backend();
        let due = if every_pending {
            ""
        } else {
            "AND next_attempt_at <= $1 "
        };
        let lock = match backend {
            DatabaseBackend::Postgres => "FOR UPDATE SKIP LOCKED",
            _ => "",
        };
        let sql = format!(
            "UPDATE outbox SET locked_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' {due}\
             AND id > $4 AND (locked_until IS NULL OR locked_until < $1) ORDER BY id LIMIT $3 {lock}) \
             RETURNING *"
        );
        let sql = match backend {
            // SQLite numbers its parameters ?1, ?2 …
            DatabaseBackend::Sqlite => sql.replace('$', "?"),
            _ => sql,
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let statement = Statement::from_sql_and_values(
            backend,
            sql,
            [now.into(), lease_until.into(), limit.into(), after.into()],
        );
        let mut rows = outbox::Entity::find()
            .from_raw_sql(statement)
            .all(&self.database)
            .await?;
        rows.sort_by_key(|row| row.id);
        Ok(rows)
    }

    /// Records a delivery: the row is sent, and the proposal it carries moves with it, in one
    /// transaction. A row no longer leased by this worker is still marked (the mail went out).
    pub async fn mark_sent(&self, id: i64, now: DateTime<Utc>, delivery: Delivery) -> Result<()> {
        let sent = outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(MailStatus::Sent.code()))
            .col_expr(outbox::Column::SentAt, Expr::value(now))
            .col_expr(
                outbox::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                outbox::Column::LastError,
                Expr::value(Option::<String>::None),
            )
            .filter(outbox::Column::Id.eq(id));
        let Some((proposal_id, to, event)) = delivery.proposal else {
            sent.exec(&self.database).await?;
            return Ok(());
        };
        let transaction = self.begin().await?;
        sent.exec(&transaction).await?;
        let moved = proposal::Entity::update_many()
            .col_expr(proposal::Column::Status, Expr::value(to.code()))
            .col_expr(proposal::Column::UpdatedAt, Expr::value(now))
            .filter(proposal::Column::Id.eq(proposal_id))
            .filter(proposal::Column::Status.eq(event.from_status.clone().unwrap_or_default()))
            .exec(&transaction)
            .await?;
        // Only when the proposal was still where the event says (an answer may have come
        // first, or staff withdrew it).
        if moved.rows_affected == 1 {
            Store::insert_events(&transaction, vec![event]).await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Schedules another attempt, keeping the server's answer.
    pub async fn schedule_retry(
        &self,
        id: i64,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> Result<()> {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(next_attempt_at))
            .col_expr(
                outbox::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(outbox::Column::LastError, Expr::value(error))
            .filter(outbox::Column::Id.eq(id))
            .filter(outbox::Column::Status.eq(MailStatus::Pending.code()))
            .exec(&self.database)
            .await?;
        Ok(())
    }

    /// Gives up on a row (a permanent refusal, or too many attempts), keeping the answer.
    pub async fn mark_dead(&self, id: i64, error: &str) -> Result<()> {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(MailStatus::Dead.code()))
            .col_expr(
                outbox::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(outbox::Column::LastError, Expr::value(error))
            .filter(outbox::Column::Id.eq(id))
            .exec(&self.database)
            .await?;
        Ok(())
    }

    /// Puts a dead row back in the queue (staff's retry); returns whether it was dead.
    pub async fn revive_mail(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        let result = outbox::Entity::update_many()
            .col_expr(
                outbox::Column::Status,
                Expr::value(MailStatus::Pending.code()),
            )
            .col_expr(outbox::Column::Attempts, Expr::value(0))
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
            .filter(outbox::Column::Id.eq(id))
            .filter(outbox::Column::Status.eq(MailStatus::Dead.code()))
            .exec(&self.database)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Lists outbox rows, newest first, optionally of one status and at most `limit`.
    pub async fn mail(&self, status: Option<MailStatus>, limit: u64) -> Result<Vec<outbox::Model>> {
        let mut select = outbox::Entity::find().order_by_desc(outbox::Column::Id);
        if let Some(status) = status {
            select = select.filter(outbox::Column::Status.eq(status.code()));
        }
        Ok(select.limit(limit).all(&self.database).await?)
    }

    /// Finds one outbox row.
    pub async fn mail_by_id(&self, id: i64) -> Result<Option<outbox::Model>> {
        Ok(outbox::Entity::find_by_id(id).one(&self.database).await?)
    }

    /// The outbox rows of a proposal, oldest first.
    pub async fn mail_of_proposal(&self, proposal_id: i64) -> Result<Vec<outbox::Model>> {
        Ok(outbox::Entity::find()
            .filter(outbox::Column::ProposalId.eq(proposal_id))
            .order_by_asc(outbox::Column::Id)
            .all(&self.database)
            .await?)
    }

    /// Counts the outbox rows of each status.
    pub async fn mail_counts(&self) -> Result<Vec<(MailStatus, u64)>> {
        let mut counts = Vec::new();
        for status in MailStatus::ALL {
            let count = outbox::Entity::find()
                .filter(outbox::Column::Status.eq(status.code()))
                .count(&self.database)
                .await?;
            counts.push((status, count));
        }
        Ok(counts)
    }

    /// Whether a mail of this kind was queued at or after a time (the weekly digest asks).
    pub async fn mail_queued_since(&self, kind: &str, since: DateTime<Utc>) -> Result<bool> {
        Ok(outbox::Entity::find()
            .filter(outbox::Column::Kind.eq(kind))
            .filter(outbox::Column::CreatedAt.gte(since))
            .count(&self.database)
            .await?
            > 0)
    }
}
