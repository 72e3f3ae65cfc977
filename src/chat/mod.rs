//! Support chat on the server: the service both sides call (send, receipts,
//! typing, claim/close), the live event stream (server-sent events resumed
//! from the last seq a client saw; woken through `live::notifier`), the
//! trader's HTTP endpoints and attachments (checked by the KYC upload path).
//! The staff pages live in `backoffice::chat`.

pub mod attachments;
pub mod error;
pub mod service;
pub mod stream;
pub mod trader;

pub use error::ChatError;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::domain::chat::ChatMessage;

/// A sent message: 201 when it is new, 200 with the first copy when its
/// client id was seen before (a resend after a lost answer).
pub fn sent_response((new, message): (bool, ChatMessage)) -> Response {
    let status = if new { StatusCode::CREATED } else { StatusCode::OK };
    (status, axum::Json(message)).into_response()
}
