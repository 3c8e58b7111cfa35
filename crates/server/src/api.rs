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
    paths(coverage, healthz, openapi),
    components(schemas(CoverageReport, GroupRow, ErrorBody))
)]
struct ApiDoc;

#[utoipa::path(get, path = "/api/v1/openapi.json", responses((status = 200, description = "This document")))]
/// The OpenAPI document of every route.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
