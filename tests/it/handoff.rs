//! "Continue on your phone": the desktop's code opens the same trader's
//! upload screen on a phone in a session of its own; the document sent
//! there is the desktop's case's. The link works once, expires, and a
//! browser signed in to another trader is refused (the link left unused).

use crate::common;

use broker_inapp::server_fns::kyc::StartHandoff;
use common::kyc::*;
use common::TestApp;
use serde_json::Value;

/// The code's path, from the link the desktop shows (`/kyc/handoff/…`).
async fn handoff(app: &TestApp, cookie: &str, doc_type: &str) -> String {
    let res = app.call(cookie, StartHandoff { document_type: doc_type.into() }).await;
    assert_eq!(res.status(), 200);
    let h: Value = res.json().await.unwrap();
    assert!(h["svg"].as_str().unwrap().contains("<svg") && !h["svg"].as_str().unwrap().contains("<script"), "a QR code drawn as SVG");
    let url = h["url"].as_str().unwrap();
    format!("/kyc/handoff/{}", url.rsplit('/').next().unwrap())
}

#[tokio::test]
async fn the_phone_uploads_into_the_desktops_case_once() {
    let app = kyc_app().await;
    let (desktop, login) = trader(&app, "enhanced", "NO_TRADING").await;
    let path = handoff(&app, &desktop, "identity").await;

    let res = app.get(&path).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/inapp/kyc/upload?documentType=identity");
    let phone = common::cookie_pair(&res);
    assert_ne!(phone, desktop, "a session of its own");
    // The same trader, at the same level (the desktop's link said enhanced).
    let v = view(&app, &phone, None).await;
    assert_eq!(v["kyc_type"], "enhanced");
    assert_eq!(upload(&app, &phone, "identity", "photo.jpg", jpeg(240)).await.status(), 201);
    assert_eq!(requirement(&view(&app, &desktop, None).await, "identity")["state"], "Uploaded", "the desktop's case has it");
    assert_eq!(app.count("app.db", &format!("SELECT COUNT(*) FROM kyc_documents WHERE login = {login}")).await, 1);

    // Once only.
    let again = app.get(&path).await;
    assert_eq!(again.status(), 410);
    assert!(common::shown(&again.text().await.unwrap()).contains("This link was used or has expired"));
}

#[tokio::test]
async fn an_expired_link_or_another_traders_browser_is_refused() {
    let app = kyc_app().await;
    let (desktop, login) = trader(&app, "standard", "NO_TRADING").await;
    let expired = handoff(&app, &desktop, "identity").await;
    exec(&app, "UPDATE kyc_handoffs SET expires_at = 0 WHERE login = $1", login).await;
    assert_eq!(app.get(&expired).await.status(), 410);

    // Signed in to another trader here: refused, and the link still works after.
    let path = handoff(&app, &desktop, "address").await;
    let (someone_else, _) = trader(&app, "standard", "NO_TRADING").await;
    let res = app.get_with_cookie(&path, &someone_else).await;
    assert_eq!(res.status(), 409);
    assert!(common::shown(&res.text().await.unwrap()).contains("This link is for another account"));
    assert_eq!(app.get(&path).await.status(), 303);
    // The desktop's own browser may open it too (the same trader).
    let path = handoff(&app, &desktop, "address").await;
    assert_eq!(app.get_with_cookie(&path, &desktop).await.status(), 303);
    // A code that never was.
    assert_eq!(app.get("/kyc/handoff/not-a-code").await.status(), 410);
    // An unknown document type is refused at the start.
    assert_eq!(app.server_fn(&desktop, "kyc/handoff", &[("document_type", "selfie")]).await.status(), 400);
}
