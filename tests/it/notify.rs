//! The broker's CRM hears about a KYC case submitted and decided and a
//! deposit or withdrawal ending: a JSON webhook signed like the PSPs', sent
//! again after a failure until the CRM takes it, each event taken once and a
//! subject's events in order; nothing is kept when no CRM is configured.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use broker_inapp::backoffice::Role;
use broker_inapp::config::Settings;
use broker_inapp::server_fns::withdrawal::RequestWithdrawal;
use serde_json::Value;

use crate::common;
use common::deposits::{deposit_id, pay, started, wait_for_state};
use common::kyc::*;
use common::TestApp;

const SECRET: &str = "a-test-crm-secret-0123456789";

/// What the test CRM received: `(signature header, body, status answered)`.
type Received = Arc<Mutex<Vec<(String, String, u16)>>>;

/// A CRM that answers 503 to its first `failures` requests, then 200.
async fn crm(failures: usize) -> (String, Received) {
    let received: Received = Arc::default();
    let seen = received.clone();
    let app = axum::Router::new().route(
        "/hooks/inapp",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                let mut all = seen.lock().unwrap();
                let status = if all.len() < failures { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
                let signature = headers.get("inapp-signature").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                all.push((signature, body, status.as_u16()));
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/inapp", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

async fn app_telling(url: &str) -> TestApp {
    let url = url.to_string();
    app_with(move |f| {
        let f = Settings::with(f, "notify.crm_url", url);
        let f = Settings::with(f, "notify.crm_secret", SECRET);
        Settings::with(f, "payments.retry_base_ms", 20)
    })
    .await
}

/// The events the CRM took (answered 2xx), in order.
fn taken(received: &Received) -> Vec<Value> {
    received.lock().unwrap().iter().filter(|(_, _, s)| *s == 200).map(|(_, b, _)| serde_json::from_str(b).unwrap()).collect()
}

/// Runs the workers until the CRM has taken `n` events.
async fn until_taken(app: &TestApp, received: &Received, n: usize) -> Vec<Value> {
    common::eventually(&format!("{n} events taken"), || async {
        app.drain().await;
        let got = taken(received);
        if got.len() >= n {
            Ok(got)
        } else {
            Err(got)
        }
    })
    .await
}

#[tokio::test]
async fn kyc_and_deposit_events_reach_the_crm_signed_in_order_once_each_after_a_failure() {
    let (url, received) = crm(1).await;
    let app = app_telling(&url).await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let (cookie, login) = submitted_case(&app, "NO_TRADING").await;
    assert_eq!(decide(&app, &officer, login, "approve", None).await.status(), 303);
    let got = until_taken(&app, &received, 2).await;
    // The first try was refused (503): sent again, and the approval waited behind it.
    assert_eq!(received.lock().unwrap()[0].2, 503);
    let events: Vec<&str> = got.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["kyc.submitted", "kyc.approved"]);
    let approved = &got[1];
    assert_eq!((approved["source"].as_str(), approved["version"].as_u64()), (Some("broker-inapp"), Some(1)));
    assert_eq!(
        (approved["login"].as_i64(), approved["id"].as_str(), approved["kyc_type"].as_str()),
        (Some(login), Some(login.to_string().as_str()), Some("standard"))
    );

    // A deposit credited: its id, amount and currency.
    let page = started(&app, &cookie, "250.00", "crm-form-key-0123456789").await;
    let back = pay(&app, &page, "4242424242424242").await;
    wait_for_state(&app, &cookie, &deposit_id(&back), "Credited").await;
    let got = until_taken(&app, &received, 3).await;
    let credited = &got[2];
    assert_eq!(credited["event"], "deposit.credited");
    assert_eq!(
        (credited["id"].as_str(), credited["amount"].as_str(), credited["currency"].as_str()),
        (Some(deposit_id(&back).as_str()), Some("250.00"), Some("USD"))
    );

    // Signed over "t.body" with the configured key; each event taken once, under its own id.
    for (signature, body, _) in received.lock().unwrap().iter() {
        let now = broker_inapp::time::now_ms() / 1000;
        assert_eq!(broker_inapp::deposit::signature::verify(SECRET, Some(signature), body.as_bytes(), now, 300), Ok(()), "{signature}");
        assert!(broker_inapp::deposit::signature::verify("another-key-entirely", Some(signature), body.as_bytes(), now, 300).is_err());
    }
    let mut ids: Vec<i64> = got.iter().map(|e| e["event_id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "{got:?}");
    app.drain().await;
    assert_eq!(taken(&received).len(), 3, "nothing sent twice once taken");
}

#[tokio::test]
async fn a_withdrawal_requested_is_told_and_without_a_crm_nothing_waits() {
    let (url, received) = crm(0).await;
    let app = app_telling(&url).await;
    let v = app.mint(serde_json::json!({ "balance": "1000.00" })).await;
    let (cookie, _) = app.open(&format!("/inapp/action?token={}&actionType=withdraw", v["token"].as_str().unwrap())).await;
    let request = RequestWithdrawal {
        amount: "10.00".into(),
        payout: "bank".into(),
        iban: "DE89 3704 0044 0532 0130 00".into(),
        holder: "Ann Lee".into(),
        card: String::new(),
        key: "crm-withdrawal-key-0123456789".into(),
    };
    let res = app.call(&cookie, request).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let got = until_taken(&app, &received, 1).await;
    assert_eq!((got[0]["event"].as_str(), got[0]["amount"].as_str()), (Some("withdrawal.requested"), Some("10.00")));

    // No CRM: events are set aside at once, never piling up for later.
    let quiet = spawn_plain().await;
    let (_, _) = submitted_case(&quiet, "NO_TRADING").await;
    quiet.drain().await;
    assert_eq!(quiet.count("app.db", "SELECT COUNT(*) FROM notify_outbox WHERE delivered_at IS NULL").await, 0);
    assert_eq!(quiet.count("app.db", "SELECT COUNT(*) FROM notify_outbox").await, 1, "the submission was recorded, and set aside");
}

async fn spawn_plain() -> TestApp {
    kyc_app().await
}
