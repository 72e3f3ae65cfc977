//! The back-office: staff sign-in with argon2 hashes, separate sessions,
//! roles, and the deposits list.

use crate::common;
use broker_inapp::server_fns::deposit::StartDeposit;

use broker_inapp::backoffice::{create_staff, Role};
use common::{cookie_pair, spawn};

const PASSWORD: &str = "a long staff password";

async fn sign_in(app: &common::TestApp, email: &str, password: &str) -> reqwest::Response {
    app.http.post(app.url("/backoffice/sign-in")).header("origin", app.base.clone()).form(&[("email", email), ("password", password)]).send().await.unwrap()
}

#[tokio::test]
async fn staff_sign_in_out_and_see_deposits() {
    let app = spawn().await;
    let first = app.get("/backoffice").await;
    assert_eq!(first.status(), 303, "unauthenticated → sign-in");
    assert_eq!(first.headers()["location"], "/backoffice/sign-in");
    assert_eq!(app.get("/backoffice/sign-in").await.status(), 200);

    create_staff(&app.state.store, "Admin@Broker.example", PASSWORD, Role::Admin).await.unwrap();
    let wrong = sign_in(&app, "admin@broker.example", "not the password").await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
    assert!(wrong.text().await.unwrap().contains("Wrong email or password."));
    let unknown = sign_in(&app, "nobody@broker.example", PASSWORD).await;
    assert_eq!(unknown.status(), 401);

    let ok = sign_in(&app, "admin@broker.example", PASSWORD).await;
    assert_eq!(ok.status(), 303);
    let set = ok.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/backoffice"), "{set}");
    let staff = cookie_pair(&ok);

    // A trader's deposit shows up in the list.
    let (trader, login) = app.sign_in(None).await;
    let res = app.call(&trader, StartDeposit { amount: "42".into(), method: "card".into(), key: "bo-key-0123456789abcdef".into() }).await;
    assert_eq!(res.status(), 200);
    let page = app.get_with_cookie("/backoffice", &staff).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("Signed in as admin@broker.example (admin)"));
    assert!(html.contains(&login.to_string()) && html.contains("42.00 USD"), "{html}");

    // The trader's cookie is no key to the back-office.
    assert_eq!(app.get_with_cookie("/backoffice", &trader).await.status(), 303);

    let out = app.http.post(app.url("/backoffice/sign-out")).header("cookie", &staff).header("origin", app.base.clone()).send().await.unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(app.get_with_cookie("/backoffice", &staff).await.status(), 303, "the session is gone");
}

#[tokio::test]
async fn cross_site_sign_in_is_refused() {
    let app = spawn().await;
    create_staff(&app.state.store, "ops@broker.example", PASSWORD, Role::Support).await.unwrap();
    let res = app
        .http
        .post(app.url("/backoffice/sign-in"))
        .header("origin", "https://evil.example")
        .form(&[("email", "ops@broker.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn compliance_does_not_see_money() {
    let app = spawn().await;
    create_staff(&app.state.store, "kyc@broker.example", PASSWORD, Role::Compliance).await.unwrap();
    let cookie = cookie_pair(&sign_in(&app, "kyc@broker.example", PASSWORD).await);
    // There is money to see: a trader's deposit, which an admin's dashboard lists.
    let (trader, login) = app.sign_in(None).await;
    let res = app.call(&trader, StartDeposit { amount: "42".into(), method: "card".into(), key: "co-key-0123456789abcdef".into() }).await;
    assert_eq!(res.status(), 200);
    let admin = common::staff_cookie(&app, "root@broker.example", Role::Admin).await;
    let admins = app.get_with_cookie("/backoffice", &admin).await.text().await.unwrap();
    assert!(admins.contains("Latest deposits") && admins.contains("42.00 USD"), "the premise: {admins}");
    let html = app.get_with_cookie("/backoffice", &cookie).await.text().await.unwrap();
    assert!(html.contains("(compliance)"));
    assert!(!html.contains("Latest deposits"));
    assert!(!html.contains("42.00 USD") && !html.contains(&login.to_string()), "no deposit, no account on compliance's dashboard");
}

#[tokio::test]
async fn weak_passwords_bad_emails_and_duplicates_are_refused() {
    let app = spawn().await;
    assert!(create_staff(&app.state.store, "a@b.example", "short", Role::Admin).await.is_err());
    assert!(create_staff(&app.state.store, "not-an-email", PASSWORD, Role::Admin).await.is_err());
    create_staff(&app.state.store, "a@b.example", PASSWORD, Role::Admin).await.unwrap();
    assert!(create_staff(&app.state.store, "A@B.example", PASSWORD, Role::Admin).await.is_err());
}

#[tokio::test]
async fn password_guessing_is_stopped_per_email() {
    let app = spawn().await;
    create_staff(&app.state.store, "ops@broker.example", PASSWORD, Role::Admin).await.unwrap();
    create_staff(&app.state.store, "other@broker.example", PASSWORD, Role::Admin).await.unwrap();
    for _ in 0..5 {
        assert_eq!(sign_in(&app, "ops@broker.example", "a wrong guess!!").await.status(), 401);
    }
    // Locked for a while, even with the right password.
    let locked = sign_in(&app, "OPS@broker.example", PASSWORD).await;
    assert_eq!(locked.status(), 429);
    assert!(locked.text().await.unwrap().contains("Too many wrong passwords"));
    // Another member of staff is not affected.
    assert_eq!(sign_in(&app, "other@broker.example", PASSWORD).await.status(), 303);
}

/// Signs in as a client at `from`, through the trusted proxy on loopback.
async fn sign_in_from(app: &common::TestApp, from: &str, email: &str, password: &str) -> reqwest::Response {
    sign_in_with(app, from, "", email, password).await
}

/// The same, from a browser sending `cookie`.
async fn sign_in_with(app: &common::TestApp, from: &str, cookie: &str, email: &str, password: &str) -> reqwest::Response {
    app.http
        .post(app.url("/backoffice/sign-in"))
        .header("origin", app.base.clone())
        .header("x-forwarded-for", from)
        .header("cookie", cookie)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

/// The device cookie a successful sign-in left, as `name=value`.
fn device_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("signin_device="))
        .and_then(|v| v.split(';').next())
        .expect("a device cookie")
        .to_string()
}

fn behind_proxy(f: figment::Figment) -> figment::Figment {
    broker_inapp::config::Settings::with(f, "server.trusted_proxies", vec!["127.0.0.1/32"])
}

#[tokio::test]
async fn a_guessing_client_cannot_lock_the_real_user_out() {
    let app = common::spawn_with(behind_proxy).await;
    create_staff(&app.state.store, "ops@broker.example", PASSWORD, Role::Admin).await.unwrap();
    let (attacker, owner) = ("203.0.113.66", "198.51.100.7");
    for _ in 0..5 {
        assert_eq!(sign_in_from(&app, attacker, "ops@broker.example", "a wrong guess!!").await.status(), 401);
    }
    assert_eq!(sign_in_from(&app, attacker, "ops@broker.example", PASSWORD).await.status(), 429, "that address is done guessing");
    // The owner, elsewhere, signs in as usual.
    assert_eq!(sign_in_from(&app, owner, "ops@broker.example", PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn one_address_spraying_many_accounts_is_stopped() {
    let app = common::spawn_with(behind_proxy).await;
    create_staff(&app.state.store, "ops@broker.example", PASSWORD, Role::Admin).await.unwrap();
    let sprayer = "203.0.113.77";
    for i in 0..20 {
        assert_eq!(sign_in_from(&app, sprayer, &format!("guess{i}@broker.example"), "a wrong guess!!").await.status(), 401);
    }
    assert_eq!(sign_in_from(&app, sprayer, "ops@broker.example", PASSWORD).await.status(), 429, "a fresh account from the same address");
    assert_eq!(sign_in_from(&app, "198.51.100.7", "ops@broker.example", PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn an_account_guessed_from_many_addresses_stays_open_to_its_known_address_only() {
    let app = common::spawn_with(behind_proxy).await;
    create_staff(&app.state.store, "ops@broker.example", PASSWORD, Role::Admin).await.unwrap();
    let home = "198.51.100.7";
    let first = sign_in_from(&app, home, "ops@broker.example", PASSWORD).await;
    assert_eq!(first.status(), 303, "a known address");
    let device = device_cookie(&first);
    assert!(first.headers().get_all("set-cookie").iter().any(|v| v.to_str().unwrap().contains("HttpOnly")));
    // A botnet: 50 addresses, one guess each.
    for i in 0..50 {
        assert_eq!(sign_in_from(&app, &format!("203.0.113.{i}"), "ops@broker.example", "a wrong guess!!").await.status(), 401);
    }
    assert_eq!(sign_in_from(&app, "203.0.113.200", "ops@broker.example", PASSWORD).await.status(), 429, "a new address now waits");
    let forged = "signin_device=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(sign_in_with(&app, "203.0.113.201", forged, "ops@broker.example", PASSWORD).await.status(), 429, "a made-up device cookie is no pass");
    assert_eq!(sign_in_from(&app, home, "ops@broker.example", PASSWORD).await.status(), 303, "the owner's usual address does not");
    // The owner on a new network (a phone, a trip), with the browser they signed in with before.
    let travelling = sign_in_with(&app, "192.0.2.55", &device, "ops@broker.example", PASSWORD).await;
    assert_eq!(travelling.status(), 303, "the browser's device cookie lets them in");
    let renewed = device_cookie(&travelling);
    assert_ne!(renewed, device, "each sign-in issues a new token");
    assert_eq!(sign_in_with(&app, "192.0.2.57", &renewed, "ops@broker.example", PASSWORD).await.status(), 303);
    // A token planted in the owner's browser before they sign in is not adopted.
    let planted = format!("signin_device={}", "P".repeat(43));
    let signed_in = sign_in_with(&app, home, &planted, "ops@broker.example", PASSWORD).await;
    assert_eq!(signed_in.status(), 303);
    assert_ne!(device_cookie(&signed_in), planted);
    assert_eq!(sign_in_with(&app, "203.0.113.202", &planted, "ops@broker.example", PASSWORD).await.status(), 429, "the planted token opens nothing");
    // A device token has tries of its own: guessed with from many addresses, it stops helping.
    for i in 0..10 {
        assert_eq!(sign_in_with(&app, &format!("192.0.2.{}", 100 + i), &renewed, "ops@broker.example", "a wrong guess!!").await.status(), 401);
    }
    assert_eq!(sign_in_with(&app, "192.0.2.120", &renewed, "ops@broker.example", PASSWORD).await.status(), 429, "a stolen cookie is no free pass");
    assert_eq!(sign_in_from(&app, home, "ops@broker.example", PASSWORD).await.status(), 303, "the usual address still is");
    // The cookie is the account's: it does not open another account past its limit.
    create_staff(&app.state.store, "other@broker.example", PASSWORD, Role::Finance).await.unwrap();
    for i in 0..50 {
        assert_eq!(sign_in_from(&app, &format!("203.0.114.{i}"), "other@broker.example", "a wrong guess!!").await.status(), 401);
    }
    assert_eq!(sign_in_with(&app, "192.0.2.56", &device, "other@broker.example", PASSWORD).await.status(), 429);
}

#[tokio::test]
async fn guesses_sent_all_at_once_are_counted_before_they_are_checked() {
    let app = common::spawn_with(behind_proxy).await;
    create_staff(&app.state.store, "ops@broker.example", PASSWORD, Role::Admin).await.unwrap();
    let tries = (0..20).map(|_| sign_in_from(&app, "203.0.113.9", "ops@broker.example", "a wrong guess!!"));
    let statuses: Vec<u16> = futures::future::join_all(tries).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 15, "{statuses:?}");
}

#[tokio::test]
async fn without_a_trusted_proxy_a_forwarded_address_is_ignored() {
    let app = spawn().await;
    create_staff(&app.state.store, "ops@broker.example", PASSWORD, Role::Admin).await.unwrap();
    // Each guess claims another address; the connection's is what counts.
    for i in 0..5 {
        assert_eq!(sign_in_from(&app, &format!("203.0.113.{i}"), "ops@broker.example", "a wrong guess!!").await.status(), 401);
    }
    assert_eq!(sign_in_from(&app, "203.0.113.99", "ops@broker.example", PASSWORD).await.status(), 429);
}

/// The rows of a back-office page with `data-testid="{testid}"`.
fn rows(page: &str, testid: &str) -> usize {
    page.matches(&format!("data-testid=\"{testid}\"")).count()
}

#[tokio::test]
async fn deposits_waiting_for_review_stay_reachable_however_many_newer_ones_arrive() {
    let app = spawn().await;
    let deposits = &app.state.store.deposits;
    let now = broker_inapp::time::now_ms();
    // 60 paid deposits held for review, then 120 newer ones.
    for i in 0..180i64 {
        let id = format!("dep_{i:032x}");
        let record = common::deposits::pending_record(&id, 100_001 + i % 7, 1_000 + i, format!("review-key-{i:04}-0123456789"), now + i);
        deposits.create_or_get(&record).await.unwrap();
        if i < 60 {
            let d = id.parse().unwrap();
            deposits.hold_for_review(&format!("evt_r_{i}"), &d, "provider confirmed 1 EUR", now + i).await.unwrap();
        }
    }
    let admin = common::deposits::admin(&app).await;
    let home = app.get_with_cookie("/backoffice", &admin).await.text().await.unwrap();
    assert!(home.contains("60 paid deposits wait for review"), "named on the dashboard however far down the list they are");
    assert_eq!(rows(&home, "bo-deposit"), 50, "a page of the latest");
    let first = app.get_with_cookie("/backoffice?state=review", &admin).await.text().await.unwrap();
    assert_eq!(rows(&first, "bo-deposit"), 50);
    assert_eq!(first.matches("data-state=\"review\"").count(), 50);
    assert!(first.contains(&format!("dep_{:032x}", 0)), "the longest waiting first");
    assert!(first.contains("Page 1 of 2") && first.contains("60 in all"));
    let second = app.get_with_cookie("/backoffice?state=review&page=2", &admin).await.text().await.unwrap();
    assert_eq!(rows(&second, "bo-deposit"), 10);
    assert!(second.contains(&format!("dep_{:032x}", 59)));
    // A link from when the list was longer opens its last page, not an empty
    // "page 9 of 2"; nonsense is the first page, not an error.
    let beyond = app.get_with_cookie("/backoffice?state=review&page=9", &admin).await.text().await.unwrap();
    assert_eq!(rows(&beyond, "bo-deposit"), 10);
    assert!(beyond.contains("Page 2 of 2"), "the page shown is one that exists");
    let nonsense = app.get_with_cookie("/backoffice?state=review&page=-3", &admin).await.text().await.unwrap();
    assert!(nonsense.contains("Page 1 of 2") && nonsense.contains(&format!("dep_{:032x}", 0)));
    let res = app.get_with_cookie("/backoffice?state=bogus&page=99999999999", &admin).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Page 4 of 4"), "an unknown state lists all 180, on their last page");
}

#[tokio::test]
async fn kyc_cases_waiting_for_review_are_paged_oldest_first() {
    let app = spawn().await;
    let pool = app.db().await;
    let now = broker_inapp::time::now_ms();
    for i in 0..130i64 {
        let state = if i < 55 { "submitted" } else { "in_progress" };
        sqlx::query("INSERT INTO kyc_cases (login, user_id, kyc_type, state, created_at, updated_at) VALUES ($1, $2, 'standard', $3, $4, $5)")
            .bind(500_000 + i)
            .bind(i)
            .bind(state)
            .bind(now + i)
            .bind(now + i)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
    let officer = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    let all = app.get_with_cookie("/backoffice/kyc", &officer).await.text().await.unwrap();
    assert!(all.contains("55 cases wait for review"));
    assert!(all.contains("data-login=\"500000\" data-state=\"submitted\""), "the longest waiting case leads the whole list");
    let waiting = app.get_with_cookie("/backoffice/kyc?state=submitted&page=2", &officer).await.text().await.unwrap();
    assert_eq!(rows(&waiting, "kyc-case"), 5);
    assert!(waiting.contains("data-login=\"500054\"") && waiting.contains("Page 2 of 2"));
}
