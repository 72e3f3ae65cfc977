//! Deposits end to end over HTTP: the server functions, the sandbox provider's
//! API and hosted page, signed webhooks, and the crediting worker against the
//! simulator's balance history.

use crate::common;
use broker_inapp::server_fns::deposit::{GetDepositStatus, LoadDepositForm, StartDeposit};

use broker_inapp::config::Settings;
use broker_inapp::deposit::signature;
use common::deposits::*;
use common::{spawn, spawn_with};
use serde_json::Value;

#[tokio::test]
async fn a_paid_deposit_is_credited_once_and_lands_on_the_success_url() {
    let app = spawn().await;
    let (cookie, login) = app.sign_in(None).await;
    let page = started(&app, &cookie, "250.00", KEY).await;
    assert!(page.starts_with("/psp/sandbox/pay/"), "{page}");
    let back = pay(&app, &page, "4242 4242 4242 4242").await;
    let id = deposit_id(&back);
    let done = wait_for_state(&app, &cookie, &id, "Credited").await;
    assert_eq!(done["success_url"], format!("/done/success?depositId={id}"));
    let trader = app.sim_trader(login).await;
    assert_eq!(trader["balance"], "1250.00");
    let history = trader["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["externalId"], id);
    assert_eq!(history[0]["preciseAmount"], "250.00");
    assert_eq!(history[0]["type"], "DEPOSIT");
}

#[tokio::test]
async fn a_declined_card_goes_to_the_failure_url_and_moves_no_money() {
    let app = spawn().await;
    let (cookie, login) = app.sign_in(None).await;
    let page = started(&app, &cookie, "100", KEY).await;
    let id = deposit_id(&pay(&app, &page, "4000000000000002").await);
    let failed = wait_for_state(&app, &cookie, &id, "Failed").await;
    assert_eq!(failed["failure_url"], format!("/done/failure?depositId={id}"));
    let trader = app.sim_trader(login).await;
    assert_eq!(trader["balance"], "1000.00");
    assert!(trader["history"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_asynchronous_card_confirms_later() {
    let app = spawn_with(|f| Settings::with(f, "payments.sandbox_async_delay_ms", 3000)).await;
    let (cookie, login) = app.sign_in(None).await;
    let page = started(&app, &cookie, "75.50", KEY).await;
    let id = deposit_id(&pay(&app, &page, "4000000000003220").await);
    // A card paid after it goes all the way through while the asynchronous
    // one still waits for its confirmation: it is not just the same poller.
    let other = started(&app, &cookie, "10", "asynchronous-comparison-key-0001").await;
    let quick = deposit_id(&pay(&app, &other, "4242424242424242").await);
    wait_for_state(&app, &cookie, &quick, "Credited").await;
    assert_eq!(status(&app, &cookie, &id).await["deposit"]["state"], "Pending", "still waiting for the provider");
    assert_eq!(app.sim_trader(login).await["balance"], "1010.00");
    wait_for_state(&app, &cookie, &id, "Credited").await;
    assert_eq!(app.sim_trader(login).await["balance"], "1085.50");
}

#[tokio::test]
async fn every_bad_amount_is_refused_by_the_server_too() {
    let app = spawn().await;
    let (cookie, _) = app.sign_in(None).await;
    for (amount, reason) in [
        ("10.005", "TooManyDecimals"),
        ("1e3", "NotANumber"),
        ("NaN", "NotANumber"),
        ("-1", "NotPositive"),
        ("0", "NotPositive"),
        ("50000.01", "AboveMax"),
        ("9.99", "BelowMin"),
        ("", "Empty"),
    ] {
        let res = start(&app, &cookie, amount, KEY).await;
        assert_eq!(res.status(), 422, "{amount}");
        let text = res.text().await.unwrap();
        assert!(text.contains(reason), "{amount}: {text}");
    }
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM deposits").await, 0, "no half-written deposit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_submits_of_one_form_make_one_payment() {
    let app = spawn().await;
    let (cookie, _) = app.sign_in(None).await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (http, url, cookie, origin) = (common::client(), app.url("/api/deposit/start"), cookie.clone(), app.base.clone());
            tokio::spawn(async move {
                let res = http
                    .post(url)
                    .header("cookie", cookie)
                    .header("origin", origin)
                    .form(&[("amount", "100"), ("method", "card"), ("key", KEY)])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200);
                res.json::<String>().await.unwrap()
            })
        })
        .collect();
    let mut pages = vec![];
    for t in tasks {
        pages.push(t.await.unwrap());
    }
    pages.dedup();
    assert_eq!(pages.len(), 1, "every submit got the same payment page");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM deposits").await, 1);
    assert_eq!(app.count("psp.db", "SELECT COUNT(*) FROM psp_payments").await, 1);
}

#[tokio::test]
async fn another_traders_account_or_deposit_is_refused() {
    let app = spawn().await;
    let (alice, _) = app.sign_in(None).await;
    let (bob, bob_login) = app.sign_in(None).await;
    let other = bob_login.to_string();
    let form = app.call(&alice, LoadDepositForm { account: Some(other.clone()) }).await;
    assert_eq!(form.status(), 403);
    assert!(form.text().await.unwrap().contains("AccountNotYours"));
    let page = started(&app, &bob, "100", KEY).await;
    let id = deposit_id(&pay(&app, &page, "4242424242424242").await);
    let peek = app.call(&alice, GetDepositStatus { id: id.clone() }).await;
    assert_eq!(peek.status(), 404);
    assert!(peek.text().await.unwrap().contains("NotFound"));
}

#[tokio::test]
async fn webhooks_must_be_signed_fresh_and_are_applied_once() {
    let app = spawn().await;
    let (cookie, login) = app.sign_in(None).await;
    // A deposit whose hosted page nobody visits: only our crafted webhooks reach it.
    started(&app, &cookie, "40", KEY).await;
    let deposit = only_deposit_id(&app).await;
    let secret = "sandbox-webhook-secret";
    let body = event("evt_test_1", "payment.succeeded", &deposit, "40.00");

    // The provider's operators read the code in their delivery log: each refusal says which.
    let refusal =
        |res: reqwest::Response| async move { (res.status().as_u16(), res.json::<Value>().await.unwrap()["code"].as_str().unwrap_or("").to_string()) };
    assert_eq!(refusal(post_webhook(&app, &body, None).await).await, (400, "MISSING_SIGNATURE".into()), "missing signature");
    assert_eq!(refusal(post_webhook(&app, &body, Some("t=1,v1=zz".into())).await).await, (400, "MALFORMED_SIGNATURE".into()), "malformed");
    let wrong = signature::sign("not-the-secret-at-all", now_s(), body.as_bytes());
    assert_eq!(refusal(post_webhook(&app, &body, Some(wrong)).await).await, (401, "INVALID_SIGNATURE".into()), "wrong key");
    let stale = signature::sign(secret, now_s() - 301, body.as_bytes());
    assert_eq!(refusal(post_webhook(&app, &body, Some(stale)).await).await, (401, "STALE_SIGNATURE".into()), "too old");
    let tampered = signature::sign(secret, now_s(), body.as_bytes());
    let other_body = event("evt_test_1", "payment.succeeded", &deposit, "4000.00");
    assert_eq!(refusal(post_webhook(&app, &other_body, Some(tampered.clone())).await).await, (401, "INVALID_SIGNATURE".into()), "body changed after signing");
    let not_an_event = r#"{"id":"evt_x"}"#;
    let signed = signature::sign(secret, now_s(), not_an_event.as_bytes());
    assert_eq!(refusal(post_webhook(&app, not_an_event, Some(signed)).await).await, (400, "INVALID_EVENT".into()), "signed but not an event");
    // Signed, but about no deposit of ours: a stranger's reference, one of the
    // right shape that we never issued, and one of another case.
    let shouted = deposit.to_uppercase();
    for reference in ["pay_someone_else", "dep_0123456789abcdef0123456789abcdef", shouted.as_str()] {
        let stray = event("evt_stray", "payment.succeeded", reference, "40.00");
        assert_eq!(deliver(&app, &stray).await["outcome"], "unknown_reference", "{reference}");
    }
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM payment_events").await, 0, "nothing applied yet");

    let first = post_webhook(&app, &body, Some(tampered.clone())).await;
    assert_eq!(first.json::<Value>().await.unwrap()["outcome"], "applied");
    let again = post_webhook(&app, &body, Some(signature::sign(secret, now_s(), body.as_bytes()))).await;
    assert_eq!(again.json::<Value>().await.unwrap()["outcome"], "duplicate");
    // A late "failed" for the same deposit (reordered delivery) changes nothing.
    let late = event("evt_test_2", "payment.failed", &deposit, "40.00");
    let res = post_webhook(&app, &late, Some(signature::sign(secret, now_s(), late.as_bytes()))).await;
    assert_eq!(res.json::<Value>().await.unwrap()["outcome"], "ignored");
    wait_for_state(&app, &cookie, &deposit, "Credited").await;
    // The sandbox's own webhook never came (nobody paid on its page), and the
    // credit happened once, for the provider's amount.
    let trader = app.sim_trader(login).await;
    assert_eq!(trader["balance"], "1040.00");
    assert_eq!(trader["history"].as_array().unwrap().len(), 1);
    let garbage = "{not json";
    let res = post_webhook(&app, garbage, Some(signature::sign(secret, now_s(), garbage.as_bytes()))).await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn a_success_that_arrives_after_a_failure_still_credits() {
    let app = spawn().await;
    let (cookie, login) = app.sign_in(None).await;
    started(&app, &cookie, "55", KEY).await;
    let deposit = only_deposit_id(&app).await;
    let secret = "sandbox-webhook-secret";
    let failed = event("evt_order_1", "payment.failed", &deposit, "55.00");
    let res = post_webhook(&app, &failed, Some(signature::sign(secret, now_s(), failed.as_bytes()))).await;
    assert_eq!(res.json::<Value>().await.unwrap()["outcome"], "applied");
    assert_eq!(status(&app, &cookie, &deposit).await["deposit"]["state"], "Failed");
    let succeeded = event("evt_order_2", "payment.succeeded", &deposit, "55.00");
    let res = post_webhook(&app, &succeeded, Some(signature::sign(secret, now_s(), succeeded.as_bytes()))).await;
    assert_eq!(res.json::<Value>().await.unwrap()["outcome"], "applied");
    wait_for_state(&app, &cookie, &deposit, "Credited").await;
    assert_eq!(app.sim_trader(login).await["balance"], "1055.00");
}

#[tokio::test]
async fn malformed_server_function_calls_get_a_4xx() {
    let app = spawn().await;
    let (cookie, _) = app.sign_in(None).await;
    // Missing arguments, a wrong method name, a key that is too short.
    let res = app.server_fn(&cookie, "deposit/start", &[("amount", "10")]).await;
    assert_eq!(res.status(), 400);
    let res = start(&app, &cookie, "10", "short").await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("InvalidRequest"));
    let res = app.call(&cookie, StartDeposit { amount: "10".into(), method: "bitcoin".into(), key: KEY.into() }).await;
    assert_eq!(res.status(), 400);
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM deposits").await, 0);
}

#[tokio::test]
async fn cancelling_on_the_payment_page_goes_to_the_failure_url() {
    let app = spawn().await;
    let (cookie, login) = app.sign_in(None).await;
    let page = started(&app, &cookie, "30", KEY).await;
    let res = app.http.post(app.url(&page)).form(&[("card", ""), ("action", "cancel")]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let id = deposit_id(res.headers()["location"].to_str().unwrap());
    let cancelled = wait_for_state(&app, &cookie, &id, "Cancelled").await;
    assert_eq!(cancelled["failure_url"], format!("/done/failure?depositId={id}"));
    assert_eq!(app.sim_trader(login).await["balance"], "1000.00");
    // The hosted page is spent: opening it again goes straight back.
    let again = app.get(&page).await;
    assert_eq!(again.status(), 303);
}

#[tokio::test]
async fn an_unknown_test_card_is_refused_on_the_payment_page() {
    let app = spawn().await;
    let (cookie, _) = app.sign_in(None).await;
    let page = started(&app, &cookie, "30", KEY).await;
    let res = app.http.post(app.url(&page)).form(&[("card", "1234 5678 9012 3456"), ("action", "pay")]).send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Use one of the test cards"));
    assert_eq!(app.count("psp.db", "SELECT COUNT(*) FROM psp_webhooks").await, 0);
}
