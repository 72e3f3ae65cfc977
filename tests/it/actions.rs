//! The broker's configured actions: a form submission checked and stored and
//! listed for staff, an unknown action type, and a hand-off's signed,
//! short-lived assertion.

use std::collections::BTreeMap;

use crate::common;
use broker_inapp::server_fns::action::{LoadAction, StartHandoff, SubmitAction};

use broker_inapp::backoffice::Role;
use broker_inapp::broker_actions::service::Assertion;
use broker_inapp::config::DEV_HANDOFF_SECRET;
use common::spawn;
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde_json::Value;

#[tokio::test]
async fn a_form_action_is_checked_stored_and_listed_for_staff() {
    let app = spawn().await;
    let (cookie, login) = app.sign_in(None).await;

    let res = app.call(&cookie, LoadAction { action_type: "transfer".into() }).await;
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["title"], "Transfer request");
    assert_eq!(view["fields"].as_array().unwrap().len(), 3);

    // Every rule the browser applies, the server applies too.
    let bad = app.call(&cookie, SubmitAction { action_type: "transfer".into(), values: values(&[("amount", "10.005"), ("to", "cash")]) }).await;
    assert_eq!(bad.status(), 422);
    let body = bad.text().await.unwrap();
    assert!(body.contains("\"amount\"") && body.contains("\"to\""), "{body}");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM action_submissions").await, 0, "nothing half-written");

    let form = values(&[("amount", "1250.5"), ("to", "another_account"), ("details", "<b>Account</b> 100123"), ("role", "admin")]);
    let ok = app.call(&cookie, SubmitAction { action_type: "transfer".into(), values: form }).await;
    assert_eq!(ok.status(), 200);
    let id: String = ok.json().await.unwrap();
    assert!(id.starts_with("req_"));

    let records = app.state.store.actions.submissions(10).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].login, common::login(login));
    let fields: Value = serde_json::from_str(&records[0].fields).unwrap();
    assert_eq!(fields, serde_json::json!({ "amount": "1250.50", "to": "another_account", "details": "<b>Account</b> 100123" }), "unknown fields dropped");

    let support = common::staff_cookie(&app, "support@broker.example", Role::Support).await;
    let page = app.get_with_cookie("/backoffice/requests", &support).await.text().await.unwrap();
    assert!(page.contains(&id) && page.contains("1250.50") && page.contains("Transfer request"));
    assert!(page.contains("&lt;b&gt;Account&lt;/b&gt;") && !page.contains("<b>Account</b>"), "stored text is shown as text");
    let compliance = common::staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;
    assert_eq!(app.get_with_cookie("/backoffice/requests", &compliance).await.status(), 403);
    assert_eq!(app.get("/backoffice/requests").await.status(), 303);
}

#[tokio::test]
async fn unknown_action_types_and_wrong_kinds_are_refused_clearly() {
    let app = spawn().await;
    let (cookie, _) = app.sign_in(None).await;
    let res = app.call(&cookie, LoadAction { action_type: "teleport".into() }).await;
    assert_eq!(res.status(), 404);
    let res = app.call(&cookie, SubmitAction { action_type: "teleport".into(), values: values(&[("x", "1")]) }).await;
    assert_eq!(res.status(), 404);
    // A hand-off is not a form, and a form is not a hand-off.
    let res = app.call(&cookie, SubmitAction { action_type: "client_area".into(), values: BTreeMap::new() }).await;
    assert_eq!(res.status(), 400);
    let res = app.call(&cookie, StartHandoff { action_type: "transfer".into() }).await;
    assert_eq!(res.status(), 400);
    // Without a session nothing is answered.
    let res = app.http.post(app.url("/api/action/view")).header("origin", app.base.clone()).form(&[("action_type", "transfer")]).send().await.unwrap();
    assert_eq!(res.status(), 401);
    // The screen itself renders the unknown type as a page, not an error status.
    let res = app.get_with_cookie("/inapp/action?actionType=teleport", &cookie).await;
    assert_eq!(res.status(), 404);
    let page = common::shown(&res.text().await.unwrap());
    assert!(page.contains("action-unknown") && page.contains("This action is not available"), "the unknown-action page");
}

#[tokio::test]
async fn a_handoff_carries_a_signed_short_lived_assertion_of_the_trader() {
    let app = spawn().await;
    let (cookie, login) = app.sign_in(None).await;
    let res = app.call(&cookie, StartHandoff { action_type: "client_area".into() }).await;
    assert_eq!(res.status(), 200);
    let (url, assertion): (String, String) = res.json().await.unwrap();
    assert_eq!(url, "https://clients.broker.example/inapp-sso");
    // The page's security policy lets its form go there (and nowhere else).
    let page = app.get_with_cookie("/inapp/action?actionType=client_area", &cookie).await;
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("form-action 'self' https://clients.broker.example;"), "{csp}");

    let mut rules = Validation::new(Algorithm::HS256);
    rules.set_audience(&[url.as_str()]);
    rules.set_issuer(&[app.state.settings.server.public_url.trim_end_matches('/')]);
    let claims = decode::<Assertion>(&assertion, &DecodingKey::from_secret(DEV_HANDOFF_SECRET.as_bytes()), &rules).unwrap().claims;
    assert_eq!(claims.login, common::login(login));
    assert_eq!(claims.action, "client_area");
    assert_eq!(claims.exp - claims.iat, 60, "lives a minute");
    assert!(decode::<Assertion>(&assertion, &DecodingKey::from_secret(b"another secret of thirty-two chars!!"), &rules).is_err(), "signed");
    let again: (String, String) = app.call(&cookie, StartHandoff { action_type: "client_area".into() }).await.json().await.unwrap();
    let second = decode::<Assertion>(&again.1, &DecodingKey::from_secret(DEV_HANDOFF_SECRET.as_bytes()), &rules).unwrap().claims;
    assert_ne!(second.jti, claims.jti, "each assertion is unique");
}

fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}
