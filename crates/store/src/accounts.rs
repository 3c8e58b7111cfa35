//! Accounts, sign-in sessions and the audit log. Password hashing and token generation live in
//! the app crate; the store only keeps what it is given (an argon2 PHC string, a token's
//! SHA-256) and answers the questions the rules ask: is this session still valid, idle or not,
//! and is its account enabled.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::Result;
use crate::entity::{account, audit_event, session, sign_in_attempt};
use crate::registry::Store;

/// How often a session's last use is written back (a write per request would be wasteful; the
/// idle timeout is counted in minutes).
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// A new or changed account row (the password already hashed).
#[derive(Debug, Clone)]
pub struct AccountRow<'a> {
    /// The login.
    pub login: &'a str,
    /// The name shown.
    pub display_name: &'a str,
    /// The role code.
    pub role: &'a str,
    /// E-mail, optional.
    pub email: Option<&'a str>,
    /// The argon2 PHC string.
    pub password_hash: &'a str,
    /// The enterprise an enterprise user acts for.
    pub enterprise_id: Option<&'a str>,
}

/// A session that is still valid, with its account.
#[derive(Debug, Clone)]
pub struct LiveSession {
    /// The account.
    pub account: account::Model,
    /// `web` (a browser's cookie) or `api` (a personal API token).
    pub kind: String,
}

/// What an audit line says; the time is the store's.
#[derive(Debug, Clone, Default)]
pub struct AuditLine {
    /// Who: a login, `api` for the staff token, `-` for nobody signed in.
    pub actor: String,
    /// The actor's role.
    pub role: String,
    /// The client's address.
    pub address: String,
    /// What was done, e.g. `POST /staff/proposals/decide` or `sign_in`.
    pub action: String,
    /// What it was done to (a login, a proposal id), when known.
    pub target: String,
    /// `ok`, `refused`, `failed` or an HTTP status.
    pub outcome: String,
    /// Anything else worth keeping.
    pub detail: String,
}

impl AccountRow<'_> {
    fn active(&self) -> account::ActiveModel {
        account::ActiveModel {
            id: ActiveValue::NotSet,
            login: ActiveValue::Set(self.login.to_owned()),
            display_name: ActiveValue::Set(self.display_name.to_owned()),
            role: ActiveValue::Set(self.role.to_owned()),
            email: ActiveValue::Set(self.email.map(str::to_owned)),
            password_hash: ActiveValue::Set(Some(self.password_hash.to_owned())),
            created_at: ActiveValue::Set(Utc::now()),
            enterprise_id: ActiveValue::Set(self.enterprise_id.map(str::to_owned)),
            disabled: ActiveValue::Set(false),
        }
    }
}

impl Store {
    /// Creates an account, or replaces the name, role, e-mail, password and enterprise of the
    /// one with this login; a changed account's sessions end (its rights or password changed).
    /// Returns the stored row and whether it existed before.
    pub async fn upsert_account(&self, new: &AccountRow<'_>) -> Result<(account::Model, bool)> {
        let existing = self.account_by_login(new.login).await?;
        let row = new.active();
        account::Entity::insert(row)
            .on_conflict(
                OnConflict::column(account::Column::Login)
                    .update_columns([
                        account::Column::DisplayName,
                        account::Column::Role,
                        account::Column::Email,
                        account::Column::PasswordHash,
                        account::Column::EnterpriseId,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.database)
            .await?;
        if let Some(existing) = &existing {
            self.end_sessions(existing.id).await?;
        }
        let row = self
            .account_by_login(new.login)
            .await?
            .ok_or_else(|| crate::Error::Corrupt {
                table: "accounts",
                column: "login",
                reason: format!("account '{}' not found after it was written", new.login),
            })?;
        Ok((row, existing.is_some()))
    }

    /// Creates many accounts that share one password hash (the demo's enterprise users), leaving
    /// existing logins alone. Returns how many were created.
    pub async fn insert_accounts(&self, rows: &[AccountRow<'_>]) -> Result<usize> {
        let mut created = 0;
        for chunk in rows.chunks(500) {
            let models = chunk.iter().map(AccountRow::active);
            let result = account::Entity::insert_many(models)
                .on_conflict(
                    OnConflict::column(account::Column::Login)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&self.database)
                .await?;
            created += usize::try_from(result).unwrap_or(0);
        }
        Ok(created)
    }

    /// Enables or disables an account; disabling ends its sessions. Returns whether it exists.
    pub async fn set_disabled(&self, login: &str, disabled: bool) -> Result<bool> {
        let Some(row) = self.account_by_login(login).await? else {
            return Ok(false);
        };
        account::Entity::update_many()
            .col_expr(
                account::Column::Disabled,
                sea_orm::sea_query::Expr::value(disabled),
            )
            .filter(account::Column::Id.eq(row.id))
            .exec(&self.database)
            .await?;
        if disabled {
            self.end_sessions(row.id).await?;
        }
        Ok(true)
    }

    /// Ends every session of an account; returns how many there were.
    pub async fn end_sessions(&self, account_id: i32) -> Result<u64> {
        Ok(session::Entity::delete_many()
            .filter(session::Column::AccountId.eq(account_id))
            .exec(&self.database)
            .await?
            .rows_affected)
    }

    /// Returns every account, by login.
    pub async fn accounts(&self) -> Result<Vec<account::Model>> {
        Ok(account::Entity::find()
            .order_by_asc(account::Column::Login)
            .all(&self.database)
            .await?)
    }

    /// Finds an account by login.
    pub async fn account_by_login(&self, login: &str) -> Result<Option<account::Model>> {
        Ok(account::Entity::find()
            .filter(account::Column::Login.eq(login))
            .one(&self.database)
            .await?)
    }

    /// Records a session of a kind (`web` or `api`); expired sessions are removed on the way.
    pub async fn create_session(
        &self,
        token_hash: &str,
        account_id: i32,
        expires_at: DateTime<Utc>,
        kind: &str,
    ) -> Result<()> {
        let now = Utc::now();
        session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lt(now))
            .exec(&self.database)
            .await?;
        session::Entity::insert(session::ActiveModel {
            token_hash: ActiveValue::Set(token_hash.to_owned()),
            account_id: ActiveValue::Set(account_id),
            expires_at: ActiveValue::Set(expires_at),
            created_at: ActiveValue::Set(now),
            last_seen_at: ActiveValue::Set(Some(now)),
            kind: ActiveValue::Set(kind.to_owned()),
        })
        .exec_without_returning(&self.database)
        .await?;
        Ok(())
    }

    /// The account of a session that has neither expired nor (for a browser's session) been
    /// idle longer than `idle`, whose account is enabled. A valid browser session's last use
    /// is moved to `now`; an idle one is deleted.
    pub async fn live_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<Option<LiveSession>> {
        let Some(session) = session::Entity::find_by_id(token_hash.to_owned())
            .one(&self.database)
            .await?
            .filter(|session| session.expires_at > now)
        else {
            return Ok(None);
        };
        let last_seen = session.last_seen_at.unwrap_or(session.created_at);
        if session.kind == "web" {
            if last_seen + idle <= now {
                self.delete_session(token_hash).await?;
                return Ok(None);
            }
            if now - last_seen >= TOUCH_EVERY {
                session::Entity::update_many()
                    .col_expr(
                        session::Column::LastSeenAt,
                        sea_orm::sea_query::Expr::value(now),
                    )
                    .filter(session::Column::TokenHash.eq(token_hash))
                    .exec(&self.database)
                    .await?;
            }
        }
        Ok(account::Entity::find_by_id(session.account_id)
            .one(&self.database)
            .await?
            .filter(|account| !account.disabled)
            .map(|account| LiveSession {
                account,
                kind: session.kind,
            }))
    }

    /// Ends a session (signing out); ending an unknown one is not an error.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        session::Entity::delete_by_id(token_hash.to_owned())
            .exec(&self.database)
            .await?;
        Ok(())
    }

    /// Appends a line to the audit log.
    pub async fn audit(&self, line: AuditLine, at: DateTime<Utc>) -> Result<()> {
        audit_event::Entity::insert(audit_event::ActiveModel {
            id: ActiveValue::NotSet,
            at: ActiveValue::Set(at),
            actor: ActiveValue::Set(line.actor),
            role: ActiveValue::Set(line.role),
            address: ActiveValue::Set(line.address),
            action: ActiveValue::Set(line.action),
            target: ActiveValue::Set(line.target),
            outcome: ActiveValue::Set(line.outcome),
            detail: ActiveValue::Set(line.detail),
        })
        .exec_without_returning(&self.database)
        .await?;
        Ok(())
    }

    /// Audit lines from `since` on, newest first, a page at a time, with the number in all;
    /// `actor` narrows to one login.
    pub async fn audit_lines(
        &self,
        since: DateTime<Utc>,
        actor: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<audit_event::Model>, u64)> {
        let mut query = audit_event::Entity::find().filter(audit_event::Column::At.gte(since));
        if let Some(actor) = actor {
            query = query.filter(audit_event::Column::Actor.eq(actor));
        }
        let total = query.clone().count(&self.database).await?;
        let rows = query
            .order_by_desc(audit_event::Column::At)
            .order_by_desc(audit_event::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(&self.database)
            .await?;
        Ok((rows, total))
    }

    /// Takes one place in the sign-in attempts of `key` (a login and an address) before its
    /// password is checked: `true` when fewer than `limit` attempts were counted since the window
    /// began (a window older than `window` starts again), `false` when the key is locked. Each
    /// step is a single statement, so parallel attempts — from one process or several on the
    /// same database — cannot take more than `limit` places between them.
    pub async fn reserve_sign_in(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        use sea_orm::sea_query::{Expr, ExprTrait};
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        sign_in_attempt::Entity::insert(sign_in_attempt::ActiveModel {
            key: ActiveValue::Set(key.to_owned()),
            attempts: ActiveValue::Set(0),
            window_start: ActiveValue::Set(now),
        })
        .on_conflict(
            OnConflict::column(sign_in_attempt::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.database)
        .await?;
        // A window that has passed starts again with this attempt as its first.
        let restarted = sign_in_attempt::Entity::update_many()
            .col_expr(sign_in_attempt::Column::Attempts, Expr::value(1))
            .col_expr(sign_in_attempt::Column::WindowStart, Expr::value(now))
            .filter(sign_in_attempt::Column::Key.eq(key))
            .filter(sign_in_attempt::Column::WindowStart.lt(now - window))
            .exec(&self.database)
            .await?;
        if restarted.rows_affected == 1 {
            return Ok(true);
        }
        let counted = sign_in_attempt::Entity::update_many()
            .col_expr(
                sign_in_attempt::Column::Attempts,
                Expr::col(sign_in_attempt::Column::Attempts).add(1),
            )
            .filter(sign_in_attempt::Column::Key.eq(key))
            .filter(sign_in_attempt::Column::Attempts.lt(limit))
            .exec(&self.database)
            .await?;
        Ok(counted.rows_affected == 1)
    }

    /// Whether `key` has used its `limit` attempts within the window (no place is taken).
    pub async fn sign_in_locked(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        Ok(sign_in_attempt::Entity::find_by_id(key.to_owned())
            .one(&self.database)
            .await?
            .is_some_and(|row| row.attempts >= limit && row.window_start >= now - window))
    }

    /// Forgets the attempts of `key` (its sign-in succeeded).
    pub async fn clear_sign_in(&self, key: &str) -> Result<()> {
        sign_in_attempt::Entity::delete_by_id(key.to_owned())
            .exec(&self.database)
            .await?;
        Ok(())
    }

    /// Deletes attempt counts whose window began before `before` (they lock nothing any more).
    pub async fn purge_sign_in_attempts(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(sign_in_attempt::Entity::delete_many()
            .filter(sign_in_attempt::Column::WindowStart.lt(before))
            .exec(&self.database)
            .await?
            .rows_affected)
    }

    /// Deletes audit lines older than `before`; returns how many.
    pub async fn purge_audit(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(audit_event::Entity::delete_many()
            .filter(audit_event::Column::At.lt(before))
            .exec(&self.database)
            .await?
            .rows_affected)
    }
}
