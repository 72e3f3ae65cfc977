//! `POST /payments/webhook/{sandbox|stripe}`: a provider's server-to-server
//! confirmation. Verified before anything is read; applied idempotently.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde_json::{json, Value};

use super::service;
use super::signature::SignatureError;
use crate::domain::MethodKind;
use crate::state::AppState;
use crate::store::EventOutcome;
use crate::time::now_ms;
use crate::web::error::cause_chain;
use crate::web::ApiError;

impl From<SignatureError> for ApiError {
    fn from(e: SignatureError) -> Self {
        let status = match e {
            SignatureError::Missing | SignatureError::Malformed | SignatureError::BadBody(_) => StatusCode::BAD_REQUEST,
            SignatureError::Mismatch | SignatureError::Stale => StatusCode::UNAUTHORIZED,
        };
        tracing::warn!(code = e.code(), "webhook refused");
        ApiError::new(status, e.code(), e.to_string())
    }
}

pub async fn receive(State(state): State<AppState>, Path(provider): Path<String>, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, ApiError> {
    let kind = match provider.as_str() {
        "sandbox" => MethodKind::Sandbox,
        "stripe" => MethodKind::StripeCheckout,
        _ => return Err(ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such webhook")),
    };
    // Only a configured method's provider takes webhooks.
    let adapter = state.payments.provider(kind).ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such webhook"))?;
    let event = adapter.parse_webhook(&headers, &body, now_ms() / 1000)?;
    let outcome = match service::apply_event(&state, kind, &event).await {
        Ok(EventOutcome::Applied) => "applied",
        Ok(EventOutcome::Duplicate) => "duplicate",
        Ok(EventOutcome::Ignored) => "ignored",
        Ok(EventOutcome::UnknownDeposit) => "unknown_reference",
        // 503, not 500: the provider retries later, which is what we want.
        Err(e) => {
            tracing::error!(error = %cause_chain(&e), "webhook could not be applied");
            return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "STORAGE_UNAVAILABLE", "try again"));
        }
    };
    tracing::info!(outcome, "webhook received");
    Ok(Json(json!({ "received": true, "outcome": outcome })))
}
