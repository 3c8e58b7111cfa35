//! `labbridge import KIND FILE`: all-or-nothing imports of the six record kinds.
//!
//! A file is read ([`source`]), every row is validated into registry records ([`records`]),
//! and only when no row has a problem are the records written, in one transaction. A failed
//! import reports every problem as `FILE:ROW: field: reason` and writes nothing. Re-importing
//! an id replaces that record; a content hash per record tells created, updated and unchanged
//! rows apart, and unchanged rows are not written at all.

pub mod columns;
mod reasons;
mod records;
pub mod source;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use labbridge_store::RecordKind;
use serde::Serialize;
use tracing::info;

use crate::{App, Error, Result};
pub use reasons::reason_zh;
pub use records::Prepared;
pub use source::Row;

/// The seven kinds of import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// `enterprises`.
    Enterprises,
    /// `needs`.
    Needs,
    /// `labs`.
    Labs,
    /// `experts`.
    Experts,
    /// `programs`.
    Programs,
    /// `partnerships`.
    Partnerships,
    /// `offers`: technology offers (科技成果).
    Offers,
}

impl ImportKind {
    /// Every kind, in the order a fresh registry should be loaded (references point back).
    pub const ALL: [ImportKind; 7] = [
        ImportKind::Programs,
        ImportKind::Labs,
        ImportKind::Experts,
        ImportKind::Offers,
        ImportKind::Enterprises,
        ImportKind::Needs,
        ImportKind::Partnerships,
    ];

    /// Parses the command-line name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == raw.trim())
    }

    /// Returns the command-line name.
    pub fn name(self) -> &'static str {
        match self {
            ImportKind::Enterprises => "enterprises",
            ImportKind::Needs => "needs",
            ImportKind::Labs => "labs",
            ImportKind::Experts => "experts",
            ImportKind::Programs => "programs",
            ImportKind::Partnerships => "partnerships",
            ImportKind::Offers => "offers",
        }
    }

    fn record_kind(self) -> RecordKind {
        match self {
            ImportKind::Enterprises => RecordKind::Enterprises,
            ImportKind::Needs => RecordKind::Needs,
            ImportKind::Labs => RecordKind::Labs,
            ImportKind::Experts => RecordKind::Experts,
            ImportKind::Programs => RecordKind::Programs,
            ImportKind::Partnerships => RecordKind::Partnerships,
            ImportKind::Offers => RecordKind::Offers,
        }
    }

    /// Returns the fields every record must have (DESIGN.md).
    pub fn required_fields(self) -> &'static [&'static str] {
        match self {
            ImportKind::Programs => &["id", "name", "level"],
            ImportKind::Labs | ImportKind::Experts | ImportKind::Offers => &["id", "name"],
            ImportKind::Enterprises => &[
                "id",
                "name",
                "credit_code",
                "town",
                "industry",
                "above_scale",
                "roster_year",
            ],
            ImportKind::Needs => &["id", "enterprise", "title", "description"],
            ImportKind::Partnerships => &[
                "id",
                "enterprise",
                "partner_kind",
                "partner",
                "kind",
                "valid_from",
            ],
        }
    }

    /// Returns whether a field belongs to this kind.
    pub fn accepts(self, field: &str) -> bool {
        let optional: &[&str] = match self {
            ImportKind::Programs => &["description"],
            ImportKind::Labs => &[
                "institution",
                "level",
                "fields",
                "description",
                "province",
                "email",
                "capacity",
            ],
            ImportKind::Experts => &[
                "institution",
                "title",
                "fields",
                "bio",
                "programs",
                "lab",
                "province",
                "email",
                "capacity",
                "open_to_post",
            ],
            ImportKind::Enterprises => &[
                "county",
                "industry_code",
                "products",
                "rd_staff",
                "contact_email",
                "owner",
                "rd_institutions",
                "rd_kind",
                "rd_level",
                "rd_number",
                "rd_recognized_on",
                "rd_review_due",
            ],
            ImportKind::Needs => &["fields", "kind", "status", "confidential"],
            ImportKind::Offers => &[
                "institution",
                "holder",
                "fields",
                "description",
                "patent",
                "price",
            ],
            ImportKind::Partnerships => &["valid_to", "evidence"],
        };
        self.required_fields().contains(&field) || optional.contains(&field)
    }
}

impl fmt::Display for ImportKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// One problem with an import: a file-level one (`row` = `None`) or one of a row's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The JSONL line or spreadsheet row.
    pub row: Option<usize>,
    /// The field, when one is to blame.
    pub field: Option<String>,
    /// What is wrong, and how to fix it where that is clear.
    pub reason: String,
}

impl Problem {
    /// A problem with the whole file.
    pub fn file(reason: String) -> Self {
        Self {
            row: None,
            field: None,
            reason,
        }
    }

    /// A problem with a row (and maybe one of its fields).
    pub fn row(row: usize, field: Option<&str>, reason: String) -> Self {
        Self {
            row: Some(row),
            field: field.map(str::to_owned),
            reason,
        }
    }
}

/// An import that found problems; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportFailure {
    /// The file (as given) or source name.
    pub source_name: String,
    /// Every problem found, in row order.
    pub problems: Vec<Problem>,
}

impl ImportFailure {
    /// Returns one line per problem: `FILE:ROW: field: reason` or `FILE: reason`.
    pub fn lines(&self) -> Vec<String> {
        self.problems
            .iter()
            .map(|problem| match (problem.row, &problem.field) {
                (Some(row), Some(field)) => {
                    format!("{}:{row}: {field}: {}", self.source_name, problem.reason)
                }
                (Some(row), None) => format!("{}:{row}: {}", self.source_name, problem.reason),
                (None, _) => format!("{}: {}", self.source_name, problem.reason),
            })
            .collect()
    }
}

impl fmt::Display for ImportFailure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = self
            .problems
            .iter()
            .filter_map(|problem| problem.row)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        write!(
            formatter,
            "{}: {} problem(s) in {} row(s); nothing was imported",
            self.source_name,
            self.problems.len(),
            rows
        )
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// The kind imported.
    pub kind: Option<ImportKind>,
    /// Records read.
    pub rows: usize,
    /// New ids.
    pub created: usize,
    /// Known ids whose content changed.
    pub updated: usize,
    /// Known ids with identical content (not written).
    pub unchanged: usize,
    /// Notes for the user (encoding, ignored columns).
    pub notes: Vec<String>,
}

/// Whether to draw progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Draw on stderr when it is a terminal.
    Terminal,
    /// Draw nothing.
    Hidden,
}

impl Progress {
    pub(crate) fn bar(self, length: usize, message: &'static str) -> ProgressBar {
        let bar = match self {
            Progress::Terminal => ProgressBar::new(length as u64),
            Progress::Hidden => ProgressBar::hidden(),
        };
        if let Ok(style) =
            ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message);
        bar
    }
}

/// Records per write statement group; also the progress bar's step.
const WRITE_BATCH: usize = 5_000;

/// Rows written by one import beyond which the registry's statistics are refreshed.
const ANALYZE_AFTER: usize = 10_000;

impl App {
    /// Imports a file: reads, validates every row, and writes all records or none.
    ///
    /// The file is read twice as it streams ([`source::stream`]): first every row is checked
    /// and only the problems are kept; then, if there were none, the rows are checked again
    /// and written in batches inside one transaction. Memory holds the ids seen and the
    /// registry's content hashes, not the rows (a province's 1,000,000 experts do not fit in
    /// memory as rows).
    pub async fn import_file(
        &self,
        kind: ImportKind,
        path: &Path,
        progress: Progress,
    ) -> Result<ImportSummary> {
        let source_name = path.display().to_string();
        let context = records::Context::load(self, kind).await?;
        let mut problems = Vec::new();
        let mut rows = 0;
        let bar = progress.bar(0, "checking");
        let mut stream = source::stream(kind, path);
        {
            let mut preparer = records::Preparer::new(kind, &context);
            for item in &mut stream {
                match item {
                    Ok(row) => {
                        rows += 1;
                        if rows % 1024 == 0 {
                            bar.set_position(rows as u64);
                        }
                        preparer.prepare(&row, &mut problems);
                    }
                    Err(problem) => problems.push(problem),
                }
            }
        }
        bar.finish_and_clear();
        refuse_if_any(&source_name, std::mem::take(&mut problems))?;
        let notes = stream.notes;
        let existing = self.store.content_hashes(kind.record_kind()).await?;
        let mut summary = ImportSummary {
            kind: Some(kind),
            rows,
            notes,
            ..ImportSummary::default()
        };
        let mut first_county = None;
        let bar = progress.bar(rows, "writing");
        let transaction = self.store.begin().await?;
        let mut preparer = records::Preparer::new(kind, &context);
        let mut batch = Vec::with_capacity(WRITE_BATCH);
        for item in source::stream(kind, path) {
            // The rows were all good a moment ago: anything else means the file changed.
            let changed = || {
                Error::Conflict(format!(
                    "{source_name} changed while it was imported; nothing was written"
                ))
            };
            let row = item.map_err(|_| changed())?;
            let record = preparer.prepare(&row, &mut problems).ok_or_else(changed)?;
            if first_county.is_none()
                && let Prepared::Enterprise(record) = &record
            {
                first_county = Some(record.enterprise.county_code.clone());
            }
            if let Some(record) = classify_one(&mut summary, &existing, record) {
                batch.push(record);
            }
            if batch.len() == WRITE_BATCH {
                records::write(&transaction, &batch).await?;
                bar.inc(batch.len() as u64);
                batch.clear();
            }
        }
        records::write(&transaction, &batch).await?;
        bar.finish_and_clear();
        self.finish_import(transaction, summary, first_county).await
    }

    /// Imports rows already read (the demo county uses this with generated rows).
    pub async fn import_rows(
        &self,
        kind: ImportKind,
        source_name: &str,
        rows: Vec<Row>,
        mut problems: Vec<Problem>,
        progress: Progress,
    ) -> Result<ImportSummary> {
        let row_count = rows.len();
        let context = records::Context::load(self, kind).await?;
        let bar = progress.bar(row_count, "checking");
        let prepared = records::prepare(kind, &context, rows, &mut problems, &bar);
        bar.finish_and_clear();
        refuse_if_any(source_name, problems)?;
        let existing = self.store.content_hashes(kind.record_kind()).await?;
        let first_county = prepared.iter().find_map(|record| match record {
            Prepared::Enterprise(record) => Some(record.enterprise.county_code.clone()),
            _ => None,
        });
        let (summary, changed) = classify(kind, row_count, &existing, prepared);
        let bar = progress.bar(changed.len(), "writing");
        let transaction = self.store.begin().await?;
        for batch in changed.chunks(WRITE_BATCH) {
            records::write(&transaction, batch).await?;
            bar.inc(batch.len() as u64);
        }
        bar.finish_and_clear();
        self.finish_import(transaction, summary, first_county).await
    }
}

impl App {
    /// Commits an import's writes, remembers the county of its first enterprise, logs it.
    async fn finish_import(
        &self,
        transaction: labbridge_store::DatabaseTransaction,
        summary: ImportSummary,
        first_county: Option<String>,
    ) -> Result<ImportSummary> {
        transaction
            .commit()
            .await
            .map_err(labbridge_store::Error::from)?;
        if let Some(code) = first_county {
            self.remember_county(&code).await?;
        }
        if let Some(kind) = summary.kind
            && summary.created + summary.updated >= ANALYZE_AFTER
        {
            self.store.analyze(kind.record_kind()).await?;
        }
        info!(
            kind = summary.kind.map(ImportKind::name).unwrap_or_default(),
            created = summary.created,
            updated = summary.updated,
            unchanged = summary.unchanged,
            "import done"
        );
        Ok(summary)
    }
}

/// Refuses an import with every problem found, in row order; nothing was written.
fn refuse_if_any(source_name: &str, mut problems: Vec<Problem>) -> Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    problems.sort_by_key(|problem| problem.row.unwrap_or(0));
    Err(ImportFailure {
        source_name: source_name.to_owned(),
        problems,
    }
    .into())
}

fn classify(
    kind: ImportKind,
    rows: usize,
    existing: &HashMap<String, String>,
    prepared: Vec<Prepared>,
) -> (ImportSummary, Vec<Prepared>) {
    let mut summary = ImportSummary {
        kind: Some(kind),
        rows,
        ..ImportSummary::default()
    };
    let mut changed = Vec::with_capacity(prepared.len());
    for record in prepared {
        changed.extend(classify_one(&mut summary, existing, record));
    }
    (summary, changed)
}

/// Counts a record as created, updated or unchanged; returns it unless it is unchanged.
fn classify_one(
    summary: &mut ImportSummary,
    existing: &HashMap<String, String>,
    record: Prepared,
) -> Option<Prepared> {
    match existing.get(record.id()) {
        None => summary.created += 1,
        Some(hash) if hash == record.content_hash() => {
            summary.unchanged += 1;
            return None;
        }
        Some(_) => summary.updated += 1,
    }
    Some(record)
}
