//! The server under a sign-in flood, as an attacker would send it: many connections, a new
//! login on every attempt. The password checks running at once are bounded and the excess is
//! answered at once (429 with `Retry-After`), so memory stays bounded and the public pages keep
//! answering while it lasts.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::{form_encode, http_get, http_request, serve_demo};

/// Resident memory of a process in kB, from /proc.
fn resident_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The bound the flood must stay under: growth of the server's resident memory.
const MEMORY_GROWTH_LIMIT_KB: u64 = 150 * 1024;

#[test]
fn a_sign_in_flood_is_bounded_and_search_keeps_answering() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, port) = serve_demo(dir.path(), Stdio::null());
    let pid = child.id();
    // Warm the search, then take the memory before the flood.
    assert!(matches!(
        http_get(port, "/api/v1/search?q=%E9%93%9D%E5%90%88%E9%87%91"),
        Some((200, _))
    ));
    let before = resident_kb(pid);

    // 32 connections × 16 attempts, each with a login never seen before and a long password.
    let flooding = Arc::new(AtomicBool::new(true));
    let password = "x".repeat(200);
    let workers: Vec<_> = (0..32)
        .map(|worker| {
            let password = password.clone();
            std::thread::spawn(move || {
                let mut statuses = Vec::new();
                for attempt in 0..16 {
                    let body = format!(
                        "login={}&password={}",
                        form_encode(&format!("flood-{worker}-{attempt}")),
                        form_encode(&password)
                    );
                    let answer = http_request(
                        port,
                        "POST",
                        "/login",
                        &[("Content-Type", "application/x-www-form-urlencoded")],
                        &body,
                    );
                    statuses.push(answer.map(|(status, head, _)| (status, head)));
                }
                statuses
            })
        })
        .collect();
    // Meanwhile a visitor searches, and the memory is watched.
    let watcher = {
        let flooding = flooding.clone();
        std::thread::spawn(move || {
            let mut slowest = Duration::ZERO;
            let mut peak = 0;
            let mut searches = 0;
            while flooding.load(Ordering::Relaxed) {
                let started = Instant::now();
                let answer = http_get(port, "/api/v1/search?q=%E7%83%AD%E5%A4%84%E7%90%86");
                assert!(
                    matches!(answer, Some((200, _))),
                    "search during the flood: {answer:?}"
                );
                slowest = slowest.max(started.elapsed());
                searches += 1;
                peak = peak.max(resident_kb(pid));
                std::thread::sleep(Duration::from_millis(50));
            }
            (slowest, peak, searches)
        })
    };
    let mut answered = std::collections::BTreeMap::new();
    for worker in workers {
        for answer in worker.join().expect("worker") {
            let (status, head) = answer.expect("every attempt is answered");
            if status == 429 {
                assert!(
                    head.to_ascii_lowercase().contains("retry-after:"),
                    "429 says when to retry: {head}"
                );
            }
            *answered.entry(status).or_insert(0) += 1;
        }
    }
    flooding.store(false, Ordering::Relaxed);
    let (slowest, peak, searches) = watcher.join().expect("watcher");
    let _ = child.kill();
    let _ = child.wait();

    assert_eq!(answered.values().sum::<i32>(), 512);
    assert!(
        answered.keys().all(|status| [401, 429].contains(status)),
        "only wrong-password and too-many answers: {answered:?}"
    );
    assert!(
        answered.get(&429).is_some_and(|count| *count > 400),
        "the excess is refused at once: {answered:?}"
    );
    assert!(searches > 0);
    assert!(
        slowest < Duration::from_secs(1),
        "a search during the flood took {slowest:?}"
    );
    assert!(
        peak.saturating_sub(before) < MEMORY_GROWTH_LIMIT_KB,
        "memory grew from {before} kB to {peak} kB"
    );
}
