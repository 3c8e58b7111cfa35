//! Errors of the registry: all are faults of the database or its connection (callers'
//! mistakes are caught by the domain and import layers before anything is written).

/// A registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database refused or failed a statement.
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// A stored value could not be decoded (a JSON list column, say).
    #[error("corrupt value in {table}.{column}: {reason}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// What was wrong.
        reason: String,
    },
}

/// Result of a registry operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
