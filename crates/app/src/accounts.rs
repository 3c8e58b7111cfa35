//! Accounts and page sign-in.
//!
//! Staff sign in to the pages with a login and a password (argon2id, PHC string in the
//! registry); the API keeps its bearer token, which suits scripts. A sign-in creates a session:
//! a random 256-bit token goes to the browser, only its SHA-256 to the registry, so a leaked
//! database copy signs nobody in, and any `labbridge serve` sharing the registry accepts it.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{Duration, Utc};
use labbridge_store::entity::account;
use sha2::{Digest, Sha256};

use crate::{App, Error, Result};

/// How long a sign-in lasts.
pub const SESSION_HOURS: i64 = 12;
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The roles an account may have.
pub const ROLES: [&str; 2] = ["staff", "enterprise"];

/// A signed-in person, as pages need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The login.
    pub login: String,
    /// The name shown.
    pub display_name: String,
    /// `staff` or `enterprise`.
    pub role: String,
}

impl Account {
    /// Whether the account belongs to the science bureau.
    pub fn is_staff(&self) -> bool {
        self.role == "staff"
    }
}

impl From<account::Model> for Account {
    fn from(row: account::Model) -> Self {
        Self {
            login: row.login,
            display_name: row.display_name,
            role: row.role,
        }
    }
}

/// A new or changed account.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    /// The login (letters, digits, `.`, `_`, `-`, `@`).
    pub login: &'a str,
    /// The name shown; the login when empty.
    pub display_name: &'a str,
    /// `staff` or `enterprise`.
    pub role: &'a str,
    /// E-mail, optional.
    pub email: Option<&'a str>,
    /// The password in clear (hashed here, never stored).
    pub password: &'a str,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| Error::Invalid(format!("cannot hash the password: {error}")))
}

impl App {
    /// Creates an account, or resets the name, role, e-mail and password of an existing one.
    pub async fn add_account(&self, new: &NewAccount<'_>) -> Result<Account> {
        let login = new.login.trim();
        if login.is_empty()
            || login.chars().count() > 64
            || !login
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(Error::Invalid(format!(
                "login '{login}': use 1–64 letters, digits, '.', '_', '-' or '@'"
            )));
        }
        if !ROLES.contains(&new.role) {
            return Err(Error::Invalid(format!(
                "role '{}' is not one of {}",
                new.role,
                ROLES.join(", ")
            )));
        }
        if new.password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(Error::Invalid(format!(
                "the password must have at least {MIN_PASSWORD_CHARS} characters"
            )));
        }
        let display_name = match new.display_name.trim() {
            "" => login,
            name => name,
        };
        let hash = hash_password(new.password)?;
        let row = self
            .store
            .upsert_account(
                login,
                display_name,
                new.role,
                new.email.map(str::trim).filter(|email| !email.is_empty()),
                &hash,
            )
            .await?;
        Ok(row.into())
    }

    /// Checks a login and password; on success starts a session and returns its token (for the
    /// cookie) and the account. A wrong login and a wrong password give the same answer.
    pub async fn sign_in(&self, login: &str, password: &str) -> Result<Option<(String, Account)>> {
        let row = self.store.account_by_login(login.trim()).await?;
        let stored = row.as_ref().and_then(|row| row.password_hash.clone());
        let password = password.to_owned();
        // argon2 takes tens of milliseconds of CPU: off the async workers.
        let verified = tokio::task::spawn_blocking(move || match stored {
            Some(stored) => PasswordHash::new(&stored).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            }),
            None => {
                // Spend the same time as a real check, so timing does not reveal logins.
                let _ = hash_password(&password);
                false
            }
        })
        .await
        .unwrap_or(false);
        let Some(row) = row.filter(|_| verified) else {
            return Ok(None);
        };
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let token = hex(&bytes);
        self.store
            .create_session(
                &token_hash(&token),
                row.id,
                Utc::now() + Duration::hours(SESSION_HOURS),
            )
            .await?;
        Ok(Some((token, row.into())))
    }

    /// The account signed in with this token, if the session is still valid.
    pub async fn session(&self, token: &str) -> Result<Option<Account>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        Ok(self
            .store
            .session_account(&token_hash(token), Utc::now())
            .await?
            .map(Account::from))
    }

    /// Ends the session of this token.
    pub async fn sign_out(&self, token: &str) -> Result<()> {
        Ok(self.store.delete_session(&token_hash(token)).await?)
    }
}
