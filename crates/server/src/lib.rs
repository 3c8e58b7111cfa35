//! labbridge over HTTP: the zh-CN pages (English with `?lang=en`), the `/api/v1` JSON API,
//! `/healthz`, `/metrics` and the OpenAPI document.
//!
//! [`router`] builds the whole application from an [`App`], so tests drive it with
//! `tower::ServiceExt::oneshot` and no socket; [`serve`] binds it and shuts down gracefully on
//! SIGINT or SIGTERM. HTTP types stay in this crate: use cases return `labbridge_app::Error`,
//! whose `ErrorKind` is mapped to a status in one place ([`error`]).
#![warn(missing_docs)]

mod admin;
mod answer;
mod api;
mod assets;
pub mod auth;
mod charts;
mod dashboard;
mod desk;
mod error;
mod metrics;
mod pages;
mod portal;
mod staff;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::MatchedPath;
use axum::http::Request;
use axum::http::{HeaderValue, header};
use labbridge_app::App;
use labbridge_search::SearchIndex;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tracing::info;

pub use error::ApiError;

/// The suggestion vocabulary and when it was read.
type Vocabulary = (std::time::Instant, Arc<Vec<String>>);

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The use cases.
    pub app: App,
    /// The search index, when this process has opened one.
    pub index: Option<Arc<SearchIndex>>,
    /// Request counters for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// Sign-in rate limits of this process (the lock-out itself is in the registry).
    pub sign_in_limits: Arc<staff::SignInLimits>,
    /// The month whose coverage snapshot this process knows is taken.
    pub snapshot_month: Arc<std::sync::Mutex<String>>,
    /// The fields labs and experts list, for the need form's suggestions, and when read.
    vocabulary: Arc<std::sync::Mutex<Option<Vocabulary>>>,
    /// The public coverage page, rendered once per coverage stamp, day and parameters.
    pub coverage_pages: Arc<labbridge_app::stamped::StampedCache<String>>,
}

impl AppState {
    /// Wraps an open app and its index.
    pub fn new(app: App, index: Option<Arc<SearchIndex>>) -> Self {
        Self {
            app,
            index,
            metrics: Arc::new(metrics::Metrics::default()),
            sign_in_limits: Arc::new(staff::SignInLimits::default()),
            snapshot_month: Arc::new(std::sync::Mutex::new(String::new())),
            vocabulary: Arc::new(std::sync::Mutex::new(None)),
            coverage_pages: Arc::default(),
        }
    }

    /// The fields labs and experts list, most common first, read at most every ten minutes
    /// (imports of experts are rare; the need form is not).
    pub async fn field_vocabulary(&self) -> Arc<Vec<String>> {
        let fresh = self
            .vocabulary
            .lock()
            .ok()
            .and_then(|cached| cached.clone())
            .filter(|(read, _)| read.elapsed() < std::time::Duration::from_secs(600));
        if let Some((_, words)) = fresh {
            return words;
        }
        let words = Arc::new(
            self.app
                .field_vocabulary(500)
                .await
                .unwrap_or_else(|error| {
                    tracing::warn!(%error, "cannot read the field vocabulary");
                    Vec::new()
                }),
        );
        if let Ok(mut cached) = self.vocabulary.lock() {
            *cached = Some((std::time::Instant::now(), words.clone()));
        }
        words
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

/// Every route with its permission rule: the one place where access is decided.
pub fn routes() -> auth::Routes {
    use auth::Rule::{
        AuditRead, DeskRead, DeskWork, Enterprise, PartyRead, PartyWork, Public, Signed,
    };
    use axum::extract::DefaultBodyLimit;
    use axum::http::Method;
    auth::Routes::default()
        .get("/", Public, pages::coverage_page)
        .get("/coverage", Public, pages::coverage_page)
        .get("/healthz", Public, api::healthz)
        .get("/metrics", Public, metrics::render)
        .get("/search", Public, pages::search_page)
        .get("/experts/{id}", Public, pages::expert_page)
        .get("/labs/{id}", Public, pages::lab_page)
        .get("/programs/{id}", Public, pages::program_page)
        .get("/offers/{id}", Public, pages::offer_page)
        .get("/login", Public, staff::login_page)
        .post("/login", Public, staff::login)
        .post("/logout", Signed, staff::logout)
        .get("/answer/{token}", Public, answer::answer_page)
        .post("/answer/{token}", Public, answer::answer)
        .get("/assets/labbridge.css", Public, assets::stylesheet)
        .get("/docs/IMPORTS.md", Public, assets::import_docs)
        // The bureau's desk.
        .get("/staff/proposals", DeskRead, staff::proposals_page)
        .post("/staff/exclusions", DeskWork, staff::exclude)
        .post("/staff/proposals/decide", DeskWork, desk::decide)
        .get("/staff/proposals/{id}", DeskRead, desk::proposal_page)
        .post(
            "/staff/proposals/{id}/action",
            DeskWork,
            desk::proposal_action,
        )
        .post(
            "/staff/proposals/{id}/evidence",
            DeskWork,
            desk::record_evidence,
        )
        .post(
            "/staff/proposals/{id}/enterprise-answer",
            DeskWork,
            desk::enterprise_answer,
        )
        .get("/staff/outbox", DeskRead, desk::outbox_page)
        .post("/staff/outbox/{id}/retry", DeskWork, desk::retry_mail)
        .get("/staff/uncovered", DeskRead, dashboard::uncovered_page)
        .get(
            "/staff/enterprises/{id}",
            DeskRead,
            dashboard::enterprise_page,
        )
        .get("/staff/at-risk", DeskRead, dashboard::at_risk_page)
        .get("/staff/imports", DeskRead, dashboard::imports_page)
        .add(
            Method::POST,
            "/staff/imports",
            DeskWork,
            axum::routing::post(dashboard::import_upload)
                .layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
        .get(
            "/staff/imports/{kind}/template.xlsx",
            DeskRead,
            dashboard::template,
        )
        .get("/staff/match", DeskRead, dashboard::match_page)
        .post("/staff/match", DeskWork, dashboard::match_start)
        .get("/staff/report", DeskRead, dashboard::report_page)
        .get("/staff/audit", AuditRead, admin::audit_page)
        // The enterprise portal.
        .get("/portal", Enterprise, portal::home)
        .get("/portal/needs/new", Enterprise, portal::new_need_page)
        .post("/portal/needs", Enterprise, portal::create_need)
        .get("/portal/needs/{id}", Enterprise, portal::need_page_get)
        .post("/portal/needs/{id}", Enterprise, portal::update_need)
        .get("/portal/proposals", Enterprise, portal::proposals_page)
        .post("/portal/proposals/{id}/answer", Enterprise, portal::answer)
        // The JSON API.
        .get("/api/v1/coverage", Public, api::coverage)
        .get(
            "/api/v1/coverage/uncovered",
            DeskRead,
            dashboard::uncovered_api,
        )
        .get("/api/v1/coverage/at-risk", DeskRead, dashboard::at_risk_api)
        .get("/api/v1/coverage/trend", Public, dashboard::trend_api)
        .add(
            Method::POST,
            "/api/v1/imports/{kind}",
            DeskWork,
            axum::routing::post(dashboard::import_api).layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
        .get("/api/v1/exports/{file}", DeskRead, dashboard::export_api)
        .post("/api/v1/match/runs", DeskWork, dashboard::start_run_api)
        .get(
            "/api/v1/match/runs/latest",
            DeskRead,
            dashboard::latest_run_api,
        )
        .get("/api/v1/search", Public, api::search)
        .get("/api/v1/search/institutions", Public, api::institutions)
        .get(
            "/api/v1/enterprises/{id}",
            PartyRead,
            portal::enterprise_api,
        )
        .post("/api/v1/needs", PartyWork, portal::create_need_api)
        .get("/api/v1/needs/{id}", PartyRead, portal::need_api)
        .put("/api/v1/needs/{id}", PartyWork, portal::update_need_api)
        .get("/api/v1/needs/{id}/similar", PartyRead, api::similar)
        .get("/api/v1/proposals", PartyRead, api::proposals)
        .post("/api/v1/exclusions", DeskWork, api::exclude)
        .post("/api/v1/proposals/approve", DeskWork, api::approve)
        .get("/api/v1/proposals/{id}", PartyRead, api::proposal)
        .post("/api/v1/proposals/{id}/reject", DeskWork, api::reject)
        .post("/api/v1/proposals/{id}/withdraw", DeskWork, api::withdraw)
        .post("/api/v1/proposals/{id}/unexclude", DeskWork, api::unexclude)
        .post(
            "/api/v1/proposals/{id}/enterprise-answer",
            PartyWork,
            api::enterprise_answer,
        )
        .post("/api/v1/proposals/{id}/evidence", DeskWork, api::evidence)
        .get("/api/v1/outbox", DeskRead, api::outbox)
        .post("/api/v1/outbox/{id}/retry", DeskWork, api::retry_mail)
        .get("/api/v1/audit", AuditRead, admin::audit_api)
        .get("/api/v1/openapi.json", Public, api::openapi)
}

/// Builds the router: pages, API, health, metrics, each route behind its rule.
pub fn router(state: AppState) -> Router {
    routes()
        .into_router(&state)
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::count,
        ))
        // Cross-site requests that change something are refused before any handler runs
        // (Origin and Sec-Fetch-Site); the form token is checked per route in `auth`.
        .layer(tower_http::csrf::CsrfLayer::new().with_rejection_response(
            |_: tower_http::csrf::ProtectionError| {
                axum::response::IntoResponse::into_response(ApiError::forbidden(
                    "cross-site request refused: send the form from this site's own page",
                ))
            },
        ))
        // A request that takes longer than a client would wait is ended (its transaction rolls
        // back); the error pages below give the 408 its body.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        // Bodies are small except the imports' files (their routes raise the limit).
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(error::error_pages))
        // Beyond this many requests in flight, more are answered 503 at once instead of
        // queueing until memory or patience runs out.
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)),
            shed_load,
        ))
        // Every answer, unless it set its own: no framing, no type sniffing, no caching of
        // pages that may show personal data, no inline script and no other site's resources.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
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

/// The largest request body outside the imports (forms and JSON are far smaller).
pub const BODY_LIMIT: usize = 1024 * 1024;
/// How long one request may take before it is ended with 408.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);
/// Requests served at once; more are answered 503 with `Retry-After`.
pub const MAX_IN_FLIGHT: usize = 1024;

/// Answers 503 at once when [`MAX_IN_FLIGHT`] requests are already being served.
async fn shed_load(
    axum::extract::State(permits): axum::extract::State<Arc<tokio::sync::Semaphore>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match permits.try_acquire() {
        Ok(_permit) => next.run(request).await,
        Err(_) => {
            let mut response = axum::response::IntoResponse::into_response(ApiError::unavailable(
                "the server is busy; try again in a moment",
            ));
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    }
}

/// The content security policy: this site's scripts, styles and images only; inline style
/// attributes are allowed (bar widths), inline script is not.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    info!(addr = %listener.local_addr()?, "listening");
    axum::serve(
        // `tap_io` lends the wrapped listener the peer address for `ConnectInfo`.
        wire::Listener(listener).tap_io(|_| {}),
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
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
