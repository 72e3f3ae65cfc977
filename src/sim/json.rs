//! Precise JSON errors for the simulator, in cTrader's `{errorCode, description}` shape.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// A simulator handler's answer. The error side is the exact reply cTrader
/// would send for a refusal, so handlers and their helpers use `?`.
pub type Reply = Result<Response, Response>;

pub fn error(status: StatusCode, code: &str, description: impl Into<String>) -> Response {
    (status, axum::Json(serde_json::json!({ "errorCode": code, "description": description.into() }))).into_response()
}

pub fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "simulator storage error");
    error(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "simulator storage error")
}

/// Parses a JSON body; an empty body reads as `{}` when `T` allows it.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Response> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    serde_json::from_slice(body).map_err(|e| error(StatusCode::BAD_REQUEST, "INVALID_JSON", e.to_string()))
}
