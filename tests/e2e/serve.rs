//! `labbridge serve --demo`: serves the demo county and stops cleanly on SIGTERM.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{free_port, http_get, labbridge, serve_demo, wait_healthy};

#[test]
fn serves_the_demo_county_and_shuts_down_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, port) = serve_demo(dir.path(), Stdio::piped());

    let (status, body) = http_get(port, "/api/v1/coverage").expect("coverage");
    assert_eq!(status, 200);
    let report: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        (report["covered"].as_u64(), report["total"].as_u64()),
        (Some(64), Some(246))
    );
    let (status, page) = http_get(port, "/").expect("page");
    assert_eq!(status, 200);
    assert!(page.contains("26.0%"));

    let terminated = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(terminated.success());
    let start = Instant::now();
    let exit = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "server did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
    let mut log = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        use std::io::Read;
        let _ = stderr.read_to_string(&mut log);
    }
    assert!(log.contains("shutting down"), "{log}");

    // The registry persisted: a second start serves the same figures without reloading.
    let port = free_port();
    let mut again = labbridge(dir.path())
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let healthy = wait_healthy(port, Duration::from_secs(30));
    let coverage = http_get(port, "/api/v1/coverage");
    let _ = again.kill();
    let _ = again.wait();
    assert!(healthy);
    let report: Value = serde_json::from_str(&coverage.expect("coverage").1).expect("json");
    assert_eq!(report["covered"], 64);
}

#[test]
fn writes_from_the_command_line_reach_a_running_servers_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut child = labbridge(dir.path())
        .args(["serve", "--demo", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let healthy = wait_healthy(port, Duration::from_secs(60));
    let outcome = std::panic::catch_unwind(|| {
        assert!(healthy, "server did not become healthy");
        let query =
            "/api/v1/search?q=%E9%92%9B%E5%90%88%E9%87%91%E6%BF%80%E5%85%89%E5%A2%9E%E6%9D%90"; // 钛合金激光增材
        let before: Value =
            serde_json::from_str(&http_get(port, query).expect("search").1).expect("json");
        assert!(
            !before["hits"]
                .as_array()
                .expect("hits")
                .iter()
                .any(|hit| hit["id"] == "new-expert-1")
        );

        let file = dir.path().join("experts.jsonl");
        std::fs::write(
            &file,
            "{\"id\":\"new-expert-1\",\"name\":\"欧阳明\",\"institution\":\"西北工业大学\",\"fields\":[\"钛合金\",\"激光增材制造\"],\"bio\":\"从事钛合金激光增材制造研究。\"}\n",
        )
        .expect("write");
        let import =
            crate::support::run(labbridge(dir.path()).args(["import", "experts"]).arg(&file));
        assert!(
            import.status.success(),
            "{}",
            crate::support::stderr(&import)
        );

        let start = Instant::now();
        let found = loop {
            let results: Value =
                serde_json::from_str(&http_get(port, query).expect("search").1).expect("json");
            if results["hits"][0]["id"] == "new-expert-1" {
                break true;
            }
            if start.elapsed() > Duration::from_secs(15) {
                break false;
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        assert!(
            found,
            "the imported expert became searchable within seconds"
        );

        let cli = crate::support::run(labbridge(dir.path()).args([
            "search",
            "钛合金 激光增材",
            "--json",
        ]));
        assert!(cli.status.success(), "{}", crate::support::stderr(&cli));
        let results: Value = serde_json::from_str(&crate::support::stdout(&cli)).expect("json");
        assert_eq!(
            results["hits"][0]["id"], "new-expert-1",
            "the command line reads the server's index"
        );

        // Coverage is kept under the registry's stamp: a write by another process (the command
        // line) moves the stamp, and the server's next answer has the new figures.
        let coverage = || -> Value {
            serde_json::from_str(&http_get(port, "/api/v1/coverage").expect("coverage").1)
                .expect("json")
        };
        let before = coverage();
        let page_before = http_get(port, "/").expect("page").1;
        assert_eq!(before, coverage(), "a second read is the kept report");
        let total = before["total"].as_u64().expect("total");
        assert!(before["cooperation"].as_u64() < Some(total));
        let lines: String = (1..=total)
            .map(|n| {
                format!(
                    "{{\"id\":\"e2e-pship-{n}\",\"enterprise\":\"demo-ent-{n:03}\",\"partner_kind\":\"高校院所\",\"partner\":\"山东大学\",\"kind\":\"技术开发合同\",\"valid_from\":\"2020-01-01\"}}\n"
                )
            })
            .collect();
        let file = dir.path().join("partnerships.jsonl");
        std::fs::write(&file, lines).expect("write");
        let import = crate::support::run(
            labbridge(dir.path())
                .args(["import", "partnerships"])
                .arg(&file),
        );
        assert!(
            import.status.success(),
            "{}",
            crate::support::stderr(&import)
        );
        let after = coverage();
        assert_eq!(after["cooperation"].as_u64(), Some(total), "{after}");
        assert!(after["covered"].as_u64() > before["covered"].as_u64());
        let page_after = http_get(port, "/").expect("page").1;
        assert_ne!(page_before, page_after, "the page is rendered again");

        // hyper's own answers (an address over 64 KiB, headers too large, not HTTP) carry
        // {"code","message"} like every other error.
        for (raw, status) in [
            (
                format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000)),
                414,
            ),
            (
                format!(
                    "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                    "a".repeat(500_000)
                ),
                431,
            ),
            ("NOT HTTP\r\n\r\n".to_owned(), 400),
        ] {
            use std::io::{Read, Write};
            let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .expect("timeout");
            let _ = stream.write_all(raw.as_bytes());
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
            let answer = String::from_utf8_lossy(&answer);
            assert!(
                answer.starts_with(&format!("HTTP/1.1 {status} ")),
                "{status}: {answer}"
            );
            let body = answer
                .split_once("\r\n\r\n")
                .map(|(_, body)| body)
                .unwrap_or("");
            let json: Value = serde_json::from_str(body).expect("a JSON body");
            assert_eq!(json["code"], "invalid", "{answer}");
            assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
        }

        let rebuild = crate::support::run(labbridge(dir.path()).args(["index", "rebuild"]));
        assert_eq!(rebuild.status.code(), Some(1));
        assert!(
            crate::support::stderr(&rebuild).contains("in use"),
            "{}",
            crate::support::stderr(&rebuild)
        );
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn index_rebuild_and_search_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = crate::support::run(labbridge(dir.path()).args(["demo", "--json"]));
    assert!(demo.status.success());
    let summary: Value = serde_json::from_str(&crate::support::stdout(&demo)).expect("json");
    let searchable: u64 = summary["imports"]
        .as_array()
        .expect("imports")
        .iter()
        .filter(|import| {
            ["programs", "labs", "experts", "needs", "offers"]
                .contains(&import["kind"].as_str().unwrap_or_default())
        })
        .map(|import| import["rows"].as_u64().unwrap_or(0))
        .sum();
    std::fs::remove_dir_all(dir.path().join("index")).expect("delete the index");
    let search = crate::support::run(labbridge(dir.path()).args([
        "search",
        "活性氧化铝",
        "--kind",
        "lab",
        "--json",
    ]));
    assert!(
        search.status.success(),
        "{}",
        crate::support::stderr(&search)
    );
    let results: Value = serde_json::from_str(&crate::support::stdout(&search)).expect("json");
    assert!(
        results["hits"][0]["name"]
            .as_str()
            .expect("name")
            .contains("氧化铝"),
        "a deleted index is rebuilt: {results}"
    );
    let rebuild = crate::support::run(labbridge(dir.path()).args(["index", "rebuild"]));
    assert!(rebuild.status.success());
    let expected = format!("index rebuilt: {searchable} documents");
    assert!(
        crate::support::stdout(&rebuild).contains(&expected),
        "{}",
        crate::support::stdout(&rebuild)
    );
}
