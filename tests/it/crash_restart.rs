//! The process is killed (SIGKILL: no shutdown, no flush) while credits are in
//! flight, then started again on the same database and files. Payments keep
//! arriving as signed webhooks over HTTP, the simulator keeps injecting
//! faults, and in the end every confirmed deposit is credited exactly once.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use broker_inapp::payments::signature;
use common::deposits::{event, now_s, SECRET};
use serde_json::json;

const DEPOSITS: usize = 300;
const TRADERS: i64 = 10;

/// The server as an operator runs it; killed when dropped (a failed assert included).
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(dir: &Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let db = |name: &str| format!("sqlite://{}/{name}", dir.display());
    let child = Command::new(env!("CARGO_BIN_EXE_broker-inapp"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("INAPP_LEPTOS__SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("INAPP_STORAGE__DATA_DIR", dir)
        .env("INAPP_STORAGE__DATABASE_URL", db("app.db"))
        .env("INAPP_SIMULATOR__DATABASE_URL", db("sim.db"))
        .env("INAPP_PAYMENTS__SANDBOX_DATABASE_URL", db("psp.db"))
        .env("INAPP_CTRADER__TIMEOUT_MS", "300")
        // Well beyond the 900 ms slowApply below: the premise of exactly-once
        // is that cTrader finishes a change within settle_ms of receiving it.
        .env("INAPP_PAYMENTS__SETTLE_MS", "2500")
        .env("INAPP_PAYMENTS__RETRY_BASE_MS", "20")
        .env("INAPP_PAYMENTS__RETRY_MAX_MS", "400")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, base: format!("http://127.0.0.1:{port}") };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(res) = http.get(format!("{}/healthz", server.base)).send().await {
            if res.status() == 200 {
                return server;
            }
        }
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn set_fault(http: &reqwest::Client, server: &Server, kind: &str, delay_ms: u64) {
    let fault = json!({ "endpoint": "changeBalance", "kind": kind, "delayMs": delay_ms, "status": 503, "probability": 0.3 });
    let res = http.post(format!("{}/sim/faults", server.base)).json(&fault).send().await.unwrap();
    assert_eq!(res.status(), 201);
}

async fn deliver(http: &reqwest::Client, server: &Server, body: &str) {
    let res = http
        .post(format!("{}/payments/webhook/sandbox", server.base))
        .header("content-type", "application/json")
        .header(signature::HEADER, signature::sign(SECRET, now_s(), body.as_bytes()))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn credited(db: &sqlx::SqlitePool) -> usize {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM deposits WHERE state = 'credited'").fetch_one(db).await.unwrap() as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_mid_credit_resumes_on_restart_and_credits_each_deposit_once() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let first = start(dir.path()).await;
    let logins: Vec<i64> = (0..TRADERS).map(|i| 400_000 + i).collect();
    for login in &logins {
        let res = http.post(format!("{}/sim/tokens", first.base)).json(&json!({ "login": login, "balance": "0" })).send().await.unwrap();
        assert_eq!(res.status(), 201);
    }

    // The deposits as the deposit screen would have created them.
    let store = broker_inapp::store::connect(&format!("sqlite://{}/app.db", dir.path().display())).await.unwrap();
    let now = broker_inapp::time::now_ms();
    let (mut confirmed, mut unconfirmed, mut events) = (HashMap::new(), HashSet::new(), vec![]);
    for i in 0..DEPOSITS {
        let (id, login, minor) = (format!("dep_crash_{i:04}"), logins[i % TRADERS as usize], 2_000 + i as i64);
        let record = common::deposits::pending_record(&id, login, minor, format!("crash-key-{i:04}-0123456789"), now);
        store.deposits.create_or_get(&record).await.unwrap();
        let amount = format!("{}.{:02}", minor / 100, minor % 100);
        match i % 15 {
            0 => {
                unconfirmed.insert(id);
            }
            1 => {
                events.push(event(&format!("evt_d_{i}"), "payment.failed", &id, &amount));
                unconfirmed.insert(id);
            }
            _ => {
                events.push(event(&format!("evt_s_{i}"), "payment.succeeded", &id, &amount));
                confirmed.insert(id, (login, minor));
            }
        }
    }
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}/app.db", dir.path().display())).await.unwrap();

    // First life: slow and lost answers while half the payments arrive.
    set_fault(&http, &first, "slowApply", 900).await;
    let half = events.len() / 2;
    for body in &events[..half] {
        deliver(&http, &first, body).await;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while credited(&db).await < confirmed.len() / 6 {
        assert!(Instant::now() < deadline, "nothing credited before the kill");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before_kill = credited(&db).await;
    drop(first); // SIGKILL, mid-run: some credits leased, some changes still landing

    // Second life on the same files: the rest arrive, with some duplicates.
    let second = start(dir.path()).await;
    set_fault(&http, &second, "lostReply", 0).await;
    for body in events[half..].iter().chain(events[..20].iter()) {
        deliver(&http, &second, body).await;
    }
    let deadline = Instant::now() + Duration::from_secs(180);
    while credited(&db).await < confirmed.len() {
        assert!(Instant::now() < deadline, "only {} of {} credited", credited(&db).await, confirmed.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(before_kill < confirmed.len(), "the kill happened with credits still to do");
    assert_eq!(http.delete(format!("{}/sim/faults", second.base)).send().await.unwrap().status(), 204);
    // Let any slow change still on its way land before comparing.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    common::ledger::assert_exactly_once(&http, &second.base, &dir.path().join("app.db"), &logins, &confirmed, &unconfirmed).await;
}
