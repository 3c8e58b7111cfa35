//! Accounts, roles, sign-in, sessions and the audit log.
//!
//! People sign in to the pages with a login and a password (argon2id, PHC string in the
//! registry). A sign-in creates a session: a random 256-bit token goes to the browser, only its
//! SHA-256 to the registry, so a leaked database copy signs nobody in, and any `labbridge serve`
//! sharing the registry accepts it. A browser session ends after 12 hours, or after
//! `idle_minutes` without use, on sign-out, and when its account's password or role changes or
//! the account is disabled. A personal API token is a session of kind `api`: no idle timeout,
//! a year at most.
//!
//! The roles separate duties as 等保 2.0 asks: staff work, admins also manage accounts,
//! auditors read everything staff read and change nothing, and an enterprise user acts for one
//! enterprise only. What each role may do on each route is decided in the server's route table.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use labbridge_store::accounts::{AccountRow, AuditLine};
use labbridge_store::entity::{account, audit_event};
use sha2::{Digest, Sha256};

use crate::{App, Error, Result};

/// How long a sign-in lasts at most.
pub const SESSION_HOURS: i64 = 12;
/// How long a personal API token lasts.
pub const API_TOKEN_DAYS: i64 = 365;
/// Sign-in attempts one login may make from one address within the window without a success.
pub const SIGN_IN_LIMIT: u32 = 5;
/// The sign-in window, in minutes: the lock lasts until it ends.
pub const SIGN_IN_WINDOW_MINUTES: i64 = 15;

/// How a sign-in ended.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in: the session's token (for the cookie) and the account.
    Ok {
        /// The session token.
        token: String,
        /// The account.
        account: Account,
    },
    /// Wrong login or password, or a disabled account (one answer for all three).
    Wrong,
    /// Too many attempts for this login from this address: try again after the window.
    Locked,
}

/// What an account may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Science bureau staff: read and work on everything.
    Staff,
    /// Staff who also manage accounts and read the audit log.
    Admin,
    /// Reads what staff read and the audit log; changes nothing.
    Auditor,
    /// Acts for one enterprise.
    Enterprise,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Staff, Role::Admin, Role::Auditor, Role::Enterprise];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
            Role::Enterprise => "enterprise",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|role| role.code() == code)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "role '{code}' is not one of staff, admin, auditor, enterprise"
                ))
            })
    }

    /// The name a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Role::Staff => "科技局工作人员",
            Role::Admin => "系统管理员",
            Role::Auditor => "审计员",
            Role::Enterprise => "企业用户",
        }
    }

    /// Whether this role reads the bureau's pages (proposals, coverage detail, outbox …).
    pub fn reads_desk(self) -> bool {
        matches!(self, Role::Staff | Role::Admin | Role::Auditor)
    }

    /// Whether this role changes the bureau's work (review, imports, match runs …).
    pub fn works_desk(self) -> bool {
        matches!(self, Role::Staff | Role::Admin)
    }
}

/// A signed-in person, as pages need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The login.
    pub login: String,
    /// The name shown.
    pub display_name: String,
    /// The role.
    pub role: Role,
    /// The enterprise an enterprise user acts for.
    pub enterprise_id: Option<String>,
}

impl Account {
    /// Whether the account reads the bureau's pages (staff, admin, auditor).
    pub fn is_staff(&self) -> bool {
        self.role.reads_desk()
    }
}

impl TryFrom<account::Model> for Account {
    type Error = Error;

    fn try_from(row: account::Model) -> Result<Self> {
        let role = Role::parse(&row.role)?;
        Ok(Self {
            login: row.login,
            display_name: row.display_name,
            role,
            enterprise_id: row.enterprise_id.filter(|_| role == Role::Enterprise),
        })
    }
}

/// A new or changed account.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    /// The login (letters, digits, `.`, `_`, `-`, `@`).
    pub login: &'a str,
    /// The name shown; the login when empty.
    pub display_name: &'a str,
    /// `staff`, `admin`, `auditor` or `enterprise`.
    pub role: &'a str,
    /// E-mail, optional.
    pub email: Option<&'a str>,
    /// The password in clear (hashed here, never stored).
    pub password: &'a str,
    /// The enterprise (required for, and only for, the enterprise role).
    pub enterprise_id: Option<&'a str>,
}

/// A live session: who, and whether it came from a browser or a personal token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The account.
    pub account: Account,
    /// Whether it is a personal API token (no cookie, so no CSRF concern).
    pub api_token: bool,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// The form token of a session: derived from the session's secret, so it needs no storage,
/// changes with every sign-in and cannot be guessed by a page on another site.
pub fn form_token(session_token: &str) -> String {
    hex(&Sha256::digest(
        format!("labbridge-form:{session_token}").as_bytes(),
    ))[..32]
        .to_owned()
}

fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| Error::Invalid(format!("cannot hash the password: {error}")))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// Checks a password against the rules: at least `min_chars` characters, of at least `kinds`
/// of lower case, upper case, digits and others. The message names what is missing.
pub fn check_password(password: &str, min_chars: u32, kinds: u32) -> Result<()> {
    let chars = password.chars().count();
    let has = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password
            .chars()
            .any(|c| !c.is_lowercase() && !c.is_uppercase() && !c.is_ascii_digit()),
    ];
    let found = has.iter().filter(|kind| **kind).count();
    if chars < min_chars as usize || found < kinds as usize {
        return Err(Error::Invalid(format!(
            "the password must have at least {min_chars} characters of at least {kinds} kinds \
             (lower case, upper case, digits, other characters); this one has {chars} of {found}"
        )));
    }
    Ok(())
}

impl App {
    /// Creates an account, or resets the name, role, e-mail, enterprise and password of an
    /// existing one (which ends its sessions).
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
        let role = Role::parse(new.role)?;
        let enterprise_id = new.enterprise_id.map(str::trim).filter(|id| !id.is_empty());
        match (role, enterprise_id) {
            (Role::Enterprise, None) => {
                return Err(Error::Invalid(
                    "an enterprise account needs --enterprise ID".to_owned(),
                ));
            }
            (Role::Enterprise, Some(id)) => {
                if self.store.enterprise(id).await?.is_none() {
                    return Err(Error::Invalid(format!("no enterprise with id '{id}'")));
                }
            }
            (_, Some(_)) => {
                return Err(Error::Invalid(
                    "only an enterprise account is bound to an enterprise".to_owned(),
                ));
            }
            (_, None) => {}
        }
        check_password(
            new.password,
            self.settings.password_min_chars,
            self.settings.password_kinds,
        )?;
        let display_name = match new.display_name.trim() {
            "" => login,
            name => name,
        };
        let hash = hash_password(new.password)?;
        let (row, existed) = self
            .store
            .upsert_account(&AccountRow {
                login,
                display_name,
                role: role.code(),
                email: new.email.map(str::trim).filter(|email| !email.is_empty()),
                password_hash: &hash,
                enterprise_id,
            })
            .await?;
        self.audit(AuditLine {
            actor: "cli".to_owned(),
            role: "admin".to_owned(),
            address: "-".to_owned(),
            action: if existed {
                "account_changed"
            } else {
                "account_added"
            }
            .to_owned(),
            target: login.to_owned(),
            outcome: "ok".to_owned(),
            detail: format!("role {}", role.code()),
        })
        .await?;
        row.try_into()
    }

    /// Creates the demo's accounts, all with one published password that is hashed once (246
    /// argon2 hashes would take seconds for nothing) and, being published, is exempt from the
    /// password rules: a real deployment makes its accounts with `account add`.
    pub(crate) async fn add_demo_accounts(
        &self,
        people: &[(String, String, Role, Option<String>)],
        password: &str,
    ) -> Result<usize> {
        let hash = hash_password(password)?;
        let rows: Vec<AccountRow<'_>> = people
            .iter()
            .map(|(login, name, role, enterprise)| AccountRow {
                login,
                display_name: name,
                role: role.code(),
                email: None,
                password_hash: &hash,
                enterprise_id: enterprise.as_deref(),
            })
            .collect();
        Ok(self.store.insert_accounts(&rows).await?)
    }

    /// Disables (or enables again) an account; a disabled one cannot sign in and its sessions
    /// end at once.
    pub async fn set_account_disabled(&self, login: &str, disabled: bool) -> Result<()> {
        if !self.store.set_disabled(login.trim(), disabled).await? {
            return Err(Error::NotFound(format!("no account '{login}'")));
        }
        self.audit(AuditLine {
            actor: "cli".to_owned(),
            role: "admin".to_owned(),
            address: "-".to_owned(),
            action: if disabled {
                "account_disabled"
            } else {
                "account_enabled"
            }
            .to_owned(),
            target: login.trim().to_owned(),
            outcome: "ok".to_owned(),
            detail: String::new(),
        })
        .await
    }

    /// Ends every session of an account; returns how many.
    pub async fn end_sessions(&self, login: &str) -> Result<u64> {
        let row = self
            .store
            .account_by_login(login.trim())
            .await?
            .ok_or_else(|| Error::NotFound(format!("no account '{login}'")))?;
        Ok(self.store.end_sessions(row.id).await?)
    }

    /// Every account, by login.
    pub async fn accounts(&self) -> Result<Vec<Account>> {
        self.store
            .accounts()
            .await?
            .into_iter()
            .map(Account::try_from)
            .collect()
    }

    /// Checks a login and password; on success starts a browser session and returns its token
    /// (for the cookie) and the account. A wrong login, a wrong password, a disabled account and
    /// a locked login give the same answer. (The sign-in page uses [`App::sign_in_from`], which
    /// tells a lock apart and counts attempts per address.)
    pub async fn sign_in(&self, login: &str, password: &str) -> Result<Option<(String, Account)>> {
        Ok(match self.sign_in_from(login, password, "-").await? {
            SignIn::Ok { token, account } => Some((token, account)),
            SignIn::Wrong | SignIn::Locked => None,
        })
    }

    /// Signs in from `address`. Attempts are counted in the registry per login and address:
    /// the [`SIGN_IN_LIMIT`]th attempt within [`SIGN_IN_WINDOW_MINUTES`] without a success
    /// locks that pair for the rest of the window. The attempt takes its place in the count
    /// before the password is checked, so attempts made in parallel cannot exceed the limit.
    /// [`Error::Busy`] when too many passwords are being checked at once (nothing is counted).
    pub async fn sign_in_from(&self, login: &str, password: &str, address: &str) -> Result<SignIn> {
        let now = Utc::now();
        let window = Duration::minutes(SIGN_IN_WINDOW_MINUTES);
        let key = format!("{}|{address}", login.trim().to_lowercase());
        if self
            .store
            .sign_in_locked(&key, SIGN_IN_LIMIT, window, now)
            .await?
        {
            return Ok(SignIn::Locked);
        }
        let permit = self
            .password_checks
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::Busy("too many sign-ins at once; try again in a moment".into()))?;
        if !self
            .store
            .reserve_sign_in(&key, SIGN_IN_LIMIT, window, now)
            .await?
        {
            return Ok(SignIn::Locked);
        }
        let Some(row) = self.verified(login, password, permit).await? else {
            if OsRng.next_u32().is_multiple_of(64) {
                self.store.purge_sign_in_attempts(now - window).await?;
            }
            return Ok(SignIn::Wrong);
        };
        self.store.clear_sign_in(&key).await?;
        let token = new_token();
        self.store
            .create_session(
                &token_hash(&token),
                row.id,
                Utc::now() + Duration::hours(SESSION_HOURS),
                "web",
            )
            .await?;
        Ok(SignIn::Ok {
            token,
            account: row.try_into()?,
        })
    }

    /// Issues a personal API token for an account (shown once; only its hash is kept).
    pub async fn issue_api_token(&self, login: &str) -> Result<String> {
        let row = self
            .store
            .account_by_login(login.trim())
            .await?
            .filter(|row| !row.disabled)
            .ok_or_else(|| Error::NotFound(format!("no enabled account '{login}'")))?;
        let token = new_token();
        self.store
            .create_session(
                &token_hash(&token),
                row.id,
                Utc::now() + Duration::days(API_TOKEN_DAYS),
                "api",
            )
            .await?;
        Ok(token)
    }

    /// Checks the password under `permit`, which the check holds until it ends — even when the
    /// caller has gone — so the checks running at once never exceed the permits.
    async fn verified(
        &self,
        login: &str,
        password: &str,
        permit: tokio::sync::OwnedSemaphorePermit,
    ) -> Result<Option<account::Model>> {
        let row = self.store.account_by_login(login.trim()).await?;
        let stored = row.as_ref().and_then(|row| row.password_hash.clone());
        let password = password.to_owned();
        // argon2 takes tens of milliseconds of CPU: off the async workers.
        let verified = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            check_password_hash(stored.as_deref(), &password)
        })
        .await
        .unwrap_or(false);
        Ok(row.filter(|row| verified && !row.disabled))
    }

    /// The account signed in with this token, if the session is still valid now.
    pub async fn session(&self, token: &str) -> Result<Option<Session>> {
        self.session_at(token, Utc::now()).await
    }

    /// The account signed in with this token, if the session is valid at `now` (the clock is a
    /// parameter so the idle timeout can be tested without waiting).
    pub async fn session_at(&self, token: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let idle = Duration::minutes(i64::from(self.settings.idle_minutes));
        let Some(live) = self
            .store
            .live_session(&token_hash(token), now, idle)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(Session {
            api_token: live.kind == "api",
            account: live.account.try_into()?,
        }))
    }

    /// Ends the session of this token.
    pub async fn sign_out(&self, token: &str) -> Result<()> {
        Ok(self.store.delete_session(&token_hash(token)).await?)
    }

    /// Appends a line to the audit log, and now and then drops lines older than the retention.
    pub async fn audit(&self, line: AuditLine) -> Result<()> {
        let now = Utc::now();
        self.store.audit(line, now).await?;
        // About one write in 256 sweeps; the sweep is one indexed DELETE.
        if OsRng.next_u32().is_multiple_of(256) {
            self.purge_audit(now).await?;
        }
        Ok(())
    }

    /// Deletes audit lines older than the retention (`audit_days`) before `now`.
    pub async fn purge_audit(&self, now: DateTime<Utc>) -> Result<u64> {
        let before = now - Duration::days(i64::from(self.settings.audit_days));
        Ok(self.store.purge_audit(before).await?)
    }

    /// Audit lines of the last `days` days, newest first, a page at a time, and how many.
    pub async fn audit_lines(
        &self,
        days: u32,
        actor: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<audit_event::Model>, u64)> {
        let since = Utc::now() - Duration::days(i64::from(days));
        Ok(self.store.audit_lines(since, actor, offset, limit).await?)
    }
}

/// Whether `password` matches the stored PHC string; with none stored, spends the time of a
/// real check anyway, so timing does not reveal which logins exist.
fn check_password_hash(stored: Option<&str>, password: &str) -> bool {
    match stored {
        Some(stored) => PasswordHash::new(stored).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        }),
        None => {
            let _ = hash_password(password);
            false
        }
    }
}
