//! The bureau's pages: sign-in, and the matcher's proposals with exclusions.
//!
//! Pages use a session cookie (see `labbridge_app::accounts`); the JSON API keeps the bearer
//! token. The cookie is `HttpOnly` and `SameSite=Lax`, so a form on another site can neither
//! read it nor send it with a POST — every state-changing request here is a same-site POST.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use labbridge_app::accounts::{Account, Role, SESSION_HOURS, SIGN_IN_WINDOW_MINUTES, SignIn};
use labbridge_app::matching::{Exclusion, Reasons, StoredProposal};
use labbridge_domain::proposal::{DeclineReason, GapCode, ProposalStatus};
use labbridge_store::accounts::AuditLine;
use labbridge_store::{DeskQuery, DeskTab};
use serde::Deserialize;

use crate::AppState;
use crate::api::{ApiForm, ApiQuery};
use crate::auth::{ClientAddress, DeskPage};
use crate::error::ApiError;
use crate::pages::{Lang, render};

/// The session cookie's name.
pub const COOKIE: &str = "labbridge_session";

/// The longest login accepted; longer ones are refused before anything is looked up, so the
/// rate limiters' keys stay small.
pub const MAX_LOGIN_CHARS: usize = 64;
/// The longest password accepted (argon2 hashes any length; a megabyte would only waste time).
pub const MAX_PASSWORD_CHARS: usize = 256;

type Limiter = governor::RateLimiter<
    String,
    governor::state::keyed::HashMapStateStore<String>,
    governor::clock::DefaultClock,
>;

/// Sign-in rate limits of this process, in front of the registry-held lock-out: per address
/// (a flood from one machine) and per login (many machines guessing one login). They slow
/// down; they never lock anyone out. Their keys are bounded (addresses; logins of at most
/// [`MAX_LOGIN_CHARS`]) and idle keys are dropped now and then.
#[derive(Debug)]
pub struct SignInLimits {
    by_address: Limiter,
    by_login: Limiter,
    calls: std::sync::atomic::AtomicU64,
}

impl Default for SignInLimits {
    fn default() -> Self {
        // 30 attempts a minute from one address (a bureau behind one NAT signs in at nine),
        // 20 a minute for one login; both allow the whole minute's worth at once.
        let per_minute = |count: u32| {
            governor::Quota::per_minute(
                std::num::NonZeroU32::new(count).unwrap_or(std::num::NonZeroU32::MIN),
            )
        };
        Self {
            by_address: governor::RateLimiter::hashmap(per_minute(30)),
            by_login: governor::RateLimiter::hashmap(per_minute(20)),
            calls: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

impl SignInLimits {
    /// Whether an attempt for `login` from `address` may go ahead now.
    pub fn admit(&self, login: &str, address: &str) -> bool {
        let calls = self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if calls % 1024 == 1023 {
            for limiter in [&self.by_address, &self.by_login] {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
        self.by_address.check_key(&address.to_owned()).is_ok()
            && self
                .by_login
                .check_key(&login.trim().to_lowercase())
                .is_ok()
    }
}

/// The words of the staff pages in one language.
pub struct StaffTexts {
    pub(crate) html_lang: &'static str,
    pub(crate) title: &'static str,
    pub(crate) other_language: &'static str,
    pub(crate) other_lang_code: &'static str,
    pub(crate) search: &'static str,
    login_heading: &'static str,
    login_intro: &'static str,
    login_label: &'static str,
    password_label: &'static str,
    sign_in: &'static str,
    wrong: &'static str,
    missing_credentials: &'static str,
    locked: &'static str,
    busy: &'static str,
    too_long: &'static str,
    heading: &'static str,
    signed_in_as: &'static str,
    sign_out: &'static str,
    all: &'static str,
    enterprise: &'static str,
    gap: &'static str,
    partner: &'static str,
    score: &'static str,
    reasons: &'static str,
    status: &'static str,
    action: &'static str,
    exclude: &'static str,
    reason_placeholder: &'static str,
    excluded_notice: &'static str,
    never_again: &'static str,
    manual_heading: &'static str,
    manual_intro: &'static str,
    enterprise_id: &'static str,
    partner_kind: &'static str,
    partner_id: &'static str,
    lab: &'static str,
    expert: &'static str,
    empty: &'static str,
    empty_filtered: &'static str,
    closes: &'static str,
    town: &'static str,
    all_towns: &'static str,
    filter: &'static str,
    filter_placeholder: &'static str,
    shown: &'static str,
    previous: &'static str,
    next: &'static str,
}

const ZH: StaffTexts = StaffTexts {
    html_lang: "zh-CN",
    title: "科技局工作台 · labbridge",
    other_language: "English",
    other_lang_code: "en",
    search: "找专家",
    login_heading: "登录",
    login_intro: "科技局工作人员和企业用户请用分配的账号登录；专家无需账号，请使用邮件中的链接答复。",
    login_label: "账号",
    password_label: "密码",
    sign_in: "登录",
    wrong: "账号或密码不正确。",
    missing_credentials: "请输入账号和密码。",
    locked: "该账号登录失败次数过多，请 15 分钟后再试。",
    busy: "登录请求过多，请稍候几秒再试。",
    too_long: "账号或密码过长。",
    heading: "匹配建议",
    signed_in_as: "当前用户",
    sign_out: "退出登录",
    all: "全部",
    enterprise: "企业",
    gap: "缺口",
    partner: "建议合作方",
    score: "匹配度",
    reasons: "理由",
    status: "状态",
    action: "操作",
    exclude: "排除",
    reason_placeholder: "原因，如：利益冲突",
    excluded_notice: "已排除",
    never_again: "今后的匹配不会再推荐这一对。",
    manual_heading: "排除一对企业与合作方",
    manual_intro: "利益冲突、以往纠纷等：填写企业编号和合作方编号，该组合将不再被推荐；尚在“待审”的建议随即撤回。",
    enterprise_id: "企业编号",
    partner_kind: "合作方类型",
    partner_id: "合作方编号",
    lab: "实验室",
    expert: "专家",
    empty: "还没有匹配建议。请在“运行匹配”页面启动一次匹配。",
    empty_filtered: "没有符合当前筛选条件的建议。可以换个状态、镇街或清除筛选。",
    closes: "可补",
    town: "镇街",
    all_towns: "全部镇街",
    filter: "筛选",
    filter_placeholder: "企业或合作方名称",
    shown: "条，当前显示",
    previous: "上一页",
    next: "下一页",
};

const EN: StaffTexts = StaffTexts {
    html_lang: "en",
    title: "Bureau desk · labbridge",
    other_language: "中文",
    other_lang_code: "zh",
    search: "Find experts",
    login_heading: "Sign in",
    login_intro: "Bureau staff and enterprise users sign in with the account they were given; experts need no account and answer through the link in their mail.",
    login_label: "Login",
    password_label: "Password",
    sign_in: "Sign in",
    wrong: "Wrong login or password.",
    missing_credentials: "Enter your login and password.",
    locked: "Too many failed sign-ins for this login; try again in 15 minutes.",
    busy: "Too many sign-ins at the moment; try again in a few seconds.",
    too_long: "The login or password is too long.",
    heading: "Partnership proposals",
    signed_in_as: "Signed in as",
    sign_out: "Sign out",
    all: "All",
    enterprise: "Enterprise",
    gap: "Gap",
    partner: "Proposed partner",
    score: "Score",
    reasons: "Why",
    status: "Status",
    action: "Action",
    exclude: "Exclude",
    reason_placeholder: "Reason, e.g. conflict of interest",
    excluded_notice: "Excluded",
    never_again: "The matcher will not propose this pair again.",
    manual_heading: "Exclude an enterprise–partner pair",
    manual_intro: "A conflict of interest, a past dispute: give the enterprise's and the partner's ids; the pair is never proposed again, and a proposal of it still awaiting review is withdrawn.",
    enterprise_id: "Enterprise id",
    partner_kind: "Partner kind",
    partner_id: "Partner id",
    lab: "Lab",
    expert: "Expert",
    empty: "No proposals yet. Start a run on the “Run the matcher” page.",
    empty_filtered: "No proposal matches these filters. Try another status or town, or clear the filters.",
    closes: "closes",
    town: "Town",
    all_towns: "All towns",
    filter: "Filter",
    filter_placeholder: "Enterprise or partner name",
    shown: "proposals; showing",
    previous: "Previous",
    next: "Next",
};

/// Tabs that are not a status: proposals nobody answers, and declines for staff follow-up.
pub const SILENT: &str = "silent";
/// See [`SILENT`].
pub const FOLLOW_UP: &str = "follow_up";

fn is_tab(code: &str) -> bool {
    code == SILENT || code == FOLLOW_UP || ProposalStatus::parse(code).is_ok()
}

pub(crate) fn texts(lang: Lang) -> &'static StaffTexts {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

pub(crate) fn status_label(status: &str, lang: Lang) -> String {
    match (ProposalStatus::parse(status), lang, status) {
        (_, Lang::Zh, SILENT) => "无回复".to_owned(),
        (_, Lang::En, SILENT) => "silent".to_owned(),
        (_, Lang::Zh, FOLLOW_UP) => "需求待跟进".to_owned(),
        (_, Lang::En, FOLLOW_UP) => "need follow-up".to_owned(),
        (Ok(parsed), Lang::Zh, _) => parsed.label().to_owned(),
        (Ok(parsed), Lang::En, _) => parsed.label_en().to_owned(),
        (Err(_), _, other) => other.to_owned(),
    }
}

pub(crate) fn gap_label(gap: &str, lang: Lang) -> &'static str {
    match (GapCode::parse(gap), lang) {
        (Ok(code), Lang::Zh) => code.label(),
        (Ok(code), Lang::En) => code.label_en(),
        (Err(_), _) => "",
    }
}

pub(crate) fn reason_label(code: Option<&str>, lang: Lang) -> String {
    match (code.map(DeclineReason::parse), lang) {
        (Some(Ok(reason)), Lang::Zh) => reason.label().to_owned(),
        (Some(Ok(reason)), Lang::En) => reason.label_en().to_owned(),
        _ => String::new(),
    }
}

/// Where to go after signing in: only a path on this site (the role's home when none).
fn safe_next(next: Option<&str>) -> Option<String> {
    match next.map(str::trim) {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            Some(path.to_owned())
        }
        _ => None,
    }
}

/// Where a person goes after signing in: the page asked for when the role may open it, else
/// the role's home (the portal for an enterprise user, the desk for the bureau).
fn destination(next: Option<&str>, role: Role, lang: Lang) -> String {
    let home = match role {
        Role::Enterprise => "/portal",
        Role::Auditor | Role::Admin | Role::Staff => "/staff/proposals",
    };
    let fits = |path: &str| match role {
        Role::Enterprise => !path.starts_with("/staff"),
        _ => !path.starts_with("/portal"),
    };
    match safe_next(next) {
        Some(path) if fits(&path) && path != "/" => path,
        _ if lang == Lang::En => format!("{home}?lang=en"),
        _ => home.to_owned(),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    t: &'a StaffTexts,
    lang: &'a str,
    next: String,
    login: String,
    error: Option<&'static str>,
}

/// Query of the sign-in page.
#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    lang: Lang,
    next: Option<String>,
}

/// The sign-in page.
pub async fn login_page(ApiQuery(query): ApiQuery<LoginQuery>) -> Result<Response, ApiError> {
    render(&LoginPage {
        t: texts(query.lang),
        lang: query.lang.code(),
        next: safe_next(query.next.as_deref()).unwrap_or_default(),
        login: String::new(),
        error: None,
    })
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
    #[serde(default)]
    lang: Lang,
}

/// Signs in: a session cookie and a redirect on success, the form again (401) otherwise. Every
/// attempt is in the audit log.
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiForm(form): ApiForm<LoginForm>,
) -> Result<Response, ApiError> {
    let t = texts(form.lang);
    let next = safe_next(form.next.as_deref()).unwrap_or_default();
    let failure = |error: &'static str, status: StatusCode| -> Result<Response, ApiError> {
        let mut response = render(&LoginPage {
            t,
            lang: form.lang.code(),
            next: next.clone(),
            login: form.login.chars().take(64).collect(),
            error: Some(error),
        })?;
        *response.status_mut() = status;
        Ok(response)
    };
    let audit = |outcome: &str, role: &str, detail: &str| AuditLine {
        actor: form.login.chars().take(64).collect(),
        role: role.to_owned(),
        address: address.clone(),
        action: "sign_in".to_owned(),
        target: form.login.chars().take(64).collect(),
        outcome: outcome.to_owned(),
        detail: detail.to_owned(),
    };
    if form.login.trim().is_empty() || form.password.is_empty() {
        return failure(t.missing_credentials, StatusCode::BAD_REQUEST);
    }
    if form.login.chars().count() > MAX_LOGIN_CHARS
        || form.password.chars().count() > MAX_PASSWORD_CHARS
    {
        return failure(t.too_long, StatusCode::BAD_REQUEST);
    }
    // Every 429 says when to come back: a second when busy, the window when locked.
    let too_many = |error: &'static str, retry_after_secs: i64| {
        let mut response = failure(error, StatusCode::TOO_MANY_REQUESTS)?;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        Ok::<_, ApiError>(response)
    };
    if !state.sign_in_limits.admit(&form.login, &address) {
        return too_many(t.busy, 2);
    }
    let outcome = match state
        .app
        .sign_in_from(&form.login, &form.password, &address)
        .await
    {
        Err(error) if error.kind() == labbridge_app::ErrorKind::Busy => {
            return too_many(t.busy, 1);
        }
        other => other?,
    };
    let (token, account) = match outcome {
        SignIn::Ok { token, account } => (token, account),
        SignIn::Locked => {
            tracing::warn!(login = %form.login, %address, "sign-in refused: too many failures");
            state
                .app
                .audit(audit("refused", "-", "too many failures"))
                .await?;
            return too_many(t.locked, SIGN_IN_WINDOW_MINUTES * 60);
        }
        SignIn::Wrong => {
            state
                .app
                .audit(audit("failed", "-", "wrong login or password"))
                .await?;
            return failure(t.wrong, StatusCode::UNAUTHORIZED);
        }
    };
    state
        .app
        .audit(audit("ok", account.role.code(), ""))
        .await?;
    tracing::info!(login = %account.login, role = account.role.code(), "signed in");
    let cookie = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        SESSION_HOURS * 3600,
        secure(&state)
    );
    let mut response =
        Redirect::to(&destination(form.next.as_deref(), account.role, form.lang)).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| ApiError::internal())?,
    );
    Ok(response)
}

fn secure(state: &AppState) -> &'static str {
    if state.app.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

/// Signs out: ends the session and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = crate::auth::session_cookie(&headers) {
        state.app.sign_out(&token).await?;
    }
    let mut response = Redirect::to("/").into_response();
    let cookie = format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        secure(&state)
    );
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| ApiError::internal())?,
    );
    Ok(response)
}

/// One row of the proposals table.
pub struct ProposalRow {
    id: i64,
    enterprise_id: String,
    enterprise: String,
    gap: &'static str,
    partner_kind: String,
    kind_label: &'static str,
    partner_id: String,
    partner: String,
    partner_href: String,
    score: String,
    terms: String,
    closes: String,
    status: String,
    status_label: String,
    proposed: bool,
    institution: String,
    detail_href: String,
    note: String,
    decline: String,
    excluded: bool,
}

/// A status tab.
pub struct StatusTab {
    href: String,
    label: String,
    count: usize,
    active: bool,
}

#[derive(Template)]
#[template(path = "proposals.html")]
struct ProposalsPage<'a> {
    t: &'a StaffTexts,
    lang: &'a str,
    account: Account,
    status: String,
    town: String,
    q: String,
    towns: Vec<String>,
    tabs: Vec<StatusTab>,
    rows: Vec<ProposalRow>,
    shown_from: usize,
    shown_to: usize,
    matching: usize,
    previous_href: Option<String>,
    next_href: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    form_enterprise: String,
    form_kind: String,
    form_partner: String,
    has_any: bool,
    switch: String,
}

/// Query of the proposals page.
#[derive(Debug, Default, Deserialize)]
pub struct ProposalsQuery {
    #[serde(default)]
    lang: Lang,
    status: Option<String>,
    town: Option<String>,
    q: Option<String>,
    page: Option<usize>,
    excluded: Option<i64>,
}

/// Rows per page.
const PAGE_ROWS: usize = 200;

/// What the proposals page shows: language, status tab, town, text filter, page.
#[derive(Debug, Clone, Default)]
pub(crate) struct View {
    lang: Lang,
    status: Option<String>,
    town: Option<String>,
    q: Option<String>,
    page: usize,
}

impl View {
    pub(crate) fn new(
        lang: Lang,
        status: Option<&str>,
        town: Option<&str>,
        q: Option<&str>,
        page: Option<usize>,
    ) -> Self {
        let clean = |value: Option<&str>| {
            value
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        Self {
            lang,
            status: clean(status).filter(|status| is_tab(status)),
            town: clean(town),
            q: clean(q),
            page: page.unwrap_or(1).max(1),
        }
    }

    /// The page's address with a status and page number (town and text filter kept).
    pub(crate) fn href(&self, status: Option<&str>, page: usize) -> String {
        let mut href = format!("/staff/proposals?lang={}", self.lang.code());
        for (key, value) in [
            ("status", status),
            ("town", self.town.as_deref()),
            ("q", self.q.as_deref()),
        ] {
            if let Some(value) = value {
                href.push_str(&format!("&{key}={}", crate::pages::encode(value)));
            }
        }
        if page > 1 {
            href.push_str(&format!("&page={page}"));
        }
        href
    }
}

fn proposal_row(proposal: StoredProposal, lang: Lang) -> ProposalRow {
    let t = texts(lang);
    let reasons: Reasons = serde_json::from_value(proposal.reasons.clone()).unwrap_or_default();
    let (kind_label, path) = if proposal.partner_kind == "lab" {
        (t.lab, "labs")
    } else {
        (t.expert, "experts")
    };
    let suffix = if lang == Lang::En { "?lang=en" } else { "" };
    ProposalRow {
        id: proposal.id,
        gap: gap_label(&proposal.gap, lang),
        kind_label,
        partner_href: format!(
            "/{path}/{}{suffix}",
            crate::pages::encode(&proposal.partner_id)
        ),
        score: format!("{:.2}", proposal.score),
        terms: reasons.matched_terms.join("、"),
        closes: reasons
            .closes
            .iter()
            .map(|code| match (code.as_str(), lang) {
                ("A", Lang::Zh) => "产学研合作",
                ("B", Lang::Zh) => "研发机构和人员",
                ("A", Lang::En) => "cooperation",
                ("B", Lang::En) => "R&D institution",
                (other, _) => other,
            })
            .collect::<Vec<_>>()
            .join("、"),
        status_label: status_label(&proposal.status, lang),
        proposed: proposal.status == ProposalStatus::Proposed.code(),
        excluded: proposal.status == ProposalStatus::Excluded.code(),
        institution: proposal.institution.clone(),
        detail_href: format!("/staff/proposals/{}{suffix}", proposal.id),
        note: proposal.note.clone().unwrap_or_default(),
        decline: reason_label(proposal.decline_reason.as_deref(), lang),
        status: proposal.status,
        enterprise_id: proposal.enterprise_id,
        enterprise: proposal.enterprise,
        partner_kind: proposal.partner_kind,
        partner_id: proposal.partner_id,
        partner: proposal.partner,
    }
}

pub(crate) struct Shown {
    /// The id of the proposal just excluded, for a notice naming it.
    pub(crate) excluded: Option<i64>,
    /// A notice to show (what a bulk action did).
    pub(crate) notice: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) form: (String, String, String),
}

pub(crate) async fn proposals_response(
    state: &AppState,
    account: Account,
    view: View,
    shown: Shown,
) -> Result<Response, ApiError> {
    let lang = view.lang;
    let notice = match shown.excluded {
        Some(id) => state
            .app
            .stored_proposal(id)
            .await?
            .filter(|row| row.status == ProposalStatus::Excluded.code())
            .map(|row| {
                let t = texts(lang);
                format!(
                    "{}：{} — {}。{}",
                    t.excluded_notice, row.enterprise, row.partner, t.never_again
                )
            }),
        None => None,
    }
    .or(shown.notice);
    let query = DeskQuery {
        town: view.town.clone(),
        text: view.q.clone(),
        silent_before: chrono::Utc::now()
            - chrono::Duration::days(i64::from(state.app.settings.remind_after_days)),
    };
    let tab = view.status.as_deref().map(|status| match status {
        SILENT => DeskTab::Silent,
        FOLLOW_UP => DeskTab::FollowUp,
        status => DeskTab::Status(status.to_owned()),
    });
    // The page asked for, or the last one when the list shrank under a link.
    let mut page = view.page.max(1);
    let offset = |page: usize| u64::try_from((page - 1) * PAGE_ROWS).unwrap_or(u64::MAX);
    let limit = u64::try_from(PAGE_ROWS).unwrap_or(200);
    let mut desk = state
        .app
        .desk(&query, tab.as_ref(), offset(page), limit)
        .await?;
    let matching = usize::try_from(desk.matching).unwrap_or(usize::MAX);
    let pages = matching.div_ceil(PAGE_ROWS).max(1);
    if page > pages {
        page = pages;
        desk = state
            .app
            .desk(&query, tab.as_ref(), offset(page), limit)
            .await?;
    }
    let first = (page - 1) * PAGE_ROWS;
    let towns = desk.towns;
    let counts = desk.counts;
    let count_of = |status: &str| -> usize {
        let count = match status {
            SILENT => counts.silent,
            FOLLOW_UP => counts.follow_up,
            status => counts
                .by_status
                .iter()
                .find(|(code, _)| code == status)
                .map_or(0, |(_, count)| *count),
        };
        usize::try_from(count).unwrap_or(usize::MAX)
    };
    let mut tabs = vec![StatusTab {
        href: view.href(None, 1),
        label: texts(lang).all.to_owned(),
        count: usize::try_from(counts.all).unwrap_or(usize::MAX),
        active: view.status.is_none(),
    }];
    let candidates = ProposalStatus::ALL
        .iter()
        .map(|status| status.code())
        .chain([SILENT, FOLLOW_UP]);
    for candidate in candidates {
        let count = count_of(candidate);
        let active = view.status.as_deref() == Some(candidate);
        // Always the review tab; the others when they hold something (or are open).
        if count == 0 && !active && candidate != ProposalStatus::Proposed.code() {
            continue;
        }
        tabs.push(StatusTab {
            href: view.href(Some(candidate), 1),
            label: status_label(candidate, lang),
            count,
            active,
        });
    }
    let rows: Vec<ProposalRow> = desk
        .rows
        .into_iter()
        .map(|row| proposal_row(row, lang))
        .collect();
    let error_status = shown.error.is_some();
    // A filter that hides everything says so; only an empty desk says to run the matcher.
    let has_any = view.town.is_some()
        || view.q.is_some()
        || view.status.is_some()
        || tabs.iter().any(|tab| tab.count > 0);
    let switch = View {
        lang: lang.other(),
        ..view.clone()
    }
    .href(view.status.as_deref(), view.page);
    let page_view = ProposalsPage {
        switch,
        has_any,
        t: texts(lang),
        lang: lang.code(),
        account,
        status: view.status.clone().unwrap_or_default(),
        town: view.town.clone().unwrap_or_default(),
        q: view.q.clone().unwrap_or_default(),
        towns,
        tabs,
        shown_from: if rows.is_empty() { 0 } else { first + 1 },
        shown_to: first + rows.len(),
        rows,
        matching,
        previous_href: (page > 1).then(|| view.href(view.status.as_deref(), page - 1)),
        next_href: (page < pages).then(|| view.href(view.status.as_deref(), page + 1)),
        notice,
        error: shown.error,
        form_enterprise: shown.form.0,
        form_kind: shown.form.1,
        form_partner: shown.form.2,
    };
    let mut response = render(&page_view)?;
    if error_status {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// The sign-in page, coming back to `next` (a path on this site) afterwards.
pub(crate) fn login_then(lang: Lang, next: &str) -> Response {
    Redirect::to(&format!(
        "/login?lang={}&next={}",
        lang.code(),
        crate::pages::encode(next)
    ))
    .into_response()
}

/// The proposals page (staff): every proposal with its reasons, by status, with exclusion.
pub async fn proposals_page(
    State(state): State<AppState>,
    desk: DeskPage,
    ApiQuery(query): ApiQuery<ProposalsQuery>,
) -> Result<Response, ApiError> {
    let account = desk.account.clone();
    let view = View::new(
        query.lang,
        query.status.as_deref(),
        query.town.as_deref(),
        query.q.as_deref(),
        query.page,
    );
    proposals_response(
        &state,
        account,
        view,
        Shown {
            excluded: query.excluded,
            notice: None,
            error: None,
            form: Default::default(),
        },
    )
    .await
}

/// The exclusion form.
#[derive(Debug, Deserialize)]
pub struct ExcludeForm {
    #[serde(default)]
    enterprise_id: String,
    #[serde(default)]
    partner_kind: String,
    #[serde(default)]
    partner_id: String,
    reason: Option<String>,
    #[serde(default)]
    lang: Lang,
    status: Option<String>,
    town: Option<String>,
    q: Option<String>,
}

/// Excludes a pair (staff), then shows the list again with a notice.
pub async fn exclude(
    State(state): State<AppState>,
    desk: DeskPage,
    ApiForm(form): ApiForm<ExcludeForm>,
) -> Result<Response, ApiError> {
    let account = desk.account.clone();
    let exclusion = Exclusion {
        enterprise_id: form.enterprise_id.clone(),
        partner_kind: form.partner_kind.clone(),
        partner_id: form.partner_id.clone(),
        reason: form.reason.clone(),
    };
    let view = View::new(
        form.lang,
        form.status.as_deref(),
        form.town.as_deref(),
        form.q.as_deref(),
        None,
    );
    // Who excluded the pair is kept with the reason (and in the proposal's timeline).
    let actor = labbridge_app::proposals::Actor::staff(&account.login);
    match state.app.exclude(&exclusion, &actor).await {
        Ok((row, _)) => {
            tracing::info!(login = %account.login, enterprise = %row.enterprise_id, partner = %row.partner_id, "pair excluded");
            let href = format!(
                "{}&excluded={}",
                view.href(view.status.as_deref(), 1),
                row.id
            );
            Ok(Redirect::to(&href).into_response())
        }
        Err(error) => {
            let error = ApiError::from(error);
            if error.status().is_server_error() {
                return Err(error);
            }
            proposals_response(
                &state,
                account,
                view,
                Shown {
                    excluded: None,
                    notice: None,
                    error: Some(error.message().to_owned()),
                    form: (form.enterprise_id, form.partner_kind, form.partner_id),
                },
            )
            .await
        }
    }
}
