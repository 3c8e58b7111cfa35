//! `labbridge backup` while the server runs, and `labbridge restore`: what was written after
//! the backup is gone, what was before is back, and the search index is rebuilt.

use std::process::Stdio;

use crate::support::{http_get, labbridge, run, serve_demo, stderr, stdout};

#[test]
fn a_backup_taken_while_serving_restores_the_registry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let backups = tempfile::tempdir().expect("tempdir");
    let copy = backups.path().join("registry-backup.db");

    // The backup is taken from a second process while the server runs and answers.
    let (mut server, port) = serve_demo(dir.path(), Stdio::null());
    let backup = run(labbridge(dir.path()).args(["backup", "--out"]).arg(&copy));
    assert!(backup.status.success(), "{}", stderr(&backup));
    assert!(
        stdout(&backup).contains("backup written"),
        "{}",
        stdout(&backup)
    );
    assert!(matches!(http_get(port, "/api/v1/coverage"), Some((200, _))));
    let again = run(labbridge(dir.path()).args(["backup", "--out"]).arg(&copy));
    assert!(
        !again.status.success(),
        "an existing file is not overwritten"
    );
    assert!(stderr(&again).contains("exists"), "{}", stderr(&again));
    let _ = server.kill();
    let _ = server.wait();

    // A change after the backup.
    let added = run(labbridge(dir.path())
        .args(["account", "add", "after.backup", "--role", "auditor"])
        .env("LABBRIDGE_PASSWORD", "After-backup-1"));
    assert!(added.status.success(), "{}", stderr(&added));
    let listed = stdout(&run(labbridge(dir.path()).args(["account", "list"])));
    assert!(listed.contains("after.backup"));

    // A file that is not a registry is refused and changes nothing.
    let junk = backups.path().join("junk.db");
    std::fs::write(&junk, b"not a database").expect("write");
    let refused = run(labbridge(dir.path()).arg("restore").arg(&junk));
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("not a labbridge registry backup"),
        "{}",
        stderr(&refused)
    );
    assert!(stdout(&run(labbridge(dir.path()).args(["account", "list"]))).contains("after.backup"));

    let restored = run(labbridge(dir.path()).arg("restore").arg(&copy));
    assert!(restored.status.success(), "{}", stderr(&restored));
    assert!(
        !dir.path().join("index").exists(),
        "the index goes with the old registry"
    );
    let listed = stdout(&run(labbridge(dir.path()).args(["account", "list"])));
    assert!(!listed.contains("after.backup"), "{listed}");
    assert!(listed.contains("demo-staff"), "{listed}");
    let coverage = run(labbridge(dir.path()).args(["coverage", "--json"]));
    assert!(
        stdout(&coverage).contains("\"covered\": 64")
            || stdout(&coverage).contains("\"covered\":64"),
        "{}",
        stdout(&coverage)
    );
    // The search is rebuilt from the restored registry.
    let search = run(labbridge(dir.path()).args(["search", "铝合金", "--json"]));
    assert!(search.status.success(), "{}", stderr(&search));
    assert!(stdout(&search).contains("demo-"), "{}", stdout(&search));
}
