//! Secrets never reach a log line: every line the server writes while a token
//! is exchanged, replayed and refused, and while a deposit is paid, confirmed
//! by a signed webhook and credited, is captured and searched.

#[path = "it/common/mod.rs"]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn captured() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = Capture::default();
        let writer = capture.clone();
        // Everything down to trace, including the HTTP client's and server's internals.
        let _ = tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new("trace")).with_writer(move || writer.clone()).try_init();
        capture
    })
}

#[tokio::test]
async fn no_token_in_any_log_line() {
    let logs = captured();
    let app = common::spawn().await;
    let (token, _) = app.token().await;
    let (cookie, _) = app.open(&format!("/inapp/deposit?token={token}&lang=es")).await;
    let session_id = cookie.split_once('=').unwrap().1.to_string();
    app.get_with_cookie("/inapp/deposit", &cookie).await;
    app.get(&format!("/inapp/deposit?token={token}")).await; // replay
    app.get("/inapp/deposit?token=garbage-token-value-123").await;

    // A deposit all the way: provider API key, webhook signature and secret in play.
    let page = common::deposits::started(&app, &cookie, "25", common::deposits::KEY).await;
    let back = common::deposits::pay(&app, &page, "4242424242424242").await;
    let id = common::deposits::deposit_id(&back);
    common::deposits::wait_for_state(&app, &cookie, &id, "Credited").await;

    // cTrader's error path, whose error names the URL the manager token rides
    // on (`?token=`): a dropped connection while the screen reads the trader.
    let reset = serde_json::json!({"endpoint": "trader", "kind": "reset", "remaining": 1});
    assert_eq!(app.http.post(app.url("/sim/faults")).json(&reset).send().await.unwrap().status(), 201);
    let (fresh, _) = app.token().await;
    app.get(&format!("/inapp/deposit?token={fresh}")).await;
    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(text.contains("trader read failed"), "the cTrader error was logged");
    let sim = sqlx::SqlitePool::connect(&format!("sqlite://{}/sim.db", app.dir.path().display())).await.unwrap();
    let manager_tokens: Vec<String> = sqlx::query_scalar("SELECT token FROM sim_manager_tokens").fetch_all(&sim).await.unwrap();
    assert!(!manager_tokens.is_empty(), "the simulator issued manager tokens");
    for t in &manager_tokens {
        assert!(!text.contains(t.as_str()), "a manager token leaked into the logs");
    }
    assert!(!text.contains(&fresh), "the one-time token of a failed exchange leaked into the logs");

    assert!(text.contains("/inapp/deposit"), "requests were logged");
    assert!(text.contains("token=[redacted]"), "queries are logged redacted");
    assert!(!text.contains(&token), "the one-time token leaked into the logs");
    assert!(!text.contains("garbage-token-value-123"), "a refused token leaked into the logs");
    assert!(!text.contains(&session_id), "the session id leaked into the logs");
    assert!(!text.contains("webservToken\":\""), "a manager token leaked into the logs");
    assert!(text.contains("deposit credited"), "the deposit path was logged");
    assert!(!text.contains("sandbox-api-key"), "the provider API key leaked into the logs");
    assert!(!text.contains("sandbox-webhook-secret"), "the webhook secret leaked into the logs");
    assert!(!text.contains("v1="), "a webhook signature leaked into the logs");
}

/// What a live stream's own task logs (it runs apart from the request that
/// opened the stream) carries that request's id, like every other line of it.
#[tokio::test]
async fn a_streams_log_lines_carry_its_request_id() {
    let logs = captured();
    let app = common::spawn().await;
    let (cookie, login) = app.sign_in(None).await;
    let conversation = app.state.store.chat.open_conversation(common::login(login), 0, None, 0, "test").await.unwrap().id;
    let stream = app.get_with_cookie("/inapp/chat/events", &cookie).await;
    assert_eq!(stream.status(), 200);
    let request_id = stream.headers()["x-request-id"].to_str().unwrap().to_string();
    // The stream's next read fails (its table is gone) and says so in the log.
    sqlx::query("ALTER TABLE chat_conversations RENAME TO chat_conversations_gone").execute(&app.db().await).await.unwrap();
    app.state.notifier.publish(conversation, false);
    let line = common::eventually("the stream's failed read to be logged", || async {
        let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
        // Only this test opens a chat stream in this binary.
        text.lines().find(|l| l.contains("chat stream read failed")).map(str::to_string).ok_or(())
    })
    .await;
    assert!(line.contains(&request_id), "the line names the stream's request {request_id}: {line}");
    drop(stream);
}
