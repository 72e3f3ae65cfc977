//! The four calls cTrader makes to the broker in Full SSO (cTrader's calls 4.1–4.4):
//! JSON in, JSON out, `Cache-Control: no-store`, precise 4xx on every mistake.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{service, SsoError};
use crate::state::AppState;

fn ok(body: Value) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// A body that is not the expected JSON: say what was expected (and which
/// field was missing), never echo what was sent.
fn malformed(rejection: JsonRejection, shape: &str) -> Response {
    if matches!(rejection, JsonRejection::MissingJsonContentType(_)) {
        return SsoError::NotJson.into_response();
    }
    let text = rejection.body_text();
    let missing = text.split("missing field `").nth(1).and_then(|r| r.split('`').next()).map(|f| format!("missing field `{f}`; ")).unwrap_or_default();
    SsoError::Malformed.with_message(&format!("{missing}expected a JSON object {shape}"))
}

#[derive(Deserialize)]
pub struct PasswordBody {
    password: String,
}

/// 4.1 `POST /oauth2/crmApiToken` `{password}` → `{crmApiToken, expiresIn}`.
pub async fn crm_api_token(State(state): State<AppState>, body: Result<Json<PasswordBody>, JsonRejection>) -> Response {
    let body = match body {
        Ok(Json(b)) => b,
        Err(r) => return malformed(r, r#"{"password": string}"#),
    };
    match service::issue_crm_token(&state, &body.password).await {
        Ok((token, seconds)) => ok(json!({ "crmApiToken": token, "expiresIn": seconds })),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct CodeBody {
    code: String,
}

/// 4.2 `POST /oauth2/onetime/authorize` `{code}` → `{userId, accessToken, inappToken}`.
pub async fn onetime_authorize(State(state): State<AppState>, headers: HeaderMap, body: Result<Json<CodeBody>, JsonRejection>) -> Response {
    if let Err(e) = service::require_crm_token(&state, &headers).await {
        return e.into_response();
    }
    let body = match body {
        Ok(Json(b)) => b,
        Err(r) => return malformed(r, r#"{"code": string}"#),
    };
    match service::authorize_code(&state, &body.code).await {
        Ok(a) => ok(json!({ "userId": a.user_id, "accessToken": a.access_token, "inappToken": a.inapp_token })),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessBody {
    access_token: String,
}

/// 4.3 `POST /oauth2/authorize` `{accessToken}` → `{userId, inappToken}`.
pub async fn authorize(State(state): State<AppState>, headers: HeaderMap, body: Result<Json<AccessBody>, JsonRejection>) -> Response {
    if let Err(e) = service::require_crm_token(&state, &headers).await {
        return e.into_response();
    }
    let body = match body {
        Ok(Json(b)) => b,
        Err(r) => return malformed(r, r#"{"accessToken": string}"#),
    };
    match service::authorize_access(&state, &body.access_token).await {
        Ok((user_id, inapp)) => ok(json!({ "userId": user_id, "inappToken": inapp })),
        Err(e) => e.into_response(),
    }
}

/// `userId` as cTrader may send it: a number or a string of digits. A
/// whole number written as `7.0` is still that number (JSON Schema's
/// "integer", which the OpenAPI document promises, includes it).
#[derive(Deserialize)]
#[serde(untagged)]
enum UserId {
    Number(i64),
    Whole(f64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateBody {
    user_id: UserId,
    inapp_token: Option<String>,
}

/// 4.4 `POST /oauth2/onetime/generate` `{userId, inappToken?}` → `{token}`.
pub async fn onetime_generate(State(state): State<AppState>, headers: HeaderMap, body: Result<Json<GenerateBody>, JsonRejection>) -> Response {
    if let Err(e) = service::require_crm_token(&state, &headers).await {
        return e.into_response();
    }
    let shape = r#"{"userId": integer, "inappToken"?: string}"#;
    let body = match body {
        Ok(Json(b)) => b,
        Err(r) => return malformed(r, shape),
    };
    let user_id = match body.user_id {
        UserId::Number(n) if n > 0 => n,
        // Exactly representable, so the conversion is exact.
        UserId::Whole(f) if f.fract() == 0.0 && (1.0..=9_007_199_254_740_992.0).contains(&f) => f as i64,
        UserId::Text(t) if t.parse::<i64>().is_ok_and(|n| n > 0) => t.parse().unwrap_or_default(),
        _ => return SsoError::Malformed.with_message(&format!("userId must be a positive integer; expected a JSON object {shape}")),
    };
    match service::generate_screen_token(&state, user_id, body.inapp_token.as_deref().filter(|t| !t.is_empty())).await {
        Ok(token) => ok(json!({ "token": token })),
        Err(e) => e.into_response(),
    }
}

/// `GET /oauth2/openapi.json`: the machine-readable description of the above.
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], super::OPENAPI).into_response()
}
