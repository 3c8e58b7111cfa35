//! Dashboard benchmark: server time of the dashboard's pages on the demo county, and of the
//! uncovered list and the XLSX export on a synthetic roster of many enterprises.
//!
//! The router is driven in-process (`tower::ServiceExt::oneshot`), so the figures are the
//! server's own time for a request, without a socket or a client. Each figure is the median
//! and the worst of N runs after one warm-up.
//!
//! Usage: `cargo run --release -p labbridge-server --example bench_dashboard [ENTERPRISES] [RUNS]`
//! (defaults 50000 and 5). Run by `scripts/bench-dashboard`.

use std::time::Instant;

use labbridge_app::demo::{DEMO_STAFF_LOGIN, DEMO_STAFF_PASSWORD};
use labbridge_app::import::{ImportKind, Progress, Row};
use labbridge_app::{App, Settings};
use labbridge_server::AppState;
use serde_json::Value;

mod support;

const TOKEN: &str = "bench-dashboard-token-0123456789abcdef";
async fn open(dir: &std::path::Path) -> App {
    let settings = Settings {
        data_dir: dir.to_path_buf(),
        county: Some("370724".to_owned()),
        staff_token: Some(TOKEN.into()),
        ..Settings::default()
    };
    App::open(settings).await.expect("open")
}

/// Times `runs` requests after a warm-up; returns (median ms, worst ms, response bytes).
async fn time(state: &AppState, uri: &str, cookie: &str, runs: usize) -> (f64, f64, usize) {
    let bearer = format!("Bearer {TOKEN}");
    let (times, body) = support::time_requests(
        state,
        uri,
        &[("authorization", &bearer), ("cookie", cookie)],
        runs,
    )
    .await;
    (times[times.len() / 2], times[times.len() - 1], body.len())
}

fn report(label: &str, (median, worst, size): (f64, f64, usize)) {
    println!("{label:<52} median {median:8.1} ms   worst {worst:8.1} ms   {size:>9} bytes");
}

fn row(number: usize, cells: Value) -> Row {
    let Value::Object(map) = cells else {
        unreachable!("rows are objects")
    };
    Row {
        number,
        cells: map.into_iter().collect(),
    }
}

/// The synthetic roster as import rows (numbered as a sheet shows them).
fn synthetic(count: usize, year: i32) -> (Vec<Row>, Vec<Row>) {
    let (enterprises, partnerships) = labbridge_app::demo::synthetic_roster(0, count, year);
    let rows = |values: Vec<Value>| {
        values
            .into_iter()
            .enumerate()
            .map(|(index, value)| row(index + 2, value))
            .collect()
    };
    (rows(enterprises), rows(partnerships))
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let year = chrono::Datelike::year(&labbridge_app::today());

    // The demo county: the pages a clerk opens every day.
    let demo_dir = tempfile::tempdir().expect("tempdir");
    let app = open(demo_dir.path()).await;
    app.load_demo(year, Progress::Hidden).await.expect("demo");
    let index = app.open_index(Progress::Hidden).await.expect("index");
    let (token, _) = app
        .sign_in(DEMO_STAFF_LOGIN, DEMO_STAFF_PASSWORD)
        .await
        .expect("sign in")
        .expect("demo account");
    let cookie = format!("labbridge_session={token}");
    let state = AppState::new(app, Some(index));
    println!("demo county (246 enterprises), {runs} runs each:");
    for uri in [
        "/",
        "/staff/uncovered",
        "/staff/uncovered?town=370724001",
        "/staff/at-risk",
        "/staff/report",
        "/api/v1/coverage/uncovered",
        "/api/v1/exports/coverage.xlsx",
    ] {
        report(uri, time(&state, uri, &cookie, runs).await);
    }

    // A large roster.
    let big_dir = tempfile::tempdir().expect("tempdir");
    let app = open(big_dir.path()).await;
    let (enterprises, partnerships) = synthetic(count, year);
    let started = Instant::now();
    app.import_rows(
        ImportKind::Enterprises,
        "bench",
        enterprises,
        Vec::new(),
        Progress::Hidden,
    )
    .await
    .expect("import enterprises");
    app.import_rows(
        ImportKind::Partnerships,
        "bench",
        partnerships,
        Vec::new(),
        Progress::Hidden,
    )
    .await
    .expect("import partnerships");
    println!(
        "\nsynthetic roster: {count} enterprises imported in {:.1} s; {runs} runs each:",
        started.elapsed().as_secs_f64()
    );
    let mut lean = Vec::new();
    let mut entities = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let rows = app.store.coverage_rows(year).await.expect("rows");
        lean.push((started.elapsed().as_secs_f64() * 1000.0, rows.len()));
        let started = Instant::now();
        let roster = app.store.roster(year).await.expect("roster");
        entities.push((started.elapsed().as_secs_f64() * 1000.0, roster.len()));
    }
    for (label, mut times) in [
        ("store.coverage_rows (the dashboard's one read)", lean),
        ("store.roster (entities, as the matcher reads)", entities),
    ] {
        times.sort_by(|left, right| left.0.total_cmp(&right.0));
        println!(
            "{label:<52} median {:8.1} ms   ({} enterprises)",
            times[times.len() / 2].0,
            times[0].1
        );
    }
    // Where the export's time goes.
    let today = labbridge_app::today();
    let mut parts = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..runs {
        let started = Instant::now();
        let roster = app.roster_now(today).await.expect("roster");
        parts[0].push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        let uncovered = app
            .uncovered_of(&roster, &Default::default())
            .await
            .expect("uncovered");
        parts[1].push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        app.at_risk_of(&roster).await.expect("at risk");
        parts[2].push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        let mut sheet =
            labbridge_app::export::Sheet::new("未覆盖企业", &["编号", "名称", "镇街", "原因"]);
        for enterprise in uncovered.enterprises {
            sheet.rows.push(vec![
                labbridge_app::export::Cell::text(enterprise.id),
                labbridge_app::export::Cell::text(enterprise.name),
                labbridge_app::export::Cell::text(enterprise.town),
                labbridge_app::export::Cell::text(
                    enterprise
                        .gaps
                        .into_iter()
                        .map(|gap| gap.reason)
                        .collect::<Vec<_>>()
                        .join("；"),
                ),
            ]);
        }
        labbridge_app::export::workbook(&[sheet]).expect("workbook");
        parts[3].push(started.elapsed().as_secs_f64() * 1000.0);
    }
    for (label, mut times) in [
        "in-process: read the roster (App::roster_now)",
        "in-process: the uncovered list of it",
        "in-process: the at-risk list of it",
        "in-process: an XLSX of the uncovered list",
    ]
    .into_iter()
    .zip(parts)
    {
        times.sort_by(f64::total_cmp);
        println!("{label:<52} median {:8.1} ms", times[times.len() / 2]);
    }
    let state = AppState::new(app, None);
    for uri in [
        "/api/v1/coverage",
        "/api/v1/coverage/uncovered",
        "/api/v1/coverage/uncovered?town=370724001&gap=cooperation",
        "/api/v1/coverage/at-risk",
        "/api/v1/exports/coverage.xlsx",
        "/api/v1/exports/enterprises.xlsx",
    ] {
        report(uri, time(&state, uri, "", runs).await);
    }
}
