//! Chat failures as precise JSON errors: `{ "error": …, "code": … }` with a
//! 4xx for what the request got wrong. The browser shows the translation of
//! `code` (`domain::chat::MessageError::key`).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::domain::chat::MessageError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("{}", describe(*.0))]
    Invalid(MessageError),
    #[error("too many messages; try again in {0} s")]
    RateLimited(u64),
    #[error("the request body is not the JSON this endpoint takes: {0}")]
    Malformed(String),
    #[error("the request body is larger than the server takes")]
    BodyTooLarge,
    #[error("no session; reopen the screen from the platform")]
    NoSession,
    #[error("no such conversation")]
    NotFound,
    #[error("another agent claimed this conversation first")]
    Claimed,
    #[error("storage: {0}")]
    Store(#[from] StoreError),
}

fn describe(e: MessageError) -> &'static str {
    match e {
        MessageError::Empty => "the message is empty",
        MessageError::TooLong => "the message is longer than the limit",
        MessageError::BadClientId => "clientId must be 8 to 64 letters, digits, '-' or '_'",
        MessageError::BadAttachment => "the attachment is unknown or already sent",
        MessageError::RateLimited => "too many messages",
    }
}

impl IntoResponse for ChatError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            ChatError::Invalid(e) => (StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST), e.code()),
            ChatError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, MessageError::RateLimited.code()),
            ChatError::Malformed(_) => (StatusCode::BAD_REQUEST, "MALFORMED_JSON"),
            ChatError::BodyTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE"),
            ChatError::NoSession => (StatusCode::UNAUTHORIZED, "SESSION_EXPIRED"),
            ChatError::NotFound => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            ChatError::Claimed => (StatusCode::CONFLICT, "CLAIMED"),
            ChatError::Store(e) => {
                tracing::error!(error = %e, "chat storage error");
                (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR")
            }
        };
        let message = match &self {
            ChatError::Store(_) => "try again".to_string(),
            other => other.to_string(),
        };
        let mut res = (status, axum::Json(serde_json::json!({ "error": message, "code": code }))).into_response();
        if let ChatError::RateLimited(secs) = self {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// The JSON body, or a 400 that says what is wrong with it.
pub fn json_body<T>(body: Result<axum::Json<T>, axum::extract::rejection::JsonRejection>) -> Result<T, ChatError> {
    body.map(|axum::Json(v)| v).map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ChatError::BodyTooLarge
        } else {
            ChatError::Malformed(e.body_text())
        }
    })
}
