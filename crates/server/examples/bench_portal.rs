//! Portal benchmark: server time of the enterprise portal's pages on the demo county, as an
//! enterprise user signed in with the session cookie opens them.
//!
//! The router is driven in-process (`tower::ServiceExt::oneshot`), so each figure is the
//! server's own time for a request — the authorisation middleware, the registry reads, the
//! template — without a socket or a client. Each page is requested RUNS times after a warm-up;
//! the report gives the median, the 99th percentile and the worst.
//!
//! Usage: `cargo run --release -p labbridge-server --example bench_portal [RUNS]` (default 500).
//! Run by `scripts/bench-portal`.

use labbridge_app::demo::DEMO_STAFF_PASSWORD;
use labbridge_app::import::Progress;
use labbridge_app::portal::NeedInput;
use labbridge_app::{App, Settings};
use labbridge_server::AppState;

mod support;

fn percentile(sorted: &[f64], share: f64) -> f64 {
    let rank = ((sorted.len() as f64 * share).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let year = chrono::Datelike::year(&labbridge_app::today());
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        county: Some("370724".to_owned()),
        ..Settings::default()
    };
    let app = App::open(settings).await.expect("open");
    app.load_demo(year, Progress::Hidden).await.expect("demo");
    let index = app.open_index(Progress::Hidden).await.expect("index");
    app.run_matcher(&index, labbridge_app::today(), Default::default())
        .await
        .expect("matcher");

    // An enterprise with gaps and proposals: the heaviest kind of home page.
    let proposals = app.proposals(None).await.expect("proposals");
    let enterprise = proposals
        .first()
        .map(|row| row.enterprise_id.clone())
        .expect("the matcher proposed something");
    let enterprise = enterprise.as_str();
    let (token, _) = app
        .sign_in(enterprise, DEMO_STAFF_PASSWORD)
        .await
        .expect("sign in")
        .expect("demo enterprise account");
    let need = app
        .save_need(
            enterprise,
            None,
            &NeedInput {
                title: "铝型材时效强度提升".to_owned(),
                kind: Some("research".to_owned()),
                fields: vec!["铝合金".to_owned(), "热处理".to_owned()],
                description: "6063 铝型材时效后强度不稳定，现状为人工时效 8 小时；希望半年内提升强度 10%，预算 30 万元。".to_owned(),
                confidential: false,
                status: None,
            },
            enterprise,
        )
        .await
        .expect("save need")
        .expect("a valid need");
    let cookie = format!("labbridge_session={token}");
    let state = AppState::new(app, Some(index));
    println!("demo county (246 enterprises), enterprise {enterprise}, {runs} runs each:");
    for uri in [
        "/portal".to_owned(),
        "/portal/needs/new".to_owned(),
        format!("/portal/needs/{}", need.id),
        "/portal/proposals".to_owned(),
        format!("/api/v1/enterprises/{enterprise}"),
    ] {
        let (times, body) = support::time_requests(
            &state,
            &uri,
            &[("cookie", &cookie), ("accept", "text/html")],
            runs,
        )
        .await;
        let size = body.len();
        println!(
            "{uri:<40} median {:6.2} ms   p99 {:6.2} ms   worst {:6.2} ms   {size:>7} bytes",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            times[times.len() - 1],
        );
    }
}
