//! The enterprise portal's use cases: an enterprise posts and edits its technical needs, and
//! learns what a good need says.
//!
//! A need written in the portal goes through the same checks as a need imported from a
//! spreadsheet (one row of the `needs` import), so the two can never disagree about what a
//! valid need is; a bad field comes back named, with the reason in Chinese and English, for the
//! form to show beside the field. The search index picks the need up like any other change.

use chrono::Utc;
use labbridge_domain::model::NeedKind;
use labbridge_store::entity::need;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::import::{ImportKind, Progress, Row};
use crate::{App, Error, Result};

/// The longest title accepted.
pub const TITLE_LIMIT: usize = 200;
/// The longest description accepted.
pub const DESCRIPTION_LIMIT: usize = 20_000;
/// The most fields (keywords) a need may have.
pub const FIELDS_LIMIT: usize = 20;

/// A need as an enterprise writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct NeedInput {
    /// A short title (攻关方向).
    #[serde(default)]
    #[schema(schema_with = need_title, required = true)]
    pub title: String,
    /// What the enterprise needs: goal, current state, constraints, timeline, budget.
    #[serde(default)]
    #[schema(schema_with = need_description, required = true)]
    pub description: String,
    /// Fields or keywords (铝合金、热处理 …); an item may hold several, separated by 、，；
    /// (at most 20 keywords in all).
    #[serde(default)]
    #[schema(schema_with = need_fields)]
    pub fields: Vec<String>,
    /// `research` (技术攻关), `transfer` (成果转化), `platform` (共建平台) or `talent` (人才引进).
    #[serde(default)]
    #[schema(schema_with = crate::openapi::optional_need_kind)]
    pub kind: Option<String>,
    /// Shown to nobody outside the bureau and the enterprise itself.
    #[serde(default)]
    pub confidential: bool,
    /// `open`, `in_progress`, `solved` or `closed` (open when new).
    #[serde(default)]
    #[schema(schema_with = crate::openapi::optional_need_status)]
    pub status: Option<String>,
}

/// The longest keyword accepted.
pub const FIELD_LIMIT: usize = 40;

fn need_title() -> utoipa::openapi::Object {
    crate::openapi::required_text(TITLE_LIMIT)
}

fn need_description() -> utoipa::openapi::Object {
    crate::openapi::required_text(DESCRIPTION_LIMIT)
}

fn need_fields() -> utoipa::openapi::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(
            utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .max_length(Some(FIELD_LIMIT)),
        )
        .max_items(Some(FIELDS_LIMIT))
        .build()
}

/// A field of a need that is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// The field: `title`, `description`, `fields`, `kind`, `status`.
    pub field: String,
    /// Why, in Chinese.
    pub reason: String,
    /// Why, in English.
    pub reason_en: String,
}

/// What a good need says, and the words that show it does.
const ASPECTS: [(&str, &str, &[&str]); 5] = [
    (
        "目标",
        "goal",
        &[
            "目标", "希望", "达到", "实现", "要求", "提高", "降低", "提升",
        ],
    ),
    (
        "现状",
        "current state",
        &["现状", "目前", "现有", "当前", "已经", "现在"],
    ),
    (
        "约束条件",
        "constraints",
        &[
            "约束",
            "限制",
            "条件",
            "不超过",
            "不能",
            "必须",
            "设备",
            "标准",
        ],
    ),
    (
        "时间要求",
        "timeline",
        &["月", "年内", "周期", "时间", "期限", "季度", "天"],
    ),
    (
        "预算",
        "budget",
        &["预算", "万元", "经费", "费用", "投入", "元"],
    ),
];

/// The aspects a need's text does not yet mention, as (Chinese, English) names: goal, current
/// state, constraints, timeline, budget. An empty list means the need is complete.
pub fn missing_aspects(title: &str, description: &str) -> Vec<(&'static str, &'static str)> {
    let text = format!("{title} {description}");
    ASPECTS
        .iter()
        .filter(|(_, _, words)| !words.iter().any(|word| text.contains(word)))
        .map(|(zh, en, _)| (*zh, *en))
        .collect()
}

/// An example of a good need, for the form.
pub const EXAMPLE_NEED: &str = "目标：将 6063 铝合金型材时效后的抗拉强度由 205 MPa 提高到 240 MPa 以上。\
现状：现有时效炉温差 ±8 ℃，批次间强度波动大，废品率约 6%。\
约束条件：不更换现有挤压设备，能耗不增加。\
时间要求：6 个月内完成工艺试验，年内批量应用。\
预算：30 万元，可共建联合实验室。";

fn english_reason(field: &str, reason: &str) -> String {
    format!("{field}: {reason}")
}

impl App {
    /// The fields (keywords) labs and experts list, most common first, for suggestions as an
    /// enterprise types its need's fields.
    pub async fn field_vocabulary(&self, limit: usize) -> Result<Vec<String>> {
        let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for list in self.store.partner_field_lists().await? {
            for field in crate::search::list_field(&list) {
                *counts.entry(field).or_default() += 1;
            }
        }
        let mut words: Vec<(String, usize)> = counts.into_iter().collect();
        words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        words.truncate(limit);
        Ok(words.into_iter().map(|(word, _)| word).collect())
    }

    /// A need by id.
    pub async fn need(&self, id: &str) -> Result<Option<need::Model>> {
        Ok(self.store.need(id).await?)
    }

    /// Saves a need of an enterprise: a new one when `id` is `None`, else the one with that id
    /// (which must belong to the enterprise). Returns the saved need, or the fields that are
    /// wrong (nothing is written then).
    pub async fn save_need(
        &self,
        enterprise_id: &str,
        id: Option<&str>,
        input: &NeedInput,
        by: &str,
    ) -> Result<std::result::Result<need::Model, Vec<FieldProblem>>> {
        let mut problems = Vec::new();
        let title = input.title.trim();
        let description = input.description.trim();
        if title.is_empty() {
            problems.push(FieldProblem {
                field: "title".to_owned(),
                reason: "请填写需求标题".to_owned(),
                reason_en: "give the need a title".to_owned(),
            });
        }
        if description.is_empty() {
            problems.push(FieldProblem {
                field: "description".to_owned(),
                reason: "请描述需求：目标、现状、约束条件、时间要求、预算".to_owned(),
                reason_en: "describe the need: goal, current state, constraints, timeline, budget"
                    .to_owned(),
            });
        }
        // Limits count what was sent, as the API document states them.
        if input.title.chars().count() > TITLE_LIMIT {
            problems.push(FieldProblem {
                field: "title".to_owned(),
                reason: format!("标题不能超过 {TITLE_LIMIT} 个字"),
                reason_en: format!("at most {TITLE_LIMIT} characters"),
            });
        }
        if input.description.chars().count() > DESCRIPTION_LIMIT {
            problems.push(FieldProblem {
                field: "description".to_owned(),
                reason: format!("需求描述不能超过 {DESCRIPTION_LIMIT} 个字"),
                reason_en: format!("at most {DESCRIPTION_LIMIT} characters"),
            });
        }
        let fields: Vec<String> = input
            .fields
            .iter()
            .flat_map(|field| field.split([',', '，', '、', ';', '；']))
            .map(str::trim)
            .filter(|field| !field.is_empty())
            .map(str::to_owned)
            .collect();
        if fields.len() > FIELDS_LIMIT
            || input.fields.len() > FIELDS_LIMIT
            || input
                .fields
                .iter()
                .any(|field| field.chars().count() > FIELD_LIMIT)
        {
            problems.push(FieldProblem {
                field: "fields".to_owned(),
                reason: format!("领域关键词最多 {FIELDS_LIMIT} 个，每个不超过 {FIELD_LIMIT} 个字"),
                reason_en: format!(
                    "at most {FIELDS_LIMIT} keywords of {FIELD_LIMIT} characters each"
                ),
            });
        }
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let id = match id {
            Some(id) => {
                let existing = self
                    .store
                    .need(id)
                    .await?
                    .ok_or_else(|| Error::NotFound(format!("no need '{id}'")))?;
                if existing.enterprise_id != enterprise_id {
                    return Err(Error::NotFound(format!("no need '{id}'")));
                }
                id.to_owned()
            }
            None => format!(
                "{enterprise_id}-need-{}",
                Utc::now().format("%Y%m%d%H%M%S%3f")
            ),
        };
        let mut cells = std::collections::BTreeMap::new();
        cells.insert("id".to_owned(), Value::String(id.clone()));
        cells.insert(
            "enterprise".to_owned(),
            Value::String(enterprise_id.to_owned()),
        );
        cells.insert("title".to_owned(), Value::String(title.to_owned()));
        cells.insert(
            "description".to_owned(),
            Value::String(description.to_owned()),
        );
        cells.insert(
            "fields".to_owned(),
            Value::Array(fields.into_iter().map(Value::String).collect()),
        );
        if let Some(kind) = input
            .kind
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            cells.insert("kind".to_owned(), Value::String(kind.to_owned()));
        }
        if let Some(status) = input
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            cells.insert("status".to_owned(), Value::String(status.to_owned()));
        }
        cells.insert("confidential".to_owned(), Value::Bool(input.confidential));
        let row = Row { number: 1, cells };
        match self
            .import_rows(
                ImportKind::Needs,
                &format!("portal:{by}"),
                vec![row],
                Vec::new(),
                Progress::Hidden,
            )
            .await
        {
            Ok(_) => {}
            Err(Error::Import(failure)) => {
                return Ok(Err(failure
                    .problems
                    .iter()
                    .map(|problem| {
                        let field = problem.field.clone().unwrap_or_default();
                        FieldProblem {
                            reason: crate::import::reason_zh(&problem.reason),
                            reason_en: english_reason(&field, &problem.reason),
                            field,
                        }
                    })
                    .collect()));
            }
            Err(error) => return Err(error),
        }
        self.store
            .need(&id)
            .await?
            .map(Ok)
            .ok_or_else(|| Error::NotFound(format!("need '{id}' not found after it was saved")))
    }
}

/// The kinds of need, as (code, Chinese label), for the form.
pub fn need_kinds() -> Vec<(&'static str, &'static str)> {
    [
        NeedKind::Research,
        NeedKind::Transfer,
        NeedKind::Platform,
        NeedKind::Talent,
    ]
    .into_iter()
    .map(|kind| (kind.code(), kind.label()))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_need_is_complete_and_a_bare_one_misses_everything() {
        assert!(missing_aspects("铝型材时效工艺", EXAMPLE_NEED).is_empty());
        let missing = missing_aspects("铝型材", "需要专家");
        assert_eq!(missing.len(), 5, "{missing:?}");
        let partial = missing_aspects("铝型材", "目标：强度提高 15%，预算 20 万元");
        let names: Vec<&str> = partial.iter().map(|(zh, _)| *zh).collect();
        assert_eq!(names, ["现状", "约束条件", "时间要求"]);
    }
}
