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
}
type TermTuple = (String, String, Option<String>, String, Option<String>);

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
                "SELECT {open}id, name, credit_code, town, industry, CASE WHEN above_scale THEN 1 ELSE 0 END, roster_year, rd_staff, products, owner{close} AS rows FROM enterprises"
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
            let column = if is_partnership {
                "partnerships.valid_from"
            } else {
                "rd_institutions.recognized_on"
            };
            for (enterprise, from, to, kind, partner) in terms {
                let Some(&index) = position.get(&enterprise) else {
                    continue;
                };
                let term = Term {
                    from: day(&from, column)?,
                    to: to.as_deref().map(|to| day(to, column)).transpose()?,
                    kind,
                    partner: partner.unwrap_or_default(),
                };
                if is_partnership {
                    rows[index].partnerships.push(term);
                } else {
                    rows[index].institutions.push(term);
                }
            }
        }
        Ok(rows)
    }
}
