//! Two `serve` processes on one PostgreSQL registry, each with its own data directory (as on
//! two machines): what one is told, the other knows — coverage, the search index, sessions, the
//! sign-in lock-out and the matcher's run lock.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    form_encode, free_port, http_get, http_request, labbridge, run, wait_healthy,
};

const TOKEN: &str = "two-serves-staff-token-0123456789abcdef";

/// A fresh database on the test server, or `None` outside CI without one.
fn fresh_database() -> Option<String> {
    let Ok(server) = std::env::var("LABBRIDGE_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "LABBRIDGE_TEST_DATABASE_URL is not set under CI: the two-server test needs PostgreSQL"
        );
        eprintln!("postgres not configured: skipped");
        return None;
    };
    let name = format!("lbt_{}_two_serves", std::process::id());
    let created = std::process::Command::new("psql")
        .arg(&server)
        .args(["-qAtc", &format!("CREATE DATABASE \"{name}\"")])
        .output()
        .expect("psql");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let (base, _) = server.rsplit_once('/').expect("a database URL");
    Some(format!("{base}/{name}"))
}

fn drop_database(url: &str) {
    let (base, name) = url.rsplit_once('/').expect("a database URL");
    let _ = std::process::Command::new("psql")
        .arg(format!("{base}/postgres"))
        .args([
            "-qAtc",
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        ])
        .output();
}

fn serve(dir: &std::path::Path, url: &str) -> (Child, u16) {
    let port = free_port();
    let child = labbridge(dir)
        .env("LABBRIDGE_DATABASE_URL", url)
        .env("LABBRIDGE_STAFF_TOKEN", TOKEN)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    (child, port)
}

fn api(port: u16, method: &str, path: &str, body: &str) -> (u16, Value) {
    let auth = format!("Bearer {TOKEN}");
    let (status, _, body) = http_request(
        port,
        method,
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body,
    )
    .expect("request");
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if check() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn sign_in(port: u16, password: &str) -> (u16, String) {
    let (status, head, _) = http_request(
        port,
        "POST",
        "/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &format!("login=demo-staff&password={}", form_encode(password)),
    )
    .expect("login");
    (status, head)
}

#[test]
fn two_servers_on_one_postgres_registry_agree() {
    let Some(url) = fresh_database() else {
        return;
    };
    let (one_dir, two_dir) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let demo = run(labbridge(one_dir.path())
        .env("LABBRIDGE_DATABASE_URL", &url)
        .arg("demo"));
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let (mut one, port_one) = serve(one_dir.path(), &url);
    let (mut two, port_two) = serve(two_dir.path(), &url);
    let outcome = std::panic::catch_unwind(|| {
        assert!(wait_healthy(port_one, Duration::from_secs(90)));
        assert!(wait_healthy(port_two, Duration::from_secs(90)));

        // Coverage: both answer the same, and a change through one is in the other's next answer.
        let coverage = |port: u16| api(port, "GET", "/api/v1/coverage", "").1;
        let before = coverage(port_two);
        assert_eq!(before, coverage(port_one));
        let total = before["total"].as_u64().expect("total");
        let lines: String = (1..=total)
            .map(|n| {
                format!(
                    "{{\"id\":\"two-{n}\",\"enterprise\":\"demo-ent-{n:03}\",\"partner_kind\":\"高校院所\",\"partner\":\"山东大学\",\"kind\":\"技术开发合同\",\"valid_from\":\"2020-01-01\"}}\n"
                )
            })
            .collect();
        let (status, imported) = api(
            port_one,
            "POST",
            "/api/v1/imports/partnerships?format=jsonl",
            &lines,
        );
        assert_eq!(status, 200, "{imported}");
        let after = coverage(port_two);
        assert_eq!(after["cooperation"].as_u64(), Some(total), "{after}");
        assert_eq!(after, coverage(port_one));

        // The search index: an expert imported through one is found by the other.
        let expert = "{\"id\":\"two-expert-1\",\"name\":\"欧阳明\",\"institution\":\"西北工业大学\",\"fields\":[\"钛合金\",\"激光增材制造\"],\"bio\":\"从事钛合金激光增材制造研究。\"}\n";
        let (status, imported) = api(
            port_one,
            "POST",
            "/api/v1/imports/experts?format=jsonl",
            expert,
        );
        assert_eq!(status, 200, "{imported}");
        let query =
            "/api/v1/search?q=%E9%92%9B%E5%90%88%E9%87%91%E6%BF%80%E5%85%89%E5%A2%9E%E6%9D%90";
        assert!(
            eventually(Duration::from_secs(20), || {
                http_get(port_two, query)
                    .and_then(|(_, body)| serde_json::from_str::<Value>(&body).ok())
                    .is_some_and(|results| results["hits"][0]["id"] == "two-expert-1")
            }),
            "the other server's index follows the registry"
        );

        // Sessions: a sign-in on one is good on the other.
        let (status, head) = sign_in(port_one, "labbridge-demo");
        assert_eq!(status, 303, "{head}");
        let cookie = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("set-cookie")
                    .then(|| value.trim().split(';').next().unwrap_or("").to_owned())
            })
            .expect("a session cookie");
        let (status, _, _) = http_request(
            port_two,
            "GET",
            "/staff/proposals",
            &[("Cookie", &cookie)],
            "",
        )
        .expect("desk");
        assert_eq!(status, 200, "the session is known to the other server");

        // The lock-out: failures on one count on the other.
        for _ in 0..5 {
            assert_eq!(sign_in(port_one, "wrong-password-1").0, 401);
        }
        let (status, head) = sign_in(port_two, "labbridge-demo");
        assert_eq!(status, 429, "locked on the other server too: {head}");

        // The matcher's run lock: one run at a time across both servers.
        let (status, started) = api(port_one, "POST", "/api/v1/match/runs", "");
        assert_eq!(status, 202, "{started}");
        let (status, second) = api(port_two, "POST", "/api/v1/match/runs", "");
        let latest = |port: u16| api(port, "GET", "/api/v1/match/runs/latest", "").1;
        if status == 202 {
            // Allowed only if the first run had already finished.
            let first = latest(port_one);
            assert_ne!(first["status"], "running", "two runs at once: {second}");
        } else {
            assert_eq!(status, 409, "{second}");
        }
        assert!(
            eventually(Duration::from_secs(120), || latest(port_two)["status"]
                == "done"),
            "the other server sees the run finish: {}",
            latest(port_two)
        );
        assert_eq!(
            latest(port_one)["started_at"],
            latest(port_two)["started_at"]
        );
    });
    for child in [&mut one, &mut two] {
        let _ = child.kill();
        let _ = child.wait();
    }
    drop_database(&url);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
