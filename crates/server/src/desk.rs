//! The bureau's desk beyond the list: approve and reject (checked rows, or every row shown),
//! a proposal's page with its timeline, mail and the forms that move it (withdraw, undo an
//! exclusion, the enterprise's answer taken by phone, the partnership's evidence), and the
//! outbox page with failed mail, the SMTP server's answer and a retry.
//!
//! Every handler checks the staff session first; the use cases record the login in each
//! event, so the timeline says who did what.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use labbridge_app::matching::Reasons;
use labbridge_app::proposals::{Actor, AnswerForm, Evidence, ProposalDetail};
use labbridge_domain::model::{Level, PartnershipKind};
use labbridge_domain::proposal::{DeclineReason, ProposalAction, ProposalStatus};
use serde::Deserialize;

use crate::AppState;
use crate::api::{ApiForm, ApiQuery};
use crate::auth::DeskPage;
use crate::error::ApiError;
use crate::pages::{Lang, render};
use crate::staff::{
    Shown, StaffTexts, View, gap_label, proposals_response, reason_label, status_label, texts,
};

/// The desk's words in one language.
pub struct DeskTexts {
    back: &'static str,
    actions: &'static str,
    reason: &'static str,
    approve: &'static str,
    reject: &'static str,
    withdraw: &'static str,
    unexclude: &'static str,
    enterprise_answer: &'static str,
    decision: &'static str,
    accept: &'static str,
    decline: &'static str,
    decline_reason: &'static str,
    note: &'static str,
    record: &'static str,
    evidence: &'static str,
    evidence_intro: &'static str,
    kind: &'static str,
    contract_number: &'static str,
    registration_number: &'static str,
    valid_from: &'static str,
    valid_to: &'static str,
    centre_level: &'static str,
    centre_number: &'static str,
    centre_recognized_on: &'static str,
    centre_review_due: &'static str,
    rd_staff: &'static str,
    timeline: &'static str,
    when: &'static str,
    from: &'static str,
    to: &'static str,
    who: &'static str,
    why: &'static str,
    mail: &'static str,
    no_mail: &'static str,
    recipient: &'static str,
    subject: &'static str,
    mail_status: &'static str,
    server_answer: &'static str,
    retry: &'static str,
    outbox: &'static str,
    no_smtp: &'static str,
    attempts: &'static str,
}

const ZH: DeskTexts = DeskTexts {
    back: "返回匹配建议",
    actions: "操作",
    reason: "原因",
    approve: "批准并发送",
    reject: "驳回",
    withdraw: "撤回",
    unexclude: "撤销排除",
    enterprise_answer: "登记企业答复（电话或当面）",
    decision: "答复",
    accept: "接受",
    decline: "谢绝",
    decline_reason: "谢绝原因",
    note: "说明",
    record: "登记",
    evidence: "登记合作凭证",
    evidence_intro: "双方均已接受。登记合同或平台后，合作即生效并计入“产学研合作”覆盖；共建研发中心填写认定信息后，同时计入“研发机构和研发人员”。",
    kind: "合作形式",
    contract_number: "合同编号",
    registration_number: "技术合同登记号",
    valid_from: "起始日期",
    valid_to: "截止日期",
    centre_level: "研发中心认定级别",
    centre_number: "认定编号",
    centre_recognized_on: "认定日期",
    centre_review_due: "复审日期",
    rd_staff: "研发人员数",
    timeline: "时间线",
    when: "时间",
    from: "原状态",
    to: "新状态",
    who: "操作人",
    why: "原因",
    mail: "邮件",
    no_mail: "没有邮件。",
    recipient: "收件人",
    subject: "主题",
    mail_status: "状态",
    server_answer: "邮件服务器答复",
    retry: "重新发送",
    outbox: "邮件发送",
    no_smtp: "尚未配置邮件服务器（LABBRIDGE_SMTP_URL）：邮件在队列中等待，配置后自动发送。",
    attempts: "尝试次数",
};

const EN: DeskTexts = DeskTexts {
    back: "Back to proposals",
    actions: "Actions",
    reason: "Reason",
    approve: "Approve and send",
    reject: "Reject",
    withdraw: "Withdraw",
    unexclude: "Undo exclusion",
    enterprise_answer: "Record the enterprise's answer (phone, in person)",
    decision: "Answer",
    accept: "Accept",
    decline: "Decline",
    decline_reason: "Decline reason",
    note: "Note",
    record: "Record",
    evidence: "Record the partnership's evidence",
    evidence_intro: "Both sides accepted. Once the contract or platform is recorded the partnership is active and counts for cooperation coverage; a joint R&D centre with its recognition also counts for the R&D institution coverage.",
    kind: "Form",
    contract_number: "Contract number",
    registration_number: "Technology contract registration number",
    valid_from: "From",
    valid_to: "To",
    centre_level: "Centre recognition level",
    centre_number: "Recognition number",
    centre_recognized_on: "Recognised on",
    centre_review_due: "Review due",
    rd_staff: "R&D staff",
    timeline: "Timeline",
    when: "When",
    from: "From",
    to: "To",
    who: "Who",
    why: "Why",
    mail: "Mail",
    no_mail: "No mail.",
    recipient: "To",
    subject: "Subject",
    mail_status: "Status",
    server_answer: "Mail server's answer",
    retry: "Retry",
    outbox: "Mail",
    no_smtp: "No mail server is configured (LABBRIDGE_SMTP_URL): mail waits in the queue and goes out once one is.",
    attempts: "Attempts",
};

fn desk_texts(lang: Lang) -> &'static DeskTexts {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

fn mail_status_label(status: &str, lang: Lang) -> &'static str {
    match (status, lang) {
        ("pending", Lang::Zh) => "待发送",
        ("sent", Lang::Zh) => "已送达服务器",
        ("dead", Lang::Zh) => "发送失败",
        ("pending", Lang::En) => "pending",
        ("sent", Lang::En) => "sent",
        ("dead", Lang::En) => "failed",
        _ => "",
    }
}

/// The bulk form of the proposals list, with repeated `id` and `page_id` fields.
#[derive(Debug, Default)]
struct DecideForm {
    action: String,
    ids: Vec<i64>,
    page_ids: Vec<i64>,
    reason: String,
    lang: Lang,
    status: Option<String>,
    town: Option<String>,
    q: Option<String>,
}

impl DecideForm {
    fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let mut form = Self::default();
        for (key, value) in form_urlencoded::parse(body) {
            let number = || {
                value.trim().parse::<i64>().map_err(|_| {
                    ApiError::invalid(format!("{key}: '{value}' is not a proposal id"))
                })
            };
            match key.as_ref() {
                "action" => form.action = value.into_owned(),
                "id" => form.ids.push(number()?),
                "page_id" => form.page_ids.push(number()?),
                "reason" => form.reason = value.into_owned(),
                "lang" => form.lang = if value == "en" { Lang::En } else { Lang::Zh },
                "status" => form.status = Some(value.into_owned()),
                "town" => form.town = Some(value.into_owned()),
                "q" => form.q = Some(value.into_owned()),
                _ => {}
            }
        }
        if form.ids.len() + form.page_ids.len() > 10_000 {
            return Err(ApiError::invalid("at most 10,000 proposals at once"));
        }
        Ok(form)
    }
}

/// Approves or rejects the checked proposals, or approves every proposal shown.
pub async fn decide(
    State(state): State<AppState>,
    desk: DeskPage,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = DecideForm::parse(&body)?;
    let account = desk.account.clone();
    let lang = form.lang;
    let zh = lang == Lang::Zh;
    let actor = Actor::staff(&account.login);
    let view = View::new(
        lang,
        form.status.as_deref(),
        form.town.as_deref(),
        form.q.as_deref(),
        None,
    );
    let (ids, approving) = match form.action.as_str() {
        "approve" => (form.ids.clone(), true),
        "approve_page" => (form.page_ids.clone(), true),
        "reject" => (form.ids.clone(), false),
        other => {
            return Err(ApiError::invalid(format!(
                "action '{other}' is not approve, approve_page or reject"
            )));
        }
    };
    let shown = |notice: Option<String>, error: Option<String>| Shown {
        excluded: None,
        notice,
        error,
        form: Default::default(),
    };
    if ids.is_empty() {
        let message = if zh {
            "请先勾选要处理的建议。"
        } else {
            "Check the proposals first."
        };
        return proposals_response(&state, account, view, shown(None, Some(message.to_owned())))
            .await;
    }
    let mut done = 0;
    let mut skipped: Vec<String> = Vec::new();
    if approving {
        let outcome = state.app.approve(&ids, &actor).await?;
        done = outcome.done.len();
        skipped.extend(outcome.skipped.into_iter().map(|skip| skip.reason));
    } else {
        if form.reason.trim().is_empty() {
            let message = if zh {
                "驳回需要填写原因。"
            } else {
                "A rejection needs a reason."
            };
            return proposals_response(
                &state,
                account,
                view,
                shown(None, Some(message.to_owned())),
            )
            .await;
        }
        for id in &ids {
            match state
                .app
                .staff_action(*id, ProposalAction::Reject, Some(&form.reason), &actor)
                .await
            {
                Ok(_) => done += 1,
                Err(error)
                    if error.kind() != labbridge_app::ErrorKind::Unavailable
                        && error.kind() != labbridge_app::ErrorKind::Internal =>
                {
                    skipped.push(error.to_string())
                }
                Err(error) => return Err(ApiError::from(error)),
            }
        }
    }
    tracing::info!(login = %account.login, action = %form.action, done, skipped = skipped.len(), "proposals decided");
    let verb = match (approving, zh) {
        (true, true) => "已批准",
        (false, true) => "已驳回",
        (true, false) => "Approved",
        (false, false) => "Rejected",
    };
    let mut notice = if zh {
        format!(
            "{verb} {done} 条建议{}。",
            if approving {
                "，邮件已排入发送队列"
            } else {
                ""
            }
        )
    } else {
        format!(
            "{verb} {done} proposals{}.",
            if approving {
                "; their mail is queued"
            } else {
                ""
            }
        )
    };
    if !skipped.is_empty() {
        notice.push_str(&if zh {
            format!(
                " 未处理 {} 条：{}",
                skipped.len(),
                skipped
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("；")
            )
        } else {
            format!(
                " {} left alone: {}",
                skipped.len(),
                skipped
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        });
    }
    proposals_response(&state, account, view, shown(Some(notice), None)).await
}

/// One row of the timeline.
pub struct EventRow {
    at: String,
    from: String,
    to: String,
    to_code: String,
    who: String,
    why: String,
}

/// One row of a mail table.
pub struct MailRow {
    id: i64,
    recipient: String,
    subject: String,
    status: String,
    status_label: &'static str,
    attempts: i32,
    last_error: String,
    dead: bool,
    proposal_href: Option<String>,
}

impl MailRow {
    fn of(mail: labbridge_app::proposals::MailView, lang: Lang) -> Self {
        let suffix = if lang == Lang::En { "?lang=en" } else { "" };
        Self {
            id: mail.id,
            status_label: mail_status_label(&mail.status, lang),
            dead: mail.status == "dead",
            recipient: mail.recipient,
            subject: mail.subject,
            status: mail.status,
            attempts: mail.attempts,
            last_error: mail.last_error.unwrap_or_default(),
            proposal_href: mail
                .proposal_id
                .map(|id| format!("/staff/proposals/{id}{suffix}")),
        }
    }
}

#[derive(Template)]
#[template(path = "proposal.html")]
struct ProposalPage<'a> {
    t: &'a StaffTexts,
    d: &'a DeskTexts,
    lang: &'a str,
    id: i64,
    heading: String,
    notice: Option<String>,
    error: Option<String>,
    facts: Vec<(String, String)>,
    can_approve: bool,
    can_reject: bool,
    can_withdraw: bool,
    can_unexclude: bool,
    awaits_enterprise: bool,
    accepted: bool,
    reasons: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    levels: Vec<(&'static str, &'static str)>,
    today: String,
    events: Vec<EventRow>,
    mail: Vec<MailRow>,
}

pub(crate) fn china_time(at: chrono::DateTime<chrono::Utc>) -> String {
    (at + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn proposal_view(
    detail: ProposalDetail,
    lang: Lang,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let zh = lang == Lang::Zh;
    let proposal = &detail.proposal;
    let status = ProposalStatus::parse(&proposal.status).unwrap_or(ProposalStatus::Proposed);
    let reasons: Reasons = serde_json::from_value(proposal.reasons.clone()).unwrap_or_default();
    let label = |zh_text: &str, en_text: &str| {
        if zh {
            zh_text.to_owned()
        } else {
            en_text.to_owned()
        }
    };
    let mut facts = vec![
        (
            label("企业", "Enterprise"),
            format!(
                "{}（{}，{}）",
                proposal.enterprise, proposal.enterprise_id, proposal.town
            ),
        ),
        (
            label("合作方", "Partner"),
            format!("{}（{}）", proposal.partner, proposal.institution),
        ),
        (
            label("缺口", "Gap"),
            gap_label(&proposal.gap, lang).to_owned(),
        ),
        (label("匹配度", "Score"), format!("{:.2}", proposal.score)),
        (
            label("匹配依据", "Matched terms"),
            reasons.matched_terms.join("、"),
        ),
        (
            label("状态", "Status"),
            status_label(&proposal.status, lang),
        ),
    ];
    if let Some(bridge) = &reasons.bridge {
        facts.push((
            label("行业与学科", "Industry and discipline"),
            bridge.clone(),
        ));
    }
    let decline = reason_label(proposal.decline_reason.as_deref(), lang);
    if !decline.is_empty() {
        facts.push((label("谢绝原因", "Decline reason"), decline));
    }
    if let Some(note) = &proposal.note {
        facts.push((label("说明", "Note"), note.clone()));
    }
    if let Some(partnership) = &proposal.partnership_id {
        facts.push((label("合作记录", "Partnership"), partnership.clone()));
    }
    let events = detail
        .events
        .iter()
        .map(|event| EventRow {
            at: china_time(event.at),
            from: event
                .from
                .as_deref()
                .map(|code| status_label(code, lang))
                .unwrap_or_default(),
            to: status_label(&event.to, lang),
            to_code: event.to.clone(),
            who: format!(
                "{}{}",
                labbridge_domain::proposal::ActorKind::parse(&event.actor_kind)
                    .map(|kind| if zh { kind.label() } else { kind.label_en() })
                    .unwrap_or_default(),
                if event.actor.is_empty() {
                    String::new()
                } else {
                    format!(" {}", event.actor)
                }
            ),
            why: event.reason.clone().unwrap_or_default(),
        })
        .collect();
    let allows =
        |action: ProposalAction| labbridge_domain::proposal::transition(status, action).is_ok();
    let page = ProposalPage {
        t: texts(lang),
        d: desk_texts(lang),
        lang: lang.code(),
        id: proposal.id,
        heading: format!("{} — {}", proposal.enterprise, proposal.partner),
        notice,
        error,
        facts,
        can_approve: allows(ProposalAction::Approve),
        can_reject: allows(ProposalAction::Reject),
        can_withdraw: allows(ProposalAction::Withdraw),
        can_unexclude: allows(ProposalAction::Unexclude),
        awaits_enterprise: status == ProposalStatus::AcceptedByPartner,
        accepted: status == ProposalStatus::Accepted,
        reasons: DeclineReason::ALL
            .iter()
            .map(|reason| {
                (
                    reason.code(),
                    if zh {
                        reason.label()
                    } else {
                        reason.label_en()
                    },
                )
            })
            .collect(),
        kinds: PartnershipKind::ALL
            .iter()
            .map(|kind| (kind.code(), kind.label()))
            .collect(),
        levels: Level::ALL
            .iter()
            .map(|level| (level.code(), level.label()))
            .collect(),
        today: labbridge_app::today().to_string(),
        events,
        mail: detail
            .mail
            .into_iter()
            .map(|mail| MailRow::of(mail, lang))
            .collect(),
    };
    let failed = page.error.is_some();
    let mut response = render(&page)?;
    if failed {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// Query of a proposal's page.
#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    #[serde(default)]
    lang: Lang,
    done: Option<String>,
}

fn done_notice(done: Option<&str>, lang: Lang) -> Option<String> {
    let zh = lang == Lang::Zh;
    done.map(|done| match (done, zh) {
        ("approve", true) => "已批准，邮件已排入发送队列。".to_owned(),
        ("approve", false) => "Approved; the mail is queued.".to_owned(),
        ("evidence", true) => "合作凭证已登记，合作生效，覆盖情况已更新。".to_owned(),
        ("evidence", false) => {
            "Evidence recorded: the partnership is active and coverage is updated.".to_owned()
        }
        ("answer", true) => "企业答复已登记。".to_owned(),
        ("answer", false) => "The enterprise's answer is recorded.".to_owned(),
        (_, true) => "已完成。".to_owned(),
        (_, false) => "Done.".to_owned(),
    })
}

/// A proposal's page: facts, timeline, mail, and the forms that move it.
pub async fn proposal_page(
    State(state): State<AppState>,
    _desk: DeskPage,
    Path(id): Path<i64>,
    ApiQuery(query): ApiQuery<DetailQuery>,
) -> Result<Response, ApiError> {
    let detail = state.app.proposal_detail(id).await?;
    proposal_view(
        detail,
        query.lang,
        done_notice(query.done.as_deref(), query.lang),
        None,
    )
}

async fn after_change(
    state: &AppState,
    id: i64,
    lang: Lang,
    result: Result<&'static str, labbridge_app::Error>,
) -> Result<Response, ApiError> {
    match result {
        Ok(done) => Ok(Redirect::to(&format!(
            "/staff/proposals/{id}?lang={}&done={done}",
            lang.code()
        ))
        .into_response()),
        Err(error) => {
            let error = ApiError::from(error);
            if error.status().is_server_error() {
                return Err(error);
            }
            let detail = state.app.proposal_detail(id).await?;
            proposal_view(detail, lang, None, Some(error.message().to_owned()))
        }
    }
}

/// The action form of a proposal's page.
#[derive(Debug, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    lang: Lang,
    /// `list` to go back to the list (the undo button there).
    back: Option<String>,
}

/// Approves, rejects, withdraws or undoes the exclusion of one proposal.
pub async fn proposal_action(
    State(state): State<AppState>,
    desk: DeskPage,
    Path(id): Path<i64>,
    ApiForm(form): ApiForm<ActionForm>,
) -> Result<Response, ApiError> {
    let account = desk.account.clone();
    let actor = Actor::staff(&account.login);
    let result = match form.action.as_str() {
        "approve" => match state.app.approve(&[id], &actor).await {
            Ok(outcome) => match outcome.skipped.first() {
                Some(skip) => Err(labbridge_app::Error::Conflict(skip.reason.clone())),
                None => Ok("approve"),
            },
            Err(error) => Err(error),
        },
        other => {
            let action = match other {
                "reject" => ProposalAction::Reject,
                "withdraw" => ProposalAction::Withdraw,
                "unexclude" => ProposalAction::Unexclude,
                _ => {
                    return Err(ApiError::invalid(format!(
                        "action '{other}' is not approve, reject, withdraw or unexclude"
                    )));
                }
            };
            state
                .app
                .staff_action(id, action, Some(&form.reason), &actor)
                .await
                .map(|_| "action")
        }
    };
    tracing::info!(login = %account.login, id, action = %form.action, ok = result.is_ok(), "proposal action");
    if form.back.as_deref() == Some("list") && result.is_ok() {
        let href = format!("/staff/proposals?lang={}&status=excluded", form.lang.code());
        return Ok(Redirect::to(&href).into_response());
    }
    after_change(&state, id, form.lang, result).await
}

/// The enterprise's answer as staff record it.
#[derive(Debug, Deserialize)]
pub struct StaffAnswerForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    lang: Lang,
}

/// Records the enterprise's answer taken by phone or in person.
pub async fn enterprise_answer(
    State(state): State<AppState>,
    desk: DeskPage,
    Path(id): Path<i64>,
    ApiForm(form): ApiForm<StaffAnswerForm>,
) -> Result<Response, ApiError> {
    let account = desk.account.clone();
    let answer = AnswerForm {
        decision: form.decision,
        reason: form.reason,
        note: form.note,
    }
    .validate();
    let result = match answer {
        Ok(answer) => state
            .app
            .record_enterprise_answer(id, &answer, &Actor::staff(&account.login))
            .await
            .map(|_| "answer"),
        Err(error) => Err(error),
    };
    after_change(&state, id, form.lang, result).await
}

/// The evidence form.
#[derive(Debug, Deserialize)]
pub struct EvidenceForm {
    #[serde(default)]
    kind: String,
    contract_number: Option<String>,
    registration_number: Option<String>,
    #[serde(default)]
    valid_from: String,
    valid_to: Option<String>,
    centre_level: Option<String>,
    centre_number: Option<String>,
    centre_recognized_on: Option<String>,
    centre_review_due: Option<String>,
    rd_staff: Option<String>,
    #[serde(default)]
    lang: Lang,
}

/// Records the partnership's evidence; coverage counts it at once.
pub async fn record_evidence(
    State(state): State<AppState>,
    desk: DeskPage,
    Path(id): Path<i64>,
    ApiForm(form): ApiForm<EvidenceForm>,
) -> Result<Response, ApiError> {
    let account = desk.account.clone();
    let rd_staff = match form
        .rd_staff
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        None => Ok(None),
        Some(raw) => raw.parse::<u32>().map(Some).map_err(|_| {
            labbridge_app::Error::Invalid(format!("rd_staff: '{raw}' is not a number"))
        }),
    };
    let result = match rd_staff {
        Ok(rd_staff) => {
            let evidence = Evidence {
                kind: form.kind,
                contract_number: form.contract_number,
                registration_number: form.registration_number,
                valid_from: form.valid_from,
                valid_to: form.valid_to,
                centre_level: form.centre_level,
                centre_number: form.centre_number,
                centre_recognized_on: form.centre_recognized_on,
                centre_review_due: form.centre_review_due,
                rd_staff,
            };
            state
                .app
                .record_evidence(id, &evidence, &Actor::staff(&account.login))
                .await
                .map(|_| "evidence")
        }
        Err(error) => Err(error),
    };
    tracing::info!(login = %account.login, id, ok = result.is_ok(), "evidence recorded");
    after_change(&state, id, form.lang, result).await
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage<'a> {
    t: &'a StaffTexts,
    d: &'a DeskTexts,
    lang: &'a str,
    notice: Option<String>,
    error: Option<String>,
    smtp_configured: bool,
    counts: Vec<(&'static str, u64, &'static str)>,
    tabs: Vec<(&'static str, String, bool)>,
    mail: Vec<MailRow>,
    switch: String,
}

/// Query of the outbox page.
#[derive(Debug, Default, Deserialize)]
pub struct OutboxQuery {
    #[serde(default)]
    lang: Lang,
    status: Option<String>,
    retried: Option<i64>,
}

async fn outbox_response(
    state: &AppState,
    query: OutboxQuery,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let lang = query.lang;
    let status = query
        .status
        .as_deref()
        .filter(|status| ["pending", "sent", "dead"].contains(status))
        .unwrap_or("dead");
    let mail = state.app.mail(Some(status), 500).await?;
    let counts = state
        .app
        .store
        .mail_counts()
        .await
        .map_err(labbridge_app::Error::from)?
        .into_iter()
        .map(|(status, count)| (mail_status_label(status.code(), lang), count, status.code()))
        .collect();
    let tabs = ["dead", "pending", "sent"]
        .into_iter()
        .map(|code| {
            (
                mail_status_label(code, lang),
                format!("/staff/outbox?lang={}&status={code}", lang.code()),
                code == status,
            )
        })
        .collect();
    let notice = query.retried.map(|id| {
        if lang == Lang::Zh {
            format!("邮件 #{id} 已重新排入发送队列。")
        } else {
            format!("Mail #{id} is queued again.")
        }
    });
    let failed = error.is_some();
    let mut response = render(&OutboxPage {
        switch: crate::pages::switch_href(lang, &[("status", query.status.as_deref())]),
        t: texts(lang),
        d: desk_texts(lang),
        lang: lang.code(),
        notice,
        error,
        smtp_configured: state
            .app
            .settings
            .smtp_url
            .as_deref()
            .is_some_and(|url| !url.trim().is_empty()),
        counts,
        tabs,
        mail: mail
            .into_iter()
            .map(|mail| MailRow::of(mail, lang))
            .collect(),
    })?;
    if failed {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// The outbox page: failed mail first, with the server's answer and a retry.
pub async fn outbox_page(
    State(state): State<AppState>,
    _desk: DeskPage,
    ApiQuery(query): ApiQuery<OutboxQuery>,
) -> Result<Response, ApiError> {
    outbox_response(&state, query, None).await
}

/// The retry form.
#[derive(Debug, Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    lang: Lang,
}

/// Queues a failed mail again.
pub async fn retry_mail(
    State(state): State<AppState>,
    desk: DeskPage,
    Path(id): Path<i64>,
    ApiForm(form): ApiForm<RetryForm>,
) -> Result<Response, ApiError> {
    let account = desk.account.clone();
    match state.app.retry_mail(id).await {
        Ok(_) => {
            tracing::info!(login = %account.login, id, "mail queued again");
            Ok(Redirect::to(&format!(
                "/staff/outbox?lang={}&status=pending&retried={id}",
                form.lang.code()
            ))
            .into_response())
        }
        Err(error) => {
            let error = ApiError::from(error);
            if error.status().is_server_error() {
                return Err(error);
            }
            let query = OutboxQuery {
                lang: form.lang,
                status: None,
                retried: None,
            };
            outbox_response(&state, query, Some(error.message().to_owned())).await
        }
    }
}
