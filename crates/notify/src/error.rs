//! Errors of the notifier: bad settings (a caller's mistake) apart from registry faults.

/// A notifier operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SMTP URL or the sender address is not usable.
    #[error("mail settings: {0}")]
    Settings(String),
    /// A letter could not be rendered.
    #[error("cannot render a letter: {0}")]
    Render(String),
    /// The registry failed.
    #[error(transparent)]
    Store(#[from] labbridge_store::Error),
}

/// Result of a notifier operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
