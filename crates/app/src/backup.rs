//! Backups of the embedded registry.
//!
//! `labbridge backup --out FILE` writes a consistent copy of a SQLite registry while it is in
//! use: SQLite's `VACUUM INTO` reads one snapshot and writes it as a new, compact database, so
//! a running `serve` goes on answering and writing. `labbridge restore FILE` puts such a copy
//! back (with the server stopped): it checks that the file is a labbridge registry, replaces
//! the registry file, and removes the search index, which the next start rebuilds from the
//! restored registry. A PostgreSQL registry is backed up with the database's own tools
//! (`pg_dump` / `pg_restore`, see the README).

use std::path::{Path, PathBuf};

use crate::{App, Error, Result, Settings};

impl App {
    /// Writes a consistent copy of the (SQLite) registry to `out`, which must not exist yet;
    /// returns its size in bytes.
    pub async fn backup(&self, out: &Path) -> Result<u64> {
        if self.store.backend_name() != "sqlite" {
            return Err(Error::Invalid(
                "the registry is PostgreSQL: back it up with pg_dump (see the README, Backups)"
                    .into(),
            ));
        }
        if out.exists() {
            return Err(Error::Invalid(format!(
                "{} exists already; give a new file name",
                out.display()
            )));
        }
        self.store.backup_to(out).await?;
        std::fs::metadata(out)
            .map(|metadata| metadata.len())
            .map_err(|source| Error::Io {
                path: out.display().to_string(),
                source,
            })
    }
}

/// The registry file of a SQLite registry URL (`sqlite://PATH?…` or `sqlite:PATH`).
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

/// Puts a backup back as the registry of `settings` (run it with the server stopped). The
/// file must be a labbridge registry; the current registry is kept beside it as
/// `labbridge.db.before-restore` until the next restore, and the search index is removed (the
/// next start rebuilds it).
pub async fn restore(settings: &Settings, backup: &Path) -> Result<PathBuf> {
    let url = settings.database_url();
    let target = sqlite_path(&url).ok_or_else(|| {
        Error::Invalid(
            "the registry is not a SQLite file: restore PostgreSQL with pg_restore (see the README, Backups)"
                .into(),
        )
    })?;
    labbridge_store::check_registry_file(backup)
        .await
        .map_err(|detail| {
            Error::Invalid(format!(
                "{} is not a labbridge registry backup: {detail}",
                backup.display()
            ))
        })?;
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| Error::Io { path, source }
    };
    let staged = target.with_extension("db.restoring");
    std::fs::copy(backup, &staged).map_err(io(&staged))?;
    if target.exists() {
        let kept = target.with_extension("db.before-restore");
        std::fs::rename(&target, &kept).map_err(io(&target))?;
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side).map_err(io(&side))?;
        }
    }
    std::fs::rename(&staged, &target).map_err(io(&target))?;
    let index = settings.data_dir.join("index");
    if index.exists() {
        std::fs::remove_dir_all(&index).map_err(io(&index))?;
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::sqlite_path;
    use std::path::PathBuf;

    #[test]
    fn finds_the_file_of_a_sqlite_url() {
        assert_eq!(
            sqlite_path("sqlite:///srv/lb/labbridge.db?mode=rwc"),
            Some(PathBuf::from("/srv/lb/labbridge.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:data/x.db"),
            Some(PathBuf::from("data/x.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://root@h/db"), None);
    }
}
