//! Support-chat promises of the README that tests/it/chat.rs leaves open:
//! an attachment rides on one message only (for either side, even when two
//! sends race), *Delivered* and *Read* receipts both ways, the typing
//! indicator lapsing by itself, staff **Reopen** and the no-script reply
//! form, chatting keeping a session alive while an unused one expires, and
//! an open stream ending (and closing) with its session.

use crate::common;

use std::time::Duration;

use broker_inapp::backoffice::Role;
use broker_inapp::config::Settings;
use common::chat::*;
use common::{spawn_with, staff_cookie, TestApp};
use serde_json::{json, Value};

async fn app() -> TestApp {
    spawn_with(|f| Settings::with(f, "chat.rate_limit_messages", 1000)).await
}

async fn refused_as(res: reqwest::Response, status: u16, code: &str) {
    assert_eq!(res.status().as_u16(), status);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], code, "{v}");
}

/// Moves one session's `last_seen_at` back by `by_ms` (as if that long passed without a request).
async fn age_session(app: &TestApp, cookie: &str, by_ms: i64) {
    let id_hash = broker_inapp::session::hash(cookie.split_once('=').unwrap().1);
    let pool = app.db().await;
    let done = sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - $1 WHERE id_hash = $2").bind(by_ms).bind(id_hash).execute(&pool).await.unwrap();
    pool.close().await;
    assert_eq!(done.rows_affected(), 1, "the session exists");
}

/// `data-status` of the staff page's message with `seq`.
fn status_on_page(page: &str, seq: i64) -> String {
    let start = page.find(&format!("<li data-seq=\"{seq}\"")).unwrap_or_else(|| panic!("message {seq} on the page"));
    let tag = &page[start..start + page[start..].find('>').unwrap()];
    let at = tag.find("data-status=\"").expect("a status") + "data-status=\"".len();
    tag[at..at + tag[at..].find('"').unwrap()].to_string()
}

// 1. An attachment belongs to its conversation and side, and rides on one message only.

#[tokio::test]
async fn an_attachment_rides_on_one_message_only_for_either_side() {
    let app = app().await;
    let (trader, login) = app.sign_in(None).await;
    let id = conversation_id(&app, login).await;
    let agent = staff_cookie(&app, "anna@broker.example", Role::Support).await;
    let mut agent_view = events(&app, &format!("/backoffice/chat/{id}/events"), &agent, None).await;

    let att = upload_to(&app, "/inapp/chat/attachments", &trader).await;
    let first = send_with(&app, &trader, "first-0001", "my screenshot", &att).await;
    assert_eq!(first.status(), 201);
    assert_eq!(first.json::<Value>().await.unwrap()["attachment"]["id"], att.as_str());
    // A resend of that message is the same message, not a second use.
    let resent = send_with(&app, &trader, "first-0001", "my screenshot", &att).await;
    assert_eq!(resent.status(), 200, "a resend is answered with the first copy");
    assert_eq!(resent.json::<Value>().await.unwrap()["seq"], 1);

    // Another message with the same attachment is refused and not stored…
    refused_as(send_with(&app, &trader, "second-001", "again", &att).await, 400, "BAD_ATTACHMENT").await;
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_messages").await, 1);
    // …so its client id is still free: sent without the file it is new (201), seq 2.
    let plain = send(&app, &trader, "second-001", "again").await;
    assert_eq!(plain.status(), 201, "the refused message was never stored");
    let plain: Value = plain.json().await.unwrap();
    assert_eq!((plain["seq"].as_i64(), &plain["attachment"]), (Some(2), &Value::Null));

    // The agent cannot put the trader's file on a message: neither the used one
    // nor one the trader has not sent yet (it belongs to the trader's side).
    refused_as(staff_send_with(&app, &agent, id, "agent-0001", "", &att).await, 400, "BAD_ATTACHMENT").await;
    let unsent = upload_to(&app, "/inapp/chat/attachments", &trader).await;
    refused_as(staff_send_with(&app, &agent, id, "agent-0002", "", &unsent).await, 400, "BAD_ATTACHMENT").await;

    // The agent's own file: one message only, and the trader cannot take it.
    let staff_att = upload_to(&app, &format!("/backoffice/chat/{id}/attachments"), &agent).await;
    refused_as(send_with(&app, &trader, "steal-0001", "", &staff_att).await, 400, "BAD_ATTACHMENT").await;
    assert_eq!(staff_send_with(&app, &agent, id, "agent-0003", "the form", &staff_att).await.status(), 201);
    refused_as(staff_send_with(&app, &agent, id, "agent-0004", "the form again", &staff_att).await, 400, "BAD_ATTACHMENT").await;
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_messages").await, 3);

    // What the agent's live view got: three messages, each file once.
    let mut seen = Vec::new();
    for _ in 0..3 {
        let m = next(&mut agent_view, "message").await;
        seen.push((m["seq"].as_i64().unwrap(), m["attachment"]["id"].as_str().map(str::to_string)));
    }
    assert_eq!(seen, vec![(1, Some(att.clone())), (2, None), (3, Some(staff_att.clone()))]);
    let more = tokio::time::timeout(Duration::from_millis(300), next(&mut agent_view, "message")).await;
    assert!(more.is_err(), "no refused message reached the stream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_messages_racing_for_one_attachment_store_one() {
    let app = app().await;
    let (trader, _) = app.sign_in(None).await;
    let att = upload_to(&app, "/inapp/chat/attachments", &trader).await;
    let sends = (0..10).map(|i| {
        let (app, trader, att) = (&app, trader.clone(), att.clone());
        async move { send_with(app, &trader, &format!("race-{i:04}"), "same file", &att).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(sends).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 9, "{statuses:?}");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_messages").await, 1);
    assert_eq!(app.count("app.db", &format!("SELECT COUNT(*) FROM chat_messages WHERE attachment_id = '{att}'")).await, 1);
}

// 2. Receipts: Sent → Delivered (the other side's browser received it) → Read.

#[tokio::test]
async fn messages_go_delivered_then_read_on_both_sides() {
    let app = app().await;
    let (trader, login) = app.sign_in(None).await;
    let id = conversation_id(&app, login).await;
    let agent = staff_cookie(&app, "anna@broker.example", Role::Support).await;
    assert_eq!(send(&app, &trader, "hello-0001", "Hello?").await.status(), 201);
    let mut trader_view = events(&app, "/inapp/chat/events", &trader, None).await;
    assert_eq!(next(&mut trader_view, "receipts").await, json!({ "delivered": 0, "read": 0 }), "sent, nothing more");

    // The agent's browser receives it over its stream; receiving alone marks nothing.
    let mut agent_view = events(&app, &format!("/backoffice/chat/{id}/events"), &agent, None).await;
    let m = next(&mut agent_view, "message").await;
    assert_eq!((m["seq"].as_i64(), m["author"].as_str()), (Some(1), Some("trader")));
    assert_eq!(next(&mut agent_view, "receipts").await, json!({ "delivered": 0, "read": 0 }));
    // Its page is in a background tab: it reports the message delivered, not read (as support.js does).
    let res = post_json(&app, &format!("/backoffice/chat/{id}/receipts"), &agent, json!({ "delivered": 1 })).await;
    assert_eq!(res.status(), 204);
    assert_eq!(next(&mut trader_view, "receipts").await, json!({ "delivered": 1, "read": 0 }), "the trader sees Delivered");
    let inbox = app.get_with_cookie("/backoffice/chat?tab=unassigned&fragment=1", &agent).await.text().await.unwrap();
    assert!(inbox.contains("data-unread=\"1\""), "delivered is not read: {inbox}");
    // The tab becomes visible: read.
    let res = post_json(&app, &format!("/backoffice/chat/{id}/receipts"), &agent, json!({ "delivered": 1, "read": 1 })).await;
    assert_eq!(res.status(), 204);
    assert_eq!(next(&mut trader_view, "receipts").await, json!({ "delivered": 1, "read": 1 }), "the trader sees Read");
    let inbox = app.get_with_cookie("/backoffice/chat?tab=unassigned&fragment=1", &agent).await.text().await.unwrap();
    assert!(inbox.contains("data-unread=\"0\""), "read is no longer unread: {inbox}");

    // The other way: the agent's reply, received by the trader's screen while hidden, then read.
    assert_eq!(staff_send(&app, &agent, id, "agent-0001", "How can I help?").await.status(), 201);
    let page = app.get_with_cookie(&format!("/backoffice/chat/{id}"), &agent).await.text().await.unwrap();
    assert_eq!(status_on_page(&page, 2), "sent");
    let res = post_json(&app, "/inapp/chat/receipts", &trader, json!({ "delivered": 2 })).await;
    assert_eq!(res.status(), 204);
    assert_eq!(next(&mut agent_view, "receipts").await, json!({ "delivered": 2, "read": 0 }), "the agent sees Delivered");
    let page = app.get_with_cookie(&format!("/backoffice/chat/{id}"), &agent).await.text().await.unwrap();
    assert_eq!(status_on_page(&page, 2), "delivered");
    let res = post_json(&app, "/inapp/chat/receipts", &trader, json!({ "read": 2 })).await;
    assert_eq!(res.status(), 204);
    assert_eq!(next(&mut agent_view, "receipts").await, json!({ "delivered": 2, "read": 2 }), "the agent sees Read");
    let page = app.get_with_cookie(&format!("/backoffice/chat/{id}"), &agent).await.text().await.unwrap();
    assert_eq!(status_on_page(&page, 2), "read");

    // Receipts never run ahead of the conversation nor go back: a later reply is only Sent.
    assert_eq!(post_json(&app, "/inapp/chat/receipts", &trader, json!({ "delivered": 99, "read": 99 })).await.status(), 204);
    assert_eq!(post_json(&app, "/inapp/chat/receipts", &trader, json!({ "delivered": 1, "read": 1 })).await.status(), 204);
    assert_eq!(staff_send(&app, &agent, id, "agent-0002", "Anything else?").await.status(), 201);
    let page = app.get_with_cookie(&format!("/backoffice/chat/{id}"), &agent).await.text().await.unwrap();
    assert_eq!(status_on_page(&page, 2), "read", "receipts never go back");
    assert_eq!(status_on_page(&page, 3), "sent", "a receipt past the last message does not cover the next one");
}

#[tokio::test]
async fn typing_shows_for_five_seconds_then_lapses_by_itself() {
    let app = common::spawn().await;
    assert_eq!(app.state.settings.chat.typing_seconds, 5, "the README's 5 s is the default");
    let (trader, login) = app.sign_in(None).await;
    let id = conversation_id(&app, login).await;
    let agent = staff_cookie(&app, "anna@broker.example", Role::Support).await;
    let mut trader_view = events(&app, "/inapp/chat/events", &trader, None).await;
    let mut agent_view = events(&app, &format!("/backoffice/chat/{id}/events"), &agent, None).await;
    next(&mut trader_view, "conversation").await;
    next(&mut agent_view, "conversation").await;

    assert_eq!(post_empty(&app, &format!("/backoffice/chat/{id}/typing"), &agent).await.status(), 204);
    assert_eq!(post_empty(&app, "/inapp/chat/typing", &trader).await.status(), 204);
    assert_eq!(next(&mut trader_view, "typing").await, json!({ "typing": true }), "the trader sees the agent typing");
    assert_eq!(next(&mut agent_view, "typing").await, json!({ "typing": true }), "the agent sees the trader typing");
    // Nobody sends anything more: both indicators go out on their own.
    assert_eq!(next(&mut trader_view, "typing").await, json!({ "typing": false }));
    assert_eq!(next(&mut agent_view, "typing").await, json!({ "typing": false }));
}

// 3. Staff: Reopen, and the reply form without JavaScript.

#[tokio::test]
async fn an_agent_reopens_a_closed_conversation() {
    let app = app().await;
    let (trader, login) = app.sign_in(None).await;
    assert_eq!(send(&app, &trader, "help-00001", "help").await.status(), 201);
    let id = conversation_id(&app, login).await;
    let agent = staff_cookie(&app, "anna@broker.example", Role::Support).await;
    let mut trader_view = events(&app, "/inapp/chat/events", &trader, None).await;
    assert_eq!(next(&mut trader_view, "conversation").await["closed"], false);

    let res = post_empty(&app, &format!("/backoffice/chat/{id}/close"), &agent).await;
    assert_eq!(res.status(), 303);
    assert_eq!(next(&mut trader_view, "conversation").await["closed"], true);
    let page = app.get_with_cookie(&format!("/backoffice/chat/{id}"), &agent).await.text().await.unwrap();
    assert!(page.contains("data-closed=\"true\"") && page.contains(&format!("action=\"/backoffice/chat/{id}/reopen\"")), "a closed conversation offers Reopen");

    let res = post_empty(&app, &format!("/backoffice/chat/{id}/reopen"), &agent).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("/backoffice/chat/{id}").as_str(), "back to the conversation");
    assert_eq!(next(&mut trader_view, "conversation").await["closed"], false, "the trader's screen hears it is open again");
    let closed = app.get_with_cookie("/backoffice/chat?tab=closed&fragment=1", &agent).await.text().await.unwrap();
    assert!(!closed.contains(&format!("data-login=\"{login}\"")), "no longer under Closed");
    let unassigned = app.get_with_cookie("/backoffice/chat?tab=unassigned&fragment=1", &agent).await.text().await.unwrap();
    assert!(unassigned.contains(&format!("data-login=\"{login}\"")), "back under Unassigned");
    let page = app.get_with_cookie(&format!("/backoffice/chat/{id}"), &agent).await.text().await.unwrap();
    assert!(page.contains("data-closed=\"false\"") && page.contains(&format!("action=\"/backoffice/chat/{id}/close\"")), "open, offering Close");
    assert!(!page.contains(&format!("action=\"/backoffice/chat/{id}/reopen\"")));
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_messages").await, 1, "reopening sends nothing");
}

/// The value of the hidden `client_id` field of the page's reply form.
fn reply_client_id(page: &str) -> String {
    let form = &page[page.find("<form id=\"reply\"").expect("the reply form")..];
    let field = &form[form.find("name=\"client_id\"").expect("its client id")..];
    let at = field.find("value=\"").unwrap() + "value=\"".len();
    field[at..at + field[at..].find('"').unwrap()].to_string()
}

/// The reply form as a browser without script posts it (same origin; with
/// `Referrer-Policy: no-referrer` the Origin is `null`).
async fn post_reply_form(app: &TestApp, id: i64, cookie: &str, client_id: &str, body: &str) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/backoffice/chat/{id}/reply")))
        .header("cookie", cookie)
        .header("sec-fetch-site", "same-origin")
        .header("origin", "null")
        .form(&[("client_id", client_id), ("body", body)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_reply_form_works_without_javascript_and_stores_once() {
    let app = app().await;
    let (trader, login) = app.sign_in(None).await;
    assert_eq!(send(&app, &trader, "help-00001", "help").await.status(), 201);
    let id = conversation_id(&app, login).await;
    let agent = staff_cookie(&app, "anna@broker.example", Role::Support).await;
    let mut trader_view = events(&app, "/inapp/chat/events", &trader, Some(1)).await;
    assert!(next(&mut trader_view, "conversation").await["agent"].is_null());

    let page = app.get_with_cookie(&format!("/backoffice/chat/{id}"), &agent).await.text().await.unwrap();
    assert!(page.contains(&format!("<form id=\"reply\" method=\"post\" action=\"/backoffice/chat/{id}/reply\"")), "a plain form");
    let client_id = reply_client_id(&page);
    // Textareas submit CRLF line breaks.
    let res = post_reply_form(&app, id, &agent, &client_id, "Hello from a plain form\r\nsecond line").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("/backoffice/chat/{id}").as_str());
    // Back and submit again (or a double click): the same form is the same message.
    let again = post_reply_form(&app, id, &agent, &client_id, "Hello from a plain form\r\nsecond line").await;
    assert_eq!(again.status(), 303);
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_messages WHERE author = 'staff'").await, 1, "stored once");

    let m = next(&mut trader_view, "message").await;
    assert_eq!((m["seq"].as_i64(), m["author"].as_str(), m["authorName"].as_str()), (Some(2), Some("staff"), Some("anna")));
    assert_eq!(m["body"], "Hello from a plain form\nsecond line");
    assert_eq!(next(&mut trader_view, "conversation").await["agent"], "anna", "answering an unclaimed conversation claimed it");
    let more = tokio::time::timeout(Duration::from_millis(300), next(&mut trader_view, "message")).await;
    assert!(more.is_err(), "the resubmitted form reached the trader once");
    let page = app.get_with_cookie(&format!("/backoffice/chat/{id}"), &agent).await.text().await.unwrap();
    assert!(page.contains("Hello from a plain form"), "the redirect target shows the reply");

    // An empty reply comes back with the reason and stores nothing.
    let res = post_reply_form(&app, id, &agent, &reply_client_id(&page), " \r\n ").await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, format!("/backoffice/chat/{id}?problem=MESSAGE_EMPTY"));
    let page = app.get_with_cookie(&location, &agent).await.text().await.unwrap();
    assert!(page.contains("Write a message or attach a file first."), "the reason is shown");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_messages").await, 2);
}

// 4. Chatting keeps the trader's session alive; an unused one expires.

#[tokio::test]
async fn chatting_keeps_the_session_alive_and_an_unused_one_expires() {
    let app = app().await;
    let (sender, _) = app.sign_in(None).await;
    let (reader, _) = app.sign_in(None).await;
    let (typist, _) = app.sign_in(None).await;
    let (idle, _) = app.sign_in(None).await;
    // 29 minutes pass without a request (the idle limit is 30).
    app.state.clock.advance(Duration::from_secs(29 * 60));
    // Three of them chat: a message, a read receipt, a typing signal.
    assert_eq!(send(&app, &sender, "alive-0001", "still here").await.status(), 201);
    assert_eq!(post_json(&app, "/inapp/chat/receipts", &reader, json!({ "read": 0 })).await.status(), 204);
    assert_eq!(post_empty(&app, "/inapp/chat/typing", &typist).await.status(), 204);
    // Two more minutes: 31 since the sign-in for all, but only 2 since the chatting.
    app.state.clock.advance(Duration::from_secs(2 * 60));
    for (cookie, cid) in [(&sender, "alive-0002"), (&reader, "alive-0003"), (&typist, "alive-0004")] {
        assert_eq!(send(&app, cookie, cid, "still signed in").await.status(), 201, "{cid}: the chatting renewed the session");
    }
    refused_as(send(&app, &idle, "idle-00001", "too late").await, 401, "SESSION_EXPIRED").await;
    refused_as(app.get_with_cookie("/inapp/chat/events", &idle).await, 401, "SESSION_EXPIRED").await;
    assert_eq!(app.get_with_cookie("/inapp/chat", &idle).await.status(), 401);
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_messages").await, 4, "the expired session stored nothing");
    assert_eq!(app.session_count().await, 3, "the idle session is gone");
}

// 5. An open stream whose session ended sends `ended` and closes.

#[tokio::test]
async fn an_open_stream_ends_and_closes_when_its_session_expires() {
    let app = spawn_with(|f| Settings::with(f, "chat.session_recheck_seconds", 1)).await;
    let (alive, _) = app.sign_in(None).await;
    let (expiring, _) = app.sign_in(None).await;
    // Opened first, so its session is re-checked at least as often as the other's.
    let mut alive_view = events(&app, "/inapp/chat/events", &alive, None).await;
    next(&mut alive_view, "conversation").await;
    let mut view = events(&app, "/inapp/chat/events", &expiring, None).await;
    next(&mut view, "conversation").await;

    // The open stream alone does not count as activity: 31 minutes idle end the session.
    age_session(&app, &expiring, 31 * 60_000).await;
    assert_eq!(next(&mut view, "ended").await, json!({}));
    closes(&mut view).await;
    // Reconnecting cannot help: the screen must be reopened from the platform.
    refused_as(app.get_with_cookie("/inapp/chat/events", &expiring).await, 401, "SESSION_EXPIRED").await;

    // The live session's stream went through the same re-checks and carries on.
    assert_eq!(send(&app, &alive, "alive-0001", "still here").await.status(), 201);
    assert_eq!(next(&mut alive_view, "message").await["body"], "still here");
}

#[tokio::test]
async fn an_agents_conversation_stream_ends_and_closes_when_they_sign_out() {
    let app = spawn_with(|f| Settings::with(f, "chat.session_recheck_seconds", 1)).await;
    let (trader, login) = app.sign_in(None).await;
    let id = conversation_id(&app, login).await;
    let anna = staff_cookie(&app, "anna@broker.example", Role::Support).await;
    let ben = staff_cookie(&app, "ben@broker.example", Role::Support).await;
    let mut bens_view = events(&app, &format!("/backoffice/chat/{id}/events"), &ben, None).await;
    next(&mut bens_view, "conversation").await;
    let mut annas_view = events(&app, &format!("/backoffice/chat/{id}/events"), &anna, None).await;
    next(&mut annas_view, "conversation").await;

    let res = post_empty(&app, "/backoffice/sign-out", &anna).await;
    assert_eq!(res.status(), 303);
    assert_eq!(next(&mut annas_view, "ended").await, json!({}));
    closes(&mut annas_view).await;
    assert_eq!(app.get_with_cookie(&format!("/backoffice/chat/{id}/events"), &anna).await.status(), 401);

    // Ben is still signed in: his view still follows the conversation.
    assert_eq!(send(&app, &trader, "hello-0001", "anyone?").await.status(), 201);
    assert_eq!(next(&mut bens_view, "message").await["body"], "anyone?");
}
