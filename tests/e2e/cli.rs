//! The command line: demo, coverage, import errors, configuration.

use serde_json::Value;

use crate::support::{labbridge, run, stderr, stdout};

fn credit_code(seed: u32) -> String {
    // GB 32100-2015 check character, computed here independently of the product's code.
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let body = format!("91370724{seed:09}");
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(byte, weight)| {
            ALPHABET
                .iter()
                .position(|candidate| *candidate == byte)
                .unwrap_or(0) as u32
                * weight
        })
        .sum();
    format!(
        "{body}{}",
        ALPHABET[((31 - sum % 31) % 31) as usize] as char
    )
}

#[test]
fn demo_county_reports_64_of_246() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = run(labbridge(dir.path()).arg("demo"));
    assert!(demo.status.success(), "{}", stderr(&demo));
    assert!(stdout(&demo).contains("experts: 3000 rows: 3000 created"));

    let json = run(labbridge(dir.path()).args(["coverage", "--json"]));
    assert!(json.status.success(), "{}", stderr(&json));
    let report: Value = serde_json::from_str(&stdout(&json)).expect("json");
    assert_eq!(
        (report["total"].as_u64(), report["covered"].as_u64()),
        (Some(246), Some(64))
    );
    assert_eq!(
        format!("{:.1}%", report["rate"].as_f64().expect("rate") * 100.0),
        "26.0%"
    );

    let text = run(labbridge(dir.path()).arg("coverage"));
    let out = stdout(&text);
    assert!(out.contains("64 / 246 (26.0%)"), "{out}");
    assert!(
        out.contains("城关街道") && out.contains("铝材深加工"),
        "{out}"
    );

    let again = run(labbridge(dir.path()).arg("demo"));
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("not empty"), "{}", stderr(&again));
}

#[test]
fn a_bad_row_among_a_thousand_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut csv =
        String::from("id,name,credit_code,county,town,industry,above_scale,roster_year\n");
    for index in 0..1000u32 {
        let code = if index == 700 {
            credit_code(index).replace("91370724", "91370725")
        } else {
            credit_code(index)
        };
        csv.push_str(&format!(
            "E{index},临朐{index}铝业有限公司,{code},临朐县,城关街道,铝材深加工,是,2026\n"
        ));
    }
    let file = dir.path().join("roster.csv");
    std::fs::write(&file, csv).expect("write");
    let output = run(labbridge(&dir.path().join("data"))
        .args(["import", "enterprises"])
        .arg(&file));
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    let lines: Vec<&str> = errors
        .lines()
        .filter(|line| line.starts_with(&file.display().to_string()))
        .collect();
    assert_eq!(lines.len(), 1, "{errors}");
    assert!(
        lines[0].starts_with(&format!("{}:702: credit_code: ", file.display())),
        "{errors}"
    );

    let report = run(labbridge(&dir.path().join("data")).args(["coverage", "--json"]));
    let report: Value = serde_json::from_str(&stdout(&report)).expect("json");
    assert_eq!(report["total"], 0, "nothing was written");
}

#[test]
fn county_comes_from_flag_env_or_config_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("roster.csv");
    std::fs::write(
        &file,
        format!("id,name,credit_code,town,industry,above_scale,roster_year\nE1,甲公司,{},五井镇,机电装备,是,2026\n", credit_code(1)),
    )
    .expect("write");
    let data = dir.path().join("data");
    let without = run(labbridge(&data).args(["import", "enterprises"]).arg(&file));
    assert_eq!(without.status.code(), Some(1));
    assert!(
        stderr(&without).contains(":2: county: no county given"),
        "{}",
        stderr(&without)
    );

    let with_env = run(labbridge(&data)
        .env("LABBRIDGE_COUNTY", "临朐县")
        .args(["import", "enterprises"])
        .arg(&file));
    assert!(with_env.status.success(), "{}", stderr(&with_env));
    assert!(stdout(&with_env).contains("1 created"));

    let config = dir.path().join("labbridge.toml");
    std::fs::write(&config, "county = \"370724\"\n").expect("write config");
    let with_file = run(labbridge(&data)
        .arg("--config")
        .arg(&config)
        .args(["import", "enterprises"])
        .arg(&file));
    assert!(with_file.status.success(), "{}", stderr(&with_file));
    assert!(stdout(&with_file).contains("1 unchanged"));

    let bad_flag = run(labbridge(&data).args(["--county", "火星县", "coverage"]));
    assert_eq!(bad_flag.status.code(), Some(1));
    assert!(
        stderr(&bad_flag).contains("火星县"),
        "{}",
        stderr(&bad_flag)
    );
}

#[test]
fn unknown_kind_and_unknown_file_type_are_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let usage = run(labbridge(dir.path()).args(["import", "widgets", "x.csv"]));
    assert_eq!(usage.status.code(), Some(2));
    assert!(stderr(&usage).contains("widgets"));

    let file = dir.path().join("roster.pdf");
    std::fs::write(&file, b"%PDF").expect("write");
    let output = run(labbridge(dir.path()).args(["import", "labs"]).arg(&file));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!("{}: unknown file type '.pdf'", file.display())),
        "{}",
        stderr(&output)
    );
}

#[test]
fn match_proposes_partners_and_forecasts_coverage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = run(labbridge(dir.path()).arg("demo"));
    assert!(demo.status.success(), "{}", stderr(&demo));

    let dry = run(labbridge(dir.path()).args(["match", "--dry-run", "--json"]));
    assert!(dry.status.success(), "{}", stderr(&dry));
    let dry: Value = serde_json::from_str(&stdout(&dry)).expect("json");
    assert_eq!(dry["dry_run"], true);

    // Partners per enterprise are a setting: flag, or environment.
    let per_enterprise = |report: &Value| {
        let mut counts: std::collections::HashMap<String, usize> = Default::default();
        for proposal in report["proposals"].as_array().into_iter().flatten() {
            *counts
                .entry(
                    proposal["enterprise_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
                .or_default() += 1;
        }
        counts
    };
    assert!(per_enterprise(&dry).values().any(|&count| count > 1));
    let one =
        run(labbridge(dir.path()).args(["match", "--dry-run", "--json", "--max-partners", "1"]));
    assert!(one.status.success(), "{}", stderr(&one));
    let one: Value = serde_json::from_str(&stdout(&one)).expect("json");
    let counts = per_enterprise(&one);
    // Every enterprise with a gap, and each one at risk (offered a renewal).
    let renewals = one["renewals"].as_u64().expect("renewals") as usize;
    assert_eq!(counts.len(), 182 + renewals);
    assert!(counts.values().all(|&count| count == 1));
    let two = run(labbridge(dir.path())
        .args(["match", "--dry-run", "--json"])
        .env("LABBRIDGE_MAX_PARTNERS", "2"));
    assert!(two.status.success(), "{}", stderr(&two));
    let two: Value = serde_json::from_str(&stdout(&two)).expect("json");
    assert!(
        per_enterprise(&two)
            .values()
            .all(|&count| (1..=2).contains(&count))
    );
    let bad =
        run(labbridge(dir.path()).args(["match", "--min-partners", "3", "--max-partners", "2"]));
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("partners per enterprise"),
        "{}",
        stderr(&bad)
    );

    let json = run(labbridge(dir.path()).args(["match", "--json"]));
    assert!(json.status.success(), "{}", stderr(&json));
    let report: Value = serde_json::from_str(&stdout(&json)).expect("json");
    assert_eq!(report["enterprises_with_gaps"], 182);
    assert_eq!(report["required_placed"], report["required_total"]);
    let proposals = report["proposals"].as_array().expect("proposals");
    assert_eq!(
        proposals.len(),
        dry["proposals"].as_array().map_or(0, Vec::len)
    );
    assert_eq!(report["before"]["covered"], 64);
    assert!(report["forecast"]["covered"].as_u64() > Some(64));

    // The text form names partners and the forecast; a closed pipe is not an error.
    let text = run(labbridge(dir.path()).arg("match"));
    assert!(text.status.success(), "{}", stderr(&text));
    let out = stdout(&text);
    assert!(
        out.contains("预测 (全部推荐被接受)") && out.contains("城关街道"),
        "{out}"
    );
    let mut piped = labbridge(dir.path())
        .arg("match")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(piped.stdout.take());
    let status = piped.wait().expect("wait");
    assert!(status.success(), "a closed pipe ends the command quietly");
}

#[test]
fn staff_accounts_are_made_on_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let added = run(labbridge(dir.path())
        .args(["account", "add", "wang.li", "--name", "王丽"])
        .env("LABBRIDGE_PASSWORD", "科技局-Lab2026!"));
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(
        stdout(&added).contains("wang.li (王丽, staff)"),
        "{}",
        stdout(&added)
    );

    // From standard input when the environment has no password.
    let mut command = labbridge(dir.path());
    command
        .args(["account", "add", "li.na", "--role", "staff"])
        .env_remove("LABBRIDGE_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("spawn");
    {
        use std::io::Write;
        let mut input = child.stdin.take().expect("stdin");
        writeln!(input, "Long-enough-password1").expect("write");
    }
    let piped = child.wait_with_output().expect("wait");
    assert!(piped.status.success(), "{}", stderr(&piped));

    for (args, password, expected) in [
        (vec!["account", "add", "x"], "short", "at least 8"),
        (
            vec!["account", "add", "x"],
            "lowercase-only",
            "of at least 3 kinds",
        ),
        (
            vec!["account", "add", "bad login"],
            "Long-enough1",
            "login 'bad login'",
        ),
        (
            vec!["account", "add", "y", "--role", "boss"],
            "Long-enough1",
            "role 'boss'",
        ),
        (
            vec!["account", "add", "y", "--role", "enterprise"],
            "Long-enough1",
            "needs --enterprise",
        ),
        (
            vec![
                "account",
                "add",
                "y",
                "--role",
                "enterprise",
                "--enterprise",
                "nope",
            ],
            "Long-enough1",
            "no enterprise with id 'nope'",
        ),
        (
            vec!["account", "disable", "nobody"],
            "",
            "no account 'nobody'",
        ),
    ] {
        let refused = run(labbridge(dir.path())
            .args(&args)
            .env("LABBRIDGE_PASSWORD", password));
        assert!(!refused.status.success());
        assert!(stderr(&refused).contains(expected), "{}", stderr(&refused));
    }

    // An auditor, a personal token, ending sessions, disabling.
    let auditor = run(labbridge(dir.path())
        .args(["account", "add", "zhao.min", "--role", "auditor"])
        .env("LABBRIDGE_PASSWORD", "Audit-2026-check"));
    assert!(auditor.status.success(), "{}", stderr(&auditor));
    let token = run(labbridge(dir.path()).args(["account", "token", "zhao.min"]));
    assert!(token.status.success(), "{}", stderr(&token));
    assert_eq!(stdout(&token).trim().len(), 64, "{}", stdout(&token));
    let ended = run(labbridge(dir.path()).args(["account", "sessions", "end", "zhao.min"]));
    assert!(
        stdout(&ended).contains("1 sessions of zhao.min ended"),
        "{}",
        stdout(&ended)
    );
    let disabled = run(labbridge(dir.path()).args(["account", "disable", "zhao.min"]));
    assert!(disabled.status.success(), "{}", stderr(&disabled));
    let list = run(labbridge(dir.path()).args(["account", "list"]));
    let listed = stdout(&list);
    assert!(
        listed.contains("zhao.min\tauditor") && listed.contains("wang.li\tstaff"),
        "{listed}"
    );
}

#[test]
fn the_county_is_remembered_and_settings_of_digits_stay_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Values that look like numbers are text settings all the same.
    let numeric = run(labbridge(dir.path())
        .arg("coverage")
        .env("LABBRIDGE_COUNTY", "370724")
        .env(
            "LABBRIDGE_STAFF_TOKEN",
            "12345678901234567890123456789012345",
        ));
    assert!(numeric.status.success(), "{}", stderr(&numeric));

    // After the demo, an import needs no county: the registry remembers 临朐县.
    let demo = run(labbridge(dir.path()).arg("demo"));
    assert!(demo.status.success(), "{}", stderr(&demo));
    let file = dir.path().join("new.csv");
    std::fs::write(
        &file,
        format!(
            "编号,企业名称,统一社会信用代码,镇街,产业链,是否规上,名录年度\nlater-1,临朐后来铝业有限公司,{},五井镇,铝材深加工,是,2026\n",
            credit_code(777)
        ),
    )
    .expect("write");
    let import = run(labbridge(dir.path())
        .args(["import", "enterprises"])
        .arg(&file));
    assert!(import.status.success(), "{}", stderr(&import));
    assert!(stdout(&import).contains("1 created"), "{}", stdout(&import));

    // The snapshot for cron, and an export the bureau opens in Excel.
    let snapshot = run(labbridge(dir.path()).args(["coverage", "--snapshot"]));
    assert!(snapshot.status.success(), "{}", stderr(&snapshot));
    assert!(
        stderr(&snapshot).contains("snapshot"),
        "{}",
        stderr(&snapshot)
    );
    let out = dir.path().join("coverage.xlsx");
    let export = run(labbridge(dir.path())
        .args(["export", "coverage", "--out"])
        .arg(&out));
    assert!(export.status.success(), "{}", stderr(&export));
    assert_eq!(&std::fs::read(&out).expect("written")[..2], b"PK");
    let unknown = run(labbridge(dir.path())
        .args(["export", "secrets", "--out"])
        .arg(&out));
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("unknown export"),
        "{}",
        stderr(&unknown)
    );
}
