//! The HTML pages. Chinese (zh-CN) by default; `?lang=en` gives English. Templates live in
//! `templates/` and are checked at compile time by askama.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use labbridge_app::coverage::GroupRow;
use labbridge_app::sort::pinyin_key;
use serde::Deserialize;

use crate::AppState;
use crate::api::{ApiQuery, check_year};
use crate::error::ApiError;

/// The page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Lang {
    /// 简体中文 (the default).
    #[default]
    #[serde(rename = "zh", alias = "zh-CN", alias = "zh-cn")]
    Zh,
    /// English.
    #[serde(rename = "en")]
    En,
}

/// The words of a page in one language.
pub struct Texts {
    pub(crate) html_lang: &'static str,
    pub(crate) title: &'static str,
    pub(crate) heading: &'static str,
    pub(crate) year: &'static str,
    pub(crate) show: &'static str,
    pub(crate) reference_date: &'static str,
    pub(crate) total: &'static str,
    pub(crate) covered: &'static str,
    pub(crate) rate: &'static str,
    pub(crate) cooperation: &'static str,
    pub(crate) institution_and_staff: &'static str,
    pub(crate) by_town: &'static str,
    pub(crate) by_industry: &'static str,
    pub(crate) town: &'static str,
    pub(crate) industry: &'static str,
    pub(crate) sort_by_name: &'static str,
    pub(crate) sort_by_rate: &'static str,
    pub(crate) demo: &'static str,
    pub(crate) empty: &'static str,
    pub(crate) other_language: &'static str,
    pub(crate) other_lang_code: &'static str,
    pub(crate) definition: &'static str,
    pub(crate) search: &'static str,
}

const ZH: Texts = Texts {
    html_lang: "zh-CN",
    title: "两个全覆盖 · labbridge",
    heading: "规上工业企业“两个全覆盖”情况",
    year: "年度",
    show: "查看",
    reference_date: "统计截止日期",
    total: "规上企业",
    covered: "两个全覆盖",
    rate: "覆盖率",
    cooperation: "产学研合作",
    institution_and_staff: "研发机构和研发人员",
    by_town: "分镇街",
    by_industry: "分产业链",
    town: "镇街",
    industry: "产业链",
    sort_by_name: "按名称（拼音）排序",
    sort_by_rate: "按覆盖率排序",
    demo: "演示数据：企业、专家和实验室均为虚构，镇街、高校和人才计划为真实名称。",
    empty: "该年度名录中还没有规上企业。请先导入企业名录。",
    other_language: "English",
    other_lang_code: "en",
    definition: "两个全覆盖：产学研合作（有效期内的高校院所合作）与专业机构和研发人员（有效的研发机构且研发人员不少于1人）同时具备。",
    search: "找专家",
};

const EN: Texts = Texts {
    html_lang: "en",
    title: "Two full coverages · labbridge",
    heading: "Above-scale enterprises: the two full coverages",
    year: "Year",
    show: "Show",
    reference_date: "As of",
    total: "Enterprises",
    covered: "Fully covered",
    rate: "Rate",
    cooperation: "University cooperation",
    institution_and_staff: "R&D institution and staff",
    by_town: "By town",
    by_industry: "By industry chain",
    town: "Town",
    industry: "Industry chain",
    sort_by_name: "Sort by name (pinyin)",
    sort_by_rate: "Sort by rate",
    demo: "Demo data: enterprises, experts and labs are fictional; towns, universities and programmes are real.",
    empty: "No above-scale enterprise is on this year's roster yet. Import the roster first.",
    other_language: "中文",
    other_lang_code: "zh",
    definition: "Fully covered: a valid cooperation with a university or institute, and a recognised R&D institution with at least one R&D person.",
    search: "Find experts",
};

impl Lang {
    pub(crate) fn texts(self) -> &'static Texts {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }
}

/// How the town table is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TownOrder {
    /// Division-code order, as official reports list towns.
    #[default]
    Code,
    /// By name, in pinyin order.
    Name,
    /// By coverage rate, lowest first (where help is needed most).
    Rate,
}

/// Query of the coverage page.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    year: Option<i32>,
    #[serde(default)]
    lang: Lang,
    #[serde(default)]
    sort: TownOrder,
}

/// One displayed row.
pub struct DisplayRow {
    name: String,
    href: String,
    total: u32,
    covered: u32,
    cooperation: u32,
    institution_and_staff: u32,
    rate: String,
    rate_width: String,
}

fn display(name: Option<&String>, href: String, row: &GroupRow) -> DisplayRow {
    DisplayRow {
        name: name.cloned().unwrap_or_default(),
        href,
        total: row.total,
        covered: row.covered,
        cooperation: row.cooperation,
        institution_and_staff: row.institution_and_staff,
        rate: percent(row.rate),
        rate_width: format!("{:.0}", row.rate * 100.0),
    }
}

fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

#[derive(Template)]
#[template(path = "coverage.html")]
struct CoveragePage<'a> {
    t: &'a Texts,
    lang: &'a str,
    year: i32,
    years: Vec<i32>,
    reference_date: String,
    total: u32,
    covered: u32,
    rate: String,
    cooperation: u32,
    institution_and_staff: u32,
    towns: Vec<DisplayRow>,
    industries: Vec<DisplayRow>,
    demo: bool,
    charts: crate::dashboard::CoverageCharts,
    switch: String,
}

/// The coverage page: headline figures and the tables by town and industry.
///
/// Public and the most requested page: it is rendered once per registry coverage stamp, day
/// and parameters, and served from memory until the roster changes (see
/// `labbridge_app::stamped`).
pub async fn coverage_page(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    let year = check_year(query.year)?;
    // A new month's snapshot moves the stamp, so it is taken before the stamp is read.
    crate::dashboard::ensure_snapshot(&state).await;
    let today = labbridge_app::today();
    let stamp = state.app.coverage_stamp().await?;
    let key = format!("{year:?}|{:?}|{}|{today}", query.sort, query.lang.code());
    let html = state
        .coverage_pages
        .get_or_try_compute(stamp, &key, || render_coverage(&state, year, &query, today))
        .await?;
    Ok(Html(html).into_response())
}

async fn render_coverage(
    state: &AppState,
    year: Option<i32>,
    query: &PageQuery,
    today: chrono::NaiveDate,
) -> Result<String, ApiError> {
    let report = state.app.coverage(year, today).await?;
    let mut years = state
        .app
        .store
        .roster_years()
        .await
        .map_err(labbridge_app::Error::from)?;
    if !years.contains(&report.year) {
        years.insert(0, report.year);
    }
    let mut town_rows: Vec<&GroupRow> = report.by_town.iter().collect();
    match query.sort {
        TownOrder::Code => {}
        TownOrder::Name => {
            town_rows.sort_by_cached_key(|row| pinyin_key(row.town.as_deref().unwrap_or_default()))
        }
        TownOrder::Rate => town_rows.sort_by(|left, right| left.rate.total_cmp(&right.rate)),
    }
    let texts = query.lang.texts();
    let page = CoveragePage {
        t: texts,
        lang: match query.lang {
            Lang::Zh => "zh",
            Lang::En => "en",
        },
        year: report.year,
        years,
        reference_date: report.reference_date.to_string(),
        total: report.total,
        covered: report.covered,
        rate: percent(report.rate),
        cooperation: report.cooperation,
        institution_and_staff: report.institution_and_staff,
        towns: town_rows
            .into_iter()
            .map(|row| {
                let href = format!(
                    "/staff/uncovered?town={}&lang={}",
                    row.town_code.clone().unwrap_or_default(),
                    query.lang.code()
                );
                display(row.town.as_ref(), href, row)
            })
            .collect(),
        industries: report
            .by_industry
            .iter()
            .map(|row| {
                let chain = labbridge_domain::model::IndustryChain::parse(
                    row.industry_code.as_deref().unwrap_or(""),
                )
                .unwrap_or(labbridge_domain::model::IndustryChain::Other);
                let name = crate::dashboard::chain_label(chain, query.lang).to_owned();
                let href = format!(
                    "/staff/uncovered?industry={}&lang={}",
                    chain.code(),
                    query.lang.code()
                );
                display(Some(&name), href, row)
            })
            .collect(),
        demo: state.app.has_demo_data().await?,
        charts: crate::dashboard::coverage_charts(state, &report, query.lang).await?,
        switch: switch_href(
            query.lang,
            &[
                ("year", year.map(|year| year.to_string()).as_deref()),
                (
                    "sort",
                    match query.sort {
                        TownOrder::Code => None,
                        TownOrder::Name => Some("name"),
                        TownOrder::Rate => Some("rate"),
                    },
                ),
            ],
        ),
    };
    page.render().map_err(|error| {
        tracing::error!(%error, "template failed");
        ApiError::internal()
    })
}

/// Words of the search and detail pages.
pub struct SearchTexts {
    title: &'static str,
    placeholder: &'static str,
    button: &'static str,
    all_kinds: &'static str,
    expert: &'static str,
    lab: &'static str,
    program: &'static str,
    results: &'static str,
    no_results: &'static str,
    institution: &'static str,
    province: &'static str,
    programs: &'static str,
    level: &'static str,
    field: &'static str,
    clear: &'static str,
    previous: &'static str,
    next: &'static str,
    title_label: &'static str,
    lab_label: &'static str,
    experts: &'static str,
    email: &'static str,
    offer: &'static str,
    holder: &'static str,
    patent: &'static str,
    price: &'static str,
}

const SEARCH_ZH: SearchTexts = SearchTexts {
    title: "找专家 · 找实验室",
    placeholder: "例如：铝合金热处理、6061-T6、北科大 挤压模具",
    button: "搜索",
    all_kinds: "全部",
    expert: "专家",
    lab: "实验室",
    program: "人才计划",
    results: "条结果",
    no_results: "没有找到结果。可以换个说法，或减少关键词。",
    institution: "单位",
    province: "省份",
    programs: "人才计划",
    level: "级别",
    field: "研究方向",
    clear: "清除筛选",
    previous: "上一页",
    next: "下一页",
    title_label: "职称",
    lab_label: "所在实验室",
    experts: "专家",
    email: "邮箱",
    offer: "科技成果",
    holder: "成果持有人",
    patent: "专利号",
    price: "转让价格",
};

const SEARCH_EN: SearchTexts = SearchTexts {
    title: "Find experts and labs",
    placeholder: "e.g. 铝合金热处理, 6061-T6, 北科大 挤压模具",
    button: "Search",
    all_kinds: "All",
    expert: "Experts",
    lab: "Labs",
    program: "Programmes",
    results: "results",
    no_results: "Nothing found. Try other words, or fewer of them.",
    institution: "Institution",
    province: "Province",
    programs: "Programme",
    level: "Level",
    field: "Field",
    clear: "Clear filters",
    previous: "Previous",
    next: "Next",
    title_label: "Title",
    lab_label: "Lab",
    experts: "Experts",
    email: "E-mail",
    offer: "Technology offers",
    holder: "Holder",
    patent: "Patent",
    price: "Price",
};

impl Lang {
    fn search_texts(self) -> &'static SearchTexts {
        match self {
            Lang::Zh => &SEARCH_ZH,
            Lang::En => &SEARCH_EN,
        }
    }

    /// The other language, the one the switch offers.
    pub(crate) fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// Query of the search page.
#[derive(Debug, Default, Deserialize)]
pub struct SearchPageQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    institution: Option<String>,
    province: Option<String>,
    program: Option<String>,
    level: Option<String>,
    field: Option<String>,
    #[serde(default)]
    page: usize,
    #[serde(default)]
    lang: Lang,
}

/// One facet value as a link.
pub struct FacetLink {
    label: String,
    count: u64,
    href: String,
    active: bool,
}

/// One facet group.
pub struct FacetGroup {
    title: &'static str,
    links: Vec<FacetLink>,
}

/// One hit as displayed.
pub struct HitView {
    href: String,
    kind_label: &'static str,
    name: String,
    institution: String,
    title: String,
    snippet: String,
    tags: Vec<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    t: &'a Texts,
    s: &'a SearchTexts,
    lang: &'a str,
    q: String,
    kind: String,
    total: usize,
    hits: Vec<HitView>,
    facets: Vec<FacetGroup>,
    filtered: bool,
    previous_href: Option<String>,
    next_href: Option<String>,
    kind_tabs: Vec<FacetLink>,
    switch: String,
}

/// The language switch's link: the same page and query in the other language.
pub(crate) fn switch_href(lang: Lang, query: &[(&str, Option<&str>)]) -> String {
    page_href("", lang.other(), query)
}

/// A page's address in a language, with the query's non-empty values.
pub(crate) fn page_href(path: &str, lang: Lang, query: &[(&str, Option<&str>)]) -> String {
    let mut href = format!("{path}?");
    for (key, value) in query {
        if let Some(value) = value.filter(|value| !value.is_empty()) {
            href.push_str(&format!("{key}={}&", encode(value)));
        }
    }
    href.push_str(&format!("lang={}", lang.code()));
    href
}

pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

impl SearchPageQuery {
    fn href(&self, changes: &[(&str, Option<&str>)]) -> String {
        let mut pairs: Vec<(&str, String)> =
            vec![("q", self.q.clone()), ("kind", self.kind.clone())];
        for (name, value) in [
            ("institution", &self.institution),
            ("province", &self.province),
            ("program", &self.program),
            ("level", &self.level),
            ("field", &self.field),
        ] {
            pairs.push((name, value.clone().unwrap_or_default()));
        }
        pairs.push((
            "page",
            if self.page > 0 {
                self.page.to_string()
            } else {
                String::new()
            },
        ));
        pairs.push((
            "lang",
            if self.lang == Lang::En {
                "en".to_owned()
            } else {
                String::new()
            },
        ));
        for (name, value) in changes {
            if let Some(pair) = pairs.iter_mut().find(|(existing, _)| existing == name) {
                pair.1 = value.unwrap_or_default().to_owned();
            }
        }
        let query: Vec<String> = pairs
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| format!("{name}={}", encode(&value)))
            .collect();
        format!("/search?{}", query.join("&"))
    }
}

fn kind_label(kind: labbridge_search::Kind, texts: &SearchTexts) -> &'static str {
    match kind {
        labbridge_search::Kind::Expert => texts.expert,
        labbridge_search::Kind::Lab => texts.lab,
        labbridge_search::Kind::Program => texts.program,
        labbridge_search::Kind::Need => "需求",
        labbridge_search::Kind::Offer => texts.offer,
    }
}

fn detail_href(kind: labbridge_search::Kind, id: &str, lang: Lang) -> String {
    let base = match kind {
        labbridge_search::Kind::Expert => "experts",
        labbridge_search::Kind::Lab => "labs",
        labbridge_search::Kind::Program => "programs",
        labbridge_search::Kind::Need => "needs",
        labbridge_search::Kind::Offer => "offers",
    };
    let suffix = if lang == Lang::En { "?lang=en" } else { "" };
    format!("/{base}/{}{suffix}", encode(id))
}

/// The search page: a box, kind tabs, facets with counts, highlighted hits, pages.
pub async fn search_page(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<SearchPageQuery>,
) -> Result<Response, ApiError> {
    const PAGE: usize = 10;
    let api_query = crate::api::SearchQuery {
        q: Some(query.q.clone()),
        kind: Some(query.kind.clone()).filter(|kind| !kind.is_empty()),
        limit: Some(PAGE),
        offset: Some(query.page * PAGE),
        institution: query.institution.clone(),
        province: query.province.clone(),
        program: query.program.clone(),
        level: query.level.clone(),
        field: query.field.clone(),
        facets: Some(true),
    };
    let request = crate::api::search_request(&api_query, false)?;
    let results = state.search(request).await?;
    let texts = query.lang.search_texts();
    let facets = results.facets.clone().unwrap_or_default();
    let group = |title: &'static str,
                 name: &'static str,
                 counts: &[labbridge_search::FacetCount],
                 current: &Option<String>| FacetGroup {
        title,
        links: counts
            .iter()
            .take(12)
            .map(|count| {
                let active = current.as_deref() == Some(count.value.as_str());
                FacetLink {
                    label: count.value.clone(),
                    count: count.count,
                    href: query.href(&[
                        (
                            name,
                            if active {
                                None
                            } else {
                                Some(count.value.as_str())
                            },
                        ),
                        ("page", None),
                    ]),
                    active,
                }
            })
            .collect(),
    };
    let facet_groups = vec![
        group(
            texts.institution,
            "institution",
            &facets.institution,
            &query.institution,
        ),
        group(
            texts.province,
            "province",
            &facets.province,
            &query.province,
        ),
        group(texts.programs, "program", &facets.program, &query.program),
        group(texts.level, "level", &facets.level, &query.level),
        group(texts.field, "field", &facets.field, &query.field),
    ]
    .into_iter()
    .filter(|group| !group.links.is_empty())
    .collect();
    let kind_count = |name: &str| {
        facets
            .kind
            .iter()
            .find(|count| count.value == name)
            .map_or(0, |count| count.count)
    };
    let kind_tabs = [
        ("", texts.all_kinds),
        ("expert", texts.expert),
        ("lab", texts.lab),
        ("program", texts.program),
        ("offer", texts.offer),
    ]
    .into_iter()
    .map(|(name, label)| FacetLink {
        label: label.to_owned(),
        count: if name.is_empty() {
            facets.kind.iter().map(|count| count.count).sum()
        } else {
            kind_count(name)
        },
        href: query.href(&[("kind", Some(name)), ("page", None)]),
        active: query.kind == name,
    })
    .collect();
    let hits = results
        .hits
        .iter()
        .map(|hit| HitView {
            href: detail_href(hit.kind, &hit.id, query.lang),
            kind_label: kind_label(hit.kind, texts),
            name: hit.name.clone(),
            institution: hit.institution.clone().unwrap_or_default(),
            title: hit
                .title
                .clone()
                .or_else(|| hit.level.clone())
                .unwrap_or_default(),
            snippet: hit.snippet.clone(),
            tags: hit
                .fields
                .iter()
                .chain(hit.programs.iter())
                .take(8)
                .cloned()
                .collect(),
        })
        .collect();
    let next_page = (query.page + 1) * PAGE < results.total;
    let page_number = (query.page > 0).then(|| query.page.to_string());
    let switch = switch_href(
        query.lang,
        &[
            ("q", Some(query.q.as_str())),
            ("kind", Some(query.kind.as_str())),
            ("institution", query.institution.as_deref()),
            ("province", query.province.as_deref()),
            ("program", query.program.as_deref()),
            ("level", query.level.as_deref()),
            ("field", query.field.as_deref()),
            ("page", page_number.as_deref()),
        ],
    );
    let page = SearchPage {
        switch,
        t: query.lang.texts(),
        s: texts,
        lang: query.lang.code(),
        q: query.q.clone(),
        kind: query.kind.clone(),
        total: results.total,
        hits,
        facets: facet_groups,
        filtered: [
            &query.institution,
            &query.province,
            &query.program,
            &query.level,
            &query.field,
        ]
        .iter()
        .any(|value| value.is_some()),
        previous_href: (query.page > 0)
            .then(|| query.href(&[("page", Some(&(query.page - 1).to_string()))])),
        next_href: next_page.then(|| query.href(&[("page", Some(&(query.page + 1).to_string()))])),
        kind_tabs,
    };
    render(&page)
}

pub(crate) fn render(page: &impl Template) -> Result<Response, ApiError> {
    let html = page.render().map_err(|error| {
        tracing::error!(%error, "template failed");
        ApiError::internal()
    })?;
    Ok(Html(html).into_response())
}

/// A row of a detail page.
pub struct DetailRow {
    label: &'static str,
    value: String,
}

/// A link of a detail page.
pub struct DetailLink {
    href: String,
    label: String,
    note: String,
}

#[derive(Template)]
#[template(path = "detail.html")]
struct DetailPage<'a> {
    t: &'a Texts,
    s: &'a SearchTexts,
    lang: &'a str,
    kind_label: &'static str,
    name: String,
    rows: Vec<DetailRow>,
    body: String,
    links_title: &'static str,
    links: Vec<DetailLink>,
}

/// Query of the detail pages.
#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    #[serde(default)]
    lang: Lang,
}

fn decode_list(raw: &str) -> Vec<String> {
    serde_json::from_str(raw).unwrap_or_default()
}

fn row(label: &'static str, value: Option<String>) -> Option<DetailRow> {
    value
        .filter(|value| !value.is_empty())
        .map(|value| DetailRow { label, value })
}

fn store_error(error: labbridge_app::Error) -> ApiError {
    ApiError::from(error)
}

/// Links to experts' pages, each with a note (their title, their institution …).
fn expert_links(
    experts: Vec<labbridge_app::expert::Model>,
    lang: Lang,
    note: impl Fn(&labbridge_app::expert::Model) -> String,
) -> Vec<DetailLink> {
    experts
        .iter()
        .map(|expert| DetailLink {
            href: detail_href(labbridge_search::Kind::Expert, &expert.id, lang),
            label: expert.name.clone(),
            note: note(expert),
        })
        .collect()
}

/// An expert's page.
pub async fn expert_page(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
    ApiQuery(query): ApiQuery<DetailQuery>,
) -> Result<Response, ApiError> {
    let store = &state.app.store;
    let texts = query.lang.search_texts();
    let expert = store
        .expert(&id)
        .await
        .map_err(|error| store_error(error.into()))?
        .ok_or_else(|| ApiError::not_found(format!("no expert '{id}'")))?;
    let lab = match &expert.lab_id {
        Some(lab_id) => store
            .lab(lab_id)
            .await
            .map_err(|error| store_error(error.into()))?,
        None => None,
    };
    let mut links = Vec::new();
    for program_id in store
        .programs_of_expert(&id)
        .await
        .map_err(|error| store_error(error.into()))?
    {
        if let Some(program) = store
            .program(&program_id)
            .await
            .map_err(|error| store_error(error.into()))?
        {
            links.push(DetailLink {
                href: detail_href(labbridge_search::Kind::Program, &program.id, query.lang),
                label: program.name,
                note: texts.program.to_owned(),
            });
        }
    }
    if let Some(lab) = &lab {
        links.push(DetailLink {
            href: detail_href(labbridge_search::Kind::Lab, &lab.id, query.lang),
            label: lab.name.clone(),
            note: texts.lab_label.to_owned(),
        });
    }
    let contact_allowed = crate::portal::contact_visible(&state, &caller, "expert", &id).await?;
    let rows = [
        row(texts.institution, Some(expert.institution.clone())),
        row(texts.title_label, expert.title.clone()),
        row(texts.lab_label, lab.as_ref().map(|lab| lab.name.clone())),
        row(texts.field, Some(decode_list(&expert.fields).join("、"))),
        row(texts.province, expert.province.clone()),
        row(
            texts.email,
            expert.email.clone().filter(|_| contact_allowed),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    render(&DetailPage {
        t: query.lang.texts(),
        s: texts,
        lang: query.lang.code(),
        kind_label: texts.expert,
        name: expert.name,
        rows,
        body: expert.bio.unwrap_or_default(),
        links_title: texts.programs,
        links,
    })
}

/// A lab's page, with its experts.
pub async fn lab_page(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
    ApiQuery(query): ApiQuery<DetailQuery>,
) -> Result<Response, ApiError> {
    let store = &state.app.store;
    let texts = query.lang.search_texts();
    let lab = store
        .lab(&id)
        .await
        .map_err(|error| store_error(error.into()))?
        .ok_or_else(|| ApiError::not_found(format!("no lab '{id}'")))?;
    let experts = store
        .experts_of_lab(&id)
        .await
        .map_err(|error| store_error(error.into()))?;
    let links = expert_links(experts, query.lang, |expert| {
        expert.title.clone().unwrap_or_default()
    });
    let contact_allowed = crate::portal::contact_visible(&state, &caller, "lab", &id).await?;
    let rows = [
        row(texts.institution, Some(lab.institution.clone())),
        row(texts.level, lab.level.clone()),
        row(texts.field, Some(decode_list(&lab.fields).join("、"))),
        row(texts.province, lab.province.clone()),
        row(texts.email, lab.email.clone().filter(|_| contact_allowed)),
    ]
    .into_iter()
    .flatten()
    .collect();
    render(&DetailPage {
        t: query.lang.texts(),
        s: texts,
        lang: query.lang.code(),
        kind_label: texts.lab,
        name: lab.name,
        rows,
        body: lab.description.unwrap_or_default(),
        links_title: texts.experts,
        links,
    })
}

/// A technology offer's page: what it is, whose, its patent and price. A technology market
/// lists these publicly; no contact is stored, so none is shown.
pub async fn offer_page(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    ApiQuery(query): ApiQuery<DetailQuery>,
) -> Result<Response, ApiError> {
    let texts = query.lang.search_texts();
    let offer = state
        .app
        .store
        .offer(&id)
        .await
        .map_err(|error| store_error(error.into()))?
        .ok_or_else(|| ApiError::not_found(format!("no technology offer '{id}'")))?;
    let rows = [
        row(texts.institution, Some(offer.institution.clone())),
        row(texts.holder, offer.holder.clone()),
        row(texts.field, Some(decode_list(&offer.fields).join("、"))),
        row(texts.patent, offer.patent.clone()),
        row(texts.price, offer.price.clone()),
    ]
    .into_iter()
    .flatten()
    .collect();
    render(&DetailPage {
        t: query.lang.texts(),
        s: texts,
        lang: query.lang.code(),
        kind_label: texts.offer,
        name: offer.name,
        rows,
        body: offer.description.unwrap_or_default(),
        links_title: texts.experts,
        links: Vec::new(),
    })
}

/// A talent programme's page, with its experts.
pub async fn program_page(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    ApiQuery(query): ApiQuery<DetailQuery>,
) -> Result<Response, ApiError> {
    let store = &state.app.store;
    let texts = query.lang.search_texts();
    let program = store
        .program(&id)
        .await
        .map_err(|error| store_error(error.into()))?
        .ok_or_else(|| ApiError::not_found(format!("no programme '{id}'")))?;
    let experts = store
        .experts_of_program(&id)
        .await
        .map_err(|error| store_error(error.into()))?;
    let links = expert_links(experts, query.lang, |expert| expert.institution.clone());
    let level = labbridge_app::level_label(&program.level);
    render(&DetailPage {
        t: query.lang.texts(),
        s: texts,
        lang: query.lang.code(),
        kind_label: texts.program,
        name: program.name,
        rows: [row(texts.level, Some(level))]
            .into_iter()
            .flatten()
            .collect(),
        body: program.description.unwrap_or_default(),
        links_title: texts.experts,
        links,
    })
}
