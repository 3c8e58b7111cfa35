//! The roster as the coverage rule needs it, in three queries whose results the database
//! hands back as one JSON text each: the enterprises, their partnerships' terms and their R&D
//! institutions' recognitions, joined here.
//!
//! Why: the dashboard reads the whole roster for every report, list and export. Read as
//! entities, row by row, 50,000 enterprises with their terms took 1.5 s on SQLite, nearly all
//! of it the driver's cost per row; correlated subqueries per enterprise were no better. One
//! aggregated value per query (`json_group_array` on SQLite, `json_agg` on PostgreSQL) costs
//! the database tens of milliseconds and the driver nothing per row.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::registry::Store;
use crate::{Error, Result};

/// One partnership's or R&D institution's term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// `valid_from` or `recognized_on`.
    pub from: NaiveDate,
    /// `valid_to` or `review_due`.
    pub to: Option<NaiveDate>,
    /// A partnership's `partner_kind` (`lab`, `expert`, `institution`); an institution's kind.
    pub kind: String,
    /// A partnership's partner (a lab or expert id, an institution's name); empty for an
    /// institution.
    pub partner: String,
}

/// An enterprise of a roster with what the coverage rule and the dashboard's lists use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageRow {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its town's 9-digit code.
    pub town_code: String,
    /// Its town.
    pub town: String,
    /// Its industry chain's code.
    pub industry: String,
    /// Its R&D staff.
    pub rd_staff: i32,
    /// The responsible staff member's login.
    pub owner: Option<String>,
    /// Its partnerships' terms.
    pub partnerships: Vec<Term>,
    /// Its R&D institutions' recognitions.
    pub institutions: Vec<Term>,
}

fn corrupt(column: &'static str, reason: String) -> Error {
    Error::Corrupt {
        table: "enterprises",
        column,
        reason,
    }
}

fn day(text: &str, column: &'static str) -> Result<NaiveDate> {
    text.get(..10)
        .unwrap_or(text)
        .parse::<NaiveDate>()
        .map_err(|error| corrupt(column, format!("'{text}': {error}")))
}

type EnterpriseTuple = (String, String, String, String, String, i64, Option<String>);

/// An enterprise as the roster export lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct EnterpriseListed {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Its town.
    pub town: String,
    /// Its chain's code.
    pub industry: String,
    /// 规上 (1) or not (0).
    pub above_scale: i64,
    /// Its roster year.
    pub roster_year: i64,
    /// Its R&D staff.
    pub rd_staff: i64,
    /// Its products (a JSON list as text).
    pub products: String,
    /// The responsible staff member's login.
    pub owner: Option<String>,
    /// Its GB/T 4754 industry code (`C3252`), when known.
    pub industry_code: Option<String>,
}
/// A term as the queries read it: enterprise, from, to (dates as text), kind, partner.
pub(crate) type TermTuple = (String, String, Option<String>, String, Option<String>);

/// A term read as text, with its enterprise's id.
pub(crate) fn term_of(
    (enterprise, from, to, kind, partner): TermTuple,
    is_partnership: bool,
) -> Result<(String, Term)> {
    let column = if is_partnership {
        "partnerships.valid_from"
    } else {
        "rd_institutions.recognized_on"
    };
    let term = Term {
        from: day(&from, column)?,
        to: to.as_deref().map(|to| day(to, column)).transpose()?,
        kind,
        partner: partner.unwrap_or_default(),
    };
    Ok((enterprise, term))
}

impl CoverageRow {
    /// Adds a partnership's (or an R&D institution's) term.
    pub(crate) fn add(&mut self, term: Term, is_partnership: bool) {
        if is_partnership {
            self.partnerships.push(term);
        } else {
            self.institutions.push(term);
        }
    }
}

/// Coverage counts of the enterprises of one town and industry chain code, as the database
/// counts them (see [`Store::coverage_tallies`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupTally {
    /// The town's 9-digit code.
    pub town_code: String,
    /// The town.
    pub town: String,
    /// The industry chain's code, as stored.
    pub industry: String,
    /// Enterprises on the roster.
    pub total: u32,
    /// With both coverages.
    pub covered: u32,
    /// With A.
    pub cooperation: u32,
    /// With B.
    pub institution_and_staff: u32,
}

impl Store {
    /// The registry's coverage stamp: it moves (in the writing transaction, by triggers of
    /// migration 7) whenever an enterprise, partnership, R&D institution or coverage snapshot
    /// changes. Read it *before* computing from those tables, and keep the result under it.
    pub async fn coverage_stamp(&self) -> Result<i64> {
        let backend = self.database.get_database_backend();
        let row = self
            .database
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT value FROM registry_stamps WHERE name = 'coverage'",
            ))
            .await?
            .ok_or_else(|| Error::Corrupt {
                table: "registry_stamps",
                column: "value",
                reason: "the 'coverage' stamp is missing".to_owned(),
            })?;
        Ok(row.try_get::<i64>("", "value")?)
    }

    /// The coverage rule of `labbridge_domain::coverage`, counted by the database for the
    /// roster of `year` on `day`, by town and industry chain code: one grouped query, so the
    /// cost stays in the database however many enterprises there are (the rows never travel).
    ///
    /// The rule is stated twice — here in SQL, there in Rust for one enterprise's reasons — and
    /// the app's tests hold the two to the same figures on random rosters, on both backends.
    pub async fn coverage_tallies(&self, year: i32, day: NaiveDate) -> Result<Vec<GroupTally>> {
        let backend = self.database.get_database_backend();
        let truth = match backend {
            DatabaseBackend::Postgres => "true",
            _ => "1",
        };
        // `year` is an integer and `day` a formatted date: neither can inject anything.
        let day = day.format("%Y-%m-%d");
        let sql = format!(
            "SELECT e.town_code, e.town, e.industry, \
               COUNT(*) AS total, \
               SUM(CASE WHEN a.enterprise_id IS NOT NULL THEN 1 ELSE 0 END) AS cooperation, \
               SUM(CASE WHEN b.enterprise_id IS NOT NULL AND e.rd_staff >= 1 THEN 1 ELSE 0 END) \
                 AS institution_and_staff, \
               SUM(CASE WHEN a.enterprise_id IS NOT NULL AND b.enterprise_id IS NOT NULL \
                 AND e.rd_staff >= 1 THEN 1 ELSE 0 END) AS covered \
             FROM enterprises e \
             LEFT JOIN (SELECT DISTINCT enterprise_id FROM partnerships \
               WHERE valid_from <= '{day}' AND (valid_to IS NULL OR valid_to >= '{day}')) a \
               ON a.enterprise_id = e.id \
             LEFT JOIN (SELECT DISTINCT enterprise_id FROM rd_institutions \
               WHERE recognized_on <= '{day}' AND (review_due IS NULL OR review_due >= '{day}')) b \
               ON b.enterprise_id = e.id \
             WHERE e.above_scale = {truth} AND e.roster_year = {year} \
             GROUP BY e.town_code, e.town, e.industry"
        );
        let rows = self
            .database
            .query_all_raw(Statement::from_string(backend, sql))
            .await?;
        let count = |row: &sea_orm::QueryResult, column: &'static str| -> Result<u32> {
            let value: i64 = row.try_get("", column)?;
            u32::try_from(value).map_err(|_| Error::Corrupt {
                table: "enterprises",
                column,
                reason: format!("a count of {value}"),
            })
        };
        rows.iter()
            .map(|row| {
                Ok(GroupTally {
                    town_code: row.try_get("", "town_code")?,
                    town: row.try_get("", "town")?,
                    industry: row.try_get("", "industry")?,
                    total: count(row, "total")?,
                    covered: count(row, "covered")?,
                    cooperation: count(row, "cooperation")?,
                    institution_and_staff: count(row, "institution_and_staff")?,
                })
            })
            .collect()
    }

    /// Refreshes PostgreSQL's planner statistics of a kind's tables, after an import wrote
    /// many rows: until autovacuum gets to them the planner takes a table of 400,000 fresh rows
    /// for a few hundred, and picks plans (sorts that spill to disk) that cost seconds. SQLite
    /// needs nothing here.
    pub async fn analyze(&self, kind: crate::RecordKind) -> Result<()> {
        if self.database.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let tables = match kind {
            crate::RecordKind::Enterprises => "enterprises, rd_institutions",
            crate::RecordKind::Needs => "needs",
            crate::RecordKind::Labs => "labs",
            crate::RecordKind::Experts => "experts, expert_programs",
            crate::RecordKind::Programs => "programs",
            crate::RecordKind::Partnerships => "partnerships",
            crate::RecordKind::Offers => "offers",
        };
        self.database
            .execute_unprepared(&format!("ANALYZE {tables}"))
            .await?;
        Ok(())
    }

    /// Runs a query that returns one JSON array as text (`rows`), and decodes it.
    async fn json_rows<T: serde::de::DeserializeOwned>(&self, sql: String) -> Result<Vec<T>> {
        let backend = self.database.get_database_backend();
        let row = self
            .database
            .query_one_raw(Statement::from_string(backend, sql))
            .await?;
        let text: Option<String> = match row {
            Some(row) => row.try_get("", "rows")?,
            None => None,
        };
        match text {
            None => Ok(Vec::new()),
            Some(text) => serde_json::from_str(&text)
                .map_err(|error| corrupt("rows", format!("not the expected JSON: {error}"))),
        }
    }

    /// Every enterprise of every year, newest roster first, then by id (the roster export).
    pub async fn enterprise_list(&self) -> Result<Vec<EnterpriseListed>> {
        let (open, close) = match self.database.get_database_backend() {
            DatabaseBackend::Postgres => ("json_agg(json_build_array(", "))::text"),
            _ => ("json_group_array(json_array(", "))"),
        };
        // Each element is an array in the struct's field order, which serde reads as the
        // struct.
        let mut listed: Vec<EnterpriseListed> = self
            .json_rows(format!(
                "SELECT {open}id, name, credit_code, town, industry, CASE WHEN above_scale THEN 1 ELSE 0 END, roster_year, rd_staff, products, owner, industry_code{close} AS rows FROM enterprises"
            ))
            .await?;
        listed.sort_unstable_by(|left, right| {
            right
                .roster_year
                .cmp(&left.roster_year)
                .then_with(|| left.id.cmp(&right.id))
        });
        Ok(listed)
    }

    /// Reads a year's roster (above scale, that roster year) for the coverage rule, by id.
    pub async fn coverage_rows(&self, year: i32) -> Result<Vec<CoverageRow>> {
        let (open, close, truth) = match self.database.get_database_backend() {
            DatabaseBackend::Postgres => ("json_agg(json_build_array(", "))::text", "true"),
            _ => ("json_group_array(json_array(", "))", "1"),
        };
        // `year` is an integer: formatting it into the text cannot inject anything.
        let roster = format!(
            "SELECT id FROM enterprises WHERE above_scale = {truth} AND roster_year = {year}"
        );
        // Three queries at once: SQLite runs each on a connection of its own thread, so the
        // database builds one aggregate while this task decodes another.
        let (enterprises, partnerships, institutions) = tokio::try_join!(
            self.json_rows::<EnterpriseTuple>(format!(
                "SELECT {open}id, name, town_code, town, industry, rd_staff, owner{close} AS rows FROM enterprises WHERE above_scale = {truth} AND roster_year = {year}"
            )),
            self.json_rows::<TermTuple>(format!(
                "SELECT {open}enterprise_id, CAST(valid_from AS TEXT), CAST(valid_to AS TEXT), partner_kind, partner{close} AS rows FROM partnerships WHERE enterprise_id IN ({roster})"
            )),
            self.json_rows::<TermTuple>(format!(
                "SELECT {open}enterprise_id, CAST(recognized_on AS TEXT), CAST(review_due AS TEXT), kind, NULL{close} AS rows FROM rd_institutions WHERE enterprise_id IN ({roster})"
            )),
        )?;
        let mut rows: Vec<CoverageRow> = enterprises
            .into_iter()
            .map(
                |(id, name, town_code, town, industry, rd_staff, owner)| CoverageRow {
                    id,
                    name,
                    town_code,
                    town,
                    industry,
                    rd_staff: i32::try_from(rd_staff).unwrap_or(i32::MAX),
                    owner,
                    partnerships: Vec::new(),
                    institutions: Vec::new(),
                },
            )
            .collect();
        rows.sort_unstable_by(|left, right| left.id.cmp(&right.id));
        let position: HashMap<String, usize> = rows
            .iter()
            .enumerate()
            .map(|(index, row)| (row.id.clone(), index))
            .collect();
        for (terms, is_partnership) in [(partnerships, true), (institutions, false)] {
            for tuple in terms {
                let (enterprise, term) = term_of(tuple, is_partnership)?;
                let Some(&index) = position.get(&enterprise) else {
                    continue;
                };
                rows[index].add(term, is_partnership);
            }
        }
        Ok(rows)
    }
}
