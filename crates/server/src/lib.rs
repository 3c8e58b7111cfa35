//! labbridge over HTTP: the zh-CN pages (English with `?lang=en`), the `/api/v1` JSON API,
//! `/healthz`, `/metrics` and the OpenAPI document.
//!
//! [`router`] builds the whole application from an [`App`], so tests drive it with
//! `tower::ServiceExt::oneshot` and no socket; [`serve`] binds it and shuts down gracefully on
//! SIGINT or SIGTERM. HTTP types stay in this crate: use cases return `labbridge_app::Error`,
//! whose `ErrorKind` is mapped to a status in one place ([`error`]).
#![warn(missing_docs)]

mod answer;
mod api;
mod assets;
mod charts;
mod dashboard;
mod desk;
mod error;
mod metrics;
mod pages;
mod staff;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::MatchedPath;
use axum::http::Request;
use axum::routing::{get, post};
use labbridge_app::App;
use labbridge_search::SearchIndex;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::info;

pub use error::ApiError;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The use cases.
    pub app: App,
    /// The search index, when this process has opened one.
    pub index: Option<Arc<SearchIndex>>,
    /// Request counters for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// Failed sign-ins, per login, for the lock-out.
    pub sign_in_guard: Arc<staff::SignInGuard>,
    /// The month whose coverage snapshot this process knows is taken.
    pub snapshot_month: Arc<std::sync::Mutex<String>>,
}

impl AppState {
    /// Wraps an open app and its index.
    pub fn new(app: App, index: Option<Arc<SearchIndex>>) -> Self {
        Self {
            app,
            index,
            metrics: Arc::new(metrics::Metrics::default()),
            sign_in_guard: Arc::new(staff::SignInGuard::default()),
            snapshot_month: Arc::new(std::sync::Mutex::new(String::new())),
        }
    }

    /// Returns the index, or a 503 when none is open.
    pub fn index(&self) -> Result<&SearchIndex, ApiError> {
        self.index
            .as_deref()
            .ok_or_else(|| ApiError::unavailable("the search index is not open"))
    }

    /// Runs a search on the blocking pool: a search is CPU work of a millisecond or more, which
    /// must not hold up the async workers that serve every other request.
    pub async fn search(
        &self,
        request: labbridge_search::Request,
    ) -> Result<labbridge_search::Results, ApiError> {
        let index = self
            .index
            .clone()
            .ok_or_else(|| ApiError::unavailable("the search index is not open"))?;
        let app = self.app.clone();
        tokio::task::spawn_blocking(move || app.search(&index, &request))
            .await
            .map_err(|error| {
                tracing::error!(%error, "search task failed");
                ApiError::internal()
            })?
            .map_err(ApiError::from)
    }
}

/// The largest import file accepted over HTTP (a county roster is well under 1 MB; a province's
/// expert list a few tens of MB).
const IMPORT_LIMIT: usize = 64 * 1024 * 1024;

/// Builds the router: pages, API, health, metrics.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::coverage_page))
        .route("/coverage", get(pages::coverage_page))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(metrics::render))
        .route("/search", get(pages::search_page))
        .route("/experts/{id}", get(pages::expert_page))
        .route("/labs/{id}", get(pages::lab_page))
        .route("/programs/{id}", get(pages::program_page))
        .route("/login", get(staff::login_page).post(staff::login))
        .route("/logout", post(staff::logout))
        .route("/staff/proposals", get(staff::proposals_page))
        .route("/staff/exclusions", post(staff::exclude))
        .route("/staff/proposals/decide", post(desk::decide))
        .route("/staff/proposals/{id}", get(desk::proposal_page))
        .route("/staff/proposals/{id}/action", post(desk::proposal_action))
        .route(
            "/staff/proposals/{id}/evidence",
            post(desk::record_evidence),
        )
        .route(
            "/staff/proposals/{id}/enterprise-answer",
            post(desk::enterprise_answer),
        )
        .route("/staff/outbox", get(desk::outbox_page))
        .route("/staff/outbox/{id}/retry", post(desk::retry_mail))
        .route(
            "/answer/{token}",
            get(answer::answer_page).post(answer::answer),
        )
        .route("/assets/labbridge.css", get(assets::stylesheet))
        .route("/docs/IMPORTS.md", get(assets::import_docs))
        .route("/staff/uncovered", get(dashboard::uncovered_page))
        .route("/staff/enterprises/{id}", get(dashboard::enterprise_page))
        .route("/staff/at-risk", get(dashboard::at_risk_page))
        .route(
            "/staff/imports",
            get(dashboard::imports_page)
                .post(dashboard::import_upload)
                .layer(axum::extract::DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
        .route(
            "/staff/imports/{kind}/template.xlsx",
            get(dashboard::template),
        )
        .route(
            "/staff/match",
            get(dashboard::match_page).post(dashboard::match_start),
        )
        .route("/staff/report", get(dashboard::report_page))
        .route("/api/v1/coverage", get(api::coverage))
        .route("/api/v1/coverage/uncovered", get(dashboard::uncovered_api))
        .route("/api/v1/coverage/at-risk", get(dashboard::at_risk_api))
        .route("/api/v1/coverage/trend", get(dashboard::trend_api))
        .route(
            "/api/v1/imports/{kind}",
            post(dashboard::import_api).layer(axum::extract::DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
        .route("/api/v1/exports/{file}", get(dashboard::export_api))
        .route("/api/v1/match/runs", post(dashboard::start_run_api))
        .route("/api/v1/match/runs/latest", get(dashboard::latest_run_api))
        .route("/api/v1/search", get(api::search))
        .route("/api/v1/search/institutions", get(api::institutions))
        .route("/api/v1/needs/{id}/similar", get(api::similar))
        .route("/api/v1/proposals", get(api::proposals))
        .route("/api/v1/exclusions", post(api::exclude))
        .route("/api/v1/proposals/approve", post(api::approve))
        .route("/api/v1/proposals/{id}", get(api::proposal))
        .route("/api/v1/proposals/{id}/reject", post(api::reject))
        .route("/api/v1/proposals/{id}/withdraw", post(api::withdraw))
        .route("/api/v1/proposals/{id}/unexclude", post(api::unexclude))
        .route(
            "/api/v1/proposals/{id}/enterprise-answer",
            post(api::enterprise_answer),
        )
        .route("/api/v1/proposals/{id}/evidence", post(api::evidence))
        .route("/api/v1/outbox", get(api::outbox))
        .route("/api/v1/outbox/{id}/retry", post(api::retry_mail))
        .route("/api/v1/openapi.json", get(api::openapi))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::count,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let path = request.extensions().get::<MatchedPath>().map_or_else(
                    || request.uri().path().to_owned(),
                    |matched| matched.as_str().to_owned(),
                );
                let request_id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                tracing::info_span!("http", method = %request.method(), path, request_id)
            }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    info!(addr = %listener.local_addr()?, "listening");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => info!("interrupt received, shutting down"),
        () = terminate => info!("terminate received, shutting down"),
    }
}
