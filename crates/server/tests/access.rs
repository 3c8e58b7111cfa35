//! Who may do what: every route against every role (from `routes.matrix`), the CSRF rules as a
//! table, the security headers, the enterprise portal's boundaries, error pages, and contact
//! details that reach an enterprise only after the partner agreed (PIPL).
//!
//! All on one demo county with one matcher run, driven in-process with `oneshot`.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use labbridge_app::demo::{
    DEMO_ADMIN_LOGIN, DEMO_AUDITOR_LOGIN, DEMO_STAFF_LOGIN, DEMO_STAFF_PASSWORD,
};
use labbridge_app::import::Progress;
use labbridge_app::proposals::Actor;
use labbridge_app::{App, Settings};
use labbridge_server::{AppState, router};
use tower::ServiceExt;

const TOKEN: &str = "matrix-staff-token-0123456789abcdef";

/// The roles of the matrix, in its column order.
const ROLES: [&str; 7] = [
    "anon", "ent-a", "ent-b", "auditor", "staff", "admin", "token",
];

struct World {
    state: AppState,
    _dir: tempfile::TempDir,
    /// Cookie per signed-in role.
    cookies: BTreeMap<&'static str, String>,
    enterprise_a: String,
    enterprise_b: String,
    /// A proposal of enterprise A.
    proposal_a: i64,
    /// A need of enterprise A.
    need_a: String,
    expert_id: String,
    lab_id: String,
}

async fn world() -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        database_url: Some("sqlite::memory:".to_owned()),
        county: None,
        addr: "127.0.0.1:0".to_owned(),
        staff_token: Some(TOKEN.into()),
        ..Settings::default()
    };
    let app = App::open(settings).await.expect("open");
    let year: i32 = labbridge_app::today()
        .format("%Y")
        .to_string()
        .parse()
        .expect("year");
    app.load_demo(year, Progress::Hidden).await.expect("demo");
    let index = app.open_index(Progress::Hidden).await.expect("index");
    app.run_matcher(
        &index,
        labbridge_app::today(),
        labbridge_app::matching::MatchOptions::default(),
    )
    .await
    .expect("match");
    let proposals = app.proposals(None).await.expect("proposals");
    let first = proposals.first().expect("a proposal");
    let enterprise_a = first.enterprise_id.clone();
    let enterprise_b = proposals
        .iter()
        .map(|row| row.enterprise_id.clone())
        .find(|id| *id != enterprise_a)
        .expect("another enterprise");
    let need_a = app
        .save_need(
            &enterprise_a,
            None,
            &labbridge_app::portal::NeedInput {
                title: "铝型材时效强度提升".to_owned(),
                description: labbridge_app::portal::EXAMPLE_NEED.to_owned(),
                fields: vec!["铝合金".to_owned()],
                kind: Some("research".to_owned()),
                confidential: true,
                status: None,
            },
            "test",
        )
        .await
        .expect("q")
        .expect("need")
        .id;
    let expert_id = proposals
        .iter()
        .find(|row| row.partner_kind == "expert")
        .map(|row| row.partner_id.clone())
        .expect("an expert proposal");
    let lab_id = proposals
        .iter()
        .find(|row| row.partner_kind == "lab")
        .map(|row| row.partner_id.clone())
        .expect("a lab proposal");
    let mut cookies = BTreeMap::new();
    for (role, login) in [
        ("ent-a", enterprise_a.as_str()),
        ("ent-b", enterprise_b.as_str()),
        ("auditor", DEMO_AUDITOR_LOGIN),
        ("staff", DEMO_STAFF_LOGIN),
        ("admin", DEMO_ADMIN_LOGIN),
    ] {
        let (token, _) = app
            .sign_in(login, DEMO_STAFF_PASSWORD)
            .await
            .expect("q")
            .unwrap_or_else(|| panic!("{login} signs in"));
        cookies.insert(role, format!("labbridge_session={token}"));
    }
    // Someone else's matcher run holds the lease, so starting one answers 409 whoever asks
    // (the matrix stays the same however fast the matcher is).
    app.start_match_run("someone-else", "test")
        .await
        .expect("lease");
    World {
        proposal_a: first.id,
        state: AppState::new(app, Some(index)),
        _dir: dir,
        cookies,
        enterprise_a,
        enterprise_b,
        need_a,
        expert_id,
        lab_id,
    }
}

fn form_token(cookie: &str) -> String {
    cookie
        .strip_prefix("labbridge_session=")
        .map(labbridge_app::accounts::form_token)
        .unwrap_or_default()
}

impl World {
    /// The path with its parameters filled from the world.
    fn concrete(&self, path: &str) -> String {
        let proposal = self.proposal_a.to_string();
        let replacements: [(&str, &str); 3] = match path {
            p if p.starts_with("/experts/") => [("{id}", &self.expert_id), ("", ""), ("", "")],
            p if p.starts_with("/labs/") => [("{id}", &self.lab_id), ("", ""), ("", "")],
            p if p.starts_with("/programs/") => [("{id}", "no-such-program"), ("", ""), ("", "")],
            p if p.starts_with("/offers/") => [("{id}", "no-such-offer"), ("", ""), ("", "")],
            p if p.starts_with("/answer/") => [("{token}", "0123456789abcdef"), ("", ""), ("", "")],
            p if p.contains("needs/{id}") => [("{id}", &self.need_a), ("", ""), ("", "")],
            p if p.contains("enterprises/{id}") => {
                [("{id}", &self.enterprise_a), ("", ""), ("", "")]
            }
            p if p.contains("/imports/{kind}") => [("{kind}", "enterprises"), ("", ""), ("", "")],
            p if p.contains("/exports/{file}") => [("{file}", "coverage.xlsx"), ("", ""), ("", "")],
            p if p.contains("/outbox/{id}") => [("{id}", "999999"), ("", ""), ("", "")],
            // Staff-only changes to proposals go to one that does not exist: the matrix shows
            // who gets past the gate (404) and who does not (403), and nothing changes.
            p if p.starts_with("/staff/proposals/{id}/")
                || p.ends_with("/reject")
                || p.ends_with("/withdraw")
                || p.ends_with("/unexclude")
                || p.ends_with("/evidence") =>
            {
                [("{id}", "999999"), ("", ""), ("", "")]
            }
            _ => [("{id}", &proposal), ("", ""), ("", "")],
        };
        let mut concrete = path.to_owned();
        for (from, to) in replacements {
            if !from.is_empty() {
                concrete = concrete.replace(from, to);
            }
        }
        concrete
    }

    fn request(&self, method: &str, path: &str, role: &str) -> Request<Body> {
        let uri = self.concrete(path);
        let mut builder = Request::builder().method(method).uri(&uri);
        let cookie = self.cookies.get(role);
        if let Some(cookie) = cookie {
            builder = builder.header("cookie", cookie);
        }
        if role == "token" {
            builder = builder.header("authorization", format!("Bearer {TOKEN}"));
        }
        if method == "GET" {
            return builder.body(Body::empty()).expect("request");
        }
        if uri.starts_with("/api/") {
            let builder = match cookie {
                Some(cookie) => builder.header("x-csrf-token", form_token(cookie)),
                None => builder,
            };
            return builder
                .header("content-type", "application/json")
                .body(Body::from("{}"))
                .expect("request");
        }
        let body = cookie
            .map(|cookie| format!("csrf={}", form_token(cookie)))
            .unwrap_or_default();
        builder
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request")
    }

    async fn status(&self, method: &str, path: &str, role: &str) -> u16 {
        let response = router(self.state.clone())
            .oneshot(self.request(method, path, role))
            .await
            .expect("response");
        response.status().as_u16()
    }

    async fn call(&self, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        let response = router(self.state.clone())
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
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    async fn get_as(&self, uri: &str, role: &str) -> (StatusCode, String) {
        let mut builder = Request::get(uri).header("accept", "text/html");
        if let Some(cookie) = self.cookies.get(role) {
            builder = builder.header("cookie", cookie);
        }
        let (status, _, body) = self
            .call(builder.body(Body::empty()).expect("request"))
            .await;
        (status, body)
    }
}

/// The matrix file: `METHOD PATH status×7` per line, `#` comments.
fn matrix() -> BTreeMap<(String, String), Vec<u16>> {
    let text = include_str!("routes.matrix");
    let mut rows = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            parts.len(),
            2 + ROLES.len(),
            "routes.matrix line {}: {line}",
            number + 1
        );
        let statuses = parts[2..]
            .iter()
            .map(|status| status.parse().expect("a status"))
            .collect();
        rows.insert((parts[0].to_owned(), parts[1].to_owned()), statuses);
    }
    rows
}

#[tokio::test]
async fn every_route_against_every_role() {
    let world = world().await;
    let expected = matrix();
    let mut table: Vec<(String, String)> = labbridge_server::routes()
        .table()
        .into_iter()
        .map(|(method, path, _)| (method.to_string(), path.to_owned()))
        .collect();
    // Signing out ends the sessions the other rows use: last.
    table.sort_by_key(|(_, path)| path == "/logout");
    let missing: Vec<String> = table
        .iter()
        .filter(|key| !expected.contains_key(*key))
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    let stale: Vec<String> = expected
        .keys()
        .filter(|key| !table.contains(key))
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    let mut observed = Vec::new();
    let mut wrong = Vec::new();
    for (method, path) in &table {
        let mut statuses = Vec::new();
        for role in ROLES {
            statuses.push(world.status(method, path, role).await);
        }
        observed.push(format!(
            "{method} {path} {}",
            statuses
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        ));
        if let Some(want) = expected.get(&(method.clone(), path.clone()))
            && *want != statuses
        {
            wrong.push(format!(
                "{method} {path}: expected {want:?}, got {statuses:?}"
            ));
        }
    }
    assert!(
        missing.is_empty() && stale.is_empty() && wrong.is_empty(),
        "routes missing from routes.matrix: {missing:#?}\nrows of no route: {stale:#?}\nwrong: {wrong:#?}\nobserved ({}):\n{}",
        ROLES.join(" "),
        observed.join("\n")
    );
    // The matrix itself keeps the rules: nobody but the named roles gets past a gate.
    for ((method, path), statuses) in &expected {
        let by_role: BTreeMap<&str, u16> = ROLES
            .iter()
            .copied()
            .zip(statuses.iter().copied())
            .collect();
        if path.starts_with("/staff/") && path != "/staff/audit" {
            for role in ["anon", "ent-a", "ent-b"] {
                assert!(
                    matches!(by_role[role], 303 | 403),
                    "{method} {path} lets {role} in"
                );
            }
        }
        if path.starts_with("/portal") {
            for role in ["anon", "auditor", "staff", "admin", "token"] {
                assert!(
                    matches!(by_role[role], 303 | 403),
                    "{method} {path} lets {role} in"
                );
            }
        }
        if method != "GET"
            && !path.starts_with("/portal")
            && path != "/login"
            && path != "/logout"
            && !path.starts_with("/answer")
        {
            assert!(
                by_role["auditor"] == 403,
                "{method} {path}: the auditor changes nothing, got {}",
                by_role["auditor"]
            );
        }
    }
}

/// What the CSRF rules say, written independently of the middleware: a change made with the
/// session cookie goes through only from this site (Sec-Fetch-Site same-origin or none; without
/// it, an Origin of this host or none) and with the session's form token.
fn allowed(fetch_site: Option<&str>, origin: Option<&str>, token: &str) -> bool {
    let same_site = match fetch_site {
        Some(site) => site == "same-origin" || site == "none",
        None => origin.is_none_or(|origin| origin == "http://labbridge.test"),
    };
    same_site && token == "right"
}

#[tokio::test]
async fn csrf_table_and_security_headers() {
    let world = world().await;
    let cookie = world.cookies["staff"].clone();
    for fetch_site in [
        None,
        Some("same-origin"),
        Some("same-site"),
        Some("cross-site"),
        Some("none"),
    ] {
        for origin in [
            None,
            Some("http://labbridge.test"),
            Some("http://evil.example"),
        ] {
            for token in ["absent", "wrong", "right"] {
                let mut builder = Request::post("/staff/exclusions")
                    .header("host", "labbridge.test")
                    .header("cookie", &cookie)
                    .header("content-type", "application/x-www-form-urlencoded");
                if let Some(site) = fetch_site {
                    builder = builder.header("sec-fetch-site", site);
                }
                if let Some(origin) = origin {
                    builder = builder.header("origin", origin);
                }
                let body = match token {
                    "right" => format!("csrf={}&enterprise_id=", form_token(&cookie)),
                    "wrong" => "csrf=0000&enterprise_id=".to_owned(),
                    _ => "enterprise_id=".to_owned(),
                };
                let (status, _, _) = world
                    .call(builder.body(Body::from(body)).expect("request"))
                    .await;
                let case = format!("{fetch_site:?} × {origin:?} × {token}");
                if allowed(fetch_site, origin, token) {
                    // Through the gates: the empty exclusion is refused by the form itself.
                    assert_eq!(status, StatusCode::BAD_REQUEST, "{case}");
                } else {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{case}");
                }
            }
        }
    }
    // A GET is never refused for its origin; a bearer call carries no cookie to borrow.
    let (status, _, _) = world
        .call(
            Request::get("/staff/proposals")
                .header("cookie", &cookie)
                .header("sec-fetch-site", "cross-site")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = world
        .call(
            Request::post("/api/v1/exclusions")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("content-type", "application/json")
                .body(Body::from("{}"))
                .expect("request"),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "bearer calls need no form token"
    );
    // Pages are not framed, sniffed or cached, and run no inline script.
    for (uri, role) in [
        ("/staff/proposals", "staff"),
        ("/portal", "ent-a"),
        ("/", "anon"),
    ] {
        let mut builder = Request::get(uri);
        if let Some(cookie) = world.cookies.get(role) {
            builder = builder.header("cookie", cookie);
        }
        let (status, headers, body) = world
            .call(builder.body(Body::empty()).expect("request"))
            .await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(headers["x-frame-options"], "DENY", "{uri}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{uri}");
        assert_eq!(headers["cache-control"], "no-store", "{uri}");
        let csp = headers["content-security-policy"].to_str().expect("csp");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("script-src 'self' 'unsafe-inline'"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(
            !body.contains("<script>") && !body.contains(" onclick="),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn an_enterprise_sees_its_own_and_nothing_else() {
    let world = world().await;
    let state = &world.state;
    // Signing in as an enterprise user goes to the portal, whatever page was asked for.
    let body = format!(
        "login={}&password={DEMO_STAFF_PASSWORD}&next=%2Fstaff%2Fproposals",
        world.enterprise_a
    );
    let (status, headers, _) = world
        .call(
            Request::post("/login")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/portal");
    // Its home names its gaps with the reason and what would close them.
    let (status, home) = world.get_as("/portal", "ent-a").await;
    assert_eq!(status, StatusCode::OK);
    let name_a = state
        .app
        .store
        .enterprise(&world.enterprise_a)
        .await
        .expect("q")
        .expect("enterprise")
        .name;
    assert!(home.contains(&name_a), "home names the enterprise");
    let (_, assessment, gaps) = state
        .app
        .enterprise_file(&world.enterprise_a, labbridge_app::today())
        .await
        .expect("q")
        .expect("file");
    for gap in &gaps {
        assert!(home.contains(&gap.reason), "{} missing", gap.reason);
    }
    assert_eq!(home.contains("id=\"gaps\""), !assessment.gaps.is_empty());
    // Its need: readable by it and staff, by nobody else — not by URL, API or search.
    let need = format!("/api/v1/needs/{}", world.need_a);
    let (status, body) = world.get_as(&need, "ent-a").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = world.get_as(&need, "ent-b").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("铝型材"), "no data in the refusal");
    let (status, body) = world
        .get_as(&format!("/portal/needs/{}", world.need_a), "ent-b")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body.contains("页面不存在") && !body.contains("铝型材"),
        "{body}"
    );
    let (status, _) = world
        .get_as("/api/v1/search?q=铝型材&kind=need", "ent-a")
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "needs are searchable by staff only"
    );
    let (status, _) = world
        .get_as(
            &format!("/api/v1/enterprises/{}", world.enterprise_a),
            "ent-b",
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = world
        .get_as(
            &format!("/api/v1/enterprises/{}", world.enterprise_a),
            "auditor",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Its proposals over the API: its own only.
    let (status, body) = world.get_as("/api/v1/proposals", "ent-b").await;
    assert_eq!(status, StatusCode::OK);
    let list: serde_json::Value = serde_json::from_str(&body).expect("json");
    let rows = list["proposals"].as_array().expect("rows");
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|row| row["enterprise_id"] == world.enterprise_b.as_str())
    );
    let (status, _) = world
        .get_as(&format!("/api/v1/proposals/{}", world.proposal_a), "ent-b")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Posting a need over the API: 201 for its own enterprise, 403 for another's.
    let post = |cookie: &str, body: &str| {
        Request::post("/api/v1/needs")
            .header("cookie", cookie)
            .header("x-csrf-token", form_token(cookie))
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned()))
            .expect("request")
    };
    let need_json = r#"{"title":"涂装废气治理","description":"目标：VOCs 排放降到 30 mg/m³ 以下","fields":["涂装","废气"],"kind":"research"}"#;
    let (status, _, body) = world.call(post(&world.cookies["ent-b"], need_json)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(created["enterprise_id"], world.enterprise_b.as_str());
    let elsewhere = need_json.replacen(
        '{',
        &format!("{{\"enterprise\":\"{}\",", world.enterprise_a),
        1,
    );
    let (status, _, _) = world.call(post(&world.cookies["ent-b"], &elsewhere)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = world
        .call(post(
            &world.cookies["ent-b"],
            r#"{"title":"","description":""}"#,
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("\"invalid_fields\""), "{body}");
}

#[tokio::test]
async fn contact_details_only_after_the_partner_agreed() {
    let world = world().await;
    let app = &world.state.app;
    let proposal = app
        .proposals(None)
        .await
        .expect("q")
        .into_iter()
        .find(|row| row.id == world.proposal_a)
        .expect("proposal");
    let path = if proposal.partner_kind == "lab" {
        "labs"
    } else {
        "experts"
    };
    let profile = format!("/{path}/{}", proposal.partner_id);
    let email = if proposal.partner_kind == "lab" {
        app.store
            .lab(&proposal.partner_id)
            .await
            .expect("q")
            .and_then(|lab| lab.email)
    } else {
        app.store
            .expert(&proposal.partner_id)
            .await
            .expect("q")
            .and_then(|expert| expert.email)
    }
    .expect("the demo partner has an address");
    for role in ["anon", "ent-a", "ent-b"] {
        let (status, body) = world.get_as(&profile, role).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            !body.contains(&email),
            "{role} sees the address before the partner agreed"
        );
    }
    let (_, body) = world.get_as(&profile, "staff").await;
    assert!(body.contains(&email), "staff see contacts");
    // The partner accepts through the mailed link.
    app.approve(&[proposal.id], &Actor::staff("test"))
        .await
        .expect("approve");
    let token = answer_token(app, proposal.id).await;
    let answer = labbridge_app::proposals::AnswerForm {
        decision: "accept".to_owned(),
        reason: String::new(),
        note: String::new(),
    }
    .validate()
    .expect("answer");
    app.answer(&token, &answer).await.expect("accepted");
    let (_, body) = world.get_as(&profile, "ent-a").await;
    assert!(
        body.contains(&email),
        "the enterprise sees the partner who agreed"
    );
    let (_, body) = world.get_as(&profile, "ent-b").await;
    assert!(!body.contains(&email), "another enterprise still does not");
    let (_, body) = world.get_as("/portal/proposals", "ent-a").await;
    assert!(
        body.contains(&email) && body.contains("answer-form"),
        "{body}"
    );
    // The enterprise answers in the portal: declining needs a reason; accepting is recorded.
    let cookie = world.cookies["ent-a"].clone();
    let send = |form: String| {
        Request::post(format!("/portal/proposals/{}/answer", proposal.id))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={}&{form}", form_token(&cookie))))
            .expect("request")
    };
    let (status, _, body) = world.call(send("decision=decline".to_owned())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("未能记录答复"), "{body}");
    let (status, headers, _) = world.call(send("decision=accept".to_owned())).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        headers["location"]
            .to_str()
            .expect("location")
            .starts_with("/portal?answered=")
    );
    let detail = app.proposal_detail(proposal.id).await.expect("detail");
    assert_eq!(detail.proposal.status, "accepted");
    let last = detail.events.last().expect("event");
    assert_eq!(
        last.actor, world.enterprise_a,
        "the enterprise user is named in the timeline"
    );
}

async fn answer_token(app: &App, proposal: i64) -> String {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mail = labbridge_store::entity::outbox::Entity::find()
        .filter(labbridge_store::entity::outbox::Column::ProposalId.eq(proposal))
        .all(app.store.connection())
        .await
        .expect("outbox");
    let body = &mail.first().expect("the partner's mail").body;
    let start = body.find("/answer/").expect("a link") + "/answer/".len();
    body[start..start + 64].to_owned()
}

#[tokio::test]
async fn errors_are_pages_for_people_and_json_for_programs() {
    let world = world().await;
    let (status, body) = world.get_as("/no/such/page", "anon").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body.contains("<html lang=\"zh-CN\">") && body.contains("页面不存在"),
        "{body}"
    );
    assert!(body.contains("id=\"back\""), "a way back");
    let (_, body) = world.get_as("/no/such/page?lang=en", "anon").await;
    assert!(
        body.contains("<html lang=\"en\">") && body.contains("Not found"),
        "{body}"
    );
    let (status, body) = world.get_as("/staff/audit", "staff").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("无权访问"), "{body}");
    for (request, status) in [
        (
            Request::get("/api/v1/nothing").body(Body::empty()),
            StatusCode::NOT_FOUND,
        ),
        (
            Request::delete("/api/v1/coverage").body(Body::empty()),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            Request::get("/api/v1/coverage?year=abc")
                .header("accept", "text/html")
                .body(Body::empty()),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (got, headers, body) = world.call(request.expect("request")).await;
        assert_eq!(got, status, "{body}");
        assert!(
            headers["content-type"]
                .to_str()
                .expect("type")
                .starts_with("application/json")
        );
        let json: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert!(
            json["code"].is_string() && json["message"].is_string(),
            "{body}"
        );
    }
}

#[tokio::test]
async fn the_audit_log_names_who_did_what() {
    let world = world().await;
    let cookie = world.cookies["staff"].clone();
    let (status, _, _) = world
        .call(
            Request::post("/staff/proposals/decide")
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "csrf={}&action=approve&id={}",
                    form_token(&cookie),
                    world.proposal_a
                )))
                .expect("request"),
        )
        .await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    // The auditor is refused a change, and that is logged too.
    let auditor = world.cookies["auditor"].clone();
    let (status, _, _) = world
        .call(
            Request::post("/staff/proposals/decide")
                .header("cookie", &auditor)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "csrf={}&action=approve&id=1",
                    form_token(&auditor)
                )))
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = world.get_as("/staff/audit", "auditor").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("POST /staff/proposals/decide"), "{body}");
    assert!(
        body.contains(DEMO_STAFF_LOGIN) && body.contains(DEMO_AUDITOR_LOGIN),
        "{body}"
    );
    assert!(body.contains("refused"), "{body}");
    let (status, body) = world.get_as("/api/v1/audit?format=csv", "admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.starts_with('\u{feff}') && body.contains("时间,账号"),
        "{body}"
    );
    assert!(body.contains("/staff/proposals/decide"));
}
