//! Stripe Checkout through its contract simulator: a session per deposit with
//! the amount in minor units and the deposit id as idempotency key; crediting
//! on the documented events, exactly once, whatever order or how often they
//! arrive; the `Stripe-Signature` check.

use crate::common;

use broker_inapp::deposit::signature;
use broker_inapp::server_fns::deposit::StartDeposit;
use common::deposits::{deposit_id, status, wait_for_state};
use common::TestApp;
use serde_json::{json, Value};

const SECRET_KEY: &str = "sk_test_simulator";
const WEBHOOK_SECRET: &str = "whsec_simulator";

async fn app() -> TestApp {
    common::spawn_with(|f| {
        let f = broker_inapp::config::Settings::with(f, "deposit.methods", json!([{ "name": "stripe", "kind": "stripe_checkout" }]));
        broker_inapp::config::Settings::with(f, "payments.stripe.simulator_async_delay_ms", 1500)
    })
    .await
}

async fn trader(app: &TestApp, currency: &str) -> (String, i64) {
    let v = app.mint(json!({ "currency": currency })).await;
    let (cookie, _) = app.open(&format!("/inapp/deposit?token={}", v["token"].as_str().unwrap())).await;
    (cookie, v["login"].as_i64().unwrap())
}

/// Starts a Stripe deposit: the checkout page's path.
async fn checkout(app: &TestApp, cookie: &str, amount: &str, key: &str) -> String {
    let res = app.call(cookie, StartDeposit { amount: amount.into(), method: "stripe".into(), key: key.into() }).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn session(app: &TestApp, id: &str) -> Value {
    let res = app.http.get(app.url(&format!("/psp/stripe/v1/checkout/sessions/{id}"))).bearer_auth(SECRET_KEY).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Submits the checkout page; where it sends the browser.
async fn pay(app: &TestApp, page: &str, action: &str, card: &str) -> reqwest::Response {
    app.http.post(app.url(page)).form(&[("card", card), ("action", action)]).send().await.unwrap()
}

async fn events(app: &TestApp, session: &str) -> Vec<Value> {
    let v: Value = app.http.get(app.url(&format!("/psp/stripe/test/events?session={session}"))).send().await.unwrap().json().await.unwrap();
    v["data"].as_array().unwrap().clone()
}

/// Posts a webhook as Stripe would, signed with `secret` at `at`.
async fn webhook(app: &TestApp, body: &Value, secret: &str, at: i64) -> reqwest::Response {
    let raw = body.to_string();
    app.http
        .post(app.url("/payments/webhook/stripe"))
        .header("stripe-signature", signature::sign(secret, at, raw.as_bytes()))
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap()
}

fn now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn event(id: &str, kind: &str, session: &Value) -> Value {
    json!({ "id": id, "object": "event", "type": kind, "data": { "object": session } })
}

#[tokio::test]
async fn a_session_per_deposit_with_the_amount_in_minor_units_and_the_deposit_as_reference() {
    let app = app().await;
    let (cookie, _) = trader(&app, "USD").await;
    let page = checkout(&app, &cookie, "250.50", "stripe-key-0123456789abcdef").await;
    let sid = page.strip_prefix("/psp/stripe/pay/").expect("Stripe's hosted page").to_string();
    let s = session(&app, &sid).await;
    let id = &app.text("app.db", "SELECT id FROM deposits").await;
    assert_eq!((s["amount_total"].as_i64(), s["currency"].as_str()), (Some(25050), Some("usd")));
    assert_eq!(s["client_reference_id"].as_str(), Some(id.as_str()));
    assert!(s["success_url"].as_str().unwrap().ends_with(&format!("/inapp/deposit?deposit={id}")), "{s}");
    assert!(s["success_url"].as_str().unwrap().starts_with("http"), "absolute, as Stripe requires");
    // The same form again, in a later second: the same session (the deposit
    // id is the idempotency key, and Stripe refuses a key whose parameters
    // changed, so nothing sent may depend on the clock).
    let first = now_s();
    while now_s() == first {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(checkout(&app, &cookie, "250.50", "stripe-key-0123456789abcdef").await, page);
    // A zero-decimal currency is sent in whole units.
    let (yen, _) = trader(&app, "JPY").await;
    let page = checkout(&app, &yen, "5000", "stripe-yen-0123456789abcdef").await;
    let s = session(&app, page.strip_prefix("/psp/stripe/pay/").unwrap()).await;
    assert_eq!((s["amount_total"].as_i64(), s["currency"].as_str()), (Some(5000), Some("jpy")));
    // The simulator holds Stripe's contract: a wrong key is refused.
    let res = app.http.get(app.url(&format!("/psp/stripe/v1/checkout/sessions/{sid}"))).bearer_auth("sk_test_wrong").send().await.unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn paid_once_credited_once_whatever_events_repeat_or_arrive_late() {
    let app = app().await;
    let (cookie, login) = trader(&app, "USD").await;
    let page = checkout(&app, &cookie, "100", "stripe-pay-0123456789abcdef").await;
    let sid = page.strip_prefix("/psp/stripe/pay/").unwrap().to_string();
    let res = pay(&app, &page, "pay", "4242 4242 4242 4242").await;
    assert_eq!(res.status(), 303);
    let back = res.headers()["location"].to_str().unwrap().to_string();
    let id = deposit_id(&back);
    let s = wait_for_state(&app, &cookie, &id, "Credited").await;
    assert_eq!(s["deposit"]["amount"], "100.00");

    // Stripe sends the completed event again (twice), then a stale expiry.
    let sent = events(&app, &sid).await;
    assert_eq!(sent.iter().map(|e| e["type"].as_str().unwrap()).collect::<Vec<_>>(), ["checkout.session.completed"]);
    let completed = sent[0]["id"].as_str().unwrap();
    for _ in 0..2 {
        let res = app.http.post(app.url(&format!("/psp/stripe/test/events/{completed}/resend"))).send().await.unwrap();
        assert_eq!(res.status(), 204);
    }
    let late = event("evt_late_expiry", "checkout.session.expired", &json!({ "id": sid, "client_reference_id": id, "payment_status": "unpaid" }));
    let res = webhook(&app, &late, WEBHOOK_SECRET, now_s()).await;
    assert_eq!(res.json::<Value>().await.unwrap()["outcome"], "ignored", "an expiry after the payment changes nothing");
    app.drain().await;
    assert_eq!(status(&app, &cookie, &id).await["deposit"]["state"], "Credited");
    let h = app.sim_trader(login).await["history"].as_array().unwrap().clone();
    assert_eq!((h.len(), h[0]["externalId"].as_str()), (1, Some(id.as_str())));
}

#[tokio::test]
async fn a_payment_reported_after_the_session_expired_is_still_credited() {
    let app = app().await;
    let (cookie, login) = trader(&app, "EUR").await;
    let page = checkout(&app, &cookie, "80", "stripe-late-0123456789abcdef").await;
    let sid = page.strip_prefix("/psp/stripe/pay/").unwrap().to_string();
    let id = app.text("app.db", "SELECT id FROM deposits").await;
    let res = app.http.post(app.url(&format!("/psp/stripe/v1/checkout/sessions/{sid}/expire"))).bearer_auth(SECRET_KEY).send().await.unwrap();
    assert_eq!(res.status(), 200);
    wait_for_state(&app, &cookie, &id, "Expired").await;
    // Out of order: Stripe's completed event for the same session arrives
    // after its expiry. The money was taken, so it is credited, once.
    let paid = json!({ "id": sid, "client_reference_id": id, "payment_status": "paid", "amount_total": 8000, "currency": "eur" });
    for _ in 0..2 {
        assert_eq!(webhook(&app, &event("evt_paid_late", "checkout.session.completed", &paid), WEBHOOK_SECRET, now_s()).await.status(), 200);
    }
    wait_for_state(&app, &cookie, &id, "Credited").await;
    assert_eq!(app.sim_trader(login).await["history"].as_array().unwrap().len(), 1);
}

/// Stripe does not promise order: the asynchronous success can arrive before
/// the "completed, unpaid" event of the same session.
#[tokio::test]
async fn a_bank_debits_success_before_its_completion_credits_once() {
    let app = app().await;
    let (cookie, login) = trader(&app, "USD").await;
    let page = checkout(&app, &cookie, "45", "stripe-order-0123456789abcd").await;
    let sid = page.strip_prefix("/psp/stripe/pay/").unwrap().to_string();
    let id = app.text("app.db", "SELECT id FROM deposits").await;
    let session = |status: &str| json!({ "id": sid, "client_reference_id": id, "payment_status": status, "amount_total": 4500, "currency": "usd" });
    let succeeded = event("evt_async_ok", "checkout.session.async_payment_succeeded", &session("paid"));
    let completed = event("evt_completed", "checkout.session.completed", &session("unpaid"));
    assert_eq!(webhook(&app, &succeeded, WEBHOOK_SECRET, now_s()).await.json::<Value>().await.unwrap()["outcome"], "applied");
    assert_eq!(webhook(&app, &completed, WEBHOOK_SECRET, now_s()).await.json::<Value>().await.unwrap()["outcome"], "ignored");
    assert_eq!(webhook(&app, &succeeded, WEBHOOK_SECRET, now_s()).await.json::<Value>().await.unwrap()["outcome"], "duplicate");
    let s = wait_for_state(&app, &cookie, &id, "Credited").await;
    assert_eq!(s["deposit"]["amount"], "45.00");
    assert_eq!(app.sim_trader(login).await["history"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_declined_card_keeps_the_session_open_and_a_bank_debit_confirms_later_or_fails() {
    let app = app().await;
    let (cookie, login) = trader(&app, "EUR").await;
    let page = checkout(&app, &cookie, "60", "stripe-debit-0123456789abcd").await;
    let sid = page.strip_prefix("/psp/stripe/pay/").unwrap().to_string();
    let res = pay(&app, &page, "pay", "4000 0000 0000 0002").await;
    assert_eq!(res.status(), 402);
    assert!(res.text().await.unwrap().contains("Your card was declined."));
    assert!(events(&app, &sid).await.is_empty(), "a decline sends nothing: the trader can try again");

    let res = pay(&app, &page, "debit", "").await;
    let id = deposit_id(res.headers()["location"].to_str().unwrap());
    // Completed but unpaid: still waiting.
    app.drain().await;
    assert_eq!(status(&app, &cookie, &id).await["deposit"]["state"], "Pending");
    let s = wait_for_state(&app, &cookie, &id, "Credited").await;
    assert_eq!(s["deposit"]["amount"], "60.00");
    let kinds: Vec<String> = events(&app, &sid).await.iter().map(|e| e["type"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, ["checkout.session.completed", "checkout.session.async_payment_succeeded"]);

    let page = checkout(&app, &cookie, "70", "stripe-fail-0123456789abcde").await;
    let res = pay(&app, &page, "debit_fail", "").await;
    let failed = deposit_id(res.headers()["location"].to_str().unwrap());
    wait_for_state(&app, &cookie, &failed, "Failed").await;
    assert_eq!(app.sim_trader(login).await["history"].as_array().unwrap().len(), 1, "only the paid one");
}

#[tokio::test]
async fn only_stripe_signed_fresh_events_are_taken() {
    let app = app().await;
    let session = json!({ "id": "cs_x", "client_reference_id": "dep_0123456789abcdef0123456789abcdef", "payment_status": "paid", "amount_total": 100, "currency": "usd" });
    let body = event("evt_x", "checkout.session.completed", &session);
    let raw = body.to_string();
    let unsigned = app.http.post(app.url("/payments/webhook/stripe")).body(raw.clone()).send().await.unwrap();
    assert_eq!(unsigned.status(), 400);
    assert_eq!(unsigned.json::<Value>().await.unwrap()["code"], "MISSING_SIGNATURE");
    assert_eq!(webhook(&app, &body, "whsec_someone_else", now_s()).await.status(), 401);
    let stale = webhook(&app, &body, WEBHOOK_SECRET, now_s() - 301).await;
    assert_eq!(stale.json::<Value>().await.unwrap()["code"], "STALE_SIGNATURE");
    // The sandbox's webhook is not served when no method uses the sandbox.
    assert_eq!(app.http.post(app.url("/payments/webhook/sandbox")).body("{}").send().await.unwrap().status(), 404);
    // Correctly signed, for a deposit that is not ours: taken and ignored.
    let res = webhook(&app, &body, WEBHOOK_SECRET, now_s()).await;
    assert_eq!(res.json::<Value>().await.unwrap()["outcome"], "unknown_reference");
    // A paid event without its amount is refused, not guessed.
    let mut no_amount = body.clone();
    no_amount["data"]["object"]["amount_total"] = Value::Null;
    assert_eq!(webhook(&app, &no_amount, WEBHOOK_SECRET, now_s()).await.json::<Value>().await.unwrap()["code"], "INVALID_EVENT");
}
