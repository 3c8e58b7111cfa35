//! The bureau's dashboard: who is uncovered and why (in plain words, with the date the gap
//! began), who will lose a coverage before the year ends, and the monthly trend.
//!
//! Everything here is derived from the registry with the one coverage rule of
//! `labbridge_domain::coverage`; the only state of its own is the monthly snapshot, because a
//! roster that changes cannot be re-evaluated for a past month.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use labbridge_domain::coverage::{self, Assessment, Facts, Gap, Period};
use labbridge_domain::model::IndustryChain;
use labbridge_store::entity::{coverage_snapshot, proposal};
use labbridge_store::{CoverageRow, EnterpriseFile, GapFilter, UncoveredQuery};
use serde::Serialize;
use utoipa::ToSchema;

use crate::coverage::{CoverageReport, facts_of, facts_of_row, report_of_rows};
use crate::sort::pinyin_key;
use crate::{App, Result};

/// Which coverage a gap is in: `cooperation` (A) or `institution_and_staff` (B).
pub fn coverage_of(gap: Gap) -> &'static str {
    match gap {
        Gap::NoCooperation | Gap::CooperationExpired | Gap::CooperationNotStarted => "cooperation",
        _ => "institution_and_staff",
    }
}

/// One missing coverage, said plainly.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GapView {
    /// `cooperation` (产学研合作) or `institution_and_staff` (研发机构和研发人员).
    pub coverage: &'static str,
    /// The gap's code (`no_cooperation`, `cooperation_expired`, `institution_lapsed` …).
    #[schema(value_type = String)]
    pub code: Gap,
    /// What is missing and since when, in Chinese (合作已于 2026-03-31 到期).
    pub reason: String,
    /// The same in English.
    pub reason_en: String,
    /// The day the gap began (the last day of the expired term), when there is one.
    #[schema(value_type = Option<String>, format = Date)]
    pub since: Option<NaiveDate>,
}

/// Explains an enterprise's gaps at a reference date, with the dates behind them.
pub fn explain(facts: &Facts, assessment: &Assessment, day: NaiveDate) -> Vec<GapView> {
    let last_end = |ends: Vec<Option<NaiveDate>>| ends.into_iter().flatten().max();
    assessment
        .gaps
        .iter()
        .map(|&gap| {
            let (reason, reason_en, since) = match gap {
                Gap::NoCooperation => (
                    "从未开展产学研合作".to_owned(),
                    "has never cooperated with a university or institute".to_owned(),
                    None,
                ),
                Gap::CooperationExpired => {
                    let end = last_end(facts.partnerships.iter().map(|p| p.to).collect());
                    match end {
                        Some(end) => (
                            format!("合作已于 {end} 到期"),
                            format!("cooperation ended on {end}"),
                            Some(end),
                        ),
                        None => (
                            "合作已到期".to_owned(),
                            "cooperation ended".to_owned(),
                            None,
                        ),
                    }
                }
                Gap::CooperationNotStarted => {
                    let start = facts
                        .partnerships
                        .iter()
                        .map(|p| p.from)
                        .filter(|from| *from > day)
                        .min();
                    match start {
                        Some(start) => (
                            format!("合作将于 {start} 生效"),
                            format!("cooperation starts on {start}"),
                            None,
                        ),
                        None => (
                            "合作尚未生效".to_owned(),
                            "cooperation not in force yet".to_owned(),
                            None,
                        ),
                    }
                }
                Gap::NoInstitution => (
                    "没有研发机构".to_owned(),
                    "has no R&D institution".to_owned(),
                    None,
                ),
                Gap::InstitutionLapsed => {
                    let due = last_end(facts.institutions.iter().map(|i| i.to).collect());
                    match due {
                        Some(due) => (
                            format!("研发机构认定复审逾期（复审期限 {due}）"),
                            format!("R&D institution's review overdue (due {due})"),
                            Some(due),
                        ),
                        None => (
                            "研发机构认定复审逾期".to_owned(),
                            "R&D institution's review overdue".to_owned(),
                            None,
                        ),
                    }
                }
                Gap::InstitutionNotYetRecognized => {
                    let start = facts
                        .institutions
                        .iter()
                        .map(|i| i.from)
                        .filter(|from| *from > day)
                        .min();
                    match start {
                        Some(start) => (
                            format!("研发机构将于 {start} 认定生效"),
                            format!("R&D institution recognised from {start}"),
                            None,
                        ),
                        None => (
                            "研发机构尚未认定".to_owned(),
                            "R&D institution not recognised yet".to_owned(),
                            None,
                        ),
                    }
                }
                Gap::NoRdStaff => ("研发人员为 0".to_owned(), "no R&D staff".to_owned(), None),
            };
            GapView {
                coverage: coverage_of(gap),
                code: gap,
                reason,
                reason_en,
                since,
            }
        })
        .collect()
}

/// An enterprise's most recent proposal.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LatestProposal {
    /// The proposal's id.
    pub id: i64,
    /// Its status code (`proposed`, `sent`, `accepted` …).
    pub status: String,
    /// `lab` or `expert`.
    pub partner_kind: String,
    /// The partner's id.
    pub partner_id: String,
    /// The partner's name.
    pub partner: String,
    /// When it last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::DateTime<Utc>,
}

/// An enterprise on the roster without both coverages.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UncoveredEnterprise {
    /// The enterprise's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its town.
    pub town: String,
    /// The town's 9-digit code.
    pub town_code: String,
    /// Its industry chain's Chinese label.
    pub industry: String,
    /// The chain's code.
    pub industry_code: String,
    /// The responsible staff member's login.
    pub owner: Option<String>,
    /// … and name, when the account exists.
    pub owner_name: Option<String>,
    /// What it lacks.
    pub gaps: Vec<GapView>,
    /// Its latest proposal.
    pub latest_proposal: Option<LatestProposal>,
}

/// The uncovered list.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UncoveredList {
    /// The roster year.
    pub year: i32,
    /// The day the rule was evaluated at.
    #[schema(value_type = String, format = Date)]
    pub reference_date: NaiveDate,
    /// Enterprises listed (after the filters), on every page.
    pub total: usize,
    /// Where this page starts in the list.
    pub offset: u64,
    /// The most rows a page holds.
    pub limit: u64,
    /// The enterprises, by town (division code) then name (pinyin).
    pub enterprises: Vec<UncoveredEnterprise>,
}

/// Which rows of a list a request wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Rows skipped.
    pub offset: u64,
    /// Rows at most.
    pub limit: u64,
}

impl Page {
    /// Rows of a page unless asked otherwise.
    pub const DEFAULT_LIMIT: u64 = 100;
    /// The most rows one request may ask for.
    pub const MAX_LIMIT: u64 = 1_000;
    /// The deepest offset a request may ask for (a clerk narrows the filters long before).
    pub const MAX_OFFSET: u64 = 1_000_000;

    /// The first page of the default size.
    pub fn first() -> Self {
        Self {
            offset: 0,
            limit: Self::DEFAULT_LIMIT,
        }
    }
}

/// Filters of the uncovered list; each matches a code or a label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UncoveredFilter {
    /// A town's name or 9-digit code.
    pub town: Option<String>,
    /// A chain's code (`aluminium`) or label (铝型材).
    pub industry: Option<String>,
    /// `cooperation`, `institution_and_staff`, or a gap code (`no_rd_staff` …).
    pub gap: Option<String>,
    /// A staff login; `none` for enterprises without one.
    pub owner: Option<String>,
}

fn gap_code(gap: Gap) -> String {
    serde_json::to_value(gap)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A filter's value, trimmed; `None` when absent or blank.
fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

impl UncoveredFilter {
    fn keeps(&self, enterprise: &CoverageRow, chain: IndustryChain, gaps: &[GapView]) -> bool {
        if let Some(town) = given(&self.town)
            && town != enterprise.town
            && town != enterprise.town_code
        {
            return false;
        }
        if let Some(industry) = given(&self.industry)
            && IndustryChain::parse(&industry).ok() != Some(chain)
        {
            return false;
        }
        if let Some(gap) = given(&self.gap)
            && !gaps
                .iter()
                .any(|view| view.coverage == gap || gap_code(view.code) == gap)
        {
            return false;
        }
        if let Some(owner) = given(&self.owner) {
            let matches = match enterprise.owner.as_deref() {
                None | Some("") => owner == "none",
                Some(login) => owner == login,
            };
            if !matches {
                return false;
            }
        }
        true
    }
}

/// An enterprise covered today that loses a coverage before the year ends.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AtRiskEnterprise {
    /// The enterprise's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its town.
    pub town: String,
    /// Its industry chain's Chinese label.
    pub industry: String,
    /// The coverage it loses first: `cooperation` or `institution_and_staff`.
    pub coverage: &'static str,
    /// The first day without it.
    #[schema(value_type = String, format = Date)]
    pub loses_on: NaiveDate,
    /// Why, in Chinese (与 某某 的合作于 2026-12-15 到期).
    pub cause: String,
    /// The same in English.
    pub cause_en: String,
    /// The partner to renew with (续签), when a partnership ends: `lab:ID` or `expert:ID`.
    pub renew_with: Option<String>,
}

/// Coverage at risk this year.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AtRisk {
    /// The roster year.
    pub year: i32,
    /// The roster's size.
    pub total: u32,
    /// Covered today.
    pub covered_today: u32,
    /// Covered on 31 December if nothing is done.
    pub forecast_covered: u32,
    /// forecast_covered / total.
    pub forecast_rate: f64,
    /// Enterprises at risk, on every page.
    pub at_risk: usize,
    /// Where this page starts in the list.
    pub offset: u64,
    /// The most rows a page holds.
    pub limit: u64,
    /// The enterprises, by the day they lose a coverage.
    pub enterprises: Vec<AtRiskEnterprise>,
}

impl AtRisk {
    /// The list cut to one page (the figures stay the whole roster's).
    pub fn paged(mut self, page: Page) -> Self {
        let skip = usize::try_from(page.offset).unwrap_or(usize::MAX);
        let take = usize::try_from(page.limit).unwrap_or(usize::MAX);
        self.enterprises = self.enterprises.into_iter().skip(skip).take(take).collect();
        self.offset = page.offset;
        self.limit = page.limit;
        self
    }
}

/// One month of the trend.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrendMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Enterprises on the roster.
    pub total: u32,
    /// Covered.
    pub covered: u32,
    /// covered / total.
    pub rate: f64,
}

/// The trend of one scope.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Trend {
    /// `all`, `town:<code>` or `industry:<code>`.
    pub scope: String,
    /// Oldest first.
    pub months: Vec<TrendMonth>,
}

/// The first day a coverage is lost within (after `today`, up to `until`), and which.
fn first_loss(
    facts: &Facts,
    today: NaiveDate,
    until: NaiveDate,
) -> Option<(NaiveDate, &'static str)> {
    let mut days: Vec<NaiveDate> = facts
        .partnerships
        .iter()
        .chain(facts.institutions.iter())
        .filter_map(|period: &Period| period.to)
        .filter(|to| *to >= today && *to < until)
        .filter_map(|to| to.checked_add_signed(Duration::days(1)))
        .collect();
    days.sort_unstable();
    days.dedup();
    days.into_iter().find_map(|day| {
        let assessment = coverage::assess(facts, day);
        if !assessment.cooperation {
            Some((day, "cooperation"))
        } else if !assessment.institution_and_staff {
            Some((day, "institution_and_staff"))
        } else {
            None
        }
    })
}

/// The month (`YYYY-MM`) of a day.
pub fn month_of(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

/// The snapshot rows of a report: the county, each town, each chain.
pub fn snapshot_rows(month: &str, report: &CoverageReport) -> Vec<coverage_snapshot::Model> {
    let now = Utc::now();
    let row = |scope: String, label: String, total, covered, cooperation, institution| {
        coverage_snapshot::Model {
            month: month.to_owned(),
            scope,
            label,
            total: i32::try_from(total).unwrap_or(i32::MAX),
            covered: i32::try_from(covered).unwrap_or(i32::MAX),
            cooperation: i32::try_from(cooperation).unwrap_or(i32::MAX),
            institution_and_staff: i32::try_from(institution).unwrap_or(i32::MAX),
            taken_at: now,
        }
    };
    let mut rows = vec![row(
        "all".to_owned(),
        String::new(),
        report.total,
        report.covered,
        report.cooperation,
        report.institution_and_staff,
    )];
    for town in &report.by_town {
        rows.push(row(
            format!("town:{}", town.town_code.clone().unwrap_or_default()),
            town.town.clone().unwrap_or_default(),
            town.total,
            town.covered,
            town.cooperation,
            town.institution_and_staff,
        ));
    }
    for chain in &report.by_industry {
        rows.push(row(
            format!(
                "industry:{}",
                chain.industry_code.clone().unwrap_or_default()
            ),
            chain.industry.clone().unwrap_or_default(),
            chain.total,
            chain.covered,
            chain.cooperation,
            chain.institution_and_staff,
        ));
    }
    rows
}

fn institution_label(kind: &str) -> String {
    labbridge_domain::model::RdInstitutionKind::parse(kind)
        .map(|kind| kind.label().to_owned())
        .unwrap_or_else(|_| kind.to_owned())
}

impl App {
    /// Names of labs and experts by (`lab`|`expert`, id), read for the ids asked only (other
    /// kinds are left out: an institution partner is named already).
    pub async fn partner_names(
        &self,
        wanted: Vec<(String, String)>,
    ) -> Result<HashMap<(String, String), String>> {
        let (mut labs, mut experts) = (Vec::new(), Vec::new());
        for (kind, id) in wanted {
            match kind.as_str() {
                "lab" => labs.push(id),
                "expert" => experts.push(id),
                _ => {}
            }
        }
        for ids in [&mut labs, &mut experts] {
            ids.sort_unstable();
            ids.dedup();
        }
        let mut names = HashMap::new();
        for lab in self.store.labs_by_ids(&labs).await? {
            names.insert(("lab".to_owned(), lab.id), lab.name);
        }
        for expert in self.store.experts_by_ids(&experts).await? {
            names.insert(("expert".to_owned(), expert.id), expert.name);
        }
        Ok(names)
    }
}

fn name_of(names: &HashMap<(String, String), String>, kind: &str, id: &str) -> String {
    names
        .get(&(kind.to_owned(), id.to_owned()))
        .cloned()
        .unwrap_or_else(|| id.to_owned())
}

/// The roster of the latest year, as the dashboard reads it.
#[derive(Debug, Clone)]
pub struct Roster {
    /// The roster year.
    pub year: i32,
    /// The day the rule is evaluated at.
    pub day: NaiveDate,
    /// The enterprises, by id.
    pub rows: Vec<CoverageRow>,
}

impl App {
    /// Reads the latest roster once, for any of the lists below.
    pub async fn roster_now(&self, today: NaiveDate) -> Result<Roster> {
        let year = self
            .store
            .roster_years()
            .await?
            .first()
            .copied()
            .unwrap_or_else(|| today.year());
        Ok(Roster {
            year,
            day: coverage::reference_date(year, today),
            rows: self.store.coverage_rows(year).await?,
        })
    }

    /// One page of the enterprises on the latest roster without both coverages, with the
    /// reasons: the database applies the rule and the filters and orders the list (town code,
    /// then pinyin); only the page's enterprises, their terms and their latest proposals are
    /// read. The count is kept under the coverage stamp.
    pub async fn uncovered(
        &self,
        filter: &UncoveredFilter,
        page: Page,
        today: NaiveDate,
    ) -> Result<UncoveredList> {
        let (year, day) = self.latest_roster(today).await?;
        let query = self.uncovered_query(filter, year, day).await?;
        let stamp = self.store.coverage_stamp().await?;
        let key = format!("{query:?}");
        let total = self
            .uncovered_counts
            .get_or_try_compute(stamp, &key, || async {
                Ok::<_, crate::Error>(self.store.uncovered_count(&query).await?)
            })
            .await?;
        let rows = self
            .store
            .uncovered_rows(&query, page.offset, page.limit)
            .await?;
        let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
        let latest = self.store.latest_proposals_of(&ids).await?;
        let kept = rows
            .iter()
            .map(|row| {
                let facts = facts_of_row(row);
                let assessment = coverage::assess(&facts, day);
                let chain = IndustryChain::parse(&row.industry).unwrap_or(IndustryChain::Other);
                (row, chain, explain(&facts, &assessment, day))
            })
            .collect();
        let enterprises = self.describe_uncovered(kept, latest).await?;
        Ok(UncoveredList {
            year,
            reference_date: day,
            total: usize::try_from(total).unwrap_or(usize::MAX),
            offset: page.offset,
            limit: page.limit,
            enterprises,
        })
    }

    /// The latest roster year and its reference day (kept under the coverage stamp).
    pub async fn latest_roster(&self, today: NaiveDate) -> Result<(i32, NaiveDate)> {
        let stamp = self.store.coverage_stamp().await?;
        let year = self
            .roster_year
            .get_or_try_compute(stamp, "latest", || async {
                Ok::<_, crate::Error>(
                    self.store
                        .roster_years()
                        .await?
                        .first()
                        .copied()
                        .unwrap_or_else(|| today.year()),
                )
            })
            .await?;
        Ok((year, coverage::reference_date(year, today)))
    }

    /// The staff logins responsible for enterprises of a year's roster (kept under the
    /// coverage stamp).
    pub async fn roster_owners(&self, year: i32) -> Result<Vec<String>> {
        let stamp = self.store.coverage_stamp().await?;
        self.roster_lists
            .get_or_try_compute(stamp, &format!("owners|{year}"), || async {
                Ok::<_, crate::Error>(self.store.roster_owners(year).await?)
            })
            .await
    }

    /// The towns of a year's roster as (code, name), by code (kept under the coverage stamp).
    pub async fn roster_towns(&self, year: i32) -> Result<Vec<(String, String)>> {
        let stamp = self.store.coverage_stamp().await?;
        let pairs = self
            .roster_lists
            .get_or_try_compute(stamp, &format!("towns|{year}"), || async {
                Ok::<_, crate::Error>(
                    self.store
                        .roster_towns(year)
                        .await?
                        .into_iter()
                        .map(|(code, name)| format!("{code}\t{name}"))
                        .collect(),
                )
            })
            .await?;
        Ok(pairs
            .iter()
            .filter_map(|pair| pair.split_once('\t'))
            .map(|(code, name)| (code.to_owned(), name.to_owned()))
            .collect())
    }

    /// The filter resolved to what the registry stores: a chain becomes the stored industry
    /// values that name it (so an old row holding 铝材 is found under `aluminium`, as the
    /// report counts it).
    async fn uncovered_query(
        &self,
        filter: &UncoveredFilter,
        year: i32,
        day: NaiveDate,
    ) -> Result<UncoveredQuery> {
        let industries = match given(&filter.industry) {
            None => None,
            Some(industry) => match IndustryChain::parse(&industry) {
                Err(_) => Some(Vec::new()),
                Ok(chain) => {
                    let stamp = self.store.coverage_stamp().await?;
                    let stored = self
                        .roster_lists
                        .get_or_try_compute(stamp, &format!("industries|{year}"), || async {
                            Ok::<_, crate::Error>(self.store.roster_industries(year).await?)
                        })
                        .await?;
                    Some(
                        stored
                            .into_iter()
                            .filter(|value| {
                                IndustryChain::parse(value).unwrap_or(IndustryChain::Other) == chain
                            })
                            .collect(),
                    )
                }
            },
        };
        let town = given(&filter.town);
        let town_codes = match &town {
            None => None,
            Some(town) => {
                let towns = self.roster_towns(year).await?;
                let mut codes: Vec<String> = towns
                    .into_iter()
                    .filter(|(code, name)| code == town || name == town)
                    .map(|(code, _)| code)
                    .collect();
                codes.dedup();
                Some(codes)
            }
        };
        let gap = given(&filter.gap).map(|gap| match gap.as_str() {
            "cooperation" => GapFilter::Cooperation,
            "institution_and_staff" => GapFilter::InstitutionAndStaff,
            _ => GapFilter::Code(gap),
        });
        let owner = given(&filter.owner).map(|owner| (owner != "none").then_some(owner));
        Ok(UncoveredQuery {
            year,
            day,
            town,
            town_codes,
            industries,
            gap,
            owner,
        })
    }

    /// Every enterprise of a roster already read without both coverages (the export's list,
    /// and the tests' independent account of [`App::uncovered`]).
    pub async fn uncovered_of(
        &self,
        roster: &Roster,
        filter: &UncoveredFilter,
    ) -> Result<UncoveredList> {
        let day = roster.day;
        let mut kept = Vec::new();
        for row in &roster.rows {
            let facts = facts_of_row(row);
            let assessment = coverage::assess(&facts, day);
            if assessment.covered() {
                continue;
            }
            let chain = IndustryChain::parse(&row.industry).unwrap_or(IndustryChain::Other);
            let gaps = explain(&facts, &assessment, day);
            if filter.keeps(row, chain, &gaps) {
                kept.push((row, chain, gaps));
            }
        }
        kept.sort_by_cached_key(|(row, _, _)| (row.town_code.clone(), pinyin_key(&row.name)));
        let latest = self.store.latest_proposals().await?;
        let enterprises = self.describe_uncovered(kept, latest).await?;
        let total = enterprises.len();
        Ok(UncoveredList {
            year: roster.year,
            reference_date: day,
            total,
            offset: 0,
            limit: u64::try_from(total).unwrap_or(u64::MAX),
            enterprises,
        })
    }

    /// The rows of the uncovered list, in the order given, with owners' and partners' names.
    async fn describe_uncovered(
        &self,
        kept: Vec<(&CoverageRow, IndustryChain, Vec<GapView>)>,
        latest: Vec<proposal::Model>,
    ) -> Result<Vec<UncoveredEnterprise>> {
        let owners: HashMap<String, String> = self
            .store
            .accounts()
            .await?
            .into_iter()
            .map(|account| (account.login, account.display_name))
            .collect();
        let latest: HashMap<String, proposal::Model> = latest
            .into_iter()
            .map(|proposal| (proposal.enterprise_id.clone(), proposal))
            .collect();
        let wanted: Vec<(String, String)> = kept
            .iter()
            .filter_map(|(row, _, _)| {
                latest
                    .get(&row.id)
                    .map(|proposal| (proposal.partner_kind.clone(), proposal.partner_id.clone()))
            })
            .collect();
        let names = self.partner_names(wanted).await?;
        Ok(kept
            .into_iter()
            .map(|(row, chain, gaps)| {
                let owner = row.owner.clone().filter(|login| !login.is_empty());
                UncoveredEnterprise {
                    id: row.id.clone(),
                    name: row.name.clone(),
                    town: row.town.clone(),
                    town_code: row.town_code.clone(),
                    industry: chain.label().to_owned(),
                    industry_code: chain.code().to_owned(),
                    owner_name: owner.as_ref().and_then(|login| owners.get(login).cloned()),
                    owner,
                    gaps,
                    latest_proposal: latest.get(&row.id).map(|proposal| LatestProposal {
                        id: proposal.id,
                        status: proposal.status.clone(),
                        partner_kind: proposal.partner_kind.clone(),
                        partner_id: proposal.partner_id.clone(),
                        partner: name_of(&names, &proposal.partner_kind, &proposal.partner_id),
                        updated_at: proposal.updated_at,
                    }),
                }
            })
            .collect())
    }

    /// How many uncovered enterprises have each gap (the monthly report), counted by the
    /// database.
    pub async fn gap_counts(&self, today: NaiveDate) -> Result<Vec<(Gap, u64)>> {
        let (year, day) = self.latest_roster(today).await?;
        let stamp = self.store.coverage_stamp().await?;
        self.gap_tallies
            .get_or_try_compute(stamp, &format!("{year}|{day}"), || {
                self.gap_counts_now(year, day)
            })
            .await
    }

    /// [`App::gap_counts`] counted now.
    async fn gap_counts_now(&self, year: i32, day: NaiveDate) -> Result<Vec<(Gap, u64)>> {
        let mut counts: std::collections::BTreeMap<Gap, u64> = Default::default();
        for group in self.store.gap_groups(year, day).await? {
            let state = |state: u8, none: Gap, not_started: Gap, ended: Gap| match state {
                0 => None,
                1 => Some(none),
                2 => Some(not_started),
                _ => Some(ended),
            };
            let gaps = [
                state(
                    group.cooperation,
                    Gap::NoCooperation,
                    Gap::CooperationNotStarted,
                    Gap::CooperationExpired,
                ),
                state(
                    group.institution,
                    Gap::NoInstitution,
                    Gap::InstitutionNotYetRecognized,
                    Gap::InstitutionLapsed,
                ),
                group.no_rd_staff.then_some(Gap::NoRdStaff),
            ];
            for gap in gaps.into_iter().flatten() {
                *counts.entry(gap).or_default() += group.count;
            }
        }
        Ok(counts.into_iter().collect())
    }

    /// Enterprises covered today that lose a coverage before 31 December, and the rate on
    /// that day if nothing is done. The database finds the candidates (covered today, a term
    /// ending before the year does; kept under the coverage stamp) and counts the figures; the
    /// rule decides each candidate.
    pub async fn at_risk(&self, today: NaiveDate) -> Result<AtRisk> {
        let (year, day) = self.latest_roster(today).await?;
        let year_end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(day);
        let now = self.coverage(Some(year), today).await?;
        let at_end = self.coverage(Some(year), year_end).await?;
        let stamp = self.store.coverage_stamp().await?;
        let candidates = self
            .at_risk_rows
            .get_or_try_compute(stamp, &format!("{year}|{day}"), || async {
                Ok::<_, crate::Error>(self.store.at_risk_candidates(year, day, year_end).await?)
            })
            .await?;
        self.at_risk_among(
            (year, day),
            now.total,
            now.covered,
            at_end.covered,
            &candidates,
        )
        .await
    }

    /// [`App::at_risk`] of a roster already read.
    pub async fn at_risk_of(&self, roster: &Roster) -> Result<AtRisk> {
        let (year, day) = (roster.year, roster.day);
        let year_end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(day);
        let (mut covered_today, mut forecast_covered) = (0, 0);
        for row in &roster.rows {
            let facts = facts_of_row(row);
            forecast_covered += u32::from(coverage::assess(&facts, year_end).covered());
            covered_today += u32::from(coverage::assess(&facts, day).covered());
        }
        let total = u32::try_from(roster.rows.len()).unwrap_or(u32::MAX);
        self.at_risk_among(
            (year, day),
            total,
            covered_today,
            forecast_covered,
            &roster.rows,
        )
        .await
    }

    /// The at-risk list among `rows` (any superset of the enterprises at risk), with the
    /// figures given.
    async fn at_risk_among(
        &self,
        (year, day): (i32, NaiveDate),
        total: u32,
        covered_today: u32,
        forecast_covered: u32,
        rows: &[CoverageRow],
    ) -> Result<AtRisk> {
        let year_end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(day);
        let mut losing = Vec::new();
        for row in rows {
            let facts = facts_of_row(row);
            if !coverage::assess(&facts, day).covered() {
                continue;
            }
            if let Some((loses_on, which)) = first_loss(&facts, day, year_end) {
                losing.push((row, loses_on, which));
            }
        }
        let mut wanted: Vec<(String, String)> = Vec::new();
        for (row, loses_on, _) in &losing {
            let last_day = *loses_on - Duration::days(1);
            for term in &row.partnerships {
                if term.to == Some(last_day) {
                    wanted.push((term.kind.clone(), term.partner.clone()));
                }
            }
        }
        let names = self.partner_names(wanted).await?;
        let mut enterprises: Vec<AtRiskEnterprise> = losing
            .into_iter()
            .map(|(row, loses_on, which)| {
                let last_day = loses_on - Duration::days(1);
                let (cause, cause_en, renew_with) = if which == "cooperation" {
                    let ending: Vec<&labbridge_store::Term> = row
                        .partnerships
                        .iter()
                        .filter(|term| term.to == Some(last_day))
                        .collect();
                    let partners: Vec<String> = ending
                        .iter()
                        .map(|term| name_of(&names, &term.kind, &term.partner))
                        .collect();
                    let renew = ending
                        .iter()
                        .find(|term| matches!(term.kind.as_str(), "lab" | "expert"))
                        .map(|term| format!("{}:{}", term.kind, term.partner));
                    (
                        format!("与{}的合作于 {last_day} 到期", partners.join("、")),
                        format!(
                            "cooperation with {} ends on {last_day}",
                            partners.join(", ")
                        ),
                        renew,
                    )
                } else {
                    let lapsing: Vec<String> = row
                        .institutions
                        .iter()
                        .filter(|term| term.to == Some(last_day))
                        .map(|term| institution_label(&term.kind))
                        .collect();
                    if lapsing.is_empty() {
                        (
                            format!("研发机构和研发人员于 {loses_on} 不再满足"),
                            format!("R&D institution and staff lapse on {loses_on}"),
                            None,
                        )
                    } else {
                        (
                            format!("{}复审期限 {last_day}", lapsing.join("、")),
                            format!("review of the R&D institution due {last_day}"),
                            None,
                        )
                    }
                };
                let chain = IndustryChain::parse(&row.industry).unwrap_or(IndustryChain::Other);
                AtRiskEnterprise {
                    id: row.id.clone(),
                    name: row.name.clone(),
                    town: row.town.clone(),
                    industry: chain.label().to_owned(),
                    coverage: which,
                    loses_on,
                    cause,
                    cause_en,
                    renew_with,
                }
            })
            .collect();
        enterprises.sort_by(|left, right| {
            left.loses_on
                .cmp(&right.loses_on)
                .then_with(|| left.id.cmp(&right.id))
        });
        Ok(AtRisk {
            year,
            total,
            covered_today,
            forecast_covered,
            forecast_rate: if total == 0 {
                0.0
            } else {
                f64::from(forecast_covered) / f64::from(total)
            },
            at_risk: enterprises.len(),
            offset: 0,
            limit: u64::try_from(enterprises.len()).unwrap_or(u64::MAX),
            enterprises,
        })
    }

    /// Takes this month's coverage snapshot unless it was taken; returns whether it was new.
    pub async fn take_snapshot(&self, today: NaiveDate) -> Result<bool> {
        let month = month_of(today);
        if self.store.has_snapshot(&month).await? {
            return Ok(false);
        }
        let report = self.coverage(None, today).await?;
        let inserted = self
            .store
            .insert_snapshots(snapshot_rows(&month, &report))
            .await?;
        Ok(inserted > 0)
    }

    /// Fills the months of the roster year before `today` by evaluating the rule at each
    /// month's last day (the demo county, whose history is its partnerships' dates).
    pub async fn backfill_snapshots(&self, today: NaiveDate) -> Result<u64> {
        let roster = self.roster_now(today).await?;
        let year = roster.year;
        let mut inserted = 0;
        for month in 1..today.month().min(13) {
            let Some(first_of_next) = NaiveDate::from_ymd_opt(year, month + 1, 1) else {
                continue;
            };
            let last_day = first_of_next - Duration::days(1);
            if last_day >= today {
                break;
            }
            let report = report_of_rows(year, last_day, &roster.rows);
            inserted += self
                .store
                .insert_snapshots(snapshot_rows(&month_of(last_day), &report))
                .await?;
        }
        Ok(inserted)
    }

    /// The monthly trend of a scope (`all`, `town:<code>`, `industry:<code>`).
    pub async fn trend(&self, scope: &str) -> Result<Trend> {
        let months = self
            .store
            .snapshots(scope)
            .await?
            .into_iter()
            .map(|row| {
                let total = u32::try_from(row.total).unwrap_or(0);
                let covered = u32::try_from(row.covered).unwrap_or(0);
                TrendMonth {
                    month: row.month,
                    total,
                    covered,
                    rate: if total == 0 {
                        0.0
                    } else {
                        f64::from(covered) / f64::from(total)
                    },
                }
            })
            .collect();
        Ok(Trend {
            scope: scope.to_owned(),
            months,
        })
    }

    /// One enterprise's file with its coverage today.
    pub async fn enterprise_file(
        &self,
        id: &str,
        today: NaiveDate,
    ) -> Result<Option<(EnterpriseFile, Assessment, Vec<GapView>)>> {
        let Some(file) = self.store.enterprise_file(id).await? else {
            return Ok(None);
        };
        let day = coverage::reference_date(file.entry.enterprise.roster_year, today);
        let facts = facts_of(&file.entry);
        let assessment = coverage::assess(&facts, day);
        let gaps = explain(&facts, &assessment, day);
        Ok(Some((file, assessment, gaps)))
    }
}

/// The job name of the matcher run.
pub const MATCH_JOB: &str = "match";

/// How long a matcher run holds its lease without a heartbeat; a run whose process died is
/// taken over after this.
pub const MATCH_LEASE_SECS: i64 = 60;

/// A town's coverage before a run and if every proposal were accepted.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct TownForecast {
    /// The town.
    pub town: String,
    /// Enterprises on the roster.
    pub total: u32,
    /// Covered today.
    pub covered: u32,
    /// Covered if every proposal were accepted.
    pub forecast: u32,
}

/// What a matcher run did, kept with the job.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct MatchRunSummary {
    /// Proposals made.
    pub proposals: usize,
    /// Enterprises missing a coverage.
    pub enterprises_with_gaps: usize,
    /// … of which no candidate was found for.
    pub without_candidates: usize,
    /// Enterprises at risk offered a renewal first.
    #[serde(default)]
    pub renewals: usize,
    /// Required partners placed.
    pub required_placed: u64,
    /// Required partners asked for.
    pub required_total: u64,
    /// Covered today.
    pub covered: u32,
    /// Covered if every proposal were accepted.
    pub forecast: u32,
    /// The roster.
    pub total: u32,
    /// By town.
    pub towns: Vec<TownForecast>,
    /// Seconds the run took.
    pub seconds: f64,
}

impl MatchRunSummary {
    /// Summarises a matcher report.
    pub fn of(report: &crate::matching::MatchReport) -> Self {
        Self {
            proposals: report.proposals.len(),
            enterprises_with_gaps: report.enterprises_with_gaps,
            without_candidates: report.without_candidates,
            renewals: report.renewals,
            required_placed: report.required_placed,
            required_total: report.required_total,
            covered: report.before.covered,
            forecast: report.forecast.covered,
            total: report.before.total,
            towns: report
                .before
                .by_town
                .iter()
                .zip(&report.forecast.by_town)
                .map(|(before, after)| TownForecast {
                    town: before.town.clone().unwrap_or_default(),
                    total: before.total,
                    covered: before.covered,
                    forecast: after.covered,
                })
                .collect(),
            seconds: report.seconds,
        }
    }
}

/// The latest matcher run.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MatchRun {
    /// `running`, `done` or `failed`.
    pub status: String,
    /// How far it got (`candidates 32/246`, `assignment`, `writing`).
    pub stage: String,
    /// Who started it.
    pub started_by: String,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub started_at: chrono::DateTime<Utc>,
    /// When it ended.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<chrono::DateTime<Utc>>,
    /// What it did, once done.
    pub summary: Option<MatchRunSummary>,
    /// Why it failed.
    pub error: Option<String>,
}

impl App {
    /// Takes the matcher-run lease for `owner`, or fails with a conflict while another run
    /// (in this process or another on the same registry) holds it.
    pub async fn start_match_run(&self, owner: &str, started_by: &str) -> Result<()> {
        let now = Utc::now();
        let taken = self
            .store
            .try_start_job(
                MATCH_JOB,
                owner,
                started_by,
                now,
                now + Duration::seconds(MATCH_LEASE_SECS),
            )
            .await?;
        if taken {
            Ok(())
        } else {
            Err(crate::Error::Conflict(
                "a matcher run is under way; wait for it to finish (匹配正在运行，请等待完成)"
                    .to_owned(),
            ))
        }
    }

    /// Records a run's stage and renews its lease.
    pub async fn match_run_progress(&self, owner: &str, stage: &str) -> Result<bool> {
        Ok(self
            .store
            .job_progress(
                MATCH_JOB,
                owner,
                stage,
                Utc::now() + Duration::seconds(MATCH_LEASE_SECS),
            )
            .await?)
    }

    /// Ends a run with its outcome.
    pub async fn finish_match_run(
        &self,
        owner: &str,
        outcome: &Result<crate::matching::MatchReport>,
    ) -> Result<()> {
        let (status, summary, error) = match outcome {
            Ok(report) => (
                "done",
                serde_json::to_string(&MatchRunSummary::of(report)).ok(),
                None,
            ),
            Err(error) => ("failed", None, Some(error.to_string())),
        };
        self.store
            .finish_job(MATCH_JOB, owner, status, summary, error, Utc::now())
            .await?;
        Ok(())
    }

    /// The latest matcher run, if any was started.
    pub async fn match_run(&self) -> Result<Option<MatchRun>> {
        Ok(self.store.job(MATCH_JOB).await?.and_then(|job| {
            (job.status != "idle").then(|| MatchRun {
                summary: job
                    .summary
                    .as_deref()
                    .and_then(|text| serde_json::from_str(text).ok()),
                status: if job.status == labbridge_store::JOB_RUNNING
                    && job.lease_until < Utc::now()
                {
                    "failed".to_owned()
                } else {
                    job.status
                },
                stage: job.stage,
                started_by: job.started_by,
                started_at: job.started_at,
                finished_at: job.finished_at,
                error: job.error,
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use labbridge_store::RosterEntry;
    use labbridge_store::entity::{enterprise, partnership, rd_institution};
    use proptest::prelude::*;

    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn entry(
        partnerships: &[(&str, Option<&str>)],
        institutions: &[(&str, Option<&str>)],
    ) -> RosterEntry {
        RosterEntry {
            enterprise: enterprise::Model {
                id: "e1".into(),
                name: "测试企业".into(),
                credit_code: String::new(),
                county_code: "370724".into(),
                town_code: "370724001".into(),
                town: "城关街道".into(),
                industry: "aluminium".into(),
                above_scale: true,
                roster_year: 2026,
                products: "[]".into(),
                rd_staff: 3,
                contact_email: None,
                owner: None,
                content_hash: String::new(),
                updated_at: Utc::now(),
                industry_code: None,
                sort_key: String::new(),
            },
            institutions: institutions
                .iter()
                .enumerate()
                .map(|(index, (from, to))| rd_institution::Model {
                    id: i32::try_from(index).unwrap_or(0),
                    enterprise_id: "e1".into(),
                    kind: "企业技术中心".into(),
                    level: None,
                    number: None,
                    recognized_on: day(from),
                    review_due: to.map(day),
                })
                .collect(),
            partnerships: partnerships
                .iter()
                .enumerate()
                .map(|(index, (from, to))| partnership::Model {
                    id: format!("p{index}"),
                    enterprise_id: "e1".into(),
                    partner_kind: "lab".into(),
                    partner: "lab-1".into(),
                    kind: "技术开发".into(),
                    valid_from: day(from),
                    valid_to: to.map(day),
                    evidence: None,
                    content_hash: String::new(),
                    updated_at: Utc::now(),
                    proposal_id: None,
                    contract_number: None,
                    registration_number: None,
                })
                .collect(),
        }
    }

    #[test]
    fn an_expired_cooperation_says_when() {
        let entry = entry(
            &[("2025-01-01", Some("2026-03-31"))],
            &[("2024-01-01", None)],
        );
        let today = day("2026-06-01");
        let assessment = coverage::assess(&facts_of(&entry), today);
        let gaps = explain(&facts_of(&entry), &assessment, today);
        assert_eq!(gaps.len(), 1);
        assert_eq!(gaps[0].reason, "合作已于 2026-03-31 到期");
        assert_eq!(gaps[0].coverage, "cooperation");
        assert_eq!(gaps[0].since, Some(day("2026-03-31")));
    }

    #[test]
    fn the_first_loss_is_found_among_overlapping_terms() {
        // Two partnerships: the first ends in July, the second runs to October; the
        // institution is reviewed in November. A is lost on 1 October… no: on the day after
        // the second ends.
        let entry = entry(
            &[
                ("2025-01-01", Some("2026-07-31")),
                ("2026-03-01", Some("2026-10-15")),
            ],
            &[("2024-01-01", Some("2026-11-30"))],
        );
        let loss = first_loss(&facts_of(&entry), day("2026-06-01"), day("2026-12-31"));
        assert_eq!(loss, Some((day("2026-10-16"), "cooperation")));
        let renewed = super::tests::entry(
            &[("2025-01-01", None)],
            &[("2024-01-01", Some("2026-11-30"))],
        );
        assert_eq!(
            first_loss(&facts_of(&renewed), day("2026-06-01"), day("2026-12-31")),
            Some((day("2026-12-01"), "institution_and_staff"))
        );
        let safe = super::tests::entry(&[("2025-01-01", None)], &[("2024-01-01", None)]);
        assert_eq!(
            first_loss(&facts_of(&safe), day("2026-06-01"), day("2026-12-31")),
            None
        );
    }

    fn periods() -> impl Strategy<Value = Vec<Period>> {
        // Terms around 2026: starts from 2025 to late 2026, ends anywhere or never.
        prop::collection::vec(
            (0i64..700, prop::option::of(0i64..500)).prop_map(|(start, length)| {
                let from = day("2025-01-01") + Duration::days(start);
                Period {
                    from,
                    to: length.map(|length| from + Duration::days(length)),
                }
            }),
            0..4,
        )
    }

    proptest! {
        /// The first day a coverage is lost, against walking every day to the year's end.
        #[test]
        fn first_loss_is_the_first_failing_day(
            partnerships in periods(),
            institutions in periods(),
            rd_staff in 0u32..3,
            today_offset in 0i64..365,
        ) {
            let facts = Facts { partnerships, institutions, rd_staff };
            let today = day("2026-01-01") + Duration::days(today_offset);
            let until = day("2026-12-31");
            let expected = if coverage::assess(&facts, today).covered() {
                let mut walk = today + Duration::days(1);
                let mut found = None;
                while walk <= until {
                    let assessment = coverage::assess(&facts, walk);
                    if !assessment.cooperation {
                        found = Some((walk, "cooperation"));
                        break;
                    }
                    if !assessment.institution_and_staff {
                        found = Some((walk, "institution_and_staff"));
                        break;
                    }
                    walk += Duration::days(1);
                }
                found
            } else {
                None
            };
            let found = if coverage::assess(&facts, today).covered() {
                first_loss(&facts, today, until)
            } else {
                None
            };
            prop_assert_eq!(found, expected);
        }
    }
}
