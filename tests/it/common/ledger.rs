//! The exactly-once check shared by the fault and crash tests: cTrader's
//! (the simulator's) balance history against our records, for credits
//! (deposits) and debits (withdrawals) alike.

use std::collections::{HashMap, HashSet};

use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::TestApp;

/// Which payments a check is about: their table, the state of an applied
/// one, the balance change's type and its sign.
pub struct Ledger {
    pub table: &'static str,
    pub applied: &'static str,
    pub kind: &'static str,
    pub sign: i64,
    pub outbox: &'static str,
    pub outbox_key: &'static str,
}

pub const CREDITS: Ledger = Ledger { table: "deposits", applied: "credited", kind: "DEPOSIT", sign: 1, outbox: "credit_outbox", outbox_key: "deposit_id" };
pub const DEBITS: Ledger = Ledger { table: "withdrawals", applied: "debited", kind: "WITHDRAW", sign: -1, outbox: "debit_outbox", outbox_key: "withdrawal_id" };

/// `confirmed`: deposit id → (login, minor units). Every confirmed deposit is
/// in its trader's history exactly once, for its amount, with our stored
/// `balanceHistoryId`; nothing else is; each balance is the sum of its credits.
pub async fn assert_exactly_once(
    http: &reqwest::Client,
    base: &str,
    app_db: &str,
    logins: &[i64],
    confirmed: &HashMap<String, (i64, i64)>,
    unconfirmed: &HashSet<String>,
) {
    assert_applied_exactly_once(&CREDITS, http, base, app_db, logins, 0, confirmed, unconfirmed).await
}

/// `applied`: payment id → (login, minor units), each of which must be in
/// its trader's history exactly once as a `ledger.kind` change for its
/// amount, with our stored `balanceHistoryId` and state `ledger.applied`;
/// nothing else is in the history; each balance is `start_minor` moved by
/// exactly those changes; none of `never` is there.
#[allow(clippy::too_many_arguments)]
pub async fn assert_applied_exactly_once(
    ledger: &Ledger,
    http: &reqwest::Client,
    base: &str,
    app_db: &str,
    logins: &[i64],
    start_minor: i64,
    applied: &HashMap<String, (i64, i64)>,
    never: &HashSet<String>,
) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(app_db).await.unwrap();
    let ours: HashMap<String, (String, Option<i64>)> =
        sqlx::query_as::<_, (String, String, Option<i64>)>(&format!("SELECT id, state, balance_history_id FROM {}", ledger.table))
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .map(|(id, state, h)| (id, (state, h)))
            .collect();
    let attempts: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(&format!("SELECT {}, attempts FROM {}", ledger.outbox_key, ledger.outbox))
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    pool.close().await;
    let mut seen = HashSet::new();
    for login in logins {
        let trader: Value = http.get(format!("{base}/sim/traders/{login}")).send().await.unwrap().json().await.unwrap();
        let mut expected_minor = start_minor;
        let history = trader["history"].as_array().unwrap();
        for entry in history.iter().filter(|e| e["type"] == ledger.kind) {
            let external = entry["externalId"].as_str().unwrap().to_string();
            if !seen.insert(external.clone()) {
                // Say enough to tell a change that landed after its lookup
                // (timestamps apart by more than settle_ms) from a second send.
                let copies: Vec<_> = history.iter().filter(|e| e["externalId"] == entry["externalId"]).collect();
                panic!("{external} applied twice after {:?} attempts: {copies:?}", attempts.get(&external));
            }
            let (owner, minor) = applied.get(&external).unwrap_or_else(|| panic!("{external} applied but never meant to be"));
            assert_eq!(owner, login);
            assert_eq!(entry["preciseAmount"], Decimal::new(*minor, 2).to_string(), "{external}: amount");
            let (state, history_id) = &ours[&external];
            assert_eq!(state, ledger.applied);
            assert_eq!(*history_id, entry["balanceHistoryId"].as_i64(), "{external}: our balanceHistoryId is cTrader's");
            expected_minor += ledger.sign * minor;
        }
        assert_eq!(history.iter().filter(|e| e["type"] != ledger.kind).count(), 0, "trader {login}: no other changes");
        assert_eq!(trader["balance"], Decimal::new(expected_minor, 2).to_string(), "trader {login}: balance moved by exactly these changes");
    }
    assert_eq!(seen.len(), applied.len(), "every payment applied");
    for id in never {
        assert!(!seen.contains(id), "{id} was never to be applied");
        assert_ne!(ours[id].0, ledger.applied);
    }
}

/// Waits until no balance-change request is in flight at the simulator (none
/// being processed, none accepted under `slowApply` and still to land), so
/// the history compared next is final (a condition, not a sleep: a late
/// second copy cannot slip past the check).
pub async fn wait_until_landed(http: &reqwest::Client, sim_base: &str) {
    super::eventually_within("balance changes to land", std::time::Duration::from_secs(60), || async {
        let stats: Value = http.get(format!("{sim_base}/sim/stats")).send().await.unwrap().json().await.unwrap();
        let n = stats["changeBalanceInFlight"].as_i64().expect("the simulator reports changeBalanceInFlight");
        super::done_or(n == 0, stats)
    })
    .await
}

/// How many balance changes the simulator has accepted under `slowApply` and
/// not yet applied.
pub async fn slow_pending(http: &reqwest::Client, sim_base: &str) -> i64 {
    let stats: Value = http.get(format!("{sim_base}/sim/stats")).send().await.unwrap().json().await.unwrap();
    stats["slowApplyPending"].as_i64().expect("the simulator reports slowApplyPending")
}

/// The fault run both exactly-once proofs share: two workers (`spawn`) work
/// while `feeder` hands them jobs and the simulator fails about 30% of
/// balance-change calls in every way it can, one kind after another every
/// 400 ms; one worker is killed mid-flight and a fresh one started, as a
/// crash and restart would. Returns once `expected` payments are applied,
/// the faults are off, the workers stopped and every change cTrader
/// accepted has landed; asserts the faults forced retries.
pub async fn run_under_faults(
    app: &TestApp,
    ledger: &Ledger,
    expected: usize,
    spawn: fn(broker_inapp::state::AppState) -> tokio::task::JoinHandle<()>,
    feeder: tokio::task::JoinHandle<()>,
) {
    let applied = format!("SELECT COUNT(*) FROM {} WHERE state = '{}'", ledger.table, ledger.applied);
    let mut first = spawn(app.state.clone());
    let second = spawn(app.state.clone());
    // slowApply lands 900 ms after it arrived, long after the 300 ms client
    // timeout: only waiting settle_ms (2.5 s) before the lookup keeps it from
    // being applied twice. (The margin is wide because the simulator's own
    // write waits its turn on a loaded machine; at 1 s it was 100 ms and CI
    // once saw a change land after the lookup.)
    let kinds = ["delay", "error", "reset", "lostReply", "slowApply"];
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut round = 0;
    loop {
        let kind = kinds[round % kinds.len()];
        let delay_ms = if kind == "slowApply" { 900 } else { 600 };
        let fault = json!({ "endpoint": "changeBalance", "kind": kind, "delayMs": delay_ms, "status": 503, "probability": 0.3 });
        let set = app.http.post(app.url("/sim/faults")).json(&fault).send().await.unwrap();
        assert_eq!(set.status(), 201);
        if round == 15 {
            first.abort();
            first = spawn(app.state.clone());
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        round += 1;
        if app.count("app.db", &applied).await as usize == expected || round > 80 {
            break;
        }
    }
    feeder.await.unwrap();
    let set = app.http.delete(app.url("/sim/faults")).send().await.unwrap();
    assert_eq!(set.status(), 204);
    super::eventually_within("every payment applied", deadline.saturating_duration_since(Instant::now()), || async {
        let n = app.count("app.db", &applied).await as usize;
        super::done_or(n == expected, format!("{n} of {expected}"))
    })
    .await;
    first.abort();
    second.abort();
    // A slowApply change still on its way would land after this point: wait
    // until the simulator has none left, so the comparison that follows sees it.
    wait_until_landed(&app.http, &app.base).await;
    let stats: Value = app.http.get(app.url("/sim/stats")).send().await.unwrap().json().await.unwrap();
    let calls = stats["calls"]["changeBalance"].as_i64().unwrap();
    assert!(calls > expected as i64 + 100, "faults forced retries: {calls} balance-change calls");
}
