//! Settings: one serde tree, layered defaults < config file < `LABBRIDGE_*` environment < flags.
//!
//! The command line collects flags into [`Overrides`] (only what was given), so a flag always
//! wins and an unset flag never hides a value from the file or the environment.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use labbridge_domain::{County, Divisions};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The shortest staff token accepted: 32 characters (e.g. `openssl rand -hex 16` gives 32).
pub const STAFF_TOKEN_MIN_CHARS: usize = 32;

/// A secret setting. It is kept as text but never printed: `Debug` shows `[redacted]`, so a
/// logged `Settings` or an error that carries one does not leak it. Only [`Secret::expose`]
/// gives the text, at the one place that compares it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The secret's text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("[redacted]")
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

/// The settings of one labbridge process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Where runtime state lives: `labbridge.db`, `index/`.
    pub data_dir: PathBuf,
    /// The registry's URL; SQLite in the data directory when unset.
    pub database_url: Option<String>,
    /// The county this deployment serves (a name or the 6-digit code).
    pub county: Option<String>,
    /// The address `serve` listens on.
    pub addr: String,
    /// The bearer token that lets scripts act as bureau staff over HTTP (unset: nobody can).
    /// At least [`STAFF_TOKEN_MIN_CHARS`] characters; never printed.
    #[serde(default)]
    pub staff_token: Option<Secret>,
    /// Partners the matcher gives an enterprise with a gap at least (`LABBRIDGE_MIN_PARTNERS`).
    #[serde(default = "default_min_partners")]
    pub min_partners: u32,
    /// … and at most (`LABBRIDGE_MAX_PARTNERS`).
    #[serde(default = "default_max_partners")]
    pub max_partners: u32,
    /// At most one partner of each institution for an enterprise, so a clerk never sees three
    /// labs of one university side by side (`LABBRIDGE_ONE_PER_INSTITUTION`; on by default).
    #[serde(default = "default_one_per_institution")]
    pub one_per_institution: bool,
    /// Mark the sign-in cookie `Secure` (set when the pages are served over HTTPS, e.g. behind
    /// a TLS proxy; `LABBRIDGE_SECURE_COOKIES`).
    #[serde(default)]
    pub secure_cookies: bool,
    /// The SMTP server (`LABBRIDGE_SMTP_URL`): `smtp://host:port`, `smtp://user:pass@host:587`
    /// (STARTTLS), `smtps://host`. Unset: mail waits in the outbox. A secret (it may hold a
    /// password): environment or config file only.
    #[serde(default)]
    pub smtp_url: Option<String>,
    /// The sender of every mail (`LABBRIDGE_MAIL_FROM`), e.g. `临朐县科技局 <kjj@example.cn>`.
    #[serde(default = "default_mail_from")]
    pub mail_from: String,
    /// The address the pages are reached at, for links in mail (`LABBRIDGE_BASE_URL`).
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// The bureau's own address: escalations without a responsible staff member, the weekly
    /// digest (`LABBRIDGE_BUREAU_EMAIL`).
    #[serde(default)]
    pub bureau_email: Option<String>,
    /// Days without an answer before a reminder (`LABBRIDGE_REMIND_AFTER_DAYS`).
    #[serde(default = "default_remind_after_days")]
    pub remind_after_days: u32,
    /// Reminders before escalation to staff (`LABBRIDGE_MAX_REMINDERS`).
    #[serde(default = "default_max_reminders")]
    pub max_reminders: u32,
    /// Days an answer link stays valid; a proposal still unanswered after that expires
    /// (`LABBRIDGE_ANSWER_DAYS`).
    #[serde(default = "default_answer_days")]
    pub answer_days: u32,
    /// Days a pair declined with 条件不成熟 (and other holding reasons) is not proposed again
    /// (`LABBRIDGE_HOLD_DAYS`).
    #[serde(default = "default_hold_days")]
    pub hold_days: u32,
    /// Days a 精力不足 decline lowers the partner's capacity (`LABBRIDGE_BUSY_DAYS`).
    #[serde(default = "default_busy_days")]
    pub busy_days: u32,
    /// Mails sent at once, the SMTP pool's size (`LABBRIDGE_OUTBOX_CONCURRENCY`).
    #[serde(default = "default_outbox_concurrency")]
    pub outbox_concurrency: u32,
    /// Seconds a claimed mail stays reserved for its worker (`LABBRIDGE_OUTBOX_LEASE_SECS`).
    #[serde(default = "default_outbox_lease_secs")]
    pub outbox_lease_secs: u64,
    /// Seconds one SMTP send may take (`LABBRIDGE_SMTP_TIMEOUT_SECS`).
    #[serde(default = "default_smtp_timeout_secs")]
    pub smtp_timeout_secs: u64,
    /// Attempts before a mail is given up (`LABBRIDGE_MAIL_MAX_ATTEMPTS`).
    #[serde(default = "default_mail_max_attempts")]
    pub mail_max_attempts: u32,
    /// Seconds before the first retry; each later one doubles, up to an hour
    /// (`LABBRIDGE_MAIL_RETRY_SECS`).
    #[serde(default = "default_mail_retry_secs")]
    pub mail_retry_secs: u64,
    /// Minutes a browser session may stay unused before it ends (等保 2.0: 30;
    /// `LABBRIDGE_IDLE_MINUTES`). The absolute limit is 12 hours whatever this says.
    #[serde(default = "default_idle_minutes")]
    pub idle_minutes: u32,
    /// The shortest password accepted (`LABBRIDGE_PASSWORD_MIN_CHARS`, at least 8).
    #[serde(default = "default_password_min_chars")]
    pub password_min_chars: u32,
    /// Kinds of character a password needs of lower case, upper case, digits and others
    /// (`LABBRIDGE_PASSWORD_KINDS`, 1–4; 等保 2.0 level 2: 3).
    #[serde(default = "default_password_kinds")]
    pub password_kinds: u32,
    /// Days the audit log is kept (`LABBRIDGE_AUDIT_DAYS`; at least 180, as 等保 2.0 asks).
    #[serde(default = "default_audit_days")]
    pub audit_days: u32,
}

fn default_idle_minutes() -> u32 {
    30
}

fn default_password_min_chars() -> u32 {
    8
}

fn default_password_kinds() -> u32 {
    3
}

fn default_audit_days() -> u32 {
    180
}

fn default_mail_from() -> String {
    "labbridge <noreply@labbridge.invalid>".to_owned()
}

fn default_base_url() -> String {
    "http://127.0.0.1:8080".to_owned()
}

fn default_remind_after_days() -> u32 {
    7
}

fn default_max_reminders() -> u32 {
    2
}

fn default_answer_days() -> u32 {
    30
}

fn default_hold_days() -> u32 {
    180
}

fn default_busy_days() -> u32 {
    90
}

fn default_outbox_concurrency() -> u32 {
    16
}

fn default_outbox_lease_secs() -> u64 {
    120
}

fn default_smtp_timeout_secs() -> u64 {
    30
}

fn default_mail_max_attempts() -> u32 {
    8
}

fn default_mail_retry_secs() -> u64 {
    30
}

/// The most partners an enterprise may be given (a bureau cannot follow up more).
pub const PARTNERS_LIMIT: u32 = 10;

fn default_min_partners() -> u32 {
    1
}

fn default_max_partners() -> u32 {
    3
}

fn default_one_per_institution() -> bool {
    true
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            database_url: None,
            county: None,
            addr: "127.0.0.1:8080".to_owned(),
            staff_token: None,
            min_partners: default_min_partners(),
            max_partners: default_max_partners(),
            one_per_institution: default_one_per_institution(),
            secure_cookies: false,
            smtp_url: None,
            mail_from: default_mail_from(),
            base_url: default_base_url(),
            bureau_email: None,
            remind_after_days: default_remind_after_days(),
            max_reminders: default_max_reminders(),
            answer_days: default_answer_days(),
            hold_days: default_hold_days(),
            busy_days: default_busy_days(),
            outbox_concurrency: default_outbox_concurrency(),
            outbox_lease_secs: default_outbox_lease_secs(),
            smtp_timeout_secs: default_smtp_timeout_secs(),
            mail_max_attempts: default_mail_max_attempts(),
            mail_retry_secs: default_mail_retry_secs(),
            idle_minutes: default_idle_minutes(),
            password_min_chars: default_password_min_chars(),
            password_kinds: default_password_kinds(),
            audit_days: default_audit_days(),
        }
    }
}

/// Values given on the command line; `None` means "not given".
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    /// `--data-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `--database-url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// `--county`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub county: Option<String>,
    /// `--addr`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
    /// `match --min-partners`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_partners: Option<u32>,
    /// `match --max-partners`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_partners: Option<u32>,
    /// `match --several-per-institution` (false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_per_institution: Option<bool>,
    /// `serve --secure-cookies`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secure_cookies: Option<bool>,
}

/// Settings whose values are text. They are read from the environment as they are, so that
/// `LABBRIDGE_COUNTY=370724` or `LABBRIDGE_STAFF_TOKEN=12345` stay text: figment's `Env` would
/// parse them into a number or a boolean, which a `String` then refuses.
const TEXT_KEYS: [&str; 9] = [
    "data_dir",
    "database_url",
    "county",
    "addr",
    "staff_token",
    "smtp_url",
    "mail_from",
    "base_url",
    "bureau_email",
];

/// Settings whose values are numbers or booleans (parsed by figment's `Env`).
const TYPED_KEYS: [&str; 18] = [
    "idle_minutes",
    "password_min_chars",
    "password_kinds",
    "audit_days",
    "min_partners",
    "max_partners",
    "one_per_institution",
    "secure_cookies",
    "remind_after_days",
    "max_reminders",
    "answer_days",
    "hold_days",
    "busy_days",
    "outbox_concurrency",
    "outbox_lease_secs",
    "smtp_timeout_secs",
    "mail_max_attempts",
    "mail_retry_secs",
];

/// Secret settings that may also be read from a file named by `LABBRIDGE_<KEY>_FILE` (a
/// mounted secret, a file only the service's user reads), so that a password in the registry
/// URL never has to be a flag that `ps` shows.
const FILE_KEYS: [&str; 3] = ["database_url", "staff_token", "smtp_url"];

/// The text settings given in the environment, verbatim, or in the files the `_FILE` variables
/// name (their first line; the variable itself wins when both are set).
fn text_env() -> Result<std::collections::BTreeMap<&'static str, String>> {
    let mut values = std::collections::BTreeMap::new();
    for key in TEXT_KEYS {
        let name = format!("LABBRIDGE_{}", key.to_uppercase());
        if let Ok(value) = std::env::var(&name) {
            values.insert(key, value);
        } else if FILE_KEYS.contains(&key)
            && let Ok(path) = std::env::var(format!("{name}_FILE"))
        {
            let text = std::fs::read_to_string(&path).map_err(|error| {
                Error::Config(format!("{name}_FILE: cannot read {path}: {error}"))
            })?;
            let value = text.lines().next().unwrap_or_default().trim().to_owned();
            if value.is_empty() {
                return Err(Error::Config(format!("{name}_FILE: {path} is empty")));
            }
            values.insert(key, value);
        }
    }
    Ok(values)
}

impl Settings {
    /// Layers defaults, the config file (if any), the environment and the flags.
    pub fn load(config_file: Option<&Path>, overrides: &Overrides) -> Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = config_file {
            if !path.exists() {
                return Err(Error::Config(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        let settings: Settings = figment
            .merge(Env::prefixed("LABBRIDGE_").only(&TYPED_KEYS))
            .merge(Serialized::defaults(text_env()?))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|error| Error::Config(error.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<()> {
        if let Some(url) = &self.database_url
            && !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
        {
            return Err(Error::Config(format!(
                "database URL '{url}' must start with sqlite:, postgres:// or postgresql://"
            )));
        }
        self.county()?;
        if self.max_partners == 0
            || self.max_partners > PARTNERS_LIMIT
            || self.min_partners > self.max_partners
        {
            return Err(Error::Config(format!(
                "partners per enterprise: min {} and max {} must satisfy 0 ≤ min ≤ max, 1 ≤ max ≤ {PARTNERS_LIMIT}",
                self.min_partners, self.max_partners
            )));
        }
        if let Some(token) = &self.staff_token
            && token.expose().chars().count() < STAFF_TOKEN_MIN_CHARS
        {
            return Err(Error::Config(format!(
                "the staff token (LABBRIDGE_STAFF_TOKEN) must be at least {STAFF_TOKEN_MIN_CHARS} characters; make one with `openssl rand -hex 32`"
            )));
        }
        if self.idle_minutes == 0
            || self.password_min_chars < 8
            || !(1..=4).contains(&self.password_kinds)
            || self.audit_days < 180
        {
            return Err(Error::Config(format!(
                "security settings: idle minutes {} must be at least 1, password length {} at least 8, password kinds {} between 1 and 4, audit days {} at least 180",
                self.idle_minutes, self.password_min_chars, self.password_kinds, self.audit_days
            )));
        }
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(Error::Config(format!(
                "base URL '{}' must start with http:// or https://",
                self.base_url
            )));
        }
        if self
            .mail_from
            .parse::<labbridge_notify::MailboxAddress>()
            .is_err()
        {
            return Err(Error::Config(format!(
                "mail_from '{}' is not an address like 科技局 <kjj@example.cn>",
                self.mail_from
            )));
        }
        if self.outbox_concurrency == 0 || self.outbox_concurrency > 64 {
            return Err(Error::Config(format!(
                "outbox_concurrency {} must be between 1 and 64",
                self.outbox_concurrency
            )));
        }
        if self.answer_days == 0 || self.remind_after_days == 0 || self.mail_max_attempts == 0 {
            return Err(Error::Config(
                "answer_days, remind_after_days and mail_max_attempts must be at least 1"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    /// Returns the registry URL: the configured one, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => labbridge_store::sqlite_url_for(&self.data_dir.join("labbridge.db")),
        }
    }

    /// Returns the configured county, resolved against the division list.
    pub fn county(&self) -> Result<Option<&'static County>> {
        match &self.county {
            None => Ok(None),
            Some(name) if name.trim().is_empty() => Ok(None),
            Some(name) => Divisions::embedded()
                .county(name)
                .map(Some)
                .map_err(|error| Error::Config(format!("county: {error}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A staff token of digits only, long enough to be accepted.
    const DIGITS: &str = "12345678901234567890123456789012345";

    #[test]
    #[allow(clippy::result_large_err)]
    fn a_short_staff_token_is_refused() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("LABBRIDGE_STAFF_TOKEN", "s3cret");
            let error = Settings::load(None, &Overrides::default()).expect_err("too short");
            assert!(error.to_string().contains("at least 32"), "{error}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn secrets_come_from_files() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("db-url", "postgres://app:pa55@db.example/labbridge\n")?;
            jail.create_file("token", &format!("{DIGITS}\n"))?;
            jail.set_env("LABBRIDGE_DATABASE_URL_FILE", "db-url");
            jail.set_env("LABBRIDGE_STAFF_TOKEN_FILE", "token");
            let settings = Settings::load(None, &Overrides::default()).expect("valid");
            assert_eq!(
                settings.database_url.as_deref(),
                Some("postgres://app:pa55@db.example/labbridge")
            );
            assert_eq!(
                settings.staff_token.as_ref().map(Secret::expose),
                Some(DIGITS)
            );
            jail.set_env("LABBRIDGE_SMTP_URL_FILE", "missing-file");
            let error = Settings::load(None, &Overrides::default()).expect_err("missing");
            assert!(
                error.to_string().contains("LABBRIDGE_SMTP_URL_FILE"),
                "{error}"
            );
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn layers_file_env_and_flags_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "labbridge.toml",
                "addr = \"0.0.0.0:1\"\ncounty = \"临朐县\"\ndata_dir = \"from-file\"",
            )?;
            jail.set_env("LABBRIDGE_DATA_DIR", "from-env");
            jail.set_env("LABBRIDGE_MAX_PARTNERS", "2");
            jail.set_env("LABBRIDGE_SECURE_COOKIES", "true");
            jail.set_env("LABBRIDGE_STAFF_TOKEN", DIGITS);
            jail.set_env("LABBRIDGE_BUREAU_EMAIL", "true");
            let flags = Overrides {
                county: Some("370724".into()),
                ..Overrides::default()
            };
            let settings =
                Settings::load(Some(Path::new("labbridge.toml")), &flags).expect("valid");
            assert_eq!(settings.addr, "0.0.0.0:1", "file beats default");
            assert_eq!(
                settings.data_dir,
                PathBuf::from("from-env"),
                "env beats file"
            );
            assert_eq!(
                settings.county.as_deref(),
                Some("370724"),
                "flag beats file"
            );
            assert_eq!((settings.min_partners, settings.max_partners), (1, 2));
            assert!(settings.secure_cookies);
            assert_eq!(
                settings.staff_token.as_ref().map(Secret::expose),
                Some(DIGITS),
                "digits stay text"
            );
            assert!(
                !format!("{settings:?}").contains(DIGITS),
                "the token never prints"
            );
            assert_eq!(settings.bureau_email.as_deref(), Some("true"));
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn a_county_code_in_the_environment_is_text() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("LABBRIDGE_COUNTY", "370724");
            let settings = Settings::load(None, &Overrides::default()).expect("valid");
            assert_eq!(settings.county.as_deref(), Some("370724"));
            assert_eq!(
                settings
                    .county()
                    .expect("county")
                    .map(|county| county.name.as_str()),
                Some("临朐县")
            );
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn rejects_unknown_counties_and_odd_urls() {
        figment::Jail::expect_with(|_jail| {
            let bad_county = Overrides {
                county: Some("不存在县".into()),
                ..Overrides::default()
            };
            assert!(matches!(
                Settings::load(None, &bad_county),
                Err(Error::Config(_))
            ));
            let bad_url = Overrides {
                database_url: Some("mysql://x".into()),
                ..Overrides::default()
            };
            assert!(matches!(
                Settings::load(None, &bad_url),
                Err(Error::Config(_))
            ));
            for (min, max) in [(2, 1), (0, 0), (1, PARTNERS_LIMIT + 1)] {
                let bad_partners = Overrides {
                    min_partners: Some(min),
                    max_partners: Some(max),
                    ..Overrides::default()
                };
                assert!(
                    matches!(Settings::load(None, &bad_partners), Err(Error::Config(_))),
                    "{min}..{max}"
                );
            }
            Ok(())
        });
    }
}
