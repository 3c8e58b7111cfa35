//! Errors of the use cases, with an HTTP-free [`ErrorKind`] that the server maps to statuses.

use crate::import::ImportFailure;

/// What kind of failure an error is, independent of any transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller sent something invalid.
    Invalid,
    /// Each field is well formed, but together they break a rule (a date range that ends
    /// before it starts): the request cannot be carried out as sent.
    Unprocessable,
    /// The thing asked for does not exist.
    NotFound,
    /// The request conflicts with the current state.
    Conflict,
    /// The caller may not do this.
    Forbidden,
    /// A dependency (the database) is unavailable.
    Unavailable,
    /// Too many requests of this kind at once, or from this caller: try again shortly.
    Busy,
    /// A fault of ours.
    Internal,
}

/// A use case failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The settings are invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A request parameter or argument is invalid.
    #[error("{0}")]
    Invalid(String),
    /// Fields that are each valid break a rule together.
    #[error("{0}")]
    Unprocessable(String),
    /// Something asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the registry's state.
    #[error("{0}")]
    Conflict(String),
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Too many at once: the caller should retry in a moment.
    #[error("{0}")]
    Busy(String),
    /// An import found bad rows; nothing was written.
    #[error("{0}")]
    Import(#[from] ImportFailure),
    /// The search index failed.
    #[error(transparent)]
    Search(labbridge_search::Error),
    /// The registry failed.
    #[error(transparent)]
    Store(#[from] labbridge_store::Error),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Returns the kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) | Error::Invalid(_) | Error::Import(_) => ErrorKind::Invalid,
            Error::Unprocessable(_) => ErrorKind::Unprocessable,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::Forbidden(_) => ErrorKind::Forbidden,
            Error::Busy(_) => ErrorKind::Busy,
            Error::Store(labbridge_store::Error::Database(_)) => ErrorKind::Unavailable,
            Error::Search(labbridge_search::Error::Busy(_)) => ErrorKind::Conflict,
            Error::Search(_) => ErrorKind::Internal,
            Error::Store(_) | Error::Io { .. } => ErrorKind::Internal,
        }
    }
}

/// Result of a use case.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<labbridge_store::DbErr> for Error {
    fn from(error: labbridge_store::DbErr) -> Self {
        Error::Store(labbridge_store::Error::Database(error))
    }
}
