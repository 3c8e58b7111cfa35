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
    html_lang: &'static str,
    title: &'static str,
    heading: &'static str,
    year: &'static str,
    show: &'static str,
    reference_date: &'static str,
    total: &'static str,
    covered: &'static str,
    rate: &'static str,
    cooperation: &'static str,
    institution_and_staff: &'static str,
    by_town: &'static str,
    by_industry: &'static str,
    town: &'static str,
    industry: &'static str,
    sort_by_name: &'static str,
    sort_by_rate: &'static str,
    demo: &'static str,
    empty: &'static str,
    other_language: &'static str,
    other_lang_code: &'static str,
    definition: &'static str,
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
};

impl Lang {
    fn texts(self) -> &'static Texts {
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
    total: u32,
    covered: u32,
    cooperation: u32,
    institution_and_staff: u32,
    rate: String,
    rate_width: String,
}

fn display(name: Option<&String>, row: &GroupRow) -> DisplayRow {
    DisplayRow {
        name: name.cloned().unwrap_or_default(),
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
}

/// The coverage page: headline figures and the tables by town and industry.
pub async fn coverage_page(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    let year = check_year(query.year)?;
    let report = state.app.coverage(year, labbridge_app::today()).await?;
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
            .map(|row| display(row.town.as_ref(), row))
            .collect(),
        industries: report
            .by_industry
            .iter()
            .map(|row| {
                let name = match query.lang {
                    Lang::Zh => row.industry.clone(),
                    Lang::En => row.industry_code.clone(),
                };
                display(name.as_ref(), row)
            })
            .collect(),
        demo: state.app.has_demo_data().await?,
    };
    let html = page.render().map_err(|error| {
        tracing::error!(%error, "template failed");
        ApiError::internal()
    })?;
    Ok(Html(html).into_response())
}
