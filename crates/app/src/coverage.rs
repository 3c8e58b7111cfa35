//! The two-coverage report: total, by town and by industry chain, for one roster year.
//!
//! The rule itself is `labbridge_domain::coverage`; this module only gathers the roster from
//! the registry, applies the rule to each enterprise and adds the results up.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use labbridge_domain::coverage::{self, Facts, Period, Tally};
use labbridge_domain::model::IndustryChain;
use labbridge_store::entity::enterprise;
use labbridge_store::{CoverageRow, RosterEntry};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{App, Result};

/// One row of a breakdown (a town or an industry chain).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GroupRow {
    /// The town's name (by-town rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub town: Option<String>,
    /// The town's 9-digit division code (by-town rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub town_code: Option<String>,
    /// The industry chain's Chinese label (by-industry rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    /// The industry chain's English code (by-industry rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub industry_code: Option<String>,
    /// Enterprises on the roster.
    pub total: u32,
    /// Enterprises with both coverages.
    pub covered: u32,
    /// Enterprises with A (产学研合作).
    pub cooperation: u32,
    /// Enterprises with B (研发机构 + 研发人员).
    pub institution_and_staff: u32,
    /// covered / total.
    pub rate: f64,
}

/// The report of one year (DESIGN.md's `/api/v1/coverage` shape, plus `reference_date`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CoverageReport {
    /// The roster year.
    pub year: i32,
    /// The day the rule was evaluated at: min(today, 31 Dec of the year).
    #[schema(value_type = String, format = Date)]
    pub reference_date: NaiveDate,
    /// Enterprises on the roster.
    pub total: u32,
    /// Enterprises with both coverages.
    pub covered: u32,
    /// covered / total.
    pub rate: f64,
    /// Enterprises with A.
    pub cooperation: u32,
    /// Enterprises with B.
    pub institution_and_staff: u32,
    /// By town, in division-code order.
    pub by_town: Vec<GroupRow>,
    /// By industry chain, in chain order.
    pub by_industry: Vec<GroupRow>,
}

/// Returns the coverage facts of a roster entry.
pub fn facts_of(entry: &RosterEntry) -> Facts {
    Facts {
        partnerships: entry
            .partnerships
            .iter()
            .map(|partnership| Period {
                from: partnership.valid_from,
                to: partnership.valid_to,
            })
            .collect(),
        institutions: entry
            .institutions
            .iter()
            .map(|institution| Period {
                from: institution.recognized_on,
                to: institution.review_due,
            })
            .collect(),
        rd_staff: u32::try_from(entry.enterprise.rd_staff).unwrap_or(0),
    }
}

/// Returns the coverage facts of a roster row.
pub fn facts_of_row(row: &CoverageRow) -> Facts {
    let periods = |terms: &[labbridge_store::Term]| {
        terms
            .iter()
            .map(|term| Period {
                from: term.from,
                to: term.to,
            })
            .collect()
    };
    Facts {
        partnerships: periods(&row.partnerships),
        institutions: periods(&row.institutions),
        rd_staff: u32::try_from(row.rd_staff).unwrap_or(0),
    }
}

/// What the report groups an enterprise by: its town's code, its town, its chain.
pub type GroupKey<'a> = (&'a str, &'a str, &'a str);

/// The group key of an enterprise row.
pub fn group_key(enterprise: &enterprise::Model) -> GroupKey<'_> {
    (
        &enterprise.town_code,
        &enterprise.town,
        &enterprise.industry,
    )
}

fn group_row(tally: &Tally) -> GroupRow {
    GroupRow {
        town: None,
        town_code: None,
        industry: None,
        industry_code: None,
        total: tally.total,
        covered: tally.covered,
        cooperation: tally.cooperation,
        institution_and_staff: tally.institution_and_staff,
        rate: tally.rate(),
    }
}

/// Builds the report from a roster (pure; the app method below loads the roster).
pub fn report(year: i32, reference_date: NaiveDate, roster: &[RosterEntry]) -> CoverageReport {
    report_of_facts(
        year,
        reference_date,
        roster
            .iter()
            .map(|entry| (group_key(&entry.enterprise), facts_of(entry))),
    )
}

/// Builds the report from the lean roster rows.
pub fn report_of_rows(
    year: i32,
    reference_date: NaiveDate,
    rows: &[CoverageRow],
) -> CoverageReport {
    report_of_facts(
        year,
        reference_date,
        rows.iter().map(|row| {
            (
                (
                    row.town_code.as_str(),
                    row.town.as_str(),
                    row.industry.as_str(),
                ),
                facts_of_row(row),
            )
        }),
    )
}

/// Builds the report from each enterprise's coverage facts (the matcher's forecast changes
/// the facts, not the registry).
pub fn report_of_facts<'a>(
    year: i32,
    reference_date: NaiveDate,
    roster: impl IntoIterator<Item = (GroupKey<'a>, Facts)>,
) -> CoverageReport {
    report_of_tallies(
        year,
        reference_date,
        roster.into_iter().map(|(key, facts)| {
            let mut tally = Tally::default();
            tally.add(&coverage::assess(&facts, reference_date));
            (key, tally)
        }),
    )
}

/// Builds the report from the database's counts by town and chain code
/// ([`labbridge_store::Store::coverage_tallies`]).
pub fn report_of_groups(
    year: i32,
    reference_date: NaiveDate,
    groups: &[labbridge_store::GroupTally],
) -> CoverageReport {
    report_of_tallies(
        year,
        reference_date,
        groups.iter().map(|group| {
            (
                (
                    group.town_code.as_str(),
                    group.town.as_str(),
                    group.industry.as_str(),
                ),
                Tally {
                    total: group.total,
                    covered: group.covered,
                    cooperation: group.cooperation,
                    institution_and_staff: group.institution_and_staff,
                },
            )
        }),
    )
}

fn merge(into: &mut Tally, tally: &Tally) {
    into.total += tally.total;
    into.covered += tally.covered;
    into.cooperation += tally.cooperation;
    into.institution_and_staff += tally.institution_and_staff;
}

/// Adds tallies up by town and by industry chain.
fn report_of_tallies<'a>(
    year: i32,
    reference_date: NaiveDate,
    tallies: impl IntoIterator<Item = (GroupKey<'a>, Tally)>,
) -> CoverageReport {
    let mut total = Tally::default();
    let mut by_town: BTreeMap<(&str, &str), Tally> = BTreeMap::new();
    let mut by_industry: BTreeMap<IndustryChain, Tally> = BTreeMap::new();
    for ((town_code, town, industry), tally) in tallies {
        merge(&mut total, &tally);
        merge(by_town.entry((town_code, town)).or_default(), &tally);
        let chain = IndustryChain::parse(industry).unwrap_or(IndustryChain::Other);
        merge(by_industry.entry(chain).or_default(), &tally);
    }
    CoverageReport {
        year,
        reference_date,
        total: total.total,
        covered: total.covered,
        rate: total.rate(),
        cooperation: total.cooperation,
        institution_and_staff: total.institution_and_staff,
        by_town: by_town
            .into_iter()
            .map(|((code, name), tally)| GroupRow {
                town: Some(name.to_owned()),
                town_code: Some(code.to_owned()),
                ..group_row(&tally)
            })
            .collect(),
        by_industry: by_industry
            .into_iter()
            .map(|(chain, tally)| GroupRow {
                industry: Some(chain.label().to_owned()),
                industry_code: Some(chain.code().to_owned()),
                ..group_row(&tally)
            })
            .collect(),
    }
}

impl App {
    /// Returns the coverage report of a year (default: the latest roster year) as of today.
    ///
    /// Kept under the registry's coverage stamp (see [`crate::stamped`]): a request costs one
    /// read of the stamp until the roster, a partnership or an institution changes.
    pub async fn coverage(&self, year: Option<i32>, today: NaiveDate) -> Result<CoverageReport> {
        let stamp = self.store.coverage_stamp().await?;
        let key = format!("{year:?}|{today}");
        self.coverage_reports
            .get_or_try_compute(stamp, &key, || self.coverage_now(year, today))
            .await
    }

    /// Computes the report in the database (what [`App::coverage`] keeps).
    pub async fn coverage_now(
        &self,
        year: Option<i32>,
        today: NaiveDate,
    ) -> Result<CoverageReport> {
        let year = match year {
            Some(year) => year,
            None => self
                .store
                .roster_years()
                .await?
                .first()
                .copied()
                .unwrap_or_else(|| chrono::Datelike::year(&today)),
        };
        let day = coverage::reference_date(year, today);
        let groups = self.store.coverage_tallies(year, day).await?;
        Ok(report_of_groups(year, day, &groups))
    }

    /// The registry's coverage stamp (for callers that keep values computed from the roster).
    pub async fn coverage_stamp(&self) -> Result<i64> {
        Ok(self.store.coverage_stamp().await?)
    }
}
