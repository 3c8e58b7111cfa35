//! labbridge use cases: what a bureau clerk, an enterprise or the command line asks of the
//! registry, independent of how they ask (HTTP or command line).
//!
//! [`App`] holds the settings and the open [`Store`]; its methods are the use cases:
//! [`App::import_file`] (all-or-nothing imports), [`App::load_demo`] (the demo county) and
//! [`App::coverage`] (the two-coverage report), [`App::run_matcher`] and the proposal loop of
//! [`proposals`] (approve, answers by link, evidence, reminders, the outbox worker). Errors carry an HTTP-free [`ErrorKind`].
//!
//! Place in the graph: depends on `labbridge-domain` and `labbridge-store`; the server and the
//! command line depend on it.
#![warn(missing_docs)]

pub mod accounts;
pub mod assign;
pub mod backup;
pub mod config;
pub mod coverage;
pub mod dashboard;
pub mod demo;
mod error;
pub mod eval;
pub mod export;
pub mod import;
pub mod matching;
pub mod openapi;
pub mod portal;
pub mod proposals;
pub mod search;
/// Sorting Chinese names by pinyin (kept in the domain, where the store computes it too).
pub use labbridge_domain::sort;
pub mod stamped;

pub use config::{Overrides, Settings};
pub use error::{Error, ErrorKind, Result};
pub use labbridge_store::Store;
pub use labbridge_store::entity::expert;
pub use search::level_label;

/// An open labbridge: settings and the registry.
#[derive(Debug, Clone)]
pub struct App {
    /// The settings it was opened with.
    pub settings: Settings,
    /// The registry.
    pub store: Store,
    /// Password checks (argon2, tens of milliseconds of CPU each) allowed at once; an attempt
    /// beyond them is answered "busy" at once instead of queueing without bound.
    password_checks: std::sync::Arc<tokio::sync::Semaphore>,
    /// Coverage reports by year and day, kept while the registry's coverage stamp holds.
    coverage_reports: std::sync::Arc<stamped::StampedCache<coverage::CoverageReport>>,
    /// Counts of the uncovered list by filter, kept under the same stamp.
    uncovered_counts: std::sync::Arc<stamped::StampedCache<u64>>,
    /// The latest roster year, kept under the same stamp.
    roster_year: std::sync::Arc<stamped::StampedCache<i32>>,
    /// Short lists of a roster (its owners, its stored industry values), under the same stamp.
    roster_lists: std::sync::Arc<stamped::StampedCache<Vec<String>>>,
    /// The enterprises that may lose a coverage this year, with their terms, same stamp.
    at_risk_rows: std::sync::Arc<stamped::StampedCache<Vec<labbridge_store::CoverageRow>>>,
    /// The uncovered enterprises counted by gap, same stamp.
    gap_tallies: std::sync::Arc<stamped::StampedCache<Vec<(labbridge_domain::coverage::Gap, u64)>>>,
}

impl App {
    /// Creates the data directory if needed, connects to the registry and migrates it.
    pub async fn open(settings: Settings) -> Result<Self> {
        settings.county()?;
        std::fs::create_dir_all(&settings.data_dir).map_err(|source| Error::Io {
            path: settings.data_dir.display().to_string(),
            source,
        })?;
        let store = Store::connect(&settings.database_url()).await?;
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Ok(Self {
            settings,
            store,
            password_checks: std::sync::Arc::new(tokio::sync::Semaphore::new(2 * cores)),
            coverage_reports: std::sync::Arc::default(),
            uncovered_counts: std::sync::Arc::default(),
            roster_year: std::sync::Arc::default(),
            roster_lists: std::sync::Arc::default(),
            at_risk_rows: std::sync::Arc::default(),
            gap_tallies: std::sync::Arc::default(),
        })
    }
}

/// The registry setting that names the county a deployment serves.
pub const COUNTY_SETTING: &str = "county";

impl App {
    /// Returns the county this deployment serves: the configured one (`LABBRIDGE_COUNTY`,
    /// `--county`), else the one the registry remembers (the demo's, or the first import's; a
    /// registry filled before it remembered one learns it from its latest roster, once).
    pub async fn county(&self) -> Result<Option<&'static labbridge_domain::County>> {
        if let Some(county) = self.settings.county()? {
            return Ok(Some(county));
        }
        let remembered = match self.store.registry_setting(COUNTY_SETTING).await? {
            Some(code) => Some(code),
            None => match self.store.latest_county_code().await? {
                Some(code) => Some(self.store.remember_setting(COUNTY_SETTING, &code).await?),
                None => None,
            },
        };
        match remembered {
            None => Ok(None),
            Some(code) => labbridge_domain::Divisions::embedded()
                .county(&code)
                .map(Some)
                .map_err(|error| Error::Config(format!("the registry's county: {error}"))),
        }
    }

    /// Remembers the county of the first enterprises written, unless one is remembered.
    pub(crate) async fn remember_county(&self, code: &str) -> Result<()> {
        self.store.remember_setting(COUNTY_SETTING, code).await?;
        Ok(())
    }
}

/// Returns today's date in China (UTC+8): the day the coverage rule is evaluated at.
pub fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}
