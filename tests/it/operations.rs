//! What an operator's load balancer and orchestrator ask of an instance.

use crate::common;
use common::deposits::{deliver, event, pending_record};

#[tokio::test]
async fn ready_only_with_the_database_at_this_builds_migrations() {
    let app = common::spawn().await;
    let body = |res: reqwest::Response| async move { (res.status().as_u16(), res.json::<serde_json::Value>().await.unwrap()) };
    assert_eq!(body(app.get("/readyz").await).await, (200, serde_json::json!({ "status": "ok" })));
    // As if the database had been restored from a backup older than this version.
    let pool = app.db().await;
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)").execute(&pool).await.unwrap();
    let (status, json) = body(app.get("/readyz").await).await;
    assert_eq!((status, json["reason"].as_str()), (503, Some("database")));
    assert_eq!(app.get("/livez").await.status(), 200, "alive: restarting it would not help");
}

/// The value of the series `name` whose labels include every `labels` pair.
fn series(metrics: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    metrics.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
        let (head, value) = line.rsplit_once(' ')?;
        let rest = head.strip_prefix(name)?;
        let labelled = rest.is_empty() || rest.starts_with('{');
        (labelled && labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))).then(|| value.parse().ok())?
    })
}

#[tokio::test]
async fn metrics_are_served_on_the_admin_listener_only_and_count_what_happened() {
    let app = common::spawn_with(|f| broker_inapp::config::Settings::with(f, "server.admin_addr", "127.0.0.1:0")).await;
    let admin = app.admin.clone().expect("an admin listener");
    assert_eq!(app.get("/metrics").await.status(), 404, "not on the public port");
    let scrape = || async {
        let res = app.http.get(format!("{admin}/metrics")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        res.text().await.unwrap()
    };
    assert_eq!(app.http.get(format!("{admin}/readyz")).send().await.unwrap().status(), 200, "the probes too");

    // A page, by its route (never the raw path).
    let (cookie, login) = app.sign_in(None).await;
    assert_eq!(app.get_with_cookie("/inapp/deposit", &cookie).await.status(), 200);
    // A paid deposit waiting for its credit, then credited.
    let id = "dep_0000000000000000000000000000feed";
    app.state.store.deposits.create_or_get(&pending_record(id, login, 2_500, "metrics-key-0123456789".into(), broker_inapp::time::now_ms())).await.unwrap();
    deliver(&app, &event("evt_metrics", "payment.succeeded", id, "25.00")).await;
    let before = scrape().await;
    assert_eq!(series(&before, "inapp_outbox_jobs", &[("queue", "credit")]), Some(1.0), "{before}");
    assert!(series(&before, "inapp_outbox_oldest_age_seconds", &[("queue", "credit")]).is_some());
    let pages = series(&before, "inapp_http_requests_total", &[("method", "GET"), ("route", "/inapp/deposit"), ("status", "200")]);
    assert!(pages >= Some(1.0), "{before}");
    assert!(series(&before, "inapp_http_request_duration_seconds_count", &[("route", "/inapp/deposit")]) >= Some(1.0));
    let applied = series(&before, "inapp_ledger_attempts_total", &[("change", "credit"), ("outcome", "applied")]).unwrap_or(0.0);
    app.drain().await;
    let after = scrape().await;
    assert_eq!(series(&after, "inapp_outbox_jobs", &[("queue", "credit")]), Some(0.0));
    assert!(series(&after, "inapp_ledger_attempts_total", &[("change", "credit"), ("outcome", "applied")]) >= Some(applied + 1.0), "{after}");
    assert!(series(&after, "inapp_ctrader_requests_total", &[("endpoint", "change_balance"), ("outcome", "ok")]) >= Some(1.0), "{after}");
    assert!(series(&after, "inapp_ctrader_request_duration_seconds_count", &[("endpoint", "trader")]) >= Some(1.0), "{after}");
}

/// A stopped instance finishes the credit it is sending instead of leaving it
/// to another instance's lookup after its lease: SIGTERM while cTrader is
/// still answering a balance change, and the deposit is credited when the
/// process has exited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credit_in_flight_at_shutdown_is_finished_and_saved() {
    use common::process::{start, Launch};
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let platform = start(&Launch::new(&dir.path().join("platform"))).await;
    let env = [("INAPP_CTRADER__TIMEOUT_MS", "8000".to_string())];
    let mut instance = start(&Launch { ctrader: Some(&platform.base), env: &env, ..Launch::new(&dir.path().join("instance")) }).await;
    let res = http.post(format!("{}/sim/tokens", platform.base)).json(&serde_json::json!({ "login": 720_001, "balance": "0" })).send().await.unwrap();
    assert_eq!(res.status(), 201);
    // Every balance change takes cTrader 2 s to answer.
    let fault = serde_json::json!({ "endpoint": "changeBalance", "kind": "delay", "delayMs": 2000, "probability": 1.0 });
    assert_eq!(http.post(format!("{}/sim/faults", platform.base)).json(&fault).send().await.unwrap().status(), 201);
    let db = format!("sqlite://{}/instance/app.db", dir.path().display());
    let store = broker_inapp::store::connect(&db).await.unwrap();
    let id = "dep_0000000000000000000000000000beef";
    store.deposits.create_or_get(&pending_record(id, 720_001, 4_200, "shutdown-key-0123456789".into(), broker_inapp::time::now_ms())).await.unwrap();
    common::process::deliver(&http, &instance, &event("evt_shutdown", "payment.succeeded", id, "42.00")).await;
    common::eventually("the balance change on its way", || async {
        let stats: serde_json::Value = http.get(format!("{}/sim/stats", platform.base)).send().await.unwrap().json().await.unwrap();
        common::done_or(stats["changeBalanceInFlight"].as_i64() > Some(0), stats)
    })
    .await;
    let status = instance.terminate(Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
    let deposit = store.deposits.get(&id.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(deposit.state, broker_inapp::domain::DepositState::Credited, "the attempt finished and its outcome was saved before exit");
    let trader: serde_json::Value = http.get(format!("{}/sim/traders/720001", platform.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(trader["balance"], "42.00");
}

/// A request id is taken from the load balancer only: a client sending one
/// directly gets a new one (it cannot pass as another request in the logs).
#[tokio::test]
async fn a_request_id_from_a_client_that_is_not_a_trusted_proxy_is_replaced() {
    let app = common::spawn().await;
    let res = app.http.get(app.url("/livez")).header("x-request-id", "lb-req-42").send().await.unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap();
    assert!(id != "lb-req-42" && id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
}
