//! Verification levels as a trader and the broker meet them: the deposit
//! screen's form carries the level and what is left; a deposit above it is
//! refused with the KYC that would allow it; the 30 days and the lifetime
//! count what was deposited, and two forms at once cannot together pass a
//! cap; an approved case raises the level; withdrawals wait for the level
//! that allows them; "KYC before the first deposit" sends the trader into
//! KYC and back; a level's own accessRights reach cTrader.

use crate::common;

use broker_inapp::backoffice::Role;
use broker_inapp::config::Settings;
use common::deposits::{pending_record, start};
use common::kyc::*;
use common::TestApp;
use serde_json::Value;

/// `level`'s caps in every deposit currency (the same figures in each).
fn caps(f: figment::Figment, level: &str, per_deposit: Option<&str>, per_30_days: Option<&str>, lifetime: Option<&str>) -> figment::Figment {
    let mut f = f;
    for currency in ["USD", "EUR", "JPY"] {
        for (name, cap) in [("per_deposit", per_deposit), ("per_30_days", per_30_days), ("lifetime", lifetime)] {
            if let Some(cap) = cap {
                f = Settings::with(f, &format!("limits.levels.{level}.currencies.{currency}.{name}"), cap);
            }
        }
    }
    f
}

/// Unverified: 1000 a deposit, 1500 in 30 days, 3000 in all, no
/// withdrawals; standard: 20000 a deposit; enhanced: no caps.
async fn levels_app(more: impl FnOnce(figment::Figment) -> figment::Figment) -> TestApp {
    app_with(|f| {
        let f = caps(f, "unverified", Some("1000.00"), Some("1500.00"), Some("3000.00"));
        let f = Settings::with(f, "limits.levels.unverified.withdrawals", false);
        let f = caps(f, "standard", Some("20000.00"), None, None);
        more(f)
    })
    .await
}

async fn form(app: &TestApp, cookie: &str) -> Value {
    let res = app.server_fn(cookie, "deposit/form", &[]).await;
    assert_eq!(res.status(), 200, "deposit/form");
    res.json().await.unwrap()
}

/// `(status, body)` of a deposit start.
async fn started(app: &TestApp, cookie: &str, amount: &str, key: &str) -> (u16, Value) {
    let res = start(app, cookie, amount, key).await;
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

fn refusal(body: &Value) -> &Value {
    &body["AboveLevelLimit"]
}

#[tokio::test]
async fn the_form_shows_the_level_and_a_deposit_above_it_is_refused_with_the_kyc_that_allows_it() {
    let app = levels_app(|f| f).await;
    let (cookie, _) = app.sign_in(None).await;
    let level = &form(&app, &cookie).await["level"];
    assert_eq!(level["level"], "unverified");
    assert_eq!(level["limits"]["per_deposit"], "1000.00");
    assert_eq!(level["upgrades"][0]["kyc_type"], "standard", "the KYC asking least first: {level}");
    assert_eq!(level["upgrades"][0]["room"], "20000.00");

    let (status, body) = started(&app, &cookie, "1200", "form-key-over-0123456789").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(refusal(&body)["room"], "1000.00");
    assert_eq!(refusal(&body)["upgrade"], "standard");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM deposits").await, 0, "nothing stored");
    // Above what standard allows: enhanced (no caps) is the way.
    let (_, body) = started(&app, &cookie, "25000", "form-key-over-0123456789").await;
    assert_eq!(refusal(&body)["upgrade"], "enhanced");

    // Within: accepted, and counted.
    assert_eq!(started(&app, &cookie, "800", "form-key-first-0123456789").await.0, 200);
    assert_eq!(form(&app, &cookie).await["level"]["used"]["last_30_days"], "800.00");
    // 800 of the 30 days' 1500 used: 700 left, so a second 800 is refused...
    let (status, body) = started(&app, &cookie, "800", "form-key-second-0123456789").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(refusal(&body)["room"], "700.00");
    // ...while the first form, pressed again, is the same deposit, not a new one.
    assert_eq!(started(&app, &cookie, "800", "form-key-first-0123456789").await.0, 200);
    assert_eq!(started(&app, &cookie, "700", "form-key-third-0123456789").await.0, 200);
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM deposits").await, 2);
    let (_, body) = started(&app, &cookie, "10", "form-key-fourth-0123456789").await;
    assert_eq!(body["AboveLevelLimit"]["room"], "0.00", "the 30 days are used up: {body}");
}

#[tokio::test]
async fn the_30_days_roll_and_the_lifetime_does_not_and_what_failed_does_not_count() {
    let app = levels_app(|f| f).await;
    let (cookie, login) = app.sign_in(None).await;
    let now = broker_inapp::time::now_ms();
    let day = 24 * 60 * 60 * 1000;
    // 31 and 29 days ago: the first is out of the 30 days, both count in all.
    let store = &app.state.store;
    store.deposits.create_or_get(&pending_record(&id(), login, 100_000, "old-form-key-0123456789".into(), now - 31 * day)).await.unwrap();
    store.deposits.create_or_get(&pending_record(&id(), login, 100_000, "recent-form-key-0123456789".into(), now - 29 * day)).await.unwrap();
    let level = &form(&app, &cookie).await["level"];
    assert_eq!(level["used"]["last_30_days"], "1000.00", "{level}");
    assert_eq!(level["used"]["lifetime"], "2000.00");
    // A failed deposit counts nowhere.
    let mut failed = pending_record(&id(), login, 50_000, "failed-form-key-0123456789".into(), now - day);
    failed.state = broker_inapp::domain::DepositState::Failed;
    store.deposits.create_or_get(&failed).await.unwrap();
    assert_eq!(form(&app, &cookie).await["level"]["used"]["last_30_days"], "1000.00");
    // 500 left in the 30 days.
    let (_, body) = started(&app, &cookie, "600", "form-key-month-0123456789").await;
    assert_eq!(refusal(&body)["room"], "500.00");
    // 800 more, 90 days ago: the 30 days would still take 500, the lifetime's 3000 only 200.
    store.deposits.create_or_get(&pending_record(&id(), login, 80_000, "older-form-key-0123456789".into(), now - 90 * day)).await.unwrap();
    let (_, body) = started(&app, &cookie, "300", "form-key-month-0123456789").await;
    assert_eq!(refusal(&body)["room"], "200.00", "{body}");
    assert_eq!(started(&app, &cookie, "200", "form-key-month-0123456789").await.0, 200);
}

fn id() -> String {
    broker_inapp::domain::DepositId::generate().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forms_submitted_at_once_cannot_together_pass_a_cap() {
    let app = levels_app(|f| f).await;
    let (cookie, _) = app.sign_in(None).await;
    let keys: Vec<String> = (0..10).map(|i| format!("parallel-form-key-{i:02}-0123456789")).collect();
    let answers = futures::future::join_all(keys.iter().map(|k| started(&app, &cookie, "600", k))).await;
    let accepted = answers.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(accepted, 2, "1500 in 30 days holds two of 600: {answers:?}");
    assert!(answers.iter().all(|(s, b)| *s == 200 || (*s == 422 && refusal(b)["room"] == "300.00")), "{answers:?}");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM deposits").await, 2);
}

#[tokio::test]
async fn an_approved_case_raises_the_level_and_withdrawals_wait_for_it() {
    let app = levels_app(|f| f).await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let (cookie, login) = submitted_case(&app, "NO_TRADING").await;
    // In review: still unverified, withdrawals refused with "wait", no way up shown.
    let level = &form(&app, &cookie).await["level"];
    assert_eq!((level["level"].as_str(), level["pending"].as_bool()), (Some("unverified"), Some(true)));
    let (_, body) = started(&app, &cookie, "5000", "form-key-review-0123456789").await;
    assert_eq!(refusal(&body)["pending"], true);
    assert_eq!(refusal(&body)["upgrade"], Value::Null);
    let res = app.server_fn(&cookie, "withdrawal/form", &[]).await;
    assert_eq!(res.status(), 403);
    assert_eq!(res.json::<Value>().await.unwrap()["VerificationRequired"]["pending"], true);

    assert_eq!(decide(&app, &officer, login, "approve", None).await.status(), 303);
    let level = &form(&app, &cookie).await["level"];
    assert_eq!(level["level"], "standard");
    assert_eq!(level["limits"]["per_deposit"], "20000.00");
    assert_eq!(started(&app, &cookie, "5000", "form-key-review-0123456789").await.0, 200);
    assert_eq!(app.server_fn(&cookie, "withdrawal/form", &[]).await.status(), 200, "standard allows withdrawals");
    // A level's own accessRights (here none: the global `approved`).
    wait_for_access(&app, login, "FULL_ACCESS").await;
}

#[tokio::test]
async fn a_levels_own_access_rights_reach_ctrader() {
    let app = levels_app(|f| Settings::with(f, "kyc.types.standard.access_rights.approved", "CLOSE_ONLY")).await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let (_, login) = submitted_case(&app, "NO_TRADING").await;
    assert_eq!(decide(&app, &officer, login, "approve", None).await.status(), 303);
    wait_for_access(&app, login, "CLOSE_ONLY").await;
}

#[tokio::test]
async fn the_button_into_kyc_asks_for_the_level_and_leads_back() {
    let app = levels_app(|f| f).await;
    let (cookie, _) = app.sign_in(None).await;
    assert_eq!(view(&app, &cookie, None).await["kyc_type"], "standard");
    let res = post_form(&app, &cookie, "/inapp/kyc/start", &[("kycType", "enhanced"), ("back", "deposit")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/inapp/kyc");
    let v = view(&app, &cookie, None).await;
    assert_eq!((v["kyc_type"].as_str(), v["back"].as_str()), (Some("enhanced"), Some("Deposit")));
    let page = app.get_with_cookie("/inapp/kyc", &cookie).await.text().await.unwrap();
    assert!(page.contains("data-testid=\"kyc-back\" data-back=\"deposit\"") && page.contains("href=\"/inapp/deposit\""), "a way back");
    // Not a screen to go back to: refused, nothing changed.
    assert_eq!(post_form(&app, &cookie, "/inapp/kyc/start", &[("back", "https://evil.example")]).await.status(), 400);
}

#[tokio::test]
async fn kyc_before_the_first_deposit_sends_the_trader_into_kyc_and_back() {
    let app = levels_app(|f| Settings::with(f, "limits.kyc_before_first_deposit", true)).await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let (cookie, login) = trader(&app, "standard", "NO_TRADING").await;
    let res = app.get_with_cookie("/inapp/deposit", &cookie).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/inapp/kyc");
    assert_eq!(view(&app, &cookie, None).await["back"], "Deposit");
    // Nor can a deposit be started around the screen.
    let (status, body) = started(&app, &cookie, "10", "form-key-first-0123456789").await;
    assert_eq!((status, &body["VerificationRequired"]["pending"]), (403, &Value::Bool(false)));

    // Submitted: the deposit screen says it waits for the review.
    assert_eq!(details(&app, &cookie, &[]).await.status(), 200);
    assert_eq!(upload(&app, &cookie, "identity", "passport.jpg", jpeg(240)).await.status(), 201);
    assert_eq!(upload(&app, &cookie, "address", "bill.pdf", pdf("")).await.status(), 201);
    let raw = app.get_with_cookie("/inapp/deposit", &cookie).await.text().await.unwrap();
    let page = common::shown(&raw);
    assert!(page.contains("Your verification is being reviewed. This opens once it is approved."), "{page}");
    assert!(raw.contains("data-testid=\"deposit-error\"") && !raw.contains("data-testid=\"verify-first\""), "nothing to verify while the case waits");

    assert_eq!(decide(&app, &officer, login, "approve", None).await.status(), 303);
    assert_eq!(app.get_with_cookie("/inapp/deposit", &cookie).await.status(), 200);
    assert_eq!(started(&app, &cookie, "10", "form-key-first-0123456789").await.0, 200);
}

#[tokio::test]
async fn without_levels_nothing_is_capped_or_shown() {
    let app = spawn_plain().await;
    let (cookie, _) = app.sign_in(None).await;
    assert_eq!(form(&app, &cookie).await["level"], Value::Null);
    assert_eq!(started(&app, &cookie, "20000", "form-key-free-0123456789").await.0, 200);
    assert_eq!(app.server_fn(&cookie, "withdrawal/form", &[]).await.status(), 200);
}

async fn spawn_plain() -> TestApp {
    common::spawn().await
}
