//! What an operator's load balancer and orchestrator ask of an instance.

use crate::common;

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
