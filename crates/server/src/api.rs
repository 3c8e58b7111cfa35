//! The `/api/v1` JSON routes, `/healthz` and the OpenAPI document that describes them.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use labbridge_app::coverage::{CoverageReport, GroupRow};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::{IntoParams, OpenApi};

use crate::AppState;
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
pub struct CoverageQuery {
    /// The roster year; defaults to the latest.
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
        (status = 200, description = "The registry answers"),
        (status = 503, description = "The registry does not answer", body = ErrorBody),
    )
)]
/// 200 when the registry answers.
pub async fn healthz(State(state): State<AppState>) -> Result<Response, ApiError> {
    state
        .app
        .store
        .ping()
        .await
        .map_err(labbridge_app::Error::from)?;
    Ok(
        Json(serde_json::json!({"status": "ok", "registry": state.app.store.backend_name()}))
            .into_response(),
    )
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
        exclude
    ),
    components(schemas(
        CoverageReport,
        GroupRow,
        ErrorBody,
        labbridge_app::matching::StoredProposal
    ))
)]
struct ApiDoc;

#[utoipa::path(get, path = "/api/v1/openapi.json", responses((status = 200, description = "This document")))]
/// The OpenAPI document of every route.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Query of `/api/v1/search`.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// The text, as typed; empty browses.
    pub q: Option<String>,
    /// `expert`, `lab`, `program` (`need` for staff); several may be comma-separated.
    pub kind: Option<String>,
    /// Page size, 10 by default, at most 100.
    pub limit: Option<usize>,
    /// Hits to skip.
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

/// Whether the request carries the staff bearer token.
pub fn is_staff(state: &AppState, headers: &axum::http::HeaderMap) -> bool {
    let Some(expected) = state
        .app
        .settings
        .staff_token
        .as_deref()
        .filter(|token| !token.is_empty())
    else {
        return false;
    };
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|token| token.trim() == expected)
}

/// A 403 naming what is staff-only unless the request carries the staff token.
fn require_staff(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    what: &str,
) -> Result<(), ApiError> {
    if is_staff(state, headers) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "{what} visible to bureau staff only (Authorization: Bearer <staff token>)"
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
                "kind '{raw}' is not one of expert, lab, program, need"
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
        limit: query.limit.unwrap_or(10).clamp(1, 100),
        offset: query.offset.unwrap_or(0),
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
    headers: axum::http::HeaderMap,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Response, ApiError> {
    let request = search_request(&query, is_staff(&state, &headers))?;
    let results = state.search(request).await?;
    Ok(Json(results).into_response())
}

/// Query of `/api/v1/search/institutions`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct InstitutionsQuery {
    /// The subject, e.g. 铝合金热处理.
    pub q: String,
    /// How many institutions, 10 by default.
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
    let ranked =
        state
            .app
            .strongest_institutions(state.index()?, &query.q, query.limit.unwrap_or(10))?;
    Ok(Json(serde_json::json!({ "institutions": ranked })).into_response())
}

/// Query of `/api/v1/proposals`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ProposalsQuery {
    /// Only this status (`proposed`, `approved`, `sent`, `accepted`, `declined`, `excluded`).
    pub status: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/proposals",
    params(ProposalsQuery),
    responses(
        (status = 200, description = "The matcher's proposals with their reasons", body = [labbridge_app::matching::StoredProposal]),
        (status = 403, description = "Staff only", body = ErrorBody),
    )
)]
/// The matcher's proposals (staff only: they name enterprises' gaps and needs).
pub async fn proposals(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiQuery(query): ApiQuery<ProposalsQuery>,
) -> Result<Response, ApiError> {
    require_staff(&state, &headers, "proposals are")?;
    let rows = state
        .app
        .proposals(
            query
                .status
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty()),
        )
        .await?;
    Ok(Json(serde_json::json!({ "total": rows.len(), "proposals": rows })).into_response())
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
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    require_staff(&state, &headers, "exclusions are")?;
    let exclusion: labbridge_app::matching::Exclusion = serde_json::from_slice(&body)
        .map_err(|error| ApiError::invalid(format!("not a valid exclusion: {error}")))?;
    let (row, already) = state.app.exclude(&exclusion).await?;
    let status = if already {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::CREATED
    };
    Ok((status, Json(row)).into_response())
}

/// Query of `/api/v1/needs/{id}/similar`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SimilarQuery {
    /// How many hits, 10 by default.
    pub limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/needs/{id}/similar",
    params(("id" = String, Path, description = "The need's id"), SimilarQuery),
    responses(
        (status = 200, description = "Labs and experts ranked by fit to the need"),
        (status = 403, description = "Staff only", body = ErrorBody),
        (status = 404, description = "No such need", body = ErrorBody),
    )
)]
/// Labs and experts similar to a need (staff only: needs are confidential to their enterprise).
pub async fn similar(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
    ApiQuery(query): ApiQuery<SimilarQuery>,
) -> Result<Response, ApiError> {
    require_staff(&state, &headers, "needs are")?;
    let results = state
        .app
        .similar_to_need(state.index()?, &id, query.limit.unwrap_or(10).clamp(1, 100))
        .await?;
    Ok(Json(results).into_response())
}
