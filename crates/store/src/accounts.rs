//! Accounts and sign-in sessions. Password hashing and token generation live in the app crate;
//! the store only keeps what it is given (an argon2 PHC string, a token's SHA-256).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue, ColumnTrait, EntityTrait, QueryFilter};

use crate::Result;
use crate::entity::{account, session};
use crate::registry::Store;

impl Store {
    /// Creates an account, or replaces the name, role, e-mail and password of the one with
    /// this login. Returns the stored row.
    pub async fn upsert_account(
        &self,
        login: &str,
        display_name: &str,
        role: &str,
        email: Option<&str>,
        password_hash: &str,
    ) -> Result<account::Model> {
        let row = account::ActiveModel {
            id: ActiveValue::NotSet,
            login: ActiveValue::Set(login.to_owned()),
            display_name: ActiveValue::Set(display_name.to_owned()),
            role: ActiveValue::Set(role.to_owned()),
            email: ActiveValue::Set(email.map(str::to_owned)),
            password_hash: ActiveValue::Set(Some(password_hash.to_owned())),
            created_at: ActiveValue::Set(Utc::now()),
        };
        account::Entity::insert(row)
            .on_conflict(
                OnConflict::column(account::Column::Login)
                    .update_columns([
                        account::Column::DisplayName,
                        account::Column::Role,
                        account::Column::Email,
                        account::Column::PasswordHash,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.database)
            .await?;
        self.account_by_login(login)
            .await?
            .ok_or_else(|| crate::Error::Corrupt {
                table: "accounts",
                column: "login",
                reason: format!("account '{login}' not found after it was written"),
            })
    }

    /// Returns every account.
    pub async fn accounts(&self) -> Result<Vec<account::Model>> {
        Ok(account::Entity::find().all(&self.database).await?)
    }

    /// Finds an account by login.
    pub async fn account_by_login(&self, login: &str) -> Result<Option<account::Model>> {
        Ok(account::Entity::find()
            .filter(account::Column::Login.eq(login))
            .one(&self.database)
            .await?)
    }

    /// Records a session; expired sessions are removed on the way.
    pub async fn create_session(
        &self,
        token_hash: &str,
        account_id: i32,
        expires_at: DateTime<Utc>,
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
        })
        .exec_without_returning(&self.database)
        .await?;
        Ok(())
    }

    /// The account of a session that has not expired.
    pub async fn session_account(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<account::Model>> {
        let Some(session) = session::Entity::find_by_id(token_hash.to_owned())
            .one(&self.database)
            .await?
            .filter(|session| session.expires_at > now)
        else {
            return Ok(None);
        };
        Ok(account::Entity::find_by_id(session.account_id)
            .one(&self.database)
            .await?)
    }

    /// Ends a session (signing out); ending an unknown one is not an error.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        session::Entity::delete_by_id(token_hash.to_owned())
            .exec(&self.database)
            .await?;
        Ok(())
    }
}
