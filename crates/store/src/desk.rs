//! The staff desk's proposals, a page at a time: the database filters (town, text, tab),
//! counts the tabs and orders the list (enterprise by pinyin, then best score first) by walking
//! one index (migration 8 keeps each proposal's copy of its enterprise's key); only the page's
//! proposals travel, with the names they are shown with.
//!
//! Why: the desk used to read every proposal, every enterprise's, lab's and expert's name
//! (a million experts at a province) and filter and sort in Rust on each request, to show 200
//! rows. The app's tests hold this to that whole-list account on random desks, on both
//! backends.

use chrono::{DateTime, Utc};
use labbridge_domain::proposal::{DeclineReason, ProposalStatus};
use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, Statement, Value};

use crate::Result;
use crate::entity::proposal;
use crate::registry::Store;
use crate::staff_lists::{number_of, placeholder};

/// A tab of the desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeskTab {
    /// Proposals of one status (a `ProposalStatus` code).
    Status(String),
    /// Sent or accepted by the partner, and unchanged since `silent_before`: no answer yet.
    Silent,
    /// Declined because the need was unclear: staff should help the enterprise say it better.
    FollowUp,
}

/// What the desk shows: the filters, and when silence begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskQuery {
    /// The enterprise's town, exactly.
    pub town: Option<String>,
    /// Text found in the enterprise's name or id, or the partner's name or id.
    pub text: Option<String>,
    /// Proposals awaiting an answer unchanged since this moment are silent.
    pub silent_before: DateTime<Utc>,
}

/// A proposal with the names the desk shows it with (empty when the row is gone).
#[derive(Debug, Clone, PartialEq)]
pub struct DeskRow {
    /// The proposal.
    pub proposal: proposal::Model,
    /// The enterprise's name.
    pub enterprise: String,
    /// The enterprise's town.
    pub town: String,
    /// The partner's name.
    pub partner: String,
    /// The partner's institution.
    pub institution: String,
}

/// How many proposals each tab holds (under the town and text filters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeskCounts {
    /// Every proposal.
    pub all: u64,
    /// By status code.
    pub by_status: Vec<(String, u64)>,
    /// Silent.
    pub silent: u64,
    /// To follow up.
    pub follow_up: u64,
}

/// Where `needle` occurs in `haystack` (0: nowhere), on either backend.
fn position(backend: DatabaseBackend, haystack: &str, needle: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("strpos({haystack}, {needle})"),
        _ => format!("instr({haystack}, {needle})"),
    }
}

const PARTNER_NAME: &str =
    "COALESCE(CASE WHEN p.partner_kind = 'lab' THEN l.name ELSE x.name END, '')";

impl DeskQuery {
    /// The joins and the filters (`FROM … WHERE …`); their values are pushed on `values`, so
    /// a caller's own conditions number theirs after them.
    fn joins_and_filters(&self, backend: DatabaseBackend, values: &mut Vec<Value>) -> String {
        let mut sql = "FROM proposals p \
             LEFT JOIN enterprises e ON e.id = p.enterprise_id \
             LEFT JOIN labs l ON p.partner_kind = 'lab' AND l.id = p.partner_id \
             LEFT JOIN experts x ON p.partner_kind <> 'lab' AND x.id = p.partner_id \
             WHERE 1 = 1"
            .to_owned();
        if let Some(town) = &self.town {
            values.push(town.clone().into());
            sql.push_str(&format!(
                " AND COALESCE(e.town, '') = {}",
                placeholder(backend, values.len())
            ));
        }
        if let Some(text) = &self.text {
            values.push(text.clone().into());
            let number = placeholder(backend, values.len());
            let found = |column: &str| format!("{} > 0", position(backend, column, &number));
            sql.push_str(&format!(
                " AND ({} OR {} OR {} OR {})",
                found("COALESCE(e.name, '')"),
                found("p.enterprise_id"),
                found(PARTNER_NAME),
                found("p.partner_id"),
            ));
        }
        sql
    }

    /// The condition of a tab, with its values.
    fn tab(&self, backend: DatabaseBackend, tab: &DeskTab, values: &mut Vec<Value>) -> String {
        match tab {
            DeskTab::Status(status) => {
                values.push(status.clone().into());
                format!("p.status = {}", placeholder(backend, values.len()))
            }
            DeskTab::Silent => {
                values.push(self.silent_before.into());
                format!(
                    "p.status IN ('{}', '{}') AND p.updated_at <= {}",
                    ProposalStatus::Sent.code(),
                    ProposalStatus::AcceptedByPartner.code(),
                    placeholder(backend, values.len())
                )
            }
            DeskTab::FollowUp => format!(
                "COALESCE(p.decline_reason, '') = '{}'",
                DeclineReason::NeedUnclear.code()
            ),
        }
    }
}

impl Store {
    /// How many proposals each tab of the desk holds.
    pub async fn desk_counts(&self, query: &DeskQuery) -> Result<DeskCounts> {
        let backend = self.database.get_database_backend();
        let mut values = Vec::new();
        let from = query.joins_and_filters(backend, &mut values);
        let silent = query.tab(backend, &DeskTab::Silent, &mut values);
        let follow_up = query.tab(backend, &DeskTab::FollowUp, &mut values);
        let sql = format!(
            "SELECT p.status AS status, COUNT(*) AS n, \
               SUM(CASE WHEN {silent} THEN 1 ELSE 0 END) AS silent, \
               SUM(CASE WHEN {follow_up} THEN 1 ELSE 0 END) AS follow_up \
             {from} GROUP BY p.status ORDER BY p.status"
        );
        let rows = self
            .database
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        let mut counts = DeskCounts::default();
        for row in &rows {
            let n = number_of(row, "n")?;
            counts.all += n;
            counts.silent += number_of::<u64>(row, "silent")?;
            counts.follow_up += number_of::<u64>(row, "follow_up")?;
            counts.by_status.push((row.try_get("", "status")?, n));
        }
        Ok(counts)
    }

    /// One page of a tab of the desk (`None`: every proposal): enterprises in pinyin order
    /// (then id), each one's proposals best first (score to four places, then id).
    pub async fn desk_rows(
        &self,
        query: &DeskQuery,
        tab: Option<&DeskTab>,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<DeskRow>> {
        let backend = self.database.get_database_backend();
        let mut values = Vec::new();
        let mut from = query.joins_and_filters(backend, &mut values);
        if let Some(tab) = tab {
            let condition = query.tab(backend, tab, &mut values);
            from.push_str(&format!(" AND {condition}"));
        }
        let (collate, score) = match backend {
            DatabaseBackend::Postgres => (" COLLATE \"C\"", "round((p.score * 10000)::numeric)"),
            _ => ("", "ROUND(p.score * 10000)"),
        };
        // Both are integers: formatting them in cannot inject anything.
        let sql = format!(
            "SELECT p.*, COALESCE(e.name, '') AS desk_enterprise, COALESCE(e.town, '') AS desk_town, \
               {PARTNER_NAME} AS desk_partner, \
               COALESCE(CASE p.partner_kind WHEN 'lab' THEN l.institution \
                 WHEN 'expert' THEN x.institution END, '') AS desk_institution \
             {from} \
             ORDER BY p.sort_key{collate}, p.enterprise_id{collate}, {score} DESC, p.id \
             LIMIT {limit} OFFSET {offset}"
        );
        let rows = self
            .database
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        rows.iter()
            .map(|row| {
                Ok(DeskRow {
                    proposal: proposal::Model::from_query_result(row, "")?,
                    enterprise: row.try_get("", "desk_enterprise")?,
                    town: row.try_get("", "desk_town")?,
                    partner: row.try_get("", "desk_partner")?,
                    institution: row.try_get("", "desk_institution")?,
                })
            })
            .collect()
    }
}
