//! Proposals, their events and answer links: reads and writes for the proposal loop.
//!
//! Every write takes a connection or a transaction (`&impl ConnectionTrait`), so the use case
//! that changes a proposal also decides what commits with it — the event, the answer link, the
//! e-mail in the outbox. Which transition is allowed is `labbridge_domain::proposal`'s business;
//! this module stores what it is given.

use chrono::{DateTime, Utc};
use labbridge_domain::proposal::ProposalStatus;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};

use crate::Result;
use crate::entity::{answer_link, partnership, proposal, proposal_event};
use crate::registry::{MAX_PARAMETERS, Store};

/// A proposal row changed by a transition: the new status and whatever else changes with it.
#[derive(Debug, Clone, Default)]
pub struct ProposalChange {
    /// The decline reason code, when the transition is a decline.
    pub decline_reason: Option<String>,
    /// A note (the decliner's text, the staff's reason).
    pub note: Option<String>,
    /// The partnership made from it.
    pub partnership_id: Option<String>,
    /// When the awaited party was last written to (a new mail or reminder resets the clock).
    pub contacted_at: Option<DateTime<Utc>>,
    /// Reset the reminder count (a new party is now awaited).
    pub reset_reminders: bool,
    /// Replaced reasons JSON (an exclusion adds the staff's reason).
    pub reasons: Option<String>,
}

impl Store {
    /// Finds a proposal by id.
    pub async fn proposal(
        connection: &impl ConnectionTrait,
        id: i64,
    ) -> Result<Option<proposal::Model>> {
        Ok(proposal::Entity::find_by_id(id).one(connection).await?)
    }

    /// Returns the proposals with these ids, in id order (missing ids are skipped).
    pub async fn proposals_by_ids(
        connection: &impl ConnectionTrait,
        ids: &[i64],
    ) -> Result<Vec<proposal::Model>> {
        let mut rows = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_PARAMETERS / 2) {
            rows.extend(
                proposal::Entity::find()
                    .filter(proposal::Column::Id.is_in(chunk.iter().copied()))
                    .order_by_asc(proposal::Column::Id)
                    .all(connection)
                    .await?,
            );
        }
        Ok(rows)
    }

    /// Returns the proposals in these statuses, oldest first.
    pub async fn proposals_in(
        connection: &impl ConnectionTrait,
        statuses: &[ProposalStatus],
    ) -> Result<Vec<proposal::Model>> {
        Ok(proposal::Entity::find()
            .filter(proposal::Column::Status.is_in(statuses.iter().map(|status| status.code())))
            .order_by_asc(proposal::Column::Id)
            .all(connection)
            .await?)
    }

    /// Returns the proposals of one enterprise–partner pair, oldest first.
    pub async fn proposals_of_pair(
        connection: &impl ConnectionTrait,
        enterprise_id: &str,
        partner_kind: &str,
        partner_id: &str,
    ) -> Result<Vec<proposal::Model>> {
        Ok(proposal::Entity::find()
            .filter(proposal::Column::EnterpriseId.eq(enterprise_id))
            .filter(proposal::Column::PartnerKind.eq(partner_kind))
            .filter(proposal::Column::PartnerId.eq(partner_id))
            .order_by_asc(proposal::Column::Id)
            .all(connection)
            .await?)
    }

    /// Moves a proposal to a status, with what changes beside it; returns the stored row.
    pub async fn set_proposal_status(
        connection: &impl ConnectionTrait,
        row: proposal::Model,
        to: ProposalStatus,
        change: ProposalChange,
        now: DateTime<Utc>,
    ) -> Result<proposal::Model> {
        let reminders = row.reminders;
        let mut active = row.into_active_model();
        active.status = ActiveValue::Set(to.code().to_owned());
        active.updated_at = ActiveValue::Set(now);
        if let Some(reason) = change.decline_reason {
            active.decline_reason = ActiveValue::Set(Some(reason));
        }
        if let Some(note) = change.note {
            active.note = ActiveValue::Set(Some(note));
        }
        if let Some(partnership_id) = change.partnership_id {
            active.partnership_id = ActiveValue::Set(Some(partnership_id));
        }
        if let Some(contacted_at) = change.contacted_at {
            active.contacted_at = ActiveValue::Set(Some(contacted_at));
        }
        if let Some(reasons) = change.reasons {
            active.reasons = ActiveValue::Set(reasons);
        }
        if change.reset_reminders {
            active.reminders = ActiveValue::Set(0);
            active.escalated_at = ActiveValue::Set(None);
        } else {
            active.reminders = ActiveValue::Set(reminders);
        }
        Ok(active.update(connection).await?)
    }

    /// Moves many proposals to one status at once (a matcher re-run superseding the old ones).
    pub async fn set_proposal_statuses(
        connection: &impl ConnectionTrait,
        ids: &[i64],
        to: ProposalStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        for chunk in ids.chunks(MAX_PARAMETERS / 2) {
            proposal::Entity::update_many()
                .col_expr(proposal::Column::Status, Expr::value(to.code()))
                .col_expr(proposal::Column::UpdatedAt, Expr::value(now))
                .filter(proposal::Column::Id.is_in(chunk.iter().copied()))
                .exec(connection)
                .await?;
        }
        Ok(())
    }

    /// Counts a reminder (or an escalation) for a proposal, only if nobody else did since it
    /// was read (`reminders` still as read, not escalated yet): the first write of the clock's
    /// transaction, so two servers ticking at once do not both remind. Returns whether it did.
    pub async fn note_reminder(
        connection: &impl ConnectionTrait,
        id: i64,
        reminders_seen: i32,
        escalated: bool,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut update = proposal::Entity::update_many()
            .col_expr(proposal::Column::ContactedAt, Expr::value(now))
            .filter(proposal::Column::Id.eq(id))
            .filter(proposal::Column::Reminders.eq(reminders_seen))
            .filter(proposal::Column::EscalatedAt.is_null());
        update = if escalated {
            update.col_expr(proposal::Column::EscalatedAt, Expr::value(now))
        } else {
            update.col_expr(
                proposal::Column::Reminders,
                Expr::col(proposal::Column::Reminders).add(1),
            )
        };
        Ok(update.exec(connection).await?.rows_affected == 1)
    }

    /// Inserts new proposals (ids assigned by the database); returns them with their ids.
    pub async fn insert_proposals(
        connection: &impl ConnectionTrait,
        rows: Vec<proposal::Model>,
    ) -> Result<Vec<proposal::Model>> {
        let mut stored = Vec::with_capacity(rows.len());
        for row in rows {
            let mut active = row.into_active_model();
            active.id = ActiveValue::NotSet;
            stored.push(active.insert(connection).await?);
        }
        Ok(stored)
    }

    /// Appends events to the audit trail.
    pub async fn insert_events(
        connection: &impl ConnectionTrait,
        events: Vec<proposal_event::Model>,
    ) -> Result<()> {
        // Nine columns per row.
        for chunk in events.chunks(MAX_PARAMETERS / 9) {
            let models = chunk.iter().cloned().map(|event| {
                let mut active = event.into_active_model();
                active.id = ActiveValue::NotSet;
                active
            });
            proposal_event::Entity::insert_many(models)
                .exec_without_returning(connection)
                .await?;
        }
        Ok(())
    }

    /// Returns the events of a proposal, oldest first.
    pub async fn events_of(
        connection: &impl ConnectionTrait,
        proposal_id: i64,
    ) -> Result<Vec<proposal_event::Model>> {
        Ok(proposal_event::Entity::find()
            .filter(proposal_event::Column::ProposalId.eq(proposal_id))
            .order_by_asc(proposal_event::Column::Id)
            .all(connection)
            .await?)
    }

    /// Returns every event, oldest first (for reports and tests).
    pub async fn all_events(
        connection: &impl ConnectionTrait,
    ) -> Result<Vec<proposal_event::Model>> {
        Ok(proposal_event::Entity::find()
            .order_by_asc(proposal_event::Column::Id)
            .all(connection)
            .await?)
    }

    /// Stores an answer link (its token's hash).
    pub async fn insert_answer_link(
        connection: &impl ConnectionTrait,
        link: answer_link::Model,
    ) -> Result<()> {
        link.into_active_model().insert(connection).await?;
        Ok(())
    }

    /// Finds an answer link by its token's hash.
    pub async fn answer_link(
        connection: &impl ConnectionTrait,
        token_hash: &str,
    ) -> Result<Option<answer_link::Model>> {
        Ok(answer_link::Entity::find_by_id(token_hash.to_owned())
            .one(connection)
            .await?)
    }

    /// Uses an answer link: one `UPDATE` that succeeds only for an unused, unexpired link, so
    /// two answers racing each other cannot both pass. Returns whether this call used it.
    pub async fn consume_answer_link(
        connection: &impl ConnectionTrait,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let result = answer_link::Entity::update_many()
            .col_expr(answer_link::Column::UsedAt, Expr::value(now))
            .filter(answer_link::Column::TokenHash.eq(token_hash))
            .filter(answer_link::Column::UsedAt.is_null())
            .filter(answer_link::Column::ExpiresAt.gt(now))
            .exec(connection)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Inserts a partnership (recorded from a proposal's evidence).
    pub async fn insert_partnership(
        connection: &impl ConnectionTrait,
        row: partnership::Model,
    ) -> Result<partnership::Model> {
        Ok(row.into_active_model().insert(connection).await?)
    }

    /// Returns the partnerships ending between two days (inclusive), soonest first.
    pub async fn partnerships_ending(
        &self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<partnership::Model>> {
        Ok(partnership::Entity::find()
            .filter(partnership::Column::ValidTo.gte(from))
            .filter(partnership::Column::ValidTo.lte(to))
            .order_by_asc(partnership::Column::ValidTo)
            .all(&self.database)
            .await?)
    }
}
