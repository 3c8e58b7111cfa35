//! Fresh databases for tests, on either backend.
//!
//! SQLite tests use a private in-memory database. When `LABBRIDGE_TEST_DATABASE_URL` names a
//! PostgreSQL database, [`fresh_postgres_url`] creates a new, uniquely named database on the same
//! server for each test (tests run in parallel and must not see each other's rows) and
//! [`drop_postgres_database`] removes it afterwards.

use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::{ConnectionTrait, Database};

use crate::Result;

/// The environment variable naming the PostgreSQL server for tests.
pub const TEST_DATABASE_URL: &str = "LABBRIDGE_TEST_DATABASE_URL";

/// Returns the URL of a private in-memory SQLite database.
pub fn sqlite_memory_url() -> String {
    "sqlite::memory:".to_owned()
}

fn replace_database(url: &str, database: &str) -> String {
    let (without_query, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let base = match without_query.rsplit_once('/') {
        Some((server, _))
            if server.contains("://") && server.len() > server.find("://").unwrap_or(0) + 3 =>
        {
            server
        }
        _ => without_query,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

/// Creates a new PostgreSQL database for one test and returns its URL, or `None` when
/// `LABBRIDGE_TEST_DATABASE_URL` is unset on a developer's machine. Under CI (`CI` set) a
/// missing server is a failure, never a silent skip.
///
/// # Panics
/// When `CI` is set and `LABBRIDGE_TEST_DATABASE_URL` is not.
pub async fn fresh_postgres_url(test_name: &str) -> Result<Option<String>> {
    let Ok(server_url) = std::env::var(TEST_DATABASE_URL) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{TEST_DATABASE_URL} is not set under CI: the PostgreSQL half of {test_name} cannot be skipped"
        );
        return Ok(None);
    };
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let suffix: String = test_name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(30)
        .collect();
    let name = format!(
        "lbt_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        suffix.to_lowercase()
    );
    let admin = Database::connect(server_url.as_str()).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await?;
    admin.close().await?;
    Ok(Some(replace_database(&server_url, &name)))
}

/// Drops a database made by [`fresh_postgres_url`].
pub async fn drop_postgres_database(url: &str) -> Result<()> {
    let Ok(server_url) = std::env::var(TEST_DATABASE_URL) else {
        return Ok(());
    };
    let Some(name) = url
        .split('?')
        .next()
        .and_then(|base| base.rsplit('/').next())
    else {
        return Ok(());
    };
    let admin = Database::connect(server_url.as_str()).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    admin.close().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            replace_database("postgres://root@127.0.0.1:5432/test", "x"),
            "postgres://root@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_database("postgres://root@127.0.0.1:5432/test?sslmode=disable", "x"),
            "postgres://root@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(
            replace_database("postgres://127.0.0.1", "x"),
            "postgres://127.0.0.1/x"
        );
    }
}
