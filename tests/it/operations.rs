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
