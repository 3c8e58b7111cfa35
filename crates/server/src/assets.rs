//! Files the pages need, compiled into the binary: nothing is fetched from elsewhere.

use axum::http::header;
use axum::response::IntoResponse;

/// The one stylesheet of every page.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/labbridge.css"),
    )
}

/// The import columns of every kind (docs/IMPORTS.md), linked from the import page.
pub async fn import_docs() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
        include_str!("../../../docs/IMPORTS.md"),
    )
}
