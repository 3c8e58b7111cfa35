//! The enterprise portal: an enterprise user's own coverage, needs, proposals and partnerships,
//! and the same over `/api/v1` for its scripts.
//!
//! Every page takes an [`EnterpriseSession`], so an enterprise user only ever sees the enterprise
//! it is bound to; ids in URLs are checked against it and another enterprise's need or proposal
//! is answered with a 404 that does not say whether it exists. Partners' e-mail addresses appear
//! only once the partner has accepted the proposal (PIPL art. 23: the expert agreed to share).

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use labbridge_app::dashboard::GapView;
use labbridge_app::matching::{Reasons, StoredProposal};
use labbridge_app::portal::{EXAMPLE_NEED, FieldProblem, NeedInput, missing_aspects, need_kinds};
use labbridge_app::proposals::{Actor, AnswerForm};
use labbridge_domain::coverage::Gap;
use labbridge_domain::model::PartnershipKind;
use labbridge_domain::proposal::{DeclineReason, ProposalStatus};
use labbridge_store::entity::need;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::{ApiQuery, readable_proposal};
use crate::auth::{Caller, EnterpriseSession};
use crate::error::{ApiError, ErrorBody};
use crate::pages::{Lang, encode, page_href, render};

/// What the portal's pages share: language, the switch, who is signed in.
pub struct PortalFrame {
    lang: &'static str,
    en: bool,
    html_lang: &'static str,
    switch_href: String,
    other_language: &'static str,
    enterprise: String,
    user: String,
}

impl PortalFrame {
    fn new(lang: Lang, path: &str, session: &EnterpriseSession, enterprise: &str) -> Self {
        Self {
            lang: lang.code(),
            en: lang == Lang::En,
            html_lang: if lang == Lang::En { "en" } else { "zh-CN" },
            switch_href: page_href(path, lang.other(), &[]),
            other_language: if lang == Lang::En {
                "中文"
            } else {
                "English"
            },
            enterprise: enterprise.to_owned(),
            user: session.account.display_name.clone(),
        }
    }

    /// Chinese or English.
    pub fn tr<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.en { en } else { zh }
    }
}

/// Query of the portal's pages.
#[derive(Debug, Default, Deserialize)]
pub struct PortalQuery {
    #[serde(default)]
    lang: Lang,
    saved: Option<String>,
    answered: Option<i64>,
}

/// What would close a gap, in plain words.
fn remedy(gap: Gap, en: bool) -> &'static str {
    match (gap, en) {
        (Gap::NoCooperation | Gap::CooperationExpired | Gap::CooperationNotStarted, false) => {
            "与高校、科研院所或专家签订产学研合作协议（技术开发、技术服务、共建平台等），合同在科技局登记后即计入。可在“对接建议”中答复科技局推荐的合作方。"
        }
        (Gap::NoCooperation | Gap::CooperationExpired | Gap::CooperationNotStarted, true) => {
            "Sign a cooperation agreement with a university, institute or expert (joint development, technical service, a joint platform); it counts once the contract is registered with the bureau. Answer the partners the bureau proposes under Proposals."
        }
        (Gap::NoInstitution, false) => {
            "建立企业研发机构（如企业技术中心、工程技术研究中心）并申请认定，同时配备研发人员。"
        }
        (Gap::NoInstitution, true) => {
            "Set up an R&D institution (an enterprise technology centre, an engineering research centre), have it recognised, and staff it."
        }
        (Gap::InstitutionLapsed, false) => "按期提交研发机构复审材料，复审通过后即恢复。",
        (Gap::InstitutionLapsed, true) => {
            "Submit the R&D institution's review; it counts again once the review passes."
        }
        (Gap::InstitutionNotYetRecognized, false) => {
            "研发机构认定生效后即计入；如有疑问请联系科技局。"
        }
        (Gap::InstitutionNotYetRecognized, true) => {
            "It counts once the recognition takes effect; ask the bureau if in doubt."
        }
        (Gap::NoRdStaff, false) => "配备研发人员，并在统计报表中如实填报研发人员数。",
        (Gap::NoRdStaff, true) => "Employ R&D staff and report their number in the statistics.",
    }
}

/// A gap on the home page.
pub struct GapRow {
    coverage: &'static str,
    reason: String,
    since: String,
    remedy: &'static str,
}

/// A row of a small table: cells in order.
pub struct Cells {
    cells: Vec<String>,
    href: Option<String>,
}

#[derive(Template)]
#[template(path = "portal_home.html")]
struct HomePage {
    f: PortalFrame,
    cooperation: bool,
    institution_and_staff: bool,
    gaps: Vec<GapRow>,
    partnerships: Vec<Cells>,
    needs: Vec<Cells>,
    waiting: usize,
    notice: Option<String>,
}

fn gap_rows(gaps: &[GapView], en: bool) -> Vec<GapRow> {
    gaps.iter()
        .map(|gap| GapRow {
            coverage: match (gap.coverage, en) {
                ("cooperation", false) => "产学研合作",
                ("cooperation", true) => "University cooperation",
                (_, false) => "研发机构和研发人员",
                (_, true) => "R&D institution and staff",
            },
            reason: if en {
                gap.reason_en.clone()
            } else {
                gap.reason.clone()
            },
            since: gap.since.map(|day| day.to_string()).unwrap_or_default(),
            remedy: remedy(gap.code, en),
        })
        .collect()
}

fn need_kind_label(code: Option<&str>, en: bool) -> String {
    let Some(code) = code else {
        return String::new();
    };
    match labbridge_domain::model::NeedKind::parse(code) {
        Ok(kind) if en => kind.code().to_owned(),
        Ok(kind) => kind.label().to_owned(),
        Err(_) => code.to_owned(),
    }
}

fn need_status_label(code: &str, en: bool) -> String {
    match labbridge_domain::model::NeedStatus::parse(code) {
        Ok(status) if en => status.code().replace('_', " "),
        Ok(status) => status.label().to_owned(),
        Err(_) => code.to_owned(),
    }
}

/// The enterprise's home: its two coverages, what it lacks and why, what would close it, its
/// partnerships, needs and proposals awaiting its answer.
pub async fn home(
    State(state): State<AppState>,
    session: EnterpriseSession,
    ApiQuery(query): ApiQuery<PortalQuery>,
) -> Result<Response, ApiError> {
    let lang = query.lang;
    let en = lang == Lang::En;
    let today = labbridge_app::today();
    let Some((file, assessment, gaps)) = state
        .app
        .enterprise_file(&session.enterprise_id, today)
        .await?
    else {
        return Err(ApiError::not_found(
            "your enterprise is not in the registry",
        ));
    };
    let f = PortalFrame::new(lang, "/portal", &session, &file.entry.enterprise.name);
    let suffix = if en { "?lang=en" } else { "" };
    let names = state
        .app
        .partner_names(
            file.entry
                .partnerships
                .iter()
                .map(|row| (row.partner_kind.clone(), row.partner.clone()))
                .collect(),
        )
        .await?;
    let partnerships = file
        .entry
        .partnerships
        .iter()
        .map(|row| Cells {
            cells: vec![
                match PartnershipKind::parse(&row.kind) {
                    Ok(kind) if en => kind.code().replace('_', " "),
                    Ok(kind) => kind.label().to_owned(),
                    Err(_) => row.kind.clone(),
                },
                names
                    .get(&(row.partner_kind.clone(), row.partner.clone()))
                    .cloned()
                    .unwrap_or_else(|| row.partner.clone()),
                row.valid_from.to_string(),
                row.valid_to.map(|day| day.to_string()).unwrap_or_default(),
                [
                    row.contract_number.clone(),
                    row.registration_number.clone(),
                    row.evidence.clone(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
            ],
            href: None,
        })
        .collect();
    let needs = file
        .needs
        .iter()
        .map(|need| Cells {
            cells: vec![
                need.title.clone(),
                need_kind_label(need.kind.as_deref(), en),
                need_status_label(&need.status, en),
                if need.confidential {
                    f.tr("保密", "confidential").to_owned()
                } else {
                    String::new()
                },
            ],
            href: Some(format!("/portal/needs/{}{suffix}", encode(&need.id))),
        })
        .collect();
    let waiting = file
        .proposals
        .iter()
        .filter(|row| row.status == ProposalStatus::AcceptedByPartner.code())
        .count();
    let notice = query
        .answered
        .map(|id| format!("{} #{id}", f.tr("已答复建议", "Answered proposal")));
    render(&HomePage {
        cooperation: assessment.cooperation,
        institution_and_staff: assessment.institution_and_staff,
        gaps: gap_rows(&gaps, en),
        partnerships,
        needs,
        waiting,
        notice,
        f,
    })
}

/// The need form's state.
#[derive(Template)]
#[template(path = "portal_need.html")]
struct NeedPage {
    f: PortalFrame,
    id: Option<String>,
    input: NeedInput,
    fields: Vec<String>,
    kinds: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, String)>,
    vocabulary: Vec<String>,
    example: &'static str,
    missing: Vec<&'static str>,
    problems: Vec<FieldProblem>,
    helpers: Vec<Helper>,
    preview: bool,
    notice: Option<String>,
}

impl NeedPage {
    /// The problem of a field, in the page's language.
    fn problem(&self, field: &str) -> String {
        self.problems
            .iter()
            .filter(|problem| problem.field == field)
            .map(|problem| {
                if self.f.en {
                    problem.reason_en.clone()
                } else {
                    problem.reason.clone()
                }
            })
            .collect::<Vec<_>>()
            .join("；")
    }

    /// Problems of fields the form does not show (the enterprise reference, say).
    fn other_problems(&self) -> String {
        self.problems
            .iter()
            .filter(|problem| {
                !["title", "description", "fields", "kind", "status"]
                    .contains(&problem.field.as_str())
            })
            .map(|problem| {
                if self.f.en {
                    problem.reason_en.clone()
                } else {
                    problem.reason.clone()
                }
            })
            .collect::<Vec<_>>()
            .join("；")
    }
}

/// A lab or expert who could help, with a link to the public profile.
pub struct Helper {
    name: String,
    institution: String,
    kind: &'static str,
    href: String,
    snippet: String,
}

/// Up to eight labs and experts whose profiles fit a text (the similar-to-need search).
async fn helpers_for(state: &AppState, text: &str, en: bool) -> Vec<Helper> {
    if text.trim().is_empty() || state.index.is_none() {
        return Vec::new();
    }
    let request = labbridge_search::Request {
        text: text.to_owned(),
        kinds: vec![labbridge_search::Kind::Lab, labbridge_search::Kind::Expert],
        limit: 8,
        similar: true,
        ..labbridge_search::Request::default()
    };
    let suffix = if en { "?lang=en" } else { "" };
    match state.search(request).await {
        Ok(results) => results
            .hits
            .into_iter()
            .map(|hit| {
                let (kind, path) = match hit.kind {
                    labbridge_search::Kind::Lab => (if en { "lab" } else { "实验室" }, "labs"),
                    _ => (if en { "expert" } else { "专家" }, "experts"),
                };
                Helper {
                    href: format!("/{path}/{}{suffix}", encode(&hit.id)),
                    name: hit.name,
                    institution: hit.institution.unwrap_or_default(),
                    kind,
                    snippet: hit.snippet,
                }
            })
            .collect(),
        Err(error) => {
            tracing::warn!(message = error.message(), "who-could-help search failed");
            Vec::new()
        }
    }
}

fn need_text(input: &NeedInput) -> String {
    let fields = input.fields.join(" ");
    format!(
        "{} {} {} {} {}",
        input.title, input.title, fields, fields, input.description
    )
}

fn statuses(en: bool) -> Vec<(&'static str, String)> {
    ["open", "in_progress", "solved", "closed"]
        .into_iter()
        .map(|code| (code, need_status_label(code, en)))
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn need_page(
    state: &AppState,
    session: &EnterpriseSession,
    lang: Lang,
    id: Option<String>,
    input: NeedInput,
    problems: Vec<FieldProblem>,
    preview: bool,
    notice: Option<String>,
) -> Result<Response, ApiError> {
    let en = lang == Lang::En;
    let enterprise = state
        .app
        .store
        .enterprise(&session.enterprise_id)
        .await
        .map_err(labbridge_app::Error::from)?
        .map(|row| row.name)
        .unwrap_or_default();
    let path = id.as_ref().map_or_else(
        || "/portal/needs/new".to_owned(),
        |id| format!("/portal/needs/{}", encode(id)),
    );
    let f = PortalFrame::new(lang, &path, session, &enterprise);
    let helpers = if preview || id.is_some() {
        helpers_for(state, &need_text(&input), en).await
    } else {
        Vec::new()
    };
    let missing = if input.description.trim().is_empty() && id.is_none() && !preview {
        Vec::new()
    } else {
        missing_aspects(&input.title, &input.description)
            .into_iter()
            .map(|(zh, en_name)| if en { en_name } else { zh })
            .collect()
    };
    let mut fields = input.fields.clone();
    fields.resize(fields.len().max(5), String::new());
    let vocabulary = state.field_vocabulary().await;
    let failed = !problems.is_empty();
    let mut response = render(&NeedPage {
        f,
        id,
        fields,
        input,
        kinds: need_kinds(),
        statuses: statuses(en),
        vocabulary: vocabulary.as_ref().clone(),
        example: EXAMPLE_NEED,
        missing,
        problems,
        helpers,
        preview,
        notice,
    })?;
    if failed {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// The form for a new need.
pub async fn new_need_page(
    State(state): State<AppState>,
    session: EnterpriseSession,
    ApiQuery(query): ApiQuery<PortalQuery>,
) -> Result<Response, ApiError> {
    need_page(
        &state,
        &session,
        query.lang,
        None,
        NeedInput::default(),
        Vec::new(),
        false,
        None,
    )
    .await
}

/// One of the enterprise's needs, to edit, with who could help.
pub async fn need_page_get(
    State(state): State<AppState>,
    session: EnterpriseSession,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<PortalQuery>,
) -> Result<Response, ApiError> {
    let need = own_need(&state, &session.enterprise_id, &id).await?;
    let notice = query.saved.as_ref().map(|_| {
        if query.lang == Lang::En {
            "Saved.".to_owned()
        } else {
            "已保存。".to_owned()
        }
    });
    need_page(
        &state,
        &session,
        query.lang,
        Some(id),
        input_of(&need),
        Vec::new(),
        false,
        notice,
    )
    .await
}

fn input_of(need: &need::Model) -> NeedInput {
    NeedInput {
        title: need.title.clone(),
        description: need.description.clone(),
        fields: labbridge_app::search::list_field(&need.fields),
        kind: need.kind.clone(),
        confidential: need.confidential,
        status: Some(need.status.clone()),
    }
}

/// A need of this enterprise, or a 404 that does not say whether it exists elsewhere.
async fn own_need(
    state: &AppState,
    enterprise_id: &str,
    id: &str,
) -> Result<need::Model, ApiError> {
    state
        .app
        .need(id)
        .await?
        .filter(|need| need.enterprise_id == enterprise_id)
        .ok_or_else(|| ApiError::not_found(format!("no need '{id}'")))
}

/// A need the caller may read (staff: any; an enterprise user: its own), else a 404.
pub(crate) async fn readable_need(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<need::Model, ApiError> {
    state
        .app
        .need(id)
        .await?
        .filter(|need| caller.may_read_enterprise(&need.enterprise_id))
        .ok_or_else(|| ApiError::not_found(format!("no need '{id}'")))
}

/// The need form as posted (fields repeated).
#[derive(Debug, Default)]
struct NeedForm {
    input: NeedInput,
    lang: Lang,
    preview: bool,
}

impl NeedForm {
    fn parse(body: &[u8]) -> Self {
        let mut form = Self::default();
        for (key, value) in form_urlencoded::parse(body) {
            match key.as_ref() {
                "title" => form.input.title = value.into_owned(),
                "description" => form.input.description = value.into_owned(),
                "fields" => form.input.fields.push(value.into_owned()),
                "kind" => form.input.kind = Some(value.into_owned()).filter(|v| !v.is_empty()),
                "status" => form.input.status = Some(value.into_owned()).filter(|v| !v.is_empty()),
                "confidential" => form.input.confidential = true,
                "lang" => form.lang = if value == "en" { Lang::En } else { Lang::Zh },
                "preview" => form.preview = true,
                _ => {}
            }
        }
        form.input.fields.retain(|field| !field.trim().is_empty());
        form
    }
}

/// Saves a new need, or shows the form again with who could help (preview) or what is wrong.
pub async fn create_need(
    State(state): State<AppState>,
    session: EnterpriseSession,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    save_from_form(&state, &session, None, &body).await
}

/// Saves an edited need.
pub async fn update_need(
    State(state): State<AppState>,
    session: EnterpriseSession,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    own_need(&state, &session.enterprise_id, &id).await?;
    save_from_form(&state, &session, Some(id), &body).await
}

async fn save_from_form(
    state: &AppState,
    session: &EnterpriseSession,
    id: Option<String>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let form = NeedForm::parse(body);
    if form.preview {
        return need_page(
            state,
            session,
            form.lang,
            id,
            form.input,
            Vec::new(),
            true,
            None,
        )
        .await;
    }
    match state
        .app
        .save_need(
            &session.enterprise_id,
            id.as_deref(),
            &form.input,
            &session.account.login,
        )
        .await?
    {
        Ok(saved) => {
            let suffix = if form.lang == Lang::En {
                "&lang=en"
            } else {
                ""
            };
            Ok(Redirect::to(&format!(
                "/portal/needs/{}?saved=1{suffix}",
                encode(&saved.id)
            ))
            .into_response())
        }
        Err(problems) => {
            need_page(
                state, session, form.lang, id, form.input, problems, false, None,
            )
            .await
        }
    }
}

/// A proposal on the enterprise's list.
pub struct ProposalView {
    id: i64,
    partner: String,
    partner_href: String,
    institution: String,
    gap: &'static str,
    status: String,
    terms: String,
    contact: String,
    waiting: bool,
}

#[derive(Template)]
#[template(path = "portal_proposals.html")]
struct ProposalsPage {
    f: PortalFrame,
    rows: Vec<ProposalView>,
    reasons: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

/// Statuses from which the partner has agreed, so its contact may be shown to the enterprise.
fn partner_agreed(status: &str) -> bool {
    [
        ProposalStatus::AcceptedByPartner,
        ProposalStatus::Accepted,
        ProposalStatus::Active,
    ]
    .iter()
    .any(|agreed| agreed.code() == status)
}

/// Whether the caller may see a partner's contact details: staff always; an enterprise user once
/// that partner accepted a proposal to its enterprise (PIPL art. 23); nobody else.
pub(crate) async fn contact_visible(
    state: &AppState,
    caller: &Caller,
    partner_kind: &str,
    partner_id: &str,
) -> Result<bool, ApiError> {
    if caller.reads_desk() {
        return Ok(true);
    }
    let Some(own) = caller.own_enterprise() else {
        return Ok(false);
    };
    Ok(state
        .app
        .enterprise_proposals(own)
        .await?
        .iter()
        .any(|row| {
            row.partner_kind == partner_kind
                && row.partner_id == partner_id
                && partner_agreed(&row.status)
        }))
}

/// The partner's e-mail address, when the partner agreed to the proposal.
async fn partner_contact(state: &AppState, row: &StoredProposal) -> Result<String, ApiError> {
    if !partner_agreed(&row.status) {
        return Ok(String::new());
    }
    let store = &state.app.store;
    let email = if row.partner_kind == "lab" {
        store
            .lab(&row.partner_id)
            .await
            .map_err(labbridge_app::Error::from)?
            .and_then(|lab| lab.email)
    } else {
        store
            .expert(&row.partner_id)
            .await
            .map_err(labbridge_app::Error::from)?
            .and_then(|expert| expert.email)
    };
    Ok(email.unwrap_or_default())
}

async fn proposals_response(
    state: &AppState,
    session: &EnterpriseSession,
    lang: Lang,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let en = lang == Lang::En;
    let mut rows = state
        .app
        .enterprise_proposals(&session.enterprise_id)
        .await?;
    // Proposals still under the bureau's review are the bureau's business.
    rows.retain(|row| {
        row.status != ProposalStatus::Proposed.code()
            && row.status != ProposalStatus::Excluded.code()
    });
    let enterprise = match rows.first() {
        Some(row) => row.enterprise.clone(),
        None => state
            .app
            .store
            .enterprise(&session.enterprise_id)
            .await
            .map_err(labbridge_app::Error::from)?
            .map(|enterprise| enterprise.name)
            .unwrap_or_default(),
    };
    let f = PortalFrame::new(lang, "/portal/proposals", session, &enterprise);
    let suffix = if en { "?lang=en" } else { "" };
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let reasons: Reasons = serde_json::from_value(row.reasons.clone()).unwrap_or_default();
        let contact = partner_contact(state, &row).await?;
        let path = if row.partner_kind == "lab" {
            "labs"
        } else {
            "experts"
        };
        views.push(ProposalView {
            id: row.id,
            partner_href: format!("/{path}/{}{suffix}", encode(&row.partner_id)),
            partner: row.partner.clone(),
            institution: row.institution.clone(),
            gap: crate::staff::gap_label(&row.gap, lang),
            status: crate::staff::status_label(&row.status, lang),
            terms: reasons.matched_terms.join("、"),
            contact: if contact.is_empty() && !partner_agreed(&row.status) {
                f.tr("对方接受后可见", "shown once the partner accepts")
                    .to_owned()
            } else {
                contact
            },
            waiting: row.status == ProposalStatus::AcceptedByPartner.code(),
        });
    }
    let reasons = DeclineReason::ALL
        .iter()
        .map(|reason| {
            (
                reason.code(),
                if en {
                    reason.label_en()
                } else {
                    reason.label()
                },
            )
        })
        .collect();
    let failed = error.is_some();
    let mut response = render(&ProposalsPage {
        f,
        rows: views,
        reasons,
        error,
    })?;
    if failed {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// The enterprise's proposals: the partner's public profile, the status, and for those the
/// partner accepted, the partner's address and the enterprise's answer.
pub async fn proposals_page(
    State(state): State<AppState>,
    session: EnterpriseSession,
    ApiQuery(query): ApiQuery<PortalQuery>,
) -> Result<Response, ApiError> {
    proposals_response(&state, &session, query.lang, None).await
}

/// The enterprise's answer to a proposal.
#[derive(Debug, Deserialize)]
pub struct PortalAnswer {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    lang: Lang,
}

/// Accepts or declines (with a reason code) a proposal of the enterprise.
pub async fn answer(
    State(state): State<AppState>,
    session: EnterpriseSession,
    Path(id): Path<i64>,
    crate::api::ApiForm(form): crate::api::ApiForm<PortalAnswer>,
) -> Result<Response, ApiError> {
    let caller = Caller::Person {
        account: session.account.clone(),
        form_token: None,
    };
    readable_proposal(&state, &caller, id).await?;
    let answer = AnswerForm {
        decision: form.decision,
        reason: form.reason,
        note: form.note,
    }
    .validate();
    let result = match answer {
        Ok(answer) => state
            .app
            .record_enterprise_answer(id, &answer, &Actor::enterprise(&session.account.login))
            .await
            .map(|_| ()),
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => {
            let suffix = if form.lang == Lang::En {
                "&lang=en"
            } else {
                ""
            };
            Ok(Redirect::to(&format!("/portal?answered={id}{suffix}")).into_response())
        }
        Err(error) => {
            let error = ApiError::from(error);
            if error.status().is_server_error() {
                return Err(error);
            }
            let message = if form.lang == Lang::En {
                error.message().to_owned()
            } else {
                format!("未能记录答复：{}", error.message())
            };
            proposals_response(&state, &session, form.lang, Some(message)).await
        }
    }
}

/// An enterprise as its users and the bureau read it over the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EnterpriseView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its town.
    pub town: String,
    /// Its industry chain's code.
    pub industry: String,
    /// Whether it has a university cooperation in force.
    pub cooperation: bool,
    /// Whether it has a recognised R&D institution with R&D staff.
    pub institution_and_staff: bool,
    /// What it lacks, why and since when.
    pub gaps: Vec<GapView>,
    /// Its needs.
    #[schema(value_type = Vec<Object>)]
    pub needs: Vec<need::Model>,
    /// Its partnerships with their evidence.
    #[schema(value_type = Vec<Object>)]
    pub partnerships: Vec<labbridge_store::entity::partnership::Model>,
}

#[utoipa::path(
    get,
    path = "/api/v1/enterprises/{id}",
    params(("id" = String, Path, description = "The enterprise's id")),
    responses(
        (status = 200, description = "The enterprise, its coverage, gaps, needs and partnerships", body = EnterpriseView),
        (status = 403, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such enterprise, or not yours", body = ErrorBody),
    )
)]
/// One enterprise: staff read any, an enterprise user its own.
pub async fn enterprise_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let missing = || ApiError::not_found(format!("no enterprise '{id}'"));
    if !caller.may_read_enterprise(&id) {
        return Err(missing());
    }
    let Some((file, assessment, gaps)) = state
        .app
        .enterprise_file(&id, labbridge_app::today())
        .await?
    else {
        return Err(missing());
    };
    let enterprise = file.entry.enterprise;
    Ok(Json(EnterpriseView {
        id: enterprise.id,
        name: enterprise.name,
        town: enterprise.town,
        industry: enterprise.industry,
        cooperation: assessment.cooperation,
        institution_and_staff: assessment.institution_and_staff,
        gaps,
        needs: file.needs,
        partnerships: file.entry.partnerships,
    })
    .into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/needs/{id}",
    params(("id" = String, Path, description = "The need's id")),
    responses(
        (status = 200, description = "The need"),
        (status = 403, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such need, or not yours", body = ErrorBody),
    )
)]
/// One need: staff read any, an enterprise user its own.
pub async fn need_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(readable_need(&state, &caller, &id).await?).into_response())
}

/// A need changed over the API (`PUT`): the need keeps its enterprise.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NeedRequest {
    /// The enterprise; if given, the need's own.
    #[serde(default)]
    pub enterprise: Option<String>,
    /// The need.
    #[serde(flatten)]
    pub need: NeedInput,
}

/// A new need posted over the API (`POST`); read as a [`NeedRequest`].
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // The document's shape only.
pub struct NewNeedRequest {
    /// The enterprise's id. Staff must name it; an enterprise user may leave it out (its own).
    pub enterprise: String,
    /// The need.
    #[serde(flatten)]
    pub need: NeedInput,
}

fn invalid_fields(problems: Vec<FieldProblem>) -> Response {
    let message = problems
        .iter()
        .map(|problem| problem.reason_en.clone())
        .collect::<Vec<_>>()
        .join("; ");
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(serde_json::json!({
            "code": "invalid_fields",
            "message": message,
            "problems": problems,
        })),
    )
        .into_response()
}

async fn save_from_api(
    state: &AppState,
    caller: &Caller,
    id: Option<String>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let request: NeedRequest = crate::api::parse_json(body, "need")?;
    // An edit keeps the need's enterprise; staff name it only for a new need.
    let existing = match &id {
        Some(id) => Some(readable_need(state, caller, id).await?),
        None => None,
    };
    let enterprise = match (caller.own_enterprise(), request.enterprise.as_deref()) {
        (Some(own), None) => own.to_owned(),
        (Some(own), Some(named)) if own == named => own.to_owned(),
        (Some(_), Some(_)) => {
            return Err(ApiError::forbidden(
                "an enterprise user posts its own needs only",
            ));
        }
        (None, Some(named)) => {
            if existing.is_none()
                && state
                    .app
                    .store
                    .enterprise(named)
                    .await
                    .map_err(labbridge_app::Error::from)?
                    .is_none()
            {
                return Err(ApiError::not_found(format!("no enterprise '{named}'")));
            }
            named.to_owned()
        }
        (None, None) => match &existing {
            Some(need) => need.enterprise_id.clone(),
            None => return Err(ApiError::invalid("name the enterprise: \"enterprise\"")),
        },
    };
    if !caller.may_act_for(&enterprise) {
        return Err(ApiError::forbidden(
            "you may not change this enterprise's needs",
        ));
    }
    if let Some(existing) = &existing
        && existing.enterprise_id != enterprise
    {
        return Err(ApiError::invalid(
            "a need cannot move to another enterprise",
        ));
    }
    let created = id.is_none();
    match state
        .app
        .save_need(&enterprise, id.as_deref(), &request.need, &caller.login())
        .await?
    {
        Ok(saved) => Ok((
            if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            Json(saved),
        )
            .into_response()),
        Err(problems) => Ok(invalid_fields(problems)),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/needs",
    request_body = NewNeedRequest,
    responses(
        (status = 201, description = "The need was created"),
        (status = 400, description = "Not JSON of a need, or staff did not name the enterprise", body = ErrorBody),
        (status = 403, description = "Not allowed for this enterprise", body = ErrorBody),
        (status = 404, description = "No such enterprise", body = ErrorBody),
        (status = 422, description = "Fields are wrong: {code, message, problems[{field, reason, reason_en}]}"),
    )
)]
/// Posts a need (an enterprise user for its own enterprise; staff for any).
pub async fn create_need_api(
    State(state): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    save_from_api(&state, &caller, None, &body).await
}

#[utoipa::path(
    put,
    path = "/api/v1/needs/{id}",
    params(("id" = String, Path, description = "The need's id")),
    request_body = NeedRequest,
    responses(
        (status = 200, description = "The need was saved"),
        (status = 400, description = "Not JSON of a need", body = ErrorBody),
        (status = 403, description = "Not allowed for this enterprise", body = ErrorBody),
        (status = 404, description = "No such need, or not yours", body = ErrorBody),
        (status = 422, description = "Fields are wrong"),
    )
)]
/// Changes a need.
pub async fn update_need_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    save_from_api(&state, &caller, Some(id), &body).await
}
