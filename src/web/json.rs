//! `Json<T>` whose refusal is an [`ApiError`]: a body that is not the JSON an
//! endpoint takes gets 400 `MALFORMED_JSON` saying what is wrong, one over
//! the body limit 413 `BODY_TOO_LARGE` (axum's own rejection is plain text).

use axum::extract::rejection::JsonRejection;
use axum::extract::FromRequest;
use axum::http::StatusCode;

use super::error::ApiError;

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE", "the request body is larger than the server takes")
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "MALFORMED_JSON", format!("the request body is not the JSON this endpoint takes: {}", e.body_text()))
        }
    }
}
