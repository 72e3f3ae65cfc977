//! Chat failures, as the JSON surface's [`ApiError`] (`{ "error", "code" }`
//! with a 4xx for what the request got wrong) or a back-office page's
//! [`PageError`]. The browser shows the translation of `code`
//! (`domain::chat::MessageError::key`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::domain::chat::MessageError;
use crate::store::StoreError;
use crate::web::{ApiError, PageError};

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("{}", describe(*.0))]
    Invalid(MessageError),
    #[error("too many messages; try again in {0} s")]
    RateLimited(u64),
    /// Receipts that are not message seqs.
    #[error("{0}")]
    Malformed(&'static str),
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

impl From<ChatError> for ApiError {
    fn from(e: ChatError) -> Self {
        let message = e.to_string();
        match e {
            ChatError::Invalid(m) => ApiError::new(StatusCode::from_u16(m.http_status()).unwrap_or(StatusCode::BAD_REQUEST), m.code(), message),
            ChatError::RateLimited(secs) => ApiError::new(StatusCode::TOO_MANY_REQUESTS, MessageError::RateLimited.code(), message).retry_after(secs),
            ChatError::Malformed(_) => ApiError::new(StatusCode::BAD_REQUEST, "MALFORMED_JSON", message),
            ChatError::NotFound => ApiError::not_found("no such conversation"),
            ChatError::Claimed => ApiError::new(StatusCode::CONFLICT, "CLAIMED", message),
            ChatError::Store(e) => e.into(),
        }
    }
}

impl From<ChatError> for PageError {
    fn from(e: ChatError) -> Self {
        match e {
            ChatError::NotFound => PageError::NotFound,
            ChatError::Store(e) => e.into(),
            ChatError::Invalid(_) | ChatError::Malformed(_) => PageError::BadRequest,
            ChatError::RateLimited(_) | ChatError::Claimed => PageError::Conflict,
        }
    }
}

impl IntoResponse for ChatError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}
