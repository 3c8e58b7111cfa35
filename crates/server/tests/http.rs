//! HTTP tests: the router driven with `oneshot`, on the demo county.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use labbridge_app::import::Progress;
use labbridge_app::{App, Settings};
use labbridge_server::{AppState, router};
use serde_json::Value;
use tower::ServiceExt;

/// The staff token of these tests (at least 32 characters, as the settings require).
const SECRET: &str = "http-test-staff-token-0123456789abcdef";

async fn demo_state() -> (AppState, tempfile::TempDir) {
    demo_state_with(None).await
}

async fn demo_state_with(staff_token: Option<&str>) -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        database_url: Some("sqlite::memory:".to_owned()),
        county: None,
        addr: "127.0.0.1:0".to_owned(),
        staff_token: staff_token.map(Into::into),
        ..Settings::default()
    };
    let app = App::open(settings).await.expect("open");
    let year = chrono_year();
    app.load_demo(year, Progress::Hidden).await.expect("demo");
    let index = app.open_index(Progress::Hidden).await.expect("index");
    (AppState::new(app, Some(index)), dir)
}

fn chrono_year() -> i32 {
    labbridge_app::today()
        .format("%Y")
        .to_string()
        .parse()
        .expect("year")
}

/// Sends a request; returns the status, the headers and the body's bytes.
async fn call_bytes(
    state: &AppState,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = router(state.clone())
        .oneshot(request)
        .await
        .expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, headers, bytes.to_vec())
}

/// Sends a request; returns the status, the headers and the body.
async fn call(
    state: &AppState,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let (status, headers, bytes) = call_bytes(state, request).await;
    (status, headers, String::from_utf8(bytes).expect("utf-8"))
}

fn header(headers: &axum::http::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, String, String) {
    let request = Request::get(uri).body(Body::empty()).expect("request");
    let (status, headers, body) = call(state, request).await;
    (status, header(&headers, "content-type"), body)
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
    let health = json(&body);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["registry"]["backend"], "sqlite");
    assert!(
        health["index"]["documents"]
            .as_u64()
            .is_some_and(|count| count > 3000),
        "{health}"
    );
    // Without an index the health says which part is missing, as an error body.
    let bare = AppState::new(state.app.clone(), None);
    let (status, _, body) = get(&bare, "/healthz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let health = json(&body);
    assert_eq!(health["code"], "unavailable");
    assert!(
        health["message"]
            .as_str()
            .is_some_and(|message| message.starts_with("index:")),
        "{health}"
    );
    assert_eq!(health["registry"]["ok"], true);

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
    assert!(english.contains("Aluminium processing"), "chains by label");
    assert!(!english.contains(">aluminium<"), "never by code");

    let (_, _, by_name) = get(&state, "/?sort=name").await;
    let position = |name: &str| by_name.find(&format!(">{name}</a></td>")).expect(name);
    assert!(
        position("城关街道") < position("东城街道")
            && position("东城街道") < position("蒋峪镇")
            && position("柳山镇") < position("五井镇")
    );
}

async fn get_with(state: &AppState, uri: &str, token: &str) -> (StatusCode, String) {
    let request = Request::get(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    send(state, request).await
}

async fn send(state: &AppState, request: Request<Body>) -> (StatusCode, String) {
    let (status, _, body) = call(state, request).await;
    (status, body)
}

#[tokio::test]
async fn search_api_has_the_contract_shape() {
    let (state, _dir) = demo_state().await;
    let (status, _, body) = get(
        &state,
        "/api/v1/search?q=%E9%93%9D%E5%90%88%E9%87%91%E7%83%AD%E5%A4%84%E7%90%86",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let results = json(&body);
    assert!(results["total"].as_u64().expect("total") > 10);
    let hits = results["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 10, "limit defaults to 10");
    for hit in hits {
        for key in ["kind", "id", "name", "institution", "score", "snippet"] {
            assert!(!hit[key].is_null(), "hit has {key}: {hit}");
        }
        assert!(["expert", "lab", "program"].contains(&hit["kind"].as_str().expect("kind")));
    }
    assert!(
        hits[0]["snippet"]
            .as_str()
            .expect("snippet")
            .contains("<em>")
    );
    let top_name = hits[0]["name"].as_str().expect("name");
    assert!(
        top_name.contains("热处理"),
        "the best hit is about heat treatment: {top_name}"
    );

    let (status, _, body) = get(&state, "/api/v1/search?kind=lab&limit=200").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "limit is at most 100");
    assert_eq!(json(&body)["code"], "invalid");
    let (status, _, _) = get(&state, "/api/v1/search?kind=lab&offset=10001").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "offset is at most 10,000");
    let (_, _, body) = get(&state, "/api/v1/search?kind=lab&limit=100&offset=5").await;
    let results = json(&body);
    assert_eq!(results["hits"].as_array().expect("hits").len(), 100);
    assert!(
        results["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .all(|hit| hit["kind"] == "lab")
    );

    let (_, _, body) = get(&state, "/api/v1/search?kind=program&limit=100").await;
    assert_eq!(json(&body)["total"], 9, "an empty query browses");
}

#[tokio::test]
async fn a_query_in_traditional_script_finds_what_the_simplified_one_does() {
    let (state, _dir) = demo_state().await;
    let ids = |body: &str| -> Vec<String> {
        json(body)["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .map(|hit| hit["id"].as_str().expect("id").to_owned())
            .collect()
    };
    for (simplified, traditional) in [
        ("铝合金热处理", "鋁合金熱處理"),
        ("液压站老是漏油", "液壓站老是漏油"),
    ] {
        let encode =
            |raw: &str| -> String { raw.bytes().map(|byte| format!("%{byte:02X}")).collect() };
        let (status, _, plain) =
            get(&state, &format!("/api/v1/search?q={}", encode(simplified))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, folded) =
            get(&state, &format!("/api/v1/search?q={}", encode(traditional))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!ids(&plain).is_empty(), "{simplified}");
        assert_eq!(ids(&plain), ids(&folded), "{simplified} / {traditional}");
    }
}

#[tokio::test]
async fn any_text_is_a_valid_query() {
    let (state, _dir) = demo_state().await;
    let long: String = "铝合金热处理".repeat(334);
    for raw in [
        "\"",
        "a:b",
        "((铝",
        "😀🚀",
        "*",
        "-",
        "OR AND NOT",
        "title:铝 AND",
        long.as_str(),
        "%",
    ] {
        let encoded: String = raw.bytes().map(|byte| format!("%{byte:02X}")).collect();
        let (status, content_type, body) =
            get(&state, &format!("/api/v1/search?q={encoded}")).await;
        assert_eq!(status, StatusCode::OK, "{raw}: {body}");
        assert!(content_type.starts_with("application/json"));
        let (status, _, _) = get(&state, &format!("/search?q={encoded}")).await;
        assert_eq!(status, StatusCode::OK, "page for {raw}");
    }
    let (status, _, body) = get(&state, "/api/v1/search?q=x&kind=widget").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&body)["code"], "invalid");
    let (status, _, _) = get(&state, "/api/v1/search?q=x&limit=-1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn needs_are_for_staff_only() {
    let (state, _dir) = demo_state_with(Some(SECRET)).await;
    let (status, _, body) = get(&state, "/api/v1/search?q=%E6%8C%A4%E5%8E%8B&kind=need").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(json(&body)["code"], "forbidden");
    let (status, body) = get_with(
        &state,
        "/api/v1/search?q=%E6%8C%A4%E5%8E%8B&kind=need",
        "wrong",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = get_with(
        &state,
        "/api/v1/search?q=%E6%8C%A4%E5%8E%8B&kind=need",
        SECRET,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let results = json(&body);
    assert!(results["total"].as_u64().expect("total") > 0);
    assert!(
        results["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .all(|hit| hit["kind"] == "need")
    );

    let (status, _, _) = get(&state, "/api/v1/needs/demo-need-0001/similar").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = get_with(&state, "/api/v1/needs/demo-need-0001/similar", SECRET).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let similar = json(&body);
    assert!(
        similar["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .all(|hit| hit["kind"] == "lab" || hit["kind"] == "expert")
    );
    let (status, _) = get_with(&state, "/api/v1/needs/nope/similar", SECRET).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn institutions_strongest_in_a_subject() {
    let (state, _dir) = demo_state().await;
    let (status, _, body) = get(&state, "/api/v1/search/institutions?q=%E9%93%9D%E5%90%88%E9%87%91%E7%83%AD%E5%A4%84%E7%90%86&limit=5").await;
    assert_eq!(status, StatusCode::OK);
    let ranked = json(&body);
    let institutions = ranked["institutions"].as_array().expect("institutions");
    assert_eq!(institutions.len(), 5);
    let strongest = [
        "中南大学",
        "北京科技大学",
        "东北大学",
        "湖南大学",
        "山东大学",
        "哈尔滨工业大学",
        "西北工业大学",
        "上海交通大学",
    ];
    let top = institutions[0]["institution"].as_str().expect("name");
    assert!(
        strongest.contains(&top),
        "a metallurgy university leads: {top}"
    );
    assert!(
        institutions
            .windows(2)
            .all(|pair| pair[0]["score"].as_f64() >= pair[1]["score"].as_f64())
    );
}

#[tokio::test]
async fn search_and_detail_pages() {
    let (state, _dir) = demo_state().await;
    let (status, _, page) = get(
        &state,
        "/search?q=%E5%8C%97%E7%A7%91%E5%A4%A7%20%E6%8C%A4%E5%8E%8B",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<em>"), "highlights");
    assert!(
        page.contains("北京科技大学"),
        "the alias 北科大 finds 北京科技大学"
    );
    assert!(page.contains("id=\"facets\""));
    let (status, _, lab) = get(&state, "/labs/demo-lab-001").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        lab.contains("/experts/demo-expert-0001"),
        "a lab lists its experts"
    );
    let (status, _, expert) = get(&state, "/experts/demo-expert-0001").await;
    assert_eq!(status, StatusCode::OK);
    assert!(expert.contains("/labs/demo-lab-001"));
    let (status, _, program) = get(&state, "/programs/prog-taishan-scholar").await;
    assert_eq!(status, StatusCode::OK);
    assert!(program.contains("泰山学者") && program.contains("/experts/"));
    let (status, _, body) = get(&state, "/experts/nobody").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json(&body)["code"], "not_found");
}

#[tokio::test]
async fn technology_offers_have_a_tab_a_page_and_an_api_kind() {
    let (state, dir) = demo_state().await;
    let path = dir.path().join("offers.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"id":"offer-1","name":"高强铝合金在线淬火工艺","institution":"山东大学","holder":"张明","fields":["铝合金","热处理"],"description":"挤压后在线淬火，省去离线固溶","patent":"ZL202310000001.5","price":"面议"}"#,
            "\n"
        ),
    )
    .expect("write");
    state
        .app
        .import_file(
            labbridge_app::import::ImportKind::Offers,
            &path,
            Progress::Hidden,
        )
        .await
        .expect("import");
    let index = state.index.clone().expect("index");
    state
        .app
        .rebuild_index(&index, Progress::Hidden)
        .await
        .expect("rebuild");
    let (status, _, body) = get(
        &state,
        "/api/v1/search?q=%E5%9C%A8%E7%BA%BF%E6%B7%AC%E7%81%AB&kind=offer",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let found = json(&body);
    assert_eq!(found["hits"][0]["kind"], "offer", "{found}");
    assert_eq!(found["hits"][0]["id"], "offer-1");
    let (status, _, page) = get(
        &state,
        "/search?q=%E5%9C%A8%E7%BA%BF%E6%B7%AC%E7%81%AB&kind=offer",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("科技成果") && page.contains("/offers/offer-1"),
        "{page}"
    );
    let (status, _, page) = get(&state, "/offers/offer-1").await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "高强铝合金在线淬火工艺",
        "张明",
        "ZL202310000001.5",
        "面议",
        "成果持有人",
    ] {
        assert!(page.contains(text), "{text}");
    }
    let (status, _, page) = get(&state, "/offers/offer-1?lang=en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Holder"));
    let (status, _, body) = get(&state, "/offers/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json(&body)["code"], "not_found");
}

#[tokio::test]
async fn proposals_are_listed_for_staff_only() {
    let (state, _dir) = demo_state_with(Some(SECRET)).await;
    let index = state.index.clone().expect("index");
    let report = state
        .app
        .run_matcher(
            &index,
            labbridge_app::today(),
            labbridge_app::matching::MatchOptions::default(),
        )
        .await
        .expect("match");
    assert!(!report.proposals.is_empty());

    let (status, _, body) = get(&state, "/api/v1/proposals").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let error: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(error["code"], "forbidden");

    let (status, body) = get_with(&state, "/api/v1/proposals", SECRET).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        listed["total"].as_u64(),
        Some(report.proposals.len() as u64)
    );
    let first = &listed["proposals"][0];
    assert_eq!(first["status"], "proposed");
    assert!(!first["enterprise"].as_str().unwrap_or_default().is_empty());
    assert!(!first["partner"].as_str().unwrap_or_default().is_empty());
    assert!(
        first["reasons"]["matched_terms"]
            .as_array()
            .is_some_and(|terms| !terms.is_empty())
    );
    assert!(first["reasons"]["parts"]["relevance"].as_f64().is_some());

    let (status, body) = get_with(
        &state,
        "/api/v1/proposals?status=declined_by_partner",
        SECRET,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let none: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(none["total"], 0);
}

async fn post_json(
    state: &AppState,
    uri: &str,
    token: Option<&str>,
    body: &str,
) -> (StatusCode, Value) {
    let mut request = Request::post(uri).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request.body(Body::from(body.to_owned())).expect("request");
    let (status, text) = send(state, request).await;
    (status, serde_json::from_str(&text).expect("json body"))
}

#[tokio::test]
async fn staff_exclusions_withdraw_a_proposal_and_keep_it_out() {
    let (state, _dir) = demo_state_with(Some(SECRET)).await;
    let index = state.index.clone().expect("index");
    let today = labbridge_app::today();
    let report = state
        .app
        .run_matcher(
            &index,
            today,
            labbridge_app::matching::MatchOptions::default(),
        )
        .await
        .expect("match");
    let first = &report.proposals[0];
    let body = serde_json::json!({
        "enterprise_id": first.enterprise_id,
        "partner_kind": first.partner_kind,
        "partner_id": first.partner_id,
        "reason": "利益冲突：专家为企业股东"
    })
    .to_string();

    let (status, error) = post_json(&state, "/api/v1/exclusions", None, &body).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, row) = post_json(&state, "/api/v1/exclusions", Some(SECRET), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{row}");
    assert_eq!(row["status"], "excluded");
    let (status, again) = post_json(&state, "/api/v1/exclusions", Some(SECRET), &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], row["id"]);

    let rerun = state
        .app
        .run_matcher(
            &index,
            today,
            labbridge_app::matching::MatchOptions::default(),
        )
        .await
        .expect("re-run");
    assert!(!rerun.proposals.iter().any(|proposal| {
        proposal.enterprise_id == first.enterprise_id && proposal.partner_id == first.partner_id
    }));
    let (status, listed) = get_with(&state, "/api/v1/proposals?status=excluded", SECRET).await;
    assert_eq!(status, StatusCode::OK);
    let listed: Value = serde_json::from_str(&listed).expect("json");
    assert_eq!(listed["total"], 1);

    for (bad, expected) in [
        ("{not json", StatusCode::BAD_REQUEST),
        (
            r#"{"enterprise_id": "nope", "partner_kind": "lab", "partner_id": "x"}"#,
            StatusCode::NOT_FOUND,
        ),
        (
            &*format!(
                r#"{{"enterprise_id": "{}", "partner_kind": "robot", "partner_id": "x"}}"#,
                first.enterprise_id
            ),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (status, error) = post_json(&state, "/api/v1/exclusions", Some(SECRET), bad).await;
        assert_eq!(status, expected, "{bad}: {error}");
        assert!(
            error["code"].is_string() && error["message"].is_string(),
            "{error}"
        );
    }
}

/// The form token of a session cookie (`labbridge_session=…`), as the pages put it in forms.
fn form_token_of(cookie: &str) -> String {
    cookie
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "labbridge_session")
        .map(|(_, token)| labbridge_app::accounts::form_token(token))
        .unwrap_or_default()
}

/// Sends a form, with a cookie if given (and then the session's form token, as a page's form
/// carries it); returns status, headers and body.
async fn post_form(
    state: &AppState,
    uri: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, String) {
    let token = cookie.map(form_token_of).unwrap_or_default();
    let mut form = form.to_vec();
    if !token.is_empty() {
        form.push(("csrf", &token));
    }
    let body: String = form
        .iter()
        .map(|(key, value)| format!("{key}={}", urlencode(value)))
        .collect::<Vec<_>>()
        .join("&");
    let mut request =
        Request::post(uri).header("content-type", "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    call(state, request.body(Body::from(body)).expect("request")).await
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

async fn get_cookie(state: &AppState, uri: &str, cookie: &str) -> (StatusCode, String, String) {
    let request = Request::get(uri)
        .header("cookie", cookie)
        .body(Body::empty())
        .expect("request");
    let (status, headers, body) = call(state, request).await;
    (status, header(&headers, "location"), body)
}

#[tokio::test]
async fn staff_sign_in_review_proposals_and_exclude_a_pair() {
    use labbridge_app::demo::{DEMO_STAFF_LOGIN, DEMO_STAFF_PASSWORD};
    let (state, _dir) = demo_state().await;
    let index = state.index.clone().expect("index");
    let report = state
        .app
        .run_matcher(
            &index,
            labbridge_app::today(),
            labbridge_app::matching::MatchOptions::default(),
        )
        .await
        .expect("match");

    // Without a session the page sends the browser to sign in, and nothing is listed.
    let (status, location, body) = get_cookie(&state, "/staff/proposals", "").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/login?"), "{location}");
    assert!(!body.contains("demo-ent"));
    let (status, location, _) =
        get_cookie(&state, "/staff/proposals", "labbridge_session=forged").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");

    // The sign-in page, in Chinese; a wrong password is a 401 with the form again.
    let (status, _, body) = get(&state, "/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<h1>登录</h1>"));
    let (status, headers, body) = post_form(
        &state,
        "/login",
        None,
        &[
            ("login", DEMO_STAFF_LOGIN),
            ("password", "not-the-password"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("账号或密码不正确"));
    assert!(headers.get("set-cookie").is_none());

    // The right password: a session cookie and a redirect, never to another site.
    let (status, headers, _) = post_form(
        &state,
        "/login",
        None,
        &[
            ("login", DEMO_STAFF_LOGIN),
            ("password", DEMO_STAFF_PASSWORD),
            ("next", "//evil.example/steal"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(header(&headers, "location"), "/staff/proposals");
    let set_cookie = headers
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .expect("a cookie");
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
    let cookie = set_cookie.split(';').next().expect("pair").to_owned();

    // Every proposal is listed, with its partner, reasons and an exclusion form.
    let (status, _, body) = get_cookie(&state, "/staff/proposals", &cookie).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("匹配建议") && body.contains("科技局演示账号"));
    let total = report.proposals.len();
    assert!(body.contains(&format!("<span id=\"matching\">{total}</span>")));
    assert_eq!(body.matches("<tr data-id=").count(), total.min(200));
    // Pages of 200: every proposal is on exactly one page.
    let mut seen = 0;
    for page in 1..=total.div_ceil(200) {
        let (_, _, body) =
            get_cookie(&state, &format!("/staff/proposals?page={page}"), &cookie).await;
        seen += body.matches("<tr data-id=").count();
    }
    assert_eq!(seen, total);
    let first = &report.proposals[0];
    // The town filter and the text filter narrow the list.
    let in_town = report
        .proposals
        .iter()
        .filter(|proposal| proposal.town == first.town)
        .count();
    assert!(in_town < total);
    let uri = format!("/staff/proposals?town={}", urlencode(&first.town));
    let (_, _, body) = get_cookie(&state, &uri, &cookie).await;
    assert_eq!(body.matches("<tr data-id=").count(), in_town.min(200));
    let of_enterprise = report
        .proposals
        .iter()
        .filter(|proposal| proposal.enterprise.contains(&first.enterprise))
        .count();
    let uri = format!("/staff/proposals?q={}", urlencode(&first.enterprise));
    let (_, _, body) = get_cookie(&state, &uri, &cookie).await;
    assert_eq!(body.matches("<tr data-id=").count(), of_enterprise);
    assert!(body.contains(&first.partner) && body.contains(&first.enterprise));

    // Exclude one pair from the page: it is withdrawn and a notice names it.
    let (status, headers, _) = post_form(
        &state,
        "/staff/exclusions",
        Some(&cookie),
        &[
            ("enterprise_id", &first.enterprise_id),
            ("partner_kind", &first.partner_kind),
            ("partner_id", &first.partner_id),
            ("reason", "利益冲突：亲属任职"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = header(&headers, "location");
    let (status, _, body) = get_cookie(&state, &back, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("已排除") && body.contains(&first.partner),
        "{body}"
    );
    let excluded = state
        .app
        .proposals(Some("excluded"))
        .await
        .expect("proposals");
    assert_eq!(excluded.len(), 1);
    assert_eq!(excluded[0].partner_id, first.partner_id);
    assert_eq!(
        excluded[0].reasons["excluded_by_staff"],
        "利益冲突：亲属任职"
    );
    assert_eq!(excluded[0].reasons["excluded_by"], DEMO_STAFF_LOGIN);
    assert_eq!(
        excluded[0].note.as_deref(),
        Some(format!("利益冲突：亲属任职（{DEMO_STAFF_LOGIN}）").as_str())
    );
    let (_, _, body) = get_cookie(&state, "/staff/proposals?status=excluded", &cookie).await;
    assert_eq!(body.matches("<tr data-id=").count(), 1);
    // The 已排除 tab shows the reason and who excluded it, with an undo.
    assert!(
        body.contains(&format!("利益冲突：亲属任职（{DEMO_STAFF_LOGIN}）")),
        "{body}"
    );
    assert!(body.contains("撤销排除"));
    let excluded_id = excluded[0].id;
    let (status, headers, _) = post_form(
        &state,
        &format!("/staff/proposals/{excluded_id}/action"),
        Some(&cookie),
        &[("action", "unexclude"), ("back", "list")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(header(&headers, "location").contains("status=excluded"));
    let undone = state
        .app
        .proposal_detail(excluded_id)
        .await
        .expect("detail");
    assert_eq!(undone.proposal.status, "proposed");
    assert_eq!(undone.events.last().expect("event").actor, DEMO_STAFF_LOGIN);
    // Excluded again for the rest of the test.
    let (status, _, _) = post_form(
        &state,
        &format!("/staff/proposals/{excluded_id}/action"),
        Some(&cookie),
        &[("action", "withdraw")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = post_form(
        &state,
        "/staff/exclusions",
        Some(&cookie),
        &[
            ("enterprise_id", &first.enterprise_id),
            ("partner_kind", &first.partner_kind),
            ("partner_id", &first.partner_id),
            ("reason", "利益冲突：亲属任职"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // A bad pair is named on the page (400), and nothing changes.
    let (status, _, body) = post_form(
        &state,
        "/staff/exclusions",
        Some(&cookie),
        &[
            ("enterprise_id", "no-such-enterprise"),
            ("partner_kind", "expert"),
            ("partner_id", &first.partner_id),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("no-such-enterprise"), "{body}");
    assert_eq!(
        state
            .app
            .proposals(Some("excluded"))
            .await
            .expect("proposals")
            .len(),
        1
    );

    // Without a session the form changes nothing; after signing out the cookie is dead.
    let second = &report.proposals[1];
    let (status, _, _) = post_form(
        &state,
        "/staff/exclusions",
        None,
        &[
            ("enterprise_id", &second.enterprise_id),
            ("partner_kind", &second.partner_kind),
            ("partner_id", &second.partner_id),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = post_form(&state, "/logout", Some(&cookie), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = get_cookie(&state, "/staff/proposals", &cookie).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        state
            .app
            .proposals(Some("excluded"))
            .await
            .expect("proposals")
            .len(),
        1
    );
}

#[tokio::test]
async fn repeated_failed_sign_ins_lock_the_login() {
    use labbridge_app::demo::{DEMO_STAFF_LOGIN, DEMO_STAFF_PASSWORD};
    let (state, _dir) = demo_state().await;
    for _ in 0..5 {
        let (status, _, _) = post_form(
            &state,
            "/login",
            None,
            &[("login", DEMO_STAFF_LOGIN), ("password", "guess-guess")],
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Locked now, even with the right password (and in another case).
    let (status, headers, body) = post_form(
        &state,
        "/login",
        None,
        &[("login", "DEMO-STAFF"), ("password", DEMO_STAFF_PASSWORD)],
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("15 分钟"), "{body}");
    assert!(headers.get("set-cookie").is_none());
    assert_eq!(
        headers
            .get("retry-after")
            .and_then(|value| value.to_str().ok()),
        Some("900"),
        "a lock says when to come back"
    );
    // Another login is not affected.
    state
        .app
        .add_account(&labbridge_app::accounts::NewAccount {
            login: "li.na",
            display_name: "李娜",
            role: "staff",
            email: None,
            password: "Another-password1",
            enterprise_id: None,
        })
        .await
        .expect("account");
    let (status, headers, _) = post_form(
        &state,
        "/login",
        None,
        &[("login", "li.na"), ("password", "Another-password1")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        header(&headers, "set-cookie").contains("HttpOnly")
            && !header(&headers, "set-cookie").contains("Secure")
    );
    // Behind HTTPS the cookie is marked Secure.
    let mut secure = state.clone();
    secure.app.settings.secure_cookies = true;
    let (status, headers, _) = post_form(
        &secure,
        "/login",
        None,
        &[("login", "li.na"), ("password", "Another-password1")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(header(&headers, "set-cookie").ends_with("; Secure"));
}

#[tokio::test]
async fn the_proposal_loop_over_the_api_and_its_permissions() {
    let (state, _dir) = demo_state_with(Some(SECRET)).await;
    let index = state.index.clone().expect("index");
    state
        .app
        .run_matcher(
            &index,
            labbridge_app::today(),
            labbridge_app::matching::MatchOptions::default(),
        )
        .await
        .expect("match");
    let listed = state.app.proposals(Some("proposed")).await.expect("list");
    let (first, second) = (listed[0].id, listed[1].id);

    // Every loop route refuses a caller without the staff token, as JSON.
    for (method, uri) in [
        ("GET", format!("/api/v1/proposals/{first}")),
        ("POST", "/api/v1/proposals/approve".to_owned()),
        ("POST", format!("/api/v1/proposals/{first}/reject")),
        ("POST", format!("/api/v1/proposals/{first}/withdraw")),
        ("POST", format!("/api/v1/proposals/{first}/unexclude")),
        (
            "POST",
            format!("/api/v1/proposals/{first}/enterprise-answer"),
        ),
        ("POST", format!("/api/v1/proposals/{first}/evidence")),
        ("GET", "/api/v1/outbox".to_owned()),
        ("POST", "/api/v1/outbox/1/retry".to_owned()),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(&uri)
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .expect("request");
        let (status, body) = send(&state, request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}: {body}");
        assert_eq!(json(&body)["code"], "forbidden", "{method} {uri}");
    }
    // …and the staff pages send a browser without a session to sign in.
    for uri in [
        format!("/staff/proposals/{first}"),
        "/staff/outbox".to_owned(),
    ] {
        let (status, location, _) = get_cookie(&state, &uri, "").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{uri}");
        assert!(location.starts_with("/login"), "{uri}: {location}");
    }
    let (status, _, _) = post_form(
        &state,
        "/staff/proposals/decide",
        None,
        &[("action", "approve"), ("id", &first.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        state
            .app
            .proposal_detail(first)
            .await
            .expect("detail")
            .proposal
            .status,
        "proposed",
        "nothing changed without a session"
    );

    // With the token: approve one, reject one with a reason, refuse a rejection without one.
    let (status, outcome) = post_json(
        &state,
        "/api/v1/proposals/approve",
        Some(SECRET),
        &format!("{{\"ids\": [{first}, 999999]}}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["done"], serde_json::json!([first]));
    assert_eq!(outcome["skipped"][0]["id"], 999999);
    let (status, body) = post_json(&state, "/api/v1/proposals/approve", Some(SECRET), "{}").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = post_json(
        &state,
        &format!("/api/v1/proposals/{second}/reject"),
        Some(SECRET),
        "{}",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = post_json(
        &state,
        &format!("/api/v1/proposals/{second}/reject"),
        Some(SECRET),
        "{\"reason\": \"企业已停产\"}",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "rejected");
    // A transition the table forbids is a 409 naming both.
    let (status, body) = post_json(
        &state,
        &format!("/api/v1/proposals/{second}/reject"),
        Some(SECRET),
        "{\"reason\": \"again\"}",
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("rejected")
    );
    let (status, body) = post_json(
        &state,
        &format!("/api/v1/proposals/{first}/evidence"),
        Some(SECRET),
        "{\"kind\": \"技术开发合同\", \"valid_from\": \"2026-01-01\"}",
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "evidence before both accepted: {body}"
    );

    // The detail has the timeline; the outbox has the partner's mail, pending (no SMTP here).
    let (status, body) = get_with(&state, &format!("/api/v1/proposals/{first}"), SECRET).await;
    assert_eq!(status, StatusCode::OK);
    let detail = json(&body);
    assert_eq!(detail["events"][1]["actor"], "api-token");
    assert_eq!(detail["mail"][0]["status"], "pending");
    let (status, body) = get_with(&state, "/api/v1/outbox?status=pending", SECRET).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["mail"].as_array().expect("mail").len(), 1);
    let (status, body) = get_with(&state, "/api/v1/outbox?status=lost", SECRET).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // The answer page: unknown links are a Chinese page, a GET of a real one changes nothing.
    let (status, _, page) = get(&state, &format!("/answer/{}", "ab".repeat(32))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        page.contains("链接无效") && page.contains("<html"),
        "{page}"
    );
    let (status, _, _) = get(&state, "/answer/short").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let text = detail["mail"][0]["id"].as_i64().expect("mail id");
    let mail = state
        .app
        .store
        .mail_by_id(text)
        .await
        .expect("mail")
        .expect("row");
    let start = mail.body.find("/answer/").expect("link") + 8;
    let token = &mail.body[start..start + 64];
    let (status, _, page) = get(&state, &format!("/answer/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("name=\"decision\""), "{page}");
    assert_eq!(
        state
            .app
            .proposal_detail(first)
            .await
            .expect("detail")
            .proposal
            .status,
        "approved"
    );

    // The OpenAPI document lists the loop's routes.
    let (_, _, body) = get(&state, "/api/v1/openapi.json").await;
    let paths = &json(&body)["paths"];
    for path in [
        "/api/v1/proposals/{id}",
        "/api/v1/proposals/approve",
        "/api/v1/proposals/{id}/evidence",
        "/api/v1/outbox",
        "/api/v1/outbox/{id}/retry",
    ] {
        assert!(paths.get(path).is_some(), "{path} in the OpenAPI document");
    }
}

// ---------------------------------------------------------------------------------------------
// The bureau's dashboard

const TOKEN: &str = "dashboard-test-token-0123456789abcdef";

async fn send_bytes(
    state: &AppState,
    uri: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let request = Request::post(uri)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("request");
    let (status, _, body) = call(state, request).await;
    (status, json(&body))
}

async fn get_bytes(state: &AppState, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let request = Request::get(uri)
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .expect("request");
    call_bytes(state, request).await
}

#[tokio::test]
async fn dashboard_routes_are_for_staff_only() {
    let (state, _dir) = demo_state_with(Some(TOKEN)).await;
    for uri in [
        "/api/v1/coverage/uncovered",
        "/api/v1/coverage/at-risk",
        "/api/v1/exports/coverage.xlsx",
        "/api/v1/match/runs/latest",
    ] {
        let (status, content_type, body) = get(&state, uri).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}");
        assert!(content_type.starts_with("application/json"), "{uri}");
        assert_eq!(json(&body)["code"], "forbidden", "{uri}");
        let (status, _) = get_with(&state, uri, "wrong-token").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}");
    }
    for uri in ["/api/v1/imports/enterprises", "/api/v1/match/runs"] {
        let request = Request::post(uri)
            .header("content-type", "text/csv")
            .body(Body::from("id\n"))
            .expect("request");
        let (status, body) = send(&state, request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {body}");
    }
    for uri in [
        "/staff/uncovered?town=370724001",
        "/staff/at-risk",
        "/staff/imports",
        "/staff/match",
        "/staff/report",
        "/staff/enterprises/demo-ent-001",
        "/staff/imports/enterprises/template.xlsx",
    ] {
        let (status, location, body) = get_cookie(&state, uri, "").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{uri}");
        assert!(location.starts_with("/login?"), "{uri}: {location}");
        assert!(!body.contains("demo-ent"), "{uri}");
    }
    // The trend is an aggregate, public like the coverage itself.
    let (status, _, body) = get(&state, "/api/v1/coverage/trend").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_uncovered_list_agrees_with_the_coverage_report() {
    let (state, _dir) = demo_state_with(Some(TOKEN)).await;
    let (_, body) = get_with(&state, "/api/v1/coverage", TOKEN).await;
    let report = json(&body);
    let (status, body) = get_with(&state, "/api/v1/coverage/uncovered?limit=1000", TOKEN).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list = json(&body);
    let total = report["total"].as_u64().expect("total");
    let covered = report["covered"].as_u64().expect("covered");
    assert_eq!(list["total"].as_u64(), Some(total - covered));
    let enterprises = list["enterprises"].as_array().expect("list");
    assert_eq!(enterprises.len() as u64, total - covered);
    // Pages of the default size (100), joined, are the whole list in the same order.
    let mut joined = Vec::new();
    for offset in (0..total - covered).step_by(100) {
        let (status, body) = get_with(
            &state,
            &format!("/api/v1/coverage/uncovered?offset={offset}"),
            TOKEN,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let page = json(&body);
        assert_eq!(page["total"].as_u64(), Some(total - covered));
        assert_eq!(page["offset"].as_u64(), Some(offset));
        assert_eq!(page["limit"].as_u64(), Some(100));
        let rows = page["enterprises"].as_array().expect("page").clone();
        assert!(rows.len() <= 100);
        joined.extend(rows);
    }
    assert_eq!(&joined, enterprises);
    for refused in ["limit=0", "limit=1001", "offset=-1", "offset=1000001"] {
        let (status, body) = get_with(
            &state,
            &format!("/api/v1/coverage/uncovered?{refused}"),
            TOKEN,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}: {body}");
        assert_eq!(json(&body)["code"], "invalid", "{refused}");
    }
    for enterprise in enterprises {
        for key in [
            "id",
            "name",
            "town",
            "industry",
            "owner",
            "gaps",
            "latest_proposal",
        ] {
            assert!(enterprise.get(key).is_some(), "{key} in {enterprise}");
        }
        let gaps = enterprise["gaps"].as_array().expect("gaps");
        assert!(!gaps.is_empty(), "{enterprise}");
        for gap in gaps {
            assert!(
                matches!(
                    gap["coverage"].as_str(),
                    Some("cooperation" | "institution_and_staff")
                ),
                "{gap}"
            );
            let reason = gap["reason"].as_str().expect("reason");
            assert!(
                reason
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{reason}"
            );
            if gap["code"] == "cooperation_expired" {
                let since = gap["since"].as_str().expect("an expiry has a date");
                assert!(reason.contains(since), "{reason} names {since}");
            }
        }
    }
    // Each filter agrees with the report's own counts.
    let missing_a = total - report["cooperation"].as_u64().expect("A");
    let (_, body) = get_with(&state, "/api/v1/coverage/uncovered?gap=cooperation", TOKEN).await;
    assert_eq!(json(&body)["total"].as_u64(), Some(missing_a));
    for town in report["by_town"].as_array().expect("towns") {
        let code = town["town_code"].as_str().expect("code");
        let (_, body) = get_with(
            &state,
            &format!("/api/v1/coverage/uncovered?town={code}"),
            TOKEN,
        )
        .await;
        let expected = town["total"].as_u64().unwrap_or(0) - town["covered"].as_u64().unwrap_or(0);
        assert_eq!(json(&body)["total"].as_u64(), Some(expected), "town {code}");
    }
    for chain in report["by_industry"].as_array().expect("chains") {
        let code = chain["industry_code"].as_str().expect("code");
        let (_, body) = get_with(
            &state,
            &format!("/api/v1/coverage/uncovered?industry={code}"),
            TOKEN,
        )
        .await;
        let expected =
            chain["total"].as_u64().unwrap_or(0) - chain["covered"].as_u64().unwrap_or(0);
        assert_eq!(
            json(&body)["total"].as_u64(),
            Some(expected),
            "chain {code}"
        );
    }
    let (_, body) = get_with(&state, "/api/v1/coverage/uncovered?town=nowhere", TOKEN).await;
    assert_eq!(json(&body)["total"].as_u64(), Some(0));
}

#[tokio::test]
async fn at_risk_and_the_year_end_forecast() {
    let (state, _dir) = demo_state_with(Some(TOKEN)).await;
    let (status, body) = get_with(&state, "/api/v1/coverage/at-risk", TOKEN).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let risk = json(&body);
    let year = risk["year"].as_i64().expect("year") as i32;
    // The forecast is the rule applied on 31 December, computed here independently.
    let year_end = chrono::NaiveDate::from_ymd_opt(year, 12, 31).expect("date");
    let at_end = state
        .app
        .coverage(Some(year), year_end)
        .await
        .expect("report");
    let forecast = risk["forecast_rate"].as_f64().expect("rate");
    assert!(
        (forecast - at_end.rate).abs() < 1e-9,
        "{forecast} vs {}",
        at_end.rate
    );
    let today = labbridge_app::today();
    let mut previous = String::new();
    for enterprise in risk["enterprises"].as_array().expect("list") {
        let loses_on = enterprise["loses_on"].as_str().expect("date").to_owned();
        let day: chrono::NaiveDate = loses_on.parse().expect("date");
        assert!(day > today && day <= year_end, "{enterprise}");
        assert!(loses_on >= previous, "sorted by date");
        previous = loses_on;
        // Covered today, not covered on the day it loses a coverage.
        let id = enterprise["id"].as_str().expect("id");
        let (_, now, _) = state
            .app
            .enterprise_file(id, today)
            .await
            .expect("file")
            .expect("exists");
        assert!(now.covered(), "{id} is covered today");
        let (_, then, _) = state
            .app
            .enterprise_file(id, day)
            .await
            .expect("file")
            .expect("exists");
        assert!(!then.covered(), "{id} is not covered on {day}");
    }
}

#[tokio::test]
async fn the_trend_has_this_month_and_the_demo_history() {
    let (state, _dir) = demo_state_with(Some(TOKEN)).await;
    let (status, _, body) = get(&state, "/api/v1/coverage/trend").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let trend = json(&body);
    let months = trend["months"].as_array().expect("months");
    let this_month = labbridge_app::today().format("%Y-%m").to_string();
    let last = months.last().expect("a month");
    assert_eq!(last["month"], this_month.as_str());
    let report = state
        .app
        .coverage(None, labbridge_app::today())
        .await
        .expect("report");
    assert_eq!(last["covered"].as_u64(), Some(u64::from(report.covered)));
    assert_eq!(last["total"].as_u64(), Some(u64::from(report.total)));
    let month_number: usize = this_month[5..].parse().expect("month");
    assert_eq!(
        months.len(),
        month_number,
        "one point per month of the year so far"
    );
    // A town's trend, and the coverage page draws the charts as SVG with Chinese labels.
    let town = report.by_town[0].town_code.clone().expect("code");
    let (_, _, body) = get(&state, &format!("/api/v1/coverage/trend?scope=town:{town}")).await;
    assert_eq!(
        json(&body)["months"].as_array().map(Vec::len),
        Some(month_number)
    );
    let (_, _, page) = get(&state, "/").await;
    assert!(page.matches("<svg").count() >= 3, "three charts");
    assert!(
        page.contains("全县覆盖率（按月）")
            && page.contains(&report.by_town[0].town.clone().unwrap_or_default())
    );
}

#[tokio::test]
async fn imports_over_http_are_all_or_nothing_and_remember_the_county() {
    let (state, _dir) = demo_state_with(Some(TOKEN)).await;
    let before = state.app.store.counts().await.expect("counts").enterprises;
    // The demo remembered its county: rows without one are placed in 临朐县.
    let code_ok = "91370724MA3EXAMPL1";
    let good = format!(
        "编号,企业名称,统一社会信用代码,镇街,产业链,是否规上,名录年度\nnew-1,临朐新铝业有限公司,{code_ok},城关街道,铝材深加工,是,{}\n",
        chrono_year()
    );
    let bad = format!(
        "{good}new-2,坏行企业,not-a-code,城关街道,铝材深加工,是,{}\nnew-3,,{code_ok},不存在镇,铝材深加工,是,abc\n",
        chrono_year()
    );
    let (status, body) = send_bytes(
        &state,
        "/api/v1/imports/enterprises",
        "text/csv",
        bad.into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid_rows");
    let problems = body["problems"].as_array().expect("problems");
    let rows: std::collections::BTreeSet<u64> =
        problems.iter().filter_map(|p| p["row"].as_u64()).collect();
    assert_eq!(rows, [3, 4].into_iter().collect(), "{body}");
    assert!(
        problems
            .iter()
            .any(|p| p["field"] == "credit_code" && p["header"] == "统一社会信用代码")
    );
    assert!(
        problems
            .iter()
            .any(|p| p["field"] == "name" && p["reason"] == "缺少此项（必填）"),
        "{body}"
    );
    assert_eq!(
        state.app.store.counts().await.expect("counts").enterprises,
        before,
        "nothing written"
    );
    let (status, body) = send_bytes(
        &state,
        "/api/v1/imports/enterprises?format=csv",
        "application/octet-stream",
        good.into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["created"].as_u64(), body["updated"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        state.app.store.counts().await.expect("counts").enterprises,
        before + 1
    );
    // An unnamed format and an unknown kind are plain errors.
    let (status, body) = send_bytes(
        &state,
        "/api/v1/imports/enterprises",
        "application/octet-stream",
        b"x".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) =
        send_bytes(&state, "/api/v1/imports/widgets", "text/csv", b"x".to_vec()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The template downloads and names every column in Chinese.
    let (status, headers, bytes) = get_bytes(&state, "/staff/imports/needs/template.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert!(header(&headers, "content-type").contains("spreadsheetml"));
    let rows = read_sheet(bytes, None);
    assert_eq!(rows[0][0], "编号");
    assert!(rows[0].contains(&"需求名称".to_owned()) && rows.len() == 2);
}

/// Reads a sheet (the first, or the named one) of an XLSX as text cells.
fn read_sheet(bytes: Vec<u8>, name: Option<&str>) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("xlsx");
    let sheet = name.map_or_else(|| workbook.sheet_names()[0].clone(), str::to_owned);
    let range = workbook.worksheet_range(&sheet).expect("sheet");
    range
        .rows()
        .map(|row| row.iter().map(ToString::to_string).collect())
        .collect()
}

#[tokio::test]
async fn the_coverage_export_reads_back_with_the_right_rows() {
    let (state, _dir) = demo_state_with(Some(TOKEN)).await;
    let (status, headers, bytes) = get_bytes(&state, "/api/v1/exports/coverage.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert!(header(&headers, "content-disposition").contains("filename*=UTF-8''"));
    let report = state
        .app
        .coverage(None, labbridge_app::today())
        .await
        .expect("report");
    let towns = read_sheet(bytes.clone(), Some("分镇街"));
    assert_eq!(towns[0][0], "镇街");
    assert_eq!(towns.len(), report.by_town.len() + 1);
    assert_eq!(
        towns[1][0],
        report.by_town[0].town.clone().unwrap_or_default()
    );
    let uncovered = read_sheet(bytes.clone(), Some("未覆盖企业"));
    assert_eq!(uncovered.len() as u32, report.total - report.covered + 1);
    let total = read_sheet(bytes, Some("总体"));
    assert_eq!(total[1][2], report.total.to_string());
    for kind in ["enterprises", "proposals", "partnerships"] {
        let (status, _, bytes) = get_bytes(&state, &format!("/api/v1/exports/{kind}.xlsx")).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        assert!(!read_sheet(bytes, None).is_empty());
    }
    let (status, _, _) = get_bytes(&state, "/api/v1/exports/secrets.xlsx").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn one_matcher_run_at_a_time_from_the_desk() {
    let (state, _dir) = demo_state_with(Some(TOKEN)).await;
    let (status, body) =
        send_bytes(&state, "/api/v1/match/runs", "application/json", Vec::new()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "running");
    let (status, body) =
        send_bytes(&state, "/api/v1/match/runs", "application/json", Vec::new()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let mut run = Value::Null;
    for _ in 0..600 {
        let (_, body) = get_with(&state, "/api/v1/match/runs/latest", TOKEN).await;
        run = json(&body);
        if run["status"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(run["status"], "done", "{run}");
    let proposals = state
        .app
        .proposals(Some("proposed"))
        .await
        .expect("proposals");
    assert_eq!(
        run["summary"]["proposals"].as_u64(),
        Some(proposals.len() as u64)
    );
    assert!(!proposals.is_empty());
    let towns = run["summary"]["towns"].as_array().expect("towns");
    assert!(
        towns
            .iter()
            .all(|town| town["forecast"].as_u64() >= town["covered"].as_u64())
    );
    // Done: another run may start.
    let (status, _) =
        send_bytes(&state, "/api/v1/match/runs", "application/json", Vec::new()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
}
