//! Answers without an account: `/answer/{token}` from a mail.
//!
//! A GET only shows the proposal and a form (mail scanners and link previews fetch links; they
//! must change nothing, and nothing here submits itself). Only a POST to the same address acts,
//! with `decision=accept|decline`, `reason=` (a decline reason code, required on decline) and
//! `note=`. A used, expired or closed link shows a page saying so and changes nothing.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use labbridge_app::proposals::{AnswerForm, AnswerView, LetterLang, LinkState};
use labbridge_app::{Error, ErrorKind};
use labbridge_domain::proposal::{DeclineReason, Party, ProposalStatus};
use serde::Deserialize;

use crate::AppState;
use crate::api::{ApiForm, ApiQuery};
use crate::error::ApiError;
use crate::pages::{Lang, render};

/// The words of the answer page.
pub struct AnswerTexts {
    html_lang: &'static str,
    title: &'static str,
    other_language: &'static str,
    other_lang_code: &'static str,
    search: &'static str,
    your_answer: &'static str,
    accept: &'static str,
    decline: &'static str,
    reason_label: &'static str,
    choose_reason: &'static str,
    note_label: &'static str,
    submit: &'static str,
}

const ZH: AnswerTexts = AnswerTexts {
    html_lang: "zh-CN",
    title: "合作建议答复 · labbridge",
    other_language: "English",
    other_lang_code: "en",
    search: "找专家",
    your_answer: "您的答复",
    accept: "接受，愿意合作",
    decline: "谢绝",
    reason_label: "谢绝原因（谢绝时必选）",
    choose_reason: "请选择",
    note_label: "补充说明（可选）",
    submit: "提交答复",
};

const EN: AnswerTexts = AnswerTexts {
    html_lang: "en",
    title: "Your answer · labbridge",
    other_language: "中文",
    other_lang_code: "zh",
    search: "Find experts",
    your_answer: "Your answer",
    accept: "Accept: I am willing to work with them",
    decline: "Decline",
    reason_label: "Reason (required to decline)",
    choose_reason: "Choose one",
    note_label: "Anything to add (optional)",
    submit: "Send answer",
};

#[derive(Template)]
#[template(path = "answer.html")]
struct AnswerPage<'a> {
    t: &'a AnswerTexts,
    lang: &'a str,
    token: String,
    heading: String,
    message: Option<String>,
    message_class: &'static str,
    facts: Vec<(String, String)>,
    open: bool,
    reasons: Vec<(&'static str, &'static str)>,
    consent: &'static str,
    decision: String,
    reason: String,
    note: String,
}

/// Query of the answer page.
#[derive(Debug, Default, Deserialize)]
pub struct AnswerQuery {
    lang: Option<Lang>,
}

/// The answer form as posted.
#[derive(Debug, Deserialize)]
pub struct PostedAnswer {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
    lang: Option<Lang>,
}

fn chosen_lang(asked: Option<Lang>, view: Option<&AnswerView>) -> Lang {
    asked.unwrap_or(match view.map(|view| view.lang) {
        Some(LetterLang::En) => Lang::En,
        _ => Lang::Zh,
    })
}

fn state_message(view: &AnswerView, lang: Lang, just_answered: bool) -> (String, &'static str) {
    let status = view.status;
    let answered = match (status, lang) {
        (
            ProposalStatus::AcceptedByPartner | ProposalStatus::Accepted | ProposalStatus::Active,
            Lang::Zh,
        ) => "您已接受这条合作建议，谢谢！我们会尽快与您联系。".to_owned(),
        (
            ProposalStatus::AcceptedByPartner | ProposalStatus::Accepted | ProposalStatus::Active,
            Lang::En,
        ) => "You accepted this proposal. Thank you — we will be in touch.".to_owned(),
        (ProposalStatus::DeclinedByPartner | ProposalStatus::DeclinedByEnterprise, Lang::Zh) => {
            "您已谢绝这条合作建议，感谢您告知原因。".to_owned()
        }
        (ProposalStatus::DeclinedByPartner | ProposalStatus::DeclinedByEnterprise, Lang::En) => {
            "You declined this proposal. Thank you for telling us why.".to_owned()
        }
        (_, Lang::Zh) => format!("这条建议当前状态：{}。", status.label()),
        (_, Lang::En) => format!("This proposal is now: {}.", status.label_en()),
    };
    match view.state {
        LinkState::Open => (String::new(), "notice"),
        LinkState::Used if just_answered => (answered, "notice"),
        LinkState::Used => (
            match lang {
                Lang::Zh => format!("这个链接已经用过，无法再次提交。{answered}"),
                Lang::En => format!("This link has been used already and cannot be used again. {answered}"),
            },
            "error",
        ),
        LinkState::Expired => (
            match lang {
                Lang::Zh => "这个链接已过期，答复未被记录。如仍有意合作，请联系科技局。".to_owned(),
                Lang::En => "This link has expired; nothing was recorded. If you are still interested, please contact the bureau.".to_owned(),
            },
            "error",
        ),
        LinkState::Closed => (
            match lang {
                Lang::Zh => format!("这条建议已不再等待您的答复，答复未被记录。当前状态：{}。", status.label()),
                Lang::En => format!("This proposal no longer waits for your answer; nothing was recorded. It is now: {}.", status.label_en()),
            },
            "error",
        ),
    }
}

fn facts_rows(view: &AnswerView, lang: Lang) -> Vec<(String, String)> {
    let facts = &view.facts;
    let zh = lang == Lang::Zh;
    let mut rows = vec![
        (
            if zh { "企业" } else { "Enterprise" }.to_owned(),
            format!("{}（{}，{}）", facts.enterprise, facts.town, facts.industry),
        ),
        (
            if zh {
                "技术需求"
            } else {
                "Technical needs"
            }
            .to_owned(),
            if facts.needs.is_empty() {
                facts.products.clone()
            } else {
                facts.needs.join("；")
            },
        ),
        (
            if zh {
                "建议合作方"
            } else {
                "Proposed partner"
            }
            .to_owned(),
            format!("{}（{}）", facts.partner, facts.institution),
        ),
    ];
    if !facts.matched_terms.is_empty() {
        rows.push((
            if zh { "匹配依据" } else { "Matched on" }.to_owned(),
            facts.matched_terms.join("、"),
        ));
    }
    let closes: Vec<&str> = facts
        .closes
        .iter()
        .map(|code| match (code.as_str(), zh) {
            ("A", true) => "产学研合作",
            ("B", true) => "研发机构和研发人员",
            ("A", false) => "university cooperation",
            ("B", false) => "R&D institution with staff",
            _ => "",
        })
        .collect();
    if !closes.is_empty() {
        rows.push((
            if zh {
                "可补齐的覆盖"
            } else {
                "Would close"
            }
            .to_owned(),
            closes.join("、"),
        ));
    }
    rows.push((
        if zh {
            "链接有效期至"
        } else {
            "Link valid until"
        }
        .to_owned(),
        labbridge_app::proposals::china_day(view.expires_at).to_string(),
    ));
    rows
}

fn page(
    token: &str,
    view: &AnswerView,
    lang: Lang,
    just_answered: bool,
    error: Option<String>,
    form: (&str, &str, &str),
) -> Result<Response, ApiError> {
    let t = match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    };
    let (state_text, state_class) = state_message(view, lang, just_answered);
    let (message, message_class) = match error {
        Some(error) => (Some(error), "error"),
        None => ((!state_text.is_empty()).then_some(state_text), state_class),
    };
    let heading = match (view.party, lang) {
        (Party::Partner, Lang::Zh) => format!("关于{}的产学研合作建议", view.facts.enterprise),
        (Party::Partner, Lang::En) => {
            format!("A research partnership with {}", view.facts.enterprise)
        }
        (Party::Enterprise, Lang::Zh) => format!("{}愿与贵公司合作，请确认", view.facts.partner),
        (Party::Enterprise, Lang::En) => {
            format!("{} would like to work with you", view.facts.partner)
        }
    };
    let consent = match (view.party, lang) {
        (Party::Partner, Lang::Zh) => {
            "接受即表示您同意科技局将您的姓名、单位和联系方式提供给该企业（《个人信息保护法》第二十三条）。"
        }
        (Party::Partner, Lang::En) => {
            "By accepting you agree that the bureau gives your name, institution and contact to the enterprise (PIPL art. 23)."
        }
        (Party::Enterprise, Lang::Zh) => "双方均接受后，科技局会把双方的联系方式发给彼此。",
        (Party::Enterprise, Lang::En) => {
            "Once both sides accept, the bureau sends each side the other's contact."
        }
    };
    let reasons = DeclineReason::ALL
        .iter()
        .map(|reason| {
            (
                reason.code(),
                if lang == Lang::Zh {
                    reason.label()
                } else {
                    reason.label_en()
                },
            )
        })
        .collect();
    let mut response = render(&AnswerPage {
        t,
        lang: lang.code(),
        token: token.to_owned(),
        heading,
        message,
        message_class,
        facts: facts_rows(view, lang),
        open: view.state == LinkState::Open,
        reasons,
        consent,
        decision: form.0.to_owned(),
        reason: form.1.to_owned(),
        note: form.2.to_owned(),
    })?;
    if view.state != LinkState::Open && !just_answered {
        *response.status_mut() = StatusCode::GONE;
    }
    Ok(response)
}

/// A page for an unknown link (no proposal to show).
fn unknown_link(error: Error, lang: Lang) -> Result<Response, ApiError> {
    if error.kind() != ErrorKind::NotFound {
        return Err(ApiError::from(error));
    }
    let message = match lang {
        Lang::Zh => "这个答复链接无效：请检查链接是否完整，或联系科技局。",
        Lang::En => {
            "This answer link is not valid: check that it is complete, or contact the bureau."
        }
    };
    let t = match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    };
    let mut response = render(&MessagePage {
        t,
        lang: lang.code(),
        heading: if lang == Lang::Zh {
            "链接无效"
        } else {
            "Link not valid"
        },
        message,
    })?;
    *response.status_mut() = StatusCode::NOT_FOUND;
    Ok(response)
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    t: &'a AnswerTexts,
    lang: &'a str,
    heading: &'a str,
    message: &'a str,
}

/// GET: shows the proposal and the form; changes nothing.
pub async fn answer_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ApiQuery(query): ApiQuery<AnswerQuery>,
) -> Result<Response, ApiError> {
    match state.app.answer_view(&token).await {
        Ok(view) => {
            let lang = chosen_lang(query.lang, Some(&view));
            page(&token, &view, lang, false, None, ("", "", ""))
        }
        Err(error) => unknown_link(error, query.lang.unwrap_or_default()),
    }
}

/// POST: takes the answer once.
pub async fn answer(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ApiForm(posted): ApiForm<PostedAnswer>,
) -> Result<Response, ApiError> {
    let view = match state.app.answer_view(&token).await {
        Ok(view) => view,
        Err(error) => return unknown_link(error, posted.lang.unwrap_or_default()),
    };
    let lang = chosen_lang(posted.lang, Some(&view));
    if view.state != LinkState::Open {
        return page(&token, &view, lang, false, None, ("", "", ""));
    }
    let form = AnswerForm {
        decision: posted.decision.clone(),
        reason: posted.reason.clone(),
        note: posted.note.clone(),
    };
    let answer = match form.validate() {
        Ok(answer) => answer,
        Err(error) => {
            let mut response = page(
                &token,
                &view,
                lang,
                false,
                Some(error.to_string()),
                (&posted.decision, &posted.reason, &posted.note),
            )?;
            *response.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(response);
        }
    };
    let after = state.app.answer(&token, &answer).await?;
    tracing::info!(status = %after.status, party = %after.party, "answer taken");
    page(&token, &after, lang, true, None, ("", "", ""))
}
