//! The `/api/v1` JSON routes, `/healthz` and the OpenAPI document that describes them.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use labbridge_app::coverage::{CoverageReport, GroupRow};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};

/// A query-string extractor whose rejection is a JSON `{"code","message"}` 400.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::invalid(rejection.body_text())),
        }
    }
}

/// A form-body extractor whose rejection is a JSON `{"code","message"}` 400.
pub struct ApiForm<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(
        request: axum::extract::Request,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(request, state).await {
            Ok(axum::Form(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::invalid(rejection.body_text())),
        }
    }
}

/// Query of `/api/v1/coverage`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// The roster year; defaults to the latest.
    #[param(minimum = 1990, maximum = 2100)]
    pub year: Option<i32>,
}

/// Checks that a year is plausible before asking the registry.
pub fn check_year(year: Option<i32>) -> Result<Option<i32>, ApiError> {
    match year {
        Some(year) if !(1990..=2100).contains(&year) => Err(ApiError::invalid(format!(
            "year {year} is out of range (1990–2100)"
        ))),
        other => Ok(other),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/coverage",
    params(CoverageQuery),
    responses(
        (status = 200, description = "The two-coverage report", body = CoverageReport),
        (status = 400, description = "Invalid year", body = ErrorBody),
    )
)]
/// The two-coverage report, total and by town and industry.
pub async fn coverage(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<CoverageQuery>,
) -> Result<Json<CoverageReport>, ApiError> {
    let year = check_year(query.year)?;
    Ok(Json(
        state.app.coverage(year, labbridge_app::today()).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/healthz",
    responses(
        (status = 200, description = "Every part answers: `{\"status\":\"ok\",\"registry\":{\"ok\",\"backend\"},\"index\":{\"ok\",\"documents\"}}`"),
        (status = 503, description = "A part does not answer: `code`, `message` naming it, and the same parts", body = ErrorBody),
    )
)]
/// Each part's health, within 2 s whatever is down: 200 when the registry and the index
/// answer; 503 naming the part that does not and why (a registry that cannot be reached says
/// so with the cause, not only that the pool timed out).
pub async fn healthz(State(state): State<AppState>) -> Response {
    let registry = registry_health(&state).await;
    let index = match &state.index {
        Some(index) => serde_json::json!({"ok": true, "documents": index.len()}),
        None => {
            serde_json::json!({"ok": false, "error": "no search index is open in this process"})
        }
    };
    let mut problems = Vec::new();
    if let Some(error) = registry["error"].as_str() {
        problems.push(format!("registry: {error}"));
    }
    if let Some(error) = index["error"].as_str() {
        problems.push(format!("index: {error}"));
    }
    if problems.is_empty() {
        return Json(serde_json::json!({"status": "ok", "registry": registry, "index": index}))
            .into_response();
    }
    (
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({
            "code": "unavailable",
            "message": problems.join("; "),
            "status": "down",
            "registry": registry,
            "index": index,
        })),
    )
        .into_response()
}

/// How long `/healthz` waits for the registry before it says the registry does not answer.
const HEALTH_PING: std::time::Duration = std::time::Duration::from_millis(1200);
/// How long it then spends on a fresh connection to learn why.
const HEALTH_PROBE: std::time::Duration = std::time::Duration::from_millis(600);

async fn registry_health(state: &AppState) -> serde_json::Value {
    let backend = state.app.store.backend_name();
    let failure = match tokio::time::timeout(HEALTH_PING, state.app.store.ping()).await {
        Ok(Ok(())) => return serde_json::json!({"ok": true, "backend": backend}),
        Ok(Err(error)) => error.to_string(),
        Err(_) => format!("no answer within {} ms", HEALTH_PING.as_millis()),
    };
    // The pool only says it timed out; a connection of our own says why.
    let cause = labbridge_app::Store::probe(&state.app.settings.database_url(), HEALTH_PROBE)
        .await
        .err()
        .map(|cause| format!(" ({cause})"))
        .unwrap_or_default();
    serde_json::json!({"ok": false, "backend": backend, "error": format!("{failure}{cause}")})
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "labbridge",
        description = "产学研 matchmaking for a county: registry, coverage, search and matching"
    ),
    paths(
        coverage,
        healthz,
        openapi,
        search,
        institutions,
        similar,
        proposals,
        exclude,
        proposal,
        approve,
        reject,
        withdraw,
        unexclude,
        enterprise_answer,
        evidence,
        outbox,
        retry_mail,
        crate::dashboard::uncovered_api,
        crate::dashboard::at_risk_api,
        crate::dashboard::trend_api,
        crate::dashboard::import_api,
        crate::dashboard::export_api,
        crate::dashboard::start_run_api,
        crate::dashboard::latest_run_api,
        crate::portal::enterprise_api,
        crate::portal::need_api,
        crate::portal::create_need_api,
        crate::portal::update_need_api,
        crate::admin::audit_api
    ),
    components(schemas(
        CoverageReport,
        GroupRow,
        ErrorBody,
        labbridge_app::matching::StoredProposal,
        ProposalList,
        MailList,
        labbridge_app::matching::Exclusion,
        labbridge_app::proposals::ProposalDetail,
        labbridge_app::proposals::TimelineEvent,
        labbridge_app::proposals::MailView,
        labbridge_app::proposals::BulkOutcome,
        labbridge_app::proposals::Skipped,
        labbridge_app::proposals::Evidence,
        ApproveRequest,
        ReasonRequest,
        RejectRequest,
        AnswerRequest,
        labbridge_app::dashboard::UncoveredList,
        labbridge_app::dashboard::UncoveredEnterprise,
        labbridge_app::dashboard::GapView,
        labbridge_app::dashboard::LatestProposal,
        labbridge_app::dashboard::AtRisk,
        labbridge_app::dashboard::AtRiskEnterprise,
        labbridge_app::dashboard::Trend,
        labbridge_app::dashboard::TrendMonth,
        labbridge_app::dashboard::MatchRun,
        labbridge_app::dashboard::MatchRunSummary,
        labbridge_app::dashboard::TownForecast,
        crate::dashboard::ImportCounts,
        crate::dashboard::ImportProblem,
        crate::dashboard::ImportRefused,
        crate::portal::EnterpriseView,
        crate::portal::NeedRequest,
        crate::portal::NewNeedRequest,
        labbridge_app::portal::NeedInput,
        labbridge_app::portal::FieldProblem
    ))
)]
struct ApiDoc;

#[utoipa::path(get, path = "/api/v1/openapi.json", responses((status = 200, description = "This document")))]
/// The OpenAPI document of every route.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

/// The OpenAPI document, with each operation's security taken from the route table, so the
/// document cannot disagree with what the server enforces.
pub fn document() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::security::{
        ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
    };
    let mut document = ApiDoc::openapi();
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "staff_token",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("The deployment's staff token (LABBRIDGE_STAFF_TOKEN)"))
                .build(),
        ),
    );
    components.add_security_scheme(
        "personal_token",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("A personal API token (labbridge account token LOGIN); its account's role applies"))
                .build(),
        ),
    );
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            crate::staff::COOKIE,
            "The browser's session after /login; changes also need the form token (X-CSRF-Token)",
        ))),
    );
    let scheme = |name: &str| SecurityRequirement::new(name, Vec::<String>::new());
    for (method, path, rule) in crate::routes().table() {
        let Some(item) = document.paths.paths.get_mut(path) else {
            continue;
        };
        let operation = match method.as_str() {
            "GET" => item.get.as_mut(),
            "POST" => item.post.as_mut(),
            "PUT" => item.put.as_mut(),
            _ => None,
        };
        let Some(operation) = operation else {
            continue;
        };
        let requirements = match rule {
            crate::auth::Rule::Public => vec![SecurityRequirement::default()],
            crate::auth::Rule::DeskRead | crate::auth::Rule::DeskWork => {
                vec![
                    scheme("staff_token"),
                    scheme("personal_token"),
                    scheme("session"),
                ]
            }
            crate::auth::Rule::PartyRead | crate::auth::Rule::PartyWork => {
                vec![
                    scheme("staff_token"),
                    scheme("personal_token"),
                    scheme("session"),
                ]
            }
            crate::auth::Rule::AuditRead
            | crate::auth::Rule::Enterprise
            | crate::auth::Rule::Signed => vec![scheme("personal_token"), scheme("session")],
        };
        operation.security = Some(requirements);
        let roles = match rule {
            crate::auth::Rule::Public => "anyone",
            crate::auth::Rule::Signed => "anyone signed in",
            crate::auth::Rule::DeskRead => "staff, admin, auditor, the staff token",
            crate::auth::Rule::DeskWork => "staff, admin, the staff token (not the auditor)",
            crate::auth::Rule::AuditRead => "admin, auditor",
            crate::auth::Rule::Enterprise => "enterprise users",
            crate::auth::Rule::PartyRead => {
                "staff, admin, auditor, the staff token; an enterprise user for its own enterprise"
            }
            crate::auth::Rule::PartyWork => {
                "staff, admin, the staff token; an enterprise user for its own enterprise"
            }
        };
        let description = operation.description.take().unwrap_or_default();
        operation.description = Some(
            format!("{description}\n\nWho may call it: {roles}.")
                .trim()
                .to_owned(),
        );
    }
    document
}

/// Query of `/api/v1/search`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The text, as typed; empty browses.
    pub q: Option<String>,
    /// `expert`, `lab`, `program` (`need` for staff); several may be comma-separated.
    #[param(pattern = "^((expert|lab|program|need)(,(expert|lab|program|need))*)?$")]
    pub kind: Option<String>,
    /// Page size, 10 by default.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// Hits to skip (at most 10,000: deeper pages are for a narrower query).
    #[param(minimum = 0, maximum = 10000)]
    pub offset: Option<usize>,
    /// Only this institution.
    pub institution: Option<String>,
    /// Only this province.
    pub province: Option<String>,
    /// Only members of this programme.
    pub program: Option<String>,
    /// Only this level.
    pub level: Option<String>,
    /// Only this field or keyword.
    pub field: Option<String>,
    /// Count facets (`true`/`false`).
    pub facets: Option<bool>,
}

/// A count parameter as the document declares it: `default` when absent, refused (400)
/// outside `range` — never quietly clamped, so a client learns its page is not what it asked.
pub(crate) fn bounded(
    value: Option<usize>,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
    name: &str,
) -> Result<usize, ApiError> {
    let value = value.unwrap_or(default);
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::invalid(format!(
            "{name} must be from {} to {}",
            range.start(),
            range.end()
        )))
    }
}

/// Turns the query into a search request, refusing needs to non-staff.
pub fn search_request(
    query: &SearchQuery,
    staff: bool,
) -> Result<labbridge_search::Request, ApiError> {
    let mut kinds = Vec::new();
    for raw in query
        .kind
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|raw| !raw.is_empty())
    {
        let kind = labbridge_search::Kind::parse(raw).ok_or_else(|| {
            ApiError::invalid(format!(
                "kind '{raw}' is not one of expert, lab, program, offer, need"
            ))
        })?;
        if kind == labbridge_search::Kind::Need && !staff {
            return Err(ApiError::forbidden(
                "needs are searchable by bureau staff only (Authorization: Bearer <staff token>)",
            ));
        }
        kinds.push(kind);
    }
    Ok(labbridge_search::Request {
        text: query.q.clone().unwrap_or_default(),
        kinds,
        filters: labbridge_search::Filters {
            institution: query.institution.clone(),
            province: query.province.clone(),
            program: query.program.clone(),
            level: query.level.clone(),
            field: query.field.clone(),
        },
        limit: bounded(query.limit, 10, 1..=100, "limit")?,
        offset: bounded(query.offset, 0, 0..=10_000, "offset")?,
        facets: query.facets.unwrap_or(false),
        similar: false,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/search",
    params(SearchQuery),
    responses(
        (status = 200, description = "Hits: {total, hits: [{kind, id, name, institution, score, snippet, …}], facets?}"),
        (status = 400, description = "Invalid parameter", body = ErrorBody),
        (status = 403, description = "Needs asked for without the staff token", body = ErrorBody),
    )
)]
/// Chinese full-text search over labs, experts and programmes (needs for staff).
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Response, ApiError> {
    let request = search_request(&query, caller.reads_desk())?;
    let results = state.search(request).await?;
    Ok(Json(results).into_response())
}

/// Query of `/api/v1/search/institutions`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstitutionsQuery {
    /// The subject, e.g. 铝合金热处理.
    pub q: String,
    /// How many institutions, 10 by default.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/search/institutions",
    params(InstitutionsQuery),
    responses((status = 200, description = "Institutions ranked by their experts' and labs' relevance"), (status = 400, body = ErrorBody))
)]
/// Which institutions are strongest in a subject.
pub async fn institutions(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<InstitutionsQuery>,
) -> Result<Response, ApiError> {
    let ranked = state.app.strongest_institutions(
        state.index()?,
        &query.q,
        bounded(query.limit, 10, 1..=100, "limit")?,
    )?;
    Ok(Json(serde_json::json!({ "institutions": ranked })).into_response())
}

/// Query of `/api/v1/proposals`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProposalsQuery {
    /// Only this status: `proposed`, `approved`, `rejected`, `sent`, `accepted_by_partner`,
    /// `declined_by_partner`, `accepted`, `declined_by_enterprise`, `active`, `withdrawn`,
    /// `expired`, `superseded`, `excluded`.
    #[param(
        pattern = "^(proposed|approved|rejected|sent|accepted_by_partner|declined_by_partner|accepted|declined_by_enterprise|active|withdrawn|expired|superseded|excluded)?$"
    )]
    pub status: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/proposals",
    params(ProposalsQuery),
    responses(
        (status = 200, description = "The matcher's proposals with their reasons", body = ProposalList),
        (status = 400, description = "Unknown status", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
    )
)]
/// The matcher's proposals: every one for staff, an enterprise user's own for them.
pub async fn proposals(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ProposalsQuery>,
) -> Result<Response, ApiError> {
    let status = query
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let mut rows = match caller.own_enterprise() {
        // An enterprise user reads its own proposals only, so only those are loaded.
        Some(own) if !caller.reads_desk() => {
            let mut rows = state.app.enterprise_proposals(own).await?;
            if let Some(status) = status {
                labbridge_domain::proposal::ProposalStatus::parse(status)
                    .map_err(|error| ApiError::invalid(error.to_string()))?;
                rows.retain(|row| row.status == status);
            }
            rows
        }
        _ => state.app.proposals(status).await?,
    };
    rows.retain(|row| caller.may_read_enterprise(&row.enterprise_id));
    Ok(Json(ProposalList {
        total: rows.len(),
        proposals: rows,
    })
    .into_response())
}

/// The proposals a caller may read.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProposalList {
    /// How many.
    pub total: usize,
    /// The proposals, best first per enterprise.
    pub proposals: Vec<labbridge_app::matching::StoredProposal>,
}

#[utoipa::path(
    post,
    path = "/api/v1/exclusions",
    request_body = labbridge_app::matching::Exclusion,
    responses(
        (status = 201, description = "The pair is excluded from now on", body = labbridge_app::matching::StoredProposal),
        (status = 200, description = "The pair was excluded already", body = labbridge_app::matching::StoredProposal),
        (status = 400, description = "Not a valid exclusion", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
        (status = 404, description = "No such enterprise or partner", body = ErrorBody),
    )
)]
/// Excludes an enterprise–partner pair from matching (staff only): a conflict of interest, a
/// past dispute. A proposal of it still `proposed` is withdrawn.
pub async fn exclude(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let exclusion: labbridge_app::matching::Exclusion = parse_json(&body, "exclusion")?;
    let (row, already) = state
        .app
        .exclude(
            &exclusion,
            &labbridge_app::proposals::Actor::staff(API_ACTOR),
        )
        .await?;
    let status = if already {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::CREATED
    };
    Ok((status, Json(row)).into_response())
}

/// Query of `/api/v1/needs/{id}/similar`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimilarQuery {
    /// How many hits, 10 by default.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/needs/{id}/similar",
    params(("id" = String, Path, description = "The need's id"), SimilarQuery),
    responses(
        (status = 200, description = "Labs and experts ranked by fit to the need"),
        (status = 400, description = "Not a valid limit", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
        (status = 404, description = "No such need", body = ErrorBody),
    )
)]
/// Labs and experts similar to a need (staff, and the need's own enterprise: needs are
/// confidential to their enterprise).
pub async fn similar(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
    ApiQuery(query): ApiQuery<SimilarQuery>,
) -> Result<Response, ApiError> {
    crate::portal::readable_need(&state, &caller, &id).await?;
    let results = state
        .app
        .similar_to_need(
            state.index()?,
            &id,
            bounded(query.limit, 10, 1..=100, "limit")?,
        )
        .await?;
    Ok(Json(results).into_response())
}

/// Who the staff bearer token acts as, in the audit trail.
pub const API_ACTOR: &str = "api-token";

/// Reads a JSON request body. A number with no fraction is an integer in JSON Schema
/// (`3.0` is `3`), so whole numbers written with a fraction are read as integers before the
/// body meets the request type.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    body: &[u8],
    what: &str,
) -> Result<T, ApiError> {
    let invalid =
        |error: serde_json::Error| ApiError::invalid(format!("not a valid {what}: {error}"));
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(invalid)?;
    whole_numbers_as_integers(&mut value);
    serde_json::from_value(value).map_err(invalid)
}

fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|_| number.is_f64())
                && float.fract() == 0.0
            {
                // Exactly representable: the range check keeps the cast lossless.
                if (-9_007_199_254_740_992.0..=9_007_199_254_740_992.0).contains(&float) {
                    *number = serde_json::Number::from(float as i64);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        serde_json::Value::Object(fields) => {
            fields.values_mut().for_each(whole_numbers_as_integers)
        }
        _ => {}
    }
}

fn api_actor(caller: &Caller) -> labbridge_app::proposals::Actor {
    match caller {
        Caller::StaffToken | Caller::Anonymous => labbridge_app::proposals::Actor::staff(API_ACTOR),
        Caller::Person { account, .. }
            if account.role == labbridge_app::accounts::Role::Enterprise =>
        {
            labbridge_app::proposals::Actor::enterprise(&account.login)
        }
        Caller::Person { account, .. } => labbridge_app::proposals::Actor::staff(&account.login),
    }
}

/// A proposal the caller may read, or a 404 that does not say whether it exists.
pub(crate) async fn readable_proposal(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<labbridge_app::proposals::ProposalDetail, ApiError> {
    let mut detail = state.app.proposal_detail(id).await?;
    if !caller.may_read_enterprise(&detail.proposal.enterprise_id) {
        return Err(ApiError::not_found(format!("no proposal {id}")));
    }
    if !caller.reads_desk() {
        // The mail holds the partner's address: staff only (PIPL).
        detail.mail.clear();
    }
    Ok(detail)
}

#[utoipa::path(
    get,
    path = "/api/v1/proposals/{id}",
    params(("id" = i64, Path, description = "The proposal's id")),
    responses(
        (status = 200, description = "The proposal, its timeline and its mail", body = labbridge_app::proposals::ProposalDetail),
        (status = 400, description = "Not a valid id", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
        (status = 404, description = "No such proposal", body = ErrorBody),
    )
)]
/// One proposal with every transition (who, when, why) and its mail (staff only).
pub async fn proposal(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, ApiError> {
    Ok(Json(readable_proposal(&state, &caller, id).await?).into_response())
}

/// Which proposals to approve: `{"ids": [...]}` or `{"all": true}`.
#[derive(Debug, Deserialize)]
pub struct ApproveRequest {
    /// These proposals.
    #[serde(default)]
    pub ids: Vec<i64>,
    /// Or every proposal awaiting review.
    #[serde(default)]
    pub all: bool,
}

impl utoipa::PartialSchema for ApproveRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            AllOfBuilder, AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat,
            Type,
        };
        let id = || {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        };
        let shape = ObjectBuilder::new()
            .property(
                "ids",
                ArrayBuilder::new()
                    .items(id())
                    .description(Some("These proposals")),
            )
            .property(
                "all",
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .description(Some("Or every proposal awaiting review")),
            );
        let some_ids = ObjectBuilder::new()
            .property("ids", ArrayBuilder::new().items(id()).min_items(Some(1)))
            .required("ids");
        let all = ObjectBuilder::new()
            .property(
                "all",
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .enum_values(Some([true])),
            )
            .required("all");
        AllOfBuilder::new()
            .item(shape)
            .item(AnyOfBuilder::new().item(some_ids).item(all))
            .description(Some(
                "Give `ids` (at least one) or `all: true`; with both, `all` wins",
            ))
            .into()
    }
}

impl utoipa::ToSchema for ApproveRequest {}

#[utoipa::path(
    post,
    path = "/api/v1/proposals/approve",
    request_body = ApproveRequest,
    responses(
        (status = 200, description = "Approved ones get their mail queued; the others are listed with why", body = labbridge_app::proposals::BulkOutcome),
        (status = 400, description = "Neither ids nor all", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
    )
)]
/// Approves proposals (staff only): each gets an answer link and its mail to the partner.
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let request: ApproveRequest = parse_json(&body, "approval")?;
    let outcome = match (request.all, request.ids.is_empty()) {
        (true, _) => state.app.approve_all(&api_actor(&caller)).await?,
        (false, false) => state.app.approve(&request.ids, &api_actor(&caller)).await?,
        (false, true) => return Err(ApiError::invalid("give \"ids\": [...] or \"all\": true")),
    };
    Ok(Json(outcome).into_response())
}

/// A reason for a staff action (withdraw, unexclude: optional).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ReasonRequest {
    /// Why.
    #[serde(default)]
    #[schema(schema_with = note_text)]
    pub reason: Option<String>,
}

/// Why a proposal is rejected (required).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RejectRequest {
    /// Why (not blank).
    #[schema(schema_with = required_note)]
    pub reason: String,
}

fn note_text() -> utoipa::openapi::Object {
    labbridge_app::openapi::optional_text(labbridge_app::proposals::NOTE_LIMIT)
}

fn required_note() -> utoipa::openapi::Object {
    labbridge_app::openapi::required_text(labbridge_app::proposals::NOTE_LIMIT)
}

async fn staff_action(
    state: &AppState,
    caller: &Caller,
    id: i64,
    body: &[u8],
    action: labbridge_domain::proposal::ProposalAction,
) -> Result<Response, ApiError> {
    let request: ReasonRequest = if action == labbridge_domain::proposal::ProposalAction::Reject {
        if body.is_empty() {
            return Err(ApiError::invalid(
                "a rejection needs a reason: {\"reason\": \"…\"}",
            ));
        }
        let request: RejectRequest = parse_json(body, "rejection")?;
        ReasonRequest {
            reason: Some(request.reason),
        }
    } else if body.is_empty() {
        ReasonRequest::default()
    } else {
        // The body is optional: `null` says so too.
        parse_json::<Option<ReasonRequest>>(body, "request")?.unwrap_or_default()
    };
    let row = state
        .app
        .staff_action(id, action, request.reason.as_deref(), &api_actor(caller))
        .await?;
    Ok(Json(row).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/proposals/{id}/reject",
    params(("id" = i64, Path, description = "The proposal's id")),
    request_body = RejectRequest,
    responses(
        (status = 200, description = "Rejected", body = labbridge_app::matching::StoredProposal),
        (status = 400, description = "No reason", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
        (status = 404, description = "No such proposal", body = ErrorBody),
        (status = 409, description = "Not awaiting review", body = ErrorBody),
    )
)]
/// Rejects a proposal awaiting review, with a reason (staff only).
pub async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    staff_action(
        &state,
        &caller,
        id,
        &body,
        labbridge_domain::proposal::ProposalAction::Reject,
    )
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/proposals/{id}/withdraw",
    params(("id" = i64, Path, description = "The proposal's id")),
    request_body = Option<ReasonRequest>,
    responses(
        (status = 200, description = "Withdrawn", body = labbridge_app::matching::StoredProposal),
        (status = 400, description = "Not a valid id or body", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
        (status = 404, description = "No such proposal", body = ErrorBody),
        (status = 409, description = "Already final or active", body = ErrorBody),
    )
)]
/// Withdraws a proposal not yet active (staff only).
pub async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    staff_action(
        &state,
        &caller,
        id,
        &body,
        labbridge_domain::proposal::ProposalAction::Withdraw,
    )
    .await
}

#[utoipa::path(
    post,
    path = "/api/v1/proposals/{id}/unexclude",
    params(("id" = i64, Path, description = "The proposal's id")),
    request_body = Option<ReasonRequest>,
    responses(
        (status = 200, description = "The exclusion is undone", body = labbridge_app::matching::StoredProposal),
        (status = 400, description = "Not a valid id or body", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
        (status = 404, description = "No such proposal", body = ErrorBody),
        (status = 409, description = "Not excluded", body = ErrorBody),
    )
)]
/// Undoes an exclusion (staff only): a matcher proposal awaits review again.
pub async fn unexclude(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    staff_action(
        &state,
        &caller,
        id,
        &body,
        labbridge_domain::proposal::ProposalAction::Unexclude,
    )
    .await
}

/// An answer recorded by staff on the enterprise's behalf.
#[derive(Debug, Deserialize)]
pub struct AnswerRequest {
    /// `accept` or `decline`.
    pub decision: String,
    /// A decline reason code: `direction_mismatch`, `no_capacity`, `need_unclear`, `not_ready`,
    /// `already_cooperating`, `other`.
    #[serde(default)]
    pub reason: String,
    /// Free text.
    #[serde(default)]
    pub note: String,
}

impl utoipa::PartialSchema for AnswerRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ObjectBuilder, Type};
        let decision = |values: &[&str]| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(values.to_vec()))
        };
        let shape = ObjectBuilder::new()
            .property("decision", decision(&["accept", "decline"]))
            .required("decision")
            .property(
                "reason",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("Why, on a decline (a reason code or its label)")),
            )
            .property(
                "note",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(labbridge_app::proposals::NOTE_LIMIT)),
            );
        let accept = ObjectBuilder::new().property("decision", decision(&["accept"]));
        let decline = ObjectBuilder::new()
            .property("decision", decision(&["decline"]))
            .property("reason", labbridge_app::openapi::decline_reason())
            .required("reason");
        AllOfBuilder::new()
            .item(shape)
            .item(AnyOfBuilder::new().item(accept).item(decline))
            .description(Some("A decline names its reason"))
            .into()
    }
}

impl utoipa::ToSchema for AnswerRequest {}

#[utoipa::path(
    post,
    path = "/api/v1/proposals/{id}/enterprise-answer",
    params(("id" = i64, Path, description = "The proposal's id")),
    request_body = AnswerRequest,
    responses(
        (status = 200, description = "Recorded", body = labbridge_app::matching::StoredProposal),
        (status = 400, description = "Not a valid answer", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
        (status = 404, description = "No such proposal, or not yours", body = ErrorBody),
        (status = 409, description = "Not waiting for the enterprise", body = ErrorBody),
    )
)]
/// Records the enterprise's answer taken by staff (by phone, in person).
pub async fn enterprise_answer(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let detail = readable_proposal(&state, &caller, id).await?;
    if !caller.may_act_for(&detail.proposal.enterprise_id) {
        return Err(ApiError::forbidden(
            "only the enterprise or staff may answer",
        ));
    }
    let request: AnswerRequest = parse_json(&body, "answer")?;
    let answer = labbridge_app::proposals::AnswerForm {
        decision: request.decision,
        reason: request.reason,
        note: request.note,
    }
    .validate()?;
    let row = state
        .app
        .record_enterprise_answer(id, &answer, &api_actor(&caller))
        .await?;
    Ok(Json(row).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/proposals/{id}/evidence",
    params(("id" = i64, Path, description = "The proposal's id")),
    request_body = labbridge_app::proposals::Evidence,
    responses(
        (status = 200, description = "The partnership is active and counts for coverage", body = labbridge_app::matching::StoredProposal),
        (status = 400, description = "Not valid evidence", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
        (status = 404, description = "No such proposal", body = ErrorBody),
        (status = 409, description = "Not accepted by both sides", body = ErrorBody),
        (status = 422, description = "Fields that break a rule together: valid_to before valid_from; a 共建研发中心 with a level or number but no centre_recognized_on", body = ErrorBody),
    )
)]
/// Records a partnership's evidence (staff only): contract kind and number, 技术合同登记号,
/// dates, and for a joint R&D centre its recognition.
pub async fn evidence(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let evidence: labbridge_app::proposals::Evidence = parse_json(&body, "evidence")?;
    let row = state
        .app
        .record_evidence(id, &evidence, &api_actor(&caller))
        .await?;
    Ok(Json(row).into_response())
}

/// Query of `/api/v1/outbox`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// Only `pending`, `sent` or `dead`.
    #[param(pattern = "^(pending|sent|dead)?$")]
    pub status: Option<String>,
    /// At most this many, newest first (200 by default).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/outbox",
    params(OutboxQuery),
    responses(
        (status = 200, description = "Mail, newest first", body = MailList),
        (status = 400, description = "Unknown status", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
    )
)]
/// The outbox (staff only): failed mail carries the SMTP server's answer.
pub async fn outbox(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<OutboxQuery>,
) -> Result<Response, ApiError> {
    let mail = state
        .app
        .mail(
            query.status.as_deref(),
            bounded(query.limit, 200, 1..=10_000, "limit")? as u64,
        )
        .await?;
    Ok(Json(MailList { mail }).into_response())
}

/// The outbox, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MailList {
    /// The mail.
    pub mail: Vec<labbridge_app::proposals::MailView>,
}

#[utoipa::path(
    post,
    path = "/api/v1/outbox/{id}/retry",
    params(("id" = i64, Path, description = "The mail's id")),
    responses(
        (status = 200, description = "Queued again", body = labbridge_app::proposals::MailView),
        (status = 400, description = "Not a valid id or body", body = ErrorBody),
        (status = 403, description = "Staff only", body = ErrorBody),
        (status = 404, description = "No such mail", body = ErrorBody),
        (status = 409, description = "Not failed", body = ErrorBody),
    )
)]
/// Queues a failed mail again (staff only).
pub async fn retry_mail(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, ApiError> {
    Ok(Json(state.app.retry_mail(id).await?).into_response())
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Counts {
        ids: Vec<i64>,
        staff: Option<u32>,
        share: f64,
    }

    #[test]
    fn whole_numbers_with_a_fraction_are_integers() {
        let read: Counts = parse_json(
            br#"{"ids": [3.0, -7, 1e3], "staff": 2.0, "share": 0.5}"#,
            "counts",
        )
        .expect("whole numbers");
        assert_eq!(
            read,
            Counts {
                ids: vec![3, -7, 1000],
                staff: Some(2),
                share: 0.5
            }
        );
        let error = parse_json::<Counts>(br#"{"ids": [3.5], "share": 1}"#, "counts")
            .expect_err("a fraction is not an id");
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        let error = parse_json::<Counts>(br#"{"ids": [1e300], "share": 1}"#, "counts")
            .expect_err("beyond i64");
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    }
}
