//! `labbridge assign`: a matcher-instance/v1 file in, a matcher-solution/v1 file and one JSON
//! line of figures out, bad files refused with the row named.

use serde_json::Value;

use crate::support::{labbridge, run, stderr, stdout};

#[test]
fn solves_an_instance_file_and_writes_the_solution() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Expert 0 is everyone's favourite but takes one enterprise; enterprise 2 has only it.
    // Coverage first: 2 must get expert 0, the others go elsewhere. A conflict that names a
    // pair that is not a candidate ([0, 2]) is accepted and changes nothing.
    let instance = serde_json::json!({
        "format": "matcher-instance/v1",
        "name": "three",
        "enterprises": [
            {"id": "E0", "min": 1, "max": 1},
            {"id": "E1", "min": 1, "max": 2},
            {"id": "E2", "min": 1, "max": null}
        ],
        "experts": [
            {"id": "X0", "capacity": 1}, {"id": "X1", "capacity": 2}, {"id": "X2", "capacity": 0}
        ],
        "affinity": [[0, 0, 0.95], [0, 1, 0.4], [1, 0, 0.9], [1, 1, 0.5], [2, 0, 0.2], [2, 1, 0.3]],
        "conflicts": [[2, 1], [0, 2]]
    });
    let path = dir.path().join("three.json");
    std::fs::write(&path, instance.to_string()).expect("write");
    let out = dir.path().join("solution.json");
    let output = run(labbridge(dir.path())
        .arg("assign")
        .arg(&path)
        .arg("--out")
        .arg(&out));
    assert!(output.status.success(), "{}", stderr(&output));
    let stats: Value = serde_json::from_str(stdout(&output).trim()).expect("one JSON line");
    assert!(stats["t_solve"].as_f64().is_some(), "{stats}");
    assert_eq!(stats["required_units"], 3);
    // 2–0 (0.2), 0–1 (0.4), 1–1 (0.5): 1.1.
    assert_eq!(stats["objective_int"], 11_000);
    let solution: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("solution")).expect("json");
    assert_eq!(solution["format"], "matcher-solution/v1");
    assert_eq!(solution["instance"], "three");
    assert_eq!(
        solution["assignments"],
        serde_json::json!([[0, 1], [1, 1], [2, 0]])
    );
}

#[test]
fn the_fair_mode_reports_its_floor() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Maximum affinity pairs 0–0 (0.95) with 1–1 (0.2), 1.15 in all; the fair mode takes 0–1
    // (0.6) and 1–0 (0.5): the same coverage, 1.1 in all, but no partner below 0.5.
    let instance = serde_json::json!({
        "format": "matcher-instance/v1", "name": "fair",
        "enterprises": [{"id": "E0", "min": 1, "max": 1}, {"id": "E1", "min": 1, "max": 1}],
        "experts": [{"id": "X0", "capacity": 1}, {"id": "X1", "capacity": 1}],
        "affinity": [[0, 0, 0.95], [0, 1, 0.6], [1, 0, 0.5], [1, 1, 0.2]],
        "conflicts": []
    });
    let path = dir.path().join("fair.json");
    std::fs::write(&path, instance.to_string()).expect("write");
    let plain = run(labbridge(dir.path()).arg("assign").arg(&path));
    let plain: Value = serde_json::from_str(stdout(&plain).trim()).expect("json");
    assert_eq!(plain["objective_int"], 11_500);
    assert!(plain.get("floor").is_none());
    let fair = run(labbridge(dir.path()).arg("assign").arg(&path).arg("--fair"));
    assert!(fair.status.success(), "{}", stderr(&fair));
    let fair: Value = serde_json::from_str(stdout(&fair).trim()).expect("json");
    assert_eq!(fair["floor"], 0.5);
    assert_eq!(fair["required_units"], 2);
    assert_eq!(fair["objective_int"], 11_000);
}

#[test]
fn a_bad_instance_names_the_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.json");
    std::fs::write(
        &path,
        r#"{"format": "matcher-instance/v1", "enterprises": [{"min": 1, "max": null}],
            "experts": [{"capacity": 1}], "affinity": [[0, 0, 0.5], [0, 7, 0.5]]}"#,
    )
    .expect("write");
    let output = run(labbridge(dir.path()).arg("assign").arg(&path));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("affinity[1]: expert index 7 is out of range"),
        "{}",
        stderr(&output)
    );
    let missing = run(labbridge(dir.path())
        .arg("assign")
        .arg(dir.path().join("nope.json")));
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("nope.json"),
        "{}",
        stderr(&missing)
    );
}
