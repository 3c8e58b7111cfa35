//! `labbridge serve --demo`: serves the demo county and stops cleanly on SIGTERM.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{free_port, http_get, labbridge, wait_healthy};

#[test]
fn serves_the_demo_county_and_shuts_down_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut child = labbridge(dir.path())
        .args(["serve", "--demo", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let healthy = wait_healthy(port, Duration::from_secs(60));
    if !healthy {
        let _ = child.kill();
    }
    assert!(healthy, "server did not become healthy");

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
