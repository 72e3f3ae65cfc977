//! The sandbox provider and a deposit held for review: a webhook our
//! endpoint failed is delivered again until it is answered, the provider
//! API's key and idempotency rules, and a deposit in review as the admin
//! (no retry for another currency) and the trader (paid, being checked) see it.
#![allow(unused_imports)]

use crate::common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query};
use axum::routing::{get, post};
use broker_inapp::config::{Mode, Settings};
use broker_inapp::startup::Application;
use common::deposits::*;
use common::{eventually as until, spawn, spawn_with, TestApp};
use serde_json::{json, Value};

async fn pool(app: &TestApp, db: &str) -> sqlx::SqlitePool {
    app.pool(db).await
}

// ---------------------------------------------------------------------------
// 1. The sandbox provider retries a webhook until our endpoint answers 2xx.
// ---------------------------------------------------------------------------

/// While our storage refuses to record payment events, the webhook endpoint
/// answers 503; the provider keeps the event and tries again, and once the
/// storage is back the deposit is credited, exactly once.
#[tokio::test]
async fn a_webhook_our_endpoint_failed_is_redelivered_until_answered_and_credited_once() {
    let app = spawn().await;
    let (cookie, login) = app.sign_in(None).await;
    let db = app.db().await;
    let psp = pool(&app, "psp.db").await;
    // Storage trouble on our side: the table of payment events is gone, so
    // the webhook handler cannot apply the event and answers 5xx.
    sqlx::query("ALTER TABLE payment_events RENAME TO payment_events_away").execute(&db).await.unwrap();

    let page = started(&app, &cookie, "100.00", KEY).await;
    let id = deposit_id(&pay(&app, &page, "4242424242424242").await);

    // The provider has tried at least twice and still holds the event.
    let attempts: i64 = until("two failed deliveries", || async {
        let (attempts, delivered): (i64, Option<i64>) = sqlx::query_as("SELECT attempts, delivered_at FROM psp_webhooks").fetch_one(&psp).await.unwrap();
        assert_eq!(delivered, None, "an event our endpoint refused was taken as delivered");
        if attempts >= 2 {
            Ok(attempts)
        } else {
            Err(attempts)
        }
    })
    .await;
    assert!(attempts >= 2);
    assert_eq!(status(&app, &cookie, &id).await["deposit"]["state"], "Pending", "nothing applied while the endpoint fails");
    assert_eq!(app.sim_trader(login).await["balance"], "1000.00");

    // The storage recovers: the next delivery is answered 2xx and credits.
    sqlx::query("ALTER TABLE payment_events_away RENAME TO payment_events").execute(&db).await.unwrap();
    wait_for_state(&app, &cookie, &id, "Credited").await;
    let (attempts_after, delivered): (i64, Option<i64>) = sqlx::query_as("SELECT attempts, delivered_at FROM psp_webhooks").fetch_one(&psp).await.unwrap();
    assert!(delivered.is_some(), "the provider recorded the delivery");
    assert!(attempts_after > attempts, "a further attempt delivered it ({attempts} → {attempts_after})");
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM psp_webhooks").fetch_one(&psp).await.unwrap(), 1, "one event, redelivered");

    // Exactly once in cTrader.
    let trader = app.sim_trader(login).await;
    let history = trader["history"].as_array().unwrap();
    assert_eq!(history.len(), 1, "{trader}");
    assert_eq!(history[0]["externalId"], id.as_str());
    assert_eq!(history[0]["preciseAmount"], "100.00");
    assert_eq!(trader["balance"], "1100.00");
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM payment_events").fetch_one(&db).await.unwrap(), 1);
}

// ---------------------------------------------------------------------------
// 2. The sandbox API: bearer key and Idempotency-Key.
// ---------------------------------------------------------------------------

async fn create_payment(app: &TestApp, auth: Option<&str>, key: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = app.http.post(app.url("/psp/sandbox/v1/payments")).json(&body);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn payment_body(amount: &str) -> Value {
    json!({ "amount": amount, "currency": "USD", "reference": "dep_external", "returnUrl": "/inapp/deposit?deposit=dep_external" })
}

#[tokio::test]
async fn the_sandbox_api_refuses_a_missing_or_wrong_api_key_and_creates_nothing() {
    let app = spawn().await;
    for auth in [None, Some("Bearer not-the-sandbox-key"), Some("sandbox-api-key"), Some("Basic sandbox-api-key")] {
        let (status, v) = create_payment(&app, auth, Some("key-auth-0001"), payment_body("30.00")).await;
        assert_eq!(status, 401, "{auth:?}: {v}");
        assert_eq!(v["error"]["code"], "unauthorized", "{auth:?}");
    }
    let (status, v) = create_payment(&app, Some("Bearer sandbox-api-key"), None, payment_body("30.00")).await;
    assert_eq!(status, 400, "no Idempotency-Key: {v}");
    assert_eq!(v["error"]["code"], "idempotency_key_missing");
    assert_eq!(app.count("psp.db", "SELECT COUNT(*) FROM psp_payments").await, 0, "no refused call created a payment");

    // The right key works (so the refusals above were about the key).
    let (status, v) = create_payment(&app, Some("Bearer sandbox-api-key"), Some("key-auth-0001"), payment_body("30.00")).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(app.count("psp.db", "SELECT COUNT(*) FROM psp_payments").await, 1);
}

/// The same Idempotency-Key always answers the first payment: a second body
/// (another amount) can neither create a second payment nor change what the
/// hosted page charges. (The sandbox does not refuse such a request with an
/// error as some real providers do; it answers the original payment.)
#[tokio::test]
async fn a_reused_idempotency_key_with_another_body_never_changes_the_payment() {
    let app = spawn().await;
    let auth = Some("Bearer sandbox-api-key");
    let (status, first) = create_payment(&app, auth, Some("key-reused-0001"), payment_body("30.00")).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = create_payment(&app, auth, Some("key-reused-0001"), payment_body("9999.00")).await;
    assert!(status == 201 || (400..500).contains(&status), "{status}: {again}");
    if status == 201 {
        assert_eq!(again["id"], first["id"], "the same key answers the same payment");
        assert_eq!(again["redirectUrl"], first["redirectUrl"]);
    }
    assert_eq!(app.count("psp.db", "SELECT COUNT(*) FROM psp_payments").await, 1, "one payment per key");
    let page = app.get(first["redirectUrl"].as_str().unwrap()).await.text().await.unwrap();
    assert!(page.contains("30.00 USD"), "the hosted page still charges the first amount");
    assert!(!page.contains("9999"), "the second body's amount reached the payment");

    // Another key is another payment.
    let (status, other) = create_payment(&app, auth, Some("key-other-00001"), payment_body("45.00")).await;
    assert_eq!(status, 201);
    assert_ne!(other["id"], first["id"]);
}

// ---------------------------------------------------------------------------
// 3 and 4. A deposit held for review: the admin cannot retry a currency
// mismatch; the trader is told the payment arrived and is being checked.
// ---------------------------------------------------------------------------

/// A paid deposit in the wrong currency (review, nothing to credit) for a new
/// trader; returns (trader cookie, login, deposit id).
async fn held_for_currency(app: &TestApp) -> (String, i64, String) {
    let (cookie, login) = app.sign_in(None).await;
    started(app, &cookie, "30", KEY).await;
    let id = only_deposit_id(app).await;
    let answer = deliver(app, &event_in("evt_eur", "payment.succeeded", &id, "30.00", "EUR")).await;
    assert_eq!(answer["outcome"], "applied");
    wait_for_state(app, &cookie, &id, "Review").await;
    (cookie, login, id)
}

#[tokio::test]
async fn retry_credit_is_refused_for_a_deposit_held_because_of_another_currency() {
    let app = spawn().await;
    let (cookie, login, id) = held_for_currency(&app).await;
    let staff = admin(&app).await;

    let html = app.get_with_cookie("/backoffice", &staff).await.text().await.unwrap();
    assert!(html.contains(&id), "the admin sees the deposit");
    assert!(html.contains("data-state=\"review\""), "listed as review");
    assert!(html.contains("provider confirmed 30.00 EUR"), "with the reason");
    assert!(!html.contains(&format!("/backoffice/deposits/{id}/retry-credit")), "no Retry credit for a currency mismatch");

    // A forged or replayed form is refused too, and changes nothing.
    let res = app
        .http
        .post(app.url(&format!("/backoffice/deposits/{id}/retry-credit")))
        .header("origin", app.base.clone())
        .header("cookie", &staff)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let db = app.db().await;
    let (state, confirmed): (String, Option<i64>) =
        sqlx::query_as("SELECT state, confirmed_minor FROM deposits WHERE id = $1").bind(&id).fetch_one(&db).await.unwrap();
    assert_eq!((state.as_str(), confirmed), ("review", None), "the deposit stays in review with nothing confirmed");
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM credit_outbox").fetch_one(&db).await.unwrap(), 0, "no credit job");
    assert_eq!(status(&app, &cookie, &id).await["deposit"]["state"], "Review");
    assert_eq!(app.sim_trader(login).await["balance"], "1000.00", "nothing credited");
    let html = app.get_with_cookie("/backoffice", &staff).await.text().await.unwrap();
    assert!(html.contains("data-state=\"review\""), "still in review for the admin");
}

/// cTrader refuses the credit for good: the deposit is held for review. The
/// trader's status answer says Review (not Failed, so the screen does not send
/// them to the failure URL) with the paid amount, and the deposit screen lists
/// it as paid and being checked, in the trader's language.
#[tokio::test]
async fn the_trader_sees_a_deposit_in_review_as_paid_and_being_checked() {
    let app = spawn_with(|f| Settings::with(f, "payments.settle_ms", 200)).await;
    let (cookie, login) = app.sign_in(None).await;
    let fault = json!({"endpoint": "changeBalance", "kind": "error", "status": 400});
    assert_eq!(app.http.post(app.url("/sim/faults")).json(&fault).send().await.unwrap().status(), 201);
    let page = started(&app, &cookie, "75", KEY).await;
    let id = deposit_id(&pay(&app, &page, "4242424242424242").await);
    let s = wait_for_state(&app, &cookie, &id, "Review").await;
    assert_eq!(s["deposit"]["id"], id.as_str());
    assert_eq!(s["deposit"]["amount"], "75.00", "the paid amount: {s}");
    assert_eq!(s["deposit"]["currency"], "USD");
    assert_eq!(app.sim_trader(login).await["balance"], "1000.00");

    let html = common::shown(&app.get_with_cookie("/inapp/deposit", &cookie).await.text().await.unwrap());
    assert!(html.contains("data-testid=\"recent-deposit\" data-state=\"review\""), "listed as review: {html}");
    assert!(html.contains("Paid, being checked by our team"), "the trader is told it is paid and being checked");
    assert!(!html.contains(">Failed<"), "not shown as failed");

    let html = common::shown(&app.get_with_cookie("/inapp/deposit?lang=de", &cookie).await.text().await.unwrap());
    assert!(html.contains("Bezahlt, wird von unserem Team geprüft"), "in the trader's language");
    assert!(!html.contains("Paid, being checked by our team"));
}
