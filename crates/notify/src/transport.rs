//! The SMTP transport (lettre, pooled, async), built from one URL.
//!
//! `smtp://host:port` is plain SMTP (a local relay or a test sink); `smtp://user:pass@host:587`
//! upgrades with STARTTLS before the password is sent (`?tls=opportunistic` or
//! `?tls=required` may say so explicitly); `smtps://host:465` is TLS from the first byte.

use std::time::Duration;

use lettre::transport::smtp::PoolConfig;
use lettre::transport::stub::AsyncStubTransport;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{Error, Result};

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP server through a connection pool.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// lettre's stub (unit tests): accepts or refuses everything, keeps nothing.
    Stub(AsyncStubTransport),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp(_) => formatter.write_str("Mailer::Smtp"),
            Mailer::Stub(_) => formatter.write_str("Mailer::Stub"),
        }
    }
}

/// The error of one send, classified for the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth another try later: a 4xx, a timeout, a lost or refused connection.
    Transient(String),
    /// Never worth retrying: a 5xx, an address the server refuses.
    Permanent(String),
}

impl Mailer {
    /// Builds the pooled transport from `LABBRIDGE_SMTP_URL`, at most `connections` at once.
    pub fn from_url(url: &str, connections: u32, timeout: Duration) -> Result<Self> {
        let url = url.trim();
        let normalised = if url.starts_with("smtp://") && !url.contains("tls=") && has_password(url)
        {
            // Never send a password in clear: credentials imply STARTTLS.
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}tls=required")
        } else {
            url.to_owned()
        };
        let builder =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(&normalised).map_err(|error| {
                Error::Settings(format!("LABBRIDGE_SMTP_URL '{}': {error}", redact(url)))
            })?;
        let transport = builder
            .timeout(Some(timeout))
            .pool_config(
                PoolConfig::new()
                    .max_size(connections.max(1))
                    .idle_timeout(Duration::from_secs(30)),
            )
            .build();
        Ok(Mailer::Smtp(transport))
    }

    /// A stub that accepts every message (tests).
    pub fn stub_accepting() -> Self {
        Mailer::Stub(AsyncStubTransport::new_ok())
    }

    /// A stub that refuses every message for good (tests).
    pub fn stub_refusing() -> Self {
        Mailer::Stub(AsyncStubTransport::new_error())
    }

    /// Sends one message.
    pub async fn send(&self, message: Message) -> std::result::Result<(), SendError> {
        match self {
            Mailer::Smtp(transport) => match transport.send(message).await {
                Ok(_) => Ok(()),
                Err(error) if error.is_permanent() => Err(SendError::Permanent(describe(&error))),
                Err(error) => Err(SendError::Transient(describe(&error))),
            },
            Mailer::Stub(stub) => stub
                .send(message)
                .await
                .map(|_| ())
                .map_err(|error| SendError::Permanent(error.to_string())),
        }
    }
}

fn has_password(url: &str) -> bool {
    url.split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or_default())
        .is_some_and(|authority| {
            authority.contains('@')
                && authority
                    .split('@')
                    .next()
                    .is_some_and(|user| user.contains(':'))
        })
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((user, host)) => {
                let name = user.split(':').next().unwrap_or_default();
                format!("{scheme}://{name}:***@{host}")
            }
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The error with the server's answer, which staff see on the desk.
fn describe(error: &lettre::transport::smtp::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        // lettre's own message often repeats its cause already.
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pool spawns its reaper on the runtime, so the transport is built inside one.
    #[tokio::test]
    async fn credentials_imply_starttls_and_are_never_shown() {
        assert!(has_password("smtp://user:secret@mail.example.cn:587"));
        assert!(!has_password("smtp://127.0.0.1:2525"));
        assert_eq!(
            redact("smtp://user:secret@mail.example.cn:587"),
            "smtp://user:***@mail.example.cn:587"
        );
        assert!(Mailer::from_url("smtp://127.0.0.1:2525", 2, Duration::from_secs(5)).is_ok());
        assert!(Mailer::from_url("smtps://mail.example.cn", 2, Duration::from_secs(5)).is_ok());
        assert!(
            Mailer::from_url("smtp://u:p@mail.example.cn:587", 2, Duration::from_secs(5)).is_ok()
        );
        let error = Mailer::from_url("ftp://u:secret@x", 2, Duration::from_secs(5))
            .expect_err("unknown scheme");
        assert!(!error.to_string().contains("secret"), "{error}");
    }
}
