//! The process is killed (SIGKILL: no shutdown, no flush) while credits are in
//! flight, then started again on the same database and files. cTrader (the
//! simulator) runs in a process of its own that outlives the crash, as the
//! real platform would: a balance change it accepted before the kill lands
//! while our server is down or restarting. Payments keep arriving as signed
//! webhooks over HTTP, the simulator keeps injecting faults, and in the end
//! every confirmed deposit is credited exactly once.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use common::deposits::event;
use common::ledger::{slow_pending, wait_until_landed};
use common::process::{deliver, set_fault, Launch, Server};
use serde_json::json;

/// The binary on `dir`'s files; `ctrader`: the platform to use (`None`: it is the platform).
async fn start(dir: &Path, ctrader: Option<&str>) -> Server {
    common::process::start(&Launch { ctrader, ..Launch::new(dir) }).await
}

const DEPOSITS: usize = 300;
const TRADERS: i64 = 10;

async fn credited(db: &sqlx::SqlitePool) -> usize {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM deposits WHERE state = 'credited'").fetch_one(db).await.unwrap() as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_mid_credit_resumes_on_restart_and_credits_each_deposit_once() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    // cTrader: its own process and files, up for the whole test.
    let platform = start(&dir.path().join("platform"), None).await;
    let first = start(dir.path(), Some(&platform.base)).await;
    let logins: Vec<i64> = (0..TRADERS).map(|i| 400_000 + i).collect();
    for login in &logins {
        let res = http.post(format!("{}/sim/tokens", platform.base)).json(&json!({ "login": login, "balance": "0" })).send().await.unwrap();
        assert_eq!(res.status(), 201);
    }

    // The deposits as the deposit screen would have created them.
    let store = broker_inapp::store::connect(&format!("sqlite://{}/app.db", dir.path().display())).await.unwrap();
    let now = broker_inapp::time::now_ms();
    let (mut confirmed, mut unconfirmed, mut events) = (HashMap::new(), HashSet::new(), vec![]);
    for i in 0..DEPOSITS {
        let (id, login, minor) = (format!("dep_c{i:031x}"), logins[i % TRADERS as usize], 2_000 + i as i64);
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
    set_fault(&http, &platform, "slowApply", 900).await;
    let half = events.len() / 2;
    for body in &events[..half] {
        deliver(&http, &first, body).await;
    }
    // Kill only once some credits are done and cTrader is still applying a
    // change it accepted (a condition we wait for, not one that always holds):
    // that change lands while our process is dead.
    common::eventually_within("a moment with credits done and a change still landing", Duration::from_secs(60), || async {
        let (done, landing) = (credited(&db).await, slow_pending(&http, &platform.base).await);
        common::done_or(done >= confirmed.len() / 6 && landing > 0, (done, landing))
    })
    .await;
    drop(first); // SIGKILL, mid-run: some credits leased, a change still landing
    let before_kill = credited(&db).await;
    assert!(before_kill < confirmed.len(), "the kill happened with credits still to do");

    // Second life on the same files: the rest arrive, with some duplicates.
    let second = start(dir.path(), Some(&platform.base)).await;
    set_fault(&http, &platform, "lostReply", 0).await;
    for body in events[half..].iter().chain(events[..20].iter()) {
        deliver(&http, &second, body).await;
    }
    common::eventually_within("every deposit credited", Duration::from_secs(180), || async {
        let done = credited(&db).await;
        common::done_or(done == confirmed.len(), format!("{done} of {}", confirmed.len()))
    })
    .await;
    assert_eq!(http.delete(format!("{}/sim/faults", platform.base)).send().await.unwrap().status(), 204);
    // Any slow change still on its way lands before comparing.
    wait_until_landed(&http, &platform.base).await;
    common::ledger::assert_exactly_once(&http, &platform.base, &format!("sqlite://{}/app.db", dir.path().display()), &logins, &confirmed, &unconfirmed).await;
}
