use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::Row;

use super::SandboxPsp;
use crate::time::now_ms;

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": { "code": code, "message": message } }))).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreatePayment {
    amount: String,
    currency: String,
    reference: String,
    return_url: String,
}

/// `POST /psp/sandbox/v1/payments` with `Authorization: Bearer {api key}` and
/// `Idempotency-Key`: the same key always answers the same payment.
pub async fn create_payment(State(psp): State<SandboxPsp>, headers: HeaderMap, body: Bytes) -> Response {
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    if auth != format!("Bearer {}", psp.api_key) {
        return error(StatusCode::UNAUTHORIZED, "unauthorized", "invalid API key");
    }
    let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).filter(|k| !k.is_empty()) else {
        return error(StatusCode::BAD_REQUEST, "idempotency_key_missing", "Idempotency-Key header required");
    };
    let req: CreatePayment = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string()),
    };
    let valid_amount = req.amount.parse::<rust_decimal::Decimal>().map(|a| a > rust_decimal::Decimal::ZERO).unwrap_or(false);
    if !valid_amount || req.currency.len() != 3 {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_amount", "amount must be a positive decimal and currency a 3-letter code");
    }
    let id = format!("pay_{}", uuid::Uuid::new_v4().simple());
    let inserted = sqlx::query(
        "INSERT INTO psp_payments (id, idempotency_key, reference, amount, currency, return_url, status, created_at) \
         VALUES (?,?,?,?,?,?, 'created', ?) ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(&id)
    .bind(key)
    .bind(&req.reference)
    .bind(&req.amount)
    .bind(&req.currency)
    .bind(&req.return_url)
    .bind(now_ms())
    .execute(&psp.pool)
    .await;
    if let Err(e) = inserted {
        tracing::error!(error = %e, "sandbox payment insert failed");
        return error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "storage error");
    }
    let row = match sqlx::query("SELECT id, status FROM psp_payments WHERE idempotency_key = ?").bind(key).fetch_one(&psp.pool).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "sandbox payment read failed");
            return error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "storage error");
        }
    };
    let id: String = row.try_get("id").unwrap_or_default();
    (
        StatusCode::CREATED,
        axum::Json(serde_json::json!({
            "id": id,
            "status": row.try_get::<String, _>("status").unwrap_or_default(),
            "redirectUrl": format!("/psp/sandbox/pay/{id}"),
        })),
    )
        .into_response()
}
