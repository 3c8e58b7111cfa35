//! The proposal loop over real SMTP (tests/smtp_sink.py, aiosmtpd): approve → outbox → mail
//! with an answer link → answers → evidence → coverage; outages, refusals, a SIGKILL in the
//! middle of a batch, and two workers sharing one queue on PostgreSQL.

use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    SmtpSink, form_encode, free_port, http_get, http_request, labbridge, run, stderr, stdout,
    wait_healthy,
};

const FROM: &str = "临朐县科技局 <kjj@linqu.example.cn>";
const STAFF_TOKEN: &str = "e2e-staff-token-0123456789abcdefghijk";

/// `labbridge` with the mail settings of a test.
fn with_mail(dir: &std::path::Path, smtp: &str, base_url: &str) -> Command {
    let mut command = labbridge(dir);
    command
        .env("LABBRIDGE_SMTP_URL", smtp)
        .env("LABBRIDGE_MAIL_FROM", FROM)
        .env("LABBRIDGE_BASE_URL", base_url)
        .env("LABBRIDGE_STAFF_TOKEN", STAFF_TOKEN)
        .env("LABBRIDGE_COUNTY", "临朐县");
    command
}

fn json_of(output: &std::process::Output) -> Value {
    assert!(output.status.success(), "{}", stderr(output));
    serde_json::from_str(&stdout(output)).unwrap_or_else(|error| {
        panic!("not JSON ({error}): {}", stdout(output));
    })
}

fn link_token(text: &str) -> String {
    let start = text.find("/answer/").expect("an answer link in the mail") + "/answer/".len();
    text[start..start + 64].to_owned()
}

fn proposals(dir: &std::path::Path, status: &str) -> Vec<Value> {
    let list = json_of(&run(labbridge(dir).args([
        "proposals",
        "list",
        "--status",
        status,
        "--json",
    ])));
    list["proposals"].as_array().expect("proposals").clone()
}

fn message_ids(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|message| {
            message["message_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[test]
fn the_demo_proposal_loop_over_real_smtp() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mail_dir = tempfile::tempdir().expect("mail dir");
    let sink = SmtpSink::start(mail_dir.path(), None, 0);
    let web_port = free_port();
    let base = format!("http://127.0.0.1:{web_port}");
    assert!(run(labbridge(dir.path()).arg("demo")).status.success());
    let matched = run(labbridge(dir.path()).args(["match", "--json"]));
    let report = json_of(&matched);
    let made = report["proposals"].as_array().expect("proposals").len();
    assert!(made > 100, "{made}");

    let approve =
        run(with_mail(dir.path(), &sink.url(), &base).args(["proposals", "approve", "--all"]));
    assert!(approve.status.success(), "{}", stderr(&approve));
    assert!(
        stdout(&approve).contains(&format!("approved {made} proposals")),
        "{}",
        stdout(&approve)
    );
    assert_eq!(proposals(dir.path(), "approved").len(), made);

    let send = json_of(&run(
        with_mail(dir.path(), &sink.url(), &base).args(["outbox", "send", "--json"])
    ));
    assert_eq!(send["sent"].as_u64(), Some(made as u64), "{send}");
    let messages = sink.wait_for(made, Duration::from_secs(10));
    assert_eq!(messages.len(), made, "every mail arrives");
    let ids = message_ids(&messages);
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), made, "exactly once each");
    assert!(
        ids.iter()
            .all(|id| id.starts_with("<outbox-") && id.ends_with("@linqu.example.cn>"))
    );
    // Chinese subjects and bodies decode (by Python's e-mail package, not ours).
    for message in &messages {
        let subject = message["subject"].as_str().expect("subject");
        assert!(
            subject.starts_with("关于") && subject.ends_with("的产学研合作建议"),
            "{subject}"
        );
        let text = message["text"].as_str().expect("text part");
        assert!(
            text.contains("您好") && text.contains(&format!("{base}/answer/")),
            "{text}"
        );
        assert!(
            message["html"]
                .as_str()
                .expect("html part")
                .contains("<table")
        );
        assert_eq!(message["content_type"], "multipart/alternative");
    }
    let sent = proposals(dir.path(), "sent");
    assert_eq!(sent.len(), made, "delivery marks each proposal sent");

    // The partner answers through the link of a received mail, in a browser's way.
    // The server runs no outbox worker here (no SMTP URL), so the command line's passes below
    // are the only senders and their counts are exact.
    let mut server = with_mail(dir.path(), "", &base)
        .env_remove("LABBRIDGE_SMTP_URL")
        .args(["serve", "--addr", &format!("127.0.0.1:{web_port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let outcome = std::panic::catch_unwind(|| {
        assert!(wait_healthy(web_port, Duration::from_secs(60)));
        // A letter for an enterprise without coverage (a renewal's enterprise is covered today,
        // so its evidence would not move the figure checked below).
        let first = messages
            .iter()
            .find(|message| {
                !message["text"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("续签")
            })
            .expect("a letter that is not a renewal");
        let token = link_token(first["text"].as_str().expect("text"));
        let (status, page) = http_get(web_port, &format!("/answer/{token}")).expect("page");
        assert_eq!(status, 200);
        assert!(
            page.contains("接受，愿意合作") && page.contains("方向不符"),
            "{page}"
        );
        assert_eq!(
            proposals(dir.path(), "sent").len(),
            made,
            "a GET changes nothing"
        );

        let form = [("Content-Type", "application/x-www-form-urlencoded")];
        // A decline without a reason is refused and changes nothing.
        let (status, _, page) = http_request(
            web_port,
            "POST",
            &format!("/answer/{token}"),
            &form,
            "decision=decline",
        )
        .expect("post");
        assert_eq!(status, 400);
        assert!(page.contains("请选择谢绝原因"), "{page}");
        let (status, _, page) = http_request(
            web_port,
            "POST",
            &format!("/answer/{token}"),
            &form,
            "decision=accept&note=%E5%BE%88%E4%B9%90%E6%84%8F",
        )
        .expect("post");
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("您已接受"), "{page}");
        let accepted = proposals(dir.path(), "accepted_by_partner");
        assert_eq!(accepted.len(), 1);
        let (status, _, page) = http_request(
            web_port,
            "POST",
            &format!("/answer/{token}"),
            &form,
            "decision=decline&reason=direction_mismatch",
        )
        .expect("post");
        assert_eq!(status, 410, "a used link");
        assert!(page.contains("已经用过"), "{page}");
        assert_eq!(
            proposals(dir.path(), "accepted_by_partner").len(),
            1,
            "a second POST changes nothing"
        );
        let (status, page) =
            http_get(web_port, &format!("/answer/{}", "0".repeat(64))).expect("unknown");
        assert_eq!(status, 404);
        assert!(page.contains("链接无效"), "{page}");

        // The enterprise is asked by mail; its answer completes the pair.
        let send = json_of(&run(
            with_mail(dir.path(), &sink.url(), &base).args(["outbox", "send", "--json"])
        ));
        assert_eq!(send["sent"].as_u64(), Some(1), "{send}");
        let messages = sink.wait_for(made + 1, Duration::from_secs(10));
        let ask = messages.last().expect("the enterprise's mail");
        assert!(
            ask["subject"]
                .as_str()
                .expect("subject")
                .contains("愿与贵公司开展产学研合作"),
            "{ask}"
        );
        let enterprise_token = link_token(ask["text"].as_str().expect("text"));
        let (status, _, page) = http_request(
            web_port,
            "POST",
            &format!("/answer/{enterprise_token}"),
            &form,
            "decision=accept",
        )
        .expect("post");
        assert_eq!(status, 200, "{page}");
        let both = proposals(dir.path(), "accepted");
        assert_eq!(both.len(), 1);
        let id = both[0]["id"].as_i64().expect("id");
        let send = json_of(&run(
            with_mail(dir.path(), &sink.url(), &base).args(["outbox", "send", "--json"])
        ));
        assert_eq!(
            send["sent"].as_u64(),
            Some(2),
            "each side gets the other's contact: {send}"
        );

        // Evidence through the API: coverage rises at once, in the report and on the page.
        let before = json_of(&run(labbridge(dir.path()).args(["coverage", "--json"])));
        let auth = format!("Bearer {STAFF_TOKEN}");
        let json_headers = [
            ("Content-Type", "application/json"),
            ("Authorization", auth.as_str()),
        ];
        let gap = both[0]["gap"].as_str().expect("gap").to_owned();
        let evidence = if gap == "A" {
            format!(
                "{{\"kind\":\"技术开发合同\",\"contract_number\":\"LQ-2026-017\",\"registration_number\":\"2026370724000017\",\"valid_from\":\"{}\"}}",
                today()
            )
        } else {
            format!(
                "{{\"kind\":\"共建研发中心\",\"contract_number\":\"LQ-2026-017\",\"valid_from\":\"{0}\",\"centre_level\":\"市级\",\"centre_number\":\"WF-2026-3\",\"centre_recognized_on\":\"{0}\",\"rd_staff\":3}}",
                today()
            )
        };
        let (status, _, body) = http_request(
            web_port,
            "POST",
            &format!("/api/v1/proposals/{id}/evidence"),
            &json_headers,
            &evidence,
        )
        .expect("evidence");
        assert_eq!(status, 200, "{body}");
        let after = json_of(&run(labbridge(dir.path()).args(["coverage", "--json"])));
        let gained = after["covered"].as_u64().expect("covered")
            - before["covered"].as_u64().expect("covered");
        assert_eq!(
            gained, 1,
            "one more enterprise fully covered: {before} → {after}"
        );
        assert_eq!(
            after["cooperation"].as_u64(),
            before["cooperation"]
                .as_u64()
                .map(|n| n + u64::from(gap != "B"))
        );
        let rate = format!("{:.1}%", after["rate"].as_f64().expect("rate") * 100.0);
        let (_, page) = http_get(web_port, "/").expect("coverage page");
        assert!(page.contains(&rate), "the page shows {rate}");
        let (status, _, body) = http_request(
            web_port,
            "GET",
            &format!("/api/v1/proposals/{id}"),
            &json_headers,
            "",
        )
        .expect("detail");
        assert_eq!(status, 200);
        let detail: Value = serde_json::from_str(&body).expect("json");
        let steps: Vec<&str> = detail["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|event| event["to"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            steps,
            [
                "proposed",
                "approved",
                "sent",
                "accepted_by_partner",
                "accepted",
                "active"
            ]
        );

        // A decline with 方向不符 keeps the pair out of the next run of the matcher.
        // Mail goes out in no fixed order: take a letter about another enterprise (the first
        // one's other proposals closed when its coverage gap did).
        let second = messages[..made]
            .iter()
            .find(|message| message["subject"] != first["subject"])
            .expect("a letter about another enterprise");
        let token = link_token(second["text"].as_str().expect("text"));
        let (status, _, _) = http_request(
            web_port,
            "POST",
            &format!("/answer/{token}"),
            &form,
            &format!(
                "decision=decline&reason=direction_mismatch&note={}",
                form_encode("不是我的方向")
            ),
        )
        .expect("decline");
        assert_eq!(status, 200);
        let declined = proposals(dir.path(), "declined_by_partner");
        assert_eq!(declined.len(), 1);
        assert_eq!(declined[0]["decline_reason"], "direction_mismatch");
        let rerun = json_of(&run(labbridge(dir.path()).args(["match", "--json"])));
        let pair = (
            declined[0]["enterprise_id"].clone(),
            declined[0]["partner_id"].clone(),
        );
        assert!(
            !rerun["proposals"]
                .as_array()
                .expect("proposals")
                .iter()
                .any(|proposal| (
                    proposal["enterprise_id"].clone(),
                    proposal["partner_id"].clone()
                ) == pair)
        );
    });
    let _ = server.kill();
    let _ = server.wait();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

fn today() -> String {
    let output = Command::new("date")
        .args(["-u", "-d", "+8 hours", "+%Y-%m-%d"])
        .output()
        .expect("date");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn outbox(dir: &std::path::Path) -> Vec<Value> {
    json_of(&run(
        labbridge(dir).args(["outbox", "list", "--limit", "100000", "--json"])
    ))["mail"]
        .as_array()
        .expect("mail")
        .clone()
}

#[test]
fn an_smtp_outage_a_451_and_a_550() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mail_dir = tempfile::tempdir().expect("mail dir");
    let port = free_port();
    let smtp = format!("smtp://127.0.0.1:{port}");
    let base = "http://127.0.0.1:9";
    for (to, count) in [
        ("ok@bureau.example.cn", "5"),
        ("tempfail-1@bureau.example.cn", "1"),
        ("reject@bureau.example.cn", "1"),
    ] {
        let queued =
            run(with_mail(dir.path(), &smtp, base).args(["outbox", "test", to, "--count", count]));
        assert!(queued.status.success(), "{}", stderr(&queued));
    }
    // Nobody listens: everything stays queued, with the reason.
    let down = json_of(&run(
        with_mail(dir.path(), &smtp, base).args(["outbox", "send", "--json"])
    ));
    assert_eq!(
        (down["sent"].as_u64(), down["retried"].as_u64()),
        (Some(0), Some(7)),
        "{down}"
    );
    let rows = outbox(dir.path());
    assert!(
        rows.iter()
            .all(|row| row["status"] == "pending" && row["last_error"].is_string()),
        "{rows:?}"
    );

    // The server is back: not due yet without --now; with --now, 5 arrive, 451 retries, 550 is dead.
    let sink = SmtpSink::start(mail_dir.path(), Some(port), 0);
    let early = json_of(&run(
        with_mail(dir.path(), &smtp, base).args(["outbox", "send", "--json"])
    ));
    assert_eq!(
        early["sent"].as_u64(),
        Some(0),
        "retries wait for their time: {early}"
    );
    let now = json_of(&run(
        with_mail(dir.path(), &smtp, base).args(["outbox", "send", "--now", "--json"])
    ));
    assert_eq!(
        (
            now["sent"].as_u64(),
            now["retried"].as_u64(),
            now["dead"].as_u64()
        ),
        (Some(5), Some(1), Some(1)),
        "{now}"
    );
    let again = json_of(&run(
        with_mail(dir.path(), &smtp, base).args(["outbox", "send", "--now", "--json"])
    ));
    assert_eq!(
        again["sent"].as_u64(),
        Some(1),
        "the 451 goes through on the next try: {again}"
    );
    let messages = sink.wait_for(6, Duration::from_secs(10));
    let ids = message_ids(&messages);
    assert_eq!(ids.len(), 6);
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        6,
        "exactly once each"
    );
    let subjects: Vec<&str> = messages
        .iter()
        .map(|m| m["subject"].as_str().unwrap_or_default())
        .collect();
    assert!(
        subjects
            .iter()
            .all(|subject| subject.contains("测试邮件") && subject.contains("临朐县")),
        "{subjects:?}"
    );
    let dead = json_of(&run(
        labbridge(dir.path()).args(["outbox", "list", "--status", "dead", "--json"])
    ))["mail"]
        .clone();
    assert_eq!(dead.as_array().expect("dead").len(), 1);
    assert!(
        dead[0]["last_error"]
            .as_str()
            .expect("answer")
            .contains("550"),
        "{dead}"
    );
    assert_eq!(dead[0]["recipient"], "reject@bureau.example.cn");
}

#[test]
fn sigkill_in_the_middle_of_a_batch_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mail_dir = tempfile::tempdir().expect("mail dir");
    let sink = SmtpSink::start(mail_dir.path(), None, 20);
    let base = "http://127.0.0.1:9";
    let total = 300;
    let queued = run(with_mail(dir.path(), &sink.url(), base).args([
        "outbox",
        "test",
        "many@bureau.example.cn",
        "--count",
        &total.to_string(),
    ]));
    assert!(queued.status.success(), "{}", stderr(&queued));
    let concurrency = 4;
    let mut worker = with_mail(dir.path(), &sink.url(), base)
        .env("LABBRIDGE_OUTBOX_CONCURRENCY", concurrency.to_string())
        .env("LABBRIDGE_OUTBOX_LEASE_SECS", "2")
        .args(["outbox", "send"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("worker");
    let start = Instant::now();
    while sink.messages().len() < 60 && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let killed = Command::new("kill")
        .args(["-KILL", &worker.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let _ = worker.wait();
    let before_restart = sink.messages().len();
    assert!(
        before_restart < total,
        "killed in the middle ({before_restart} of {total})"
    );
    // After the lease of the dead worker ran out, a restart sends the rest.
    std::thread::sleep(Duration::from_millis(2500));
    let rest = json_of(&run(with_mail(dir.path(), &sink.url(), base)
        .env("LABBRIDGE_OUTBOX_CONCURRENCY", concurrency.to_string())
        .env("LABBRIDGE_OUTBOX_LEASE_SECS", "2")
        .args(["outbox", "send", "--now", "--json"])));
    assert!(rest["sent"].as_u64().expect("sent") > 0, "{rest}");
    let rows = outbox(dir.path());
    assert_eq!(rows.len(), total);
    assert!(
        rows.iter().all(|row| row["status"] == "sent"),
        "nothing is left behind"
    );
    let messages = sink.wait_for(total, Duration::from_secs(10));
    let mut counts: HashMap<String, usize> = HashMap::new();
    for id in message_ids(&messages) {
        *counts.entry(id).or_default() += 1;
    }
    assert_eq!(counts.len(), total, "nothing is lost");
    let duplicated: Vec<_> = counts.iter().filter(|(_, count)| **count > 1).collect();
    assert!(
        duplicated.iter().all(|(_, count)| **count == 2),
        "at most one duplicate each: {duplicated:?}"
    );
    assert!(
        duplicated.len() <= concurrency,
        "only mail in flight at the kill comes twice: {duplicated:?}"
    );
}

/// The PostgreSQL server of the test run, or a failure under CI (never a silent skip).
fn postgres_server() -> Option<String> {
    match std::env::var("LABBRIDGE_TEST_DATABASE_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("LABBRIDGE_TEST_DATABASE_URL is not set under CI: tests/run sets it")
        }
        Err(_) => {
            eprintln!("postgres not configured: skipped");
            None
        }
    }
}

#[test]
fn two_workers_on_postgres_send_each_mail_once() {
    let Some(server) = postgres_server() else {
        return;
    };
    let name = format!("lbt_e2e_outbox_{}", std::process::id());
    let (base_url, _) = server.rsplit_once('/').expect("a database URL");
    let url = format!("{base_url}/{name}");
    let created = Command::new("psql")
        .arg(&server)
        .args(["-qc", &format!("CREATE DATABASE {name}")])
        .status()
        .expect("psql");
    assert!(created.success(), "create {name}");
    let outcome = std::panic::catch_unwind(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let mail_dir = tempfile::tempdir().expect("mail dir");
        let sink = SmtpSink::start(mail_dir.path(), None, 2);
        let total = 1000;
        let queued = run(with_mail(dir.path(), &sink.url(), "http://127.0.0.1:9")
            .arg("--database-url")
            .arg(&url)
            .args([
                "outbox",
                "test",
                "both@bureau.example.cn",
                "--count",
                &total.to_string(),
            ]));
        assert!(queued.status.success(), "{}", stderr(&queued));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                with_mail(dir.path(), &sink.url(), "http://127.0.0.1:9")
                    .env("LABBRIDGE_OUTBOX_CONCURRENCY", "4")
                    .arg("--database-url")
                    .arg(&url)
                    .args(["outbox", "send", "--json"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("worker")
            })
            .collect();
        let reports: Vec<Value> = workers
            .into_iter()
            .map(|worker| json_of(&worker.wait_with_output().expect("worker output")))
            .collect();
        let sent: Vec<u64> = reports
            .iter()
            .map(|report| report["sent"].as_u64().expect("sent"))
            .collect();
        assert_eq!(sent.iter().sum::<u64>(), total as u64, "{reports:?}");
        assert!(
            sent.iter().all(|count| *count > 0),
            "both workers took part: {sent:?}"
        );
        let messages = sink.wait_for(total, Duration::from_secs(10));
        let ids = message_ids(&messages);
        assert_eq!(ids.len(), total, "no mail twice");
        assert_eq!(
            ids.iter().collect::<HashSet<_>>().len(),
            total,
            "each mail once"
        );
    });
    let _ = Command::new("psql")
        .arg(&server)
        .args([
            "-qc",
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        ])
        .status();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
