//! Support chat over HTTP: ordering and deduplication under concurrent
//! senders, resuming a stream, one trader never reaching another's
//! conversation, every kind of bad message answered precisely, the staff
//! inbox and replies, and a second instance on the same database seeing
//! changes made by the first.

use crate::common;
use broker_inapp::server_fns::chat::LoadChat;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use broker_inapp::backoffice::Role;
use broker_inapp::config::Settings;
use common::chat::*;
use common::{spawn_with, staff_cookie, TestApp};
use serde_json::{json, Value};

async fn app() -> TestApp {
    spawn_with(|f| Settings::with(f, "chat.rate_limit_messages", 1000)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_senders_get_gapless_seqs_in_order_and_resends_are_the_same_message() {
    let app = app().await;
    let (trader, login) = app.sign_in(None).await;
    let id = conversation_id(&app, login).await;
    let agent = staff_cookie(&app, "agent@broker.example", Role::Support).await;
    let mut stream = events(&app, "/inapp/chat/events", &trader, None).await;

    // 30 trader and 20 agent messages at once, each sent twice at once (as a
    // browser retrying after a lost answer would).
    let mut calls = Vec::new();
    for i in 0..50 {
        for _copy in 0..2 {
            let (app, trader, agent) = (&app, trader.clone(), agent.clone());
            calls.push(async move {
                let cid = format!("client-{i:04}");
                let res = if i < 30 {
                    send(app, &trader, &cid, &format!("trader {i}")).await
                } else {
                    staff_send(app, &agent, id, &cid, &format!("agent {i}")).await
                };
                let status = res.status().as_u16();
                let body: Value = res.json().await.unwrap();
                (cid, status, body["seq"].as_i64().unwrap())
            });
        }
    }
    let results = futures::future::join_all(calls).await;
    let mut seq_of: HashMap<String, i64> = HashMap::new();
    let mut created = 0;
    for (cid, status, seq) in results {
        assert!(status == 201 || status == 200, "status {status}");
        created += (status == 201) as usize;
        if let Some(first) = seq_of.insert(cid.clone(), seq) {
            assert_eq!(first, seq, "both copies of {cid} answer the same message");
        }
    }
    assert_eq!(created, 50, "one copy of each message is new, the other a duplicate");
    let seqs: HashSet<i64> = seq_of.values().copied().collect();
    assert_eq!(seqs, (1..=50).collect::<HashSet<_>>(), "seqs are 1..=50 without gaps or repeats");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_messages").await, 50);

    // The live stream delivered each exactly once, in seq order.
    let mut seen = Vec::new();
    while seen.len() < 50 {
        seen.push(next(&mut stream, "message").await["seq"].as_i64().unwrap());
    }
    assert_eq!(seen, (1..=50).collect::<Vec<_>>());
    let extra = tokio::time::timeout(Duration::from_millis(300), next(&mut stream, "message")).await;
    assert!(extra.is_err(), "no message is delivered twice");
}

#[tokio::test]
async fn the_same_client_id_from_another_sender_or_conversation_is_a_new_message() {
    let app = app().await;
    let (alice, alice_login) = app.sign_in(None).await;
    let (bob, _) = app.sign_in(None).await;
    let id = conversation_id(&app, alice_login).await;
    let agent = staff_cookie(&app, "agent@broker.example", Role::Support).await;
    // Client ids are chosen by browsers: two senders may pick the same one.
    let first = send(&app, &alice, "same-client-id-01", "from alice").await;
    assert_eq!(first.status(), 201);
    let other_trader = send(&app, &bob, "same-client-id-01", "from bob").await;
    assert_eq!(other_trader.status(), 201, "another trader's conversation: a new message");
    assert_eq!(other_trader.json::<Value>().await.unwrap()["body"], "from bob");
    let agent_reply = staff_send(&app, &agent, id, "same-client-id-01", "from the agent").await;
    assert_eq!(agent_reply.status(), 201, "the other side of the same conversation: a new message");
    let again = send(&app, &alice, "same-client-id-01", "from alice, resent").await;
    assert_eq!(again.status(), 200, "only the same sender's resend is recognised");
    assert_eq!(again.json::<Value>().await.unwrap()["body"], "from alice", "and it answers the first copy");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_messages").await, 3);
}

#[tokio::test]
async fn a_stream_resumes_after_the_last_message_it_saw() {
    let app = app().await;
    let (trader, _) = app.sign_in(None).await;
    for i in 1..=5 {
        assert_eq!(send(&app, &trader, &format!("resume-{i:03}"), &format!("m{i}")).await.status(), 201);
    }
    let mut stream = events(&app, "/inapp/chat/events", &trader, Some(3)).await;
    assert_eq!(next(&mut stream, "message").await["body"], "m4");
    assert_eq!(next(&mut stream, "message").await["body"], "m5");
    let mut by_query = events(&app, "/inapp/chat/events?after=4", &trader, None).await;
    assert_eq!(next(&mut by_query, "message").await["body"], "m5");
    send(&app, &trader, "resume-006", "m6").await;
    assert_eq!(next(&mut stream, "message").await["body"], "m6", "then live");
}

#[tokio::test]
async fn a_trader_reaches_only_their_own_conversation() {
    let app = app().await;
    let (alice, alice_login) = app.sign_in(None).await;
    let (bob, _) = app.sign_in(None).await;
    let att = &upload(&app, &alice).await;
    let res = post_json(&app, "/inapp/chat/messages", &alice, json!({ "clientId": "alice-0001", "body": "my secret", "attachmentId": att })).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["attachment"]["id"], att.as_str());

    let own = app.get_with_cookie(&format!("/inapp/chat/attachments/{att}"), &alice).await;
    assert_eq!(own.status(), 200);
    crate::common::kyc::assert_served_file_headers(
        &own,
        &format!(".{}", own.headers()["content-type"].to_str().unwrap().rsplit('/').next().unwrap().replace("jpeg", "jpg")),
    );
    assert_eq!(app.get_with_cookie(&format!("/inapp/chat/attachments/{att}"), &bob).await.status(), 404, "another trader's file does not exist for Bob");
    let res = post_json(&app, "/inapp/chat/messages", &bob, json!({ "clientId": "bob-00001", "body": "", "attachmentId": att })).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "BAD_ATTACHMENT");

    // Bob's view and stream hold none of Alice's conversation.
    let view: Value = app.call(&bob, LoadChat {}).await.json().await.unwrap();
    assert_eq!(view["messages"], json!([]));
    let page = app.get_with_cookie("/inapp/chat", &bob).await.text().await.unwrap();
    assert!(!page.contains("my secret"));
    send(&app, &bob, "bob-00002", "bob here").await;
    let mut stream = events(&app, "/inapp/chat/events", &bob, None).await;
    assert_eq!(next(&mut stream, "message").await["body"], "bob here");
    // Alice's own view has her message; Bob's client id did not collide with hers.
    let view: Value = app.call(&alice, LoadChat {}).await.json().await.unwrap();
    assert_eq!(view["messages"].as_array().unwrap().len(), 1);
    assert_eq!(app.state.store.chat.open_conversation(common::login(alice_login), 0, None, 0, "t").await.unwrap().last_seq, 1);

    // Traders are not staff, and compliance is not support.
    let id = conversation_id(&app, alice_login).await;
    assert_eq!(app.get_with_cookie(&format!("/backoffice/chat/{id}/events"), &bob).await.status(), 401);
    assert_eq!(app.get_with_cookie(&format!("/backoffice/chat/attachments/{att}"), &bob).await.status(), 401);
    let compliance = staff_cookie(&app, "compliance@broker.example", Role::Compliance).await;
    assert_eq!(app.get_with_cookie(&format!("/backoffice/chat/{id}/events"), &compliance).await.status(), 403);
    assert_eq!(app.get_with_cookie("/backoffice/chat", &compliance).await.status(), 403);

    // An attachment never sent is cleaned up; one a message carries stays.
    let unsent = upload(&app, &bob).await;
    assert_eq!(app.state.store.chat.purge_unsent_attachments(i64::MAX).await.unwrap(), vec![unsent]);
    assert_eq!(app.get_with_cookie(&format!("/inapp/chat/attachments/{att}"), &alice).await.status(), 200);
}

async fn upload(app: &TestApp, cookie: &str) -> String {
    upload_to(app, "/inapp/chat/attachments", cookie).await
}

#[tokio::test]
async fn bad_messages_get_precise_errors_and_store_nothing() {
    let app = spawn_with(|f| {
        let f = Settings::with(f, "chat.max_message_chars", 30);
        Settings::with(f, "chat.rate_limit_messages", 3)
    })
    .await;
    let (trader, _) = app.sign_in(None).await;
    let raw = |body: &'static str, content_type: &'static str| {
        let (app, trader) = (&app, trader.clone());
        async move {
            let res = app
                .http
                .post(app.url("/inapp/chat/messages"))
                .header("cookie", trader)
                .header("origin", app.base.clone())
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = raw("{not json", "application/json").await;
    assert_eq!((status, body["code"].as_str()), (400, Some("MALFORMED_JSON")));
    let (status, body) = raw(r#"{"body":"no id"}"#, "application/json").await;
    assert_eq!((status, body["code"].as_str()), (400, Some("MALFORMED_JSON")));
    assert!(body["error"].as_str().unwrap().contains("clientId"), "the error names the missing field: {body}");
    let (status, _) = raw(r#"{"clientId":"abcdefgh","body":"x"}"#, "text/plain").await;
    assert_eq!(status, 400, "not JSON by content type");
    let huge = format!(r#"{{"clientId":"huge-0001","body":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let res = post_json(&app, "/inapp/chat/messages", &trader, serde_json::from_str(&huge).unwrap()).await;
    assert_eq!(res.status(), 413, "a body over server.max_body_bytes");
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "BODY_TOO_LARGE", "as JSON like every refusal");

    let check = |res: reqwest::Response, want_status: u16, want_code: &'static str| async move {
        assert_eq!(res.status().as_u16(), want_status);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], want_code, "{v}");
    };
    check(send(&app, &trader, "bad id!", "hi").await, 400, "BAD_CLIENT_ID").await;
    check(send(&app, &trader, "empty-001", "  \n\t ").await, 422, "MESSAGE_EMPTY").await;
    check(send(&app, &trader, "long-0001", &"é".repeat(31)).await, 422, "MESSAGE_TOO_LONG").await;
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_messages").await, 0, "nothing refused was stored");

    assert_eq!(send(&app, &trader, "exact-001", &"é".repeat(30)).await.status(), 201, "exactly the limit is fine");
    let res = send(&app, &trader, "html-0001", "<script>alert(1)</script>").await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["body"], "<script>alert(1)</script>", "stored as typed");
    let page = app.get_with_cookie("/inapp/chat", &trader).await.text().await.unwrap();
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.contains("<script>alert(1)"), "shown as text");

    assert_eq!(send(&app, &trader, "third-001", "three").await.status(), 201);
    let res = send(&app, &trader, "fourth-01", "four").await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "60");
    check(res, 429, "RATE_LIMITED").await;
    assert_eq!(send(&app, &trader, "third-001", "three").await.status(), 200, "a resend is answered even when limited");
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_messages").await, 3);

    let res = app
        .http
        .post(app.url("/inapp/chat/messages"))
        .header("origin", app.base.clone())
        .json(&json!({ "clientId": "nosession", "body": "x" }))
        .send()
        .await
        .unwrap();
    check(res, 401, "SESSION_EXPIRED").await;
    let res = app
        .http
        .post(app.url("/inapp/chat/receipts"))
        .header("cookie", &trader)
        .header("origin", app.base.clone())
        .json(&json!({ "read": -1 }))
        .send()
        .await
        .unwrap();
    check(res, 400, "MALFORMED_JSON").await;
}

#[tokio::test]
async fn staff_see_the_inbox_claim_reply_read_and_close() {
    let app = app().await;
    let (trader, login) = app.sign_in(None).await;
    let agent = staff_cookie(&app, "anna@broker.example", Role::Support).await;
    let mut trader_stream = events(&app, "/inapp/chat/events", &trader, None).await;
    send(&app, &trader, "hello-001", "Hello?").await;
    send(&app, &trader, "hello-002", "Anyone there?").await;

    let inbox = app.get_with_cookie("/backoffice/chat", &agent).await.text().await.unwrap();
    assert!(inbox.contains(&format!("data-login=\"{login}\"")) && inbox.contains("data-unread=\"2\""), "unassigned with 2 unread");
    assert!(inbox.contains("Not started"), "the trader's KYC state is beside it");
    let id = conversation_id(&app, login).await;
    let mut inbox_stream = events(&app, "/backoffice/chat/events", &agent, None).await;

    // Opening the conversation reads it; the trader sees "read".
    let page = app.get_with_cookie(&format!("/backoffice/chat/{id}"), &agent).await.text().await.unwrap();
    assert!(page.contains("Anyone there?"));
    let receipts = next(&mut trader_stream, "receipts").await;
    let receipts = if receipts["read"] == 2 { receipts } else { next(&mut trader_stream, "receipts").await };
    assert_eq!(receipts["read"], 2);
    next(&mut inbox_stream, "inbox").await;

    let res = app.http.post(app.url(&format!("/backoffice/chat/{id}/claim"))).header("cookie", &agent).header("origin", app.base.clone()).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let state = next(&mut trader_stream, "conversation").await;
    let state = if state["agent"].is_null() { next(&mut trader_stream, "conversation").await } else { state };
    assert_eq!(state["agent"], "anna");
    let mine = app.get_with_cookie("/backoffice/chat?tab=mine&fragment=1", &agent).await.text().await.unwrap();
    assert!(mine.contains(&format!("data-login=\"{login}\"")) && mine.contains("data-unread=\"0\""));

    assert_eq!(staff_send(&app, &agent, id, "agent-0001", "How can I help?").await.status(), 201);
    let m = next(&mut trader_stream, "message").await;
    let m = if m["author"] == "staff" { m } else { next(&mut trader_stream, "message").await };
    let m = if m["author"] == "staff" { m } else { next(&mut trader_stream, "message").await };
    assert_eq!((m["body"].as_str(), m["authorName"].as_str()), (Some("How can I help?"), Some("anna")));

    // The agent is typing; the trader hears it.
    let res =
        app.http.post(app.url(&format!("/backoffice/chat/{id}/typing"))).header("cookie", &agent).header("origin", app.base.clone()).send().await.unwrap();
    assert_eq!(res.status(), 204);
    loop {
        if next(&mut trader_stream, "typing").await["typing"] == true {
            break;
        }
    }

    let res = app.http.post(app.url(&format!("/backoffice/chat/{id}/close"))).header("cookie", &agent).header("origin", app.base.clone()).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let closed = app.get_with_cookie("/backoffice/chat?tab=closed&fragment=1", &agent).await.text().await.unwrap();
    assert!(closed.contains(&format!("data-login=\"{login}\"")));
    // A trader writing again reopens it, unread for the agent.
    send(&app, &trader, "again-001", "One more thing").await;
    let mine = app.get_with_cookie("/backoffice/chat?tab=mine&fragment=1", &agent).await.text().await.unwrap();
    assert!(mine.contains("data-unread=\"1\""), "{mine}");
    let unread = app.state.store.chat.unread_counts(0).await.unwrap();
    assert_eq!(unread, (0, 0), "nothing unassigned");
}

#[tokio::test]
async fn a_second_instance_on_the_same_database_streams_what_the_first_stored() {
    let first = app().await;
    let second = spawn_with(|f| {
        let f = Settings::with(f, "storage.database_url", &first.database_url);
        let f = Settings::with(f, "chat.watch_interval_ms", 100);
        Settings::with(f, "chat.rate_limit_messages", 1000)
    })
    .await;
    let (trader, _) = first.sign_in(None).await;
    // The same session cookie works on both: sessions live in the database.
    let mut on_second = events(&second, "/inapp/chat/events", &trader, None).await;
    assert_eq!(send(&first, &trader, "cross-001", "via the first").await.status(), 201);
    assert_eq!(next(&mut on_second, "message").await["body"], "via the first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_rate_limit_holds_under_parallel_sends_and_counts_uploads() {
    let app = spawn_with(|f| Settings::with(f, "chat.rate_limit_messages", 3)).await;
    let (trader, _) = app.sign_in(None).await;
    let sends = (0..10).map(|i| {
        let (app, trader) = (&app, trader.clone());
        async move { send(app, &trader, &format!("burst-{i:04}"), "hi").await.status().as_u16() }
    });
    let statuses = futures::future::join_all(sends).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 7);
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_messages").await, 3);
    for _ in 0..3 {
        upload(&app, &trader).await;
    }
    let part = reqwest::multipart::Part::bytes(png(64)).file_name("more.png");
    let res = app
        .http
        .post(app.url("/inapp/chat/attachments"))
        .header("cookie", &trader)
        .header("origin", app.base.clone())
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(app.count("app.db", "SELECT COUNT(*) FROM chat_attachments").await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_agents_claiming_at_once_cannot_both_win() {
    let app = app().await;
    let (trader, login) = app.sign_in(None).await;
    send(&app, &trader, "claim-001", "help").await;
    let id = conversation_id(&app, login).await;
    let anna = staff_cookie(&app, "anna@broker.example", Role::Support).await;
    let ben = staff_cookie(&app, "ben@broker.example", Role::Support).await;
    // Both saw it unclaimed (expected= empty) and press Claim.
    let claim = |cookie: String| {
        let app = &app;
        async move {
            let res = app
                .http
                .post(app.url(&format!("/backoffice/chat/{id}/claim?expected=")))
                .header("cookie", cookie)
                .header("origin", app.base.clone())
                .send()
                .await
                .unwrap();
            res.headers()["location"].to_str().unwrap().to_string()
        }
    };
    let (a, b) = tokio::join!(claim(anna.clone()), claim(ben.clone()));
    let lost = [&a, &b].iter().filter(|l| l.ends_with("?problem=CLAIMED")).count();
    assert_eq!(lost, 1, "exactly one claim loses: {a} / {b}");
    // Nothing marked it read: no agent has opened it yet.
    let c = app.state.store.chat.conversation(id).await.unwrap().unwrap();
    assert_eq!((c.unread_by_staff, c.staff_read_seq), (1, 0));
    let page = app.get_with_cookie(&format!("/backoffice/chat/{id}?problem=CLAIMED"), &ben).await.text().await.unwrap();
    assert!(page.contains("Another agent claimed this conversation first."));
    let c = app.state.store.chat.conversation(id).await.unwrap().unwrap();
    assert_eq!((c.unread_by_staff, c.staff_read_seq), (0, 1), "opening it reads it");
}

#[tokio::test]
async fn an_open_stream_ends_with_its_session() {
    let app = spawn_with(|f| Settings::with(f, "chat.session_recheck_seconds", 1)).await;
    let (trader, _) = app.sign_in(None).await;
    let mut stream = events(&app, "/inapp/chat/events", &trader, None).await;
    next(&mut stream, "conversation").await;
    let value = trader.split_once('=').unwrap().1;
    app.state.store.sessions.delete(&broker_inapp::session::hash(value)).await.unwrap();
    next(&mut stream, "ended").await;
    let agent = staff_cookie(&app, "anna@broker.example", Role::Support).await;
    let mut inbox = events(&app, "/backoffice/chat/events", &agent, None).await;
    let res = app.http.post(app.url("/backoffice/sign-out")).header("cookie", &agent).header("origin", app.base.clone()).send().await.unwrap();
    assert_eq!(res.status(), 303);
    next(&mut inbox, "ended").await;
}
