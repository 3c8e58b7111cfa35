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
            ErrorKind::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ErrorKind::Conflict => (StatusCode::CONFLICT, "conflict"),
            ErrorKind::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ErrorKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
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
        (self.status, Json(self.body)).into_response()
    }
}

/// The fallback: a JSON 404 that names the path.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route for {}", uri.path()))
}
