//! The audit log for admins and auditors: a page, paged newest first, and an export.
//!
//! 等保 2.0 level 2 asks that security-relevant events are recorded (who, when, what, from
//! where, how it ended), kept (here at least 180 days, `audit_days`), and readable by someone
//! other than those who act — hence the auditor role, which reads this and changes nothing.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use labbridge_store::entity::audit_event;
use serde::Deserialize;

use crate::AppState;
use crate::api::ApiQuery;
use crate::auth::DeskPage;
use crate::error::ApiError;
use crate::pages::{Lang, encode, page_href, render};

/// Lines per page.
const PAGE_LINES: u64 = 100;

/// Query of the audit page and export.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// `zh` (default) or `en`.
    #[serde(default)]
    #[param(value_type = Option<String>)]
    lang: Lang,
    /// Days back, 30 by default (at most the retention).
    days: Option<u32>,
    /// Only this login.
    actor: Option<String>,
    /// The page, from 1.
    page: Option<u64>,
    /// `json` (default) or `csv` (for Excel: UTF-8 with a byte-order mark).
    format: Option<String>,
}

impl AuditQuery {
    fn days(&self, state: &AppState) -> u32 {
        self.days
            .unwrap_or(30)
            .clamp(1, state.app.settings.audit_days)
    }

    fn actor(&self) -> Option<&str> {
        self.actor
            .as_deref()
            .map(str::trim)
            .filter(|actor| !actor.is_empty())
    }
}

/// A line as the page shows it.
pub struct AuditRow {
    at: String,
    actor: String,
    role: String,
    address: String,
    action: String,
    outcome: String,
    refused: bool,
    detail: String,
}

fn row_of(line: audit_event::Model) -> AuditRow {
    AuditRow {
        at: crate::desk::china_time(line.at),
        refused: line.outcome == "refused"
            || line.outcome == "failed"
            || line.outcome.starts_with('4'),
        actor: line.actor,
        role: line.role,
        address: line.address,
        action: line.action,
        outcome: line.outcome,
        detail: line.detail,
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    en: bool,
    lang: &'static str,
    switch_href: String,
    user: String,
    rows: Vec<AuditRow>,
    total: u64,
    days: u32,
    actor: String,
    retention: u32,
    export_href: String,
    previous_href: Option<String>,
    next_href: Option<String>,
}

impl AuditPage {
    fn tr<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.en { en } else { zh }
    }
}

fn href(lang: Lang, days: u32, actor: &str, page: u64) -> String {
    let mut href = format!("/staff/audit?lang={}&days={days}", lang.code());
    if !actor.is_empty() {
        href.push_str(&format!("&actor={}", encode(actor)));
    }
    if page > 1 {
        href.push_str(&format!("&page={page}"));
    }
    href
}

/// The audit page (admin, auditor).
pub async fn audit_page(
    State(state): State<AppState>,
    desk: DeskPage,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Response, ApiError> {
    let lang = query.lang;
    let days = query.days(&state);
    let actor = query.actor().unwrap_or_default().to_owned();
    let page = query.page.unwrap_or(1).max(1);
    let (lines, total) = state
        .app
        .audit_lines(days, query.actor(), (page - 1) * PAGE_LINES, PAGE_LINES)
        .await?;
    let pages = total.div_ceil(PAGE_LINES).max(1);
    let days_text = days.to_string();
    let mut export_href = format!("/api/v1/audit?format=csv&days={days}");
    if !actor.is_empty() {
        export_href.push_str(&format!("&actor={}", encode(&actor)));
    }
    render(&AuditPage {
        en: lang == Lang::En,
        lang: lang.code(),
        switch_href: page_href(
            "/staff/audit",
            lang.other(),
            &[("days", Some(&days_text)), ("actor", Some(&actor))],
        ),
        user: desk.account.display_name.clone(),
        rows: lines.into_iter().map(row_of).collect(),
        total,
        days,
        retention: state.app.settings.audit_days,
        export_href,
        previous_href: (page > 1).then(|| href(lang, days, &actor, page - 1)),
        next_href: (page < pages).then(|| href(lang, days, &actor, page + 1)),
        actor,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "Audit lines, newest first: {total, lines[{id, at, actor, role, address, action, target, outcome, detail}]}, or CSV with format=csv"),
        (status = 403, description = "Admin and auditor only", body = crate::error::ErrorBody),
    )
)]
/// The audit log as JSON or CSV (admin, auditor).
pub async fn audit_api(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Response, ApiError> {
    let days = query.days(&state);
    let csv = query.format.as_deref() == Some("csv");
    let (offset, limit) = if csv {
        (0, 1_000_000)
    } else {
        (
            (query.page.unwrap_or(1).max(1) - 1) * PAGE_LINES,
            PAGE_LINES,
        )
    };
    let (lines, total) = state
        .app
        .audit_lines(days, query.actor(), offset, limit)
        .await?;
    if !csv {
        return Ok(
            axum::Json(serde_json::json!({ "total": total, "lines": lines })).into_response(),
        );
    }
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let header_row = [
        "时间", "账号", "角色", "地址", "操作", "路由", "结果", "说明",
    ];
    let write = |writer: &mut csv::Writer<Vec<u8>>, row: &[&str]| {
        writer.write_record(row).map_err(|error| {
            tracing::error!(%error, "cannot write the audit CSV");
            ApiError::internal()
        })
    };
    write(&mut writer, &header_row)?;
    for line in &lines {
        let at = crate::desk::china_time(line.at);
        // A cell a spreadsheet would take for a formula is written as text.
        let safe = |text: &str| -> String {
            if text.starts_with(['=', '+', '-', '@']) {
                format!("'{text}")
            } else {
                text.to_owned()
            }
        };
        write(
            &mut writer,
            &[
                &at,
                &safe(&line.actor),
                &line.role,
                &line.address,
                &safe(&line.action),
                &line.target,
                &line.outcome,
                &safe(&line.detail),
            ],
        )?;
    }
    let bytes = writer.into_inner().map_err(|_| ApiError::internal())?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        bytes,
    )
        .into_response())
}
