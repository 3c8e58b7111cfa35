//! The bureau's dashboard over HTTP: the uncovered list, the enterprise page, coverage at
//! risk, the monthly trend, imports and exports in the browser, the printable monthly report
//! and the matcher run from the desk.
//!
//! Staff reach the JSON routes with the staff token or their signed-in session (so a
//! download link works in the browser); the pages need a signed-in staff account and send
//! anyone else to sign in. The import routes call the same use case as `labbridge import`.

use std::sync::{Arc, Mutex};

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use labbridge_app::dashboard::{
    AtRisk, AtRiskEnterprise, MatchRun, Page, Trend, UncoveredEnterprise, UncoveredFilter,
    UncoveredList, month_of,
};
use labbridge_app::export::ExportKind;
use labbridge_app::import::columns::{self, Column};
use labbridge_app::import::{ImportFailure, ImportKind, ImportSummary, Progress};
use labbridge_domain::model::IndustryChain;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::ApiQuery;
use crate::auth::{Caller, DeskPage};
use crate::charts::{self, Bar, Point};
use crate::desk::china_time;
use crate::error::{ApiError, ErrorBody};
use crate::pages::{Lang, Texts, encode, page_href, render};

/// Takes this month's coverage snapshot on the first request of the month (per process; the
/// registry keeps one per month whichever process takes it).
pub(crate) async fn ensure_snapshot(state: &AppState) {
    let today = labbridge_app::today();
    let month = month_of(today);
    if state
        .snapshot_month
        .lock()
        .map(|taken| *taken == month)
        .unwrap_or(false)
    {
        return;
    }
    match state.app.take_snapshot(today).await {
        Ok(_) => {
            if let Ok(mut taken) = state.snapshot_month.lock() {
                *taken = month;
            }
        }
        Err(error) => tracing::warn!(%error, "coverage snapshot failed"),
    }
}

/// A chain's label in the page's language (never its code).
pub(crate) fn chain_label(chain: IndustryChain, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => chain.label(),
        Lang::En => match chain {
            IndustryChain::Aluminium => "Aluminium processing",
            IndustryChain::NewMaterials => "New materials",
            IndustryChain::Equipment => "Machinery and equipment",
            IndustryChain::AutoParts => "Auto parts",
            IndustryChain::Other => "Other",
        },
    }
}

fn coverage_label(coverage: &str, lang: Lang) -> &'static str {
    match (coverage, lang) {
        ("cooperation", Lang::Zh) => "产学研合作",
        ("cooperation", Lang::En) => "University cooperation",
        (_, Lang::Zh) => "研发机构和研发人员",
        (_, Lang::En) => "R&D institution and staff",
    }
}

// ---------------------------------------------------------------------------------------------
// JSON routes

/// Filters of `/api/v1/coverage/uncovered`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UncoveredQuery {
    /// A town's name or 9-digit code.
    pub town: Option<String>,
    /// An industry chain's code (`aluminium`) or label (铝材深加工).
    pub industry: Option<String>,
    /// `cooperation`, `institution_and_staff`, or a gap code such as `no_rd_staff`.
    pub gap: Option<String>,
    /// A staff login, or `none` for enterprises without a responsible staff member.
    pub owner: Option<String>,
    /// The most enterprises to return (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// How many enterprises of the list to skip (default 0).
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<usize>,
}

/// The page a `limit` and `offset` ask for, refused (400) outside their ranges.
fn page_of(limit: Option<usize>, offset: Option<usize>) -> Result<Page, ApiError> {
    let most = usize::try_from(Page::MAX_LIMIT).unwrap_or(usize::MAX);
    let deepest = usize::try_from(Page::MAX_OFFSET).unwrap_or(usize::MAX);
    let default = usize::try_from(Page::DEFAULT_LIMIT).unwrap_or(100);
    let limit = crate::api::bounded(limit, default, 1..=most, "limit")?;
    let offset = crate::api::bounded(offset, 0, 0..=deepest, "offset")?;
    Ok(Page {
        offset: u64::try_from(offset).unwrap_or(u64::MAX),
        limit: u64::try_from(limit).unwrap_or(u64::MAX),
    })
}

impl UncoveredQuery {
    fn filter(&self) -> UncoveredFilter {
        UncoveredFilter {
            town: self.town.clone(),
            industry: self.industry.clone(),
            gap: self.gap.clone(),
            owner: self.owner.clone(),
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/coverage/uncovered",
    params(UncoveredQuery),
    responses(
        (status = 200, description = "A page of the enterprises on the roster without both coverages (by town, then name in pinyin), with what each lacks and since when, and how many there are in all", body = UncoveredList),
        (status = 400, description = "A limit or offset out of range", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
    )
)]
/// The uncovered enterprises (staff).
pub async fn uncovered_api(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<UncoveredQuery>,
) -> Result<Response, ApiError> {
    let page = page_of(query.limit, query.offset)?;
    let list = state
        .app
        .uncovered(&query.filter(), page, labbridge_app::today())
        .await?;
    Ok(Json(list).into_response())
}

/// Paging of `/api/v1/coverage/at-risk`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AtRiskQuery {
    /// The most enterprises to return (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// How many enterprises of the list to skip (default 0).
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/coverage/at-risk",
    params(AtRiskQuery),
    responses(
        (status = 200, description = "A page of the enterprises covered today that lose a coverage before 31 December (by date), how many there are in all, and the rate then if nothing is done", body = AtRisk),
        (status = 400, description = "A limit or offset out of range", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
    )
)]
/// Coverage at risk this year (staff).
pub async fn at_risk_api(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AtRiskQuery>,
) -> Result<Response, ApiError> {
    let page = page_of(query.limit, query.offset)?;
    let risk = state.app.at_risk(labbridge_app::today()).await?;
    Ok(Json(risk.paged(page)).into_response())
}

/// Query of `/api/v1/coverage/trend`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendQuery {
    /// `all` (default), `town:<9-digit code>` or `industry:<chain code>`.
    pub scope: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/coverage/trend",
    params(TrendQuery),
    responses(
        (status = 200, description = "The coverage snapshot of each month, oldest first", body = Trend),
    )
)]
/// The monthly trend of the coverage rate (aggregates only, like `/api/v1/coverage`).
pub async fn trend_api(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<TrendQuery>,
) -> Result<Response, ApiError> {
    ensure_snapshot(&state).await;
    let scope = query
        .scope
        .as_deref()
        .map(str::trim)
        .filter(|scope| !scope.is_empty())
        .unwrap_or("all");
    Ok(Json(state.app.trend(scope).await?).into_response())
}

/// What an import did (`POST /api/v1/imports/{kind}`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportCounts {
    /// New records.
    pub created: usize,
    /// Records whose content changed.
    pub updated: usize,
    /// Records already as given.
    pub unchanged: usize,
    /// Notes (encoding, ignored columns).
    pub notes: Vec<String>,
}

/// One bad row of a refused import.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportProblem {
    /// The spreadsheet row (header = 1) or JSONL line; null for the whole file.
    pub row: Option<usize>,
    /// The field, when one is to blame.
    pub field: Option<String>,
    /// The Chinese column header of that field.
    pub header: Option<String>,
    /// What is wrong.
    pub reason: String,
}

/// A refused import: nothing was written.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportRefused {
    /// `invalid_rows`.
    pub code: &'static str,
    /// A summary.
    pub message: String,
    /// Every problem, in row order.
    pub problems: Vec<ImportProblem>,
}

/// Query of `POST /api/v1/imports/{kind}`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `xlsx`, `csv` or `jsonl`, when the `Content-Type` does not say.
    pub format: Option<String>,
}

fn format_of(
    format: Option<&str>,
    content_type: Option<&str>,
    file_name: Option<&str>,
) -> Option<&'static str> {
    let named = |raw: &str| match raw.trim().trim_start_matches('.').to_lowercase().as_str() {
        "xlsx" => Some("xlsx"),
        "csv" => Some("csv"),
        "jsonl" | "ndjson" | "json" => Some("jsonl"),
        _ => None,
    };
    if let Some(format) = format.and_then(named) {
        return Some(format);
    }
    if let Some(extension) = file_name
        .and_then(|name| name.rsplit_once('.'))
        .and_then(|(_, extension)| named(extension))
    {
        return Some(extension);
    }
    let content_type = content_type?.split(';').next()?.trim().to_lowercase();
    match content_type.as_str() {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some("xlsx"),
        "text/csv" | "application/csv" => Some("csv"),
        "application/x-ndjson" | "application/jsonl" | "application/x-jsonlines" => Some("jsonl"),
        _ => None,
    }
}

/// Imports uploaded bytes through the same use case as `labbridge import`.
async fn import_bytes(
    state: &AppState,
    kind: ImportKind,
    format: &str,
    name: &str,
    bytes: &[u8],
) -> Result<ImportSummary, labbridge_app::Error> {
    let file = tempfile::Builder::new()
        .prefix("upload-")
        .suffix(&format!(".{format}"))
        .tempfile_in(&state.app.settings.data_dir)
        .map_err(|source| labbridge_app::Error::Io {
            path: state.app.settings.data_dir.display().to_string(),
            source,
        })?;
    std::fs::write(file.path(), bytes).map_err(|source| labbridge_app::Error::Io {
        path: file.path().display().to_string(),
        source,
    })?;
    let result = state
        .app
        .import_file(kind, file.path(), Progress::Hidden)
        .await;
    match result {
        Err(labbridge_app::Error::Import(mut failure)) => {
            failure.source_name = name.to_owned();
            Err(labbridge_app::Error::Import(failure))
        }
        other => other,
    }
}

fn problems_of(kind: ImportKind, failure: &ImportFailure) -> Vec<ImportProblem> {
    failure
        .problems
        .iter()
        .map(|problem| ImportProblem {
            row: problem.row,
            header: problem
                .field
                .as_deref()
                .map(|field| field.split(['.', '[']).next().unwrap_or(field))
                .map(|field| columns::header_of(kind, field))
                .filter(|header| !header.is_empty())
                .map(str::to_owned),
            field: problem.field.clone(),
            reason: labbridge_app::import::reason_zh(&problem.reason),
        })
        .collect()
}

fn refused(kind: ImportKind, failure: &ImportFailure) -> ImportRefused {
    let rows = failure
        .problems
        .iter()
        .filter_map(|problem| problem.row)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    ImportRefused {
        code: "invalid_rows",
        message: format!(
            "{} 个问题，涉及 {rows} 行；没有导入任何记录 ({} problem(s) in {rows} row(s); nothing was imported)",
            failure.problems.len(),
            failure.problems.len()
        ),
        problems: problems_of(kind, failure),
    }
}

fn import_kind(raw: &str) -> Result<ImportKind, ApiError> {
    ImportKind::parse(raw).ok_or_else(|| {
        ApiError::not_found(format!(
            "no import kind '{raw}'; one of: enterprises, needs, labs, experts, programs, partnerships"
        ))
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/imports/{kind}",
    params(
        ("kind" = String, Path, description = "enterprises, needs, labs, experts, programs or partnerships"),
        ImportQuery,
    ),
    request_body(content = String, description = "The file itself (.xlsx, .csv or .jsonl), named by Content-Type or ?format=", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "Imported, all rows", body = ImportCounts),
        (status = 422, description = "Bad rows; nothing was written", body = ImportRefused),
        (status = 400, description = "Unknown format", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
        (status = 404, description = "No such kind", body = ErrorBody),
    )
)]
/// Imports a file of one kind, all or nothing (staff).
pub async fn import_api(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let kind = import_kind(&kind)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let Some(format) = format_of(query.format.as_deref(), content_type, None) else {
        return Err(ApiError::invalid(
            "name the file's format: Content-Type (text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/x-ndjson) or ?format=xlsx|csv|jsonl",
        ));
    };
    if body.is_empty() {
        return Err(ApiError::invalid("the body is empty: send the file itself"));
    }
    match import_bytes(&state, kind, format, &format!("upload.{format}"), &body).await {
        Ok(summary) => Ok(Json(ImportCounts {
            created: summary.created,
            updated: summary.updated,
            unchanged: summary.unchanged,
            notes: summary.notes,
        })
        .into_response()),
        Err(labbridge_app::Error::Import(failure)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(refused(kind, &failure)),
        )
            .into_response()),
        Err(other) => Err(other.into()),
    }
}

fn xlsx_response(bytes: Vec<u8>, file_name: &str) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}.xlsx\"; filename*=UTF-8''{}.xlsx",
        file_name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>(),
        encode(file_name)
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[utoipa::path(
    get,
    path = "/api/v1/exports/{file}",
    params(("file" = String, Path, description = "coverage.xlsx, enterprises.xlsx, proposals.xlsx or partnerships.xlsx")),
    responses(
        (status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, description = "Staff only", body = ErrorBody),
        (status = 404, description = "No such export", body = ErrorBody),
    )
)]
/// An XLSX export (staff).
pub async fn export_api(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let kind = file
        .strip_suffix(".xlsx")
        .and_then(ExportKind::parse)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no export '{file}'; one of: coverage.xlsx, enterprises.xlsx, proposals.xlsx, partnerships.xlsx"
            ))
        })?;
    let bytes = state.app.export(kind, labbridge_app::today()).await?;
    let name = format!("{}-{}", kind.label(), labbridge_app::today());
    Ok(xlsx_response(bytes, &name))
}

/// A template of an import kind.
pub async fn template(Path(kind): Path<String>) -> Result<Response, ApiError> {
    let kind = import_kind(kind.trim_end_matches(".xlsx"))?;
    let bytes = columns::template(kind)?;
    Ok(xlsx_response(
        bytes,
        &format!("{}导入模板", columns::kind_label(kind)),
    ))
}

/// Starts a matcher run in the background unless one is under way.
async fn start_run(state: &AppState, started_by: &str) -> Result<(), ApiError> {
    let index = state
        .index
        .clone()
        .ok_or_else(|| ApiError::unavailable("the search index is not open"))?;
    let owner = format!("{}-{}", std::process::id(), rand_suffix());
    state.app.start_match_run(&owner, started_by).await?;
    let app = state.app.clone();
    tokio::spawn(async move {
        let stage = Arc::new(Mutex::new("candidates 0/0".to_owned()));
        let beat_stage = stage.clone();
        let beat_app = app.clone();
        let beat_owner = owner.clone();
        let heartbeat = tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                let current = beat_stage.lock().map(|s| s.clone()).unwrap_or_default();
                if let Err(error) = beat_app.match_run_progress(&beat_owner, &current).await {
                    tracing::warn!(%error, "matcher run heartbeat failed");
                }
            }
        });
        let report_stage = stage.clone();
        let outcome = app
            .run_matcher_reporting(
                &index,
                labbridge_app::today(),
                labbridge_app::matching::MatchOptions::default(),
                &move |name: &str, done: usize, total: usize| {
                    if let Ok(mut current) = report_stage.lock() {
                        *current = if total > 0 {
                            format!("{name} {done}/{total}")
                        } else {
                            name.to_owned()
                        };
                    }
                },
            )
            .await;
        heartbeat.abort();
        if let Err(error) = &outcome {
            tracing::error!(%error, "matcher run failed");
        }
        if let Err(error) = app.finish_match_run(&owner, &outcome).await {
            tracing::error!(%error, "could not record the end of the matcher run");
        }
    });
    Ok(())
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or(0);
    format!("{nanos:x}")
}

#[utoipa::path(
    post,
    path = "/api/v1/match/runs",
    responses(
        (status = 202, description = "The run started in the background", body = MatchRun),
        (status = 409, description = "A run is under way (in this or another server)", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
    )
)]
/// Starts a matcher run (staff); one at a time across every server on the registry.
pub async fn start_run_api(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let caller = caller.login();
    start_run(&state, &caller).await?;
    let run = state.app.match_run().await?;
    Ok((StatusCode::ACCEPTED, Json(run)).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/match/runs/latest",
    responses(
        (status = 200, description = "The latest run: its stage while running, its summary once done", body = MatchRun),
        (status = 404, description = "No run yet", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
    )
)]
/// The latest matcher run (staff).
pub async fn latest_run_api(State(state): State<AppState>) -> Result<Response, ApiError> {
    match state.app.match_run().await? {
        Some(run) => Ok(Json(run).into_response()),
        None => Err(ApiError::not_found("no matcher run yet")),
    }
}

// ---------------------------------------------------------------------------------------------
// Pages

/// A page's language and what the page needs of `base.html`.
struct Frame {
    t: &'static Texts,
    lang: &'static str,
    en: bool,
    switch_href: String,
}

impl Frame {
    fn new(lang: Lang, path: &str, query: &[(&str, &str)]) -> Self {
        let query: Vec<(&str, Option<&str>)> = query
            .iter()
            .map(|(key, value)| (*key, Some(*value)))
            .collect();
        Self {
            t: lang.texts(),
            lang: lang.code(),
            en: lang == Lang::En,
            switch_href: page_href(path, lang.other(), &query),
        }
    }

    fn tr(&self, zh: &'static str, en: &'static str) -> &'static str {
        if self.en { en } else { zh }
    }
}

/// Rows of a staff list page.
const PAGE_ROWS: usize = 100;

/// The links between the pages of a list.
struct Pager {
    page: usize,
    pages: usize,
    previous: Option<String>,
    next: Option<String>,
}

impl Pager {
    /// The pager of `page` (1-based, clamped to the last page) of `total` rows; `params` are
    /// the list's filters, kept in the links.
    fn new(path: &str, lang: Lang, params: &[(&str, &str)], page: usize, total: usize) -> Self {
        let pages = total.div_ceil(PAGE_ROWS).max(1);
        let page = page.clamp(1, pages);
        let href = |to: usize| {
            let number = to.to_string();
            let mut query: Vec<(&str, Option<&str>)> = params
                .iter()
                .map(|(key, value)| (*key, Some(*value)))
                .collect();
            query.push(("page", Some(number.as_str())));
            page_href(path, lang, &query)
        };
        Self {
            page,
            pages,
            previous: (page > 1).then(|| href(page - 1)),
            next: (page < pages).then(|| href(page + 1)),
        }
    }

    /// The rows this page asks the list for.
    fn rows(page: Option<usize>) -> Page {
        let page = page.unwrap_or(1).clamp(1, 10_000);
        Page {
            offset: u64::try_from((page - 1) * PAGE_ROWS).unwrap_or(0),
            limit: u64::try_from(PAGE_ROWS).unwrap_or(100),
        }
    }
}

/// One row of the uncovered page.
struct UncoveredRow {
    id: String,
    href: String,
    name: String,
    town: String,
    industry: String,
    owner: String,
    gaps: Vec<(String, String)>,
    proposal: String,
    proposal_href: String,
}

#[derive(Template)]
#[template(path = "uncovered.html")]
struct UncoveredPage {
    f: Frame,
    title: String,
    total: usize,
    reference_date: String,
    rows: Vec<UncoveredRow>,
    towns: Vec<(String, String, bool)>,
    chains: Vec<(String, String, bool)>,
    gaps: Vec<(String, String, bool)>,
    owners: Vec<(String, String, bool)>,
    filtered: bool,
    chart: String,
    export_href: String,
    pager: Pager,
}

/// Query of the uncovered page.
#[derive(Debug, Default, Deserialize)]
pub struct UncoveredPageQuery {
    town: Option<String>,
    industry: Option<String>,
    gap: Option<String>,
    owner: Option<String>,
    page: Option<usize>,
    #[serde(default)]
    lang: Lang,
}

fn status_text(status: &str, lang: Lang) -> String {
    crate::staff::status_label(status, lang)
}

fn uncovered_row(row: UncoveredEnterprise, lang: Lang) -> UncoveredRow {
    let lang_suffix = if lang == Lang::En { "?lang=en" } else { "" };
    let (proposal, proposal_href) = match &row.latest_proposal {
        Some(latest) => (
            format!(
                "{}（{}）",
                latest.partner,
                status_text(&latest.status, lang)
            ),
            format!("/staff/proposals/{}{lang_suffix}", latest.id),
        ),
        None => (String::new(), String::new()),
    };
    UncoveredRow {
        href: format!("/staff/enterprises/{}{lang_suffix}", encode(&row.id)),
        id: row.id,
        name: row.name,
        town: row.town,
        industry: chain_label(
            IndustryChain::parse(&row.industry_code).unwrap_or(IndustryChain::Other),
            lang,
        )
        .to_owned(),
        owner: row.owner_name.or(row.owner).unwrap_or_default(),
        gaps: row
            .gaps
            .into_iter()
            .map(|gap| {
                (
                    coverage_label(gap.coverage, lang).to_owned(),
                    match lang {
                        Lang::Zh => gap.reason,
                        Lang::En => gap.reason_en,
                    },
                )
            })
            .collect(),
        proposal,
        proposal_href,
    }
}

/// The uncovered enterprises (staff), with filters; a town's page when filtered by town.
pub async fn uncovered_page(
    State(state): State<AppState>,
    _desk: DeskPage,
    ApiQuery(query): ApiQuery<UncoveredPageQuery>,
) -> Result<Response, ApiError> {
    let lang = query.lang;
    let value = |field: &Option<String>| field.clone().unwrap_or_default();
    let (town, industry, gap, owner) = (
        value(&query.town),
        value(&query.industry),
        value(&query.gap),
        value(&query.owner),
    );
    let params = [
        ("town", town.as_str()),
        ("industry", industry.as_str()),
        ("gap", gap.as_str()),
        ("owner", owner.as_str()),
    ];
    let f = Frame::new(lang, "/staff/uncovered", &params);
    let today = labbridge_app::today();
    let filter = UncoveredFilter {
        town: query.town.clone(),
        industry: query.industry.clone(),
        gap: query.gap.clone(),
        owner: query.owner.clone(),
    };
    // The page's rows from the database; the filters' choices from figures kept under the
    // coverage stamp.
    let mut list = state
        .app
        .uncovered(&filter, Pager::rows(query.page), today)
        .await?;
    let pages = list.total.div_ceil(PAGE_ROWS).max(1);
    if query.page.unwrap_or(1) > pages && list.total > 0 {
        // Past the last page (the list shrank since the link was made): show the last one.
        let last = Pager::rows(Some(pages));
        list = state.app.uncovered(&filter, last, today).await?;
    }
    let report = state.app.coverage(Some(list.year), today).await?;
    let names: std::collections::HashMap<String, String> = state
        .app
        .store
        .accounts()
        .await
        .map_err(labbridge_app::Error::from)?
        .into_iter()
        .map(|account| (account.login, account.display_name))
        .collect();
    let towns: Vec<(String, String, bool)> = report
        .by_town
        .iter()
        .map(|row| {
            let code = row.town_code.clone().unwrap_or_default();
            let selected = town == code || Some(&town) == row.town.as_ref();
            (code, row.town.clone().unwrap_or_default(), selected)
        })
        .collect();
    let chains = IndustryChain::ALL
        .iter()
        .map(|chain| {
            let selected = IndustryChain::parse(&industry).ok() == Some(*chain);
            (
                chain.code().to_owned(),
                chain_label(*chain, lang).to_owned(),
                selected,
            )
        })
        .collect();
    let gap_options: [(&str, &str, &str); 9] = [
        ("cooperation", "缺产学研合作", "Missing cooperation"),
        (
            "institution_and_staff",
            "缺研发机构和研发人员",
            "Missing R&D institution/staff",
        ),
        ("no_cooperation", "从未开展产学研合作", "Never cooperated"),
        ("cooperation_expired", "合作已到期", "Cooperation expired"),
        (
            "cooperation_not_started",
            "合作尚未生效",
            "Cooperation not started",
        ),
        ("no_institution", "没有研发机构", "No R&D institution"),
        (
            "institution_lapsed",
            "研发机构认定复审逾期",
            "Recognition lapsed",
        ),
        (
            "institution_not_yet_recognized",
            "研发机构尚未认定",
            "Not recognised yet",
        ),
        ("no_rd_staff", "研发人员为 0", "No R&D staff"),
    ];
    let gaps = gap_options
        .iter()
        .map(|(code, zh, en)| ((*code).to_owned(), f.tr(zh, en).to_owned(), gap == *code))
        .collect();
    let mut owner_logins: Vec<(String, String)> = state
        .app
        .roster_owners(list.year)
        .await?
        .into_iter()
        .map(|login| {
            let name = names.get(&login).cloned().unwrap_or_else(|| login.clone());
            (login, name)
        })
        .collect();
    owner_logins.sort();
    owner_logins.dedup();
    let mut owners: Vec<(String, String, bool)> = owner_logins
        .into_iter()
        .map(|(login, name)| (login.clone(), name, owner == login))
        .collect();
    owners.push((
        "none".to_owned(),
        f.tr("（未指定）", "(nobody)").to_owned(),
        owner == "none",
    ));
    // A town's page: its own trend.
    let selected_town = towns.iter().find(|(_, _, selected)| *selected).cloned();
    let chart = match &selected_town {
        Some((code, name, _)) => {
            ensure_snapshot(&state).await;
            let trend = state.app.trend(&format!("town:{code}")).await?;
            let title = match lang {
                Lang::Zh => format!("{name}覆盖率（按月）"),
                Lang::En => format!("{name}: coverage rate by month"),
            };
            charts::line(
                &title,
                &trend_points(&trend),
                f.tr("暂无月度数据", "No monthly data yet"),
            )
        }
        None => String::new(),
    };
    let title = match (&selected_town, lang) {
        (Some((_, name, _)), Lang::Zh) => format!("{name} · 未覆盖企业"),
        (Some((_, name, _)), Lang::En) => format!("{name} · Uncovered enterprises"),
        (None, _) => f.tr("未覆盖企业", "Uncovered enterprises").to_owned(),
    };
    let filtered = params.iter().any(|(_, value)| !value.is_empty());
    let pager = Pager::new(
        "/staff/uncovered",
        lang,
        &params,
        query.page.unwrap_or(1),
        list.total,
    );
    let page = UncoveredPage {
        pager,
        title,
        total: list.total,
        reference_date: list.reference_date.to_string(),
        rows: list
            .enterprises
            .into_iter()
            .map(|row| uncovered_row(row, lang))
            .collect(),
        towns,
        chains,
        gaps,
        owners,
        filtered,
        chart,
        export_href: "/api/v1/exports/coverage.xlsx".to_owned(),
        f,
    };
    render(&page)
}

fn trend_points(trend: &Trend) -> Vec<Point> {
    trend
        .months
        .iter()
        .map(|month| Point {
            label: month.month.clone(),
            value: month.rate,
        })
        .collect()
}

/// Charts of the coverage page (and the monthly report).
pub(crate) struct CoverageCharts {
    /// The county's monthly points the trend chart was drawn from.
    pub(crate) months: Vec<labbridge_app::dashboard::TrendMonth>,
    pub(crate) trend: String,
    pub(crate) towns: String,
    pub(crate) chains: String,
}

pub(crate) async fn coverage_charts(
    state: &AppState,
    report: &labbridge_app::coverage::CoverageReport,
    lang: Lang,
) -> Result<CoverageCharts, ApiError> {
    ensure_snapshot(state).await;
    let trend = state.app.trend("all").await?;
    let (zh, title_trend, title_towns, title_chains, empty) = match lang {
        Lang::Zh => (
            true,
            "全县覆盖率（按月）",
            "分镇街覆盖率",
            "分产业链覆盖率",
            "暂无数据",
        ),
        Lang::En => (
            false,
            "County coverage rate by month",
            "Coverage by town",
            "Coverage by industry chain",
            "No data yet",
        ),
    };
    let lang_suffix = if zh { "" } else { "&lang=en" };
    let note = |row: &labbridge_app::coverage::GroupRow| {
        format!("{:.1}%（{}/{}）", row.rate * 100.0, row.covered, row.total)
    };
    let towns: Vec<Bar> = report
        .by_town
        .iter()
        .map(|row| Bar {
            label: row.town.clone().unwrap_or_default(),
            value: row.rate,
            note: note(row),
            href: Some(format!(
                "/staff/uncovered?town={}{lang_suffix}",
                row.town_code.clone().unwrap_or_default()
            )),
        })
        .collect();
    let chains: Vec<Bar> = report
        .by_industry
        .iter()
        .map(|row| {
            let chain = IndustryChain::parse(row.industry_code.as_deref().unwrap_or(""))
                .unwrap_or(IndustryChain::Other);
            Bar {
                label: chain_label(chain, lang).to_owned(),
                value: row.rate,
                note: note(row),
                href: Some(format!(
                    "/staff/uncovered?industry={}{lang_suffix}",
                    chain.code()
                )),
            }
        })
        .collect();
    Ok(CoverageCharts {
        trend: charts::line(title_trend, &trend_points(&trend), empty),
        months: trend.months,
        towns: charts::bars(title_towns, &towns, empty),
        chains: charts::bars(title_chains, &chains, empty),
    })
}

struct Labelled {
    label: &'static str,
    value: String,
}

struct InstitutionRow {
    kind: String,
    level: String,
    number: String,
    recognized_on: String,
    review_due: String,
}

struct PartnershipRow {
    partner: String,
    kind: String,
    valid_from: String,
    valid_to: String,
    evidence: String,
    in_force: bool,
}

struct NeedRow {
    title: String,
    kind: String,
    status: String,
    confidential: bool,
}

struct ProposalRow {
    href: String,
    partner: String,
    gap: String,
    status: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "enterprise.html")]
struct EnterprisePage {
    f: Frame,
    name: String,
    covered: bool,
    facts: Vec<Labelled>,
    gaps: Vec<(String, String)>,
    institutions: Vec<InstitutionRow>,
    partnerships: Vec<PartnershipRow>,
    needs: Vec<NeedRow>,
    proposals: Vec<ProposalRow>,
}

/// Query with only the language.
#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    #[serde(default)]
    lang: Lang,
}

/// One enterprise's page (staff): facts, R&D institutions, partnerships, needs, proposals.
pub async fn enterprise_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    _desk: DeskPage,
    ApiQuery(query): ApiQuery<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = query.lang;
    let path = format!("/staff/enterprises/{}", encode(&id));
    let f = Frame::new(lang, &path, &[]);
    let today = labbridge_app::today();
    let Some((file, assessment, gaps)) = state.app.enterprise_file(&id, today).await? else {
        return Err(ApiError::not_found(format!("no enterprise '{id}'")));
    };
    let enterprise = &file.entry.enterprise;
    let chain = IndustryChain::parse(&enterprise.industry).unwrap_or(IndustryChain::Other);
    let yes_no = |flag: bool| {
        f.tr(
            if flag { "是" } else { "否" },
            if flag { "yes" } else { "no" },
        )
    };
    let facts = vec![
        Labelled {
            label: f.tr("企业编号", "Id"),
            value: enterprise.id.clone(),
        },
        Labelled {
            label: f.tr("统一社会信用代码", "Credit code"),
            value: enterprise.credit_code.clone(),
        },
        Labelled {
            label: f.tr("镇街", "Town"),
            value: enterprise.town.clone(),
        },
        Labelled {
            label: f.tr("产业链", "Industry chain"),
            value: chain_label(chain, lang).to_owned(),
        },
        Labelled {
            label: f.tr("行业代码", "Industry code (GB/T 4754)"),
            value: enterprise
                .industry_code
                .as_deref()
                .and_then(|code| labbridge_domain::classification::industry(code).ok())
                .map(|industry| format!("{} {}", industry.code, industry.name))
                .unwrap_or_default(),
        },
        Labelled {
            label: f.tr("规上企业", "Above scale"),
            value: yes_no(enterprise.above_scale).to_owned(),
        },
        Labelled {
            label: f.tr("名录年度", "Roster year"),
            value: enterprise.roster_year.to_string(),
        },
        Labelled {
            label: f.tr("主要产品", "Products"),
            value: labbridge_app::search::list_field(&enterprise.products).join("、"),
        },
        Labelled {
            label: f.tr("研发人员数", "R&D staff"),
            value: enterprise.rd_staff.to_string(),
        },
        Labelled {
            label: f.tr("联系邮箱", "Contact e-mail"),
            value: enterprise.contact_email.clone().unwrap_or_default(),
        },
        Labelled {
            label: f.tr("负责人", "Responsible staff"),
            value: enterprise.owner.clone().unwrap_or_default(),
        },
        Labelled {
            label: f.tr("产学研合作", "University cooperation"),
            value: yes_no(assessment.cooperation).to_owned(),
        },
        Labelled {
            label: f.tr("研发机构和研发人员", "R&D institution and staff"),
            value: yes_no(assessment.institution_and_staff).to_owned(),
        },
    ];
    let labs = state
        .app
        .store
        .lab_names()
        .await
        .map_err(labbridge_app::Error::from)?;
    let experts = state
        .app
        .store
        .expert_names()
        .await
        .map_err(labbridge_app::Error::from)?;
    let partner_name = |kind: &str, id: &str| -> String {
        match kind {
            "lab" => labs.get(id).cloned(),
            "expert" => experts.get(id).cloned(),
            _ => None,
        }
        .unwrap_or_else(|| id.to_owned())
    };
    let day = labbridge_domain::coverage::reference_date(enterprise.roster_year, today);
    let page = EnterprisePage {
        name: enterprise.name.clone(),
        covered: assessment.covered(),
        facts,
        gaps: gaps
            .into_iter()
            .map(|gap| {
                (
                    coverage_label(gap.coverage, lang).to_owned(),
                    match lang {
                        Lang::Zh => gap.reason,
                        Lang::En => gap.reason_en,
                    },
                )
            })
            .collect(),
        institutions: file
            .entry
            .institutions
            .iter()
            .map(|institution| InstitutionRow {
                kind: labbridge_domain::model::RdInstitutionKind::parse(&institution.kind)
                    .map(|kind| kind.label().to_owned())
                    .unwrap_or_else(|_| institution.kind.clone()),
                level: institution
                    .level
                    .as_deref()
                    .and_then(|level| labbridge_domain::model::Level::parse(level).ok())
                    .map(|level| level.label().to_owned())
                    .unwrap_or_default(),
                number: institution.number.clone().unwrap_or_default(),
                recognized_on: institution.recognized_on.to_string(),
                review_due: institution
                    .review_due
                    .map(|day| day.to_string())
                    .unwrap_or_default(),
            })
            .collect(),
        partnerships: file
            .entry
            .partnerships
            .iter()
            .map(|partnership| PartnershipRow {
                partner: partner_name(&partnership.partner_kind, &partnership.partner),
                kind: labbridge_domain::model::PartnershipKind::parse(&partnership.kind)
                    .map(|kind| kind.label().to_owned())
                    .unwrap_or_else(|_| partnership.kind.clone()),
                valid_from: partnership.valid_from.to_string(),
                valid_to: partnership
                    .valid_to
                    .map(|day| day.to_string())
                    .unwrap_or_default(),
                evidence: [
                    partnership.contract_number.clone(),
                    partnership.registration_number.clone(),
                    partnership.evidence.clone(),
                ]
                .into_iter()
                .flatten()
                .filter(|text| !text.is_empty())
                .collect::<Vec<_>>()
                .join("；"),
                in_force: labbridge_domain::coverage::Period {
                    from: partnership.valid_from,
                    to: partnership.valid_to,
                }
                .holds_on(day),
            })
            .collect(),
        needs: file
            .needs
            .iter()
            .map(|need| NeedRow {
                title: need.title.clone(),
                kind: need
                    .kind
                    .as_deref()
                    .and_then(|kind| labbridge_domain::model::NeedKind::parse(kind).ok())
                    .map(|kind| kind.label().to_owned())
                    .unwrap_or_default(),
                status: labbridge_domain::model::NeedStatus::parse(&need.status)
                    .map(|status| status.label().to_owned())
                    .unwrap_or_else(|_| need.status.clone()),
                confidential: need.confidential,
            })
            .collect(),
        proposals: file
            .proposals
            .iter()
            .map(|proposal| ProposalRow {
                href: format!(
                    "/staff/proposals/{}{}",
                    proposal.id,
                    if lang == Lang::En { "?lang=en" } else { "" }
                ),
                partner: partner_name(&proposal.partner_kind, &proposal.partner_id),
                gap: proposal.gap.clone(),
                status: status_text(&proposal.status, lang),
                updated: (proposal.updated_at + chrono::Duration::hours(8))
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
            })
            .collect(),
        f,
    };
    render(&page)
}

struct AtRiskRow {
    href: String,
    name: String,
    town: String,
    industry: String,
    coverage: String,
    loses_on: String,
    cause: String,
    renewal: bool,
}

#[derive(Template)]
#[template(path = "at_risk.html")]
struct AtRiskPage {
    f: Frame,
    year: i32,
    total: u32,
    covered_today: u32,
    forecast_covered: u32,
    forecast_rate: String,
    at_risk: usize,
    rows: Vec<AtRiskRow>,
    pager: Pager,
}

fn at_risk_row(row: AtRiskEnterprise, lang: Lang) -> AtRiskRow {
    AtRiskRow {
        href: format!(
            "/staff/enterprises/{}{}",
            encode(&row.id),
            if lang == Lang::En { "?lang=en" } else { "" }
        ),
        name: row.name,
        town: row.town,
        industry: chain_label(
            IndustryChain::parse(&row.industry).unwrap_or(IndustryChain::Other),
            lang,
        )
        .to_owned(),
        coverage: coverage_label(row.coverage, lang).to_owned(),
        loses_on: row.loses_on.to_string(),
        cause: match lang {
            Lang::Zh => row.cause,
            Lang::En => row.cause_en,
        },
        renewal: row.renew_with.is_some(),
    }
}

/// Query of a paged staff list without filters.
#[derive(Debug, Default, Deserialize)]
pub struct PagedQuery {
    page: Option<usize>,
    #[serde(default)]
    lang: Lang,
}

/// Coverage at risk this year (staff).
pub async fn at_risk_page(
    State(state): State<AppState>,
    _desk: DeskPage,
    ApiQuery(query): ApiQuery<PagedQuery>,
) -> Result<Response, ApiError> {
    let lang = query.lang;
    let f = Frame::new(lang, "/staff/at-risk", &[]);
    let risk = state.app.at_risk(labbridge_app::today()).await?;
    let pager = Pager::new(
        "/staff/at-risk",
        lang,
        &[],
        query.page.unwrap_or(1),
        risk.at_risk,
    );
    let risk = risk.paged(Pager::rows(Some(pager.page)));
    let page = AtRiskPage {
        at_risk: risk.at_risk,
        pager,
        year: risk.year,
        total: risk.total,
        covered_today: risk.covered_today,
        forecast_covered: risk.forecast_covered,
        forecast_rate: format!("{:.1}%", risk.forecast_rate * 100.0),
        rows: risk
            .enterprises
            .into_iter()
            .map(|row| at_risk_row(row, lang))
            .collect(),
        f,
    };
    render(&page)
}

struct KindView {
    name: &'static str,
    label: &'static str,
    columns: &'static [Column],
}

struct ProblemRow {
    row: String,
    field: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    f: Frame,
    kinds: Vec<KindView>,
    selected: String,
    notice: Option<String>,
    error: Option<String>,
    problems: Vec<ProblemRow>,
}

fn kind_views() -> Vec<KindView> {
    ImportKind::ALL
        .into_iter()
        .map(|kind| KindView {
            name: kind.name(),
            label: columns::kind_label(kind),
            columns: columns::columns(kind),
        })
        .collect()
}

/// Query of the import page.
#[derive(Debug, Default, Deserialize)]
pub struct ImportsQuery {
    kind: Option<String>,
    #[serde(default)]
    lang: Lang,
}

/// The import page (staff): a form per kind, templates, the columns.
pub async fn imports_page(
    _desk: DeskPage,
    ApiQuery(query): ApiQuery<ImportsQuery>,
) -> Result<Response, ApiError> {
    let lang = query.lang;
    let selected = query
        .kind
        .clone()
        .unwrap_or_else(|| "enterprises".to_owned());
    let f = Frame::new(lang, "/staff/imports", &[("kind", &selected)]);
    render(&ImportsPage {
        f,
        kinds: kind_views(),
        selected,
        notice: None,
        error: None,
        problems: Vec::new(),
    })
}

/// The import form's upload: `kind` and `file` (multipart).
pub async fn import_upload(
    State(state): State<AppState>,
    _desk: DeskPage,
    ApiQuery(query): ApiQuery<LangQuery>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    let lang = query.lang;
    let mut kind_name = String::new();
    let mut upload: Option<(String, Option<String>, Bytes)> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|error| ApiError::invalid(format!("cannot read the upload: {error}")))?
    {
        match field.name() {
            Some("kind") => {
                kind_name = field.text().await.map_err(|error| {
                    ApiError::invalid(format!("cannot read the upload: {error}"))
                })?;
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("").to_owned();
                let content_type = field.content_type().map(str::to_owned);
                let bytes = field.bytes().await.map_err(|error| {
                    ApiError::invalid(format!("cannot read the upload: {error}"))
                })?;
                upload = Some((name, content_type, bytes));
            }
            _ => {}
        }
    }
    let f = Frame::new(lang, "/staff/imports", &[("kind", &kind_name)]);
    let mut page = ImportsPage {
        kinds: kind_views(),
        selected: kind_name.clone(),
        notice: None,
        error: None,
        problems: Vec::new(),
        f,
    };
    let Some(kind) = ImportKind::parse(&kind_name) else {
        page.error = Some(
            page.f
                .tr("请选择导入类型。", "Choose what the file holds.")
                .to_owned(),
        );
        let mut response = render(&page)?;
        *response.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(response);
    };
    let Some((name, content_type, bytes)) = upload.filter(|(_, _, bytes)| !bytes.is_empty()) else {
        page.error = Some(
            page.f
                .tr("请选择要上传的文件。", "Choose a file to upload.")
                .to_owned(),
        );
        let mut response = render(&page)?;
        *response.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(response);
    };
    let Some(format) = format_of(None, content_type.as_deref(), Some(&name)) else {
        page.error = Some(
            page.f
                .tr(
                    "只能导入 .xlsx、.csv 或 .jsonl 文件。",
                    "Only .xlsx, .csv or .jsonl files can be imported.",
                )
                .to_owned(),
        );
        let mut response = render(&page)?;
        *response.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(response);
    };
    let shown_name = if name.is_empty() {
        format!("upload.{format}")
    } else {
        name
    };
    match import_bytes(&state, kind, format, &shown_name, &bytes).await {
        Ok(summary) => {
            page.notice = Some(match lang {
                Lang::Zh => format!(
                    "已导入 {shown_name}（{}）：新增 {} 条，更新 {} 条，未变 {} 条。",
                    columns::kind_label(kind),
                    summary.created,
                    summary.updated,
                    summary.unchanged
                ),
                Lang::En => format!(
                    "Imported {shown_name}: {} created, {} updated, {} unchanged.",
                    summary.created, summary.updated, summary.unchanged
                ),
            });
            render(&page)
        }
        Err(labbridge_app::Error::Import(failure)) => {
            page.error = Some(match lang {
                Lang::Zh => format!(
                    "{shown_name} 有 {} 个问题，没有导入任何记录。请改正后重新上传。",
                    failure.problems.len()
                ),
                Lang::En => format!(
                    "{shown_name} has {} problem(s); nothing was imported. Correct them and upload again.",
                    failure.problems.len()
                ),
            });
            page.problems = problems_of(kind, &failure)
                .into_iter()
                .map(|problem| ProblemRow {
                    row: problem
                        .row
                        .map(|row| row.to_string())
                        .unwrap_or_else(|| page.f.tr("整个文件", "whole file").to_owned()),
                    field: match (problem.header, problem.field) {
                        (Some(header), Some(field)) if lang == Lang::Zh => {
                            format!("{header}（{field}）")
                        }
                        (_, Some(field)) => field,
                        _ => String::new(),
                    },
                    reason: problem.reason,
                })
                .collect();
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "match.html")]
struct MatchPage {
    f: Frame,
    run: Option<RunView>,
    error: Option<String>,
}

struct RunView {
    running: bool,
    failed: bool,
    stage: String,
    started_by: String,
    started_at: String,
    finished_at: String,
    error: String,
    summary: Option<labbridge_app::dashboard::MatchRunSummary>,
    towns: Vec<(String, u32, String, String)>,
}

fn run_view(run: MatchRun, lang: Lang) -> RunView {
    let stage = match run.stage.split_once(' ') {
        Some(("candidates", count)) => match lang {
            Lang::Zh => format!("检索候选合作方 {count}"),
            Lang::En => format!("finding candidates {count}"),
        },
        _ => match (run.stage.as_str(), lang) {
            ("assignment", Lang::Zh) => "求解最优分配".to_owned(),
            ("writing", Lang::Zh) => "写入对接建议".to_owned(),
            ("starting", Lang::Zh) => "启动中".to_owned(),
            ("done", Lang::Zh) => "已完成".to_owned(),
            ("failed", Lang::Zh) => "失败".to_owned(),
            (other, _) => other.to_owned(),
        },
    };
    let percent = |covered: u32, total: u32| {
        if total == 0 {
            "0.0%".to_owned()
        } else {
            format!("{:.1}%", f64::from(covered) * 100.0 / f64::from(total))
        }
    };
    RunView {
        running: run.status == "running",
        failed: run.status == "failed",
        stage,
        started_by: run.started_by,
        started_at: china_time(run.started_at),
        finished_at: run.finished_at.map(china_time).unwrap_or_default(),
        error: run.error.unwrap_or_default(),
        towns: run
            .summary
            .as_ref()
            .map(|summary| {
                summary
                    .towns
                    .iter()
                    .map(|town| {
                        (
                            town.town.clone(),
                            town.total,
                            percent(town.covered, town.total),
                            percent(town.forecast, town.total),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        summary: run.summary,
    }
}

/// The matcher page (staff): start a run, watch it, see its summary.
pub async fn match_page(
    State(state): State<AppState>,
    _desk: DeskPage,
    ApiQuery(query): ApiQuery<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = query.lang;
    let f = Frame::new(lang, "/staff/match", &[]);
    let run = state.app.match_run().await?.map(|run| run_view(run, lang));
    let mut response = render(&MatchPage {
        f,
        run,
        error: None,
    })?;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The matcher page's button.
pub async fn match_start(
    State(state): State<AppState>,
    desk: DeskPage,
    ApiQuery(query): ApiQuery<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = query.lang;
    let account = desk.account.clone();
    match start_run(&state, &account.login).await {
        Ok(()) => Ok(Redirect::to(&format!("/staff/match?lang={}", lang.code())).into_response()),
        Err(error) if error.status() == StatusCode::CONFLICT => {
            let f = Frame::new(lang, "/staff/match", &[]);
            let run = state.app.match_run().await?.map(|run| run_view(run, lang));
            let error = Some(
                f.tr(
                    "匹配正在运行（可能由另一位工作人员启动），请等待完成。",
                    "A matcher run is under way (perhaps started by a colleague); wait for it to finish.",
                )
                .to_owned(),
            );
            let mut response = render(&MatchPage { f, run, error })?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(error) => Err(error),
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    f: Frame,
    county: String,
    month: String,
    reference_date: String,
    total: u32,
    covered: u32,
    rate: String,
    cooperation: u32,
    institution_and_staff: u32,
    change: String,
    forecast_rate: String,
    at_risk: usize,
    uncovered: usize,
    gap_counts: Vec<(String, usize)>,
    charts: CoverageCharts,
    risk_rows: Vec<AtRiskRow>,
}

/// The printable monthly report for the county meeting (staff).
pub async fn report_page(
    State(state): State<AppState>,
    _desk: DeskPage,
    ApiQuery(query): ApiQuery<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = query.lang;
    let f = Frame::new(lang, "/staff/report", &[]);
    let today = labbridge_app::today();
    let report = state.app.coverage(None, today).await?;
    let charts = coverage_charts(&state, &report, lang).await?;
    let months = &charts.months;
    let change = match months.len() {
        0 | 1 => String::new(),
        n => {
            let (previous, current) = (&months[n - 2], &months[n - 1]);
            let points = (current.rate - previous.rate) * 100.0;
            match lang {
                Lang::Zh => format!("较 {} {:+.1} 个百分点", previous.month, points),
                Lang::En => format!("{points:+.1} points since {}", previous.month),
            }
        }
    };
    let risk = state.app.at_risk(today).await?;
    let gap_counts: Vec<(String, usize)> = state
        .app
        .gap_counts(today)
        .await?
        .into_iter()
        .map(|(gap, count)| {
            let label = match lang {
                Lang::Zh => gap.label().to_owned(),
                Lang::En => format!("{gap:?}"),
            };
            (label, usize::try_from(count).unwrap_or(usize::MAX))
        })
        .collect();
    let county = state
        .app
        .county()
        .await?
        .map(|county| county.name.clone())
        .unwrap_or_default();
    let page = ReportPage {
        county,
        month: month_of(today),
        reference_date: report.reference_date.to_string(),
        total: report.total,
        covered: report.covered,
        rate: format!("{:.1}%", report.rate * 100.0),
        cooperation: report.cooperation,
        institution_and_staff: report.institution_and_staff,
        change,
        forecast_rate: format!("{:.1}%", risk.forecast_rate * 100.0),
        at_risk: risk.at_risk,
        uncovered: usize::try_from(report.total - report.covered).unwrap_or(usize::MAX),
        gap_counts,
        charts,
        risk_rows: risk
            .enterprises
            .into_iter()
            .take(15)
            .map(|row| at_risk_row(row, lang))
            .collect(),
        f,
    };
    render(&page)
}
