//! Errors of the search index. The registry is the truth, so most of them are answered by
//! rebuilding the index; a caller's query is never an error (any text is a valid query).

/// A search index operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// tantivy failed (I/O, a corrupt segment …).
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The index directory is written by another process (tantivy allows one writer).
    #[error(
        "the index at {0} is in use by another labbridge process (it keeps the index in step itself)"
    )]
    Busy(String),
    /// The index directory could not be prepared.
    #[error("index directory {path}: {source}")]
    Io {
        /// The directory.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// This handle cannot write (opened read-only).
    #[error("the index was opened read-only")]
    ReadOnly,
}

/// Result of an index operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
