//! The [`Store`]: connection, migrations, batched upserts and the reads the use cases need.
//!
//! **Writes on SQLite never fail because another is under way.** SQLite allows one writer at a
//! time. A transaction begun the default way (`BEGIN DEFERRED`) starts as a reader and asks
//! for the write lock at its first write; if another writer committed in between, SQLite
//! cannot honour its snapshot and answers `SQLITE_BUSY_SNAPSHOT` (517, "database is locked")
//! at once — the busy timeout does not apply, so such writes failed under load. Every write
//! transaction here begins as a writer (`BEGIN IMMEDIATE`, [`Store::begin`]): it waits for the
//! lock up front, under the busy timeout, and then nothing can invalidate it. Single-statement
//! writes take the lock at once and wait the same way. We chose this over one writer task
//! because it keeps the use cases' own transactions (and PostgreSQL, where the mode is
//! ignored and writers run in parallel) unchanged; the cost is that writers queue behind a
//! long import for up to [`BUSY_TIMEOUT`].

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use labbridge_domain::sort::pinyin_key;
use labbridge_migrations::{Migrator, MigratorTrait};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectOptions, Database, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IdenStatic, IntoActiveModel, Iterable, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use crate::entity::{
    enterprise, expert, expert_program, lab, need, offer, partnership, program, proposal,
    rd_institution,
};
use crate::{Error, Result};

/// How long a request waits for a registry connection.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest one PostgreSQL statement may run. A request gives up after two minutes, but the
/// database would go on with its statement; this bounds the work of a client that left (and of
/// a plan gone wrong) while leaving room for an import's largest statements.
pub const STATEMENT_TIMEOUT: &str = "300s";

/// How long a write waits for SQLite's write lock before it gives up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// Parameters per statement we allow ourselves: below SQLite's 32,766 and PostgreSQL's 65,535.
pub(crate) const MAX_PARAMETERS: usize = 30_000;

/// The tables the search index is derived from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Searchable {
    /// Experts.
    Experts,
    /// Labs.
    Labs,
    /// Talent programmes.
    Programs,
    /// Technical needs.
    Needs,
    /// Technology offers.
    Offers,
}

/// The seven kinds of imported record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// Enterprises (with their R&D institutions).
    Enterprises,
    /// Technical needs.
    Needs,
    /// Labs.
    Labs,
    /// Experts (with their programmes).
    Experts,
    /// Talent programmes.
    Programs,
    /// Partnerships.
    Partnerships,
    /// Technology offers.
    Offers,
}

/// An enterprise with its R&D institutions (their `id`s are assigned by the store).
#[derive(Debug, Clone, PartialEq)]
pub struct EnterpriseRecord {
    /// The enterprise row.
    pub enterprise: enterprise::Model,
    /// Its R&D institutions; they replace the stored ones on upsert.
    pub institutions: Vec<rd_institution::Model>,
}

/// An expert with the ids of their talent programmes.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpertRecord {
    /// The expert row.
    pub expert: expert::Model,
    /// Programme ids; they replace the stored ones on upsert.
    pub programs: Vec<String>,
}

/// An enterprise on a year's roster, with what the coverage rule needs.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterEntry {
    /// The enterprise.
    pub enterprise: enterprise::Model,
    /// Its R&D institutions.
    pub institutions: Vec<rd_institution::Model>,
    /// Its partnerships.
    pub partnerships: Vec<partnership::Model>,
}

/// How many records of each kind the registry holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Enterprises.
    pub enterprises: u64,
    /// Technical needs.
    pub needs: u64,
    /// Labs.
    pub labs: u64,
    /// Experts.
    pub experts: u64,
    /// Talent programmes.
    pub programs: u64,
    /// Partnerships.
    pub partnerships: u64,
    /// Proposals.
    pub proposals: u64,
    /// Technology offers.
    pub offers: u64,
}

/// Returns the SQLite URL of a database file, created if missing.
pub fn sqlite_url_for(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Opens a SQLite file read-only and checks that it holds a labbridge registry (its
/// migrations), without changing it; the error says what is wrong.
pub async fn check_registry_file(file: &Path) -> std::result::Result<(), String> {
    use sea_orm::sqlx::{Connection, Row};
    if !file.is_file() {
        return Err("no such file".into());
    }
    let url = format!("sqlite://{}?mode=ro", file.display());
    let mut connection = sea_orm::sqlx::SqliteConnection::connect(&url)
        .await
        .map_err(|error| error.to_string())?;
    let row = sea_orm::sqlx::query(
        "SELECT (SELECT count(*) FROM seaql_migrations), (SELECT count(*) FROM enterprises)",
    )
    .fetch_one(&mut connection)
    .await
    .map_err(|error| error.to_string())?;
    let migrations: i64 = row.try_get(0).map_err(|error| error.to_string())?;
    let _ = connection.close().await;
    if migrations == 0 {
        return Err("it has no migrations".into());
    }
    Ok(())
}

/// The registry.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) database: DatabaseConnection,
}

impl Store {
    /// Connects to `sqlite://…` or `postgres://…` and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            // A request waits this long for a connection, then fails with 503 (a client gives
            // up after seconds, not minutes).
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_timeout(ACQUIRE_TIMEOUT)
            .map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(BUSY_TIMEOUT)
                    .foreign_keys(true)
            })
            .map_sqlx_postgres_opts(|postgres| {
                // JIT compiles a plan whose estimate is large — every page query, whose EXISTS
                // per enterprise look dear on paper — for 400 ms, to run it in 5.
                postgres.options([("statement_timeout", STATEMENT_TIMEOUT), ("jit", "off")])
            });
        if url.contains(":memory:") || url.contains("mode=memory") {
            // Each connection to an in-memory SQLite database is a database of its own.
            options.max_connections(1).min_connections(1);
        } else if url.starts_with("sqlite") {
            options.max_connections(8);
        }
        let database = Database::connect(options).await?;
        Migrator::up(&database, None).await?;
        let store = Self { database };
        store.fill_sort_keys().await?;
        Ok(store)
    }

    /// Opens one connection of its own to `url` and closes it, within `limit`: the error says
    /// why the registry cannot be reached (refused, unknown host, authentication …), which a
    /// pool that timed out cannot.
    pub async fn probe(url: &str, limit: Duration) -> std::result::Result<(), String> {
        use sea_orm::sqlx::Connection;
        // One connection of sqlx's own: a pool would retry until its timeout and keep the
        // cause to itself.
        let attempt = async {
            if url.starts_with("postgres") {
                let connection = sea_orm::sqlx::PgConnection::connect(url).await?;
                connection.close().await
            } else {
                let connection = sea_orm::sqlx::SqliteConnection::connect(url).await?;
                connection.close().await
            }
        };
        match tokio::time::timeout(limit, attempt).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no connection within {} ms", limit.as_millis())),
        }
    }

    /// Writes a consistent copy of a SQLite registry to `out` while it is in use (`VACUUM
    /// INTO` reads one snapshot; writers go on).
    pub async fn backup_to(&self, out: &Path) -> Result<()> {
        use sea_orm::{ConnectionTrait, Statement};
        self.database
            .execute_raw(Statement::from_sql_and_values(
                sea_orm::DatabaseBackend::Sqlite,
                "VACUUM INTO ?",
                [out.to_string_lossy().into_owned().into()],
            ))
            .await?;
        Ok(())
    }

    /// Returns the connection, for use cases that build their own queries.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.database
    }

    /// Returns the backend's name: `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self.database.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => "postgres",
            sea_orm::DatabaseBackend::Sqlite => "sqlite",
            _ => "other",
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        Ok(self.database.ping().await?)
    }

    /// Starts a write transaction; writes go through it and land together on commit. On
    /// SQLite it begins as a writer (`BEGIN IMMEDIATE`, see the module docs).
    pub async fn begin(&self) -> Result<DatabaseTransaction> {
        Ok(self
            .database
            .begin_with_options(sea_orm::TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?)
    }

    /// Counts the records of each kind.
    pub async fn counts(&self) -> Result<Counts> {
        let database = &self.database;
        Ok(Counts {
            enterprises: enterprise::Entity::find().count(database).await?,
            needs: need::Entity::find().count(database).await?,
            labs: lab::Entity::find().count(database).await?,
            experts: expert::Entity::find().count(database).await?,
            programs: program::Entity::find().count(database).await?,
            partnerships: partnership::Entity::find().count(database).await?,
            proposals: proposal::Entity::find().count(database).await?,
            offers: offer::Entity::find().count(database).await?,
        })
    }

    /// Returns the content hash of every stored record of a kind, by id.
    pub async fn content_hashes(&self, kind: RecordKind) -> Result<HashMap<String, String>> {
        let database = &self.database;
        let pairs: Vec<(String, String)> = match kind {
            RecordKind::Enterprises => {
                id_hash_pairs::<enterprise::Entity>(
                    database,
                    enterprise::Column::Id,
                    enterprise::Column::ContentHash,
                )
                .await?
            }
            RecordKind::Needs => {
                id_hash_pairs::<need::Entity>(database, need::Column::Id, need::Column::ContentHash)
                    .await?
            }
            RecordKind::Labs => {
                id_hash_pairs::<lab::Entity>(database, lab::Column::Id, lab::Column::ContentHash)
                    .await?
            }
            RecordKind::Offers => {
                id_hash_pairs::<offer::Entity>(
                    database,
                    offer::Column::Id,
                    offer::Column::ContentHash,
                )
                .await?
            }
            RecordKind::Experts => {
                id_hash_pairs::<expert::Entity>(
                    database,
                    expert::Column::Id,
                    expert::Column::ContentHash,
                )
                .await?
            }
            RecordKind::Programs => {
                id_hash_pairs::<program::Entity>(
                    database,
                    program::Column::Id,
                    program::Column::ContentHash,
                )
                .await?
            }
            RecordKind::Partnerships => {
                id_hash_pairs::<partnership::Entity>(
                    database,
                    partnership::Column::Id,
                    partnership::Column::ContentHash,
                )
                .await?
            }
        };
        Ok(pairs.into_iter().collect())
    }

    /// Returns the id of the enterprise holding each credit code.
    pub async fn credit_codes(&self) -> Result<HashMap<String, String>> {
        let pairs: Vec<(String, String)> = enterprise::Entity::find()
            .select_only()
            .column(enterprise::Column::CreditCode)
            .column(enterprise::Column::Id)
            .into_tuple()
            .all(&self.database)
            .await?;
        Ok(pairs.into_iter().collect())
    }

    /// Returns every programme as (id, name).
    pub async fn program_names(&self) -> Result<Vec<(String, String)>> {
        Ok(program::Entity::find()
            .select_only()
            .column(program::Column::Id)
            .column(program::Column::Name)
            .order_by_asc(program::Column::Id)
            .into_tuple()
            .all(&self.database)
            .await?)
    }

    /// Returns the years that have above-scale enterprises on their roster, newest first.
    pub async fn roster_years(&self) -> Result<Vec<i32>> {
        Ok(enterprise::Entity::find()
            .select_only()
            .column(enterprise::Column::RosterYear)
            .filter(enterprise::Column::AboveScale.eq(true))
            .distinct()
            .order_by_desc(enterprise::Column::RosterYear)
            .into_tuple()
            .all(&self.database)
            .await?)
    }

    /// Loads a year's roster with the institutions and partnerships of each enterprise.
    pub async fn roster(&self, year: i32) -> Result<Vec<RosterEntry>> {
        let database = &self.database;
        let enterprises = enterprise::Entity::find()
            .filter(enterprise::Column::AboveScale.eq(true))
            .filter(enterprise::Column::RosterYear.eq(year))
            .order_by_asc(enterprise::Column::Id)
            .all(database)
            .await?;
        let roster_ids = Query::select()
            .column(enterprise::Column::Id)
            .from(enterprise::Entity)
            .and_where(enterprise::Column::AboveScale.eq(true))
            .and_where(enterprise::Column::RosterYear.eq(year))
            .to_owned();
        let institutions = rd_institution::Entity::find()
            .filter(rd_institution::Column::EnterpriseId.in_subquery(roster_ids.clone()))
            .all(database)
            .await?;
        let partnerships = partnership::Entity::find()
            .filter(partnership::Column::EnterpriseId.in_subquery(roster_ids))
            .all(database)
            .await?;
        let mut entries: Vec<RosterEntry> = enterprises
            .into_iter()
            .map(|enterprise| RosterEntry {
                enterprise,
                institutions: Vec::new(),
                partnerships: Vec::new(),
            })
            .collect();
        let position: HashMap<String, usize> = entries
            .iter()
            .enumerate()
            .map(|(index, entry)| (entry.enterprise.id.clone(), index))
            .collect();
        for institution in institutions {
            if let Some(index) = position.get(&institution.enterprise_id) {
                entries[*index].institutions.push(institution);
            }
        }
        for partnership in partnerships {
            if let Some(index) = position.get(&partnership.enterprise_id) {
                entries[*index].partnerships.push(partnership);
            }
        }
        Ok(entries)
    }

    /// Adds an R&D institution to an enterprise (a joint centre recorded as evidence) and raises
    /// its R&D staff to at least `rd_staff`.
    pub async fn add_rd_institution(
        connection: &impl sea_orm::ConnectionTrait,
        institution: rd_institution::Model,
        rd_staff: i32,
    ) -> Result<()> {
        let enterprise_id = institution.enterprise_id.clone();
        let mut active = institution.into_active_model();
        active.id = ActiveValue::NotSet;
        active.insert(connection).await?;
        Self::raise_rd_staff(connection, &enterprise_id, rd_staff).await
    }

    /// Raises an enterprise's R&D staff to at least `rd_staff` (never lowers it).
    pub async fn raise_rd_staff(
        connection: &impl sea_orm::ConnectionTrait,
        enterprise_id: &str,
        rd_staff: i32,
    ) -> Result<()> {
        enterprise::Entity::update_many()
            .col_expr(
                enterprise::Column::RdStaff,
                sea_orm::sea_query::Expr::value(rd_staff),
            )
            .col_expr(
                enterprise::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(Utc::now()),
            )
            .filter(enterprise::Column::Id.eq(enterprise_id))
            .filter(enterprise::Column::RdStaff.lt(rd_staff))
            .exec(connection)
            .await?;
        Ok(())
    }

    /// Gives every enterprise without a sort key (rows from before migration 8, or written by
    /// hand) the key of its name, in batches. Costs one scan of the roster when nothing is
    /// missing.
    pub async fn fill_sort_keys(&self) -> Result<()> {
        loop {
            let missing: Vec<(String, String)> = enterprise::Entity::find()
                .select_only()
                .column(enterprise::Column::Id)
                .column(enterprise::Column::Name)
                .filter(enterprise::Column::SortKey.eq(""))
                .filter(enterprise::Column::Name.ne(""))
                .limit(1_000)
                .into_tuple()
                .all(&self.database)
                .await?;
            if missing.is_empty() {
                return Ok(());
            }
            let transaction = self.begin().await?;
            for (id, name) in missing {
                enterprise::Entity::update_many()
                    .col_expr(
                        enterprise::Column::SortKey,
                        sea_orm::sea_query::Expr::value(pinyin_key(&name)),
                    )
                    .filter(enterprise::Column::Id.eq(id))
                    .exec(&transaction)
                    .await?;
            }
            transaction.commit().await?;
        }
    }

    /// Finds an enterprise by id.
    pub async fn enterprise(&self, id: &str) -> Result<Option<enterprise::Model>> {
        Ok(enterprise::Entity::find_by_id(id.to_owned())
            .one(&self.database)
            .await?)
    }

    /// Upserts enterprises and replaces their R&D institutions.
    pub async fn upsert_enterprises(
        transaction: &DatabaseTransaction,
        records: &[EnterpriseRecord],
    ) -> Result<()> {
        let rows: Vec<enterprise::Model> = records
            .iter()
            .map(|record| enterprise::Model {
                sort_key: pinyin_key(&record.enterprise.name),
                ..record.enterprise.clone()
            })
            .collect();
        upsert_models::<enterprise::Entity>(transaction, rows, enterprise::Column::Id).await?;
        let ids: Vec<String> = records
            .iter()
            .map(|record| record.enterprise.id.clone())
            .collect();
        for chunk in ids.chunks(MAX_PARAMETERS / 2) {
            rd_institution::Entity::delete_many()
                .filter(rd_institution::Column::EnterpriseId.is_in(chunk.iter().cloned()))
                .exec(transaction)
                .await?;
        }
        let institutions: Vec<rd_institution::ActiveModel> = records
            .iter()
            .flat_map(|record| record.institutions.iter())
            .map(|institution| {
                let mut active = institution.clone().into_active_model();
                active.id = ActiveValue::NotSet;
                active
            })
            .collect();
        for chunk in institutions.chunks(MAX_PARAMETERS / 8) {
            rd_institution::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(transaction)
                .await?;
        }
        Ok(())
    }

    /// Upserts experts and replaces their programme memberships.
    pub async fn upsert_experts(
        transaction: &DatabaseTransaction,
        records: &[ExpertRecord],
    ) -> Result<()> {
        let rows: Vec<expert::Model> = records.iter().map(|record| record.expert.clone()).collect();
        upsert_models::<expert::Entity>(transaction, rows, expert::Column::Id).await?;
        let ids: Vec<String> = records
            .iter()
            .map(|record| record.expert.id.clone())
            .collect();
        for chunk in ids.chunks(MAX_PARAMETERS / 2) {
            expert_program::Entity::delete_many()
                .filter(expert_program::Column::ExpertId.is_in(chunk.iter().cloned()))
                .exec(transaction)
                .await?;
        }
        let memberships: Vec<expert_program::ActiveModel> = records
            .iter()
            .flat_map(|record| {
                record.programs.iter().map(|program_id| {
                    expert_program::Model {
                        expert_id: record.expert.id.clone(),
                        program_id: program_id.clone(),
                    }
                    .into_active_model()
                })
            })
            .collect();
        for chunk in memberships.chunks(MAX_PARAMETERS / 2) {
            expert_program::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(transaction)
                .await?;
        }
        Ok(())
    }

    /// Upserts technical needs.
    pub async fn upsert_needs(
        transaction: &DatabaseTransaction,
        rows: Vec<need::Model>,
    ) -> Result<()> {
        upsert_models::<need::Entity>(transaction, rows, need::Column::Id).await
    }

    /// Upserts labs.
    pub async fn upsert_labs(
        transaction: &DatabaseTransaction,
        rows: Vec<lab::Model>,
    ) -> Result<()> {
        upsert_models::<lab::Entity>(transaction, rows, lab::Column::Id).await
    }

    /// Upserts technology offers.
    pub async fn upsert_offers(
        transaction: &DatabaseTransaction,
        rows: Vec<offer::Model>,
    ) -> Result<()> {
        upsert_models::<offer::Entity>(transaction, rows, offer::Column::Id).await
    }

    /// Upserts talent programmes.
    pub async fn upsert_programs(
        transaction: &DatabaseTransaction,
        rows: Vec<program::Model>,
    ) -> Result<()> {
        upsert_models::<program::Entity>(transaction, rows, program::Column::Id).await
    }

    /// Upserts partnerships.
    pub async fn upsert_partnerships(
        transaction: &DatabaseTransaction,
        rows: Vec<partnership::Model>,
    ) -> Result<()> {
        upsert_models::<partnership::Entity>(transaction, rows, partnership::Column::Id).await
    }

    /// Returns every expert's programme ids, by expert id.
    pub async fn expert_programs(&self) -> Result<HashMap<String, Vec<String>>> {
        let rows = expert_program::Entity::find().all(&self.database).await?;
        let mut by_expert: HashMap<String, Vec<String>> = HashMap::new();
        for row in rows {
            by_expert
                .entry(row.expert_id)
                .or_default()
                .push(row.program_id);
        }
        Ok(by_expert)
    }

    /// Returns up to `limit` experts with ids after `after`, in id order (to read the whole
    /// table a page at a time).
    pub async fn experts_page(
        &self,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<expert::Model>> {
        let mut select = expert::Entity::find().order_by_asc(expert::Column::Id);
        if let Some(after) = after {
            select = select.filter(expert::Column::Id.gt(after));
        }
        Ok(select.limit(limit).all(&self.database).await?)
    }

    /// Returns the experts changed at or after a time (all when `None`).
    pub async fn experts_since(&self, since: Option<DateTime<Utc>>) -> Result<Vec<expert::Model>> {
        changed_since::<expert::Entity>(&self.database, expert::Column::UpdatedAt, since).await
    }

    /// Returns the labs changed at or after a time (all when `None`).
    pub async fn labs_since(&self, since: Option<DateTime<Utc>>) -> Result<Vec<lab::Model>> {
        changed_since::<lab::Entity>(&self.database, lab::Column::UpdatedAt, since).await
    }

    /// Returns the technology offers changed at or after a time (all when `None`).
    pub async fn offers_since(&self, since: Option<DateTime<Utc>>) -> Result<Vec<offer::Model>> {
        changed_since::<offer::Entity>(&self.database, offer::Column::UpdatedAt, since).await
    }

    /// Returns the programmes changed at or after a time (all when `None`).
    pub async fn programs_since(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<program::Model>> {
        changed_since::<program::Entity>(&self.database, program::Column::UpdatedAt, since).await
    }

    /// Returns the needs changed at or after a time (all when `None`).
    pub async fn needs_since(&self, since: Option<DateTime<Utc>>) -> Result<Vec<need::Model>> {
        changed_since::<need::Entity>(&self.database, need::Column::UpdatedAt, since).await
    }

    /// Returns `(id, updated_at)` of the rows of a searchable table changed at or after a time:
    /// cheap enough to poll often, so only rows not seen yet need to be read whole.
    pub async fn versions_since(
        &self,
        table: Searchable,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>> {
        match table {
            Searchable::Experts => {
                versions::<expert::Entity>(
                    &self.database,
                    expert::Column::Id,
                    expert::Column::UpdatedAt,
                    since,
                )
                .await
            }
            Searchable::Labs => {
                versions::<lab::Entity>(
                    &self.database,
                    lab::Column::Id,
                    lab::Column::UpdatedAt,
                    since,
                )
                .await
            }
            Searchable::Programs => {
                versions::<program::Entity>(
                    &self.database,
                    program::Column::Id,
                    program::Column::UpdatedAt,
                    since,
                )
                .await
            }
            Searchable::Needs => {
                versions::<need::Entity>(
                    &self.database,
                    need::Column::Id,
                    need::Column::UpdatedAt,
                    since,
                )
                .await
            }
            Searchable::Offers => {
                versions::<offer::Entity>(
                    &self.database,
                    offer::Column::Id,
                    offer::Column::UpdatedAt,
                    since,
                )
                .await
            }
        }
    }

    /// Returns the experts with these ids (missing ids are skipped).
    pub async fn experts_by_ids(&self, ids: &[String]) -> Result<Vec<expert::Model>> {
        by_ids::<expert::Entity>(&self.database, expert::Column::Id, ids).await
    }

    /// Returns the labs with these ids (missing ids are skipped).
    pub async fn labs_by_ids(&self, ids: &[String]) -> Result<Vec<lab::Model>> {
        by_ids::<lab::Entity>(&self.database, lab::Column::Id, ids).await
    }

    /// Returns the technology offers with these ids (missing ids are skipped).
    pub async fn offers_by_ids(&self, ids: &[String]) -> Result<Vec<offer::Model>> {
        by_ids::<offer::Entity>(&self.database, offer::Column::Id, ids).await
    }

    /// Finds a technology offer by id.
    pub async fn offer(&self, id: &str) -> Result<Option<offer::Model>> {
        Ok(offer::Entity::find_by_id(id.to_owned())
            .one(&self.database)
            .await?)
    }

    /// Returns the programmes with these ids (missing ids are skipped).
    pub async fn programs_by_ids(&self, ids: &[String]) -> Result<Vec<program::Model>> {
        by_ids::<program::Entity>(&self.database, program::Column::Id, ids).await
    }

    /// Returns the needs with these ids (missing ids are skipped).
    pub async fn needs_by_ids(&self, ids: &[String]) -> Result<Vec<need::Model>> {
        by_ids::<need::Entity>(&self.database, need::Column::Id, ids).await
    }

    /// Returns every proposal, oldest first.
    pub async fn proposals(&self) -> Result<Vec<proposal::Model>> {
        Ok(proposal::Entity::find()
            .order_by_asc(proposal::Column::Id)
            .all(&self.database)
            .await?)
    }

    /// Returns the proposals to one enterprise, oldest first (what its portal reads).
    pub async fn proposals_of_enterprise(
        &self,
        enterprise_id: &str,
    ) -> Result<Vec<proposal::Model>> {
        Ok(proposal::Entity::find()
            .filter(proposal::Column::EnterpriseId.eq(enterprise_id))
            .order_by_asc(proposal::Column::Id)
            .all(&self.database)
            .await?)
    }

    /// Returns every enterprise's name and town, by id.
    pub async fn enterprise_names(&self) -> Result<HashMap<String, (String, String)>> {
        let rows: Vec<(String, String, String)> = enterprise::Entity::find()
            .select_only()
            .column(enterprise::Column::Id)
            .column(enterprise::Column::Name)
            .column(enterprise::Column::Town)
            .into_tuple()
            .all(&self.database)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, town)| (id, (name, town)))
            .collect())
    }

    /// Returns every expert's name, by id.
    pub async fn expert_names(&self) -> Result<HashMap<String, String>> {
        names::<expert::Entity>(&self.database, expert::Column::Id, expert::Column::Name).await
    }

    /// Returns every lab's and expert's institution, by (`lab`|`expert`, id).
    pub async fn partner_institutions(&self) -> Result<HashMap<(String, String), String>> {
        let labs: Vec<(String, String)> = lab::Entity::find()
            .select_only()
            .column(lab::Column::Id)
            .column(lab::Column::Institution)
            .into_tuple()
            .all(&self.database)
            .await?;
        let experts: Vec<(String, String)> = expert::Entity::find()
            .select_only()
            .column(expert::Column::Id)
            .column(expert::Column::Institution)
            .into_tuple()
            .all(&self.database)
            .await?;
        Ok(labs
            .into_iter()
            .map(|(id, institution)| (("lab".to_owned(), id), institution))
            .chain(
                experts
                    .into_iter()
                    .map(|(id, institution)| (("expert".to_owned(), id), institution)),
            )
            .collect())
    }

    /// Returns every lab's name, by id.
    pub async fn lab_names(&self) -> Result<HashMap<String, String>> {
        names::<lab::Entity>(&self.database, lab::Column::Id, lab::Column::Name).await
    }

    /// The `fields` lists (JSON arrays) of every lab and expert: the vocabulary the portal
    /// suggests from.
    pub async fn partner_field_lists(&self) -> Result<Vec<String>> {
        let mut lists: Vec<String> = lab::Entity::find()
            .select_only()
            .column(lab::Column::Fields)
            .into_tuple()
            .all(&self.database)
            .await?;
        let experts: Vec<String> = expert::Entity::find()
            .select_only()
            .column(expert::Column::Fields)
            .into_tuple()
            .all(&self.database)
            .await?;
        lists.extend(experts);
        Ok(lists)
    }

    /// Finds an expert by id.
    pub async fn expert(&self, id: &str) -> Result<Option<expert::Model>> {
        Ok(expert::Entity::find_by_id(id.to_owned())
            .one(&self.database)
            .await?)
    }

    /// Finds a lab by id.
    pub async fn lab(&self, id: &str) -> Result<Option<lab::Model>> {
        Ok(lab::Entity::find_by_id(id.to_owned())
            .one(&self.database)
            .await?)
    }

    /// Finds a programme by id.
    pub async fn program(&self, id: &str) -> Result<Option<program::Model>> {
        Ok(program::Entity::find_by_id(id.to_owned())
            .one(&self.database)
            .await?)
    }

    /// Finds a need by id.
    pub async fn need(&self, id: &str) -> Result<Option<need::Model>> {
        Ok(need::Entity::find_by_id(id.to_owned())
            .one(&self.database)
            .await?)
    }

    /// Returns the experts of a lab.
    pub async fn experts_of_lab(&self, lab_id: &str) -> Result<Vec<expert::Model>> {
        Ok(expert::Entity::find()
            .filter(expert::Column::LabId.eq(lab_id))
            .order_by_asc(expert::Column::Id)
            .all(&self.database)
            .await?)
    }

    /// Returns the experts of a programme.
    pub async fn experts_of_program(&self, program_id: &str) -> Result<Vec<expert::Model>> {
        let members = Query::select()
            .column(expert_program::Column::ExpertId)
            .from(expert_program::Entity)
            .and_where(expert_program::Column::ProgramId.eq(program_id))
            .to_owned();
        Ok(expert::Entity::find()
            .filter(expert::Column::Id.in_subquery(members))
            .order_by_asc(expert::Column::Id)
            .all(&self.database)
            .await?)
    }

    /// Returns the programme ids of one expert.
    pub async fn programs_of_expert(&self, expert_id: &str) -> Result<Vec<String>> {
        Ok(expert_program::Entity::find()
            .select_only()
            .column(expert_program::Column::ProgramId)
            .filter(expert_program::Column::ExpertId.eq(expert_id))
            .into_tuple()
            .all(&self.database)
            .await?)
    }

    /// Decodes a JSON list column.
    pub fn decode_list(
        table: &'static str,
        column: &'static str,
        raw: &str,
    ) -> Result<Vec<String>> {
        serde_json::from_str(raw).map_err(|error| Error::Corrupt {
            table,
            column,
            reason: error.to_string(),
        })
    }
}

async fn changed_since<E: EntityTrait>(
    database: &DatabaseConnection,
    column: E::Column,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<E::Model>> {
    let mut select = E::find();
    if let Some(since) = since {
        select = select.filter(column.gte(since));
    }
    Ok(select.all(database).await?)
}

async fn versions<E: EntityTrait>(
    database: &DatabaseConnection,
    id: E::Column,
    updated_at: E::Column,
    since: DateTime<Utc>,
) -> Result<Vec<(String, DateTime<Utc>)>> {
    Ok(E::find()
        .select_only()
        .column(id)
        .column(updated_at)
        .filter(updated_at.gte(since))
        .into_tuple()
        .all(database)
        .await?)
}

async fn by_ids<E: EntityTrait>(
    database: &DatabaseConnection,
    id: E::Column,
    ids: &[String],
) -> Result<Vec<E::Model>> {
    let mut models = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_PARAMETERS / 10) {
        models.extend(
            E::find()
                .filter(id.is_in(chunk.iter().cloned()))
                .all(database)
                .await?,
        );
    }
    Ok(models)
}

async fn names<E: EntityTrait>(
    database: &DatabaseConnection,
    id: E::Column,
    name: E::Column,
) -> Result<HashMap<String, String>> {
    let pairs: Vec<(String, String)> = E::find()
        .select_only()
        .column(id)
        .column(name)
        .into_tuple()
        .all(database)
        .await?;
    Ok(pairs.into_iter().collect())
}

async fn id_hash_pairs<E: EntityTrait>(
    database: &DatabaseConnection,
    id: E::Column,
    hash: E::Column,
) -> Result<Vec<(String, String)>> {
    Ok(E::find()
        .select_only()
        .column(id)
        .column(hash)
        .into_tuple()
        .all(database)
        .await?)
}

/// Inserts rows, replacing every column but the key when the key exists, in batches that
/// stay under the parameter limits of both backends.
async fn upsert_models<E>(
    transaction: &DatabaseTransaction,
    rows: Vec<E::Model>,
    key: E::Column,
) -> Result<()>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
{
    let updated: Vec<E::Column> = E::Column::iter()
        .filter(|column| column.as_str() != key.as_str())
        .collect();
    let batch = (MAX_PARAMETERS / (updated.len() + 1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<E::ActiveModel> = rows
            .by_ref()
            .take(batch)
            .map(IntoActiveModel::into_active_model)
            .collect();
        E::insert_many(chunk)
            .on_conflict(
                OnConflict::column(key)
                    .update_columns(updated.iter().copied())
                    .to_owned(),
            )
            .exec_without_returning(transaction)
            .await?;
    }
    Ok(())
}
