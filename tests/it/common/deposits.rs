//! Deposit steps shared by the deposit tests: start, pay on the sandbox's
//! page, follow the state, post signed webhooks.

use broker_inapp::backoffice::Role;
use broker_inapp::deposit::signature;
use serde_json::{json, Value};

use broker_inapp::server_fns::deposit::{GetDepositStatus, StartDeposit};

use super::TestApp;

pub const KEY: &str = "form-key-0123456789abcdef";
pub const SECRET: &str = "sandbox-webhook-secret";

pub async fn start(app: &TestApp, cookie: &str, amount: &str, key: &str) -> reqwest::Response {
    app.call(cookie, StartDeposit { amount: amount.into(), method: "card".into(), key: key.into() }).await
}

/// Starts a deposit and returns the hosted page path.
pub async fn started(app: &TestApp, cookie: &str, amount: &str, key: &str) -> String {
    let res = start(app, cookie, amount, key).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json::<String>().await.unwrap()
}

pub async fn pay(app: &TestApp, page: &str, card: &str) -> String {
    let res = app.http.post(app.url(page)).form(&[("card", card), ("action", "pay")]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    res.headers()["location"].to_str().unwrap().to_string()
}

pub async fn status(app: &TestApp, cookie: &str, id: &str) -> Value {
    app.call(cookie, GetDepositStatus { id: id.into() }).await.json().await.unwrap()
}

/// Drains the workers and looks again until the deposit is in `want` (the
/// webhook arrives from the sandbox provider in its own time).
pub async fn wait_for_state(app: &TestApp, cookie: &str, id: &str, want: &str) -> Value {
    super::eventually(&format!("deposit {id} to be {want}"), || async {
        app.drain().await;
        let s = status(app, cookie, id).await;
        if s["deposit"]["state"] == want {
            Ok(s)
        } else {
            Err(s)
        }
    })
    .await
}

/// The id of the one deposit in the database.
pub async fn only_deposit_id(app: &TestApp) -> String {
    let pool = app.db().await;
    let id = sqlx::query_scalar("SELECT id FROM deposits").fetch_one(&pool).await.unwrap();
    pool.close().await;
    id
}

pub fn deposit_id(return_url: &str) -> String {
    return_url.split("deposit=").nth(1).unwrap().to_string()
}

pub fn event(id: &str, kind: &str, reference: &str, amount: &str) -> String {
    event_in(id, kind, reference, amount, "USD")
}

pub fn event_in(id: &str, kind: &str, reference: &str, amount: &str, currency: &str) -> String {
    json!({"id": id, "type": kind, "created": 0, "data": {"paymentId": "pay_x", "reference": reference, "amount": amount, "currency": currency}}).to_string()
}

/// Posts `body` signed now with the sandbox's secret; returns the answer's JSON.
pub async fn deliver(app: &TestApp, body: &str) -> Value {
    let res = post_webhook(app, body, Some(signature::sign(SECRET, now_s(), body.as_bytes()))).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

pub async fn post_webhook(app: &TestApp, body: &str, header: Option<String>) -> reqwest::Response {
    let mut req = app.http.post(app.url("/payments/webhook/sandbox")).header("content-type", "application/json").body(body.to_string());
    if let Some(h) = header {
        req = req.header(signature::HEADER, h);
    }
    req.send().await.unwrap()
}

pub fn now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A pending deposit as the deposit screen creates it, for tests that feed
/// the store directly.
pub fn pending_record(id: &str, login: i64, minor: i64, key: String, now: i64) -> broker_inapp::store::DepositRecord {
    broker_inapp::store::DepositRecord {
        id: id.parse().expect("a deposit id of the real shape"),
        login: broker_inapp::domain::Login::new(login).unwrap(),
        user_id: 1,
        idempotency_key: key,
        currency: "USD".parse().unwrap(),
        digits: 2,
        requested_minor: minor,
        fee_minor: 0,
        confirmed_minor: None,
        method: "card".into(),
        state: broker_inapp::domain::DepositState::Pending,
        provider_payment_id: None,
        balance_history_id: None,
        failure_reason: None,
        created_at: now,
        updated_at: now,
    }
}

/// Signs an admin in to the back-office; returns the session cookie.
pub async fn admin(app: &TestApp) -> String {
    super::staff_cookie(app, "ops@broker.example", Role::Admin).await
}
