//! The second look after an unknown outcome: when cTrader applies a change
//! later than `settle_ms` (breaking the one assumption exactly-once rests on),
//! the deposit is credited twice; the audit must find it and put it in front
//! of a person, and must stay quiet when there is one copy.

use crate::common;

use std::time::Duration;

use broker_inapp::config::Settings;
use common::deposits::*;
use common::TestApp;
use serde_json::json;

async fn app() -> TestApp {
    common::spawn_with(|f| {
        let f = Settings::with(f, "ctrader.timeout_ms", 300);
        let f = Settings::with(f, "payments.retry_base_ms", 20);
        let f = Settings::with(f, "payments.settle_ms", 200);
        Settings::with(f, "payments.audit_after_ms", 4000)
    })
    .await
}

/// Checks the worker itself scheduled a second look at `id` when it credited
/// it (audit_after_ms is 4 s, so the schedule is still there), then drains
/// the workers until that audit has run (its schedule cleared).
async fn audited(app: &TestApp, id: &str) {
    let scheduled = format!("SELECT COUNT(*) FROM credit_outbox WHERE deposit_id = '{id}' AND audit_at IS NOT NULL");
    assert_eq!(app.count("app.db", &scheduled).await, 1, "the worker scheduled the audit of {id} itself");
    let sql = format!("SELECT COUNT(*) FROM credit_outbox WHERE deposit_id = '{id}' AND audit_at IS NULL AND state <> 'pending'");
    common::eventually_within(&format!("the audit of {id}"), Duration::from_secs(30), || async {
        app.drain().await;
        let n = app.count("app.db", &sql).await;
        common::done_or(n > 0, n)
    })
    .await;
}

#[tokio::test]
async fn a_change_that_lands_after_settle_ms_is_reported_as_credited_twice() {
    let app = app().await;
    let (cookie, login) = app.sign_in(None).await;
    // Lands 2.5 s after it arrived: long after the 200 ms settle time, so the
    // retry's lookup misses it and sends the change again.
    let fault = json!({"endpoint": "changeBalance", "kind": "slowApply", "delayMs": 2500, "remaining": 1});
    assert_eq!(app.http.post(app.url("/sim/faults")).json(&fault).send().await.unwrap().status(), 201);
    started(&app, &cookie, "45", KEY).await;
    let id = only_deposit_id(&app).await;
    deliver(&app, &event("evt_late", "payment.succeeded", &id, "45.00")).await;
    wait_for_state(&app, &cookie, &id, "Credited").await;
    audited(&app, &id).await;
    let trader = app.sim_trader(login).await;
    let copies: Vec<String> = trader["history"].as_array().unwrap().iter().map(|h| h["balanceHistoryId"].to_string()).collect();
    assert_eq!(copies.len(), 2, "the premise: cTrader holds two copies {trader}");

    let staff = admin(&app).await;
    let html = app.get_with_cookie("/backoffice", &staff).await.text().await.unwrap();
    assert!(html.contains(r#"data-testid="duplicate-credits""#), "the dashboard raises the alarm");
    assert!(html.contains(&format!(r#"data-deposit="{id}""#)));
    assert!(html.contains(&format!("balanceHistoryId {}", copies.join(", "))), "names both copies");
    let ours = app.count("app.db", &format!("SELECT balance_history_id FROM deposits WHERE id = '{id}'")).await;
    assert!(html.contains(&format!("recorded here: {ours}")), "and which one is ours, to keep");

    // Once an admin has reversed the extra copy, the alarm goes away.
    let reversed =
        || app.http.post(app.url(&format!("/backoffice/deposits/{id}/duplicate-reversed"))).header("origin", app.base.clone()).header("cookie", &staff).send();
    assert_eq!(reversed().await.unwrap().status(), 303);
    let html = app.get_with_cookie("/backoffice", &staff).await.text().await.unwrap();
    assert!(!html.contains(r#"data-testid="duplicate-credits""#));
    assert_eq!(reversed().await.unwrap().status(), 404, "nothing left to mark");
}

#[tokio::test]
async fn a_retried_credit_with_one_copy_passes_its_audit_quietly() {
    let app = app().await;
    let (cookie, login) = app.sign_in(None).await;
    // Applied, answer lost: the retry finds it by lookup; one copy only.
    let fault = json!({"endpoint": "changeBalance", "kind": "lostReply", "remaining": 1});
    assert_eq!(app.http.post(app.url("/sim/faults")).json(&fault).send().await.unwrap().status(), 201);
    started(&app, &cookie, "30", KEY).await;
    let id = only_deposit_id(&app).await;
    deliver(&app, &event("evt_lost", "payment.succeeded", &id, "30.00")).await;
    wait_for_state(&app, &cookie, &id, "Credited").await;
    // The retry looked the deposit up (more than once if a loaded machine let
    // a lease run out); the audit then looks once more.
    let lookups = || async {
        let stats: serde_json::Value = app.http.get(app.url("/sim/stats")).send().await.unwrap().json().await.unwrap();
        stats["calls"]["balanceHistory"].as_i64().unwrap()
    };
    let before = lookups().await;
    assert!(before >= 1, "the retry's lookup");
    audited(&app, &id).await;
    assert_eq!(app.sim_trader(login).await["history"].as_array().unwrap().len(), 1);
    let state = app.count("app.db", &format!("SELECT COUNT(*) FROM credit_outbox WHERE deposit_id = '{id}' AND state = 'done'")).await;
    assert_eq!(state, 1, "not flagged");
    assert_eq!(lookups().await, before + 1, "the audit's own lookup");
    let html = app.get_with_cookie("/backoffice", &admin(&app).await).await.text().await.unwrap();
    assert!(!html.contains(r#"data-testid="duplicate-credits""#));
}

#[tokio::test]
async fn a_late_success_from_a_worker_that_lost_its_lease_is_audited_and_cannot_clear_a_flag() {
    let app = common::spawn_with(|f| Settings::with(f, "payments.worker", false)).await;
    let (cookie, _) = app.sign_in(None).await;
    started(&app, &cookie, "15", KEY).await;
    let id = only_deposit_id(&app).await;
    deliver(&app, &event("evt_fence", "payment.succeeded", &id, "15.00")).await;
    let deposits = &app.state.store.deposits;
    let t0 = broker_inapp::time::now_ms();
    let first = deposits.claim_credits(t0, 1_000, 10).await.unwrap().remove(0);
    let second = deposits.claim_credits(t0 + 1_001, 60_000, 10).await.unwrap().remove(0);

    // The first worker's change succeeded, but its lease had run out: the
    // job stays the second worker's.
    assert!(!deposits.mark_credited(&id.parse().unwrap(), first.attempt, 11, t0, None).await.unwrap());
    assert!(deposits.claim_credits(t0 + 2_000, 1_000, 10).await.unwrap().is_empty(), "still the second worker's");
    // The second closes it (attempt 2: audited); a late first report on a
    // closed job still asks for the second look, it does not cancel it.
    assert!(deposits.mark_credited(&id.parse().unwrap(), second.attempt, 12, t0, Some(t0 + 10_000)).await.unwrap());
    deposits.schedule_audit(&id.parse().unwrap(), t0 + 99_000).await.unwrap();
    let audits = deposits.claim_audits(t0 + 10_000, 1_000, 10).await.unwrap();
    assert_eq!(audits.len(), 1, "due at the first schedule, not pushed back");
    assert_eq!(audits[0].balance_history_id, Some(11), "the first report recorded the credit");

    // Flagged, then a late success report: the flag and its copies stay.
    deposits.finish_audit(&id.parse().unwrap(), Some("11, 12")).await.unwrap();
    assert!(!deposits.mark_credited(&id.parse().unwrap(), first.attempt, 11, t0, None).await.unwrap());
    deposits.schedule_audit(&id.parse().unwrap(), t0).await.unwrap();
    let flagged = deposits.duplicate_credits(10, 0).await.unwrap();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].copies, "11, 12");
    assert!(deposits.claim_audits(t0 + 100_000, 1_000, 10).await.unwrap().is_empty(), "a flagged credit is not audited again");
}
