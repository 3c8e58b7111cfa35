//! What the benchmark examples share: timing requests through the router in-process.

use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use labbridge_server::{AppState, router};
use tower::ServiceExt;

/// Sends `runs` GET requests for `uri` with `headers` after one warm-up, each through a fresh
/// router (`oneshot`); returns the times in ms, sorted, and the last body. Every answer must
/// be a success.
pub async fn time_requests(
    state: &AppState,
    uri: &str,
    headers: &[(&str, &str)],
    runs: usize,
) -> (Vec<f64>, axum::body::Bytes) {
    let mut times = Vec::with_capacity(runs);
    let mut body = axum::body::Bytes::new();
    for run in 0..=runs {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Body::empty()).expect("request");
        let started = Instant::now();
        let response = router(state.clone())
            .oneshot(request)
            .await
            .expect("response");
        assert!(
            response.status().is_success(),
            "{uri}: {}",
            response.status()
        );
        body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        if run > 0 {
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    (times, body)
}
