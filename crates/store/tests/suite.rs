//! The store suite: every test runs on SQLite (in memory) and, when
//! `LABBRIDGE_TEST_DATABASE_URL` is set, on a fresh PostgreSQL database — through the same
//! migrations.

use chrono::{DateTime, NaiveDate, Utc};
use labbridge_migrations::{Migrator, MigratorTrait};
use labbridge_store::entity::{enterprise, expert, lab, partnership, program, rd_institution};
use labbridge_store::testing::{drop_postgres_database, fresh_postgres_url, sqlite_memory_url};
use labbridge_store::{EnterpriseRecord, ExpertRecord, RecordKind, Store, TransactionTrait};

macro_rules! store_suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let store = labbridge_store::Store::connect(&super::sqlite_memory_url()).await.expect("sqlite");
                    assert_eq!(store.backend_name(), "sqlite");
                    super::$name(&store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(url) = super::fresh_postgres_url(stringify!($name)).await.expect("create database") else {
                        eprintln!("postgres not configured (LABBRIDGE_TEST_DATABASE_URL unset): skipped");
                        return;
                    };
                    let store = labbridge_store::Store::connect(&url).await.expect("postgres");
                    assert_eq!(store.backend_name(), "postgres");
                    super::$name(&store).await;
                    store.connection().clone().close().await.expect("close");
                    super::drop_postgres_database(&url).await.expect("drop database");
                }
            )*
        }
    };
}

store_suite!(
    starts_empty_and_answers,
    migrations_are_reversible,
    upsert_replaces_enterprise_and_its_institutions,
    upsert_replaces_expert_programs,
    roster_filters_by_year_and_scale,
    hashes_and_codes_are_readable,
    uncommitted_transaction_writes_nothing,
    large_batches_stay_under_parameter_limits,
    credit_codes_are_unique,
    chinese_text_round_trips,
    one_job_holder_at_a_time,
    coverage_rows_agree_with_the_roster,
    snapshots_and_settings_are_kept_once,
    coverage_stamp_moves_with_what_coverage_reads,
    statistics_refresh_for_every_kind,
    sort_keys_are_written_and_filled,
    statements_wait_and_run_within_limits,
);

/// A proposal of an enterprise to `lab-1`, changed `minutes` after [`now`].
fn proposal(enterprise: &str, minutes: i64) -> labbridge_store::entity::proposal::Model {
    labbridge_store::entity::proposal::Model {
        id: 0,
        enterprise_id: enterprise.into(),
        partner_kind: "lab".into(),
        partner_id: "lab-1".into(),
        gap: "A".into(),
        score: 0.5,
        reasons: "{}".into(),
        status: "proposed".into(),
        created_at: now(),
        updated_at: now() + chrono::Duration::minutes(minutes),
        decline_reason: None,
        note: None,
        partnership_id: None,
        reminders: 0,
        contacted_at: None,
        escalated_at: None,
    }
}

fn day(year: i32, month: u32, date: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, date).expect("valid date")
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000, 0).expect("valid time")
}

fn enterprise(id: &str, code: &str, year: i32, above_scale: bool) -> enterprise::Model {
    enterprise::Model {
        id: id.to_owned(),
        name: format!("{id}有限公司"),
        credit_code: code.to_owned(),
        county_code: "370724".to_owned(),
        town_code: "370724101".to_owned(),
        town: "五井镇".to_owned(),
        industry: "aluminium".to_owned(),
        above_scale,
        roster_year: year,
        products: "铝型材".to_owned(),
        rd_staff: 3,
        contact_email: None,
        owner: Some("kjj-wang".to_owned()),
        content_hash: format!("hash-{id}"),
        updated_at: now(),
        industry_code: None,
        sort_key: String::new(),
    }
}

fn institution(kind: &str, from: NaiveDate, to: Option<NaiveDate>) -> rd_institution::Model {
    rd_institution::Model {
        id: 0,
        enterprise_id: String::new(),
        kind: kind.to_owned(),
        level: Some("county".to_owned()),
        number: Some("临科字〔2024〕1号".to_owned()),
        recognized_on: from,
        review_due: to,
    }
}

fn record(model: enterprise::Model, institutions: Vec<rd_institution::Model>) -> EnterpriseRecord {
    let institutions = institutions
        .into_iter()
        .map(|mut institution| {
            institution.enterprise_id = model.id.clone();
            institution
        })
        .collect();
    EnterpriseRecord {
        enterprise: model,
        institutions,
    }
}

/// A partnership from 1 March 2025 of `enterprise` with `partner` (a `kind` partner).
fn partnership_row(
    id: &str,
    enterprise: &str,
    kind: &str,
    partner: &str,
    to: Option<NaiveDate>,
) -> partnership::Model {
    partnership::Model {
        id: id.into(),
        enterprise_id: enterprise.into(),
        partner_kind: kind.into(),
        partner: partner.into(),
        kind: "development_contract".into(),
        valid_from: day(2025, 3, 1),
        valid_to: to,
        evidence: None,
        content_hash: "h".into(),
        updated_at: now(),
        proposal_id: None,
        contract_number: None,
        registration_number: None,
    }
}

fn lab_model(id: &str) -> lab::Model {
    lab::Model {
        id: id.to_owned(),
        name: format!("轻合金精密成形实验室{id}"),
        institution: "北京科技大学".to_owned(),
        at_university: true,
        level: Some("省重点实验室".to_owned()),
        fields: r#"["铝合金","挤压"]"#.to_owned(),
        description: Some("研究铝合金挤压".to_owned()),
        province: Some("北京市".to_owned()),
        email: None,
        capacity: Some(5),
        content_hash: format!("hash-{id}"),
        updated_at: now(),
    }
}

fn program_model(id: &str, name: &str) -> program::Model {
    program::Model {
        id: id.to_owned(),
        name: name.to_owned(),
        level: "provincial".to_owned(),
        description: None,
        content_hash: format!("hash-{id}"),
        updated_at: now(),
    }
}

fn expert_model(id: &str, bio: &str) -> expert::Model {
    expert::Model {
        id: id.to_owned(),
        name: "王伟".to_owned(),
        institution: "中南大学".to_owned(),
        at_university: true,
        title: Some("教授".to_owned()),
        fields: r#"["热处理"]"#.to_owned(),
        bio: Some(bio.to_owned()),
        lab_id: None,
        province: Some("湖南省".to_owned()),
        email: Some("x@demo.labbridge.invalid".to_owned()),
        capacity: None,
        open_to_post: true,
        content_hash: format!("hash-{id}"),
        updated_at: now(),
    }
}

/// Writes enterprise `e1` with an R&D centre recognised in 2020.
async fn write_one_enterprise_with_a_centre(store: &Store) {
    write_enterprises(
        store,
        &[record(
            enterprise("e1", "91370724MA3C0X0X1Q", 2026, true),
            vec![institution("rd_centre", day(2020, 1, 1), None)],
        )],
    )
    .await;
}

async fn write_enterprises(store: &Store, records: &[EnterpriseRecord]) {
    let transaction = store.begin().await.expect("begin");
    Store::upsert_enterprises(&transaction, records)
        .await
        .expect("upsert");
    transaction.commit().await.expect("commit");
}

async fn starts_empty_and_answers(store: &Store) {
    store.ping().await.expect("ping");
    assert_eq!(
        store.counts().await.expect("counts"),
        labbridge_store::Counts::default()
    );
    assert!(store.roster_years().await.expect("years").is_empty());
}

async fn migrations_are_reversible(store: &Store) {
    write_enterprises(
        store,
        &[record(
            enterprise("e1", "91370724MA3C0X0X1Q", 2026, true),
            vec![],
        )],
    )
    .await;
    Migrator::down(store.connection(), None)
        .await
        .expect("down");
    Migrator::up(store.connection(), None)
        .await
        .expect("up again");
    assert_eq!(store.counts().await.expect("counts").enterprises, 0);
}

async fn upsert_replaces_enterprise_and_its_institutions(store: &Store) {
    let first = record(
        enterprise("e1", "91370724MA3C0X0X1Q", 2026, true),
        vec![
            institution("technology_centre", day(2020, 1, 1), Some(day(2027, 1, 1))),
            institution("rd_centre", day(2019, 1, 1), None),
        ],
    );
    write_enterprises(store, std::slice::from_ref(&first)).await;
    let roster = store.roster(2026).await.expect("roster");
    assert_eq!(roster.len(), 1);
    assert_eq!(roster[0].institutions.len(), 2);

    let mut changed = first.clone();
    changed.enterprise.name = "临朐华建铝业有限公司".to_owned();
    changed.enterprise.rd_staff = 40;
    changed.institutions.truncate(1);
    write_enterprises(store, &[changed]).await;
    let roster = store.roster(2026).await.expect("roster");
    assert_eq!(store.counts().await.expect("counts").enterprises, 1);
    assert_eq!(roster[0].enterprise.name, "临朐华建铝业有限公司");
    assert_eq!(roster[0].enterprise.rd_staff, 40);
    assert_eq!(roster[0].institutions.len(), 1);
    assert_eq!(roster[0].institutions[0].review_due, Some(day(2027, 1, 1)));
}

async fn upsert_replaces_expert_programs(store: &Store) {
    let transaction = store.begin().await.expect("begin");
    Store::upsert_programs(
        &transaction,
        vec![
            program_model("p1", "泰山学者"),
            program_model("p2", "长江学者奖励计划"),
        ],
    )
    .await
    .expect("programs");
    Store::upsert_experts(
        &transaction,
        &[ExpertRecord {
            expert: expert_model("x1", "铝合金"),
            programs: vec!["p1".into(), "p2".into()],
        }],
    )
    .await
    .expect("experts");
    transaction.commit().await.expect("commit");
    assert_eq!(
        store.expert_programs().await.expect("memberships")["x1"].len(),
        2
    );

    let transaction = store.begin().await.expect("begin");
    Store::upsert_experts(
        &transaction,
        &[ExpertRecord {
            expert: expert_model("x1", "铝合金"),
            programs: vec!["p2".into()],
        }],
    )
    .await
    .expect("experts");
    transaction.commit().await.expect("commit");
    assert_eq!(
        store.expert_programs().await.expect("memberships")["x1"],
        ["p2"]
    );
    assert_eq!(store.program_names().await.expect("names").len(), 2);
}

async fn roster_filters_by_year_and_scale(store: &Store) {
    write_enterprises(
        store,
        &[
            record(enterprise("a", "91110000802100433B", 2026, true), vec![]),
            record(enterprise("b", "91440300708461136T", 2025, true), vec![]),
            record(enterprise("c", "91330100716105852F", 2026, false), vec![]),
        ],
    )
    .await;
    let transaction = store.begin().await.expect("begin");
    Store::upsert_partnerships(
        &transaction,
        vec![partnership_row("p-a", "a", "institution", "山东大学", None)],
    )
    .await
    .expect("partnerships");
    transaction.commit().await.expect("commit");
    let roster = store.roster(2026).await.expect("roster");
    assert_eq!(
        roster
            .iter()
            .map(|entry| entry.enterprise.id.as_str())
            .collect::<Vec<_>>(),
        ["a"]
    );
    assert_eq!(roster[0].partnerships.len(), 1);
    assert_eq!(store.roster_years().await.expect("years"), [2026, 2025]);
}

async fn hashes_and_codes_are_readable(store: &Store) {
    write_enterprises(
        store,
        &[record(
            enterprise("a", "91110000802100433B", 2026, true),
            vec![],
        )],
    )
    .await;
    let hashes = store
        .content_hashes(RecordKind::Enterprises)
        .await
        .expect("hashes");
    assert_eq!(hashes["a"], "hash-a");
    assert_eq!(
        store.credit_codes().await.expect("codes")["91110000802100433B"],
        "a"
    );
    assert!(
        store
            .content_hashes(RecordKind::Experts)
            .await
            .expect("hashes")
            .is_empty()
    );
}

async fn uncommitted_transaction_writes_nothing(store: &Store) {
    {
        let transaction = store.begin().await.expect("begin");
        Store::upsert_labs(&transaction, vec![lab_model("l1")])
            .await
            .expect("labs");
        transaction.rollback().await.expect("rollback");
    }
    assert_eq!(store.counts().await.expect("counts").labs, 0);
}

async fn large_batches_stay_under_parameter_limits(store: &Store) {
    let labs: Vec<lab::Model> = (0..6000)
        .map(|index| lab_model(&format!("l{index}")))
        .collect();
    let transaction = store.connection().begin().await.expect("begin");
    Store::upsert_labs(&transaction, labs.clone())
        .await
        .expect("first");
    Store::upsert_labs(&transaction, labs).await.expect("again");
    transaction.commit().await.expect("commit");
    assert_eq!(store.counts().await.expect("counts").labs, 6000);
}

async fn credit_codes_are_unique(store: &Store) {
    write_enterprises(
        store,
        &[record(
            enterprise("a", "91110000802100433B", 2026, true),
            vec![],
        )],
    )
    .await;
    let transaction = store.begin().await.expect("begin");
    let clash = Store::upsert_enterprises(
        &transaction,
        &[record(
            enterprise("b", "91110000802100433B", 2026, true),
            vec![],
        )],
    )
    .await;
    assert!(
        clash.is_err(),
        "a second enterprise with the same credit code must be refused"
    );
}

async fn chinese_text_round_trips(store: &Store) {
    let bio = "王伟，教授，博士生导师。主要从事6061-T6铝合金热处理（固溶、时效）研究；发表论文100余篇 🚀。".repeat(5);
    let transaction = store.begin().await.expect("begin");
    Store::upsert_experts(
        &transaction,
        &[ExpertRecord {
            expert: expert_model("x1", &bio),
            programs: vec![],
        }],
    )
    .await
    .expect("experts");
    transaction.commit().await.expect("commit");
    let stored = labbridge_store::entity::expert::Entity::find_by_id("x1".to_owned())
        .one(store.connection())
        .await
        .expect("query")
        .expect("stored");
    assert_eq!(stored.bio.as_deref(), Some(bio.as_str()));
    assert_eq!(stored.updated_at, now());
}

use sea_orm::EntityTrait;

async fn one_job_holder_at_a_time(store: &Store) {
    let start = now();
    let lease = start + chrono::Duration::seconds(60);
    // Eight servers press the button at once: exactly one takes the run.
    let attempts = (0..8).map(|server| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .try_start_job("match", &format!("server-{server}"), "staff", start, lease)
                .await
                .expect("try")
        })
    });
    let mut taken = 0;
    for attempt in attempts {
        taken += usize::from(attempt.await.expect("task"));
    }
    assert_eq!(taken, 1);
    let holder = store.job("match").await.expect("job").expect("row").owner;
    // Only the holder reports progress; after it finishes, another may start.
    assert!(
        !store
            .job_progress("match", "intruder", "x", lease)
            .await
            .expect("progress")
    );
    assert!(
        store
            .job_progress("match", &holder, "candidates 5/10", lease)
            .await
            .expect("progress")
    );
    assert!(
        !store
            .try_start_job("match", "late", "staff", start, lease)
            .await
            .expect("try")
    );
    assert!(
        store
            .finish_job("match", &holder, "done", Some("{}".into()), None, start)
            .await
            .expect("finish")
    );
    assert!(
        store
            .try_start_job("match", "next", "staff", start, lease)
            .await
            .expect("try")
    );
    // A holder that died: once its lease has run out, another server takes over.
    let later = lease + chrono::Duration::seconds(1);
    assert!(
        store
            .try_start_job(
                "match",
                "rescuer",
                "staff",
                later,
                later + chrono::Duration::seconds(60)
            )
            .await
            .expect("try")
    );
    assert!(
        !store
            .job_progress("match", "next", "x", later)
            .await
            .expect("stale holder")
    );
}

async fn snapshots_and_settings_are_kept_once(store: &Store) {
    use labbridge_store::entity::coverage_snapshot;
    assert_eq!(store.registry_setting("county").await.expect("get"), None);
    assert_eq!(store.latest_county_code().await.expect("empty"), None);
    assert_eq!(
        store
            .remember_setting("county", "370724")
            .await
            .expect("set"),
        "370724"
    );
    assert_eq!(
        store
            .remember_setting("county", "370102")
            .await
            .expect("set"),
        "370724",
        "the first one stays"
    );
    let row = |scope: &str, covered: i32| coverage_snapshot::Model {
        month: "2026-11".into(),
        scope: scope.into(),
        label: "城关街道".into(),
        total: 10,
        covered,
        cooperation: covered,
        institution_and_staff: covered,
        taken_at: now(),
    };
    assert!(!store.has_snapshot("2026-11").await.expect("has"));
    assert_eq!(
        store
            .insert_snapshots(vec![row("all", 3), row("town:370724001", 1)])
            .await
            .expect("insert"),
        2
    );
    assert_eq!(
        store
            .insert_snapshots(vec![row("all", 9)])
            .await
            .expect("again"),
        0
    );
    let kept = store.snapshots("all").await.expect("read");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].covered, 3, "a month's snapshot never changes");
    assert!(store.has_snapshot("2026-11").await.expect("has"));
}

async fn coverage_rows_agree_with_the_roster(store: &Store) {
    // Enterprises with none, one and several terms, text that needs care, and one off the roster.
    let mut a = enterprise("a", "91110000802100433B", 2026, true);
    a.name = "临朐“铝业”, 有限公司".into();
    a.owner = Some("wang.li".into());
    write_enterprises(
        store,
        &[
            record(
                a,
                vec![
                    institution(
                        "technology_centre",
                        day(2024, 3, 1),
                        Some(day(2026, 12, 20)),
                    ),
                    institution("rd_centre", day(2025, 1, 1), None),
                ],
            ),
            record(enterprise("b", "91440300708461136T", 2026, true), vec![]),
            record(enterprise("c", "91330100716105852F", 2025, true), vec![]),
        ],
    )
    .await;
    let term = partnership_row;
    let transaction = store.begin().await.expect("begin");
    Store::upsert_partnerships(
        &transaction,
        vec![
            term("p1", "a", "lab", "lab-1", Some(day(2026, 12, 15))),
            term("p2", "a", "institution", "山东大学, 材料学院", None),
            term("p3", "c", "expert", "e-1", None),
        ],
    )
    .await
    .expect("partnerships");
    transaction.commit().await.expect("commit");
    let rows = store.coverage_rows(2026).await.expect("rows");
    let roster = store.roster(2026).await.expect("roster");
    assert_eq!(rows.len(), roster.len());
    for (row, entry) in rows.iter().zip(&roster) {
        assert_eq!(row.id, entry.enterprise.id);
        assert_eq!(row.name, entry.enterprise.name);
        assert_eq!(row.owner, entry.enterprise.owner);
        let mut from_rows: Vec<(NaiveDate, Option<NaiveDate>, String, String)> = row
            .partnerships
            .iter()
            .map(|t| (t.from, t.to, t.kind.clone(), t.partner.clone()))
            .collect();
        let mut from_roster: Vec<(NaiveDate, Option<NaiveDate>, String, String)> = entry
            .partnerships
            .iter()
            .map(|p| {
                (
                    p.valid_from,
                    p.valid_to,
                    p.partner_kind.clone(),
                    p.partner.clone(),
                )
            })
            .collect();
        from_rows.sort();
        from_roster.sort();
        assert_eq!(from_rows, from_roster, "{}", row.id);
        let mut institutions: Vec<(NaiveDate, Option<NaiveDate>, String)> = row
            .institutions
            .iter()
            .map(|t| (t.from, t.to, t.kind.clone()))
            .collect();
        let mut expected: Vec<(NaiveDate, Option<NaiveDate>, String)> = entry
            .institutions
            .iter()
            .map(|i| (i.recognized_on, i.review_due, i.kind.clone()))
            .collect();
        institutions.sort();
        expected.sort();
        assert_eq!(institutions, expected, "{}", row.id);
    }
    assert_eq!(rows[0].partnerships.len(), 2);
    assert_eq!(
        store.latest_county_code().await.expect("county"),
        Some(roster[0].enterprise.county_code.clone()),
        "a registry filled before it remembered its county learns it from the roster"
    );
    // The roster export's list: every enterprise, newest roster first.
    let listed: Vec<(String, i64, i64)> = store
        .enterprise_list()
        .await
        .expect("list")
        .into_iter()
        .map(|row| (row.id, row.roster_year, row.above_scale))
        .collect();
    assert_eq!(
        listed,
        [
            ("a".to_owned(), 2026, 1),
            ("b".to_owned(), 2026, 1),
            ("c".to_owned(), 2025, 1)
        ]
    );
    assert!(
        store
            .coverage_rows(1999)
            .await
            .expect("empty year")
            .is_empty()
    );

    // The latest proposal of each enterprise: by the last change, then the id.
    let transaction = store.begin().await.expect("begin");
    Store::insert_proposals(
        &transaction,
        vec![
            proposal("a", 5),
            proposal("a", 1),
            proposal("b", 2),
            proposal("b", 2),
        ],
    )
    .await
    .expect("proposals");
    transaction.commit().await.expect("commit");
    let mut latest: Vec<(String, i64)> = store
        .latest_proposals()
        .await
        .expect("latest")
        .into_iter()
        .map(|p| (p.enterprise_id, (p.updated_at - now()).num_minutes()))
        .collect();
    latest.sort();
    assert_eq!(latest, [("a".to_owned(), 5), ("b".to_owned(), 2)]);
}

/// A registry that cannot be reached is reported with its cause within the limit, not after
/// a pool's long timeout.
#[tokio::test]
async fn an_unreachable_registry_is_reported_with_its_cause() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let started = std::time::Instant::now();
    let error = Store::probe(
        &format!("postgres://root@127.0.0.1:{port}/labbridge"),
        std::time::Duration::from_millis(800),
    )
    .await
    .expect_err("nothing listens");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert!(error.to_lowercase().contains("refused"), "{error}");
    let missing = Store::probe(
        "sqlite:///nonexistent-dir/labbridge.db",
        std::time::Duration::from_millis(800),
    )
    .await
    .expect_err("no such directory");
    assert!(!missing.is_empty());
    assert!(
        Store::probe(&sqlite_memory_url(), std::time::Duration::from_millis(800))
            .await
            .is_ok()
    );
}

async fn coverage_stamp_moves_with_what_coverage_reads(store: &Store) {
    use labbridge_store::entity::coverage_snapshot;
    use sea_orm::EntityTrait;
    let stamp = || async { store.coverage_stamp().await.expect("stamp") };
    let mut last = stamp().await;
    fn moved(last: &mut i64, now: i64, what: &str) {
        assert!(now > *last, "{what}: the stamp moves ({last} -> {now})");
        *last = now;
    }

    write_one_enterprise_with_a_centre(store).await;
    moved(
        &mut last,
        stamp().await,
        "an enterprise and its institution",
    );

    let pship = partnership_row("p1", "e1", "institution", "山东大学", None);
    {
        let transaction = store.begin().await.expect("begin");
        Store::insert_partnership(&transaction, pship.clone())
            .await
            .expect("insert");
        transaction.rollback().await.expect("rollback");
    }
    assert_eq!(stamp().await, last, "a rolled-back write leaves the stamp");
    let transaction = store.begin().await.expect("begin");
    Store::insert_partnership(&transaction, pship)
        .await
        .expect("insert");
    transaction.commit().await.expect("commit");
    moved(&mut last, stamp().await, "a partnership");

    store
        .remember_setting("county", "370724")
        .await
        .expect("setting");
    assert_eq!(stamp().await, last, "a setting is not coverage");

    store
        .insert_snapshots(vec![coverage_snapshot::Model {
            month: "2026-11".into(),
            scope: "all".into(),
            label: "全县".into(),
            total: 1,
            covered: 1,
            cooperation: 1,
            institution_and_staff: 1,
            taken_at: now(),
        }])
        .await
        .expect("snapshot");
    moved(&mut last, stamp().await, "a snapshot (the trend)");

    partnership::Entity::delete_many()
        .exec(store.connection())
        .await
        .expect("delete");
    moved(&mut last, stamp().await, "deleted partnerships");
    rd_institution::Entity::delete_many()
        .exec(store.connection())
        .await
        .expect("delete");
    moved(&mut last, stamp().await, "deleted institutions");
}

async fn statistics_refresh_for_every_kind(store: &Store) {
    write_one_enterprise_with_a_centre(store).await;
    for kind in [
        RecordKind::Enterprises,
        RecordKind::Needs,
        RecordKind::Labs,
        RecordKind::Experts,
        RecordKind::Programs,
        RecordKind::Partnerships,
    ] {
        store.analyze(kind).await.expect("analyze");
    }
    assert_eq!(store.counts().await.expect("counts").enterprises, 1);
}

/// The pinyin sort key is the store's to write: set from the name on every upsert whatever
/// the caller passed, and filled for rows that lack one (older rows, rows written by hand).
async fn sort_keys_are_written_and_filled(store: &Store) {
    use labbridge_domain::sort::pinyin_key;
    use labbridge_store::ConnectionTrait;
    let names = ["章丘铝业", "阿里机械", "Zeta 精工"];
    let records: Vec<EnterpriseRecord> = names
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let mut model =
                enterprise(&format!("k{index}"), &format!("KEY{index:014}"), 2026, true);
            model.name = (*name).to_owned();
            model.sort_key = "stale".to_owned();
            EnterpriseRecord {
                enterprise: model,
                institutions: Vec::new(),
            }
        })
        .collect();
    let transaction = store.begin().await.expect("begin");
    Store::upsert_enterprises(&transaction, &records)
        .await
        .expect("upsert");
    transaction.commit().await.expect("commit");
    let keys = || async {
        let mut keys = Vec::new();
        for index in 0..names.len() {
            let row = store
                .enterprise(&format!("k{index}"))
                .await
                .expect("read")
                .expect("found");
            keys.push(row.sort_key);
        }
        keys
    };
    let expected: Vec<String> = names.iter().map(|name| pinyin_key(name)).collect();
    assert_eq!(keys().await, expected);
    assert!(expected[1] < expected[0], "阿 (a) before 章 (zhang)");
    store
        .connection()
        .execute_unprepared("UPDATE enterprises SET sort_key = ''")
        .await
        .expect("blank the keys");
    assert!(keys().await.iter().all(String::is_empty));
    store.fill_sort_keys().await.expect("fill");
    assert_eq!(keys().await, expected);

    // A proposal carries its enterprise's key (the desk's order), and follows a rename.
    let transaction = store.begin().await.expect("begin");
    let inserted = Store::insert_proposals(&transaction, vec![proposal("k0", 0)])
        .await
        .expect("proposal");
    transaction.commit().await.expect("commit");
    let proposal_key = || async {
        let row = store
            .connection()
            .query_one_raw(sea_orm::Statement::from_string(
                store.connection().get_database_backend(),
                format!(
                    "SELECT sort_key FROM proposals WHERE id = {}",
                    inserted[0].id
                ),
            ))
            .await
            .expect("read")
            .expect("row");
        row.try_get::<String>("", "sort_key").expect("key")
    };
    assert_eq!(proposal_key().await, expected[0]);
    let mut renamed = records[0].clone();
    renamed.enterprise.name = "阿尔法铝业".to_owned();
    let transaction = store.begin().await.expect("begin");
    Store::upsert_enterprises(&transaction, &[renamed])
        .await
        .expect("rename");
    transaction.commit().await.expect("commit");
    assert_eq!(proposal_key().await, pinyin_key("阿尔法铝业"));
}

/// Every connection carries its limits: SQLite waits a minute for the write lock, PostgreSQL
/// ends any statement after five minutes (a request's client left long before) and does not
/// spend 400 ms compiling a page's plan (JIT off).
async fn statements_wait_and_run_within_limits(store: &Store) {
    use labbridge_store::ConnectionTrait;
    let connection = store.connection();
    let backend = connection.get_database_backend();
    let (sql, column) = match store.backend_name() {
        "postgres" => ("SHOW statement_timeout", "statement_timeout"),
        _ => ("PRAGMA busy_timeout", "timeout"),
    };
    let row = connection
        .query_one_raw(sea_orm::Statement::from_string(backend, sql))
        .await
        .expect("read the setting")
        .expect("a row");
    match store.backend_name() {
        "postgres" => {
            assert_eq!(row.try_get::<String>("", column).expect("text"), "5min");
            let jit = connection
                .query_one_raw(sea_orm::Statement::from_string(backend, "SHOW jit"))
                .await
                .expect("read jit")
                .expect("a row");
            assert_eq!(jit.try_get::<String>("", "jit").expect("text"), "off");
        }
        _ => assert_eq!(row.try_get::<i64>("", column).expect("number"), 60_000),
    }
}
