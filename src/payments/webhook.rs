//! `POST /payments/webhook/sandbox`: the provider's server-to-server
//! confirmation. Verified before anything is read; applied idempotently.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::service;
use super::signature::SignatureError;
use crate::state::AppState;
use crate::store::EventOutcome;
use crate::time::now_ms;

pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let event = match state.payments.parse_webhook(&headers, &body, now_ms() / 1000) {
        Ok(e) => e,
        Err(e) => {
            let status = match e {
                SignatureError::Missing | SignatureError::Malformed | SignatureError::BadBody(_) => StatusCode::BAD_REQUEST,
                SignatureError::Mismatch | SignatureError::Stale => StatusCode::UNAUTHORIZED,
            };
            tracing::warn!(code = e.code(), "webhook refused");
            return (status, axum::Json(serde_json::json!({ "error": e.to_string(), "code": e.code() }))).into_response();
        }
    };
    match service::apply_event(&state, &event).await {
        Ok(outcome) => {
            let outcome = match outcome {
                EventOutcome::Applied => "applied",
                EventOutcome::Duplicate => "duplicate",
                EventOutcome::Ignored => "ignored",
                EventOutcome::UnknownDeposit => "unknown_reference",
            };
            tracing::info!(outcome, "webhook received");
            axum::Json(serde_json::json!({ "received": true, "outcome": outcome })).into_response()
        }
        // 5xx makes the provider retry later, which is what we want.
        Err(e) => {
            tracing::error!(error = %e, "webhook could not be applied");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "error": "try again", "code": "STORAGE_UNAVAILABLE" }))).into_response()
        }
    }
}
