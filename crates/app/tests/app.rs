//! Use-case tests: imports, the demo county and the coverage report, on SQLite and (when
//! `LABBRIDGE_TEST_DATABASE_URL` is set) PostgreSQL.

use chrono::Datelike;
use std::path::{Path, PathBuf};

use labbridge_app::accounts::NewAccount;
use labbridge_app::import::{ImportFailure, ImportKind, Progress};
use labbridge_app::{App, Error, Settings, demo};
use labbridge_domain::CreditCode;
use labbridge_store::testing::{drop_postgres_database, fresh_postgres_url, sqlite_memory_url};
use serde_json::{Value, json};

struct Fixture {
    app: App,
    dir: tempfile::TempDir,
    postgres_url: Option<String>,
}

impl Fixture {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    async fn finish(self) {
        if let Some(url) = self.postgres_url {
            self.app
                .store
                .connection()
                .clone()
                .close()
                .await
                .expect("close");
            drop_postgres_database(&url).await.expect("drop");
        }
    }
}

async fn open(url: String, postgres_url: Option<String>) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = Settings {
        data_dir: dir.path().join("data"),
        database_url: Some(url),
        county: Some("临朐县".to_owned()),
        addr: "127.0.0.1:0".to_owned(),
        staff_token: None,
        ..Settings::default()
    };
    Fixture {
        app: App::open(settings).await.expect("open"),
        dir,
        postgres_url,
    }
}

macro_rules! app_suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let fixture = super::open(super::sqlite_memory_url(), None).await;
                    super::$name(&fixture).await;
                    fixture.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(url) = super::fresh_postgres_url(stringify!($name)).await.expect("create database") else {
                        eprintln!("postgres not configured: skipped");
                        return;
                    };
                    let fixture = super::open(url.clone(), Some(url)).await;
                    super::$name(&fixture).await;
                    fixture.finish().await;
                }
            )*
        }
    };
}

app_suite!(
    reimport_counts_created_updated_unchanged,
    one_bad_row_in_a_thousand_writes_nothing,
    every_kind_of_bad_row_is_named,
    gbk_csv_from_excel_is_decoded,
    xlsx_with_chinese_headers_and_real_dates,
    expert_file_of_two_thousand_long_bios,
    institutions_are_normalised_on_import,
    the_index_learns_words_from_imported_fields,
    technology_offers_are_imported_and_found,
    references_must_exist,
    demo_county_is_64_of_246,
    matcher_closes_the_demo_countys_gaps,
    a_short_need_is_widened_through_the_industry_bridge,
    sign_in_checks_the_password_and_sessions_end,
    re_adding_resets_the_password_and_bad_accounts_are_refused,
    sessions_end_when_idle_disabled_or_ended,
    parallel_sign_ins_cannot_pass_the_lock_out,
    demo_people_and_portal_needs,
    proposal_loop_moves_coverage,
    random_actions_follow_the_table,
    silence_brings_reminders_then_staff_then_expiry,
    the_database_counts_coverage_as_the_rule_does,
    the_desk_pages_as_the_whole_list_does,
);

fn write_jsonl(path: &Path, values: &[Value]) {
    let text: String = values.iter().map(|value| format!("{value}\n")).collect();
    std::fs::write(path, text).expect("write jsonl");
}

fn credit_code(seed: usize) -> String {
    // A numeric organisation part always completes to a valid code.
    CreditCode::complete(&format!("91370724{:09}", seed % 1_000_000_000))
        .map(|code| code.as_str().to_owned())
        .unwrap_or_default()
}

fn failure(error: Error) -> ImportFailure {
    match error {
        Error::Import(failure) => failure,
        other => panic!("expected an import failure, got {other:?}"),
    }
}

async fn import(
    fixture: &Fixture,
    kind: ImportKind,
    path: &Path,
) -> labbridge_app::Result<labbridge_app::import::ImportSummary> {
    fixture.app.import_file(kind, path, Progress::Hidden).await
}

async fn reimport_counts_created_updated_unchanged(fixture: &Fixture) {
    let path = fixture.path("programs.jsonl");
    write_jsonl(
        &path,
        &[
            json!({"id": "p1", "name": "泰山学者", "level": "省级"}),
            json!({"id": "p2", "name": "长江学者奖励计划", "level": "国家级"}),
        ],
    );
    let first = import(fixture, ImportKind::Programs, &path)
        .await
        .expect("first import");
    assert_eq!((first.created, first.updated, first.unchanged), (2, 0, 0));
    let again = import(fixture, ImportKind::Programs, &path)
        .await
        .expect("second import");
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));
    write_jsonl(
        &path,
        &[
            json!({"id": "p1", "name": "泰山学者", "level": "省级", "description": "新增说明"}),
            json!({"id": "p2", "name": "长江学者奖励计划", "level": "国家级"}),
            json!({"id": "p3", "name": "泰山产业领军人才", "level": "省级"}),
        ],
    );
    let third = import(fixture, ImportKind::Programs, &path)
        .await
        .expect("third import");
    assert_eq!((third.created, third.updated, third.unchanged), (1, 1, 1));
    assert_eq!(
        fixture.app.store.counts().await.expect("counts").programs,
        3
    );
}

fn enterprise_csv_line(index: usize, code: &str) -> String {
    format!(
        "E{index:04},临朐测试{index}铝业有限公司,{code},五井镇,铝材深加工,是,2026,建筑铝型材,5\n"
    )
}

async fn one_bad_row_in_a_thousand_writes_nothing(fixture: &Fixture) {
    let mut csv = String::from(
        "id,name,credit_code,town,industry,above_scale,roster_year,products,rd_staff\n",
    );
    for index in 0..1000 {
        let code = if index == 500 {
            "91370724000000000X".to_owned()
        } else {
            credit_code(index)
        };
        csv.push_str(&enterprise_csv_line(index, &code));
    }
    let path = fixture.path("enterprises.csv");
    std::fs::write(&path, &csv).expect("write");
    let failure = failure(
        import(fixture, ImportKind::Enterprises, &path)
            .await
            .expect_err("must fail"),
    );
    assert_eq!(failure.problems.len(), 1, "{:?}", failure.problems);
    let line = &failure.lines()[0];
    assert!(
        line.starts_with(&format!("{}:502: credit_code: ", path.display())),
        "{line}"
    );
    assert_eq!(
        fixture
            .app
            .store
            .counts()
            .await
            .expect("counts")
            .enterprises,
        0,
        "nothing may be written"
    );

    let fixed = csv.replace("91370724000000000X", &credit_code(500));
    std::fs::write(&path, fixed).expect("write");
    let summary = import(fixture, ImportKind::Enterprises, &path)
        .await
        .expect("valid file");
    assert_eq!(summary.created, 1000);
}

async fn every_kind_of_bad_row_is_named(fixture: &Fixture) {
    let good = credit_code(1);
    let path = fixture.path("bad.jsonl");
    let base = json!({"id": "E1", "name": "甲公司", "credit_code": good, "town": "五井镇", "industry": "铝材深加工", "above_scale": true, "roster_year": 2026});
    let with = |changes: Value| {
        let mut value = base.clone();
        for (key, change) in changes.as_object().expect("object") {
            if change.is_null() {
                value.as_object_mut().expect("object").remove(key);
            } else {
                value[key] = change.clone();
            }
        }
        value
    };
    write_jsonl(
        &path,
        &[
            base.clone(),
            with(json!({"id": "E2", "credit_code": "91370724MA3C0X0X1T"})),
            with(json!({"id": "E3", "credit_code": credit_code(3), "town": "城南镇"})),
            with(json!({"id": "E4", "credit_code": credit_code(4), "name": null})),
            with(
                json!({"id": "E5", "credit_code": credit_code(5), "rd_institutions": [{"kind": "企业技术中心", "recognized_on": "2024-02-30"}]}),
            ),
            with(json!({"credit_code": credit_code(6)})),
            with(json!({"id": "E7", "credit_code": credit_code(7), "industry": "纺织"})),
            with(json!({"id": "E8", "credit_code": good.clone()})),
            with(json!({"id": "E9", "credit_code": credit_code(9), "industry_code": "C9999"})),
            with(json!({"id": "E10", "credit_code": credit_code(10), "industry_code": "3252"})),
        ],
    );
    let failure = failure(
        import(fixture, ImportKind::Enterprises, &path)
            .await
            .expect_err("must fail"),
    );
    let found: Vec<(Option<usize>, Option<&str>)> = failure
        .problems
        .iter()
        .map(|problem| (problem.row, problem.field.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            (Some(2), Some("credit_code")),
            (Some(3), Some("town")),
            (Some(4), Some("name")),
            (Some(5), Some("rd_institutions[0].recognized_on")),
            (Some(6), Some("id")),
            (Some(7), Some("industry")),
            (Some(8), Some("credit_code")),
            (Some(9), Some("industry_code")),
        ],
        "{:#?}",
        failure.lines()
    );
    assert!(
        failure.lines()[7].contains("GB/T 4754"),
        "{}",
        failure.lines()[7]
    );
    assert!(
        failure.lines()[1].contains("五井镇"),
        "unknown town lists the real towns: {}",
        failure.lines()[1]
    );
    assert_eq!(
        fixture
            .app
            .store
            .counts()
            .await
            .expect("counts")
            .enterprises,
        0
    );
}

async fn gbk_csv_from_excel_is_decoded(fixture: &Fixture) {
    let csv = format!(
        "编号,企业名称,统一社会信用代码,镇街,产业链,是否规上,年度,研发人员\r\nG1,临朐县宏达铝业有限公司,{},东城街道,铝材深加工,是,2026,12\r\n",
        credit_code(11)
    );
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&csv);
    assert!(!unmappable);
    let path = fixture.path("excel.csv");
    std::fs::write(&path, &bytes).expect("write");
    let summary = import(fixture, ImportKind::Enterprises, &path)
        .await
        .expect("gbk import");
    assert_eq!(summary.created, 1);
    assert!(
        summary.notes.iter().any(|note| note.contains("GBK")),
        "{:?}",
        summary.notes
    );
    let stored = fixture
        .app
        .store
        .enterprise("G1")
        .await
        .expect("query")
        .expect("stored");
    assert_eq!(stored.name, "临朐县宏达铝业有限公司");
    assert_eq!(stored.town, "东城街道");
}

const ROSTER_HEADERS: [&str; 12] = [
    "编号",
    "企业名称",
    "统一社会信用代码",
    "镇街",
    "产业链",
    "是否规上",
    "年度",
    "研发人员",
    "研发机构类型",
    "研发机构级别",
    "认定日期",
    "复核日期",
];

/// Writes a roster workbook as a clerk would: Chinese headers, numeric ids, real date cells;
/// `bad_town_row` (a sheet row number) gets a town that does not exist.
fn write_roster_xlsx(path: &Path, rows: u32, bad_town_row: Option<u32>) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    for (column, header) in ROSTER_HEADERS.iter().enumerate() {
        sheet
            .write_string(0, column as u16, *header)
            .expect("header");
    }
    for row in 1..=rows {
        let town = if bad_town_row == Some(row + 1) {
            "不存在镇"
        } else {
            "山旺镇"
        };
        sheet
            .write_number(row, 0, f64::from(1000 + row))
            .expect("numeric id");
        sheet
            .write_string(row, 1, format!("潍坊恒{row}机械有限公司"))
            .expect("name");
        sheet
            .write_string(row, 2, credit_code(20 + row as usize))
            .expect("code");
        sheet.write_string(row, 3, town).expect("town");
        sheet.write_string(row, 4, "机电装备").expect("industry");
        sheet.write_boolean(row, 5, true).expect("scale");
        sheet.write_number(row, 6, 2026.0).expect("year");
        sheet.write_number(row, 7, 8.0).expect("staff");
        sheet.write_string(row, 8, "企业技术中心").expect("kind");
        sheet.write_string(row, 9, "市级").expect("level");
        let recognized = ExcelDateTime::from_ymd(2023, 5, 18).expect("date");
        sheet
            .write_datetime_with_format(row, 10, &recognized, &date_format)
            .expect("date");
        let due = ExcelDateTime::from_ymd(2028, 5, 17).expect("date");
        sheet
            .write_datetime_with_format(row, 11, &due, &date_format)
            .expect("date");
    }
    workbook.save(path).expect("save");
}

async fn xlsx_with_chinese_headers_and_real_dates(fixture: &Fixture) {
    let path = fixture.path("roster.xlsx");
    write_roster_xlsx(&path, 3, Some(4));
    let failure = failure(
        import(fixture, ImportKind::Enterprises, &path)
            .await
            .expect_err("row 4 is bad"),
    );
    assert_eq!(
        failure.lines(),
        [format!(
            "{}:4: town: {}",
            path.display(),
            failure.problems[0].reason
        )]
    );
    assert_eq!(
        fixture
            .app
            .store
            .counts()
            .await
            .expect("counts")
            .enterprises,
        0
    );

    write_roster_xlsx(&path, 2, None);
    let summary = import(fixture, ImportKind::Enterprises, &path)
        .await
        .expect("valid workbook");
    assert_eq!(summary.created, 2);
    let roster = fixture.app.store.roster(2026).await.expect("roster");
    let first = roster
        .iter()
        .find(|entry| entry.enterprise.id == "1001")
        .expect("numeric id kept as text");
    assert_eq!(
        first.institutions[0].recognized_on.to_string(),
        "2023-05-18"
    );
    assert_eq!(
        first.institutions[0]
            .review_due
            .map(|date| date.to_string())
            .as_deref(),
        Some("2028-05-17")
    );
}

async fn expert_file_of_two_thousand_long_bios(fixture: &Fixture) {
    let programs = fixture.path("programs.jsonl");
    let program_values: Vec<Value> = demo::program_rows()
        .into_iter()
        .map(|row| Value::Object(row.cells.into_iter().collect()))
        .collect();
    write_jsonl(&programs, &program_values);
    import(fixture, ImportKind::Programs, &programs)
        .await
        .expect("programs");
    let experts = demo::synthetic_experts(2000, 7);
    let bio_lengths: Vec<usize> = experts
        .iter()
        .map(|expert| expert["bio"].as_str().unwrap_or_default().chars().count())
        .collect();
    assert!(
        bio_lengths
            .iter()
            .all(|length| (150..=400).contains(length)),
        "bios of 150–400 characters"
    );
    let path = fixture.path("experts.jsonl");
    write_jsonl(&path, &experts);
    let summary = import(fixture, ImportKind::Experts, &path)
        .await
        .expect("experts");
    assert_eq!(summary.created, 2000);
    let memberships = fixture
        .app
        .store
        .expert_programs()
        .await
        .expect("memberships");
    let named: usize = experts
        .iter()
        .filter(|expert| !expert["programs"].as_array().is_none_or(Vec::is_empty))
        .count();
    assert_eq!(
        memberships.len(),
        named,
        "programmes given by name are linked by id"
    );
}

async fn institutions_are_normalised_on_import(fixture: &Fixture) {
    let path = fixture.path("labs.csv");
    std::fs::write(
        &path,
        "id,name,institution,fields\nL1,材料实验室,北京科技大学（材料学院）,铝合金;挤压\nL2,机械实验室,北京科技大学天津学院,机械\nL3,金属所实验室, 中国科学院金属研究所(沈阳) ,金属\n",
    )
    .expect("write");
    import(fixture, ImportKind::Labs, &path)
        .await
        .expect("labs");
    let labs = labbridge_store::entity::lab::Entity::find()
        .all(fixture.app.store.connection())
        .await
        .expect("labs");
    let institution = |id: &str| {
        labs.iter().find(|lab| lab.id == id).map(|lab| {
            (
                lab.institution.clone(),
                lab.at_university,
                lab.province.clone(),
            )
        })
    };
    assert_eq!(
        institution("L1"),
        Some(("北京科技大学".into(), true, Some("北京市".into())))
    );
    assert_eq!(
        institution("L2"),
        Some(("北京科技大学天津学院".into(), true, Some("天津市".into())))
    );
    assert_eq!(
        institution("L3"),
        Some(("中国科学院金属研究所（沈阳）".into(), false, None))
    );
    assert_eq!(
        labs.iter()
            .find(|lab| lab.id == "L1")
            .map(|lab| lab.fields.as_str()),
        Some(r#"["铝合金","挤压"]"#)
    );

    // Without an institution (left out, blank, 不详), labs and experts are still imported, as the
    // explicit unknown 未知: searchable by subject, never an institution of their own.
    let path = fixture.path("unknown.jsonl");
    write_jsonl(
        &path,
        &[
            json!({"id": "X1", "name": "王工", "fields": ["搅拌摩擦焊"], "bio": "从事搅拌摩擦焊工艺开发"}),
            json!({"id": "X2", "name": "李工", "institution": "", "fields": ["搅拌摩擦焊"]}),
            json!({"id": "X3", "name": "赵工", "institution": "不详", "fields": ["搅拌摩擦焊"]}),
            json!({"id": "X4", "name": "孙教授", "institution": "北京科技大学", "fields": ["搅拌摩擦焊"]}),
        ],
    );
    import(fixture, ImportKind::Experts, &path)
        .await
        .expect("experts without an institution");
    let experts = labbridge_store::entity::expert::Entity::find()
        .all(fixture.app.store.connection())
        .await
        .expect("experts");
    let unknown: Vec<&str> = experts
        .iter()
        .filter(|expert| expert.institution == labbridge_domain::UNKNOWN_INSTITUTION)
        .map(|expert| expert.id.as_str())
        .collect();
    assert_eq!(unknown, ["X1", "X2", "X3"]);
    let index = fixture
        .app
        .open_index(Progress::Hidden)
        .await
        .expect("index");
    let found = fixture
        .app
        .search(
            &index,
            &labbridge_search::Request {
                text: "搅拌摩擦焊".into(),
                ..Default::default()
            },
        )
        .expect("search");
    assert_eq!(found.total, 4, "{:?}", found.hits);
    assert!(
        found
            .hits
            .iter()
            .filter(|hit| hit.id != "X4")
            .all(|hit| hit.institution.is_none())
    );
    let ranked = fixture
        .app
        .strongest_institutions(&index, "搅拌摩擦焊", 10)
        .expect("institutions");
    let names: Vec<&str> = ranked
        .iter()
        .map(|strength| strength.institution.as_str())
        .collect();
    assert_eq!(names, ["北京科技大学"]);
}

async fn the_index_learns_words_from_imported_fields(fixture: &Fixture) {
    let import_expert = |file: &'static str, expert: Value| async move {
        let path = fixture.path(file);
        write_jsonl(&path, &[expert]);
        import(fixture, ImportKind::Experts, &path)
            .await
            .expect("experts");
    };
    import_expert(
        "experts-first.jsonl",
        json!({"id": "X1", "name": "王工", "institution": "山东大学", "fields": ["冲压成形"], "bio": "冲压成形与挤压成形，成形极限。"}),
    )
    .await;
    let mut follower = fixture
        .app
        .open_index_followed(Progress::Hidden)
        .await
        .expect("index");
    let index = follower.index().clone();
    assert!(
        !index.learned().contains(&"辊弯成形".to_owned()),
        "{:?}",
        index.learned()
    );
    // A later import brings a compound jieba's dictionary lacks (辊/弯/成形): following it
    // rebuilds the index with the word learned, and both experts are cut with it.
    import_expert(
        "experts-second.jsonl",
        json!({"id": "X2", "name": "李工", "institution": "燕山大学", "fields": ["辊弯成形"], "bio": "光伏支架的连续成形。"}),
    )
    .await;
    assert_eq!(follower.step(&fixture.app).await.expect("step"), 1);
    let learned = index.learned();
    assert!(learned.contains(&"辊弯成形".to_owned()), "{learned:?}");
    assert_eq!(index.checkpoint().learned, *learned);
    let search = |text: &str| {
        fixture
            .app
            .search(
                &index,
                &labbridge_search::Request {
                    text: text.into(),
                    ..Default::default()
                },
            )
            .expect("search")
    };
    let found = search("辊弯成形");
    assert_eq!(found.hits[0].id, "X2", "{:?}", found.hits);
    assert!(
        found
            .hits
            .iter()
            .skip(1)
            .all(|hit| hit.score < found.hits[0].score / 2.0),
        "{:?}",
        found.hits
    );
    // The rebuild kept what was indexed before.
    assert_eq!(search("冲压成形").hits[0].id, "X1");
    // Nothing new to learn: the next step indexes the change alone.
    assert_eq!(follower.step(&fixture.app).await.expect("step"), 0);
}

async fn technology_offers_are_imported_and_found(fixture: &Fixture) {
    // A technology market's sheet: Chinese headers, one listing without an institution.
    let path = fixture.path("offers.csv");
    std::fs::write(
        &path,
        "编号,成果名称,所属单位,成果持有人,技术领域,成果简介,专利号,转让价格\n\
         O1,高强铝合金在线淬火工艺,山东大学,张明,铝合金;热处理,挤压后在线淬火，省去离线固溶,ZL202310000001.5,面议\n\
         O2,废铝灰无害化处理技术,,李华,铝灰;资源化,铝灰中氮化铝水解脱氮后制备净水剂,,50万元\n",
    )
    .expect("write");
    let summary = import(fixture, ImportKind::Offers, &path)
        .await
        .expect("offers");
    assert_eq!(summary.created, 2);
    let stored = fixture
        .app
        .store
        .offer("O2")
        .await
        .expect("read")
        .expect("O2");
    assert_eq!(stored.institution, labbridge_domain::UNKNOWN_INSTITUTION);
    assert_eq!(stored.holder.as_deref(), Some("李华"));
    assert_eq!(stored.price.as_deref(), Some("50万元"));
    // All or nothing: a row without a name names its row and field, and nothing is written.
    let bad = fixture.path("offers-bad.jsonl");
    write_jsonl(
        &bad,
        &[
            json!({"id": "O3", "name": "铝型材表面微弧氧化", "fields": ["微弧氧化"]}),
            json!({"id": "O4", "holder": "王工"}),
        ],
    );
    let failure = failure(
        import(fixture, ImportKind::Offers, &bad)
            .await
            .expect_err("a row without a name"),
    );
    assert_eq!(failure.problems.len(), 1, "{:?}", failure.problems);
    assert_eq!(failure.problems[0].row, Some(2));
    assert_eq!(failure.problems[0].field.as_deref(), Some("name"));
    assert!(fixture.app.store.offer("O3").await.expect("read").is_none());

    let index = fixture
        .app
        .open_index(Progress::Hidden)
        .await
        .expect("index");
    let search = |text: &str, kinds: Vec<labbridge_search::Kind>| {
        fixture
            .app
            .search(
                &index,
                &labbridge_search::Request {
                    text: text.into(),
                    kinds,
                    ..Default::default()
                },
            )
            .expect("search")
    };
    let offers = search("铝灰", vec![labbridge_search::Kind::Offer]);
    assert_eq!(offers.hits.len(), 1, "{:?}", offers.hits);
    assert_eq!(offers.hits[0].id, "O2");
    assert_eq!(offers.hits[0].institution, None);
    assert_eq!(offers.hits[0].title.as_deref(), Some("李华"));
    // By patent number, and among everything when no kind is asked for.
    assert_eq!(search("ZL202310000001.5", Vec::new()).hits[0].id, "O1");
    let all = search("在线淬火", Vec::new());
    assert!(
        all.hits
            .iter()
            .any(|hit| hit.kind == labbridge_search::Kind::Offer && hit.id == "O1"),
        "{:?}",
        all.hits
    );
    // An offer never answers for an expert or lab search.
    assert!(
        search(
            "在线淬火",
            vec![labbridge_search::Kind::Expert, labbridge_search::Kind::Lab]
        )
        .hits
        .iter()
        .all(|hit| hit.kind != labbridge_search::Kind::Offer)
    );
}

async fn references_must_exist(fixture: &Fixture) {
    let path = fixture.path("partnerships.jsonl");
    write_jsonl(
        &path,
        &[
            json!({"id": "P1", "enterprise": "nobody", "partner_kind": "expert", "partner": "ghost", "kind": "技术开发合同", "valid_from": "2025-01-01", "valid_to": "2024-01-01"}),
        ],
    );
    let failure = failure(
        import(fixture, ImportKind::Partnerships, &path)
            .await
            .expect_err("unknown references"),
    );
    let fields: Vec<&str> = failure
        .problems
        .iter()
        .filter_map(|problem| problem.field.as_deref())
        .collect();
    assert_eq!(
        fields,
        ["enterprise", "partner", "valid_to"],
        "{:?}",
        failure.lines()
    );
}

async fn demo_county_is_64_of_246(fixture: &Fixture) {
    let summary = fixture
        .app
        .load_demo(2026, Progress::Hidden)
        .await
        .expect("demo");
    assert_eq!(summary.imports.len(), 7);
    let offers = summary
        .imports
        .iter()
        .find(|import| import.kind == Some(ImportKind::Offers))
        .expect("offers");
    assert_eq!(offers.created, 44, "two technology offers per topic");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
    let report = fixture.app.coverage(None, today).await.expect("coverage");
    assert_eq!((report.year, report.total, report.covered), (2026, 246, 64));
    assert!((report.rate - 64.0 / 246.0).abs() < 1e-12);
    assert_eq!(report.by_town.len(), 10, "the ten real towns of 临朐县");
    assert_eq!(report.by_town.iter().map(|row| row.total).sum::<u32>(), 246);
    assert_eq!(
        report.by_town.iter().map(|row| row.covered).sum::<u32>(),
        64
    );
    assert_eq!(
        report.by_industry.iter().map(|row| row.total).sum::<u32>(),
        246
    );
    assert_eq!(report.by_industry.len(), 4);
    let counts = fixture.app.store.counts().await.expect("counts");
    assert_eq!(
        (counts.labs, counts.experts, counts.programs),
        (300, 3000, 9)
    );
    assert!(counts.needs > 246);
    // 64 today; the demo's cooperations grew through the year (fewer covered on 1 January,
    // when today is later), and the ones at risk are gone on 31 December.
    let today = labbridge_app::today();
    let covered_on = |day: chrono::NaiveDate| {
        let app = fixture.app.clone();
        async move {
            app.coverage(Some(2026), day)
                .await
                .expect("coverage")
                .covered
        }
    };
    assert_eq!(covered_on(today).await, 64);
    let new_year = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    if today.year() == 2026 && today.month() > 1 {
        assert!(covered_on(new_year).await < 64, "the trend rises");
    }
    let at_risk = fixture.app.at_risk(today).await.expect("at risk");
    let year_end = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).expect("date");
    assert_eq!(covered_on(year_end).await, at_risk.forecast_covered);
    if today.year() == 2026 && today < year_end - chrono::Duration::days(7) {
        assert!(
            !at_risk.enterprises.is_empty(),
            "the demo has coverage at risk"
        );
        assert_eq!(
            at_risk.forecast_covered as usize,
            64 - at_risk.enterprises.len()
        );
    }
    assert!(matches!(
        fixture.app.load_demo(2026, Progress::Hidden).await,
        Err(Error::Conflict(_))
    ));
    assert!(fixture.app.has_demo_data().await.expect("demo marker"));
}

#[test]
fn demo_generation_is_deterministic() {
    let first = demo::generate(2026);
    let second = demo::generate(2026);
    for ((kind, rows), (other_kind, other_rows)) in first.kinds.iter().zip(&second.kinds) {
        assert_eq!(kind, other_kind);
        assert_eq!(rows, other_rows, "{kind} rows differ between runs");
    }
}

use sea_orm::EntityTrait;

/// Words an aluminium-processing enterprise's partner should be about (labelled by hand from
/// the chain's description: 铝型材, 高性能特种铝材, 活性氧化铝 and their processes).
const ALUMINIUM_WORDS: [&str; 14] = [
    "铝",
    "合金",
    "挤压",
    "型材",
    "熔铸",
    "阳极氧化",
    "氧化铝",
    "表面",
    "涂装",
    "压铸",
    "轻量化",
    "模具",
    "金属",
    "热处理",
];

async fn matcher_closes_the_demo_countys_gaps(fixture: &Fixture) {
    use sea_orm::{ActiveModelTrait, ActiveValue, EntityTrait, IntoActiveModel};
    let app = &fixture.app;
    app.load_demo(2026, Progress::Hidden).await.expect("demo");
    let index = app.open_index(Progress::Hidden).await.expect("index");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");

    let dry = app
        .run_matcher(
            &index,
            today,
            labbridge_app::matching::MatchOptions {
                dry_run: true,
                ..Default::default()
            },
        )
        .await
        .expect("dry run");
    assert!(!dry.proposals.is_empty());
    assert!(
        app.store.proposals().await.expect("proposals").is_empty(),
        "a dry run writes nothing"
    );

    let report = app
        .run_matcher(
            &index,
            today,
            labbridge_app::matching::MatchOptions::default(),
        )
        .await
        .expect("match");
    assert_eq!(report.enterprises_with_gaps, 246 - 64);
    // At most one partner of each institution per enterprise (the default); the demo has
    // enterprises the plain objective gives two of one university, so the setting shows.
    let doubled = |proposals: &[labbridge_app::matching::ProposalView]| {
        let mut seen = std::collections::HashSet::new();
        proposals
            .iter()
            .filter(|proposal| {
                let key = labbridge_app::search::institution_key(&proposal.institution);
                !labbridge_domain::is_unknown_institution(&key)
                    && !seen.insert((proposal.enterprise_id.clone(), key))
            })
            .count()
    };
    assert!(app.settings.one_per_institution);
    assert_eq!(doubled(&report.proposals), 0);
    let mut several = app.clone();
    several.settings.one_per_institution = false;
    let plain = several
        .run_matcher(
            &index,
            today,
            labbridge_app::matching::MatchOptions {
                dry_run: true,
                ..Default::default()
            },
        )
        .await
        .expect("several per institution");
    assert!(doubled(&plain.proposals) > 0);
    assert_eq!(plain.required_placed, report.required_placed);
    // Each enterprise at risk of losing its cooperation is offered its partner again first.
    let at_risk = app.at_risk(today).await.expect("at risk");
    let renewable: Vec<&labbridge_app::dashboard::AtRiskEnterprise> = at_risk
        .enterprises
        .iter()
        .filter(|enterprise| {
            enterprise.coverage == "cooperation" && enterprise.renew_with.is_some()
        })
        .collect();
    assert_eq!(report.renewals, renewable.len());
    for enterprise in renewable {
        let renewal = report
            .proposals
            .iter()
            .find(|proposal| proposal.enterprise_id == enterprise.id && proposal.reasons.renewal)
            .unwrap_or_else(|| panic!("a renewal for {}", enterprise.id));
        let (kind, partner) = enterprise
            .renew_with
            .as_deref()
            .and_then(|with| with.split_once(':'))
            .expect("kind:id");
        assert_eq!(
            (renewal.partner_kind.as_str(), renewal.partner_id.as_str()),
            (kind, partner)
        );
        let best = report
            .proposals
            .iter()
            .filter(|proposal| proposal.enterprise_id == enterprise.id)
            .map(|proposal| proposal.score)
            .fold(0.0, f64::max);
        assert_eq!(renewal.score, best, "the renewal comes first");
    }
    assert_eq!(
        report.required_placed, report.required_total,
        "every gap gets a partner"
    );
    let stored = app.store.proposals().await.expect("proposals");
    assert_eq!(stored.len(), report.proposals.len());

    let mut per_enterprise: std::collections::HashMap<&str, usize> = Default::default();
    let mut per_partner: std::collections::HashMap<&str, usize> = Default::default();
    for proposal in &report.proposals {
        *per_enterprise.entry(&proposal.enterprise_id).or_default() += 1;
        *per_partner.entry(&proposal.partner_id).or_default() += 1;
        assert!(proposal.score > 0.0 && proposal.score <= 1.0);
        assert!(!proposal.reasons.closes.is_empty() && !proposal.reasons.gaps.is_empty());
        assert!(
            proposal.reasons.renewal || !proposal.reasons.matched_terms.is_empty(),
            "{proposal:?}"
        );
    }
    assert_eq!(per_enterprise.len(), 246 - 64 + report.renewals);
    assert!(
        per_enterprise
            .values()
            .all(|&count| (1..=3).contains(&count))
    );
    // Capacities: the registry's, else 5 per lab and 3 per expert.
    let mut limits: std::collections::HashMap<String, usize> = Default::default();
    for lab in app.store.labs_since(None).await.expect("labs") {
        limits.insert(lab.id, lab.capacity.map_or(5, |value| value as usize));
    }
    for expert in app.store.experts_since(None).await.expect("experts") {
        limits.insert(expert.id, expert.capacity.map_or(3, |value| value as usize));
    }
    for (partner, count) in &per_partner {
        assert!(*count <= limits[*partner], "{partner}: {count}");
    }
    // The forecast: every enterprise missing A gets a partnership.
    assert_eq!(report.forecast.cooperation, report.forecast.total);
    assert!(report.forecast.covered > report.before.covered);

    // Labelled check: aluminium enterprises get aluminium people, not pharmacists.
    let aluminium: Vec<_> = report
        .proposals
        .iter()
        .filter(|proposal| proposal.industry == "铝材深加工")
        .collect();
    assert!(aluminium.len() >= 20, "{}", aluminium.len());
    let on_subject = aluminium
        .iter()
        .filter(|proposal| {
            let text = format!(
                "{} {}",
                proposal.partner,
                proposal.reasons.matched_terms.join(" ")
            );
            ALUMINIUM_WORDS.iter().any(|word| text.contains(word))
        })
        .count();
    assert!(
        on_subject * 10 >= aluminium.len() * 9,
        "{on_subject} of {}",
        aluminium.len()
    );
    assert!(
        aluminium
            .iter()
            .all(|proposal| !proposal.partner.contains('药'))
    );

    // The fair mode: as many required partners, every proposal above a floor at least as high as
    // the weakest proposal of the plain run.
    let fair = app
        .run_matcher(
            &index,
            today,
            labbridge_app::matching::MatchOptions {
                dry_run: true,
                fair: true,
                ..Default::default()
            },
        )
        .await
        .expect("fair");
    let floor = fair.floor.expect("a floor");
    assert_eq!(fair.required_placed, report.required_placed);
    assert!(
        fair.proposals
            .iter()
            .all(|proposal| proposal.score >= floor - 1e-9)
    );
    let weakest = report
        .proposals
        .iter()
        .map(|proposal| proposal.score)
        .fold(1.0, f64::min);
    assert!(floor >= weakest - 1e-9, "{floor} < {weakest}");

    // Town balance: lagging towns get the higher priorities; with every gap placeable on the
    // demo it places the same required partners.
    let balanced = app
        .run_matcher(
            &index,
            today,
            labbridge_app::matching::MatchOptions {
                dry_run: true,
                balance_towns: true,
                ..Default::default()
            },
        )
        .await
        .expect("balanced");
    assert_eq!(balanced.required_placed, report.required_placed);
    let priorities = balanced.town_priorities.expect("priorities");
    assert_eq!(priorities.len(), 10);
    for row in &report.before.by_town {
        for other in &report.before.by_town {
            let priority = |town: &Option<String>| {
                priorities
                    .iter()
                    .find(|(name, _)| Some(name) == town.as_ref())
                    .map(|(_, priority)| *priority)
            };
            if row.rate < other.rate {
                assert!(priority(&row.town) >= priority(&other.town));
            }
        }
    }

    // A pair declined as 方向不符 is never proposed again; a re-run supersedes what is still
    // `proposed` (kept, with an event) and adds the new proposals.
    let declined = stored[0].clone();
    let before_rerun = labbridge_store::entity::proposal::Entity::find()
        .all(app.store.connection())
        .await
        .expect("rows")
        .len();
    let mut active = declined.clone().into_active_model();
    active.status = ActiveValue::Set("declined_by_partner".to_owned());
    active.decline_reason = ActiveValue::Set(Some("direction_mismatch".to_owned()));
    active
        .update(app.store.connection())
        .await
        .expect("decline");
    let again = app
        .run_matcher(
            &index,
            today,
            labbridge_app::matching::MatchOptions::default(),
        )
        .await
        .expect("re-run");
    assert!(!again.proposals.iter().any(|proposal| {
        proposal.enterprise_id == declined.enterprise_id
            && proposal.partner_id == declined.partner_id
    }));
    let rows = labbridge_store::entity::proposal::Entity::find()
        .all(app.store.connection())
        .await
        .expect("rows");
    assert_eq!(rows.len(), before_rerun + again.proposals.len());
    assert_eq!(
        rows.iter().filter(|row| row.status == "proposed").count(),
        again.proposals.len()
    );
    assert_eq!(
        rows.iter().filter(|row| row.status == "superseded").count(),
        before_rerun - 1
    );
    assert_eq!(
        rows.iter()
            .filter(|row| row.status == "declined_by_partner")
            .count(),
        1
    );

    // A conflict of interest: once the expert turns out to work for the enterprise (same mail
    // domain), the pair is left out of the next run and counted.
    let pair = again
        .proposals
        .iter()
        .find(|proposal| proposal.partner_kind == "expert")
        .expect("an expert proposal")
        .clone();
    let enterprise = app
        .store
        .enterprise(&pair.enterprise_id)
        .await
        .expect("enterprise")
        .expect("exists");
    let mut active = enterprise.into_active_model();
    active.contact_email = ActiveValue::Set(Some("rd@firm-under-test.cn".to_owned()));
    active.update(app.store.connection()).await.expect("update");
    let expert = app
        .store
        .expert(&pair.partner_id)
        .await
        .expect("expert")
        .expect("exists");
    let mut active = expert.into_active_model();
    active.email = ActiveValue::Set(Some("chief.engineer@firm-under-test.cn".to_owned()));
    active.update(app.store.connection()).await.expect("update");
    let after = app
        .run_matcher(
            &index,
            today,
            labbridge_app::matching::MatchOptions {
                dry_run: true,
                ..Default::default()
            },
        )
        .await
        .expect("after conflict");
    assert!(after.conflicts >= 1);
    assert!(!after.proposals.iter().any(|proposal| {
        proposal.enterprise_id == pair.enterprise_id && proposal.partner_id == pair.partner_id
    }));
    assert_eq!(after.required_placed, after.required_total);
}

/// An enterprise that says nothing (no open need, no products, chain 其他) is matched through
/// the disciplines that serve its industry, and its proposals name the bridge; without an
/// industry code the same enterprise finds nothing to be matched with.
async fn a_short_need_is_widened_through_the_industry_bridge(fixture: &Fixture) {
    use labbridge_store::entity::{enterprise, need};
    use sea_orm::{ActiveModelTrait, ActiveValue, ColumnTrait, EntityTrait, QueryFilter};
    let app = &fixture.app;
    app.load_demo(2026, Progress::Hidden).await.expect("demo");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
    let enterprises = enterprise::Entity::find()
        .all(app.store.connection())
        .await
        .expect("enterprises");
    assert!(
        enterprises.iter().all(|enterprise| enterprise
            .industry_code
            .as_deref()
            .is_some_and(|code| { labbridge_domain::classification::industry(code).is_ok() })),
        "the demo gives every enterprise a valid industry code"
    );
    let dry = labbridge_app::matching::MatchOptions {
        dry_run: true,
        ..Default::default()
    };
    let index = app.open_index(Progress::Hidden).await.expect("index");
    let before = app.run_matcher(&index, today, dry).await.expect("match");
    let chosen = enterprises
        .iter()
        .find(|enterprise| {
            enterprise.industry_code.as_deref() == Some("C3252")
                && before.proposals.iter().any(|proposal| {
                    proposal.enterprise_id == enterprise.id && !proposal.reasons.renewal
                })
        })
        .expect("an aluminium roller with a gap");
    need::Entity::update_many()
        .col_expr(
            need::Column::Status,
            sea_orm::sea_query::Expr::value("closed"),
        )
        .filter(need::Column::EnterpriseId.eq(chosen.id.clone()))
        .exec(app.store.connection())
        .await
        .expect("close needs");
    let mut silent: enterprise::ActiveModel = chosen.clone().into();
    silent.products = ActiveValue::Set("[]".to_owned());
    silent.industry = ActiveValue::Set("other".to_owned());
    silent
        .update(app.store.connection())
        .await
        .expect("no products");
    let proposals_of = |report: &labbridge_app::matching::MatchReport| {
        report
            .proposals
            .iter()
            .filter(|proposal| proposal.enterprise_id == chosen.id)
            .cloned()
            .collect::<Vec<_>>()
    };
    let widened = proposals_of(&app.run_matcher(&index, today, dry).await.expect("match"));
    assert!(
        !widened.is_empty(),
        "the bridge finds partners for a silent enterprise"
    );
    let bridges: Vec<&str> = widened
        .iter()
        .filter_map(|proposal| proposal.reasons.bridge.as_deref())
        .collect();
    assert!(!bridges.is_empty(), "{widened:?}");
    assert!(
        bridges
            .iter()
            .all(|reason| reason.starts_with("行业 C3252 铝压延加工 ↔ 学科 ")),
        "{bridges:?}"
    );

    let mut unknown: enterprise::ActiveModel = chosen.clone().into();
    unknown.products = ActiveValue::Set("[]".to_owned());
    unknown.industry = ActiveValue::Set("other".to_owned());
    unknown.industry_code = ActiveValue::Set(None);
    unknown
        .update(app.store.connection())
        .await
        .expect("no code");
    let plain = proposals_of(&app.run_matcher(&index, today, dry).await.expect("match"));
    assert!(plain.is_empty(), "{plain:?}");
}

fn staff_account(password: &str) -> NewAccount<'_> {
    NewAccount {
        login: "wang.li",
        display_name: "王丽",
        role: "staff",
        email: Some("wangli@example.gov.cn"),
        password,
        enterprise_id: None,
    }
}

async fn sign_in_checks_the_password_and_sessions_end(fixture: &Fixture) {
    let app = &fixture.app;
    let account = app
        .add_account(&staff_account("科技局-Lab2026!"))
        .await
        .expect("add");
    assert!(account.is_staff());
    assert_eq!(account.display_name, "王丽");
    for (login, password) in [("wang.li", "wrong-password"), ("nobody", "科技局-Lab2026!")] {
        assert!(
            app.sign_in(login, password).await.expect("query").is_none(),
            "{login}/{password} must not sign in"
        );
    }
    let (token, signed) = app
        .sign_in(" wang.li ", "科技局-Lab2026!")
        .await
        .expect("query")
        .expect("signed in");
    assert_eq!(signed, account);
    assert_eq!(token.len(), 64);
    let session = app.session(&token).await.expect("session").expect("live");
    assert_eq!(session.account, account);
    assert!(!session.api_token);
    assert_eq!(app.session("forged").await.expect("session"), None);
    app.sign_out(&token).await.expect("sign out");
    assert_eq!(app.session(&token).await.expect("session"), None);
}

async fn re_adding_resets_the_password_and_bad_accounts_are_refused(fixture: &Fixture) {
    let app = &fixture.app;
    app.add_account(&staff_account("First-password1"))
        .await
        .expect("add");
    let (old_session, _) = app
        .sign_in("wang.li", "First-password1")
        .await
        .expect("q")
        .expect("signed in");
    app.add_account(&staff_account("Second-password2"))
        .await
        .expect("reset");
    assert!(
        app.sign_in("wang.li", "First-password1")
            .await
            .expect("q")
            .is_none()
    );
    assert_eq!(
        app.session(&old_session).await.expect("q"),
        None,
        "a password reset ends the account's sessions"
    );
    assert!(
        app.sign_in("wang.li", "Second-password2")
            .await
            .expect("q")
            .is_some()
    );
    for bad in [
        NewAccount {
            password: "short",
            ..staff_account("x")
        },
        NewAccount {
            login: "has space",
            ..staff_account("long-enough")
        },
        NewAccount {
            role: "boss",
            ..staff_account("Long-enough1")
        },
        // Long, but of one kind of character only (等保: three kinds of four).
        NewAccount {
            password: "onlylowercaseletters",
            ..staff_account("x")
        },
        NewAccount {
            role: "enterprise",
            ..staff_account("Long-enough1")
        },
        NewAccount {
            role: "enterprise",
            enterprise_id: Some("no-such-enterprise"),
            ..staff_account("Long-enough1")
        },
        NewAccount {
            enterprise_id: Some("demo-ent-001"),
            ..staff_account("Long-enough1")
        },
    ] {
        let error = app.add_account(&bad).await.expect_err("refused");
        assert_eq!(error.kind(), labbridge_app::ErrorKind::Invalid, "{error}");
    }
}

/// The answer link in a queued mail's text.
fn link_in(text: &str) -> String {
    let start = text.find("/answer/").expect("an answer link") + "/answer/".len();
    text[start..start + 64].to_owned()
}

async fn outbox_rows(app: &App) -> Vec<labbridge_store::entity::outbox::Model> {
    use sea_orm::{EntityTrait, QueryOrder};
    labbridge_store::entity::outbox::Entity::find()
        .order_by_asc(labbridge_store::entity::outbox::Column::Id)
        .all(app.store.connection())
        .await
        .expect("outbox")
}

async fn proposal_loop_moves_coverage(fixture: &Fixture) {
    use labbridge_app::proposals::{Actor, AnswerForm, Evidence, LinkState};
    let app = &fixture.app;
    app.load_demo(2026, Progress::Hidden).await.expect("demo");
    let index = app.open_index(Progress::Hidden).await.expect("index");
    let today = labbridge_app::today();
    app.run_matcher(&index, today, Default::default())
        .await
        .expect("match");
    let before = app.coverage(None, today).await.expect("coverage");
    let proposals = app.proposals(Some("proposed")).await.expect("proposals");
    // An enterprise that only lacks A: one accepted partnership covers it.
    let chosen = proposals
        .iter()
        .find(|row| row.gap == "A")
        .expect("a proposal for gap A")
        .clone();
    let other = proposals
        .iter()
        .find(|row| row.id != chosen.id && row.enterprise_id != chosen.enterprise_id)
        .expect("another")
        .clone();
    let staff = Actor::staff("wang.li");

    // Approving queues one mail per proposal, with a link; a second approval skips.
    let outcome = app
        .approve(&[chosen.id, other.id], &staff)
        .await
        .expect("approve");
    assert_eq!(outcome.done.len(), 2, "{outcome:?}");
    let again = app.approve(&[chosen.id], &staff).await.expect("again");
    assert!(again.done.is_empty() && again.skipped.len() == 1);
    let mail = outbox_rows(app).await;
    assert_eq!(mail.len(), 2);
    let partner_mail = mail
        .iter()
        .find(|row| row.proposal_id == Some(chosen.id))
        .expect("partner mail");
    assert_eq!(partner_mail.kind, "partner_proposal");
    assert!(
        partner_mail.subject.contains(&chosen.enterprise),
        "{}",
        partner_mail.subject
    );
    let token = link_in(&partner_mail.body);

    // GET changes nothing.
    let view = app.answer_view(&token).await.expect("view");
    assert_eq!(view.state, LinkState::Open);
    assert_eq!(view.facts.enterprise, chosen.enterprise);
    let detail = app.proposal_detail(chosen.id).await.expect("detail");
    assert_eq!(detail.proposal.status, "approved");

    // A decline without a reason is refused before anything changes.
    let no_reason = AnswerForm {
        decision: "decline".into(),
        reason: String::new(),
        note: String::new(),
    };
    assert!(no_reason.validate().is_err());

    let accept = AnswerForm {
        decision: "accept".into(),
        reason: String::new(),
        note: "乐意合作".into(),
    }
    .validate()
    .expect("valid");
    let after = app.answer(&token, &accept).await.expect("answer");
    assert_eq!(after.state, LinkState::Used);
    assert_eq!(after.status.code(), "accepted_by_partner");
    // A second POST changes nothing.
    let decline = AnswerForm {
        decision: "decline".into(),
        reason: "方向不符".into(),
        note: String::new(),
    }
    .validate()
    .expect("valid");
    let second = app.answer(&token, &decline).await.expect("second");
    assert_eq!(second.state, LinkState::Used);
    assert_eq!(second.status.code(), "accepted_by_partner");

    // The enterprise is asked, without the partner's address (PIPL art. 23).
    let mail = outbox_rows(app).await;
    let ask = mail
        .iter()
        .find(|row| row.kind == "enterprise_ask")
        .expect("the enterprise is asked");
    let partner_email = app
        .store
        .expert(&chosen.partner_id)
        .await
        .expect("expert")
        .and_then(|expert| expert.email)
        .or(app
            .store
            .lab(&chosen.partner_id)
            .await
            .expect("lab")
            .and_then(|lab| lab.email))
        .expect("partner address");
    assert!(!ask.body.contains(&partner_email), "{}", ask.body);
    let enterprise_token = link_in(&ask.body);
    app.answer(&enterprise_token, &accept)
        .await
        .expect("enterprise accepts");
    let contacts: Vec<_> = outbox_rows(app)
        .await
        .into_iter()
        .filter(|row| row.kind == "contacts")
        .collect();
    assert_eq!(contacts.len(), 2, "each side gets the other's contact");
    assert!(contacts.iter().any(|row| row.body.contains(&partner_email)));

    // Evidence: refused when invalid, then the partnership counts at once.
    let mut evidence = Evidence {
        kind: "技术开发合同".into(),
        contract_number: Some("LQ-2026-001".into()),
        registration_number: Some("2026370724000123".into()),
        valid_from: "2026-13-01".into(),
        valid_to: None,
        centre_level: None,
        centre_number: None,
        centre_recognized_on: None,
        centre_review_due: None,
        rd_staff: None,
    };
    assert!(
        app.record_evidence(chosen.id, &evidence, &staff)
            .await
            .is_err()
    );
    evidence.valid_from = today.to_string();
    let active = app
        .record_evidence(chosen.id, &evidence, &staff)
        .await
        .expect("evidence");
    assert_eq!(active.status, "active");
    let after = app.coverage(None, today).await.expect("coverage");
    assert_eq!(after.covered, before.covered + 1);
    assert_eq!(after.cooperation, before.cooperation + 1);

    // The timeline holds every step, each with its actor.
    let detail = app.proposal_detail(chosen.id).await.expect("detail");
    let steps: Vec<&str> = detail
        .events
        .iter()
        .map(|event| event.to.as_str())
        .collect();
    assert_eq!(
        steps,
        [
            "proposed",
            "approved",
            "accepted_by_partner",
            "accepted",
            "active"
        ]
    );
    assert_eq!(detail.events[1].actor, "wang.li");
    assert_eq!(detail.events[2].actor_kind, "partner_link");

    // A decline with 方向不符 keeps the pair out of the next run.
    let other_token = link_in(
        &outbox_rows(app)
            .await
            .iter()
            .find(|row| row.proposal_id == Some(other.id))
            .expect("mail")
            .body,
    );
    app.answer(&other_token, &decline).await.expect("decline");
    let next = app
        .run_matcher(&index, today, Default::default())
        .await
        .expect("re-run");
    assert!(
        !next
            .proposals
            .iter()
            .any(|proposal| proposal.enterprise_id == other.enterprise_id
                && proposal.partner_id == other.partner_id)
    );
    assert!(
        !next
            .proposals
            .iter()
            .any(|proposal| proposal.enterprise_id == chosen.enterprise_id),
        "a covered enterprise needs no partner"
    );
}

/// Replays random staff, partner and enterprise actions on one proposal and checks that only
/// the table's transitions happen and that each leaves exactly one event.
async fn random_actions_follow_the_table(fixture: &Fixture) {
    use labbridge_app::proposals::{Actor, AnswerForm, Evidence};
    use labbridge_domain::proposal::{ALLOWED, ProposalAction, ProposalStatus};
    use rand::{Rng, SeedableRng};
    let app = &fixture.app;
    app.load_demo(2026, Progress::Hidden).await.expect("demo");
    let index = app.open_index(Progress::Hidden).await.expect("index");
    let today = labbridge_app::today();
    app.run_matcher(&index, today, Default::default())
        .await
        .expect("match");
    let ids: Vec<i64> = app
        .proposals(Some("proposed"))
        .await
        .expect("proposals")
        .iter()
        .map(|row| row.id)
        .take(24)
        .collect();
    let staff = Actor::staff("prop-test");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    for id in ids {
        let mut succeeded = 0usize;
        for _ in 0..8 {
            let before = app
                .proposal_detail(id)
                .await
                .expect("detail")
                .proposal
                .status;
            let latest_link = || async {
                let mail = outbox_rows(app).await;
                mail.iter()
                    .rev()
                    .find(|row| row.proposal_id == Some(id) && row.body.contains("/answer/"))
                    .map(|row| link_in(&row.body))
            };
            let decision = if rng.random_bool(0.5) {
                "accept"
            } else {
                "decline"
            };
            let answer = AnswerForm {
                decision: decision.into(),
                reason: "条件不成熟".into(),
                note: String::new(),
            }
            .validate()
            .expect("valid");
            let moved: bool = match rng.random_range(0..8) {
                0 => app
                    .approve(&[id], &staff)
                    .await
                    .is_ok_and(|outcome| !outcome.done.is_empty()),
                1 => app
                    .staff_action(id, ProposalAction::Reject, Some("不合适"), &staff)
                    .await
                    .is_ok(),
                2 => app
                    .staff_action(id, ProposalAction::Withdraw, None, &staff)
                    .await
                    .is_ok(),
                3 => app
                    .staff_action(id, ProposalAction::Unexclude, None, &staff)
                    .await
                    .is_ok(),
                4 | 5 => match latest_link().await {
                    Some(token) => {
                        let view = app.answer(&token, &answer).await.expect("answer");
                        view.status.code() != before
                    }
                    None => false,
                },
                6 => app
                    .record_enterprise_answer(id, &answer, &staff)
                    .await
                    .is_ok(),
                _ => app
                    .record_evidence(
                        id,
                        &Evidence {
                            kind: "科技特派员".into(),
                            contract_number: None,
                            registration_number: None,
                            valid_from: today.to_string(),
                            valid_to: None,
                            centre_level: None,
                            centre_number: None,
                            centre_recognized_on: None,
                            centre_review_due: None,
                            rd_staff: None,
                        },
                        &staff,
                    )
                    .await
                    .is_ok(),
            };
            let after = app
                .proposal_detail(id)
                .await
                .expect("detail")
                .proposal
                .status;
            if moved {
                succeeded += 1;
            } else {
                assert_eq!(before, after, "a refused action changes nothing");
            }
        }
        let detail = app.proposal_detail(id).await.expect("detail");
        assert_eq!(
            detail.events.len(),
            succeeded + 1,
            "one event per transition, plus creation"
        );
        assert_eq!(detail.events[0].from, None);
        for event in &detail.events[1..] {
            let from = ProposalStatus::parse(event.from.as_deref().expect("from")).expect("status");
            let to = ProposalStatus::parse(&event.to).expect("status");
            let action = ProposalAction::parse(&event.action).expect("action");
            assert!(
                ALLOWED.contains(&(from, action, to)),
                "{from} × {action} → {to}"
            );
        }
        for pair in detail.events.windows(2) {
            assert_eq!(
                pair[0].to.as_str(),
                pair[1].from.as_deref().unwrap_or_default()
            );
        }
        assert_eq!(
            detail.events.last().expect("event").to,
            detail.proposal.status
        );
    }
}

async fn silence_brings_reminders_then_staff_then_expiry(fixture: &Fixture) {
    use labbridge_app::proposals::Actor;
    let app = &fixture.app;
    app.load_demo(2026, Progress::Hidden).await.expect("demo");
    let index = app.open_index(Progress::Hidden).await.expect("index");
    app.run_matcher(&index, labbridge_app::today(), Default::default())
        .await
        .expect("match");
    let proposal = app.proposals(Some("proposed")).await.expect("list")[0].clone();
    // The enterprise's responsible staff member has an account with an address.
    let owner = app
        .store
        .enterprise(&proposal.enterprise_id)
        .await
        .expect("enterprise")
        .and_then(|enterprise| enterprise.owner)
        .expect("an owner");
    app.add_account(&NewAccount {
        login: &owner,
        display_name: "王丽",
        role: "staff",
        email: Some("wang.li@kjj.example.cn"),
        password: "a Long password",
        enterprise_id: None,
    })
    .await
    .expect("account");
    app.approve(&[proposal.id], &Actor::staff("wang.li"))
        .await
        .expect("approve");
    // The outbox worker delivers it (lettre's stub transport): approved → sent.
    let from = "kjj@linqu.example.cn".parse().expect("mailbox");
    let worker = labbridge_notify::Worker::new(
        app.store.clone(),
        labbridge_notify::Mailer::stub_accepting(),
        labbridge_notify::WorkerSettings::new(from),
    );
    let step = worker.dispatch_one(0, false).await.expect("step");
    assert!(
        matches!(step, labbridge_notify::Outcome::Sent(_)),
        "{step:?}"
    );
    let step = worker.dispatch_one(0, false).await.expect("step");
    assert_eq!(step, labbridge_notify::Outcome::Empty);
    assert_eq!(
        app.proposal_detail(proposal.id)
            .await
            .expect("detail")
            .proposal
            .status,
        "sent"
    );
    let kinds = |rows: Vec<labbridge_store::entity::outbox::Model>| -> Vec<String> {
        rows.into_iter().map(|row| row.kind).collect()
    };

    // Day 3: nothing. Day 8: a reminder, with a new link. Day 16: the second. Day 24: staff.
    let now = chrono::Utc::now();
    let day = |days: i64| now + chrono::Duration::days(days);
    let first = app.tick(day(3)).await.expect("tick");
    assert_eq!(
        (first.reminders, first.digests),
        (0, 1),
        "the weekly digest to staff"
    );
    let digest = outbox_rows(app)
        .await
        .into_iter()
        .find(|row| row.kind == "digest")
        .expect("digest");
    assert_eq!(digest.recipient, "wang.li@kjj.example.cn");
    let then = app
        .coverage(None, labbridge_app::proposals::china_day(day(3)))
        .await
        .expect("coverage");
    let figure = format!("{}/{}", then.covered, then.total);
    assert!(
        digest.subject.contains("周报") && digest.subject.contains(&figure),
        "{}",
        digest.subject
    );
    assert!(digest.body.contains("待审核的建议"), "{}", digest.body);
    assert_eq!(
        app.tick(day(4)).await.expect("tick").digests,
        0,
        "once a week"
    );
    assert_eq!(app.tick(day(8)).await.expect("tick").reminders, 1);
    assert_eq!(
        app.tick(day(9)).await.expect("tick").reminders,
        0,
        "one reminder per period"
    );
    assert_eq!(app.tick(day(16)).await.expect("tick").reminders, 1);
    let third = app.tick(day(24)).await.expect("tick");
    assert_eq!((third.reminders, third.escalations), (0, 1), "{third:?}");
    assert_eq!(
        app.tick(day(27)).await.expect("tick").escalations,
        0,
        "escalated once"
    );
    let sent_kinds = kinds(outbox_rows(app).await);
    assert_eq!(
        sent_kinds
            .iter()
            .filter(|kind| *kind == "partner_reminder")
            .count(),
        2
    );
    assert_eq!(
        sent_kinds
            .iter()
            .filter(|kind| *kind == "escalation")
            .count(),
        1
    );
    let escalation = outbox_rows(app)
        .await
        .into_iter()
        .find(|row| row.kind == "escalation")
        .expect("escalation");
    assert_eq!(
        escalation.recipient, "wang.li@kjj.example.cn",
        "to the responsible staff member"
    );
    let reminder = outbox_rows(app)
        .await
        .into_iter()
        .find(|row| row.kind == "partner_reminder")
        .expect("reminder");
    assert!(
        reminder.subject.starts_with("【提醒】"),
        "{}",
        reminder.subject
    );
    assert!(
        app.silent(day(8))
            .await
            .expect("silent")
            .iter()
            .any(|row| row.id == proposal.id)
    );

    // Past the answer period it expires, with an event by the clock.
    let expired = app.tick(day(31)).await.expect("tick");
    assert_eq!(expired.expired, 1);
    let detail = app.proposal_detail(proposal.id).await.expect("detail");
    assert_eq!(detail.proposal.status, "expired");
    let last = detail.events.last().expect("event");
    assert_eq!(
        (last.actor_kind.as_str(), last.actor.as_str()),
        ("system", "clock")
    );

    // A refused mail is dead with the reason, and staff may queue it again.
    let ids = app
        .queue_test_mail("nobody@bureau.example.cn", 1)
        .await
        .expect("queue");
    let refusing = labbridge_notify::Worker::new(
        app.store.clone(),
        labbridge_notify::Mailer::stub_refusing(),
        labbridge_notify::WorkerSettings::new("kjj@linqu.example.cn".parse().expect("mailbox")),
    );
    assert_eq!(refusing.pass(false).await.expect("pass").dead, 1);
    let dead = app.mail(Some("dead"), 10).await.expect("dead");
    assert_eq!(dead[0].id, ids[0]);
    assert!(dead[0].last_error.is_some());
    assert_eq!(
        app.retry_mail(ids[0]).await.expect("retry").status,
        "pending"
    );
    assert!(
        app.retry_mail(ids[0]).await.is_err(),
        "only dead mail is retried"
    );
}

/// Attempts made at once take their places in the registry's count before their passwords are
/// checked: however many run in parallel, no more than the limit are checked, the right
/// password after them is refused from that address, and the same login from another address
/// (the clerk at the bureau) still signs in.
async fn parallel_sign_ins_cannot_pass_the_lock_out(fixture: &Fixture) {
    use labbridge_app::accounts::{SIGN_IN_LIMIT, SignIn};
    let app = &fixture.app;
    app.add_account(&staff_account("Parallel-9"))
        .await
        .expect("add");
    let mut checked = 0;
    let mut locked = 0;
    for round in 0..4 {
        let attempts = (0..60).map(|attempt| {
            let app = app.clone();
            // The right password is the last of each round.
            let password = if attempt == 59 { "Parallel-9" } else { "wrong" };
            tokio::spawn(async move { app.sign_in_from("Wang.Li", password, "203.0.113.9").await })
        });
        for outcome in futures_join(attempts).await {
            match outcome {
                Ok(SignIn::Wrong) => checked += 1,
                Ok(SignIn::Ok { .. }) => checked += 1,
                Ok(SignIn::Locked) => locked += 1,
                Err(Error::Busy(_)) => {}
                Err(error) => panic!("round {round}: {error}"),
            }
        }
    }
    assert!(
        checked <= SIGN_IN_LIMIT as usize,
        "{checked} attempts checked, the limit is {SIGN_IN_LIMIT}"
    );
    assert!(locked > 0, "the rest were refused as locked");
    assert!(matches!(
        app.sign_in_from("wang.li", "Parallel-9", "203.0.113.9")
            .await
            .expect("q"),
        SignIn::Locked
    ));
    assert!(matches!(
        app.sign_in_from("wang.li", "Parallel-9", "198.51.100.7")
            .await
            .expect("q"),
        SignIn::Ok { .. }
    ));
}

async fn futures_join<T: Send + 'static>(
    tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let tasks: Vec<_> = tasks.collect();
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    results
}

async fn sessions_end_when_idle_disabled_or_ended(fixture: &Fixture) {
    use chrono::{Duration, Utc};
    let app = &fixture.app;
    app.add_account(&staff_account("Idle-check-1"))
        .await
        .expect("add");
    let (token, _) = app
        .sign_in("wang.li", "Idle-check-1")
        .await
        .expect("q")
        .expect("signed in");
    let now = Utc::now();
    let idle = i64::from(app.settings.idle_minutes);
    // Used within the idle time, the session lives on, and each use moves the limit.
    let later = now + Duration::minutes(idle - 1);
    assert!(app.session_at(&token, later).await.expect("q").is_some());
    let later_still = later + Duration::minutes(idle - 1);
    assert!(
        app.session_at(&token, later_still)
            .await
            .expect("q")
            .is_some(),
        "a use moves the idle limit"
    );
    // Left alone past the idle time, it ends, and stays ended.
    let idle_end = later_still + Duration::minutes(idle + 1);
    assert!(app.session_at(&token, idle_end).await.expect("q").is_none());
    assert!(
        app.session_at(&token, later_still)
            .await
            .expect("q")
            .is_none()
    );
    // Never past the absolute limit, however busy.
    let (busy, _) = app
        .sign_in("wang.li", "Idle-check-1")
        .await
        .expect("q")
        .expect("signed in");
    let mut at = Utc::now();
    for _ in 0..(12 * 60 / (idle - 1) + 1) {
        at += Duration::minutes(idle - 1);
        if app.session_at(&busy, at).await.expect("q").is_none() {
            break;
        }
    }
    assert!(at - Utc::now() <= Duration::hours(12) + Duration::minutes(idle));
    assert!(app.session_at(&busy, at).await.expect("q").is_none());
    // A personal API token has no idle limit; ending the sessions ends it too.
    let api = app.issue_api_token("wang.li").await.expect("token");
    let session = app
        .session_at(&api, Utc::now() + Duration::days(3))
        .await
        .expect("q")
        .expect("an API token outlives the idle time");
    assert!(session.api_token);
    assert!(app.end_sessions("wang.li").await.expect("end") >= 1);
    assert!(app.session(&api).await.expect("q").is_none());
    // A disabled account cannot sign in, and its sessions end at once.
    let (web, _) = app
        .sign_in("wang.li", "Idle-check-1")
        .await
        .expect("q")
        .expect("signed in");
    app.set_account_disabled("wang.li", true)
        .await
        .expect("disable");
    assert!(app.session(&web).await.expect("q").is_none());
    assert!(
        app.sign_in("wang.li", "Idle-check-1")
            .await
            .expect("q")
            .is_none()
    );
    app.set_account_disabled("wang.li", false)
        .await
        .expect("enable");
    assert!(
        app.sign_in("wang.li", "Idle-check-1")
            .await
            .expect("q")
            .is_some()
    );
    // Every account change is in the audit log.
    let (lines, _) = app.audit_lines(1, None, 0, 100).await.expect("audit");
    let actions: Vec<&str> = lines.iter().map(|line| line.action.as_str()).collect();
    for action in ["account_added", "account_disabled", "account_enabled"] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
    // Lines older than the retention go; newer ones stay.
    let kept = app.purge_audit(Utc::now()).await.expect("purge");
    assert_eq!(kept, 0, "nothing is older than 180 days yet");
    let purged = app
        .purge_audit(Utc::now() + Duration::days(181))
        .await
        .expect("purge");
    assert_eq!(purged as usize, lines.len());
}

async fn demo_people_and_portal_needs(fixture: &Fixture) {
    use labbridge_app::accounts::Role;
    use labbridge_app::portal::NeedInput;
    let app = &fixture.app;
    app.load_demo(2026, Progress::Hidden).await.expect("demo");
    let accounts = app.accounts().await.expect("accounts");
    let enterprises = accounts
        .iter()
        .filter(|account| account.role == Role::Enterprise)
        .count();
    assert_eq!(enterprises, 246, "one enterprise user per demo enterprise");
    for (login, role) in [
        (demo::DEMO_STAFF_LOGIN, Role::Staff),
        (demo::DEMO_ADMIN_LOGIN, Role::Admin),
        (demo::DEMO_AUDITOR_LOGIN, Role::Auditor),
        ("demo-ent-001", Role::Enterprise),
    ] {
        let (_, account) = app
            .sign_in(login, demo::DEMO_STAFF_PASSWORD)
            .await
            .expect("q")
            .unwrap_or_else(|| panic!("{login} signs in"));
        assert_eq!(account.role, role);
        if role == Role::Enterprise {
            assert_eq!(account.enterprise_id.as_deref(), Some(login));
        }
    }
    // A need posted in the portal is stored like an imported one.
    let input = NeedInput {
        title: "铝型材时效强度提升".to_owned(),
        description: labbridge_app::portal::EXAMPLE_NEED.to_owned(),
        fields: vec!["铝合金、热处理".to_owned()],
        kind: Some("research".to_owned()),
        confidential: true,
        status: None,
    };
    let saved = app
        .save_need("demo-ent-001", None, &input, "demo-ent-001")
        .await
        .expect("q")
        .expect("valid");
    assert_eq!(saved.enterprise_id, "demo-ent-001");
    assert!(saved.confidential);
    assert_eq!(saved.status, "open");
    assert_eq!(
        labbridge_app::search::list_field(&saved.fields),
        ["铝合金", "热处理"]
    );
    // Editing keeps the id; a bad kind is named and nothing changes.
    let edited = NeedInput {
        title: "铝型材时效强度提升（二期）".to_owned(),
        status: Some("in_progress".to_owned()),
        ..input.clone()
    };
    let again = app
        .save_need("demo-ent-001", Some(&saved.id), &edited, "demo-ent-001")
        .await
        .expect("q")
        .expect("valid");
    assert_eq!(again.id, saved.id);
    assert_eq!(again.status, "in_progress");
    let bad = NeedInput {
        kind: Some("whatever".to_owned()),
        ..edited.clone()
    };
    let problems = app
        .save_need("demo-ent-001", Some(&saved.id), &bad, "demo-ent-001")
        .await
        .expect("q")
        .expect_err("a bad kind");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].field, "kind");
    assert!(!problems[0].reason.is_empty());
    let unchanged = app.need(&saved.id).await.expect("q").expect("need");
    assert_eq!(unchanged.kind.as_deref(), Some("research"));
    // Another enterprise cannot edit it.
    let error = app
        .save_need("demo-ent-002", Some(&saved.id), &edited, "demo-ent-002")
        .await
        .expect_err("not its need");
    assert_eq!(error.kind(), labbridge_app::ErrorKind::NotFound);
    // The vocabulary for suggestions comes from the partners' fields.
    let words = app.field_vocabulary(50).await.expect("vocabulary");
    assert!(!words.is_empty() && words.len() <= 50);
}

/// The embedded default under concurrent writes: 8 writers × 50 exclusions (each a
/// transaction that reads, then writes) while an import of 3,000 experts holds the write lock
/// in its own transaction. On SQLite a transaction that began as a reader used to fail at
/// once with "database is locked" (517) when another writer got in first; every write
/// transaction now begins as a writer and waits its turn, so none fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sqlite_writes_never_fail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("registry.db").display()
    );
    let fixture = open(url, None).await;
    let app = fixture.app.clone();
    let year = chrono::Utc::now().year();
    app.load_demo(year, Progress::Hidden).await.expect("demo");
    let enterprises: Vec<String> = app
        .store
        .enterprise_names()
        .await
        .expect("names")
        .into_keys()
        .collect();
    let experts = demo::synthetic_experts(3000, 11);
    let path = fixture.path("experts.jsonl");
    write_jsonl(&path, &experts);
    let importer = {
        let app = app.clone();
        let path = path.clone();
        tokio::spawn(async move {
            app.import_file(ImportKind::Experts, &path, Progress::Hidden)
                .await
        })
    };
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let app = app.clone();
            let enterprises = enterprises.clone();
            tokio::spawn(async move {
                let mut failures = Vec::new();
                for write in 0..50 {
                    let exclusion = labbridge_app::matching::Exclusion {
                        enterprise_id: enterprises[(writer * 50 + write) % enterprises.len()]
                            .clone(),
                        partner_kind: "expert".to_owned(),
                        partner_id: format!("demo-expert-{:04}", writer * 50 + write + 1),
                        reason: Some(format!("并发写入测试 {writer}-{write}")),
                    };
                    if let Err(error) = app
                        .exclude(&exclusion, &labbridge_app::proposals::Actor::staff("test"))
                        .await
                    {
                        failures.push(error.to_string());
                    }
                }
                failures
            })
        })
        .collect();
    let mut failures = Vec::new();
    for writer in writers {
        failures.extend(writer.await.expect("writer"));
    }
    let imported = importer
        .await
        .expect("importer")
        .expect("the import succeeds");
    assert_eq!(imported.created, 3000);
    assert!(
        failures.is_empty(),
        "{} writes failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    let excluded = app.proposals(Some("excluded")).await.expect("proposals");
    assert_eq!(excluded.len(), 400, "every exclusion landed");
    fixture.finish().await;
}

/// The database's grouped count (`coverage_tallies`, what `/coverage` shows) and the rule in
/// Rust applied enterprise by enterprise (what the lists and reasons use) give the same report
/// on random rosters whose terms start and end around the reference day (the boundaries are
/// where `<=` and `<` differ).
async fn the_database_counts_coverage_as_the_rule_does(fixture: &Fixture) {
    use labbridge_store::entity::{enterprise, partnership, rd_institution};
    use labbridge_store::{EnterpriseRecord, Store};

    // xorshift: the same rosters on every run and backend.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    let store = &fixture.app.store;
    let towns = [
        ("370724001", "城关街道"),
        ("370724101", "五井镇"),
        ("370724102", "冶源镇"),
    ];
    let industries = ["aluminium", "auto_parts", "machinery", "not-a-chain"];
    for round in 0..6 {
        let year = 2020 + round;
        let reference =
            chrono::NaiveDate::from_ymd_opt(year, 1 + next(12) as u32, 1 + next(28) as u32)
                .expect("day");
        let near = |offset: u64| reference + chrono::Duration::days(offset as i64 - 3);
        let mut records = Vec::new();
        let mut partnerships = Vec::new();
        for n in 0..80 {
            let id = format!("r{round}-e{n}");
            let (town_code, town) = towns[next(3) as usize];
            let institutions = (0..next(3))
                .map(|_| rd_institution::Model {
                    id: 0,
                    enterprise_id: id.clone(),
                    kind: "rd_centre".to_owned(),
                    level: None,
                    number: None,
                    recognized_on: near(next(7)),
                    review_due: (next(3) > 0).then(|| near(next(7))),
                })
                .collect();
            for p in 0..next(3) {
                partnerships.push(partnership::Model {
                    id: format!("{id}-p{p}"),
                    enterprise_id: id.clone(),
                    partner_kind: "institution".to_owned(),
                    partner: "山东大学".to_owned(),
                    kind: "development_contract".to_owned(),
                    valid_from: near(next(7)),
                    valid_to: (next(3) > 0).then(|| near(next(7))),
                    evidence: None,
                    content_hash: "h".to_owned(),
                    updated_at: chrono::Utc::now(),
                    proposal_id: None,
                    contract_number: None,
                    registration_number: None,
                });
            }
            records.push(EnterpriseRecord {
                enterprise: enterprise::Model {
                    id: id.clone(),
                    // Names whose pinyin order differs from their code points and from their
                    // ids, with homophones (张/章) that tie on the key.
                    name: format!(
                        "{}{}有限公司",
                        ["张家", "章丘", "李氏", "阿里", "中鼎", "Zeta ", "王庄"][next(7) as usize],
                        next(5)
                    ),
                    credit_code: format!("TEST{round:02}{n:012}"),
                    county_code: "370724".to_owned(),
                    town_code: town_code.to_owned(),
                    town: town.to_owned(),
                    industry: industries[next(4) as usize].to_owned(),
                    above_scale: next(5) > 0,
                    roster_year: if next(10) > 0 { year } else { year - 1 },
                    products: String::new(),
                    rd_staff: next(3) as i32,
                    contact_email: None,
                    owner: [None, Some(""), Some("wang"), Some("li")][next(4) as usize]
                        .map(str::to_owned),
                    content_hash: format!("hash-{id}"),
                    updated_at: chrono::Utc::now(),
                    industry_code: None,
                    sort_key: String::new(),
                },
                institutions,
            });
        }
        let transaction = store.begin().await.expect("begin");
        Store::upsert_enterprises(&transaction, &records)
            .await
            .expect("enterprises");
        Store::upsert_partnerships(&transaction, partnerships)
            .await
            .expect("partnerships");
        transaction.commit().await.expect("commit");

        let by_database = labbridge_app::coverage::report_of_groups(
            year,
            reference,
            &store
                .coverage_tallies(year, reference)
                .await
                .expect("tallies"),
        );
        let by_rule = labbridge_app::coverage::report_of_rows(
            year,
            reference,
            &store.coverage_rows(year).await.expect("rows"),
        );
        assert!(by_rule.total > 40, "round {round}: a real roster");
        assert!(by_rule.covered > 0 && by_rule.covered < by_rule.total);
        assert_eq!(by_database, by_rule, "round {round}, {reference}");
        the_database_lists_as_the_rule_does(fixture, year, reference).await;
    }
}

/// The staff lists the database pages (`App::uncovered`, `App::at_risk`, `App::gap_counts`)
/// hold the same enterprises, in the same order, with the same reasons, as the rule applied in
/// Rust to the whole roster (`App::uncovered_of`, `App::at_risk_of`), for every filter, page by
/// page.
async fn the_database_lists_as_the_rule_does(
    fixture: &Fixture,
    year: i32,
    reference: chrono::NaiveDate,
) {
    use labbridge_app::dashboard::{Page, Roster, UncoveredFilter};
    let app = &fixture.app;
    let roster = Roster {
        year,
        day: reference,
        rows: app.store.coverage_rows(year).await.expect("rows"),
    };
    let filter =
        |town: Option<&str>, industry: Option<&str>, gap: Option<&str>, owner: Option<&str>| {
            UncoveredFilter {
                town: town.map(str::to_owned),
                industry: industry.map(str::to_owned),
                gap: gap.map(str::to_owned),
                owner: owner.map(str::to_owned),
            }
        };
    let mut filters = vec![
        filter(None, None, None, None),
        filter(Some("370724101"), None, None, None),
        filter(Some(" 冶源镇 "), None, None, None),
        filter(Some("nowhere"), None, None, None),
        filter(None, Some("aluminium"), None, None),
        filter(None, Some("铝材深加工"), None, None),
        filter(None, Some("other"), None, None),
        filter(None, Some("no such chain"), None, None),
        filter(None, None, None, Some("wang")),
        filter(None, None, None, Some("none")),
        filter(
            Some("370724001"),
            Some("machinery"),
            Some("cooperation"),
            Some("li"),
        ),
    ];
    for gap in [
        "cooperation",
        "institution_and_staff",
        "no_cooperation",
        "cooperation_expired",
        "cooperation_not_started",
        "no_institution",
        "institution_lapsed",
        "institution_not_yet_recognized",
        "no_rd_staff",
        "bogus",
    ] {
        filters.push(filter(None, None, Some(gap), None));
    }
    for wanted in &filters {
        let whole = app.uncovered_of(&roster, wanted).await.expect("whole");
        let mut paged = Vec::new();
        let mut offset = 0;
        loop {
            let page = app
                .uncovered(wanted, Page { offset, limit: 7 }, reference)
                .await
                .expect("page");
            assert_eq!(page.total, whole.total, "{wanted:?} at {offset}");
            assert_eq!((page.year, page.reference_date), (year, reference));
            let count = page.enterprises.len();
            assert!(count <= 7);
            paged.extend(page.enterprises);
            if count < 7 {
                break;
            }
            offset += 7;
        }
        assert_eq!(paged, whole.enterprises, "{wanted:?} on {reference}");
    }
    // Every filter above narrowed something, and the first listed most of the roster.
    let all = app.uncovered_of(&roster, &filters[0]).await.expect("all");
    assert!(all.total > 20, "a real list: {}", all.total);

    let at_risk = app.at_risk(reference).await.expect("at risk");
    assert_eq!(
        at_risk,
        app.at_risk_of(&roster).await.expect("whole"),
        "{reference}"
    );

    let mut counted: std::collections::BTreeMap<labbridge_domain::coverage::Gap, u64> =
        Default::default();
    for enterprise in &all.enterprises {
        for gap in &enterprise.gaps {
            *counted.entry(gap.code).or_default() += 1;
        }
    }
    let by_database: std::collections::BTreeMap<_, _> = app
        .gap_counts(reference)
        .await
        .expect("gap counts")
        .into_iter()
        .collect();
    assert_eq!(by_database, counted);
}

/// The desk the database pages (`App::desk`) shows, tab by tab and page by page, what the whole
/// list (`App::proposals`) filtered and sorted as the desk means it shows, on proposals in every
/// status, some silent, some to follow up.
async fn the_desk_pages_as_the_whole_list_does(fixture: &Fixture) {
    use labbridge_domain::proposal::ProposalStatus;
    use labbridge_store::entity::proposal;
    use labbridge_store::{DeskQuery, DeskTab};
    use sea_orm::{ActiveModelTrait, ActiveValue, EntityTrait, IntoActiveModel};
    let app = &fixture.app;
    app.load_demo(2026, Progress::Hidden).await.expect("demo");
    let index = app.open_index(Progress::Hidden).await.expect("index");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
    app.run_matcher(&index, today, Default::default())
        .await
        .expect("match");
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    let now = chrono::Utc::now();
    let rows = proposal::Entity::find()
        .all(app.store.connection())
        .await
        .expect("proposals");
    assert!(rows.len() > 200, "more than a page: {}", rows.len());
    for row in rows {
        let status = ProposalStatus::ALL[next(ProposalStatus::ALL.len() as u64) as usize];
        let mut active = row.into_active_model();
        active.status = ActiveValue::Set(status.code().to_owned());
        active.decline_reason = ActiveValue::Set(
            [None, Some("need_unclear"), Some("no_capacity")][next(3) as usize].map(str::to_owned),
        );
        active.updated_at = ActiveValue::Set(now - chrono::Duration::hours(next(24 * 20) as i64));
        active.update(app.store.connection()).await.expect("update");
    }
    let silent_before = now - chrono::Duration::days(7);
    let whole = app.proposals(None).await.expect("whole list");
    let towns = app
        .desk(
            &DeskQuery {
                town: None,
                text: None,
                silent_before,
            },
            None,
            0,
            1,
        )
        .await
        .expect("desk")
        .towns;
    assert!(towns.len() > 3, "{towns:?}");
    let partner_id = whole[whole.len() / 2].partner_id.clone();
    let in_tab = |row: &labbridge_app::matching::StoredProposal, tab: &DeskTab| match tab {
        DeskTab::Silent => {
            (row.status == "sent" || row.status == "accepted_by_partner")
                && row.updated_at <= silent_before
        }
        DeskTab::FollowUp => row.decline_reason.as_deref() == Some("need_unclear"),
        DeskTab::Status(status) => &row.status == status,
    };
    let mut tabs: Vec<Option<DeskTab>> = vec![None, Some(DeskTab::Silent), Some(DeskTab::FollowUp)];
    tabs.extend(
        ProposalStatus::ALL
            .iter()
            .map(|status| Some(DeskTab::Status(status.code().to_owned()))),
    );
    for town in [None, Some(towns[1].clone()), Some("不存在的镇".to_owned())] {
        for text in [
            None,
            Some("有限".to_owned()),
            Some(partner_id.clone()),
            Some("研究".to_owned()),
        ] {
            let query = DeskQuery {
                town: town.clone(),
                text: text.clone(),
                silent_before,
            };
            let kept: Vec<&labbridge_app::matching::StoredProposal> = whole
                .iter()
                .filter(|row| town.as_deref().is_none_or(|town| row.town == town))
                .filter(|row| {
                    text.as_deref().is_none_or(|text| {
                        [
                            &row.enterprise,
                            &row.enterprise_id,
                            &row.partner,
                            &row.partner_id,
                        ]
                        .iter()
                        .any(|field| field.contains(text))
                    })
                })
                .collect();
            for tab in &tabs {
                let mut expected: Vec<labbridge_app::matching::StoredProposal> = kept
                    .iter()
                    .filter(|row| tab.as_ref().is_none_or(|tab| in_tab(row, tab)))
                    .map(|row| (*row).clone())
                    .collect();
                expected.sort_by_cached_key(|row| {
                    (
                        labbridge_app::sort::pinyin_key(&row.enterprise),
                        row.enterprise_id.clone(),
                        std::cmp::Reverse((row.score * 10_000.0).round() as i64),
                        row.id,
                    )
                });
                let mut paged = Vec::new();
                let mut offset = 0;
                loop {
                    let desk = app
                        .desk(&query, tab.as_ref(), offset, 37)
                        .await
                        .expect("desk");
                    assert_eq!(desk.matching as usize, expected.len(), "{query:?} {tab:?}");
                    let count = desk.rows.len();
                    paged.extend(desk.rows);
                    if count < 37 {
                        break;
                    }
                    offset += 37;
                }
                let ids = |rows: &[labbridge_app::matching::StoredProposal]| {
                    rows.iter().map(|row| row.id).collect::<Vec<_>>()
                };
                assert_eq!(ids(&paged), ids(&expected), "{query:?} {tab:?}");
                assert_eq!(paged, expected, "{query:?} {tab:?}");
            }
        }
    }
}
