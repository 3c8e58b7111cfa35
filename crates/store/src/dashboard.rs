//! What the bureau's dashboard keeps: registry settings, monthly coverage snapshots and the
//! lease of a background job.
//!
//! Each write is one statement whose outcome the database decides, so several `serve`
//! processes on one PostgreSQL agree without a lock of their own: a snapshot row is inserted
//! only if its (month, scope) is new, a setting only if its key is new, and a job is taken by an
//! `UPDATE … WHERE` that matches only while nobody holds an unexpired lease.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::Result;
use crate::entity::{
    coverage_snapshot, enterprise, job, need, partnership, proposal, rd_institution,
    registry_setting,
};
use crate::registry::{RosterEntry, Store};

/// One enterprise with everything its page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct EnterpriseFile {
    /// The enterprise, its R&D institutions and partnerships.
    pub entry: RosterEntry,
    /// Its technical needs.
    pub needs: Vec<need::Model>,
    /// Its proposals, newest first.
    pub proposals: Vec<proposal::Model>,
}

/// The state of a job whose run is under way.
pub const JOB_RUNNING: &str = "running";

/// A proposal no later one of its enterprise beats (by the last change, then the id); the same
/// condition on both backends.
const LATEST: &str = "NOT EXISTS (SELECT 1 FROM proposals later WHERE later.enterprise_id = proposals.enterprise_id AND (later.updated_at > proposals.updated_at OR (later.updated_at = proposals.updated_at AND later.id > proposals.id)))";

impl Store {
    /// Returns a registry setting.
    pub async fn registry_setting(&self, key: &str) -> Result<Option<String>> {
        Ok(registry_setting::Entity::find_by_id(key.to_owned())
            .one(&self.database)
            .await?
            .map(|row| row.value))
    }

    /// Stores a setting unless one is there already; returns the value in force afterwards.
    pub async fn remember_setting(&self, key: &str, value: &str) -> Result<String> {
        let row = registry_setting::ActiveModel {
            key: ActiveValue::Set(key.to_owned()),
            value: ActiveValue::Set(value.to_owned()),
            updated_at: ActiveValue::Set(Utc::now()),
        };
        registry_setting::Entity::insert(row)
            .on_conflict(
                OnConflict::column(registry_setting::Column::Key)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.database)
            .await?;
        Ok(self
            .registry_setting(key)
            .await?
            .unwrap_or_else(|| value.to_owned()))
    }

    /// Returns the county code of an enterprise of the latest roster, if any.
    pub async fn latest_county_code(&self) -> Result<Option<String>> {
        Ok(enterprise::Entity::find()
            .select_only()
            .column(enterprise::Column::CountyCode)
            .order_by_desc(enterprise::Column::RosterYear)
            .into_tuple()
            .one(&self.database)
            .await?)
    }

    /// Returns whether a month's snapshot (scope `all`) exists.
    pub async fn has_snapshot(&self, month: &str) -> Result<bool> {
        Ok(
            coverage_snapshot::Entity::find_by_id((month.to_owned(), "all".to_owned()))
                .one(&self.database)
                .await?
                .is_some(),
        )
    }

    /// Inserts snapshot rows; a (month, scope) already taken is kept as it was. Returns how many
    /// rows were new.
    pub async fn insert_snapshots(&self, rows: Vec<coverage_snapshot::Model>) -> Result<u64> {
        let mut inserted = 0;
        for row in rows {
            let active = coverage_snapshot::ActiveModel {
                month: ActiveValue::Set(row.month),
                scope: ActiveValue::Set(row.scope),
                label: ActiveValue::Set(row.label),
                total: ActiveValue::Set(row.total),
                covered: ActiveValue::Set(row.covered),
                cooperation: ActiveValue::Set(row.cooperation),
                institution_and_staff: ActiveValue::Set(row.institution_and_staff),
                taken_at: ActiveValue::Set(row.taken_at),
            };
            inserted += coverage_snapshot::Entity::insert(active)
                .on_conflict(
                    OnConflict::columns([
                        coverage_snapshot::Column::Month,
                        coverage_snapshot::Column::Scope,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(&self.database)
                .await?;
        }
        Ok(inserted)
    }

    /// Returns the snapshots of one scope, oldest month first.
    pub async fn snapshots(&self, scope: &str) -> Result<Vec<coverage_snapshot::Model>> {
        Ok(coverage_snapshot::Entity::find()
            .filter(coverage_snapshot::Column::Scope.eq(scope))
            .order_by_asc(coverage_snapshot::Column::Month)
            .all(&self.database)
            .await?)
    }

    /// Takes a job for `owner` until `lease_until`, unless another holder's lease is still
    /// running. Returns whether this call took it.
    pub async fn try_start_job(
        &self,
        name: &str,
        owner: &str,
        started_by: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool> {
        let idle = job::ActiveModel {
            name: ActiveValue::Set(name.to_owned()),
            status: ActiveValue::Set("idle".to_owned()),
            owner: ActiveValue::Set(String::new()),
            stage: ActiveValue::Set(String::new()),
            summary: ActiveValue::Set(None),
            error: ActiveValue::Set(None),
            started_by: ActiveValue::Set(String::new()),
            started_at: ActiveValue::Set(now),
            finished_at: ActiveValue::Set(None),
            lease_until: ActiveValue::Set(now),
        };
        job::Entity::insert(idle)
            .on_conflict(
                OnConflict::column(job::Column::Name)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.database)
            .await?;
        let taken = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::value(JOB_RUNNING))
            .col_expr(job::Column::Owner, Expr::value(owner))
            .col_expr(job::Column::Stage, Expr::value("starting"))
            .col_expr(job::Column::Summary, Expr::value(Option::<String>::None))
            .col_expr(job::Column::Error, Expr::value(Option::<String>::None))
            .col_expr(job::Column::StartedBy, Expr::value(started_by))
            .col_expr(job::Column::StartedAt, Expr::value(now))
            .col_expr(
                job::Column::FinishedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(job::Column::LeaseUntil, Expr::value(lease_until))
            .filter(job::Column::Name.eq(name))
            .filter(
                Condition::any()
                    .add(job::Column::Status.ne(JOB_RUNNING))
                    .add(job::Column::LeaseUntil.lt(now)),
            )
            .exec(&self.database)
            .await?;
        Ok(taken.rows_affected == 1)
    }

    /// Records how far the holder got and extends its lease; false when it no longer holds it.
    pub async fn job_progress(
        &self,
        name: &str,
        owner: &str,
        stage: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool> {
        let updated = job::Entity::update_many()
            .col_expr(job::Column::Stage, Expr::value(stage))
            .col_expr(job::Column::LeaseUntil, Expr::value(lease_until))
            .filter(job::Column::Name.eq(name))
            .filter(job::Column::Owner.eq(owner))
            .filter(job::Column::Status.eq(JOB_RUNNING))
            .exec(&self.database)
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// Ends the holder's run with a status (`done`, `failed`), a summary or an error.
    pub async fn finish_job(
        &self,
        name: &str,
        owner: &str,
        status: &str,
        summary: Option<String>,
        error: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let updated = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::value(status))
            .col_expr(job::Column::Stage, Expr::value(status))
            .col_expr(job::Column::Summary, Expr::value(summary))
            .col_expr(job::Column::Error, Expr::value(error))
            .col_expr(job::Column::FinishedAt, Expr::value(Some(now)))
            .col_expr(job::Column::LeaseUntil, Expr::value(now))
            .filter(job::Column::Name.eq(name))
            .filter(job::Column::Owner.eq(owner))
            .exec(&self.database)
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// Loads one enterprise with its institutions, partnerships, needs and proposals.
    pub async fn enterprise_file(&self, id: &str) -> Result<Option<EnterpriseFile>> {
        let database = &self.database;
        let Some(enterprise) = enterprise::Entity::find_by_id(id.to_owned())
            .one(database)
            .await?
        else {
            return Ok(None);
        };
        let institutions = rd_institution::Entity::find()
            .filter(rd_institution::Column::EnterpriseId.eq(id))
            .order_by_asc(rd_institution::Column::RecognizedOn)
            .all(database)
            .await?;
        let partnerships = partnership::Entity::find()
            .filter(partnership::Column::EnterpriseId.eq(id))
            .order_by_desc(partnership::Column::ValidFrom)
            .all(database)
            .await?;
        let needs = need::Entity::find()
            .filter(need::Column::EnterpriseId.eq(id))
            .order_by_asc(need::Column::Id)
            .all(database)
            .await?;
        let proposals = proposal::Entity::find()
            .filter(proposal::Column::EnterpriseId.eq(id))
            .order_by_desc(proposal::Column::UpdatedAt)
            .order_by_desc(proposal::Column::Id)
            .all(database)
            .await?;
        Ok(Some(EnterpriseFile {
            entry: RosterEntry {
                enterprise,
                institutions,
                partnerships,
            },
            needs,
            proposals,
        }))
    }

    /// Returns each enterprise's most recent proposal (latest change, then highest id).
    pub async fn latest_proposals(&self) -> Result<Vec<proposal::Model>> {
        Ok(proposal::Entity::find()
            .filter(Expr::cust(LATEST))
            .all(&self.database)
            .await?)
    }

    /// The latest proposal of each of the given enterprises that has one (a page's worth).
    pub async fn latest_proposals_of(&self, ids: &[String]) -> Result<Vec<proposal::Model>> {
        let mut latest = Vec::new();
        for chunk in ids.chunks(500) {
            latest.extend(
                proposal::Entity::find()
                    .filter(proposal::Column::EnterpriseId.is_in(chunk.iter().cloned()))
                    .filter(Expr::cust(LATEST))
                    .all(&self.database)
                    .await?,
            );
        }
        Ok(latest)
    }

    /// Returns every partnership, by enterprise then start.
    pub async fn partnerships(&self) -> Result<Vec<partnership::Model>> {
        Ok(partnership::Entity::find()
            .order_by_asc(partnership::Column::EnterpriseId)
            .order_by_asc(partnership::Column::ValidFrom)
            .all(&self.database)
            .await?)
    }

    /// Returns a job's row.
    pub async fn job(&self, name: &str) -> Result<Option<job::Model>> {
        Ok(job::Entity::find_by_id(name.to_owned())
            .one(&self.database)
            .await?)
    }
}
