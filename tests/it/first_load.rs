//! What a trader on a slow phone meets before the WASM arrives, and what a
//! render costs: the deposit form posted by the browser itself (no script
//! caught the submit) goes to the payment page or comes back with what was
//! typed; the trader shown on screens is read from cTrader once per
//! `ctrader.shown_fresh_ms`, never for a money decision, and a balance change
//! this instance sends shows at once.

use crate::common::{self, deposits, TestApp};
use broker_inapp::server_fns::withdrawal::RequestWithdrawal;
use serde_json::json;

/// Posts a form as a browser does without the WASM: form-encoded, same
/// origin, asking for a page.
async fn browser_post(app: &TestApp, path: &str, cookie: &str, form: &[(&str, &str)]) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .header("cookie", cookie)
        .header("origin", app.base.clone())
        .header("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The deposit form, posted by the browser itself.
async fn plain_post(app: &TestApp, cookie: &str, amount: &str, key: &str) -> reqwest::Response {
    browser_post(app, "/api/deposit/start", cookie, &[("key", key), ("amount", amount), ("method", "card")]).await
}

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_string()
}

async fn trader_reads(app: &TestApp) -> i64 {
    let v: serde_json::Value = app.http.get(app.url("/sim/stats")).send().await.unwrap().json().await.unwrap();
    v["calls"]["trader"].as_i64().unwrap()
}

#[tokio::test]
async fn a_deposit_form_the_browser_posts_itself_goes_to_the_payment_page_once() {
    let app = common::spawn().await;
    let (cookie, _) = app.sign_in(None).await;

    let first = plain_post(&app, &cookie, "250.00", deposits::KEY).await;
    assert_eq!(first.status(), 302);
    let page = location(&first);
    assert!(page.starts_with("/psp/sandbox/pay/"), "{page}");
    // Pressed again (a double tap, a resubmitted page): the same payment.
    let again = plain_post(&app, &cookie, "250.00", deposits::KEY).await;
    assert_eq!(location(&again), page);
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM deposits").await, 1);

    // The hydrated page's own call still gets the address as JSON, no redirect.
    let js = deposits::start(&app, &cookie, "250.00", deposits::KEY).await;
    assert_eq!(js.status(), 200);
    assert!(js.headers().get("location").is_none());
    assert_eq!(js.json::<String>().await.unwrap(), page);
}

#[tokio::test]
async fn a_refused_plain_post_comes_back_with_the_amount_method_key_and_reason() {
    let app = common::spawn().await;
    let (cookie, _) = app.sign_in(None).await;

    let res = plain_post(&app, &cookie, "9.99", deposits::KEY).await;
    assert_eq!(res.status(), 302);
    let back = location(&res);
    assert!(back.starts_with("/inapp/deposit?"), "{back}");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM deposits").await, 0, "nothing stored for a refused amount");

    let html = common::shown(&app.get_with_cookie(&back, &cookie).await.text().await.unwrap());
    assert!(html.contains("The minimum deposit is 10.00."), "the reason, translated");
    assert!(html.contains(r#"value="9.99""#), "the amount as typed");
    assert!(html.contains(&format!(r#"name="key" value="{}""#, deposits::KEY)), "the same form key, so a retry is the same payment");
    assert!(html.contains(r#"value="card" checked"#), "the method chosen");

    // Without a session the post is not lost in a redirect loop: the screen says why.
    let res = plain_post(&app, "inapp_session=gone", "25.00", deposits::KEY).await;
    assert_eq!(res.status(), 302);
    let page = app.get(&location(&res)).await;
    assert_eq!(page.status(), 401);
    assert!(page.text().await.unwrap().contains("Your session has ended"));
}

#[tokio::test]
async fn screens_share_one_trader_read_and_show_a_credit_from_this_instance_at_once() {
    let app = common::spawn_with(|f| broker_inapp::config::Settings::with(f, "ctrader.shown_fresh_ms", 60_000)).await;
    let (cookie, _) = app.sign_in(None).await;
    let before = trader_reads(&app).await;
    for _ in 0..5 {
        let html = app.get_with_cookie("/inapp/deposit", &cookie).await.text().await.unwrap();
        assert!(html.contains("1,000.00 USD"), "the balance is shown");
    }
    assert_eq!(trader_reads(&app).await - before, 1, "five renders, one read from cTrader");

    // A deposit credited by this instance: the next render shows it.
    let page = deposits::started(&app, &cookie, "250.00", deposits::KEY).await;
    let back = deposits::pay(&app, &page, "4242424242424242").await;
    deposits::wait_for_state(&app, &cookie, &deposits::deposit_id(&back), "Credited").await;
    let html = app.get_with_cookie("/inapp/deposit", &cookie).await.text().await.unwrap();
    assert!(html.contains("1,250.00 USD"), "the credited balance at once");
}

#[tokio::test]
async fn a_withdrawal_is_judged_against_the_balance_now_not_the_one_shown() {
    let app = common::spawn_with(|f| broker_inapp::config::Settings::with(f, "ctrader.shown_fresh_ms", 60_000)).await;
    let v = app.mint(json!({ "balance": "1000.00" })).await;
    let login = v["login"].as_i64().unwrap();
    let (cookie, _) = app.open(&format!("/inapp/action?actionType=withdraw&token={}", v["token"].as_str().unwrap())).await;
    let html = app.get_with_cookie("/inapp/action?actionType=withdraw", &cookie).await.text().await.unwrap();
    assert!(html.contains("1,000.00"), "the form shows the balance");

    // The balance drops in cTrader (a trade lost money) while the form is open.
    let sim = app.pool("sim.db").await;
    sqlx::query("UPDATE sim_traders SET balance = 5000 WHERE login = ?").bind(login).execute(&sim).await.unwrap();
    let res = app
        .call(
            &cookie,
            RequestWithdrawal {
                amount: "100".into(),
                payout: "bank".into(),
                iban: "DE89 3704 0044 0532 0130 00".into(),
                holder: "Ann Lee".into(),
                card: String::new(),
                key: "wd-key-now-0123456789".into(),
            },
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("AboveMax"), "refused against the 50.00 cTrader has now");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM withdrawals").await, 0);
}

#[tokio::test]
async fn a_forged_return_shows_only_our_own_words() {
    let app = common::spawn().await;
    let (cookie, _) = app.sign_in(None).await;
    // Free text where a reason goes: not one of ours, so no return at all.
    let forged = "/inapp/deposit?amount=25&method=card&key=form-key-0123456789abcdef&refused=%7B%22CurrencyNotSupported%22%3A%22wire+funds+to+DE00%22%7D";
    let html = app.get_with_cookie(forged, &cookie).await.text().await.unwrap();
    assert!(!html.contains("wire funds"));
    assert!(!html.contains("form-key-0123456789abcdef"), "a forged return's key is not taken either");
    // A refusal of the key itself: the form takes a new key.
    let bad_key = "/inapp/deposit?amount=25&method=card&key=nope&refused=invalid_request";
    let html = common::shown(&app.get_with_cookie(bad_key, &cookie).await.text().await.unwrap());
    assert!(html.contains("The request was not valid"), "{html}");
    assert!(!html.contains(r#"name="key" value="nope""#));
}

#[tokio::test]
async fn the_deposit_page_lets_its_form_be_redirected_to_stripe_checkout() {
    let app = common::spawn_with(|f| {
        let f = broker_inapp::config::Settings::with(f, "deposit.methods", json!([{ "name": "stripe", "kind": "stripe_checkout" }]));
        broker_inapp::config::Settings::with(f, "payments.stripe.api_base", "https://api.stripe.com")
    })
    .await;
    let (cookie, _) = app.sign_in(None).await;
    let page = app.get_with_cookie("/inapp/deposit", &cookie).await;
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    // Browsers hold a posted form's redirects to form-action: without it, the
    // form posted before the WASM could not reach the payment page.
    let form_action = csp.split(';').map(str::trim).find(|d| d.starts_with("form-action ")).unwrap();
    assert!(form_action.split(' ').any(|o| o == "https://checkout.stripe.com"), "{csp}");
}

/// The chat's message form, posted by the browser itself.
async fn plain_message(app: &TestApp, cookie: &str, client_id: &str, body: &str) -> reqwest::Response {
    browser_post(app, "/inapp/chat/send", cookie, &[("client_id", client_id), ("body", body)]).await
}

/// The value of the chat form's hidden client id in a rendered screen.
fn form_client_id(html: &str) -> String {
    let (_, rest) = html.split_once(r#"name="client_id" value=""#).expect("the form's client id");
    rest.split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn a_chat_message_the_browser_posts_itself_is_stored_once_and_shown() {
    let app = common::spawn().await;
    let (cookie, _) = app.sign_in(None).await;
    let html = app.get_with_cookie("/inapp/chat", &cookie).await.text().await.unwrap();
    assert!(html.contains(r#"method="post" action="/inapp/chat/send""#), "the form posts itself");
    let id = form_client_id(&html);
    assert_ne!(form_client_id(&app.get_with_cookie("/inapp/chat", &cookie).await.text().await.unwrap()), id, "each form its own id");

    // Pressed twice (a double tap, a resubmitted page): one message.
    for _ in 0..2 {
        let res = plain_message(&app, &cookie, &id, "Typed on a slow phone").await;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/inapp/chat");
    }
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_messages").await, 1);
    assert_eq!(app.text("app.db", "SELECT body FROM chat_messages").await, "Typed on a slow phone");
    let html = app.get_with_cookie("/inapp/chat", &cookie).await.text().await.unwrap();
    assert_eq!(html.matches(r#"data-testid="message""#).count(), 1, "shown in the history");
}

#[tokio::test]
async fn a_refused_chat_post_comes_back_with_why_and_never_carries_the_text() {
    let app = common::spawn_with(|f| broker_inapp::config::Settings::with(f, "chat.rate_limit_messages", 1)).await;
    let (cookie, _) = app.sign_in(None).await;
    // A browser cannot post a message over the limit: the field stops at it.
    let html = app.get_with_cookie("/inapp/chat", &cookie).await.text().await.unwrap();
    assert!(html.contains(r#"maxlength="2000""#), "before the WASM, the limit itself");

    // A second message inside the rate window: back to the screen, saying why.
    assert_eq!(location(&plain_message(&app, &cookie, "plain-form-0001", "First").await), "/inapp/chat");
    let res = plain_message(&app, &cookie, "plain-form-0002", "Second, private").await;
    assert_eq!(res.status(), 303);
    let back = location(&res);
    assert_eq!(back, "/inapp/chat?refused=RATE_LIMITED", "the code only: no message text in a URL");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_messages").await, 1);
    let html = common::shown(&app.get_with_cookie(&back, &cookie).await.text().await.unwrap());
    assert!(html.contains("Your message was not sent: too many messages in a short time."), "the reason, translated");

    // Too long (only a client other than a browser can send it): the reason with the limit.
    let res = plain_message(&app, &cookie, "plain-form-0003", &"a".repeat(2001)).await;
    let html = common::shown(&app.get_with_cookie(&location(&res), &cookie).await.text().await.unwrap());
    assert!(html.contains("The message is too long: at most 2000 characters."));

    // A forged return shows only our own words, and never text from the link.
    let html = common::shown(&app.get_with_cookie("/inapp/chat?draft=hi&refused=Your%20account%20is%20closed", &cookie).await.text().await.unwrap());
    assert!(!html.contains("Your account is closed") && !html.contains("Your message was not sent"), "an unknown code is no return");
    let html = app.get_with_cookie("/inapp/chat?refused=RATE_LIMITED&draft=%3Cp%20id%3Dinjected%3E", &cookie).await.text().await.unwrap();
    assert!(!html.contains("id=injected") && !html.contains("id%3Dinjected"), "a draft in a link is not shown");

    // Another site's page posting the form with the trader's cookie is refused.
    let forged = app
        .http
        .post(app.url("/inapp/chat/send"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("client_id", "plain-form-0005"), ("body", "Sent by another site")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    // Without a session: the branded page saying so, nothing stored.
    let res = plain_message(&app, "inapp_session=gone", "plain-form-0004", "Hello").await;
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("Your session has ended"));
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_messages").await, 1);
}
