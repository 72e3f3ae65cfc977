//! The exactly-once proof: 1,000 deposits credited while the simulator injects
//! every fault kind on about 30% of balance-change calls and a worker is killed
//! and restarted mid-run (`crash_restart.rs` kills the whole process). Every confirmed deposit must be credited exactly
//! once, nothing unconfirmed credited, and the simulator's history and our
//! database must agree.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use broker_inapp::config::Settings;
use broker_inapp::deposit::{credit, service, PaymentEvent};
use rust_decimal::Decimal;
use serde_json::json;

const DEPOSITS: usize = 1000;
const TRADERS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_deposits_under_faults_are_each_credited_exactly_once() {
    let app = common::spawn_with(|f| {
        let f = Settings::with(f, "payments.worker", false);
        let f = Settings::with(f, "ctrader.timeout_ms", 300);
        let f = Settings::with(f, "payments.retry_base_ms", 20);
        let f = Settings::with(f, "payments.retry_max_ms", 400);
        // Well beyond the simulator's injected delay, so a call still being
        // processed has landed before its outcome is looked up.
        Settings::with(f, "payments.settle_ms", 2500)
    })
    .await;
    let logins: Vec<i64> = (0..TRADERS as i64).map(|i| 300_000 + i).collect();
    for login in &logins {
        app.mint(json!({ "login": login, "balance": "0" })).await;
    }

    // 1,000 deposits: 1 in 25 left unpaid, 1 in 25 declined, the rest confirmed.
    let now = broker_inapp::time::now_ms();
    let mut confirmed: HashMap<String, (i64, i64)> = HashMap::new();
    let mut unconfirmed = HashSet::new();
    let mut events = vec![];
    for i in 0..DEPOSITS {
        let login = logins[i % TRADERS];
        let minor = 1_000 + i as i64;
        let id = format!("dep_f{i:031x}");
        let record = common::deposits::pending_record(&id, login, minor, format!("fault-key-{i:04}-0123456789"), now);
        app.state.store.deposits.create_or_get(&record).await.unwrap();
        let event = match i % 25 {
            0 => None,
            1 => Some(PaymentEvent::Failed { event_id: format!("evt_f_{i}"), reference: id.clone(), reason: "card_declined".into() }),
            _ => {
                Some(PaymentEvent::Succeeded { event_id: format!("evt_s_{i}"), reference: id.clone(), amount: Decimal::new(minor, 2), currency: "USD".into() })
            }
        };
        match &event {
            Some(PaymentEvent::Succeeded { .. }) => confirmed.insert(id, (login, minor)).is_none(),
            _ => unconfirmed.insert(id),
        };
        events.extend(event);
    }

    // Payments arrive over the run, as they would (about 80 a second), so
    // retries are not stuck behind a long queue and settle timing matters.
    let feeder = {
        let state = app.state.clone();
        tokio::spawn(async move {
            for chunk in events.chunks(8) {
                for e in chunk {
                    service::apply_event(&state, broker_inapp::domain::MethodKind::Sandbox, e).await.unwrap();
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    common::ledger::run_under_faults(&app, &common::ledger::CREDITS, confirmed.len(), credit::spawn_worker, feeder).await;
    common::ledger::assert_exactly_once(&app.http, &app.base, &app.database_url, &logins, &confirmed, &unconfirmed).await;
}
