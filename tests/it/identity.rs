//! Identity beyond the happy path: expired Full SSO access tokens, staff
//! session expiry and the sign-in locks lifting, USER_NOT_FOUND and
//! PLATFORM_UNAVAILABLE with their pages and JSON, and the CRM password that
//! is slowed but never locked.
#![allow(unused_imports, dead_code)]

use crate::common;

use std::io::Cursor;
use std::path::Path;
use std::time::{Duration, Instant};

use broker_inapp::backoffice::Role;
use broker_inapp::config::{Settings, DEV_CRM_PASSWORD};
use broker_inapp::time::now_ms;
use common::kyc::*;
use common::{cookie_pair, spawn, spawn_with, TestApp};
use serde_json::{json, Value};

const STAFF_PASSWORD: &str = "a long staff password";
const TRADER_PASSWORD: &str = "a long trader password";

// ------------------------------------------------ 7. expired access tokens

async fn sso_post(app: &TestApp, path: &str, crm: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = app.http.post(app.url(path)).json(&body);
    if let Some(t) = crm {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn crm_token(app: &TestApp) -> String {
    let (status, v) = sso_post(app, "/oauth2/crmApiToken", None, json!({ "password": DEV_CRM_PASSWORD })).await;
    assert_eq!(status, 200, "{v}");
    v["crmApiToken"].as_str().unwrap().to_string()
}

async fn sso_sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.http.post(app.url("/oauth2/sign-in")).form(&[("email", email), ("password", password)]).send().await.unwrap()
}

/// A first login: the sign-in page's code, through 4.2. Returns 4.2's answer.
async fn first_login(app: &TestApp, crm: &str, email: &str) -> Value {
    let res = sso_sign_in(app, email, TRADER_PASSWORD).await;
    assert_eq!(res.status(), 303, "sign-in page");
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let code = location.split("code=").nth(1).unwrap().to_string();
    let (status, v) = sso_post(app, "/oauth2/onetime/authorize", Some(crm), json!({ "code": code })).await;
    assert_eq!(status, 200, "{v}");
    v
}

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn an_access_token_past_its_expiry_is_refused() {
    let app = spawn_with(|f| Settings::with(Settings::with(f, "identity.mode", "full_sso"), "identity.access_token_ttl_days", 3)).await;
    app.mint(json!({ "login": 300_101, "name": "Sofia Romano" })).await;
    let uid = broker_inapp::sso::create_user(&app.state.store, "e@trader.example", TRADER_PASSWORD, common::login(300_101)).await.unwrap();
    let crm = crm_token(&app).await;
    let auth = first_login(&app, &crm, "e@trader.example").await;
    let access = auth["accessToken"].as_str().unwrap().to_string();

    // Its lifetime is the configured one.
    let lifetime = scalar(&app, "SELECT expires_at - created_at FROM sso_access_tokens").await;
    assert_eq!(lifetime, 3 * 24 * 3_600_000, "identity.access_token_ttl_days = 3");
    // Alive: 4.3 names the user and hands out an inappToken that 4.4 takes.
    let (status, v) = sso_post(&app, "/oauth2/authorize", Some(&crm), json!({ "accessToken": access })).await;
    assert_eq!((status, v["userId"].as_i64()), (200, Some(uid)), "{v}");
    let inapp = v["inappToken"].as_str().unwrap().to_string();
    assert_eq!(sso_post(&app, "/oauth2/onetime/generate", Some(&crm), json!({ "userId": uid, "inappToken": inapp })).await.0, 200);

    // Three days pass (on the application's clock; the CRM signs in afresh).
    app.state.clock.advance(Duration::from_secs(3 * 24 * 3_600 + 1));
    let crm = crm_token(&app).await;
    let (status, v) = sso_post(&app, "/oauth2/authorize", Some(&crm), json!({ "accessToken": access })).await;
    assert_eq!((status, v["code"].as_str()), (401, Some("INVALID_ACCESS_TOKEN")), "{v}");
    assert!(v.get("inappToken").is_none());
    let (status, v) = sso_post(&app, "/oauth2/onetime/generate", Some(&crm), json!({ "userId": uid, "inappToken": inapp })).await;
    assert_eq!((status, v["code"].as_str()), (401, Some("INVALID_INAPP_TOKEN")), "its inappToken dies with it: {v}");
    let (status, v) = sso_post(&app, "/oauth2/onetime/generate", Some(&crm), json!({ "userId": uid })).await;
    assert_eq!((status, v["code"].as_str()), (401, Some("NO_ACCESS_TOKEN")), "no live access token, no screen link: {v}");
}

// ------------------------------------------------ 8. staff sessions and the lock

async fn staff_sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.http.post(app.url("/backoffice/sign-in")).header("origin", app.base.clone()).form(&[("email", email), ("password", password)]).send().await.unwrap()
}

async fn backoffice_status(app: &TestApp, cookie: &str) -> (u16, Option<String>) {
    let res = app.get_with_cookie("/backoffice", cookie).await;
    (res.status().as_u16(), res.headers().get("location").map(|l| l.to_str().unwrap().to_string()))
}

const SIGNED_OUT: (u16, Option<&str>) = (303, Some("/backoffice/sign-in"));

fn signed_out(got: &(u16, Option<String>)) -> bool {
    (got.0, got.1.as_deref()) == SIGNED_OUT
}

#[tokio::test]
async fn an_idle_staff_session_ends_after_thirty_minutes() {
    let app = spawn().await;
    let cookie = common::staff_cookie(&app, "ops@broker.example", Role::Admin).await;
    assert_eq!(backoffice_status(&app, &cookie).await.0, 200);
    // 29 minutes without a request: still signed in (and the visit counts as activity).
    app.state.clock.advance(MINUTE * 29);
    assert_eq!(backoffice_status(&app, &cookie).await.0, 200, "within the idle limit");
    // 29 more minutes: the last visit reset the clock.
    app.state.clock.advance(MINUTE * 29);
    assert_eq!(backoffice_status(&app, &cookie).await.0, 200, "activity keeps it alive");
    // 31 minutes without a request: signed out.
    app.state.clock.advance(MINUTE * 31);
    let got = backoffice_status(&app, &cookie).await;
    assert!(signed_out(&got), "idle past 30 minutes: {got:?}");
    assert_eq!(app.get_with_cookie("/backoffice/kyc", &cookie).await.status(), 303, "on every page");
}

#[tokio::test]
async fn an_active_staff_session_still_ends_after_ten_hours() {
    let app = spawn().await;
    create_staff_member(&app, "ops@broker.example").await;
    let res = staff_sign_in(&app, "ops@broker.example", STAFF_PASSWORD).await;
    assert_eq!(res.status(), 303);
    let set = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set.contains("Max-Age=36000"), "the cookie lives 10 h too: {set}");
    let cookie = cookie_pair(&res);
    // Active all along, a visit every 23 minutes, for 9 h 58 min.
    for visit in 1..=26 {
        app.state.clock.advance(MINUTE * 23);
        assert_eq!(backoffice_status(&app, &cookie).await.0, 200, "visit {visit}, before the absolute limit");
    }
    // Three more minutes, still active: past 10 h, signed out anyway.
    app.state.clock.advance(MINUTE * 3);
    let got = backoffice_status(&app, &cookie).await;
    assert!(signed_out(&got), "past 10 hours: {got:?}");
}

async fn create_staff_member(app: &TestApp, email: &str) {
    broker_inapp::backoffice::create_staff(&app.state.store, email, STAFF_PASSWORD, Role::Admin).await.unwrap();
}

#[tokio::test]
async fn a_staff_sign_in_lock_lifts_once_its_window_has_passed() {
    let app = spawn().await;
    create_staff_member(&app, "ops@broker.example").await;
    for _ in 0..5 {
        assert_eq!(staff_sign_in(&app, "ops@broker.example", "a wrong guess!!").await.status(), 401);
    }
    assert_eq!(staff_sign_in(&app, "ops@broker.example", STAFF_PASSWORD).await.status(), 429, "locked");
    // 14 minutes later: still locked.
    exec(&app, "UPDATE sign_in_failures SET at = at - $1", 14 * 60_000).await;
    assert_eq!(staff_sign_in(&app, "ops@broker.example", STAFF_PASSWORD).await.status(), 429, "inside the 15-minute window");
    // Past 15 minutes: the right password signs in.
    exec(&app, "UPDATE sign_in_failures SET at = at - $1", 61_000).await;
    let res = staff_sign_in(&app, "ops@broker.example", STAFF_PASSWORD).await;
    assert_eq!(res.status(), 303, "the lock lifted");
    assert_eq!(backoffice_status(&app, &cookie_pair(&res)).await.0, 200);
    // And the count started again: one wrong password does not lock.
    assert_eq!(staff_sign_in(&app, "ops@broker.example", "a wrong guess!!").await.status(), 401);
    assert_eq!(staff_sign_in(&app, "ops@broker.example", STAFF_PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn an_sso_sign_in_lock_lifts_once_its_window_has_passed() {
    let app = spawn_with(|f| Settings::with(f, "identity.mode", "full_sso")).await;
    app.mint(json!({ "login": 300_102 })).await;
    broker_inapp::sso::create_user(&app.state.store, "f@trader.example", TRADER_PASSWORD, common::login(300_102)).await.unwrap();
    for _ in 0..5 {
        assert_eq!(sso_sign_in(&app, "f@trader.example", "wrong password!!").await.status(), 401);
    }
    assert_eq!(sso_sign_in(&app, "f@trader.example", TRADER_PASSWORD).await.status(), 429, "locked");
    exec(&app, "UPDATE sign_in_failures SET at = at - $1", 15 * 60_000 + 1_000).await;
    let res = sso_sign_in(&app, "f@trader.example", TRADER_PASSWORD).await;
    assert_eq!(res.status(), 303, "the lock lifted");
    assert!(res.headers()["location"].to_str().unwrap().contains("code="));
}

// ------------------------------------------------ 9. USER_NOT_FOUND, PLATFORM_UNAVAILABLE

async fn fault(app: &TestApp, body: Value) {
    let res = app.http.post(app.url("/sim/faults")).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201, "fault set");
}

async fn get_json(app: &TestApp, path: &str) -> reqwest::Response {
    app.http.get(app.url(path)).header("accept", "application/json").send().await.unwrap()
}

#[tokio::test]
async fn a_token_for_a_trader_ctrader_does_not_know_shows_user_not_found() {
    let app = spawn().await;
    // The token resolves; reading the trader it names answers 404.
    fault(&app, json!({ "endpoint": "trader", "kind": "error", "status": 404 })).await;
    let (token, _) = app.token().await;
    let res = app.get(&format!("/inapp/deposit?token={token}&lang=de")).await;
    assert_eq!(res.status(), 404);
    assert!(res.headers().get("set-cookie").is_none(), "no session");
    let html = res.text().await.unwrap();
    assert!(html.contains("USER_NOT_FOUND"), "{html}");
    assert!(html.contains("Wir konnten Sie nicht identifizieren"), "translated");
    assert!(html.contains(r#"lang="de""#));
    assert!(!html.contains(&token));

    let (token, _) = app.token().await;
    let res = get_json(&app, &format!("/inapp/kyc?token={token}")).await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"error":"User Not Found","message":"User context not found in token","code":"USER_NOT_FOUND"}));
    assert_eq!(app.session_count().await, 0);
    let stats: Value = app.get("/sim/stats").await.json().await.unwrap();
    assert_eq!(stats["calls"]["resolve"], 2, "both tokens were resolved first: {stats}");
}

/// 4.4: a screen token for `uid`.
async fn screen_token(app: &TestApp, crm: &str, uid: i64) -> String {
    let (status, v) = sso_post(app, "/oauth2/onetime/generate", Some(crm), json!({ "userId": uid })).await;
    assert_eq!(status, 200, "{v}");
    v["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_full_sso_user_whose_login_ctrader_does_not_know_gets_user_not_found() {
    let app = spawn_with(|f| Settings::with(f, "identity.mode", "full_sso")).await;
    // A CRM user for a login that exists nowhere in cTrader.
    let uid = broker_inapp::sso::create_user(&app.state.store, "ghost@trader.example", TRADER_PASSWORD, common::login(777_777)).await.unwrap();
    let crm = crm_token(&app).await;
    first_login(&app, &crm, "ghost@trader.example").await;
    assert_eq!(app.get("/sim/traders/777777").await.status(), 404, "the premise: cTrader has no such trader");
    let token = screen_token(&app, &crm, uid).await;
    let res = app.get(&format!("/inapp/chat?token={token}&lang=de")).await;
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("USER_NOT_FOUND") && html.contains("Wir konnten Sie nicht identifizieren"), "{html}");
    let token = screen_token(&app, &crm, uid).await;
    let res = get_json(&app, &format!("/inapp/deposit?token={token}")).await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "USER_NOT_FOUND");
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test]
async fn a_5xx_from_token_resolution_shows_platform_unavailable_and_the_token_survives() {
    let app = spawn().await;
    for (sessions_before, status) in [(0, 503), (1, 500)] {
        fault(&app, json!({ "endpoint": "resolve", "kind": "error", "status": status })).await;
        let (token, _) = app.token().await;
        let res = app.get(&format!("/inapp/deposit?token={token}&lang=de")).await;
        assert_eq!(res.status(), 503, "cTrader answered {status}");
        assert!(res.headers().get("set-cookie").is_none(), "no session");
        let html = res.text().await.unwrap();
        assert!(html.contains("PLATFORM_UNAVAILABLE"), "{html}");
        assert!(html.contains("Die Handelsplattform antwortet nicht"), "translated");
        assert!(html.contains(r#"data-testid="retry""#), "offers to try again");
        assert!(!html.contains(&token));

        // Same token, JSON: the claim was released, so the answer is the same.
        let res = get_json(&app, &format!("/inapp/deposit?token={token}")).await;
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert_eq!(
            res.json::<Value>().await.unwrap(),
            json!({"error":"Platform Unavailable","message":"The trading platform did not answer; try again","code":"PLATFORM_UNAVAILABLE"})
        );
        assert_eq!(app.session_count().await, sessions_before, "no session");

        // cTrader is back: "Try again" with the same link works.
        assert_eq!(app.http.delete(app.url("/sim/faults")).send().await.unwrap().status().as_u16() / 100, 2);
        let (_, location) = app.open(&format!("/inapp/deposit?token={token}&lang=de")).await;
        assert_eq!(location, "/inapp/deposit?lang=de");
    }
    assert_eq!(app.session_count().await, 2);
}

// ------------------------------------------------ 10. the CRM password: slowed, never locked

#[tokio::test]
async fn many_wrong_crm_passwords_never_lock_the_crm_out() {
    let app = spawn_with(|f| Settings::with(f, "identity.mode", "full_sso")).await;
    // Well past the five that start the slow-down: each is still judged on
    // the password (401 INVALID_PASSWORD), never refused as locked.
    for i in 0..9 {
        let (status, v) = sso_post(&app, "/oauth2/crmApiToken", None, json!({ "password": format!("guess number {i}") })).await;
        assert_eq!((status, v["code"].as_str()), (401, Some("INVALID_PASSWORD")), "try {i}: {v}");
    }
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM sign_in_failures").await, 9, "every wrong try is counted (what the slow-down keys on)");
    // The right password still gets a token, and it works.
    let crm = crm_token(&app).await;
    let (status, v) = sso_post(&app, "/oauth2/onetime/generate", Some(&crm), json!({ "userId": 999_999 })).await;
    assert_eq!((status, v["code"].as_str()), (404, Some("USER_NOT_FOUND")), "the token is accepted (the user is what is unknown): {v}");
    // A success ends the slow-down: the count starts again.
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM sign_in_failures").await, 0, "cleared by the right password");
    // Staff sign-in is a different key: the CRM's wrong passwords lock no one.
    create_staff_member(&app, "ops@broker.example").await;
    for i in 0..5 {
        sso_post(&app, "/oauth2/crmApiToken", None, json!({ "password": format!("again {i}") })).await;
    }
    assert_eq!(staff_sign_in(&app, "ops@broker.example", STAFF_PASSWORD).await.status(), 303);
    assert_eq!(sso_post(&app, "/oauth2/crmApiToken", None, json!({ "password": DEV_CRM_PASSWORD })).await.0, 200);
}
