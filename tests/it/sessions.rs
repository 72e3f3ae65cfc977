//! One-time token → session: the exchange, its failures, and what the
//! browser sees afterwards.

use crate::common;

use common::{cookie_pair, spawn, spawn_with};
use serde_json::json;

#[tokio::test]
async fn token_starts_a_session_and_leaves_the_url() {
    let app = spawn().await;
    let minted = app.mint(json!({ "login": 100777, "name": "Ada Lovelace" })).await;
    let token = minted["token"].as_str().unwrap();
    let res = app.get(&format!("/inapp/deposit?token={token}&account=100777&lang=es&utm_source=app&theme=dark")).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/inapp/deposit?account=100777&lang=es&utm_source=app&theme=dark");
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set_cookie.starts_with("inapp_session="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(set_cookie.contains("Path=/"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "plain http must not mark the cookie Secure: {set_cookie}");
    let id = cookie_pair(&res).split_once('=').unwrap().1.to_string();
    // 256 random bits, base64url without padding (as the README says).
    assert_eq!(id.len(), 43, "256 bits of base64url: {id}");
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "base64url: {id}");
    assert!(!id.contains(token));

    let cookie = cookie_pair(&res);
    let page = app.get_with_cookie("/inapp/deposit?account=100777&lang=es&utm_source=app&theme=dark", &cookie).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("Ada Lovelace"), "trader name shown");
    assert!(html.contains("Cuenta 100777"), "login shown, in Spanish");
    assert!(html.contains(r#"lang="es""#));
    assert!(html.contains(r#"class="dark""#));
    assert!(!html.contains(token), "token never in the page");
    assert_eq!(app.resolve_calls().await, 1);
}

#[tokio::test]
async fn reload_and_other_screens_use_the_session_and_remember_choices() {
    let app = spawn().await;
    let (token, login) = app.token().await;
    let (cookie, location) = app.open(&format!("/inapp/kyc?token={token}&lang=ar&theme=dark&source=iOS")).await;
    assert_eq!(location, "/inapp/kyc?lang=ar&theme=dark&source=iOS");
    for path in [
        "/inapp/kyc",
        "/inapp/chat?lang=xx",
        "/inapp/kyc/status",
        "/inapp/kyc/upload?documentType=identity",
        "/inapp/action?actionType=withdraw",
        "/inapp/deposit",
    ] {
        let res = app.get_with_cookie(path, &cookie).await;
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains(r#"lang="ar""#) && html.contains(r#"dir="rtl""#), "{path}: remembered Arabic, right to left");
        assert!(html.contains(r#"class="dark""#), "{path}: remembered dark theme");
        assert!(html.contains(&login.to_string()), "{path}: shows the login");
    }
    let english = app.get_with_cookie("/inapp/chat?lang=en&theme=light", &cookie).await.text().await.unwrap();
    assert!(english.contains(r#"lang="en""#) && english.contains(r#"class="light""#));
    assert_eq!(app.resolve_calls().await, 1, "no further cTrader calls after the exchange");
}

#[tokio::test]
async fn a_used_token_shows_the_expired_page() {
    let app = spawn().await;
    let (token, _) = app.token().await;
    app.open(&format!("/inapp/deposit?token={token}")).await;
    let again = app.get(&format!("/inapp/deposit?token={token}&lang=de")).await;
    assert_eq!(again.status(), 410);
    assert!(again.headers().get("set-cookie").is_none());
    let html = again.text().await.unwrap();
    assert!(html.contains("TOKEN_EXPIRED"));
    assert!(html.contains("Dieser Link ist abgelaufen"), "translated");
    assert!(!html.contains(&token));

    let json = app.http.get(app.url(&format!("/inapp/deposit?token={token}"))).header("accept", "application/json").send().await.unwrap();
    assert_eq!(json.status(), 410);
    let body: serde_json::Value = json.json().await.unwrap();
    assert_eq!(body, json!({"error":"Token Expired","message":"The provided token has expired","code":"TOKEN_EXPIRED"}));
}

#[tokio::test]
async fn an_expired_token_shows_the_expired_page() {
    let app = spawn().await;
    let minted = app.mint(json!({ "expired": true })).await;
    let res = app.get(&format!("/inapp/chat?token={}", minted["token"].as_str().unwrap())).await;
    assert_eq!(res.status(), 410);
    assert!(res.text().await.unwrap().contains("TOKEN_EXPIRED"));
}

#[tokio::test]
async fn garbage_tokens_show_the_invalid_page() {
    let app = spawn().await;
    for token in ["%3Cscript%3Ealert(1)%3C%2Fscript%3E", "", "short", "not-a-real-token-but-well-formed-1234567890"] {
        let res = app.get(&format!("/inapp/deposit?token={token}&lang=fr")).await;
        assert_eq!(res.status(), 401, "token {token:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains("INVALID_OT_TOKEN"), "token {token:?}");
        assert!(html.contains("Ce lien n’est pas valide"), "translated");
        assert!(!html.contains("<script>alert"), "nothing reflected");
    }
    assert_eq!(app.resolve_calls().await, 1, "only the well-formed token reached cTrader");
    let json = app.http.get(app.url("/inapp/deposit?token=zzzzzzzzzzzz")).header("accept", "application/json").send().await.unwrap();
    assert_eq!(json.status(), 401);
    let body: serde_json::Value = json.json().await.unwrap();
    assert_eq!(body, json!({"error":"Invalid Token","message":"The provided token is invalid or expired","code":"INVALID_OT_TOKEN"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_uses_of_one_token_make_one_session() {
    let app = spawn().await;
    let (token, _) = app.token().await;
    let url = app.url(&format!("/inapp/deposit?token={token}"));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (http, url) = (common::client(), url.clone());
            tokio::spawn(async move { http.get(url).send().await.unwrap() })
        })
        .collect();
    let mut statuses = vec![];
    for t in tasks {
        let res = t.await.unwrap();
        statuses.push((res.status().as_u16(), res.headers().contains_key("set-cookie")));
    }
    assert_eq!(statuses.iter().filter(|(s, c)| *s == 303 && *c).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|(s, c)| *s == 410 && !*c).count(), 19, "{statuses:?}");
    assert_eq!(app.resolve_calls().await, 1);
    assert_eq!(app.session_count().await, 1);
}

#[tokio::test]
async fn a_session_id_from_the_browser_is_never_adopted() {
    let app = spawn().await;
    let (first, _) = app.token().await;
    let (old_cookie, _) = app.open(&format!("/inapp/deposit?token={first}")).await;
    let (second, _) = app.token().await;
    for planted in [old_cookie.clone(), "inapp_session=attacker-chosen-value".to_string()] {
        let (t, _) = if planted == old_cookie { (second.clone(), 0) } else { app.token().await };
        let res = app.get_with_cookie(&format!("/inapp/chat?token={t}"), &planted).await;
        assert_eq!(res.status(), 303);
        assert_ne!(cookie_pair(&res), planted, "a new id is minted");
    }
    let old = app.get_with_cookie("/inapp/deposit", &old_cookie).await;
    assert_eq!(old.status(), 401, "the replaced session is gone");
}

#[tokio::test]
async fn no_token_and_no_session_shows_the_reopen_page() {
    let app = spawn().await;
    for cookie in ["", "inapp_session=made-up", "inapp_session="] {
        let res = app.get_with_cookie("/inapp/deposit?lang=pl", cookie).await;
        assert_eq!(res.status(), 401);
        let html = res.text().await.unwrap();
        assert!(html.contains("SESSION_EXPIRED"));
        assert!(html.contains("Twoja sesja wygasła"));
    }
}

#[tokio::test]
async fn an_unreachable_platform_gives_a_try_again_page_and_no_session() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let app = spawn_with(|f| common::real_ctrader(f, "http://127.0.0.1:9")).await;
    let res = app.get("/inapp/deposit?token=abcdefghijklmnop").await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().get("set-cookie").is_none());
    let html = res.text().await.unwrap();
    assert!(html.contains("PLATFORM_UNAVAILABLE"));
    assert!(html.contains(r#"data-testid="retry""#), "offers to try again");
    assert!(!html.contains("abcdefghijklmnop"), "the retry link does not copy the token");
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test]
async fn a_slow_platform_gives_a_try_again_page_then_the_token_still_works() {
    let app = spawn_with(|f| broker_inapp::config::Settings::with(f, "ctrader.timeout_ms", 400)).await;
    let (token, _) = app.token().await;
    let set = app.http.post(app.url("/sim/faults")).json(&json!({"endpoint":"resolve","kind":"delay","delayMs":1500,"remaining":1})).send().await.unwrap();
    assert_eq!(set.status(), 201);
    // A delay fault sleeps before the simulator looks at the token, and the
    // client gives up first: the token is not consumed.
    // Had we waited for the platform, its answer (a valid token) would have
    // started a session: a 503 means our own timeout answered.
    let res = app.get(&format!("/inapp/deposit?token={token}")).await;
    assert_eq!(res.status(), 503);
    assert_eq!(app.session_count().await, 0);
    // Once the platform has let go of the abandoned call (it drops the work
    // when the caller hangs up), the token is still unused.
    common::eventually("the abandoned resolve call to end", || async {
        let n = app.in_flight("resolve").await;
        common::done_or(n == 0, n)
    })
    .await;
    let (_, location) = app.open(&format!("/inapp/deposit?token={token}")).await;
    assert_eq!(location, "/inapp/deposit");
}

#[tokio::test]
async fn the_redeem_contract_is_a_configuration_switch() {
    let app = spawn_with(|f| broker_inapp::config::Settings::with(f, "ctrader.token_contract", "redeem")).await;
    let (token, login) = app.token().await;
    let (cookie, _) = app.open(&format!("/inapp/deposit?token={token}")).await;
    let html = app.get_with_cookie("/inapp/deposit", &cookie).await.text().await.unwrap();
    assert!(html.contains(&format!("Account {login}")));
    let again = app.get(&format!("/inapp/deposit?token={token}")).await;
    assert_eq!(again.status(), 410, "our own claim already knows it was used");
    // The contracts differ on an expired token: `get` answers 410 (the expired
    // page, see an_expired_token_shows_the_expired_page), `redeem` a 404,
    // which reads as invalid. Only a redeem call can produce this answer.
    let expired = app.mint(json!({ "expired": true })).await;
    let res = app.get(&format!("/inapp/deposit?token={}", expired["token"].as_str().unwrap())).await;
    assert_eq!(res.status(), 401, "redeem's 404 reads as an invalid token");
    assert!(res.text().await.unwrap().contains("INVALID_OT_TOKEN"));
}

#[tokio::test]
async fn a_failed_manager_sign_in_does_not_burn_the_token() {
    let app = spawn().await;
    let (token, _) = app.token().await;
    let set = app.http.post(app.url("/sim/faults")).json(&json!({"endpoint":"managerToken","kind":"error","status":503,"remaining":1})).send().await.unwrap();
    assert_eq!(set.status(), 201);
    assert_eq!(app.get(&format!("/inapp/chat?token={token}")).await.status(), 503);
    let (_, location) = app.open(&format!("/inapp/chat?token={token}")).await;
    assert_eq!(location, "/inapp/chat");
}

async fn age_sessions(app: &common::TestApp, column: &str, by_ms: i64) {
    let pool = app.db().await;
    sqlx::query(&format!("UPDATE sessions SET {column} = {column} - $1")).bind(by_ms).execute(&pool).await.unwrap();
    pool.close().await;
}

#[tokio::test]
async fn an_idle_session_ends() {
    let app = spawn().await;
    let (token, _) = app.token().await;
    let (cookie, _) = app.open(&format!("/inapp/deposit?token={token}")).await;
    assert_eq!(app.get_with_cookie("/inapp/deposit", &cookie).await.status(), 200);
    // 31 minutes without a request (idle limit 30), on the application's clock.
    app.state.clock.advance(std::time::Duration::from_secs(31 * 60));
    let res = app.get_with_cookie("/inapp/deposit", &cookie).await;
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("SESSION_EXPIRED"));
    assert_eq!(app.session_count().await, 0, "deleted on sight");
}

#[tokio::test]
async fn an_active_session_still_ends_at_its_absolute_expiry() {
    let app = spawn().await;
    let (token, _) = app.token().await;
    let (cookie, _) = app.open(&format!("/inapp/chat?token={token}")).await;
    // Active a minute ago, but created more than 12 hours ago.
    age_sessions(&app, "expires_at", 12 * 3_600_000).await;
    let res = app.get_with_cookie("/inapp/chat", &cookie).await;
    assert_eq!(res.status(), 401);
}

/// Opens `path` (with a token) carrying `cookie`, as a browser already in a session would.
async fn open_with(app: &common::TestApp, path: &str, cookie: &str) -> String {
    let res = app.get_with_cookie(path, cookie).await;
    assert_eq!(res.status(), 303);
    cookie_pair(&res)
}

#[tokio::test]
async fn a_link_for_another_account_switches_visibly_never_silently() {
    let app = spawn().await;
    let mine = app.mint(json!({})).await;
    let (cookie, _) = app.open(&format!("/inapp/deposit?token={}", mine["token"].as_str().unwrap())).await;
    let my_login = mine["login"].as_i64().unwrap().to_string();
    // Someone else's link, opened in the same browser: it is theirs now, and the page says so.
    let theirs = app.mint(json!({})).await;
    let their_login = theirs["login"].as_i64().unwrap().to_string();
    let switched = open_with(&app, &format!("/inapp/kyc?token={}", theirs["token"].as_str().unwrap()), &cookie).await;
    let page = app.get_with_cookie("/inapp/kyc", &switched).await.text().await.unwrap();
    let notice = page.split("data-testid=\"account-switched\"").nth(1).expect("the switch is shown").split("</p>").next().unwrap().to_string();
    assert!(notice.contains(&format!("opened account {their_login}")) && notice.contains(&format!("in account {my_login} before")), "{notice}");
    // Said once: the next page is the account's own.
    let again = app.get_with_cookie("/inapp/kyc", &switched).await.text().await.unwrap();
    assert!(!again.contains("account-switched"));
    // A fresh link for the same account is no switch.
    let same = app.mint(json!({ "login": theirs["login"] })).await;
    let reopened = open_with(&app, &format!("/inapp/kyc?token={}", same["token"].as_str().unwrap()), &switched).await;
    assert!(!app.get_with_cookie("/inapp/kyc", &reopened).await.text().await.unwrap().contains("account-switched"));
}
