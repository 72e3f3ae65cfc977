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
