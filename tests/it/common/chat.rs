//! Support chat over HTTP as the pages and the staff script use it: JSON
//! posts, server-sent event streams read in the background, and an
//! attachment to send.
#![allow(dead_code)]

use std::time::Duration;

use futures::StreamExt;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::TestApp;

/// A same-origin POST with the cookie and a JSON body, as the pages send.
pub async fn post_json(app: &TestApp, path: &str, cookie: &str, body: Value) -> reqwest::Response {
    app.http.post(app.url(path)).header("cookie", cookie).header("origin", app.base.clone()).json(&body).send().await.unwrap()
}

pub async fn send(app: &TestApp, cookie: &str, client_id: &str, body: &str) -> reqwest::Response {
    post_json(app, "/inapp/chat/messages", cookie, json!({ "clientId": client_id, "body": body })).await
}

pub async fn send_with(app: &TestApp, cookie: &str, client_id: &str, body: &str, attachment: &str) -> reqwest::Response {
    post_json(app, "/inapp/chat/messages", cookie, json!({ "clientId": client_id, "body": body, "attachmentId": attachment })).await
}

pub async fn staff_send(app: &TestApp, cookie: &str, id: i64, client_id: &str, body: &str) -> reqwest::Response {
    post_json(app, &format!("/backoffice/chat/{id}/messages"), cookie, json!({ "clientId": client_id, "body": body })).await
}

pub async fn staff_send_with(app: &TestApp, cookie: &str, id: i64, client_id: &str, body: &str, attachment: &str) -> reqwest::Response {
    post_json(app, &format!("/backoffice/chat/{id}/messages"), cookie, json!({ "clientId": client_id, "body": body, "attachmentId": attachment })).await
}

/// A POST without a body (claim, close, reopen, typing) from the same origin.
pub async fn post_empty(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    app.http.post(app.url(path)).header("cookie", cookie).header("origin", app.base.clone()).send().await.unwrap()
}

/// Server-sent events of `path` as `(event, data)`, read by a background task.
/// The receiver yields `None` once the server closed the stream.
pub async fn events(app: &TestApp, path: &str, cookie: &str, last_event_id: Option<i64>) -> mpsc::UnboundedReceiver<(String, Value)> {
    events_at(&app.http, &app.url(path), cookie, last_event_id).await
}

/// [`events`] of any server's `url`.
pub async fn events_at(http: &reqwest::Client, url: &str, cookie: &str, last_event_id: Option<i64>) -> mpsc::UnboundedReceiver<(String, Value)> {
    let mut req = http.get(url).header("cookie", cookie);
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id.to_string());
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200, "event stream opens");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut buf = String::new();
        let mut body = res.bytes_stream();
        while let Some(Ok(chunk)) = body.next().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let (mut name, mut data) = (String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if !name.is_empty() && tx.send((name, serde_json::from_str(&data).unwrap_or(Value::Null))).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// The next event named `name` (others are skipped), or a panic after 10 s.
pub async fn next(rx: &mut mpsc::UnboundedReceiver<(String, Value)>, name: &str) -> Value {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let (n, v) = rx.recv().await.expect("stream still open");
            if n == name {
                return v;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no `{name}` event within 10 s"))
}

/// The server closes the stream: nothing more arrives, the connection ends.
pub async fn closes(rx: &mut mpsc::UnboundedReceiver<(String, Value)>) {
    let after = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("the stream closes within 10 s");
    assert!(after.is_none(), "nothing follows `ended`: {after:?}");
}

pub async fn conversation_id(app: &TestApp, login: i64) -> i64 {
    app.state.store.chat.open_conversation(broker_inapp::domain::Login::new(login).unwrap(), 0, None, 0, "test").await.unwrap().id
}

pub fn png(side: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(side, side, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, ((x ^ y) * 3) as u8]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Uploads a small PNG to `path` (the trader's or the agent's upload endpoint); answers its id.
pub async fn upload_to(app: &TestApp, path: &str, cookie: &str) -> String {
    let part = reqwest::multipart::Part::bytes(png(64)).file_name("shot.png");
    let res = app
        .http
        .post(app.url(path))
        .header("cookie", cookie)
        .header("origin", app.base.clone())
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "upload accepted");
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}
