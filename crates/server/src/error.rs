//! Errors as HTTP: every failure is `{"code","message"}` with the status its kind deserves.
//! A 5xx gets a generic message; its cause is logged once, here.

use axum::Json;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use labbridge_app::{Error, ErrorKind};
use serde::Serialize;
use utoipa::ToSchema;

/// The JSON body of every error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code: `invalid`, `not_found`, `conflict`, `unavailable`, `internal`.
    pub code: &'static str,
    /// A human-readable message.
    pub message: String,
}

/// An error on its way to becoming a response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    /// A 400 with a message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            body: ErrorBody {
                code: "invalid",
                message: message.into(),
            },
        }
    }

    /// A 500 whose cause was already logged.
    pub fn internal() -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            body: ErrorBody {
                code: "internal",
                message: "the server could not complete the request; the error was logged"
                    .to_owned(),
            },
        }
    }

    /// A 503 with a message.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            body: ErrorBody {
                code: "unavailable",
                message: message.into(),
            },
        }
    }

    /// A 403 with a message.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            body: ErrorBody {
                code: "forbidden",
                message: message.into(),
            },
        }
    }

    /// A 404 with a message.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            body: ErrorBody {
                code: "not_found",
                message: message.into(),
            },
        }
    }
}

impl ApiError {
    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message a person reads.
    pub fn message(&self) -> &str {
        &self.body.message
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let (status, code) = match error.kind() {
            ErrorKind::Invalid => (StatusCode::BAD_REQUEST, "invalid"),
            ErrorKind::Unprocessable => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable"),
            ErrorKind::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ErrorKind::Conflict => (StatusCode::CONFLICT, "conflict"),
            ErrorKind::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ErrorKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ErrorKind::Busy => (StatusCode::TOO_MANY_REQUESTS, "busy"),
            ErrorKind::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        let message = if status.is_server_error() {
            tracing::error!(error = %error, source = ?std::error::Error::source(&error), "request failed");
            "the server could not complete the request; the error was logged".to_owned()
        } else {
            error.to_string()
        };
        Self {
            status,
            body: ErrorBody { code, message },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let busy = self.status == StatusCode::TOO_MANY_REQUESTS;
        let mut response = (self.status, Json(self.body)).into_response();
        if busy {
            // Too many at once: the client may try again in a second.
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}

/// The fallback: a JSON 404 that names the path (its first 200 characters: an address of
/// 60 KB is not sent back whole).
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(no_route_message(uri.path()))
}

fn no_route_message(path: &str) -> String {
    const SHOWN: usize = 200;
    match path.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("no route for {}…", &path[..end]),
        None => format!("no route for {path}"),
    }
}

/// The error page a browser gets.
#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    html_lang: &'a str,
    status: u16,
    heading: &'a str,
    explanation: &'a str,
    detail: String,
    back: String,
    back_label: &'a str,
    home: &'a str,
    home_label: &'a str,
}

fn wants_english(request: &axum::extract::Request) -> bool {
    let query_en = request
        .uri()
        .query()
        .is_some_and(|query| query.split('&').any(|pair| pair == "lang=en"));
    let referer_en = request
        .headers()
        .get(axum::http::header::REFERER)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("lang=en"));
    query_en || referer_en
}

fn texts_for(status: StatusCode, english: bool) -> (&'static str, &'static str) {
    match (status.as_u16(), english) {
        (400 | 413 | 414 | 422, false) => ("请求有误", "提交的内容无法处理，请检查后重试。"),
        (400 | 413 | 414 | 422, true) => (
            "Bad request",
            "What was sent could not be processed; check it and try again.",
        ),
        (401 | 403, false) => ("无权访问", "当前账号无权打开此页面或执行此操作。"),
        (401 | 403, true) => (
            "Not allowed",
            "Your account may not open this page or do this.",
        ),
        (404, false) => ("页面不存在", "找不到这个地址，可能链接有误或内容已删除。"),
        (404, true) => (
            "Not found",
            "Nothing is at this address; the link may be wrong or the item removed.",
        ),
        (405, false) => ("操作不支持", "这个地址不支持该操作。"),
        (405, true) => (
            "Not supported",
            "This address does not support that action.",
        ),
        (429, false) => ("请求过于频繁", "请稍后再试。"),
        (429, true) => ("Too many requests", "Please try again later."),
        (_, false) => (
            "服务暂时出错",
            "服务器未能完成请求，错误已记录，请稍后再试。",
        ),
        (_, true) => (
            "Something went wrong",
            "The server could not complete the request; the error was logged. Try again later.",
        ),
    }
}

/// Turns error answers into what the client reads: an HTML page in the page's language for a
/// browser (a page, not `/api/v1`, asked for with `Accept: text/html`), `{"code","message"}` for
/// everyone else, including the empty answers of the router itself (405 and the like).
pub async fn error_pages(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let browser = !path.starts_with("/api/")
        && request
            .headers()
            .get(axum::http::header::ACCEPT)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    let english = wants_english(&request);
    let back = request
        .headers()
        .get(axum::http::header::REFERER)
        .and_then(|value| value.to_str().ok())
        .filter(|value| value.len() < 2048)
        .map(str::to_owned);
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if content_type.starts_with("text/html") {
        // A page that re-renders a form with its error is already for people.
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = http_body_util::BodyExt::collect(body)
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|value| value.get("message")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).trim().to_owned());
    if !browser {
        if content_type.starts_with("application/json") {
            return Response::from_parts(parts, axum::body::Body::from(bytes));
        }
        let code = match status.as_u16() {
            400 | 413 | 414 | 422 => "invalid",
            401 | 403 => "forbidden",
            404 => "not_found",
            405 => "method_not_allowed",
            408 => "timeout",
            409 => "conflict",
            429 => "too_many_requests",
            503 => "unavailable",
            _ if status.is_server_error() => "internal",
            _ => "invalid",
        };
        let message = if message.is_empty() {
            status.canonical_reason().unwrap_or("error").to_owned()
        } else {
            message
        };
        let mut rebuilt = (
            status,
            Json(serde_json::json!({"code": code, "message": message})),
        )
            .into_response();
        for name in [axum::http::header::ALLOW, axum::http::header::RETRY_AFTER] {
            if let Some(value) = parts.headers.get(&name) {
                rebuilt.headers_mut().insert(name, value.clone());
            }
        }
        return rebuilt;
    }
    let (heading, explanation) = texts_for(status, english);
    let home = if english { "/?lang=en" } else { "/" };
    let page = ErrorPage {
        html_lang: if english { "en" } else { "zh-CN" },
        status: status.as_u16(),
        heading,
        explanation,
        // A 5xx says nothing more (its cause is logged); others name what went wrong — on a
        // Chinese page only when the message is Chinese (an English technical message would
        // only confuse; the explanation above already says it in Chinese).
        detail: if status.is_server_error()
            || (!english
                && !message
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)))
        {
            String::new()
        } else {
            message
        },
        back: back
            .filter(|value| {
                value.starts_with("http://")
                    || value.starts_with("https://")
                    || value.starts_with('/')
            })
            .unwrap_or_else(|| home.to_owned()),
        back_label: if english { "Back" } else { "返回上一页" },
        home,
        home_label: if english { "Home" } else { "首页" },
    };
    match askama::Template::render(&page) {
        Ok(html) => (status, axum::response::Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "error page failed");
            (status, "error").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_path_is_named_by_its_start() {
        assert_eq!(no_route_message("/nowhere"), "no route for /nowhere");
        let long = format!("/{}", "铝".repeat(20_000));
        let message = no_route_message(&long);
        assert_eq!(message.chars().count(), "no route for ".len() + 200 + 1);
        assert!(message.ends_with('…'));
    }
}
