//! What happens to money off the happy path: fees, a provider that confirms
//! another amount or currency, cTrader refusing or rate-limiting the credit,
//! a form re-sent with another amount, deposits never paid, and the lease
//! fence that keeps two workers from both acting on one credit.

use crate::common;

use broker_inapp::backoffice::Role;
use broker_inapp::config::Settings;
use broker_inapp::time::now_ms;
use common::deposits::*;
use common::{spawn, spawn_with, staff_cookie};
use serde_json::json;

fn with_fee(f: figment::Figment) -> figment::Figment {
    Settings::with(f, "deposit.currencies.USD.fee_percent", "2")
}

#[tokio::test]
async fn with_a_fee_the_trader_pays_amount_plus_fee_and_the_amount_is_credited() {
    let app = spawn_with(with_fee).await;
    let (cookie, login) = app.sign_in(None).await;
    let page = started(&app, &cookie, "100.00", KEY).await;
    let html = app.get(&page).await.text().await.unwrap();
    assert!(html.contains("102.00"), "the payment page charges amount + 2% fee");
    let id = deposit_id(&pay(&app, &page, "4242424242424242").await);
    wait_for_state(&app, &cookie, &id, "Credited").await;
    let trader = app.sim_trader(login).await;
    assert_eq!(trader["balance"], "1100.00", "the fee is not credited");
    assert_eq!(trader["history"][0]["preciseAmount"], "100.00");
}

#[tokio::test]
async fn the_providers_amount_is_credited_less_the_fee_not_the_requested_one() {
    let app = spawn_with(with_fee).await;
    let (cookie, login) = app.sign_in(None).await;
    started(&app, &cookie, "100.00", KEY).await;
    let id = only_deposit_id(&app).await;
    // The provider took 81.60 (say, a partial capture): 81.60 - 2.00 fee.
    let answer = deliver(&app, &event("evt_partial", "payment.succeeded", &id, "81.60")).await;
    assert_eq!(answer["outcome"], "applied");
    let s = wait_for_state(&app, &cookie, &id, "Credited").await;
    assert_eq!(s["deposit"]["amount"], "79.60");
    assert_eq!(app.sim_trader(login).await["balance"], "1079.60");
}

#[tokio::test]
async fn a_currency_code_in_lower_case_is_the_same_currency() {
    let app = spawn().await;
    let (cookie, login) = app.sign_in(None).await;
    started(&app, &cookie, "30", KEY).await;
    let id = only_deposit_id(&app).await;
    deliver(&app, &event_in("evt_lower", "payment.succeeded", &id, "30.00", "usd")).await;
    wait_for_state(&app, &cookie, &id, "Credited").await;
    assert_eq!(app.sim_trader(login).await["balance"], "1030.00");
}

#[tokio::test]
async fn a_payment_in_another_currency_is_held_for_review_not_failed_or_credited() {
    let app = spawn().await;
    let (cookie, login) = app.sign_in(None).await;
    started(&app, &cookie, "30", KEY).await;
    let id = only_deposit_id(&app).await;
    let answer = deliver(&app, &event_in("evt_eur", "payment.succeeded", &id, "30.00", "EUR")).await;
    assert_eq!(answer["outcome"], "applied");
    let s = status(&app, &cookie, &id).await;
    assert_eq!(s["deposit"]["state"], "Review", "{s}");
    // A duplicate of that event changes nothing, and nothing is ever credited:
    // no credit job exists for a worker to pick up.
    assert_eq!(deliver(&app, &event_in("evt_eur", "payment.succeeded", &id, "30.00", "EUR")).await["outcome"], "duplicate");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM credit_outbox").await, 0);
    assert_eq!(app.sim_trader(login).await["balance"], "1000.00");
}

#[tokio::test]
async fn a_credit_ctrader_refuses_waits_for_review_and_an_admin_retry_credits_it_once() {
    let app = spawn_with(|f| Settings::with(f, "payments.settle_ms", 200)).await;
    let (cookie, login) = app.sign_in(None).await;
    let fault = json!({"endpoint": "changeBalance", "kind": "error", "status": 400});
    assert_eq!(app.http.post(app.url("/sim/faults")).json(&fault).send().await.unwrap().status(), 201);
    let page = started(&app, &cookie, "75", KEY).await;
    let back = pay(&app, &page, "4242424242424242").await;
    let id = deposit_id(&back);
    wait_for_state(&app, &cookie, &id, "Review").await;
    assert_eq!(app.sim_trader(login).await["balance"], "1000.00");

    let staff = admin(&app).await;
    let html = app.get_with_cookie("/backoffice", &staff).await.text().await.unwrap();
    assert!(html.contains(&format!("/backoffice/deposits/{id}/retry-credit")), "the admin is offered a retry");
    assert_eq!(app.http.delete(app.url("/sim/faults")).send().await.unwrap().status(), 204);
    // Meanwhile the deposit reached the account after all (a dealer applied it
    // by hand, or the refusal was wrong): the retry must find it, not send a
    // second copy.
    let landed = broker_inapp::ctrader::BalanceChange {
        login: common::login(login),
        amount: rust_decimal::Decimal::new(75, 0),
        kind: broker_inapp::ctrader::BalanceChangeType::Deposit,
        comment: None,
        external_note: None,
        external_id: Some(id.clone()),
        source: None,
    };
    let landed_id = app.state.ctrader.change_balance(&landed).await.unwrap();
    let retry = |cookie: String| {
        app.http.post(app.url(&format!("/backoffice/deposits/{id}/retry-credit"))).header("origin", app.base.clone()).header("cookie", cookie).send()
    };
    assert_eq!(retry(staff.clone()).await.unwrap().status(), 303);
    wait_for_state(&app, &cookie, &id, "Credited").await;
    // A second click (or a replayed form) finds nothing in review.
    assert_eq!(retry(staff).await.unwrap().status(), 404);
    let trader = app.sim_trader(login).await;
    assert_eq!(trader["balance"], "1075.00", "credited once: {trader}");
    assert_eq!(trader["history"].as_array().unwrap().len(), 1);
    let ours = app.count("app.db", &format!("SELECT balance_history_id FROM deposits WHERE id = '{id}'")).await;
    assert_eq!(ours, landed_id, "the copy found by the lookup is recorded");
}

#[tokio::test]
async fn support_staff_cannot_send_a_credit_back_or_mark_a_copy_reversed() {
    let app = spawn().await;
    let staff = staff_cookie(&app, "help@broker.example", Role::Support).await;
    for action in ["retry-credit", "duplicate-reversed"] {
        let res = app
            .http
            .post(app.url(&format!("/backoffice/deposits/dep_any/{action}")))
            .header("origin", app.base.clone())
            .header("cookie", &staff)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{action}");
    }
}

#[tokio::test]
async fn a_rate_limited_or_timed_out_credit_is_retried_not_refused() {
    let app = spawn_with(|f| {
        let f = Settings::with(f, "payments.settle_ms", 1500);
        let f = Settings::with(f, "payments.retry_base_ms", 20);
        Settings::with(f, "payments.retry_max_ms", 100)
    })
    .await;
    let (cookie, login) = app.sign_in(None).await;
    for status in [429, 408] {
        let fault = json!({"endpoint": "changeBalance", "kind": "error", "status": status, "remaining": 1});
        assert_eq!(app.http.post(app.url("/sim/faults")).json(&fault).send().await.unwrap().status(), 201);
        let key = format!("{KEY}-{status}");
        let page = started(&app, &cookie, "20", &key).await;
        let id = deposit_id(&pay(&app, &page, "4242424242424242").await);
        wait_for_state(&app, &cookie, &id, "Credited").await;
    }
    assert_eq!(app.sim_trader(login).await["balance"], "1040.00");
}

#[tokio::test]
async fn the_same_form_sent_again_with_another_amount_is_refused() {
    let app = spawn().await;
    let (cookie, _) = app.sign_in(None).await;
    started(&app, &cookie, "10", KEY).await;
    let again = start(&app, &cookie, "10", KEY).await;
    assert_eq!(again.status(), 200, "the same submit is the same payment");
    let changed = start(&app, &cookie, "20", KEY).await;
    assert_eq!(changed.status(), 409);
    assert!(changed.text().await.unwrap().contains("AlreadySubmitted"));
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM deposits").await, 1);
    assert_eq!(app.count("app.db", "SELECT requested_minor FROM deposits").await, 1000);
}

#[tokio::test]
async fn a_deposit_never_paid_expires_and_a_late_payment_still_credits() {
    let app = spawn_with(|f| Settings::with(f, "payments.pending_expiry_minutes", 1)).await;
    let (cookie, login) = app.sign_in(None).await;
    started(&app, &cookie, "60", KEY).await;
    let id = only_deposit_id(&app).await;
    broker_inapp::startup::housekeep(&app.state).await;
    assert_eq!(status(&app, &cookie, &id).await["deposit"]["state"], "Pending", "a fresh deposit is left alone");

    // A minute and a second later, on the application's clock.
    app.state.clock.advance(std::time::Duration::from_secs(61));
    broker_inapp::startup::housekeep(&app.state).await;
    assert_eq!(status(&app, &cookie, &id).await["deposit"]["state"], "Expired");

    deliver(&app, &event("evt_late", "payment.succeeded", &id, "60.00")).await;
    wait_for_state(&app, &cookie, &id, "Credited").await;
    assert_eq!(app.sim_trader(login).await["balance"], "1060.00");
}

#[tokio::test]
async fn a_worker_that_overran_its_lease_cannot_touch_the_job_another_worker_holds() {
    let app = spawn_with(|f| Settings::with(f, "payments.worker", false)).await;
    let (cookie, _) = app.sign_in(None).await;
    started(&app, &cookie, "15", KEY).await;
    let id = only_deposit_id(&app).await;
    deliver(&app, &event("evt_lease", "payment.succeeded", &id, "15.00")).await;
    let deposits = &app.state.store.deposits;

    let t0 = now_ms();
    let first = deposits.claim_credits(t0, 1_000, 10).await.unwrap();
    assert_eq!(first.len(), 1);
    assert!(deposits.claim_credits(t0 + 500, 1_000, 10).await.unwrap().is_empty(), "leased");
    // The first worker is slow; after its lease, a second one takes over.
    let second = deposits.claim_credits(t0 + 1_001, 60_000, 10).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].attempt, first[0].attempt + 1);

    // The first worker's late writes change nothing: the job stays leased to the second.
    deposits.retry_credit_at(&id.parse().unwrap(), first[0].attempt, t0, "late").await.unwrap();
    deposits.review_credit(&id.parse().unwrap(), first[0].attempt, "late", t0).await.unwrap();
    assert!(deposits.claim_credits(t0 + 2_000, 1_000, 10).await.unwrap().is_empty(), "still the second worker's");
    assert_eq!(status(&app, &cookie, &id).await["deposit"]["state"], "Confirmed");

    // The holder's own write does release it.
    deposits.retry_credit_at(&id.parse().unwrap(), second[0].attempt, t0, "unknown").await.unwrap();
    assert_eq!(deposits.claim_credits(t0 + 2_000, 1_000, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_credit_is_never_sent_when_too_little_of_its_lease_is_left() {
    // settle_ms longer than the lease the store is asked for: the worker must
    // not call cTrader at all rather than risk a late landing.
    let app = spawn_with(|f| Settings::with(f, "payments.worker", false)).await;
    let (cookie, login) = app.sign_in(None).await;
    started(&app, &cookie, "15", KEY).await;
    let id = only_deposit_id(&app).await;
    deliver(&app, &event("evt_short", "payment.succeeded", &id, "15.00")).await;
    let mut jobs = app.state.store.deposits.claim_credits(now_ms(), 1_000, 10).await.unwrap();
    jobs[0].leased_until = now_ms() + 1_000;
    broker_inapp::deposit::credit::work(&app.state, jobs.remove(0)).await;
    let calls: serde_json::Value = app.http.get(app.url("/sim/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(calls["calls"]["changeBalance"].as_i64().expect("the simulator counts changeBalance"), 0);
    assert_eq!(app.sim_trader(login).await["balance"], "1000.00");
    assert_eq!(status(&app, &cookie, &id).await["deposit"]["state"], "Confirmed", "left for a later attempt");
}

#[tokio::test]
async fn a_change_ctrader_applies_after_our_timeout_is_found_not_sent_twice() {
    // The change lands 900 ms after it was sent; we gave up at 300 ms and
    // wait settle_ms (1.5 s) before looking it up.
    let app = spawn_with(|f| {
        let f = Settings::with(f, "ctrader.timeout_ms", 300);
        let f = Settings::with(f, "payments.retry_base_ms", 20);
        Settings::with(f, "payments.settle_ms", 1500)
    })
    .await;
    let (cookie, login) = app.sign_in(None).await;
    let fault = json!({"endpoint": "changeBalance", "kind": "slowApply", "delayMs": 900, "remaining": 1});
    assert_eq!(app.http.post(app.url("/sim/faults")).json(&fault).send().await.unwrap().status(), 201);
    started(&app, &cookie, "45", KEY).await;
    let id = only_deposit_id(&app).await;
    deliver(&app, &event("evt_slow", "payment.succeeded", &id, "45.00")).await;
    wait_for_state(&app, &cookie, &id, "Credited").await;
    let trader = app.sim_trader(login).await;
    assert_eq!(trader["history"].as_array().unwrap().len(), 1, "{trader}");
    assert_eq!(trader["balance"], "1045.00");
    let stats: serde_json::Value = app.http.get(app.url("/sim/stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(stats["calls"]["changeBalance"], 1, "settled by lookup, not by a second change");
}

#[tokio::test]
async fn faults_are_switched_on_and_off_from_the_sim_page() {
    let app = spawn().await;
    let page = app.get("/sim").await.text().await.unwrap();
    assert!(page.contains("none: every call is answered normally"));
    let set = app
        .http
        .post(app.url("/sim/faults/form"))
        .form(&[("endpoint", "changeBalance"), ("kind", "slowApply"), ("delayMs", "900"), ("status", "503"), ("probability", "0.5")])
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 303);
    let page = app.get("/sim").await.text().await.unwrap();
    assert!(page.contains("<code>changeBalance</code>: slowApply, delay 900 ms"), "{page}");
    let listed: serde_json::Value = app.get("/sim/faults").await.json().await.unwrap();
    assert_eq!(listed["faults"][0]["kind"], "slowApply");
    let bad = app
        .http
        .post(app.url("/sim/faults/form"))
        .form(&[("endpoint", "nowhere"), ("kind", "delay"), ("delayMs", "1"), ("status", "503"), ("probability", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    assert_eq!(app.http.post(app.url("/sim/faults/clear")).send().await.unwrap().status(), 303);
    assert!(app.get("/sim").await.text().await.unwrap().contains("none: every call is answered normally"));
}
