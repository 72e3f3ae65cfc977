//! A contract simulator of the Stripe Checkout endpoints and events this
//! server uses, served under `/psp/stripe` in development and tests (no Stripe
//! is reachable here). It follows Stripe's published API reference:
//!
//! - `POST /v1/checkout/sessions` (form-encoded, `Authorization: Bearer`,
//!   `Idempotency-Key`: the same key with the same parameters returns the same
//!   session; with other parameters it is an `idempotency_error`), answering a
//!   Checkout Session object; `GET /v1/checkout/sessions/{id}`;
//!   `POST /v1/checkout/sessions/{id}/expire`.
//! - Errors as Stripe's `{"error": {"type", "message", "param"}}`, 401 for a
//!   wrong key, 400 for a bad parameter.
//! - Events `checkout.session.completed` (`payment_status` `paid`, or `unpaid`
//!   for a bank debit that confirms later), `…async_payment_succeeded`,
//!   `…async_payment_failed`, `checkout.session.expired`, each signed with
//!   `Stripe-Signature: t=…,v1=…` at every delivery and retried with back-off
//!   until answered 2xx.
//!
//! The hosted page takes Stripe's test card numbers: `4242 4242 4242 4242`
//! pays, `4000 0000 0000 0002` is declined (the session stays open, as on
//! Stripe); "Pay by bank debit" completes unpaid and succeeds (or, for
//! account `DE00 FAIL`, fails) after `async_delay_ms`. Test-only routes
//! (`/test/events…`) list events and deliver one again, for duplicate and
//! out-of-order tests. State is in memory: a simulator, not a store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{json, Value};

use crate::deposit::signature;
use crate::time::now_ms;

pub const CARD_SUCCESS: &str = "4242424242424242";
pub const CARD_DECLINE: &str = "4000000000000002";

#[derive(Clone)]
pub struct StripeSim {
    data: Arc<Mutex<Data>>,
    secret_key: String,
    webhook_secret: String,
    webhook_url: String,
    async_delay_ms: u64,
    css_href: String,
    http: reqwest::Client,
}

#[derive(Default)]
struct Data {
    sessions: HashMap<String, Value>,
    /// Idempotency-Key → (the request's parameters, the session it created).
    keys: HashMap<String, (Vec<(String, String)>, String)>,
    /// Every event sent, in order: (id, session id, payload).
    events: Vec<(String, String, Value)>,
}

impl StripeSim {
    pub fn new(secret_key: &str, webhook_secret: &str, webhook_url: String, async_delay_ms: u64, css_href: String) -> Self {
        StripeSim {
            data: Arc::default(),
            secret_key: secret_key.to_string(),
            webhook_secret: webhook_secret.to_string(),
            webhook_url,
            async_delay_ms,
            css_href,
            http: reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("static reqwest configuration is valid"),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records an event about `session` and delivers it (after `delay_ms`).
    fn emit(&self, kind: &str, session: &Value, delay_ms: u64) {
        let id = format!("evt_{}", uuid::Uuid::new_v4().simple());
        let payload = json!({
            "id": id, "object": "event", "type": kind, "api_version": "2024-06-20", "created": now_ms() / 1000,
            "livemode": false, "data": { "object": session },
        });
        let session_id = session["id"].as_str().unwrap_or_default().to_string();
        self.lock().events.push((id.clone(), session_id, payload.clone()));
        let sim = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            sim.deliver(&payload).await;
        });
    }

    /// Sends until answered 2xx, backing off up to 10 s between tries (Stripe
    /// keeps trying for days; an hour is plenty here).
    async fn deliver(&self, payload: &Value) {
        let body = payload.to_string();
        let mut wait = Duration::from_millis(200);
        let give_up = std::time::Instant::now() + Duration::from_secs(3600);
        while std::time::Instant::now() < give_up {
            let sig = signature::sign(&self.webhook_secret, now_ms() / 1000, body.as_bytes());
            let sent = self
                .http
                .post(&self.webhook_url)
                .header("content-type", "application/json")
                .header(super::SIGNATURE_HEADER, sig)
                .body(body.clone())
                .send()
                .await;
            if sent.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(10));
        }
    }
}

fn error(status: StatusCode, kind: &str, message: &str, param: Option<&str>) -> Response {
    (status, Json(json!({ "error": { "type": kind, "message": message, "param": param } }))).into_response()
}

fn authorized(sim: &StripeSim, headers: &HeaderMap) -> bool {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(format!("Bearer {}", sim.secret_key).as_str())
}

fn no_key() -> Response {
    error(StatusCode::UNAUTHORIZED, "invalid_request_error", "Invalid API Key provided.", None)
}

/// `POST /v1/checkout/sessions`.
async fn create(State(sim): State<StripeSim>, headers: HeaderMap, Form(params): Form<Vec<(String, String)>>) -> Response {
    if !authorized(&sim, &headers) {
        return no_key();
    }
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    // One lock from the key's check to its record: two requests with one key make one session.
    let mut data = sim.lock();
    if let Some(key) = &key {
        if let Some((seen, id)) = data.keys.get(key) {
            if *seen != params {
                return error(
                    StatusCode::BAD_REQUEST,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                    None,
                );
            }
            return Json(data.sessions[id].clone()).into_response();
        }
    }
    if get("mode").as_deref() != Some("payment") {
        return error(StatusCode::BAD_REQUEST, "invalid_request_error", "Only mode=payment is simulated.", Some("mode"));
    }
    for required in ["success_url", "line_items[0][price_data][currency]", "line_items[0][price_data][product_data][name]"] {
        if get(required).is_none_or(|v| v.is_empty()) {
            return error(StatusCode::BAD_REQUEST, "invalid_request_error", &format!("Missing required param: {required}."), Some(required));
        }
    }
    let amount = get("line_items[0][price_data][unit_amount]").and_then(|a| a.parse::<i64>().ok()).filter(|a| (1..=super::MAX_AMOUNT).contains(a));
    let Some(amount) = amount else {
        return error(StatusCode::BAD_REQUEST, "invalid_request_error", "Invalid positive integer", Some("line_items[0][price_data][unit_amount]"));
    };
    let quantity = get("line_items[0][quantity]").and_then(|q| q.parse::<i64>().ok()).unwrap_or(0);
    if !(1..=1000).contains(&quantity) || amount * quantity > super::MAX_AMOUNT {
        return error(StatusCode::BAD_REQUEST, "invalid_request_error", "Invalid positive integer", Some("line_items[0][quantity]"));
    }
    // Stripe's window for a session's expiry: 30 minutes to 24 hours from now.
    let now_s = now_ms() / 1000;
    let expires_at = match get("expires_at").map(|e| e.parse::<i64>()) {
        None => now_s + 86_400,
        Some(Ok(at)) if (now_s + 1800..=now_s + 86_400).contains(&at) => at,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "The `expires_at` timestamp must be at least 30 minutes and at most 24 hours from Checkout Session creation.",
                Some("expires_at"),
            )
        }
    };
    let id = format!("cs_test_{}", uuid::Uuid::new_v4().simple());
    let session = json!({
        "id": id, "object": "checkout.session", "mode": "payment", "status": "open", "payment_status": "unpaid",
        "amount_total": amount * quantity, "currency": get("line_items[0][price_data][currency]").map(|c| c.to_ascii_lowercase()),
        "client_reference_id": get("client_reference_id"), "metadata": { "deposit_id": get("metadata[deposit_id]") },
        "success_url": get("success_url"), "cancel_url": get("cancel_url"),
        "url": format!("/psp/stripe/pay/{id}"), "created": now_ms() / 1000,
        "expires_at": expires_at, "livemode": false,
    });
    data.sessions.insert(id.clone(), session.clone());
    if let Some(key) = key {
        data.keys.insert(key, (params, id));
    }
    Json(session).into_response()
}

async fn retrieve(State(sim): State<StripeSim>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !authorized(&sim, &headers) {
        return no_key();
    }
    match sim.lock().sessions.get(&id) {
        Some(s) => Json(s.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "invalid_request_error", &format!("No such checkout.session: '{id}'"), Some("id")),
    }
}

/// Moves an open session to `status`/`payment_status`; `None` if it was not open.
fn settle(sim: &StripeSim, id: &str, status: &str, payment_status: &str) -> Option<Value> {
    let mut data = sim.lock();
    let s = data.sessions.get_mut(id)?;
    if s["status"] != "open" {
        return None;
    }
    s["status"] = json!(status);
    s["payment_status"] = json!(payment_status);
    Some(s.clone())
}

/// `POST /v1/checkout/sessions/{id}/expire`: only an open session.
async fn expire(State(sim): State<StripeSim>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !authorized(&sim, &headers) {
        return no_key();
    }
    match settle(&sim, &id, "expired", "unpaid") {
        Some(s) => {
            sim.emit("checkout.session.expired", &s, 0);
            Json(s).into_response()
        }
        None => error(StatusCode::BAD_REQUEST, "invalid_request_error", "Only Checkout Sessions with a status of open can be expired.", None),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn page(sim: &StripeSim, s: &Value, problem: Option<&str>) -> Response {
    let amount = s["amount_total"].as_i64().unwrap_or(0);
    let currency = s["currency"].as_str().unwrap_or("").to_ascii_uppercase();
    let shown = crate::domain::format_amount(rust_decimal::Decimal::new(amount, super::stripe_digits(&currency)), super::stripe_digits(&currency));
    let problem = problem.map(|p| format!(r#"<p role="alert" id="card-error" class="text-danger font-medium">{}</p>"#, escape(p))).unwrap_or_default();
    let html = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Checkout (Stripe contract simulator)</title><link rel="stylesheet" href="{css}"></head>
<body><main class="max-w-md mx-auto p-4 space-y-4">
<h1 class="text-xl font-bold">Checkout</h1><p class="text-sm text-muted">Stripe Checkout contract simulator</p>
<p>Pay <strong data-testid="checkout-amount">{shown} {currency}</strong></p>
<form method="post" action="/psp/stripe/pay/{id}" class="space-y-3 rounded-xl border border-border bg-surface p-4">
<label for="card" class="block font-medium">Card number</label>
<input id="card" name="card" inputmode="numeric" autocomplete="cc-number" aria-describedby="card-help" class="w-full rounded-lg border border-border bg-bg p-3 text-lg">
{problem}
<p id="card-help" class="text-sm text-muted">Test cards: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined.</p>
<button name="action" value="pay" class="w-full rounded-lg bg-brand text-brand-contrast min-h-11 px-4 font-semibold">Pay {shown} {currency}</button>
<button name="action" value="debit" class="w-full rounded-lg border border-border min-h-11 px-4">Pay by bank debit (confirms later)</button>
<button name="action" value="debit_fail" class="w-full rounded-lg border border-border min-h-11 px-4">Pay by bank debit that will fail</button>
</form>
<a href="{back}" class="underline">Back</a></main></body></html>"#,
        css = escape(&sim.css_href),
        id = escape(s["id"].as_str().unwrap_or("")),
        back = escape(s["cancel_url"].as_str().unwrap_or("/")),
    );
    let status = if problem.is_empty() { StatusCode::OK } else { StatusCode::PAYMENT_REQUIRED };
    (status, Html(html)).into_response()
}

fn see_other(url: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, url.to_string())]).into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Html("<!DOCTYPE html><title>Not found</title><p>No such checkout session.</p>")).into_response()
}

async fn show(State(sim): State<StripeSim>, Path(id): Path<String>) -> Response {
    let Some(s) = sim.lock().sessions.get(&id).cloned() else { return not_found() };
    if s["status"] != "open" {
        return see_other(s["success_url"].as_str().unwrap_or("/"));
    }
    page(&sim, &s, None)
}

async fn pay(State(sim): State<StripeSim>, Path(id): Path<String>, Form(form): Form<HashMap<String, String>>) -> Response {
    let Some(s) = sim.lock().sessions.get(&id).cloned() else { return not_found() };
    let card: String = form.get("card").map(|c| c.chars().filter(char::is_ascii_digit).collect()).unwrap_or_default();
    let action = form.get("action").map(String::as_str).unwrap_or("pay");
    let (payment_status, then) = match (action, card.as_str()) {
        ("debit", _) => ("unpaid", Some("checkout.session.async_payment_succeeded")),
        ("debit_fail", _) => ("unpaid", Some("checkout.session.async_payment_failed")),
        (_, CARD_SUCCESS) => ("paid", None),
        (_, CARD_DECLINE) => return page(&sim, &s, Some("Your card was declined.")),
        _ => return page(&sim, &s, Some("Use one of the test cards below.")),
    };
    // Only the first submit completes the session: a double click sends one event.
    let Some(done) = settle(&sim, &id, "complete", payment_status) else { return see_other(s["success_url"].as_str().unwrap_or("/")) };
    sim.emit("checkout.session.completed", &done, 0);
    if let Some(kind) = then {
        let mut later = done.clone();
        if kind.ends_with("succeeded") {
            later["payment_status"] = json!("paid");
            if let Some(stored) = sim.lock().sessions.get_mut(&id) {
                stored["payment_status"] = json!("paid");
            }
        }
        sim.emit(kind, &later, sim.async_delay_ms);
    }
    see_other(done["success_url"].as_str().unwrap_or("/"))
}

/// `GET /test/events?session=cs_…`: the events sent for a session, in order.
async fn events(State(sim): State<StripeSim>, Query(q): Query<HashMap<String, String>>) -> Json<Value> {
    let session = q.get("session").cloned().unwrap_or_default();
    let list: Vec<Value> = sim.lock().events.iter().filter(|(_, s, _)| *s == session).map(|(id, _, p)| json!({ "id": id, "type": p["type"] })).collect();
    Json(json!({ "data": list }))
}

/// `POST /test/events/{id}/resend`: delivers an event again, once (as Stripe
/// does when it did not see our answer), for duplicate and out-of-order
/// tests: 204 when our endpoint took it, 502 when it did not.
async fn resend(State(sim): State<StripeSim>, Path(id): Path<String>) -> Response {
    let payload = sim.lock().events.iter().find(|(e, _, _)| *e == id).map(|(_, _, p)| p.clone());
    let Some(p) = payload else { return StatusCode::NOT_FOUND.into_response() };
    let body = p.to_string();
    let sig = signature::sign(&sim.webhook_secret, now_ms() / 1000, body.as_bytes());
    let sent = sim.http.post(&sim.webhook_url).header("content-type", "application/json").header(super::SIGNATURE_HEADER, sig).body(body).send().await;
    if sent.is_ok_and(|r| r.status().is_success()) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        StatusCode::BAD_GATEWAY.into_response()
    }
}

/// The simulator's routes, to be nested under `/psp/stripe`.
pub fn router<S: Clone + Send + Sync + 'static>(sim: StripeSim) -> Router<S> {
    Router::new()
        .route("/v1/checkout/sessions", post(create))
        .route("/v1/checkout/sessions/{id}", get(retrieve))
        .route("/v1/checkout/sessions/{id}/expire", post(expire))
        .route("/pay/{id}", get(show).post(pay))
        .route("/test/events", get(events))
        .route("/test/events/{id}/resend", post(resend))
        .with_state(sim)
}
