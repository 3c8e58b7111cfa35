//! Errors of the domain crate: every one is a caller mistake (a value that breaks a rule), with
//! a message a bureau clerk can act on.

/// A value broke a domain rule; the message says which and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Error(pub String);

impl Error {
    /// Builds an error from any message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Result of a domain rule.
pub type Result<T, E = Error> = std::result::Result<T, E>;
