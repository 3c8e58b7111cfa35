//! HTTP tests: the router driven with `oneshot`, on the demo county.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use labbridge_app::import::Progress;
use labbridge_app::{App, Settings};
use labbridge_server::{AppState, router};
use serde_json::Value;
use tower::ServiceExt;

async fn demo_state() -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        database_url: Some("sqlite::memory:".to_owned()),
        county: None,
        addr: "127.0.0.1:0".to_owned(),
        staff_token: None,
    };
    let app = App::open(settings).await.expect("open");
    let year = chrono_year();
    app.load_demo(year, Progress::Hidden).await.expect("demo");
    (AppState::new(app, None), dir)
}

fn chrono_year() -> i32 {
    labbridge_app::today()
        .format("%Y")
        .to_string()
        .parse()
        .expect("year")
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, String, String) {
    let response = router(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        content_type,
        String::from_utf8(bytes.to_vec()).expect("utf-8"),
    )
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).expect("json body")
}

#[tokio::test]
async fn coverage_api_has_the_contract_shape() {
    let (state, _dir) = demo_state().await;
    let (status, content_type, body) = get(&state, "/api/v1/coverage").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("application/json"));
    let report = json(&body);
    assert_eq!(report["year"], chrono_year());
    assert_eq!(report["total"], 246);
    assert_eq!(report["covered"], 64);
    assert!((report["rate"].as_f64().expect("rate") - 64.0 / 246.0).abs() < 1e-9);
    for key in ["cooperation", "institution_and_staff"] {
        assert!(report[key].as_u64().is_some(), "{key} is an integer");
    }
    let towns = report["by_town"].as_array().expect("by_town");
    assert_eq!(towns.len(), 10);
    for town in towns {
        for key in [
            "town",
            "total",
            "covered",
            "cooperation",
            "institution_and_staff",
            "rate",
        ] {
            assert!(!town[key].is_null(), "by_town item has {key}");
        }
    }
    let industries = report["by_industry"].as_array().expect("by_industry");
    assert!(
        industries
            .iter()
            .all(|row| row["industry"].is_string() && row["rate"].is_number())
    );

    let (status, _, body) = get(&state, "/api/v1/coverage?year=1999").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        json(&body)["total"],
        0,
        "a year without a roster is empty, not an error"
    );
}

#[tokio::test]
async fn bad_input_is_a_json_error() {
    let (state, _dir) = demo_state().await;
    for uri in [
        "/api/v1/coverage?year=abc",
        "/api/v1/coverage?year=3000",
        "/?year=%F0%9F%98%80",
        "/?lang=fr",
    ] {
        let (status, content_type, body) = get(&state, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(content_type.starts_with("application/json"), "{uri}");
        let error = json(&body);
        assert_eq!(error["code"], "invalid", "{uri}");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|message| !message.is_empty()),
            "{uri}"
        );
    }
    let (status, _, body) = get(&state, "/api/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json(&body)["code"], "not_found");
}

#[tokio::test]
async fn health_metrics_and_openapi_answer() {
    let (state, _dir) = demo_state().await;
    let (status, _, body) = get(&state, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["registry"], "sqlite");

    let _ = get(&state, "/api/v1/coverage").await;
    let (status, content_type, body) = get(&state, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.contains("openmetrics"));
    assert!(body.contains("labbridge_http_requests_total{method=\"GET\",route=\"/api/v1/coverage\",status=\"200\"} 1"), "{body}");

    let (status, _, body) = get(&state, "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let document = json(&body);
    for path in ["/api/v1/coverage", "/healthz", "/api/v1/openapi.json"] {
        assert!(
            document["paths"][path]["get"].is_object(),
            "openapi documents {path}"
        );
    }
    assert!(document["components"]["schemas"]["CoverageReport"].is_object());
}

#[tokio::test]
async fn coverage_page_is_chinese_by_default_and_english_on_request() {
    let (state, _dir) = demo_state().await;
    let (status, content_type, page) = get(&state, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"));
    assert!(page.contains("<html lang=\"zh-CN\">"));
    assert!(page.contains("两个全覆盖"));
    assert!(page.contains("<div class=\"value\" id=\"covered\">64</div>"));
    assert!(page.contains("<div class=\"value\" id=\"total\">246</div>"));
    assert!(page.contains("26.0%"));
    assert!(page.contains("城关街道") && page.contains("铝材深加工"));
    assert!(page.contains("演示数据"));

    let (_, _, english) = get(&state, "/?lang=en").await;
    assert!(english.contains("<html lang=\"en\">"));
    assert!(english.contains("Fully covered"));
    assert!(english.contains("aluminium"));

    let (_, _, by_name) = get(&state, "/?sort=name").await;
    let position = |name: &str| by_name.find(&format!("<td>{name}</td>")).expect(name);
    assert!(
        position("城关街道") < position("东城街道")
            && position("东城街道") < position("蒋峪镇")
            && position("柳山镇") < position("五井镇")
    );
}
