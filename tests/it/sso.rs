//! Full SSO: the contract of 4.1–4.4 (wrong, missing, expired and reused
//! tokens, malformed bodies, revoked access tokens), screens opened with the
//! broker's own one-time tokens, and both seed flows end to end with the
//! simulator playing cTrader over real HTTP.

use crate::common;

use broker_inapp::backoffice::Role;
use broker_inapp::config::{Settings, DEV_CRM_PASSWORD};
use broker_inapp::session::hash;
use broker_inapp::time::now_ms;
use common::{spawn_with, TestApp};
use serde_json::{json, Value};

const PASSWORD: &str = "a long trader password";

async fn sso_app() -> TestApp {
    spawn_with(|f| Settings::with(f, "identity.mode", "full_sso")).await
}

async fn post(app: &TestApp, path: &str, crm: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = app.http.post(app.url(path)).json(&body);
    if let Some(t) = crm {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    if status == 200 {
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}: tokens are not cached");
    }
    (status, res.json().await.unwrap_or(Value::Null))
}

fn code_of(v: &Value) -> &str {
    v["code"].as_str().unwrap_or("")
}

async fn crm_token(app: &TestApp) -> String {
    let (status, v) = post(app, "/oauth2/crmApiToken", None, json!({ "password": DEV_CRM_PASSWORD })).await;
    assert_eq!(status, 200, "{v}");
    v["crmApiToken"].as_str().unwrap().to_string()
}

/// A CRM user for `login` (and the trader in the simulator, as cTrader has it).
async fn user(app: &TestApp, email: &str, login: i64) -> i64 {
    app.mint(json!({ "login": login, "name": "Sofia Romano" })).await;
    broker_inapp::sso::create_user(&app.state.store, email, PASSWORD, common::login(login)).await.unwrap()
}

/// The sign-in page's answer: the code in the Location it redirects to.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.http.post(app.url("/oauth2/sign-in")).form(&[("email", email), ("password", password)]).send().await.unwrap()
}

async fn code(app: &TestApp, email: &str) -> String {
    let res = sign_in(app, email, PASSWORD).await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("ctrader-sso://signed-in?code="), "{location}");
    location.split("code=").nth(1).unwrap().to_string()
}

#[tokio::test]
async fn crm_api_token_needs_the_password_and_a_json_body() {
    let app = sso_app().await;
    let (status, v) = post(&app, "/oauth2/crmApiToken", None, json!({ "password": "not it" })).await;
    assert_eq!((status, code_of(&v)), (401, "INVALID_PASSWORD"));
    assert!(!v["message"].as_str().unwrap().contains("not it"));

    let res = app.http.post(app.url("/oauth2/crmApiToken")).body(r#"{"password":"x"}"#).send().await.unwrap();
    assert_eq!(res.status(), 415, "no JSON content type");
    let res = app.http.post(app.url("/oauth2/crmApiToken")).header("content-type", "application/json").body("{").send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(code_of(&res.json().await.unwrap()), "MALFORMED_REQUEST");
    let (status, v) = post(&app, "/oauth2/crmApiToken", None, json!({ "pass": DEV_CRM_PASSWORD })).await;
    assert_eq!((status, code_of(&v)), (400, "MALFORMED_REQUEST"));
    assert!(v["message"].as_str().unwrap().contains("missing field `password`"), "{v}");
    assert!(!v.to_string().contains(DEV_CRM_PASSWORD), "the body is never echoed");

    let (status, v) = post(&app, "/oauth2/crmApiToken", None, json!({ "password": DEV_CRM_PASSWORD })).await;
    assert_eq!(status, 200);
    assert_eq!(v["crmApiToken"].as_str().unwrap().len(), 43);
    assert!(v["expiresIn"].as_i64().unwrap() >= 7 * 24 * 3600, "valid for at least a week");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM sso_crm_tokens").await, 1);

    // Guessing is slowed after five wrong passwords, but nobody can lock cTrader out.
    for _ in 0..5 {
        let (status, _) = post(&app, "/oauth2/crmApiToken", None, json!({ "password": "guess" })).await;
        assert_eq!(status, 401);
    }
    let (status, _) = post(&app, "/oauth2/crmApiToken", None, json!({ "password": DEV_CRM_PASSWORD })).await;
    assert_eq!(status, 200, "the right password still gets in");
}

#[tokio::test]
async fn every_call_needs_a_valid_crm_api_token() {
    let app = sso_app().await;
    let uid = user(&app, "a@trader.example", 300_001).await;
    let calls = [
        ("/oauth2/onetime/authorize", json!({ "code": "x".repeat(43) })),
        ("/oauth2/authorize", json!({ "accessToken": "x".repeat(43) })),
        ("/oauth2/onetime/generate", json!({ "userId": uid })),
    ];
    for (path, body) in &calls {
        let (status, v) = post(&app, path, None, body.clone()).await;
        assert_eq!((status, code_of(&v)), (401, "MISSING_CRM_API_TOKEN"), "{path}");
        let (status, v) = post(&app, path, Some("forged-crm-api-token-value"), body.clone()).await;
        assert_eq!((status, code_of(&v)), (401, "INVALID_CRM_API_TOKEN"), "{path}");
    }
    // Only the Authorization header counts: a token in the URL would end up in proxies' logs.
    let crm = crm_token(&app).await;
    let res = app.http.post(app.url(&format!("/oauth2/onetime/generate?token={crm}"))).json(&json!({ "userId": uid })).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(code_of(&res.json().await.unwrap()), "MISSING_CRM_API_TOKEN");
    // A user who never signed in (no access token) gets no screen token.
    let (status, v) = post(&app, "/oauth2/onetime/generate", Some(&crm), json!({ "userId": uid })).await;
    assert_eq!((status, code_of(&v)), (401, "NO_ACCESS_TOKEN"));
    // What the OpenAPI document allows is understood (Schemathesis found
    // `7.0` refused as malformed): the whole number is the user id; "0" is not one.
    let (status, v) = post(&app, "/oauth2/onetime/generate", Some(&crm), json!({ "userId": uid as f64 })).await;
    assert_eq!((status, code_of(&v)), (401, "NO_ACCESS_TOKEN"), "read as the user, not refused as malformed");
    let (status, v) = post(&app, "/oauth2/onetime/generate", Some(&crm), json!({ "userId": "0" })).await;
    assert_eq!((status, code_of(&v)), (400, "MALFORMED_REQUEST"));
    // An expired CRM API token is refused.
    let old = "an-expired-crm-api-token-0000000000000000";
    app.state.store.sso.insert_crm_token(&hash(old), now_ms() - 10_000, now_ms() - 1).await.unwrap();
    let (status, v) = post(&app, "/oauth2/onetime/generate", Some(old), json!({ "userId": uid })).await;
    assert_eq!((status, code_of(&v)), (401, "INVALID_CRM_API_TOKEN"));
}

#[tokio::test]
async fn codes_access_tokens_and_one_time_tokens_follow_their_rules() {
    let app = sso_app().await;
    let uid = user(&app, "b@trader.example", 300_002).await;
    let crm = crm_token(&app).await;
    let crm = Some(crm.as_str());

    // The sign-in form refuses a post from another site.
    let res = app
        .http
        .post(app.url("/oauth2/sign-in"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("email", "b@trader.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Wrong password on the sign-in page: no code; guessing is stopped per email.
    let res = sign_in(&app, "b@trader.example", "wrong password!!").await;
    assert_eq!(res.status(), 401);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains(" ctrader-sso:"), "the sign-in form may redirect to the app: {csp}");
    assert!(res.headers().get("location").is_none());
    user(&app, "guessed@trader.example", 300_012).await;
    for _ in 0..5 {
        assert_eq!(sign_in(&app, "guessed@trader.example", "wrong password!!").await.status(), 401);
    }
    assert_eq!(sign_in(&app, "guessed@trader.example", PASSWORD).await.status(), 429);

    // 4.2: a code once; the second time it is refused.
    let code = code(&app, "B@Trader.example").await;
    let (status, auth) = post(&app, "/oauth2/onetime/authorize", crm, json!({ "code": code })).await;
    assert_eq!(status, 200, "{auth}");
    assert_eq!(auth["userId"], uid);
    let access = auth["accessToken"].as_str().unwrap().to_string();
    let first_inapp = auth["inappToken"].as_str().unwrap().to_string();
    let (status, v) = post(&app, "/oauth2/onetime/authorize", crm, json!({ "code": code })).await;
    assert_eq!((status, code_of(&v)), (401, "INVALID_OT_TOKEN"), "a code is single-use");
    let (status, v) = post(&app, "/oauth2/onetime/authorize", crm, json!({ "code": "never-issued-code" })).await;
    assert_eq!((status, code_of(&v)), (401, "INVALID_OT_TOKEN"));
    let (status, v) = post(&app, "/oauth2/onetime/authorize", crm, json!({ "token": code })).await;
    assert_eq!((status, code_of(&v)), (400, "MALFORMED_REQUEST"));
    // An expired code.
    let stale = "a-code-that-lived-its-sixty-seconds-000000";
    app.state.store.sso.insert_one_time(&hash(stale), "code", uid, now_ms() - 120_000, now_ms() - 60_000).await.unwrap();
    let (status, v) = post(&app, "/oauth2/onetime/authorize", crm, json!({ "code": stale })).await;
    assert_eq!((status, code_of(&v)), (401, "TOKEN_EXPIRED"));

    // 4.3: the access token names the user again, with a fresh inappToken.
    let (status, v) = post(&app, "/oauth2/authorize", crm, json!({ "accessToken": access })).await;
    assert_eq!(status, 200);
    assert_eq!(v["userId"], uid);
    let inapp = v["inappToken"].as_str().unwrap().to_string();
    assert_ne!(inapp, first_inapp);
    let (status, v) = post(&app, "/oauth2/authorize", crm, json!({ "accessToken": "not-an-access-token" })).await;
    assert_eq!((status, code_of(&v)), (401, "INVALID_ACCESS_TOKEN"));
    let (status, v) = post(&app, "/oauth2/authorize", crm, json!({ "access_token": access })).await;
    assert_eq!((status, code_of(&v)), (400, "MALFORMED_REQUEST"));

    // 4.4: for a known user, with their current inappToken or none.
    let (status, v) = post(&app, "/oauth2/onetime/generate", crm, json!({ "userId": uid, "inappToken": inapp })).await;
    assert_eq!(status, 200);
    let screen_token = v["token"].as_str().unwrap().to_string();
    let (status, _) = post(&app, "/oauth2/onetime/generate", crm, json!({ "userId": uid.to_string() })).await;
    assert_eq!(status, 200, "userId as a string of digits");
    let (status, v) = post(&app, "/oauth2/onetime/generate", crm, json!({ "userId": uid, "inappToken": first_inapp })).await;
    assert_eq!((status, code_of(&v)), (401, "INVALID_INAPP_TOKEN"), "replaced by 4.3");
    let (status, v) = post(&app, "/oauth2/onetime/generate", crm, json!({ "userId": 999_999 })).await;
    assert_eq!((status, code_of(&v)), (404, "USER_NOT_FOUND"));
    for bad in [json!({ "userId": "abc" }), json!({ "userId": -4 }), json!({}), json!([1, 2])] {
        let (status, v) = post(&app, "/oauth2/onetime/generate", crm, bad.clone()).await;
        assert_eq!((status, code_of(&v)), (400, "MALFORMED_REQUEST"), "{bad}");
    }
    // A screen token is not a sign-in code.
    let (status, v) = post(&app, "/oauth2/onetime/authorize", crm, json!({ "code": screen_token })).await;
    assert_eq!((status, code_of(&v)), (401, "INVALID_OT_TOKEN"));

    // Revoked from the back-office: 4.3 refuses it from then on.
    let admin = common::staff_cookie(&app, "admin@broker.example", Role::Admin).await;
    let page = app.get_with_cookie("/backoffice/sso", &admin).await.text().await.unwrap();
    assert!(page.contains("b@trader.example"));
    let id = page.split("/backoffice/sso/tokens/").nth(1).unwrap().split('/').next().unwrap().to_string();
    let res = app
        .http
        .post(app.url(&format!("/backoffice/sso/tokens/{id}/revoke")))
        .header("cookie", &admin)
        .header("origin", app.base.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (status, v) = post(&app, "/oauth2/authorize", crm, json!({ "accessToken": access })).await;
    assert_eq!((status, code_of(&v)), (401, "ACCESS_TOKEN_REVOKED"));
    let (status, v) = post(&app, "/oauth2/onetime/generate", crm, json!({ "userId": uid, "inappToken": inapp })).await;
    assert_eq!((status, code_of(&v)), (401, "INVALID_INAPP_TOKEN"), "a revoked token's inappToken is dead too");
    let (status, v) = post(&app, "/oauth2/onetime/generate", crm, json!({ "userId": uid })).await;
    assert_eq!((status, code_of(&v)), (401, "NO_ACCESS_TOKEN"), "revoking stops screen links too");
    let page = app.get_with_cookie("/backoffice/sso", &admin).await.text().await.unwrap();
    assert!(page.contains(r#"data-state="revoked""#) && page.contains("admin@broker.example"), "shows who revoked it");
    // Only admins see or revoke.
    let support = common::staff_cookie(&app, "support@broker.example", Role::Support).await;
    assert_eq!(app.get_with_cookie("/backoffice/sso", &support).await.status(), 403);
    assert_eq!(app.get("/backoffice/sso").await.status(), 303, "unauthenticated → sign-in");
}

#[tokio::test]
async fn screens_accept_the_brokers_one_time_tokens_once() {
    let app = sso_app().await;
    let uid = user(&app, "c@trader.example", 300_003).await;
    let crm = crm_token(&app).await;
    let code = code(&app, "c@trader.example").await;
    assert_eq!(post(&app, "/oauth2/onetime/authorize", Some(&crm), json!({ "code": code })).await.0, 200);
    let (_, v) = post(&app, "/oauth2/onetime/generate", Some(&crm), json!({ "userId": uid })).await;
    let token = v["token"].as_str().unwrap().to_string();
    let (cookie, location) = app.open(&format!("/inapp/kyc?token={token}&lang=de")).await;
    assert_eq!(location, "/inapp/kyc?lang=de", "the token leaves the URL");
    let page = app.get_with_cookie("/inapp/kyc", &cookie).await.text().await.unwrap();
    assert!(page.contains("300003") && page.contains("Sofia"), "the trader is identified");
    assert_eq!(app.resolve_calls().await, 0, "cTrader is not asked to resolve the broker's tokens");

    let again = app.get(&format!("/inapp/kyc?token={token}")).await;
    assert_eq!(again.status(), 410, "used once");
    let stale = "a-screen-token-past-its-minute-0000000000";
    app.state.store.sso.insert_one_time(&hash(stale), "screen", uid, now_ms() - 120_000, now_ms() - 60_000).await.unwrap();
    assert_eq!(app.get(&format!("/inapp/kyc?token={stale}")).await.status(), 410);
    assert_eq!(app.get("/inapp/kyc?token=made-up-token-value").await.status(), 401);
    assert_eq!(app.session_count().await, 1);
}

#[tokio::test]
async fn both_seed_flows_run_end_to_end_with_the_simulator_as_ctrader() {
    let app = sso_app().await;
    let uid = user(&app, "d@trader.example", 300_004).await;

    // Flow 2, first login: sign-in page → 4.1 → 4.2 → 4.4 → the screen.
    let res = app
        .http
        .post(app.url("/sim/sso/first-login"))
        .json(&json!({ "email": "d@trader.example", "password": PASSWORD, "screen": "/inapp/deposit" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    let calls: Vec<String> = v["calls"].as_array().unwrap().iter().map(|c| format!("{} {}", c["call"].as_str().unwrap(), c["status"])).collect();
    assert_eq!(calls, ["POST /oauth2/sign-in 303", "POST /oauth2/crmApiToken 200", "POST /oauth2/onetime/authorize 200", "POST /oauth2/onetime/generate 200"]);
    assert_eq!(v["userId"], uid);
    let (cookie, _) = app.open(v["screenUrl"].as_str().unwrap()).await;
    let page = app.get_with_cookie("/inapp/deposit", &cookie).await.text().await.unwrap();
    assert!(page.contains("300004") && page.contains("Sofia"), "the deposit screen shows the identified trader");

    // Flow 1, automatic re-login with the stored access token: 4.1 → 4.3 → 4.4.
    let res = app.http.post(app.url("/sim/sso/relogin")).json(&json!({ "userId": uid, "screen": "/inapp/kyc/status" })).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    let calls: Vec<&str> = v["calls"].as_array().unwrap().iter().map(|c| c["call"].as_str().unwrap()).collect();
    assert_eq!(calls, ["POST /oauth2/crmApiToken", "POST /oauth2/authorize", "POST /oauth2/onetime/generate"]);
    let url = v["screenUrl"].as_str().unwrap();
    assert!(url.starts_with("/inapp/kyc/status?token="));
    let (cookie, _) = app.open(url).await;
    assert!(app.get_with_cookie("/inapp/kyc/status", &cookie).await.text().await.unwrap().contains("300004"));

    // Revoked: the re-login stops at 4.3 with the reason.
    let id = app.state.store.sso.access_tokens(10).await.unwrap()[0].id.clone();
    app.state.store.sso.revoke_access_token(&id, "admin@broker.example", now_ms()).await.unwrap();
    let res = app.http.post(app.url("/sim/sso/relogin")).json(&json!({ "userId": uid })).send().await.unwrap();
    assert_eq!(res.status(), 502);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["step"], "/oauth2/authorize");
    assert_eq!(v["reply"]["code"], "ACCESS_TOKEN_REVOKED");

    // A wrong password stops the first login at the sign-in page.
    let res =
        app.http.post(app.url("/sim/sso/first-login")).json(&json!({ "email": "d@trader.example", "password": "not the password" })).send().await.unwrap();
    assert_eq!(res.status(), 502);
    assert_eq!(res.json::<Value>().await.unwrap()["step"], "/oauth2/sign-in");
}

#[tokio::test]
async fn the_openapi_document_describes_every_call_and_the_default_mode_has_none() {
    let app = sso_app().await;
    let doc: Value = app.get("/oauth2/openapi.json").await.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, codes) in [
        ("/oauth2/crmApiToken", vec!["INVALID_PASSWORD", "MALFORMED_REQUEST"]),
        ("/oauth2/onetime/authorize", vec!["INVALID_OT_TOKEN", "TOKEN_EXPIRED", "MISSING_CRM_API_TOKEN"]),
        ("/oauth2/authorize", vec!["INVALID_ACCESS_TOKEN", "ACCESS_TOKEN_REVOKED"]),
        ("/oauth2/onetime/generate", vec!["USER_NOT_FOUND", "INVALID_INAPP_TOKEN", "NO_ACCESS_TOKEN"]),
    ] {
        let op = &doc["paths"][path]["post"];
        assert!(op["responses"]["200"].is_object(), "{path}");
        let text = op.to_string();
        for c in codes {
            assert!(text.contains(c), "{path} documents {c}");
        }
    }
    // In the default identity mode none of this exists.
    let plain = common::spawn().await;
    let status = plain.http.post(plain.url("/oauth2/crmApiToken")).json(&json!({ "password": DEV_CRM_PASSWORD })).send().await.unwrap().status();
    assert!(matches!(status.as_u16(), 404 | 405), "{status}");
    assert_eq!(plain.get("/oauth2/openapi.json").await.status(), 404);
}

#[tokio::test]
async fn a_screen_token_our_storage_failed_on_still_works_when_retried() {
    let app = sso_app().await;
    let uid = user(&app, "d@trader.example", 300_004).await;
    let token = "a-screen-token-for-a-storage-failure-000001";
    app.state.store.sso.insert_one_time(&hash(token), "screen", uid, now_ms(), now_ms() + 60_000).await.unwrap();
    // Our own storage fails while the token is checked (its table is away).
    let pool = app.db().await;
    sqlx::query("ALTER TABLE sso_one_time RENAME TO sso_one_time_away").execute(&pool).await.unwrap();
    let failed = app.get(&format!("/inapp/kyc?token={token}")).await;
    assert_eq!(failed.status(), 500, "our failure, not the token's");
    assert!(failed.text().await.unwrap().contains("INTERNAL_ERROR"));
    sqlx::query("ALTER TABLE sso_one_time_away RENAME TO sso_one_time").execute(&pool).await.unwrap();
    // The token was not used up: reloading the link opens the screen.
    let (_, location) = app.open(&format!("/inapp/kyc?token={token}")).await;
    assert_eq!(location, "/inapp/kyc");
    assert_eq!(app.session_count().await, 1);
}
