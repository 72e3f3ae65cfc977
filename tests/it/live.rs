//! The trader's account stream (`/inapp/account/events`): a screen hears
//! that its KYC case, deposit or withdrawal moved on, whoever moved it, hears
//! nothing of other traders' accounts, and stops with its session.

use std::time::Duration;

use broker_inapp::backoffice::Role;
use broker_inapp::config::Settings;
use tokio::sync::mpsc;

use crate::common::chat::{closes, events, next};
use crate::common::kyc::{app_with, decide, submitted_case, view};
use crate::common::{spawn_with, staff_cookie};

type Events = mpsc::UnboundedReceiver<(String, serde_json::Value)>;

/// Skips what the stream says about writes made before it opened (the
/// database announces them a watch interval later), so that what follows is
/// about what the test does next.
async fn settled(rx: &mut Events) {
    while tokio::time::timeout(Duration::from_millis(500), rx.recv()).await.is_ok() {}
}

#[tokio::test]
async fn a_trader_hears_that_their_case_was_decided_and_no_one_else_does() {
    let app = app_with(|f| Settings::with(f, "chat.watch_interval_ms", 50)).await;
    let (cookie, login) = submitted_case(&app, "NO_TRADING").await;
    let (bystander, _) = app.sign_in(None).await;
    let officer = staff_cookie(&app, "kyc@broker.example", Role::Compliance).await;

    let mut mine = events(&app, "/inapp/account/events", &cookie, None).await;
    let mut theirs = events(&app, "/inapp/account/events", &bystander, None).await;
    // The first look comes at once: what changed before the stream opened.
    next(&mut mine, "change").await;
    next(&mut theirs, "change").await;
    settled(&mut mine).await;

    assert_eq!(decide(&app, &officer, login, "approve", None).await.status(), 303);
    next(&mut mine, "change").await;
    assert_eq!(view(&app, &cookie, None).await["state"], "Approved", "what the screen re-reads on it");
    let heard = tokio::time::timeout(Duration::from_millis(500), theirs.recv()).await;
    assert!(heard.is_err(), "another trader's screen hears nothing: {heard:?}");
}

#[tokio::test]
async fn the_account_stream_ends_with_its_session() {
    let app = spawn_with(|f| Settings::with(f, "chat.session_recheck_seconds", 1)).await;
    let (trader, _) = app.sign_in(None).await;
    let mut stream = events(&app, "/inapp/account/events", &trader, None).await;
    next(&mut stream, "change").await;
    let value = trader.split_once('=').unwrap().1;
    app.state.store.sessions.delete(&broker_inapp::session::hash(value)).await.unwrap();
    next(&mut stream, "ended").await;
    closes(&mut stream).await;
    let refused = app.get_with_cookie("/inapp/account/events", &trader).await;
    assert_eq!(refused.status(), 401, "reconnecting cannot help");
}
