//! The staff lists — the uncovered enterprises, the enterprises at risk, the gap counts — read
//! a page at a time: the database applies the coverage rule and the filters, orders by town and
//! pinyin (the stored `sort_key`, migration 8) and hands back only the page's ids; only those
//! enterprises' terms travel.
//!
//! Why: the first versions read the whole roster and applied the rule in Rust on every request,
//! which cost seconds at a province's 400,000 enterprises for a page of 100 rows. The rule is
//! stated here once more, per enterprise (the report's grouped form is in `coverage_rows`); the
//! app's tests hold both to the Rust rule of `labbridge_domain::coverage` on random rosters, on
//! both backends.
//!
//! Each enterprise's state of a coverage is a small number, the same on both backends:
//! `0` in force, `1` none on record, `2` none in force but one starts later, `3` all ended —
//! the order in which `labbridge_domain::coverage::assess` names its gaps.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};

use crate::coverage_rows::{TermTuple, term_of};
use crate::registry::Store;
use crate::{CoverageRow, Error, Result};

/// Which gaps an uncovered enterprise must have to be listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GapFilter {
    /// Coverage A (产学研合作) missing.
    Cooperation,
    /// Coverage B (研发机构和研发人员) missing.
    InstitutionAndStaff,
    /// One gap, by code (`no_cooperation`, `cooperation_expired`, `no_rd_staff` …).
    Code(String),
}

/// The uncovered list's question, with the filters resolved to what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UncoveredQuery {
    /// The roster year.
    pub year: i32,
    /// The day the rule is evaluated at.
    pub day: NaiveDate,
    /// A town's name or 9-digit code.
    pub town: Option<String>,
    /// The town codes the town filter can match (from [`Store::roster_towns`]): they let the
    /// database read only that town's part of the roster's index.
    pub town_codes: Option<Vec<String>>,
    /// The stored industry values to keep (those that name the chain asked for); `None` keeps
    /// every chain.
    pub industries: Option<Vec<String>>,
    /// Which gaps.
    pub gap: Option<GapFilter>,
    /// A staff login; `Some(None)` keeps the enterprises nobody is responsible for.
    pub owner: Option<Option<String>>,
}

/// Counts of uncovered enterprises by the state of each coverage (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GapGroup {
    /// The state of A: 0 in force, 1 none, 2 not started, 3 ended.
    pub cooperation: u8,
    /// The state of the R&D institution: the same codes.
    pub institution: u8,
    /// Whether the R&D staff is 0.
    pub no_rd_staff: bool,
    /// Enterprises in this group.
    pub count: u64,
}

/// Numbered placeholders, reusable in one statement, on either backend.
pub(crate) fn placeholder(backend: DatabaseBackend, number: usize) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("${number}"),
        _ => format!("?{number}"),
    }
}

/// The per-enterprise states of a roster on a day (one row per enterprise; `{filters}` added
/// to its WHERE by the caller). `year` is an integer and `day` a formatted date: neither can
/// inject anything.
fn states_sql(
    backend: DatabaseBackend,
    year: i32,
    day: NaiveDate,
    filters: &str,
    reach: Reach,
) -> String {
    let truth = match backend {
        DatabaseBackend::Postgres => "true",
        _ => "1",
    };
    let day = day.format("%Y-%m-%d");
    // `LIMIT 1 OFFSET 0` keeps PostgreSQL from turning each EXISTS into a hash of the whole
    // table (what it picks for a query that may visit every enterprise): a page visits a few
    // hundred, each answered by the `enterprise_id` index.
    let fence = match reach {
        Reach::Page => " LIMIT 1 OFFSET 0",
        Reach::Roster => "",
    };
    let state = |table: &str, from: &str, to: &str| {
        format!(
            "CAST(CASE WHEN EXISTS (SELECT 1 FROM {table} t WHERE t.enterprise_id = e.id \
               AND t.{from} <= '{day}' AND (t.{to} IS NULL OR t.{to} >= '{day}'){fence}) THEN 0 \
             WHEN NOT EXISTS (SELECT 1 FROM {table} t WHERE t.enterprise_id = e.id{fence}) THEN 1 \
             WHEN EXISTS (SELECT 1 FROM {table} t WHERE t.enterprise_id = e.id \
               AND t.{from} > '{day}'{fence}) THEN 2 \
             ELSE 3 END AS BIGINT)"
        )
    };
    format!(
        "SELECT e.id, e.town_code, e.sort_key, \
           CAST(CASE WHEN e.rd_staff < 1 THEN 1 ELSE 0 END AS BIGINT) AS no_staff, \
           {} AS a, {} AS b \
         FROM enterprises e \
         WHERE e.above_scale = {truth} AND e.roster_year = {year}{filters}",
        state("partnerships", "valid_from", "valid_to"),
        state("rd_institutions", "recognized_on", "review_due"),
    )
}

/// How much of the roster a query reads, which decides how the database should answer each
/// enterprise's EXISTS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// A page: index lookups for the enterprises visited.
    Page,
    /// The whole roster (a count): whatever the planner likes (hash the terms once).
    Roster,
}

/// The byte order Rust and SQLite compare strings in (and the index of migration 8 is built
/// in) on PostgreSQL.
fn byte_order(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("{column} COLLATE \"C\""),
        _ => column.to_owned(),
    }
}

impl UncoveredQuery {
    /// The uncovered enterprises' states, filtered, with the values to bind.
    fn sql(&self, backend: DatabaseBackend, reach: Reach) -> (String, Vec<Value>) {
        let mut values: Vec<Value> = Vec::new();
        let mut filters = String::new();
        if let Some(town) = &self.town {
            values.push(town.clone().into());
            let number = placeholder(backend, values.len());
            filters.push_str(&format!(
                " AND (e.town = {number} OR e.town_code = {number})"
            ));
        }
        // The town's codes compared as the roster order's index compares them (bytes), so
        // PostgreSQL can start the walk at the town.
        let town_code = byte_order(backend, "e.town_code");
        for (column, allowed) in [
            (town_code.as_str(), &self.town_codes),
            ("e.industry", &self.industries),
        ] {
            let Some(allowed) = allowed else { continue };
            if allowed.is_empty() {
                filters.push_str(" AND 1 = 0");
                continue;
            }
            let mut numbers = Vec::new();
            for value in allowed {
                values.push(value.clone().into());
                numbers.push(placeholder(backend, values.len()));
            }
            filters.push_str(&format!(" AND {column} IN ({})", numbers.join(", ")));
        }
        match &self.owner {
            None => {}
            Some(None) => filters.push_str(" AND (e.owner IS NULL OR e.owner = '')"),
            Some(Some(login)) => {
                values.push(login.clone().into());
                filters.push_str(&format!(
                    " AND e.owner = {}",
                    placeholder(backend, values.len())
                ));
            }
        }
        let gap = match &self.gap {
            None => "",
            Some(GapFilter::Cooperation) => " AND s.a <> 0",
            Some(GapFilter::InstitutionAndStaff) => " AND (s.b <> 0 OR s.no_staff = 1)",
            Some(GapFilter::Code(code)) => match code.as_str() {
                "no_cooperation" => " AND s.a = 1",
                "cooperation_not_started" => " AND s.a = 2",
                "cooperation_expired" => " AND s.a = 3",
                "no_institution" => " AND s.b = 1",
                "institution_not_yet_recognized" => " AND s.b = 2",
                "institution_lapsed" => " AND s.b = 3",
                "no_rd_staff" => " AND s.no_staff = 1",
                _ => " AND 1 = 0",
            },
        };
        let sql = format!(
            "SELECT s.id, s.town_code, s.sort_key, s.a, s.b, s.no_staff FROM ({}) s \
             WHERE (s.a <> 0 OR s.b <> 0 OR s.no_staff = 1){gap}",
            states_sql(backend, self.year, self.day, &filters, reach)
        );
        (sql, values)
    }
}

/// An integer column read as the type it must fit (a count, a coverage state).
pub(crate) fn number_of<T: TryFrom<i64>>(
    row: &sea_orm::QueryResult,
    column: &'static str,
) -> Result<T> {
    let value: i64 = row.try_get("", column)?;
    T::try_from(value).map_err(|_| Error::Corrupt {
        table: "(a count)",
        column,
        reason: format!("{value} out of range"),
    })
}

impl Store {
    /// How many enterprises the uncovered list holds (scans the roster: callers keep it under
    /// the coverage stamp).
    pub async fn uncovered_count(&self, query: &UncoveredQuery) -> Result<u64> {
        let backend = self.database.get_database_backend();
        let (sql, values) = query.sql(backend, Reach::Roster);
        let row = self
            .database
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                format!("SELECT COUNT(*) AS n FROM ({sql}) c"),
                values,
            ))
            .await?;
        match row {
            Some(row) => number_of(&row, "n"),
            None => Ok(0),
        }
    }

    /// One page of the uncovered list, in town-code then pinyin order (then id), with the
    /// page's terms. The database stops after `offset + limit` rows in that order (the index
    /// of migration 8), so a page costs the same however large the roster.
    pub async fn uncovered_rows(
        &self,
        query: &UncoveredQuery,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<CoverageRow>> {
        let backend = self.database.get_database_backend();
        let (sql, values) = query.sql(backend, Reach::Page);
        // Both are integers: formatting them in cannot inject anything.
        let sql = format!(
            "{sql} ORDER BY {}, {}, {} LIMIT {limit} OFFSET {offset}",
            byte_order(backend, "s.town_code"),
            byte_order(backend, "s.sort_key"),
            byte_order(backend, "s.id"),
        );
        self.rows_selected(Statement::from_sql_and_values(backend, sql, values))
            .await
    }

    /// The uncovered enterprises counted by the state of each coverage (what the monthly
    /// report's gap counts are made of).
    pub async fn gap_groups(&self, year: i32, day: NaiveDate) -> Result<Vec<GapGroup>> {
        let backend = self.database.get_database_backend();
        let query = UncoveredQuery {
            year,
            day,
            town: None,
            town_codes: None,
            industries: None,
            gap: None,
            owner: None,
        };
        let (sql, values) = query.sql(backend, Reach::Roster);
        let rows = self
            .database
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT g.a, g.b, g.no_staff, COUNT(*) AS n FROM ({sql}) g \
                     GROUP BY g.a, g.b, g.no_staff"
                ),
                values,
            ))
            .await?;
        rows.iter()
            .map(|row| {
                Ok(GapGroup {
                    cooperation: number_of(row, "a")?,
                    institution: number_of(row, "b")?,
                    no_rd_staff: number_of::<u8>(row, "no_staff")? == 1,
                    count: number_of(row, "n")?,
                })
            })
            .collect()
    }

    /// The enterprises covered on `day` with a partnership or recognition whose last day falls
    /// in `[day, until)` — the only ones that can lose a coverage before `until` — with their
    /// terms, by id.
    pub async fn at_risk_candidates(
        &self,
        year: i32,
        day: NaiveDate,
        until: NaiveDate,
    ) -> Result<Vec<CoverageRow>> {
        let backend = self.database.get_database_backend();
        let (from, to) = (day.format("%Y-%m-%d"), until.format("%Y-%m-%d"));
        // The terms ending in the window are few; the rule then reads only their enterprises.
        let ending = format!(
            "SELECT enterprise_id FROM partnerships WHERE valid_to >= '{from}' AND valid_to < '{to}' \
             UNION SELECT enterprise_id FROM rd_institutions \
               WHERE review_due >= '{from}' AND review_due < '{to}'"
        );
        let sql = format!(
            "SELECT s.id FROM ({}) s WHERE s.a = 0 AND s.b = 0 AND s.no_staff = 0 ORDER BY s.id",
            states_sql(
                backend,
                year,
                day,
                &format!(" AND e.id IN ({ending})"),
                Reach::Page
            )
        );
        // Ids first, then their rows: as one `IN (…)` of this query PostgreSQL planned the
        // terms' aggregate so badly that it took minutes.
        self.rows_selected(Statement::from_string(backend, sql))
            .await
    }

    /// The staff logins responsible for enterprises of a year's roster, sorted.
    pub async fn roster_owners(&self, year: i32) -> Result<Vec<String>> {
        let backend = self.database.get_database_backend();
        let truth = match backend {
            DatabaseBackend::Postgres => "true",
            _ => "1",
        };
        let rows = self
            .database
            .query_all_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT DISTINCT owner FROM enterprises WHERE above_scale = {truth} \
                     AND roster_year = {year} AND owner IS NOT NULL AND owner <> ''"
                ),
            ))
            .await?;
        let mut owners: Vec<String> = rows
            .iter()
            .map(|row| row.try_get("", "owner"))
            .collect::<std::result::Result<_, _>>()?;
        owners.sort_unstable();
        Ok(owners)
    }

    /// The towns of a year's roster as (code, name), sorted.
    pub async fn roster_towns(&self, year: i32) -> Result<Vec<(String, String)>> {
        let backend = self.database.get_database_backend();
        let rows = self
            .database
            .query_all_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT DISTINCT town_code, town FROM enterprises WHERE roster_year = {year}"
                ),
            ))
            .await?;
        let mut towns: Vec<(String, String)> = rows
            .iter()
            .map(|row| Ok((row.try_get("", "town_code")?, row.try_get("", "town")?)))
            .collect::<Result<_>>()?;
        towns.sort_unstable();
        Ok(towns)
    }

    /// The stored industry values of a year's roster (a handful: chain codes, and whatever
    /// older rows hold).
    pub async fn roster_industries(&self, year: i32) -> Result<Vec<String>> {
        let backend = self.database.get_database_backend();
        let rows = self
            .database
            .query_all_raw(Statement::from_string(
                backend,
                format!("SELECT DISTINCT industry FROM enterprises WHERE roster_year = {year}"),
            ))
            .await?;
        rows.iter()
            .map(|row| Ok(row.try_get("", "industry")?))
            .collect()
    }

    /// The coverage rows of the enterprises a statement selects (by `id`), in its order.
    async fn rows_selected(&self, statement: Statement) -> Result<Vec<CoverageRow>> {
        let rows = self.database.query_all_raw(statement).await?;
        let ids: Vec<String> = rows
            .iter()
            .map(|row| row.try_get("", "id"))
            .collect::<std::result::Result<_, _>>()?;
        self.coverage_rows_of(&ids).await
    }

    /// The coverage rows of the given enterprises, in the order given (ids not found are left
    /// out), read in chunks that stay under both backends' parameter limits.
    pub async fn coverage_rows_of(&self, ids: &[String]) -> Result<Vec<CoverageRow>> {
        let backend = self.database.get_database_backend();
        let mut found: HashMap<String, CoverageRow> = HashMap::with_capacity(ids.len());
        // 2,000 ids a statement: under SQLite's 32,766 and PostgreSQL's 65,535 parameters.
        for chunk in ids.chunks(2_000) {
            let numbers: Vec<String> = (1..=chunk.len())
                .map(|number| placeholder(backend, number))
                .collect();
            let list = numbers.join(", ");
            let values: Vec<Value> = chunk.iter().map(|id| id.clone().into()).collect();
            let enterprises = self
                .database
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    format!(
                        "SELECT id, name, town_code, town, industry, rd_staff, owner \
                         FROM enterprises WHERE id IN ({list})"
                    ),
                    values.clone(),
                ))
                .await?;
            for row in &enterprises {
                let id: String = row.try_get("", "id")?;
                let rd_staff: i32 = row.try_get("", "rd_staff")?;
                found.insert(
                    id.clone(),
                    CoverageRow {
                        id,
                        name: row.try_get("", "name")?,
                        town_code: row.try_get("", "town_code")?,
                        town: row.try_get("", "town")?,
                        industry: row.try_get("", "industry")?,
                        rd_staff,
                        owner: row.try_get("", "owner")?,
                        partnerships: Vec::new(),
                        institutions: Vec::new(),
                    },
                );
            }
            let terms = [
                (
                    true,
                    format!(
                        "SELECT enterprise_id, CAST(valid_from AS TEXT) AS f, \
                         CAST(valid_to AS TEXT) AS t, partner_kind AS k, partner AS p \
                         FROM partnerships WHERE enterprise_id IN ({list}) ORDER BY id"
                    ),
                ),
                (
                    false,
                    format!(
                        "SELECT enterprise_id, CAST(recognized_on AS TEXT) AS f, \
                         CAST(review_due AS TEXT) AS t, kind AS k, NULL AS p \
                         FROM rd_institutions WHERE enterprise_id IN ({list}) ORDER BY id"
                    ),
                ),
            ];
            for (is_partnership, sql) in terms {
                let rows = self
                    .database
                    .query_all_raw(Statement::from_sql_and_values(backend, sql, values.clone()))
                    .await?;
                for row in &rows {
                    let tuple: TermTuple = (
                        row.try_get("", "enterprise_id")?,
                        row.try_get("", "f")?,
                        row.try_get("", "t")?,
                        row.try_get("", "k")?,
                        row.try_get("", "p")?,
                    );
                    let (enterprise, term) = term_of(tuple, is_partnership)?;
                    if let Some(target) = found.get_mut(&enterprise) {
                        target.add(term, is_partnership);
                    }
                }
            }
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }
}
